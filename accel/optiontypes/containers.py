"""The value types of containers and of JSON: lists, dicts and sets of typed elements,
any JSON value, any JSON scalar; each converts its elements and says where one does not
fit."""

from __future__ import annotations

import numbers
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from accel.jsoncodec import sort_key
from accel.optiontypes.badvalue import BadValue, convert_at, short_repr
from accel.optiontypes.valuetype import Field, ValueType, is_bool

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
        if isinstance(value, numbers.Integral) and not is_bool(value):
            return int(value)
        if isinstance(value, numbers.Real) and not is_bool(value):
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
        if is_bool(value):
            return bool(value)
        raise BadValue(_JSON_TEXT, value)


class JsonScalarType(ValueType):
    text = "JSON scalar (None, bool, number or str)"

    def convert(self, value: Any) -> Any:
        if value is None or isinstance(value, (str, numbers.Real)) or is_bool(value):
            return ANY_JSON.convert(value)
        raise BadValue(self.text, value)


ANY_JSON = JsonType()
JSON_SCALAR = JsonScalarType()


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
            return [convert_at(ANY_JSON.convert, v, f"[{i}]") for i, v in enumerate(value)]
        return [convert_at(self.elem.convert, v, f"[{i}]") for i, v in enumerate(value)]


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
            return ANY_JSON.convert(value)
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
        convert = JSON_SCALAR.convert if self.elem is None else self.elem.convert
        return {convert_at(convert, v, "a set element") for v in value}
