"""Datasets, in one process: every column type round-trips exactly, and every value a column
cannot hold is refused with an error naming the column, the value and the row.

A job directory is made by hand and its writers are finished the way the runner finishes
them (accel.dataset.writer.finish_all), so many datasets cost milliseconds; how jobs write
datasets through `ax run` is in test_dataset_jobs.py.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import numpy as np
import pytest
from conftest import write_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accel.dataset import TYPE_NAMES, ColumnValueError, Dataset, DatasetUsageError
from accel.dataset import writer as writer_module
from accel.dataset.hashing import slice_of
from accel.dataset.types import column_type


def finish(job) -> list[str]:
    return writer_module.finish_all(job.path)


def write_rows(new_job, columns: dict, per_slice: list[list], **kw) -> Dataset:
    job = new_job(len(per_slice))
    assert write_dataset(job, columns, per_slice, **kw) == ["default"]
    return job.dataset()


def same(a, b) -> bool:
    """Equal, NaN equal to NaN, and of the same type (an int stays an int)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, complex) and isinstance(b, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    return a == b and type(a) is type(b)


EDGE = {
    "int32": [0, 1, -1, -(2**31), 2**31 - 1],
    "int64": [0, -(2**63), 2**63 - 1, 12345678901234],
    "float32": [0.0, 1.5, -2.25, math.inf, -math.inf, math.nan, 3.4028234663852886e38],
    "float64": [0.0, -0.0, 1e308, -1e-308, 5e-324, math.nan, math.inf, -math.inf, 0.1],
    "number": [0, 1, -1, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 10**40, -(10**40),
               1.5, math.nan, math.inf, -math.inf, -0.0, 1e-300],
    "complex32": [0j, 1 + 2j, -0.5 - 0.25j, complex(math.inf, 0), 0.1 + 2049j,
                  complex(3.4028234663852886e38, -1e-45)],
    "complex64": [0j, 1 + 2j, -0.5 - 0.25j, complex(math.inf, -math.inf), 0.1 + 16777217j,
                  complex(1e300, -5e-324), complex(math.nan, 1)],
    "bool": [True, False],
    "date": [date.min, date.max, date(1970, 1, 1), date(1969, 12, 31), date(2000, 2, 29)],
    "time": [time.min, time.max, time(12, 30, 1, 5), time(0, 0, 0, 1)],
    "datetime": [datetime.min, datetime.max, datetime(1970, 1, 1),
                 datetime(1969, 12, 31, 23, 59, 59, 999999), datetime(2024, 2, 29, 12)],
    "bytes": [b"", b"\x00", b"\xff\xfe", b"abc" * 100],
    "ascii": ["", "abc", "\x00\x7f", "a\nb"],
    "unicode": ["", "abc", "åäö", "\U0001f600", "a\x00b", "日本語" * 50],
    "json": [{"a": [1, 2.5, "x", None, True]}, [], {}, "s", 1, 1.5, "åäö"],
    "pickle": [{1, 2}, (1, "a"), b"x", frozenset(), {"k": [1.5]}, 10**30],
}


def test_every_type_has_edge_values():
    assert set(EDGE) == set(TYPE_NAMES)


@pytest.mark.parametrize("none_support", [False, True])
@pytest.mark.parametrize("typ", TYPE_NAMES)
def test_round_trip_edge_values(new_job, typ, none_support):
    values = list(EDGE[typ])
    if none_support:
        values = [None, *values, None]
    ds = write_rows(new_job, {"x": (typ, none_support)},
                    [[(v,) for v in values], [(v,) for v in values[::-1]]])
    got = list(ds.iterate(None, "x"))
    expected = values + values[::-1]
    if typ == "complex32":  # two float32: each part rounds as a float32 does
        expected = [None if v is None else complex(np.complex64(v)) for v in expected]
    if typ in ("float32",):
        expected = [None if v is None else float(np.float32(v)) for v in expected]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert same(g, e) or (typ == "json" and g == e), (g, e)
    assert ds.lines == [len(values), len(values)]
    assert ds.columns["x"] == typ and ds.columns["x"].none_support is none_support
    assert ds.verify()


@pytest.mark.parametrize("typ", [t for t in TYPE_NAMES if column_type(t).ordered])
def test_min_max_of_ordered_types(new_job, typ):
    values = [v for v in EDGE[typ] if not (isinstance(v, float) and math.isnan(v))]
    ds = write_rows(new_job, {"x": (typ, True)},
                    [[(v,) for v in values[:2] + [None]], [(v,) for v in values[2:]]])
    lo, hi = min(values), max(values)
    if typ == "float32":
        lo, hi = float(np.float32(lo)), float(np.float32(hi))
    assert same(ds.min("x"), lo) or ds.min("x") == lo
    assert same(ds.max("x"), hi) or ds.max("x") == hi


def test_min_max_ignore_nan_and_unordered_types_have_none(new_job):
    ds = write_rows(new_job, {"f": "float64", "s": "unicode"},
                    [[(math.nan, "b"), (2.0, "a")], [(math.nan, "c")]])
    assert ds.min("f") == ds.max("f") == 2.0
    assert ds.min("s") is None and ds.max("s") is None


def test_all_nan_column_has_no_min_max(new_job):
    ds = write_rows(new_job, {"f": "float64"}, [[(math.nan,)], []])
    assert ds.min("f") is None and ds.max("f") is None


def test_empty_dataset_and_empty_slices(new_job):
    ds = write_rows(new_job, {"a": "int64", "s": ("unicode", True)}, [[], [], []])
    assert ds.lines == [0, 0, 0] and ds.shape == (2, 0)
    assert list(ds.iterate(None)) == []
    assert ds.min("a") is None
    assert ds.column("a").tolist() == []
    assert ds.to_arrow().num_rows == 0
    assert ds.verify()


def test_many_rows_cross_flush_boundaries(new_job):
    n = writer_module.FLUSH_ROWS * 2 + 123
    rows = [(i, None if i % 7 == 0 else f"v{i}", i % 3 == 0) for i in range(n)]
    ds = write_rows(new_job, {"i": "int64", "s": ("unicode", True), "b": ("bool", True)},
                    [rows, rows[:5]])
    assert list(ds.iterate(0)) == rows
    assert list(ds.iterate(1)) == rows[:5]
    assert ds.column("i", 0).sum() == n * (n - 1) // 2


def test_value_types_come_back_as_python_types(new_job):
    ds = write_rows(new_job, {"i": "int32", "f": "float32", "b": "bool", "n": "number"},
                    [[(np.int64(3), np.float32(1.5), np.bool_(True), np.int16(4))]])
    row = next(ds.iterate(0))
    assert row == (3, 1.5, True, 4)
    assert [type(v) for v in row] == [int, float, bool, int]


def test_ints_and_bools_where_floats_are_wanted(new_job):
    ds = write_rows(new_job, {"f": "float64", "c": "complex64", "n": "number"},
                    [[(1, 2, True), (True, 1.5, 2**70)]])
    assert list(ds.iterate(0)) == [(1.0, 2 + 0j, True), (1.0, 1.5 + 0j, 2**70)]
    assert next(ds.iterate(0, "n")) == 1 and type(next(ds.iterate(0, "n"))) is int


# --- property-based round trips -----------------------------------------------------------

_ints64 = st.integers(-(2**63), 2**63 - 1)
STRATEGIES = {
    "int32": st.integers(-(2**31), 2**31 - 1),
    "int64": _ints64,
    "float64": st.floats(allow_nan=True, allow_infinity=True),
    "float32": st.floats(width=32),
    "number": st.one_of(st.integers(), st.floats()),
    "bool": st.booleans(),
    "date": st.dates(),
    "datetime": st.datetimes(),
    "time": st.times(),
    "bytes": st.binary(),
    "ascii": st.text(st.characters(max_codepoint=127)),
    "unicode": st.text(),
    "json": st.recursive(st.none() | st.booleans() | st.integers() | st.text()
                         | st.floats(allow_nan=False),
                         lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids),
                         max_leaves=10),
    "pickle": st.recursive(st.integers() | st.text() | st.binary() | st.floats(allow_nan=False),
                           lambda kids: st.lists(kids) | st.tuples(kids, kids), max_leaves=10),
}


