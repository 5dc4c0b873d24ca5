"""Python values -> Chunk, in bulk, strictly.

Each type has a fast path that converts a whole list with numpy or pyarrow and only
accepts it when the result is exactly right (numpy would happily turn "12" into 12 or
1.5 into 1), and a per-value path used when the fast one declines: it finds the first
value the column cannot hold and says why, or converts a list the fast path could not.
So a dataset is never silently wrong, and the common case costs a few ns per value.
"""

from __future__ import annotations

import json
import math
import pickle
import struct
from array import array
from collections.abc import Callable
from datetime import date, datetime, time
from operator import attrgetter, index
from typing import Any

import numpy as np

from accel.dataset.chunk import Chunk, var_chunk
from accel.dataset.types import TYPES, ColumnType

EPOCH_DAYS = date(1970, 1, 1).toordinal()
EPOCH = datetime(1970, 1, 1)
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_NUMPY_INT = np.integer
_NUMPY_FLOAT = np.floating


class Reject(Exception):
    """One value a column cannot hold: the reason, for the error message."""


class BadValue(Exception):
    """The value at `index` of the list being encoded, and why it was refused."""

    def __init__(self, index: int, value: Any, reason: str):
        super().__init__(reason)
        self.index, self.value, self.reason = index, value, reason


def _kind(v: Any) -> str:
    return type(v).__name__


# --- one value at a time (the strict definition of each type) -------------------------


def _one_int(name: str) -> Callable[[Any], int]:
    lo, hi = _INT_RANGE[name]

    def one(v: Any) -> int:
        try:
            v = index(v)  # int, bool, numpy ints; never float or str
        except TypeError:
            raise Reject(f"expected an int, got {_kind(v)}")
        if not lo <= v <= hi:
            raise Reject(f"{v} is outside the {name} range [{lo}, {hi}]")
        return v
    return one


def _one_float(name: str) -> Callable[[Any], float]:
    limit = float(np.finfo(np.float32).max)

    def one(v: Any) -> float:
        if isinstance(v, (str, bytes, bytearray, complex)) or not (
                hasattr(type(v), "__float__") or hasattr(type(v), "__index__")):
            raise Reject(f"expected a float or an int, got {_kind(v)}")
        try:
            f = float(v)
        except OverflowError:
            raise Reject(f"{v} is too large for a float")
        except (TypeError, ValueError) as e:
            raise Reject(f"not a float ({e})")
        if name == "float32" and math.isfinite(f) and abs(f) > limit:
            raise Reject(f"{f!r} is outside the float32 range")
        return f
    return one


def _one_complex(name: str) -> Callable[[Any], complex]:
    """complex32 is two float32 (each part rounds as a float32 does), complex64 two
    float64 (exact for every Python complex)."""
    limit = float(np.finfo(np.float32).max) if name == "complex32" else math.inf

    def one(v: Any) -> complex:
        if isinstance(v, (str, bytes)) or not isinstance(
                v, (int, float, complex, np.number, np.bool_)):
            raise Reject(f"expected a complex, float or int, got {_kind(v)}")
        try:
            c = complex(v)
        except OverflowError:
            raise Reject(f"{v} is too large for a complex")
        for part in (c.real, c.imag):
            if math.isfinite(part) and abs(part) > limit:
                raise Reject(f"{c!r} is outside the {name} range")
        return c
    return one


def _one_bool(v: Any) -> bool:
    if not isinstance(v, (bool, np.bool_)):
        raise Reject(f"expected a bool, got {_kind(v)}")
    return bool(v)


def _one_date(v: Any) -> int:
    if not isinstance(v, date) or isinstance(v, datetime):
        raise Reject(f"expected a datetime.date, got {_kind(v)}")
    return v.toordinal() - EPOCH_DAYS


def _naive(v: Any) -> None:
    if v.tzinfo is not None:
        raise Reject("only naive values (no tzinfo) can be stored")


def _one_datetime(v: Any) -> int:
    if not isinstance(v, datetime):
        raise Reject(f"expected a datetime.datetime, got {_kind(v)}")
    _naive(v)
    d = v - EPOCH
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def _one_time(v: Any) -> int:
    if not isinstance(v, time):
        raise Reject(f"expected a datetime.time, got {_kind(v)}")
    _naive(v)
    return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond


