"""Chunk: some rows of one column in their on-disk form, between Python values and files.

The writer encodes lists of values into chunks and appends them to files; the reader maps
files into chunks and decodes them; hashing and re-slicing pick rows out of chunks. One
shape for all of them keeps each step vectorised (numpy), whatever the column type.
"""

from __future__ import annotations

import numpy as np

from accel.dataset.types import ColumnType, values_per_row


class Chunk:
    """`n` rows. Fixed-width: `values` is the storage array (complex32: 2n float16).
    Var-width: `offsets` (n+1 int32 or int64, need not start at 0) into `data` (uint8).
    `valid` is a bool array (False = None), or None when every row has a value."""

    __slots__ = ("ctype", "n", "values", "offsets", "data", "valid")

    def __init__(self, ctype: ColumnType, n: int, values: np.ndarray | None = None,
                 offsets: np.ndarray | None = None, data: np.ndarray | None = None,
                 valid: np.ndarray | None = None):
        self.ctype = ctype
        self.n = n
        self.values = values
        self.offsets = offsets
        self.data = data
        self.valid = valid

    @classmethod
    def empty(cls, ctype: ColumnType) -> Chunk:
        if ctype.fixed:
            return cls(ctype, 0, values=np.zeros(0, ctype.storage))
        return cls(ctype, 0, offsets=np.zeros(1, np.int64), data=np.zeros(0, np.uint8))

    def slice(self, start: int, stop: int) -> Chunk:
        """Rows start..stop, sharing memory with this chunk."""
        stop = min(stop, self.n)
        valid = None if self.valid is None else self.valid[start:stop]
        if self.ctype.fixed:
            per = values_per_row(self.ctype)
            return Chunk(self.ctype, stop - start, values=self.values[start * per:stop * per],
                         valid=valid)
        return Chunk(self.ctype, stop - start, offsets=self.offsets[start:stop + 1],
                     data=self.data, valid=valid)

    def rows(self) -> np.ndarray:
        """Fixed-width values one row per element (complex32 as (n, 2) float16)."""
        if values_per_row(self.ctype) == 2:
            return self.values.reshape(-1, 2)
        return self.values

    def items(self) -> list[bytes]:
        """Var-width values as bytes objects (None rows as b'')."""
        off = self.offsets.tolist()
        data = self.data.tobytes() if off[0] or off[-1] != len(self.data) else bytes(self.data)
        base = off[0]
        if base:
            data = data[base:off[-1]]
            off = [o - base for o in off]
        return [data[a:b] for a, b in zip(off, off[1:], strict=False)]

    def take(self, idx: np.ndarray) -> Chunk:
        """The rows at `idx` (an int index array or a bool mask), as a new chunk."""
        if idx.dtype == np.bool_:
            idx = np.flatnonzero(idx)
        valid = None if self.valid is None else self.valid[idx]
        if self.ctype.fixed:
            vals = self.rows()[idx]
            return Chunk(self.ctype, len(idx), values=vals.reshape(-1), valid=valid)
        starts = self.offsets[:-1][idx]
        lengths = self.offsets[1:][idx] - starts
        new_off = np.zeros(len(idx) + 1, np.int64)
        np.cumsum(lengths, out=new_off[1:])
        total = int(new_off[-1])
        if total:
            gather = np.repeat(starts - new_off[:-1], lengths) + np.arange(total)
            data = self.data[gather]
        else:
            data = np.zeros(0, np.uint8)
        return Chunk(self.ctype, len(idx), offsets=new_off, data=data, valid=valid)


def var_chunk(ctype: ColumnType, parts: list, valid: np.ndarray | None = None) -> Chunk:
    """A var-width chunk from a list of bytes-like values."""
    n = len(parts)
    off = np.zeros(n + 1, np.int64)
    if n:
        np.cumsum(np.fromiter(map(len, parts), np.int64, n), out=off[1:])
    data = np.frombuffer(b"".join(parts), np.uint8)
    if len(data) <= 2**31 - 1:
        off = off.astype(np.int32)  # the files' own offsets (format.Appender)
    return Chunk(ctype, n, offsets=off, data=data, valid=valid)
