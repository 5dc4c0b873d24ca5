"""Compiling a method's option declarations into Fields: by type (`int`), by example
(`3`, `['a']`), or with a declaration class (`OptionEnum(...)`, `OptionDefault(...)`); an
OptionError naming the option for one that cannot be understood. Also which values of
compiled options name input files."""

from __future__ import annotations

import numbers
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePath
from typing import Any

from accel.errors import OptionError
from accel.optiontypes.badvalue import BadDeclaration, BadValue, got_text, short_repr
from accel.optiontypes.containers import ANY_JSON, DictType, ListType, SetType
from accel.optiontypes.declarations import (
    InputFile,
    OptionDefault,
    OptionEnum,
    OptionString,
    RequiredOption,
)
from accel.optiontypes.scalars import (
    BoolType,
    EnumType,
    FloatType,
    InputFileType,
    IntType,
    JobWithFileType,
    NonEmptyStrType,
    PathType,
    StrType,
)
from accel.optiontypes.timetypes import DateTimeType, DateType, TimeDeltaType, TimeType
from accel.optiontypes.valuetype import Field, ValueType, is_bool


def _jobwithfile_class() -> type | None:
    """accel.job.JobWithFile, imported on first use (accel.job is slow to import)."""
    try:
        from accel.job import JobWithFile
    except ModuleNotFoundError as e:
        if e.name not in ("accel.job", "accel"):
            raise
        return None
    return JobWithFile


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
    if isinstance(value, numbers.Integral) and not is_bool(value):
        return _SCALAR_TYPES[int]  # numpy ints and the like
    if isinstance(value, numbers.Real) and not is_bool(value):
        return _SCALAR_TYPES[float]
    jwf = _jobwithfile_class()
    if jwf is not None and isinstance(value, jwf):
        return JobWithFileType(jwf)
    return None


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
        return Field(ANY_JSON, None, none_ok=True)
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
        if decl and all(isinstance(k, (str, int, float)) and not is_bool(k) for k in decl):
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
