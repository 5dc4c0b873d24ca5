"""Files of a zip extracted under a name of their content, for csvimport_zip's subjobs.

    WORKDIR/.accel/zip-members/SHA256-NAME

A csvimport subjob's `filename` names such a copy, so its identity is the member's bytes
(with the other options): a member with the same bytes is the same subjob, reused by the
next zip job too -- a zip in which one file changed imports only that file anew. (A file
under a workdir is not fingerprinted: here the name stands for the content, as a job's
identity does for a job's own files.)

The copies are temporary. A job holds a shared flock on each copy while its subjob
needs it; `release` removes the copy unless another job holds it too (then that one
does), and `sweep`, at the end of every zip job, removes what no job holds (what a
killed job left). A job that finds its copy removed before it held it extracts it again.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
import zipfile
from dataclasses import dataclass

FOLDER = "zip-members"
_TMP = ".tmp-"
_STALE = 3600.0  # seconds after which a temporary file nobody finished is left over


@dataclass
class Held:
    """A copy this job uses: its path, and the open file that holds its shared flock."""

    path: str
    fd: int


def folder_of(job_path: str) -> str:
    """The copies' folder: in the job's workdir, so every job there shares it."""
    folder = os.path.join(os.path.dirname(os.path.abspath(job_path)), ".accel", FOLDER)
    os.makedirs(folder, exist_ok=True)
    return folder


def extract(z: zipfile.ZipFile, info: zipfile.ZipInfo, folder: str, name: str) -> Held:
    """The member `info` as FOLDER/SHA256-name, held (a shared flock) until `release`."""
    tmp = os.path.join(folder, f"{_TMP}{os.getpid()}-{time.monotonic_ns()}")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # being written: no sweep takes it
        sha = hashlib.sha256()
        with z.open(info) as src:
            while block := src.read(1 << 20):
                sha.update(block)
                os.write(fd, block)  # (a regular file: written whole)
        final = os.path.join(folder, f"{sha.hexdigest()}-{name}")
        holder = _hold(tmp, fd, final)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.unlink(tmp)
    if holder != fd:
        os.close(fd)
    return Held(final, holder)


def _hold(tmp: str, fd: int, final: str) -> int:
    """`final` in place and flocked (shared): our copy `tmp` (open as `fd`) linked there,
    or the same bytes another job put there. Returns the file descriptor holding it."""
    while True:
        try:
            os.link(tmp, final)
        except FileExistsError:  # the same bytes, extracted by another job: shared
            try:
                holder = os.open(final, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue  # removed just now: link ours
            fcntl.flock(holder, fcntl.LOCK_SH)
            if _is(holder, final):
                return holder
            os.close(holder)  # removed before we held it: once more
            continue
        fcntl.flock(fd, fcntl.LOCK_SH)  # (exclusive while it was written)
        if _is(fd, final):
            return fd


def release(held: Held) -> None:
    """Done with the copy: removed, unless another job holds it (it removes it then)."""
    try:
        fcntl.flock(held.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if _is(held.fd, held.path):
            os.unlink(held.path)
    except BlockingIOError:
        pass
    finally:
        os.close(held.fd)


def sweep(folder: str) -> None:
    """Remove the copies no job holds, and temporary files a killed job left."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            if name.startswith(_TMP) and time.time() - os.stat(path).st_mtime < _STALE:
                continue  # perhaps just made, not yet locked by its writer
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _is(fd, path):
                os.unlink(path)
        except OSError:
            pass
        finally:
            os.close(fd)


def _is(fd: int, path: str) -> bool:
    """Is `path` still the file open as `fd`? (Not when another job removed it.)"""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_ino, st.st_dev) == (mine.st_ino, mine.st_dev)
