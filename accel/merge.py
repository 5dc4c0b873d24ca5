"""analysis_res: the slices' return values in slice order, and merge_auto()."""

from __future__ import annotations

from collections import Counter, OrderedDict, defaultdict
from numbers import Number
from typing import Any


class AnalysisResults(list):
    """Iterates the analysis return values in slice order."""

    def merge_auto(self, allow_overwrite: bool | None = None) -> Any:
        """Merge all slices: numbers summed at any depth, lists concatenated, sets united,
        tuples merged element by element, dicts and Counters merged key by key.

        `allow_overwrite` (the Accelerator's) is about a key two slices both have whose
        values are not dicts or sets to merge further: True lets the later slice's value
        win (a Counter still adds its counts), False raises ValueError naming the key
        (also for a set element or Counter key two slices share). None, the default,
        merges those values too (numbers summed, lists concatenated)."""
        if allow_overwrite is not None and not isinstance(allow_overwrite, bool):
            raise TypeError(f"merge_auto: allow_overwrite must be True, False or None, "
                            f"not {allow_overwrite!r}")
        it = iter(self)
        try:
            merged = next(it)
        except StopIteration:
            return None
        for sliceno, value in enumerate(it, 1):
            merged = merge(merged, value, "result", allow_overwrite, sliceno)
        return merged


def merge(a: Any, b: Any, path: str = "result", overwrite: bool | None = None,
          sliceno: int | None = None) -> Any:
    """`b` merged into `a` (neither changed). `overwrite`: as merge_auto's allow_overwrite;
    `sliceno`: the slice `b` is from, for the error message."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, Counter) and isinstance(b, Counter):
        if overwrite is False:
            _no_duplicates(a, b, path, sliceno)
        counts = Counter(a)
        for k, v in b.items():
            counts[k] = merge(counts[k], v, f"{path}[{k!r}]") if k in counts else v
        return counts
    if isinstance(a, dict) and isinstance(b, dict):
        if isinstance(a, defaultdict):
            out: dict = defaultdict(a.default_factory)
            out.update(a)
        elif isinstance(a, OrderedDict):
            out = OrderedDict(a)
        else:
            out = type(a)(a) if type(a) is not dict else dict(a)
        for k, v in b.items():
            if k not in out:
                out[k] = v
            elif overwrite is None or _deeper(out[k], v):
                out[k] = merge(out[k], v, f"{path}[{k!r}]", overwrite, sliceno)
            elif overwrite:
                out[k] = v
            else:
                raise _duplicate(k, path, sliceno)
        return out
    if isinstance(a, (set, frozenset)) and isinstance(b, (set, frozenset)):
        if overwrite is False:
            _no_duplicates(a, b, path, sliceno)
        return a | b
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) != len(b):
            raise ValueError(f"merge_auto: {path}: tuples of different length ({len(a)} and {len(b)})")
        return tuple(merge(x, y, f"{path}[{i}]", overwrite, sliceno)
                     for i, (x, y) in enumerate(zip(a, b, strict=True)))
    if isinstance(a, Number) and isinstance(b, Number) and not isinstance(a, bool):
        return a + b  # type: ignore[operator]  # the Number ABC declares no +; numbers have one
    raise TypeError(f"merge_auto: {path}: don't know how to merge {type(a).__name__} with {type(b).__name__}")


def _deeper(a: Any, b: Any) -> bool:
    """Are both containers merged key by key (or element by element), not leaf values?"""
    return (isinstance(a, dict) and isinstance(b, dict)) or \
        (isinstance(a, (set, frozenset)) and isinstance(b, (set, frozenset)))


def _no_duplicates(a: Any, b: Any, path: str, sliceno: int | None) -> None:
    for k in b:
        if k in a:
            raise _duplicate(k, path, sliceno)


def _duplicate(key: Any, path: str, sliceno: int | None) -> ValueError:
    where = f" (slice {sliceno})" if sliceno is not None else ""
    return ValueError(f"merge_auto: {path}: duplicate key {key!r}{where}, "
                      "and allow_overwrite=False")
