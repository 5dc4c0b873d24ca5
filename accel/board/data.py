"""What each page of the board shows, as plain JSON-able data.

Gathered with accel.view, the functions the ax commands render too (`ax jobs`, `ax status`,
`ax job`, `ax ds`, `ax cat`, `ax urd`, `ax method`), so the board and the terminal never
disagree; only the Store is one that reads without tidying (Store(readonly=True)).
"""

from __future__ import annotations

import json
import os
import threading
from typing import TYPE_CHECKING

from accel.board.lineagedata import Lineage
from accel.config import Config
from accel.job import Job
from accel.jobstatus import NOT_ENDED
from accel.view.datasets import columns_of, dataset_of, describe, split_ref, summary
from accel.view.job import (
    file_rows,
    header_rows,
    input_file_rows,
    option_rows,
    output_texts,
    read_job,
    timing_rows,
)
from accel.view.jobs import find_jobs, make_query, note_of, running_jobs, split_values
from accel.view.methods import get_method, list_methods, method_data
from accel.view.rows import NUMERIC, head_rows
from accel.view.urd import list_entries, list_summaries

if TYPE_CHECKING:
    from accel.dataset import Dataset
    from accel.methods import MethodRegistry

HEAD_ROWS = 20  # rows of a dataset shown, like `ax cat --head 20`
JOBS_SHOWN = 100  # jobs on the front page unless ?limit= says otherwise
RESULT_MAX = 64 * 1024  # a result.pickle bigger than this is not loaded
RESULT_TEXT_MAX = 4000  # characters of a result's repr shown
# the front page's filters: those of `ax jobs` (each value as `ax jobs` takes it)
FILTERS = ("method", "status", "since", "until", "min_runtime", "option", "limit")


class Board:
    """The project as the pages see it: its config and a Store that only reads."""

    def __init__(self, cfg: Config):
        from accel.store import Store

        self.cfg = cfg
        self.store = Store(dict(cfg.workdirs), cfg.target_workdir, readonly=True)
        # method modules are imported into this process; one thread at a time does it
        self._methods_lock = threading.Lock()
        self.lineage = Lineage(dict(cfg.workdirs), cfg.project_dir, self.store)

    def resolve(self, ref: str) -> Job:
        """A job reference as `ax job` takes it (dev-7, METHOD, REF~N, REF^, :LIST:)."""
        from accel.errors import NotFound
        from accel.refs import resolve

        try:
            return resolve(ref, self.store, self.cfg.urd_db)
        except OSError as e:  # a name like '..' reaches a folder where a file was expected
            raise NotFound(f"no job {ref!r} ({e.strerror or e})") from None

    # --- / -------------------------------------------------------------------------------

    def home(self, filters: dict[str, list[str]]) -> dict:
        """Running jobs (as `ax status`) and the newest jobs (as `ax jobs`, same filters),
        with a column of each option named in ?columns=a,b (as `ax jobs --columns`)."""
        from accel.errors import UserError

        given = {k: [v for v in filters.get(k, []) if v.strip()] for k in FILTERS}
        given = {k: v for k, v in given.items() if v}  # an empty form field is no filter

        def one(name: str) -> str | None:
            return given[name][-1] if name in given else None

        query = make_query(given.get("method", []), given.get("status", []), one("since"),
                           one("until"), one("min_runtime"), given.get("option", []))
        limit = one("limit")
        try:
            n = JOBS_SHOWN if limit is None else int(limit)
            if n < 0:
                raise ValueError
        except ValueError:
            raise UserError(f"limit: {limit!r} is not a number of jobs (0 for all)") from None
        found, more = find_jobs(self.cfg.workdirs, query, n, self.lineage.index.records())
        jobs = []
        for rec in found:
            row = rec.summary()
            row["note"] = note_of(rec)
            jobs.append(row)
        return {"running": running_jobs(self.store), "latest_runs": self.lineage.latest(),
                "jobs": jobs, "more": more,
                "limit": n, "filters": given,
                "columns": split_values(filters.get("columns", []))}

    # --- /job/REF ----------------------------------------------------------------------

    def job(self, ref: str) -> dict:
        """Everything `ax job REF --json` says, plus what its text view and `-o` show."""
        j = self.resolve(ref)
        info = read_job(j)
        post = info["post"] if isinstance(info["post"], dict) else {}
        info["header"] = header_rows(info)
        info["options_shown"] = option_rows(j, info["params"])
        info["input_files"] = input_file_rows(info)
        info["timings"] = timing_rows(post) if info["post"] is not None else []
        info["files"] = [{"name": n, "size": s} for n, s in file_rows(j)]
        info["datasets"] = [str(d) if str(d).startswith(f"{j}/") else f"{j}/{d}"
                            for d in post.get("datasets") or ()]
        info["subjobs"] = [{"job": str(s), "method": _method_of(str(s))}
                           for s in post.get("subjobs") or ()]
        info["output"] = _output(j)
        info["result"] = result_preview(j)
        info["lineage"] = self.lineage.job(str(j))
        if info["status"] in NOT_ENDED:  # what `ax status` says of it, for live.js
            info["live"] = next((r for r in running_jobs(self.store) if r["job"] == str(j)),
                                None)
        return info

    # --- /ds/REF, /job/REF/ds/NAME -------------------------------------------------------

    def dataset(self, ref: str) -> dict:
        """`ax ds REF` (JOB/NAME, or JOB for its 'default'), plus its first rows."""
        jobref, name = split_ref(ref)
        return self.job_dataset(jobref, name)

    def job_dataset(self, jobref: str, name: str | None) -> dict:
        job, dset, names = dataset_of(self.resolve(jobref), name, list_if_no_default=True)
        if dset is None:  # no 'default': the job's datasets, as `ax ds JOB` lists them
            return {"job": str(job), "datasets": [summary(job, n) for n in names]}
        info = describe(job, dset)
        info["other_datasets"] = [n for n in names if n != info["name"]]
        info["head"] = first_rows(dset)
        return info

    # --- /urd, /urd/LIST ---------------------------------------------------------------

    def urd_lists(self) -> list[dict]:
        return list_summaries(self.cfg.urd_db)

    def urd_list(self, name: str) -> dict:
        return {"list": name, "entries": list_entries(self.cfg.urd_db, name)}

    # --- /method, /method/NAME -----------------------------------------------------------

    def methods(self) -> list[dict]:
        with self._methods_lock:
            return list_methods(self._registry())

    def method(self, name: str) -> dict:
        """`ax method NAME --json` (without the source hash), and its newest jobs."""
        from accel.errors import MethodError

        with self._methods_lock:
            registry = self._registry()
            try:
                data = method_data(get_method(registry, name))
            except MethodError as e:  # there, but it does not load
                data = {"name": name, "error": str(e)}
        found, more = find_jobs(self.cfg.workdirs, make_query([name]), HEAD_ROWS,
                                self.lineage.index.records())
        data["recent_jobs"] = [dict(rec.summary(), note=note_of(rec)) for rec in found]
        data["more_jobs"] = more
        return data

    def _registry(self) -> MethodRegistry:
        from accel.methods import MethodRegistry

        return MethodRegistry(self.cfg.method_packages, self.cfg.project_dir)


