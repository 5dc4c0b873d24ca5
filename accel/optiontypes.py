"""Compiled option declarations: the value types that check and convert option values.

A method's ``options = dict(...)`` is compiled into one `Field` per option: its
`ValueType` (`IntType`, `ListType`, `EnumType`, ...), default, and whether None or absence
is allowed. Two modules interpret these compiled declarations — `accel.options` checks and
normalises given values, `accel.textvalues` reads options given as text — so they live
here, apart from both, rather than as one module's internals that the other borrows.

The declaration classes (`OptionEnum`, `OptionString`, `RequiredOption`, `OptionDefault`,
`InputFile`)
are here too, because compiling needs them; users import them from `accel.options` (or
`accel`), where the declaration rules are described.
"""

from __future__ import annotations

import math
import numbers
import re
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePath
from typing import Any

from accel.errors import OptionError
from accel.jsoncodec import encode, sort_key

__all__ = [
    "OptionEnum", "OptionString", "RequiredOption", "OptionDefault", "InputFile",
    "InputFileType", "input_files_in",
    "BadValue", "BadDeclaration", "Field", "compile_declaration", "compile_all",
    "ValueType", "IntType", "FloatType", "BoolType", "StrType", "NonEmptyStrType", "DateType",
    "DateTimeType", "TimeType", "TimeDeltaType", "EnumType", "JobWithFileType", "JsonType",
    "JsonScalarType", "ListType", "DictType", "SetType", "PathType",
    "parse_duration", "convert_at", "short_repr", "got_text",
]


# --- the declaration classes -------------------------------------------------------------

class OptionEnum:
    """One of a fixed set of strings: ``OptionEnum('a b c')`` or ``OptionEnum(['a', 'b'])``.

    ``OptionEnum('a b c').b`` is the same declaration with default 'b'. A value ending in
    '*' accepts any string with that prefix ('foo*' accepts 'foobar'). None is accepted when
    there is no default, or with ``none_ok=True``.
    """

    __slots__ = ("_values", "_none_ok", "_default")
    _values: tuple[str, ...]
    _none_ok: bool
    _default: str | None

    def __init__(self, values: str | Iterable[str], none_ok: bool = False,
                 default: str | None = None):
        if isinstance(values, str):
            values = values.split()
        try:
            values = list(values)
        except TypeError:
            raise OptionError("OptionEnum: values must be a str or a list of str, got "
                              f"{got_text(values)}")
        if not values:
            raise OptionError("OptionEnum: no values given")
        for v in values:
            if not isinstance(v, str) or not v:
                raise OptionError("OptionEnum: values must be non-empty strings, got "
                                  f"{got_text(v)}")
        object.__setattr__(self, "_values", tuple(dict.fromkeys(str(v) for v in values)))
        object.__setattr__(self, "_none_ok", bool(none_ok))
        if default is not None and not self._accepts(default):
            raise OptionError(f"OptionEnum: default {default!r} is not {self._text()}")
        object.__setattr__(self, "_default", None if default is None else str(default))

    def _accepts(self, value: str) -> bool:
        for v in self._values:
            if v == value or (v.endswith("*") and value.startswith(v[:-1])):
                return True
        return False

    def _text(self) -> str:
        return "one of " + ", ".join(self._values)

    def __getattr__(self, name: str) -> OptionEnum:
        if name.startswith("_"):
            raise AttributeError(name)
        if not self._accepts(name):
            raise AttributeError(f"{name!r} is not {self._text()}")
        return OptionEnum(self._values, self._none_ok, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("OptionEnum is immutable")

    def __reduce__(self):
        return (OptionEnum, (list(self._values), self._none_ok, self._default))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OptionEnum) and (
            (self._values, self._none_ok, self._default)
            == (other._values, other._none_ok, other._default))

    def __hash__(self) -> int:
        return hash((self._values, self._none_ok, self._default))

    def __repr__(self) -> str:
        extra = "".join([", none_ok=True" if self._none_ok else "",
                         f", default={self._default!r}" if self._default is not None else ""])
        return f"OptionEnum({list(self._values)!r}{extra})"


