"""NoJob: a job input that was not given, as the Accelerator has it.

Its own module because it answers differently from a Job wherever a job directory would
be needed, and is one instance, pickled by its name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from accel.errors import NotFound, UserError
from accel.job.job import NO_DEFAULT, Job, JobWithFile, dataset_module, sliced_name


class _NoJob(Job):
    """A job input that was not given, as in the Accelerator: `NoJob`, the empty string
    (falsy, equal to ''), so `if not jobs.previous:` works; what still makes sense of no
    job answers as empty (`.load()` is None, `.files()` and `.datasets` are empty), and
    what needs a job directory says that none was given."""

    __slots__ = ()

    def __new__(cls) -> _NoJob:
        return str.__new__(cls, "")

    def __reduce__(self) -> str:
        return "NoJob"  # the one instance, by its name in accel.job (its __module__)

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
             default: Any = NO_DEFAULT) -> Any:
        """None, as in the Accelerator; a named or sliced file is not there (or `default`)."""
        if default is not NO_DEFAULT:
            return default
        if name is not None or sliceno is not None:
            raise NotFound(f"NoJob (no job was given for this input) has no file "
                           f"{sliced_name(name or 'result.pickle', sliceno)!r}")
        return None

    def json_load(self, name: str | None = None, sliceno: int | None = None,
                  default: Any = NO_DEFAULT) -> Any:
        return self.load(name, sliceno, default)

    def output(self, part: str | int | None = None) -> str:
        return ""

    @property
    def dataset_names(self) -> list[str]:
        return []

    @property
    def datasets(self):
        return dataset_module().DatasetList()

    def dataset(self, name: str = "default"):
        raise NotFound(f"NoJob (no job was given for this input) has no dataset {name!r}")

    def chain(self, length: int = -1, reverse: bool = False, stop_job: str | None = None) -> list[Job]:
        return []


NoJob = _NoJob()
