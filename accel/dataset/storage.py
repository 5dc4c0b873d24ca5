"""The files of a format-3 dataset: one file per slice, holding every column the dataset
writes (a child dataset's files hold the columns it adds), each a standard file that
pyarrow, polars or DuckDB open without accel.

    SLICE.parquet   compressed (the default): Parquet, zstd or lz4, a row group per
                    GROUP_ROWS rows, so reading a slice streams a group at a time in
                    bounded memory. Integers, dates and times are delta-encoded, floats
                    byte-stream-split and text length-prefixed before compression: those
                    shrink where plain zstd cannot (floats the codec does not shrink
                    stay plain).
    SLICE.arrow     uncompressed: an Arrow IPC file (Feather v2) of one record batch, so
                    `column()` of a whole slice is the memory-mapped file, not a copy.

Every read is verified. When a slice file is finished it is cut into regions that tile
it, byte for byte: the parts every read needs (Parquet: its magic and footer; Arrow: the
schema, the batch's metadata and the footer) and one region per column per row group.
meta.json keeps the xxh3-64 of each region (meta.json itself is checksummed, format.py).
A reader checks the file's size and the shared regions when it opens a file, and a
column's region before it reads it, the first time this process reads that region: so a
damaged byte anywhere is found before pyarrow parses it, reading one column hashes only
that column's bytes, and at ~20 GB/s the hash costs a few percent of a read.
"""

from __future__ import annotations

import mmap
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import xxhash

from accel.dataset import arrowtypes
from accel.dataset.chunk import Chunk
from accel.dataset.prefetch import in_order
from accel.dataset.types import ColumnType, DatasetDamaged, DatasetUsageError

T = TypeVar("T")

# rows per Parquet row group, or fewer once the group holds GROUP_BYTES: big enough that
# reading a group costs little more than its decoding (a column sum took 212 M rows/s with
# 64 Ki rows, 274 with 256 Ki, 285 with 1 Mi), small enough to stream a slice
GROUP_ROWS = 1 << 18
GROUP_BYTES = 32 << 20
# a column that its codec shrinks by less than SHRINK_ENOUGH (compressed / encoded size)
# in a sample of SAMPLE_ROWS rows of its first row group is stored encoded but
# uncompressed: zstd on random integers after delta encoding saves nothing and costs a
# third of the writing. Too little to judge keeps the codec: a first write of fewer than
# SAMPLE_MIN rows, or a column under a byte a row in the sample (all None, a constant)
SAMPLE_ROWS = 1 << 15
SAMPLE_MIN = 1 << 12
SHRINK_ENOUGH = 0.9
# text is stored as each value after its length (PLAIN) where that is no bigger as stored
# in the sample (compressed, or not where the codec does not shrink it) than its lengths,
# then its bytes (DELTA_LENGTH_BYTE_ARRAY). Plain text took ~40% less writing and ~25% less
# reading; it was smaller for a few values repeated and for counting numbers, 2-9% bigger
# for names, dates, JSON and UUIDs, more for random text. No bigger, not "a tenth", as for
# the codec: the sample understates what plain costs random text (random letters: 5% in
# the sample, 13% in a whole row group, which took the bench's csvimport job past the
# Accelerator's size)
PLAIN_ENOUGH = 1.0
COMPRESSIONS = ("zstd", "lz4", None)
DEFAULT_COMPRESSION = "zstd"
_ENCODING = {
    "int32": "DELTA_BINARY_PACKED", "int64": "DELTA_BINARY_PACKED",
    "date": "DELTA_BINARY_PACKED", "time": "DELTA_BINARY_PACKED",
    "datetime": "DELTA_BINARY_PACKED", "float32": "BYTE_STREAM_SPLIT",
    "float64": "BYTE_STREAM_SPLIT", "ascii": "DELTA_LENGTH_BYTE_ARRAY",
    "unicode": "DELTA_LENGTH_BYTE_ARRAY", "json": "DELTA_LENGTH_BYTE_ARRAY",
    "bytes": "DELTA_LENGTH_BYTE_ARRAY", "pickle": "DELTA_LENGTH_BYTE_ARRAY",
}
_CHILD_ENCODING = {"complex32": ("BYTE_STREAM_SPLIT",) * 2,
                   "complex64": ("BYTE_STREAM_SPLIT",) * 2,
                   "number": ("DELTA_BINARY_PACKED", "BYTE_STREAM_SPLIT",
                              "DELTA_LENGTH_BYTE_ARRAY")}