class OptionString:
    """A required non-empty str. Use the class itself, or ``OptionString('example')`` to
    show an example value in help texts (the option is still required)."""

    __slots__ = ("example",)

    def __init__(self, example: str | None = None):
        if example is not None and not isinstance(example, str):
            raise OptionError(f"OptionString: the example must be a str, got {got_text(example)}")
        self.example = example

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OptionString) and self.example == other.example

    def __hash__(self) -> int:
        return hash(("OptionString", self.example))

    def __repr__(self) -> str:
        return f"OptionString({self.example!r})" if self.example is not None else "OptionString()"


class RequiredOption:
    """An option that must be given, typed as ``value`` declares (which is not a default).
    None is accepted only with ``none_ok=True`` (but must still be given explicitly)."""

    __slots__ = ("value", "none_ok")

    def __init__(self, value: Any, none_ok: bool = False):
        self.value = value
        self.none_ok = bool(none_ok)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RequiredOption) and (self.value, self.none_ok) == (
            other.value, other.none_ok)

    # unhashable (value may be a list): Python's way to say so, which mypy takes for a
    # method replaced by None
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RequiredOption({self.value!r}{', none_ok=True' if self.none_ok else ''})"


class OptionDefault:
    """Typed as ``value`` declares, with ``default`` as the default — the way to give a
    container a non-empty default: ``OptionDefault([str], ['a', 'b'])``."""

    __slots__ = ("value", "default")

    def __init__(self, value: Any, default: Any = None):
        self.value = value
        self.default = default

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OptionDefault) and (self.value, self.default) == (
            other.value, other.default)

    __hash__ = None  # type: ignore[assignment]  # unhashable, as RequiredOption

    def __repr__(self) -> str:
        return f"OptionDefault({self.value!r}, {self.default!r})"


class InputFile:
    """An option naming a file the job reads from outside the workdirs: a str, relative to
    the input directory (as ``job.input_filename`` makes it; an absolute path is itself).
    The file's content is part of the job's identity (accel.plan fingerprints it): a
    changed file gives a new job. A folder names the files in it that match ``pattern``;
    a glob pattern the files it matches.

    ``InputFile()``: optional, None (or '') when no file is given; ``InputFile('a.csv')``:
    that default; ``InputFile(required=True)``: must be given. ``track=False`` keeps the
    Accelerator's way: the name is an option like any str, the content is no part of the
    identity (and reading the file is not warned about).
    """

    __slots__ = ("default", "required", "pattern", "track")

    def __init__(self, default: str | None = None, *, required: bool = False,
                 pattern: str = "*", track: bool = True):
        if default is not None and not isinstance(default, (str, PurePath)):
            raise OptionError(f"InputFile: the default must be a str, got {got_text(default)}")
        if required and default:
            raise OptionError("InputFile: required=True and a default make no sense together")
        if not isinstance(pattern, str) or not pattern:
            raise OptionError(f"InputFile: pattern must be a glob pattern like '*.csv', got "
                              f"{got_text(pattern)}")
        self.default = None if default is None else str(default)
        self.required = bool(required)
        self.pattern = pattern
        self.track = bool(track)

    def _key(self) -> tuple:
        return (self.default, self.required, self.pattern, self.track)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InputFile) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(("InputFile", *self._key()))

    def __repr__(self) -> str:
        args = [repr(self.default)] if self.default is not None else []
        args += [f"{k}={v!r}" for k, v, plain in (("required", self.required, False),
                                                  ("pattern", self.pattern, "*"),
                                                  ("track", self.track, True)) if v != plain]
        return f"InputFile({', '.join(args)})"


for _cls in (OptionEnum, OptionString, RequiredOption, OptionDefault, InputFile):
    _cls.__module__ = "accel.options"  # how users import and see them (and pickles name them)
del _cls


# --- small helpers -------------------------------------------------------------------------

