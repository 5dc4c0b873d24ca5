"""Reading datasets, in one process: iterate in all its forms, whole columns as NumPy arrays,
Arrow and pandas, chains and parents, and damaged files refused rather than misread."""

from __future__ import annotations

import json
import math
import pickle
import shutil
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pytest
from conftest import write_dataset

from accel.dataset import (
    Dataset,
    DatasetDamaged,
    DatasetList,
    DatasetUsageError,
    NoSuchColumn,
)
from accel.dataset import writer as writer_module


def make_ds(new_job, columns: dict, per_slice: list[list], name: str = "default",
            **kw) -> Dataset:
    job = new_job(len(per_slice))
    write_dataset(job, columns, per_slice, name, **kw)
    return job.dataset(name)


ROWS = [
    [(1, 1.5, "a", None), (2, 2.5, "bb", 7)],
    [(3, -1.0, "ccc", 8)],
    [],
]
COLS = {"i": "int64", "f": "float64", "s": "unicode", "n": ("int32", True)}


@pytest.fixture
def ds(new_job) -> Dataset:
    return make_ds(new_job, COLS, ROWS)


# --- what a dataset says about itself ----------------------------------------------------


def test_properties(ds):
    assert ds == f"{ds.job}/default" and ds.name == "default"
    assert list(ds.columns) == ["i", "f", "s", "n"]
    assert ds.columns == {"i": "int64", "f": "float64", "s": "unicode", "n": "int32"}
    assert ds.columns["n"].none_support and not ds.columns["i"].none_support
    assert ds.columns["i"].type == "int64" and ds.columns["i"].name == "i"
    assert ds.lines == [2, 1, 0] and ds.shape == (4, 3) and ds.slices == 3
    assert ds.hashlabel is None and ds.previous is None and ds.parent is None
    assert (ds.min("i"), ds.max("i"), ds.min("f"), ds.max("n")) == (1, 3, -1.0, 8)
    assert ds.meta["format"] == 3


def test_dataset_names_and_pickling(ds):
    assert Dataset(str(ds)) == ds
    assert Dataset(ds.job) == ds
    assert Dataset(ds.job, "default") == ds
    assert ds.job.dataset() == ds
    again = pickle.loads(pickle.dumps(ds))
    assert again == ds and isinstance(again, Dataset) and again.lines == ds.lines
    assert {ds: 1}[str(ds)] == 1


def test_missing_column_lists_the_columns(ds):
    with pytest.raises(NoSuchColumn) as e:
        list(ds.iterate(0, "x"))
    assert str(e.value) == (f"dataset {ds} has no column 'x'; its columns: 'i', 'f', 's', 'n'")
    with pytest.raises(NoSuchColumn, match="did you mean 'i'"):
        ds.column("ii")
    with pytest.raises(KeyError):
        ds.min("nope")
    with pytest.raises(LookupError):
        ds.to_arrow(["i", "zz"])


def test_missing_dataset(new_job, ds):
    with pytest.raises(LookupError, match=rf"job {ds.job} has no dataset 'other' "
                                          r"\(its datasets: default\)"):
        ds.job.dataset("other")
    empty = new_job()
    with pytest.raises(LookupError, match="it has no datasets"):
        Dataset(empty)


# --- iterate ---------------------------------------------------------------------------------


def test_iterate_forms(ds):
    assert list(ds.iterate(0, "i")) == [1, 2]
    assert list(ds.iterate(0, ("s", "i"))) == [("a", 1), ("bb", 2)]
    assert list(ds.iterate(0, ["i"])) == [(1,), (2,)]
    assert list(ds.iterate(1)) == [(3, -1.0, "ccc", 8)]
    assert list(ds.iterate(2)) == []
    assert list(ds.iterate(None, "n")) == [None, 7, 8]
    assert list(ds.iterate(None)) == [r for rows in ROWS for r in rows]


