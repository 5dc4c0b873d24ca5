"""`ax` commands that read a project, each forked from one process that has started Python
and imported click, numpy and pyarrow already, rather than started afresh: a fresh one
costs 0.15-0.45 s of CPU, most of it starting Python and importing numpy and pyarrow, a
fork 0.06-0.09 s, and the suite runs hundreds of them. accel's own fork server
(accel/executors/forkserver.py) starts its runners the same way.

The forked child is what `python -m accel.cli.main ARGS` in `cwd` with `env` would be: the
same directory, environment, sys.path[0], argv, file descriptors 0-2 (stdin /dev/null,
stdout and stderr files), and the same module run as `__main__`; it ends as the
interpreter would (SystemExit's code; a traceback and 1 for an uncaught exception; atexit
handlers; the streams flushed). What it cannot be: a process whose Python was started with
another environment (so a request that changes what Python reads at start, PYTHON* or the
locale, is run as a fresh process), nor one that imports numpy or pyarrow for the first
time (every command imports them as a whole, so what they lazily load is loaded the same
way). Commands that build, serve, signal or ask at a terminal always start afresh
(`served`), and so does everything with ACCEL_TEST_FRESH_AX=1.

The server answers requests (a JSON line each) on its stdin, on its stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# the commands that only read (gc deletes, but as any command writes a file: by itself)
SERVED = frozenset({"cat", "ds", "gc", "job", "jobs", "method", "status", "urd", "why",
                    "workdir"})
# what Python reads only when it starts
_AT_START = ("PYTHON", "LANG", "LC_", "LANGUAGE", "OPENBLAS", "OMP_", "MKL_", "NUMPY", "ARROW")


def _at_start(env: dict) -> dict:
    return {k: v for k, v in env.items() if k.startswith(_AT_START)}


# =========================================================================================
# the server
# =========================================================================================


def serve() -> None:
    """Answer requests (one JSON line each) on stdin, one at a time: {"pid"}, then {"rc"}."""
    import runpy  # noqa: F401  (what the child needs, imported once)

    import click  # noqa: F401
    import numpy  # noqa: F401
    import pyarrow  # noqa: F401

    requests = os.fdopen(os.dup(0), "rb")  # the next request comes after the last answer
    answers = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    for line in requests:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os.close(answers)
            requests.close()
            _child(req)
        os.write(answers, (json.dumps({"pid": pid}) + "\n").encode())
        _, status = os.waitpid(pid, 0)
        os.write(answers, (json.dumps({"rc": os.waitstatus_to_exitcode(status)}) + "\n").encode())


def _child(req: dict) -> None:
    """Be `python -m accel.cli.main ARGS` in req's cwd, with its environment."""
    code = 1
    try:
        import atexit
        import importlib
        import runpy
        import signal
        import threading

        signal.signal(signal.SIGINT, signal.default_int_handler)
        fds = [os.open(os.devnull, os.O_RDONLY),
               os.open(req["stdout"], os.O_WRONLY | os.O_TRUNC),
               os.open(req["stderr"], os.O_WRONLY | os.O_TRUNC)]
        for n, fd in enumerate(fds):
            os.dup2(fd, n)
            os.close(fd)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        sys.path[0] = os.getcwd()  # as `python -m` puts it
        importlib.invalidate_caches()
        sys.argv = [req["main"], *req["args"]]
        try:
            try:
                runpy.run_module("accel.cli.main", run_name="__main__", alter_sys=True)
                code = 0
            except SystemExit as e:
                code = _exit_code(e)
            for thread in threading.enumerate():  # as the interpreter waits for them
                if thread is not threading.main_thread() and not thread.daemon:
                    thread.join()
            atexit._run_exitfuncs()
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                code = 120  # what Python exits with when it cannot flush at the end
    finally:
        os._exit(code)


