"""Run builds side by side: the engine under `urd.build` and `urd.build_many`.

A `Task` is one build request. The scheduler starts tasks while fewer than `parallel`
run and their CPUs fit the budget (a job whose method has `analysis` takes `slices`
CPUs, any other one), reuses what exists, and then waits on all running jobs at once.
The budget is shared with every other build on the machine (`cpuslots`). Builds inside
a job (subjobs, an `ax run` a method starts) and from a callback of a running build take
the CPUs that are free but never wait for them: they run inside something holding CPUs
already, and waiting there could wait in a circle. Cluster jobs count on the cluster.
Every TICK it also looks at deadlines (`timeout`) and cancel requests (`ax abort REF`),
and that the CPUs it holds are in the slots file at the path (it may have been deleted).
A failed or timed-out job is retried, if allowed, in a fresh directory. If anything
interrupts the loop -- Ctrl-C, `ax abort`, an exception in a callback -- every running
job is stopped with all its processes and marked canceled before the exception goes on
(a job interrupted while it was being started too); callbacks are not called for them.

One job per identity: a second task of the same identity in the same batch waits for the
first and gets its job; another builder's build of it is waited for (its identity lock).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from accel import cpuholders, cpuslots, layout
from accel.disk import is_disk_error
from accel.errors import DiskError, JobError
from accel.executors import Executor, Handle, record_death
from accel.job import Job
from accel.jobstatus import CANCELED, DONE_OK, FAILED, FINISHED, PENDING, REUSED, RUNNING, TIMEOUT
from accel.plan import Plan, check_inputs
from accel.store.locks import ByteLock, LockSet

TICK = 0.2  # seconds between looks at deadlines, cancel requests and progress


@dataclass(eq=False)
class Task:
    """One build request, and how it went."""

    plan: Plan
    name: str  # the method, or the name= it is built under
    workdir: str | None = None
    caption: str | None = None
    force_build: bool = False
    timeout: float | None = None
    retries: int = 0
    row: dict | None = None  # the row of build_many it came from

    status: str = PENDING  # PENDING, a job status (accel.jobstatus) or REUSED
    job: Job | None = None
    error: JobError | None = None
    attempts: int = 0
    runtime: float | None = None  # seconds the (last) job ran
    tries: list[str] = field(default_factory=list)  # every job made for it, in order
    # while it runs
    handle: Handle | None = None
    lock: ByteLock | LockSet | None = None
    started: float = 0.0  # time.time() at start, as in the running registry
    t0: float = 0.0  # time.monotonic() at start
    t_run: float | None = None  # time.monotonic() once it runs (on a cluster it may queue)
    part: str = ""
    weight: int = 1
    cpus: cpuslots.Claim | None = None  # its share of the machine's CPUs while it runs
    followers: list[Task] = field(default_factory=list)
    waiting_note: bool = False

    @property
    def ended(self) -> bool:
        return self.status not in (PENDING, RUNNING)

    @property
    def ok(self) -> bool:
        return self.status in DONE_OK


class JobBook(Protocol):
    """What the scheduler asks of the one who keeps the jobs (the Builder, over its
    store): find a job to reuse, make a new one, publish or report how it ended."""

    def find(self, plan: Plan) -> str | None:
        """A finished job to reuse (marked used), or None."""

    def identity_lock(self, plan: Plan, workdir: str | None) -> ByteLock | LockSet:
        """The lock one build of an identity holds while it makes the job."""

    def cannot_start(self, plan: Plan, exc: OSError, workdir: str | None) -> DiskError:
        """The error for a job that cannot start for its disk."""

    def prepare_job(self, plan: Plan, workdir: str | None, caption: str | None,
                    force_build: bool = False) -> tuple[str, Path, dict, float]:
        """A new job directory with its setup.json: (job id, path, setup, start time)."""

    def publish(self, plan: Plan, jobid: str) -> None:
        """The finished job, findable by its identity from now on."""

    def unregister(self, jobid: str) -> None:
        """The job runs no more."""

    def cancel_requested(self, jobid: str) -> str | None:
        """Why `ax abort` asked the job to stop, if it did."""

    def note_part(self, jobid: str, started: float, part: str) -> None:
        """The part the job runs now, for `ax status`."""

    def job_error(self, jobid: str, status: str, told: dict | None = None) -> JobError:
        """The error a job that did not finish raises in the build script."""


class ProgressView(Protocol):
    """What shows a run's progress as it goes (accel.progress.Progress, set by `ax run`);
    it may also have clear(), to take its line away before something else prints."""

    def begin(self, sched: Scheduler) -> None:
        """The run starts."""

    def tick(self, sched: Scheduler) -> None:
        """Now and then while jobs run."""

    def end(self, sched: Scheduler) -> None:
        """The run has ended (or was interrupted)."""


class Scheduler:
    _loops = 0  # schedulers of this process in their run loop (a callback may build)

    def __init__(self, book: JobBook, executor: Executor, slices: int, cpus: int,
                 parallel: int = 1, on_end: Callable[[Task], None] | None = None,
                 progress: ProgressView | None = None, cpu_slots: Path | None = None,
                 project: str = "", build: str = ""):
        """`slices`: the CPUs a job with analysis takes; `cpus`: how many its jobs may
        use at once; `cpu_slots`: the slots file they share with other builds (None: the
        default, `cpuslots.slots_path`); `project` and `build`: who this is, to them."""
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self.book = book
        self.executor = executor
        self.slices = slices
        self.parallel = parallel
        self.cpus = max(1, cpus)
        # the machine's CPUs, shared with other builds (see above for who waits for them)
        self.shared = None
        if self.executor.uses_local_cpus:
            self.shared = cpuslots.for_builds(self.cpus, cpu_slots, project, build)
        self.project = project
        self.waits_for_cpus = not (layout.inside_job() or Scheduler._loops)
        self._cpu_wait: float | None = None  # since when the next job waits for CPUs
        self.on_end = on_end
        self.progress = progress
        self.tasks: list[Task] = []
        self.running: list[Task] = []
        self.ended: list[Task] = []  # in the order they ended
        self._leaders: dict[str, Task] = {}  # identity -> the task building it now
        self._stopping = False  # stop_all: jobs end without callbacks

    # --- the loop ----------------------------------------------------------------

    def run(self, tasks: list[Task]) -> list[Task]:
        self.tasks += tasks
        pending: deque[Task] = deque()
        blocked: list[Task] = []  # another builder holds their identity lock
        Scheduler._loops += 1
        try:
            if self.progress is not None:
                self.progress.begin(self)
            for task in tasks:  # what exists is reused at once, not when a slot is free
                if task.force_build or not self._reuse(task):
                    pending.append(task)
            while pending or self.running or blocked:
                waiting = self._cpu_wait is not None  # for other builds' CPUs
                if (blocked or waiting) and not self.running:
                    time.sleep(0.05)
                pending.extendleft(reversed(blocked))
                blocked.clear()
                while pending and self._fits(pending[0]):
                    got = self._start(pending[0])
                    if got == "no cpus":  # it stays first in line
                        break
                    self._stop_waiting()  # for whatever it was gathering CPUs for
                    task = pending.popleft()
                    if got == "blocked":
                        blocked.append(task)
                if not self.running:
                    continue
                tick = 0.05 if self._cpu_wait is not None else TICK
                handles = [t.handle for t in self.running if t.handle is not None]  # (all)
                for handle in self.executor.wait_any(handles, tick):
                    self._ended(next(t for t in self.running if t.handle is handle))
                self._look_around()
                if self.shared is not None:
                    self.shared.keep()  # our CPUs stay where other builds look for them
        except BaseException:
            try:
                self.stop_all(CANCELED, "interrupted")
            finally:  # also one caught between two steps of starting or ending
                for task in self.tasks:
                    self._release(task)
                    if not task.ended:
                        task.status = CANCELED
            raise
        finally:
            Scheduler._loops -= 1
            self._stop_waiting()
            if self.shared is not None and not Scheduler._loops:
                cpuslots.release_all()  # nothing runs: also what an interruption left
            if self.progress is not None:
                self.progress.end(self)
        return tasks

    def _fits(self, task: Task) -> bool:
        if not self.running:
            return True
        if len(self.running) >= self.parallel:
            return False
        used = sum(t.weight for t in self.running)
        return used + self._weight(task) <= self.cpus

    def _weight(self, task: Task) -> int:
        """The CPUs `task`'s job counts, at most the budget (a bigger job runs alone)."""
        has_analysis = callable(getattr(task.plan.info.module, "analysis", None))
        return min(max(1, self.slices) if has_analysis else 1, self.cpus)

    # --- starting ----------------------------------------------------------------

    def _reuse(self, task: Task) -> bool:
        jobid = self.book.find(task.plan)
        if jobid:
            self._end(task, REUSED, Job(jobid))
        return bool(jobid)

    def _start(self, task: Task) -> str:
        """Follow or launch `task` (`run` has looked for a job to reuse; under the
        identity lock we look again): "started" (or reused, or following), "blocked" if
        another builder holds its identity, "no cpus" while other builds use them."""
        b = self.book
        plan = task.plan
        if not task.force_build:
            leader = self._leaders.get(plan.identity)
            if leader is not None:
                leader.followers.append(task)
                task.status = RUNNING
                return "started"
        check_inputs(plan)
        if not self._take_cpus(task):
            return "no cpus"
        try:
            lock = b.identity_lock(plan, task.workdir)
            got = lock.acquire(blocking=False)
        except OSError as e:  # a read-only workdir: its lock file cannot be opened to write
            self._release(task)
            if is_disk_error(e):
                raise b.cannot_start(plan, e, task.workdir) from None
            raise
        if not got:
            self._release(task)  # its CPUs: nobody waits for them while we wait
            if not task.waiting_note:
                task.waiting_note = True
                self._say(f"accel: waiting for another build of {plan.info.name!r} with the "
                          "same identity")
            return "blocked"
        task.lock = lock
        if not task.force_build:
            jobid = b.find(plan)  # it may have been built meanwhile
            if jobid:
                self._release(task)
                self._end(task, REUSED, Job(jobid))
                return "started"
        self._leaders.setdefault(plan.identity, task)
        self._launch(task)
        return "started"

    def _take_cpus(self, task: Task) -> bool:
        if self.shared is None:
            return True
        if not self.waits_for_cpus:
            task.cpus = self.shared.take_free(self._weight(task))
            return True
        task.cpus = self.shared.try_take(self._weight(task), task.plan.info.name)
        now = time.monotonic()
        if task.cpus is not None:
            self._cpu_wait = None
            return True
        if self._cpu_wait is None:
            self._cpu_wait = now
        elif now - self._cpu_wait > 1.0 and not self.shared.told_waiting:
            self.shared.told_waiting = True
            held_by = cpuholders.wait_text(*self.shared.usage(), self.project)
            self._say(f"accel: {task.plan.info.name!r} waits for CPUs other builds on this "
                      f"machine are using (cpus: {self.cpus}){held_by}")
        return False

    def _stop_waiting(self) -> None:
        if self._cpu_wait is not None and self.shared is not None:
            self.shared.stop_gathering()
        self._cpu_wait = None

    def _launch(self, task: Task) -> None:
        task.attempts += 1
        task.weight = self._weight(task)
        task.status, task.job, task.handle, task.t0 = RUNNING, None, None, time.monotonic()
        # running from here on: interrupted before it has a handle, `_stop` still ends it
        self.running.append(task)
        jobid, path, setup, started = self.book.prepare_job(task.plan, task.workdir, task.caption,
                                                              task.force_build)
        task.job = Job(jobid)
        if task.cpus is not None:
            task.cpus.runs(jobid, task.plan.info.name)  # for builds that wait for them
        task.tries.append(jobid)
        task.started, task.t0, task.part = started, time.monotonic(), ""
        task.t_run = task.t0 if self.executor.uses_local_cpus else None
        task.handle = self.executor.submit(path, setup)

    # --- ending ------------------------------------------------------------------

    def _ended(self, task: Task, status: str | None = None) -> None:
        """`task`'s job has ended (`status`: as its handle says). The task stays in
        `running` until it is settled, so an interruption half-way still finds it."""
        if status is None:  # its handle has ended (wait_any or cancel said so)
            assert task.handle is not None
            status = task.handle.wait(0)
            assert status is not None
        task.runtime = time.monotonic() - task.t0
        b = self.book
        if task.job is None:  # stopped before its job directory was made
            task.job = Job(task.tries[-1]) if task.tries else None
            task.error = JobError(f"build of {task.plan.info.name!r} was {status} before its "
                                  "job started", task.job or "", task.plan.info.name, "", status)
        else:
            b.unregister(task.job)
            if status == FINISHED:
                b.publish(task.plan, task.job)
            elif status in (FAILED, TIMEOUT) and task.attempts <= task.retries:
                self._say(f"accel: {task.job} ({task.plan.info.name}) {status}; retrying "
                          f"({task.attempts} of {task.retries})")
                self.running.remove(task)
                self._launch(task)  # in a fresh directory; the identity lock is still ours
                return
            else:
                told = task.handle.told_error() if task.handle is not None else None
                task.error = b.job_error(task.job, status, told)
        self.running.remove(task)
        self._release(task)
        self._end(task, status, task.job)

    def _end(self, task: Task, status: str, job: Job | None) -> None:
        """`task` and the tasks following it have ended; then the callbacks (so an
        exception in one leaves no task half-ended)."""
        if self._leaders.get(task.plan.identity) is task:
            del self._leaders[task.plan.identity]
        group = [task, *task.followers]
        task.followers = []
        for t in group:
            if t is not task:
                t.error, t.runtime = task.error, 0.0
            t.status = status if t is task or status not in DONE_OK else REUSED
            t.job, t.handle = job, None
            self.ended.append(t)
        if self.on_end is not None and not self._stopping:
            for t in group:
                self._clear_progress()
                self.on_end(t)

    def _clear_progress(self) -> None:
        """Before anything else prints: the progress line would be in its way."""
        clear = getattr(self.progress, "clear", None)
        if clear is not None:
            clear()

    def _say(self, text: str) -> None:
        self._clear_progress()
        print(text, file=sys.stderr, flush=True)

    def _release(self, task: Task) -> None:
        """Let go of `task`'s identity lock and CPUs."""
        if task.lock is not None:
            task.lock.release()
            task.lock = None
        if task.cpus is not None:
            task.cpus.release()
            task.cpus = None

    # --- deadlines, cancel requests, progress -------------------------------------

    def _look_around(self) -> None:
        now = time.monotonic()
        for task in list(self.running):
            job, handle = task.job, task.handle
            assert job is not None and handle is not None  # every running task was launched
            wanted = self.book.cancel_requested(job)
            if wanted:
                self._stop(task, wanted, "canceled by ax abort")
            elif (task.timeout is not None and task.t_run is not None
                  and now - task.t_run > task.timeout):
                self._stop(task, TIMEOUT, f"timed out after {task.timeout:g} s")
            elif now - task.t0 > TICK or task.t_run is None:
                part = handle.current_part()
                if part and task.t_run is None:  # the timeout counts from here
                    task.t_run = now
                if part and part != task.part:
                    task.part = part
                    self.book.note_part(job, task.started, part)
        if self.progress is not None:
            self.progress.tick(self)

    def _stop(self, task: Task, status: str, reason: str) -> None:
        if task.handle is not None:
            task.handle.cancel(status, reason)
            self._ended(task)
            return
        # interrupted while it was being started: it has not run (the executor leaves
        # no process behind when submit fails)
        if task.job is not None:
            status = record_death(task.job.path, reason, "", status)
        self._ended(task, status)

    def stop_all(self, status: str, reason: str) -> None:
        """Stop every running job; they end `status`, not retried, without callbacks."""
        self._stopping = True
        for task in list(self.running):
            task.retries = 0
            try:
                self._stop(task, status, reason)
            except Exception as e:  # keep stopping the others
                self._say(f"accel: could not stop {task.job}: {e}")
        for task in self.tasks:
            if task.status == RUNNING:  # followers of a stopped leader
                task.status = status
