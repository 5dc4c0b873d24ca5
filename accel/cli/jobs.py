"""ax jobs: search every job of every workdir, newest first.

The walking and matching is `accel.store.catalog`: it reads each job's files only when a
question needs them and stops at --limit, so a search stays quick on many jobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import click

from accel.cli.common import (
    close_hint,
    fmt_duration,
    fmt_time,
    json_option,
    load,
    print_json,
    table,
)
from accel.jobstatus import ALL

TABLE_LIMIT = 100  # what the table shows without --limit


def _split(values: tuple[str, ...]) -> list[str]:
    """Repeated options and comma lists alike: ('a,b', 'c') -> ['a', 'b', 'c']."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@click.command()
@click.option("--method", "-m", "methods", multiple=True, metavar="METHOD",
              help="Only jobs of this method (repeatable, or a comma list).")
@click.option("--status", "-s", "statuses", multiple=True, metavar="STATUS",
              help=f"Only jobs with this status: {', '.join(ALL)} (repeatable, or a comma "
                   "list).")
@click.option("--since", metavar="WHEN",
              help="Only jobs started at or after WHEN: a date (2026-11-21), a datetime "
                   "(2026-11-21T14:30), or an age (2h, 3d: that long ago).")
@click.option("--until", metavar="WHEN",
              help="Only jobs started before WHEN (a date means the end of that day).")
@click.option("--min-runtime", metavar="DURATION",
              help="Only jobs that ran at least this long: seconds, or 1m30s, 2h, ...")
@click.option("--option", "-o", "options", multiple=True, metavar="KEY=VALUE",
              help="Only jobs whose option KEY reads as VALUE (repeatable; KEY may be "
                   "a.b for a key inside a dict option).")
@click.option("--limit", "-n", metavar="N",
              help=f"At most N jobs, the newest (0: all). The table shows {TABLE_LIMIT} "
                   "unless told; --json shows all.")
@json_option
@click.pass_context
def jobs(ctx: click.Context, methods: tuple[str, ...], statuses: tuple[str, ...],
         since: str | None, until: str | None, min_runtime: str | None,
         options: tuple[str, ...], limit: str | None, as_json: bool) -> None:
    """Search every job of every workdir, newest first: a table of job, method, status,
    start, runtime and caption (or error), or JSON for scripts.

    \b
    ax jobs --status failed --since 1d
    ax jobs -m wordcount -o lowercase=false -n 5
    ax jobs --min-runtime 10m --json
    """
    from accel.errors import UserError

    cfg = load(ctx)
    query = make_query(methods, statuses, since, until, min_runtime, options)
    n: int | None = None
    if limit is not None:
        try:
            n = int(limit)
            if n < 0:
                raise ValueError
        except ValueError:
            raise UserError(f"--limit: {limit!r} is not a number of jobs (0 for all)") from None
    if n is None:
        n = 0 if as_json else TABLE_LIMIT
    found, more = find_jobs(cfg.workdirs, query, n)
    if as_json:
        print_json([rec.summary() for rec in found])
        return
    if not found:
        filtered = methods or statuses or since or until or min_runtime or options
        click.echo("no jobs match" if filtered else "no jobs yet")
        return
    rows = []
    for rec in found:
        note = note_of(rec)
        rows.append((rec.jobid, rec.method or "?", rec.status, fmt_time(rec.starttime),
                     fmt_duration(rec.runtime), note))
    click.echo(table(rows, ("job", "method", "status", "started", "runtime", "caption/error")))
    if more:
        click.echo(f"(the newest {n} shown; more match: --limit N, or --limit 0 for all)")


def make_query(methods: Iterable[str] = (), statuses: Iterable[str] = (), since: str | None = None,
               until: str | None = None, min_runtime: str | None = None,
               options: Iterable[str] = ()) -> Any:
    """A catalog Query from the filters as typed (`--status failed,running`, `--since 2h`, ...).

    A filter that does not parse is a UserError naming it; `ax board` takes the same texts.
    """
    from accel.cli.timetext import parse_duration, parse_when, user_value
    from accel.errors import UserError
    from accel.store.catalog import Query

    wanted = _split(tuple(statuses))
    for s in wanted:
        if s not in ALL:
            raise UserError(f"--status: no status {s!r}{close_hint(s, list(ALL))} "
                            f"(statuses: {', '.join(ALL)})")
    pairs = []
    for text in options:
        key, eq, value = text.partition("=")
        if not eq or not key.strip():
            raise UserError(f"--option: {text!r} is not KEY=VALUE (like --option count=3)")
        pairs.append((key.strip(), value))
    return Query(
        methods=frozenset(_split(tuple(methods))),
        statuses=frozenset(wanted),
        since=user_value("--since", parse_when, since) if since else None,
        until=user_value("--until", parse_when, until, None, True) if until else None,
        min_runtime=user_value("--min-runtime", parse_duration, min_runtime)
        if min_runtime else None,
        options=tuple(pairs),
    )


def find_jobs(workdirs: Mapping[str, Path], query: Any, n: int) -> tuple[list, bool]:
    """The newest `n` (0: all) JobRecords matching `query`, and whether more match."""
    from accel.store.catalog import search

    # one more than shown, to know whether there are more
    found = list(search(dict(workdirs), query, limit=n + 1 if n else None))
    more = bool(n) and len(found) > n
    return (found[:n] if n else found), more


def note_of(rec: Any) -> str:
    """The caption of a job, or for one that ended badly its short error."""
    from accel.jobstatus import DAMAGED, ENDED_BADLY

    if rec.status == DAMAGED:
        return rec.damage or ""
    return rec.short_error() if rec.status in ENDED_BADLY else rec.caption
