"""Which jobs: those a search finds (ax jobs, the board's front page) and those running now
(ax status).

The walking and matching is `accel.store.catalog`: it reads each job's files only when a
question needs them and stops at the limit, so a search stays quick on many jobs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from accel.jobstatus import ALL
from accel.view.text import close_hint

if TYPE_CHECKING:
    from accel.jobsummary import Summary
    from accel.store import Store
    from accel.store.catalog import JobRecord, Query


def split_values(values: Iterable[str]) -> list[str]:
    """Repeated options and comma lists alike: ('a,b', 'c') -> ['a', 'b', 'c']."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def parse_statuses(values: Iterable[str]) -> list[str]:
    """`--status` as typed (repeated, or `failed,canceled`), each checked against the one
    list of statuses (accel.jobstatus.ALL): every command that filters by status takes
    the same words, and a wrong one is the same UserError naming it."""
    from accel.errors import UserError

    wanted = split_values(values)
    for s in wanted:
        if s not in ALL:
            raise UserError(f"--status: no status {s!r}{close_hint(s, list(ALL))} "
                            f"(statuses: {', '.join(ALL)})")
    return wanted


def make_query(methods: Iterable[str] = (), statuses: Iterable[str] = (), since: str | None = None,
               until: str | None = None, min_runtime: str | None = None,
               options: Iterable[str] = ()) -> Query:
    """A catalog Query from the filters as typed (`--status failed,running`, `--since 2h`, ...).

    A filter that does not parse is a UserError naming it; `ax board` takes the same texts.
    """
    from accel.errors import UserError
    from accel.store.catalog import Query
    from accel.view.timetext import parse_duration, parse_when, user_value

    wanted = parse_statuses(statuses)
    pairs = []
    for text in options:
        key, eq, value = text.partition("=")
        if not eq or not key.strip():
            raise UserError(f"--option: {text!r} is not KEY=VALUE (like --option count=3)")
        pairs.append((key.strip(), value))
    return Query(
        methods=frozenset(split_values(methods)),
        statuses=frozenset(wanted),
        since=user_value("--since", parse_when, since) if since else None,
        until=user_value("--until", parse_when, until, None, True) if until else None,
        min_runtime=user_value("--min-runtime", parse_duration, min_runtime)
        if min_runtime else None,
        options=tuple(pairs),
    )


def find_jobs(workdirs: Mapping[str, Path], query: Query, n: int,
              source: Iterator[JobRecord] | None = None) -> tuple[list[JobRecord], bool]:
    """The newest `n` (0: all) JobRecords matching `query`, and whether more match.
    `source`: the jobs to look through, newest first (the board's kept records)."""
    from accel.store.catalog import search

    # one more than shown, to know whether there are more
    found = list(search(dict(workdirs), query, limit=n + 1 if n else None, source=source))
    more = bool(n) and len(found) > n
    return (found[:n] if n else found), more


def summarize_jobs(records: Iterable[JobRecord]) -> Summary:
    """The JobRecords found, counted by method and status (an accel.jobsummary.Summary)."""
    from accel.jobsummary import summarize

    return summarize((r.method, r.status, r.runtime, r.maxrss_kb) for r in records)


def note_of(rec: JobRecord) -> str:
    """The caption of a job, or for one that ended badly its short error."""
    from accel.jobstatus import DAMAGED, ENDED_BADLY

    if rec.status == DAMAGED:
        return rec.damage or ""
    return rec.short_error() if rec.status in ENDED_BADLY else rec.caption


def running_jobs(store: Store) -> list[dict]:
    """Every job running now in the workdirs of `store`, oldest first.

    `ax status` passes the project's Store; `ax board` passes one that only reads.
    """
    from accel.jobstatus import NOT_ENDED, UNFINISHED
    from accel.progress import slices_done
    from accel.records import record_of
    from accel.statmsg import messages

    now = time.time()
    found = []
    for registry in store.running.values():
        for entry in registry.entries():
            rec = record_of(entry.path)
            if rec.status not in NOT_ENDED:  # it ended a moment ago
                continue
            setup = rec.setup  # {} while it is being set up
            slices = int(setup.get("slices", 0) or 0)
            part = entry.part or ("starting" if rec.status == UNFINISHED else "")
            found.append({
                "job": entry.jobid, "method": setup.get("method", ""), "part": part,
                "slices_done": slices_done(entry.path, slices) if part == "analysis" else None,
                "slices": slices, "elapsed": round(now - entry.started, 3),
                "builder_pid": entry.builder_pid, "host": entry.host,
                "caption": setup.get("caption", ""),
                "status": messages(entry.path),  # what the method shows with status()
            })
    found.sort(key=lambda j: -j["elapsed"])
    return found


def stored_options(jobid: str) -> dict:
    """A job's options as its setup.json stores them (what option_text takes, for a column
    of option values); {} when it cannot be read."""
    from accel.job import Job
    from accel.records import read_setup

    try:
        return (read_setup(Job(jobid).path) or {}).get("options") or {}
    except Exception:  # no such job, a damaged setup.json: no values to show
        return {}


def with_options(rows: list[dict], columns: list[str]) -> list[dict]:
    """Rows of a table of jobs ({"job": ID, ...}), each with its job's stored options as
    "options" when option columns are asked for (only then: a setup.json read a row)."""
    if columns:
        for r in rows:
            r["options"] = stored_options(r["job"])
    return rows
