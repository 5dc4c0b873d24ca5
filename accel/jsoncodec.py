"""A deterministic, type-tagged JSON encoding for option values.

Options are stored in a job's setup.json and hashed into its identity, so they need a form
that (a) plain JSON can hold, (b) decodes back to exactly the same Python value, types
included, and (c) is byte-identical for equal values whatever order a dict or set was built
in. Plain JSON gives none of tuples, sets, non-str dict keys, dates or NaN, so those are
written as *tags*: single-key objects whose key starts with ``$``::

    (1, 2)                  {"$tuple": [1, 2]}
    {3, 1}                  {"$set": [1, 3]}                 sorted (see sort_key)
    frozenset({1})          {"$frozenset": [1]}
    {1: "a"}                {"$dict": [[1, "a"]]}            pairs, sorted by key
    OrderedDict(b=1, a=2)   {"$odict": [["b", 1], ["a", 2]]} pairs, in its order (which
                                                             is part of its value)
    float("nan")            {"$float": "nan"}                also "inf", "-inf"
    date(2020, 1, 2)        {"$date": "2020-01-02"}
    datetime(...)           {"$datetime": "2020-01-02T03:04:05+01:00"}   isoformat()
    time(...)               {"$time": "03:04:05"}
    timedelta(...)          {"$timedelta": [days, seconds, microseconds]}
    Path("/a/b")            {"$path": "/a/b"}                PurePath: "$purepath"
    JobWithFile(...)        {"$jobwithfile": {"job": ..., "name": ..., "sliced": ..., "extra": ...}}

A user's own dict whose only key starts with ``$`` would look like a tag, so it is written
in the ``$dict`` pair form and can never decode as anything else. `Job` (a str) is written as
its id; DotDict and other dict subclasses as dicts; subclasses of int, float, str, list and
tuple as the base type.

Only stdlib at module level: this is on the CLI's fast path.
"""

from __future__ import annotations

import json
import math
import re
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path, PurePath
from typing import Any

__all__ = ["encode", "decode", "dumps_canonical", "sort_key"]


def _canon(encoded: Any) -> str:
    """The canonical text of an already encoded value."""
    return json.dumps(encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def _short(value: Any) -> str:
    text = repr(value).replace("\n", "\\n")
    return text if len(text) <= 60 else text[:57] + "..."


# Types from higher layers (JobWithFile) register themselves here, so the codec never
# imports them: cls -> (tag, to_body(value) -> JSON-able dict, from_body(dict) -> value).
_EXTRA: dict[type, tuple[str, Callable[[Any], dict], Callable[[dict], Any]]] = {}


def register_type(cls: type, tag: str, to_body: Callable[[Any], dict],
                  from_body: Callable[[dict], Any]) -> None:
    """Teach the codec a type of a higher layer (its module calls this on import)."""
    _EXTRA[cls] = (tag, to_body, from_body)

    def decode_tag(body: Any) -> Any:
        body = _need(tag, body, dict)
        try:
            return from_body({k: decode(v) for k, v in body.items()})
        except (KeyError, TypeError) as e:
            raise ValueError(f"bad {tag} tag: {e}")

    _TAGS[tag] = decode_tag


def _float(value: float) -> Any:
    if math.isfinite(value):
        return value
    if value != value:
        return {"$float": "nan"}
    return {"$float": "inf" if value > 0 else "-inf"}


def _order(raw: Any, encoded: Any) -> tuple:
    """Canonical order: numbers by value, then strings, then anything else by its text.

    Total and deterministic for any set of distinct values; ties can only be values that
    encode the same, and so are equal.
    """
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw):
        return (0, raw, _canon(encoded))
    if isinstance(raw, str):
        return (1, str(raw), "")
    return (2, 0, _canon(encoded))


def sort_key(value: Any) -> tuple:
    """The key that puts values (set elements, dict keys) in the codec's canonical order."""
    return _order(value, encode(value))


def _sorted_items(values: Any) -> list:
    """Encoded set elements in canonical order."""
    keyed = [(_order(v, e), e) for v in values for e in (encode(v),)]
    return [e for _, e in sorted(keyed, key=lambda p: p[0])]


def _dict(value: dict) -> Any:
    if all(isinstance(k, str) for k in value):
        if len(value) == 1:
            key, item = next(iter(value.items()))
            if key.startswith("$"):
                # Would read as a tag: use the unambiguous pair form.
                return {"$dict": [[str(key), encode(item)]]}
        return {str(k): encode(v) for k, v in value.items()}
    keyed = []
    for k, v in value.items():
        ek, ev = encode(k), encode(v)
        keyed.append(((_order(k, ek), _canon(ev)), [ek, ev]))
    keyed.sort(key=lambda p: p[0])
    return {"$dict": [pair for _, pair in keyed]}


