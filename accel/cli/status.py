"""ax status: what runs now, seen from any terminal."""

from __future__ import annotations

import click

from accel.cli.common import json_option, load, print_json, store_of, table
from accel.view.jobs import running_jobs
from accel.view.text import fmt_duration


@click.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> int:
    """What runs now, from any terminal: each running job, its method, the part it is
    in (a job shows its part once it has run a moment), analysis slices done, what the
    method shows with `status()`, and how long it has run."""
    jobs = running_jobs(store_of(load(ctx)))
    if as_json:
        print_json({"running": jobs})
        return 0
    if not jobs:
        click.echo("nothing runs now")
        return 0
    rows = []
    for j in jobs:
        part = j["part"]
        if j["slices_done"] is not None:
            part += f" {j['slices_done']}/{j['slices']} slices"
        if j["status"]:
            part += (": " if part else "") + "; ".join(j["status"])
        rows.append((j["job"], j["method"], part, fmt_duration(j["elapsed"]),
                     f"{j['builder_pid']}@{j['host']}"))
    click.echo(table(rows, ("job", "method", "part", "elapsed", "builder")))
    return 0
