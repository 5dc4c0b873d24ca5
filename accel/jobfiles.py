"""A running job's own files beyond a plain write: saves made in the background, and
temporary files (as the Accelerator's `save(..., background=True)` and `temp=True`).

A background save forks: the child holds the object as it was at the call (a later change
in the method does not reach the file), pickles and writes it atomically, and tells the
parent how it went over a pipe. The runner waits for every save a part started before
the part counts as done, so a job never finishes with a file still being written, and a
save that failed fails the part that started it, even if nothing looked at the file.

A temporary file is the job's while it runs (synthesis reads what the slices saved) and
is removed when the job finishes, before post.json: a finished job never has it, so it
can never be read as a result. A failed job keeps them, to show what was there. Which
names are temporary is written to the job's scratch folder, one JSON line per mark,
because the slices that mark them are other processes; the last mark of a name wins.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from accel import layout
from accel.capture import exit_child, flush_std
from accel.errors import AccelError
from accel.proctree import die_with_parent
from accel.statmsg import status

TEMP_MARKS = "temp-files"  # in the job's scratch folder
_OK = b"ok"


class BackgroundSaveError(AccelError):
    """A save made with background=True did not write its file."""


class Background:
    """One save running in a child process, until `wait()` says how it ended."""

    __slots__ = ("pid", "fd", "name", "where", "error", "owner")

    def __init__(self, pid: int, fd: int, name: str, where: str):
        self.pid, self.fd, self.name, self.where = pid, fd, name, where
        self.error: BaseException | None = None
        self.owner = os.getpid()  # a process forked from the owner must not read its pipe

    def wait(self) -> None:
        """Block until the file is written; raise (every time) if it was not. In another
        process (one forked from the owner: a save's child pickling a SavedFile) there is
        nothing to wait for here: the owner waits for it before its part ends."""
        if self.owner != os.getpid():
            return
        if self.fd >= 0:
            with status(f"waiting for the background save of {self.name}"):  # `ax status`
                self._collect()
        if self.error is not None:
            raise self.error

    def _collect(self) -> None:
        chunks = []
        while chunk := os.read(self.fd, 65536):
            chunks.append(chunk)
        os.close(self.fd)
        self.fd = -1
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:  # reaped by someone else: the pipe said how it went
            pass
        told = b"".join(chunks)
        if told != _OK:
            self.error = self._failure(told)

    def _failure(self, told: bytes) -> BaseException:
        start = f"background save of {self.name!r}{self.where}"
        try:
            err = json.loads(told)
        except ValueError:
            return BackgroundSaveError(f"{start} failed: the process writing it died")
        if err.get("errno"):  # a full or read-only disk: the runner says it as such
            return OSError(err["errno"], f"{start} failed: {err['message']}", err.get("filename"))
        return BackgroundSaveError(f"{start} failed: {err['exception']}: {err['message']}")

    def abandon(self) -> None:
        """The part failed: the write is of no use any more; end it."""
        if self.fd >= 0:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._collect()


# the saves this process started in the running part; a failed one stays until the part
# ends, so it fails the part even when a load() that saw the error was caught
_started: list[Background] = []


def settle(name: str) -> None:
    """Before `name` is written again: the saves of it still running finish first, so the
    file ends as the last save asked for, not as the slowest one (a failed one raises)."""
    for bg in [bg for bg in _started if bg.name == name and bg.owner == os.getpid()]:
        bg.wait()


def start(name: str, write: Callable[[], None]) -> Background:
    """Run `write` (which writes the file `name`) in a child process."""
    settle(name)
    where = _caller()
    flush_std()  # the child must not write out again what the parent had buffered
    # PR_SET_PDEATHSIG follows the thread that forks: from a thread that ends first it would
    # kill a save still writing. The job's process group dies with the job anyway; with
    # the main thread it is only sooner.
    main = threading.current_thread() is threading.main_thread()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        _child(write, w, main)
    os.close(w)
    bg = Background(pid, r, name, where)
    _started.append(bg)
    return bg


def _child(write: Callable[[], None], fd: int, die_with_main: bool) -> None:
    told = _OK
    try:
        forget_inherited()  # the parent's other saves are the parent's to wait for
        if die_with_main:
            die_with_parent()
        write()
    except BaseException as e:
        told = json.dumps({"exception": type(e).__name__, "message": str(e),
                           "errno": getattr(e, "errno", None),
                           "filename": getattr(e, "filename", None)}, default=str).encode()
    try:
        os.write(fd, told)
    finally:
        exit_child(0)  # what the object printed as it pickled, and none of the parent's cleanup


def _caller() -> str:
    """' (saved at FILE:LINE)': the line of the method that started the save."""
    accel_dir = os.path.dirname(os.path.abspath(__file__)) + os.sep
    for frame in reversed(traceback.extract_stack()):
        if not frame.filename.startswith(accel_dir):
            return f" (saved at {os.path.basename(frame.filename)}:{frame.lineno})"
    return ""


def forget_inherited() -> None:
    """A new job process forked from a running one (a subjob's): the saves it inherited
    are its parent's, to be waited for by the parent alone."""
    for bg in [bg for bg in _started if bg.owner != os.getpid()]:
        _started.remove(bg)
        if bg.fd >= 0:
            os.close(bg.fd)
            bg.fd = -1


def wait_all() -> None:
    """The part is ending: every save it started is written, or the first that was not
    raises (the rest are then ended by `abandon_all`)."""
    forget_inherited()
    while _started:
        _started[0].wait()
        _started.pop(0)


def abandon_all() -> None:
    """The part failed: end the saves still running, forget the rest."""
    forget_inherited()
    for bg in _started:
        bg.abandon()
    _started.clear()


# --- temporary files -------------------------------------------------------------------

def mark(job_path: str | os.PathLike, name: str, temp: bool) -> None:
    """Say that the job's file `name` is (or is no longer) temporary."""
    marks = Path(job_path) / layout.SCRATCH / TEMP_MARKS
    if not temp and not marks.exists():
        return  # nothing was ever temporary: nothing to take back
    marks.parent.mkdir(exist_ok=True)
    with open(marks, "a", encoding="utf-8") as f:
        f.write(json.dumps([name, bool(temp)]) + "\n")


def temp_names(job_path: str | os.PathLike) -> list[str]:
    """The names whose last mark says temporary, sorted."""
    state: dict[str, bool] = {}
    try:
        with open(Path(job_path) / layout.SCRATCH / TEMP_MARKS, encoding="utf-8") as f:
            for line in f:
                try:
                    name, temp = json.loads(line)
                except ValueError:  # a line cut short by a crash: its write never happened
                    continue
                state[name] = temp
    except FileNotFoundError:
        return []
    return sorted(name for name, temp in state.items() if temp)


def remove_temp_files(job_path: str | os.PathLike) -> None:
    """Remove the job's temporary files (the job has finished)."""
    root = Path(job_path)
    for name in temp_names(root):
        if not layout.within(root / name, root):
            continue  # never outside the job (job.open refuses such a name anyway)
        try:
            (root / name).unlink()
        except FileNotFoundError:
            pass
