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

from accel.board.downloads import Download, download
from accel.board.lineagedata import Lineage
from accel.config import Config
from accel.errors import UserError
from accel.job import Job
from accel.jobstatus import NOT_ENDED
from accel.store.catalog import subjobs_of
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
from accel.view.jobs import (
    find_jobs,
    make_query,
    note_of,
    running_jobs,
    split_values,
    stored_options,
    with_options,
)
from accel.view.methods import (
    compare_source,
    get_method,
    list_methods,
    method_data,
    method_source,
)
from accel.view.rows import NUMERIC, page_rows
from accel.view.urd import list_entries, list_summaries
from accel.words import plural

Query = dict[str, list[str]]  # a request's ?a=1&b=2, as parse_qs gives it

if TYPE_CHECKING:
    from accel.dataset import Dataset
    from accel.methods import MethodRegistry
    from accel.plan import Planner

METHOD_JOBS = 20  # a method's newest jobs shown
PAGE_ROWS = 20  # rows of a dataset on a page unless ?rows= says, like `ax cat --head 20`
PAGE_ROWS_MAX = 1000  # the most ?rows= may ask for
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
        columns = split_values(filters.get("columns", []))
        # the few jobs running now: their setup.json read for their options
        running = with_options(running_jobs(self.store), columns)
        return {"running": running, "latest_runs": self.lineage.latest(),
                "jobs": jobs, "more": more,
                "limit": n, "filters": given, "columns": columns}

    # --- /job/REF ----------------------------------------------------------------------

    def job(self, ref: str, query: Query | None = None) -> dict:
        """Everything `ax job REF --json` says, plus what its text view and `-o` show; its
        subjobs (so far, while it runs) with a column of each option ?columns=a,b names,
        as on the front page."""
        j = self.resolve(ref)
        info = read_job(j)
        stored_post = info["post"] if isinstance(info["post"], dict) else None
        post = stored_post or {}
        info["header"] = header_rows(info)
        info["options_shown"] = option_rows(j, info["params"])
        info["input_files"] = input_file_rows(info)
        info["timings"] = timing_rows(post) if info["post"] is not None else []
        info["files"] = [{"name": n, "size": s} for n, s in file_rows(j)]
        info["datasets"] = [str(d) if str(d).startswith(f"{j}/") else f"{j}/{d}"
                            for d in post.get("datasets") or ()]
        info["columns"] = split_values((query or {}).get("columns", []))
        info["subjobs"] = with_options(
            [{"job": s, "method": _method_of(s)}
             for s in subjobs_of(j.path, stored_post, str(j))],
            info["columns"])
        info["output"] = _output(j)
        info["result"] = result_preview(j)
        info["lineage"] = self.lineage.job(str(j))
        if info["status"] in NOT_ENDED:  # what `ax status` says of it, for live.js
            info["live"] = next((r for r in running_jobs(self.store) if r["job"] == str(j)),
                                None)
        return info

    # --- /ds/REF, /job/REF/ds/NAME -------------------------------------------------------

    def dataset(self, ref: str, query: Query | None = None) -> dict:
        """`ax ds REF` (JOB/NAME, or JOB for its 'default'), plus a page of its rows."""
        jobref, name = split_ref(ref)
        return self.job_dataset(jobref, name, query)

    def job_dataset(self, jobref: str, name: str | None, query: Query | None = None) -> dict:
        """The dataset, and the page of rows ?start=N&rows=M asks for (the first 20)."""
        job, dset, names = dataset_of(self.resolve(jobref), name, list_if_no_default=True)
        if dset is None:  # no 'default': the job's datasets, as `ax ds JOB` lists them
            return {"job": str(job), "datasets": [summary(job, n) for n in names]}
        info = describe(job, dset)
        info["other_datasets"] = [n for n in names if n != info["name"]]
        query = query or {}
        per_page = int_param(query, "rows", PAGE_ROWS, 1, PAGE_ROWS_MAX, "a number of rows")
        first = int_param(query, "start", 0, 0, None, "a row number")
        total = info["total_lines"]
        if first and first >= total:
            last = f"start is 0..{total - 1}" if total else "it has none"
            raise UserError(f"start={first} is past the last row: {info['dataset']} has "
                            f"{plural(total, 'row')} ({last})")
        info["page"] = rows_page(dset, first, per_page)
        return info

    def download(self, jobref: str, name: str | None, kind: str) -> Download:
        """Dataset `name` of the job as a file of `kind` ('csv', 'parquet'), made as it is
        sent."""
        _, dset, _ = dataset_of(self.resolve(jobref), name)
        assert dset is not None  # (without list_if_no_default a missing one is NotFound)
        return download(dset, kind)

    # --- /urd, /urd/LIST ---------------------------------------------------------------

    def urd_lists(self) -> list[dict]:
        return list_summaries(self.cfg.urd_db)

    def urd_list(self, name: str, query: Query | None = None) -> dict:
        """The list's entries; with ?columns=a,b each entry's jobs' options too, for a
        column of each (as on the front page)."""
        columns = split_values((query or {}).get("columns", []))
        entries = list_entries(self.cfg.urd_db, name)
        if columns:
            for e in entries:
                e["options"] = [[job, stored_options(job)] for _, job in e["joblist"]]
        return {"list": name, "entries": entries, "columns": columns}

    # --- /method, /method/NAME -----------------------------------------------------------

    def methods(self) -> list[dict]:
        with self._methods_lock:
            return list_methods(self._registry())

    def method(self, name: str, query: Query | None = None) -> dict:
        """`ax method NAME --json`, the method file's text, and its newest jobs (with a
        column of each option ?columns=a,b names, as on the front page)."""
        from accel.errors import MethodError

        with self._methods_lock:
            planner = self._planner()
            try:
                info = get_method(planner.methods, name)
                data = method_data(info)
                data["source"] = method_source(planner, info)
            except MethodError as e:  # there, but it does not load
                data = {"name": name, "error": str(e)}
        found, more = find_jobs(self.cfg.workdirs, make_query([name]), METHOD_JOBS,
                                self.lineage.index.records())
        data["recent_jobs"] = [dict(rec.summary(), note=note_of(rec)) for rec in found]
        data["more_jobs"] = more
        data["columns"] = split_values((query or {}).get("columns", []))
        return data

    def job_source(self, ref: str) -> dict:
        """The source of job REF's method as it is now, and whether it is the source the
        job was built from (the job directory keeps the hashes, not the files)."""
        from accel.errors import MethodError

        j = self.resolve(ref)
        setup = read_job(j)["params"]
        name = setup.get("method") or "?"
        data: dict = {"job": str(j), "method": name}
        with self._methods_lock:
            planner = self._planner()
            try:
                data["source"] = method_source(planner, get_method(planner.methods, name))
            except MethodError as e:  # there, but it does not load
                data["error"] = str(e)
                return data
        data["compared"] = compare_source(setup, data["source"])
        return data

    def _planner(self) -> Planner:
        """A Planner (as `ax run` plans): the methods as they are now, and their sources'
        hashes. Made anew for each page, so a changed method shows at once."""
        from accel.plan import Planner

        return Planner(self.cfg)

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


def int_param(query: Query, name: str, default: int, low: int, high: int | None,
           what: str) -> int:
    """?NAME=N as a whole number low..high (an empty field: `default`); anything else is a
    UserError naming the parameter and what it takes."""
    values = [v for v in query.get(name, []) if v.strip()]
    if not values:
        return default
    text = values[-1].strip()
    bounds = f"{low}..{high}" if high is not None else f"{low} or more"
    try:
        n = int(text)
    except ValueError:
        raise UserError(f"{name}={text!r} is not {what} (a whole number, {bounds})") from None
    if n < low or (high is not None and n > high):
        raise UserError(f"{name}={n} is out of range: {what} is {bounds}")
    return n


def rows_page(dset: Dataset, first: int, n: int) -> dict:
    """Rows first..first+n as `ax cat` shows them (text) and as `-f json` gives them, read
    from only the row groups that hold them: as quick far into a big dataset as at its top."""
    names, formatted = page_rows(dset, first, n, ("text", "json"))
    text_rows, json_lines = formatted["text"], formatted["json"]
    types = {name: typ for name, typ, _ in columns_of(dset)}
    return {"columns": names, "numeric": [types.get(c) in NUMERIC for c in names],
            "first_row": first, "per_page": n,
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
