"""CPUs shared by every build on this machine, so two `ax run`s at once do not each use
all of them.

Slot i of the budget is byte i of one file per user (`cpu slots:` in a project's
accelerator.conf names another, so does `ACCEL_CPU_SLOTS`), held with a POSIX record
lock (fcntl F_SETLK). Those belong to the process, not to an open
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

A deleted or replaced file (`rm -rf /tmp/*`, a temp cleaner, a rename over it): the
locks of the builds that hold CPUs stay on the old file, which the next build no longer
finds at the path -- it would make a new, empty one and see every CPU free. So:
- a holder compares its file with the one at the path (stat against fstat) whenever it
  takes a slot and every tick of its build loop, and when they differ it opens the one
  there (making it if need be), locks its slots in it, and only then closes the old one;
- a build that finds a process still holding locks through an open file that was at this
  path and has been deleted since (/proc/locks names the processes, their fd links say
  "PATH (deleted)", fdinfo lists the locks taken through that fd) takes nothing until
  there is none: the holders have moved (within a tick) or let go. Without this, a
  holder that is busy (in a `build_many` callback, say) would not move in time;
- a slot locked just as the file is replaced is let go again (we look at the path after
  locking), so a build that looked for such holders a moment before cannot miss it.
Processes of other users are not visible in /proc: with a file shared between users,
their holders still move, but a build that starts before they have is not held back.

Who holds the slots (F_GETLK names the process of each lock) and what for (the records
of `cpuholders`) is what a waiting build and `ax status` show.
"""

from __future__ import annotations

import errno
import fcntl
import itertools
import os
import struct
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from accel import cpuholders

ENV_VAR = "ACCEL_CPU_SLOTS"
TURNSTILE = 2**31 - 1  # the byte of the turnstile; slots are bytes 0..cpus-1
_T = TypeVar("_T")


def slots_path(configured: Path | None = None) -> Path:
    """The slots file a project's builds share CPUs through: `configured` (`cpu slots:`
    in its accelerator.conf), else $ACCEL_CPU_SLOTS, else the user's own."""
    if configured is not None:
        return configured
    given = os.environ.get(ENV_VAR)
    if given:
        return Path(given)
    return _users_own()


def _users_own() -> Path:
    return Path(tempfile.gettempdir()) / f"accel-{os.getuid()}" / "cpu-slots"


