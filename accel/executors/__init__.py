"""Where jobs run: behind `Executor.submit(job_dir) -> Handle`."""

from accel.executors.base import Executor, Handle, record_death
from accel.executors.local import LocalExecutor

__all__ = ["Executor", "Handle", "LocalExecutor", "record_death"]
