"""The executor contract: run a job directory somewhere, tell when it has ended.

A submitted job ends with a post.json in its directory saying "finished" or "failed"
-- nothing else. The runner writes it; when the runner could not (it was killed, or the
method called os._exit), the executor writes a failed one with `record_death`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from accel import layout
from accel.atomic import write_json
from accel.job import status_of


class Handle(ABC):
    """One submitted job."""

    path: Path

    @abstractmethod
    def wait(self, timeout: float | None = None) -> str | None:
        """Block until the job ended; its status ('finished' or 'failed'), or None on timeout."""

    @abstractmethod
    def cancel(self) -> None:
        """Stop the job and everything it started; it ends failed."""


class Executor(ABC):
    @abstractmethod
    def submit(self, path: Path, setup: dict | None = None) -> Handle:
        """Start running the job directory at `path` (`setup`: its setup.json, if at hand)."""

    def close(self) -> None:
        """Release whatever the executor holds (processes, connections)."""
        return None


def record_death(path: Path, how: str, part: str = "") -> str:
    """The runner is gone without writing post.json: write a failed one, naming the part."""
    if (path / layout.POST).exists():
        return status_of(path)
    part = part or "an unknown part"
    write_json(path / layout.POST, {
        "status": "failed",
        "jobid": path.name,
        "error": {"part": part, "exception": "ProcessDied", "message": how, "traceback": ""},
    })
    return "failed"
