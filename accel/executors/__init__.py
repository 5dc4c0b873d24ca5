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
    raise NotImplementedError(f"executor {spec.kind!r} is not available yet")
