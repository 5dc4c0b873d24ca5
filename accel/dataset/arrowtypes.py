"""How a column of each accel type is an Arrow array: the one mapping the dataset files,
`to_arrow()` and other tools (pyarrow, polars, DuckDB) see.

    int32 int64 float32 float64   the same Arrow types
    bool                          bool
    date / time / datetime        date32 / time64[us] / timestamp[us] (naive)
    ascii unicode json            large_string (json: the value's JSON text)
    bytes pickle                  large_binary (pickle: the pickled bytes)
    complex32 / complex64         struct<real: float32, imag: float32> / <float64, float64>
    number                        struct<int: int64, float: float64, bigint: large_string>,
                                  one of the three set (bigint: an int beyond int64, as
                                  decimal text); None is a null struct

Every field carries metadata {"accel.type": NAME}, so a reader knows json from unicode.
A datetime's or time's fold is not in the array (Arrow has no place for it): the dataset
keeps the rows with fold=1 beside it (see format.py).

Conversions are zero-copy where the layouts agree (numbers, dates and times both ways,
text and bytes into Arrow); the rest are one vectorised pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from accel.dataset.arrowbuffers import arrow_of, bitmap_of, bits_of, buffer_values, validity
from accel.dataset.chunk import Chunk
from accel.dataset.encode import encode
from accel.dataset.types import ColumnType, DatasetDamaged, column_type

TYPE_KEY = b"accel.type"

_PLAIN = {
    "int32": pa.int32(), "int64": pa.int64(), "float32": pa.float32(),
    "float64": pa.float64(), "bool": pa.bool_(), "date": pa.date32(),
    "time": pa.time64("us"), "datetime": pa.timestamp("us"),
    "ascii": pa.large_string(), "unicode": pa.large_string(), "json": pa.large_string(),
    "bytes": pa.large_binary(), "pickle": pa.large_binary(),
}
_COMPLEX_PART = {"complex32": pa.float32(), "complex64": pa.float64()}
NUMBER_TYPE = pa.struct([("int", pa.int64()), ("float", pa.float64()),
                         ("bigint", pa.large_string())])


def arrow_type(name: str) -> pa.DataType:
    if name in _PLAIN:
        return _PLAIN[name]
    if name in _COMPLEX_PART:
        part = _COMPLEX_PART[name]
        return pa.struct([("real", part), ("imag", part)])
    if name == "number":
        return NUMBER_TYPE
    raise KeyError(name)


def arrow_field(name: str, ctype: ColumnType, none_support: bool) -> pa.Field:
    return pa.field(name, arrow_type(ctype.name), nullable=none_support,
                    metadata={TYPE_KEY: ctype.name.encode()})


def field_type(field: pa.Field) -> ColumnType | None:
    """The accel type a field says it holds (None: not an accel field)."""
    meta = field.metadata or {}
    name = meta.get(TYPE_KEY)
    return column_type(name.decode()) if name else None


# --- Chunk -> Arrow --------------------------------------------------------------------------


def to_arrow(chunk: Chunk) -> pa.Array:
    """The chunk as the Arrow array of its type (no copy where the layout agrees)."""
    name, n = chunk.ctype.name, chunk.n
    typ = arrow_type(name)
    bitmap = bitmap_of(chunk.valid)
    if name == "bool":
        bits = np.packbits(chunk.values.view(np.uint8), bitorder="little")
        return pa.Array.from_buffers(typ, n, [bitmap, pa.py_buffer(bits)])
    if name in _COMPLEX_PART:
        parts = [arrow_of(getattr(chunk.values, p)) for p in ("real", "imag")]
        return pa.Array.from_buffers(typ, n, [bitmap], children=parts)
    if name == "number":
        return _number_to_arrow(chunk, bitmap)
    if chunk.ctype.fixed:
        return pa.Array.from_buffers(typ, n, [bitmap,
                                              pa.py_buffer(np.ascontiguousarray(chunk.values))])
    off = chunk.offsets
    start, stop = int(off[0]), int(off[-1])
    if off.dtype != np.int64 or start:
        off = off.astype(np.int64) - start
    data = np.ascontiguousarray(chunk.data[start:stop])
    return pa.Array.from_buffers(typ, n, [bitmap, pa.py_buffer(off), pa.py_buffer(data)])


def _number_to_arrow(chunk: Chunk, bitmap: pa.Buffer | None) -> pa.Array:
    """Tagged records (b'i' + int64, b'f' + float64, b'I' + any int) -> the struct."""
    n = chunk.n
    off = chunk.offsets
    lengths = np.diff(off)
    valid = np.ones(n, bool) if chunk.valid is None else chunk.valid
    ints = np.zeros(n, np.int64)
    floats = np.zeros(n, np.float64)
    big: list[str | None] = [None] * n
    is_int = np.zeros(n, bool)
    is_float = np.zeros(n, bool)
    nine = valid & (lengths == 9)
    if nine.any():
        idx = np.flatnonzero(nine)
        starts = off[:-1][idx].astype(np.int64)
        rec = chunk.data[starts[:, None] + np.arange(9)]
        tags = rec[:, 0]
        body = np.ascontiguousarray(rec[:, 1:]).view("<i8").reshape(-1)
        i_rows = tags == ord("i")
        f_rows = tags == ord("f")
        ints[idx[i_rows]] = body[i_rows]
        floats[idx[f_rows]] = body[f_rows].view("<f8")
        is_int[idx[i_rows]] = True
        is_float[idx[f_rows]] = True
    from accel.dataset.decode import number_value

    for i in np.flatnonzero(valid & ~is_int & ~is_float).tolist():
        v = number_value(bytes(chunk.data[int(off[i]):int(off[i + 1])]), "number column")
        if isinstance(v, float):
            floats[i], is_float[i] = v, True
        elif -(2**63) <= v < 2**63:
            ints[i], is_int[i] = v, True
        else:
            big[i] = str(v)
    children = [
        pa.Array.from_buffers(pa.int64(), n, [bitmap_of(is_int), pa.py_buffer(ints)]),
        pa.Array.from_buffers(pa.float64(), n, [bitmap_of(is_float), pa.py_buffer(floats)]),
        to_arrow(encode(column_type("unicode"), True, big)) if any(big)
        else pa.nulls(n, pa.large_string()),
    ]
    return pa.Array.from_buffers(NUMBER_TYPE, n, [bitmap], children=children)


# --- Arrow -> Chunk --------------------------------------------------------------------------


def from_arrow(ctype: ColumnType, arr: pa.Array, what: str) -> Chunk:
    """An Arrow array of `ctype`'s Arrow type as a chunk (numbers, dates, times and text
    without a copy). A type or layout that does not fit is DatasetDamaged."""
    name, n, offset = ctype.name, len(arr), arr.offset
    if arr.type != arrow_type(name):
        raise DatasetDamaged(f"{what}: holds {arr.type}, not the {arrow_type(name)} of a "
                             f"{name} column (damaged?)")
    buffers = arr.buffers()
    valid = bits_of(buffers[0], offset, n) if arr.null_count else None
    if name == "bool":
        bits = bits_of(buffers[1], offset, n)
        assert bits is not None  # a bool array always has its values buffer
        return Chunk(ctype, n, values=bits.copy(), valid=valid)
    if name in _COMPLEX_PART:
        values = np.empty(n, ctype.storage)
        values.real = _child_values(arr.field(0), n)
        values.imag = _child_values(arr.field(1), n)
        return Chunk(ctype, n, values=values, valid=valid)
    if name == "number":
        return _number_from_arrow(ctype, arr, valid, what)
    if ctype.fixed:
        assert ctype.storage is not None  # every fixed-width type has one
        return Chunk(ctype, n, values=buffer_values(buffers[1], ctype.storage, offset, n),
                     valid=valid)
    off = buffer_values(buffers[1], "<i8", offset, n + 1) if n else np.zeros(1, np.int64)
    data = np.frombuffer(buffers[2], np.uint8) if buffers[2] is not None and n \
        else np.zeros(0, np.uint8)
    if n and (off[0] < 0 or off[-1] > len(data)):
        raise DatasetDamaged(f"{what}: offsets outside the data (damaged?)")
    return Chunk(ctype, n, offsets=off, data=data, valid=valid)


def _child_values(child: pa.Array, n: int) -> np.ndarray:
    """A struct field's values (nulls in it read as whatever is stored: the parent's
    validity decides)."""
    dtype = "<f4" if child.type == pa.float32() else "<f8"
    return buffer_values(child.buffers()[1], dtype, child.offset, n)


def _number_from_arrow(ctype: ColumnType, arr: pa.Array, valid: np.ndarray | None,
                       what: str) -> Chunk:
    n = len(arr)
    ints, floats, big = (arr.field(i) for i in range(3))
    has_int = validity(ints)
    has_float = validity(floats)
    has_big = validity(big)
    rows = np.ones(n, bool) if valid is None else valid
    if ((has_int.astype(np.int8) + has_float + has_big)[rows] != 1).any():
        raise DatasetDamaged(f"{what}: a number row without exactly one value (damaged?)")
    rec = np.zeros((n, 9), np.uint8)
    rec[:, 0] = np.where(has_float, ord("f"), ord("i"))
    body = rec[:, 1:]
    int_vals = buffer_values(ints.buffers()[1], "<i8", ints.offset, n)
    float_vals = buffer_values(floats.buffers()[1], "<f8", floats.offset, n)
    body[has_int] = int_vals[has_int].view(np.uint8).reshape(-1, 8)
    body[has_float] = float_vals[has_float].view(np.uint8).reshape(-1, 8)
    lengths = np.where(rows, 9, 0)
    if not has_big.any():
        parts = rec[rows].reshape(-1)
    else:
        texts = big.to_pylist()
        pieces = []
        for i in range(n):
            if not rows[i]:
                pieces.append(b"")
            elif has_big[i]:
                try:
                    v = int(texts[i])
                except ValueError:
                    raise DatasetDamaged(f"{what}: a bigint that is not an int (damaged?)")
                pieces.append(b"I" + v.to_bytes((v.bit_length() + 8) // 8, "little",
                                                signed=True))
            else:
                pieces.append(rec[i].tobytes())
        lengths = np.fromiter(map(len, pieces), np.int64, n)
        parts = np.frombuffer(b"".join(pieces), np.uint8)
    off = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=off[1:])
    return Chunk(ctype, n, offsets=off, data=np.asarray(parts, np.uint8), valid=valid)


def schema_of(fields: list[pa.Field], metadata: dict[str, Any]) -> pa.Schema:
    return pa.schema(fields, metadata={k: str(v) for k, v in metadata.items()})