# --- helpers -----------------------------------------------------------------------------


def _method_of(jobid: str) -> str | None:
    try:
        return Job(jobid).params.get("method")
    except Exception:
        return None


def _output(j: Job) -> dict[str, str]:
    """What `ax job -o --json` prints; {} when the job is too broken to say."""
    from accel.errors import AccelError

    try:
        return output_texts(j)
    except (AccelError, OSError, ValueError):
        return {}


def first_rows(dset: Dataset, n: int = HEAD_ROWS) -> dict:
    """The first rows as `ax cat --head N` shows them (text) and as `-f json` gives them."""
    names, text_rows = head_rows(dset, n, "text")
    _, json_lines = head_rows(dset, n, "json")
    types = {name: typ for name, typ, _ in columns_of(dset)}
    return {"columns": names, "numeric": [types.get(c) in NUMERIC for c in names],
            "text": [["None" if c is None else str(c) for c in row] for row in text_rows],
            "rows": [json.loads(line) for line in json_lines],
            "total": sum(int(x) for x in dset.lines)}


def result_preview(j: Job) -> dict | None:
    """result.pickle's value as repr when it is small enough to load; None without one."""
    path = j.path / "result.pickle"
    try:
        size = os.stat(path).st_size
    except OSError:
        return None
    if size > RESULT_MAX:
        return {"size": size, "repr": None, "note": f"not loaded: bigger than {RESULT_MAX} bytes"}
    try:
        text = repr(j.load())
    except Exception as e:  # a class the board cannot import, a damaged file, ...
        return {"size": size, "repr": None, "note": f"cannot load: {type(e).__name__}: {e}"}
    note = ""
    if len(text) > RESULT_TEXT_MAX:
        note = f"cut at {RESULT_TEXT_MAX} of {len(text)} characters"
        text = text[:RESULT_TEXT_MAX] + "…"
    return {"size": size, "repr": text, "note": note}
