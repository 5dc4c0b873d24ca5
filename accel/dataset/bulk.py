"""Whole columns in: a NumPy array, a pyarrow array or a list -> Chunk, checked as strictly
as row-by-row writing.

Methods that already hold columns (csvimport, dataset_type, sorting) should not have to
turn them into Python objects only for the writer to turn them back. Arrays whose type
fits the column are converted with numpy (ranges checked); text and bytes from pyarrow
keep their buffers. Anything else goes through encode() value by value, so a value the
column cannot hold is still named, with its row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from accel.dataset.arrowbuffers import numpy_of, validity
from accel.dataset.chunk import Chunk
from accel.dataset.encode import EPOCH_DAYS, BadValue, encode, scatter
from accel.dataset.types import ColumnType

_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_KINDS = {
    "int32": "iub", "int64": "iub", "float32": "fiub", "float64": "fiub", "bool": "b",
    "complex32": "cfiub", "complex64": "cfiub",
}
_DAY_RANGE = (1 - EPOCH_DAYS, 3652059 - EPOCH_DAYS)      # date.min, date.max as days
_US_RANGE = (-62135596800 * 10**6, 253402300800 * 10**6 - 1)   # datetime.min, .max in us
_US_PER = {"D": 86_400_000_000, "h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000,
           "ms": 1000, "us": 1}


def encode_column(ctype: ColumnType, none_support: bool, col: Any) -> Chunk:
    """The chunk for a whole column, or BadValue naming the first value it cannot hold."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pa = None
    if pa is not None and isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa is not None and isinstance(col, pa.Array):
        got = _from_arrow(ctype, none_support, col, pa)
        if got is not None:
            return got
        return encode(ctype, none_support, col.to_pylist())
    if isinstance(col, np.ma.MaskedArray):  # what ds.column() gives for a column with None
        mask = np.ma.getmaskarray(col)
        col = np.asarray(col.data)
        if mask.any():
            return _masked(ctype, none_support, col, ~mask)
    if isinstance(col, np.ndarray) and col.ndim == 1:
        if col.dtype.kind == "M" and np.isnat(col).any():  # NaT: None, as pandas means it
            return _masked(ctype, none_support, col, ~np.isnat(col))
        got = _from_numpy(ctype, col)
        if got is not None:
            return got
        return encode(ctype, none_support, col.tolist())
    return encode(ctype, none_support, list(col))


def _masked(ctype: ColumnType, none_support: bool, data: np.ndarray,
            valid: np.ndarray) -> Chunk:
    """A column whose rows where `valid` is False are None: the others encoded, spread."""
    if not none_support:
        i = int(np.flatnonzero(~valid)[0])
        raise BadValue(i, None, "None, but the column was not added with none_support=True")
    where = np.flatnonzero(valid)
    try:
        packed = encode_column(ctype, False, data[where])
    except BadValue as e:
        raise BadValue(int(where[e.index]), e.value, e.reason) from None
    return scatter(ctype, len(valid), packed, valid)


def _from_numpy(ctype: ColumnType, a: np.ndarray) -> Chunk | None:
    name, kind = ctype.name, a.dtype.kind
    if name in _KINDS and kind in _KINDS[name]:
        if name in _INT_RANGE and kind != "b" and a.size:
            lo, hi = _INT_RANGE[name]
            if a.min() < lo or a.max() > hi:
                return None  # encode() names the value
        with np.errstate(over="ignore"):
            values = a.astype(ctype.storage, copy=False)
        if kind in "fc" and values.real.dtype.itemsize < a.real.dtype.itemsize:
            bad = np.isinf(values.real) & np.isfinite(a.real)
            if values.dtype.kind == "c":
                bad |= np.isinf(values.imag) & np.isfinite(a.imag)
            if bad.any():
                return None  # overflowed (float32, complex32): encode() names the value
        return Chunk(ctype, len(a), values=np.ascontiguousarray(values))
    if kind == "M" and name in ("date", "datetime"):
        unit = np.datetime_data(a.dtype)[0]
        if np.isnat(a).any():
            return None
        if name == "date":
            if unit != "D":
                return None
            days = a.view(np.int64)
            _in_range(days, _DAY_RANGE, a, "datetime.date")
            return Chunk(ctype, len(a), values=days.astype("<i4"))
        us = _to_us(a.view(np.int64), unit, a, "a datetime")
        if us is not None:
            _in_range(us, _US_RANGE, a, "datetime.datetime")
        return None if us is None else Chunk(ctype, len(a), values=us)
    return None


