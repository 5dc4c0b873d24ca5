"""The worker side of the Dask executor: the task that runs a job directory, the stop
request the build side sends, and the guard.

The task (`run_job_dir`) starts the runner (forked by the worker's fork server, or
`python -m accel.runner`) in a session of its own, follows its part pipe, and returns the
status post.json says. Stopping: Dask cannot stop a running task, so the build side asks
every worker (`stop_on_worker`, through `Client.run`); the worker kills the job's process
tree and the task writes post.json with the status. A job stopped before it started is
tombstoned, so it never starts late. Deaths: a small guard process per worker kills the
jobs' process groups when the worker goes away.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from accel import layout, records
from accel.atomic import read_json, write_json
from accel.errors import JobDamaged
from accel.executors import forkserver
from accel.executors.base import record_death
from accel.jobstatus import CANCELED
from accel.partpipe import PartReader
from accel.proctree import guard_groups, kill_tree

if TYPE_CHECKING:
    from distributed import Worker
from accel.records import status_of

WORKER_ENV = "ACCEL_DASK_WORKER"  # set for a job's processes on a worker: its worker
INFO = "dask.json"  # in the job's scratch folder: which worker runs it, its part

Runner = forkserver.ServedRunner | forkserver.PopenRunner



class _Run:
    """One job running in this worker process."""

    def __init__(self, key: str, path: str):
        self.key = key
        self.path = path
        self.proc: Runner | None = None
        self.part = ""
        self.stop: tuple[str, str] | None = None  # (status, reason) once asked to stop
        self.status: str | None = None
        self.ended = threading.Event()


_lock = threading.Lock()
_running: dict[str, _Run] = {}  # dask key -> run
_tombstones: set[str] = set()  # keys stopped before they started here


def run_job_dir(path: str, builder: dict | None = None) -> dict:
    """The Dask task: run the job directory at `path` with the runner, as a subprocess in
    its own session, and return {"status": ...} from its post.json -- or {"death": how,
    "part": part} when post.json could not be written here, for the build side to write;
    or {"other_accel": why} when this worker's Python imports another accel than the
    build's (`builder`: its `this_accel()`), which must not run the job."""
    from distributed import get_worker

    worker = get_worker()
    why = other_accel(builder)
    if why is not None:
        return {"other_accel": f"{why} (dask worker {worker.address}, host "
                               f"{socket.gethostname()})"}
    key = str(worker.get_current_task())
    with _lock:
        if key in _tombstones:  # stopped while it travelled here
            _tombstones.discard(key)
            return {"refused": True}
        run = _Run(key, path)
        _running[key] = run
    try:
        return _run(Path(path), run, worker)
    finally:
        with _lock:
            _running.pop(key, None)
        run.ended.set()


@functools.cache
def this_accel() -> dict:
    """Which accel this Python imports: its version, its folder, and a hash of its source
    -- the same code at another path is the same accel; other code, even of the same
    version (an editable install beside a released one), is not."""
    import hashlib

    import accel

    root = Path(accel.__file__).parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    return {"version": accel.__version__, "path": str(root), "source": h.hexdigest()[:16]}


def other_accel(builder: dict | None) -> str | None:
    """Why this worker must not run a build's jobs -- its Python imports another accel
    than the build's, and a job is written and read by both -- or None."""
    if builder is None:
        return None
    here = this_accel()
    if builder.get("source") == here["source"]:
        return None
    return (f"this dask worker's Python imports accel {here['version']} from {here['path']}, "
            f"the build's is accel {builder.get('version', '?')} from "
            f"{builder.get('path', '?')}: give the workers the same accel as the build")


