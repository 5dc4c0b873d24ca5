"""The value types of dates, times and durations: Python's own, or ISO 8601 text
(durations also as seconds), as the Accelerator takes them."""

from __future__ import annotations

import math
import numbers
import re
import sys
from datetime import date, datetime, time, timedelta
from typing import Any

from accel.optiontypes.badvalue import BadValue
from accel.optiontypes.valuetype import ValueType, is_bool

_SHORT_FRACTION = re.compile(r"(\d\d:\d\d:\d\d)\.(\d{1,5})(?!\d)")


def _fromiso(cls: type[date] | type[time], value: str, hint: str) -> Any:
    try:
        if cls is datetime and value[-1:] in ("Z", "z"):
            value = value[:-1] + "+00:00"  # Python 3.10's fromisoformat knows no 'Z'
        if sys.version_info < (3, 11):  # 3.10 takes a fraction of 3 or 6 digits only
            value = _SHORT_FRACTION.sub(lambda m: f"{m[1]}.{m[2]:0<6}", value)
        return cls.fromisoformat(value)
    except ValueError:
        raise BadValue(f"{cls.__name__} (or an ISO string like {hint!r})", value)


class DateType(ValueType):
    text = "date"

    def convert(self, value: Any) -> Any:
        if isinstance(value, datetime):
            raise BadValue("date (a datetime is not a date; use .date())", value)
        if isinstance(value, date):
            return date(value.year, value.month, value.day)
        if isinstance(value, str):
            return _fromiso(date, value, "2020-01-31")
        raise BadValue(self.text, value)


class DateTimeType(ValueType):
    text = "datetime"

    def convert(self, value: Any) -> Any:
        if isinstance(value, datetime):
            if type(value) is datetime:
                return value
            return datetime(value.year, value.month, value.day, value.hour, value.minute,
                            value.second, value.microsecond, value.tzinfo, fold=value.fold)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)  # as the Accelerator (and '2021-08-01')
        if isinstance(value, str):
            return _fromiso(datetime, value, "2020-01-31T12:00:00")
        raise BadValue(self.text, value)


class TimeType(ValueType):
    text = "time"

    def convert(self, value: Any) -> Any:
        if isinstance(value, time):
            if type(value) is time:
                return value
            return time(value.hour, value.minute, value.second, value.microsecond,
                        value.tzinfo, fold=value.fold)
        if isinstance(value, str):
            return _fromiso(time, value, "12:30:00")
        raise BadValue(self.text, value)


_NUM = r"(\d+(?:[.,]\d+)?)"
_DURATION_RE = re.compile(
    rf"([+-])?P(?!$)(?:{_NUM}W)?(?:{_NUM}D)?(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?",
    re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration ('P1DT2H30M', 'PT0.5S', '-P2W') as a timedelta.

    Years and months are refused: their length depends on the calendar. ValueError if the
    text is not such a duration.
    """
    m = _DURATION_RE.fullmatch(text.strip())
    if not m:
        raise ValueError(f"not an ISO 8601 duration (like 'P1DT2H30M' or 'PT90S'): {text!r}")
    sign, *parts = m.groups()
    weeks, days, hours, minutes, seconds = (float(p.replace(",", ".")) if p else 0.0
                                            for p in parts)
    td = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return -td if sign == "-" else td


class TimeDeltaType(ValueType):
    text = "timedelta"

    def convert(self, value: Any) -> Any:
        if isinstance(value, timedelta):
            if type(value) is timedelta:
                return value
            return timedelta(value.days, value.seconds, value.microseconds)
        expected = "timedelta (or seconds, or an ISO 8601 duration like 'PT1H30M')"
        if isinstance(value, numbers.Real) and not is_bool(value):
            try:
                if math.isfinite(value):
                    return timedelta(seconds=float(value))
            except (OverflowError, ValueError):
                pass
            raise BadValue(expected, value)
        if isinstance(value, str):
            try:
                return parse_duration(value)
            except (ValueError, OverflowError):
                raise BadValue(expected, value)
        raise BadValue(self.text, value)