def short_repr(value: Any) -> str:
    """A value as a message shows it: its repr on one line, cut to 60 characters."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= 60 else text[:57] + "..."


def got_text(value: Any) -> str:
    """How an error message shows the offending value: 'x' (str)."""
    if value is None:
        return "None"
    return f"{short_repr(value)} ({type(value).__name__})"


def _jobwithfile_class() -> type | None:
    """accel.job.JobWithFile, imported late (job.py is a higher room, and slow to import)."""
    try:
        from accel.job import JobWithFile
    except ModuleNotFoundError as e:
        if e.name not in ("accel.job", "accel"):
            raise
        return None
    return JobWithFile


class BadValue(Exception):
    """A value does not fit; carries where in the value (path) and what was expected."""

    def __init__(self, expected: str, value: Any):
        super().__init__(expected)
        self.expected = expected
        self.value = value
        self.path: list[str] = []

    def where(self) -> str:
        out = "".join(t if t.startswith("[") else " " + t for t in self.path).strip()
        return f" at {out}" if out else ""

    def text(self) -> str:
        return f"expected {self.expected}, got {got_text(self.value)}"


class BadDeclaration(Exception):
    """A declaration that cannot be understood."""


# --- value types ---------------------------------------------------------------------------

class ValueType:
    """What a compiled declaration accepts: `convert` checks a value and returns its
    canonical form, or raises BadValue; `text` names the type in messages."""

    text = "?"
    hashable = True   # its values can be dict keys / set elements

    def convert(self, value: Any) -> Any:
        raise NotImplementedError


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or (type(value).__name__ in ("bool", "bool_")
                                       and type(value).__module__ == "numpy")


class IntType(ValueType):
    text = "int"

    def convert(self, value: Any) -> Any:
        if isinstance(value, numbers.Integral) and not _is_bool(value):
            return int(value)
        raise BadValue(self.text, value)


class FloatType(ValueType):
    text = "float"

    def convert(self, value: Any) -> Any:
        if isinstance(value, numbers.Real) and not _is_bool(value):
            try:
                return float(value)
            except (OverflowError, ValueError, TypeError):
                pass
        raise BadValue(self.text, value)


class BoolType(ValueType):
    text = "bool"

    def convert(self, value: Any) -> Any:
        if _is_bool(value):
            return bool(value)
        raise BadValue(self.text, value)


class StrType(ValueType):
    text = "str"

    def convert(self, value: Any) -> Any:
        if isinstance(value, str):
            return str(value)
        raise BadValue(self.text, value)


class NonEmptyStrType(ValueType):
    text = "non-empty str"

    def convert(self, value: Any) -> Any:
        if isinstance(value, str) and value:
            return str(value)
        raise BadValue(self.text, value)


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
        if isinstance(value, numbers.Real) and not _is_bool(value):
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


class InputFileType(StrType):
    """A str naming input files (accel.inputfiles says which); '' names none."""

    def __init__(self, decl: InputFile):
        self.decl = decl
        self.text = "input file name (non-empty str)" if decl.required else "input file name (str)"

    def convert(self, value: Any) -> Any:
        if isinstance(value, PurePath):
            value = str(value)
        if isinstance(value, str) and (value or not self.decl.required):
            return str(value)
        raise BadValue(self.text, value)


class EnumType(ValueType):
    def __init__(self, enum: OptionEnum):
        self.enum = enum
        self.text = enum._text()

    def convert(self, value: Any) -> Any:
        if isinstance(value, str) and self.enum._accepts(value):
            return str(value)
        raise BadValue(self.text, value)


class JobWithFileType(ValueType):
    text = "JobWithFile"

    def __init__(self, cls: type):
        self.cls = cls

    def convert(self, value: Any) -> Any:
        if isinstance(value, self.cls):
            try:
                encode(value)
            except TypeError as e:
                raise BadValue(f"JobWithFile with a storable extra ({e})", value)
            return value
        raise BadValue("JobWithFile (job.withfile(name))", value)


_JSON_TEXT = "JSON value (None, bool, number, str, list, or dict with str keys)"


class JsonType(ValueType):
    """Any JSON value; tuples become lists, dict keys are sorted."""

    text = "any JSON value"
    hashable = False

    def convert(self, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return str(value)
        if isinstance(value, numbers.Integral) and not _is_bool(value):
            return int(value)
        if isinstance(value, numbers.Real) and not _is_bool(value):
            return float(value)
        if isinstance(value, (list, tuple)):
            return [convert_at(self.convert, v, f"[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            for k in value:
                if not isinstance(k, str):
                    e = BadValue("str (JSON keys are strings)", k)
                    e.path.append(f"key {short_repr(k)}")
                    raise e
            keys = value if isinstance(value, OrderedDict) else sorted(value)
            out = {str(k): convert_at(self.convert, value[k], f"[{short_repr(k)}]") for k in keys}
            return OrderedDict(out) if isinstance(value, OrderedDict) else out
        if _is_bool(value):
            return bool(value)
        raise BadValue(_JSON_TEXT, value)


class JsonScalarType(ValueType):
    text = "JSON scalar (None, bool, number or str)"

    def convert(self, value: Any) -> Any:
        if value is None or isinstance(value, (str, numbers.Real)) or _is_bool(value):
            return _JSON.convert(value)
        raise BadValue(self.text, value)


_JSON = JsonType()
_JSON_SCALAR = JsonScalarType()


def convert_at(convert: Callable[[Any], Any], value: Any, token: str) -> Any:
    """convert(value), adding where in the value (token, like '[2]') to any BadValue,
    so the message can say where inside a container the value went wrong."""
    try:
        return convert(value)
    except BadValue as e:
        e.path.insert(0, token)
        raise


def _nested(text: str) -> str:
    return f"({text})" if "," in text else text


def _canonical_order(keys: Iterable[Any]) -> list:
    """Dict keys in the codec's canonical order (numbers by value, str keys sorted)."""
    keys = list(keys)
    if all(isinstance(k, str) for k in keys):
        return sorted(keys)
    return sorted(keys, key=sort_key)


