"""What `ax run --dry-run` prints: each build's verdict and reasons, as text or JSON."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import click

from accel.cli.common import print_json, table
from accel.dryrun import BUILD, DryBuilder, DryRunStop
from accel.words import plural


def where_in(exc: BaseException, script: Path) -> str:
    """'build.py:12': the line of the build script `exc` came through last ('' if none)."""
    here = os.path.realpath(script)
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
             if os.path.realpath(f.filename) == here]
    return f"{script.name}:{lines[-1]}" if lines else ""


def show(builder: DryBuilder, script: Path, stop: DryRunStop | None, where: str,
         failed: str | None, as_json: bool) -> int:
    """Print the dry run; its exit status: 0 when nothing would be built, else 1."""
    entries = builder.entries
    builds = sum(e["action"] == BUILD for e in entries)
    if as_json:
        print_json({
            "jobs": entries, "build": builds, "reuse": len(entries) - builds,
            "stopped": None if stop is None else {
                "job": str(stop.job), "method": stop.job.method, "call": stop.call or None,
                "where": where or None, "message": str(stop)},
            "not_written": builder.not_written, "error": failed,
        })
    else:
        if entries:
            click.echo(table([row for e in entries for row in _rows(e)]))
        for what in builder.not_written:
            click.echo(f"not written in a dry run: {what}")
        if stop is not None:
            at = f" at {where}" if where else ""
            click.echo(f"ax run --dry-run: stopped{at}: {stop}; what {script.name} does "
                       "after that cannot be known without running it", err=True)
        if failed is None:
            then = " (then it stopped)" if stop is not None else ""
            click.echo(f"{plural(len(entries), 'job')}: {builds} would be built, "
                       f"{len(entries) - builds} reused{then}")
    return 1 if builds or stop is not None or failed is not None else 0


def _rows(entry: dict) -> list[tuple]:
    """The table rows of one entry: action, name, and the job or the reasons, one a row."""
    name = entry["name"] + (f"[{entry['row']}]" if "row" in entry else "")
    if entry["action"] != BUILD:
        return [(entry["action"], name, entry["job"])]
    texts = [r["text"] + (f" (since {r['nearest']})" if r.get("nearest") else "")
             for r in entry["reasons"]] or [""]
    return [(BUILD, name, texts[0]), *(("", "", t) for t in texts[1:])]
