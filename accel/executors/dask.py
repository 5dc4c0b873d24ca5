"""Run jobs on a Dask distributed cluster.

The unit sent to the cluster is a job directory's path, nothing else: the workdirs are on
a filesystem every worker sees at the same path. The Dask task (`run_job_dir`) runs the
same runner a local build forks, in a session of its own on the worker (so analysis
slices fork there), and returns the status post.json says. The runner is forked by the
worker's fork server (accel.executors.forkserver: one per worker process, started by
its first job, with the runner imported and no method), which saves starting Python for
every job; without one it is `python -m accel.runner DIR`, started by the task.

Connecting. The executor connects to the scheduler when a job is to run, not before: a
build that reuses every job, and `ax why`, need no cluster.

Reservations. Each job asks for its `slices` CPUs as the Dask resource `CPU` when the
workers declare it (`dask worker ADDRESS --resources "CPU=8"`); when no worker does, a job
takes one worker thread, so a plain `dask worker ADDRESS` works. A job that no worker can
ever take (it needs CPU=4, the largest worker has CPU=2; or there are no workers at all)
fails at once with that message instead of queueing for ever.

Stopping. Dask cannot stop a running task, so cancel and timeout go to the worker
directly (`Client.run`, which the worker serves on its event loop even when all its
threads are busy): the worker kills the job's process group and tree
(`accel.proctree.kill_tree`; the runner is a subreaper, so nothing it started escapes)
and the task thread writes post.json with the status. A job not started yet is dropped
from the scheduler and tombstoned on every worker, so it never starts late. A job whose
build went away (its client released the task) is killed the same way.

Deaths. A worker that dies takes its runners with it (PR_SET_PDEATHSIG, or its fork
server kills them as it learns that the worker is gone), and a small guard process per
worker kills their process groups. The build side notices the worker
is gone (the job's `.accel/dask.json` names its worker) and marks the job failed; should
Dask re-run the task elsewhere, the task finds that file and refuses to run the job again
in the same directory. A failed job is never reused; a retry gets a fresh directory.

Output. The runner on the worker writes output/*.txt as the method prints; with
`echo`, the build side tails those files and shows the lines prefixed like a local run.

Inside a job running on a worker, a subjob runs on that same worker (a local executor in
the job's own reservation): queueing it on the cluster could wait for the very thread
its parent holds.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accel import layout, records
from accel.atomic import read_json, write_json
from accel.capture import flush_std
from accel.errors import JobDamaged, UserError
from accel.executors import forkserver
from accel.executors.base import ENDED, Executor, Handle, record_death
from accel.jobstatus import CANCELED, FAILED
from accel.proctree import follow_groups, kill_tree
from accel.records import status_of

if TYPE_CHECKING:
    from accel.config import ExecutorSpec

RESOURCE = "CPU"  # the Dask resource a job reserves `slices` of, when workers declare it
WORKER_ENV = "ACCEL_DASK_WORKER"  # set for a job's processes on a worker: its worker
TIMEOUT_ENV = "ACCEL_DASK_TIMEOUT"  # seconds to wait for the scheduler (and for a worker)
DEFAULT_TIMEOUT = 10.0
INFO = "dask.json"  # in the job's scratch folder: which worker runs it, its part
CHECK_INTERVAL = 1.0  # seconds between the build side's looks at the workers
TAIL_INTERVAL = 0.2  # seconds between looks at the output files, when echoing
NO_WORKER_GRACE = 10.0  # seconds a queued job may have no worker that could take it

Runner = forkserver.ServedRunner | forkserver.PopenRunner


def connect_timeout() -> float:
    try:
        value = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        raise UserError(f"{TIMEOUT_ENV}: expected a number of seconds, "
                        f"got {os.environ[TIMEOUT_ENV]!r}")
    return max(0.1, value)


def on_worker() -> bool:
    """Are we inside a job that a Dask worker runs?"""
    return bool(os.environ.get(WORKER_ENV))


# =========================================================================================
# the worker side: the task, the stop request, the guard
# =========================================================================================


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


def run_job_dir(path: str) -> dict:
    """The Dask task: run the job directory at `path` with the runner, as a subprocess in
    its own session, and return {"status": ...} from its post.json -- or {"death": how,
    "part": part} when post.json could not be written here, for the build side to write."""
    from distributed import get_worker

    worker = get_worker()
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


def _run(job: Path, run: _Run, worker: Any) -> dict:
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


def _watch(proc: Runner, part_r: int, err_fd: int, run: _Run, worker: Any,
           info_path: Path, info: dict) -> tuple[bool, bytes]:
    """Follow the runner until it says "done" or exits: (said done, end of its stderr).
    Every half second, also look whether the build still wants the job."""
    from accel.runner import DONE, ENDED_MARK

    os.set_blocking(part_r, False)
    os.set_blocking(err_fd, False)
    buf = b""
    err_tail = b""
    said_done = False
    sel = selectors.DefaultSelector()
    sel.register(part_r, selectors.EVENT_READ, "part")
    sel.register(err_fd, selectors.EVENT_READ, "err")
    sel.register(proc.fileno(), selectors.EVENT_READ, "exit")
    try:
        exited = False
        while not exited and not said_done:
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
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    part = line.decode(errors="replace")
                    if part == DONE:
                        said_done = True
                    elif part and not part.startswith(ENDED_MARK):  # "=finished": a status
                        run.part = info["part"] = part
                        _write_info(info_path, info)
            if not exited and not said_done and run.stop is None and _released(worker, run.key):
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
                buf += chunk
        for line in buf.split(b"\n"):
            if line == DONE.encode():
                said_done = True
            elif line and not line.startswith(ENDED_MARK.encode()):
                run.part = line.decode(errors="replace")
    finally:
        sel.close()
        os.close(part_r)
    return said_done, err_tail


def _released(worker: Any, key: str) -> bool:
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
             "import sys; from accel.executors.dask import guard_main; guard_main(int(sys.argv[1]))",
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
    groups: set[int] = set()
    buf = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except InterruptedError:
            continue
        if not chunk:
            break
        buf = follow_groups(buf + chunk, groups)
    for pgid in groups:
        _kill_group(pgid)


# =========================================================================================
# the build side
# =========================================================================================


class DaskHandle(Handle):
    def __init__(self, executor: DaskExecutor, path: Path, key: str, future: Any = None,
                 need: int = 1):
        self.executor = executor
        self.path = path
        self.jobid = path.name
        self.key = key
        self.future = future
        self.need = need
        self.status: str | None = None
        self.done = False  # the future has ended (set from Dask's callback thread)
        self.part = ""
        self.worker: str | None = None  # from .accel/dask.json, once it started
        self.no_worker_since: float | None = None
        self.resources: dict | None = None  # the Dask resources it was sent with
        self.tail = _Tail(path, self.jobid) if executor.echo else None

    def _on_done(self, _future: Any) -> None:
        with self.executor.cond:
            self.done = True
            self.executor.cond.notify_all()

    def wait(self, timeout: float | None = None) -> str | None:
        if self.status is None:
            self.executor.wait_any([self], timeout)
        return self.status

    def current_part(self) -> str:
        return self.part

    def _check(self) -> bool:
        """Has the job ended? Settles its status if so."""
        if self.status is not None:
            return True
        if not self.done and not (self.future is not None and self.future.done()):
            return False
        fut = self.future
        try:
            state = fut.status
            if state == "finished":
                res = fut.result()
                if res.get("status") in ENDED:
                    self._settle(res["status"])
                elif res.get("death"):
                    self._settle(record_death(self.path, res["death"], res.get("part", "")))
                else:  # refused: it was stopped before it started
                    self._settle(record_death(self.path, "stopped before it started",
                                              "the dask queue", CANCELED))
            elif state == "error":
                self._settle(record_death(self.path, _task_error(fut.exception()), self.part))
            else:  # cancelled or lost, and not by us
                self._settle(record_death(
                    self.path, f"the dask scheduler dropped the task ({state}; was the "
                    "scheduler restarted, or the connection to it lost?)", self.part))
        except Exception as e:  # the connection went while we asked
            self._settle(record_death(self.path, f"lost track of the dask task: "
                                      f"{type(e).__name__}: {e}", self.part))
        return True

    def _settle(self, status: str) -> None:
        self.status = status
        if self.tail is not None:
            self.tail.poll(final=True)
        self.future = None  # the cluster may forget the result

    def cancel(self, status: str = CANCELED, reason: str = "") -> str:
        return self._stop(status, reason or status)

    def _stop(self, status: str, reason: str, exception: str | None = None) -> str:
        """Stop the job wherever it is: running on a worker (killed there, and the worker
        writes post.json), or queued (dropped, and tombstoned on every worker)."""
        if self._check():
            return self.status  # type: ignore[return-value]
        found: list[str] = []
        try:
            answers = self.executor.client.run(stop_on_worker, self.key, status, reason,
                                               on_error="return")
            found = [a for a in answers.values() if isinstance(a, str)]
        except Exception:
            pass
        self._forget()
        if found:
            self._settle(found[0])
        elif exception is not None:
            self._settle(record_death(self.path, reason, "the dask queue", status, exception))
        else:
            where = self.part or ("the dask queue" if self.worker is None else "")
            self._settle(record_death(self.path, reason, where, status))
        return self.status  # type: ignore[return-value]

    def _forget(self) -> None:
        """Tell the scheduler we want the task no more: if it is still queued it never
        starts; if it runs, its worker stops it."""
        try:
            if self.future is not None:
                self.future.cancel()
        except Exception:
            pass


class _FailedHandle(Handle):
    """A job that could not be sent: it has ended before it began."""

    def __init__(self, path: Path, status: str):
        self.path = path
        self.status = status

    def wait(self, timeout: float | None = None) -> str | None:
        return self.status

    def cancel(self, status: str = CANCELED, reason: str = "") -> str:
        return self.status

    def _check(self) -> bool:
        return True


class DaskExecutor(Executor):
    """Runs job directories on the Dask cluster `spec` names. It connects when it first
    needs the cluster (a job to run), so a build that reuses every job, or a command that
    only plans (`ax why`), works with no scheduler running."""

    uses_local_cpus = False  # the cluster bounds its jobs (resources, threads), not we

    def __init__(self, spec: ExecutorSpec, echo: bool = True, timeout: float | None = None):
        self.spec = spec
        self.echo = echo
        self.timeout = connect_timeout() if timeout is None else timeout
        self.cond = threading.Condition()
        self._client: Any = None
        self._address: str | None = None
        self._connecting = threading.Lock()
        self._closed = False
        self._workers: dict[str, dict] = {}
        self._workers_at = -1e9
        self._checked = time.monotonic()
        self._tailed = 0.0

    # --- the cluster ----------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The distributed.Client, connected now if it is not yet (a UserError in one line
        if the scheduler cannot be reached)."""
        if self._client is None:
            with self._connecting:
                if self._closed:
                    raise RuntimeError("the dask executor is closed")
                if self._client is None:
                    self._address, self._client = _connect(self.spec, self.timeout)
        return self._client

    @property
    def address(self) -> str:
        """The scheduler's address (once connected; before, what the spec names)."""
        if self._address is not None:
            return self._address
        if self.spec.scheduler_file is not None:
            return f"the scheduler of {self.spec.scheduler_file}"
        return str(self.spec.address)

    def workers(self, max_age: float = CHECK_INTERVAL) -> dict[str, dict]:
        """address -> {"nthreads", "resources", ...} of the workers now, at most `max_age` old."""
        if time.monotonic() - self._workers_at > max_age:
            try:
                info = self.client.scheduler_info(n_workers=-1)
            except TypeError:  # a Dask from before n_workers, which lists them all
                info = self.client.scheduler_info()
            self._workers = dict(info.get("workers", {}))
            self._workers_at = time.monotonic()
        return self._workers

    def capacity(self, slices: int) -> int:
        """How many jobs of `slices` slices the cluster runs at once now."""
        workers = self.workers().values()
        if any(RESOURCE in w.get("resources", {}) for w in workers):
            return sum(min(int(w.get("nthreads", 1)),
                           int(w.get("resources", {}).get(RESOURCE, 0) // max(1, slices)))
                       for w in workers)
        return sum(int(w.get("nthreads", 1)) for w in workers)

    def _placement(self, need: int, wait: bool = True,
                   asked: dict | None = None) -> tuple[str | None, dict | None]:
        """(what is missing, or None; the Dask resources to ask for). For a job queued
        already, `asked` is what it was sent with: without resources any worker takes it;
        with them, it still needs them whatever the workers declare now."""
        workers = self.workers()
        if not workers and wait:
            try:
                self.client.wait_for_workers(1, timeout=self.timeout)
            except Exception:
                pass
            workers = self.workers(max_age=0)
        if not workers:
            return (f"no dask worker is connected to the scheduler at {self.address} "
                    f"(start some: dask worker {self.address})"), None
        declared = [w.get("resources", {}).get(RESOURCE) for w in workers.values()]
        declared = [d for d in declared if d is not None]
        if asked is not None and not asked:
            return None, None  # queued without resources: any worker takes it
        if not declared and asked is None:
            return None, None  # one job per worker thread
        have = max(declared, default=0)
        if have < need:
            return (f"the job needs {RESOURCE}={need} (its slices) on one dask worker, and the "
                    f"largest worker has {RESOURCE}={_num(have)}: start workers with "
                    f"--resources \"{RESOURCE}={need}\" or more, or use fewer slices"), None
        return None, {RESOURCE: need}

    # --- the contract ---------------------------------------------------------------

    def submit(self, path: Path, setup: dict | None = None) -> Handle:
        path = Path(path)
        if setup is None:
            setup = records.read_setup(path) or {}
        # a job forks its slices only if its method has analysis; otherwise it takes one CPU
        need = max(1, int(setup.get("slices", 1))) if setup.get("analysis", True) else 1
        try:
            self.client  # noqa: B018 -- connect now, if not yet
        except UserError as e:  # the job directory says why it never ran; the build stops
            record_death(path, str(e), "sending it to dask", FAILED, "DaskUnreachable")
            raise
        missing, resources = self._placement(need)
        if missing:
            return _FailedHandle(path, record_death(path, missing, "sending it to dask", FAILED,
                                                     "NoDaskWorker"))
        key = f"accel-{path.name}-{uuid.uuid4().hex[:12]}"
        fut = self.client.submit(run_job_dir, str(path), key=key, pure=False,
                                 resources=resources)
        handle = DaskHandle(self, path, key, fut, need)
        handle.resources = resources
        fut.add_done_callback(handle._on_done)
        return handle

    def wait_any(self, handles: Sequence[Handle], timeout: float | None = None) -> list[Handle]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            ended = [h for h in handles if h._check()]  # type: ignore[attr-defined]
            if ended or not handles:
                return ended
            self._look_around(handles)
            ended = [h for h in handles if h._check()]  # type: ignore[attr-defined]
            if ended:
                return ended
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return []
            pause = TAIL_INTERVAL if self.echo else CHECK_INTERVAL
            if deadline is not None:
                pause = min(pause, deadline - now)
            with self.cond:
                if not any(getattr(h, "done", True) for h in handles):
                    self.cond.wait(pause)

    def _look_around(self, handles: Sequence[Handle]) -> None:
        """Now and then: show new output, and see whether a job's worker is gone, or a
        queued job has no worker left that could take it."""
        now = time.monotonic()
        live = [h for h in handles if isinstance(h, DaskHandle) and h.status is None
                and not h.done]
        if self.echo and now - self._tailed >= TAIL_INTERVAL * max(1, len(live) / 20):
            self._tailed = now
            for h in live:
                h.tail.poll()  # type: ignore[union-attr]
        if now - self._checked < CHECK_INTERVAL or not live:
            return
        self._checked = now
        for h in live:  # read first: a worker a file names started before we ask for the list
            try:
                info = read_json(h.path / layout.SCRATCH / INFO)
            except (OSError, ValueError):
                continue
            h.worker = info.get("worker") or h.worker
            h.part = info.get("part") or h.part
        if self.client.status != "running":
            return  # not connected now: the futures will say what became of the jobs
        try:
            workers = self.workers(max_age=0)
        except Exception:
            return
        for h in live:
            if h.worker is not None:
                if h.worker not in workers and not h.done:
                    how = f"the dask worker running it ({h.worker}) died or left the cluster"
                    h._forget()
                    h._settle(record_death(h.path, how, h.part))
                continue
            missing, _ = self._placement(h.need, wait=False, asked=h.resources or {})
            if missing is None:
                h.no_worker_since = None
            elif h.no_worker_since is None:
                h.no_worker_since = now
            elif now - h.no_worker_since > NO_WORKER_GRACE:
                h._stop(FAILED, f"no dask worker can run it any more: {missing}",
                        "NoDaskWorker")

    def close(self) -> None:
        with self._connecting:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close(timeout=self.timeout)
            except Exception:
                pass


# --- helpers ----------------------------------------------------------------------------


def _connect(spec: ExecutorSpec, timeout: float) -> tuple[str, Any]:
    """(address, distributed.Client) for `spec`; a UserError in one line if not reachable."""
    try:
        from distributed import Client
    except ImportError:
        raise UserError("executor: dask needs the distributed package: pip install 'accel[dask]'")
    if spec.scheduler_file is not None:
        address = _address_from_file(Path(spec.scheduler_file), timeout)
        where = f" (from scheduler file {spec.scheduler_file})"
    else:
        address, where = str(spec.address), ""
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, asyncio.TimeoutError) as e:
        raise UserError(f"executor: cannot reach the dask scheduler at {address}{where}: "
                        f"{_short(e) or f'no answer within {timeout:g} s'}")
    except Exception as e:
        raise UserError(f"executor: cannot connect to the dask scheduler at {address}{where}: "
                        f"{type(e).__name__}: {_short(e)}")
    return address, client


def _address_from_file(path: Path, timeout: float) -> str:
    """The scheduler's address from its scheduler file, which it writes as it starts:
    waited for up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            address = json.loads(path.read_text()).get("address")
            if address:
                return str(address)
            problem = "names no address"
        except FileNotFoundError:
            problem = "does not exist (is the scheduler running? dask scheduler --scheduler-file PATH)"
        except (OSError, ValueError) as e:
            if isinstance(e, OSError) and e.errno == errno.EISDIR:
                raise UserError(f"executor: dask scheduler file {path} is a folder")
            problem = f"cannot be read ({_short(e)})"
        if time.monotonic() >= deadline:
            raise UserError(f"executor: dask scheduler file {path} {problem}")
        time.sleep(0.05)


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else ""


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _task_error(exc: BaseException | None) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return f"the dask workers running it kept dying ({_short(exc)})"
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] == "accel":
        return "accel cannot be imported on the dask worker: install it there (pip install 'accel[dask]')"
    return f"the dask task failed: {name}: {_short(exc) if exc else ''}"


class _Tail:
    """Shows what a job on a worker prints, from its output files, as a local run would:
    each line prefixed with `[JOBID PART] `."""

    def __init__(self, path: Path, jobid: str):
        self.outdir = path / layout.OUTPUT
        self.jobid = jobid
        self.offsets: dict[str, int] = {}
        self.partial: dict[str, bytes] = {}

    def poll(self, final: bool = False) -> None:
        try:
            names = os.listdir(self.outdir)
        except OSError:
            return
        out = []
        for name in sorted(names, key=_part_rank):
            label = _part_label(name)
            if label is None:
                continue
            try:
                with open(self.outdir / name, "rb") as f:
                    f.seek(self.offsets.get(name, 0))
                    data = f.read()
            except OSError:
                continue
            self.offsets[name] = self.offsets.get(name, 0) + len(data)
            data = self.partial.pop(name, b"") + data
            lines = data.split(b"\n")
            rest = lines.pop()
            if final and rest:
                lines.append(rest)
            elif rest:
                self.partial[name] = rest
            prefix = f"[{self.jobid} {label}] ".encode()
            out += [prefix + line + b"\n" for line in lines]
        if out:
            flush_std()
            clear = b"\r\x1b[K" if _isatty(1) else b""
            data = b"".join(clear + line for line in out)
            try:
                while data:
                    data = data[os.write(1, data):]
            except OSError:
                pass


def _part_label(name: str) -> str | None:
    if not name.endswith(".txt"):
        return None
    stem = name[:-4]
    if stem.startswith("analysis-") and stem[9:].isdigit():
        return f"analysis {stem[9:]}"
    return stem if stem in ("prepare", "synthesis") else None


def _part_rank(name: str) -> tuple[int, int]:
    if name.startswith("prepare"):
        return (0, 0)
    if name.startswith("analysis-"):
        digits = name[9:].split(".")[0]
        return (1, int(digits) if digits.isdigit() else 0)
    return (2, 0)


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False
