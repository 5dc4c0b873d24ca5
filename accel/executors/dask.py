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

Stopping and deaths are the worker side's (`accel.executors.dask_worker`); this side
sends the stop request, and notices a worker that is gone (the job's `.accel/dask.json`
names its worker) and marks the job failed. A failed job is never reused; a retry gets a
fresh directory.

Output. The runner on the worker writes output/*.txt as the method prints; with
`echo`, the build side tails those files (`accel.executors.dask_tail`) and shows the
lines prefixed like a local run.

Inside a job running on a worker, a subjob runs on that same worker (a local executor in
the job's own reservation): queueing it on the cluster could wait for the very thread
its parent holds.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from accel import layout, records
from accel.atomic import read_json
from accel.errors import UserError
from accel.executors.base import ENDED, Executor, Handle, record_death
from accel.executors.dask_tail import Tail
from accel.executors.dask_worker import INFO, run_job_dir, stop_on_worker, this_accel
from accel.jobstatus import CANCELED, FAILED

if TYPE_CHECKING:
    from distributed import Client, Future

    from accel.config import ExecutorSpec

RESOURCE = "CPU"  # the Dask resource a job reserves `slices` of, when workers declare it
TIMEOUT_ENV = "ACCEL_DASK_TIMEOUT"  # seconds to wait for the scheduler (and for a worker)
DEFAULT_TIMEOUT = 10.0
CHECK_INTERVAL = 1.0  # seconds between the build side's looks at the workers
TAIL_INTERVAL = 0.2  # seconds between looks at the output files, when echoing
NO_WORKER_GRACE = 10.0  # seconds a queued job may have no worker that could take it


def connect_timeout() -> float:
    try:
        value = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        raise UserError(f"{TIMEOUT_ENV}: expected a number of seconds, "
                        f"got {os.environ[TIMEOUT_ENV]!r}")
    return max(0.1, value)


# =========================================================================================
# the build side
# =========================================================================================


class DaskHandle(Handle):
    def __init__(self, executor: DaskExecutor, path: Path, key: str, future: Future | None = None,
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
        self.tail = Tail(path, self.jobid) if executor.echo else None

    def _on_done(self, _future: Future) -> None:
        with self.executor.cond:
            self.done = True
            self.executor.cond.notify_all()

    def wait(self, timeout: float | None = None) -> str | None:
        if self.status is None:
            self.executor.wait_any([self], timeout)
        return self.status

    def current_part(self) -> str:
        return self.part

    def has_ended(self) -> bool:
        """Has the job ended? Settles its status if so."""
        if self.status is not None:
            return True
        if not self.done and not (self.future is not None and self.future.done()):
            return False
        fut = self.future
        try:
            assert fut is not None  # done but not settled: the future is still kept
            state = fut.status
            if state == "finished":
                res = fut.result()
                if res.get("status") in ENDED:
                    self._settle(res["status"])
                elif res.get("death"):
                    self._settle(record_death(self.path, res["death"], res.get("part", "")))
                elif res.get("other_accel"):
                    self._settle(record_death(self.path, res["other_accel"], "starting", FAILED,
                                              "OtherAccel"))
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

    def _settle(self, status: str) -> str:
        self.status = status
        if self.tail is not None:
            self.tail.poll(final=True)
        self.future = None  # the cluster may forget the result
        return status

    def cancel(self, status: str = CANCELED, reason: str = "") -> str:
        return self._stop(status, reason or status)

    def _stop(self, status: str, reason: str, exception: str | None = None) -> str:
        """Stop the job wherever it is: running on a worker (killed there, and the worker
        writes post.json), or queued (dropped, and tombstoned on every worker)."""
        if self.has_ended():
            assert self.status is not None  # has_ended settled it
            return self.status
        found: list[str] = []
        try:
            answers = self.executor.client.run(stop_on_worker, self.key, status, reason,
                                               on_error="return")
            found = [a for a in answers.values() if isinstance(a, str)]
        except Exception:
            pass
        self._forget()
        if found:
            return self._settle(found[0])
        if exception is not None:
            return self._settle(record_death(self.path, reason, "the dask queue", status,
                                             exception))
        where = self.part or ("the dask queue" if self.worker is None else "")
        return self._settle(record_death(self.path, reason, where, status))

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

    def has_ended(self) -> bool:
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
        self._client: Client | None = None
        self._address: str | None = None
        self._connecting = threading.Lock()
        self._closed = False
        self._workers: dict[str, dict] = {}
        self._workers_at = -1e9
        self._checked = time.monotonic()
        self._tailed = 0.0

    # --- the cluster ----------------------------------------------------------------

    @property
    def client(self) -> Client:
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
        fut = self.client.submit(run_job_dir, str(path), builder=this_accel(), key=key,
                                 pure=False, resources=resources)
        handle = DaskHandle(self, path, key, fut, need)
        handle.resources = resources
        fut.add_done_callback(handle._on_done)
        return handle

    def wait_any(self, handles: Sequence[Handle], timeout: float | None = None) -> list[Handle]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            ended = [h for h in handles if h.has_ended()]
            if ended or not handles:
                return ended
            self._look_around(handles)
            ended = [h for h in handles if h.has_ended()]
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
                assert h.tail is not None  # every handle has one when echo is on
                h.tail.poll()
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


def _connect(spec: ExecutorSpec, timeout: float) -> tuple[str, Client]:
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
    if exc is not None and name == "KilledWorker":
        return f"the dask workers running it kept dying ({_short(exc)})"
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] == "accel":
        return "accel cannot be imported on the dask worker: install it there (pip install 'accel[dask]')"
    if isinstance(exc, TypeError) and "'builder'" in str(exc):  # an accel from before the check
        return ("the dask worker's Python imports an older accel than the build's: give the "
                "workers the same accel as the build")
    return f"the dask task failed: {name}: {_short(exc) if exc else ''}"
