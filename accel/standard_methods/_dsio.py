"""What the standard methods need from datasets, in one place.

Columns move between datasets in bulk, as pyarrow arrays (or, for types Arrow has no
equivalent of — number, complex, json, pickle — as numpy object arrays of Python values).
A column in this form is called a *col* below.

Everything the methods ask of `accel.dataset` goes through here, so the methods themselves
only see: read_cols(ds, sliceno, names), write_cols(dw, cols), column_info(ds),
dataset_chain(...), slice_of(...). Only accel.dataset's public API is used here
(Dataset.to_arrow/iterate/columns, DatasetWriter.write_columns, slices_for), and its
helpers that move Arrow values without importing pandas (arrowbuffers, arrowvalues). numpy
and pyarrow are imported on first use, never when a method module is imported (building a
job must not load them).
"""

from __future__ import annotations

import os
import pickle
from typing import TYPE_CHECKING, Any

from accel.errors import UserError
from accel.words import plural

if TYPE_CHECKING:
    from accel.dataset import Dataset

OBJECT_TYPES = frozenset({"number", "complex32", "complex64", "json", "pickle"})
TEXT_TYPES = ("bytes", "ascii", "unicode")


def pa():
    import pyarrow

    return pyarrow


def np():
    import numpy

    return numpy


def arrow_type(coltype: str):
    """The pyarrow type a column of `coltype` is moved around as (None: Python objects)."""
    p = pa()
    return {
        "bytes": p.large_binary(), "ascii": p.large_string(), "unicode": p.large_string(),
        "int32": p.int32(), "int64": p.int64(), "float32": p.float32(),
        "float64": p.float64(), "bool": p.bool_(), "date": p.date32(),
        "datetime": p.timestamp("us"), "time": p.time64("us"),
    }.get(coltype)


# --- columns of a dataset ------------------------------------------------------------------

class ColInfo:
    __slots__ = ("name", "type", "none_support")

    def __init__(self, name: str, type: str, none_support: bool):
        self.name, self.type, self.none_support = name, type, none_support

    def __repr__(self) -> str:
        return f"ColInfo({self.name!r}, {self.type!r}, {self.none_support})"


def column_info(ds) -> dict[str, ColInfo]:
    """name -> ColInfo(type, none_support), in the dataset's column order."""
    return {name: ColInfo(name, c.type, c.none_support) for name, c in ds.columns.items()}


def ds_name(ds) -> str:
    """'dev-3/default' for a dataset (or a writer of this job)."""
    return f"{ds.job}/{ds.name}"


def ds_lines(ds) -> list[int]:
    return list(ds.lines)


def need_columns(ds, names, what: str) -> None:
    """A clear error for a column name the dataset does not have."""
    have = list(column_info(ds))
    for n in names:
        if n not in have:
            raise UserError(f"{what}: dataset {ds_name(ds)} has no column {n!r}"
                            f" (it has: {', '.join(map(repr, have)) or 'no columns'})")


def names_option(value: Any, optname: str, allow_empty: bool = True) -> list[str]:
    """A list of column names given as a list, or as 'a,b' / 'a' (as the Accelerator took)."""
    if value is None:
        out: list = []
    elif isinstance(value, str):
        out = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        out = list(value) if not isinstance(value, (set, frozenset)) else sorted(value)
    else:
        raise UserError(f"option {optname}: expected a list of column names, got {value!r}")
    for v in out:
        if not isinstance(v, str) or not v:
            raise UserError(f"option {optname}: column names are non-empty strings, got {v!r}")
    if not out and not allow_empty:
        raise UserError(f"option {optname}: give at least one column name")
    return out


# --- chains ----------------------------------------------------------------------------------

def _same(a, b) -> bool:
    return a is not None and b is not None and ds_name(a) == ds_name(b)


def previous_source(previous: Dataset | None) -> Dataset | None:
    """The 'source' input of the job that made dataset `previous` (where a chain stops)."""
    if not previous:  # None, or NoDataset: no previous
        return None
    return job_source(ds_name(previous).split("/", 1)[0])


