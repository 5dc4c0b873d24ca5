"""Urd timestamps as the Accelerator has them, in one text form SQLite can order.

A timestamp is one or more parts joined by ``+``; each part is a non-negative integer or
a date of any precision the user chose: ``2019-12``, ``2019-12-01``, ``2019-12-01T10``,
``2019-12-01T10:30``, ``...:05``, ``...:05.5``. ``('2019-12-01', 3)`` is
``'2019-12-01+3'``; a `date` or `datetime` is its ``str()`` with a ``T``. Timestamps
order part by part, an integer part before a date part, dates as text, and a timestamp
before its own extensions: ``1 < 7+2 < 2019-11 < 2019-12-01 < 2019-12-01+3 <
2019-12-01T10``. So a list may go on from integer timestamps to dates, not back.

Accel also takes timezone-aware values (``...T03:04:05+02:00``, ``...Z``, aware
datetimes): they are converted to UTC and stored without a zone. A ``+HH:MM`` is an
offset only right after a time; anywhere else ``+`` separates parts.

Canonical (stored) form: date parts as written (``T`` between date and time), integer
parts as ``/`` and 20 digits, joined by ``+``. ``+`` sorts before every character of a
part and ``/`` before every digit, so ordering canonical forms as text is the order
above. `display_timestamp` gives back what a user would write.

Two texts of one moment (``...T03:04`` and ``...T03:04:00``) are two timestamps, as in the
Accelerator, with one exception: a stored timestamp of full precision -- seconds, and
microseconds as six digits when they are not zero, as `datetime.isoformat()` gives and
as accel's schema 1 stored *every* time it was given -- is found by any text of its
moment (`full_form`). What such an entry was written as is not known, so every way of
writing its moment names it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from accel.errors import UserError

SEP = "+"
INT_PREFIX = "/"
INT_WIDTH = 20
_INT_MAX = 10**INT_WIDTH - 1

# what get/peek accept before a timestamp: the entry nearest it on that side
COMPARISONS = ("<=", ">=", "<", ">")
EDGES = ("latest", "first")

_ACCEPTED = (
    "expected a non-negative integer, a date or datetime, a string like 2019-12-01, "
    "2019-12-01T10:30 or 2019-12 (a timezone allowed after a time), or several of those "
    "as a tuple or joined by '+' like 2019-12-01+3"
)

_DATE = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,6}))?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?"
)
# a '+' that starts a UTC offset (HH:MM, then the end or another part) is no separator
_PARTS = re.compile(r"\+(?!\d{2}:\d{2}(?:\+|$))")
_CANONICAL_INT = re.compile(re.escape(INT_PREFIX) + r"\d{" + str(INT_WIDTH) + "}")


# The timestamp "now", for UrdLists.add: taken when the entry is written, inside its
# transaction, so concurrent finishes of one list each come after the one before.
NOW = object()


def _bad(value: object, why: str = "") -> UserError:
    extra = f" ({why})" if why else ""
    return UserError(f"bad urd timestamp {value!r}{extra}: {_ACCEPTED}")


def _int_part(n: int, original: object) -> str:
    if n < 0:
        raise _bad(original, "negative")
    if n > _INT_MAX:
        raise _bad(original, f"larger than {INT_WIDTH} digits")
    return f"{INT_PREFIX}{n:0{INT_WIDTH}d}"


def _datetime_text(dt: datetime) -> str:
    """str(dt) with a T, as the Accelerator writes a datetime; an aware one in UTC."""
    if dt.tzinfo is not None and dt.utcoffset() is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.replace(tzinfo=None).isoformat()


def _date_part(text: str, original: object) -> str:
    m = _DATE.fullmatch(text)
    if not m:
        raise _bad(original)
    fields = m.groupdict()
    try:  # a real moment: no month 13, no February 30, no hour 25
        datetime(int(fields["y"]), int(fields["mo"]), int(fields["d"] or 1),
                 int(fields["h"] or 0), int(fields["mi"] or 0), int(fields["s"] or 0))
    except (ValueError, OverflowError) as e:
        raise _bad(original, str(e))
    if not fields["tz"]:
        return text.replace(" ", "T").replace(",", ".")
    offset = timedelta(0)
    if fields["tz"] != "Z":
        sign = -1 if fields["tz"][0] == "-" else 1
        offset = sign * timedelta(hours=int(fields["tz"][1:3]), minutes=int(fields["tz"][4:]))
    try:
        dt = datetime(int(fields["y"]), int(fields["mo"]), int(fields["d"]), int(fields["h"]),
                      int(fields["mi"] or 0), int(fields["s"] or 0),
                      int((fields["f"] or "").ljust(6, "0")), tzinfo=timezone(offset))
        return _datetime_text(dt)
    except (ValueError, OverflowError) as e:
        raise _bad(original, str(e))


def _part(text: str, original: object) -> str:
    s = text.strip()
    if s.isdigit() and s.isascii():
        return _int_part(int(s), original)
    return _date_part(s, original)


def _as_text(value: object, original: object) -> str:
    """One element of a timestamp as text, the way the Accelerator joins them."""
    if isinstance(value, bool):
        raise _bad(original)
    if isinstance(value, datetime):
        try:
            return _datetime_text(value)
        except OverflowError as e:
            raise _bad(original, str(e))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        if value < 0:
            raise _bad(original, "negative")
        return str(value)
    if isinstance(value, str):
        return value
    raise _bad(original)


def normalise_timestamp(ts: object) -> str:
    """The canonical, text-sortable form of a user's timestamp (see module doc)."""
    if isinstance(ts, (tuple, list)):
        if not ts:
            raise _bad(ts, "no parts")
        text = SEP.join(_as_text(v, ts) for v in ts)
    else:
        text = _as_text(ts, ts)
    if not text.strip():
        raise _bad(ts)
    return SEP.join(_part(p, ts) for p in _PARTS.split(text))


