"""Which datasets this process may read, and their meta.json, read once per process.

A dataset is there for other processes once its job has finished; the job that writes it
reads it as soon as its writer has finished it (own_finished). meta.json is cached per
process, and read again if the file was replaced.
"""

from __future__ import annotations

import os
from pathlib import Path

from accel.dataset import format as fmt
from accel.dataset.types import DatasetDamaged, NoSuchDatasetError
from accel.job import Job
from accel.jobstatus import FINISHED
from accel.layout import dataset_name
from accel.records import damage_of, status_of

_META_CACHE: dict[str, tuple[tuple, dict]] = {}
# the datasets this process finished (dw.finish() in a running job): the job reads them
# before it has finished; every other process waits until it has
_OWN: set[str] = set()


def own_finished(ds_dir: Path) -> None:
    """The writer has just written `ds_dir`'s meta.json: this process may read it now."""
    _OWN.add(str(ds_dir))


def forget_inherited() -> None:
    """A new job process forked from a running job (a subjob's): the datasets its parent
    finished early are not its own, and what the parent read may have changed since."""
    _OWN.clear()
    _META_CACHE.clear()


def load_meta(job: Job, name: str) -> dict:
    """meta.json, read once per process (and again if the file was replaced: a job id
    can be reused after `ax gc`)."""
    path = fmt.dataset_dir(job.path, name)
    key = str(path)
    try:
        st = os.stat(path / fmt.META)
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = _META_CACHE.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        damage = damage_of(job.path)  # a job whose records do not read is not read either
        if damage is not None:
            raise damage
        meta = fmt.read_meta(path)
        if key not in _OWN:
            status = status_of(job.path)
            if status != FINISHED:  # its datasets exist once it has finished, if it does
                raise NoSuchDatasetError(f"job {job} has no dataset {name!r} yet: the job is "
                                         f"{status} (its datasets are there once it has "
                                         "finished)")
    except FileNotFoundError:
        raise no_such_dataset(job, name) from None
    except DatasetDamaged as e:
        raise DatasetDamaged(f"dataset {job}/{name}: {e}") from None
    _META_CACHE[key] = (stamp, meta)
    return meta


def no_such_dataset(job: Job, name: str) -> NoSuchDatasetError:
    """The error for a dataset `job` does not have, saying which ones it has."""
    names = dataset_names(job)
    status = status_of(job.path)
    why = "" if status == FINISHED else f"; the job is {status}"
    have = f" (its datasets: {', '.join(names)})" if names else " (it has no datasets)"
    return NoSuchDatasetError(f"job {job} has no dataset {name!r}{have}{why}")


def dataset_names(job: Job) -> list[str]:
    """The finished datasets of a job, from what is on disk."""
    base = Path(job.path) / fmt.DATASETS
    if not base.is_dir():
        return []
    return sorted(dataset_name(p.parent.name) for p in base.glob(f"*/{fmt.META}"))

