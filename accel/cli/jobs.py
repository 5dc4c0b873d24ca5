"""ax jobs: search every job of every workdir, newest first (the search is accel.view.jobs)."""

from __future__ import annotations

import click

from accel.cli.common import json_option, load, method_option, print_json, status_option, table
from accel.store.catalog import option_text
from accel.view.jobs import find_jobs, make_query, note_of, split_values, summarize_jobs
from accel.view.text import fmt_duration, fmt_time

TABLE_LIMIT = 100  # what the table shows without --limit


@click.command()
@method_option
@status_option
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
                   "unless told; --json and --summary take all.")
@click.option("--columns", "-c", "columns", multiple=True, metavar="KEY,...",
              help="A column in the table for each of these options (a comma list, or "
                   "repeated; a.b for a key inside a dict option), to tell a sweep's jobs "
                   "apart. --json has every option anyway.")
@click.option("--summary", is_flag=True,
              help="Count the jobs found by method and status instead, with their total and "
                   "median runtime and peak memory.")
@json_option
@click.pass_context
def jobs(ctx: click.Context, methods: tuple[str, ...], statuses: tuple[str, ...],
         since: str | None, until: str | None, min_runtime: str | None,
         options: tuple[str, ...], limit: str | None, columns: tuple[str, ...],
         summary: bool, as_json: bool) -> None:
    """Search every job of every workdir, newest first: a table of job, method, status,
    start, runtime and caption (or error), or JSON for scripts.

    \b
    ax jobs --status failed --since 1d
    ax jobs -m wordcount -o lowercase=false -n 5
    ax jobs -m fit --columns alpha,depth
    ax jobs --since 1d --summary
    ax jobs --min-runtime 10m --json
    """
    from accel.errors import UserError

    cfg = load(ctx)
    query = make_query(methods, statuses, since, until, min_runtime, options)
    names = split_values(columns)
    if names and summary:
        raise UserError("--columns chooses the columns of the table of jobs; --summary "
                        "counts them instead (give one of the two)")
    n: int | None = None
    if limit is not None:
        try:
            n = int(limit)
            if n < 0:
                raise ValueError
        except ValueError:
            raise UserError(f"--limit: {limit!r} is not a number of jobs (0 for all)") from None
    if n is None:
        n = 0 if as_json or summary else TABLE_LIMIT
    found, more = find_jobs(cfg.workdirs, query, n)
    if summary:
        counted = summarize_jobs(found)
        if as_json:
            print_json(counted)
            return
    elif as_json:
        print_json([rec.summary() for rec in found])
        return
    if not found:
        filtered = methods or statuses or since or until or min_runtime or options
        click.echo("no jobs match" if filtered else "no jobs yet")
        return
    if summary:
        click.echo(counted.pretty)
        return
    rows = []
    for rec in found:
        shown = [option_text(rec.setup.get("options"), c) for c in names]
        rows.append((rec.jobid, rec.method or "?", *shown, rec.status, fmt_time(rec.starttime),
                     fmt_duration(rec.runtime), note_of(rec)))
    click.echo(table(rows, ("job", "method", *names, "status", "started", "runtime",
                            "caption/error")))
    if more:
        click.echo(f"(the newest {n} shown; more match: --limit N, or --limit 0 for all)")