@pytest.mark.parametrize("typ", sorted(STRATEGIES))
def test_round_trip_property(new_job, typ):
    strategy = STRATEGIES[typ]

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.lists(st.one_of(st.none(), strategy), max_size=30), min_size=1,
                    max_size=3))
    def check(per_slice):
        ds = write_rows(new_job, {"x": (typ, True)}, [[(v,) for v in rows] for rows in per_slice])
        for sliceno, rows in enumerate(per_slice):
            got = list(ds.iterate(sliceno, "x"))
            assert len(got) == len(rows)
            for g, e in zip(got, rows, strict=True):
                assert same(g, e) or (typ in ("json", "pickle") and g == e), (g, e)

    check()


# --- what a column refuses ----------------------------------------------------------------

REFUSED = [
    ("int32", 2**31, "outside the int32 range"),
    ("int32", -(2**31) - 1, "outside the int32 range"),
    ("int64", 2**63, "outside the int64 range"),
    ("int64", 1.5, "expected an int, got float"),
    ("int64", 2.0, "expected an int, got float"),
    ("int64", "3", "expected an int, got str"),
    ("float64", "1.5", "expected a float or an int, got str"),
    ("float64", 1 + 2j, "got complex"),
    ("float64", 10**400, "too large"),
    ("float32", 1e39, "outside the float32 range"),
    ("number", "1", "expected an int or a float, got str"),
    ("number", Decimal("1.5"), "got Decimal"),
    ("complex64", "x", "got str"),
    ("complex32", 1e39, "outside the complex32 range"),
    ("complex32", complex(1, -1e39), "outside the complex32 range"),
    ("bool", 1, "expected a bool, got int"),
    ("bool", "True", "expected a bool, got str"),
    ("date", datetime(2020, 1, 1), "expected a datetime.date, got datetime"),
    ("date", "2020-01-01", "got str"),
    ("datetime", date(2020, 1, 1), "expected a datetime.datetime, got date"),
    ("datetime", datetime(2020, 1, 1, tzinfo=timezone.utc), "naive"),
    ("time", time(1, tzinfo=timezone(timedelta(hours=1))), "naive"),
    ("time", timedelta(1), "expected a datetime.time"),
    ("bytes", "x", "expected bytes, got str"),
    ("ascii", "åäö", "not ASCII"),
    ("ascii", b"x", "expected a str, got bytes"),
    ("unicode", b"x", "expected a str, got bytes"),
    ("unicode", 3, "expected a str, got int"),
    ("unicode", "a\udc80", "UTF-8"),
    ("json", {1, 2}, "not JSON-able"),
    ("pickle", lambda: 1, "cannot be pickled"),
]


