"""Chunk -> Python values, fast.

Iteration speed is mostly the cost of making Python objects, so each type takes the
cheapest route there: numbers are iterated from an array.array copy of the piece and bools
through a memoryview (one object made, used and freed at a time), strings and bytes go
through pyarrow's C conversion, dates and datetimes through numpy's. Values that cannot be what
the file claims (a date out of range, invalid UTF-8) raise DatasetDamaged, never garbage.
"""

from __future__ import annotations

import json
import pickle
import struct
import sys
from array import array
from collections.abc import Iterable
from datetime import date, time, timedelta
from typing import Any, Literal

import numpy as np

from accel.dataset.chunk import Chunk
from accel.dataset.encode import EPOCH, EPOCH_DAYS
from accel.dataset.types import ColumnType, DatasetDamaged

_UNPACK_F = struct.Struct("<d").unpack_from
_MV_FORMAT: dict[str, Literal["i", "q", "f", "d"]] = {"int32": "i", "int64": "q", "float32": "f", "float64": "d"}
_LITTLE = sys.byteorder == "little"
_DAY_RANGE = (date.min.toordinal() - EPOCH_DAYS, date.max.toordinal() - EPOCH_DAYS)
_US_RANGE = (-62135596800 * 10**6, 253402300800 * 10**6 - 1)
_TIME_RANGE = (0, 86400 * 10**6 - 1)


def _check_range(a: np.ndarray, lo: int, hi: int, what: str) -> None:
    if a.size and (a.min() < lo or a.max() > hi):
        raise DatasetDamaged(f"{what}: a value outside the range of its type (damaged file?)")


def iterable(chunk: Chunk, what: str = "column") -> Iterable:
    """The chunk's values, as something cheap to iterate once."""
    name = chunk.ctype.name
    if chunk.valid is None and _LITTLE and chunk.ctype.fixed:
        fmt = _MV_FORMAT.get(name)
        if fmt is not None:
            # an array.array yields a value in ~10% fewer instructions than a memoryview of
            # the same bytes; copying the piece into it costs ~1%
            values = array(fmt)
            values.frombytes(np.ascontiguousarray(chunk.values).data.cast("B"))
            return values
        if name == "bool":
            return np.ascontiguousarray(chunk.values.view(np.uint8)).data.cast("?")
    return to_list(chunk, what)


def to_list(chunk: Chunk, what: str = "column") -> list:
    """The chunk's values as a list (None where a row has no value)."""
    name = chunk.ctype.name
    if chunk.ctype.fixed:
        out = _FIXED[name](chunk.values, what)
        if chunk.fold is not None:
            for i in np.flatnonzero(chunk.fold).tolist():
                out[i] = out[i].replace(fold=1)
        if chunk.valid is not None:
            for i in np.flatnonzero(~chunk.valid).tolist():
                out[i] = None
        return out
    return _VAR[name](chunk, what)


def _plain(values: np.ndarray, what: str) -> list:
    return values.tolist()


def _bool(values: np.ndarray, what: str) -> list:
    return values.view(np.uint8).astype(bool).tolist()


def _date(values: np.ndarray, what: str) -> list:
    _check_range(values, *_DAY_RANGE, what)
    return values.astype(np.int64).view("datetime64[D]").tolist()


def _datetime(values: np.ndarray, what: str) -> list:
    _check_range(values, *_US_RANGE, what)
    return values.view("datetime64[us]").tolist()


def _time(values: np.ndarray, what: str) -> list:
    _check_range(values, *_TIME_RANGE, what)
    secs, us = np.divmod(values, 1_000_000)
    mins, s = np.divmod(secs, 60)
    h, m = np.divmod(mins, 60)
    return list(map(time, h.tolist(), m.tolist(), s.tolist(), us.tolist()))


_FIXED = {
    "int32": _plain, "int64": _plain, "float32": _plain, "float64": _plain,
    "complex64": _plain, "complex32": _plain, "bool": _bool, "date": _date,
    "datetime": _datetime, "time": _time,
}


