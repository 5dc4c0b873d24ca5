"""Dataset: a finished dataset, read through its meta.json and its slice files.

A `Dataset` is a `str` equal to 'JOBID/NAME' (as a `datasets` build input is written), so
it pickles, compares and hashes as that string. Opening one reads meta.json once per
process (its checksum verified; metacache.py); slice files are memory-mapped when they
are used and each region is verified against its checksum before it is first read
(storage.py), so a damaged dataset is an error, never wrong rows. Reading goes a row
group at a time, so iterating a slice of any size takes bounded memory.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from itertools import chain as _chain
from pathlib import Path
from typing import Any

import numpy as np

from accel.dataset import format as fmt
from accel.dataset import legacy, prefetch, storage
from accel.dataset.arrays import WholeColumns
from accel.dataset.chunk import Chunk, Gathering
from accel.dataset.decode import iterable

# own_finished and forget_inherited are the writer's and the runner's (it calls them here:
# a process that has not loaded the reader has read no dataset, so has none to forget)
from accel.dataset.metacache import forget_inherited as forget_inherited
from accel.dataset.metacache import load_meta
from accel.dataset.metacache import own_finished as own_finished
from accel.dataset.pieces import aligned, rows
from accel.dataset.types import (
    ColumnType,
    DatasetDamaged,
    DatasetUsageError,
    NoSuchColumn,
    column_type,
)
from accel.errors import SkipDataset, SkipSlice
from accel.job import Job, NoJob
from accel.jsoncodec import decode as json_decode

STEP = 1 << 14  # rows per piece when iterating: objects for one piece alive at a time


class DatasetColumn(str):
    """A column, equal to its type name ('int64'), with .type, .none_support, .name."""

    __slots__ = ("name", "none_support", "owner", "place")
    name: str
    none_support: bool
    owner: Dataset
    place: int | str

    def __new__(cls, name: str, type: str, none_support: bool, owner: Dataset,
                place: int | str):
        obj = str.__new__(cls, type)
        # place: the column's position in its owner's slice files (format 3), or the stem
        # of its own files (formats 1 and 2)
        obj.name, obj.none_support, obj.owner, obj.place = name, none_support, owner, place
        return obj

    @property
    def type(self) -> str:
        return str(self)

    @property
    def ctype(self) -> ColumnType:
        return column_type(str(self))

    @property
    def min(self) -> Any:
        return self.owner.min(self.name)

    @property
    def max(self) -> Any:
        return self.owner.max(self.name)

    def __repr__(self) -> str:
        ns = ", none_support" if self.none_support else ""
        return f"<DatasetColumn {self.name!r}: {str(self)}{ns}>"

    def __reduce__(self):
        return (str, (str(self),))



class Dataset(str, WholeColumns):
    """A finished dataset: Dataset('dev-3/name'), Dataset('dev-3') (its 'default'),
    Dataset(job, 'name'), or job.dataset('name')."""

    __slots__ = ("job", "name", "_meta", "_dir", "_cols")
    job: Job
    name: str
    _meta: dict[str, Any]
    _dir: Path
    _cols: dict[str, DatasetColumn] | None

    def __new__(cls, jobid: Any, name: str | None = None) -> Dataset:
        if isinstance(jobid, Dataset):
            if name is None:
                return jobid
            jobid = jobid.job
        text = str(jobid)
        if name is None:
            text, _, name = text.partition("/")
        job = Job(text)
        name = name or "default"
        obj = str.__new__(cls, f"{job}/{name}")
        obj.job, obj.name = job, name
        obj._meta = load_meta(job, name)
        obj._dir = fmt.dataset_dir(job.path, name)
        obj._cols = None
        return obj

    def __reduce__(self):
        return (Dataset, (str(self),))

    def __repr__(self) -> str:
        return f"Dataset({str(self)!r})"

    # --- what it is ----------------------------------------------------------------------

    @property
    def quoted(self) -> str:
        """'JOB/NAME' as the Accelerator's messages show a dataset: in quotes only when
        the name needs them (it has whitespace or characters repr escapes)."""
        from accel.extras import quote

        return quote(f"{self.job}/{self.name}")

    @property
    def columns(self) -> dict[str, DatasetColumn]:
        """name -> DatasetColumn (equal to its type name), the parent's columns included."""
        if self._cols is None:
            cols = dict(self.parent.columns) if self.parent is not None else {}
            for i, (name, c) in enumerate(self._meta["columns"].items()):
                cols[name] = DatasetColumn(name, c["type"], c["none_support"], self,
                                           c.get("file", i))
            self._cols = cols
        return self._cols

    @property
    def lines(self) -> list[int]:
        return list(self._meta["lines"])

    @property
    def slices(self) -> int:
        return len(self._meta["lines"])

    @property
    def shape(self) -> tuple[int, int]:
        """(columns, rows), as the Accelerator has it."""
        return (len(self.columns), sum(self._meta["lines"]))

    @property
    def hashlabel(self) -> str | None:
        return self._meta.get("hashlabel")

    @property
    def caption(self) -> str:
        return self._meta.get("caption") or ""

    @property
    def filename(self) -> str | None:
        """What the writer was given as filename= (the file it came from), or None."""
        return self._meta.get("filename")

    @property
    def previous(self) -> Dataset | None:
        prev = self._meta.get("previous")
        return Dataset(prev) if prev else None

    @property
    def parent(self) -> Dataset | None:
        parent = self._meta.get("parent")
        return Dataset(parent) if parent else None

    @property
    def meta(self) -> dict:
        """meta.json as written (format, sizes, checksums, ...)."""
        return self._meta

    def column_info(self, name: str) -> DatasetColumn:
        try:
            return self.columns[name]
        except (KeyError, TypeError):
            have = ", ".join(repr(c) for c in self.columns) or "none"
            close = difflib.get_close_matches(str(name), list(self.columns), 1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise NoSuchColumn(f"dataset {self} has no column {name!r}{hint}; "
                               f"its columns: {have}") from None

    def min(self, column: str) -> Any:
        return self._minmax(column, 0)

    def max(self, column: str) -> Any:
        return self._minmax(column, 1)

    def _minmax(self, column: str, which: int) -> Any:
        col = self.column_info(column)
        if col.owner is not self:
            return col.owner._minmax(column, which)
        mm = self._meta.get("minmax", {}).get(column)
        return json_decode(mm)[which] if mm else None

    def chain(self, length: int = -1, reverse: bool = False,
              stop_ds: Dataset | str | None = None) -> DatasetList:
        """This dataset and its `previous` ones, oldest first (newest first with reverse)."""
        out: list[Dataset] = []
        ds: Dataset | None = self
        stop = str(Dataset(stop_ds)) if stop_ds else None
        while ds is not None and length != len(out) and str(ds) != stop:
            out.append(ds)
            ds = ds.previous
        return DatasetList(out if reverse else out[::-1])

    # --- the files -----------------------------------------------------------------------

    @property
    def compression(self) -> str | None:
        """How the slice files are compressed ('zstd', 'lz4'), None when they are not."""
        return self._meta.get("compression") if self._meta["format"] >= 3 else None

    @property
    def files(self) -> list[Path]:
        """The slice files (format 3: one Parquet or Arrow file per slice, every column
        this dataset writes; a parent's columns are in the parent's files)."""
        if self._meta["format"] < 3:
            return []
        return [self._dir / entry["name"] for entry in self._meta["files"]]

    def _what(self, names: list[str], sliceno: int) -> str:
        cols = ", ".join(repr(n) for n in names)
        return f"dataset {self}, column{'s' if len(names) > 1 else ''} {cols}, slice {sliceno}"

    def _own_groups(self, cols: list[DatasetColumn], sliceno: int, start: int = 0,
                    stop: int | None = None, workers: int = 1,
                    each: Callable[[int, list[Chunk]], Any] | None = None) -> Iterator[Any]:
        """Chunks of this dataset's own columns `cols` in rows start..stop of slice
        `sliceno`, a row group at a time (formats 1 and 2: the whole slice at once); row
        groups outside the range are not read. workers: threads decoding the groups;
        each(position in start..stop, chunks) runs on the thread that read them, and what
        it returns is yielded instead of the chunks."""
        lines = self._meta["lines"][sliceno]
        stop = lines if stop is None else min(stop, lines)
        what = self._what([c.name for c in cols], sliceno)
        if self._meta["format"] < 3:
            chunks = [legacy.read_chunk(self._dir, str(c.place), sliceno, self._meta, c.ctype,
                                        c.none_support, lines, self._what([c.name], sliceno)
                                        ).slice(start, stop) for c in cols]
            yield chunks if each is None else each(0, chunks)
            return
        if not cols:
            return
        entry = self._meta["files"][sliceno]
        if sum(entry["rows"]) != lines:
            raise DatasetDamaged(f"{what}: meta.json's row groups do not add up to its rows")
        folds = self._meta.get("fold", {})
        fold_rows = [np.asarray(folds[c.name][sliceno], np.int64)
                     if folds.get(c.name) and folds[c.name][sliceno] else None for c in cols]

        def finish(first: int, chunks: list[Chunk]) -> Any:
            n = chunks[0].n
            for folded, chunk in zip(fold_rows, chunks, strict=True):
                if folded is not None:
                    here = folded[(folded >= first) & (folded < first + n)] - first
                    if here.size:
                        chunk.fold = np.zeros(n, bool)
                        chunk.fold[here] = True
            if first < start or first + n > stop:
                chunks = [c.slice(max(start - first, 0), stop - first) for c in chunks]
            return chunks if each is None else each(max(first - start, 0), chunks)

        yield from storage.read_groups(self._dir, entry, [int(c.place) for c in cols],
                                       [c.ctype for c in cols], what, finish, start, stop,
                                       workers)

    def _groups(self, names: list[str], sliceno: int, start: int = 0,
                stop: int | None = None) -> Iterator[list[Chunk]]:
        """Chunks of the columns `names` (own or a parent's) in rows start..stop of slice
        `sliceno`, at most STEP rows at a time, in the order of `names`."""
        unique = list(dict.fromkeys(names))
        cols = [self.column_info(n) for n in unique]
        owners: dict[int, tuple[Dataset, list[int]]] = {}
        for i, col in enumerate(cols):
            owners.setdefault(id(col.owner), (col.owner, []))[1].append(i)
        streams = [(owner._own_groups([cols[i] for i in idx], sliceno, start, stop), idx)
                   for owner, idx in owners.values()]
        where = [unique.index(n) for n in names]
        for pieces in aligned([st for st, _ in streams], STEP):
            got: list[Any] = [None] * len(cols)
            for piece, (_, idx) in zip(pieces, streams, strict=True):
                for chunk, i in zip(piece, idx, strict=True):
                    got[i] = chunk
            yield [got[i] for i in where]

    def _chunk(self, name: str, sliceno: int) -> Chunk:
        """One column of one slice, whole (an uncompressed file's column is its mapping;
        a compressed one's row groups decode on every core)."""
        col = self.column_info(name)
        owner = col.owner
        into = Gathering(col.ctype, owner._meta["lines"][sliceno])
        try:
            for _ in owner._own_groups([col], sliceno, workers=prefetch.cores(),
                                       each=lambda pos, chunks: into.put(pos, chunks[0])):
                pass
            return into.chunk()
        except ValueError as e:
            raise DatasetDamaged(f"{self._what([name], sliceno)}: {e} (damaged?)") from None

    def _check_slice(self, sliceno: Any) -> None:
        if sliceno is not None and (not isinstance(sliceno, (int, np.integer))
                                    or isinstance(sliceno, bool)
                                    or not 0 <= sliceno < self.slices):
            raise DatasetUsageError(f"dataset {self}: no slice {sliceno!r} (slices are "
                                    f"0..{self.slices - 1}, or None for all)")

    def verify(self) -> bool:
        """Check every byte of every file against the checksums written with it (and the
        parent's), and that every column reads."""
        if self.parent is not None:
            self.parent.verify()
        if self._meta["format"] < 3:
            legacy.verify(self._dir, self._meta, str(self))
        else:
            for s, entry in enumerate(self._meta["files"]):
                storage.SliceFile(self._dir, entry, f"dataset {self}, slice {s}").check_all()
        own = [c for c in self.columns.values() if c.owner is self]
        for s in range(self.slices):
            for _ in self._own_groups(own, s):
                pass
        return True

    # --- iterating -----------------------------------------------------------------------

    def iterate(self, sliceno: int | None, columns: Any = None, *, hashlabel: str | None = None,
                filters: Any = None, translators: Any = None, pre_callback: Any = None,
                post_callback: Any = None) -> Iterator:
        """Rows of one slice (or all, sliceno=None). `columns`: a name -> values; a list or
        tuple of names -> tuples; None -> tuples of all columns. `hashlabel`: rows whose
        value in that column hashes to `sliceno`, wherever they are stored. `translators`:
        {column: callable or dict} applied to values; `filters`: a callable on what is
        yielded, or {column: callable}, keeping rows where it is true."""
        return Dataset.iterate_list(sliceno, columns, [self], hashlabel=hashlabel,
                                    filters=filters, translators=translators,
                                    pre_callback=pre_callback, post_callback=post_callback)

    def iterate_chain(self, sliceno: int | None, columns: Any = None, length: int = -1, *,
                      reverse: bool = False, stop_ds: Dataset | str | None = None, **kw: Any) -> Iterator:
        """iterate() over this dataset's chain, oldest first (the same keywords)."""
        return Dataset.iterate_list(sliceno, columns, self.chain(length, reverse, stop_ds), **kw)

    def iterate_range(self, sliceno: int, columns: Any = None, start: int = 0,
                      stop: int | None = None) -> Iterator:
        """Rows start..stop of slice `sliceno` (counted from 0 in the slice; stop None: to
        its end), as iterate(sliceno, columns) gives them, reading only the row groups that
        hold them: a page of rows far into a big slice costs a row group, not the rows
        before it."""
        if sliceno is None:
            raise DatasetUsageError(f"dataset {self}: iterate_range reads one slice, not None")
        self._check_slice(sliceno)
        names, single = _names_of(columns, self)
        for c in names:
            self.column_info(c)
        lines = self._meta["lines"][sliceno]
        start, stop = max(int(start), 0), lines if stop is None else min(int(stop), lines)
        if start >= stop:
            return iter(())
        pieces = (_iterables(chunks, names, self, sliceno)
                  for chunks in self._groups(names, int(sliceno), start, stop))
        if single:
            return _chain.from_iterable(p[0] for p in pieces)
        return _chain.from_iterable(zip(*p, strict=True) for p in pieces)

    @staticmethod
    def iterate_list(sliceno: int | None, columns: Any, datasets: Iterable, *,
                     hashlabel: str | None = None, filters: Any = None,
                     translators: Any = None, pre_callback: Any = None,
                     post_callback: Any = None) -> Iterator:
        """iterate() over several datasets, one after the other. `pre_callback(ds,
        sliceno)` runs before each dataset's slice is read (raise SkipSlice to skip it,
        SkipDataset to skip the rest of that dataset); `post_callback(ds, sliceno)` after."""
        datasets = [Dataset(d) for d in datasets]
        if not datasets:
            return iter(())
        names, single = _names_of(columns, datasets[0])
        want = list(names)
        if isinstance(filters, dict):
            want += [c for c in filters if c not in want]
        for ds in datasets:
            ds._check_slice(sliceno)
            for c in want + ([hashlabel] if hashlabel is not None else []):
                ds.column_info(c)
            for c in translators if isinstance(translators, dict) else ():
                ds.column_info(c)  # a translator for no column (a typo) would do nothing
        pieces = _chain.from_iterable(ds._pieces(want, sliceno, hashlabel, pre_callback,
                                                 post_callback) for ds in datasets)
        return rows(pieces, names, want, single, translators, filters)

    def _pieces(self, names: list[str], sliceno: int | None, hashlabel: str | None,
                pre_callback: Any = None, post_callback: Any = None
                ) -> Iterator[list[Iterable]]:
        """Per piece of rows, one iterable per column."""
        for s in range(self.slices) if sliceno is None else (int(sliceno),):
            if pre_callback is not None:
                try:
                    pre_callback(self, s)
                except SkipSlice:
                    continue
                except SkipDataset:
                    return
            if sliceno is not None and hashlabel is not None and hashlabel != self.hashlabel:
                yield from self._resliced(names, s, hashlabel)
            else:
                for chunks in self._groups(names, s):
                    yield _iterables(chunks, names, self, s)
            if post_callback is not None:
                post_callback(self, s)

    def _resliced(self, names: list[str], sliceno: int, hashlabel: str) -> Iterator[list]:
        """The rows of every stored slice whose `hashlabel` value hashes to `sliceno`."""
        from accel.dataset.hashing import slices_of

        for s in range(self.slices):
            for chunks in self._groups([hashlabel, *names], s):
                idx = np.flatnonzero(slices_of(chunks[0], self.slices) == sliceno)
                if idx.size:
                    yield _iterables([c.take(idx) for c in chunks[1:]], names, self, s)


def _names_of(columns: Any, ds: Dataset) -> tuple[list[str], bool]:
    """iterate's `columns` -> (names, whether a row is one value rather than a tuple)."""
    if columns is None:
        return list(ds.columns), False
    if isinstance(columns, str):
        return [columns], True
    if not columns:  # (the Accelerator gives every column here: no one means that)
        raise DatasetUsageError(f"iterate over {ds}: columns is empty; name the columns to "
                                "read, or give None for all of them")
    return list(columns), False


def _iterables(chunks: list[Chunk], names: list[str], ds: Dataset, sliceno: int) -> list:
    return [iterable(c, f"dataset {ds}, column {name!r}, slice {sliceno}")
            for c, name in zip(chunks, names, strict=True)]



class DatasetList(list):
    """Datasets in order (a chain, oldest first), iterated as one."""

    def iterate(self, sliceno: int | None, columns: Any = None, **kw: Any) -> Iterator:
        return Dataset.iterate_list(sliceno, columns, self, **kw)

    @property
    def lines(self) -> list[int]:
        """Rows per slice, summed over the datasets."""
        per = [Dataset(d).lines for d in self]
        return [sum(x) for x in zip(*per, strict=True)] if per else []

    def column(self, name: str, sliceno: int | None = None) -> np.ndarray:
        from accel.dataset.arrays import concat

        return concat([Dataset(d).column(name, sliceno) for d in self])

    def min(self, column: str) -> Any:
        vals = [v for v in (Dataset(d).min(column) for d in self) if v is not None]
        return min(vals) if vals else None

    def max(self, column: str) -> Any:
        vals = [v for v in (Dataset(d).max(column) for d in self) if v is not None]
        return max(vals) if vals else None


class _NoLines(tuple):
    """The rows per slice of no dataset, as in the Accelerator: 0 in every slice
    (`lines[sliceno]` is 0 for any slice, `sum(lines)` is 0)."""

    __slots__ = ()

    def __new__(cls) -> _NoLines:
        return tuple.__new__(cls, (0,))

    def __getitem__(self, item: Any) -> Any:
        return self if isinstance(item, slice) else 0


_not_given: list[str] = []  # the running job's dataset inputs that were not given


def note_not_given(names: list[str]) -> None:
    """The runner says which dataset inputs of its job were not given, so reading one
    of them names it."""
    _not_given[:] = names


class _NoDataset(Dataset):
    """A dataset input that was not given, as in the Accelerator: `NoDataset`, the empty
    string (falsy, equal to ''), so `if not datasets.source:` works; it has no columns and
    no rows, its job is NoJob, and reading its rows says that none was given."""

    __slots__ = ()

    def __new__(cls) -> _NoDataset:
        return str.__new__(cls, "")

    def __reduce__(self) -> str:
        return "NoDataset"  # the one instance, by its name in this module

    def __repr__(self) -> str:
        return "NoDataset"

    job = NoJob
    name = caption = ""
    hashlabel = previous = parent = compression = filename = None
    shape = (0, 0)
    slices = 0

    @property
    def columns(self) -> dict[str, DatasetColumn]:
        return {}

    @property
    def files(self) -> list[Path]:
        return []

    @property
    def meta(self) -> dict:
        return {}

    @property
    def lines(self) -> _NoLines:  # type: ignore[override]  # the Accelerator's, not a list
        return _NoLines()

    def chain(self, length: int = -1, reverse: bool = False, stop_ds: Dataset | str | None = None) -> DatasetList:
        return DatasetList()

    def _none(self, what: str) -> DatasetUsageError:
        missing = ", ".join(f"datasets.{n}" for n in _not_given)
        which = f" (not given to this job: {missing})" if missing else ""
        return DatasetUsageError(f"{what}: no dataset was given for this input, it is "
                                 f"NoDataset{which}")

    def iterate(self, sliceno: int | None, columns: Any = None, **kw: Any) -> Iterator:
        raise self._none("iterate")

    def iterate_chain(self, sliceno: int | None, columns: Any = None, length: int = -1,
                      **kw: Any) -> Iterator:
        raise self._none("iterate_chain")

    def column(self, name: str, sliceno: int | None = None) -> np.ndarray:
        raise self._none(f"column({name!r})")

    def column_info(self, name: str) -> DatasetColumn:
        raise self._none(f"column_info({name!r})")

    def min(self, column: str) -> Any:
        raise self._none(f"min({column!r})")

    def max(self, column: str) -> Any:
        raise self._none(f"max({column!r})")

    def verify(self) -> bool:
        raise self._none("verify")

    def to_arrow(self, columns: Any = None, sliceno: int | None = None):
        raise self._none("to_arrow")

    def arrow_schema(self, columns: Any = None):
        raise self._none("arrow_schema")

    def arrow_batches(self, columns: Any = None, sliceno: int | None = None):
        raise self._none("arrow_batches")

    def to_pandas(self, columns: Any = None, sliceno: int | None = None):
        raise self._none("to_pandas")


NoDataset = _NoDataset()
