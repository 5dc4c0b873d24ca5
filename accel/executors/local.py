"""Run jobs on this machine, each in a forked process.

Forking (not spawning) is what makes a new job cheap: the method module is already
imported by the build process, so the job starts without importing anything -- and a job
that will likely use datasets finds numpy and pyarrow imported too (preload.py).

Each job gets its own process group. A job's runner dies with the builder
(PR_SET_PDEATHSIG), but that reaches only direct children; processes the method starts
would live on. So each executor also keeps a guard: a tiny process that knows the
process groups of the running jobs, and kills them when the builder goes away -- `kill
-9` included, since the guard learns of it from end-of-file on a pipe only the builder
holds.

The guard can die too (`kill -9` of it, the OOM killer). Left dead, a later `kill -9` of
the builder would leave what the jobs' methods started running. So the builder watches
the guard along with its jobs, and when the guard is gone it says so and starts a new
one that it tells every job still running: the build goes on guarded. A guard that dies
as it starts is not started again (another would too): the build fails instead.
"""

from __future__ import annotations

import fcntl
import os
import selectors
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from accel.capture import exit_child, flush_std
from accel.executors import preload
from accel.executors.base import Executor, Handle, record_death
from accel.jobstatus import CANCELED
from accel.partpipe import PartReader
from accel.proctree import guard_groups, kill_tree
from accel.records import status_of


class _Guard:
    """Told "+PGID" / "-PGID" as jobs start and end. The guard does not wait on the pipe
    -- waking it for every job would cost the builder a context switch each time -- but on
    the builder's pidfd, and reads what has piled up in the pipe twice a second
    (`proctree.guard_groups`).

    The builder learns of the guard's death from end of file on a second pipe, whose
    other end only the guard holds; the guard writes one byte to it once it watches the
    builder, so a guard that cannot even start is told from one that was killed."""

    def __init__(self) -> None:
        r, w = os.pipe()
        try:
            life_r, life_w = os.pipe()
        except BaseException:
            os.close(r)
            os.close(w)
            raise
        try:
            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 1 << 20)  # room for what piles up meanwhile
        except OSError:
            pass
        builder = os.getpid()
        try:
            pid = os.fork()
        except BaseException:
            for fd in (r, w, life_r, life_w):
                os.close(fd)
            raise
        if pid == 0:
            try:
                _guard_loop(r, builder, life_w)
            finally:
                os._exit(0)
        os.close(r)
        os.close(life_w)
        os.set_blocking(life_r, False)
        self.pid = pid
        self.fd = w
        self.life = life_r  # readable: the guard is ready, or (end of file) it died
        self.ready = False
        self.groups: set[int] = set()  # what it was told to guard, for a successor

    def tell(self, sign: str, pgid: int) -> None:
        if sign == "+":
            self.groups.add(pgid)
        else:
            self.groups.discard(pgid)
        try:
            os.write(self.fd, f"{sign}{pgid}\n".encode())
        except OSError:
            pass

    def dead(self) -> bool:
        while True:
            try:
                said = os.read(self.life, 16)
            except BlockingIOError:
                return False
            except InterruptedError:
                continue
            if not said:
                return True
            self.ready = True

    def stop(self) -> int:
        """The builder is done and its jobs have ended (or the guard has died): nothing
        left to guard. Returns how it ended (a wait status)."""
        os.close(self.fd)
        os.close(self.life)
        status = 0
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        return status


def _guard_loop(fd: int, builder: int, life: int) -> None:
    """In the guard: hold nothing (no locks, no terminal), wait, clean up."""
    os.setsid()  # Ctrl-C on the terminal is for the builder, not for us
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):
        os.dup2(devnull, std)
    low, high = sorted((fd, life))
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, 65536)
    try:
        watch = os.pidfd_open(builder)
    except ProcessLookupError:  # gone already
        watch = None
    os.write(life, b"r")  # watching: a death from now on is a killed guard
    guard_groups(fd, watch, gone=watch is None)  # when the builder is gone, its jobs go too, with all they started


class LocalHandle(Handle):
    """A forked job. The runner names each part on a pipe as it starts, and says "done"
    once post.json is written: from then on the job is over, and the process's own
    teardown (a millisecond or more) is reaped later instead of waited for."""

    def __init__(self, path: Path, pid: int, part_fd: int, executor: LocalExecutor):
        self.path = path
        self.pid = pid
        self.part_fd = part_fd
        self.executor = executor
        self.status: str | None = None
        self.said = PartReader()
        self._eof = False
        self._exited = False
        os.set_blocking(part_fd, False)
        # watch the process too: it may die without a word, while something it started
        # still holds the pipe open
        self.pidfd = os.pidfd_open(pid)

    def _read_parts(self) -> None:
        while not self._eof:
            try:
                chunk = os.read(self.part_fd, 4096)
            except BlockingIOError:
                return
            if not chunk:
                self._eof = True
                self.said.close()
                return
            self.said.feed(chunk)

    def has_ended(self) -> bool:
        """Has the job ended? Settles its status if so."""
        if self.status is not None:
            return True
        if self.said.done:
            self.executor.reap_later(self.pid)
            self._settle(self.said.status or status_of(self.path))
            return True
        if not self._exited:
            return False
        self._read_parts()  # whatever it wrote before it went
        if self.said.done:
            return self.has_ended()
        # it died (kill -9, the OOM killer): what it started is still in its process group;
        # killed while the dead runner, not yet reaped, keeps the group's number taken
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            status = 0
        from accel.runner import exit_description

        if os.WIFEXITED(status) and os.WEXITSTATUS(status) in (0, 1):
            how = "the job process ended without a report"
        else:
            how = exit_description(status)
        self._settle(record_death(self.path, how, self.current_part()))
        return True

    def told_error(self) -> dict | None:
        return self.said.error

    def current_part(self) -> str:
        return self.said.current

    def _settle(self, status: str) -> str:
        self.status = status
        os.close(self.part_fd)
        os.close(self.pidfd)
        self.executor.forget(self.pid)
        return status

    def wait(self, timeout: float | None = None) -> str | None:
        if self.status is None:
            self.executor.wait_any([self], timeout)
        return self.status

    def cancel(self, status: str = CANCELED, reason: str = "") -> str:
        if self.status is not None:
            return self.status
        kill_tree(self.pid, self.pid)
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self._read_parts()
        if self.said.done:  # it had published before it was killed: that stands
            return self._settle(status_of(self.path))
        return self._settle(record_death(self.path, reason or status, self.current_part(),
                                         status))


