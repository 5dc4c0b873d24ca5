"""Job: a finished (or running) job directory, seen through its id.

A `Job` is a `str` equal to its id (`dev-12`): it pickles, compares and hashes as that
string, so it can be stored, passed as a build input and sent to other processes. Every
property reads the job directory, which is the whole truth about the job.
"""

from __future__ import annotations

import fnmatch
import json
import os
import pickle
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

from accel import jobfiles, layout, pickling, records
from accel.atomic import atomic_open, is_temp_name
from accel.dotdict import DotDict
from accel.errors import JobDamaged, NotFound, UserError
from accel.jsoncodec import decode, register_type

_NO_DEFAULT: Any = object()


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
        """The file's path, once its size and checksum match what post.json recorded when
        the job finished (checked once per process per file; a file the job did not
        record, or a job still running, is not checked). JobDamaged when they differ."""
        path = self.filename(name, sliceno)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        key = (path, st.st_ino, st.st_size, st.st_mtime_ns) if st else None
        if key in _checked_files:
            return path  # checked before: post.json need not be read again
        rel = sliced_name(name, sliceno)
        post = records.read_post(self.path)  # JobDamaged when post.json is
        recorded = (post or {}).get("file_sums", {}).get(rel)
        if not recorded:  # running, or no sums (an older job)
            return path
        if st is None:
            raise JobDamaged(f"job {self}: file {rel!r} is missing (the job recorded it)")
        size, digest = recorded
        if st.st_size != size or file_digest(path) != digest:
            raise JobDamaged(f"job {self}: file {rel!r} does not match what the job "
                             f"recorded ({st.st_size} bytes, recorded {size}; damaged)")
        assert key is not None  # made from st, which is there
        _checked_files.add(key)
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
             default: Any = _NO_DEFAULT) -> Any:
        try:
            with open(self.checked(name, sliceno), "rb") as f:
                return pickle.load(f)
        except FileNotFoundError:
            if default is _NO_DEFAULT:
                raise NotFound(f"job {self} has no file {sliced_name(name, sliceno)!r}")
            return default

    def json_load(self, name: str = "result.json", sliceno: int | None = None,
                  default: Any = _NO_DEFAULT) -> Any:
        try:
            with open(self.checked(name, sliceno), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            if default is _NO_DEFAULT:
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
        ds = _dataset_module()
        return ds.DatasetList(ds.Dataset(self, name) for name in self.dataset_names)

    def dataset(self, name: str = "default"):
        return _dataset_module().Dataset(self, name)

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


class _NoJob(Job):
    """A job input that was not given, as in the Accelerator: `NoJob`, the empty string
    (falsy, equal to ''), so `if not jobs.previous:` works; what still makes sense of no
    job answers as empty (`.load()` is None, `.files()` and `.datasets` are empty), and
    what needs a job directory says that none was given."""

    __slots__ = ()

    def __new__(cls) -> _NoJob:
        return str.__new__(cls, "")

    def __reduce__(self) -> str:
        return "NoJob"  # the one instance, by its name in this module

    def __repr__(self) -> str:
        return "NoJob"

    # None where a Job has a value: NoJob answers as the Accelerator's does, not as a Job
    workdir = path = params = post = previous = status = None  # type: ignore[assignment]
    number = -1
    method = ""

    def _none(self, what: str) -> UserError:
        return UserError(f"{what}: no job was given for this input (it is NoJob)")

    def filename(self, name: str | os.PathLike, sliceno: int | None = None) -> str:
        raise self._none(f"filename({name!r})")

    def open(self, name: str | os.PathLike, *a: Any, **kw: Any) -> IO:
        raise self._none(f"open({name!r})")

    def withfile(self, name: str, sliced: bool = False, extra: Any = None) -> JobWithFile:
        raise self._none(f"withfile({name!r})")

    def link_result(self, filename: str = "result.pickle", linkname: str | None = None) -> Path:
        raise self._none(f"link_result({filename!r})")

    def files(self, pattern: str = "*") -> list[str]:
        return []

    def load(self, name: str | None = None, sliceno: int | None = None,
             default: Any = _NO_DEFAULT) -> Any:
        """None, as in the Accelerator; a named or sliced file is not there (or `default`)."""
        if default is not _NO_DEFAULT:
            return default
        if name is not None or sliceno is not None:
            raise NotFound(f"NoJob (no job was given for this input) has no file "
                           f"{sliced_name(name or 'result.pickle', sliceno)!r}")
        return None

    def json_load(self, name: str | None = None, sliceno: int | None = None,
                  default: Any = _NO_DEFAULT) -> Any:
        return self.load(name, sliceno, default)

    def output(self, part: str | int | None = None) -> str:
        return ""

    @property
    def dataset_names(self) -> list[str]:
        return []

    @property
    def datasets(self):
        return _dataset_module().DatasetList()

    def dataset(self, name: str = "default"):
        raise NotFound(f"NoJob (no job was given for this input) has no dataset {name!r}")

    def chain(self, length: int = -1, reverse: bool = False, stop_job: str | None = None) -> list[Job]:
        return []


NoJob = _NoJob()


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


def _dataset_module():
    """accel.dataset, imported on first use so plain jobs never load numpy."""
    import accel.dataset as ds

    return ds


_checked_files: set[tuple] = set()  # (path, inode, size, mtime) verified in this process


def file_digest(path: str | os.PathLike) -> str:
    """xxh3-64 of a file's bytes, as post.json's file_sums record it."""
    import mmap

    import xxhash

    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if not size:
            return xxhash.xxh3_64_hexdigest(b"")
        with mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ) as mm:
            return xxhash.xxh3_64_hexdigest(mm)


