"""Whole columns for vectorised work: NumPy arrays, an Arrow table, a pandas DataFrame.

Numbers, datetimes and times are kept in memory the way NumPy and Arrow lay them out, so
these wrap what was read (for an uncompressed dataset, the memory-mapped file) without
copying: int/float columns as themselves, datetime as datetime64[us], time as
timedelta64[us] since midnight, complex as complex64/complex128. date (int32 days)
becomes datetime64[D], a copy. In Arrow every type is as the dataset files hold it
(arrowtypes.py), except number, which becomes int64 or float64 here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from accel.dataset.chunk import Chunk
from accel.dataset.decode import to_list

_VIEW = {"datetime": "datetime64[us]", "time": "timedelta64[us]"}


def column_array(chunk: Chunk) -> np.ndarray:
    name = chunk.ctype.name
    if not chunk.ctype.fixed:
        out = np.empty(chunk.n, object)
        out[:] = to_list(chunk)
        return out
    v = chunk.values
    if name in _VIEW:
        v = v.view(_VIEW[name])
    elif name == "date":
        v = v.astype(np.int64).view("datetime64[D]")
    if chunk.valid is not None:
        return np.ma.MaskedArray(v, mask=~chunk.valid)
    return v


def concat(arrays: list[np.ndarray]) -> np.ndarray:
    if any(isinstance(a, np.ma.MaskedArray) for a in arrays):
        return np.ma.concatenate(arrays)
    if len(arrays) == 1:
        return arrays[0]
    return np.concatenate(arrays)


def arrow_chunk(chunk: Chunk, number_type: Any = None):
    """One slice of one column as a pyarrow Array (no copy where the layout allows).
    number columns become `number_type` (see number_arrow_type)."""
    import pyarrow as pa

    from accel.dataset.arrowtypes import to_arrow
    from accel.dataset.arrowvalues import array

    if chunk.ctype.name == "number":
        values = to_list(chunk)
        if number_type == pa.float64():
            values = [None if v is None else float(v) for v in values]
        return array(values, number_type or pa.int64())
    return to_arrow(chunk)


def number_arrow_type(chunks: list[Chunk], what: str):
    """The one Arrow type for a number column's values in all of `chunks`: int64 when they
    are all ints in its range, float64 when every value is a float or an int a float holds
    exactly; otherwise (big ints with floats) no type holds them all, which is an error
    rather than values silently rounded."""
    import pyarrow as pa

    from accel.dataset.types import DatasetUsageError

    ints_ok, floats, inexact = True, False, None
    for chunk in chunks:
        for v in to_list(chunk):
            if v is None:
                continue
            if isinstance(v, float):
                floats = True
            elif not -(2**63) <= v < 2**63:
                ints_ok = False
                inexact = inexact if inexact is not None else v
            elif inexact is None and not -(2**53) <= v <= 2**53:
                inexact = v
    if ints_ok and not floats:
        return pa.int64()
    if inexact is None:
        return pa.float64()
    raise DatasetUsageError(
        f"{what} (number) holds {'floats and ' if floats else ''}the int {inexact}, which "
        f"{'float64' if ints_ok else 'neither int64 nor float64'} holds exactly; Arrow has "
        "no type for these values: read them with iterate()")


def arrow_table(ds: WholeColumns, names: list[str], slices: list[int]):
    """The columns `names` of slices `slices` of dataset `ds`, one chunk per slice."""
    import pyarrow as pa

    from accel.dataset.arrowtypes import TYPE_KEY, arrow_type

    arrays, fields = [], []
    for name in names:
        col = ds.columns[name]
        chunks = [ds._chunk(name, s) for s in slices]
        number_type = number_arrow_type(chunks, f"dataset {ds}, column {name!r}") \
            if str(col) == "number" else None
        typ = number_type or arrow_type(str(col))
        arrays.append(pa.chunked_array([arrow_chunk(c, number_type) for c in chunks], typ))
        fields.append(pa.field(name, typ, nullable=col.none_support,
                               metadata={TYPE_KEY: str(col).encode()}))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def pandas_frame(ds: WholeColumns, names: list[str], sliceno: int | None):
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("to_pandas() needs pandas: pip install pandas") from None
    data = {}
    for name in names:
        col = ds.columns[name]
        if str(col).startswith("complex") and not col.none_support:
            data[name] = ds.column(name, sliceno)
        else:
            data[name] = ds.to_arrow([name], sliceno).column(0).to_pandas()
    return pd.DataFrame(data, columns=names)


class WholeColumns:
    """A Dataset's columns whole (Dataset inherits these): as NumPy arrays, Arrow, pandas."""

    __slots__ = ()

    # Dataset's
    @property
    def columns(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def slices(self) -> int:
        raise NotImplementedError

    def column_info(self, name: str) -> Any:
        raise NotImplementedError

    def _check_slice(self, sliceno: Any) -> None:
        raise NotImplementedError

    def _chunk(self, name: str, sliceno: int) -> Chunk:
        raise NotImplementedError

    def _groups(self, names: list[str], sliceno: int) -> Iterator[list[Chunk]]:
        raise NotImplementedError

    def column(self, name: str, sliceno: int | None = None) -> np.ndarray:
        """The column as a NumPy array: numbers, datetimes and times of an uncompressed
        dataset are the memory-mapped file itself, no copy (dates are converted; a
        compressed dataset is decompressed into memory); text and other var-width types
        are object arrays. With None values, a masked array. sliceno None: all slices,
        concatenated."""
        from accel.dataset.arrays import column_array, concat

        self._check_slice(sliceno)
        if sliceno is not None:
            return column_array(self._chunk(name, int(sliceno)))
        return concat([column_array(self._chunk(name, s)) for s in range(self.slices)])

    def to_arrow(self, columns: Any = None, sliceno: int | None = None):
        """A pyarrow Table of `columns` (a name, a list of names, or None for all) of slice
        `sliceno` (None: every slice, one chunk per slice), each column of the Arrow type
        its files hold (arrowtypes.py), except number: int64 or float64, whichever holds
        every value exactly (else an error)."""
        from accel.dataset.arrays import arrow_table

        names = self._names(columns)
        self._check_slice(sliceno)
        slices = list(range(self.slices)) if sliceno is None else [int(sliceno)]
        return arrow_table(self, names, slices)

    def arrow_schema(self, columns: Any = None):
        """The pyarrow schema of arrow_batches(columns): the files' Arrow types, each
        field's metadata naming its accel type."""
        import pyarrow as pa

        from accel.dataset.arrowtypes import arrow_field

        names = self._names(columns)
        return pa.schema([arrow_field(n, self.columns[n].ctype, self.columns[n].none_support)
                          for n in names])

    def arrow_batches(self, columns: Any = None, sliceno: int | None = None):
        """pyarrow RecordBatches of `columns` of slice `sliceno` (None: every slice, in
        order), at most a row group at a time: for streaming a dataset of any size out.
        Every column is of the Arrow type the dataset files hold (number as its struct),
        with the accel type in its field's metadata, so nothing is rounded."""
        import pyarrow as pa

        from accel.dataset.arrowtypes import to_arrow

        names = self._names(columns)
        self._check_slice(sliceno)
        schema = self.arrow_schema(names)
        for s in range(self.slices) if sliceno is None else (int(sliceno),):
            for chunks in self._groups(names, s):
                yield pa.RecordBatch.from_arrays([to_arrow(c) for c in chunks], schema=schema)

    def to_pandas(self, columns: Any = None, sliceno: int | None = None):
        """A pandas DataFrame of `columns` of slice `sliceno` (None: all; needs pandas)."""
        from accel.dataset.arrays import pandas_frame

        names = self._names(columns)
        self._check_slice(sliceno)
        return pandas_frame(self, names, sliceno)

    def _names(self, columns: Any) -> list[str]:
        names = list(self.columns) if columns is None else (
            [columns] if isinstance(columns, str) else list(columns))
        for n in names:
            self.column_info(n)
        return names