@pytest.mark.parametrize("typ,value,why", REFUSED, ids=[f"{t}-{w}" for t, _, w in REFUSED])
def test_refused_values_name_column_value_and_row(new_job, typ, value, why):
    job = new_job()
    dw = job.datasetwriter(columns={"ok": "int64", "col": typ})
    dw.set_slice(1)
    good = EDGE[typ][0]
    with pytest.raises(ColumnValueError) as e:
        for i in range(5):
            dw.write(i, good)
        dw.write(5, value)
        finish(job)
    msg = str(e.value)
    assert "'col'" in msg and typ in msg
    assert repr(value)[:30] in msg
    assert "slice 1, row 5" in msg
    assert why in msg


@pytest.mark.parametrize("typ", TYPE_NAMES)
def test_none_without_none_support(new_job, typ):
    job = new_job()
    dw = job.datasetwriter(columns={"x": typ})
    dw.set_slice(0)
    dw.write(EDGE[typ][0])
    dw.write(None)
    with pytest.raises(ColumnValueError, match=r"column 'x'.*None.*slice 0, row 1.*none_support"):
        finish(job)


def test_a_bad_value_deep_in_a_big_batch_is_found(new_job):
    job = new_job()
    dw = job.datasetwriter(columns={"a": "int32"})
    dw.set_slice(0)
    w = dw.write
    with pytest.raises(ColumnValueError, match=r"cannot store 1\.0 .*slice 0, row 40000"):
        for i in range(60000):
            w(1.0 if i == 40000 else i)
        dw.flush()


def test_wrong_number_of_values(new_job):
    job = new_job(1)
    dw = job.datasetwriter(columns={"a": "int64", "b": "unicode"})
    dw.set_slice(0)
    dw.write(1, "x")
    with pytest.raises(ColumnValueError, match=r"1 value for 2 columns \(a, b\) at slice 0, "
                                               r"row 1: \(7,\)"):
        dw.write(7)
    with pytest.raises(ColumnValueError, match=r"3 values for 2 columns.*row 1.*\(1, 'x', 2\)"):
        dw.write(1, "x", 2)
    with pytest.raises(TypeError, match="datasetwriter 'default'"):
        dw.write(1, "x", 2, 3)
    with pytest.raises(ColumnValueError, match=r"1 value for 2 columns"):
        dw.write_list([1])
    with pytest.raises(ColumnValueError, match=r"no value for column\(s\) 'b'"):
        dw.write_dict({"a": 1})
    with pytest.raises(ColumnValueError, match=r"unknown column\(s\) 'c'"):
        dw.write_dict({"a": 1, "b": "x", "c": 2})
    dw.write_list([2, "y"])
    dw.write_dict({"b": "z", "a": 3})
    finish(job)
    assert list(job.dataset().iterate(0)) == [(1, "x"), (2, "y"), (3, "z")]


