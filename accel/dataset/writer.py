"""DatasetWriter: rows in, slice files out, meta.json when the writer finishes.

Speed comes from doing almost nothing per row: `dw.write` is a function generated for the
writer's columns whose body is one list.append per column; every FLUSH_ROWS rows the lists
are converted in bulk (encode.py) and handed to the slice's file (storage.py).

Who writes which slice:
  - a writer made in prepare is written by the analysis slices, each its own slice (the
    runner calls enter_slice/leave_slice around each slice: leave_slice flushes the slice's
    files and leaves a summary for the main process);
  - in prepare or synthesis, `set_slice(n)` picks the slice, or `get_split_write()` sends
    each row to the slice its hashlabel value hashes to (without one, round robin).
A slice is written from one place; both analysis and prepare/synthesis writing the same
slice is an error. Every slice must have been written (an empty one too) unless the writer
allows missing slices. `dw.finish()` in prepare or synthesis checks and writes meta.json
at once; the runner calls finish_all at the end of a successful job for the rest. Only
the job reads a dataset before the job has finished (reader.py), so a job that fails
leaves no dataset anyone reads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from accel import g, layout
from accel.dataset import finishing, storage
from accel.dataset import format as fmt
from accel.dataset.chunk import Chunk
from accel.dataset.encode import BadValue, encode
from accel.dataset.finishing import _done, _writers
from accel.dataset.finishing import drop_unfinished as drop_unfinished
from accel.dataset.finishing import enter_slice as enter_slice
from accel.dataset.finishing import finish_all as finish_all
from accel.dataset.finishing import leave_slice as leave_slice
from accel.dataset.hashing import slices_of
from accel.dataset.slicestate import SliceState
from accel.dataset.types import (
    ColumnType,
    ColumnValueError,
    DatasetUsageError,
    column_type,
)
from accel.dataset.writerargs import PARSED, PARSERS, check_name, parse_all
from accel.job import CurrentJob, Job
from accel.words import plural

if TYPE_CHECKING:
    from accel.dataset.reader import Dataset

# enter_slice, leave_slice, finish_all and drop_unfinished (finishing.py) are the runner's
# hooks: it calls them here, where a job that made a writer has loaded them

FLUSH_ROWS = 1 << 14  # rows buffered per column; more made the allocator hand memory back and forth


class _BadRow(Exception):
    """A buffered row that cannot be stored (its index in the buffer) and the error."""

    def __init__(self, index: int, error: ColumnValueError):
        self.index, self.error = index, error


class _Missing:
    def __repr__(self) -> str:
        return "<no value>"


_MISSING = _Missing()


def _short(v: Any) -> str:
    try:
        text = repr(v)
    except ValueError:  # an int too long for Python to write out
        return f"<an int of {v.bit_length():,} bits>"
    return text if len(text) <= 80 else text[:77] + "..."


def _running_job() -> CurrentJob:
    """The job this process runs: a writer made without `job=` writes one of its datasets."""
    path = layout.current_job()
    if path is None:
        raise DatasetUsageError("DatasetWriter(...) outside a running job: a dataset is "
                                "written by a job, in its method's prepare, analysis or "
                                "synthesis")
    return CurrentJob(Path(path).name)


def _check_writable(job: Job, name: str) -> None:
    """A writer writes the running job's datasets: never another job's (inside a job), and
    never those of a job that has ended (its files are final, maybe used by others)."""
    running = layout.current_job()
    if running is not None and os.path.realpath(running) != os.path.realpath(job.path):
        raise DatasetUsageError(f"datasetwriter {name!r}: job={job} is not the running job "
                                f"({Path(running).name}); a job writes only its own datasets")
    if (Path(job.path) / layout.POST).exists():
        raise DatasetUsageError(f"datasetwriter {name!r}: job {job} has ended; its datasets "
                                "are final")


def _made_in_prepare(*args: Any, **kw: Any) -> DatasetWriter:
    """DatasetWriter(name=...) in an analysis slice, as in the Accelerator: the writer
    prepare made, of which this slice writes its own slice. A new writer cannot be made
    there (the slices run in parallel; none of them could finish it)."""
    import inspect

    sig = inspect.signature(DatasetWriter.__init__)
    given = sig.bind(None, *args, **kw).arguments
    name = given.get("name", "default")
    job = given.get("job") or _running_job()
    more = [k for k, v in given.items() if k not in ("self", "name", "job")
            and v != sig.parameters[k].default and not (k == "columns" and not v)]
    writer = _writers.get((str(Path(job.path)), name)) if isinstance(name, str) else None
    if not isinstance(writer, DatasetWriter) or more:
        raise DatasetUsageError(
            f"datasetwriter {name!r} was made in analysis: make it in prepare (each slice "
            f"then writes its own slice) or in synthesis; in analysis, "
            f"DatasetWriter(name={name!r}) with no other arguments is the writer prepare made")
    return writer




class DatasetWriter(finishing.Finishing):
    """Writes one dataset of the running job: `DatasetWriter(columns, ...)` in a method, or
    `job.datasetwriter(columns, ...)`; the parameters in the Accelerator's order. In an
    analysis slice, `DatasetWriter(name=...)` is the writer prepare made."""


    def __new__(cls, *args: Any, **kw: Any) -> DatasetWriter:
        if g.running == "analysis":
            return _made_in_prepare(*args, **kw)
        return super().__new__(cls)

    def __init__(self, columns: dict | None = None, filename: str | None = None,
                 hashlabel: str | None = None, hashlabel_override: bool = False,
                 caption: str | None = None, previous: Dataset | DatasetWriter | str | None = None,
                 name: str = "default", parent: Dataset | str | None = None,
                 meta_only: bool = False, for_single_slice: int | None = None,
                 copy_mode: bool = False, allow_missing_slices: bool = False, *,
                 compression: Any = "default", job: Job | None = None):
        from accel.dataset.reader import Dataset

        if self.__dict__.get("_made"):
            return  # the writer prepare made, handed to an analysis slice by __new__
        self.name = check_name(name)
        if columns is not None and not isinstance(columns, dict):
            raise DatasetUsageError(
                f"datasetwriter {name!r}: columns must be a dict of name -> type, not "
                f"{_short(columns)} (the first argument is columns, as in the Accelerator; "
                "the dataset's name is name=...)")
        for arg, value in (("hashlabel_override", hashlabel_override), ("meta_only", meta_only),
                           ("for_single_slice", for_single_slice)):
            if value is not None and value is not False:
                raise DatasetUsageError(f"datasetwriter {name!r}: {arg}={value!r} is not "
                                        "supported by accel")
        del copy_mode  # the Accelerator's speed hint: accel's writer needs none
        job = job if job is not None else _running_job()
        _check_writable(job, name)
        self.job = job
        self.job_path = Path(job.path)
        key = (str(self.job_path), self.name)
        if key in _writers or key in _done:
            raise DatasetUsageError(f"job {job} already has a datasetwriter named {name!r}")
        self.slices = int(job.params.slices)
        if compression == "default":
            compression = job.params.get("dataset_compression", storage.DEFAULT_COMPRESSION)
        self.compression = storage.check_compression(compression)
        self.caption = caption or ""
        self.filename = filename
        self.allow_missing_slices = bool(allow_missing_slices)
        self.previous = self._previous(previous) if previous else None
        self.parent = Dataset(parent) if parent else None
        if self.parent is not None and len(self.parent.lines) != self.slices:
            raise DatasetUsageError(f"datasetwriter {name!r}: parent {self.parent} has "
                                    f"{plural(len(self.parent.lines), 'slice')}, this job "
                                    f"{self.slices}")
        if self.parent is not None and hashlabel is None:
            hashlabel = self.parent.hashlabel
        elif self.parent is not None and hashlabel != self.parent.hashlabel:
            raise DatasetUsageError(
                f"datasetwriter {name!r}: hashlabel {hashlabel!r} differs from the parent's "
                f"({self.parent.hashlabel!r}); a child keeps its parent's rows where they are")
        self.hashlabel = hashlabel
        self._columns: dict[str, tuple[ColumnType, bool]] = {}
        self._parsers: dict[str, Any] = {}  # the 'parsed:TYPE' columns
        for col, spec in (columns or {}).items():
            if isinstance(spec, (tuple, list)):
                self.add(col, *spec)
            else:
                self.add(col, str(spec), bool(getattr(spec, "none_support", False)))
        self.dir = fmt.dataset_dir(self.job_path, self.name)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._frozen = False
        self._slice: int | None = None
        self._states: dict[int, SliceState] = {}
        # the slices written (set_slice, a split writer, an analysis slice): at finish the
        # rest are missing, an error unless allow_missing_slices
        self._written: set[int] = set()
        self._finished = False
        self._dataset: Dataset | None = None  # what finish() made
        _writers[key] = self
        self._made = True

    def __repr__(self) -> str:
        return f"<DatasetWriter {self.job}/{self.name}>"

    def _previous(self, previous: Dataset | DatasetWriter | str) -> Dataset | str:
        """A finished dataset, or another writer of this job (they finish together)."""
        from accel.dataset.reader import Dataset

        if isinstance(previous, DatasetWriter):
            previous = f"{previous.job}/{previous.name}"
        jobid, _, name = str(previous).partition("/")
        if jobid == str(self.job) and (str(self.job_path), name or "default") in _writers:
            return f"{jobid}/{name or 'default'}"
        return Dataset(previous)

    def __reduce__(self):
        """Pickled (prepare's result saved as result.pickle) as the dataset it becomes."""
        from accel.dataset.reader import Dataset

        return (Dataset, (f"{self.job}/{self.name}",))

    # --- declaring -----------------------------------------------------------------------

    def add(self, name: str, type: str, none_support: bool = False) -> None:
        """Add a column (before the first row is written)."""
        if getattr(self, "_frozen", False):
            raise DatasetUsageError(f"datasetwriter {self.name!r}: add({name!r}) after writing "
                                    "started; add every column first")
        if not isinstance(name, str):  # '' is a name (as in the Accelerator)
            raise DatasetUsageError(f"datasetwriter {self.name!r}: a column name must be a "
                                    f"str, not {name!r}")
        try:
            name.encode("utf-8")
        except UnicodeEncodeError as e:
            raise DatasetUsageError(f"datasetwriter {self.name!r}: column name {name!r} is not "
                                    f"valid text ({e.reason} at position {e.start})") from None
        if name in self._columns:
            raise DatasetUsageError(f"datasetwriter {self.name!r}: column {name!r} added twice")
        if isinstance(type, str) and type.startswith(PARSED):
            base = type[len(PARSED):]
            if base not in PARSERS:
                raise DatasetUsageError(
                    f"datasetwriter {self.name!r}: column {name!r}: no type {type!r} (parsed "
                    f"types: {', '.join(PARSED + t for t in PARSERS)})")
            self._parsers[name] = PARSERS[base]
            type = base
        self._columns[name] = (column_type(type), bool(none_support))

    @property
    def columns(self) -> dict[str, str]:
        return {n: ct.name for n, (ct, _) in self._columns.items()}

    def _freeze(self) -> None:
        if self._frozen:
            return
        if self._finished:
            raise DatasetUsageError(f"datasetwriter {self.name!r} is finished")
        known = set(self._columns) | (set(self.parent.columns) if self.parent else set())
        if self.hashlabel is not None and self.hashlabel not in known:
            raise DatasetUsageError(f"datasetwriter {self.name!r}: hashlabel {self.hashlabel!r}"
                                    f" is not a column (columns: {', '.join(self._columns)})")
        self._frozen = True
        self._spec = [(n, ct, ns) for n, (ct, ns) in self._columns.items()]
        self._hash_index = next((i for i, (n, _, _) in enumerate(self._spec)
                                 if n == self.hashlabel), None)
        self._lists, write, write_dict, write_list = self._compile(self._flush, self._bad_count)
        self.__dict__.update(write=write, write_dict=write_dict, write_list=write_list)

    def __getattr__(self, attr: str) -> Any:
        """write, write_list, write_dict are made on first use, for the columns added."""
        if attr in ("write", "write_list", "write_dict"):
            if self.__dict__.get("_finished"):
                raise DatasetUsageError(f"datasetwriter {self.name!r} is finished: no more rows")
            if self._current_slice() is None:
                raise DatasetUsageError(
                    f"datasetwriter {self.name!r}: which slice? Outside analysis, call "
                    "dw.set_slice(n) first, or write through dw.get_split_write() (hashlabel)")
            self._freeze()
            return self.__dict__[attr]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")

    def _compile(self, flush: Callable[[], None], bad: Callable[[Any], None]
                 ) -> tuple[list[list], Any, Any, Any]:
        """write(*values), write_dict(d), write_list(values) as plain functions: per row,
        one append per column, a length check, nothing else."""
        n = len(self._spec)
        if not n:
            def nothing(*values: Any) -> None:
                raise DatasetUsageError(f"datasetwriter {self.name!r} has no columns to write")
            return [], nothing, nothing, nothing
        lists: list[list] = [[] for _ in range(n)]
        ns: dict[str, Any] = {"M": _MISSING, "bad": bad, "flush": flush, "LIMIT": FLUSH_ROWS,
                              "l0": lists[0], "KEYS": [s[0] for s in self._spec]}
        for i, lst in enumerate(lists):
            ns[f"a{i}"] = lst.append
            ns[f"k{i}"] = self._spec[i][0]
        # No *args (it would cost a third of the call): one spare parameter catches one
        # value too many, the last parameter's sentinel any value too few. More values
        # than that are Python's own TypeError, naming the writer.
        params = ", ".join(f"v{i}=M" for i in range(n))
        given = ", ".join(f"v{i}" for i in range(n))
        src = (f"def write({params}, _extra=M):\n"
               f"    if v{n - 1} is M or _extra is not M:\n"
               f"        bad(({given}, _extra))\n"
               + "".join(f"    a{i}(v{i})\n" for i in range(n))
               + "    if len(l0) >= LIMIT:\n        flush()\n"
               "def write_dict(d):\n"
               f"    if len(d) != {n}:\n        bad(d)\n"
               "    try:\n"
               f"        args = ({', '.join(f'd[k{i}]' for i in range(n))},)\n"
               "    except KeyError:\n        bad(d)\n"
               "    write(*args)\n"
               "def write_list(values):\n"
               f"    if len(values) != {n}:\n        bad(tuple(values))\n"
               "    write(*values)\n")
        exec(compile(src, f"<datasetwriter {self.name}>", "exec"), ns)
        ns["write"].__qualname__ = f"datasetwriter {self.name!r}: write"
        return lists, ns["write"], ns["write_dict"], ns["write_list"]

    # --- where rows go -------------------------------------------------------------------

    def set_slice(self, sliceno: int) -> None:
        """Write the following rows to slice `sliceno` (prepare/synthesis: any slice)."""
        if not isinstance(sliceno, int) or not 0 <= sliceno < self.slices:
            raise DatasetUsageError(f"datasetwriter {self.name!r}: set_slice({sliceno!r}): "
                                    f"slices are 0..{self.slices - 1}")
        if finishing._in_slice is not None and sliceno != finishing._in_slice:
            raise DatasetUsageError(f"datasetwriter {self.name!r}: analysis slice "
                                    f"{finishing._in_slice} can only write its own slice, "
                                    f"not {sliceno}")
        if self._frozen and self._lists and self._lists[0]:
            self._flush()
        self._slice = sliceno
        self._written.add(sliceno)

    def _current_slice(self) -> int | None:
        """The slice rows written now go to: the analysis slice, or set_slice's, or none."""
        return finishing._in_slice if finishing._in_slice is not None else self._slice

    def _target(self) -> int:
        """The slice rows written now go to; an error when there is none."""
        sliceno = self._current_slice()
        if sliceno is None:
            raise DatasetUsageError(
                f"datasetwriter {self.name!r}: which slice? Outside analysis, call "
                "dw.set_slice(n) first, or write through dw.get_split_write() (hashlabel)")
        return sliceno

    def write_columns(self, columns: dict) -> None:
        """Append rows given column by column ({name: NumPy array, pyarrow array or list},
        every column) to the current slice: for code that already holds whole columns.
        Values are checked as strictly as by write()."""
        from accel.dataset.bulk import encode_column

        if self._finished:
            raise DatasetUsageError(f"datasetwriter {self.name!r} is finished: no more rows")
        self._target()  # raises when there is no slice to write to
        self._freeze()
        names = [n for n, _, _ in self._spec]
        if set(columns) != set(names):
            raise self._mismatch("write_columns", "no column(s)", columns)
        lengths = {n: len(columns[n]) for n in names}
        if len(set(lengths.values())) > 1:
            raise ColumnValueError(f"datasetwriter {self.name!r}: write_columns: columns of "
                                   f"different lengths {lengths}")
        self._flush()  # rows written one by one before these
        sliceno = self._target()
        st = self._state(sliceno)
        chunks = []
        for name, ct, ns in self._spec:
            try:
                values = columns[name]
                if name in self._parsers:
                    values = parse_all(self._parsers[name], ct.name, list(values))
                chunks.append(encode_column(ct, ns, values))
            except BadValue as e:
                raise self._bad_value(name, ct, ns, e,
                                      f"slice {sliceno}, row {st.lines + e.index}") from None
        if not chunks or not chunks[0].n:
            return
        if self._hash_index is not None:
            try:
                self._check_placement(chunks, sliceno, st.lines)
            except _BadRow as e:
                raise e.error from None
        st.append(chunks)

    def get_split_write(self) -> Any:
        """A write function that sends each row to the slice its hashlabel value hashes
        to, or without a hashlabel row i to slice i % slices, as in the Accelerator
        (prepare or synthesis). Also has .write_list and .write_dict; the three share one
        count of rows. Every slice counts as written."""
        if self.hashlabel is not None and self._columns.get(self.hashlabel) is None:
            raise DatasetUsageError(f"datasetwriter {self.name!r}: get_split_write() with "
                                    f"hashlabel {self.hashlabel!r} needs it among the "
                                    "writer's own columns (a child of a hashed parent keeps "
                                    "its parent's rows where they are)")
        if finishing._in_slice is not None:
            raise DatasetUsageError(f"datasetwriter {self.name!r}: get_split_write() is for "
                                    "prepare or synthesis; in analysis each slice writes its own")
        self._freeze()
        if not hasattr(self, "_split"):
            self._split_rows = 0
            lists, write, write_dict, write_list = self._compile(self._flush_split,
                                                                 self._bad_split_count)
            write.write, write.write_list, write.write_dict = write, write_list, write_dict
            self._split = (lists, write)
            self._written.update(range(self.slices))
        return self._split[1]

    def get_split_write_list(self) -> Any:
        return self.get_split_write().write_list

    def get_split_write_dict(self) -> Any:
        return self.get_split_write().write_dict

    # --- errors --------------------------------------------------------------------------

    def _names(self) -> str:
        return ", ".join(n for n, _, _ in self._spec)

    def _bad_count(self, given: Any) -> None:
        self._count_error(given, self._where(len(self._lists[0])))

    def _bad_split_count(self, given: Any) -> None:
        row = self._split_rows + len(self._split[0][0]) if hasattr(self, "_split") else 0
        self._count_error(given, f"row {row} given to the split writer")

    def _mismatch(self, call: str, missing_text: str, given: Any) -> ColumnValueError:
        """The error for names given that are not exactly the writer's columns."""
        missing = [n for n, _, _ in self._spec if n not in given]
        extra = [n for n in given if n not in self._columns]
        return ColumnValueError(
            f"datasetwriter {self.name!r}: {call}: "
            + (f"{missing_text} {', '.join(map(repr, missing))}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"unknown column(s) {', '.join(map(repr, extra))}" if extra else "")
            + f" (columns: {self._names()})")

    def _count_error(self, given: Any, where: str) -> None:
        n = len(self._spec)
        if isinstance(given, dict):
            raise self._mismatch(f"write_dict at {where}", "no value for column(s)", given)
        got = [v for v in given if v is not _MISSING]
        raise ColumnValueError(f"datasetwriter {self.name!r}: {plural(len(got), 'value')} for "
                               f"{plural(n, 'column')} ({self._names()}) at {where}: "
                               f"{_short(tuple(got))}")

    def _where(self, offset: int) -> str:
        s = self._current_slice()
        if s is None:
            return f"row {offset}"
        st = self._states.get(s)
        return f"slice {s}, row {(st.lines if st else 0) + offset}"

    def _encode_all(self, values: list[list], where: Any) -> list[Chunk]:
        """Every column encoded; _BadRow for the first row (of any column) that cannot be."""
        chunks, bad = [], None
        for (name, ct, ns), vals in zip(self._spec, values, strict=True):
            try:
                if name in self._parsers:
                    vals = parse_all(self._parsers[name], ct.name, vals)
                chunks.append(encode(ct, ns, vals))
            except BadValue as e:
                if bad is None or e.index < bad.index:
                    bad = _BadRow(e.index, self._bad_value(name, ct, ns, e, where(e.index)))
        if bad is not None:
            raise bad
        return chunks

    def _encode_buffer(self, lists: list[list], where: Any, check: Any = None) -> list[Chunk]:
        """The buffered rows encoded (and `check`ed), the buffer left as it is, to be
        cleared once they are stored. A row that cannot be stored leaves the buffer
        alone, the rest stay to be written, and its ColumnValueError is raised: a method
        that catches it (`except ValueError`) loses that row and no other."""
        try:
            chunks = self._encode_all([lst.copy() for lst in lists], where)
            if check is not None:
                check(chunks)
        except _BadRow as e:
            for lst in lists:
                del lst[e.index]
            raise e.error from None
        return chunks

    def _bad_value(self, name: str, ct: ColumnType, ns: bool, e: BadValue,
                   where: str) -> ColumnValueError:
        return ColumnValueError(
            f"datasetwriter {self.name!r}, column {name!r} ({ct.name}"
            f"{', none_support' if ns else ''}): cannot store {_short(e.value)} "
            f"({type(e.value).__name__}) at {where}: {e.reason}")

    # --- flushing ------------------------------------------------------------------------

    def _state(self, sliceno: int) -> SliceState:
        st = self._states.get(sliceno)
        if st is None:
            st = self._states[sliceno] = SliceState(
                self.dir, sliceno, self._spec, self.compression,
                {"accel.dataset": f"{self.job}/{self.name}", "accel.slice": sliceno,
                 "accel.format": fmt.FORMAT})
        return st

    def _after_finish(self) -> DatasetUsageError:
        return DatasetUsageError(f"datasetwriter {self.name!r}: rows were written after "
                                 "dw.finish() (through a write function kept from before)")

    def _flush(self) -> None:
        if not self._frozen or not self._lists or not self._lists[0]:
            return
        if self._finished:
            raise self._after_finish()
        sliceno = self._target()
        st = self._state(sliceno)
        first = st.lines
        check = None if self._hash_index is None else \
            (lambda chunks: self._check_placement(chunks, sliceno, first))
        chunks = self._encode_buffer(self._lists, lambda i: f"slice {sliceno}, row {first + i}",
                                     check)
        st.append(chunks)
        for lst in self._lists:
            lst.clear()

    def _check_placement(self, chunks: list[Chunk], sliceno: int, first_row: int) -> None:
        hash_index = self._hash_index
        assert hash_index is not None  # only a writer with a hashlabel checks placement
        dest = slices_of(chunks[hash_index], self.slices)
        wrong = np.flatnonzero(dest != sliceno)
        if wrong.size:
            i = int(wrong[0])
            from accel.dataset.decode import to_list

            value = to_list(chunks[hash_index].take(np.array([i])))[0]
            raise _BadRow(i, ColumnValueError(
                f"datasetwriter {self.name!r}: hashlabel {self.hashlabel!r} value "
                f"{_short(value)} at slice {sliceno}, row {first_row + i} belongs in slice "
                f"{int(dest[i])}; write through dw.get_split_write() to place rows by hash"))

    def _flush_split(self) -> None:
        lists = self._split[0]
        if not lists or not lists[0]:
            return
        if self._finished:
            raise self._after_finish()
        first = self._split_rows
        chunks = self._encode_buffer(lists, lambda i: f"row {first + i} given to the split writer")
        n = len(lists[0])
        if self._hash_index is None:  # round robin, by the rows stored
            dest = (np.arange(n) + self._split_rows) % self.slices
        else:
            dest = slices_of(chunks[self._hash_index], self.slices)
        order = np.argsort(dest, kind="stable")
        bounds = np.searchsorted(dest[order], np.arange(self.slices + 1))
        for s in range(self.slices):
            idx = order[bounds[s]:bounds[s + 1]]
            if idx.size:
                self._state(s).append([c.take(idx) for c in chunks])
        self._split_rows += n
        for lst in lists:
            lst.clear()

    def flush(self) -> None:
        """Write buffered rows to the files now (also done every FLUSH_ROWS rows)."""
        self._flush()
        if hasattr(self, "_split"):
            self._flush_split()