@pytest.mark.parametrize("columns", [[], ()])
def test_iterate_over_no_columns_says_so(ds, columns):
    """An empty column list is refused, saying what to give (the Accelerator reads every
    column then, which is never what an empty list means)."""
    for it in (lambda: ds.iterate(0, columns), lambda: ds.iterate_chain(None, columns),
               lambda: DatasetList([ds]).iterate(None, columns)):
        with pytest.raises(DatasetUsageError, match="columns is empty.*None for all"):
            it()


def test_iterate_bad_slice(ds):
    with pytest.raises(DatasetUsageError, match="no slice 3"):
        ds.iterate(3)
    with pytest.raises(DatasetUsageError, match="no slice"):
        ds.iterate("0")


def test_filters_and_translators(ds):
    assert list(ds.iterate(None, "i", filters=lambda v: v > 1)) == [2, 3]
    assert list(ds.iterate(None, ("i", "s"), filters=lambda r: r[1] != "bb")) == \
        [(1, "a"), (3, "ccc")]
    # a filter on a column that is not yielded
    assert list(ds.iterate(None, "i", filters={"s": lambda s: len(s) > 1})) == [2, 3]
    assert list(ds.iterate(None, ("s",), filters={"n": lambda n: n is None})) == [("a",)]
    assert list(ds.iterate(None, ("i", "f"), filters={"i": lambda i: i != 2,
                                                       "f": lambda f: f > 0})) == [(1, 1.5)]
    assert list(ds.iterate(None, "s", translators={"s": str.upper})) == ["A", "BB", "CCC"]
    assert list(ds.iterate(None, ("i", "s"), translators={"i": {1: "one", 3: "three"}})) == \
        [("one", "a"), (2, "bb"), ("three", "ccc")]
    # translators come first, filters see translated values
    assert list(ds.iterate(None, "i", translators={"i": lambda v: v * 10},
                           filters=lambda v: v > 10)) == [20, 30]
    with pytest.raises(DatasetUsageError, match="filters must be"):
        ds.iterate(None, "i", filters=3)


def test_iterate_chain_and_list(new_job):
    a = make_ds(new_job, {"x": "int64"}, [[(1,)], [(2,)]])
    b = make_ds(new_job, {"x": "int64"}, [[(3,)], [(4,)]], previous=a)
    c = make_ds(new_job, {"x": "int64", "y": "unicode"}, [[(5, "e")], []], previous=b)
    assert c.previous == b and b.previous == a
    assert c.chain() == [a, b, c] and isinstance(c.chain(), DatasetList)
    assert c.chain(reverse=True) == [c, b, a]
    assert c.chain(length=2) == [b, c]
    assert c.chain(stop_ds=a) == [b, c]
    assert list(c.iterate_chain(0, "x")) == [1, 3, 5]
    assert list(c.iterate_chain(None, "x")) == [1, 2, 3, 4, 5]
    assert list(c.iterate_chain(None, "x", length=1)) == [5]
    assert list(Dataset.iterate_list(1, "x", [c, a])) == [2]
    assert list(c.chain().iterate(None, "x", filters=lambda v: v % 2)) == [1, 3, 5]
    assert c.chain().lines == [3, 2]
    assert c.chain().column("x").tolist() == [1, 2, 3, 4, 5]
    assert (c.chain().min("x"), c.chain().max("x")) == (1, 5)
    with pytest.raises(NoSuchColumn, match="has no column 'y'"):
        list(c.iterate_chain(None, ("x", "y")))


