"""Locks the kernel drops when their holder dies, so a killed builder blocks nobody.

`FlockLock` locks a whole file. `ByteLock` locks one byte of a shared file with an
open-file-description lock (Linux F_OFD_SETLK): the identity locks are one byte each in
a single `locks` file per workdir, so taking the lock of a new identity creates no file
-- a file creation is a good part of what a new job costs. OFD locks belong to the open
file, not the process, so threads and forks behave as with flock.
"""

from __future__ import annotations

import fcntl
import os
import struct
import time
from pathlib import Path

_FLOCK = "hhqqi4x"  # struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for OFD)

# fds of the locks this process holds: a forked job closes them (`close_held`), or it
# would keep its builder's other locks -- OFD locks and flocks are shared across fork --
# until it exits
_held: set[int] = set()


def hold_fd(fd: int) -> None:
    """Count `fd` (a lock held some other way) among those a forked job lets go of."""
    _held.add(fd)


def unhold_fd(fd: int) -> None:
    _held.discard(fd)


def close_held() -> None:
    """In a freshly forked child: let go of the parent's locks (the parent keeps them)."""
    for fd in _held:
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


class FlockLock:
    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def _try(self, fd: int, blocking: bool) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """True once held; False if not blocking (or timed out) and someone else holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                self._try(fd, blocking and deadline is None)
                self.fd = fd
                _held.add(fd)
                return True
            except BlockingIOError:
                if not blocking or (deadline is not None and time.monotonic() >= deadline):
                    os.close(fd)
                    return False
                time.sleep(0.02)

    def release(self) -> None:
        if self.fd is not None:
            _held.discard(self.fd)
            os.close(self.fd)  # closing drops the lock
            self.fd = None

    def __enter__(self) -> FlockLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class SharedFlockLock(FlockLock):
    """A flock many may hold at once, while no one holds the file's FlockLock."""

    def _try(self, fd: int, blocking: bool) -> None:
        fcntl.flock(fd, fcntl.LOCK_SH | (0 if blocking else fcntl.LOCK_NB))


class ByteLock(FlockLock):
    """Byte `offset` of the file at `path`, locked for writing."""

    def __init__(self, path: Path, offset: int):
        super().__init__(path)
        self.offset = offset

    def _try(self, fd: int, blocking: bool) -> None:
        request = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, self.offset, 1, 0)
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLKW if blocking else fcntl.F_OFD_SETLK, request)
        except PermissionError:  # EACCES is the other "someone holds it"
            raise BlockingIOError(self.offset)


class LockSet:
    """Several locks held together, taken in a fixed order: all or none. For the identity
    lock of a project with several workdirs: one byte in each workdir's lock file, so two
    builds of one identity into different target workdirs still exclude each other."""

    def __init__(self, locks: list[ByteLock]):
        self.locks = sorted(locks, key=lambda lock: str(lock.path))

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        taken: list[ByteLock] = []
        for lock in self.locks:
            if not lock.acquire(blocking, timeout):
                for held in reversed(taken):
                    held.release()
                return False
            taken.append(lock)
        return True

    def release(self) -> None:
        for lock in reversed(self.locks):
            lock.release()