def _split_text(typ: ValueType, value: str, convert: Callable[[list[str]], Any]) -> Any:
    """A str given for a list or set: its comma-separated parts, stripped, as the
    Accelerator reads it (`'a, b'` is `['a', 'b']`). The parts are values as they are,
    not text to parse: they must fit the elements as a str does."""
    try:
        return convert([part.strip() for part in value.split(",")])
    except BadValue:
        raise BadValue(typ.text, value) from None


class ListType(ValueType):
    hashable = False

    def __init__(self, elem: Field | None):
        self.elem = elem
        self.text = "list" if elem is None else f"list of {_nested(elem.typ.text)}"

    def convert(self, value: Any) -> Any:
        if isinstance(value, str):
            return _split_text(self, value, self.convert)
        if not isinstance(value, (list, tuple)):
            raise BadValue(self.text, value)
        if self.elem is None:
            return [convert_at(_JSON.convert, v, f"[{i}]") for i, v in enumerate(value)]
        return [convert_at(self.elem.convert, v, f"[{i}]") for i, v in enumerate(value)]


class PathType(ValueType):
    """A pathlib.Path (or PurePath), as the Accelerator takes it: a str or a path."""

    def __init__(self, cls: type):
        self.cls = cls
        self.text = cls.__name__

    def convert(self, value: Any) -> Any:
        if isinstance(value, (str, PurePath)):
            return self.cls(value)
        raise BadValue(f"{self.text} (or a str)", value)