Columns = list[tuple[str, ColumnType, bool]]


def check_compression(value: Any) -> str | None:
    """'zstd', 'lz4', or None for uncompressed ('none' and False mean None too)."""
    if value in (None, False, "none"):
        return None
    if value in COMPRESSIONS:
        return value
    raise DatasetUsageError(f"compression {value!r}: use 'zstd' (the default), 'lz4', or None "
                            "(uncompressed: column() maps the files without a copy)")


def file_name(sliceno: int, compression: str | None) -> str:
    return f"{sliceno:04d}.{'arrow' if compression is None else 'parquet'}"


def _hash(view: Any) -> str:
    return xxhash.xxh3_64_hexdigest(view)


# --- writing ---------------------------------------------------------------------------------


def slice_writer(ds_dir: Path, sliceno: int, columns: Columns, compression: str | None,
                 schema_meta: dict) -> ParquetSlice | ArrowSlice:
    cls = ArrowSlice if compression is None else ParquetSlice
    return cls(ds_dir, sliceno, columns, compression, schema_meta)


class _SliceWriter:
    """What both kinds of slice file know: where it goes, its columns, its Arrow schema."""

    def __init__(self, ds_dir: Path, sliceno: int, columns: Columns, compression: str | None,
                 schema_meta: dict):
        self.path = ds_dir / file_name(sliceno, compression)
        self.columns = columns
        self.compression = compression
        self.schema = arrowtypes.schema_of(
            [arrowtypes.arrow_field(n, ct, ns) for n, ct, ns in columns], schema_meta)