def test_parent_adds_columns_without_copying(new_job):
    base = make_ds(new_job, {"a": "int64", "b": "unicode"}, [[(1, "x"), (2, "y")], [(3, "z")]])
    job = new_job()
    dw = job.datasetwriter(columns={"c": "float64", "b": "int32"}, parent=base)
    for sliceno, a_values in enumerate(([1, 2], [3])):
        dw.set_slice(sliceno)
        for a in a_values:
            dw.write(a / 2, -a)
    writer_module.finish_all(job.path)
    child = job.dataset()
    assert child.parent == base
    assert child.columns == {"a": "int64", "b": "int32", "c": "float64"}
    assert list(child.iterate(None, ("a", "b", "c"))) == [(1, -1, 0.5), (2, -2, 1.0),
                                                         (3, -3, 1.5)]
    assert child.min("a") == 1 and child.max("b") == -1
    own = sorted(p.name for p in (job.path / "datasets" / "default").iterdir())
    assert own == ["0000.parquet", "0001.parquet", "meta.json"]
    import pyarrow.parquet as pq

    assert pq.read_schema(child.files[0]).names == ["c", "b"]  # a is not copied
    assert child.column("a").tolist() == [1, 2, 3]
    assert child.to_arrow().column_names == ["a", "b", "c"]
    assert child.verify()


def test_parent_with_different_rows_is_refused(new_job):
    base = make_ds(new_job, {"a": "int64"}, [[(1,), (2,)], []])
    job = new_job()
    dw = job.datasetwriter(columns={"c": "int64"}, parent=base, allow_missing_slices=True)
    dw.set_slice(0)
    dw.write(1)
    with pytest.raises(DatasetUsageError, match=r"rows per slice \[1, 0\] differ from the "
                                                r"parent .*\[2, 0\]"):
        writer_module.finish_all(job.path)


def test_iterate_is_fast_path_types(ds):
    """Numbers come out as Python ints and floats, whatever the path."""
    for v in ds.iterate(None, "i"):
        assert type(v) is int
    for v in ds.iterate(None, "f"):
        assert type(v) is float


# --- whole columns -------------------------------------------------------------------------


@pytest.mark.parametrize("compression", [None, "zstd", "lz4"])
def test_column_is_memory_mapped_when_uncompressed(new_job, compression):
    ds = make_ds(new_job, COLS, ROWS, compression=compression)
    assert ds.compression == compression
    col = ds.column("i", 0)
    assert isinstance(col, np.ndarray) and col.dtype == np.int64 and col.tolist() == [1, 2]
    if compression is None:  # a view of the mapped file
        assert not col.flags.writeable and not col.flags.owndata
    assert ds.column("f").tolist() == [1.5, 2.5, -1.0]
    n = ds.column("n")
    assert isinstance(n, np.ma.MaskedArray) and n.tolist() == [None, 7, 8]
    assert ds.column("s").tolist() == ["a", "bb", "ccc"]


def test_column_types_for_vectorised_work(new_job):
    d = make_ds(new_job, {"d": "date", "t": "datetime", "tm": "time", "b": "bool",
                          "c": "complex32"},
                [[(date(2020, 1, 2), datetime(2020, 1, 2, 3, 4, 5, 6), time(1, 2, 3), True,
                   1 + 2j)]])
    assert d.column("d").dtype == np.dtype("datetime64[D]")
    assert d.column("d")[0] == np.datetime64("2020-01-02")
    assert d.column("t")[0] == np.datetime64("2020-01-02T03:04:05.000006")
    assert d.column("tm")[0] == np.timedelta64(3723, "s")
    assert d.column("b").dtype == np.bool_ and d.column("b")[0]
    assert d.column("c")[0] == np.complex64(1 + 2j)


def test_to_arrow(ds):
    pa = pytest.importorskip("pyarrow")
    t = ds.to_arrow()
    assert t.column_names == ["i", "f", "s", "n"]
    assert t.schema.field("i").type == pa.int64()
    assert t.schema.field("s").type == pa.large_string()
    assert t.schema.field("n").metadata[b"accel.type"] == b"int32"
    assert t.column("i").num_chunks == 3  # one per slice
    assert t.column("n").to_pylist() == [None, 7, 8]
    assert t.column("s").to_pylist() == ["a", "bb", "ccc"]
    assert ds.to_arrow(["f"]).column("f").to_pylist() == [1.5, 2.5, -1.0]