class LocalExecutor(Executor):
    def __init__(self, echo: bool = True):
        self.echo = echo
        self._guard: _Guard | None = None
        self._guard_pid = 0  # the process the guard belongs to (a fork needs its own)
        self._unreaped: set[int] = set()

    def wait_any(self, handles: Sequence[Handle], timeout: float | None = None) -> list[Handle]:
        ended = [h for h in handles if h.has_ended()]
        if ended or not handles:
            return ended
        deadline = None if timeout is None else time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            for h in handles:
                assert isinstance(h, LocalHandle)  # an executor waits on its own handles
                if not h._eof:
                    sel.register(h.part_fd, selectors.EVENT_READ, (h, "pipe"))
                sel.register(h.pidfd, selectors.EVENT_READ, (h, "exit"))
            guard = self._own_guard()
            if guard is not None:
                sel.register(guard.life, selectors.EVENT_READ, (guard, "guard"))
            while True:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                events = sel.select(left)
                if not events:
                    return []
                for key, _ in events:
                    h, what = key.data
                    if what == "guard":
                        if h.dead():  # h: the guard
                            sel.unregister(key.fd)
                            new = self._renew_guard()
                            sel.register(new.life, selectors.EVENT_READ, (new, "guard"))
                    elif what == "exit":
                        h._exited = True
                        sel.unregister(key.fd)
                    else:
                        h._read_parts()
                        if h._eof:
                            sel.unregister(key.fd)
                ended = [h for h in handles if h.has_ended()]
                if ended:
                    return ended

    def reap_later(self, pid: int) -> None:
        self._unreaped.add(pid)

    def forget(self, pid: int) -> None:
        """The job is over: the guard need not kill its group any more."""
        guard = self._own_guard()
        if guard is not None:
            guard.tell("-", pid)

    def _own_guard(self) -> _Guard | None:
        """This process's guard, if it has one (a forked job has its parent's object)."""
        if self._guard is not None and self._guard_pid == os.getpid():
            return self._guard
        return None

    def _reap(self, block: bool = False) -> None:
        for pid in list(self._unreaped):
            try:
                done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self._unreaped.discard(pid)

    def guard(self) -> _Guard:
        guard = self._own_guard()
        if guard is None:
            self._guard = guard = _Guard()
            self._guard_pid = os.getpid()
        elif guard.dead():
            guard = self._renew_guard()
        return guard

    def _renew_guard(self) -> _Guard:
        """The guard has died: a new one takes over the jobs still running, so a later
        `kill -9` of the builder still takes everything they started with it."""
        old = self._guard
        assert old is not None
        status = old.stop()
        if not old.ready:  # another would fail the same way: no build without a guard
            self._guard = None
            raise OSError(f"the process guarding this build's jobs (pid {old.pid}) ended as "
                          "it started; without it, kill -9 of this build would leave what "
                          "its jobs started running")
        if os.WIFSIGNALED(status):
            try:
                how = f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
            except ValueError:
                how = f"killed by signal {os.WTERMSIG(status)}"
        else:
            how = f"exit status {os.waitstatus_to_exitcode(status)}"
        self._guard = new = _Guard()
        for pgid in old.groups:
            new.tell("+", pgid)
        flush_std()
        print(f"accel: the process guarding this build's jobs (pid {old.pid}) died ({how}); "
              f"pid {new.pid} guards them now", file=sys.stderr, flush=True)
        return new

    def submit(self, path: Path, setup: dict | None = None) -> LocalHandle:
        self._reap()
        guard = self.guard()
        preload.before_fork(setup)
        flush_std()
        r, w = os.pipe()
        try:
            pid = os.fork()
        except BaseException:
            os.close(r)
            os.close(w)
            raise
        if pid == 0:
            code = 1
            try:
                os.close(r)
                os.close(guard.fd)  # only the builder may hold it, or the guard never wakes
                os.close(guard.life)
                from accel.proctree import become_subreaper, die_with_parent
                from accel.runner import run_job
                from accel.store.locks import close_held

                close_held()  # the builder's identity locks stay the builder's
                os.setpgid(0, 0)  # its own group, so cancel reaches every process it starts

                die_with_parent()
                become_subreaper()  # what the method starts stays below us, to be killed
                code = run_job(path, echo=self.echo, setup=setup, part_fd=w)
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                exit_child(code)
        os.close(w)
        try:
            try:
                os.setpgid(pid, pid)
            except (PermissionError, ProcessLookupError):
                pass
            guard.tell("+", pid)
            return LocalHandle(path, pid, r, self)
        except BaseException:  # no handle for the caller (Ctrl-C, no fd left): no job either
            kill_tree(pid, pid)
            self.forget(pid)  # before it is reaped: its number may be reused after
            os.waitpid(pid, 0)
            os.close(r)
            raise

    def close(self) -> None:
        self._reap(block=True)
        guard = self._own_guard()
        if guard is not None:
            guard.stop()
            self._guard = None
