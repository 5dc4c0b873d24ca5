"""Every `ax run` the workdirs remember, one Run each, from the records of latest_runs.py.

A run that used jobs of several workdirs has a record file in each (the same name): they
are merged into one Run. A record that is complete never changes, and one being written
only grows, so `RunHistory` reads a file again only when its size or mtime changed: a
viewer asking every second reads the files of the run going on, not the history.
Nothing here writes.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from accel.flocks import flock_held
from accel.store.latest_runs import COMPLETE, Record, read_record, record_files

NEW, REUSED, FAILED = "new", "reused", "failed"
# how a run ended: main() returned; it goes on now; main() raised (or Ctrl-C); it was
# killed (no end was written, and nobody holds its record)
COMPLETED, RUNNING, FAILED_RUN, STOPPED = "complete", "running", "failed", "stopped"
JOBS_KEPT = 4  # runs whose job lists RunHistory keeps in memory (a run may have 100,000)


@dataclass
class Run:
    run: str  # its id: '<start ns>-<pid>', the name of its record files
    script: str  # the build script's path
    name: str  # the script as a person names it (relative to the project)
    started: float
    ended: float | None
    state: str  # COMPLETED, RUNNING, FAILED_RUN or STOPPED
    error: str | None
    pid: int | None = None
    host: str = ""
    paths: tuple[Path, ...] = ()  # its record files
    counts: dict[str, int] = field(default_factory=dict)  # NEW, REUSED, FAILED -> jobs
    _jobs: dict[str, str] | None = field(default=None, repr=False)

    @property
    def jobs(self) -> dict[str, str]:
        """Job id -> NEW, REUSED or FAILED, in the order the run noted them."""
        if self._jobs is None:  # let go of (RunHistory): read again
            self._jobs = jobs_of([read_record(p) for p in self.paths])
        return self._jobs

    def count(self, how: str) -> int:
        return self.counts.get(how, 0)

    @property
    def duration(self) -> float | None:
        end = self.ended if self.ended is not None else \
            time.time() if self.state == RUNNING else None
        return None if end is None else max(end - self.started, 0.0)

    def summary(self) -> dict:
        """What the board's JSON gives of a run (without its jobs)."""
        return {"run": self.run, "script": self.script, "name": self.name,
                "starttime": self.started, "endtime": self.ended, "runtime": self.duration,
                "state": self.state, "error": self.error, "jobs": sum(self.counts.values()),
                "new": self.count(NEW), "reused": self.count(REUSED),
                "failed": self.count(FAILED)}


def jobs_of(records: list[Record]) -> dict[str, str]:
    """The jobs of one run from its record files: job id -> NEW, REUSED or FAILED."""
    jobs: dict[str, str] = {}
    for rec in records:
        for jobid in rec.jobs:
            jobs[jobid] = NEW if jobid in rec.new else REUSED
        for jobid in rec.failed:
            jobs.setdefault(jobid, FAILED)
    return jobs


class RunHistory:
    """The runs of a project's workdirs, newest first. A run that has ended is read once
    (its files are read again only when they change); the job lists of JOBS_KEPT runs stay
    in memory (the newest, and those asked for last), the others are read when asked."""

    def __init__(self, workdirs: dict[str, Path], project_dir: Path):
        self.workdirs = {name: Path(p) for name, p in workdirs.items()}
        self.project = os.path.realpath(project_dir)
        self._parsed: dict[Path, tuple[int, int, Record]] = {}  # files of runs going on
        self._merged: dict[str, tuple[tuple, Run]] = {}  # run id -> (its files, the Run)
        self._asked: list[str] = []  # the runs found last, newest first
        self._lock = threading.Lock()

    def runs(self) -> list[Run]:
        with self._lock:
            return self._runs()

    def find(self, run_id: str) -> Run | None:
        with self._lock:
            self._asked = [run_id] + [r for r in self._asked if r != run_id][:JOBS_KEPT - 1]
            found = self._runs()
        return next((r for r in found if r.run == run_id), None)

    def _runs(self) -> list[Run]:
        files: dict[str, list[tuple[Path, int, int]]] = {}
        for workdir in self.workdirs.values():
            for _folder, found in record_files(workdir):
                for _stamp, path in found:
                    try:
                        st = os.stat(path)
                    except OSError:  # renamed (.run to .done) or gone since listed
                        continue
                    files.setdefault(path.name.rsplit(".", 1)[0], []).append(
                        (path, st.st_size, st.st_mtime_ns))
        runs = []
        for stem, parts in files.items():
            known = self._merged.get(stem)
            key = tuple(parts)
            if known is None or known[0] != key or known[1].state == RUNNING:
                known = (key, self._merge(stem, parts))  # (one that ended stays as it is)
                self._merged[stem] = known
            runs.append(known[1])
        for stem in set(self._merged) - set(files):
            del self._merged[stem]
        live = {path for parts in files.values() for path, _, _ in parts}
        for path in set(self._parsed) - live:
            del self._parsed[path]
        runs.sort(key=lambda r: (r.started, r.run), reverse=True)
        for r in runs[JOBS_KEPT:]:
            if r.state != RUNNING and r.run not in self._asked:
                r._jobs = None
        return runs

    def _read(self, path: Path, size: int, mtime: int) -> Record:
        if path.suffix == COMPLETE:  # read once: it does not change
            return read_record(path)
        known = self._parsed.get(path)
        if known is None or known[:2] != (size, mtime):
            known = (size, mtime, read_record(path))
            self._parsed[path] = known
        return known[2]

    def _merge(self, stem: str, parts: list[tuple[Path, int, int]]) -> Run:
        records = [self._read(*part) for part in parts]
        header = next((rec.header for rec in records if rec.header), {})
        end = next((rec.end for rec in records if rec.end), None)
        if any(path.suffix == COMPLETE for path, _, _ in parts):
            state = COMPLETED
        elif any(flock_held(path) for path, _, _ in parts):
            state = RUNNING
        else:
            state = FAILED_RUN if end is not None else STOPPED
        jobs = jobs_of(records)
        counts: dict[str, int] = {}
        for how in jobs.values():
            counts[how] = counts.get(how, 0) + 1
        started = header.get("started")
        if not isinstance(started, (int, float)):
            head = stem.split("-", 1)[0]
            started = int(head) / 1e9 if head.isdigit() else 0.0
        ended = end.get("ended") if end else None
        if not isinstance(ended, (int, float)):  # killed: when its record last grew
            ended = max(m for _, _, m in parts) / 1e9 if state == STOPPED else None
        script = str(header.get("script") or "?")
        name = header.get("name") if header.get("project") == self.project else script
        pid = header.get("pid")
        return Run(run=stem, script=script, name=str(name or script), started=float(started),
                   ended=ended, state=state, error=(end or {}).get("error"),
                   pid=pid if isinstance(pid, int) else None, host=str(header.get("host") or ""),
                   paths=tuple(path for path, _, _ in parts), counts=counts, _jobs=jobs)


def latest_of_each_script(runs: list[Run]) -> list[Run]:
    """The newest run of each build script (runs newest first, as RunHistory gives them)."""
    seen: set[str] = set()
    latest = []
    for r in runs:
        if r.script not in seen:
            seen.add(r.script)
            latest.append(r)
    return latest
