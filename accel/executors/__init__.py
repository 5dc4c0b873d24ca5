"""Where jobs run: behind `Executor.submit(job_dir) -> Handle`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accel.executors.base import ENDED, Executor, Handle, record_death
from accel.executors.local import LocalExecutor

if TYPE_CHECKING:
    from accel.config import ExecutorSpec

__all__ = ["ENDED", "Executor", "Handle", "LocalExecutor", "make_executor", "record_death"]


def make_executor(spec: ExecutorSpec, echo: bool = True) -> Executor:
    """The executor `accelerator.conf` (or `ax run --executor`) asks for."""
    if spec.kind == "local":
        return LocalExecutor(echo=echo)
    if spec.kind == "dask":
        import os

        if os.environ.get("ACCEL_DASK_WORKER"):
            # inside a job a Dask worker runs: its subjobs run right here, in the job's
            # own reservation (queueing them on the cluster could wait for our own slot)
            return LocalExecutor(echo=echo)
        from accel.executors.dask import DaskExecutor  # only now: local builds never load dask

        return DaskExecutor(spec, echo=echo)
    raise NotImplementedError(f"executor {spec.kind!r} is not available yet")