class _SlotsFile:
    """The slots file at one path, opened once by this process and never closed."""

    def __init__(self, path: Path, shared: bool):
        self.path = path
        self.shared = shared  # named (conf or ACCEL_CPU_SLOTS): others may own it
        self.record = cpuholders.Record(cpuholders.folder_of(path), private=not shared)
        self._fd: int | None = None
        self._pid = 0
        self.mine: set[int] = set()  # bytes this process holds: its slots, the turnstile
        self._settled = False  # nobody holds slots in a deleted file of this path (ready)

    def _open(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child holds none
            self._fd, self._pid, self.mine = self._open_path(), os.getpid(), set()
            self._settled = False
        return self._fd

    def _open_path(self) -> int:
        self.path.parent.mkdir(mode=0o777 if self.shared else 0o700, parents=True,
                               exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                     0o666 if self.shared else 0o600)
        if not self.shared and os.fstat(fd).st_uid != os.getuid():
            os.close(fd)  # someone else's file could hold our CPUs forever
            raise PermissionError(f"{self.path} belongs to another user")
        return fd

    def _at_path(self) -> bool:
        """Is our open file still the one at the path?"""
        try:
            there = os.stat(self.path)
        except FileNotFoundError:
            return False
        assert self._fd is not None  # callers open the file first
        ours = os.fstat(self._fd)
        return (there.st_dev, there.st_ino) == (ours.st_dev, ours.st_ino)

    def follow(self) -> None:
        """If the file at the path is not ours any more (deleted or replaced), move to the
        one there, made if need be: lock in it the bytes we hold, then let the old go."""
        self._open()
        if self._at_path():
            return
        new = self._open_path()
        try:
            self.mine = {byte for byte in sorted(self.mine) if _lock(new, byte)}
        except BaseException:
            os.close(new)
            raise
        old, self._fd, self._settled = self._fd, new, False
        assert old is not None  # opened above
        os.close(old)  # and with it our locks in the old file
        self.record.rewrite()  # its folder may have gone with it

    def ready(self) -> bool:
        """May this process take slots from the file at the path? Not while another
        process holds slots in one that was there before and has been deleted since:
        those CPUs are in use, and its holders will lock them here as soon as they look."""
        self.follow()
        if not self._settled:
            self._settled = not _holders_of_a_deleted(self.path)
        return self._settled

    def take(self, byte: int) -> bool:
        """Lock `byte` if nobody holds it (a process's own locks never conflict with each
        other, so what we hold counts as taken)."""
        fd = self._open()
        if byte in self.mine or not _lock(fd, byte):
            return False
        self.mine.add(byte)
        if not self._at_path():  # replaced as we locked: a newcomer may have missed it
            self.give(byte)
            return False
        return True

    def give(self, byte: int) -> None:
        if byte in self.mine and self._pid == os.getpid():
            assert self._fd is not None  # it holds a byte, so it is open
            self.mine.discard(byte)
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, byte)

    def held(self) -> dict[int, int]:
        """How many slots each other process holds: {pid: slots} (a turnstile alone
        is none)."""
        fd = self._fd if self._fd is not None and self._pid == os.getpid() else None
        if fd is None:  # no locks of ours to lose by closing another fd of the file
            try:
                fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                return {}
            try:
                return _held(fd)
            finally:
                os.close(fd)
        return _held(fd)

    def give_all(self) -> None:
        """Unlock every byte this process holds, whatever it knows of (after an
        interruption between locking a byte and noting where it went)."""
        if self._fd is not None and self._pid == os.getpid():
            self.mine = set()
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 0, 0)


def _lock(fd: int, byte: int) -> bool:
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, byte)
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EAGAIN):
            return False
        raise
    return True


_FLOCK = struct.Struct("@hhqqi")  # struct flock: type, whence, start, len, pid


def _held(fd: int) -> dict[int, int]:
    """{pid: slots it locks} in the file of `fd`, as the kernel says (F_GETLK names a
    lock's process, and other processes' locks only)."""
    held: dict[int, int] = {}
    ranges = [(0, TURNSTILE)]
    while ranges:
        start, end = ranges.pop()
        if start >= end:
            continue
        query = _FLOCK.pack(fcntl.F_WRLCK, os.SEEK_SET, start, end - start, 0) + bytes(8)
        kind, _, at, length, pid = _FLOCK.unpack_from(fcntl.fcntl(fd, fcntl.F_GETLK, query))
        if kind == fcntl.F_UNLCK:
            continue
        stop = end if length == 0 else min(end, at + length)
        at = max(at, start)
        held[pid] = held.get(pid, 0) + stop - at
        ranges += [(start, at), (stop, end)]  # one lock per answer: look on either side
    return held


def _holders_of_a_deleted(path: Path) -> bool:
    """Does another process hold POSIX locks through an open file that was at `path` and
    has been deleted (or replaced) since? Only processes with POSIX locks are looked at
    (/proc/locks), and of those only what this user may read."""
    try:
        with open("/proc/locks") as f:
            lines = f.read().splitlines()
    except OSError:
        return False
    pids = set()
    for line in lines:  # "1: POSIX  ADVISORY  WRITE PID MAJ:MIN:INODE START END"
        fields = line.split()
        if len(fields) > 4 and fields[1] == "POSIX" and fields[4].isdigit():
            pids.add(int(fields[4]))
    pids -= {0, os.getpid()}
    deleted = f"{path} (deleted)"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:  # gone, or not ours to read
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") != deleted:
                    continue
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    # the locks its process took through this fd (a forked job's copy of
                    # its builder's fd shows none)
                    if "\nlock:" in f.read():
                        return True
            except OSError:
                continue
    return False


_files: dict[str, _SlotsFile] = {}
_pools: dict[tuple[str, int], CpuSlots] = {}
_claims = itertools.count()


