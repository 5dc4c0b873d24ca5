"""Times and durations as people type them on the command line (`--since 2h`,
`--until 2026-11-21`, `--older-than 3d`), each mistake one line naming the flag."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from accel.errors import UserError

_UNITS = {"w": 604800.0, "week": 604800.0, "weeks": 604800.0,
          "d": 86400.0, "day": 86400.0, "days": 86400.0,
          "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
          "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
          "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0}
_NUMBER_RE = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_PART_RE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)")


def parse_duration(text: str) -> float:
    """Seconds from '90', '1.5', '1m30s', '2h', '3d', '1w', '1h 30m'; ValueError otherwise.

    A bare number is seconds: this is how long something ran (`--min-runtime 90`), where
    seconds read naturally; a point in time (parse_when) asks for the unit."""
    t = text.strip().lower()
    try:
        seconds = float(t)
    except ValueError:
        pass
    else:
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
        raise ValueError(f"{text!r} is not a duration (like 90, 1m30s, 2h, 3d)")
    pos, total = 0, 0.0
    for m in _PART_RE.finditer(t):
        if m.start() != pos or m.group(2) not in _UNITS:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos == 0 or t[pos:].strip():
        raise ValueError(f"{text!r} is not a duration (like 90, 1m30s, 2h, 3d)")
    return total


def parse_when(text: str, now: float | None = None, end_of_day: bool = False) -> float:
    """A point in time (unix seconds) from a date (2026-11-21, local midnight; with
    `end_of_day` the midnight after it), a datetime (2026-11-21T14:30, 2026-11-21 14:30,
    with or without a UTC offset; local time without), an age (2h, 3d, 1h30m: that long
    ago), now, today or yesterday. ValueError otherwise -- also for an age without a
    unit: `--since 2` is more likely 2 hours or days than 2 seconds, so it is asked."""
    now = time.time() if now is None else now
    t = text.strip()
    low = t.lower()
    if low == "now":
        return now
    if low in ("today", "yesterday"):
        day = datetime.fromtimestamp(now).date() - timedelta(days=low == "yesterday")
        return _day_start(day, end_of_day)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", t):
        try:
            return _day_start(date.fromisoformat(t), end_of_day)
        except ValueError:
            pass
    elif re.match(r"\d{4}-\d\d-\d\d[T ]", t):
        try:
            return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    else:
        age = re.sub(r"\s+ago$", "", low)
        if _NUMBER_RE.fullmatch(age):  # 2 seconds ago is never what was meant
            raise ValueError(f"{age} what? say {age}m, {age}h, {age}d or {age}w (that long "
                             "ago), or a date (2026-11-21)")
        try:
            return now - parse_duration(age)
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date (2026-11-21), a datetime (2026-11-21T14:30) "
                     "or an age (2h, 3d, 1w)")


def _day_start(day: date, next_day: bool) -> float:
    if next_day:
        day = day + timedelta(days=1)
    return datetime(day.year, day.month, day.day).timestamp()


def user_value(flag: str, parse: Callable[..., Any], text: str, *args: Any) -> Any:
    """`parse(text, *args)`, its ValueError as one line naming `flag` (a UserError)."""
    try:
        return parse(text, *args)
    except ValueError as e:
        raise UserError(f"{flag}: {e}") from None