def encode(value: Any) -> Any:
    """Turn an option value into JSON-able data that `decode` turns back into an equal value.

    Raises TypeError, naming the type, for a value of a type it does not support.
    """
    if value is None or value is True or value is False:
        return value
    t = type(value)
    if t is str or t is int:
        return value
    if t is float:
        return _float(value)
    if t is list:
        return [encode(v) for v in value]
    if t is dict:
        return _dict(value)
    # Less common types, and subclasses of the common ones.
    if isinstance(value, str):
        return str(value)  # Job, or any other str subclass: its text
    if isinstance(value, int):
        return int(value)  # bool was handled above
    if isinstance(value, float):
        return _float(float(value))
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, PurePath):
        return {"$path" if isinstance(value, Path) else "$purepath": str(value)}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, OrderedDict):
        return {"$odict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, dict):
        return _dict(value)
    if isinstance(value, frozenset):
        return {"$frozenset": _sorted_items(value)}
    if isinstance(value, set):
        return {"$set": _sorted_items(value)}
    extra = _EXTRA.get(t)
    if extra is not None:
        tag, to_body, _ = extra
        return {tag: {k: encode(v) for k, v in to_body(value).items()}}
    raise TypeError(f"cannot encode a value of type {t.__qualname__} ({_short(value)}):"
                    " not a supported option type")


def _need(tag: str, body: Any, kind: type) -> Any:
    if not isinstance(body, kind):
        raise ValueError(f"bad {tag} tag: expected a {kind.__name__}, got {_short(body)}")
    return body


def _decode_float(body: Any) -> float:
    special = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
    if body not in special:
        raise ValueError(f"bad $float tag: {_short(body)}")
    return special[body]


def _decode_timedelta(body: Any) -> timedelta:
    if not (isinstance(body, list) and len(body) == 3 and all(type(x) is int for x in body)):
        raise ValueError(f"bad $timedelta tag: {_short(body)}")
    return timedelta(days=body[0], seconds=body[1], microseconds=body[2])


def _decode_dict(body: Any, tag: str = "$dict", out: dict | None = None) -> dict:
    out = {} if out is None else out
    for pair in _need(tag, body, list):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ValueError(f"bad {tag} tag: entry {_short(pair)} is not a [key, value] pair")
        out[decode(pair[0])] = decode(pair[1])
    return out


_OFFSET_RE = re.compile(r"([+-])(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{6}))?)?$")


def _from_iso(cls: type[datetime] | type[time], text: Any) -> datetime | time:
    """datetime/time.fromisoformat, but reading the UTC offset here: some Python versions
    (3.11 at least) drop the microseconds of an offset that has no whole seconds."""
    text = _need(f"${cls.__name__}", text, str)
    start = text.find("T") + 1 if cls is datetime else 0
    m = _OFFSET_RE.search(text, start)
    if m is None:
        return cls.fromisoformat(text)
    sign, hours, minutes, seconds, micros = m.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0),
                       microseconds=int(micros or 0))
    local = cls.fromisoformat(text[:m.start()])
    return local.replace(tzinfo=timezone(-offset if sign == "-" else offset))


_TAGS = {
    "$tuple": lambda b: tuple(decode(v) for v in _need("$tuple", b, list)),
    "$set": lambda b: {decode(v) for v in _need("$set", b, list)},
    "$frozenset": lambda b: frozenset(decode(v) for v in _need("$frozenset", b, list)),
    "$dict": _decode_dict,
    "$path": lambda b: Path(_need("$path", b, str)),
    "$purepath": lambda b: PurePath(_need("$purepath", b, str)),
    "$odict": lambda b: _decode_dict(b, "$odict", OrderedDict()),
    "$float": _decode_float,
    "$date": lambda b: date.fromisoformat(_need("$date", b, str)),
    "$datetime": lambda b: _from_iso(datetime, b),
    "$time": lambda b: _from_iso(time, b),
    "$timedelta": _decode_timedelta,
}


def decode(obj: Any) -> Any:
    """Inverse of `encode`: JSON data (as json.loads gives it) back to the Python value.

    Raises ValueError for an unknown or malformed tag.
    """
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if isinstance(obj, dict):
        if len(obj) == 1:
            key = next(iter(obj))
            if isinstance(key, str) and key.startswith("$"):
                try:
                    handler = _TAGS[key]
                except KeyError:
                    raise ValueError(
                        f"unknown tag {key!r} in encoded value (a tag of a higher layer is known "
                        "once its module is imported: $jobwithfile needs accel.job)") from None
                return handler(obj[key])
        return {k: decode(v) for k, v in obj.items()}
    raise TypeError(f"cannot decode a value of type {type(obj).__qualname__}: not JSON data")


def dumps_canonical(value: Any) -> str:
    """The canonical JSON text of a value: identical for equal values, whatever the order
    its dicts and sets were built in. This is what gets hashed into a job's identity.
    """
    return _canon(encode(value))
