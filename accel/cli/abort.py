"""ax abort: stop running jobs from any terminal."""

from __future__ import annotations

import os
import signal
import time

import click

from accel.cli.common import load, resolve_job, store_of

WAIT = 30.0  # seconds to wait for the builders to say the jobs have stopped


@click.command()
@click.argument("ref", required=False)
@click.pass_context
def abort(ctx: click.Context, ref: str | None) -> int:
    """Stop running jobs: all of them (each build is interrupted as by Ctrl-C: its running
    jobs are killed with every process they started, marked canceled, and `ax run` exits
    130), or just REF (that job is canceled; its build gets a JobError saying so).
    Waits until the jobs have stopped."""
    from accel.errors import NotFound
    from accel.job import status_of
    from accel.store.running import HOST

    cfg = load(ctx)
    store = store_of(cfg)
    if ref is not None:
        job = resolve_job(ctx, ref)
        wd = job.workdir
        if wd not in store.running or not store.running[wd].request_cancel(str(job)):
            raise NotFound(f"{job} is not running (it is {status_of(job.path)})")
        targets = [job.path]
        click.echo(f"asked the build of {job} to stop it")
    else:
        entries = [e for r in store.running.values() for e in r.entries()]
        if not entries:
            click.echo("nothing runs now")
            return 0
        builders = sorted({e.builder_pid for e in entries if e.host == HOST})
        for pid in builders:
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        others = sorted({e.jobid for e in entries if e.host != HOST})
        for jobid in others:  # a builder on another host: a cancel request it will see
            store.running[_workdir(jobid)].request_cancel(jobid)
        targets = [e.path for e in entries]
        click.echo(f"interrupted {len(builders)} build(s) running "
                   f"{', '.join(e.jobid for e in entries)}"
                   + (f" (on other hosts: {', '.join(others)})" if others else ""))
    deadline = time.monotonic() + WAIT
    while any(status_of(p) == "running" for p in targets):
        if time.monotonic() > deadline:
            still = [p.name for p in targets if status_of(p) == "running"]
            click.echo(f"ax abort: still running after {WAIT:.0f} s: {', '.join(still)}", err=True)
            return 1
        time.sleep(0.05)
    for p in targets:
        click.echo(f"{p.name}: {status_of(p)}")
    return 0


def _workdir(jobid: str) -> str:
    return jobid.rsplit("-", 1)[0]