class ParquetSlice(_SliceWriter):
    """Appends chunks to one slice's Parquet file, a row group every GROUP_ROWS rows."""

    def __init__(self, ds_dir: Path, sliceno: int, columns: Columns, compression: str | None,
                 schema_meta: dict):
        super().__init__(ds_dir, sliceno, columns, compression, schema_meta)
        self._pending: list[list[pa.Array]] = []
        self._rows = 0
        self._bytes = 0
        self._writer: Any = None
        self.groups: list[int] = []

    def _parquet_writer(self, sink: Any, compression: str | dict[str, str],
                        encodings: dict[str, str], schema: pa.Schema | None = None) -> Any:
        """A ParquetWriter of this slice's schema; compression: one codec, or {column
        path: codec}; encodings: {column path: encoding}. zstd at level 1: higher levels
        shrank little more here and wrote at half the speed."""
        import pyarrow.parquet as pq

        levels: Any = 1 if compression == "zstd" else None
        if isinstance(compression, dict):
            levels = {p: 1 for p, c in compression.items() if c == "zstd"} or None
        return pq.ParquetWriter(
            sink, schema or self.schema, compression=compression, compression_level=levels,
            use_dictionary=False, write_statistics=False, column_encoding=encodings,
            store_schema=True)

    def _open(self, first: pa.Table) -> Any:
        if self._writer is None:
            self._writer = self._parquet_writer(self.path, *self._choices(first))
        return self._writer

    def _choices(self, first: pa.Table) -> tuple[str | dict[str, str], dict[str, str]]:
        """The codec and the encoding of each Parquet column (leaf path), from a sample of
        the first rows: the dataset's codec, or none where it does not shrink that column
        enough; text plain (each value after its length) where that is no bigger as it
        would be stored (compressed, or not where the codec does not shrink it), else
        lengths-then-bytes."""
        assert self.compression is not None  # (uncompressed slices are Arrow files)
        encodings = self._encodings()
        rows = min(first.num_rows, SAMPLE_ROWS)
        if rows < SAMPLE_MIN:
            return self.compression, encodings
        sample = first.slice(0, rows)
        sizes = self._sample(sample, encodings)
        text = [p for p, e in encodings.items() if e == "DELTA_LENGTH_BYTE_ARRAY"]
        if text:
            fields = list(dict.fromkeys(p.split(".")[0] for p in text))
            plain = self._sample(sample.select(fields),
                                 {p: "PLAIN" if p in text else e for p, e in encodings.items()
                                  if p.split(".")[0] in fields})
            for path in text:
                if _stored(plain[path], rows) <= PLAIN_ENOUGH * _stored(sizes[path], rows):
                    encodings[path] = "PLAIN"
                    sizes[path] = plain[path]
        codecs = {path: self.compression if _shrinks(size, rows) else "none"
                  for path, size in sizes.items()}
        for path, codec in codecs.items():
            if codec == "none" and encodings.get(path) == "BYTE_STREAM_SPLIT":
                encodings[path] = "PLAIN"  # split bytes only help a codec
        return codecs, encodings

    def _sample(self, sample: pa.Table, encodings: dict[str, str]
                ) -> dict[str, tuple[int, int, bool]]:
        """{column path: (compressed size, encoded size, whether the path names two
        columns)} of `sample` written with the dataset's codec and these encodings."""
        import pyarrow.parquet as pq

        assert self.compression is not None
        sink = pa.BufferOutputStream()
        with self._parquet_writer(sink, self.compression, encodings, sample.schema) as w:
            w.write_table(sample, row_group_size=sample.num_rows)
        group = pq.read_metadata(pa.BufferReader(sink.getvalue())).row_group(0)
        chunks = [group.column(i) for i in range(group.num_columns)]
        paths = [c.path_in_schema for c in chunks]
        return {c.path_in_schema: (c.total_compressed_size, c.total_uncompressed_size,
                                   paths.count(c.path_in_schema) > 1) for c in chunks}

    def _encodings(self) -> dict[str, str]:
        """{column path: encoding}; a path that names two columns (a column 'c.real' and
        complex 'c''s real part) gets none: Parquet would give both the same."""
        names = {name for name, _, _ in self.columns}
        out = {}
        for name, ct, _ in self.columns:
            if "." in name:
                continue  # a dotted name is not a column path Parquet can address
            if ct.name in _ENCODING:
                out[name] = _ENCODING[ct.name]
            children = arrowtypes.arrow_type(ct.name) if ct.name in _CHILD_ENCODING else ()
            for child, enc in zip(children, _CHILD_ENCODING.get(ct.name, ()), strict=False):
                if f"{name}.{child.name}" not in names:
                    out[f"{name}.{child.name}"] = enc
        return out

    def append(self, chunks: list[Chunk]) -> None:
        if not chunks or not chunks[0].n:
            return
        arrays = [arrowtypes.to_arrow(c) for c in chunks]
        self._pending.append(arrays)
        self._rows += chunks[0].n
        self._bytes += sum(a.nbytes for a in arrays)
        if self._rows >= GROUP_ROWS or self._bytes >= GROUP_BYTES:
            self._write(final=False)

    def _write(self, final: bool) -> None:
        """Write the pending rows as row groups of GROUP_ROWS; keep a short tail for later
        unless this is the end or the pending rows are many bytes already."""
        if not self._pending:
            return
        table = pa.Table.from_arrays(
            [pa.chunked_array([p[j] for p in self._pending], f.type)
             for j, f in enumerate(self.schema)], schema=self.schema)
        rows = table.num_rows
        cut = rows if final or self._bytes >= GROUP_BYTES else rows // GROUP_ROWS * GROUP_ROWS
        writer = self._open(table)
        for start in range(0, cut, GROUP_ROWS):
            part = table.slice(start, min(GROUP_ROWS, cut - start))
            writer.write_table(part, row_group_size=part.num_rows)
            self.groups.append(part.num_rows)
        rest = table.slice(cut)
        self._pending = [[c.combine_chunks() for c in rest.columns]] if rest.num_rows else []
        self._rows = rest.num_rows
        self._bytes = rest.nbytes if rest.num_rows else 0

    def close(self) -> dict:
        """Finish the file and describe it for meta.json."""
        import pyarrow.parquet as pq

        self._write(final=True)
        self._open(pa.table({})).close()
        size = self.path.stat().st_size
        md = pq.read_metadata(self.path)
        leaves = _leaf_counts(self.schema)
        spans: list[list[tuple[int, int]]] = []
        for g in range(md.num_row_groups):
            rg = md.row_group(g)
            k = 0
            per_field = []
            for count in leaves:
                starts, ends = [], []
                for leaf in range(k, k + count):
                    cc = rg.column(leaf)
                    start = cc.dictionary_page_offset if cc.has_dictionary_page \
                        else cc.data_page_offset
                    starts.append(start)
                    ends.append(start + cc.total_compressed_size)
                k += count
                per_field.append((min(starts), max(ends)))
            spans.append(per_field)
        return describe(self.path, size, self.groups, spans)


