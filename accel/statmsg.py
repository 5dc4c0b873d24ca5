"""`from accel import status` (also `accel.statmsg.status`, the Accelerator's module name),
the Accelerator's progress helper:

    with status('loading the input') as update:
        ...
        update('loading the input: 40%')

While the block runs, `ax status` shows the text beside the job's part (innermost last,
when blocks nest). Each process of a job (prepare, each analysis slice, synthesis) keeps
its messages in a small file of its own in the job's scratch folder, replaced atomically
on every change and removed when its outermost block ends; `ax status` reads them. Outside
a job (a build script) it shows nothing and costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from accel import g, layout
from accel.atomic import write_bytes

FOLDER = "status"  # in the job's scratch folder (layout.SCRATCH)

_stack: list[str] = []  # this process's messages, outermost first


def _file(job: Path) -> Path:
    return job / layout.SCRATCH / FOLDER / str(os.getpid())


def _publish(job: Path) -> None:
    """Write this process's messages, or remove its file once there are none. A failure
    to write (a full disk) never fails the method: it is only a progress message."""
    path = _file(job)
    try:
        if _stack:
            path.parent.mkdir(parents=True, exist_ok=True)
            prefix = f"slice {g.sliceno}: " if g.sliceno >= 0 else ""
            write_bytes(path, (prefix + " » ".join(_stack)).encode())
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def _check(msg: object) -> str:
    if not isinstance(msg, str) or not msg:
        raise TypeError(f"status() takes a non-empty str, not {msg!r}")
    return " ".join(msg.split())  # one line in a table


@contextmanager
def status(msg: str) -> Iterator[Callable[[str], None]]:
    """Show `msg` in `ax status` while the block runs; the block gets `update(msg)` to
    change it."""
    text = _check(msg)
    job = layout.current_job()
    if job is None:
        yield lambda _msg: None
        return
    _stack.append(text)
    level = len(_stack) - 1
    _publish(job)

    def update(new: str) -> None:
        if len(_stack) > level:
            _stack[level] = _check(new)
            _publish(job)

    try:
        yield update
    finally:
        del _stack[level:]
        _publish(job)


@contextmanager
def dummy_status(msg: str) -> Iterator[Callable[[str], None]]:
    """status() that shows nothing (the Accelerator's name, for code that switches)."""
    _check(msg)
    yield lambda _msg: None


def messages(job: Path) -> list[str]:
    """What the job's processes show now (for `ax status`), in the order the processes started. (A
    process killed inside a block leaves its file; its job is ending then anyway.)"""
    folder = Path(job) / layout.SCRATCH / FOLDER
    found = []
    with suppress(OSError):
        for entry in folder.iterdir():
            if not entry.name.isdigit():
                continue  # a temporary name being written
            with suppress(OSError):
                found.append((int(entry.name), entry.read_text()))
    return [text for _, text in sorted(found) if text]
