"""Which jobs each build script's latest `ax run` used, so that `ax gc` keeps them.

An `ax run` notes every job it builds or reuses as it goes, in the workdir the job is in:
`<workdir>/.accel/runs/<script key>/<start>-<pid>.run`, a header line and then one job id
a line, appended (so a run that is killed still counts), flocked while the run lives (so
gc can tell a run going on from one that stopped). When the script's main() returns the
run is complete: its file is renamed to `.done` in every workdir of the project (an
empty one where it used nothing; a rename is one atomic step) and the files of the
script's earlier runs go. A script's record is so its latest complete run, and the runs
since that did not complete (stopped, crashed, or running now) -- a run that stopped
half-way does not let go of what the complete run before it made.

The key is the script's path relative to the workdir: another script, or another
project's build.py sharing the workdir, has its own record. Nothing here prints.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from accel import layout
from accel.flocks import flock_held
from accel.store.locks import hold_fd, unhold_fd
from accel.store.workdir import META

RUNS = "runs"
RUNNING, COMPLETE = ".run", ".done"


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
                       "pid": os.getpid(), "started": time.time()}
        self.stem = f"{time.time_ns()}-{os.getpid()}"
        self.problem: str | None = None  # the first record that could not be written
        self._fds: dict[str, int] = {}
        self._seen: set[str] = set()

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

    def used(self, jobid: str) -> None:
        """The run built or reused `jobid` (one write of a whole line: a kill never
        leaves half a job id that reads as another job)."""
        parts = layout.split_jobid(jobid)
        if jobid in self._seen or not parts or parts[0] not in self.workdirs:
            return
        self._seen.add(jobid)
        self._write(parts[0], f"{jobid}\n")

    def _write(self, name: str, text: str) -> None:
        from accel.disk import describe, read_only

        try:
            os.write(self._fd(name), text.encode())
        except OSError as e:  # a read-only workdir: nothing can delete its jobs either
            if self.problem is None and not read_only(self.workdirs[name]):
                self.problem = describe(e, self.workdirs[name])

    def complete(self) -> None:
        """main() returned: this run is now the script's record, in every workdir."""
        for name in self.workdirs:
            self._write(name, "")
            self.close(name)
            run = self._file(name)
            mine = _stamp(run.name) or 0
            try:
                os.rename(run, run.with_suffix(COMPLETE))
                for old in run.parent.iterdir():  # left, they would only be outdated
                    stamp = _stamp(old.name)
                    if stamp is not None and stamp < mine:
                        old.unlink(missing_ok=True)
            except OSError:  # (the problem, if any, was noted when writing)
                continue

    def close(self, name: str | None = None) -> None:
        for key in [name] if name is not None else list(self._fds):
            fd = self._fds.pop(key, None)
            if fd is not None:
                unhold_fd(fd)
                os.close(fd)


def _read(path: Path) -> tuple[dict, list[str]]:
    """(header, job ids) of one record file; only whole lines count."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}, []
    lines = text.split("\n")[:-1]
    try:
        header = json.loads(lines[0]) if lines else {}
    except ValueError:
        header = {}
    return (header if isinstance(header, dict) else {}), \
        [x for x in lines[1:] if layout.split_jobid(x)]


def kept_by_latest_runs(workdirs: dict[str, Path],
                        project_dir: Path) -> tuple[dict[str, str], list[tuple[str, Path]]]:
    """(job id -> why it is kept, [(script, record folder)] of scripts that no longer
    exist: their records keep nothing)."""
    kept: dict[str, str] = {}
    gone: list[tuple[str, Path]] = []
    project = os.path.realpath(project_dir)
    for path in workdirs.values():
        try:
            folders = sorted((Path(path) / META / RUNS).iterdir())
        except OSError:
            continue
        for folder in folders:
            files = sorted((s, f) for f in _listing(folder) if (s := _stamp(f.name)) is not None)
            if not files:
                continue
            done = max((s for s, f in files if f.suffix == COMPLETE), default=-1)
            runs = [f for s, f in files if s > done]
            complete = [f for s, f in files if s == done and f.suffix == COMPLETE]
            header = _read(files[-1][1])[0]
            script = str(header.get("script") or "?")
            if not (os.path.exists(script) or os.path.exists(os.path.join(
                    os.path.realpath(path), str(header.get("from_workdir") or "")))):
                gone.append((script, folder))
                continue
            name = header.get("name") if header.get("project") == project else script
            for f in runs:
                how = "running now" if flock_held(f) else "stopped before the end"
                for jobid in _read(f)[1]:
                    kept.setdefault(jobid, f"latest run of {name} ({how})")
            why = "last completed run" if runs else "latest run"
            for f in complete:
                for jobid in _read(f)[1]:
                    kept.setdefault(jobid, f"{why} of {name}")
    return kept, gone


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def forget(folders: list[Path]) -> None:
    """Drop the records of scripts that are gone."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