def test_to_arrow_every_type(new_job):
    pa = pytest.importorskip("pyarrow")
    d = make_ds(new_job, {"b": ("bool", True), "d": "date", "t": "datetime", "tm": "time",
                          "c": "complex64", "j": "json", "p": ("pickle", True), "n": "number",
                          "y": "bytes"},
                [[(True, date(2020, 1, 2), datetime(2020, 1, 2, 3), time(4), 1j, [1],
                   {1}, 2, b"x"),
                  (None, date.min, datetime.max, time.max, 2 + 0j, {}, None, 3.5, b"")]])
    t = d.to_arrow()
    assert t.column("b").to_pylist() == [True, None]
    assert t.column("d").to_pylist() == [date(2020, 1, 2), date.min]
    assert t.column("t").to_pylist() == [datetime(2020, 1, 2, 3), datetime.max]
    assert t.column("tm").to_pylist() == [time(4), time.max]
    assert t.column("c").type == pa.struct([("real", pa.float64()), ("imag", pa.float64())])
    assert t.column("c").to_pylist() == [{"real": 0.0, "imag": 1.0}, {"real": 2.0, "imag": 0.0}]
    assert t.column("j").to_pylist() == ["[1]", "{}"]
    assert pickle.loads(t.column("p").to_pylist()[0]) == {1}
    assert t.column("n").to_pylist() == [2.0, 3.5]
    assert t.column("y").type == pa.large_binary()


def test_to_pandas(ds):
    pytest.importorskip("pandas")
    df = ds.to_pandas()
    assert list(df.columns) == ["i", "f", "s", "n"]
    assert df["i"].tolist() == [1, 2, 3]
    assert df["s"].tolist() == ["a", "bb", "ccc"]
    assert math.isnan(df["n"].tolist()[0]) or df["n"].tolist()[0] is None


# --- damage (formats 1 and 2: format 3 is test_dataset_damage.py) ---------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "old_datasets"


def _file(ds: Dataset, name: str):
    return ds.job.path / "datasets" / ds.name / name


def copy_fixture(src: Path, job) -> None:
    """A fixture job directory as job `job` (its records name the job they are)."""
    shutil.copytree(src, job.path)
    post = json.loads((job.path / "post.json").read_text())
    (job.path / "post.json").write_text(json.dumps(dict(post, jobid=str(job))))


@pytest.fixture
def old(new_job) -> Dataset:
    """The format-2 fixture dataset old-1/plain, copied into this test's workdir."""
    job = new_job(2)
    shutil.rmtree(job.path)
    copy_fixture(FIXTURES / "old-1", job)
    from accel.dataset import metacache

    metacache._META_CACHE.clear()
    return job.dataset("plain")


def test_a_range_of_rows_of_an_old_dataset(old):
    for col in ("int64", "unicode"):
        whole = list(old.iterate(1, col))
        assert list(old.iterate_range(1, col, 2, 5)) == whole[2:5]
        assert list(old.iterate_range(1, [col], 10)) == [(v,) for v in whole[10:]]


def test_truncated_file_is_refused(old):
    col = old.columns["int64"].place
    path = _file(old, f"{col}.0")
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(DatasetDamaged, match=rf"column 'int64', slice 0: file {col}.0 is 93 "
                                             r"bytes, expected 96 \(truncated"):
        list(old.iterate(0, "int64"))
    with pytest.raises(DatasetDamaged):
        old.column("int64")
    with pytest.raises(DatasetDamaged):
        old.verify()
    assert len(list(old.iterate(1, "int64"))) == 12  # other slices are fine


def test_missing_file_is_refused(old):
    col = old.columns["unicode"].place
    _file(old, f"{col}.0.dat").unlink()
    with pytest.raises(DatasetDamaged,
                       match=rf"column 'unicode', slice 0: file {col}.0.dat is missing"):
        list(old.iterate(0, "unicode"))


