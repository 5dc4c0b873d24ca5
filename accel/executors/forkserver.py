"""A fork server for a Dask worker: starts job runners without starting Python each time.

`python -m accel.runner DIR` costs a new interpreter and the runner's imports for every
job. Instead, the first job a worker process runs starts one small helper for that worker
(`ForkServer`, found again through a module variable): a process that has imported the
runner, and what dataset jobs need (numpy, pyarrow, accel.dataset: preload.py), but nothing
of any project, and that forks one runner per job from its one loop. Its children are
forks of a process that never imported a method, so a job loads the method's current
source, as a fresh interpreter would.

The worker and its server talk over a SOCK_SEQPACKET socket pair that only those two hold:

  worker -> server   {"job", "cwd", "env"} with three descriptors: a socket to answer
                     on (one per job), the runner's stderr, and its part pipe
  server -> worker   on the job's socket: {"pid": PID} with a pidfd of the runner, then
                     {"exit": WAITSTATUS} once it has been reaped

End of file on the pair means the worker is gone (`kill -9` included): the server kills
the trees of the runners it has and exits. The runner itself dies with the server
(PR_SET_PDEATHSIG: "the parent" is the thread that forked it, and the server forks only
from its main thread; the only other threads are numpy's and Arrow's idle helpers).
A server that has died is replaced by the next job. When none can be started (and then
for a minute), or with ACCEL_DASK_FORKSERVER=0 in the worker's environment, the task
starts `python -m accel.runner` itself, as before.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import select
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time

from accel.capture import exit_child

START_TIMEOUT = 30.0  # seconds for a new server to say it is ready
ANSWER_TIMEOUT = 60.0  # seconds for a server to answer a request: else it is broken
MAX_MESSAGE = 1 << 20


class ServerGone(Exception):
    """The server did not start a runner: run the job another way. `broken`: the server
    itself is gone (or no good), so the next job needs a new one."""

    def __init__(self, message: str, broken: bool = True):
        super().__init__(message)
        self.broken = broken


# =========================================================================================
# the server process
# =========================================================================================


def serve(ctl_fd: int) -> None:
    """The server's loop (`python -c ...` started by ForkServer): answer requests on the
    socket `ctl_fd` until the worker goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    script_dir = bool(sys.path) and sys.path[0] == ""  # `-c` put the cwd first
    # the point: a forked runner has these imported (the runner, and what a job needs next)
    import accel.jsoncodec  # noqa: F401
    import accel.methods  # noqa: F401
    import accel.runner  # noqa: F401
    from accel.executors import preload

    preload.load()  # for every job: the server is there only to start jobs quickly

    ctl = socket.socket(fileno=ctl_fd)
    ctl.send(b"ready")
    sel = selectors.DefaultSelector()
    sel.register(ctl, selectors.EVENT_READ, None)
    children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, answer socket)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                try:
                    msg, fds, _, _ = socket.recv_fds(ctl, MAX_MESSAGE, 4)
                except OSError:
                    msg, fds = b"", []
                if not msg and not fds:  # the worker is gone: so are its jobs
                    _end_all(children)
                    return
                _start(msg, fds, ctl, sel, children, script_dir)
            else:
                pidfd = key.fd
                pid, answer = children.pop(pidfd)
                sel.unregister(pidfd)
                os.close(pidfd)
                _, status = os.waitpid(pid, 0)
                try:
                    answer.send(json.dumps({"exit": status}).encode())
                except OSError:
                    pass
                answer.close()


def _start(msg: bytes, fds: list[int], ctl: socket.socket, sel: selectors.BaseSelector,
           children: dict[int, tuple[int, socket.socket]], script_dir: bool) -> None:
    if len(fds) != 3:
        for fd in fds:
            os.close(fd)
        return
    answer = socket.socket(fileno=fds[0])
    err_w, part_w = fds[1], fds[2]
    pid = None
    try:
        req = json.loads(msg)
        server = os.getpid()
        pid = os.fork()
        if pid == 0:
            _child(req, answer, err_w, part_w, ctl, sel, children, server, script_dir)
        pidfd = os.pidfd_open(pid)
    except Exception as e:  # no fork (no memory, no PIDs left): the worker runs it itself
        if pid:  # forked, but cannot be followed: it must not run beside the worker's own
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(err_w)
        os.close(part_w)
        try:
            answer.send(json.dumps({"error": f"{type(e).__name__}: {e}"}).encode())
        except OSError:
            pass
        answer.close()
        return
    os.close(err_w)
    os.close(part_w)
    try:
        socket.send_fds(answer, [json.dumps({"pid": pid}).encode()], [pidfd])
    except OSError:  # the task went away: nobody would follow the job, so it stops now
        from accel.proctree import kill_tree

        kill_tree(pid, pid)
    children[pidfd] = (pid, answer)
    sel.register(pidfd, selectors.EVENT_READ, pid)


def _child(req: dict, answer: socket.socket, err_w: int, part_w: int, ctl: socket.socket,
           sel: selectors.BaseSelector, children: dict, server: int, script_dir: bool) -> None:
    """In the forked runner: be what `python -m accel.runner JOB` in `cwd` would be."""
    code = 1
    try:
        from accel.proctree import die_with_parent

        die_with_parent()
        if os.getppid() != server:  # the server died before we could ask to die with it
            os._exit(1)
        os.setsid()
        sel.close()
        ctl.close()
        answer.close()
        for pidfd, (_, other) in children.items():
            os.close(pidfd)
            other.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(err_w, 2)
        os.close(null)
        os.close(err_w)
        cwd = req["cwd"]
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(req["env"])
        if script_dir:
            sys.path[0] = cwd  # as `python -m` run in cwd puts it
        importlib.invalidate_caches()  # what the server saw of folders may be out of date
        import accel.runner

        argv = [req["job"], "--part-fd", str(part_w), "--no-echo"]
        sys.argv = [accel.runner.__file__, *argv]
        code = accel.runner.main(argv)
    except SystemExit as e:
        code = 0 if e.code is None else e.code if isinstance(e.code, int) else 1
    except BaseException:
        import traceback

        try:
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        exit_child(code)


