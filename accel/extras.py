"""The Accelerator's import path `accelerator.extras`: its public names, each bound to the
accel object that does that job, so `from accel.extras import ...` is the only change.

The file helpers work on the running job (`json_save`, `pickle_save`) or on the job named
by `jobid` (`json_load`, `pickle_load`, `job_params`, `job_post`; the running job when
none is given); the saves return what `job.save()` does, and take `temp=` and
`background=` as it does. Not here: the Accelerator's internals (`FileWriteMove`,
`ResultIter`, `saved_files`, `stackup`).
"""

from __future__ import annotations

import os
from typing import Any

from accel import layout
from accel.dotdict import DotDict
from accel.errors import AccelError as AcceleratorError
from accel.errors import UserError
from accel.job import CurrentJob, Job, JobWithFile, SavedFile, to_dotdict
from accel.options import OptionDefault, OptionEnum, OptionString, RequiredOption
from accel.statmsg import status

__all__ = [
    "AcceleratorError", "DotDict", "Job", "JobWithFile", "OptionDefault", "OptionEnum",
    "OptionString", "RequiredOption", "job_params", "job_post", "json_load", "json_save",
    "pickle_load", "pickle_save", "quote", "status",
]


def _job(jobid: str | None) -> Job:
    if jobid:
        return Job(jobid)
    here = layout.current_job()
    if here is None:
        raise UserError("no jobid given, and this is not a running job")
    return CurrentJob(here.name)


def _current() -> CurrentJob:
    here = layout.current_job()
    if here is None:
        raise UserError("json_save/pickle_save write the running job's files: call them "
                        "from a method")
    return CurrentJob(here.name)


def job_params(jobid: str | None = None, default_empty: bool = False) -> DotDict:
    """A job's setup (method, options, datasets, jobs, ...); `default_empty` and no job:
    empty options, datasets and jobs."""
    if default_empty and not jobid:
        return DotDict(options=DotDict(), datasets=DotDict(), jobs=DotDict())
    job = _job(jobid)
    params = job.params
    from accel.dataset import Dataset  # as the Accelerator's: objects, not ids

    def typed(value: Any, make: Any) -> Any:
        if isinstance(value, list):
            return [make(v) for v in value]
        return make(value) if value else None

    params.datasets = DotDict((k, typed(v, Dataset))
                              for k, v in params.get("datasets", {}).items())
    params.jobs = DotDict((k, typed(v, Job)) for k, v in params.get("jobs", {}).items())
    params.jobid = Job(str(job))
    return params


def job_post(jobid: str | None = None) -> DotDict:
    """A finished job's post.json."""
    return _job(jobid).post


def json_save(variable: Any, filename: str | os.PathLike = "result.json",
              sliceno: int | None = None, sort_keys: bool = True, temp: bool | None = None,
              background: bool = False) -> SavedFile:
    """Save `variable` as JSON in the running job (`job.json_save`)."""
    return _current().json_save(variable, filename, sliceno, sort_keys, temp, background)


def json_load(filename: str = "result.json", jobid: str | None = None,
              sliceno: int | None = None) -> Any:
    """A job's JSON file, its objects as DotDicts (as the Accelerator's is)."""
    return to_dotdict(_job(jobid).json_load(filename, sliceno))


def pickle_save(variable: Any, filename: str | os.PathLike = "result.pickle",
                sliceno: int | None = None, temp: bool | None = None,
                background: bool = False) -> SavedFile:
    """Pickle `variable` in the running job (`job.save`)."""
    return _current().save(variable, filename, sliceno, temp, background)


def pickle_load(filename: str = "result.pickle", jobid: str | None = None,
                sliceno: int | None = None) -> Any:
    return _job(jobid).load(filename, sliceno)


def quote(s: object) -> str:
    """`s` as it is when it needs no quoting (non-empty, no whitespace, repr adds only
    the quotes), else its repr: for names in messages."""
    text = str(s)
    shown = repr(text)
    if text and len(shown) == len(text) + 2 and not any(c.isspace() for c in text):
        return text
    return shown