def _exit_code(e: SystemExit) -> int:
    """The status the interpreter exits with for `e` (printing a message, as it does)."""
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xFF
    print(e.code, file=sys.stderr)
    return 1


# =========================================================================================
# the tests' side
# =========================================================================================


_START = """
import sys
sys.path.insert(0, sys.argv[1])
import warm_ax
del sys.path[0], sys.modules["warm_ax"]
warm_ax.serve()
"""


class _Server:
    """The running server of this test process (started when first asked)."""

    proc: subprocess.Popen | None = None
    env: dict = {}
    main = ""
    _pending = b""  # what the server said beyond the last answer read

    @classmethod
    def get(cls) -> subprocess.Popen:
        if cls.proc is None or cls.proc.poll() is not None:
            import importlib.util

            cls.main = importlib.util.find_spec("accel.cli.main").origin
            cls.env = dict(os.environ)
            cls._pending = b""
            # started as `ax` would be (this environment, no tests folder on sys.path)
            cls.proc = subprocess.Popen(
                [sys.executable, "-c", _START, str(Path(__file__).parent)], bufsize=0, cwd="/",
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=cls.env)
        return cls.proc

    @classmethod
    def answer(cls, timeout: float | None = None) -> dict | None:
        """The server's next answer; None if none came within `timeout` seconds."""
        import select

        assert cls.proc is not None and cls.proc.stdout is not None
        fd = cls.proc.stdout.fileno()
        while b"\n" not in cls._pending:
            if timeout is not None and not select.select([fd], [], [], timeout)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("the warm ax server ended (see its stderr above)")
            cls._pending += chunk
        line, cls._pending = cls._pending.split(b"\n", 1)
        return json.loads(line)


def stop() -> None:
    """End the server, if one was started (it ends at the end of its requests)."""
    proc, _Server.proc = _Server.proc, None
    if proc is not None:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=60)


def served(args: tuple[str, ...], cwd: Path, env: dict, kw: dict) -> bool:
    """Whether `ax ARGS` in `cwd` with `env` and subprocess.run's `kw` may be forked by
    the server."""
    if os.environ.get("ACCEL_TEST_FRESH_AX") == "1":
        return False
    if not args or args[0] not in SERVED or not Path(cwd).is_dir():
        return False
    if set(kw) - {"stdin"} or kw.get("stdin", subprocess.DEVNULL) != subprocess.DEVNULL:
        return False
    return _at_start(env) == _at_start(_Server.env or dict(os.environ))


def run(args: tuple[str, ...], cwd: Path, env: dict,
        timeout: float = 120) -> subprocess.CompletedProcess:
    """`ax ARGS` in `cwd` with `env`, forked by the server: as subprocess.run(...,
    capture_output=True, text=True, timeout=timeout) returns it."""
    server = _Server.get()
    assert server.stdin is not None
    with tempfile.TemporaryDirectory(prefix="warm-ax-") as d:
        out, err = Path(d, "out"), Path(d, "err")
        out.touch()
        err.touch()
        req = dict(args=list(args), cwd=os.path.abspath(cwd), env=env, stdout=str(out),
                   stderr=str(err), main=_Server.main)
        data = memoryview((json.dumps(req) + "\n").encode())
        while data:
            data = data[os.write(server.stdin.fileno(), data):]
        pid = _Server.answer()["pid"]
        done = _Server.answer(timeout)
        if done is None:
            os.kill(pid, 9)
            _Server.answer()
            raise subprocess.TimeoutExpired(["ax", *args], timeout)
        return subprocess.CompletedProcess([sys.executable, "-m", "accel.cli.main", *args],
                                           done["rc"], _text(out.read_bytes()),
                                           _text(err.read_bytes()))


def _text(data: bytes) -> str:
    """As subprocess.run(text=True) decodes (the locale's encoding, universal newlines)."""
    import locale

    return data.decode(locale.getpreferredencoding(False)).replace("\r\n", "\n").replace("\r", "\n")
