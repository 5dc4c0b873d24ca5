"""ax status: what runs now, seen from any terminal."""

from __future__ import annotations

import time
from typing import Any

import click

from accel.cli.common import fmt_duration, json_option, load, print_json, store_of, table


def running_jobs(cfg: Any, store: Any = None) -> list[dict]:
    """Every job running now in the project's workdirs, oldest first.

    `store` is the project's Store by default; `ax board` passes one that only reads.
    """
    from accel.jobstatus import NOT_ENDED, UNFINISHED
    from accel.progress import slices_done
    from accel.records import record_of
    from accel.statmsg import messages

    if store is None:
        store = store_of(cfg)
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


@click.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> int:
    """What runs now, from any terminal: each running job, its method, the part it is
    in (a job shows its part once it has run a moment), analysis slices done, what the
    method shows with `status()`, and how long it has run."""
    jobs = running_jobs(load(ctx))
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
