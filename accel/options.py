"""Option declarations typed by example; checking and canonical normalisation of given values.

A method declares ``options = dict(...)``; a build gives values. `normalise_options` checks
the given values against the declarations and returns the canonical form that goes into the
job's identity, so that equal requests give equal jobs: defaults filled in, ints made floats
where a float is declared, ISO strings made dates, dict keys sorted, tuples made lists.

Declarations (SPEC §2):

- a type (int, float, str, bool, date, datetime, time, timedelta): that type or None,
  default None. date/datetime/time also take an ISO-format string; timedelta takes an ISO
  8601 duration ('P1DT2H', 'PT0.5S', '-PT1M'; no years or months) or a number of seconds.
  A datetime is not accepted as a date, nor a date as a datetime.
- a value: it is the default; given values must be of its type (an int is accepted where a
  float is declared, and becomes a float; a bool is never an int).
- ``[]``, ``{}``, ``set()``: a list, a dict with str keys, a set, of any JSON values; default
  empty. ``[T]``, ``{K: V}``, ``{T}``: elements typed by the declarations T, K, V (types,
  containers, None, OptionEnum, OptionString, JobWithFile — not example values, which would be
  ambiguous: use OptionDefault for a container with a default). A tuple is accepted for a
  list; a list, tuple or frozenset for a set.
- ``None``: any JSON value (None, bool, int, float, str, lists, dicts with str keys); tuples
  become lists.
- `OptionEnum`, `OptionString`, `RequiredOption`, `OptionDefault`, and the class
  ``JobWithFile`` (a JobWithFile or None).

None is accepted where the default is None (a bare type, ``None``, an OptionEnum without a
default, ``OptionDefault(T)``, JobWithFile; also as an element: ``[int]`` takes
``[1, None]``), and where ``none_ok=True`` says so (OptionEnum, RequiredOption) — never for
OptionString, and not for a required option without none_ok. So ``x=5`` always gives a
method an int, and passing a default explicitly is always allowed. None given stays None;
it never means "use the default".

Every error is an `OptionError` with a one-line message naming the method, the option and
what was expected.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from accel.dotdict import DotDict
from accel.errors import OptionError
from accel.jsoncodec import encode, sort_key

__all__ = [
    "OptionEnum", "OptionString", "RequiredOption", "OptionDefault",
    "normalise_options", "check_declaration", "describe", "split_kw", "normalise_inputs",
]


# --- the declaration classes -------------------------------------------------------------

class OptionEnum:
    """One of a fixed set of strings: ``OptionEnum('a b c')`` or ``OptionEnum(['a', 'b'])``.

    ``OptionEnum('a b c').b`` is the same declaration with default 'b'. A value ending in
    '*' accepts any string with that prefix ('foo*' accepts 'foobar'). None is accepted when
    there is no default, or with ``none_ok=True``.
    """

    __slots__ = ("_values", "_none_ok", "_default")

    def __init__(self, values: str | Iterable[str], none_ok: bool = False,
                 default: str | None = None):
        if isinstance(values, str):
            values = values.split()
        try:
            values = list(values)
        except TypeError:
            raise OptionError(f"OptionEnum: values must be a str or a list of str, got {_got(values)}")
        if not values:
            raise OptionError("OptionEnum: no values given")
        for v in values:
            if not isinstance(v, str) or not v:
                raise OptionError(f"OptionEnum: values must be non-empty strings, got {_got(v)}")
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
            raise OptionError(f"OptionString: the example must be a str, got {_got(example)}")
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

    __hash__ = None  # type: ignore[assignment]  # value may be a list

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

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"OptionDefault({self.value!r}, {self.default!r})"


# --- small helpers -------------------------------------------------------------------------

def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= 60 else text[:57] + "..."


def _got(value: Any) -> str:
    """How an error message shows the offending value: 'x' (str)."""
    if value is None:
        return "None"
    return f"{_short(value)} ({type(value).__name__})"


def _jobwithfile_class() -> type | None:
    """accel.job.JobWithFile, imported late (job.py is a higher room, and slow to import)."""
    try:
        from accel.job import JobWithFile
    except ModuleNotFoundError as e:
        if e.name not in ("accel.job", "accel"):
            raise
        return None
    return JobWithFile


def _close(name: str, candidates: Iterable[str]) -> str:
    import difflib

    match = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _names(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(names) if names else "none"


def unknown_name(method: str, what: str, name: str, options: Iterable[str],
                 datasets: Iterable[str], jobs: Iterable[str]) -> OptionError:
    """The error for a name the method declares as no option nor input: close names,
    then every declared one."""
    options, datasets, jobs = list(options), list(datasets), list(jobs)
    return OptionError(
        f"method {method!r}: unknown {what} {name!r}{_close(name, options + datasets + jobs)};"
        f" it takes options: {_names(options)}; datasets: {_names(datasets)};"
        f" jobs: {_names(jobs)}")


class _Bad(Exception):
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
        return f"expected {self.expected}, got {_got(self.value)}"


class _BadDecl(Exception):
    """A declaration that cannot be understood."""


# --- value types ---------------------------------------------------------------------------

class _Type:
    text = "?"
    hashable = True   # its values can be dict keys / set elements

    def convert(self, value: Any) -> Any:
        raise NotImplementedError


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or (type(value).__name__ in ("bool", "bool_")
                                       and type(value).__module__ == "numpy")


class _Int(_Type):
    text = "int"

    def convert(self, value):
        if isinstance(value, numbers.Integral) and not _is_bool(value):
            return int(value)
        raise _Bad(self.text, value)


class _Float(_Type):
    text = "float"

    def convert(self, value):
        if isinstance(value, numbers.Real) and not _is_bool(value):
            try:
                return float(value)
            except (OverflowError, ValueError, TypeError):
                pass
        raise _Bad(self.text, value)


class _Bool(_Type):
    text = "bool"

    def convert(self, value):
        if _is_bool(value):
            return bool(value)
        raise _Bad(self.text, value)


class _Str(_Type):
    text = "str"

    def convert(self, value):
        if isinstance(value, str):
            return str(value)
        raise _Bad(self.text, value)


class _NonEmptyStr(_Type):
    text = "non-empty str"

    def convert(self, value):
        if isinstance(value, str) and value:
            return str(value)
        raise _Bad(self.text, value)


def _fromiso(cls: type, value: str, hint: str) -> Any:
    try:
        if cls is datetime and value[-1:] in ("Z", "z"):
            value = value[:-1] + "+00:00"  # Python 3.10's fromisoformat knows no 'Z'
        return cls.fromisoformat(value)
    except ValueError:
        raise _Bad(f"{cls.__name__} (or an ISO string like {hint!r})", value)


class _Date(_Type):
    text = "date"

    def convert(self, value):
        if isinstance(value, datetime):
            raise _Bad("date (a datetime is not a date; use .date())", value)
        if isinstance(value, date):
            return date(value.year, value.month, value.day)
        if isinstance(value, str):
            return _fromiso(date, value, "2020-01-31")
        raise _Bad(self.text, value)


class _DateTime(_Type):
    text = "datetime"

    def convert(self, value):
        if isinstance(value, datetime):
            if type(value) is datetime:
                return value
            return datetime(value.year, value.month, value.day, value.hour, value.minute,
                            value.second, value.microsecond, value.tzinfo, fold=value.fold)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)  # as the Accelerator (and '2021-08-01')
        if isinstance(value, str):
            return _fromiso(datetime, value, "2020-01-31T12:00:00")
        raise _Bad(self.text, value)


class _Time(_Type):
    text = "time"

    def convert(self, value):
        if isinstance(value, time):
            if type(value) is time:
                return value
            return time(value.hour, value.minute, value.second, value.microsecond,
                        value.tzinfo, fold=value.fold)
        if isinstance(value, str):
            return _fromiso(time, value, "12:30:00")
        raise _Bad(self.text, value)


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


class _TimeDelta(_Type):
    text = "timedelta"

    def convert(self, value):
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
            raise _Bad(expected, value)
        if isinstance(value, str):
            try:
                return parse_duration(value)
            except (ValueError, OverflowError):
                raise _Bad(expected, value)
        raise _Bad(self.text, value)


class _Enum(_Type):
    def __init__(self, enum: OptionEnum):
        self.enum = enum
        self.text = enum._text()

    def convert(self, value):
        if isinstance(value, str) and self.enum._accepts(value):
            return str(value)
        raise _Bad(self.text, value)


class _JobWithFile(_Type):
    text = "JobWithFile"

    def __init__(self, cls: type):
        self.cls = cls

    def convert(self, value):
        if isinstance(value, self.cls):
            try:
                encode(value)
            except TypeError as e:
                raise _Bad(f"JobWithFile with a storable extra ({e})", value)
            return value
        raise _Bad("JobWithFile (job.withfile(name))", value)


_JSON_TEXT = "JSON value (None, bool, number, str, list, or dict with str keys)"


class _Json(_Type):
    """Any JSON value; tuples become lists, dict keys are sorted."""

    text = "any JSON value"
    hashable = False

    def convert(self, value):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return str(value)
        if isinstance(value, numbers.Integral) and not _is_bool(value):
            return int(value)
        if isinstance(value, numbers.Real) and not _is_bool(value):
            return float(value)
        if isinstance(value, (list, tuple)):
            return [_at(self.convert, v, f"[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            for k in value:
                if not isinstance(k, str):
                    e = _Bad("str (JSON keys are strings)", k)
                    e.path.append(f"key {_short(k)}")
                    raise e
            return {str(k): _at(self.convert, value[k], f"[{_short(k)}]") for k in sorted(value)}
        if _is_bool(value):
            return bool(value)
        raise _Bad(_JSON_TEXT, value)


class _JsonScalar(_Type):
    text = "JSON scalar (None, bool, number or str)"

    def convert(self, value):
        if value is None or isinstance(value, (str, numbers.Real)) or _is_bool(value):
            return _JSON.convert(value)
        raise _Bad(self.text, value)


_JSON = _Json()
_JSON_SCALAR = _JsonScalar()


def _at(convert, value: Any, token: str) -> Any:
    """convert(value), adding where in the value to any error."""
    try:
        return convert(value)
    except _Bad as e:
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


class _List(_Type):
    hashable = False

    def __init__(self, elem: _Field | None):
        self.elem = elem
        self.text = "list" if elem is None else f"list of {_nested(elem.typ.text)}"

    def convert(self, value):
        if not isinstance(value, (list, tuple)):
            raise _Bad(self.text, value)
        if self.elem is None:
            return [_at(_JSON.convert, v, f"[{i}]") for i, v in enumerate(value)]
        return [_at(self.elem.convert, v, f"[{i}]") for i, v in enumerate(value)]


class _Dict(_Type):
    hashable = False

    def __init__(self, key: _Field | None, val: _Field | None):
        self.key, self.val = key, val
        if key is None:
            self.text = "dict"
        else:
            self.text = f"dict of {_nested(key.typ.text)} to {_nested(val.typ.text)}"

    def convert(self, value):
        if not isinstance(value, dict):
            raise _Bad(self.text, value)
        if self.key is None:
            return _JSON.convert(value)
        out = {}
        for k, v in value.items():
            nk = _at(self.key.convert, k, f"key {_short(k)}")
            out[nk] = _at(self.val.convert, v, f"[{_short(k)}]")
        return {k: out[k] for k in _canonical_order(out)}


class _Set(_Type):
    hashable = False

    def __init__(self, elem: _Field | None):
        self.elem = elem
        self.text = "set" if elem is None else f"set of {_nested(elem.typ.text)}"

    def convert(self, value):
        if not isinstance(value, (set, frozenset, list, tuple)):
            raise _Bad(self.text, value)
        convert = _JSON_SCALAR.convert if self.elem is None else self.elem.convert
        return {_at(convert, v, "a set element") for v in value}


_SCALAR_TYPES: dict[type, _Type] = {
    int: _Int(), float: _Float(), bool: _Bool(), str: _Str(),
    date: _Date(), datetime: _DateTime(), time: _Time(), timedelta: _TimeDelta(),
}


def _example_type(value: Any) -> _Type | None:
    """The type a value declares by example (bool before int, datetime before date)."""
    for cls in (bool, int, float, str, datetime, date, time, timedelta):
        if isinstance(value, cls):
            return _SCALAR_TYPES[cls]
    if isinstance(value, numbers.Integral) and not _is_bool(value):
        return _SCALAR_TYPES[int]  # numpy ints and the like
    if isinstance(value, numbers.Real) and not _is_bool(value):
        return _SCALAR_TYPES[float]
    jwf = _jobwithfile_class()
    if jwf is not None and isinstance(value, jwf):
        return _JobWithFile(jwf)
    return None


# --- compiled declarations -----------------------------------------------------------------

class _Field:
    """What one declaration means: its type, default, and whether None / absence is allowed."""

    __slots__ = ("typ", "default", "required", "none_ok", "show_default", "example")

    def __init__(self, typ: _Type, default: Any = None, *, required: bool = False,
                 none_ok: bool = False, show_default: bool = False, example: Any = None):
        self.typ = typ
        self.default = default
        self.required = required
        self.none_ok = none_ok
        self.show_default = show_default
        self.example = example

    def convert(self, value: Any) -> Any:
        if value is None:
            if self.none_ok:
                return None
            raise _Bad(self.typ.text, value)
        return self.typ.convert(value)


def _ambiguous(decl: Any) -> _BadDecl:
    return _BadDecl(
        f"an example value ({_short(decl)}) inside a container is ambiguous: write the type "
        f"(e.g. [int], {{str: int}}), and use OptionDefault(...) for a default")


def _compile_elem(decl: Any, keylike: bool = False) -> _Field:
    """An element declaration inside a container: a type, not an example or a default."""
    if isinstance(decl, (RequiredOption, OptionDefault)):
        raise _BadDecl(f"{type(decl).__name__} cannot be used inside a container")
    if decl is not None and not isinstance(decl, (type, list, dict, set, OptionEnum,
                                                   OptionString)):
        if type(decl) not in _SCALAR_TYPES:
            raise _ambiguous(decl)
        decl = type(decl)  # the Accelerator's rule: an example types the elements
    f = _compile(decl)
    f.required = False
    if keylike:
        if not f.typ.hashable:
            raise _BadDecl(f"{f.typ.text} cannot be a dict key or set element; use a type"
                           " like int or str")
    return f


def _compile(decl: Any) -> _Field:
    """Turn one declaration into a _Field, or raise _BadDecl saying why it cannot."""
    if decl is None:
        return _Field(_JSON, None, none_ok=True)
    if isinstance(decl, type):
        if decl in _SCALAR_TYPES:
            return _Field(_SCALAR_TYPES[decl], None, none_ok=True)
        if decl is OptionString:
            return _Field(_NonEmptyStr(), None, required=True)
        jwf = _jobwithfile_class()
        if jwf is not None and decl is jwf:
            return _Field(_JobWithFile(jwf), None, none_ok=True)
        if decl in (OptionEnum, RequiredOption, OptionDefault):
            raise _BadDecl(f"{decl.__name__} needs arguments, like {decl.__name__}(...)")
        if decl in (list, tuple, dict, set, frozenset):
            raise _BadDecl("write a container by example: [], [int], {}, {str: int}, set(), {int}")
        raise _BadDecl(f"{decl.__name__} is not an option type (types: int, float, str, bool,"
                       " date, datetime, time, timedelta, JobWithFile)")
    if isinstance(decl, OptionEnum):
        return _Field(_Enum(decl), decl._default, none_ok=decl._none_ok or decl._default is None,
                      show_default=True)
    if isinstance(decl, OptionString):
        return _Field(_NonEmptyStr(), None, required=True, example=decl.example)
    if isinstance(decl, RequiredOption):
        if isinstance(decl.value, (RequiredOption, OptionDefault)):
            raise _BadDecl(f"RequiredOption of {type(decl.value).__name__} makes no sense")
        inner = _compile(decl.value)
        return _Field(inner.typ, None, required=True, none_ok=decl.none_ok,
                      example=inner.example)
    if isinstance(decl, OptionDefault):
        if isinstance(decl.value, (RequiredOption, OptionDefault)):
            raise _BadDecl(f"OptionDefault of {type(decl.value).__name__} makes no sense")
        inner = _compile(decl.value)
        none_ok = decl.default is None or (isinstance(decl.value, OptionEnum)
                                           and decl.value._none_ok)
        default = None
        if decl.default is not None:
            try:
                default = inner.typ.convert(decl.default)
            except _Bad as e:
                raise _BadDecl(f"the default {_short(decl.default)} does not fit:"
                               f" {e.where().strip()}{': ' if e.path else ''}{e.text()}") from None
        return _Field(inner.typ, default, none_ok=none_ok, show_default=True,
                      example=inner.example)
    if isinstance(decl, list):
        if len(decl) > 1:
            raise _BadDecl("a list declaration takes at most one element type, like [int];"
                           " use OptionDefault([T], [...]) for a default")
        return _Field(_List(_compile_elem(decl[0]) if decl else None), [])
    if isinstance(decl, dict):
        if len(decl) > 1:
            raise _BadDecl("a dict declaration takes at most one key: value type pair, like"
                           " {str: int}; use OptionDefault({K: V}, {...}) for a default")
        if not decl:
            return _Field(_Dict(None, None), {})
        (k, v), = decl.items()
        return _Field(_Dict(_compile_elem(k, keylike=True), _compile_elem(v)), {})
    if isinstance(decl, (set, frozenset)):
        if isinstance(decl, frozenset):
            raise _BadDecl("write a set declaration as set() or {T}")
        if len(decl) > 1:
            raise _BadDecl("a set declaration takes at most one element type, like {int}")
        elem = _compile_elem(next(iter(decl)), keylike=True) if decl else None
        return _Field(_Set(elem), set())
    if isinstance(decl, tuple):
        raise _BadDecl("tuples are not option declarations; use a list, like [int]")
    typ = _example_type(decl)
    if typ is not None:
        try:
            default = typ.convert(decl)
        except _Bad as e:  # e.g. a float that does not convert
            raise _BadDecl(e.text()) from None
        return _Field(typ, default, show_default=True)
    raise _BadDecl(f"{type(decl).__name__} values cannot declare an option")


def _compile_all(method: str, declared: Any) -> dict[str, _Field]:
    if declared is None:
        return {}
    if not isinstance(declared, dict):
        raise OptionError(f"method {method!r}: options must be a dict, got {_got(declared)}")
    fields = {}
    for name, decl in declared.items():
        if not isinstance(name, str):
            raise OptionError(f"method {method!r}: option names must be str, got {_got(name)}")
        try:
            fields[name] = _compile(decl)
        except _BadDecl as e:
            raise OptionError(f"method {method!r}: option {name!r}: cannot understand the"
                              f" declaration {_short(decl)}: {e}") from None
    return fields


# --- the public functions ------------------------------------------------------------------

def check_declaration(method: str, declared: dict | None) -> None:
    """Raise OptionError, naming the option, for a declaration that cannot be understood.

    Called when a method is loaded, so a bad declaration is reported before any build.
    """
    _compile_all(method, declared)


def normalise_options(method: str, declared: dict | None, given: dict | None) -> DotDict:
    """Check given option values against the declarations and return the canonical options.

    The result has every declared option (defaults filled in), in declaration order, with
    values converted to their declared type and containers in canonical form, so that
    passing a default explicitly gives exactly what leaving it out gives.
    """
    fields = _compile_all(method, declared)
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise OptionError(f"method {method!r}: options must be a dict, got {_got(given)}")
    for name in given:
        if name not in fields:
            raise OptionError(f"method {method!r}: unknown option {name!r}"
                              f"{_close(name, fields)}; it takes options: {_names(fields)}")
    out = DotDict()
    for name, f in fields.items():
        if name in given:
            try:
                out[name] = f.convert(given[name])
            except _Bad as e:
                raise OptionError(
                    f"method {method!r}: option {name!r}{e.where()}: {e.text()}") from None
        elif f.required:
            raise OptionError(f"method {method!r}: option {name!r} is required but was not"
                              f" given (expected {f.typ.text})")
        else:
            out[name] = f.default
    return out


def _show(value: Any) -> str:
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return _short(value)


def _describe(f: _Field) -> str:
    text = f.typ.text
    if f.required:
        text = "required " + text
    if f.none_ok and f.required:
        text += " or None"
    if f.example is not None:
        text += f" (e.g. {f.example!r})"
    if f.show_default and f.default is not None:
        shown = f.default if isinstance(f.typ, _Enum) else _show(f.default)
        text += f" (default {shown})"
    return text


def describe(decl: Any) -> str:
    """A short human text of one declaration, for `ax method` and error messages:
    'int (default 5)', 'one of a, b, c (default b)', 'list of int', 'required str'.
    """
    try:
        return _describe(_compile(decl))
    except _BadDecl as e:
        raise OptionError(f"cannot understand the declaration {_short(decl)}: {e}") from None


def _input_slots(method: str, kind: str, declared: Any) -> dict[str, bool]:
    """{name: takes_a_list} from a datasets/jobs declaration like ('source', ['sources'])."""
    if declared is None:
        return {}
    if isinstance(declared, str):
        declared = (declared,)  # ('source') is a str: surely meant as one name
    if not isinstance(declared, (tuple, list)):
        raise OptionError(f"method {method!r}: {kind} must be a tuple of names, got"
                          f" {_got(declared)}")
    slots: dict[str, bool] = {}

    def add(name: Any, is_list: bool) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise OptionError(f"method {method!r}: {kind}: {_short(name)} is not a valid name")
        if name in slots:
            raise OptionError(f"method {method!r}: {kind}: {name!r} is declared twice")
        slots[name] = is_list

    for item in declared:
        if isinstance(item, list):
            for name in item:
                add(name, True)
        else:
            add(item, False)
    return slots


def _flat_names(names: Any) -> list[str]:
    """Names from a plain iterable of names, or a datasets/jobs-style declaration."""
    if names is None:
        return []
    if isinstance(names, str):
        return [names]
    out = []
    for n in names:
        if isinstance(n, (list, tuple)):
            out.extend(str(x) for x in n)
        else:
            out.append(str(n))
    return out


def split_kw(method: str, kw: dict, option_names: Iterable[str], dataset_names: Any,
             job_names: Any) -> tuple[dict, dict, dict]:
    """Send build(**kw) keywords to options, datasets and jobs by the method's declared names.

    dataset_names and job_names may be the declarations themselves (('a', ['b'])). An unknown
    name, or one declared as more than one kind, is an OptionError.
    """
    groups = (("option", _flat_names(option_names)), ("dataset", _flat_names(dataset_names)),
              ("job", _flat_names(job_names)))
    out: tuple[dict, dict, dict] = ({}, {}, {})
    for name, value in kw.items():
        kinds = [i for i, (_, names) in enumerate(groups) if name in names]
        if len(kinds) > 1:
            what = " and ".join(f"a{'n' if groups[i][0] == 'option' else ''} {groups[i][0]}"
                                for i in kinds)
            raise OptionError(f"method {method!r}: keyword {name!r} is both {what};"
                              " pass it in options=, datasets= or jobs= instead")
        if not kinds:
            raise unknown_name(method, "keyword", name, *(names for _, names in groups))
        out[kinds[0]][name] = value
    return out


def _input_value(kind: str, value: Any) -> str:
    from accel.layout import split_jobid

    if kind == "jobs":
        if isinstance(value, str) and split_jobid(str(value)) is not None:
            return str(value)
        raise _Bad("a job id like 'dev-12'", value)
    if isinstance(value, str):
        jobid, slash, name = str(value).partition("/")
        if split_jobid(jobid) is not None and (name or not slash):
            return f"{jobid}/{name or 'default'}"
    raise _Bad("a dataset like 'dev-12' or 'dev-12/name'", value)


def normalise_inputs(method: str, kind: str, declared: tuple | list | None,
                     given: dict | None) -> DotDict:
    """Check and canonicalise dataset or job inputs (kind 'datasets' or 'jobs').

    Every declared name is in the result: a job id str, 'jobid/name' for datasets (a bare
    'jobid' means its 'default' dataset), or None; a name declared in a list gets a list
    ([] when not given; a single value becomes a list of one, and a str with commas is
    split, as in the Accelerator). Only the shape of ids is checked here, not that they
    exist.
    """
    if kind not in ("datasets", "jobs"):
        raise ValueError(f"kind must be 'datasets' or 'jobs', not {kind!r}")
    slots = _input_slots(method, kind, declared)
    what = kind[:-1]
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise OptionError(f"method {method!r}: {kind} must be a dict, got {_got(given)}")
    for name in given:
        if name not in slots:
            raise OptionError(f"method {method!r}: unknown {what} input {name!r}"
                              f"{_close(name, slots)}; it takes {kind}: {_names(slots)}")
    out = DotDict()
    for name, is_list in slots.items():
        value = given.get(name)
        try:
            if is_list:
                if value is None:
                    out[name] = []
                else:
                    if isinstance(value, str) and "," in value:
                        value = [v.strip() for v in value.split(",")]  # as the Accelerator
                    elif not isinstance(value, (list, tuple)):
                        value = [value]  # one given where a list is declared: a list of one
                    out[name] = [_at(lambda v: _input_value(kind, v), v, f"[{i}]")
                                 for i, v in enumerate(value)]
            else:
                out[name] = None if value is None else _input_value(kind, value)
        except _Bad as e:
            raise OptionError(
                f"method {method!r}: {what} {name!r}{e.where()}: {e.text()}") from None
    return out