class DictType(ValueType):
    hashable = False

    def __init__(self, key: Field | None, val: Field | None):
        self.key, self.val = key, val  # both None for any JSON dict, or both given
        if key is None or val is None:
            self.text = "dict"
        else:
            self.text = f"dict of {_nested(key.typ.text)} to {_nested(val.typ.text)}"

    def convert(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise BadValue(self.text, value)
        key, val = self.key, self.val
        if key is None or val is None:
            return _JSON.convert(value)
        out = {}
        for k, v in value.items():
            nk = convert_at(key.convert, k, f"key {short_repr(k)}")
            out[nk] = convert_at(val.convert, v, f"[{short_repr(k)}]")
        if isinstance(value, OrderedDict):  # its order is part of the value (the Accelerator's)
            return OrderedDict(out)
        return {k: out[k] for k in _canonical_order(out)}


class SetType(ValueType):
    hashable = False

    def __init__(self, elem: Field | None):
        self.elem = elem
        self.text = "set" if elem is None else f"set of {_nested(elem.typ.text)}"

    def convert(self, value: Any) -> Any:
        if isinstance(value, str):
            return _split_text(self, value, self.convert)
        if not isinstance(value, (set, frozenset, list, tuple)):
            raise BadValue(self.text, value)
        convert = _JSON_SCALAR.convert if self.elem is None else self.elem.convert
        return {convert_at(convert, v, "a set element") for v in value}


_SCALAR_TYPES: dict[type, ValueType] = {
    int: IntType(), float: FloatType(), bool: BoolType(), str: StrType(),
    date: DateType(), datetime: DateTimeType(), time: TimeType(), timedelta: TimeDeltaType(),
    Path: PathType(Path), PurePath: PathType(PurePath),
}
# what type(Path('x')) is: the Accelerator's rule, a PosixPath declares a Path
_SCALAR_TYPES[type(Path())] = _SCALAR_TYPES[Path]
_SCALAR_TYPES[type(PurePath())] = _SCALAR_TYPES[PurePath]


def _example_type(value: Any) -> ValueType | None:
    """The type a value declares by example (bool before int, datetime before date)."""
    for cls in (bool, int, float, str, datetime, date, time, timedelta, Path, PurePath):
        if isinstance(value, cls):
            return _SCALAR_TYPES[cls]
    if isinstance(value, numbers.Integral) and not _is_bool(value):
        return _SCALAR_TYPES[int]  # numpy ints and the like
    if isinstance(value, numbers.Real) and not _is_bool(value):
        return _SCALAR_TYPES[float]
    jwf = _jobwithfile_class()
    if jwf is not None and isinstance(value, jwf):
        return JobWithFileType(jwf)
    return None


# --- compiled declarations -----------------------------------------------------------------

class Field:
    """What one declaration means: its type, default, and whether None / absence is allowed.

    `none_ok`: None is one of its values (the default is None, or none_ok=True said so);
    `none_given`: a None given as a Python value is taken as None all the same (the
    Accelerator's rule for a declaration by example or container, ``flag=False`` given
    ``flag=None``), though a text 'None' stays text there (`accel.textvalues`)."""

    __slots__ = ("typ", "default", "required", "none_ok", "none_given", "show_default",
                 "example")

    def __init__(self, typ: ValueType, default: Any = None, *, required: bool = False,
                 none_ok: bool = False, show_default: bool = False, example: Any = None,
                 none_given: bool = False):
        self.typ = typ
        self.default = default
        self.required = required
        self.none_ok = none_ok
        self.none_given = none_given or none_ok
        self.show_default = show_default
        self.example = example

    def convert(self, value: Any) -> Any:
        if value is None:
            if self.none_given:
                return None
            raise BadValue(self.typ.text, value)
        return self.typ.convert(value)


def _ambiguous(decl: Any) -> BadDeclaration:
    return BadDeclaration(
        f"an example value ({short_repr(decl)}) inside a container is ambiguous: write the type "
        f"(e.g. [int], {{str: int}}), and use OptionDefault(...) for a default")


def _compile_elem(decl: Any, keylike: bool = False) -> Field:
    """An element declaration inside a container: a type, not an example or a default."""
    if isinstance(decl, (RequiredOption, OptionDefault)):
        raise BadDeclaration(f"{type(decl).__name__} cannot be used inside a container")
    if decl is not None and not isinstance(decl, (type, list, dict, set, OptionEnum,
                                                   OptionString, InputFile)):
        if type(decl) not in _SCALAR_TYPES:
            raise _ambiguous(decl)
        decl = type(decl)  # the Accelerator's rule: an example types the elements
    f = compile_declaration(decl)
    f.required = False
    f.none_given = f.none_ok  # inside a container, None is only where the type says so
    if keylike:
        if not f.typ.hashable:
            raise BadDeclaration(f"{f.typ.text} cannot be a dict key or set element; use a type"
                           " like int or str")
    return f


def compile_declaration(decl: Any) -> Field:
    """Turn one declaration into a Field, or raise BadDeclaration saying why it cannot."""
    if decl is None:
        return Field(_JSON, None, none_ok=True)
    if isinstance(decl, type):
        if decl in _SCALAR_TYPES:
            return Field(_SCALAR_TYPES[decl], None, none_ok=True)
        if decl is OptionString:
            return Field(NonEmptyStrType(), None, required=True)
        jwf = _jobwithfile_class()
        if jwf is not None and decl is jwf:
            return Field(JobWithFileType(jwf), None, none_ok=True)
        if decl in (OptionEnum, RequiredOption, OptionDefault):
            raise BadDeclaration(f"{decl.__name__} needs arguments, like {decl.__name__}(...)")
        if decl in (list, tuple, dict, set, frozenset):
            raise BadDeclaration("write a container by example: [], [int], {}, {str: int}, set(), {int}")
        raise BadDeclaration(f"{decl.__name__} is not an option type (types: int, float, str, bool,"
                       " date, datetime, time, timedelta, Path, PurePath, JobWithFile)")
    if isinstance(decl, OptionEnum):
        return Field(EnumType(decl), decl._default, none_ok=decl._none_ok or decl._default is None,
                      show_default=True)
    if isinstance(decl, OptionString):
        return Field(NonEmptyStrType(), None, required=True, example=decl.example)
    if isinstance(decl, InputFile):
        return Field(InputFileType(decl), decl.default, required=decl.required,
                     none_ok=not decl.required, show_default=decl.default is not None)
    if isinstance(decl, RequiredOption):
        if isinstance(decl.value, (RequiredOption, OptionDefault)):
            raise BadDeclaration(f"RequiredOption of {type(decl.value).__name__} makes no sense")
        inner = compile_declaration(decl.value)
        return Field(inner.typ, None, required=True, none_ok=decl.none_ok,
                      example=inner.example)
    if isinstance(decl, OptionDefault):
        if isinstance(decl.value, (RequiredOption, OptionDefault)):
            raise BadDeclaration(f"OptionDefault of {type(decl.value).__name__} makes no sense")
        inner = compile_declaration(decl.value)
        none_ok = decl.default is None or (isinstance(decl.value, OptionEnum)
                                           and decl.value._none_ok)
        default = None
        if decl.default is not None:
            try:
                default = inner.typ.convert(decl.default)
            except BadValue as e:
                raise BadDeclaration(f"the default {short_repr(decl.default)} does not fit:"
                               f" {e.where().strip()}{': ' if e.path else ''}{e.text()}") from None
        return Field(inner.typ, default, none_ok=none_ok, show_default=True,
                      example=inner.example)
    if isinstance(decl, list):
        if decl and all(_is_example(v) for v in decl):
            return _example_list(decl)
        if len(decl) > 1:
            raise BadDeclaration("a list declaration takes at most one element type, like [int];"
                           " use OptionDefault([T], [...]) for a default")
        return Field(ListType(_compile_elem(decl[0]) if decl else None), [], none_given=True)
    if isinstance(decl, dict):
        if decl and all(isinstance(k, (str, int, float)) and not _is_bool(k) for k in decl):
            return _example_dict(decl)
        if len(decl) > 1:
            raise BadDeclaration("a dict declaration takes at most one key: value type pair, like"
                           " {str: int}; use OptionDefault({K: V}, {...}) for a default")
        if not decl:
            return Field(DictType(None, None), {}, none_given=True)
        (k, v), = decl.items()
        return Field(DictType(_compile_elem(k, keylike=True), _compile_elem(v)), {}, none_given=True)
    if isinstance(decl, (set, frozenset)):
        if isinstance(decl, frozenset):
            raise BadDeclaration("write a set declaration as set() or {T}")
        if len(decl) > 1:
            raise BadDeclaration("a set declaration takes at most one element type, like {int}")
        elem = _compile_elem(next(iter(decl)), keylike=True) if decl else None
        return Field(SetType(elem), set(), none_given=True)
    if isinstance(decl, tuple):
        raise BadDeclaration("tuples are not option declarations; use a list, like [int]")
    typ = _example_type(decl)
    if typ is not None:
        try:
            default = typ.convert(decl)
        except BadValue as e:  # e.g. a float that does not convert
            raise BadDeclaration(e.text()) from None
        return Field(typ, default, none_given=True, show_default=True)
    raise BadDeclaration(f"{type(decl).__name__} values cannot declare an option")


def _is_example(decl: Any) -> bool:
    """Is this element of a list declaration an example value (1, 'a', [1]) rather than
    a type (int, [str], OptionEnum(...), None)?"""
    if isinstance(decl, list):
        return bool(decl) and all(_is_example(v) for v in decl)
    return type(decl) in _SCALAR_TYPES


def _example_list(decl: list) -> Field:
    """A list of example values (``[1]``, ``['a', 'b']``): its default, as in the
    Accelerator, with the first element typing the rest and what is given."""
    typ = ListType(_compile_elem(decl[0]))
    try:
        default = typ.convert(decl)
    except BadValue as e:
        raise BadDeclaration(f"the elements of an example list must all be like its first"
                             f" ({short_repr(decl[0])}), but{e.where()}: {e.text()}") from None
    return Field(typ, default, none_given=True, show_default=True)


def _example_dict(decl: dict) -> Field:
    """A dict of example keys and values (``{'a': 1, 'b': 2}``): its default, as in the
    Accelerator, with the first key and value typing the rest and what is given. An
    OrderedDict keeps its order, a plain dict is sorted."""
    (k, v), *_ = decl.items()
    typ = DictType(_compile_elem(k, keylike=True), _compile_elem(v))
    try:
        default = typ.convert(decl)
    except BadValue as e:
        raise BadDeclaration(f"the keys and values of an example dict must all be like its first"
                             f" ({short_repr(k)}: {short_repr(v)}), but{e.where()}: {e.text()}"
                             ) from None
    return Field(typ, default, none_given=True, show_default=True)


def input_files_in(fields: dict[str, Field], values: dict) -> list[tuple[str, InputFile, str]]:
    """(option name, its InputFile declaration, value) of each input file named in
    normalised option `values`, in containers too; None and '' name none."""
    found: list[tuple[str, InputFile, str]] = []

    def walk(name: str, typ: ValueType, value: Any) -> None:
        if isinstance(typ, InputFileType):
            if value:
                found.append((name, typ.decl, value))
        elif isinstance(typ, (ListType, SetType)) and typ.elem is not None and value:
            for v in value:
                walk(name, typ.elem.typ, v)
        elif isinstance(typ, DictType) and typ.val is not None and value:
            for v in value.values():
                walk(name, typ.val.typ, v)

    for name, f in fields.items():
        walk(name, f.typ, values.get(name))
    return found


def compile_all(method: str, declared: Any) -> dict[str, Field]:
    """{name: Field} for a method's options declaration, in its order; an OptionError
    naming the option for a declaration that cannot be understood."""
    if declared is None:
        return {}
    if not isinstance(declared, dict):
        raise OptionError(f"method {method!r}: options must be a dict, got {got_text(declared)}")
    fields = {}
    for name, decl in declared.items():
        if not isinstance(name, str):
            raise OptionError(f"method {method!r}: option names must be str, got {got_text(name)}")
        try:
            fields[name] = compile_declaration(decl)
        except BadDeclaration as e:
            raise OptionError(f"method {method!r}: option {name!r}: cannot understand the"
                              f" declaration {short_repr(decl)}: {e}") from None
    return fields