def test_damaged_offsets_are_refused(old):
    path = _file(old, f"{old.columns['unicode'].place}.0.off")
    off = np.frombuffer(path.read_bytes(), "<i4").copy()
    off[1] = 9999  # past the end of the data, and then backwards
    path.write_bytes(off.tobytes())
    with pytest.raises(DatasetDamaged, match="offsets"):
        list(old.iterate(0, "unicode"))


def _checksummed_anew(old: Dataset, name: str) -> Dataset:
    """The old dataset with its meta.json's crc32 for file `name` made to match the file
    as it is now: damage the checksum cannot see, for the checks behind it."""
    import zlib

    from accel.dataset import legacy, metacache

    meta_path = _file(old, "meta.json")
    meta = json.loads(meta_path.read_text())
    meta["checksums"][name] = zlib.crc32(_file(old, name).read_bytes())
    meta_path.write_text(json.dumps(meta))
    metacache._META_CACHE.clear()
    legacy._verified.clear()
    return Dataset(str(old))


def test_invalid_text_is_refused(old):
    name = f"{old.columns['unicode'].place}.0.dat"
    path = _file(old, name)
    path.write_bytes(b"\xff" + path.read_bytes()[1:])
    with pytest.raises(DatasetDamaged, match="does not match its checksum"):
        list(old.iterate(0, "unicode"))  # found on the first read
    with pytest.raises(DatasetDamaged, match="does not match its checksum"):
        old.verify()
    with pytest.raises(DatasetDamaged, match="not valid text"):
        list(_checksummed_anew(old, name).iterate(0, "unicode"))


def test_flipped_bits_are_found_by_verify(old):
    name = f"{old.columns['float64'].place}.1"
    path = _file(old, name)
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetDamaged, match=rf"file {name} does not match its checksum"):
        old.verify()


def test_out_of_range_dates_are_refused(old):
    name = f"{old.columns['date'].place}.0"
    _file(old, name).write_bytes(np.full(12, 2**30, "<i4").tobytes())
    with pytest.raises(DatasetDamaged, match="outside the range"):
        list(_checksummed_anew(old, name).iterate(0, "date"))


def test_damaged_meta_json(ds):
    from accel.dataset import metacache

    metacache._META_CACHE.clear()
    _file(ds, "meta.json").write_text("{not json")
    with pytest.raises(DatasetDamaged, match="meta.json is damaged"):
        Dataset(str(ds))


def test_callbacks_skip_slices_and_datasets(new_job):
    from accel import SkipDataset, SkipSlice

    a = make_ds(new_job, {"x": "int64"}, [[(1,)], [(2,)], [(3,)]])
    b = make_ds(new_job, {"x": "int64"}, [[(4,)], [(5,)], [(6,)]], previous=a)
    seen = []

    def pre(ds, sliceno):
        seen.append((str(ds), sliceno))
        if sliceno == 1:
            raise SkipSlice
        if ds == b and sliceno == 2:
            raise SkipDataset

    done = []
    rows = list(b.iterate_chain(None, "x", pre_callback=pre,
                                post_callback=lambda ds, s: done.append(s)))
    assert rows == [1, 3, 4]
    assert seen == [(a, 0), (a, 1), (a, 2), (b, 0), (b, 1), (b, 2)]
    assert done == [0, 2, 0]


def _mapped_from(address: int) -> str:
    """The file the memory at `address` is mapped from (Linux /proc/self/maps)."""
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if lo <= address < hi:
                return parts[5] if len(parts) > 5 else ""
    return ""


def test_column_and_to_arrow_wrap_the_mapped_files(new_job):
    ds = make_ds(new_job, COLS, ROWS, compression=None)
    t = ds.to_arrow(["i", "s"])
    assert _mapped_from(t.column("i").chunk(0).buffers()[1].address) == str(_file(ds, "0000.arrow"))
    assert _mapped_from(t.column("s").chunk(1).buffers()[2].address) == str(_file(ds, "0001.arrow"))
    assert _mapped_from(ds.column("f", 1).ctypes.data) == str(_file(ds, "0001.arrow"))


