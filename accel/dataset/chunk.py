"""Chunk: some rows of one column in their in-memory form, between Python values and files.

The writer encodes lists of values into chunks and hands them to the slice files; the
reader turns what it reads from the files into chunks and decodes them; hashing and
re-slicing pick rows out of chunks. One shape for all of them keeps each step vectorised
(numpy), whatever the column type.
"""

from __future__ import annotations

import threading

import numpy as np

from accel.dataset.types import ColumnType


class Chunk:
    """`n` rows. Fixed-width: `values` is the storage array, one element a row.
    Var-width: `offsets` (n+1 int32 or int64, need not start at 0) into `data` (uint8).
    `valid` is a bool array (False = None), or None when every row has a value. `fold`
    (datetime and time only) is a bool array of the rows whose value has fold=1, or None
    when none has."""

    __slots__ = ("ctype", "n", "_values", "_offsets", "_data", "valid", "fold")

    def __init__(self, ctype: ColumnType, n: int, values: np.ndarray | None = None,
                 offsets: np.ndarray | None = None, data: np.ndarray | None = None,
                 valid: np.ndarray | None = None, fold: np.ndarray | None = None):
        self.ctype = ctype
        self.n = n
        self._values = values
        self._offsets = offsets
        self._data = data
        self.valid = valid
        self.fold = fold

    # A chunk is either fixed-width (values) or var-width (offsets, data): the accessors
    # say which one a caller relies on, so the other kind is an error there, not a None.

    @property
    def values(self) -> np.ndarray:
        """The storage array of a fixed-width chunk."""
        assert self._values is not None, f"a {self.ctype.name} chunk has no values array"
        return self._values

    @property
    def offsets(self) -> np.ndarray:
        """The n+1 offsets into `data` of a var-width chunk."""
        assert self._offsets is not None, f"a {self.ctype.name} chunk has no offsets"
        return self._offsets

    @property
    def data(self) -> np.ndarray:
        """The bytes (uint8) of a var-width chunk's values."""
        assert self._data is not None, f"a {self.ctype.name} chunk has no data array"
        return self._data

    @classmethod
    def empty(cls, ctype: ColumnType) -> Chunk:
        if ctype.fixed:
            return cls(ctype, 0, values=np.zeros(0, ctype.storage))
        return cls(ctype, 0, offsets=np.zeros(1, np.int64), data=np.zeros(0, np.uint8))

    def slice(self, start: int, stop: int) -> Chunk:
        """Rows start..stop, sharing memory with this chunk."""
        stop = min(stop, self.n)
        valid = None if self.valid is None else self.valid[start:stop]
        fold = None if self.fold is None else self.fold[start:stop]
        if self.ctype.fixed:
            return Chunk(self.ctype, stop - start, values=self.values[start:stop],
                         valid=valid, fold=fold)
        return Chunk(self.ctype, stop - start, offsets=self.offsets[start:stop + 1],
                     data=self.data, valid=valid)

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
            fold = None if self.fold is None else self.fold[idx]
            return Chunk(self.ctype, len(idx), values=self.values[idx], valid=valid, fold=fold)
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


def concat(ctype: ColumnType, chunks: list[Chunk]) -> Chunk:
    """The rows of `chunks` one after the other, as one chunk (no copy for one chunk)."""
    if len(chunks) == 1:
        return chunks[0]
    if not chunks:
        return Chunk.empty(ctype)
    n = sum(c.n for c in chunks)
    valid = None
    if any(c.valid is not None for c in chunks):
        valid = np.concatenate([np.ones(c.n, bool) if c.valid is None else c.valid
                                for c in chunks])
    fold = None
    if any(c.fold is not None for c in chunks):
        fold = np.concatenate([np.zeros(c.n, bool) if c.fold is None else c.fold
                               for c in chunks])
    if ctype.fixed:
        return Chunk(ctype, n, values=np.concatenate([c.values for c in chunks]),
                     valid=valid, fold=fold)
    lengths = np.concatenate([np.diff(c.offsets).astype(np.int64) for c in chunks])
    off = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=off[1:])
    data = np.concatenate([c.data[int(c.offsets[0]):int(c.offsets[-1])] for c in chunks])
    return Chunk(ctype, n, offsets=off, data=data, valid=valid)


class Gathering:
    """The rows of one column, arriving as chunks at known places (from several threads
    at once), made one chunk. Fixed-width chunks are copied into one array as they come,
    by the thread that brings each, so each chunk's memory can be reused for the next and
    the first touch of the new array's pages is shared between threads. A chunk holding
    every row is kept as it is (an uncompressed file's mapping); var-width chunks are
    concatenated at the end."""

    def __init__(self, ctype: ColumnType, n: int):
        self.ctype = ctype
        self.n = n
        self.rows = 0
        self.pieces: dict[int, Chunk] = {}
        self.values: np.ndarray | None = None
        self.valid: np.ndarray | None = None
        self.fold: np.ndarray | None = None
        self._lock = threading.Lock()

    def put(self, pos: int, chunk: Chunk) -> None:
        end = pos + chunk.n
        if end > self.n:
            raise ValueError(f"more than the {self.n} rows expected")
        with self._lock:
            self.rows += chunk.n
            if chunk.n == self.n or not self.ctype.fixed:
                self.pieces[pos] = chunk
                return
            if self.values is None:
                assert self.ctype.storage is not None  # every fixed-width type has one
                self.values = np.empty(self.n, self.ctype.storage)
            if chunk.valid is not None and self.valid is None:
                self.valid = np.ones(self.n, bool)
            if chunk.fold is not None and self.fold is None:
                self.fold = np.zeros(self.n, bool)
        self.values[pos:end] = chunk.values  # (outside the lock: places never overlap)
        if chunk.valid is not None:
            assert self.valid is not None
            self.valid[pos:end] = chunk.valid
        if chunk.fold is not None:
            assert self.fold is not None
            self.fold[pos:end] = chunk.fold

    def chunk(self) -> Chunk:
        if self.rows != self.n:
            raise ValueError(f"{self.rows} rows where {self.n} were expected")
        if self.values is not None:
            return Chunk(self.ctype, self.n, values=self.values, valid=self.valid,
                         fold=self.fold)
        return concat(self.ctype, [self.pieces[pos] for pos in sorted(self.pieces)])


def var_chunk(ctype: ColumnType, parts: list, valid: np.ndarray | None = None) -> Chunk:
    """A var-width chunk from a list of bytes-like values."""
    n = len(parts)
    off = np.zeros(n + 1, np.int64)
    if n:
        np.cumsum(np.fromiter(map(len, parts), np.int64, n), out=off[1:])
    data = np.frombuffer(b"".join(parts), np.uint8)
    if len(data) <= 2**31 - 1:
        off = off.astype(np.int32)
    return Chunk(ctype, n, offsets=off, data=data, valid=valid)