def _shrinks(size: tuple[int, int, bool], rows: int) -> bool:
    """Whether a column of a sample of `rows` rows, (compressed size, encoded size, whether
    its path names two columns), keeps the codec."""
    packed, encoded, twice = size
    # under a byte a row (all None, a constant) tells nothing of the rows to come; a path
    # that names two columns (a column "c.real" and complex c's real part) can have one
    # codec only: the dataset's
    return packed <= SHRINK_ENOUGH * encoded or encoded < rows or twice


def _stored(size: tuple[int, int, bool], rows: int) -> int:
    """The bytes that column would take stored: compressed where the codec stays."""
    return size[0] if _shrinks(size, rows) else size[1]


def _leaf_counts(schema: pa.Schema) -> list[int]:
    return [f.type.num_fields if pa.types.is_struct(f.type) else 1 for f in schema]


class ArrowSlice(_SliceWriter):
    """Collects one slice's columns as plain files (beside the dataset, removed after),
    then writes them as one Arrow IPC record batch when the slice is done."""

    def __init__(self, ds_dir: Path, sliceno: int, columns: Columns, compression: str | None,
                 schema_meta: dict):
        super().__init__(ds_dir, sliceno, columns, compression, schema_meta)
        self.raw = ds_dir / f".raw-{sliceno}"
        self._appenders: list[Appender] | None = None
        self.rows = 0

    def append(self, chunks: list[Chunk]) -> None:
        if not chunks or not chunks[0].n:
            return
        if self._appenders is None:
            self.raw.mkdir(exist_ok=True)
            self._appenders = [Appender(self.raw / f"c{j}", ct)
                               for j, (_, ct, _) in enumerate(self.columns)]
        for app, chunk in zip(self._appenders, chunks, strict=True):
            app.append(chunk)
        self.rows += chunks[0].n

    def close(self) -> dict:
        with pa.OSFile(str(self.path), "wb") as sink, pa.ipc.new_file(sink, self.schema) as w:
            if self.rows:
                assert self._appenders is not None
                arrays = [arrowtypes.to_arrow(app.chunk()) for app in self._appenders]
                w.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        shutil.rmtree(self.raw, ignore_errors=True)
        size = self.path.stat().st_size
        return describe(self.path, size, [self.rows] if self.rows else [],
                        [_batch_spans(self.path, size)] if self.rows else [])


def _batch_spans(path: Path, size: int) -> list[tuple[int, int]]:
    """Where each column's buffers lie in the file's one record batch, found from the
    addresses of the arrays pyarrow maps (zero-copy) from it: (start, end) per column,
    or [] when that cannot be told (then the whole file is one region)."""
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ)
    buf = pa.py_buffer(mm)
    base = buf.address
    batch = pa.ipc.open_file(buf).get_batch(0)
    spans = []
    for col in batch.columns:
        places = [(b.address - base, b.address - base + b.size)
                  for b in col.buffers() if b is not None and b.size]
        if not places or min(p[0] for p in places) < 0 or max(p[1] for p in places) > size:
            return []
        spans.append((min(p[0] for p in places), max(p[1] for p in places)))
    del batch, buf
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False)):
        return []
    return spans


def describe(path: Path, size: int, groups: list[int],
             spans: list[list[tuple[int, int]]]) -> dict:
    """The file's entry in meta.json: size, rows per group, regions that tile the file
    (cuts), their xxh3s, which regions every read needs (open), and which region holds
    each column of each group (columns). `spans` gives, per group, each column's
    (start, end) in the file; without it (groups but no spans) the whole file is one
    region that every read checks."""
    cuts = [0]
    open_regions: list[int] = []
    column_regions: list[list[int]] = []
    if groups and not spans:
        cuts, open_regions, column_regions = [0, size], [0], [[] for _ in groups]
    for per_field in spans:
        row = []
        for start, end in per_field:
            if start > cuts[-1]:  # what lies between columns: metadata, padding
                open_regions.append(len(cuts) - 1)
                cuts.append(start)
            elif start < cuts[-1]:
                raise ValueError(f"{path}: column chunks overlap")
            row.append(len(cuts) - 1)
            cuts.append(end)
        column_regions.append(row)
    if cuts[-1] < size or len(cuts) == 1:
        open_regions.append(len(cuts) - 1)
        cuts.append(size)
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ)
        view = memoryview(mm)
        sums = "".join(_hash(view[a:b]) for a, b in zip(cuts, cuts[1:], strict=False))
        view.release()
        mm.close()
    return {"name": path.name, "size": size, "rows": groups, "cuts": cuts, "xxh3": sums,
            "open": open_regions, "columns": column_regions}