def _run(job: Path, run: _Run, worker: Worker) -> dict:
    host = socket.gethostname()
    where = f"dask worker {worker.address} (host {host})"
    try:
        setup = records.read_setup(job)
    except JobDamaged as e:
        return {"death": f"{e} (on {where})", "part": "starting"}
    if setup is None:
        return {"death": f"{job / layout.SETUP} does not exist on {where}: the workdirs must "
                         "be on a filesystem every worker sees at the same path",
                "part": "starting"}
    if records.has_post(job):  # it ended before it got here (stopped): leave it
        return {"status": status_of(job)}
    scratch = job / layout.SCRATCH
    info_path = scratch / INFO
    info = {"worker": worker.address, "host": host, "worker_pid": os.getpid(),
            "key": run.key, "started": time.time(), "part": ""}
    try:
        scratch.mkdir(exist_ok=True)
        fd = os.open(info_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        # an earlier run of this task started the job: its worker died. A job directory
        # runs once; the build side retries (if it may) in a fresh one.
        try:
            before = read_json(info_path)
        except (OSError, ValueError):
            before = {}
        how = (f"the dask worker running it ({before.get('worker', '?')}, host "
               f"{before.get('host', '?')}) died")
        run.status = record_death(job, how, before.get("part", ""))
        return {"status": run.status}
    except OSError as e:
        return {"death": f"cannot write in {job} on {where}: {e.strerror or e}",
                "part": "starting"}
    with os.fdopen(fd, "w") as f:
        json.dump(info, f)

    # started in the project, so `python -m` puts it on sys.path; the runner itself then
    # runs every part in the job directory
    project = (setup.get("method_info") or {}).get("project_dir")
    cwd = project if project and os.path.isdir(project) else str(job)
    env = dict(os.environ)
    env[WORKER_ENV] = worker.address
    guard = _guard()
    if run.stop is not None:  # asked to stop before it could start
        status, reason = run.stop
        run.status = record_death(job, reason, "starting", status)
        return {"status": run.status}
    part_r, part_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        proc = _start_runner(job, cwd, env, err_w, part_w)
    except BaseException:
        os.close(part_r)
        os.close(err_r)
        raise
    finally:
        os.close(part_w)
        os.close(err_w)
    with _lock:
        run.proc = proc
        stopped = run.stop is not None
    if stopped:  # asked to stop while it was being started
        kill_tree(proc.pid, proc.pid)
    guard.tell("+", proc.pid)
    info["pid"] = proc.pid
    info["forked_by"] = proc.server_pid  # the fork server's PID; None: started by the worker
    _write_info(info_path, info)

    said_done, err_tail = _watch(proc, part_r, err_r, run, worker, info_path, info)

    if said_done:
        run.status = status_of(job)
        # the runner is on its way out; reap it without keeping the slot
        threading.Thread(target=_reap, args=(proc, err_r, guard), daemon=True).start()
        return {"status": run.status}
    returncode = proc.wait()
    os.close(err_r)
    _kill_group(proc.pid)  # whatever it left in its group goes with it
    guard.tell("-", proc.pid)
    if run.stop is not None:
        status, reason = run.stop
        run.status = record_death(job, reason, run.part, status)
    elif (job / layout.POST).exists():
        run.status = status_of(job)
    else:
        how = _exit_text(returncode, proc.server_died)
        if err_tail.strip():
            how += "; it said: " + " | ".join(err_tail.decode(errors="replace").strip()
                                             .splitlines()[-5:])
        run.status = record_death(job, how, run.part)
    return {"status": run.status}


def _start_runner(job: Path, cwd: str, env: dict, err_w: int, part_w: int) -> Runner:
    """The runner for `job`, forked by this worker's fork server -- or, when there is none
    to be had, `python -m accel.runner` started here."""
    server = forkserver.server()
    if server is not None:
        try:
            return server.spawn(str(job), cwd, env, err_w, part_w)
        except forkserver.ServerGone as e:
            if e.broken:
                forkserver.forget(server)
    proc = subprocess.Popen(
        [sys.executable, "-m", "accel.runner", str(job), "--part-fd", str(part_w),
         "--no-echo"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err_w,
        pass_fds=(part_w,), start_new_session=True, cwd=cwd, env=env)
    return forkserver.PopenRunner(proc)


def _watch(proc: Runner, part_r: int, err_fd: int, run: _Run, worker: Worker,
           info_path: Path, info: dict) -> tuple[bool, bytes]:
    """Follow the runner until it says "done" or exits: (said done, end of its stderr).
    Every half second, also look whether the build still wants the job."""
    os.set_blocking(part_r, False)
    os.set_blocking(err_fd, False)
    said = PartReader()
    err_tail = b""
    sel = selectors.DefaultSelector()
    sel.register(part_r, selectors.EVENT_READ, "part")
    sel.register(err_fd, selectors.EVENT_READ, "err")
    sel.register(proc.fileno(), selectors.EVENT_READ, "exit")
    try:
        exited = False
        while not exited and not said.done:
            for key, _ in sel.select(0.5):
                if key.data == "exit":
                    exited = True
                    continue
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fd)
                    continue
                if key.data == "err":
                    err_tail = (err_tail + chunk)[-4000:]
                    continue
                if said.feed(chunk):
                    run.part = info["part"] = said.current
                    _write_info(info_path, info)
            if not exited and not said.done and run.stop is None and _released(worker, run.key):
                _stop(run, CANCELED, "the build that started it went away")
        # what it wrote just before it went
        for fd in (part_r, err_fd):
            try:
                chunk = os.read(fd, 65536)
            except (BlockingIOError, OSError):
                chunk = b""
            if fd == err_fd:
                err_tail = (err_tail + chunk)[-4000:]
            else:
                said.feed(chunk)
        said.close()
        run.part = said.current
    finally:
        sel.close()
        os.close(part_r)
    return said.done, err_tail


def _released(worker: Worker, key: str) -> bool:
    """Has the cluster let go of this task (its client canceled it, or is gone)?"""
    try:
        ts = worker.state.tasks.get(key)
    except Exception:  # a Dask without this (internal) view: never mind
        return False
    return ts is None or ts.state in ("cancelled", "released", "forgotten")


def _stop(run: _Run, status: str, reason: str) -> bool:
    """Kill the job's processes (the caller holds no lock); False if it had ended."""
    with _lock:
        if run.status is not None or run.stop is not None:
            return False
        run.stop = (status, reason)
        if run.proc is not None:
            kill_tree(run.proc.pid, run.proc.pid)
    return True


async def stop_on_worker(key: str, status: str, reason: str) -> str | None:
    """Run by `Client.run` on every worker: stop the job of task `key` if it runs here and
    return its final status once post.json says it; None if it does not run here (it
    is tombstoned then, so it never starts here later)."""
    with _lock:
        run = _running.get(key)
        if run is None:
            _tombstones.add(key)
            return None
    _stop(run, status, reason)
    deadline = time.monotonic() + 60
    while not run.ended.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    return run.status


def _write_info(path: Path, info: dict) -> None:
    try:
        write_json(path, info)
    except OSError:
        pass


def _reap(proc: Runner, err_r: int, guard: _Guard) -> None:
    proc.wait()
    guard.tell("-", proc.pid)
    os.close(err_r)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _exit_text(returncode: int | None, server_died: bool = False) -> str:
    if server_died:
        return "the fork server that started the runner died, and the runner with it"
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"the runner was killed by {name}"
    return f"the runner exited with status {returncode} without writing post.json"


class _Guard:
    """One per worker process: a small process in a session of its own that knows the
    process groups of the jobs running here, and kills them when the worker goes away
    (`kill -9` included: it learns of it from end-of-file on a pipe only the worker holds)."""

    def __init__(self) -> None:
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-c",
             "import sys; from accel.executors.dask_worker import guard_main; guard_main(int(sys.argv[1]))",
             str(r)],
            pass_fds=(r,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(r)
        self.fd = w
        self.pid = os.getpid()

    def tell(self, sign: str, pgid: int) -> None:
        try:
            os.write(self.fd, f"{sign}{pgid}\n".encode())
        except OSError:
            pass


_the_guard: _Guard | None = None


def _guard() -> _Guard:
    global _the_guard
    with _lock:
        if _the_guard is None or _the_guard.pid != os.getpid():
            _the_guard = _Guard()
        return _the_guard


def guard_main(fd: int) -> None:
    """The guard's loop: read +PGID / -PGID lines until end of file, then kill what is left."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    guard_groups(fd)
