"""A full, over-quota or read-only disk, said the same way wherever accel meets one.

An OSError with errno ENOSPC, EDQUOT or EROFS is not the fault of the code that was
writing: the user needs to hear which device is in the way, named by the workdir it holds
("no space left on the device holding /data/workdirs/dev"), not a traceback.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TypeGuard

from accel import layout

DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})
# a device with less than this free is taken to be the full one a write without a file
# name failed on (the failed write itself has used up what was left)
NEARLY_FULL = 1 << 20


def is_disk_error(exc: BaseException) -> TypeGuard[OSError]:
    return isinstance(exc, OSError) and exc.errno in DISK_ERRNOS


def holder(path: str | os.PathLike) -> Path:
    """The configured workdir that holds `path` (the name a user knows), else `path`."""
    p = Path(os.path.abspath(path))
    for wd in layout.paths().workdirs.values():
        wd = Path(os.path.abspath(wd))
        if p == wd or wd in p.parents:
            return wd
    return p


def message(err: int | None, path: str | os.PathLike) -> str:
    """The one line for a disk error `err` (an errno) met writing at `path`."""
    where = holder(path)
    if err == errno.EROFS:
        return f"the device holding {where} is read-only"
    if err == errno.EDQUOT:
        return f"disk quota exceeded on the device holding {where}"
    return f"no space left on the device holding {where}"


def describe(exc: OSError, fallback: str | os.PathLike) -> str:
    """message() for `exc`, at the file it names, or else at `fallback`."""
    return message(exc.errno, exc.filename or fallback)


def with_path(exc: BaseException, path: str | os.PathLike) -> BaseException:
    """Give a disk error from a bare write (which names no file) the file it wrote, so
    whoever reports it can tell which device filled up. Returns `exc`."""
    if is_disk_error(exc) and not getattr(exc, "filename", None):
        exc.filename = os.fspath(path)
    return exc


def read_only(path: str | os.PathLike) -> bool:
    """Is the device holding `path` mounted read-only?"""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def nearly_full(path: str | os.PathLike) -> bool:
    try:
        st = os.statvfs(path)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < NEARLY_FULL


def cause_in(exc: BaseException, path: str | os.PathLike) -> str | None:
    """The disk message for `exc`, raised by a method of a job in `path`, or None when it
    is not a disk error, or one elsewhere that cannot be told apart from the method's own
    business. A file name says where; without one (a plain write), the job's own device
    is blamed only if it is indeed full (or read-only)."""
    if not is_disk_error(exc):
        return None
    assert isinstance(exc, OSError)
    if exc.filename:
        return describe(exc, path)
    if read_only(path) if exc.errno == errno.EROFS else nearly_full(path):
        return describe(exc, path)
    return None
