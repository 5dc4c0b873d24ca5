"""Run jobs on this machine, each in a forked process.

Forking (not spawning) is what makes a new job cheap: the method module is already
imported by the build process, so the job starts without importing anything.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from accel.capture import flush_std
from accel.executors.base import Executor, Handle, record_death


class LocalHandle(Handle):
    def __init__(self, path: Path, pid: int, part_fd: int):
        self.path = path
        self.pid = pid
        self.part_fd = part_fd  # the runner names each part here as it starts
        self.status: str | None = None

    def last_part(self) -> str:
        data = b""
        try:
            while chunk := os.read(self.part_fd, 65536):
                data += chunk
        except OSError:
            pass
        os.close(self.part_fd)
        lines = data.decode(errors="replace").split()
        return lines[-1] if lines else ""

    def wait(self, timeout: float | None = None) -> str | None:
        if self.status is not None:
            return self.status
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            flags = 0 if deadline is None else os.WNOHANG
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:
                pid, status = self.pid, 0
            if pid:
                break
            if time.monotonic() >= deadline:  # type: ignore[operator]
                return None
            time.sleep(0.01)
        from accel.runner import exit_description

        part = self.last_part()
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) in (0, 1):
            how = "the job process ended without a report"
        else:
            how = exit_description(status)
        self.status = record_death(self.path, how, part)
        return self.status

    def cancel(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.wait()


class LocalExecutor(Executor):
    def __init__(self, echo: bool = True):
        self.echo = echo

    def submit(self, path: Path, setup: dict | None = None) -> LocalHandle:
        flush_std()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(r)
                os.setpgid(0, 0)  # its own group, so cancel reaches every process it starts
                from accel.runner import die_with_parent, run_job

                die_with_parent()
                code = run_job(path, echo=self.echo, setup=setup, part_fd=w)
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(w)
        try:
            os.setpgid(pid, pid)
        except (PermissionError, ProcessLookupError):
            pass
        return LocalHandle(path, pid, r)
