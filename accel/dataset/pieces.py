"""Rows a piece at a time for Dataset.iterate: a dataset's pieces lined up with its
parents', and the translators applied to them."""

from __future__ import annotations

from collections.abc import Iterator
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
