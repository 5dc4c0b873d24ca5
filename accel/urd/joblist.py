"""JobList: the jobs a build run built or reused, in order."""

from __future__ import annotations

from accel.job import Job


class JobList(list):
    """A list of Job. `.get(name)` is the latest job of that method (or name= given to
    build); `.pretty` is a table saying of each job whether it was new or reused."""

    def __init__(self, items=()):
        super().__init__(items)
        self._reused = [False] * len(self)
        self._names: list[str | None] = [None] * len(self)

    def add(self, job: Job, reused: bool, name: str | None = None) -> None:
        self.append(job)
        self._reused.append(reused)
        self._names.append(name)

    def name_of(self, i: int) -> str:
        return self._names[i] or self[i].method

    def get(self, name: str, default: Job | None = None) -> Job | None:
        for i in range(len(self) - 1, -1, -1):
            if self.name_of(i) == name or self[i].method == name:
                return self[i]
        return default

    def __getitem__(self, key):
        if isinstance(key, str):
            job = self.get(key)
            if job is None:
                raise IndexError(f"no job of {key!r} in this joblist")
            return job
        return super().__getitem__(key)

    def find(self, name: str) -> list[Job]:
        return [j for i, j in enumerate(self) if self.name_of(i) == name or j.method == name]

    def as_tuples(self) -> list[tuple[str, Job]]:
        return [(self.name_of(i), j) for i, j in enumerate(self)]

    @property
    def new(self) -> list[Job]:
        return [j for j, reused in zip(self, self._reused, strict=True) if not reused]

    @property
    def reused(self) -> list[Job]:
        return [j for j, reused in zip(self, self._reused, strict=True) if reused]

    @property
    def pretty(self) -> str:
        if not self:
            return "no jobs"
        rows = [(str(j), self.name_of(i), "reused" if self._reused[i] else "new")
                for i, j in enumerate(self)]
        w0 = max(3, *(len(r[0]) for r in rows))
        w1 = max(6, *(len(r[1]) for r in rows))
        lines = [f"{'job':<{w0}}  {'method':<{w1}}  status"]
        lines += [f"{a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows]
        return "\n".join(lines)