def test_writer_usage_errors(new_job):
    job = new_job()
    with pytest.raises(DatasetUsageError, match="unknown column type 'int65'"):
        job.datasetwriter(columns={"a": "int65"})
    with pytest.raises(DatasetUsageError, match="bad dataset name"):
        job.datasetwriter(name=".hidden")  # ('a/b' is a name, as in the Accelerator)
    dw = job.datasetwriter(columns={"a": "int64"}, allow_missing_slices=True)
    with pytest.raises(DatasetUsageError, match="already has a datasetwriter named 'default'"):
        job.datasetwriter()
    with pytest.raises(DatasetUsageError, match="which slice"):
        dw.write(1)
    with pytest.raises(DatasetUsageError, match="slices are 0..1"):
        dw.set_slice(2)
    dw.set_slice(0)
    dw.write(1)
    with pytest.raises(DatasetUsageError, match="after writing started"):
        dw.add("b", "int64")
    dw.finish()
    with pytest.raises(DatasetUsageError, match="finished"):
        dw.write(2)


def test_no_dataset_until_finished_and_discard(new_job):
    job = new_job(1)
    dw = job.datasetwriter(columns={"a": "int64"})
    dw.set_slice(0)
    dw.write(1)
    other = job.datasetwriter(columns={"a": "int64"}, name="other")
    other.discard()
    with pytest.raises(LookupError, match="has no dataset 'default'"):
        job.dataset()
    assert finish(job) == ["default"]
    assert list(job.dataset().iterate(None, "a")) == [1]
    with pytest.raises(LookupError, match=r"no dataset 'other' \(its datasets: default\)"):
        job.dataset("other")


# --- hashing ------------------------------------------------------------------------------


def test_hash_places_equal_values_together_across_types():
    for slices in (1, 2, 3, 7):
        for v in (0, 1, -5, 2**40):
            s = slice_of(column_type("int64"), v, slices)
            assert slice_of(column_type("int32"), v, slices) == s if abs(v) < 2**31 else True
            assert slice_of(column_type("float64"), float(v), slices) == s
            assert slice_of(column_type("number"), v, slices) == s
            assert slice_of(column_type("number"), float(v), slices) == s
        for text in ("", "abc", "åäö"):
            s = slice_of(column_type("unicode"), text, slices)
            assert slice_of(column_type("bytes"), text.encode(), slices) == s
        assert slice_of(column_type("float64"), -0.0, slices) == \
            slice_of(column_type("float64"), 0.0, slices)
        assert slice_of(column_type("unicode"), None, slices) == 0


def test_hash_is_fixed_across_processes_and_versions():
    """The placement is part of the format: these numbers must never change."""
    got = [slice_of(column_type(t), v, 16) for t, v in (
        ("int64", 1), ("int64", 12345), ("unicode", "abc"), ("float64", 0.5),
        ("date", date(2020, 1, 1)), ("bytes", b""))]
    assert got == EXPECTED_SLICES


EXPECTED_SLICES = [5, 1, 12, 5, 12, 0]


@pytest.mark.parametrize("typ", ["int64", "unicode", "float64", "date", "number", "bytes"])
def test_split_write_agrees_with_reslicing(new_job, typ):
    values = [v for v in EDGE[typ] * 3 if not (isinstance(v, float) and math.isnan(v))]
    job = new_job(3)
    dw = job.datasetwriter(columns={"k": typ, "i": "int64"}, hashlabel="k")
    w = dw.get_split_write()
    for i, v in enumerate(values):
        w(v, i)
    finish(job)
    ds = job.dataset()
    assert ds.hashlabel == "k"
    assert sum(ds.lines) == len(values)
    for s in range(3):
        rows = list(ds.iterate(s))
        assert all(slice_of(column_type(typ), k, 3) == s for k, _ in rows)
        # iterating with the same hashlabel is plain iteration
        assert list(ds.iterate(s, hashlabel="k")) == rows
    # an unhashed copy re-sliced by k gives the same slices (same rows, same order)
    job2 = new_job(3)
    dw2 = job2.datasetwriter(columns={"k": typ, "i": "int64"}, allow_missing_slices=True)
    dw2.set_slice(0)
    for i, v in enumerate(values):
        dw2.write(v, i)
    finish(job2)
    plain = job2.dataset()
    for s in range(3):
        assert list(plain.iterate(s, hashlabel="k")) == list(ds.iterate(s))


