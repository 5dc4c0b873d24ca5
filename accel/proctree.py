"""Stop a job's processes: the runner, its slices, and everything the method started.

A job runs in its own process group, and its runner is a child subreaper, so a process
the method starts stays in the runner's tree even after a double fork or `setsid()`.
Killing is then: freeze the group and the tree (SIGSTOP, so nothing forks away while
we look), collect the tree again, and SIGKILL all of it. Linux only (/proc).
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

_libc: ctypes.CDLL | None
try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux
    _libc = None


def _prctl(option: int, value: int) -> None:
    if _libc is not None:
        _libc.prctl(option, value, 0, 0, 0)


def die_with_parent() -> None:
    """Get SIGKILL when the process that started us dies (so `kill -9` of a builder
    takes its jobs with it instead of leaving orphans that publish late)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def become_subreaper() -> None:
    """Orphaned descendants become our children instead of init's: they stay findable."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                found += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return found


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, parents before their children."""
    out, todo, seen = [], [pid], {pid}
    while todo:
        for child in children(todo.pop()):
            if child not in seen:
                seen.add(child)
                out.append(child)
                todo.append(child)
    return out


def _signal(pids: list[int], pgid: int | None, sig: int) -> None:
    if pgid:
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def kill_tree(pid: int, pgid: int | None = None) -> None:
    """SIGKILL `pid`, its process group `pgid` and every process below it."""
    tree = [pid, *descendants(pid)]
    _signal(tree, pgid, signal.SIGSTOP)
    tree = [pid, *descendants(pid)]  # whatever was forked while we were stopping them
    _signal(tree, pgid, signal.SIGKILL)


def end_descendants(pid: int) -> list[str]:
    """SIGKILL every process below `pid` (not `pid` itself) and reap those that are our
    children; returns "NAME (pid N)" for each process that was still alive."""
    left = []
    for child in descendants(pid):
        try:
            with open(f"/proc/{child}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # "PID (COMM) STATE ...": COMM may hold spaces and parentheses; STATE follows the last ")"
        comm, state = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2]
        if state not in "ZX":
            left.append(f"{comm} (pid {child})")
    if not left:
        _reap()
        return []
    _signal(descendants(pid), None, signal.SIGSTOP)
    _signal(descendants(pid), None, signal.SIGKILL)  # and what was forked meanwhile
    _reap(wait=2.0)
    return left


def _reap(wait: float = 0.0) -> None:
    """Collect our exited children (a subreaper inherits orphans), waiting up to `wait`
    seconds for the ones just killed to go; a process stuck in the kernel is left."""
    deadline = time.monotonic() + wait
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.005)


def follow_groups(buf: bytes, groups: set[int]) -> bytes:
    """A guard's bookkeeping: apply the complete "+PGID" / "-PGID" lines in `buf` to
    `groups` (the process groups to kill if what it guards dies); returns the rest."""
    *lines, rest = buf.split(b"\n")
    for line in lines:
        if line.startswith(b"+"):
            groups.add(int(line[1:]))
        elif line.startswith(b"-"):
            groups.discard(int(line[1:]))
    return rest


DRAIN_EVERY = 0.5  # seconds between a watching guard's reads of what piled up in the pipe


def guard_groups(fd: int, watch: int | None = None, gone: bool = False) -> None:
    """A guard's life: follow the "+PGID" / "-PGID" lines on `fd` until the pipe ends (the
    one process holding its other end is gone, `kill -9` included) or the process behind
    pidfd `watch` has ended (`gone`: it has already); then kill every process group still
    listed, with all it holds.

    With a pidfd to watch, the guard waits on it alone and reads what has piled up in the
    pipe every DRAIN_EVERY seconds: woken by the pipe, it would cost the writer (a builder
    starting thousands of short jobs) a context switch for every line. It reads the pipe
    to its end before it kills, so no line written before the writer died is missed; the
    writer's pipe is big enough for what piles up meanwhile. Without one it waits on the
    pipe, whose end is then the only sign it has."""
    os.set_blocking(fd, False)
    groups: set[int] = set()
    buf = b""
    while True:
        if not gone:
            try:
                if watch is None:
                    ready, _, _ = select.select([fd], [], [])
                else:
                    ready, _, _ = select.select([watch], [], [], DRAIN_EVERY)
            except InterruptedError:
                continue
            gone = watch is not None and watch in ready
        while True:  # what piled up in the pipe
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                break
            except InterruptedError:
                continue
            if not chunk:
                gone = True
                break
            buf = follow_groups(buf + chunk, groups)
        if gone:
            break
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
