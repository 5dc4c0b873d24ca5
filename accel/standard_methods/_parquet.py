"""Parquet files for parquetimport and parquetexport: which rows a slice reads, what a
file's statistics say about a column, and Arrow columns as values a dataset writer takes
exactly (or an error naming the column and the row)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from accel.dataset.arrowbuffers import numpy_of, validity
from accel.errors import UserError


def _err(msg: str) -> UserError:
    return UserError(f"parquetimport: {msg}")


def _leaves(md: Any, name: str) -> list[int]:
    """The Parquet leaf columns of top-level column `name` (a struct or list has several)."""
    return [i for i in range(md.num_columns)
            if md.schema.column(i).path == name or md.schema.column(i).path.startswith(name + ".")]


def has_nulls(files: list, name: str) -> bool:
    """Whether column `name` may have a null: from the files' statistics when every leaf
    has them (a nested column's leaves count its nulls too, so this may say yes where only
    an element inside is null), else what its field says."""
    for f in files:
        md = f.metadata
        stats = [md.row_group(g).column(leaf).statistics
                 for g in range(md.num_row_groups) for leaf in _leaves(md, name)]
        if any(st is None or not st.has_null_count for st in stats):
            if f.schema_arrow.field(name).nullable:
                return True
        elif any(st.null_count for st in stats):
            return True
    return False


def max_value(files: list, name: str) -> int:
    """The largest value of an unsigned column."""
    import pyarrow.compute as pc  # here only: it takes 40 ms to import

    best = 0
    for f in files:
        for g in range(f.metadata.num_row_groups):
            col = f.read_row_group(g, columns=[name]).column(0)
            m = pc.max(col).as_py()
            if m is not None:
                best = max(best, m)
    return best


# rows per batch read: a whole row group at once (millions of rows) decoded into fresh
# memory at half the speed; batches this size reuse the same memory, warm in the cache
BATCH_ROWS = 1 << 16


def read_rows(paths: list[str], rows: list[int], start: int, stop: int,
              columns: list[str]) -> Iterator[pa.Table]:
    """Rows start..stop of the files read one after the other, BATCH_ROWS at a time; row
    groups outside start..stop are not read."""
    import pyarrow.parquet as pq

    first = 0
    for path, n in zip(paths, rows, strict=True):
        if first >= stop:
            return
        if first + n > start:
            # mapped, not read: a slice's first read of a big file took half as long again
            # with pyarrow reading it into buffers of its own
            f = pq.ParquetFile(path, memory_map=True)
            groups, pos, g_first = [], None, first
            for g in range(f.metadata.num_row_groups):
                g_rows = f.metadata.row_group(g).num_rows
                if max(start, g_first) < min(stop, g_first + g_rows):
                    groups.append(g)
                    pos = g_first if pos is None else pos
                g_first += g_rows
            for batch in f.iter_batches(BATCH_ROWS, groups, columns, use_threads=False) \
                    if groups else ():
                assert pos is not None
                lo, hi = max(start, pos), min(stop, pos + batch.num_rows)
                if lo < hi:
                    yield pa.Table.from_batches([batch.slice(lo - pos, hi - lo)])
                pos += batch.num_rows
                if pos >= stop:
                    break
        first += n


def as_column(col: pa.ChunkedArray, coltype: str, name: str) -> Any:
    """An Arrow column of a Parquet file as what DatasetWriter.write_columns takes for a
    column of `coltype`: Arrow arrays where the writer reads them directly, else Python
    values (the writer then checks each)."""
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if coltype == "datetime" and pa.types.is_timestamp(t):
        return _timestamps(arr, name)
    if coltype == "time" and pa.types.is_time(t):
        return _times(arr, name)
    if coltype == "date" and t == pa.date64():
        return arr.cast(pa.date32())
    if coltype in ("unicode", "ascii") and (pa.types.is_string_view(t) or pa.types.is_string(t)):
        return _large(arr, pa.large_string())
    if coltype == "bytes" and not pa.types.is_large_binary(t) and (
            pa.types.is_binary(t) or pa.types.is_binary_view(t)
            or pa.types.is_fixed_size_binary(t)):
        return _large(arr, pa.large_binary())
    if coltype == "bytes" and (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return _large(arr, pa.large_binary())
    if coltype.startswith("complex") and pa.types.is_struct(t) and t.num_fields == 2:
        return _complex(arr)
    if coltype == "number" and pa.types.is_struct(t):
        return [None if v is None else _number(v) for v in arr.to_pylist()]
    if coltype == "number" and pa.types.is_decimal(t):
        return [None if v is None else int(v) for v in arr.to_pylist()]
    if coltype == "json" and (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return [None if v is None else json.loads(v) for v in arr.to_pylist()]
    if coltype == "json":
        return arr.to_pylist()
    if coltype == "pickle" and (pa.types.is_binary(t) or pa.types.is_large_binary(t)):
        import pickle

        return [None if v is None else pickle.loads(v) for v in arr.to_pylist()]
    return arr


def _large(arr: pa.Array, target: pa.DataType) -> pa.Array:
    """`arr` (string or binary, 32-bit offsets) as `target` (64-bit offsets): the same
    buffers with the offsets widened. Array.cast would do it too, but it loads
    pyarrow.compute, which takes longer to import than a million rows take to convert."""
    t = arr.type
    if not (pa.types.is_string(t) or pa.types.is_binary(t) or pa.types.is_large_string(t)
            or pa.types.is_large_binary(t)):
        return arr.cast(target)  # views, fixed size: rare enough to pay for the import
    validity, offsets, data = arr.buffers()
    width = np.int64 if pa.types.is_large_string(t) or pa.types.is_large_binary(t) else np.int32
    wide = np.frombuffer(offsets, width, count=arr.offset + len(arr) + 1).astype(np.int64)
    return pa.Array.from_buffers(target, len(arr), [validity, pa.py_buffer(wide), data],
                                 arr.null_count, arr.offset)


def _timestamps(arr: pa.Array, name: str) -> pa.Array:
    """Naive microseconds: a time zone's timestamps as UTC, nanoseconds only when whole."""
    t = arr.type
    if t.tz is not None:
        arr = pa.Array.from_buffers(pa.timestamp(t.unit), len(arr), arr.buffers(), arr.null_count,
                                    arr.offset)
    if t.unit == "ns":  # (numpy writes the time: pyarrow can only where pandas is imported)
        ns = numpy_of(arr)
        bad = np.flatnonzero(ns.view(np.int64) % 1000)
        if bad.size:
            raise _err(f"column {name!r}, row {int(bad[0])}: {ns[int(bad[0])]} has nanoseconds; "
                       "a datetime holds whole microseconds")
    return arr.cast(pa.timestamp("us"))


def _times(arr: pa.Array, name: str) -> list:
    t = arr.type
    if t == pa.time64("ns"):
        ns = numpy_of(arr.cast(pa.int64()))
        bad = np.flatnonzero(ns % 1000)
        if bad.size:
            raise _err(f"column {name!r}, row {int(bad[0])}: a time with nanoseconds; a time "
                       "holds whole microseconds")
    return arr.cast(pa.time64("us")).to_pylist()


def _complex(arr: pa.StructArray) -> list:
    c = np.empty(len(arr), np.complex128)
    c.real = numpy_of(arr.field(0))
    c.imag = numpy_of(arr.field(1))
    values = c.tolist()
    if arr.null_count:
        for i in np.flatnonzero(~validity(arr)).tolist():
            values[i] = None
    return values


def _number(v: dict) -> Any:
    if v.get("int") is not None:
        return v["int"]
    if v.get("float") is not None:
        return v["float"]
    return int(v["bigint"])
