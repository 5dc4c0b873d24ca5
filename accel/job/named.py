"""NamedJobList: the jobs of a build or urd list in order, each with the name it was built under."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accel.job.job import Job


class NamedJobList(list):
    """Jobs in build order, each with the name it was built under (its method, or the
    `name=` given to build). `.get(name)` is the latest of that name; `.get(-1)` (an int)
    is by position, as in the Accelerator."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        named = [(str(name), Job(job)) for name, job in pairs]
        super().__init__(job for _, job in named)
        self.names: list[str] = [name for name, _ in named]

    def append_named(self, name: str, job: Job) -> None:
        self.append(job if isinstance(job, Job) else Job(job))  # (a dry run's stay theirs)
        self.names.append(name)

    def get(self, name: str | int, default: Job | None = None) -> Job | None:
        if isinstance(name, int):
            try:
                return self[name]
            except IndexError:
                return default
        for i in range(len(self) - 1, -1, -1):
            if self.names[i] == name:
                return self[i]
        return default

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            job = self.get(key)
            if job is None:
                raise IndexError(f"no job named {key!r} here (names: {', '.join(self.names)})")
            return job
        return super().__getitem__(key)

    def find(self, name: str) -> list[Job]:
        return [job for n, job in zip(self.names, self, strict=True) if n == name]

    @property
    def jobs(self) -> list[str]:
        """Just the job ids, in order."""
        return [str(j) for j in self]

    @property
    def as_tuples(self) -> list[tuple[str, str]]:
        """(name, job id) pairs, in order."""
        return list(zip(self.names, self.jobs, strict=True))

