"""Build a job or find it: the engine under `urd.build`.

    method -> declarations -> normalised options and inputs -> identity   (accel.plan)
      -> memo / index hit: the existing job
      -> miss: lock the identity, look again, allocate NAME-N, write setup.json,
               run it through the executor, publish it in the index

Everything up to the look-up is cheap and cached, so a hit costs microseconds.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accel import layout, records
from accel.config import Config
from accel.disk import describe as describe_disk_error
from accel.disk import is_disk_error
from accel.errors import DiskError, JobDamaged, JobError, OptionError
from accel.executors import Executor, make_executor, record_death
from accel.job import Job
from accel.jobstatus import CANCELED, FAILED, REUSED
from accel.plaintext import is_utf8
from accel.plan import Plan, Planner, check_inputs
from accel.runner import DISK_FAILURE, worth_showing
from accel.scheduler import ProgressView, Scheduler, Task
from accel.store import Store
from accel.store.locks import ByteLock, LockSet


class Builder:
    """Builds jobs of one project. One per process is the normal case; cheap to keep."""

    def __init__(self, config: Config, executor: Executor | None = None, echo: bool = True):
        self.config = config
        self.planner = Planner(config)
        self.methods = self.planner.methods
        self.store = Store(dict(config.workdirs), config.target_workdir)
        self.executor = executor or make_executor(config.executor, echo)
        self.slices = config.slices
        self._memo: dict[str, str] = {}
        self.progress: ProgressView | None = None  # set by `ax run`
        self.build_script = ""  # the one `ax run` runs: what other builds see holding CPUs

    def close(self) -> None:
        """Let go of what the builder holds: the executor's processes, registry files."""
        self.executor.close()
        self.store.close()

    # --- planning (accel.plan owns it) --------------------------------------------

    def plan(self, method: str, options: dict | None = None, datasets: dict | None = None,
             jobs: dict | None = None, **kw: Any) -> Plan:
        return self.planner.plan(method, options, datasets, jobs, **kw)

    def check_inputs(self, plan: Plan) -> None:
        """Every input of `plan` is there and finished, else an OptionError naming it."""
        check_inputs(plan)

    # --- build -------------------------------------------------------------------

    def find(self, plan: Plan, mark: bool = True) -> str | None:
        """A finished job with this identity (or an equivalent one), if any. A job found
        is marked used (`mark_used`), so `ax gc` leaves it to this build; `mark=False`
        only looks (ax why)."""
        use = self.mark_used if mark else self._exists
        for identity in (plan.identity, *plan.equivalent):
            jobid = self._memo.get(identity)
            if jobid and self._reads_same(jobid) and use(jobid):
                return jobid
            jobid = self.store.lookup(identity, plan.info.name)
            if jobid and self._reads_same(jobid) and use(jobid):
                self._memo[identity] = jobid
                return jobid
        return None

    def _reads_same(self, jobid: str) -> bool:
        """Are the files the job read by job.input_filename what they were? (Not: it is
        not reused, and a build runs it anew.)"""
        return self.planner.changed_read(self._post(jobid).parent) is None

    def _post(self, jobid: str) -> Path:
        return self.store.workdirs[jobid.rsplit("-", 1)[0]].path / jobid / layout.POST

    def _exists(self, jobid: str) -> bool:
        return os.path.exists(self._post(jobid))

    def mark_used(self, jobid: str) -> bool:
        """Set the mtime of the job's post.json to now: "used by a build". gc keeps a job
        used since a live build began, and after hiding a job it looks at that mtime once
        more, so a reuse racing gc either sees the job gone (False: build it anew) or is
        seen by gc (which puts the job back). Only a timestamp changes, never a file."""
        post = self._post(jobid)
        try:
            os.utime(post)
        except FileNotFoundError:
            return False
        except OSError:  # a read-only workdir: nothing can delete it either
            return os.path.exists(post)
        return True

    def build(self, method: str, options: dict | None = None, datasets: dict | None = None,
              jobs: dict | None = None, *, workdir: str | None = None, force_build: bool = False,
              caption: str | None = None, timeout: float | None = None, retries: int = 0,
              **kw: Any) -> tuple[Job, bool]:
        """(job, reused): the existing job with this identity, or a new one run now.
        A job that does not finish raises JobError (after `retries` more tries)."""
        plan = self.plan(method, options, datasets, jobs, **kw)
        task = self.task(plan, method, workdir=workdir, force_build=force_build,
                         caption=caption, timeout=timeout, retries=retries)
        self.scheduler().run([task])
        if task.error is not None:
            raise task.error
        assert task.job is not None  # it ended without an error, so with its job
        return task.job, task.status == REUSED

    def scheduler(self, parallel: int = 1, cpus: int | None = None,
                  on_end: Callable[[Task], None] | None = None) -> Scheduler:
        """A scheduler of this builder's jobs: at most `parallel` at once, within `cpus`
        (None: the project's budget; on a cluster, the cluster's)."""
        if cpus is None:
            # the cluster bounds its jobs, not this machine's CPU count
            cpus = self.config.cpus if self.executor.uses_local_cpus else 1 << 30
        return Scheduler(self, self.executor, self.slices, cpus, parallel, on_end, self.progress,
                         self.config.cpu_slots, str(self.config.path), self._build_name())

    def _build_name(self) -> str:
        """What this build is, to builds that wait for its CPUs."""
        job = layout.current_job()
        if self.build_script or job is None:
            return self.build_script or " ".join(sys.argv)
        return f"subjobs of {job.name}"

    def identity_lock(self, plan: Plan, workdir: str | None) -> ByteLock | LockSet:
        return self.store.identity_lock(plan.identity, workdir)

    def task(self, plan: Plan, name: str, *, workdir: str | None = None,
             force_build: bool = False, caption: str | None = None,
             timeout: float | None = None, retries: int = 0, row: dict | None = None) -> Task:
        """A build request for the scheduler, its settings checked."""
        if workdir is not None and workdir not in self.store.workdirs:
            raise OptionError(f"build {plan.info.name!r}: unknown workdir {workdir!r} "
                              f"(workdirs: {', '.join(self.store.workdirs)})")
        if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
            raise OptionError(f"build {plan.info.name!r}: timeout must be a positive number "
                              f"of seconds, got {timeout!r}")
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise OptionError(f"build {plan.info.name!r}: retries must be a whole number >= 0, "
                              f"got {retries!r}")
        if caption is not None and not (isinstance(caption, str) and is_utf8(caption)):
            raise OptionError(f"build {plan.info.name!r}: caption must be UTF-8 text, "
                              f"got {caption!r}")
        return Task(plan, name, workdir=workdir, caption=caption, force_build=force_build,
                    timeout=timeout, retries=retries, row=row)

    def prepare_job(self, plan: Plan, workdir: str | None, caption: str | None,
                    force_build: bool = False) -> tuple[str, Path, dict, float]:
        """A new job directory with its setup.json, registered as running:
        (job id, path, setup, start time). A full or read-only disk is a DiskError, and
        leaves no job directory behind."""
        try:
            jobid, path = self.store.allocate(workdir)
        except OSError as e:
            if is_disk_error(e):
                raise self.cannot_start(plan, e, workdir) from None
            raise
        try:
            return self._setup_job(plan, jobid, path, caption, force_build)
        except BaseException as e:  # Ctrl-C: the job never runs, and says so
            if is_disk_error(e):
                self._unmake(jobid, path)
                raise self.cannot_start(plan, e, workdir) from None
            canceled = isinstance(e, KeyboardInterrupt)
            record_death(path, "interrupted" if canceled else f"could not set it up: {e}",
                         "setup", CANCELED if canceled else FAILED)
            self.unregister(jobid)
            raise

    def cannot_start(self, plan: Plan, exc: OSError, workdir: str | None) -> DiskError:
        """The one line for a job that cannot start because its workdir's device is full
        or read-only."""
        where = self.store.workdirs[workdir or self.store.target].path
        return DiskError(f"cannot start a job of method {plan.info.name!r}: "
                         f"{describe_disk_error(exc, where)}", exc.errno)

    def _unmake(self, jobid: str, path: Path) -> None:
        """Undo a job directory that never got its setup.json written: an empty (or
        half-set-up) folder would only be clutter. If it cannot go, it has no post.json
        and reads as unfinished: never reused, and `ax gc` removes it."""
        try:
            self.unregister(jobid)
        except OSError:
            pass
        try:
            (path / layout.SETUP).unlink(missing_ok=True)
            path.rmdir()
        except OSError:
            pass

    def _setup_job(self, plan: Plan, jobid: str, path: Path, caption: str | None,
                   force_build: bool) -> tuple[str, Path, dict, float]:
        started = self.store.running[layout.jobid_parts(jobid)[0]].add(jobid)
        setup = self.planner.setup_record(plan, jobid, started, caption, force_build)
        records.write_setup(path, setup)
        return jobid, path, setup, started

    def publish(self, plan: Plan, jobid: str) -> None:
        try:
            self.store.publish(plan.identity, jobid, plan.info.name)
        except OSError as e:
            if not is_disk_error(e):
                raise
            raise DiskError(f"job {jobid} finished, but could not be entered in the index "
                            f"that finds it: {describe_disk_error(e, Job(jobid).path)}",
                            e.errno) from None
        self._memo[plan.identity] = jobid

    def _running(self, jobid: str):
        return self.store.running[layout.jobid_parts(jobid)[0]]

    def unregister(self, jobid: str) -> None:
        self._running(jobid).remove(jobid)

    def note_part(self, jobid: str, started: float, part: str) -> None:
        try:
            self._running(jobid).update(jobid, started, part)
        except OSError as e:  # only what `ax status` shows: a full disk need not stop the build
            if not is_disk_error(e):
                raise

    def cancel_requested(self, jobid: str) -> str | None:
        return self._running(jobid).cancel_requested(jobid)

    def job_error(self, jobid: str, status: str, told: dict | None = None) -> JobError:
        """`told`: the error the executor heard from the runner, for when post.json has none."""
        return job_error(jobid, Job(jobid).method, Job(jobid).path, status, told)


