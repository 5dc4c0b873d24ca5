"""ax abort: stop running jobs from any terminal."""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING

import click

from accel.cli.common import load, resolve_job, store_of
from accel.words import plural

if TYPE_CHECKING:
    from accel.store import Store

WAIT = 30.0  # seconds to wait for the builders to say the jobs have stopped


@click.command()
@click.argument("ref", required=False)
@click.pass_context
def abort(ctx: click.Context, ref: str | None) -> int:
    """Stop running jobs: all of them (each build is interrupted as by Ctrl-C: its running
    jobs are killed with every process they started, marked canceled, and `ax run` exits
    130), or just REF (that job is canceled; its build gets a JobError saying so; a
    METHOD name cancels the running jobs of that method). Waits until they have stopped."""
    from accel.errors import NotFound
    from accel.jobstatus import NOT_ENDED
    from accel.records import status_of
    from accel.store.running import HOST

    cfg = load(ctx)
    store = store_of(cfg)
    if ref is not None:
        # METHOD elsewhere names its latest *finished* job, which never runs: here it
        # names the running jobs of that method
        running = _running_of_method(store, ref.strip())
        if running:
            jobs = [e.jobid for e in running]
            targets = [e.path for e in running if store.running[_workdir(e.jobid)]
                       .request_cancel(e.jobid)]
        else:
            try:
                job = resolve_job(ctx, ref)
            except NotFound:
                raise NotFound(f"nothing called {ref!r} runs now (no running job of a method "
                               "of that name, and no such job)") from None
            wd = job.workdir
            if wd not in store.running or not store.running[wd].request_cancel(str(job)):
                raise NotFound(f"{job} is not running (it is {status_of(job.path)})")
            jobs, targets = [str(job)], [job.path]
        click.echo(f"asked the build of {jobs[0]} to stop it" if len(jobs) == 1 else
                   f"asked the builds of {', '.join(jobs)} to stop them")
    else:
        entries = [e for r in store.running.values() for e in r.entries()]
        if not entries:
            click.echo("nothing runs now")
            return 0
        local = {e.builder_pid for e in entries if e.host == HOST}
        # a builder inside a running job (its subjobs) goes with that job: stop only the
        # outermost ones. SIGTERM, which `ax run` takes as Ctrl-C: a build started in the
        # background by a script has SIGINT ignored
        builders = sorted(pid for pid in local if not (_ancestors(pid) & local))
        for pid in builders:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        others = sorted({e.jobid for e in entries if e.host != HOST})
        for jobid in others:  # a builder on another host: a cancel request it will see
            store.running[_workdir(jobid)].request_cancel(jobid)
        targets = [e.path for e in entries]
        click.echo(f"interrupted {plural(len(builders), 'build')} running "
                   f"{', '.join(e.jobid for e in entries)}"
                   + (f" (on other hosts: {', '.join(others)})" if others else ""))

    def stopping(path) -> bool:
        # killed is not yet stopped: the builder writes how it ended (canceled) just after,
        # and a job not yet started is "unfinished" for a moment; a live builder that
        # still lists the job has more to say
        if status_of(path) not in NOT_ENDED:
            return False
        return store.running[_workdir(path.name)].get(path.name) is not None

    deadline = time.monotonic() + WAIT
    while any(stopping(p) for p in targets):
        if time.monotonic() > deadline:
            still = [p.name for p in targets if stopping(p)]
            click.echo(f"ax abort: still running after {WAIT:.0f} s: {', '.join(still)}", err=True)
            return 1
        time.sleep(0.05)
    for p in targets:
        click.echo(f"{p.name}: {status_of(p)}")
    return 0


def _workdir(jobid: str) -> str:
    return jobid.rsplit("-", 1)[0]


def _running_of_method(store: Store, name: str) -> list:
    """The running jobs of method `name` (none when `name` is not a bare method name)."""
    from accel import layout
    from accel.records import record_of

    if layout.split_jobid(name) or not layout.is_method_name(name):
        return []
    found = []
    for registry in store.running.values():
        for entry in registry.entries():
            if record_of(entry.path).setup.get("method") == name:
                found.append(entry)
    return found


def _ancestors(pid: int) -> set[int]:
    """The processes above `pid` (from /proc), up to init."""
    found: set[int] = set()
    while pid > 1 and pid not in found:
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        found.add(pid)
    return found
