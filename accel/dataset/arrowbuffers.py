"""NumPy arrays <-> Arrow arrays through their buffers, not through pyarrow's conversions.

`Array.to_numpy()`, `np.asarray(arr)`, `pa.array(ndarray)` and a Python value given to a
compute function (`pc.fill_null(x, False)`) import pandas the first time a process uses
them where pandas is installed: a third of a second, in every slice of a dataset job that
moves columns. Reading and making the buffers with numpy costs
microseconds and imports nothing. Arrow keeps bools and validity as bits, least
significant first; numpy as one byte each.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

# str(Arrow type) -> the numpy dtype of its values buffer
_DTYPES = {"int8": "i1", "int16": "<i2", "int32": "<i4", "int64": "<i8", "uint8": "u1",
           "uint16": "<u2", "uint32": "<u4", "uint64": "<u8", "halffloat": "<f2",
           "float": "<f4", "double": "<f8", "date32[day]": "<i4"}
# (numpy kind, itemsize) -> the Arrow type of such an array
_ARROW = {("i", 1): pa.int8(), ("i", 2): pa.int16(), ("i", 4): pa.int32(),
          ("i", 8): pa.int64(), ("u", 1): pa.uint8(), ("u", 2): pa.uint16(),
          ("u", 4): pa.uint32(), ("u", 8): pa.uint64(), ("f", 2): pa.float16(),
          ("f", 4): pa.float32(), ("f", 8): pa.float64()}


def bitmap_of(bools: np.ndarray | None) -> pa.Buffer | None:
    """numpy bools as an Arrow bitmap (None stays None: no nulls)."""
    if bools is None:
        return None
    return pa.py_buffer(np.packbits(bools, bitorder="little"))


def bits_of(buf: pa.Buffer | None, offset: int, n: int) -> np.ndarray | None:
    """Bits offset..offset+n of an Arrow bitmap as numpy bools (a new array)."""
    if buf is None:
        return None
    unpacked = np.unpackbits(np.frombuffer(buf, np.uint8), count=offset + n, bitorder="little")
    return unpacked[offset:].view(bool)


def buffer_values(buf: pa.Buffer, dtype: str, offset: int, n: int) -> np.ndarray:
    """Elements offset..offset+n of a values buffer, as numpy `dtype` (no copy)."""
    if not n:
        return np.zeros(0, dtype)
    return np.frombuffer(buf, dtype, n, offset * np.dtype(dtype).itemsize)


def validity(arr: Any) -> np.ndarray:
    """numpy bools: True where the array (or chunked array) has a value, False at nulls."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    valid = bits_of(arr.buffers()[0], arr.offset, len(arr)) if arr.null_count else None
    return np.ones(len(arr), bool) if valid is None else valid


def numpy_of(arr: Any, null: Any = 0) -> np.ndarray:
    """The values of a bool, int, float, date32, timestamp or time array (or chunked
    array) as numpy: bools, numbers, datetime64[D], datetime64[unit], and a time's count
    of its unit. Nulls read as `null` (0, or False). TypeError for another type."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t, n = arr.type, len(arr)
    valid = validity(arr) if arr.null_count else None
    if pa.types.is_boolean(t):
        out = bits_of(arr.buffers()[1], arr.offset, n) if n else np.zeros(0, bool)
        assert out is not None  # a bool array always has its values buffer
        if valid is not None:
            out[~valid] = bool(null)
        return out
    if pa.types.is_timestamp(t) or pa.types.is_time(t):
        dtype = f"<i{t.bit_width // 8}"
    elif str(t) in _DTYPES:
        dtype = _DTYPES[str(t)]
    else:
        raise TypeError(f"no numpy values for an Arrow {t} array here")
    out = buffer_values(arr.buffers()[1], dtype, arr.offset, n)
    if valid is not None:
        out = np.where(valid, out, null).astype(dtype, copy=False)
    if pa.types.is_date32(t):
        return out.astype(np.int64).view("datetime64[D]")
    if pa.types.is_timestamp(t):
        return out.view(f"datetime64[{t.unit}]")
    return out


def arrow_of(a: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A 1-d numpy bool, int or float array as the Arrow array of its type; rows where
    `valid` is False are null. TypeError for another dtype."""
    a = np.ascontiguousarray(a)
    if a.dtype.kind == "b":
        typ, data = pa.bool_(), np.packbits(a, bitorder="little")
    elif (a.dtype.kind, a.dtype.itemsize) in _ARROW:
        typ = _ARROW[a.dtype.kind, a.dtype.itemsize]
        data = a.astype(a.dtype.newbyteorder("<"), copy=False)
    else:
        raise TypeError(f"no Arrow array here for a numpy {a.dtype} array")
    return pa.Array.from_buffers(typ, len(a), [bitmap_of(valid), pa.py_buffer(data)])
