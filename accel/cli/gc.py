"""ax gc: delete failed, canceled, timed-out and unfinished jobs, and finished jobs nothing
refers to. What counts as referenced, and how a job is deleted safely, is
`accel.store.gc` (plan_gc, delete); this module asks, reports and confirms.
"""

from __future__ import annotations

import errno
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING

import click

from accel.cli.common import json_option, load, print_json, store_of, table
from accel.jobstatus import FINISHED
from accel.view.text import fmt_time
from accel.words import plural

if TYPE_CHECKING:
    from accel.config import Config

SHOWN = 40  # jobs listed by name before "... and N more"
NOT_ASKED = 3  # exit status: there was something to delete, but no terminal to ask and no --yes


def fmt_bytes(n: int) -> str:
    v = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if v < 1024 or unit == "TiB":
            return f"{v:.0f} {unit}" if unit == "B" else f"{v:.1f} {unit}"
        v /= 1024
    return f"{n} B"


@click.command()
@click.option("--dry-run", "-n", is_flag=True, help="Say what would go; delete nothing.")
@click.option("--keep-failed", is_flag=True,
              help="Keep failed, canceled and timed-out jobs (and what they used).")
@click.option("--older-than", metavar="AGE",
              help="Only delete jobs that last changed more than AGE ago (2h, 3d, 1w, or a "
                   "date: before it).")
@click.option("--yes", "-y", is_flag=True,
              help="Delete without asking (without a terminal, gc deletes only with --yes).")
@json_option
@click.pass_context
def gc(ctx: click.Context, dry_run: bool, keep_failed: bool, older_than: str | None,
       yes: bool, as_json: bool) -> int:
    """Delete failed, canceled, timed-out and unfinished jobs, and finished jobs nothing
    refers to; say what goes and how much it frees.

    A job is referenced, and kept, when it is in an urd list, used by the latest run of a
    build script (every job each script's newest `ax run` built or reused), linked from
    the result directory, running, or used by a kept job (a job or dataset input, a
    JobWithFile option, a subjob, a dataset's previous or parent) -- transitively. A
    running job, an unfinished job less than a minute old and the jobs of a build running
    now are never touched. At a terminal gc asks before deleting (--yes does not ask;
    answering no deletes nothing and exits 0). Without a terminal it deletes only with
    --yes: else it says what it would delete and exits 3.
    """
    from accel import disk
    from accel.errors import DiskError

    cfg = load(ctx)
    for path in cfg.workdirs.values():  # nothing can go, so nothing would: say so first
        if disk.read_only(path):
            raise DiskError(f"gc: {disk.message(errno.EROFS, path)}: nothing there can be "
                            "deleted", errno.EROFS)
    try:
        return _gc(cfg, dry_run, keep_failed, older_than, yes, as_json)
    except OSError as e:
        if disk.is_disk_error(e) and e.filename:
            raise DiskError(f"gc: {disk.describe(e, '.')}", e.errno) from None
        raise


def _gc(cfg: Config, dry_run: bool, keep_failed: bool, older_than: str | None, yes: bool,
        as_json: bool) -> int:
    from accel.errors import AccelError
    from accel.store import gc as collector
    from accel.store.latest_runs import forget, kept_by_latest_runs
    from accel.view.timetext import parse_when, user_value

    now = time.time()
    cutoff = user_value("--older-than", parse_when, older_than, now) \
        if older_than else None
    store = store_of(cfg)
    urd_jobs, lists = _urd_references(cfg)
    run_jobs, gone = kept_by_latest_runs(dict(cfg.workdirs), cfg.project_dir)

    lock = None
    if not dry_run:
        lock = collector.GcLock(store)
        if not lock.acquire():
            raise AccelError("another ax gc is running on these workdirs; try again when it is done")
    try:
        plan = collector.plan_gc(store, urd_jobs, cfg.result_directory, keep_failed=keep_failed,
                                 older_than=cutoff, now=now, run_jobs=run_jobs)
        total = collector.measure(plan)
        doomed = plan.doomed
        trash = [p for paths in plan.trash.values() for p in paths]
        asks_nobody = not (dry_run or yes or sys.stdin.isatty())  # says what it would do
        report = _report(plan, total, trash, lists, dry_run, asks_nobody,
                         [script for script, _ in gone])
        if as_json:
            out = {"dry_run": dry_run, "bytes": total, "urd_lists": lists, "damaged": plan.blind,
                   "delete": [f.as_json() for f in doomed],
                   "keep": [f.as_json() for f in plan.kept],
                   "trash": [str(p) for p in trash]}
        else:
            click.echo(report)
        if dry_run or not (doomed or trash):
            if as_json:
                print_json(out)
            elif not dry_run:
                click.echo("nothing to delete")
            return 0
        if asks_nobody:
            if as_json:
                print_json(dict(out, not_asked=True))
            click.echo("nothing deleted: gc asks before deleting, and there is no terminal "
                       "to ask; run `ax gc --yes` to delete", err=True)
            return NOT_ASKED
        if not yes:
            if as_json:
                click.echo(report, err=True)
            if not click.confirm(f"Delete {plural(len(doomed), 'job')} ({fmt_bytes(total)})?",
                                 default=False, err=True):
                click.echo("nothing deleted", err=True)
                if as_json:
                    print_json(dict(out, declined=True))
                return 0
        deleted, spared, freed = collector.collect(plan, store, lambda: _roots_now(cfg))
        forget([folder for _, folder in gone])
        if as_json:
            out["delete"] = [f.as_json() for f in deleted]
            out["spared"] = [f.as_json() for f in spared]
            out["bytes"] = freed
            print_json(out)
        else:
            for f in spared:
                click.echo(f"kept {f.rec.jobid} after all: {f.reason}")
            click.echo(f"deleted {plural(len(deleted), 'job')}, freed {fmt_bytes(freed)}")
        return 0
    finally:
        if lock is not None:
            lock.release()


