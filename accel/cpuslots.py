"""CPUs shared by every build on this machine, so two `ax run`s at once do not each use
all of them.

Slot i of the budget is byte i of one file per user (`ACCEL_CPU_SLOTS` names another),
held with a POSIX record lock (fcntl F_SETLK). Those belong to the process, not to an open
file: the kernel drops them when their builder dies, so a killed build never keeps CPUs
and there is nothing to clean up, and a forked job does not inherit them (with the
open-file-description locks `store.locks` uses, a job forked a moment before its
neighbour ended would hold that neighbour's CPU until it got round to closing the copy).
Their one trap -- closing any fd of the file drops all of a process's locks on it -- is
kept away by opening the file once per process and never closing it. A builder whose
budget is `cpus` draws from slots 0..cpus-1; a job takes as many slots as it counts CPUs.

Fairness: a builder that cannot get every slot its next job needs holds the turnstile
(one more byte) and keeps the slots it got, taking more as they come free, while other
builders wait at the turnstile -- so a stream of small jobs from one build does not starve
a big job of another. Only the turnstile's holder ever holds part of what it needs, and a
holder of whole claims only waits for its own jobs, so nobody waits in a circle.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import tempfile
from pathlib import Path

ENV_VAR = "ACCEL_CPU_SLOTS"
TURNSTILE = 2**31 - 1  # the byte of the turnstile; slots are bytes 0..cpus-1


def default_path() -> Path:
    given = os.environ.get(ENV_VAR)
    if given:
        return Path(given)
    return Path(tempfile.gettempdir()) / f"accel-{os.getuid()}" / "cpu-slots"


class _SlotsFile:
    """The slots file at one path, opened once by this process and never closed."""

    def __init__(self, path: Path, shared: bool):
        self.path = path
        self.shared = shared  # named by ACCEL_CPU_SLOTS: others may own it
        self._fd: int | None = None
        self._pid = 0
        self.mine: set[int] = set()  # bytes this process holds: its slots, the turnstile

    def _open(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child holds none
            if not self.shared:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                         0o666 if self.shared else 0o600)
            if not self.shared and os.fstat(fd).st_uid != os.getuid():
                os.close(fd)  # someone else's file could hold our CPUs forever
                raise PermissionError(f"{self.path} belongs to another user")
            self._fd, self._pid, self.mine = fd, os.getpid(), set()
        return self._fd

    def take(self, byte: int) -> bool:
        """Lock `byte` if nobody holds it (a process's own locks never conflict with each
        other, so what we hold counts as taken)."""
        fd = self._open()
        if byte in self.mine:
            return False
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, byte)
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EAGAIN):
                return False
            raise
        self.mine.add(byte)
        return True

    def give(self, byte: int) -> None:
        if byte in self.mine and self._pid == os.getpid():
            self.mine.discard(byte)
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, byte)

    def give_all(self) -> None:
        """Unlock every byte this process holds, whatever it knows of (after an
        interruption between locking a byte and noting where it went)."""
        if self._fd is not None and self._pid == os.getpid():
            self.mine = set()
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 0, 0)


_files: dict[str, _SlotsFile] = {}
_pools: dict[tuple[str, int], CpuSlots] = {}


def _file(path: Path) -> _SlotsFile:
    key = os.path.realpath(path)  # one open file per file: a second fd's close would
    if key not in _files:         # drop the first's locks
        _files[key] = _SlotsFile(Path(key), shared=bool(os.environ.get(ENV_VAR)))
    return _files[key]


def for_builds(cpus: int) -> CpuSlots:
    """The shared slots as this process's builds see them with budget `cpus` (one object
    per budget, so what it has said, and found broken, it says once)."""
    key = (os.path.realpath(default_path()), cpus)
    if key not in _pools:
        _pools[key] = CpuSlots(cpus)
    return _pools[key]


def release_all() -> None:
    """This process holds no CPUs any more (its last build loop has ended)."""
    for f in _files.values():
        try:
            f.give_all()
        except OSError:
            pass
    for pool in _pools.values():
        pool._gathered = []


class Claim:
    """CPUs one job holds until `release()`."""

    def __init__(self, slots_file: _SlotsFile | None, slots: list[int]):
        self._file = slots_file
        self.slots = slots

    def release(self) -> None:
        if self._file is not None:
            for slot in self.slots:
                self._file.give(slot)
        self.slots = []


class CpuSlots:
    """One budget's view of the shared slots: nothing here blocks."""

    def __init__(self, cpus: int, path: Path | None = None):
        self.cpus = max(1, cpus)
        self._file = _file(path or default_path())
        self.path = self._file.path
        self.told_waiting = False  # the builder has said it waits for other builds' CPUs
        self._gathered: list[int] = []
        self._broken = False

    def try_take(self, n: int) -> Claim | None:
        """`n` CPUs (at most the budget) as a Claim, or None while other builds use them.

        Without the slots file (no temp folder, say) the build counts only its own jobs,
        as if alone on the machine: one note, and an empty claim."""
        return self._guarded(self._try_take, min(max(1, n), self.cpus))

    def take_free(self, n: int) -> Claim:
        """Up to `n` CPUs that are free now, maybe none: for builds that must not wait
        (inside a job, or in a callback of a running build), but should be counted."""
        return self._guarded(self._take_free, min(max(1, n), self.cpus))

    def _guarded(self, take, n: int) -> Claim | None:
        if self._broken:
            return Claim(None, [])
        try:
            return take(n)
        except OSError as e:
            self._broken = True
            self.stop_gathering()
            print(f"accel: cannot use the shared CPU budget in {self.path} ({e}); this build "
                  "counts only its own jobs", file=sys.stderr, flush=True)
            return Claim(None, [])

    def _free_slots(self, n: int, into: list[int]) -> None:
        """Take free slots into `into` until it has n, the highest first: a build with a
        smaller budget can use only the low ones."""
        for slot in range(self.cpus - 1, -1, -1):
            if len(into) >= n:
                break
            if self._file.take(slot):
                into.append(slot)

    def _take_free(self, n: int) -> Claim:
        got: list[int] = []
        self._free_slots(n, got)
        return Claim(self._file, got)

    def _try_take(self, n: int) -> Claim | None:
        f = self._file
        if TURNSTILE not in f.mine and not f.take(TURNSTILE):
            return None  # another build is gathering CPUs for a job: it goes first
        self._free_slots(n, self._gathered)
        while len(self._gathered) > n:  # the job we gather for changed to a smaller one
            f.give(self._gathered.pop())
        if len(self._gathered) < n:
            return None
        f.give(TURNSTILE)
        claim, self._gathered = Claim(f, self._gathered), []
        return claim

    def stop_gathering(self) -> None:
        """Let go of a part gathered for a job that will not start now, and the turnstile."""
        for slot in self._gathered:
            self._file.give(slot)
        self._gathered = []
        self._file.give(TURNSTILE)
