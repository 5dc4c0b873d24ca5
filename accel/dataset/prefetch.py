"""fn over items on a few threads, results in order, at most a few ahead of the reader.

Decoding a Parquet row group releases the GIL, so a whole column of a compressed slice
decodes on every core while the caller copies each group into place; bounded, so a
caller that stops early or copies slowly never holds more than `workers` + 1 decoded
groups.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4  # decoding is memory-bound beyond a few cores


def cores() -> int:
    """The threads this process may decode on (at most MAX_WORKERS): the cores it may run
    on, outside a job (a build script, `ax cat`); inside a running job only its share of
    the CPU budget the builders keep: an analysis slice its part of the cores, the slices
    running at once, and prepare or synthesis (counted as one CPU) one."""
    from accel import g

    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    if g.running == "analysis":
        n //= max(g.slices, 1)
    elif g.running != "build":
        n = 1
    return max(1, min(n, MAX_WORKERS))


def in_order(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """fn(item) for each item, in the order of items; with workers > 1 computed on that
    many threads, at most workers + 1 results ahead of the caller. An exception from fn
    is raised where its result would have come."""
    if workers <= 1:
        yield from map(fn, items)
        return
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(workers) as pool:
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for f in pending:
                f.cancel()