class Appender:
    """Appends chunks of one column to plain files (values, or offsets and data, and
    validity), the uncompressed writer's staging; chunk() maps them back as one chunk."""

    def __init__(self, stem: Path, ctype: ColumnType):
        self.stem = stem
        self.ctype = ctype
        self.n = 0
        self.data_size = 0
        self.valid_parts: list[np.ndarray] | None = None
        self.fold_rows: list[np.ndarray] = []

    def _add(self, suffix: str, data: Any) -> None:
        buf = np.ascontiguousarray(data).data.cast("B")
        if len(buf):
            with open(f"{self.stem}{suffix}", "ab") as f:
                f.write(buf)

    def append(self, chunk: Chunk) -> None:
        if self.ctype.fixed:
            self._add(".values", chunk.values)
        else:
            off = chunk.offsets
            start, stop = int(off[0]), int(off[-1])
            if not self.n:
                self._add(".off", np.zeros(1, np.int64))
            self._add(".off", off[1:].astype(np.int64) - start + self.data_size)
            self._add(".dat", chunk.data[start:stop])
            self.data_size += stop - start
        if chunk.valid is not None and self.valid_parts is None:
            self.valid_parts = [np.ones(self.n, bool)]
        if self.valid_parts is not None:
            self.valid_parts.append(np.ones(chunk.n, bool) if chunk.valid is None
                                    else chunk.valid)
        self.n += chunk.n

    def _map(self, suffix: str, dtype: str) -> np.ndarray:
        path = f"{self.stem}{suffix}"
        size = os.path.getsize(path) if os.path.exists(path) else 0
        if not size:
            return np.zeros(0, dtype)
        with open(path, "rb") as f:
            return np.frombuffer(mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ), dtype)

    def chunk(self) -> Chunk:
        valid = np.concatenate(self.valid_parts) if self.valid_parts else None
        if self.ctype.fixed:
            assert self.ctype.storage is not None  # every fixed-width type has one
            return Chunk(self.ctype, self.n, values=self._map(".values", self.ctype.storage),
                         valid=valid)
        return Chunk(self.ctype, self.n, offsets=self._map(".off", "<i8"),
                     data=self._map(".dat", "u1"), valid=valid)


# --- reading ---------------------------------------------------------------------------------

_verified: set[tuple] = set()  # (dev, inode, size, mtime, region) checked in this process


