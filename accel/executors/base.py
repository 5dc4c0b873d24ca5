"""The executor contract: run a job directory somewhere, tell when it has ended.

A submitted job ends with a post.json in its directory whose status is "finished",
"failed", "canceled" or "timeout" -- nothing else. The runner writes finished/failed;
when the runner could not (it was killed, the method called os._exit, the job was
stopped), the executor writes one with `record_death`.

The builder drives many handles at once through `Executor.wait_any`, waking now and
then (its `timeout`) to check deadlines and cancel requests; a handle never blocks it.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

from accel import records
from accel.disk import is_disk_error
from accel.jobstatus import CANCELED, ENDED, FAILED, TIMEOUT
from accel.records import status_of

__all__ = ["ENDED", "Executor", "Handle", "record_death"]


class Handle(ABC):
    """One submitted job."""

    path: Path

    @abstractmethod
    def wait(self, timeout: float | None = None) -> str | None:
        """Block until the job ended; its status (one of ENDED), or None on timeout.
        `wait(0)` polls."""

    @abstractmethod
    def has_ended(self) -> bool:
        """Has the job ended? Never blocks; settles the job's status when it has (what
        `wait(0)` and the executors' `wait_any` ask)."""

    def current_part(self) -> str:
        """The part the job runs now ('prepare', 'analysis', 'synthesis'), if known."""
        return ""

    def told_error(self) -> dict | None:
        """The error the runner reported when it could not write it into post.json (a
        full disk), if this executor heard it."""
        return None

    @abstractmethod
    def cancel(self, status: str = CANCELED, reason: str = "") -> str:
        """Stop the job and every process it started, wait for them to be gone, and
        return its status: `status` ('canceled' or 'timeout', with `reason` as the
        message), or what it had already ended with if it was quicker."""


class Executor(ABC):
    # Do jobs run on this machine? Then a builder's CPU budget (`cpus`) bounds them;
    # an executor whose jobs run elsewhere sets False, and its cluster bounds them.
    uses_local_cpus = True

    @abstractmethod
    def submit(self, path: Path, setup: dict | None = None) -> Handle:
        """Start running the job directory at `path` (`setup`: its setup.json, if at hand)."""

    def wait_any(self, handles: Sequence[Handle], timeout: float | None = None) -> list[Handle]:
        """The handles among `handles` that have ended -- at least one, unless `timeout`
        (seconds) passed first. This default polls; executors do better."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = 0.001
        while True:
            done = [h for h in handles if h.wait(0) is not None]
            if done or (deadline is not None and time.monotonic() >= deadline):
                return done
            left = 0.05 if deadline is None else max(0.0, min(0.05, deadline - time.monotonic()))
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)

    def close(self) -> None:
        """Release whatever the executor holds (processes, connections)."""
        return None


def record_death(path: Path, how: str, part: str = "", status: str = FAILED,
                 exception: str | None = None) -> str:
    """The runner is gone without writing post.json: write one saying so (`status`:
    failed, canceled or timeout), naming the part. `exception` names what went wrong in
    the error (by default ProcessDied, Canceled or Timeout, after `status`). A post.json
    already there wins."""
    if records.has_post(path):
        return status_of(path)
    part = part or "an unknown part"
    if exception is None:
        names: dict[str, str] = {FAILED: "ProcessDied", CANCELED: "Canceled", TIMEOUT: "Timeout"}
        exception = names[status]
    try:
        records.write_post(path, {
            "status": status,
            "jobid": path.name,
            "endtime": time.time(),
            "error": {"part": part, "exception": exception, "message": how, "traceback": ""},
        })
    except OSError as e:  # a full or read-only disk: the job stays unfinished, never reused
        if not is_disk_error(e):
            raise
    return status