def _urd_references(cfg: Config) -> tuple[set[str], list[str]]:
    """Every job id in any urd list, and the lists' names (no database: none, not made;
    a database that builds wrote lists to and is now missing or empty: an error)."""
    from accel.errors import UserError
    from accel.urd.lists import UrdLists, lost_database

    marker = lost_database(list(cfg.workdirs.values()), cfg.urd_db)
    if marker is not None:
        raise UserError(f"gc: the urd lists database {cfg.urd_db} is missing or empty, but "
                        f"builds recorded lists of these jobs in it ({marker} says so): gc "
                        "cannot tell which jobs the lists keep; restore the database, or "
                        f"delete {marker} to collect as if there never were lists")
    if not cfg.urd_db.exists():
        return set(), []

    lists = UrdLists(cfg.urd_db)
    try:
        return lists.references(), lists.list()
    finally:
        lists.close()


def _roots_now(cfg: Config) -> set[str]:
    """The urd, latest-run and result-link roots again, just before deleting: a build may
    have recorded a session, a run or made a link while gc looked."""
    from accel.store.gc import linked_jobs
    from accel.store.latest_runs import kept_by_latest_runs

    workdirs = dict(cfg.workdirs)
    return (_urd_references(cfg)[0] | set(kept_by_latest_runs(workdirs, cfg.project_dir)[0])
            | set(linked_jobs(cfg.result_directory, workdirs)))




def _report(plan, total: int, trash: list, lists: list[str], dry_run: bool, would: bool,
            gone: list[str]) -> str:
    doomed, kept = plan.doomed, plan.kept
    lines = []
    for text in plan.blind:
        lines.append(f"warning: {text}; gc cannot tell what it uses, so it keeps every finished "
                     "job (repair or delete that job to collect them)")
    if not lists:
        lines.append("note: this project has no urd lists, so a finished job is kept only if "
                     "the latest run of a build script used it, the result directory links "
                     "to it or a kept job uses it")
    for script in gone:
        lines.append(f"note: {script} no longer exists, so its latest run keeps no jobs")
    if doomed:
        why = Counter("finished, nothing refers to it" if f.rec.status == FINISHED
                      else f.rec.status for f in doomed)
        head = "would delete" if dry_run or would else "to delete"
        lines.append(f"{head}: {plural(len(doomed), 'job')}, {fmt_bytes(total)} "
                     f"({', '.join(f'{n} {w}' for w, n in why.most_common())})")
        rows = [(f.rec.jobid, f.rec.method or "?", f.rec.status, fmt_time(f.rec.starttime),
                 fmt_bytes(f.size or 0)) for f in doomed[:SHOWN]]
        lines.append(table(rows, ("job", "method", "status", "started", "size")))
        if len(doomed) > SHOWN:
            lines.append(f"... and {len(doomed) - SHOWN} more (ax gc --dry-run --json lists all)")
    if trash:
        lines.append(f"{'would remove' if dry_run or would else 'to remove'}: {len(trash)} leftovers "
                     "of an earlier gc that was interrupted")
    if kept:
        groups = Counter(_group(f.reason) for f in kept)
        lines.append(f"kept: {plural(len(kept), 'job')} "
                     f"({', '.join(f'{n} {w}' for w, n in groups.most_common())})")
    elif not doomed:
        lines.append("no jobs")
    if dry_run:
        lines.append("dry run: nothing deleted")
    return "\n".join(lines)


def _group(reason: str) -> str:
    for prefix, group in (("used by", "used by kept jobs"), ("linked", "linked from results"),
                          ("made by a build", "made by a build running now"),
                          ("unfinished, made", "just made")):
        if reason.startswith(prefix):
            return group
    return reason