def _file(path: Path) -> _SlotsFile:
    key = os.path.realpath(path)  # one open file per file: a second fd's close would
    if key not in _files:         # drop the first's locks
        _files[key] = _SlotsFile(Path(key), shared=path != _users_own())
    return _files[key]


def for_builds(cpus: int, path: Path | None = None, project: str = "",
               build: str = "") -> CpuSlots:
    """The slots at `path` (`slots_path()`) as this process's builds see them with budget
    `cpus` (one object per budget, so what it has said, and found broken, it says once);
    `project` and `build` are what its record says this process is."""
    path = slots_path(path)
    key = (os.path.realpath(path), cpus)
    if key not in _pools:
        _pools[key] = CpuSlots(cpus, path)
    _pools[key]._file.record.who = {"project": project, "build": build}
    return _pools[key]


def usage(path: Path) -> tuple[list[dict], list[dict]]:
    """(holders, waiting) of the slots file at `path`, other than this process: who holds
    CPUs (its PID, project, build, CPUs, jobs, since when) and who waits for them. Dead
    processes hold no locks, and their records are not read."""
    f = _file(path)
    try:
        held = f.held()
    except OSError:
        held = {}
    held.pop(os.getpid(), None)
    holders, waiting = cpuholders.usage(f.record.folder, held)
    return holders, [w for w in waiting if w["pid"] != os.getpid()]


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
        self._key = next(_claims)

    def runs(self, job: str, method: str) -> None:
        """What they are used for, in this process's record."""
        if self._file is not None and self.slots:
            self._file.record.runs(self._key, job, method, len(self.slots))

    def release(self) -> None:
        if self._file is not None:
            for slot in self.slots:
                self._file.give(slot)
            self._file.record.ended(self._key)
        self.slots = []


class CpuSlots:
    """One budget's view of the shared slots: nothing here blocks."""

    def __init__(self, cpus: int, path: Path | None = None):
        self.cpus = max(1, cpus)
        self._file = _file(slots_path(path))
        self.path = self._file.path
        self.told_waiting = False  # the builder has said it waits for other builds' CPUs
        self._gathered: list[int] = []
        self._broken = False

    def try_take(self, n: int, wants: str = "") -> Claim | None:
        """`n` CPUs (at most the budget) as a Claim, or None while other builds use them
        (the record says this build waits for them, for `wants`).

        Without the slots file (no temp folder, say) the build counts only its own jobs,
        as if alone on the machine: one note, and an empty claim."""
        n = min(max(1, n), self.cpus)
        claim = self._guarded(self._try_take, n)
        if claim is None:
            self._file.record.waits(wants, n)
        else:
            self._file.record.stops_waiting()
        return claim

    def usage(self) -> tuple[list[dict], list[dict]]:
        """(holders, waiting) of these slots (see `usage`)."""
        return usage(self.path)

    def take_free(self, n: int) -> Claim:
        """Up to `n` CPUs that are free now, maybe none: for builds that must not wait
        (inside a job, or in a callback of a running build), but should be counted."""
        return self._guarded(self._take_free, min(max(1, n), self.cpus))

    def _guarded(self, take: Callable[[int], _T], n: int) -> _T | Claim:
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
        if self._file.ready():
            self._free_slots(n, got)
        return Claim(self._file, got)

    def _try_take(self, n: int) -> Claim | None:
        f = self._file
        if not f.ready():
            return None  # builds that hold CPUs in a deleted slots file have not moved yet
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

    def keep(self) -> None:
        """Every tick of a build loop: if the slots file was deleted or replaced, the CPUs
        this process holds move into the one at the path, where other builds look."""
        if self._broken or not self._file.mine:
            return
        try:
            self._file.follow()
        except OSError:
            pass  # no file to move to now: the next tick tries again

    def stop_gathering(self) -> None:
        """Let go of a part gathered for a job that will not start now, and the turnstile."""
        for slot in self._gathered:
            self._file.give(slot)
        self._gathered = []
        self._file.give(TURNSTILE)
        self._file.record.stops_waiting()
