"""Which slice a hashlabel value belongs to: the same answer in every process and machine.

Python's hash() of str and bytes is salted per process, so it cannot place rows. This
hashes the stored form instead: integers (and dates, times, bools) by their int64 value,
floats by their bits (an integral float like an int, so 1 and 1.0 meet), text and bytes
by the crc32 of their bytes (so the same text meets in ascii, unicode and bytes columns),
each through the splitmix64 finaliser, modulo the number of slices. None goes to slice 0.
Everything works on whole chunks with numpy, so writing and re-slicing stay vectorised.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from accel.dataset.chunk import Chunk
from accel.dataset.types import ColumnType

_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_INTLIKE = frozenset(("int32", "int64", "bool", "date", "time", "datetime"))
_BYTESLIKE = frozenset(("bytes", "ascii", "unicode", "json", "pickle"))
_I64_LO, _I64_HI = -(2.0**63), 2.0**63


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit moves every output bit (uint64 wraps)."""
    z = np.asarray(x, np.uint64)
    z = (z ^ (z >> np.uint64(30))) * _C1
    z = (z ^ (z >> np.uint64(27))) * _C2
    return z ^ (z >> np.uint64(31))


def _ints(a: np.ndarray) -> np.ndarray:
    return a.astype(np.int64).view(np.uint64)


def _floats(f: np.ndarray) -> np.ndarray:
    f = np.asarray(f, np.float64) + 0.0  # -0.0 -> 0.0
    with np.errstate(invalid="ignore"):
        integral = (np.floor(f) == f) & (f >= _I64_LO) & (f < _I64_HI)
    out = f.view(np.uint64).copy()
    out[np.isnan(f)] = np.uint64(0x7FF8000000000000)
    if integral.any():
        out[integral] = f[integral].astype(np.int64).view(np.uint64)
    return out


def _number_keys(chunk: Chunk) -> np.ndarray:
    from accel.dataset.decode import to_list

    values = to_list(chunk)
    out = np.zeros(chunk.n, np.uint64)
    for i, v in enumerate(values):
        if v is None:
            continue
        if isinstance(v, float):
            out[i] = _floats(np.array([v]))[0]
        elif -(2**63) <= v < 2**63:
            out[i] = np.array([v], np.int64).view(np.uint64)[0]
        else:
            out[i] = zlib.crc32(str(v).encode())
    return out


def keys(chunk: Chunk) -> np.ndarray:
    """One uint64 per row, equal for values that should meet in one slice."""
    name = chunk.ctype.name
    if name in _INTLIKE:
        return _ints(chunk.values)
    if name in ("float32", "float64"):
        return _floats(chunk.values)
    if name.startswith("complex"):
        c = chunk.values
        real, imag = _floats(c.real), _floats(c.imag)
        return np.where(c.imag == 0, real, real ^ mix(imag))
    if name in _BYTESLIKE:
        return np.fromiter(map(zlib.crc32, chunk.items()), np.uint64, chunk.n)
    return _number_keys(chunk)


def slices_of(chunk: Chunk, slices: int) -> np.ndarray:
    """The slice number of each row of `chunk` (an int64 array)."""
    if not chunk.n:
        return np.zeros(0, np.int64)
    out = (mix(keys(chunk)) % np.uint64(slices)).astype(np.int64)
    if chunk.valid is not None:
        out[~chunk.valid] = 0
    return out


def slice_of(ctype: ColumnType, value: Any, slices: int) -> int:
    """The slice one value belongs to (as get_split_write would place it)."""
    from accel.dataset.encode import encode

    return int(slices_of(encode(ctype, True, [value]), slices)[0])


def slices_for(col: Any, coltype: str, slices: int) -> np.ndarray:
    """The slice of each value of a whole column (NumPy array, pyarrow array or list) of
    type `coltype`: where get_split_write would put those rows."""
    from accel.dataset.bulk import encode_column
    from accel.dataset.types import column_type

    return slices_of(encode_column(column_type(coltype), True, col), slices)
