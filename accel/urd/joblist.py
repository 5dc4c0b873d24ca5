"""JobList: jobs a build run built or reused, in order, and how each build went.

`urd.joblist` (every job of the run) and what `urd.build_many` returns are both JobLists:
a list of `Job`s, each with the name it was built under, its status (`finished` or
`reused` when it succeeded; `failed`, `canceled` or `timeout` when not), its runtime (for
a reused job, what it ran when it was built), its error, and -- from build_many -- the row
it was built from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accel.job import Job, NamedJobList
from accel.jobstatus import DONE_OK, FINISHED, PENDING, REUSED

if TYPE_CHECKING:
    from accel.jobsummary import Item, Summary
    from accel.scheduler import Task
    from accel.urd.rows import Rows


@dataclass
class Outcome:
    status: str
    runtime: float | None = None
    error: str = ""
    row: dict | None = None
    order: int = 0  # when it ended, among the list's jobs


class JobList(NamedJobList):
    """`urd.joblist` and the result of `urd.build_many`."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(pairs)
        self._outcomes = [Outcome(FINISHED, order=i) for i in range(len(self))]
        self._rows_source: Rows | None = None  # the rows' file, for write_status

    def add(self, job: Job, reused: bool, name: str, *, status: str | None = None,
            runtime: float | None = None, error: str = "", row: dict | None = None) -> None:
        """`name`: the method, or the name= it was built under."""
        status = status or (REUSED if reused else FINISHED)
        if status == REUSED and runtime is None:
            runtime = ran_for(job)
        self.append_named(name, job)
        self._outcomes.append(Outcome(status, runtime, error, row, len(self._outcomes)))

    def add_task(self, task: Task, order: int) -> None:
        """A scheduler task that has ended."""
        # it has a job: a task ended without one only when the build was stopped
        assert task.job is not None
        self.add(task.job, task.status == REUSED, task.name, status=task.status,
                 runtime=task.runtime, error=str(task.error or "").split("\n", 1)[0],
                 row=task.row)
        self._outcomes[-1].order = order

    def name_of(self, i: int) -> str:
        return self.names[i]

    # --- how it went -------------------------------------------------------------

    @property
    def status(self) -> dict[Job, str]:
        """job -> 'finished', 'reused', 'failed', 'canceled' or 'timeout'. A job listed
        twice (two rows of the same identity) has the status of its first: a job this
        run built is 'finished' even if a later row reused it."""
        out: dict[Job, str] = {}
        for j, o in zip(self, self._outcomes, strict=True):
            out.setdefault(j, o.status)
        return out

    @property
    def new(self) -> list[Job]:
        return [j for j, o in zip(self, self._outcomes, strict=True) if o.status != REUSED]

    @property
    def reused(self) -> list[Job]:
        return [j for j, o in zip(self, self._outcomes, strict=True) if o.status == REUSED]

    @property
    def succeeded(self) -> list[Job]:
        return [j for j, o in zip(self, self._outcomes, strict=True) if o.status in DONE_OK]

    @property
    def failed(self) -> list[Job]:
        """Jobs that did not finish: failed, canceled or timed out."""
        return [j for j, o in zip(self, self._outcomes, strict=True) if o.status not in DONE_OK]

    def error_of(self, job: Job | int) -> str:
        return self._outcome(job).error

    def runtime_of(self, job: Job | int) -> float | None:
        return self._outcome(job).runtime

    def row_of(self, job: Job | int) -> dict | None:
        return self._outcome(job).row

    def _outcome(self, job: Job | int) -> Outcome:
        return self._outcomes[job if isinstance(job, int) else self.index(job)]

    def as_completed(self) -> Iterator[Job]:
        """The jobs in the order their builds ended (reused ones end at once)."""
        order = sorted(range(len(self)), key=lambda i: self._outcomes[i].order)
        return (self[i] for i in order)

    def apply(self, fn: Callable[[Job], Any], only_succeeded: bool = True) -> dict[Job, Any]:
        """{job: fn(job)} for every job (that succeeded, by default)."""
        jobs = self.succeeded if only_succeeded else list(self)
        return {j: fn(j) for j in jobs}

    def results(self, name: str = "result.pickle") -> dict[Job, Any]:
        """{job: what it returned (its `name` file)} for every job that succeeded."""
        return self.apply(lambda j: j.load(name))

    def to_table(self) -> list[dict]:
        """One dict per job: its row's values, then job, status, runtime and error. When
        the rows have a column of one of those names, ours are accel_job, accel_status,
        accel_runtime and accel_error instead (as write_status names them), so no row
        value is lost."""
        ours = self._status_rows()
        rows = [o.row or {} for o in self._outcomes]
        plain = {k.removeprefix("accel_") for k in ours[0]} if ours else set()
        if not any(plain & r.keys() for r in rows):
            ours = [{k.removeprefix("accel_"): v for k, v in st.items()} for st in ours]
        return [{**r, **st} for r, st in zip(rows, ours, strict=True)]

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(self.to_table())

    def write_status(self, path: str | Path | None = None) -> Path:
        """Write each row's job, status, runtime and error (columns accel_job,
        accel_status, accel_runtime, accel_error) into the CSV or Parquet file the rows
        came from, or into `path`."""
        from accel.errors import UserError
        from accel.urd.rows import write_status

        if self._rows_source is None:
            raise UserError("write_status: these jobs were not built from a CSV or Parquet file")
        return write_status(self._rows_source, self._status_rows(),
                            Path(path) if path is not None else None)

    def _status_rows(self) -> list[dict]:
        return [status_columns(j, o.status, o.runtime, o.error)
                for j, o in zip(self, self._outcomes, strict=True)]

    @property
    def pretty(self) -> str:
        """A table of the jobs: job, method, status ('new' for one this run made)."""
        return self.format()

    def format(self, columns: Iterable[str] | str = ()) -> str:
        """`pretty`, with a column of each option named in `columns` (a list, or 'a,b';
        'a.b' is key b of dict option a), so the jobs of a sweep are told apart:
        `print(urd.build_many('fit', rows).format(['alpha', 'depth']))`."""
        from accel.plaintext import table
        from accel.store.catalog import JobRecord, option_text

        if not self:
            return "no jobs"
        names = [c.strip() for c in (columns.split(",") if isinstance(columns, str)
                                     else columns) if c.strip()]
        rows = []
        for i, (j, o) in enumerate(zip(self, self._outcomes, strict=True)):
            options = JobRecord(j.workdir, j.number, j.path).setup.get("options") \
                if names and j else {}
            rows.append((str(j), self.names[i], *(option_text(options, c) for c in names),
                         # "new" says more than "finished" beside "reused"
                         "new" if o.status == FINISHED else o.status))
        return table(rows, ("job", "method", *names, "status"))

    def summary(self) -> Summary:
        """How the build went, per method and status (`finished`, `reused`, `failed`, ...):
        how many jobs, their total and median runtime and their peak memory, as each job
        recorded them (a reused job's are those of the run that made it). A job listed
        twice counts once. `.pretty` is a table of it; `ax jobs --summary` says the same
        of the jobs a search finds."""
        from accel.jobsummary import summarize
        from accel.store.catalog import JobRecord

        items: list[Item] = []
        seen: set[Job] = set()
        for name, j, o in zip(self.names, self, self._outcomes, strict=True):
            if not j:  # stopped before its job directory was made
                items.append((name, o.status, None, None))
            elif j not in seen:
                seen.add(j)
                rec = JobRecord(j.workdir, j.number, j.path)
                items.append((rec.method, o.status, rec.runtime, rec.maxrss_kb))
        return summarize(items)


def ran_for(job: Job) -> float | None:
    """Seconds `job` ran when it was built (post.json's exectime): a reused job's runtime."""
    from accel.errors import AccelError

    try:
        t = job.post.get("exectime")
    except (AccelError, OSError):  # not finished, damaged, gone: no runtime to tell
        return None
    return float(t) if isinstance(t, (int, float)) else None


def status_columns(job: str | None, status: str, runtime: float | None, error: str) -> dict:
    """The columns write_status writes for one row."""
    return {"accel_job": str(job or ""), "accel_status": status, "accel_runtime": runtime,
            "accel_error": error}


def task_status(task: Task) -> dict:
    """The status columns of a build_many row from its scheduler task (accel.scheduler.Task),
    also when the build was interrupted: a row that never started is `pending` (it runs
    next time), a reused one has its job's runtime."""
    if task.job is None and not task.tries and task.status not in DONE_OK:
        return status_columns("", PENDING, None, "")
    runtime = task.runtime
    if task.status == REUSED and runtime is None and task.job is not None:
        runtime = ran_for(task.job)
    return status_columns(task.job, task.status, runtime, str(task.error or "").split("\n", 1)[0])
