"""Keeping what a method prints: into the job's output files, and live on the terminal.

Each part (prepare, every analysis slice, synthesis) writes to its own pipe. One reader
thread per job drains all pipes: raw bytes go to the part's output file, and complete
lines are echoed with a `[dev-3 analysis 1] ` prefix to where the runner's own stdout
went. A reader that cannot echo (terminal gone) keeps writing the files; one that cannot
write a file (the disk is full) keeps draining and echoing -- the part must never block
on a pipe nobody reads -- and remembers why (`OutputTee.failed`): the job has lost output
and must not finish.
"""

from __future__ import annotations

import os
import selectors
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, NoReturn

from accel.layout import line_prefix

CHUNK = 1 << 16


class _Source:
    __slots__ = ("fd", "path", "_out", "prefix", "partial", "done", "error")

    def __init__(self, fd: int, out_path: Path, prefix: bytes):
        self.fd = fd
        self.path = out_path
        self._out: BinaryIO | None = None  # opened on the first byte: a part that prints nothing has no file
        self.prefix = prefix
        self.partial = b""
        self.done = threading.Event()
        self.error: OSError | None = None  # why the file stopped being written

    def write(self, data: bytes) -> None:
        if self.error is not None:
            return
        try:
            if self._out is None:
                self.path.parent.mkdir(exist_ok=True)
                self._out = open(self.path, "ab", buffering=0)  # readable while the job runs
            self._out.write(data)
        except OSError as e:
            e.filename = e.filename or str(self.path)
            self.error = e
            self.close()

    def close(self) -> None:
        if self._out is not None:
            out, self._out = self._out, None
            try:
                out.close()
            except OSError:
                pass


class OutputTee:
    def __init__(self, echo_fd: int | None):
        self.echo_fd = echo_fd
        # on a terminal, each line first clears the line it lands on: the builder's
        # progress line (accel.progress) lives there
        self.clear = b"\r\x1b[K" if echo_fd is not None and os.isatty(echo_fd) else b""
        self.sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        self.sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._pending: list[_Source] = []
        self._dropped: list[_Source] = []
        self.finishing: list[_Source] = []  # parts that ended; their pipes drain still
        # (label, error) of the first output file that could not be written
        self.failed: tuple[str, OSError] | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="accel-output", daemon=True)
        self._thread.start()

    def add(self, fd: int, out_path: Path, label: str) -> _Source:
        src = _Source(fd, out_path, line_prefix(label).encode())
        with self._lock:
            self._pending.append(src)
        os.write(self._wake_w, b"x")
        return src

    def finish(self, src: _Source, grace: float = 1.0) -> None:
        """Wait for a part's output to end. Its own process has ended, so only a process
        it left behind (holding the pipe) can delay that: after `grace` seconds, stop
        reading from it."""
        if not src.done.wait(grace):
            with self._lock:
                self._dropped.append(src)
            os.write(self._wake_w, b"x")
            src.done.wait()

    def close(self) -> None:
        for src in self.finishing:
            self.finish(src)
        self._stop = True
        os.write(self._wake_w, b"x")
        self._thread.join()
        os.close(self._wake_r)
        os.close(self._wake_w)
        self.sel.close()

    def _echo(self, data: bytes) -> None:
        if self.echo_fd is None:
            return
        try:
            while data:
                n = os.write(self.echo_fd, data)
                data = data[n:]
        except OSError:
            self.echo_fd = None

    def _emit(self, src: _Source, data: bytes, final: bool = False) -> None:
        if data:
            src.write(data)
            if src.error is not None and self.failed is None:
                label = src.prefix.decode(errors="replace")[1:-2]  # "[LABEL] "
                self.failed = (label, src.error)
        if self.echo_fd is None:
            return
        data = src.partial + data
        lines = data.split(b"\n")
        src.partial = lines.pop()
        if final and src.partial:
            lines.append(src.partial)
            src.partial = b""
        if lines:
            p = self.clear + src.prefix
            self._echo(b"".join(p + line + b"\n" for line in lines))

    def _loop(self) -> None:
        live = 0
        while True:
            with self._lock:
                for src in self._pending:
                    self.sel.register(src.fd, selectors.EVENT_READ, src)
                    live += 1
                self._pending.clear()
                dropped, self._dropped = self._dropped, []
            for src in dropped:
                if not src.done.is_set():
                    self._end(src)
                    live -= 1
            if self._stop and live == 0:
                return
            for key, _ in self.sel.select():
                src = key.data
                if src is None:
                    os.read(self._wake_r, 4096)
                    continue
                try:
                    data = os.read(src.fd, CHUNK)
                except OSError:
                    data = b""
                if data:
                    self._emit(src, data)
                    continue
                self._end(src)
                live -= 1

    def _end(self, src: _Source) -> None:
        self._emit(src, b"", final=True)
        self.sel.unregister(src.fd)
        os.close(src.fd)
        src.close()
        src.done.set()


def flush_std() -> None:
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except (OSError, ValueError):
            pass


def exit_child(code: int) -> NoReturn:
    """End a forked child: flush what Python holds of stdout and stderr, then _exit (no
    atexit handlers, no cleanup that belongs to the parent)."""
    try:
        flush_std()
    finally:
        os._exit(code)


@contextmanager
def captured(tee: OutputTee, out_path: Path, label: str) -> Iterator[None]:
    """Run the body with fds 1 and 2 (and sys.stdout/err) going into a part's pipe."""
    flush_std()
    r, w = os.pipe()
    saved = os.dup(1), os.dup(2)
    src = tee.add(r, out_path, label)
    os.dup2(w, 1)
    os.dup2(w, 2)
    os.close(w)
    line_buffering = getattr(sys.stdout, "line_buffering", False)
    _reconfigure(True)
    try:
        yield
    finally:
        flush_std()
        _reconfigure(line_buffering)
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
        tee.finishing.append(src)  # its end is waited for once, in close()


def _reconfigure(line_buffering: bool) -> None:
    reconfigure = getattr(sys.stdout, "reconfigure", None)  # a TextIOWrapper's
    try:
        if reconfigure is not None:
            reconfigure(line_buffering=line_buffering)
    except ValueError:
        pass


def redirect_to(fd: int) -> None:
    """In a forked slice: fds 1 and 2 go to `fd` for good."""
    flush_std()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    _reconfigure(True)
