"""What the board's lineage shows, as JSON-able data: a job's inputs and users, the runs
(one row per `ax run`), and the graph of one run.

The board process keeps a JobIndex (every job's inputs, for "used by") and a RunHistory
(the runs' records), each reading only what changed since the last request; the index is
filled in a thread as the board starts, so the first page need not wait for 10,000
setup.json reads. Nothing is written.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

from accel.errors import NotFound
from accel.store import Store
from accel.store.runhistory import RUNNING, Run, RunHistory, latest_of_each_script
from accel.view.jobs import running_jobs, with_options
from accel.view.lineage import JobIndex, job_lineage, run_graph

RUNS_SHOWN = 100  # rows of /runs unless ?limit= says otherwise
RUN_JOBS_SHOWN = 200  # rows of a run's job table unless ?limit= says otherwise
GRAPHS_KEPT = 20  # graphs of runs kept made (a run of 10,000 jobs takes a while to draw)


class Lineage:
    def __init__(self, workdirs: dict[str, Path], project_dir: Path, store: Store):
        self.index = JobIndex(workdirs)
        self.history = RunHistory(workdirs, project_dir)
        self.store = store
        self._graphs: dict[str, tuple[tuple[Run, int], dict]] = {}  # run id -> (key, graph)
        self._lock = threading.Lock()
        threading.Thread(target=self.index.refresh, daemon=True, name="job-index").start()

    def job(self, jobid: str) -> dict:
        return job_lineage(self.index, jobid)

    def latest(self) -> list[dict]:
        """The latest run of each build script, newest first."""
        return [r.summary() for r in latest_of_each_script(self.history.runs())]

    def runs(self, limit: int | None) -> dict:
        runs = self.history.runs()
        n = RUNS_SHOWN if limit is None else limit
        shown = runs[:n] if n else runs
        return {"runs": [r.summary() for r in shown], "total": len(runs), "limit": n}

    def run(self, run_id: str, method: str | None, limit: int | None,
            columns: list[str] | None = None) -> dict:
        """The run, its graph, and its jobs (of `method`), with the options named in
        `columns` for a column of each (as on the front page)."""
        run = self.history.find(run_id)
        if run is None:
            raise NotFound(f"no run {run_id!r} (/runs lists the runs the workdirs remember)")
        n = RUN_JOBS_SHOWN if limit is None else limit
        jobs = run.jobs.items() if method is None else \
            [(j, how) for j, how in run.jobs.items() if self.index.method(j) == method]
        rows = with_options([{"job": j, "method": self.index.method(j), "how": how,
                              "status": self.index.status(j)}
                             for j, how in (itertools.islice(jobs, n) if n else jobs)],
                            columns or [])
        return {**run.summary(), "graph": self._graph(run), "method": method,
                "job_rows": rows, "job_rows_total": len(jobs), "limit": n,
                "columns": columns or []}

    def _graph(self, run: Run) -> dict:
        """The run's graph; that of a run that has ended is made again only when some of
        its jobs were deleted (nothing else about them changes)."""
        if run.state == RUNNING:
            return run_graph(self.index, run, running_jobs(self.store))
        self.index.refresh()
        key = (run, sum(1 for j in run.jobs if self.index.exists(j)))
        with self._lock:
            known = self._graphs.get(run.run)
        if known is None or known[0][0] is not run or known[0][1] != key[1]:
            known = (key, run_graph(self.index, run, []))
            with self._lock:
                self._graphs[run.run] = known
                while len(self._graphs) > GRAPHS_KEPT:
                    del self._graphs[next(iter(self._graphs))]
        return known[1]
