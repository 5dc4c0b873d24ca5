"""All configured workdirs together: look up by identity anywhere, create in the target."""

from __future__ import annotations

from pathlib import Path

from accel import layout
from accel.store.index import Index, reusable
from accel.store.locks import ByteLock, LockSet
from accel.store.running import Running
from accel.store.workdir import Workdir


class Store:
    """`readonly`: a Store that only reads (the board): indexes and running registries as
    they are, none of the tidying builders do as they read."""

    def __init__(self, workdirs: dict[str, Path], target: str, readonly: bool = False):
        self.workdirs = {name: Workdir(name, path) for name, path in workdirs.items()}
        self.indexes = {name: Index(wd, readonly) for name, wd in self.workdirs.items()}
        self.running = {name: Running(wd, readonly) for name, wd in self.workdirs.items()}
        self.target = target
        # the target workdir is searched first: a job there is the one most recently made
        self._order = [target] + [n for n in self.workdirs if n != target]

    def close(self) -> None:
        for registry in self.running.values():
            registry.close()

    def lookup(self, identity: str, method: str | None = None) -> str | None:
        """The newest finished job with this identity, the target workdir first
        (`method`: whose job it is, to find an entry deleted by hand)."""
        for name in self._order:
            jobid = self.indexes[name].lookup(identity, method)
            if jobid:
                return jobid
        return None

    def allocate(self, workdir: str | None = None) -> tuple[str, Path]:
        return self.workdirs[workdir or self.target].allocate()

    def publish(self, identity: str, jobid: str, method: str) -> None:
        """Make a finished job findable by identity and by method."""
        name = layout.jobid_parts(jobid)[0]
        self.indexes[name].add(identity, jobid, method)

    def jobs_of(self, method: str) -> list[str]:
        """Finished jobs of `method` in every workdir, oldest first (by end time across workdirs)."""
        found = []
        for index in self.indexes.values():
            found += index.jobs_of(method)
        if len(self.indexes) > 1:
            found.sort(key=_endtime)
        return found

    def latest_of(self, method: str) -> str | None:
        """The last of `jobs_of(method)`."""
        if len(self.indexes) == 1:
            return next(iter(self.indexes.values())).latest_of(method)
        jobs = self.jobs_of(method)  # across workdirs the order is by end time: all of them
        return next((j for j in reversed(jobs) if reusable(self._path(j)) is not None), None)

    def _path(self, jobid: str) -> Path:
        return self.workdirs[jobid.rsplit("-", 1)[0]].path / jobid

    def identity_lock(self, identity: str, workdir: str | None = None) -> ByteLock | LockSet:
        """Held while a job with this identity is looked up and built, so it runs once,
        whichever workdir it is built into.

        One byte of each workdir's lock file (accel/store/locks.py), taken together: a
        build into dev and one into other exclude each other. The kernel drops the bytes
        when the holder dies, so a killed builder blocks nobody.
        """
        offset = int(identity[:15], 16)
        names = sorted(self.workdirs) if workdir is None or workdir in self.workdirs \
            else [workdir]
        locks = [ByteLock(self.workdirs[name].meta_dir() / "locks", offset) for name in names]
        return locks[0] if len(locks) == 1 else LockSet(locks)


def _endtime(jobid: str) -> float:
    from accel.job import Job

    try:
        return float(Job(jobid).post.get("endtime", 0))
    except Exception:
        return 0.0