def map_file(path: Path, size: int, label: str) -> tuple[mmap.mmap | None, os.stat_result]:
    """The file mapped read-only (None when empty) once it is exactly `size` bytes, and its
    stat; else DatasetDamaged, `label` naming the file ("dataset X, ...: file F")."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise DatasetDamaged(f"{label} is missing") from None
    try:
        st = os.fstat(fd)
        if st.st_size != size:
            how = "truncated" if st.st_size < size else "longer than written"
            raise DatasetDamaged(f"{label} is {st.st_size} bytes, expected {size} "
                                 f"({how}: the dataset is damaged)")
        return (mmap.mmap(fd, size, prot=mmap.PROT_READ) if size else None), st
    finally:
        os.close(fd)


class SliceFile:
    """One slice file, opened for reading: its size checked, its shared regions verified;
    read() verifies a column's region the first time this process reads it."""

    def __init__(self, ds_dir: Path, entry: dict, what: str):
        self.entry = entry
        self.what = what
        self.path = ds_dir / entry["name"]
        self.label = f"{what}: file {self.path}"
        mm, st = map_file(self.path, entry["size"], self.label)
        if mm is None:
            raise DatasetDamaged(f"{self.label} is empty")  # never written so: damaged
        self.mm = mm
        self.key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        self.view = memoryview(self.mm)
        self.cuts = entry["cuts"]
        self.sums = entry["xxh3"]
        if len(self.sums) != 16 * (len(self.cuts) - 1) or self.cuts[-1] != entry["size"]:
            raise DatasetDamaged(f"{self.label}: meta.json describes it inconsistently")
        for region in entry["open"]:
            self.check(region)
        self._batch: Any = None  # an Arrow file's record batch, once read
        self._footer: Any = None  # a Parquet file's metadata, parsed once
        self._local = threading.local()  # a Parquet reader for each thread that reads

    @property
    def groups(self) -> list[int]:
        return self.entry["rows"]

    def check(self, region: int) -> None:
        key = (*self.key, region)
        if key in _verified:
            return
        a, b = self.cuts[region], self.cuts[region + 1]
        if _hash(self.view[a:b]) != self.sums[16 * region:16 * region + 16]:
            raise DatasetDamaged(f"{self.label}: bytes {a}..{b} do not match their checksum "
                                 "(the dataset is damaged)")
        _verified.add(key)

    def check_all(self) -> None:
        """Every region, checked now (ax ds --verify)."""
        for region in range(len(self.cuts) - 1):
            a, b = self.cuts[region], self.cuts[region + 1]
            if _hash(self.view[a:b]) != self.sums[16 * region:16 * region + 16]:
                raise DatasetDamaged(f"{self.label}: bytes {a}..{b} do not match their "
                                     "checksum (the dataset is damaged)")

    def read(self, group: int, fields: list[int]) -> list[pa.Array]:
        """The arrays of `fields` (column positions in the file) in row group `group`."""
        regions = self.entry["columns"][group]
        for j in fields:
            if regions:
                self.check(regions[j])
        try:
            arrays = self._read(group, fields)
        except (pa.ArrowException, OSError, ValueError, IndexError) as e:
            raise DatasetDamaged(f"{self.label} cannot be read ({e})") from None
        rows = self.groups[group]
        if any(len(a) != rows for a in arrays):
            raise DatasetDamaged(f"{self.label}: row group {group} does not hold the {rows} "
                                 "rows meta.json says")
        return arrays

    def _read(self, group: int, fields: list[int]) -> list[pa.Array]:
        if self.path.suffix == ".arrow":
            if self._batch is None:
                self._batch = pa.ipc.open_file(pa.py_buffer(self.mm)).get_batch(0)
            return [self._batch.column(j) for j in fields]
        pf, first = self._parquet()
        indices = [k for j in fields for k in range(first[j], first[j + 1])]
        table = pf.read_row_group(group, column_indices=indices, use_threads=False)
        return [c.combine_chunks() if c.num_chunks != 1 else c.chunk(0) for c in table.columns]

    def _parquet(self) -> tuple[Any, list[int]]:
        """This thread's reader of the Parquet file (a reader is not shared between
        threads; the footer is parsed once), and where each field's leaves start."""
        reader = getattr(self._local, "reader", None)
        if reader is None:
            pf = parquet_reader(pa.py_buffer(self.mm), self._footer)
            if self._footer is None:
                self._footer = pf.metadata
            leaves = _leaf_counts(pf.schema_arrow)
            reader = self._local.reader = (pf, np.concatenate([[0], np.cumsum(leaves)]).tolist())
        return reader


def parquet_reader(buffer: pa.Buffer, footer: Any = None) -> Any:
    """pyarrow's reader of a Parquet file in memory (read_row_group, metadata,
    schema_arrow): the one pyarrow.parquet.ParquetFile wraps, made without importing
    pyarrow.parquet, which imports pyarrow.fs and ssl (20-30 ms of every job that reads
    a dataset); through ParquetFile where that reader is not what this pyarrow has."""
    try:
        from pyarrow._parquet import ParquetReader

        reader = ParquetReader()
        reader.open(pa.BufferReader(buffer), metadata=footer, pre_buffer=False)
        return reader
    except (ImportError, AttributeError, TypeError):
        import pyarrow.parquet as pq

        return pq.ParquetFile(pa.BufferReader(buffer), metadata=footer).reader


def read_groups(ds_dir: Path, entry: dict, fields: list[int], ctypes: list[ColumnType],
                what: str, then: Callable[[int, list[Chunk]], T], start: int = 0,
                stop: int | None = None, workers: int = 1) -> Iterator[T]:
    """then(first row, chunks of `fields`) of each row group of one slice file that holds
    rows in start..stop, in order; the groups before and after are not read. workers > 1:
    a Parquet file's groups are read, and `then` run, on that many threads, a few groups
    ahead of the caller."""
    f = SliceFile(ds_dir, entry, what)
    firsts = np.concatenate([[0], np.cumsum(f.groups)]).astype(int).tolist()
    wanted = [g for g, n in enumerate(f.groups)
              if firsts[g] + n > start and (stop is None or firsts[g] < stop)]
    if f.path.suffix != ".parquet" or len(wanted) < 2:
        workers = 1

    def one(g: int) -> T:
        arrays = f.read(g, fields)
        return then(firsts[g], [arrowtypes.from_arrow(ct, a, what)
                                for ct, a in zip(ctypes, arrays, strict=True)])

    yield from in_order(one, wanted, workers)