def job_source(job: str | None) -> Dataset | None:
    """The 'source' dataset input of `job` (None for no job, or one without a single
    source): where a chain a method reads stops when `job` is its previous run."""
    if not job:  # None, or NoJob
        return None
    from accel.job import Job

    src = Job(str(job)).params.get("datasets", {}).get("source")
    if not src or isinstance(src, list):
        return None
    from accel.dataset import Dataset

    job, _, name = str(src).partition("/")
    return Dataset(Job(job), name or "default")


def dataset_chain(source, stop=None, length: int = -1) -> list:
    """source and its .previous datasets, oldest first, stopping before `stop` (and after
    `length` datasets when length > 0)."""
    out = []
    ds = source
    while ds is not None and not _same(ds, stop):
        out.append(ds)
        if 0 < length <= len(out):
            break
        ds = ds.previous
    out.reverse()
    return out


# --- reading ----------------------------------------------------------------------------------

def _has_fold(ds, name: str) -> bool:
    """Whether datetime/time column `name` has a value with fold=1 (Arrow cannot carry
    fold, so such a column moves as Python values)."""
    owner = ds.columns[name].owner  # a parent's column: its fold is in the parent's meta
    return any(owner.meta.get("fold", {}).get(name) or ())


def export_sources(sources, chain_source: bool, previous, what: str) -> list:
    """The datasets an export writes: `sources` (a list), or with `chain_source` each one's
    chain back to where the `previous` job's same source was (that job exported those)."""
    if not sources:
        raise UserError(f"{what}: no source dataset given")
    sources = list(sources)
    if not chain_source:
        return sources
    stops: list = [None] * len(sources)
    if previous:
        got = previous.params.datasets.get('source') or []
        if not isinstance(got, list) or len(got) != len(sources):
            raise UserError(f"{what}: previous job {previous} had "
                            f"{plural(len(got) if isinstance(got, list) else 1, 'source')}, "
                            f"this job has {len(sources)}")
        from accel.dataset import Dataset

        stops = [Dataset(s) for s in got]
    return [d for src, stop in zip(sources, stops, strict=True) for d in dataset_chain(src, stop)]


def read_cols(ds, sliceno: int, names, info: dict | None = None) -> dict:
    """{name: col} for one slice of `ds`."""
    names = list(names)
    info = info or column_info(ds)
    out = {}
    arrowable = [n for n in names if info[n].type not in OBJECT_TYPES
                 and not _has_fold(ds, n)]
    if arrowable:
        table = ds.to_arrow(arrowable, sliceno)
        for n in arrowable:
            out[n] = _as_array(table.column(n), info[n].type)
    for n in names:
        if n not in out:
            values = list(ds.iterate(sliceno, n))
            out[n] = _objects(values) if info[n].type not in OBJECT_TYPES and _has_fold(ds, n) \
                else from_pylist(values, info[n].type)
    return {n: out[n] for n in names}


def _objects(values: list):
    arr = np().empty(len(values), dtype=object)
    arr[:] = values
    return arr


