"""Text to typed values, for dataset_type: the Accelerator's type names, exact semantics.

Every type has an exact per-value Python converter (bytes -> value, ValueError when the
text does not convert). Values are converted per *distinct* value (pyarrow
dictionary-encodes the column first), and the common cases — base 10 integers, decimal
floats, UTF-8 text — have a vectorised path whose accepted values are exactly those the
Python converter accepts (a regular expression decides which values take it; the rest go
through the Python converter).

Type names (column2type values), as in the Accelerator:
  int32_B, int64_B (B = 0, 8, 10, 16; 0 means C rules: 0x.. hex, 0.. octal)   -> int32/int64
  float32, float64                                                            -> float32/64
  number (int when it is one, else float), number:int (ints, also 3.00)       -> number
  complex32, complex64                                                        -> complex
  strbool (false/0/f/no/off/nil/null/'' are False), floatbool (float != 0)    -> bool
  date:FMT, datetime:FMT, time:FMT (strptime formats)                         -> date/...
  bytes, bytesstrip, ascii[strip][:replace|encode|strict],
  unicode[strip]:ENCODING[/strict|replace|ignore]                             -> text
  json                                                                        -> json
An `i` after the name (int64_10i, float64i, datei:FMT, ...) accepts trailing garbage after
a valid value. `+None` after the name (int64_10+None, date+None:%Y-%m-%d) makes empty
values None. Leading and trailing whitespace is allowed around numbers (as C's strtol).
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accel.dataset.arrowbuffers import arrow_of, numpy_of, validity
from accel.dataset.arrowvalues import array, scalar

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

WS = b" \t\n\v\f\r"
_WS_RE = r"[ \t\n\v\f\r]*"


class TypeNameError(ValueError):
    pass


@dataclass
class Converter:
    name: str                          # as given (without +None)
    out_type: str                      # dataset column type
    py: Callable[[bytes], Any]         # exact: bytes -> value, ValueError if not
    vector: Callable | None = None     # pa large_binary array -> (values, handled np.bool)
    none_from_empty: bool = False


# --- integers ------------------------------------------------------------------------------

_INT_BODY = {
    10: rb"([+-]?)([0-9]+)",
    16: rb"([+-]?)(?:0[xX])?([0-9a-fA-F]+)",
    8: rb"([+-]?)([0-7]+)",
    0: rb"([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)",
}
_LIMITS = {"int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 63), (1 << 63) - 1)}


def _int_conv(bits: str, base: int, whole: bool) -> Callable[[bytes], int]:
    body = _INT_BODY[base]
    rx = re.compile(rb"[ \t\n\v\f\r]*" + body + (rb"[ \t\n\v\f\r]*\Z" if whole else b""))
    lo, hi = _LIMITS[bits]

    def conv(v: bytes) -> int:
        m = rx.match(v)
        if m is None:
            raise ValueError("not an integer")
        sign, digits = m.groups()
        if base == 0:
            if digits[:2] in (b"0x", b"0X"):
                n = int(digits[2:], 16)
            elif len(digits) > 1 and digits[:1] == b"0":
                n = int(digits, 8)
            else:
                n = int(digits, 10)
        else:
            n = int(digits, base)
        if sign == b"-":
            n = -n
        if not lo <= n <= hi:
            raise ValueError(f"out of range for {bits}")
        return n

    return conv


def _int10_vector(bits: str):
    target = pa.int32() if bits == "int32" else pa.int64()
    pattern = "^" + _WS_RE + r"[+-]?[0-9]+" + _WS_RE + "$"

    def vector(arr):
        ok = numpy_of(pc.match_substring_regex(arr, pattern))  # None: False
        if not ok.any():
            return None, ok
        text = pc.if_else(arrow_of(ok), arr, scalar(None, arr.type)).cast(pa.large_string())
        text = pc.replace_substring_regex(pc.ascii_trim_whitespace(text), r"^\+", "")
        try:
            values = pc.cast(text, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None, np.zeros(len(arr), dtype=bool)   # overflow somewhere: per value
        return values, ok

    return vector


# --- floats --------------------------------------------------------------------------------

_FLOAT_DEC = rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf(?:inity)?|nan))"
_FLOAT_HEX = rb"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"


def _float_conv(bits: str, whole: bool, comma: bool) -> Callable[[bytes], float]:
    end = rb"[ \t\n\v\f\r]*\Z" if whole else b""
    dec = re.compile(rb"[ \t\n\v\f\r]*(" + _FLOAT_DEC + b")" + end)
    hexf = re.compile(rb"[ \t\n\v\f\r]*(" + _FLOAT_HEX + b")" + end)

    def conv(v: bytes) -> float:
        if comma:
            if b"." in v:
                raise ValueError("a '.' with numeric_comma")
            v = v.replace(b",", b".")
        m = dec.match(v)
        if m is not None:
            x = float(m.group(1))
            if math.isinf(x) and b"n" not in m.group(1).lower():   # 1e400, not inf
                raise ValueError("out of range for float64")
        else:
            m = hexf.match(v)
            if m is None:
                raise ValueError("not a float")
            x = float.fromhex(m.group(1).decode())
        if bits == "float32":
            with np.errstate(over="ignore"):
                x32 = float(np.float32(x))
            if math.isinf(x32) and not math.isinf(x):
                raise ValueError("out of range for float32")
            x = x32
        return x

    return conv


def _float_vector(bits: str, comma: bool):
    target = pa.float32() if bits == "float32" else pa.float64()
    dec = _FLOAT_DEC.decode()
    pattern = "^" + _WS_RE + dec + _WS_RE + "$"

    def vector(arr):
        if comma:  # (a null stays null: its condition is null)
            arr = pc.if_else(pc.match_substring(arr, "."), scalar(b"x", arr.type), arr)
            arr = pc.replace_substring(arr, ",", ".")
        ok = numpy_of(pc.match_substring_regex(arr, pattern))  # None: False
        if not ok.any():
            return None, ok
        text = pc.if_else(arrow_of(ok), arr, scalar(None, arr.type)).cast(pa.large_string())
        text = pc.ascii_trim_whitespace(text)
        try:
            values = pc.cast(pc.cast(text, pa.float64()), target, safe=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None, np.zeros(len(arr), dtype=bool)
        # inf from a finite number (1e400, or 1e39 as float32) is no conversion: those
        # (and inf itself) are left to the exact converter
        return values, ok & ~np.isinf(numpy_of(values))

    return vector


# --- number ----------------------------------------------------------------------------------

_NUM_INT = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*\Z")
_NUM_INTDOT = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)\.0*[ \t\n\v\f\r]*\Z")


def _number_conv(int_only: bool, comma: bool) -> Callable[[bytes], Any]:
    as_float = _float_conv("float64", True, comma)

    def conv(v: bytes):
        m = _NUM_INT.match(v)
        if m is not None:
            return int(m.group(1))
        if int_only:
            m = _NUM_INTDOT.match(v.replace(b",", b".") if comma else v)
            if m is None:
                raise ValueError("not an integer")
            return int(m.group(1))
        return as_float(v)

    return conv


# --- bool ---------------------------------------------------------------------------------------

_FALSE = frozenset((b"false", b"0", b"f", b"no", b"off", b"nil", b"null", b""))


def _strbool(v: bytes) -> bool:
    return v.lower() not in _FALSE


def _floatbool_conv(whole: bool) -> Callable[[bytes], bool]:
    f = _float_conv("float64", whole, False)
    return lambda v: f(v) != 0.0


# --- dates and times ------------------------------------------------------------------------------

def _date_conv(kind: str, fmt: str, whole: bool, tz: str | None) -> Callable[[bytes], Any]:
    import _strptime

    zone: ZoneInfo | None = None
    if tz and kind == "datetime":
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise TypeNameError(f"unknown timezone {tz!r}")
    try:
        prefix = _strptime._TimeRE_cache.compile(fmt)
    except (ValueError, KeyError, re.error) as e:
        raise TypeNameError(f"bad format {fmt!r}: {e}")
    iso = None
    if fmt == "%Y-%m-%d":
        iso = (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"), date.fromisoformat)
    elif fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        iso = (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}" + ("T" if "T" in fmt else " ")
                          + r"[0-9]{2}:[0-9]{2}:[0-9]{2}\Z"), datetime.fromisoformat)

    def parse(text: str):
        if iso is not None and iso[0].match(text):
            try:
                d = iso[1](text)
            except ValueError:
                d = None
            if d is not None:
                return d if kind != "datetime" or isinstance(d, datetime) else \
                    datetime(d.year, d.month, d.day)
        if not whole:
            m = prefix.match(text)
            if m is None:
                raise ValueError("does not match the format")
            text = m.group(0)
        return datetime.strptime(text, fmt)

    def conv(v: bytes):
        try:
            text = v.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("not UTF-8")
        d = parse(text)
        if kind == "date":
            return d if type(d) is date else d.date()
        if kind == "time":
            return d.time() if isinstance(d, datetime) else time()
        if not isinstance(d, datetime):
            d = datetime(d.year, d.month, d.day)
        if zone is not None:
            d = _zone_to_utc(d, zone)
        return d

    return conv


def _zone_to_utc(d: datetime, zone: ZoneInfo) -> datetime:
    """Local wall time in `zone` -> naive UTC. A wall time the clocks skipped (a DST gap)
    never happened there, so it does not convert (zoneinfo would quietly shift it); one
    that happened twice (clocks turned back) is its first occurrence, as fold=0 says."""
    utc = d.replace(tzinfo=zone).astimezone(timezone.utc)
    if utc.astimezone(zone).replace(tzinfo=None) != d:
        raise ValueError(f"no such time in {zone.key} (the clocks skipped it)")
    return utc.replace(tzinfo=None)


# --- text --------------------------------------------------------------------------------------

def _strip(v: bytes) -> bytes:
    return v.strip(WS)


def _ascii_conv(mode: str, strip: bool) -> Callable[[bytes], str]:
    def conv(v: bytes) -> str:
        if strip:
            v = _strip(v)
        if mode == "strict":
            try:
                return v.decode("ascii")
            except UnicodeDecodeError:
                raise ValueError("not ASCII")
        out = []
        for c in v:
            if c > 127 or (mode == "encode" and c == 92):
                out.append(f"\\{c:03o}")
            else:
                out.append(chr(c))
        return "".join(out)

    return conv


def _unicode_conv(encoding: str, errors: str, strip: bool) -> Callable[[bytes], str]:
    def conv(v: bytes) -> str:
        if strip:
            v = _strip(v)
        try:
            return v.decode(encoding, errors)
        except UnicodeDecodeError:
            raise ValueError(f"not {encoding}")

    return conv


def _utf8_vector(strip: bool):
    def vector(arr):
        try:
            text = arr.cast(pa.large_string())
        except pa.ArrowInvalid:
            return None, np.zeros(len(arr), dtype=bool)
        if strip:
            return None, np.zeros(len(arr), dtype=bool)
        return text, np.ones(len(arr), dtype=bool)

    return vector


def _json_conv(v: bytes):
    try:
        return json.loads(v)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"not JSON: {e}")


# complex32 is two float32, complex64 two float64 (as in the Accelerator)
_COMPLEX_LIMIT = {"complex32": float(np.finfo(np.float32).max), "complex64": math.inf}


def _complex_conv(bits: str):
    def conv(v: bytes) -> complex:
        try:
            x = complex(v.decode("ascii").strip(" \t\n\v\f\r"))
        except (UnicodeDecodeError, ValueError):
            raise ValueError("not a complex number")
        limit = _COMPLEX_LIMIT[bits]
        for part in (x.real, x.imag):
            if math.isfinite(part) and abs(part) > limit:
                raise ValueError(f"out of range for {bits}")
        if bits == "complex32":
            x = complex(np.complex64(x))
        return x

    return conv


# --- names -------------------------------------------------------------------------------------

_INT_NAME = re.compile(r"(int32|int64)_(0|8|10|16)(i?)\Z")


def get(typename: str, timezone_name: str | None = None, numeric_comma: bool = False) -> Converter:
    """The converter for a column2type value; TypeNameError naming what is wrong."""
    if not isinstance(typename, str) or not typename:
        raise TypeNameError(f"{typename!r} is not a type name")
    base, colon, fmt = typename.partition(":")
    none_from_empty = base.endswith("+None")
    if none_from_empty:
        base = base[:-5]
    name = base + colon + fmt
    conv = _make(base, colon, fmt, timezone_name, numeric_comma, name)
    conv.none_from_empty = none_from_empty
    return conv


def _make(base, colon, fmt, tz, comma, name) -> Converter:
    m = _INT_NAME.match(base)
    if m and not colon:
        bits, b, i = m.groups()
        vec = _int10_vector(bits) if b == "10" and not i else None
        return Converter(name, bits, _int_conv(bits, int(b), not i), vec)
    if base in ("float32", "float64", "float32i", "float64i") and not colon:
        bits = base[:7]
        whole = not base.endswith("i")
        return Converter(name, bits, _float_conv(bits, whole, comma),
                         _float_vector(bits, comma) if whole else None)
    if base == "number" and (not colon or fmt == "int"):
        return Converter(name, "number", _number_conv(bool(colon), comma))
    if base in ("complex32", "complex64") and not colon:
        return Converter(name, base, _complex_conv(base))
    if base == "strbool" and not colon:
        return Converter(name, "bool", _strbool)
    if base in ("floatbool", "floatbooli") and not colon:
        return Converter(name, "bool", _floatbool_conv(base == "floatbool"))
    if base in ("date", "datetime", "time", "datei", "datetimei", "timei"):
        if not colon or not fmt:
            raise TypeNameError(f"{name!r}: {base} needs a format, like {base}:%Y-%m-%d")
        kind = base[:-1] if base.endswith("i") else base
        try:
            return Converter(name, kind, _date_conv(kind, fmt, not base.endswith("i"), tz))
        except TypeNameError as e:
            raise TypeNameError(f"{name!r}: {e}")
    if base in ("bytes", "bytesstrip") and not colon:
        strip = base == "bytesstrip"
        return Converter(name, "bytes", _strip if strip else (lambda v: v),
                         None if strip else (lambda arr: (arr, np.ones(len(arr), dtype=bool))))
    if base in ("ascii", "asciistrip"):
        mode = fmt or "replace"
        if mode not in ("replace", "encode", "strict"):
            raise TypeNameError(f"{name!r}: ascii takes :replace, :encode or :strict")
        return Converter(name, "ascii", _ascii_conv(mode, base == "asciistrip"))
    if base in ("unicode", "unicodestrip"):
        if not colon or not fmt:
            raise TypeNameError(f"{name!r}: unicode needs an encoding, like unicode:utf-8")
        encoding, _, errors = fmt.partition("/")
        errors = errors or "strict"
        if errors not in ("strict", "replace", "ignore"):
            raise TypeNameError(f"{name!r}: the error handling is strict, replace or ignore")
        try:
            canonical = codecs.lookup(encoding).name
        except LookupError:
            raise TypeNameError(f"{name!r}: unknown encoding {encoding!r}")
        strip = base == "unicodestrip"
        vec = _utf8_vector(strip) if canonical == "utf-8" and errors == "strict" else None
        return Converter(name, "unicode", _unicode_conv(encoding, errors, strip), vec)
    if base == "json" and not colon:
        return Converter(name, "json", _json_conv)
    raise TypeNameError(f"unknown type {name!r} (types: int32_10, int64_10, int64_16, ...,"
                        " float64, float32, number, number:int, complex64, strbool, floatbool,"
                        " date:FMT, datetime:FMT, time:FMT, bytes, ascii, unicode:utf-8, json;"
                        " add i to allow trailing garbage, +None for empty as None)")


# --- converting a column ---------------------------------------------------------------------------


def arrow_out(out_type: str):
    return {"int32": pa.int32(), "int64": pa.int64(), "float32": pa.float32(),
            "float64": pa.float64(), "bool": pa.bool_(), "date": pa.date32(),
            "datetime": pa.timestamp("us"), "time": pa.time64("us"),
            "bytes": pa.large_binary(), "ascii": pa.large_string(),
            "unicode": pa.large_string()}.get(out_type)


def why_not(conv: Converter, value: Any) -> str:
    """': REASON' when converting `value` one by one says why it failed, else ''. For the
    error message only: the vectorised paths do not keep reasons."""
    if not isinstance(value, bytes):
        return ""
    try:
        conv.py(value)
    except (ValueError, OverflowError, TypeError) as e:
        return f": {e}" if str(e) else ""
    return ""


def convert(conv: Converter, arr: pa.Array) -> tuple[Any, np.ndarray, np.ndarray]:
    """Convert a large_binary array. Returns (values, ok, none): values a pyarrow array
    (numpy object array for number/complex/json) with null where not ok or None; ok: the
    value converted (or is None); none: the result is None (source None, or empty with
    +None)."""
    n = len(arr)
    none = ~validity(arr)
    if conv.none_from_empty:
        none |= numpy_of(pc.binary_length(arr)) == 0
    if none.any():
        arr = pc.if_else(arrow_of(none), scalar(None, arr.type), arr)
    ok = none.copy()
    target = arrow_out(conv.out_type)
    values: Any = None  # a pyarrow array for an Arrow target, else a NumPy object array
    todo = ~none
    if conv.vector is not None and todo.any():
        vvalues, handled = conv.vector(arr)
        if vvalues is not None:
            handled = handled & todo
            values = vvalues
            ok |= handled
            todo &= ~handled
    if todo.any():
        pending = arr if values is None and todo.all() else pc.filter(arr, arrow_of(todo))
        enc = pending.dictionary_encode()
        uniques = enc.dictionary.to_pylist()
        results = []
        good = np.zeros(len(uniques), dtype=bool)
        for i, u in enumerate(uniques):
            try:
                results.append(conv.py(u))
                good[i] = True
            except (ValueError, OverflowError, TypeError):
                results.append(None)
        idx = numpy_of(enc.indices)
        where = np.flatnonzero(todo)
        ok[where] = good[idx]
        if target is not None:
            part = array(results, target).take(arrow_of(idx))
            if values is None and todo.all():
                values = part
            else:
                values = _merge(values, part, where, n, target)
        else:
            objs = np.empty(len(results), dtype=object)
            objs[:] = results
            part = objs[idx]
            if values is None:
                values = np.empty(n, dtype=object)
            values[where] = part
    if values is None:
        values = pa.nulls(n, target) if target is not None else np.full(n, None, dtype=object)
    if target is not None and values.type != target:
        values = values.cast(target)
    return values, ok, none


def _merge(values, part, where, n, target):
    """values (length n, or None) with positions `where` replaced by `part`."""
    if values is None:
        values = pa.nulls(n, target)
    pos = np.full(n, -1, dtype=np.int64)
    pos[where] = np.arange(len(where))
    from_part = pos >= 0
    idx_part = np.where(from_part, pos, 0)
    taken = part.take(arrow_of(idx_part)) if len(part) else pa.nulls(n, target)
    return pc.if_else(arrow_of(from_part), taken, values.cast(target))
