"""What `ax gc` may delete, and deleting it safely.

`plan_gc` decides the fate of every job (`catalog.records`), keeping what anything kept
refers to; `collect` deletes the doomed ones through the trash folder, looking again at
each just before it goes, so a job a build reused meanwhile is spared. Nothing here
prints; `accel.cli.gc` asks, reports and confirms.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from accel import layout
from accel.jobstatus import DAMAGED, ENDED_BADLY, FINISHED, RUNNING, UNFINISHED
from accel.records import status_of
from accel.store.catalog import YOUNG, JobRecord, disk_usage, post_mtime, records
from accel.store.store import Store
from accel.store.workdir import Workdir

TRASH = "trash"  # <workdir>/.accel/trash/: deleted jobs on their way out

def linked_jobs(result_dir: Path | None, workdirs: dict[str, Path]) -> dict[str, str]:
    """Job id -> a link in the result directory that points into it (symlinks at any
    depth; a link to a link is followed)."""
    found: dict[str, str] = {}
    if result_dir is None or not os.path.isdir(result_dir):
        return found
    roots = []
    for name, path in workdirs.items():
        for p in {os.path.normpath(os.path.abspath(path)), os.path.realpath(path)}:
            roots.append((name, p.rstrip(os.sep) + os.sep))
    for dirpath, dirnames, filenames in os.walk(result_dir):
        for fn in dirnames + filenames:
            link = os.path.join(dirpath, fn)
            if not os.path.islink(link):
                continue
            try:
                target = os.path.normpath(os.path.join(dirpath, os.readlink(link)))
            except OSError:
                continue
            for t in {target, os.path.realpath(link)}:
                for name, root in roots:
                    if t.startswith(root):
                        first = t[len(root):].split(os.sep, 1)[0]
                        parts = layout.split_jobid(first)
                        if parts and parts[0] == name:
                            found.setdefault(first, os.path.relpath(link, result_dir))
    return found


@dataclass
class Fate:
    """What gc does with one job, and why."""

    rec: JobRecord
    delete: bool
    reason: str
    size: int | None = None
    used: float | None = None  # its post.json's mtime when gc decided (Builder.mark_used)

    def as_json(self) -> dict:
        r = self.rec
        return {"job": r.jobid, "method": r.method, "status": r.status, "reason": self.reason,
                "bytes": self.size, "starttime": r.starttime}


@dataclass
class GcPlan:
    fates: list[Fate] = field(default_factory=list)  # every job, newest first
    highest: dict[str, int] = field(default_factory=dict)  # workdir -> highest number seen
    trash: dict[str, list[Path]] = field(default_factory=dict)  # leftovers of an earlier gc
    # a kept job whose records are damaged (what it uses cannot be known): every finished
    # job is kept then, and this says why
    blind: list[str] = field(default_factory=list)

    @property
    def doomed(self) -> list[Fate]:
        return [f for f in self.fates if f.delete]

    @property
    def kept(self) -> list[Fate]:
        return [f for f in self.fates if not f.delete]


def live_builders(store: Store) -> list[tuple[float, str]]:
    """(since when, who) of every live builder process that has run a job in these
    workdirs: the start of the process when it is on this machine, else the start of its
    oldest running job.

    A builder keeps a file `PID@HOST` in the running registry's folder, flocked, for as
    long as it lives (accel/store/running.py), also between jobs.
    """
    from accel.store.running import HOST

    found: dict[tuple[int, str], float] = {}
    for registry in store.running.values():
        for entry in registry.entries():  # drops the files of dead builders
            key = (entry.builder_pid, entry.host)
            found[key] = min(found.get(key, entry.started), entry.started)
        for pid, host in registry.builders():  # between jobs too
            if host == HOST:
                since = _process_start(pid)
                if since is not None:
                    found[(pid, host)] = min(found.get((pid, host), since), since)
    return [(since, f"pid {pid}" + ("" if host == HOST else f" on {host}"))
            for (pid, host), since in sorted(found.items())]


def _process_start(pid: int) -> float | None:
    """When process `pid` started (unix seconds, to about 10 ms), from /proc; None if
    unknown. /proc/PID/stat counts clock ticks since boot; /proc/uptime says how long ago
    the boot was more precisely than /proc/stat's whole-second btime."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of the whole line: starttime
        with open("/proc/uptime", "rb") as f:
            uptime = float(f.read().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK") - 0.05
    except (OSError, ValueError, IndexError):
        return None


def plan_gc(store: Store, urd_jobs: Iterable[str] = (), result_dir: Path | None = None,
            keep_failed: bool = False, older_than: float | None = None,
            now: float | None = None, run_jobs: dict[str, str] | None = None) -> GcPlan:
    """Decide the fate of every job in the store's workdirs.

    Kept, with everything they refer to (`JobRecord.references`), transitively:
    jobs in an urd list (`urd_jobs`), jobs linked from the result directory, the jobs of
    each build script's latest run (`run_jobs`: job id -> which run), running jobs
    (status running, or a live entry in the running registry), unfinished jobs younger
    than YOUNG seconds, jobs started since a build with a job running now began (it may
    not have recorded them in its urd list yet), jobs that last changed after
    `older_than` (a unix time), and with `keep_failed` the failed, canceled and timed-out.

    Deleted: everything else -- failed, canceled, timed-out and unfinished jobs, and
    finished jobs that nothing kept refers to.
    """
    now = time.time() if now is None else now
    workdirs = {name: wd.path for name, wd in store.workdirs.items()}
    by_id: dict[str, JobRecord] = {}
    plan = GcPlan()
    for rec in records(workdirs):
        by_id[rec.jobid] = rec
        plan.highest[rec.workdir] = max(plan.highest.get(rec.workdir, 0), rec.number)
    live: set[str] = set()
    for registry in store.running.values():
        live.update(entry.jobid for entry in registry.entries())
    builders = live_builders(store)
    linked = linked_jobs(result_dir, workdirs)
    urd = set(urd_jobs)

    reason: dict[str, str] = {}  # job id -> why it is kept
    queue: list[str] = []

    def keep(jobid: str, why: str) -> None:
        if jobid in by_id and jobid not in reason:
            reason[jobid] = why
            queue.append(jobid)

    for jobid, rec in by_id.items():
        status = rec.status
        if status == RUNNING or jobid in live:
            keep(jobid, "running")
        elif status == UNFINISHED and rec.is_young(now):
            keep(jobid, f"unfinished, made less than {YOUNG:.0f} s ago (may be starting)")
        elif jobid in urd:
            keep(jobid, "in an urd list")
        elif jobid in linked:
            keep(jobid, f"linked from the result directory ({linked[jobid]})")
        elif run_jobs and jobid in run_jobs:
            keep(jobid, run_jobs[jobid])
        elif keep_failed and status in ENDED_BADLY:
            keep(jobid, f"{status} (--keep-failed)")
        elif older_than is not None and rec.last_change() >= older_than:
            keep(jobid, "made or reused since --older-than")
        elif builders:  # its urd list, its JobList (failed attempts too) may need it yet
            start = rec.starttime or rec.mtime
            used = rec.last_used()
            for since, who in builders:
                if start >= since:
                    keep(jobid, f"made by a build still running ({who})")
                    break
                if used is not None and used >= since:
                    keep(jobid, f"reused by a build still running ({who})")
                    break
    def follow() -> None:
        while queue:
            jobid = queue.pop()
            rec = by_id[jobid]
            for ref, how in rec.references().items():
                keep(ref, f"used by {jobid} ({how})")
            if rec.unknown_refs is not None and not plan.blind:
                # what a job uses is in its records: unread, anything may be its input
                plan.blind.append(f"{jobid} ({reason[jobid]}) is damaged: {rec.unknown_refs}")

    follow()
    if plan.blind:
        for jobid, rec in by_id.items():
            if rec.status in (FINISHED, DAMAGED):
                keep(jobid, "may be used by a kept job that cannot be read")
        follow()

    for jobid, rec in by_id.items():
        if jobid in reason:
            plan.fates.append(Fate(rec, False, reason[jobid]))
        elif rec.status == FINISHED:
            plan.fates.append(Fate(rec, True, "nothing refers to it", used=rec.last_used()))
        else:
            plan.fates.append(Fate(rec, True, rec.status))
    for name, wd in store.workdirs.items():
        try:
            plan.trash[name] = sorted((wd.meta / TRASH).iterdir())
        except OSError:
            plan.trash[name] = []
    return plan


def measure(plan: GcPlan) -> int:
    """Fill in the size of every job to delete (and return the total, trash included)."""
    total = 0
    for fate in plan.doomed:
        if fate.size is None:
            fate.size = fate.rec.disk_usage()
        total += fate.size
    for paths in plan.trash.values():
        total += sum(disk_usage(p) for p in paths)
    return total


# --- deleting -----------------------------------------------------------------------------


class GcLock:
    """One `ax gc` at a time per workdir (a flock the kernel drops if gc dies)."""

    def __init__(self, store: Store):
        from accel.store.locks import FlockLock

        self.locks = [FlockLock(wd.meta_dir() / "gc.lock") for _, wd in sorted(store.workdirs.items())]

    def acquire(self) -> bool:
        for i, lock in enumerate(self.locks):
            if not lock.acquire(blocking=False):
                for held in self.locks[:i]:
                    held.release()
                return False
        return True

    def release(self) -> None:
        for lock in self.locks:
            lock.release()


def reserve_numbers(workdir: Workdir, highest: int) -> None:
    """Make the workdir's next-number hint point beyond `highest` and every job there,
    so no number gc frees is handed out again."""
    workdir.meta_dir()
    workdir.raise_hint(max(highest, workdir.highest_number()) + 1)


def still_deletable(rec: JobRecord, store: Store, now: float) -> bool:
    """The last look before a job goes: not running, not registered, not being set up."""
    status = status_of(rec.path)
    if status == RUNNING:
        return False
    if store.running[rec.workdir].get(rec.jobid) is not None:
        return False
    return not (status == UNFINISHED and rec.is_young(now, fresh=True))


def protect_newcomers(plan: GcPlan, store: Store, late_roots: Iterable[str] = ()) -> list[Fate]:
    """Spare what gc meant to delete but is now in use; returns the spared.

    While gc looked, a build may have started using such a job (a new job directory, or a
    job in the running registry, refers to it) or recorded it in an urd list (the caller
    passes the roots as they are now: `late_roots`)."""
    workdirs = {name: wd.path for name, wd in store.workdirs.items()}
    by_id = {f.rec.jobid: f for f in plan.fates}
    spared: list[Fate] = []
    queue: list[tuple[JobRecord, str]] = []
    for rec in records(workdirs):
        if rec.jobid not in by_id:
            queue.append((rec, f"{rec.jobid}, made while gc ran"))
    for registry in store.running.values():
        for entry in registry.entries():
            if entry.jobid in by_id:
                queue.append((by_id[entry.jobid].rec, f"{entry.jobid}, running"))
    for jobid in late_roots:
        fate = by_id.get(jobid)
        if fate is not None and fate.delete:
            fate.delete, fate.reason = False, "in an urd list, result link or build run " \
                "recorded while gc ran"
            spared.append(fate)
            queue.append((fate.rec, jobid))
    while queue:
        rec, root = queue.pop()
        for ref in rec.references():
            fate = by_id.get(ref)
            if fate is not None and fate.delete:
                fate.delete, fate.reason = False, f"used by {root}"
                spared.append(fate)
                queue.append((fate.rec, root))
    return spared


def _twins(plan: GcPlan) -> dict[tuple[str, str | None], JobRecord]:
    """(workdir, identity) -> the newest kept finished job with that identity, for the
    identities of finished jobs about to go: the index should find the kept one then."""
    wanted = {(f.rec.workdir, f.rec.setup.get("identity")) for f in plan.doomed
              if f.rec.status == FINISHED}
    twins: dict[tuple[str, str | None], JobRecord] = {}
    for f in plan.kept:  # newest first
        rec = f.rec
        if rec.status == FINISHED and rec.setup.get("identity"):
            key = (rec.workdir, rec.setup["identity"])
            if key in wanted and key not in twins:
                twins[key] = rec
    return twins


def delete(rec: JobRecord, store: Store, used: float | None = None) -> bool:
    """Delete one job: out of the index, renamed into the trash (one atomic step: the
    job is whole or gone), then removed. False if it turned out to be in use: also when a
    build marked it used since gc decided (its post.json's mtime is no longer `used`) --
    looked at after the rename, so a build that reused it just before is seen, and the
    job is put back; a build that comes after finds it gone and builds it anew."""
    if not still_deletable(rec, store, time.time()):
        return False
    wd = store.workdirs[rec.workdir]
    identity = rec.setup.get("identity")
    index = store.indexes[rec.workdir]
    if isinstance(identity, str) and identity:
        index.remove(identity, rec.jobid)
    trash = wd.meta_dir(TRASH) / f"{rec.jobid}.{os.getpid()}.{os.urandom(3).hex()}"
    try:
        os.rename(rec.path, trash)
    except FileNotFoundError:
        return False  # someone else deleted it
    if used is not None and post_mtime(trash) != used:
        os.rename(trash, rec.path)
        if isinstance(identity, str) and identity and rec.status == FINISHED and rec.method:
            index.add(identity, rec.jobid, rec.method)
        return False
    _rmtree(trash)
    return True


def _rmtree(path: Path) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass


def collect(plan: GcPlan, store: Store, late_roots: Callable[[], Iterable[str]] | None = None) -> tuple[list[Fate], list[Fate], int]:
    """Carry out `plan`: (deleted, spared, bytes freed).

    First every workdir's next-number hint goes past the highest number there (numbers
    gc frees are never handed out again); then leftovers of an interrupted gc go; then
    whatever came into use since the plan is spared (`late_roots()`: the urd and result
    link roots as they are now); then each job is deleted, after a last look that it is
    not in use. The hint is checked again at the end, in case a builder that read it
    before gc moved it wrote a lower one.
    """
    highest = dict(plan.highest)
    for f in plan.doomed:
        highest[f.rec.workdir] = max(highest.get(f.rec.workdir, 0), f.rec.number)
    for name, n in highest.items():
        reserve_numbers(store.workdirs[name], n)
    freed = 0
    for paths in plan.trash.values():
        for p in paths:
            freed += disk_usage(p)
            _rmtree(p)
    spared = protect_newcomers(plan, store, late_roots() if late_roots else ())
    twins = _twins(plan)
    deleted = []
    for f in plan.doomed:
        if delete(f.rec, store, f.used):
            deleted.append(f)
            freed += f.size if f.size is not None else 0
            twin = twins.get((f.rec.workdir, f.rec.setup.get("identity")))
            if twin is not None and twin.number < f.rec.number and twin.method:
                store.indexes[twin.workdir].add(twin.setup["identity"], twin.jobid, twin.method)
        else:
            f.delete, f.reason = False, "in use when gc came to it"
            spared.append(f)
    for name, n in highest.items():
        reserve_numbers(store.workdirs[name], n)
    return deleted, spared, freed
