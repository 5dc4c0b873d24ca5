"""Datasets: typed, column-wise, sliced tables stored in the job that wrote them.

Writing: `dw = job.datasetwriter(...)` (DatasetWriter); reading: `job.dataset(name)` or
`Dataset('dev-3/name')`. The modules, each with one job: types (the column types),
encode/decode (Python values <-> stored form), chunk (rows of a column in stored form),
format (files and meta.json), hashing (hashlabel slices), minmax, writer, reader, arrays
(NumPy/Arrow/pandas). numpy and pyarrow are imported here only, never by plain jobs.
"""

from __future__ import annotations

from accel.dataset.format import FORMAT
from accel.dataset.hashing import slices_for
from accel.dataset.reader import Dataset, DatasetColumn, DatasetList
from accel.dataset.types import (
    TYPE_NAMES,
    ColumnValueError,
    DatasetDamaged,
    DatasetError,
    DatasetUsageError,
    NoSuchColumn,
)
from accel.dataset.writer import DatasetWriter
from accel.errors import SkipDataset, SkipSlice

__all__ = [
    "FORMAT", "TYPE_NAMES", "ColumnValueError", "Dataset", "DatasetColumn", "DatasetDamaged",
    "DatasetError", "DatasetList", "DatasetUsageError", "DatasetWriter", "NoSuchColumn",
    "SkipDataset", "SkipSlice", "slices_for",
]