def file_sums(root: Path, names: list[str]) -> dict[str, list]:
    """{name: [size, xxh3]} of a finished job's own files, for post.json (not datasets:
    they verify themselves, region by region)."""
    out = {}
    for name in names:
        if name.split(os.sep, 1)[0] == "datasets":
            continue
        path = root / name
        try:
            if path.is_symlink() or not path.is_file():
                continue
            out[name] = [path.stat().st_size, file_digest(path)]
        except OSError:
            continue
    return out


def iter_user_files(root: Path) -> Iterator[str]:
    """Relative names of the files a method wrote (not setup/post/output/scratch/temps)."""
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel == ".":
            dirnames[:] = [d for d in dirnames if d not in layout.INTERNAL]
        for fn in filenames:
            if rel == "." and fn in layout.INTERNAL:
                continue
            if is_temp_name(fn):
                continue
            yield fn if rel == "." else os.path.join(rel, fn)


class NamedJobList(list):
    """Jobs in build order, each with the name it was built under (its method, or the
    `name=` given to build). `.get(name)` is the latest of that name; `.get(-1)` (an int)
    is by position, as in the Accelerator."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        named = [(str(name), Job(job)) for name, job in pairs]
        super().__init__(job for _, job in named)
        self.names: list[str] = [name for name, _ in named]

    def append_named(self, name: str, job: Job) -> None:
        self.append(job if isinstance(job, Job) else Job(job))  # (a dry run's stay theirs)
        self.names.append(name)

    def get(self, name: str | int, default: Job | None = None) -> Job | None:
        if isinstance(name, int):
            try:
                return self[name]
            except IndexError:
                return default
        for i in range(len(self) - 1, -1, -1):
            if self.names[i] == name:
                return self[i]
        return default

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            job = self.get(key)
            if job is None:
                raise IndexError(f"no job named {key!r} here (names: {', '.join(self.names)})")
            return job
        return super().__getitem__(key)

    def find(self, name: str) -> list[Job]:
        return [job for n, job in zip(self.names, self, strict=True) if n == name]

    @property
    def jobs(self) -> list[str]:
        """Just the job ids, in order."""
        return [str(j) for j in self]

    @property
    def as_tuples(self) -> list[tuple[str, str]]:
        """(name, job id) pairs, in order."""
        return list(zip(self.names, self.jobs, strict=True))


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

    def load(self, sliceno: int | None = None, default: Any = _NO_DEFAULT) -> Any:
        self._check_slice(sliceno)
        return self.job.load(self.name, sliceno, default)

    def json_load(self, sliceno: int | None = None, default: Any = _NO_DEFAULT) -> Any:
        self._check_slice(sliceno)
        return self.job.json_load(self.name, sliceno, default)

    def open(self, mode: str = "r", sliceno: int | None = None, encoding: str | None = None,
             errors: str | None = None) -> AbstractContextManager[IO]:
        """The file, to read; or to write, in the running job (see CurrentJob.open)."""
        self._check_slice(sliceno)
        return self.job.open(self.name, mode, sliceno, encoding, errors)


class SavedFile:
    """What `job.save()` and `job.json_save()` return, as in the Accelerator: the file
    just written. `.filename` is its name in the job (`name.SLICENO` for a slice's own),
    `.path` where it is; `.load()` reads it back (after a background save has written
    it); `.jobwithfile()` names it for another job's options. It pickles (a slice may
    return it to synthesis) as the job and the name, once the file is written."""

    __slots__ = ("job", "name", "sliceno", "is_json", "_background")

    def __init__(self, job: str, name: str | os.PathLike, sliceno: int | None = None,
                 is_json: bool = False, background: jobfiles.Background | None = None):
        self.job = job if isinstance(job, Job) else Job(job)
        self.name = os.fspath(name)
        self.sliceno = sliceno
        self.is_json = is_json
        self._background = background

    @property
    def filename(self) -> str:
        return sliced_name(self.name, self.sliceno)

    @property
    def path(self) -> str:
        return self.job.filename(self.name, self.sliceno)

    def __fspath__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return f"SavedFile({str(self.job)!r}, {self.filename!r})"

    def __reduce__(self):
        self.wait()  # a file still being written is no file to hand on yet
        return (SavedFile, (str(self.job), self.name, self.sliceno, self.is_json))

    def wait(self) -> None:
        """Until a background save has written the file (raises if it could not)."""
        if self._background is not None:
            self._background.wait()

    def load(self) -> Any:
        self.wait()
        if self.is_json:  # objects as DotDicts, as the Accelerator's json_load gives them
            return to_dotdict(self.job.json_load(self.name, self.sliceno))
        return self.job.load(self.name, self.sliceno)

    def jobwithfile(self, extra: Any = None) -> JobWithFile:
        return JobWithFile(self.job, self.name, self.sliceno is not None, extra)

    def remove(self) -> None:
        """Make it a temporary file: gone when the job finishes (as the Accelerator's)."""
        jobfiles.mark(self.job.path, self.filename, True)


class CurrentJob(Job):
    """The job a method is running in: a Job that can also write its own files."""

    __slots__ = ()

    def save(self, obj: Any, name: str | os.PathLike = "result.pickle",
             sliceno: int | None = None, temp: bool | None = None, background: bool = False,
             *, protocol: int = pickle.HIGHEST_PROTOCOL) -> SavedFile:
        """Pickle `obj` (with cloudpickle when plain pickle cannot hold it: a lambda, a
        closure, a class made in the method). `temp`: removed when the job finishes;
        `background`: written by another process while the method goes on."""
        def write() -> None:
            data = pickling.dumps(obj, protocol)  # before the file: a failure leaves none
            with self._write(name, "wb", sliceno) as f:
                f.write(data)

        return self._saved(name, sliceno, write, temp, background, is_json=False)

    def json_save(self, obj: Any, name: str | os.PathLike = "result.json",
                  sliceno: int | None = None, sort_keys: bool = True,
                  temp: bool | None = None, background: bool = False,
                  *, indent: int | None = 4) -> SavedFile:
        def write() -> None:
            with self._write(name, "w", sliceno) as f:
                json.dump(obj, f, sort_keys=sort_keys, indent=indent, ensure_ascii=False)
                f.write("\n")

        return self._saved(name, sliceno, write, temp, background, is_json=True)

    def _saved(self, name: str | os.PathLike, sliceno: int | None, write: Any,
               temp: bool | None, background: bool, is_json: bool) -> SavedFile:
        self._target(name, sliceno)  # a name accel keeps: refused here, not in the background
        jobfiles.settle(sliced_name(name, sliceno))  # an earlier background save of it first
        jobfiles.mark(self.path, sliced_name(name, sliceno), bool(temp))
        if background:
            bg = jobfiles.start(sliced_name(name, sliceno), write)
            return SavedFile(self, name, sliceno, is_json, bg)
        write()
        return SavedFile(self, name, sliceno, is_json)

    def open(  # type: ignore[override]
            self, name: str | os.PathLike, mode: str = "r", sliceno: int | None = None,
            encoding: str | None = None, errors: str | None = None,
            temp: bool | None = None) -> AbstractContextManager[IO]:
        """Reading as Job.open; writing goes to a temporary name renamed into place on
        close. `temp`: the file is removed when the job finishes. (For writing it returns a
        context manager, as the Accelerator's does, where Job.open returns a file: hence
        the ignore.)"""
        if not any(c in mode for c in "wax+"):
            return super().open(name, mode, sliceno, encoding, errors)
        if "a" in mode or "+" in mode:
            raise UserError(f"job.open: mode {mode!r} is not supported (files are written whole: use 'w')")
        self._target(name, sliceno)
        jobfiles.settle(sliced_name(name, sliceno))  # an earlier background save of it first
        jobfiles.mark(self.path, sliced_name(name, sliceno), bool(temp))
        return self._write(name, mode, sliceno, encoding, errors)

    def _write(self, name: str | os.PathLike, mode: str, sliceno: int | None,
               encoding: str | None = None, errors: str | None = None
               ) -> AbstractContextManager[IO]:
        path = self._target(name, sliceno)
        path.parent.mkdir(parents=True, exist_ok=True)
        if "b" not in mode and encoding is None:
            encoding = "utf-8"
        return atomic_open(path, mode, encoding=encoding, errors=errors)

    def _target(self, name: str | os.PathLike, sliceno: int | None) -> Path:
        """Where the method may write `name`: not over what accel keeps for itself."""
        path = Path(self.filename(name, sliceno))
        if path.name in layout.INTERNAL or os.fspath(name).split("/")[0] in layout.INTERNAL:
            raise UserError(f"job.open: {os.fspath(name)!r} is a name accel keeps for itself")
        if not layout.within(path, self.path):
            raise UserError(f"job.open: {os.fspath(name)!r} is outside the job directory; a "
                            "job writes only its own files")
        return path

    def register_file(self, name: str) -> None:
        """Kept for Accelerator scripts: every file in the job directory is listed anyway."""
        if not os.path.exists(self.filename(name)):
            raise NotFound(f"job {self}: register_file({name!r}): no such file")

    @property
    def input_directory(self) -> str:
        d = layout.paths().input_directory
        if d is None:
            raise UserError("no input directory is configured")
        return str(d)

    def input_filename(self, *parts: str) -> str:
        """The path of an input file. Asked for by the running job, the file's fingerprint
        is recorded (post.json "input_files"): a later build does not reuse the job once
        the file has changed. (An `InputFile` option puts it in the identity instead.)"""
        path = os.path.join(self.input_directory, *parts)
        here = layout.current_job()
        if here is not None and os.path.abspath(here) == os.path.abspath(self.path):
            from accel.inputreads import note_read

            note_read(self.path, path)
        return path

    def datasetwriter(self, *a: Any, **kw: Any):
        """DatasetWriter(*a, **kw) of this job: columns first, as in the Accelerator."""
        return _dataset_module().DatasetWriter(*a, job=self, **kw)


def _register_with_codec() -> None:
    register_type(
        JobWithFile, "$jobwithfile",
        lambda v: {"job": str(v.job), "name": v.name, "sliced": v.sliced, "extra": v.extra},
        lambda b: JobWithFile(b["job"], b["name"], b["sliced"], b.get("extra")),
    )


_register_with_codec()
