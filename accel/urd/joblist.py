"""JobList: the jobs a build run built or reused, in order."""

from __future__ import annotations

from accel.job import Job, NamedJobList


class JobList(NamedJobList):
    """`urd.joblist`: NamedJobList plus whether each job was new or reused; `.pretty`."""

    def __init__(self, pairs=()):
        super().__init__(pairs)
        self._reused = [False] * len(self)

    def add(self, job: Job, reused: bool, name: str) -> None:
        """`name`: the method, or the name= it was built under."""
        self.append_named(name, job)
        self._reused.append(reused)

    def name_of(self, i: int) -> str:
        return self.names[i]

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
        rows = [(str(j), self.names[i], "reused" if self._reused[i] else "new")
                for i, j in enumerate(self)]
        w0 = max(3, *(len(r[0]) for r in rows))
        w1 = max(6, *(len(r[1]) for r in rows))
        lines = [f"{'job':<{w0}}  {'method':<{w1}}  status"]
        lines += [f"{a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows]
        return "\n".join(lines)
