"""How a set of jobs went, per method and status: how many, their total and median
runtime, and the most memory one of them took -- as batch services report per function.
`ax jobs --summary` sums up the jobs a search found, `JobList.summary()` those of a
build; both through here, so they count and name things the same way."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

from accel.jobstatus import ALL, PENDING, REUSED
from accel.plaintext import fmt_duration, fmt_memory, table
from accel.words import plural

# statuses in the order a reader looks for them: what went well first
_ORDER = {s: i for i, s in enumerate((ALL[0], REUSED, *ALL[1:], PENDING))}

# one job: (method, status, runtime in seconds, peak memory in KiB); None when not known
Item = tuple[str | None, str, float | None, float | None]


class Summary(list[dict[str, Any]]):
    """One dict per (method, status): method, status, jobs, total_runtime,
    median_runtime (seconds; None when no job of them says) and maxrss_kb (the most
    memory one of them took, in KiB)."""

    @property
    def pretty(self) -> str:
        """The rows as a table, and a line with the total."""
        if not self:
            return "no jobs"
        rows = [(r["method"] or "?", r["status"], r["jobs"], fmt_duration(r["total_runtime"]),
                 fmt_duration(r["median_runtime"]), fmt_memory(r["maxrss_kb"])) for r in self]
        jobs = sum(r["jobs"] for r in self)
        total = sum(r["total_runtime"] or 0.0 for r in self)
        return (table(rows, ("method", "status", "jobs", "runtime", "median", "peak memory"))
                + f"\n{plural(jobs, 'job')}, {fmt_duration(total)} of runtime in all")


def summarize(items: Iterable[Item]) -> Summary:
    """The Summary of `items`, sorted by method, then status (finished first)."""
    groups: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        groups.setdefault((item[0] or "", item[1]), []).append(item)
    out = Summary()
    for (method, status), group in sorted(groups.items(),
                                          key=lambda g: (g[0][0], _ORDER.get(g[0][1], 99))):
        runtimes = [r for _, _, r, _ in group if r is not None]
        memory = [m for _, _, _, m in group if m is not None]
        out.append({"method": method or None, "status": status, "jobs": len(group),
                    "total_runtime": sum(runtimes) if runtimes else None,
                    "median_runtime": statistics.median(runtimes) if runtimes else None,
                    "maxrss_kb": max(memory) if memory else None})
    return out