def parse_lookup(ts: object) -> tuple[str, str | None]:
    """What get/peek look for: ('=', ts) exactly; 'latest' or 'first' (None); or a
    comparison ('<', '<=', '>', '>=') and the timestamp it compares with, given as
    '<=2019-12' or ('<=', '2019-12-01', 3). As in the Accelerator."""
    if isinstance(ts, str):
        if ts in EDGES:
            return ts, None
        for op in COMPARISONS:
            if ts.startswith(op):
                return op, normalise_timestamp(ts[len(op):])
    if isinstance(ts, (tuple, list)) and ts and isinstance(ts[0], str) and ts[0] in COMPARISONS:
        return ts[0], normalise_timestamp(ts[1:])
    return "=", normalise_timestamp(ts)


def _full_part(part: str) -> str:
    m = _DATE.fullmatch(part)
    if m is None or m["h"] is None:  # an integer, or a date without a time
        return part
    f = (m["f"] or "").ljust(6, "0")
    return (f"{m['y']}-{m['mo']}-{m['d']}T{m['h']}:{m['mi'] or '00'}:{m['s'] or '00'}"
            + (f".{f}" if int(f) else ""))


def full_form(canonical: str) -> str:
    """The canonical timestamp with each time at full precision, as `datetime.isoformat()`
    writes it: '2023-01-02T03:04' -> '2023-01-02T03:04:00', '...05.5' -> '...05.500000'.
    The stored entry of that text, if there is one, is the one a less precise text of the
    same moment names when no entry has that text itself (see the module doc)."""
    return SEP.join(_full_part(p) for p in canonical.split(SEP))


def has_date(canonical: str) -> bool:
    return any(not p.startswith(INT_PREFIX) for p in canonical.split(SEP))


def display_timestamp(canonical: str) -> str:
    """What a user would write for a canonical timestamp: integers unpadded."""
    return SEP.join(str(int(p[len(INT_PREFIX):])) if _CANONICAL_INT.fullmatch(p) else p
                    for p in canonical.split(SEP))
