"""Which jobs each build script's `ax run`s used: `ax gc` keeps the latest run's, the
board shows every run kept (accel.store.runhistory).

An `ax run` notes every job it builds or reuses as it goes, in the workdir the job is in:
`<workdir>/.accel/runs/<script key>/<start>-<pid>.run`, a header line and then one job id
a line, appended (so a run that is killed still counts), flocked while the run lives (so
gc can tell a run going on from one that stopped). Lines that are no bare job id are read
by the board only: `new JOBID` after the id of a job the run built (the others it
reused), `failed JOBID` for a job of the run that did not finish (gc keeps those no
longer than it did), and a last JSON line `{"ended": ..., "error": ...}` when the run
ended. When the script's main() returns the run is complete: its file is renamed to
`.done` in every workdir of the project (an empty one where it used nothing; a rename is
one atomic step). A script's record for gc is so the run that completed last (its file
changed last: its end line), the runs that started since and did not complete (stopped
or crashed) -- a run that stopped half-way does not let go of what the complete run
before it made -- and every run going on now (its record flocked), whenever it started:
a run that started first and still goes keeps its jobs when another run of the script
completes meanwhile. Older runs stay, as history, up to RUNS_KEPT of them a script (but
never the record of a run going on); they keep no jobs.

The key is the script's path relative to the workdir: another script, or another
project's build.py sharing the workdir, has its own record. Nothing here prints.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from accel import layout
from accel.flocks import flock_held
from accel.store.locks import hold_fd, unhold_fd
from accel.store.workdir import META

RUNS = "runs"
RUNNING, COMPLETE = ".run", ".done"
NEW, FAILED = "new", "failed"  # the words of the lines the board reads
RUNS_KEPT = 100  # records of one script's runs kept in a workdir (the newest)


def _key(script: str, workdir: Path) -> str:
    rel = os.path.relpath(script, os.path.realpath(workdir))
    return hashlib.sha256(rel.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _stamp(filename: str) -> int | None:
    """The start time (ns) in a record's file name, None for what is no record."""
    head, _, _ = filename.partition("-")
    return int(head) if head.isdigit() and filename.endswith((RUNNING, COMPLETE)) else None


