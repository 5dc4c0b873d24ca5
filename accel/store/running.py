"""Which jobs run now, seen from any terminal: `ax status`, `ax abort`, `ax gc`.

Each builder process that runs jobs in a workdir keeps one file there,
`<workdir>/.accel/running/PID@HOST`, listing its running jobs, one line each:
"JOBID STARTTIME PART". It is created once and then rewritten in place (a write and a
truncate: no file created per job, which is most of what a new job costs), and the
builder holds an flock on it for as long as it lives (it is made under a dot name and
renamed once locked, so no reader sees it unlocked). A file whose builder is gone
(killed) is stale: readers remove it. A reader may catch a file mid-rewrite; lines that
don't parse are skipped, and the next look is whole again.

A cancel request is a file `<jobid>.cancel` in the same folder holding the wanted
status. The builder running the job notices it (it watches the folder's mtime, one stat)
and stops the job.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from accel.flocks import flock_held
from accel.jobstatus import CANCELED
from accel.store.locks import hold_fd, unhold_fd
from accel.store.workdir import Workdir

HOST = socket.gethostname()
CANCEL = ".cancel"
# A folder's mtime comes from a coarse clock: a change made within the same tick as the
# one we saw leaves it as it was. An mtime this recent is not trusted to mean "nothing new".
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class RunningJob:
    jobid: str
    path: Path  # the job directory
    builder_pid: int
    host: str
    started: float
    part: str = ""


class Running:
    """The running-jobs registry of one workdir. `readonly`: only look -- make no folder,
    remove no dead builder's file."""

    def __init__(self, workdir: Workdir, readonly: bool = False):
        self.workdir = workdir
        self.readonly = readonly
        self._dir: Path | None = None
        self._fd: int | None = None  # our own file
        self._size = 0  # of what we last wrote in it
        self._pid = 0  # the process that opened it (a fork must not write the parent's)
        self._mine: dict[str, tuple[float, str]] = {}  # jobid -> (started, part)
        self._dir_mtime = 0
        self._requests: dict[str, str] = {}  # jobid -> status, as of _dir_mtime

    @property
    def dir(self) -> Path:
        if self._dir is None:
            if self.readonly:
                return self.workdir.meta / "running"
            self._dir = self.workdir.meta_dir("running")
        return self._dir

    # --- the builder's side --------------------------------------------------------

    def add(self, jobid: str) -> float:
        """Register `jobid` as running (from now); returns its start time."""
        self._own()
        started = time.time()
        self._mine[jobid] = (started, "")
        self._write()
        return started

    def update(self, jobid: str, started: float, part: str) -> None:
        """Say which part `jobid` runs now."""
        self._own()
        if jobid in self._mine:
            self._mine[jobid] = (started, part)
            self._write()

    def remove(self, jobid: str) -> None:
        self._own()
        if self._mine.pop(jobid, None) is not None:
            self._write()
        if jobid in self._requests:  # the request is done with
            try:
                os.unlink(self.dir / (jobid + CANCEL))
            except FileNotFoundError:
                pass

    def cancel_requested(self, jobid: str) -> str | None:
        """The status a cancel request for `jobid` asks for, or None. Cheap: one stat of
        the folder, and a look inside only when something was written there since."""
        try:
            mtime = os.stat(self.dir).st_mtime_ns
        except FileNotFoundError:
            return None
        if mtime != self._dir_mtime:
            self._dir_mtime = mtime if time.time_ns() - mtime > RACY_NS else 0
            self._requests = {}
            for name in os.listdir(self.dir):
                if name.endswith(CANCEL) and not name.startswith("."):
                    try:
                        wanted = (self.dir / name).read_text().strip()
                    except FileNotFoundError:
                        continue
                    self._requests[name[:-len(CANCEL)]] = wanted or CANCELED
        return self._requests.get(jobid)

    def _own(self) -> None:
        """In a process forked from a builder, this registry starts empty, in a file of
        its own: the parent's jobs are the parent's."""
        if self._pid != os.getpid():
            if self._pid:
                self._mine = {}
            self._fd, self._pid = None, os.getpid()

    def _write(self) -> None:
        fd = self._fd if self._fd is not None else self._open()
        data = "".join(f"{j} {s:.3f} {p}\n" for j, (s, p) in self._mine.items()).encode()
        if data:
            os.pwrite(fd, data, 0)
        if len(data) < self._size:  # only a shorter list leaves a tail to cut
            os.ftruncate(fd, len(data))
        self._size = len(data)

    def _open(self) -> int:
        name = f"{os.getpid()}@{HOST}"
        tmp = self.dir / f".{name}"  # readers skip it: unlocked, it would look stale
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        self._size = 0
        fcntl.flock(fd, fcntl.LOCK_EX)  # held while we live: how readers know we do
        os.rename(tmp, self.dir / name)
        hold_fd(fd)  # a forked job lets go of it
        self._fd = fd
        return fd

    def close(self) -> None:
        """The builder is done: its file goes (a killed builder's goes stale instead)."""
        if self._fd is not None and self._pid == os.getpid():
            _remove(self.dir / f"{os.getpid()}@{HOST}")
            unhold_fd(self._fd)
            os.close(self._fd)
            self._fd = None

    # --- anyone's side -------------------------------------------------------------

    def _builder_files(self) -> list[tuple[Path, int, str]]:
        """(file, pid, host) of every live builder's file; stale ones removed."""
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return []
        except OSError:
            if self.readonly:  # a viewer shows what it can
                return []
            raise  # gc must not take "cannot look" for "nothing runs"
        found = []
        for name in names:
            pid, at, host = name.partition("@")
            if not at or not pid.isdigit():
                continue
            path = self.dir / name
            if _alive(path, int(pid), host):
                found.append((path, int(pid), host))
            elif not self.readonly:
                _remove(path)
        return found

    def builders(self) -> list[tuple[int, str]]:
        """(pid, host) of every live builder that has run a job here, also between jobs."""
        return [(pid, host) for _, pid, host in self._builder_files()]

    def entries(self) -> list[RunningJob]:
        """Every running job of every live builder, oldest first; stale files removed."""
        found: list[RunningJob] = []
        for path, pid, host in self._builder_files():
            try:
                text = path.read_text()
            except OSError:
                continue
            for line in text.splitlines():
                jobid, _, rest = line.partition(" ")
                started, _, part = rest.partition(" ")
                try:
                    found.append(RunningJob(jobid, self.workdir.path / jobid, int(pid), host,
                                            float(started), part))
                except ValueError:
                    continue
        return sorted(found, key=lambda j: (j.started, j.jobid))

    def get(self, jobid: str) -> RunningJob | None:
        """`jobid`'s entry, if a live builder runs it."""
        return next((e for e in self.entries() if e.jobid == jobid), None)

    def request_cancel(self, jobid: str, status: str = CANCELED) -> bool:
        """Ask the builder running `jobid` to stop it; False if it is not running."""
        if self.get(jobid) is None:
            return False
        tmp = self.dir / f".{jobid}{CANCEL}.{os.getpid()}"
        tmp.write_text(status)
        os.replace(tmp, self.dir / (jobid + CANCEL))
        return True


def _alive(path: Path, pid: int, host: str) -> bool:
    """Does the builder that owns this file still live? Its flock says so."""
    if flock_held(path):
        return True
    # a lock taken on another machine may not be visible here
    return host != HOST and os.path.exists(path)


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