def _one_bytes(v: Any) -> bytes:
    if not isinstance(v, (bytes, bytearray)):
        raise Reject(f"expected bytes, got {_kind(v)}")
    return bytes(v)


def _one_unicode(v: Any) -> bytes:
    if not isinstance(v, str):
        raise Reject(f"expected a str, got {_kind(v)}")
    try:
        return v.encode("utf-8")
    except UnicodeEncodeError as e:
        raise Reject(f"cannot be stored as UTF-8 ({e.reason} at position {e.start})")


def _one_ascii(v: Any) -> bytes:
    if not isinstance(v, str):
        raise Reject(f"expected a str, got {_kind(v)}")
    if not v.isascii():
        pos = next(i for i, c in enumerate(v) if ord(c) > 127)
        raise Reject(f"not ASCII (character {v[pos]!r} at position {pos})")
    return v.encode("ascii")


def json_dumps(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def _json_keys(v: Any) -> None:
    """JSON writes a dict key 1 (or 1.5, True, None) as "1": refuse what would come back
    different, rather than store it silently changed."""
    if isinstance(v, dict):
        for k, x in v.items():
            if not isinstance(k, str):
                raise Reject(f"dict key {_short_key(k)} ({_kind(k)}) would come back as a "
                             "str: JSON keys are strings")
            if isinstance(x, (dict, list, tuple)):
                _json_keys(x)
    else:
        for x in v:
            if isinstance(x, (dict, list, tuple)):
                _json_keys(x)


def _short_key(k: Any) -> str:
    text = repr(k)
    return text if len(text) <= 40 else text[:37] + "..."


def _one_json(v: Any) -> bytes:
    if isinstance(v, (dict, list, tuple)):
        try:
            _json_keys(v)
        except RecursionError:
            raise Reject("not JSON-able (nested too deep)")
    try:
        return json_dumps(v).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as e:
        raise Reject(f"not JSON-able ({e})")
    except UnicodeEncodeError as e:
        raise Reject(f"cannot be stored as UTF-8 ({e.reason})")


def _one_pickle(v: Any) -> bytes:
    try:
        return pickle.dumps(v, pickle.HIGHEST_PROTOCOL)
    except Exception as e:  # anything pickling can raise
        raise Reject(f"cannot be pickled ({type(e).__name__}: {e})")


_PACK_I = struct.Struct("<cq").pack
_PACK_F = struct.Struct("<cd").pack


# Python turns at most 4,300 digits of an int into text (sys.int_info), and a number is
# text in the files' bigint field, in min/max and in hashing: a longer int is refused here
_NUMBER_BITS = 14_000  # ~4,214 digits


def _one_number(v: Any) -> bytes:
    if isinstance(v, (int, _NUMPY_INT, np.bool_)):
        v = int(v)
        if -(2**63) <= v < 2**63:
            return _PACK_I(b"i", v)
        if v.bit_length() > _NUMBER_BITS:
            raise Reject(f"an int of {v.bit_length():,} bits: a number holds ints of up to "
                         f"{_NUMBER_BITS:,} bits (~4,200 digits)")
        return b"I" + v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
    if isinstance(v, (float, _NUMPY_FLOAT)):
        return _PACK_F(b"f", float(v))
    raise Reject(f"expected an int or a float, got {_kind(v)}")


ONE: dict[str, Callable[[Any], Any]] = {
    "int32": _one_int("int32"), "int64": _one_int("int64"),
    "float32": _one_float("float32"), "float64": _one_float("float64"),
    "complex32": _one_complex("complex32"), "complex64": _one_complex("complex64"),
    "bool": _one_bool, "date": _one_date, "datetime": _one_datetime, "time": _one_time,
    "bytes": _one_bytes, "ascii": _one_ascii, "unicode": _one_unicode, "json": _one_json,
    "pickle": _one_pickle, "number": _one_number,
}


# --- whole lists (fast paths; None means "ask ONE value by value") ----------------------


def _infer(values: list) -> np.ndarray | None:
    try:
        a = np.array(values)
    except (ValueError, TypeError, OverflowError):
        return None
    return a if a.ndim == 1 else None


def _fast_int(name: str):
    code, dtype = ("i", "<i4") if name == "int32" else ("q", "<i8")

    def fast(values: list) -> np.ndarray | None:
        try:  # array.array is strict: ints (and __index__) only, range-checked
            return np.frombuffer(array(code, values), dtype)
        except (TypeError, OverflowError):
            return None
    return fast


def _fast_float(name: str):
    def fast(values: list) -> np.ndarray | None:
        try:  # array.array takes real numbers only (never str, None or complex)
            a = np.frombuffer(array("d", values), "<f8")
        except (TypeError, OverflowError):
            return None
        if name == "float64":
            return a
        with np.errstate(over="ignore"):
            out = a.astype("<f4")
        if (np.isinf(out) & np.isfinite(a)).any():
            return None  # overflowed float32: ONE names the value
        return out
    return fast


def _fast_complex(name: str):
    def fast(values: list) -> np.ndarray | None:
        a = _infer(values)
        if a is None or a.dtype.kind not in "cfiub":
            return None
        src = a.astype(np.complex128)
        if name == "complex64":
            return src
        with np.errstate(all="ignore"):
            c = src.astype(np.complex64)
        if (np.isinf(c.view(np.float32)) & np.isfinite(src.view(np.float64))).any():
            return None  # overflowed: ONE names the value
        return c
    return fast


def _fast_bool(values: list) -> np.ndarray | None:
    a = _infer(values)
    return a if a is not None and a.dtype.kind == "b" else None


def _fast_date(values: list) -> np.ndarray | None:
    if set(map(type, values)) != {date}:
        return None
    return np.array(values, "datetime64[D]").view(np.int64).astype("<i4")


_tz_fold = attrgetter("tzinfo", "fold")
_fold = attrgetter("fold")
_NAIVE_NO_FOLD = {(None, 0)}


def _fast_datetime(values: list) -> np.ndarray | None:
    """Naive datetimes, none with fold=1 (those go value by value, keeping their fold)."""
    if set(map(type, values)) != {datetime} or set(map(_tz_fold, values)) != _NAIVE_NO_FOLD:
        return None
    return np.array(values, "datetime64[us]").view("<i8")


def _fast_time(values: list) -> np.ndarray | None:
    if set(map(type, values)) != {time} or set(map(_tz_fold, values)) != _NAIVE_NO_FOLD:
        return None
    return np.fromiter(map(_one_time, values), np.int64, len(values))


def _strings(values: list, ascii: bool) -> Chunk | None:
    """str values as UTF-8 bytes and offsets, in C loops: one join and one encode for
    the lot, byte lengths from the str lengths when the text is ASCII. (Not pa.array: the
    first pa.array() of a process imports pandas, a third of a second.)"""
    try:
        joined = "".join(values)          # TypeError for anything that is not a str
        data = joined.encode("utf-8")     # UnicodeEncodeError for a lone surrogate
    except (TypeError, UnicodeEncodeError):
        return None                       # the value by value path names the value
    n = len(values)
    if len(data) == len(joined):          # every character one byte: ASCII
        lengths = np.fromiter(map(len, values), np.int64, n)
    elif ascii:
        return None
    else:
        parts = list(map(str.encode, values))
        lengths = np.fromiter(map(len, parts), np.int64, n)
    off = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=off[1:])
    if len(data) <= 2**31 - 1:
        off = off.astype(np.int32)        # what the file holds: appended as it is
    return Chunk(TYPES["ascii" if ascii else "unicode"], n, offsets=off,
                 data=np.frombuffer(data, np.uint8))