def _as_array(col, coltype: str):
    """A single pyarrow Array of the type we move `coltype` as."""
    p = pa()
    if isinstance(col, p.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    want = arrow_type(coltype)
    if want is not None and col.type != want:
        col = col.cast(want)
    return col


def from_pylist(values: list, coltype: str):
    """A col from Python values."""
    from accel.dataset.arrowvalues import array

    at = arrow_type(coltype)
    if at is None:
        return _objects(values)
    return array(values, at)


def to_pylist(col) -> list:
    if isinstance(col, np().ndarray):
        return col.tolist()
    return col.to_pylist()


def col_take(col, indices):
    """Rows `indices` (a numpy int array) of a col."""
    from accel.dataset.arrowbuffers import arrow_of

    if isinstance(col, np().ndarray):
        return col[indices]
    return col.take(arrow_of(np().asarray(indices, np().int64)))


def col_filter(col, mask):
    """Rows where the numpy bool `mask` is True."""
    from accel.dataset.arrowbuffers import arrow_of

    if isinstance(col, np().ndarray):
        return col[mask]
    return col.filter(arrow_of(np().asarray(mask, bool)))


def col_concat(cols: list, coltype: str):
    if not cols:
        return from_pylist([], coltype)
    if any(isinstance(c, np().ndarray) for c in cols):  # mixed: a datetime with fold
        return np().concatenate([c if isinstance(c, np().ndarray) else _objects(to_pylist(c))
                                 for c in cols])
    if len(cols) == 1:
        return cols[0]
    return pa().concat_arrays(cols)


def col_as(col, coltype: str, want: str):
    """A col of type `coltype` as a col of type `want`, which holds all its values
    exactly (int32 as int64, float32 as float64, ascii as unicode, any of those as
    number, complex32 as complex64)."""
    if coltype == want:
        return col
    if arrow_type(want) is not None and not isinstance(col, np().ndarray):
        return _as_array(col, want)
    return _objects(to_pylist(col))


def str_codes(col) -> tuple[list[str], Any]:
    """(names, codes): str() of each distinct value of `col` (str(None) is 'None', bytes
    b'x' is "b'x'", as Python writes them) and, for each row, its index in names."""
    from accel.dataset.arrowbuffers import numpy_of

    n = np()
    if isinstance(col, n.ndarray):  # Python objects: json values need not be hashable
        texts = [str(v) for v in col.tolist()]
    else:
        enc = col.dictionary_encode(null_encoding="encode")
        texts = [str(v) for v in enc.dictionary.to_pylist()]
        codes = numpy_of(enc.indices.cast(pa().int64()))
        if len(set(texts)) == len(texts):  # the usual case: distinct values, distinct texts
            return texts, codes
        texts = [texts[i] for i in codes.tolist()]
    names = sorted(set(texts))
    index = {t: i for i, t in enumerate(names)}
    return names, n.fromiter((index[t] for t in texts), n.int64, len(texts))


# --- writing ----------------------------------------------------------------------------------

def make_writer(job, name: str = "default", columns: dict | None = None, **kw):
    """job.datasetwriter(name, ...) with columns {name: (type, none_support)} added in order.
    previous= may be another writer of this job (the datasets of a chain one job makes)."""
    dw = job.datasetwriter(name=name, **{k: v for k, v in kw.items() if v is not None})
    for n, (t, none_support) in (columns or {}).items():
        dw.add(n, t, none_support=bool(none_support))
    return dw


def write_cols(dw, cols: dict, sliceno: int | None = None) -> None:
    """Append rows given column-wise ({name: col}, every column of the writer, in any order)
    to the writer's current slice (or `sliceno`)."""
    if not cols:
        return
    if not len(next(iter(cols.values()))):
        return
    if sliceno is not None:
        dw.set_slice(sliceno)
    dw.write_columns(cols)


# --- hashing -----------------------------------------------------------------------------------

def slice_of(col, coltype: str, slices: int):
    """numpy int array: the slice each value of `col` belongs to when hashed on (the same
    placement the dataset writer's split write uses)."""
    from accel.dataset import slices_for

    return np().asarray(slices_for(col, coltype, slices), dtype=np().int64)


# --- scratch ----------------------------------------------------------------------------------

def scratch_dir(job, what: str) -> str:
    """A folder for temporary files of this job (removed by the method when done)."""
    from accel import layout

    d = os.path.join(str(job.path), layout.SCRATCH, what)
    os.makedirs(d, exist_ok=True)
    return d


def save_piece(path: str, obj: Any) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump(obj, f, protocol=5)
    os.replace(tmp, path)


def load_piece(path: str) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)


# --- moving rows between slices ------------------------------------------------------------------

def groups(codes, n: int) -> list:
    """For each of 0..n-1, the rows (numpy ints, in order) where `codes` has it."""
    codes = np().asarray(codes)
    order = np().argsort(codes, kind="stable")
    bounds = np().searchsorted(codes[order], np().arange(n + 1))
    return [order[bounds[c]:bounds[c + 1]] for c in range(n)]