def test_other_format_versions_are_refused(ds):
    from accel.dataset import format as fmt
    from accel.dataset import metacache

    metacache._META_CACHE.clear()
    meta = fmt.read_meta(_file(ds, "meta.json").parent)
    meta["format"] = 4
    fmt.write_meta(_file(ds, "meta.json").parent, meta)  # checksummed right, but format 4
    with pytest.raises(DatasetDamaged, match="format 4, this accel reads formats 1, 2, 3"):
        Dataset(str(ds))


# --- to_arrow of one slice, number columns, translators (found in review) ------------------


def test_to_arrow_and_to_pandas_of_one_slice(ds):
    t = ds.to_arrow(["i", "s"], 0)
    assert t.column("i").num_chunks == 1 and t.column("i").to_pylist() == [1, 2]
    assert ds.to_arrow(sliceno=1).column("s").to_pylist() == ["ccc"]
    assert ds.to_arrow(sliceno=2).num_rows == 0
    assert ds.to_pandas(["i"], 1)["i"].tolist() == [3]
    with pytest.raises(DatasetUsageError, match="no slice 3"):
        ds.to_arrow(sliceno=3)
    with pytest.raises(DatasetUsageError, match="no slice True"):
        ds.to_arrow(sliceno=True)


def test_to_arrow_number_column_has_one_type_and_exact_values(new_job):
    pa = pytest.importorskip("pyarrow")
    # one slice of floats, one of ints, one empty: one type for the whole column
    d = make_ds(new_job, {"n": ("number", True)}, [[(1.5,), (None,)], [(2,)], []])
    col = d.to_arrow().column("n")
    assert col.type == pa.float64() and col.to_pylist() == [1.5, None, 2.0]
    d = make_ds(new_job, {"n": "number"}, [[(1,)], [], [(2**63 - 1,)]])
    assert d.to_arrow().column("n").to_pylist() == [1, 2**63 - 1]
    # ints a float64 would round, with floats: no Arrow type holds them, an error says so
    d = make_ds(new_job, {"n": "number"}, [[(2**60 + 1,)], [(0.5,)]])
    with pytest.raises(DatasetUsageError, match=r"column 'n' \(number\).*1152921504606846977"):
        d.to_arrow()
    assert d.to_arrow(sliceno=0).column("n").to_pylist() == [2**60 + 1]
    d = make_ds(new_job, {"n": "number"}, [[(2**64,)]])
    with pytest.raises(DatasetUsageError, match="neither int64 nor float64"):
        d.to_arrow()


def test_translator_for_a_column_that_is_not_there_is_an_error(ds):
    with pytest.raises(NoSuchColumn, match="no column 'x'.*its columns: 'i', 'f', 's', 'n'"):
        ds.iterate(None, "i", translators={"x": str})
    # a column that is there but not iterated: its translator is not needed, no error
    assert list(ds.iterate(0, "i", translators={"s": str.upper})) == [1, 2]


# --- formats 1 and 2 still read, as what they were written as -------------------------------


