"""min/max of a column, kept while writing so reading them costs nothing.

Kept for the ordered types (numbers, bool, dates and times) in their stored form; NaN
and None are left out (a column of only NaN has no min/max).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from accel.dataset.chunk import Chunk

_NUMPY = frozenset(("int32", "int64", "float32", "float64", "bool", "date", "time", "datetime"))


def chunk_minmax(chunk: Chunk) -> tuple[Any, Any] | None:
    """(min, max) of a chunk's values in stored form, or None when it has none."""
    name = chunk.ctype.name
    if not chunk.n or not chunk.ctype.ordered:
        return None
    if name in _NUMPY:
        v = chunk.values if chunk.valid is None else chunk.values[chunk.valid]
        if not v.size:
            return None
        if name.startswith("float"):  # fmin/fmax pass NaN by without copying the rest
            lo, hi = np.fmin.reduce(v), np.fmax.reduce(v)
            return None if np.isnan(lo) else (lo.item(), hi.item())
        return v.min().item(), v.max().item()
    from accel.dataset.decode import to_list

    vals = [v for v in to_list(chunk) if v is not None and not (isinstance(v, float)
                                                                and math.isnan(v))]
    return (min(vals), max(vals)) if vals else None


def merge_minmax(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]))
