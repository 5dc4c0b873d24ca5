"""Urd: what a build script's `main(urd)` gets. Builds jobs and records sessions in lists."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accel.builder import Builder
from accel.dotdict import DotDict
from accel.errors import JobError, NotFound, OptionError, UserError
from accel.job import Job
from accel.jobstatus import DONE_OK
from accel.urd.joblist import JobList
from accel.urd.timestamps import NOW, normalise_timestamp
from accel.words import plural

if TYPE_CHECKING:
    from accel.scheduler import Task
    from accel.store.latest_runs import RunLog
    from accel.urd.lists import UrdLists
    from accel.urd.rows import Rows


class Urd:
    def __init__(self, builder: Builder, build_script: str = "", db_path: Path | None = None):
        self.builder = builder
        self.build_script = build_script
        self.db_path = db_path or builder.config.urd_db
        self._lists: UrdLists | None = None
        self.joblist = JobList()  # since the last begin(), as in the Accelerator
        self.joblist_all = JobList()  # every job of this run
        # every job of this run that did not finish (a build script may catch its
        # JobError, build_many does not raise): (job id, the first line of its error)
        self.failures: list[tuple[str, str]] = []
        self._sessions: dict[str, dict] = {}  # listname -> open session, in begin order
        self._marked = False  # workdirs told that these lists hold jobs
        # what `ax run` keeps of this run for `ax gc` (accel.store.latest_runs); None
        # when the urd is not a build script's
        self.run_log: RunLog | None = None

    @property
    def info(self) -> DotDict:
        """The project as the Accelerator's `urd.info` gives it: slices, input_directory,
        result_directory and urd (here the path of the lists' database)."""
        config = self.builder.config
        return DotDict(slices=config.slices, input_directory=str(config.input_directory),
                       result_directory=str(config.result_directory), urd=str(self.db_path))

    @property
    def lists(self) -> UrdLists:
        if self._lists is None:
            from accel.urd.lists import UrdLists

            self._lists = UrdLists(self.db_path)
        return self._lists

    # --- building ----------------------------------------------------------------

    def build(self, method: str, options: dict | None = None, datasets: dict | None = None,
              jobs: dict | None = None, *, name: str | None = None, caption: str | None = None,
              workdir: str | None = None, force_build: bool = False, **kw: Any) -> Job:
        """Build `method` (or reuse the job that already exists) and return the job.

        `name` and `caption` are the Accelerator's: the name the job has in the urd list
        and the job's caption; `timeout` (seconds) and `retries` bound the run -- unless
        the method itself declares an option or input of that name, which then gets the
        value.
        """
        kw.update(name=name, caption=caption)
        options, datasets, jobs, own = self.builder.planner.build_keywords(
            method, options, datasets, jobs, kw)
        try:
            job, reused = self.builder.build(method, options, datasets, jobs, workdir=workdir,
                                             force_build=force_build,
                                             caption=own.get("caption"),
                                             timeout=own.get("timeout"),
                                             retries=own.get("retries", 0), **kw)
        except JobError as e:
            self.failures.append((str(e.job), str(e).split("\n", 1)[0]))
            if self.run_log is not None:
                self.run_log.failed(str(e.job))
            raise
        self._record(job, reused, own.get("name") or method)
        return job

    def _resolve_ref(self, ref: str) -> str:
        """A job reference in a CSV cell (dev-3, METHOD, REF~N, :LIST:) -> its job id."""
        from accel.refs import resolve

        return str(resolve(ref, self.builder.store, self.db_path))

    def _record(self, job: Job, reused: bool, name: str, task: Task | None = None) -> None:
        if self.run_log is not None:
            self.run_log.used(str(job), new=not reused)
        for joblist in (self.joblist, self.joblist_all):
            if task is None:
                joblist.add(job, reused, name)
            else:
                joblist.add_task(task, len(joblist))
        for session in self._sessions.values():
            session["joblist"].append((name, str(job)))

    def build_many(self, method: str, rows: Any, *, parallel: int = 1, retries: int = 0,
                   timeout: float | None = None, on_done: Callable[[Job], Any] | None = None,
                   on_error: Callable[[Job | None, JobError], Any] | None = None,
                   workdir: str | None = None, cpus: int | None = None,
                   write_status: bool = False) -> JobList:
        """One job of `method` per row, up to `parallel` at a time; existing ones reused.

        `rows`: a list of dicts, a CSV or Parquet file, or a pandas DataFrame; each column
        is an option, dataset input or job input of the method. Running jobs together
        use at most `cpus` CPUs (default: `cpus` in accelerator.conf, else all).
        A job that fails or times out is tried `retries` more times, each in a new
        directory. `on_done(job)` / `on_error(job, error)` are called as each ends.
        Failed jobs do not raise: see `.failed` on the JobList returned. With
        `write_status`, each row's job and status are written back into the rows' file.
        """
        from accel.urd.rows import read_rows

        if not isinstance(parallel, int) or isinstance(parallel, bool) or parallel < 1:
            raise UserError(f"build_many {method!r}: parallel must be a whole number >= 1, "
                            f"got {parallel!r}")
        if cpus is not None and (not isinstance(cpus, int) or isinstance(cpus, bool) or cpus < 1):
            raise UserError(f"build_many {method!r}: cpus must be a whole number >= 1, "
                            f"got {cpus!r}")
        for what, fn in (("on_done", on_done), ("on_error", on_error)):
            if fn is not None and not callable(fn):
                raise UserError(f"build_many {method!r}: {what} must be a function, "
                                f"not {type(fn).__name__}")
        source = read_rows(rows)
        if write_status and source.path is None:
            raise UserError(f"build_many {method!r}: write_status needs rows from a CSV "
                            "or Parquet file")
        tasks = [self._row_task(method, source, i, timeout, retries, workdir)
                 for i in range(len(source.rows))]

        def on_end(task: Task) -> None:
            if task.ok:
                assert task.job is not None  # finished or reused: it has its job
                if self.run_log is not None:  # as each row ends: a run killed
                    # half-way still keeps what it made
                    self.run_log.used(str(task.job), new=task.status != "reused")
                if on_done is not None:
                    on_done(task.job)
            else:
                if self.run_log is not None and task.job is not None:
                    self.run_log.failed(str(task.job))
                if on_error is not None:
                    assert task.error is not None  # ended badly: the scheduler says why
                    on_error(task.job, task.error)

        scheduler = self.builder.scheduler(parallel, cpus, on_end)
        result = JobList()
        result._rows_source = source
        try:
            scheduler.run(tasks)
        finally:
            if write_status:
                _write_partial(source, tasks)
        order = {id(t): i for i, t in enumerate(scheduler.ended)}
        for task in tasks:
            result.add_task(task, order.get(id(task), len(tasks)))
            if task.ok:
                assert task.job is not None
                self._record(task.job, task.status == "reused", method, task)
            else:
                self.failures.append((str(task.job or ""), result.error_of(len(result) - 1)))
        self._summarise(method, tasks, result)
        return result

    def _summarise(self, method: str, tasks: list, result: JobList) -> None:
        """How a build_many went, on stderr (one job that went well needs no line)."""
        if len(tasks) > 1 or result.failed:
            print(f"accel: build_many {method!r}: {_summary(result)}", file=sys.stderr, flush=True)

    def _row_task(self, method: str, source: Rows, i: int, timeout: float | None, retries: int,
                  workdir: str | None) -> Task:
        from accel.errors import AccelError

        b = self.builder
        row = source.rows[i]
        try:
            if source.text:
                from accel.textvalues import from_text

                opts, ds, jb = from_text(method, b.methods.get(method), row,
                                         resolve=self._resolve_ref)
                plan = b.plan(method, opts, ds, jb)
            elif source.table:
                from accel.urd.rows import table_values

                plan = b.plan(method, **table_values(method, b.methods.get(method), row,
                                                     self._resolve_ref))
            else:
                plan = b.plan(method, **row)
            b.check_inputs(plan)
            return b.task(plan, method, workdir=workdir, timeout=timeout, retries=retries,
                          row=row)
        except AccelError as e:
            raise type(e)(f"build_many: {source.where(i)}: {e}") from None
        except (TypeError, ValueError) as e:
            raise OptionError(f"build_many: {source.where(i)}: {e}") from None

    # --- lists -------------------------------------------------------------------

    def begin(self, listname: str, timestamp: Any = None, caption: str | None = None,
              update: bool = False) -> None:
        """Start recording built jobs on `listname`; `finish` saves them. `urd.joblist`
        starts again empty (`urd.joblist_all` goes on)."""
        from accel.urd.lists import check_listname

        check_listname(listname)
        if listname in self._sessions:
            raise UserError(f"urd list {listname!r}: begin() again before finish() or abort()")
        if timestamp is not None:
            normalise_timestamp(timestamp)  # fail now, not at finish
        self._sessions[listname] = dict(timestamp=timestamp, caption=caption or "",
                                        update=update, joblist=[], deps={})
        self.joblist = JobList()

    def finish(self, listname: str, timestamp: Any = None, caption: str | None = None) -> DotDict:
        """Record the session; as in the Accelerator, say whether the timestamp was `new`
        to the list, whether it `changed` an entry there (update=True; then also `deps`:
        how many entries that made ghosts, always 0 here) and `is_ghost` (always False:
        accel keeps no ghost entries). The session ends here also when the list refuses
        it, as in the Accelerator: the list can be begun again."""
        session = self._sessions.pop(listname, None)
        if session is None:
            raise UserError(f"urd list {listname!r}: finish() without begin()")
        ts = timestamp if timestamp is not None else session["timestamp"]
        if ts is None:  # now, to the microsecond, taken when the entry is written
            ts = NOW
        added = self._add_entry(listname, ts, session["joblist"],
                                caption=caption if caption is not None else session["caption"],
                                deps=session["deps"], update=session["update"])
        result = DotDict(new=added.new, changed=added.changed, is_ghost=False)
        if added.changed:
            result.deps = 0
        return result

    def _add_entry(self, listname: str, ts: Any, joblist: list, **kw: Any) -> Any:
        """Record a finished session in the list (an `Added`)."""
        added = self.lists.add(listname, ts, joblist, user=_user(), build=self.build_script, **kw)
        self._mark_workdirs()
        return added

    def _mark_workdirs(self) -> None:
        """Note in each workdir that this project's urd lists hold jobs: if the database
        is lost, `ax gc` then refuses rather than take its jobs for unreferenced."""
        if self._marked or self.builder is None:
            return
        from accel.urd.lists import mark_workdir

        for path in self.builder.config.workdirs.values():
            mark_workdir(Path(path), self.db_path)
        self._marked = True

    def abort(self, listname: str | None = None) -> None:
        """Drop a begun session unrecorded: `listname`'s, or without it the one begun
        last (none open: nothing to do, as in the Accelerator)."""
        if listname is None:
            if self._sessions:
                self._sessions.popitem()
        elif self._sessions.pop(listname, None) is None:
            raise UserError(f"urd list {listname!r}: abort() without begin()")

    def _dep(self, entry: DotDict | None) -> DotDict | None:
        if entry is not None:
            for session in self._sessions.values():
                session["deps"][entry.listname] = entry
        return entry

    def latest(self, listname: str) -> DotDict | None:
        """The newest entry (recorded as a dependency of open sessions)."""
        return _entry(listname, self._dep(self.lists.latest(listname)))

    def first(self, listname: str) -> DotDict | None:
        return _entry(listname, self._dep(self.lists.first(listname)))

    def get(self, listname: str, timestamp: Any) -> DotDict | None:
        return _entry(listname, self._dep(self.lists.get(listname, timestamp)))

    def peek(self, listname: str, timestamp: Any) -> DotDict | None:
        """Like get, but not recorded as a dependency."""
        return _entry(listname, self.lists.get(listname, timestamp))

    def peek_latest(self, listname: str) -> DotDict | None:
        return _entry(listname, self.lists.latest(listname))

    def peek_first(self, listname: str) -> DotDict | None:
        return _entry(listname, self.lists.first(listname))

    def since(self, listname: str, timestamp: Any) -> list[str]:
        return self.lists.since(listname, timestamp)

    def list(self) -> list[str]:
        return self.lists.list()

    def truncate(self, listname: str, timestamp: Any) -> DotDict:
        """Drop the entries at and after `timestamp`; as in the Accelerator, say how many
        (`count`) and how many entries that made ghosts (`deps`, always 0 here)."""
        return DotDict(count=self.lists.truncate(listname, timestamp), deps=0)

    def entry_job(self, listname: str, method: str) -> Job:
        """The job of `method` in the latest entry of `listname`."""
        entry = self.latest(listname)
        jobid = entry.joblist.get(method) if entry else None
        if not jobid:
            raise NotFound(f"urd list {listname!r}: no job of method {method!r} in the latest entry")
        return Job(jobid)


class EmptyEntry(DotDict):
    """What latest/first/get/peek give for no entry: falsy, with an empty joblist."""

    def __bool__(self) -> bool:
        return False


def _entry(listname: str, entry: DotDict | None) -> DotDict:
    if entry is not None:
        return entry
    from accel.urd.lists import UrdJobList
    return EmptyEntry(listname=listname, timestamp="0", caption="", user="", build="",
                      deps={}, joblist=UrdJobList())


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""


def _summary(jobs: JobList) -> str:
    """'3 jobs: 1 finished, 1 reused; 1 failed: dev-5': those that ended well first, then
    each way of ending badly with its jobs, so no job reads as another's."""
    counts: dict[str, int] = {}
    for outcome in jobs._outcomes:  # per row: a job of two rows counts twice
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    good = [f"{n} {s}" for s, n in sorted(counts.items()) if s in DONE_OK]
    bad = []
    for s, n in sorted(counts.items()):
        if s not in DONE_OK:
            ids = [str(j) for j, st in zip(jobs, (o.status for o in jobs._outcomes),
                                           strict=True) if st == s]
            bad.append(f"{n} {s}: {', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''}")
    return f"{plural(len(jobs), 'job')}: " + "; ".join(filter(None, [", ".join(good), *bad]))


def _write_partial(source: Rows, tasks: list[Task]) -> None:
    """Statuses into the rows' file, also after an interruption."""
    from accel.urd.joblist import task_status
    from accel.urd.rows import write_status

    write_status(source, [task_status(t) for t in tasks])