def _in_range(v: np.ndarray, limits: tuple[int, int], a: np.ndarray, what: str) -> None:
    """numpy's datetime64 reaches far beyond Python's years 1..9999, which the column holds
    (and reads back): BadValue for the first value outside."""
    bad = np.flatnonzero((v < limits[0]) | (v > limits[1]))
    if bad.size:
        i = int(bad[0])
        raise BadValue(i, a[i], f"outside the range of {what} (years 1 to 9999)")


def _to_us(v: np.ndarray, unit: str, a: Any, what: str) -> np.ndarray | None:
    """Counts of `unit` as microseconds; BadValue (naming the value of `a`) for one finer
    than a microsecond, which would be lost; None when the count overflows int64 microseconds
    (encode() names the value)."""
    if unit in _US_PER:
        per = _US_PER[unit]
        limit = (2**63 - 1) // per
        if v.size and (v.min() < -limit or v.max() > limit):
            return None
        return (v * per).astype("<i8")
    if unit == "ns":
        finer = np.flatnonzero(v % 1000)
        if finer.size:
            i = int(finer[0])
            raise BadValue(i, a[i], f"has nanoseconds: {what} holds whole microseconds")
        return (v // 1000).astype("<i8")
    return None


def _from_arrow(ctype: ColumnType, none_support: bool, arr: Any, pa: Any) -> Chunk | None:
    t = arr.type
    if arr.null_count and not none_support:
        i = int(np.flatnonzero(~validity(arr))[0])
        raise BadValue(i, None, "None, but the column was not added with none_support=True")
    name = ctype.name
    text = pa.types.is_string(t) or pa.types.is_large_string(t)
    binary = pa.types.is_binary(t) or pa.types.is_large_binary(t)
    if (name in ("unicode", "ascii") and text) or (name == "bytes" and binary):
        wide = pa.types.is_large_string(t) or pa.types.is_large_binary(t)
        _, obuf, dbuf = arr.buffers()[:3]
        n = len(arr)
        off = np.frombuffer(obuf, np.int64 if wide else np.int32)[arr.offset:arr.offset + n + 1]
        data = np.frombuffer(dbuf, np.uint8) if dbuf is not None else np.zeros(0, np.uint8)
        if name == "ascii" and n and data[int(off[0]):int(off[-1])].max(initial=0) > 127:
            return None
        valid = validity(arr) if arr.null_count else None
        return Chunk(ctype, n, offsets=off, data=data, valid=valid)
    if pa.types.is_timestamp(t) and t.tz is not None:
        return None  # aware datetimes: encode() refuses them, naming the value
    # times and timestamps never go through to_pylist(), which drops nanoseconds and wraps
    # times silently
    if name == "datetime" and pa.types.is_timestamp(t):
        values = _times(arr, pa)
        if arr.null_count:
            return _masked(ctype, none_support, values, validity(arr))
        return encode_column(ctype, none_support, values)
    if name == "time" and pa.types.is_time(t):
        valid = validity(arr) if arr.null_count else None
        if valid is not None and not none_support:
            raise BadValue(int(np.flatnonzero(~valid)[0]), None,
                           "None, but the column was not added with none_support=True")
        return Chunk(ctype, len(arr), values=_times(arr, pa), valid=valid)
    if arr.null_count:
        return None
    try:
        a = numpy_of(arr)
    except TypeError:
        return None  # no numpy layout: encode() takes its values
    return _from_numpy(ctype, a)


_TIME_UNITS = {"s": 1_000_000, "ms": 1000, "us": 1}
_DAY_US = 86_400_000_000


def _times(arr: Any, pa: Any) -> np.ndarray:
    """An Arrow time or timestamp array's values (nulls as zero) as NumPy: datetime64 for a
    datetime column, and for a time column int64 microseconds since midnight, checked:
    BadValue for a time finer than a microsecond or outside the day."""
    t = arr.type
    if pa.types.is_timestamp(t):
        return numpy_of(arr)
    raw = numpy_of(arr).astype(np.int64)
    us = _to_us(raw, "ns", arr, "a time") if t.unit == "ns" else raw * _TIME_UNITS[t.unit]
    assert us is not None  # nanoseconds are divided by 1000, so they cannot overflow
    outside = np.flatnonzero((us < 0) | (us >= _DAY_US))
    if outside.size:
        i = int(outside[0])
        raise BadValue(i, int(raw[i]), f"{int(raw[i])} {t.unit} is not a time of day "
                                       "(0 to 24 h)")
    return us