def scatter(job, tag: str, sliceno: int, slices: int, cols: dict, dest,
            keys=None) -> list[int]:
    """Save the rows of `cols` (from slice `sliceno`) by destination slice `dest` (numpy
    ints) as pieces for gather(); returns the rows sent to each slice. `keys` (numpy ints,
    one per row, unique over all slices) is the order gather() puts each slice's rows in."""
    folder = scratch_dir(job, tag)
    counts = []
    for d, idx in enumerate(groups(dest, slices)):
        counts.append(len(idx))
        if len(idx):
            piece = {k: col_take(v, idx) for k, v in cols.items()}
            path = os.path.join(folder, f"{sliceno}-{d}")
            if keys is not None:
                save_piece(path + ".keys", np().asarray(keys)[idx])
            save_piece(path, piece)
    return counts


def gather(job, tag: str, slices: int, dw, ordered: bool = False) -> list[int]:
    """Write the pieces scatter() saved under `tag` to `dw`: each slice gets its rows from
    slice 0, then slice 1, ... (so the order is the same however often it is run), or with
    `ordered` in the order of the keys scatter() was given."""
    import shutil

    folder = scratch_dir(job, tag)
    lines = []
    for d in range(slices):
        dw.set_slice(d)
        paths = [p for p in (os.path.join(folder, f"{s}-{d}") for s in range(slices))
                 if os.path.exists(p)]
        if ordered and paths:
            pieces = [load_piece(p) for p in paths]
            order = np().argsort(np().concatenate([load_piece(p + ".keys") for p in paths]),
                                 kind="stable")
            merged = {k: col_take(col_concat([p[k] for p in pieces], ""), order)
                      for k in pieces[0]}
            write_cols(dw, merged, d)
            lines.append(len(order))
            continue
        n = 0
        for path in paths:
            piece = load_piece(path)
            write_cols(dw, piece, d)
            n += len(next(iter(piece.values()))) if piece else 0
        lines.append(n)
    shutil.rmtree(folder, ignore_errors=True)
    return lines


def trigger_cuts(cuts: list[int], values: list) -> list[int]:
    """Where lines are cut into slices (cuts[s] is slice s's first line), each cut moved
    forward past the lines whose trigger value (`values`, in line order) equals the line
    before the cut's: lines with one value, coming together, stay in one slice."""
    out = list(cuts)
    for s in range(1, len(out) - 1):
        c = max(out[s], out[s - 1])
        while 0 < c < len(values) and values[c] == values[c - 1]:
            c += 1
        out[s] = c
    return out


def as_binary(col):
    """A text column (bytes/ascii/unicode) as a large_binary pyarrow array."""
    p = pa()
    if isinstance(col, p.ChunkedArray):
        col = col.combine_chunks()
    if col.type != p.large_binary():
        col = col.cast(p.large_binary())
    return col


def chain_columns(chain, what: str) -> dict:
    """{name: ColInfo} the datasets of a chain share (none_support if any has it); an error
    naming the dataset when their columns or hashlabels differ."""
    first = column_info(chain[-1])
    types = {n: c.type for n, c in first.items()}
    merged = {n: ColInfo(n, c.type, c.none_support) for n, c in first.items()}
    hashlabel = chain[-1].hashlabel
    for ds in chain[:-1]:
        info = column_info(ds)
        got = {n: c.type for n, c in info.items()}
        if got != types:
            raise UserError(f"{what}: dataset {ds_name(ds)} has columns {got}, but"
                            f" {ds_name(chain[-1])} has {types}")
        if ds.hashlabel != hashlabel:
            raise UserError(f"{what}: dataset {ds_name(ds)} has hashlabel {ds.hashlabel!r},"
                            f" but {ds_name(chain[-1])} has {hashlabel!r}")
        for n, c in info.items():
            merged[n].none_support |= c.none_support
    return merged
