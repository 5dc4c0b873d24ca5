"""Rows a piece at a time for Dataset.iterate: a dataset's pieces lined up with its
parents', the translators applied to them, and the pieces made rows and filtered."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from operator import itemgetter
from typing import Any

from accel.dataset.chunk import Chunk
from accel.dataset.types import DatasetDamaged, DatasetUsageError


def aligned(streams: list[Iterator[list[Chunk]]], step: int) -> Iterator[list[list[Chunk]]]:
    """Streams of chunk lists (one stream per dataset of a parent chain, each cut into row
    groups of its own) as pieces of at most `step` rows that line up across streams."""
    current: list[list[Chunk]] = [[] for _ in streams]
    pos = [0] * len(streams)
    while True:
        ended = []
        for i, stream in enumerate(streams):
            while not current[i] or pos[i] >= current[i][0].n:
                got = next(stream, None)
                if got is None:
                    ended.append(i)
                    break
                current[i], pos[i] = got, 0
        if ended:
            if len(ended) != len(streams):
                raise DatasetDamaged("a dataset and its parent hold different numbers of rows "
                                     "in a slice (damaged?)")
            return
        m = min(step, *(c[0].n - p for c, p in zip(current, pos, strict=True)))
        yield [[ch.slice(p, p + m) for ch in c] for c, p in zip(current, pos, strict=True)]
        pos = [p + m for p in pos]


def translator_map(translators: Any, want: list[str]) -> dict[int, Any]:
    if not translators:
        return {}
    if not isinstance(translators, dict):
        raise DatasetUsageError("translators must be a dict of column -> callable or dict")
    out = {}
    for col, t in translators.items():
        if col not in want:
            continue
        if isinstance(t, dict):
            out[want.index(col)] = (lambda d: lambda v: d.get(v, v))(t)
        elif callable(t):
            out[want.index(col)] = t
        else:
            raise DatasetUsageError(f"translator for {col!r} must be a callable or a dict")
    return out


def rows(pieces: Iterable[list[Iterable]], names: list[str], want: list[str], single: bool,
         translators: Any, filters: Any) -> Iterator:
    """The rows of `pieces` (one iterable per column of `want`: `names`, then the columns
    only `filters` reads), translated and filtered, as iterate yields them: values when
    `single`, else tuples of the `names` columns."""
    translate = translator_map(translators, want)
    if translate:
        pieces = ([map(translate[i], it) if i in translate else it
                   for i, it in enumerate(p)] for p in pieces)
    out: Iterator[Any]
    if len(want) == 1 and single:
        out = chain.from_iterable(p[0] for p in pieces)
    else:
        out = chain.from_iterable(zip(*p, strict=True) for p in pieces)
    if filters is None:
        return out
    if callable(filters) and not isinstance(filters, dict):
        return filter(filters, out)
    if not isinstance(filters, dict):
        raise DatasetUsageError(f"filters must be a callable or a dict of column -> "
                                f"callable, not {type(filters).__name__}")
    checks = [(want.index(c), f) for c, f in filters.items()]
    if single and len(want) == 1:
        return filter(lambda v: all(f(v) for _, f in checks), out)
    kept = filter(lambda r: all(f(r[i]) for i, f in checks), out)
    if len(want) == len(names):
        return kept
    if single:
        return map(itemgetter(0), kept)
    n = len(names)
    return map(lambda r: r[:n], kept)
