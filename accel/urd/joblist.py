"""JobList: the jobs a build run built or reused, in order."""

from __future__ import annotations

from accel.job import Job


class JobList(list):
    """A list of Job. `.get(method)` is the latest of a method; `.pretty` a table."""

    def __init__(self, items=()):
        super().__init__(items)
        self.reused: dict[str, bool] = {}

    def add(self, job: Job, reused: bool) -> None:
        self.append(job)
        self.reused[str(job)] = reused

    def get(self, method: str, default: Job | None = None) -> Job | None:
        for job in reversed(self):
            if job.method == method:
                return job
        return default

    def find(self, method: str) -> JobList:
        return JobList(j for j in self if j.method == method)

    @property
    def new(self) -> list[Job]:
        return [j for j in self if not self.reused.get(str(j))]

    @property
    def pretty(self) -> str:
        if not self:
            return "no jobs"
        rows = [(str(j), j.method, "reused" if self.reused.get(str(j)) else "new") for j in self]
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        lines = [f"{'job':<{w0}}  {'method':<{w1}}  "]
        lines[0] += "status"
        lines += [f"{a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows]
        return "\n".join(lines)
