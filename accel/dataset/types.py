"""Column types: what each type name means on disk and which Python values it takes.

In memory (a Chunk) every type is either a plain little-endian array (`fixed`, one numpy
dtype per value) or offsets plus data (`var`, Arrow's binary layout). What a Python value
becomes there and back is in encode.py and decode.py; how a chunk is stored in a file is
arrowtypes.py. This module only names the types and their properties, so the reader, the
writer and the CLI agree on one table.
"""

from __future__ import annotations

from dataclasses import dataclass

from accel.errors import AccelError, NotFound, UserError


@dataclass(frozen=True)
class ColumnType:
    name: str
    fixed: bool           # a plain array (True) or offsets + data (False)
    storage: str | None   # numpy dtype of the plain array, little-endian
    ordered: bool         # min/max are kept (numbers, dates and times)
    python: str           # what a value is, for error messages

    @property
    def itemsize(self) -> int:
        import numpy as np

        return np.dtype(self.storage).itemsize if self.storage else 0


_TYPES = [
    ColumnType("int32", True, "<i4", True, "an int in the int32 range"),
    ColumnType("int64", True, "<i8", True, "an int in the int64 range"),
    ColumnType("float32", True, "<f4", True, "a float (or int)"),
    ColumnType("float64", True, "<f8", True, "a float (or int)"),
    ColumnType("number", False, None, True, "an int (any size) or a float"),
    # as the Accelerator: complex32 is two float32, complex64 two float64
    ColumnType("complex32", True, "<c8", False, "a complex (or float, int)"),
    ColumnType("complex64", True, "<c16", False, "a complex (or float, int)"),
    ColumnType("bool", True, "|b1", True, "a bool"),
    ColumnType("date", True, "<i4", True, "a datetime.date (not a datetime)"),
    ColumnType("time", True, "<i8", True, "a naive datetime.time"),
    ColumnType("datetime", True, "<i8", True, "a naive datetime.datetime"),
    ColumnType("bytes", False, None, False, "bytes"),
    ColumnType("ascii", False, None, False, "an ASCII str"),
    ColumnType("unicode", False, None, False, "a str"),
    ColumnType("json", False, None, False, "a JSON-able value"),
    ColumnType("pickle", False, None, False, "a picklable value"),
]

TYPES: dict[str, ColumnType] = {t.name: t for t in _TYPES}
TYPE_NAMES = tuple(TYPES)


def column_type(name: str) -> ColumnType:
    try:
        return TYPES[name]
    except (KeyError, TypeError):
        raise DatasetUsageError(
            f"unknown column type {name!r} (types: {', '.join(TYPE_NAMES)})") from None


class DatasetError(AccelError):
    """Base of the dataset errors."""


class ColumnValueError(DatasetError, TypeError, ValueError):
    """A value a column cannot hold, a wrong number of values, or None without
    none_support. Both a TypeError and a ValueError, so either `except` catches it."""


class DatasetUsageError(DatasetError, UserError):
    """The dataset API used the wrong way (a writer added to after writing, ...)."""


class NoSuchColumn(NotFound, KeyError):
    """A column that is not in the dataset; the message lists those that are."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NoSuchDatasetError(DatasetError, NotFound):
    """A dataset that is not there (the Accelerator's name): a NotFound too, so `ax` says
    it in one line and exits 1."""


class DatasetDamaged(DatasetError):
    """A column file is missing, truncated or damaged: refused rather than misread."""


for _cls in (DatasetError, ColumnValueError, DatasetUsageError, NoSuchColumn, DatasetDamaged,
             NoSuchDatasetError):
    _cls.__module__ = "accel.dataset"  # how users import and see them
