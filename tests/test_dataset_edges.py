"""Edge cases of writing datasets that once went wrong silently or with a traceback (each
docstring says what went wrong and what is expected): whole columns given as masked,
NaT-holding, nanosecond or out-of-range arrays, fold in a parent's column through the
standard methods, huge ints, column names that collide with struct fields or are not
valid text, and a discarded writer."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from conftest import ax_run, printed, script

from accel.dataset import ColumnValueError, DatasetUsageError
from accel.dataset import writer as writer_module
from accel.dataset.types import DatasetError

pa = pytest.importorskip("pyarrow")


def _write_columns(new_job, typ, col, none_support=False, **kw):
    """write_columns({"c": col}) to slice 0 of a one-slice dataset; its values read back."""
    job = new_job(1)
    dw = job.datasetwriter(columns={"c": (typ, none_support)}, **kw)
    dw.set_slice(0)
    dw.write_columns({"c": col})
    writer_module.finish_all(job.path)
    return list(job.dataset().iterate(0, "c"))


@pytest.mark.parametrize("make", [np.array, pa.array], ids=["numpy", "pyarrow"])
def test_write_columns_complex32_refuses_float64_beyond_float32(new_job, make):
    """write_columns of a float64 NumPy or pyarrow array into a complex32 column stores
    1e39 as inf silently (bulk._from_numpy only checks overflow when the target's itemsize
    is smaller than the source's: complex64's 8 bytes equal float64's 8). write() refuses
    the same value ("outside the complex32 range"); write_columns must too."""
    with pytest.raises(ColumnValueError, match="complex32"):
        _write_columns(new_job, "complex32", make([1e39, 1.0]))


def test_write_columns_masked_array_keeps_none(new_job):
    """ds.column() of a column with None is a masked array; handing it to write_columns
    ignores the mask and stores whatever lies under it (here the neighbouring value):
    None silently becomes a number. Expected: masked rows stored as None."""
    job = new_job(1)
    dw = job.datasetwriter(columns={"c": ("int64", True)})
    dw.set_slice(0)
    for v in (1, None, 3):
        dw.write(v)
    writer_module.finish_all(job.path)
    col = job.dataset().column("c", 0)
    assert isinstance(col, np.ma.MaskedArray)
    assert _write_columns(new_job, "int64", col, True) == [1, None, 3]


def test_write_columns_masked_array_without_none_support_is_refused(new_job):
    """A masked (None) row given to a column without none_support is stored as its
    underlying value instead of being refused as None."""
    col = np.ma.MaskedArray([1.5, 2.5], mask=[False, True])
    with pytest.raises(ColumnValueError, match="None"):
        _write_columns(new_job, "float64", col)


def test_write_columns_arrow_timestamp_nanoseconds_not_truncated(new_job):
    """A pyarrow timestamp[ns] with a sub-microsecond part: bulk._to_us declines it
    ("encode() refuses it, naming the value"), but the fallback is col.to_pylist(), which
    pyarrow truncates to microseconds, so 1 ns is stored as 0 silently. Expected: refused,
    naming the value (as parquetimport does)."""
    with pytest.raises(ColumnValueError):
        _write_columns(new_job, "datetime", pa.array([1, 2000], pa.timestamp("ns")))


def test_write_columns_arrow_time_nanoseconds_not_truncated(new_job):
    """A pyarrow time64[ns] goes through to_pylist(), which truncates: 1 ns is stored as
    00:00:00 silently. Expected: refused (a time holds whole microseconds)."""
    with pytest.raises(ColumnValueError):
        _write_columns(new_job, "time", pa.array([1, 2000], pa.time64("ns")))


@pytest.mark.parametrize("us", [-1, 86_400_000_000])
def test_write_columns_arrow_time_out_of_range_refused(new_job, us):
    """A time64[us] outside a day: _from_arrow declines it ("encode() names the value"),
    but pyarrow's to_pylist wraps it (-1 us -> 23:59:59.999999, 24 h -> 00:00), which is
    stored silently. Expected: refused."""
    with pytest.raises(ColumnValueError):
        _write_columns(new_job, "time", pa.array([us], pa.time64("us")))


def test_write_columns_numpy_datetime64_ns_with_nat(new_job):
    """datetime64[ns] with NaT (what pandas gives) into a none_support datetime column:
    the NaT makes _from_numpy decline and col.tolist() of ns gives ints, so the job fails
    with 'cannot store 1577836800000000000 (int) ... expected a datetime.datetime'.
    Expected: NaT stored as None, the rest exactly."""
    col = np.array(["NaT", "2020-01-01T00:00:00.000001"], "datetime64[ns]")
    assert _write_columns(new_job, "datetime", col, True) == \
        [None, datetime(2020, 1, 1, 0, 0, 0, 1)]


def test_standard_methods_keep_fold_of_a_parent_column(project):
    """_dsio._has_fold looks only at ds.meta["fold"]; a child dataset's meta has no entry
    for a column its parent holds, so dataset_sort/filter_columns/hashpart move the
    parent's datetime as Arrow and fold=1 becomes 0 silently. Expected: fold kept."""
    project.method("par", """
        from datetime import datetime
        def synthesis(job):
            dw = job.datasetwriter(columns={"d": "datetime"}, allow_missing_slices=True)
            dw.set_slice(0)
            dw.write(datetime(2020, 11, 1, 1, 30, fold=1))
            dw.write(datetime(2020, 11, 1, 1, 30))
    """)
    project.method("child", """
        datasets = ("parent",)
        def synthesis(job):
            dw = job.datasetwriter(columns={"x": "int64"}, parent=datasets.parent,
                                   allow_missing_slices=True)
            dw.set_slice(0)
            dw.write(2)
            dw.write(1)
    """)
    script(project, """
        def main(urd):
            from accel.dataset import Dataset
            a = urd.build("par")
            b = urd.build("child", datasets={"parent": a})
            out = {"child": [[x, d.fold] for x, d in Dataset(b).iterate(None, ("x", "d"))]}
            s = urd.build("dataset_sort", datasets={"source": b},
                          options={"sort_columns": "x"})
            out["sort"] = [[x, d.fold] for x, d in Dataset(s).iterate(None, ("x", "d"))]
            f = urd.build("dataset_filter_columns", datasets={"source": b},
                          options={"keep_columns": ["x", "d"]})
            out["filter"] = [[x, d.fold] for x, d in Dataset(f).iterate(None, ("x", "d"))]
            print("RESULT " + json.dumps(out))
    """)
    got = printed(ax_run(project))
    assert got["child"] == [[2, 1], [1, 0]]
    assert got["sort"] == [[1, 0], [2, 1]]
    assert got["filter"] == [[2, 1], [1, 0]]


@pytest.mark.parametrize("compression", ["zstd", None])
def test_number_int_beyond_4300_digits(new_job, compression):
    """README: number stores 'an int of any size'. An int of more than 4300 digits is
    accepted by write() and then crashes the flush with Python's int-to-str limit
    (arrowtypes._number_to_arrow: str(v); hashing._number_keys; minmax JSON): a bare
    ValueError traceback. Expected: stored exactly (or refused by write() as a
    ColumnValueError naming the value)."""
    v = 10**5000 + 7
    job = new_job(1)
    dw = job.datasetwriter(columns={"n": "number"}, compression=compression)
    dw.set_slice(0)
    try:
        dw.write(v)
        writer_module.finish_all(job.path)
    except ColumnValueError:
        return
    assert list(job.dataset().iterate(0, "n")) == [v]


@pytest.mark.parametrize("columns", [
    {"c": "complex64", "c.real": "unicode"},
    {"n": "number", "n.int": "unicode"},
], ids=["complex", "number"])
def test_dotted_column_name_equal_to_a_struct_child_path(new_job, columns):
    """A column named 'c.real' beside a complex column 'c' (or 'n.int' beside a number
    'n'): storage.ParquetSlice._encodings asks for BYTE_STREAM_SPLIT on path 'c.real',
    which Parquet applies to the unicode column too, and writing fails with pyarrow's
    OSError ('BYTE_STREAM_SPLIT only supports FLOAT, ...'). Expected: the dataset is
    written and reads back."""
    job = new_job(1)
    dw = job.datasetwriter(columns=columns)
    dw.set_slice(0)
    first = 1j if "c" in columns else 5
    dw.write(first, "x")
    writer_module.finish_all(job.path)
    assert list(job.dataset().iterate(0)) == [(first, "x")]


def test_column_name_with_a_lone_surrogate_is_a_clear_error(new_job):
    """A column name that is not valid UTF-8 (a lone surrogate, as os.fsdecode makes of
    undecodable file names) is accepted by add() and crashes the first flush with a
    UnicodeEncodeError traceback from pyarrow. Expected: a DatasetError (add() refusing
    the name)."""
    job = new_job(1)
    with pytest.raises(DatasetError):
        dw = job.datasetwriter(columns={"a\udc80": "int64"})
        dw.set_slice(0)
        dw.write(1)
        writer_module.finish_all(job.path)


def test_rows_written_after_discard_are_an_error(new_job):
    """After dw.discard() the writer still takes rows (kept write functions and new ones
    alike) and drops them silently; after dw.finish() the same is an error. Expected:
    writing to a discarded writer raises DatasetUsageError."""
    job = new_job(1)
    dw = job.datasetwriter(columns={"a": "int64"})
    dw.set_slice(0)
    dw.write(1)
    dw.discard()
    with pytest.raises(DatasetUsageError):
        dw.write(2)
        writer_module.finish_all(job.path)

