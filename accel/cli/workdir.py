"""ax workdir: the configured workdirs, or the jobs in one (or all) of them.

Reads the job directories themselves (setup.json, post.json), not the index: the index only
knows finished jobs, and this is where people look for the failed and unfinished ones too.
Each job is the row `ax jobs --json` gives (accel.store.catalog.JobRecord.summary).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from accel.cli.common import json_option, load, method_option, print_json, status_option, table
from accel.view.jobs import parse_statuses, split_values
from accel.view.text import close_hint, fmt_duration, fmt_time


@click.command()
@click.argument("name", required=False)
@method_option
@status_option
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None, metavar="N",
              help="Only the newest N jobs (after the other filters).")
@json_option
@click.pass_context
def workdir(ctx: click.Context, name: str | None, methods: tuple[str, ...],
            statuses: tuple[str, ...], limit: int | None, as_json: bool) -> None:
    """List the workdirs, or the jobs in workdir NAME (id, method, status, start, runtime).

    With a filter (--method, --status, --limit) but no NAME, the jobs of every workdir.
    """
    from accel.errors import NotFound
    from accel.store import Workdir
    from accel.store.catalog import JobRecord

    cfg = load(ctx)
    methods, statuses = tuple(split_values(methods)), tuple(parse_statuses(statuses))
    if name is None and not (methods or statuses or limit):
        rows: list[dict[str, Any]] = []
        for wname, path in cfg.workdirs.items():
            scanned = Workdir(wname, path).scan()
            rows.append({"name": wname, "path": str(path), "jobs": len(scanned),
                         "target": wname == cfg.target_workdir, "exists": Path(path).is_dir()})
        if as_json:
            print_json(rows)
            return
        click.echo(table([(r["name"] + (" *" if r["target"] else ""), r["jobs"],
                           r["path"] + ("" if r["exists"] else "  (missing)")) for r in rows],
                         ("workdir", "jobs", "path")))
        click.echo("* = target workdir (where new jobs go)")
        return

    if name is not None and name not in cfg.workdirs:
        known = list(cfg.workdirs)
        raise NotFound(f"no workdir {name!r}{close_hint(name, known)} "
                       f"(workdirs: {', '.join(known)})")
    names = [name] if name is not None else list(cfg.workdirs)
    jobs: list[dict] = []
    for wname in names:
        wd = Workdir(wname, cfg.workdirs[wname])
        for jobid, number in wd.scan():
            rec = JobRecord(wname, number, wd.path / jobid)
            if methods and rec.method not in methods:
                continue
            if statuses and rec.status not in statuses:
                continue
            jobs.append(dict(rec.summary(), damage=rec.damage) if rec.damage else rec.summary())
    if name is None:  # several workdirs: newest by start time
        jobs.sort(key=lambda j: (j["starttime"] or 0))
    if limit:
        jobs = jobs[-limit:]
    if as_json:
        print_json(jobs)
        return
    if not jobs:
        where = f"workdir {name}" if name else "any workdir"
        click.echo(f"no jobs in {where}" + (" matching the filters" if
                                             (methods or statuses) else ""))
        return
    click.echo(table([(j["job"], j["method"] or "?", j["status"], fmt_time(j["starttime"]),
                       fmt_duration(j["runtime"])) for j in jobs],
                     ("job", "method", "status", "started", "runtime")))
    for j in jobs:
        if j.get("damage"):
            click.echo(j["damage"])
