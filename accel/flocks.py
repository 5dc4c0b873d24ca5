"""Is a file flocked by a live process? The kernel drops a flock when its holder dies, so
a held one means the holder lives: a runner on its job directory, a builder on its file
in the running registry, an `ax run` on the record of its run."""

from __future__ import annotations

import fcntl
import os


def flock_held(path: str | os.PathLike) -> bool:
    """Does a live process hold a flock on `path` (file or folder) that a shared lock now
    has to wait for? False also when there is no such file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