def _end_all(children: dict[int, tuple[int, socket.socket]]) -> None:
    from accel.proctree import kill_tree

    for pid, _ in children.values():
        kill_tree(pid, pid)
    for pidfd, (pid, _) in children.items():
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(pidfd)


# =========================================================================================
# the worker's side
# =========================================================================================


class ForkServer:
    """A running server and the worker's end of its socket."""

    def __init__(self, timeout: float = START_TIMEOUT):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "import sys; from accel.executors.forkserver import "
                 "serve; serve(int(sys.argv[1]))", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, start_new_session=True)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.sock = ours
        self.owner = os.getpid()  # a forked worker must not share it
        self.lock = threading.Lock()
        try:
            ours.settimeout(timeout)
            ready = ours.recv(16)
            ours.settimeout(None)
        except OSError as e:
            self.kill()
            raise ServerGone(f"the fork server did not start: {e}")
        if ready != b"ready":
            self.kill()
            raise ServerGone("the fork server did not start")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def usable(self) -> bool:
        return self.owner == os.getpid() and self.proc.poll() is None

    def spawn(self, job: str, cwd: str, env: dict, err_w: int, part_w: int) -> ServedRunner:
        """Fork a runner for `job`; ServerGone if the server cannot (then no runner runs)."""
        data = json.dumps({"job": job, "cwd": cwd, "env": env}).encode()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            try:
                with self.lock:
                    socket.send_fds(self.sock, [data], [theirs.fileno(), err_w, part_w])
            except OSError as e:  # gone; or the request itself is no good (too big)
                raise ServerGone(f"cannot reach the fork server: {e}",
                                 broken=e.errno in (errno.EPIPE, errno.ECONNRESET,
                                                    errno.ENOTCONN, errno.EBADF))
            finally:
                theirs.close()  # the server holds it now: end of file when the server dies
            try:
                mine.settimeout(ANSWER_TIMEOUT)
                msg, fds, _, _ = socket.recv_fds(mine, 4096, 1)
                mine.settimeout(None)
            except OSError as e:  # a server stuck this long is broken: it goes, with its runners
                self.kill()
                raise ServerGone(f"the fork server did not answer: {e}")
            answer = json.loads(msg) if msg else {}
            if "pid" not in answer or len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                if answer.get("error"):  # it could not fork this time; it still lives
                    raise ServerGone(f"the fork server could not fork: {answer['error']}",
                                     broken=False)
                raise ServerGone("the fork server died")
        except BaseException:
            mine.close()
            raise
        return ServedRunner(int(answer["pid"]), fds[0], mine, self.pid)

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()
        self.sock.close()


class ServedRunner:
    """A runner the server forked: like a Popen, as far as the Dask task needs one."""

    def __init__(self, pid: int, pidfd: int, sock: socket.socket, server_pid: int):
        self.pid = pid
        self.server_pid = server_pid
        self.pidfd = pidfd
        self.sock = sock
        self.returncode: int | None = None
        self.server_died = False

    def fileno(self) -> int:
        """Readable once the runner has ended (the server has reaped it, or died)."""
        return self.sock.fileno()

    def wait(self) -> int | None:
        """Its exit status as Popen.returncode has it; None if the server died first (the
        runner then dies too: it is made sure of, and waited for)."""
        if self.sock.fileno() < 0:
            return self.returncode
        try:
            msg = self.sock.recv(4096)
        except OSError:
            msg = b""
        if msg:
            self.returncode = os.waitstatus_to_exitcode(json.loads(msg)["exit"])
        else:
            self.server_died = True
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:
                pass
            select.select([self.pidfd], [], [])
        self.sock.close()
        os.close(self.pidfd)
        return self.returncode


class PopenRunner:
    """`python -m accel.runner` started by the worker itself (no fork server)."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.pid = proc.pid
        self.pidfd = os.pidfd_open(proc.pid)
        self.returncode: int | None = None
        self.server_died = False
        self.server_pid = None

    def fileno(self) -> int:
        return self.pidfd

    def wait(self) -> int | None:
        self.returncode = self.proc.wait()
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1
        return self.returncode


_server: ForkServer | None = None
_failed_at: float | None = None
_server_lock = threading.Lock()
RETRY_AFTER = 60.0  # seconds before trying again to start a server that would not start


def server() -> ForkServer | None:
    """This worker process's server, started now if need be; None if it cannot start
    (then not again for RETRY_AFTER seconds), or is turned off (ACCEL_DASK_FORKSERVER=0)."""
    global _server, _failed_at
    if os.environ.get("ACCEL_DASK_FORKSERVER", "1").strip() in ("0", "no", "off", "false"):
        return None
    with _server_lock:
        if _server is not None:
            if _server.usable():
                return _server
            if _server.owner == os.getpid():
                _server.kill()  # reaped, and its socket closed
            _server = None
        if _failed_at is not None and time.monotonic() - _failed_at < RETRY_AFTER:
            return None
        try:
            _server = ForkServer()
            _failed_at = None
        except (OSError, ServerGone):
            _failed_at = time.monotonic()
        return _server


def forget(bad: ForkServer) -> None:
    """`bad` failed a request: the next job starts a new one."""
    global _server
    with _server_lock:
        if _server is bad:
            bad.kill()
            _server = None