def arrow_array(chunk: Chunk, text: bool | None = None):
    """A pyarrow array over the chunk's buffers (no copy): string/binary when the offsets
    are int32, large_string/large_binary when int64. text: string (default: for ascii,
    unicode and json) or binary."""
    import pyarrow as pa

    if text is None:
        text = chunk.ctype.name in ("ascii", "unicode", "json")
    off = chunk.offsets
    if off.dtype != np.int32:
        off = np.ascontiguousarray(off, "<i8")
    wide = off.dtype != np.int32
    typ = (pa.large_string() if wide else pa.string()) if text else \
        (pa.large_binary() if wide else pa.binary())
    bitmap = None
    if chunk.valid is not None:
        bitmap = pa.py_buffer(np.packbits(chunk.valid, bitorder="little"))
    return pa.Array.from_buffers(typ, chunk.n, [bitmap, pa.py_buffer(off),
                                                pa.py_buffer(chunk.data)])


def _arrow_list(chunk: Chunk, what: str) -> list:
    """Text and bytes through pyarrow's C conversion. to_numpy().tolist() is the faster
    one, but the first to_numpy() of a process imports pandas (a third of a second), so
    it is used only once pandas is there anyway."""
    import pyarrow as pa

    try:
        a = arrow_array(chunk)
        if "pandas" in sys.modules:
            return a.to_numpy(zero_copy_only=False).tolist()
        return a.to_pylist()
    except (pa.ArrowException, UnicodeDecodeError) as e:
        raise DatasetDamaged(f"{what}: not valid text (damaged file?): {e}")


def _json(chunk: Chunk, what: str) -> list:
    out = _arrow_list(chunk, what)
    try:
        return [None if v is None else json.loads(v) for v in out]
    except ValueError as e:
        raise DatasetDamaged(f"{what}: not valid JSON (damaged file?): {e}")


def _pickle(chunk: Chunk, what: str) -> list:
    out = _arrow_list(chunk, what)
    try:
        return [None if v is None else pickle.loads(v) for v in out]
    except Exception as e:  # unpickling can raise anything
        raise DatasetDamaged(f"{what}: cannot unpickle a value ({type(e).__name__}: {e})")


def _number(chunk: Chunk, what: str) -> list:
    n = chunk.n
    off = chunk.offsets
    base = int(off[0]) if n else 0
    if n and (np.diff(off) == 9).all():
        rec = np.asarray(chunk.data[base:base + 9 * n]).reshape(n, 9)
        tags = rec[:, 0]
        if not np.isin(tags, (ord("i"), ord("f"))).all():
            raise DatasetDamaged(f"{what}: a number with an unknown tag (damaged file?)")
        body = np.ascontiguousarray(rec[:, 1:])
        ints = body.view("<i8").reshape(n).tolist()
        is_float = tags == ord("f")
        if is_float.any():
            floats = body.view("<f8").reshape(n).tolist()
            out = [f if t else i for t, i, f in zip(is_float.tolist(), ints, floats, strict=True)]
        else:
            out = ints
    else:
        out = [number_value(b, what) for b in chunk.items()]
    if chunk.valid is not None:
        for i in np.flatnonzero(~chunk.valid).tolist():
            out[i] = None
    return out


def number_value(b: bytes, what: str) -> Any:
    """One stored number (tagged bytes) as its int or float; b'' (a None row) as None."""
    tag = b[:1]
    if tag == b"i" and len(b) == 9:
        return int.from_bytes(b[1:], "little", signed=True)
    if tag == b"f" and len(b) == 9:
        return _UNPACK_F(b, 1)[0]
    if tag == b"I" and len(b) > 1:
        return int.from_bytes(b[1:], "little", signed=True)
    if not b:
        return None  # a None row (its validity bit says so)
    raise DatasetDamaged(f"{what}: a number with an unknown tag (damaged file?)")


_VAR = {
    "bytes": _arrow_list, "ascii": _arrow_list, "unicode": _arrow_list, "json": _json,
    "pickle": _pickle, "number": _number,
}


def scalar(ctype: ColumnType, v: Any) -> Any:
    """A storage-level value (what min/max keep) as the Python value it stands for."""
    if v is None:
        return None
    name = ctype.name
    if name == "date":
        return date.fromordinal(int(v) + EPOCH_DAYS)
    if name == "datetime":
        return EPOCH + timedelta(microseconds=int(v))
    if name == "time":
        secs, us = divmod(int(v), 1_000_000)
        return time(secs // 3600, secs // 60 % 60, secs % 60, us)
    if name == "bool":
        return bool(v)
    if name in ("int32", "int64"):
        return int(v)
    if name in ("float32", "float64"):
        return float(v)
    return v

