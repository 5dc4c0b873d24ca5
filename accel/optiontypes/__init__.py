"""Compiled option declarations: the value types that check and convert option values.

A method's ``options = dict(...)`` is compiled into one `Field` per option: its
`ValueType` (`IntType`, `ListType`, `EnumType`, ...), default, and whether None or absence
is allowed. Two modules interpret these compiled declarations — `accel.options` checks and
normalises given values, `accel.textvalues` reads options given as text — so they live
here, apart from both, rather than as one module's internals that the other borrows.
The names are imported from here; the modules below hold one concern each:

  declarations.py  OptionEnum, OptionString, RequiredOption, OptionDefault, InputFile
                   (users import them from accel.options, whose names they carry)
  badvalue.py      BadValue and BadDeclaration, and how their messages show a value
  valuetype.py     ValueType and Field: what a compiled declaration is
  scalars.py       numbers, bools, strings, paths, enums, input file names, JobWithFile
  timetypes.py     dates, times and durations (parse_duration: ISO 8601)
  containers.py    lists, dicts, sets and JSON values
  compiler.py      declarations to Fields (compile_all), and input files in values
"""

from __future__ import annotations

from accel.optiontypes.badvalue import BadDeclaration, BadValue, convert_at, got_text, short_repr
from accel.optiontypes.compiler import compile_all, compile_declaration, input_files_in
from accel.optiontypes.containers import DictType, JsonScalarType, JsonType, ListType, SetType
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
from accel.optiontypes.timetypes import (
    DateTimeType,
    DateType,
    TimeDeltaType,
    TimeType,
    parse_duration,
)
from accel.optiontypes.valuetype import Field, ValueType

__all__ = [
    "OptionEnum", "OptionString", "RequiredOption", "OptionDefault", "InputFile",
    "InputFileType", "input_files_in",
    "BadValue", "BadDeclaration", "Field", "compile_declaration", "compile_all",
    "ValueType", "IntType", "FloatType", "BoolType", "StrType", "NonEmptyStrType", "DateType",
    "DateTimeType", "TimeType", "TimeDeltaType", "EnumType", "JobWithFileType", "JsonType",
    "JsonScalarType", "ListType", "DictType", "SetType", "PathType",
    "parse_duration", "convert_at", "short_repr", "got_text",
]
