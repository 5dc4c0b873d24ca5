"""Datasets: typed, column-wise, sliced tables stored in the job that wrote them.

Writing: `dw = job.datasetwriter(...)` (DatasetWriter); reading: `job.dataset(name)` or
`Dataset('dev-3/name')`. The modules, each with one job: types (the column types),
encode/decode (Python values <-> chunks in memory), chunk (rows of a column), arrowtypes
(chunks <-> Arrow arrays, the files' representation), storage (the slice files and their
verification), format (the layout and meta.json), legacy (formats 1 and 2), hashing
(hashlabel slices), minmax, writer (DatasetWriter; writerargs: its name and 'parsed:TYPE'
checks; slicestate: one slice being written; finishing: finish/discard, the registries of
writers and the runner's hooks), reader (Dataset; metacache: meta.json per process and
which datasets it may read; pieces: iteration's row pieces), arrays (NumPy/Arrow/pandas),
parquetout (rows out as one Parquet file, streamed).

The names below are imported on first use: `import accel.dataset.format` (as the store
does, to read meta.json) costs no numpy or pyarrow, and plain jobs never import them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "FORMAT": "accel.dataset.format",
    "slices_for": "accel.dataset.hashing",
    "Dataset": "accel.dataset.reader", "DatasetColumn": "accel.dataset.reader",
    "DatasetList": "accel.dataset.reader", "NoDataset": "accel.dataset.reader",
    "TYPE_NAMES": "accel.dataset.types", "ColumnValueError": "accel.dataset.types",
    "DatasetDamaged": "accel.dataset.types", "DatasetError": "accel.dataset.types",
    "DatasetUsageError": "accel.dataset.types", "NoSuchColumn": "accel.dataset.types",
    "NoSuchDatasetError": "accel.dataset.types",
    "DatasetWriter": "accel.dataset.writer",
    "SkipDataset": "accel.errors", "SkipSlice": "accel.errors",
}

__all__ = [
    "FORMAT", "TYPE_NAMES", "ColumnValueError", "Dataset", "DatasetColumn", "DatasetDamaged",
    "DatasetError", "DatasetList", "DatasetUsageError", "DatasetWriter", "NoDataset",
    "NoSuchColumn", "NoSuchDatasetError",
    "SkipDataset", "SkipSlice", "slices_for",
]

if TYPE_CHECKING:
    from accel.dataset.format import FORMAT
    from accel.dataset.hashing import slices_for
    from accel.dataset.reader import Dataset, DatasetColumn, DatasetList, NoDataset
    from accel.dataset.types import (
        TYPE_NAMES,
        ColumnValueError,
        DatasetDamaged,
        DatasetError,
        DatasetUsageError,
        NoSuchColumn,
        NoSuchDatasetError,
    )
    from accel.dataset.writer import DatasetWriter
    from accel.errors import SkipDataset, SkipSlice


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'accel.dataset' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
