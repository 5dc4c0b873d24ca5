"""Run builds side by side: the engine under `urd.build` and `urd.build_many`.

A `Task` is one build request. The scheduler starts tasks while fewer than `parallel`
run and their CPUs fit the budget (a job whose method has `analysis` takes `slices`
CPUs, any other one), reuses what exists, and then waits on all running jobs at once.
Every TICK it also looks at deadlines (`timeout`) and cancel requests (`ax abort REF`).
A failed or timed-out job is retried, if allowed, in a fresh directory. If anything
interrupts the loop -- Ctrl-C, `ax abort`, an exception in a callback -- every running
job is stopped with all its processes and marked canceled before the exception goes on.

One job per identity: a second task of the same identity in the same batch waits for the
first and gets its job; another builder's build of it is waited for (its identity lock).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from accel.errors import JobError
from accel.executors import Handle
from accel.job import Job
from accel.store.locks import ByteLock

TICK = 0.2  # seconds between looks at deadlines, cancel requests and progress
OK = ("finished", "reused")


@dataclass(eq=False)
class Task:
    """One build request, and how it went."""

    plan: Any  # builder.Plan
    name: str  # the method, or the name= it is built under
    workdir: str | None = None
    caption: str | None = None
    force_build: bool = False
    timeout: float | None = None
    retries: int = 0
    row: dict | None = None  # the row of build_many it came from

    status: str = "pending"  # pending, running, finished, reused, failed, canceled, timeout
    job: Job | None = None
    error: JobError | None = None
    attempts: int = 0
    runtime: float | None = None  # seconds the (last) job ran
    tries: list[str] = field(default_factory=list)  # every job made for it, in order
    # while it runs
    handle: Handle | None = None
    lock: ByteLock | None = None
    started: float = 0.0  # time.time() at start, as in the running registry
    t0: float = 0.0  # time.monotonic() at start
    part: str = ""
    weight: int = 1
    followers: list[Task] = field(default_factory=list)
    waiting_note: bool = False

    @property
    def ended(self) -> bool:
        return self.status not in ("pending", "running")

    @property
    def ok(self) -> bool:
        return self.status in OK


class Scheduler:
    def __init__(self, builder: Any, parallel: int = 1, cpus: int | None = None,
                 on_end: Callable[[Task], None] | None = None, progress: Any = None):
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self.builder = builder
        self.executor = builder.executor
        self.parallel = parallel
        if cpus is None and not self.executor.uses_local_cpus:
            cpus = 1 << 30  # the cluster bounds its jobs, not this machine's CPU count
        self.cpus = max(1, cpus or builder.config.cpus)
        self.on_end = on_end
        self.progress = progress
        self.tasks: list[Task] = []
        self.running: list[Task] = []
        self.ended: list[Task] = []  # in the order they ended
        self._leaders: dict[str, Task] = {}  # identity -> the task building it now

    # --- the loop ----------------------------------------------------------------

    def run(self, tasks: list[Task]) -> list[Task]:
        self.tasks += tasks
        pending = deque(tasks)
        blocked: list[Task] = []  # another builder holds their identity lock
        try:
            if self.progress is not None:
                self.progress.begin(self)
            while pending or self.running or blocked:
                if blocked and not self.running:
                    time.sleep(0.05)
                pending.extendleft(reversed(blocked))
                blocked.clear()
                while pending and self._fits(pending[0]):
                    task = pending.popleft()
                    if not self._start(task):
                        blocked.append(task)
                if not self.running:
                    continue
                for handle in self.executor.wait_any([t.handle for t in self.running], TICK):
                    self._ended(next(t for t in self.running if t.handle is handle))
                self._look_around()
        except BaseException:
            self.stop_all("canceled", "interrupted")
            for task in [*pending, *blocked]:
                task.status = "canceled"
            raise
        finally:
            if self.progress is not None:
                self.progress.end(self)
        return tasks

    def _fits(self, task: Task) -> bool:
        if not self.running:
            return True
        if len(self.running) >= self.parallel:
            return False
        used = sum(t.weight for t in self.running)
        return used + min(self._weight(task), self.cpus) <= self.cpus

    def _weight(self, task: Task) -> int:
        has_analysis = callable(getattr(task.plan.info.module, "analysis", None))
        return max(1, self.builder.slices) if has_analysis else 1

    # --- starting ----------------------------------------------------------------

    def _start(self, task: Task) -> bool:
        """Reuse, follow or launch `task`; False if another builder holds its identity."""
        b = self.builder
        plan = task.plan
        if not task.force_build:
            jobid = b.find(plan)
            if jobid:
                self._end(task, "reused", Job(jobid))
                return True
            leader = self._leaders.get(plan.identity)
            if leader is not None:
                leader.followers.append(task)
                task.status = "running"
                return True
        b.check_inputs(plan)
        lock = b.store.identity_lock(plan.identity, task.workdir)
        if not lock.acquire(blocking=False):
            if not task.waiting_note:
                task.waiting_note = True
                print(f"accel: waiting for another build of {plan.info.name!r} with the same "
                      "identity", file=sys.stderr, flush=True)
            return False
        task.lock = lock
        if not task.force_build:
            jobid = b.find(plan)  # it may have been built while we looked
            if jobid:
                self._release(task)
                self._end(task, "reused", Job(jobid))
                return True
        self._leaders.setdefault(plan.identity, task)
        self._launch(task)
        return True

    def _launch(self, task: Task) -> None:
        task.attempts += 1
        task.weight = min(self._weight(task), self.cpus)
        jobid, path, setup, started = self.builder.prepare_job(task.plan, task.workdir, task.caption,
                                                                 task.force_build)
        task.job = Job(jobid)
        task.tries.append(jobid)
        task.status = "running"
        task.started, task.t0, task.part = started, time.monotonic(), ""
        self.running.append(task)
        task.handle = self.executor.submit(path, setup)

    # --- ending ------------------------------------------------------------------

    def _ended(self, task: Task) -> None:
        status = task.handle.wait(0)  # type: ignore[union-attr]
        self.running.remove(task)
        task.runtime = time.monotonic() - task.t0
        b = self.builder
        b.unregister(task.job)
        if status == "finished":
            b.publish(task.plan, task.job)
            self._release(task)
            self._end(task, "finished", task.job)
            return
        if status in ("failed", "timeout") and task.attempts <= task.retries:
            print(f"accel: {task.job} ({task.plan.info.name}) {status}; retrying "
                  f"({task.attempts} of {task.retries})", file=sys.stderr, flush=True)
            self._launch(task)  # in a fresh directory; the identity lock is still ours
            return
        self._release(task)
        task.error = b.job_error(task.job, status)
        self._end(task, status, task.job)

    def _end(self, task: Task, status: str, job: Job | None) -> None:
        task.status, task.job, task.handle = status, job, None
        if self._leaders.get(task.plan.identity) is task:
            del self._leaders[task.plan.identity]
        self.ended.append(task)
        if self.on_end is not None:
            self.on_end(task)
        for follower in task.followers:
            follower.error = task.error
            follower.runtime = 0.0
            self._end(follower, "reused" if status in OK else status, job)
        task.followers = []

    def _release(self, task: Task) -> None:
        if task.lock is not None:
            task.lock.release()
            task.lock = None

    # --- deadlines, cancel requests, progress -------------------------------------

    def _look_around(self) -> None:
        now = time.monotonic()
        for task in list(self.running):
            wanted = self.builder.cancel_requested(task.job)
            if wanted:
                self._stop(task, wanted, "canceled by ax abort")
            elif task.timeout is not None and now - task.t0 > task.timeout:
                self._stop(task, "timeout", f"timed out after {task.timeout:g} s")
            elif now - task.t0 > TICK:
                part = task.handle.current_part()  # type: ignore[union-attr]
                if part and part != task.part:
                    task.part = part
                    self.builder.note_part(task.job, task.started, part)
        if self.progress is not None:
            self.progress.tick(self)

    def _stop(self, task: Task, status: str, reason: str) -> None:
        task.handle.cancel(status, reason)  # type: ignore[union-attr]
        self._ended(task)

    def stop_all(self, status: str, reason: str) -> None:
        """Stop every running job; they end `status`, not retried."""
        for task in list(self.running):
            task.retries = 0
            try:
                self._stop(task, status, reason)
            except Exception as e:  # keep stopping the others
                print(f"accel: could not stop {task.job}: {e}", file=sys.stderr)
        for task in self.tasks:
            if task.status == "running":  # followers of a stopped leader
                task.status = status
