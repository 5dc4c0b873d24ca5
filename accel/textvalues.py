"""Option and input values given as text -- `ax why METHOD KEY=VALUE`, rows of a CSV file --
turned into what the method's declarations expect.

    from_text(method, info, {"n": "4", "when": "2020-01-31", "source": "dev-3"})
        -> (options, datasets, jobs), ready for Builder.plan(method, options, datasets, jobs)

The rules (what a declaration makes of a text):

- An empty text (or only spaces, or None as a CSV reader gives for a missing cell) means
  "not given": the option gets its default. For a required option that is an error.
- ``None`` (exactly that word, spaces around it ignored) is None wherever the option accepts
  None (a bare type like ``int`` or ``str``, ``None``, an OptionEnum without a default,
  ``OptionDefault(T)``, ``none_ok=True``). Where None is not accepted it is ordinary text: a
  ``name="x"`` option gets the string "None", an ``int`` one an error.
- int: decimal digits with an optional sign (``1_000`` too); ``5.0`` is not an int.
  float: anything Python's float() reads (``2.5``, ``1e-3``, ``inf``).
  bool: true/false, yes/no, 1/0, any case.
  str: the text exactly as given (not stripped); OptionString: the same, non-empty.
  date, datetime, time: ISO 8601 (``2020-01-31``, ``2020-01-31T12:00:00+01:00``, ``12:30``).
  timedelta: an ISO 8601 duration (``PT1H30M``, ``P2D``), a number of seconds (``90``,
  ``0.5``), or Python's own form (``1:30:00``, ``2 days, 0:00:00``).
  OptionEnum: one of its values (or a string its ``prefix*`` values allow).
  JobWithFile: ``JOB/FILENAME`` (``dev-3/model.pickle``; not sliced).
  Path, PurePath: the text (stripped) as a path.
  ``None`` (any JSON value): JSON if the text parses as JSON (``5``, ``[1, "a"]``,
  ``{"k": 1}``, ``true``), otherwise the text itself as a string.
- Lists and sets: a JSON list (the text starts with ``[``), or -- when the elements are
  scalars (``[int]``, ``[str]``, ``[date]``, ``{int}``, ``[]``, ...) -- comma-separated
  elements, each stripped and read by the rules above (``1,2,3``; ``a, b``). Elements of
  ``[]``/``set()`` follow the ``None`` rule: JSON if they parse, else strings. An empty
  element (``a,,b``) is an error; a string with a comma needs the JSON form.
- Dicts: a JSON object. Its keys are text, read as the declared key type (``{int: str}``
  takes ``{"1": "a"}``).
- Inside JSON, strings are read by the rules above where JSON has no such type (dates,
  times, timedeltas, JobWithFile), so ``["2020-01-31"]`` fits ``[date]``.
- Dataset inputs: ``JOB`` or ``JOB/DSNAME``; job inputs: ``JOB``; a list input takes
  several, comma-separated (or a JSON list). ``JOB`` is a job id (``dev-3``), or any job
  reference the `resolve` callable understands (``ax why`` passes one that knows
  ``METHOD``, ``REF~N``, ``:LIST:``).

Keys are stripped of spaces. Each must be a declared option, dataset input or job input.
Every mistake is an `OptionError`, one line naming the method, the key, the text and what
was expected. The returned values are checked and converted; `Builder.plan` normalises them
again (which changes nothing) and computes the identity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from accel import layout
from accel.errors import AccelError, OptionError
from accel.methods import MethodInfo, input_name
from accel.options import unknown_name
from accel.optiontypes import (
    BadValue,
    BoolType,
    DateTimeType,
    DateType,
    DictType,
    EnumType,
    Field,
    FloatType,
    IntType,
    JobWithFileType,
    JsonScalarType,
    JsonType,
    ListType,
    NonEmptyStrType,
    PathType,
    SetType,
    StrType,
    TimeDeltaType,
    TimeType,
    compile_all,
    convert_at,
    got_text,
    parse_duration,
    short_repr,
)
from accel.refsyntax import split_ref

__all__ = ["from_text", "Resolver"]

Resolver = Callable[[str], str]
"""A job reference as text -> a job id; raises AccelError (NotFound, UserError) when it
names no job."""

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_INT_RE = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*")
_PYTHON_TD_RE = re.compile(r"(?:([+-]?[0-9]+) days?, )?([0-9]+):([0-5][0-9]):([0-5][0-9](?:\.[0-9]+)?)")
_SCALARS = (IntType, FloatType, BoolType, StrType, NonEmptyStrType, DateType, DateTimeType,
            TimeType, TimeDeltaType, EnumType, JobWithFileType, JsonScalarType, PathType)
# strings inside JSON
_NO_JSON_TYPE = (DateType, DateTimeType, TimeType, TimeDeltaType, JobWithFileType)


class _TextBad(BadValue):
    """A piece of text that does not read as the expected type."""

    detail = ""


def from_text(method: str, info: MethodInfo, values: dict[str, str], *,
              resolve: Resolver | None = None) -> tuple[dict, dict, dict]:
    """(options, datasets, jobs) from text values keyed by option or input name.

    `resolve` turns a job reference into a job id; without it only job ids (``dev-3``) are
    accepted as inputs and in JobWithFile values. See the module docstring for the rules.
    """
    if not isinstance(values, dict):
        raise OptionError(f"method {method!r}: values must be a dict of name -> text, "
                          f"got {type(values).__name__}")
    fields = compile_all(method, info.options)
    ds_slots = dict(input_name(x) for x in info.datasets)
    job_slots = dict(input_name(x) for x in info.jobs)
    groups = (("option", fields), ("dataset input", ds_slots), ("job input", job_slots))
    options: dict[str, Any] = {}
    datasets: dict[str, Any] = {}
    jobs: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    for key, text in values.items():
        name = key.strip() if isinstance(key, str) else key
        if not isinstance(name, str) or not name:
            raise OptionError(f"method {method!r}: {short_repr(key)} is not a name")
        if name in seen:
            raise OptionError(f"method {method!r}: {name!r} is given twice "
                              f"({short_repr(seen[name])} and {short_repr(key)})")
        seen[name] = key
        kinds = [what for what, names in groups if name in names]
        if not kinds:
            raise unknown_name(method, "option or input", name, fields, ds_slots, job_slots)
        if len(kinds) > 1:
            raise OptionError(f"method {method!r}: {name!r} is both an {' and a '.join(kinds)};"
                              " it cannot be given as text")
        kind = kinds[0]
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise OptionError(f"method {method!r}: {kind} {name!r}: expected text, got "
                              f"{short_repr(text)} ({type(text).__name__})")
        if kind == "option":
            f = fields[name]
            if not text.strip():
                if f.required:
                    raise OptionError(f"method {method!r}: option {name!r} is required (expected "
                                      f"{_expected(f)}), but the text is empty (empty means "
                                      "'not given')")
                continue
            options[name] = _option(method, name, f, text, resolve)
        elif not text.strip():
            continue
        elif kind == "dataset input":
            datasets[name] = _inputs(method, kind, name, ds_slots[name], text, resolve)
        else:
            jobs[name] = _inputs(method, kind, name, job_slots[name], text, resolve)
    return options, datasets, jobs


# --- options -------------------------------------------------------------------------------

def _option(method: str, name: str, f: Field, text: str, resolve: Resolver | None) -> Any:
    try:
        return f.convert(_read(f, text, resolve))
    except BadValue as e:
        detail = f" ({e.detail})" if isinstance(e, _TextBad) and e.detail else ""
        if not e.path:
            raise OptionError(f"method {method!r}: option {name!r}: expected {_expected(f)}, "
                              f"got the text {short_repr(text)}{detail}") from None
        got = short_repr(e.value) if isinstance(e.value, str) else got_text(e.value)
        raise OptionError(f"method {method!r}: option {name!r}{e.where()}: expected "
                          f"{e.expected}, got {got} in the text {short_repr(text)}{detail}"
                          ) from None
    except AccelError as e:  # a job reference `resolve` did not find
        raise OptionError(f"method {method!r}: option {name!r}: {e}") from None


def _read(f: Field | None, text: str, resolve: Resolver | None) -> Any:
    """The value a text stands for under declaration `f` (None: any JSON value);
    `f.convert` checks it afterwards."""
    t = text.strip()
    if f is None:
        return _json_or_text(text)
    if t == "None" and f.none_ok:
        return None
    typ = f.typ
    if isinstance(typ, (ListType, SetType)):
        elem = typ.elem
        if t.startswith("["):
            return _from_json(f, _json(f, text, "a JSON list"), resolve)
        if elem is not None and not isinstance(elem.typ, _SCALARS + (JsonType,)):
            raise _text_bad(f, text)
        items = [s.strip() for s in t.split(",")]
        out = []
        for i, item in enumerate(items):
            try:
                if not item:
                    bad = _TextBad("an element, not nothing", item)
                    bad.detail = "an empty string needs the JSON form, like [\"a\", \"\"]"
                    raise bad
                out.append(_read(elem, item, resolve))
            except BadValue as e:
                e.path.insert(0, f"[{i}]")
                raise
        return out
    if isinstance(typ, DictType):
        return _from_json(f, _json(f, text, "a JSON object"), resolve)
    if isinstance(typ, JsonType):
        return _json_or_text(text)
    if isinstance(typ, JsonScalarType):
        return _json_or_text(t)
    if isinstance(typ, (StrType, NonEmptyStrType)):
        return text
    if isinstance(typ, IntType):
        if not _INT_RE.fullmatch(t):
            raise _text_bad(f, text)
        return int(t)
    if isinstance(typ, FloatType):
        try:
            return float(t)
        except ValueError:
            raise _text_bad(f, text) from None
    if isinstance(typ, BoolType):
        low = t.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise _text_bad(f, text)
    if isinstance(typ, (DateType, DateTimeType, TimeType, EnumType)):
        try:
            return typ.convert(t)
        except BadValue:
            raise _text_bad(f, text) from None
    if isinstance(typ, TimeDeltaType):
        return _timedelta(f, t, text)
    if isinstance(typ, PathType):
        return typ.convert(t)
    if isinstance(typ, JobWithFileType):
        return _jobwithfile(f, t, text, resolve)
    raise _text_bad(f, text)  # pragma: no cover - every ValueType is handled above


def _text_bad(f: Field | None, text: str) -> _TextBad:
    return _TextBad(_expected(f), text)


def _json(f: Field, text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as e:
        bad = _TextBad(f"{f.typ.text} as {what}", text)
        bad.detail = f"not JSON: {e}"
        raise bad from None


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _from_json(f: Field | None, value: Any, resolve: Resolver | None) -> Any:
    """JSON data made to fit `f`: containers walked, strings read as the types JSON lacks,
    dict keys (always strings in JSON) read as the declared key type."""
    if f is None or value is None:
        return value
    typ = f.typ
    if isinstance(typ, (ListType, SetType)) and isinstance(value, list):
        return [convert_at(lambda v: _from_json(typ.elem, v, resolve), v, f"[{i}]")
                for i, v in enumerate(value)]
    if isinstance(typ, DictType) and isinstance(value, dict) and typ.key is not None:
        key = typ.key
        out = {}
        for k, v in value.items():
            nk = convert_at(lambda k: _read(key, k, resolve) if not isinstance(
                key.typ, (StrType, NonEmptyStrType, EnumType)) else k, k,
                f"key {short_repr(k)}")
            out[nk] = convert_at(lambda v: _from_json(typ.val, v, resolve), v,
                                 f"[{short_repr(k)}]")
        return out
    if isinstance(typ, _NO_JSON_TYPE) and isinstance(value, str):
        return _read(f, value, resolve)
    return value


def _timedelta(f: Field, t: str, text: str) -> Any:
    m = _PYTHON_TD_RE.fullmatch(t)
    if m:
        from datetime import timedelta

        days, hours, minutes, seconds = m.groups()
        return timedelta(days=int(days or 0), hours=int(hours), minutes=int(minutes),
                         seconds=float(seconds))
    try:
        return float(t)  # seconds; the option's own check refuses inf and nan
    except ValueError:
        pass
    try:
        return parse_duration(t)
    except (ValueError, OverflowError):
        raise _text_bad(f, text) from None


def _jobwithfile(f: Field, t: str, text: str, resolve: Resolver | None) -> Any:
    from accel.job import JobWithFile

    ref, name = split_ref(t)
    if not ref or not name:
        raise _text_bad(f, text)
    try:
        jobid = _job(ref, resolve)
    except BadValue:
        raise _text_bad(f, text) from None
    return JobWithFile(jobid, name)


# --- inputs --------------------------------------------------------------------------------

def _inputs(method: str, kind: str, name: str, is_list: bool, text: str,
            resolve: Resolver | None) -> Any:
    t = text.strip()
    what = "a job id like dev-12" if kind == "job input" else "a job id like dev-12 or dev-12/DSNAME"
    if resolve is not None:
        what = what.replace("a job id", "a job reference")
    if is_list:
        if t.startswith("["):
            try:
                items = json.loads(t)
            except ValueError as e:
                raise OptionError(f"method {method!r}: {kind} {name!r}: expected a list of {what}"
                                  " (comma-separated or a JSON list), got the text "
                                  f"{short_repr(text)} (not JSON: {e})") from None
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise OptionError(f"method {method!r}: {kind} {name!r}: expected a JSON list of "
                                  f"strings, got the text {short_repr(text)}")
        else:
            items = t.split(",")
        out = []
        for i, item in enumerate(items):
            if not item.strip():
                raise OptionError(f"method {method!r}: {kind} {name!r} [{i}]: expected {what}, "
                                  f"got an empty element in the text {short_repr(text)}")
            out.append(_input(method, kind, f"{name!r} [{i}]", item.strip(), text, what, resolve))
        return out
    if t == "None":
        return None
    return _input(method, kind, repr(name), t, text, what, resolve)


def _input(method: str, kind: str, label: str, item: str, text: str, what: str,
           resolve: Resolver | None) -> str:
    ref, dsname = split_ref(item) if kind == "dataset input" else (item, None)
    try:
        if dsname == "" or not ref:
            raise _TextBad(what, item)
        jobid = _job(ref, resolve)
    except BadValue:
        in_text = "" if item == text.strip() else f" in the text {short_repr(text)}"
        raise OptionError(f"method {method!r}: {kind} {label}: expected {what}, got "
                          f"{short_repr(item)}{in_text}") from None
    except AccelError as e:
        raise OptionError(f"method {method!r}: {kind} {label}: {e}") from None
    if kind == "dataset input":
        return f"{jobid}/{dsname or 'default'}"
    return jobid


def _job(ref: str, resolve: Resolver | None) -> str:
    """A job id from a reference (AccelError from `resolve` passes through)."""
    if resolve is None:
        if layout.split_jobid(ref) is None:
            raise _TextBad("a job id like dev-12", ref)
        return ref
    jobid = str(resolve(ref))
    if layout.split_jobid(jobid) is None:  # a resolver's bug, not the user's
        raise OptionError(f"the job reference {ref!r} resolved to {jobid!r}, not a job id")
    return jobid


# --- what a declaration expects, in words ---------------------------------------------------

_HINTS = {
    BoolType: "bool (true/false, yes/no, 1/0)",
    DateType: "date (ISO, like 2020-01-31)",
    DateTimeType: "datetime (ISO, like 2020-01-31T12:00:00)",
    TimeType: "time (ISO, like 12:30:00)",
    TimeDeltaType: "timedelta (ISO 8601 like PT1H30M, seconds, or H:MM:SS)",
    JobWithFileType: "JobWithFile as JOB/FILENAME (like dev-3/model.pickle)",
}


def _expected(f: Field | None) -> str:
    if f is None:
        return "any JSON value"
    typ = f.typ
    text = _HINTS.get(type(typ), typ.text)
    if isinstance(typ, (ListType, SetType)):
        scalar = typ.elem is None or isinstance(typ.elem.typ, _SCALARS + (JsonType,))
        text += " (comma-separated or a JSON list)" if scalar else " (a JSON list)"
    elif isinstance(typ, DictType):
        text += " (a JSON object)"
    if f.none_ok:
        text += " or None"
    return text
