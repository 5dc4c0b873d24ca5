"""ax workdir: the configured workdirs, or the jobs in one (or all) of them.

Reads the job directories themselves (setup.json, post.json), not the index: the index only
knows finished jobs, and this is where people look for the failed and unfinished ones too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from accel.cli.common import json_option, load, print_json, table
from accel.jobstatus import ALL
from accel.view.text import close_hint, fmt_duration, fmt_time


@click.command()
@click.argument("name", required=False)
@click.option("--method", "-m", "methods", multiple=True, metavar="METHOD",
              help="Only jobs of this method (repeatable).")
@click.option("--status", "-s", "statuses", multiple=True, type=click.Choice(ALL),
              help="Only jobs with this status (repeatable).")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None, metavar="N",
              help="Only the newest N jobs (after the other filters).")
@json_option
@click.pass_context
def workdir(ctx: click.Context, name: str | None, methods: tuple[str, ...],
            statuses: tuple[str, ...], limit: int | None, as_json: bool) -> None:
    """List the workdirs, or the jobs in workdir NAME (id, method, status, start, duration).

    With a filter (--method, --status, --limit) but no NAME, the jobs of every workdir.
    """
    from accel.errors import NotFound
    from accel.store import Workdir

    cfg = load(ctx)
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
        for jobid, _number in wd.scan():
            info = job_summary(wd.path / jobid, jobid)
            if methods and info["method"] not in methods:
                continue
            if statuses and info["status"] not in statuses:
                continue
            jobs.append(info)
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
    click.echo(table([(j["jobid"], j["method"] or "?", j["status"], fmt_time(j["starttime"]),
                       fmt_duration(j["duration"])) for j in jobs],
                     ("job", "method", "status", "started", "duration")))
    for j in jobs:
        if j.get("damage"):
            click.echo(j["damage"])


def job_summary(path: Path, jobid: str) -> dict:
    """One row of the listing, from the job's own files (nothing decoded, nothing imported)."""
    from accel.records import record_of

    rec = record_of(path)
    start = rec.setup.get("starttime")
    duration = None
    if rec.post is not None:
        duration = rec.post.get("exectime")
        if duration is None and rec.post.get("endtime") and start:
            duration = rec.post["endtime"] - start
    row = {"jobid": jobid, "method": rec.setup.get("method"), "status": str(rec.status),
           "starttime": start, "duration": duration, "caption": rec.setup.get("caption") or "",
           "path": str(path)}
    if rec.damage:
        row["damage"] = rec.damage
    return row