def job_error(jobid: str, method: str, path: Path, status: str = FAILED,
              told: dict | None = None) -> JobError:
    try:
        err = (records.read_post(path) or {}).get("error") or told or {}
    except JobDamaged:
        err = told or {}
    part = err.get("part", "?")
    if err.get("exception") == DISK_FAILURE:  # not the method's doing: the one line says all
        return JobError(f"job {jobid} (method {method!r}) failed in {part}: {err.get('message')}",
                        jobid, method, part, status, {part: str(err.get("message"))})
    tb = (err.get("traceback") or "").rstrip()
    if status == FAILED:
        exc_line = f"{err.get('exception', 'Error')}: {err.get('message', '')}"
        head = f"failed in {part}: {exc_line}"
        told_part = f"Traceback (most recent call last):\n{tb}" if worth_showing(tb) else exc_line
    else:  # canceled or timeout: the message says how
        head = f"{'was canceled' if status == CANCELED else 'timed out'} in {part} " \
               f"({err.get('message', status)})"
        told_part = head
    lines = [f"job {jobid} (method {method!r}) {head}"]
    if worth_showing(tb):
        lines.append("method traceback:")
        lines += ["  " + line for line in tb.splitlines()]
    lines.append(f"see all its output with: ax job {jobid} -o")
    return JobError("\n".join(lines), jobid, method, part, status, {part: told_part})