def test_writing_to_the_wrong_slice_of_a_hashed_dataset(new_job):
    job = new_job(4)
    dw = job.datasetwriter(columns={"k": "int64"}, hashlabel="k")
    wrong = next(v for v in range(100) if slice_of(column_type("int64"), v, 4) != 0)
    dw.set_slice(0)
    dw.write(wrong)
    with pytest.raises(ColumnValueError, match=rf"hashlabel 'k' value {wrong} at slice 0, row 0 "
                                               r"belongs in slice \d; .*get_split_write"):
        finish(job)


def test_split_write_list_and_dict_and_errors(new_job):
    job = new_job(2)
    dw = job.datasetwriter(columns={"k": "unicode", "v": ("int64", True)}, hashlabel="k")
    w = dw.get_split_write()
    w.write_list(["a", 1])
    dw.get_split_write_dict()({"k": "b", "v": None})
    with pytest.raises(ColumnValueError, match=r"column 'v'.*'x'.*row 2 given to the split writer"):
        w("c", "x")
        dw.flush()


# --- whole columns in ---------------------------------------------------------------------


def test_write_columns_from_numpy_arrow_and_lists(new_job):
    import pyarrow as pa

    job = new_job(1)
    dw = job.datasetwriter(columns={"i": "int32", "f": "float64", "s": ("unicode", True),
                                    "d": "date", "t": "datetime", "b": "bytes"})
    dw.set_slice(0)
    dw.write(0, 0.0, "first", date(2000, 1, 1), datetime(2000, 1, 1), b"")
    dw.write_columns({
        "i": np.array([1, 2], np.int64),
        "f": pa.array([1.5, 2.5]),
        "s": pa.array(["å", None]),
        "d": np.array(["2020-01-02", "2020-01-03"], "datetime64[D]"),
        "t": np.array(["2020-01-02T03:04:05.000006", "2020-01-02"], "datetime64[ns]"),
        "b": [b"x", b"yy"],
    })
    dw.write(3, 3.0, "last", date(2000, 1, 1), datetime(2000, 1, 1), b"z")
    finish(job)
    assert list(job.dataset().iterate(0)) == [
        (0, 0.0, "first", date(2000, 1, 1), datetime(2000, 1, 1), b""),
        (1, 1.5, "å", date(2020, 1, 2), datetime(2020, 1, 2, 3, 4, 5, 6), b"x"),
        (2, 2.5, None, date(2020, 1, 3), datetime(2020, 1, 2), b"yy"),
        (3, 3.0, "last", date(2000, 1, 1), datetime(2000, 1, 1), b"z"),
    ]


@pytest.mark.parametrize("col,why", [
    (np.array([1, 2**40]), "outside the int32 range"),
    (np.array([1.0, 1.5]), "expected an int, got float"),
    (["1", 2], "expected an int, got str"),
], ids=["range", "float", "str"])
def test_write_columns_refuses_what_write_refuses(new_job, col, why):
    job = new_job()
    dw = job.datasetwriter(columns={"x": "int32"})
    dw.set_slice(1)
    dw.write(5)
    with pytest.raises(ColumnValueError, match=rf"column 'x' \(int32\).*slice 1, row \d: .*{why}"):
        dw.write_columns({"x": col})


def test_write_columns_names_and_lengths(new_job):
    job = new_job()
    dw = job.datasetwriter(columns={"a": "int64", "b": "int64"})
    dw.set_slice(0)
    with pytest.raises(ColumnValueError, match=r"no column\(s\) 'b'"):
        dw.write_columns({"a": [1]})
    with pytest.raises(ColumnValueError, match="different lengths"):
        dw.write_columns({"a": [1], "b": [1, 2]})
    with pytest.raises(ColumnValueError, match=r"none_support"):
        import pyarrow as pa

        dw.write_columns({"a": pa.array([1, None]), "b": [1, 2]})


def test_slices_for_agrees_with_split_write(new_job):
    from accel.dataset.hashing import slices_for

    keys = [f"k{i}" for i in range(200)]
    job = new_job(4)
    dw = job.datasetwriter(columns={"k": "unicode"}, hashlabel="k")
    w = dw.get_split_write()
    for k in keys:
        w(k)
    finish(job)
    ds = job.dataset()
    where = dict(zip(keys, slices_for(np.array(keys, object), "unicode", 4).tolist(),
                     strict=True))
    for s in range(4):
        assert all(where[k] == s for k in ds.iterate(s, "k"))


