"""Urd timestamps: one canonical text form per moment, so SQLite can order them as text.

A list's timestamps are either all integers or all dates/datetimes (lists.py enforces
that). Canonical forms:

- date:      ``YYYY-MM-DD``
- datetime:  ``YYYY-MM-DDTHH:MM:SS`` plus ``.ffffff`` only when the microseconds are not
  zero. Timezone-aware values are converted to UTC and stored without a zone; naive
  values are stored as given (no local-time guessing). A date sorts before every
  datetime on that same day (it is a prefix of them), so ``2023-01-02`` <
  ``2023-01-02T00:00:00`` < ``2023-01-03``.
- integer:   ``i`` followed by the number zero-padded to 20 digits, so ``2 < 10`` also
  as text. The canonical form is accepted as input too, which makes
  ``normalise_timestamp`` idempotent.

`display_timestamp` turns a canonical form back into what a user would write.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Literal

from accel.errors import UserError

INT_PREFIX = "i"
INT_WIDTH = 20
_INT_MAX = 10**INT_WIDTH - 1

_ACCEPTED = (
    "expected a date, a datetime, an ISO string like '2023-01-02', '2023-01-02T03:04:05' "
    "or '2023-01-02 03:04' (optionally with a .ffffff fraction and a timezone), "
    "or a non-negative integer"
)

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,6}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
)
_CANONICAL_INT = re.compile(INT_PREFIX + r"\d{" + str(INT_WIDTH) + "}")

TimestampKind = Literal["integer", "date"]


# The timestamp "now", for UrdLists.add: taken when the entry is written, inside its
# transaction, so concurrent finishes of one list each come after the one before.
NOW = object()


def _bad(value: object, why: str = "") -> UserError:
    extra = f" ({why})" if why else ""
    return UserError(f"bad urd timestamp {value!r}{extra}: {_ACCEPTED}")


def _int_form(n: int, original: object) -> str:
    if n < 0:
        raise _bad(original, "negative")
    if n > _INT_MAX:
        raise _bad(original, f"larger than {INT_WIDTH} digits")
    return f"{INT_PREFIX}{n:0{INT_WIDTH}d}"


def _datetime_form(dt: datetime) -> str:
    if dt.tzinfo is not None and dt.utcoffset() is not None:
        dt = dt.astimezone(timezone.utc)
    text = f"{_date_form(dt)}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    if dt.microsecond:
        text += f".{dt.microsecond:06d}"
    return text


def _date_form(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def _parse_string(text: str, original: object) -> str:
    s = text.strip()
    if s.isdigit() and s.isascii():
        return _int_form(int(s), original)
    if _CANONICAL_INT.fullmatch(s):
        return s
    m = _ISO.fullmatch(s)
    if not m:
        raise _bad(original)
    try:
        day = date(int(m["y"]), int(m["mo"]), int(m["d"]))
        if m["h"] is None:
            return _date_form(day)
        fraction = (m["f"] or "").ljust(6, "0")
        tz = None
        if m["tz"] == "Z":
            tz = timezone.utc
        elif m["tz"]:
            sign = -1 if m["tz"][0] == "-" else 1
            digits = m["tz"][1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        dt = datetime(
            day.year, day.month, day.day,
            int(m["h"]), int(m["mi"]), int(m["s"] or 0), int(fraction),
            tzinfo=tz,
        )
        return _datetime_form(dt)
    except (ValueError, OverflowError) as e:
        raise _bad(original, str(e))


def normalise_timestamp(ts: object) -> str:
    """The canonical, text-sortable form of a user's timestamp (see module doc)."""
    if isinstance(ts, bool):
        raise _bad(ts)
    if isinstance(ts, datetime):
        try:
            return _datetime_form(ts)
        except OverflowError as e:
            raise _bad(ts, str(e))
    if isinstance(ts, date):
        return _date_form(ts)
    if isinstance(ts, int):
        return _int_form(ts, ts)
    if isinstance(ts, str):
        return _parse_string(ts, ts)
    raise _bad(ts)


def timestamp_kind(canonical: str) -> TimestampKind:
    """'integer' or 'date' (dates and datetimes are one kind: they may share a list)."""
    return "integer" if canonical.startswith(INT_PREFIX) else "date"


def display_timestamp(canonical: str) -> str:
    """What a user would write for a canonical timestamp: ints unpadded, dates as ISO."""
    if canonical.startswith(INT_PREFIX):
        return str(int(canonical[len(INT_PREFIX):]))
    return canonical
