"""Who holds the machine's CPUs and who waits for them, for a waiting build's message and
`ax status`.

The locks in the slots file (`cpuslots`) say which processes hold CPUs, and the kernel
drops a process's locks when it dies, so a dead holder never counts. What a holder runs
is told by a record beside the slots file, `<slots file>.holders/PID.json`, which each
process that holds CPUs or waits for them keeps up to date (written whole, by rename):
its project (accelerator.conf), its build (the build script, or the job whose subjobs it
builds), the jobs it runs with their CPUs, and what it waits for. A record counts only
while its process lives: the process start time it names must be that of the process
with its PID now (a PID is reused). A record is a courtesy, the locks are the truth: a
record that cannot be written leaves its holder known by PID alone.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path

from accel.atomic import is_temp_name, write_json
from accel.words import plural

SUFFIX = ".holders"
STALE = 60.0  # seconds: a dead process's record older than this is removed by a writer


def folder_of(slots: Path) -> Path:
    """Where the records of the builds sharing `slots` are kept."""
    return slots.with_name(slots.name + SUFFIX)


def process_start(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, /proc/PID/stat), or None if
    there is no such process (or no /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the name in () may hold spaces


class Record:
    """This process's record: what it runs with the CPUs it holds, what it waits for."""

    def __init__(self, folder: Path, private: bool):
        self.folder = folder
        self.private = private  # the user's own: a folder only the user may enter
        self.who = {"project": "", "build": ""}
        self._pid = 0
        self._jobs: dict[int, dict] = {}  # a claim's id -> the job it runs
        self._waiting: dict | None = None
        self._written = False  # the file exists
        self._pruned = False  # dead processes' records are removed, once per process

    def _mine(self) -> None:
        """A forked child starts with no jobs and no record of its own."""
        if self._pid != os.getpid():
            self._pid, self._jobs, self._waiting, self._written = os.getpid(), {}, None, False

    def runs(self, key: int, job: str, method: str, cpus: int) -> None:
        self._mine()
        self._jobs[key] = {"job": job, "method": method, "cpus": cpus, "since": time.time()}
        self._write()

    def ended(self, key: int) -> None:
        if self._pid == os.getpid() and self._jobs.pop(key, None) is not None:
            self._write()

    def waits(self, method: str, cpus: int) -> None:
        self._mine()
        if self._waiting is None or self._waiting["method"] != method \
                or self._waiting["cpus"] != cpus:
            self._waiting = {"method": method, "cpus": cpus, "since": time.time()}
            self._write()

    def stops_waiting(self) -> None:
        if self._pid == os.getpid() and self._waiting is not None:
            self._waiting = None
            self._write()

    def rewrite(self) -> None:
        """Again, after the slots file (and maybe the folder) was deleted."""
        if self._pid == os.getpid() and self._written:
            self._write()

    def _write(self) -> None:
        path = self.folder / f"{self._pid}.json"
        try:
            if not self._jobs and self._waiting is None:
                if self._written:
                    self._written = False
                    path.unlink(missing_ok=True)
                return
            if not self._written:
                self.folder.mkdir(mode=0o700 if self.private else 0o777, parents=True,
                                  exist_ok=True)
                if not self._pruned:
                    self._pruned = True
                    _prune(self.folder)
            write_json(path, {"pid": self._pid, "start": process_start(self._pid),
                              **self.who, "jobs": list(self._jobs.values()),
                              "waiting": self._waiting})
            self._written = True
        except OSError:
            pass  # known by its PID alone (see above)


def _prune(folder: Path) -> None:
    """Remove the records of processes that are gone (killed). Only old ones: a process
    that has just taken a dead one's PID may have just written its own."""
    now = time.time()
    for path in folder.glob("*.json"):
        try:
            if now - path.stat().st_mtime > STALE and process_start(int(path.stem)) is None:
                path.unlink()
        except (OSError, ValueError):
            continue


def _records(folder: Path) -> dict[int, dict]:
    """The records of live processes, by PID."""
    found: dict[int, dict] = {}
    try:
        paths = list(folder.iterdir())
    except OSError:
        return found
    for path in paths:
        if is_temp_name(path.name) or path.suffix != ".json" or not path.stem.isdigit():
            continue
        try:
            rec = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        pid = int(path.stem)
        if isinstance(rec, dict) and rec.get("start") is not None \
                and rec.get("start") == process_start(pid):
            found[pid] = rec
    return found


def usage(folder: Path, held: dict[int, int]) -> tuple[list[dict], list[dict]]:
    """(holders, waiting) of a slots file: `held` is how many CPUs each process holds
    (from its locks); the records in `folder` say what for, and who waits."""
    recs = _records(folder)
    holders = []
    for pid, cpus in sorted(held.items()):
        rec = recs.get(pid, {})
        jobs = [j for j in rec.get("jobs", ()) if isinstance(j, dict)]
        since = min((j.get("since") or 0 for j in jobs), default=None)
        holders.append({"pid": pid, "project": rec.get("project", ""),
                        "build": rec.get("build", ""), "cpus": cpus, "jobs": jobs,
                        "since": since})
    waiting = []
    for pid, rec in sorted(recs.items()):
        w = rec.get("waiting")
        if isinstance(w, dict):
            waiting.append({"pid": pid, "project": rec.get("project", ""),
                            "build": rec.get("build", ""), "method": w.get("method", ""),
                            "cpus": w.get("cpus"), "since": w.get("since")})
    holders.sort(key=lambda h: h["since"] or 0)
    waiting.sort(key=lambda w: w["since"] or 0)
    return holders, waiting


def jobs_text(jobs: Iterable[dict]) -> str:
    """'dev-3 (span), dev-4 (wide)'."""
    return ", ".join(f"{j.get('job') or '?'} ({j.get('method', '')})" for j in jobs)


def whose(entry: dict) -> str:
    """'build.py of /a/accelerator.conf, pid 12' -- what a holder or waiter is."""
    build = entry.get("build") or "a build"
    project = entry.get("project")
    return f"{build}{' of ' + project if project else ''}, pid {entry['pid']}"


def clock(ts: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts)) if ts else "?"


def wait_text(holders: list[dict], waiting: list[dict], project: str) -> str:
    """The lines after "'NAME' waits for CPUs other builds ... are using": who holds
    them, who else waits, and how this project gets a budget of its own."""
    lines = []
    for h in holders:
        holds = plural(h["cpus"], "CPU")
        lines.append(f"  {whose(h)}: runs {jobs_text(h['jobs'])} since {clock(h['since'])} "
                     f"(holds {holds})" if h["jobs"] else
                     f"  {whose(h)}: holds {holds}, no job started with them yet")
    for w in waiting:
        lines.append(f"  {whose(w)}: waits too, for {plural(w['cpus'] or 1, 'CPU')} for "
                     f"{w['method']!r} since {clock(w['since'])}")
    if not lines:
        lines.append("  (nobody holds them now: the holders have just let go, or are moving "
                     "from a deleted slots file)")
    elif any(e["project"] != project for e in (*holders, *waiting)):
        lines.append("  (`ax status` shows them; `cpu slots: PATH` in accelerator.conf "
                     "gives a project a budget of its own)")
    return ":\n" + "\n".join(lines)
