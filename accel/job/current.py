"""CurrentJob: the job a method runs in, which also writes its own files; SavedFile: what
its saves return.

Apart from Job because writing is the running job's alone: a finished job is read-only.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

from accel import jobfiles, layout, pickling
from accel.atomic import atomic_open
from accel.errors import NotFound, UserError
from accel.job.job import Job, JobWithFile, dataset_module, sliced_name, to_dotdict


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

    def _saved(self, name: str | os.PathLike, sliceno: int | None, write: Callable[[], None],
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
        return dataset_module().DatasetWriter(*a, job=self, **kw)

