"""Option declarations typed by example; checking and canonical normalisation of given values.

A method declares ``options = dict(...)``; a build gives values. `normalise_options` checks
the given values against the declarations and returns the canonical form that goes into the
job's identity, so that equal requests give equal jobs: defaults filled in, ints made floats
where a float is declared, ISO strings made dates, dict keys sorted, tuples made lists.

Declarations (SPEC §2):

- a type (int, float, str, bool, date, datetime, time, timedelta, pathlib.Path or
  PurePath): that type or None,
  default None. date/datetime/time also take an ISO-format string; timedelta takes an ISO
  8601 duration ('P1DT2H', 'PT0.5S', '-PT1M'; no years or months) or a number of seconds.
  A datetime is not accepted as a date, nor a date as a datetime.
- a value: it is the default; given values must be of its type (an int is accepted where a
  float is declared, and becomes a float; a bool is never an int).
- ``[]``, ``{}``, ``set()``: a list, a dict with str keys, a set, of any JSON values; default
  empty. A dict of example keys and values (``{'a': 1, 'b': 2}``, as in the Accelerator)
  is its default, its first key and value typing the rest and what is given. A plain dict's
  order is no part of its value (sorted); an OrderedDict's is (another order, another job).
  A list of example values (``[1]``, ``['a', 'b']``, ``[[1]]``) is likewise its default,
  its first element typing the rest. ``[T]``, ``{K: V}``, ``{T}``: elements typed by the
  declarations T, K, V (types, containers, None, OptionEnum, OptionString, JobWithFile),
  default empty. A tuple is accepted for a list; a list, tuple or frozenset for a set; a
  str for a list or a set is its comma-separated parts, stripped (``'a, b'``, as in the
  Accelerator), each of which must fit as a str.
- ``None``: any JSON value (None, bool, int, float, str, lists, dicts with str keys); tuples
  become lists.
- `OptionEnum`, `OptionString`, `RequiredOption`, `OptionDefault`, and the class
  ``JobWithFile`` (a JobWithFile or None).
- `InputFile` (a str naming files in the input directory, whose content is part of the
  job's identity: accel.inputfiles), also inside containers (``[InputFile()]``).

None given is None for an option declared by example or container (``flag=False`` given
``flag=None``, as in the Accelerator; not inside a container, and not the text 'None' in
`accel.textvalues`). None is also accepted where the default is None (a bare type,
``None``, an OptionEnum without a default, ``OptionDefault(T)``, JobWithFile; also as an
element: ``[int]`` takes ``[1, None]``), and where ``none_ok=True`` says so (OptionEnum,
RequiredOption) — never for OptionString, and not for a required option without none_ok.
Passing a default explicitly is always allowed. None given stays None; it never means
"use the default".

Every error is an `OptionError` with a one-line message naming the method, the option and
what was expected.

The declaration classes and the value types that compiled declarations check with live in
`accel.optiontypes`, shared with `accel.textvalues`; import the declarations from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accel.dotdict import DotDict
from accel.errors import OptionError
from accel.optiontypes import (
    BadDeclaration,
    BadValue,
    EnumType,
    Field,
    InputFile,
    OptionDefault,
    OptionEnum,
    OptionString,
    RequiredOption,
    compile_all,
    compile_declaration,
    convert_at,
    got_text,
    short_repr,
)
from accel.optiontypes import parse_duration as parse_duration  # importable from here, as before
from accel.plaintext import is_utf8, show_value

__all__ = [
    "OptionEnum", "OptionString", "RequiredOption", "OptionDefault", "InputFile",
    "normalise_options", "check_declaration", "describe", "split_kw", "normalise_inputs",
]


# --- small helpers -------------------------------------------------------------------------

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


# --- the public functions ------------------------------------------------------------------

def check_declaration(method: str, declared: dict | None) -> None:
    """Raise OptionError, naming the option, for a declaration that cannot be understood.

    Called when a method is loaded, so a bad declaration is reported before any build.
    """
    compile_all(method, declared)


def normalise_options(method: str, declared: dict | None, given: dict | None) -> DotDict:
    """Check given option values against the declarations and return the canonical options.

    The result has every declared option (defaults filled in), in declaration order, with
    values converted to their declared type and containers in canonical form, so that
    passing a default explicitly gives exactly what leaving it out gives.
    """
    fields = compile_all(method, declared)
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise OptionError(f"method {method!r}: options must be a dict, got {got_text(given)}")
    for name in given:
        if name not in fields:
            raise OptionError(f"method {method!r}: unknown option {name!r}"
                              f"{_close(name, fields)}; it takes options: {_names(fields)}")
    out = DotDict()
    for name, f in fields.items():
        if name in given:
            try:
                out[name] = _utf8_only(f.convert(given[name]))
            except BadValue as e:
                raise OptionError(
                    f"method {method!r}: option {name!r}{e.where()}: {e.text()}") from None
        elif f.required:
            raise OptionError(f"method {method!r}: option {name!r} is required but was not"
                              f" given (expected {f.typ.text})")
        else:
            out[name] = f.default
    return out


def _utf8_only(value: Any) -> Any:
    """`value`, unless text in it cannot be written as UTF-8 (a lone surrogate: a file
    name in another encoding, as os.listdir gives it): a job's setup.json could not
    record it, so it is a BadValue, before any job is made."""
    if isinstance(value, str):
        if not is_utf8(value):
            raise BadValue("text UTF-8 can hold (this has a lone surrogate, as Python makes "
                           "of a file name that is not UTF-8: rename the file)", value)
    elif isinstance(value, dict):
        for k, v in value.items():
            convert_at(_utf8_only, k, f"key {short_repr(k)}")
            convert_at(_utf8_only, v, f"[{short_repr(k)}]")
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, v in enumerate(value):
            convert_at(_utf8_only, v, f"[{i}]")
    return value


def _show(value: Any) -> str:
    return show_value(value, short_repr)


def _describe(f: Field) -> str:
    text = f.typ.text
    if f.required:
        text = "required " + text
    if f.none_ok and f.required:
        text += " or None"
    if f.example is not None:
        text += f" (e.g. {f.example!r})"
    if f.show_default and f.default is not None:
        shown = f.default if isinstance(f.typ, EnumType) else _show(f.default)
        text += f" (default {shown})"
    return text


def describe(decl: Any) -> str:
    """A short human text of one declaration, for `ax method` and error messages:
    'int (default 5)', 'one of a, b, c (default b)', 'list of int', 'required str'.
    """
    try:
        return _describe(compile_declaration(decl))
    except BadDeclaration as e:
        raise OptionError(f"cannot understand the declaration {short_repr(decl)}: {e}") from None


def _input_slots(method: str, kind: str, declared: Any) -> dict[str, bool]:
    """{name: takes_a_list} from a datasets/jobs declaration like ('source', ['sources'])."""
    if declared is None:
        return {}
    if isinstance(declared, str):
        declared = (declared,)  # ('source') is a str: surely meant as one name
    if not isinstance(declared, (tuple, list)):
        raise OptionError(f"method {method!r}: {kind} must be a tuple of names, got"
                          f" {got_text(declared)}")
    slots: dict[str, bool] = {}

    def add(name: Any, is_list: bool) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise OptionError(f"method {method!r}: {kind}: {short_repr(name)} is not a valid name")
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
    out: list[str] = []
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
        raise BadValue("a job id like 'dev-12'", value)
    if isinstance(value, str):
        jobid, slash, name = str(value).partition("/")
        if split_jobid(jobid) is not None and (name or not slash):
            return f"{jobid}/{name or 'default'}"
    raise BadValue("a dataset like 'dev-12' or 'dev-12/name'", value)


def normalise_inputs(method: str, kind: str, declared: tuple | list | None,
                     given: dict | None) -> DotDict:
    """Check and canonicalise dataset or job inputs (kind 'datasets' or 'jobs').

    Every declared name is in the result: a job id str, 'jobid/name' for datasets (a bare
    'jobid' means its 'default' dataset), or None (not given: None, or '' -- a method's
    own NoJob / NoDataset passed on, as in the Accelerator); a name declared in a list gets a list
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
        raise OptionError(f"method {method!r}: {kind} must be a dict, got {got_text(given)}")
    for name in given:
        if name not in slots:
            raise OptionError(f"method {method!r}: unknown {what} input {name!r}"
                              f"{_close(name, slots)}; it takes {kind}: {_names(slots)}")
    out = DotDict()
    for name, is_list in slots.items():
        value = given.get(name)
        if isinstance(value, str) and not value:
            value = None  # '' is not given, as in the Accelerator (NoJob, NoDataset)
        try:
            if is_list:
                if value is None:
                    out[name] = []
                else:
                    if isinstance(value, str) and "," in value:
                        value = [v.strip() for v in value.split(",")]  # as the Accelerator
                    elif not isinstance(value, (list, tuple)):
                        value = [value]  # one given where a list is declared: a list of one
                    out[name] = [convert_at(lambda v: _input_value(kind, v), v, f"[{i}]")
                                 for i, v in enumerate(value)]
            else:
                out[name] = None if value is None else _input_value(kind, value)
        except BadValue as e:
            raise OptionError(
                f"method {method!r}: {what} {name!r}{e.where()}: {e.text()}") from None
    return out
