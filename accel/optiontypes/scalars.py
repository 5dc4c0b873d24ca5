"""The value types of single values: numbers, bools, strings, paths, enums, input file
names and JobWithFile."""

from __future__ import annotations

import numbers
from pathlib import PurePath
from typing import Any

from accel.jsoncodec import encode
from accel.optiontypes.badvalue import BadValue
from accel.optiontypes.declarations import InputFile, OptionEnum
from accel.optiontypes.valuetype import ValueType, is_bool


class IntType(ValueType):
    text = "int"

    def convert(self, value: Any) -> Any:
        if isinstance(value, numbers.Integral) and not is_bool(value):
            return int(value)
        raise BadValue(self.text, value)


class FloatType(ValueType):
    text = "float"

    def convert(self, value: Any) -> Any:
        if isinstance(value, numbers.Real) and not is_bool(value):
            try:
                return float(value)
            except (OverflowError, ValueError, TypeError):
                pass
        raise BadValue(self.text, value)


class BoolType(ValueType):
    text = "bool"

    def convert(self, value: Any) -> Any:
        if is_bool(value):
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


class PathType(ValueType):
    """A pathlib.Path (or PurePath), as the Accelerator takes it: a str or a path."""

    def __init__(self, cls: type):
        self.cls = cls
        self.text = cls.__name__

    def convert(self, value: Any) -> Any:
        if isinstance(value, (str, PurePath)):
            return self.cls(value)
        raise BadValue(f"{self.text} (or a str)", value)


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
