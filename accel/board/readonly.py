"""A Store that only reads: the board never writes into the workdirs.

The commands that build tidy up as they read: an index without its READY mark is
rebuilt, a dead builder's running-file is removed, `.accel/` folders are made on first
look. A viewer that runs for days beside builds must not race them doing that, so these
subclasses keep the reading and leave the tidying to the builders.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from accel.store import Store
from accel.store.index import FORMAT, Index
from accel.store.running import Running, _alive


class PeekIndex(Index):
    """An index that is read as it is, never rebuilt; when it is not marked complete,
    a method's jobs are found by reading the job directories instead."""

    def ensure_ready(self) -> None:
        self._ready = True

    def invalidate(self) -> None:
        pass

    def _complete(self) -> bool:
        try:
            return (self.root / "READY").read_bytes() == FORMAT
        except OSError:
            return False

    def jobs_of(self, method: str) -> list[str]:
        if self._complete():
            return super().jobs_of(method)
        return [jobid for jobid, _identity, m in self.finished_jobs() if m == method]


class PeekRunning(Running):
    """The running-jobs registry, read without making its folder or removing stale files."""

    @property
    def dir(self) -> Path:
        return self.workdir.meta / "running"

    def _builder_files(self) -> list[tuple[Path, int, str]]:
        try:
            names = os.listdir(self.dir)
        except OSError:
            return []
        found = []
        for name in names:
            pid, at, host = name.partition("@")
            if at and pid.isdigit() and _alive(self.dir / name, int(pid), host):
                found.append((self.dir / name, int(pid), host))
        return found


def readonly_store(workdirs: Mapping[str, Path], target: str) -> Store:
    """The project's Store with indexes and running registries that only read."""
    store = Store(dict(workdirs), target)
    store.indexes = {name: PeekIndex(wd) for name, wd in store.workdirs.items()}
    store.running = {name: PeekRunning(wd) for name, wd in store.workdirs.items()}
    return store