def _fast_bytes(values: list) -> Chunk | None:
    if not set(map(type, values)) <= {bytes, bytearray}:
        return None
    return var_chunk(TYPES["bytes"], values)


def _fast_serialised(name: str, one: Callable[[Any], bytes]):
    ctype = TYPES[name]

    def fast(values: list) -> Chunk | None:
        if any(v is None for v in values):
            return None  # None is a missing value (none_support), not JSON null
        try:
            return var_chunk(ctype, [one(v) for v in values])
        except Reject:
            return None
    return fast


def _fast_number(values: list) -> Chunk | None:
    kinds = set(map(type, values))
    if not kinds <= {int, float}:
        return None
    n = len(values)
    rec = np.zeros((n, 9), np.uint8)
    if kinds == {float}:
        rec[:, 0] = ord("f")
        rec[:, 1:] = np.array(values, "<f8").view(np.uint8).reshape(n, 8)
    else:
        is_float = np.fromiter((type(v) is float for v in values), bool, n)
        try:
            a = np.frombuffer(array("q", [v for v in values if type(v) is int]), "<i8")
        except OverflowError:
            return None  # an int beyond int64: stored with its own length
        rec[:, 0] = np.where(is_float, ord("f"), ord("i"))
        body = rec[:, 1:]
        body[~is_float] = a.astype("<i8").view(np.uint8).reshape(-1, 8)
        if is_float.any():
            floats = np.array([v for v in values if type(v) is float], "<f8")
            body[is_float] = floats.view(np.uint8).reshape(-1, 8)
    off = np.arange(0, 9 * n + 1, 9, dtype=np.int64)
    return Chunk(TYPES["number"], n, offsets=off, data=rec.reshape(-1))


