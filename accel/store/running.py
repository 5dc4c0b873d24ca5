"""Which jobs run now, seen from any terminal: `ax status`, `ax abort`, `ax gc`.

One entry per running job in `<workdir>/.accel/running/`: a symlink named after the job
whose target is "BUILDER_PID HOST STARTTIME [PART]" (made and read in one system call
each; nothing to parse but a string). The builder adds it just after allocating the job
directory, rewrites it when a job that runs a while moves on to another part, and
removes it once the job has ended. An entry whose builder is gone (killed) is stale:
readers drop it.

A cancel request is a file `<jobid>.cancel` beside it holding the wanted status; the
builder that runs the job looks for it a few times a second and stops the job.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from accel.store.workdir import Workdir

HOST = socket.gethostname()
CANCEL = ".cancel"


@dataclass(frozen=True)
class RunningJob:
    jobid: str
    path: Path  # the job directory
    builder_pid: int
    host: str
    started: float
    part: str = ""

    @property
    def builder_alive(self) -> bool:
        if self.host != HOST:
            return True  # cannot tell from here: trust the entry
        try:
            os.kill(self.builder_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class Running:
    """The running-jobs registry of one workdir."""

    def __init__(self, workdir: Workdir):
        self.workdir = workdir
        self._dir: Path | None = None

    @property
    def dir(self) -> Path:
        if self._dir is None:
            self._dir = self.workdir.meta_dir("running")
        return self._dir

    def add(self, jobid: str) -> float:
        """Register `jobid` as running (from now); returns its start time."""
        entry = self.dir / jobid
        try:  # an old request for a number reused after `ax gc`
            os.unlink(self.dir / (jobid + CANCEL))
        except FileNotFoundError:
            pass
        started = time.time()
        target = f"{os.getpid()} {HOST} {started:.3f}"
        try:
            os.symlink(target, entry)
        except FileExistsError:  # a stale entry of a job number reused after `ax gc`
            os.unlink(entry)
            os.symlink(target, entry)
        return started

    def update(self, jobid: str, started: float, part: str) -> None:
        """Say which part `jobid` runs now."""
        tmp = self.dir / f".{jobid}.{os.getpid()}"
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(f"{os.getpid()} {HOST} {started:.3f} {part}", tmp)
        os.replace(tmp, self.dir / jobid)

    def remove(self, jobid: str) -> None:
        for name in (jobid, jobid + CANCEL):
            try:
                os.unlink(self.dir / name)
            except FileNotFoundError:
                pass

    def get(self, jobid: str) -> RunningJob | None:
        """The live entry of `jobid`, if it is running (or about to)."""
        try:
            target = os.readlink(self.dir / jobid)
        except OSError:
            return None
        job = self._parse(jobid, target)
        if job is None or not job.builder_alive:
            self.remove(jobid)
            return None
        return job

    def entries(self) -> list[RunningJob]:
        """Every live entry, oldest first; stale ones are dropped on the way."""
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return []
        found = [job for name in names if not name.endswith(CANCEL) and not name.startswith(".")
                 for job in [self.get(name)] if job is not None]
        return sorted(found, key=lambda j: (j.started, j.jobid))

    def request_cancel(self, jobid: str, status: str = "canceled") -> bool:
        """Ask the builder running `jobid` to stop it; False if it is not running."""
        if self.get(jobid) is None:
            return False
        tmp = self.dir / f".{jobid}{CANCEL}.{os.getpid()}"
        tmp.write_text(status)
        os.replace(tmp, self.dir / (jobid + CANCEL))
        return True

    def cancel_requested(self, jobid: str) -> str | None:
        """The status a cancel request asks for, or None."""
        try:
            return (self.dir / (jobid + CANCEL)).read_text().strip() or "canceled"
        except FileNotFoundError:
            return None

    def _parse(self, jobid: str, target: str) -> RunningJob | None:
        try:
            pid, host, started, *part = target.split(" ", 3)
            return RunningJob(jobid, self.workdir.path / jobid, int(pid), host, float(started),
                              part[0] if part else "")
        except ValueError:
            return None
