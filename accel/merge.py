"""analysis_res: the slices' return values in slice order, and merge_auto()."""

from __future__ import annotations

from collections import Counter, OrderedDict, defaultdict
from numbers import Number
from typing import Any


class AnalysisResults(list):
    """Iterates the analysis return values in slice order."""

    def merge_auto(self) -> Any:
        """Merge all slices: numbers summed at any depth, lists concatenated, sets united,
        tuples merged element by element, dicts and Counters merged key by key."""
        it = iter(self)
        try:
            merged = next(it)
        except StopIteration:
            return None
        for value in it:
            merged = merge(merged, value)
        return merged


def merge(a: Any, b: Any, path: str = "result") -> Any:
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, Counter) and isinstance(b, Counter):
        out = Counter(a)
        for k, v in b.items():
            out[k] = merge(out[k], v, f"{path}[{k!r}]") if k in out else v
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        if isinstance(a, defaultdict):
            out: dict = defaultdict(a.default_factory)
            out.update(a)
        elif isinstance(a, OrderedDict):
            out = OrderedDict(a)
        else:
            out = type(a)(a) if type(a) is not dict else dict(a)
        for k, v in b.items():
            out[k] = merge(out[k], v, f"{path}[{k!r}]") if k in out else v
        return out
    if isinstance(a, (set, frozenset)) and isinstance(b, (set, frozenset)):
        return a | b
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) != len(b):
            raise ValueError(f"merge_auto: {path}: tuples of different length ({len(a)} and {len(b)})")
        return tuple(merge(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b, strict=True)))
    if isinstance(a, Number) and isinstance(b, Number) and not isinstance(a, bool):
        return a + b
    raise TypeError(f"merge_auto: {path}: don't know how to merge {type(a).__name__} with {type(b).__name__}")