FAST: dict[str, Callable[[list], Any]] = {
    "int32": _fast_int("int32"), "int64": _fast_int("int64"),
    "float32": _fast_float("float32"), "float64": _fast_float("float64"),
    "complex32": _fast_complex("complex32"), "complex64": _fast_complex("complex64"),
    "bool": _fast_bool, "date": _fast_date, "datetime": _fast_datetime, "time": _fast_time,
    "bytes": _fast_bytes, "ascii": lambda v: _strings(v, True),
    "unicode": lambda v: _strings(v, False), "json": _fast_serialised("json", _one_json),
    "pickle": _fast_serialised("pickle", _one_pickle), "number": _fast_number,
}


# --- the entry point ---------------------------------------------------------------------


def encode(ctype: ColumnType, none_support: bool, values: list) -> Chunk:
    """The chunk for `values`, or BadValue naming the first value it cannot hold."""
    n = len(values)
    if not n:
        return Chunk.empty(ctype)
    got = FAST[ctype.name](values)
    if got is not None:
        return _as_chunk(ctype, n, got, None)
    is_none = [v is None for v in values]
    if True in is_none:
        if not none_support:
            i = is_none.index(True)
            raise BadValue(i, None, "None, but the column was not added with none_support=True")
        where = [i for i, flag in enumerate(is_none) if not flag]
        rest = [values[i] for i in where]
    else:
        where, rest = None, values
    if where is None:
        got = None  # the fast path has just declined these very values
    else:
        got = FAST[ctype.name](rest) if rest else _empty_storage(ctype)
    fold = None
    if got is None:
        got = _one_by_one(ctype, rest, where)
        if ctype.name in ("datetime", "time") and any(map(_fold, rest)):
            fold = np.fromiter(map(_fold, rest), bool, len(rest))
    packed = _as_chunk(ctype, len(rest), got, None)
    packed.fold = fold
    if where is None:
        return packed
    valid = np.zeros(n, bool)
    valid[where] = True
    return scatter(ctype, n, packed, valid)


def _one_by_one(ctype: ColumnType, values: list, where: list[int] | None) -> Any:
    one = ONE[ctype.name]
    out = []
    for i, v in enumerate(values):
        try:
            out.append(one(v))
        except Reject as e:
            raise BadValue(i if where is None else where[i], v, str(e))
    if not ctype.fixed:
        return var_chunk(ctype, out)
    return np.array(out, ctype.storage)


def _empty_storage(ctype: ColumnType) -> Any:
    c = Chunk.empty(ctype)
    return c.values if ctype.fixed else c


def _as_chunk(ctype: ColumnType, n: int, got: Any, valid: np.ndarray | None) -> Chunk:
    if isinstance(got, Chunk):
        got.ctype, got.valid = ctype, valid
        return got
    return Chunk(ctype, n, values=np.ascontiguousarray(got, ctype.storage), valid=valid)


def scatter(ctype: ColumnType, n: int, packed: Chunk, valid: np.ndarray) -> Chunk:
    """Spread the values of the non-None rows over all n rows (None rows: zero, empty)."""
    if ctype.fixed:
        full = np.zeros(n, ctype.storage)
        full[valid] = packed.values
        fold = None
        if packed.fold is not None:
            fold = np.zeros(n, bool)
            fold[valid] = packed.fold
        return Chunk(ctype, n, values=full, valid=valid, fold=fold)
    lengths = np.zeros(n, np.int64)
    lengths[valid] = np.diff(packed.offsets)
    off = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=off[1:])
    data = packed.data[int(packed.offsets[0]):int(packed.offsets[-1])]
    return Chunk(ctype, n, offsets=off, data=data, valid=valid)
