"""Job: a finished (or running) job directory, seen through its id; JobWithFile: a file of
one, named for another job's options.

A `Job` is a `str` equal to its id (`dev-12`): it pickles, compares and hashes as that
string, so it can be stored, passed as a build input and sent to other processes. Every
property reads the job directory, which is the whole truth about the job. The two classes
are one module because each makes the other (`job.withfile()`, `JobWithFile.job`).
"""

from __future__ import annotations

import fnmatch
import json
import os
import pickle
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

from accel import layout, records
from accel.dotdict import DotDict
from accel.errors import NotFound, UserError
from accel.job.filesums import check_file, iter_user_files
from accel.jsoncodec import decode, register_type

NO_DEFAULT: Any = object()  # load(default=...) not given: a missing file is NotFound


def to_dotdict(obj: Any) -> Any:
    """Recursively turn JSON dicts into DotDicts (for params/post attribute access)."""
    if isinstance(obj, dict):
        return DotDict((k, to_dotdict(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [to_dotdict(v) for v in obj]
    return obj


def sliced_name(name: str | os.PathLike, sliceno: int | None) -> str:
    """A file's name in the job directory: `name`, or `name.SLICENO` for a slice's own."""
    name = os.fspath(name)  # a pathlib.Path is a name too, as in the Accelerator
    return name if sliceno is None else f"{name}.{sliceno}"


class Job(str):
    """A job, equal to its id. Cheap to make; reads its directory on demand."""

    __slots__ = ()

    def __new__(cls, jobid: str) -> Job:
        if isinstance(jobid, Job) and type(jobid) is cls:
            return jobid
        if layout.split_jobid(str(jobid)) is None:
            raise UserError(f"{jobid!r} is not a job id (expected WORKDIR-NUMBER, like dev-12)")
        return str.__new__(cls, jobid)

    def __reduce__(self):
        return (Job, (str(self),))

    def __repr__(self) -> str:
        return f"Job({str(self)!r})"

    # --- where it is -------------------------------------------------------------

    @property
    def workdir(self) -> str:
        return self.rsplit("-", 1)[0]

    @property
    def number(self) -> int:
        return int(self.rsplit("-", 1)[1])

    @property
    def path(self) -> Path:
        wds = layout.paths().workdirs or _project_workdirs()
        try:
            return wds[self.workdir] / str(self)
        except KeyError:
            known = ", ".join(wds) or "none"
            raise NotFound(f"job {self}: workdir {self.workdir!r} is not configured (workdirs: {known})")

    @property
    def method(self) -> str:
        return self.params.method

    @property
    def status(self) -> str:
        return records.status_of(self.path)

    # --- what it is --------------------------------------------------------------

    @property
    def params(self) -> DotDict:
        """setup.json: method, options, datasets, jobs, hash, source_hash, starttime, slices..."""
        raw = records.require_setup(self.path)
        params = to_dotdict(raw)
        params.options = DotDict(decode(raw.get("options", {})))
        return params

    @property
    def post(self) -> DotDict:
        """post.json: status, timings of each part and slice, files, error."""
        post = records.read_post(self.path)
        if post is None:
            raise NotFound(f"job {self} has not finished (status: {self.status})")
        return to_dotdict(post)

    # --- its files ---------------------------------------------------------------

    def filename(self, name: str | os.PathLike, sliceno: int | None = None) -> str:
        return str(self.path / sliced_name(name, sliceno))

    def open(self, name: str | os.PathLike, mode: str = "r", sliceno: int | None = None,
             encoding: str | None = None, errors: str | None = None) -> IO:
        if any(c in mode for c in "wax+"):
            raise UserError(f"job {self} is finished; its files are read-only (mode {mode!r})")
        if "b" not in mode and encoding is None:
            encoding = "utf-8"
        return open(self.checked(name, sliceno), mode, encoding=encoding, errors=errors)

    def checked(self, name: str | os.PathLike, sliceno: int | None = None) -> str:
        """The file's path, once it is as post.json recorded it (JobDamaged if not)."""
        path = self.filename(name, sliceno)
        check_file(self.path, sliced_name(name, sliceno), path, f"job {self}")
        return path

    def files(self, pattern: str = "*") -> list[str]:
        """The job's own files (relative names), sorted; not accel's bookkeeping."""
        try:
            names = self.post.get("files")
        except NotFound:
            names = None
        if names is None:
            names = list(iter_user_files(self.path))
        return sorted(n for n in names if fnmatch.fnmatch(n, pattern))

    def load(self, name: str = "result.pickle", sliceno: int | None = None,
             default: Any = NO_DEFAULT) -> Any:
        try:
            with open(self.checked(name, sliceno), "rb") as f:
                return pickle.load(f)
        except FileNotFoundError:
            if default is NO_DEFAULT:
                raise NotFound(f"job {self} has no file {sliced_name(name, sliceno)!r}")
            return default

    def json_load(self, name: str = "result.json", sliceno: int | None = None,
                  default: Any = NO_DEFAULT) -> Any:
        try:
            with open(self.checked(name, sliceno), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            if default is NO_DEFAULT:
                raise NotFound(f"job {self} has no file {sliced_name(name, sliceno)!r}")
            return default

    def withfile(self, name: str, sliced: bool = False, extra: Any = None) -> JobWithFile:
        return JobWithFile(self, name, sliced, extra)

    def output(self, part: str | int | None = None) -> str:
        """Captured output: 'prepare', 'synthesis', a slice number, or None for all."""
        out = self.path / layout.OUTPUT
        slices = range(self.params.get("slices", 0))
        if part is None:
            return "".join(self.output(p) for p in ("prepare", "analysis", "synthesis",
                                                    "finishing"))
        if part == "analysis":
            return "".join(self.output(n) for n in slices)
        if isinstance(part, str) and part.isdigit():
            part = int(part)
        if part not in ("prepare", "synthesis", "finishing") and not isinstance(part, int):
            raise UserError(f"job {self}: no part {part!r} (parts: prepare, analysis, "
                            "synthesis, finishing, or a slice number)")
        try:
            return (out / layout.output_name(part)).read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # --- relations ---------------------------------------------------------------

    @property
    def dataset_names(self) -> list[str]:
        """Names of the job's finished datasets (from post.json; no numpy needed)."""
        try:
            return list(self.post.get("datasets") or ())
        except NotFound:
            return []

    @property
    def datasets(self):
        """The job's datasets, as a DatasetList of Dataset (as the Accelerator)."""
        ds = dataset_module()
        return ds.DatasetList(ds.Dataset(self, name) for name in self.dataset_names)

    def dataset(self, name: str = "default"):
        return dataset_module().Dataset(self, name)

    def link_result(self, filename: str = "result.pickle", linkname: str | None = None) -> Path:
        """Make a symlink in the result directory pointing at one of this job's files."""
        src, link = self.result_link(filename, linkname)
        link.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(str(link) + f".tmp-{os.getpid()}")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(src)
        os.replace(tmp, link)
        return link

    def result_link(self, filename: str = "result.pickle",
                    linkname: str | None = None) -> tuple[Path, Path]:
        """(the job's file, the link in the result directory) `link_result` makes: a
        UserError with no result directory, NotFound when the job has no such file."""
        link = result_link_path(filename, linkname)
        src = Path(self.filename(filename))
        if not src.exists():
            raise NotFound(f"job {self} has no file {filename!r} to link")
        return src, link

    def chain(self, length: int = -1, reverse: bool = False, stop_job: str | None = None) -> list[Job]:
        """This job and its `previous` jobs, newest first (oldest first with reverse)."""
        chain: list[Job] = []
        job: Job | None = self
        while job and length != 0:
            if stop_job and job == stop_job:
                break
            chain.append(job)
            length -= 1
            prev = job.params.get("jobs", {}).get("previous")
            job = Job(prev) if prev else None
        return chain[::-1] if reverse else chain

    @property
    def previous(self) -> Job | None:
        prev = self.params.get("jobs", {}).get("previous")
        return Job(prev) if prev else None


def result_link_path(filename: str, linkname: str | None = None) -> Path:
    """Where `link_result(filename, linkname)` links: `linkname` (or `filename`) in the
    result directory, or `filename` in the folder `linkname` when that ends in /."""
    resdir = layout.paths().result_directory
    if resdir is None:
        raise UserError("no result directory is configured")
    if linkname and linkname.endswith("/"):
        return resdir / linkname / filename
    return resdir / (linkname or filename)


class JobWithFile:
    """A file in a job, usable as an option value so another job knows which file of which job."""

    __slots__ = ("job", "name", "sliced", "extra")

    def __init__(self, job: str, name: str | os.PathLike, sliced: bool = False,
                 extra: Any = None):
        self.job = Job(job)
        self.name = os.fspath(name)
        self.sliced = bool(sliced)
        self.extra = extra

    def _key(self) -> tuple:
        return (str(self.job), self.name, self.sliced, json.dumps(self.extra, sort_keys=True, default=str))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JobWithFile) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"JobWithFile({str(self.job)!r}, {self.name!r}, sliced={self.sliced}, extra={self.extra!r})"

    def __reduce__(self):
        return (JobWithFile, (str(self.job), self.name, self.sliced, self.extra))

    def _check_slice(self, sliceno: int | None) -> None:
        if self.sliced and sliceno is None:
            raise UserError(f"{self!r} is sliced: give sliceno")
        if not self.sliced and sliceno is not None:
            raise UserError(f"{self!r} is not sliced: don't give sliceno")

    def filename(self, sliceno: int | None = None) -> str:
        self._check_slice(sliceno)
        return self.job.filename(self.name, sliceno)

    def load(self, sliceno: int | None = None, default: Any = NO_DEFAULT) -> Any:
        self._check_slice(sliceno)
        return self.job.load(self.name, sliceno, default)

    def json_load(self, sliceno: int | None = None, default: Any = NO_DEFAULT) -> Any:
        self._check_slice(sliceno)
        return self.job.json_load(self.name, sliceno, default)

    def open(self, mode: str = "r", sliceno: int | None = None, encoding: str | None = None,
             errors: str | None = None) -> AbstractContextManager[IO]:
        """The file, to read; or to write, in the running job (see CurrentJob.open)."""
        self._check_slice(sliceno)
        return self.job.open(self.name, mode, sliceno, encoding, errors)


def _project_workdirs() -> dict:
    """In a plain Python process, the workdirs of the project we are in (or ACCEL_CONFIG's)."""
    from accel.config import load_config
    from accel.errors import ConfigError

    try:
        cfg = load_config()
    except ConfigError:
        return {}
    cfg.activate()
    return layout.paths().workdirs


def dataset_module():
    """accel.dataset, imported on first use so plain jobs never load numpy."""
    import accel.dataset as ds

    return ds


def _register_with_codec() -> None:
    register_type(
        JobWithFile, "$jobwithfile",
        lambda v: {"job": str(v.job), "name": v.name, "sliced": v.sliced, "extra": v.extra},
        lambda b: JobWithFile(b["job"], b["name"], b["sliced"], b.get("extra")),
    )


_register_with_codec()
