"""What a DatasetWriter is given, checked: the dataset's name, and the values of
'parsed:TYPE' columns, parsed before they are encoded (a writer's own module keeps to rows
and slices)."""

from __future__ import annotations

import json
from typing import Any

from accel import layout
from accel.dataset.encode import BadValue
from accel.dataset.types import DatasetUsageError


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name or name.startswith(".") \
            or "\0" in name or len(layout.dataset_folder(name)) > 200:
        raise DatasetUsageError(f"bad dataset name {name!r}: a non-empty name, "
                                "not starting with '.'")
    return name


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


# 'parsed:TYPE' columns (the Accelerator's): a str (or bytes) value is parsed as TYPE; any
# other value is stored as it is. The dataset's column is of TYPE.
PARSERS: dict[str, Any] = {
    "number": _number, "int32": int, "int64": int, "float32": float, "float64": float,
    "complex32": complex, "complex64": complex, "json": json.loads,
}
PARSED = "parsed:"


def parse_all(parse: Any, base: str, values: list) -> list:
    out = []
    for i, v in enumerate(values):
        if isinstance(v, (str, bytes)):
            try:
                v = parse(v.decode("utf-8") if isinstance(v, bytes) else v)
            except (ValueError, UnicodeDecodeError):
                raise BadValue(i, v, f"it does not parse as {base}") from None
        out.append(v)
    return out