class RunLog:
    """The record of one `ax run` of one build script, written as it goes."""

    def __init__(self, workdirs: dict[str, Path], script: Path, project_dir: Path):
        self.workdirs = {name: Path(path) for name, path in workdirs.items()}
        self.script = os.path.realpath(script)
        project = os.path.realpath(project_dir)
        name = os.path.relpath(self.script, project)
        self.header = {"script": self.script, "project": project,
                       "name": self.script if name.startswith("..") else name,
                       "pid": os.getpid(), "host": socket.gethostname(),
                       "started": time.time()}
        self.stem = f"{time.time_ns()}-{os.getpid()}"
        self.problem: str | None = None  # the first record that could not be written
        self._fds: dict[str, int] = {}
        self._seen: set[str] = set()
        self._ended = False

    def _file(self, name: str) -> Path:
        return self.workdirs[name] / META / RUNS / _key(self.script, self.workdirs[name]) \
            / f"{self.stem}{RUNNING}"

    def _fd(self, name: str) -> int:
        fd = self._fds.get(name)
        if fd is None:
            path = self._file(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
            self._fds[name] = fd
            fcntl.flock(fd, fcntl.LOCK_EX)  # the kernel lets go when the run dies
            hold_fd(fd)  # and a forked job does not keep it
            header = dict(self.header, from_workdir=os.path.relpath(
                self.script, os.path.realpath(self.workdirs[name])))
            os.write(fd, (json.dumps(header) + "\n").encode())
        return fd

    def begin(self) -> None:
        """The run starts: its record is there (and held) before its first job ends, so
        a viewer sees it going on."""
        for name in self.workdirs:
            self._write(name, "")

    def used(self, jobid: str, new: bool = False) -> None:
        """The run built (`new`) or reused `jobid` (one write of whole lines: a kill
        never leaves half a job id that reads as another job)."""
        parts = layout.split_jobid(jobid)
        if jobid in self._seen or not parts or parts[0] not in self.workdirs:
            return
        self._seen.add(jobid)
        self._write(parts[0], f"{jobid}\n" + (f"{NEW} {jobid}\n" if new else ""))

    def failed(self, jobid: str) -> None:
        """A job of the run did not finish: shown with the run, kept by nothing."""
        parts = layout.split_jobid(jobid)
        if parts and parts[0] in self.workdirs:
            self._write(parts[0], f"{FAILED} {jobid}\n")

    def stopped(self, why: str) -> None:
        """main() did not return (its error, Ctrl-C): the run ends incomplete."""
        if not self._ended:
            self._end(why)

    def _end(self, error: str | None) -> None:
        self._ended = True
        line = json.dumps({"ended": time.time(), "error": error}) + "\n"
        for name in self.workdirs:
            self._write(name, line)

    def _write(self, name: str, text: str) -> None:
        from accel.disk import describe, read_only

        try:
            os.write(self._fd(name), text.encode())
        except OSError as e:  # a read-only workdir: nothing can delete its jobs either
            if self.problem is None and not read_only(self.workdirs[name]):
                self.problem = describe(e, self.workdirs[name])

    def complete(self) -> None:
        """main() returned: this run is now the script's record, in every workdir."""
        self._end(None)
        for name in self.workdirs:
            self.close(name)
            run = self._file(name)
            mine = _stamp(run.name) or 0
            try:
                os.rename(run, run.with_suffix(COMPLETE))
                older = sorted((s, f) for f in os.listdir(run.parent)
                               if (s := _stamp(f)) is not None and s < mine
                               and not _going(run.parent / f))
                for _, f in older[:max(len(older) - (RUNS_KEPT - 1), 0)]:
                    (run.parent / f).unlink(missing_ok=True)  # history past RUNS_KEPT
            except OSError:  # (the problem, if any, was noted when writing)
                continue

    def close(self, name: str | None = None) -> None:
        for key in [name] if name is not None else list(self._fds):
            fd = self._fds.pop(key, None)
            if fd is not None:
                unhold_fd(fd)
                os.close(fd)


@dataclass
class Record:
    """One record file as read: `jobs` (the bare job id lines) is what gc keeps."""

    header: dict = field(default_factory=dict)
    jobs: list[str] = field(default_factory=list)
    new: set[str] = field(default_factory=set)
    failed: list[str] = field(default_factory=list)
    end: dict | None = None  # {"ended": time, "error": text or None}, once it ended


def read_record(path: Path) -> Record:
    """One record file; only whole lines count, and a line that reads as nothing known
    is passed over."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Record()
    lines = text.split("\n")[:-1]
    rec = Record()
    for i, line in enumerate(lines):
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict) and i == 0:
                rec.header = value
            elif isinstance(value, dict) and "ended" in value:
                rec.end = value
        elif layout.split_jobid(line):
            rec.jobs.append(line)
        else:
            word, _, jobid = line.partition(" ")
            if layout.split_jobid(jobid):
                if word == NEW:
                    rec.new.add(jobid)
                elif word == FAILED:
                    rec.failed.append(jobid)
    return rec


def record_files(workdir: Path) -> list[tuple[Path, list[tuple[int, Path]]]]:
    """Each script's record folder in `workdir`, with its record files, oldest first."""
    try:
        folders = sorted((Path(workdir) / META / RUNS).iterdir())
    except OSError:
        return []
    found = []
    for folder in folders:
        files = sorted((s, f) for f in _listing(folder) if (s := _stamp(f.name)) is not None)
        if files:
            found.append((folder, files))
    return found


def kept_by_latest_runs(workdirs: dict[str, Path],
                        project_dir: Path) -> tuple[dict[str, str], list[tuple[str, Path]]]:
    """(job id -> why it is kept, [(script, record folder)] of scripts that no longer
    exist: their records keep nothing)."""
    kept: dict[str, str] = {}
    gone: list[tuple[str, Path]] = []
    project = os.path.realpath(project_dir)
    for path in workdirs.values():
        for folder, files in record_files(path):
            last, done = _last_completed(files)
            runs = [f for s, f in files if f.suffix == RUNNING and (s > done or flock_held(f))]
            complete = [last] if last is not None else []
            header = read_record(files[-1][1]).header
            script = str(header.get("script") or "?")
            if not script_exists(header, path):
                gone.append((script, folder))
                continue
            name = header.get("name") if header.get("project") == project else script
            for f in runs:
                how = "running now" if flock_held(f) else "stopped before the end"
                for jobid in read_record(f).jobs:
                    kept.setdefault(jobid, f"latest run of {name} ({how})")
            why = "last completed run" if runs else "latest run"
            for f in complete:
                for jobid in read_record(f).jobs:
                    kept.setdefault(jobid, f"{why} of {name}")
    return kept, gone


def _going(path: Path) -> bool:
    """Is `path` the record of a run going on now?"""
    return path.suffix == RUNNING and flock_held(path)


def _last_completed(files: list[tuple[int, Path]]) -> tuple[Path | None, int]:
    """(the record of the run that completed last, when it did in ns; -1 for none): the
    .done file written last (a run that started first may complete last)."""
    best: tuple[int, int, Path | None] = (-1, -1, None)
    for stamp, f in files:
        if f.suffix == COMPLETE:
            try:
                best = max(best, (f.stat().st_mtime_ns, stamp, f))
            except OSError:  # (removed meanwhile: history)
                continue
    return best[2], best[0]


def script_exists(header: dict, workdir: Path) -> bool:
    """Whether the build script a record names is still there."""
    return os.path.exists(str(header.get("script") or "?")) or os.path.exists(os.path.join(
        os.path.realpath(workdir), str(header.get("from_workdir") or "")))


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def forget(folders: list[Path]) -> None:
    """Drop the records of scripts that are gone."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
