"""A compiled declaration: its ValueType (what values it accepts, converted to their
canonical form) and its Field (that type with the default, and whether None or absence is
allowed). The types themselves are in scalars, timetypes and containers."""

from __future__ import annotations

from typing import Any

from accel.optiontypes.badvalue import BadValue


class ValueType:
    """What a compiled declaration accepts: `convert` checks a value and returns its
    canonical form, or raises BadValue; `text` names the type in messages."""

    text = "?"
    hashable = True   # its values can be dict keys / set elements

    def convert(self, value: Any) -> Any:
        raise NotImplementedError


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


def is_bool(value: Any) -> bool:
    """A bool, Python's or numpy's: never taken for an int or a float."""
    return isinstance(value, bool) or (type(value).__name__ in ("bool", "bool_")
                                       and type(value).__module__ == "numpy")