def test_previous_may_be_another_writer_of_the_same_job(new_job):
    job = new_job()
    first = job.datasetwriter({"a": "int64"}, name="first", allow_missing_slices=True)
    second = job.datasetwriter({"a": "int64"}, name="second", previous=first,
                               allow_missing_slices=True)
    for dw, v in ((first, 1), (second, 2)):
        dw.set_slice(0)
        dw.write(v)
    assert finish(job) == ["first", "second"]
    assert list(job.dataset("second").iterate_chain(None, "a")) == [1, 2]


# --- found in review ----------------------------------------------------------------------


@pytest.mark.parametrize("value, key", [({1: "a"}, "1"), ([{"k": {None: 1}}], "None"),
                                        ({"a": [{2.5: 0}]}, "2.5"), ({True: 0}, "True")])
def test_json_dict_keys_that_would_come_back_as_str_are_refused(new_job, value, key):
    job = new_job(1)
    dw = job.datasetwriter(columns={"j": "json"})
    dw.set_slice(0)
    dw.write({"fine": [1, {"x": 2}]})
    dw.write(value)
    with pytest.raises(ColumnValueError,
                       match=rf"column 'j' \(json\).*slice 0, row 1.*dict key {key} .*would "
                             "come back as a str"):
        dw.flush()


@pytest.mark.parametrize("typ, col", [
    ("date", np.array(["2000-01-01", "10000-01-01"], "datetime64[D]")),
    ("date", np.array(["2000-01-01", "-0001-12-31"], "datetime64[D]")),
    ("datetime", np.array(["2000-01-01", "12000-01-01T00:00"], "datetime64[us]")),
    ("datetime", np.array(["2000-01-01", "10000-01-01"], "datetime64[D]")),
])
def test_write_columns_refuses_dates_python_cannot_hold(new_job, typ, col):
    job = new_job(1)
    dw = job.datasetwriter(columns={"d": typ})
    dw.set_slice(0)
    with pytest.raises(ColumnValueError, match=rf"column 'd' \({typ}\).*row 1.*outside the "
                                               "range of datetime"):
        dw.write_columns({"d": col})
    pa = pytest.importorskip("pyarrow")
    with pytest.raises(ColumnValueError, match="outside the range"):
        dw.write_columns({"d": pa.array(col)})


def test_no_rows_after_finish(new_job):
    job = new_job(1)
    dw = job.datasetwriter(columns={"a": "int64"})
    dw.set_slice(0)
    dw.write(1)
    write_list, write = dw.write_list, dw.write
    dw.finish()
    for call in (lambda: dw.write(2), lambda: dw.write_list([2]), lambda: dw.write_dict({"a": 2}),
                 lambda: dw.write_columns({"a": [2]})):
        with pytest.raises(DatasetUsageError, match="is finished"):
            call()
    write_list([2])  # a write function kept from before finish(): refused when it flushes
    write(3)
    with pytest.raises(DatasetUsageError, match="rows were written after dw.finish()"):
        finish(job)


def test_writing_and_reading_text_does_not_import_pandas(tmp_path):
    """pyarrow imports pandas on its first pa.array() or to_numpy() (a third of a second
    per process); datasets get by without either, so a job that only writes and reads
    datasets does not pay it."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from accel import layout
        from accel.job import CurrentJob
        from accel.dataset import writer
        layout.set_paths(layout.Paths(workdirs={{"t": Path({str(tmp_path)!r})}}))
        (Path({str(tmp_path)!r}) / "t-1").mkdir()
        (Path({str(tmp_path)!r}) / "t-1" / "setup.json").write_text(json.dumps({{"slices": 1, "method": "t"}}))
        job = CurrentJob("t-1")
        dw = job.datasetwriter(columns={{"s": "unicode", "a": ("ascii", True), "b": "bytes",
                                         "i": "int64", "j": "json"}})
        dw.set_slice(0)
        dw.write("å", None, b"x", 1, [1])
        dw.write_columns({{"s": ["b"], "a": ["c"], "b": [b""], "i": [2], "j": [{{}}]}})
        writer.finish_all(job.path)
        rows = list(job.dataset().iterate(None))
        assert rows == [("å", None, b"x", 1, [1]), ("b", "c", b"", 2, {{}})], rows
        print("pandas" in sys.modules)
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "False"