@pytest.mark.parametrize("jobid", ["old-1", "old-2"])
def test_old_format_fixtures_read_as_written(new_job, jobid):
    """Datasets the format-2 writer made (old-1) and the same in format 1 (old-2) read as
    that writer read them back: every type, None values, two slices."""
    expected = pickle.loads((FIXTURES / "expected.pickle").read_bytes())
    job = new_job(2)
    shutil.rmtree(job.path)
    copy_fixture(FIXTURES / jobid, job)
    from accel.dataset import metacache

    metacache._META_CACHE.clear()
    for name in ("all", "plain"):
        ds = job.dataset(name)
        assert ds.meta["format"] == (2 if jobid == "old-1" else 1)
        assert ds.verify()
        for col, per_slice in expected[name].items():
            for s in range(2):
                got = list(ds.iterate(s, col))
                assert len(got) == len(per_slice[s])
                for g, e in zip(got, per_slice[s], strict=True):
                    assert g == e and type(g) is type(e), (name, col, s, g, e)
            if col != "number":  # mixes big ints and floats: no one Arrow type
                assert ds.to_arrow([col]).num_rows == 24
        # old complex32 (two float16) and complex64 (two float32) come back as the new
        # types holding the very same values
        assert ds.column("complex64").dtype == np.complex128
        assert ds.column("complex32").dtype == np.complex64
    # a format-3 child of an old parent reads both
    child = new_job(2)
    write_dataset(child, {"x": "int32"}, [[(i,) for i in range(12)]] * 2,
                  parent=job.dataset("plain"))
    rows = list(child.dataset().iterate(None, ("int64", "x")))
    assert [r[1] for r in rows] == list(range(12)) * 2
    assert [r[0] for r in rows] == expected["plain"]["int64"][0] + expected["plain"]["int64"][1]


def _format1_dataset(job) -> Dataset:
    """A dataset as format 1 wrote it (int64 offsets, no "offsets" in meta.json), made
    file by file from the documented layout."""
    import zlib

    from accel.dataset import metacache

    d = job.path / "datasets" / "old"
    d.mkdir(parents=True)
    files = {
        "c0.0": np.array([1, -2], "<i8").tobytes(),
        "c1.0.off": np.array([0, 3, 3], "<i8").tobytes(),
        "c1.0.dat": "åb".encode(),
        "c1.0.valid": bytes([0b01]),
        "c0.1": b"", "c1.1.off": np.zeros(1, "<i8").tobytes(), "c1.1.dat": b"",
        "c1.1.valid": b"",
    }
    for name, data in files.items():
        (d / name).write_bytes(data)
    meta = {
        "format": 1, "job": str(job), "name": "old",
        "columns": {"i": {"type": "int64", "none_support": False, "file": "c0"},
                    "s": {"type": "unicode", "none_support": True, "file": "c1"}},
        "lines": [2, 0], "slices": 2, "hashlabel": None, "previous": None, "parent": None,
        "caption": "", "minmax": {"i": [-2, 1]},
        "sizes": {n: len(b) for n, b in files.items()},
        "checksums": {n: zlib.crc32(b) for n, b in files.items()},
    }
    (d / "meta.json").write_text(json.dumps(meta))
    metacache.own_finished(d)  # written by this process, as by a job's writer
    return job.dataset("old")


def test_format_1_datasets_still_read(new_job):
    pa = pytest.importorskip("pyarrow")
    ds = _format1_dataset(new_job(2))
    assert ds.meta["format"] == 1
    assert list(ds.iterate(None)) == [(1, "åb"), (-2, None)]
    assert ds.column("i").tolist() == [1, -2] and (ds.min("i"), ds.max("i")) == (-2, 1)
    t = ds.to_arrow()
    assert t.schema.field("s").type == pa.large_string()
    assert t.column("s").to_pylist() == ["åb", None]
    assert ds.verify()
    # a child in format 2 reads its format-1 parent's columns
    job = new_job(2)
    write_dataset(job, {"x": "int32"}, [[(5,), (6,)], []], parent=ds)
    assert list(job.dataset().iterate(None)) == [(1, "åb", 5), (-2, None, 6)]
    # and format-1 sizes are checked as int64 offsets
    path = ds.job.path / "datasets" / "old" / "c1.0.off"
    path.write_bytes(path.read_bytes()[:-8])
    from accel.dataset import metacache

    metacache._META_CACHE.clear()
    with pytest.raises(DatasetDamaged, match="truncated"):
        list(Dataset(str(ds)).iterate(0, "s"))
