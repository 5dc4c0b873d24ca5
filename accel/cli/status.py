"""ax status: what runs now, seen from any terminal."""

from __future__ import annotations

import click

from accel.cli.common import json_option, load, print_json, store_of, table
from accel.view.jobs import running_jobs
from accel.view.text import fmt_duration, fmt_time


@click.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> int:
    """What runs now, from any terminal: each running job, its method, the part it is
    in (a job shows its part once it has run a moment), analysis slices done, what the
    method shows with `status()`, and how long it has run. Then, machine-wide, the builds
    that hold the CPUs this project's builds draw from (their project, build script, PID,
    jobs and since when), and those that wait for them -- of any project sharing them."""
    from accel import cpuslots

    cfg = load(ctx)
    jobs = running_jobs(store_of(cfg))
    slots = cpuslots.slots_path(cfg.cpu_slots)
    holders, waiting = cpuslots.usage(slots)
    if as_json:
        print_json({"running": jobs, "cpus": {"slots_file": str(slots), "holders": holders,
                                              "waiting": waiting}})
        return 0
    if not (jobs or holders or waiting):
        click.echo("nothing runs now")
        return 0
    click.echo(_jobs_table(jobs) if jobs else "no job of this project runs now")
    if holders or waiting:
        click.echo(f"\nbuilds using this machine's CPUs (slots file {slots}):")
        click.echo(_cpus_table(holders, waiting))
    return 0


def _jobs_table(jobs: list[dict]) -> str:
    rows = []
    for j in jobs:
        part = j["part"]
        if j["slices_done"] is not None:
            part += f" {j['slices_done']}/{j['slices']} slices"
        if j["status"]:
            part += (": " if part else "") + "; ".join(j["status"])
        rows.append((j["job"], j["method"], part, fmt_duration(j["elapsed"]),
                     f"{j['builder_pid']}@{j['host']}"))
    return table(rows, ("job", "method", "part", "elapsed", "builder"))


def _cpus_table(holders: list[dict], waiting: list[dict]) -> str:
    from accel.cpuholders import jobs_text

    rows = []
    for h in holders:
        rows.append(("holds", h["cpus"], h["pid"], jobs_text(h["jobs"]) or "-",
                     fmt_time(h["since"]), h["build"], h["project"]))
    for w in waiting:
        rows.append(("waits", w["cpus"], w["pid"], f"for {w['method']}",
                     fmt_time(w["since"]), w["build"], w["project"]))
    return table(rows, ("", "cpus", "pid", "jobs", "since", "build", "project"))
