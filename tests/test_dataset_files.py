"""Format 3 from outside: the slice files are plain Parquet (compressed) or Arrow IPC
(uncompressed) files that pyarrow and polars read without accel, holding exactly the
values accel reads; values Arrow has no type for use the documented representation;
compression is chosen per dataset or per project; fold survives.
"""

from __future__ import annotations

import glob
import json
import math
import pickle
from datetime import datetime, time

import numpy as np
import pytest
from conftest import Project, ax_run, write_dataset
from test_dataset_types import EDGE, same

from accel.dataset import TYPE_NAMES, Dataset, DatasetUsageError

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pl = pytest.importorskip("polars")

COMPRESSIONS = ["zstd", "lz4", None]


def every_type(new_job, compression, none_support=True) -> Dataset:
    """Every type with its edge values (and None), two slices of different lengths."""
    cols = {t: (t, none_support) for t in TYPE_NAMES}
    width = max(len(v) for v in EDGE.values())
    rows = []
    for i in range(width + 2):
        rows.append(tuple(None if none_support and i % 5 == 4 else EDGE[t][i % len(EDGE[t])]
                          for t in TYPE_NAMES))
    job = new_job(2)
    write_dataset(job, cols, [rows, rows[3:]], compression=compression)
    return job.dataset()


def accel_value(typ: str, v):
    """A value as pyarrow or polars gives it, as the accel value it represents."""
    if v is None:
        return None
    if typ == "json":
        return json.loads(v)
    if typ == "pickle":
        return pickle.loads(v)
    if typ.startswith("complex"):
        return complex(v["real"], v["imag"])
    if typ == "number":
        if v["int"] is not None:
            return v["int"]
        if v["float"] is not None:
            return v["float"]
        return int(v["bigint"])
    return v


def assert_same_values(ds: Dataset, columns: dict[str, list], what: str) -> None:
    for typ in TYPE_NAMES:
        expected = list(ds.iterate(None, typ))
        got = [accel_value(typ, v) for v in columns[typ]]
        assert len(got) == len(expected), (what, typ)
        for g, e in zip(got, expected, strict=True):
            assert same(g, e) or (typ == "json" and g == e), (what, typ, g, e)


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_pyarrow_reads_every_value_without_accel(new_job, compression):
    ds = every_type(new_job, compression)
    files = sorted(glob.glob(str(ds.job.path / "datasets" / ds.name / "*")))
    suffix = ".arrow" if compression is None else ".parquet"
    assert [p.rsplit("/", 1)[1] for p in files] == ["0000" + suffix, "0001" + suffix, "meta.json"]
    if compression is None:
        tables = [pa.ipc.open_file(p).read_all() for p in files[:2]]
    else:
        tables = [pq.read_table(p) for p in files[:2]]
        codecs = {pq.ParquetFile(p).metadata.row_group(0).column(0).compression for p in files[:2]}
        assert codecs == {"ZSTD" if compression == "zstd" else "LZ4"}  # LZ4: the raw block codec
    table = pa.concat_tables(tables)
    assert table.column_names == list(TYPE_NAMES)
    for field in table.schema:
        assert field.metadata[b"accel.type"] == field.name.encode()
    assert_same_values(ds, {t: table.column(t).to_pylist() for t in TYPE_NAMES},
                       f"pyarrow {compression}")


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_polars_reads_every_value_without_accel(new_job, compression):
    ds = every_type(new_job, compression)
    pattern = str(ds.job.path / "datasets" / ds.name / "*")
    frame = pl.read_ipc(pattern + ".arrow") if compression is None \
        else pl.read_parquet(pattern + ".parquet")
    assert frame.columns == list(TYPE_NAMES)
    assert_same_values(ds, {t: frame[t].to_list() for t in TYPE_NAMES}, f"polars {compression}")


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_every_type_round_trips_in_every_kind_of_file(new_job, compression):
    for none_support in (True, False):
        ds = every_type(new_job, compression, none_support)
        assert ds.compression == compression and ds.verify()
        width = max(len(v) for v in EDGE.values())
        for typ in TYPE_NAMES:
            written = [None if none_support and i % 5 == 4 else EDGE[typ][i % len(EDGE[typ])]
                       for i in range(width + 2)]
            expected = written + written[3:]
            if typ == "float32":
                expected = [None if v is None else float(np.float32(v)) for v in expected]
            if typ == "complex32":
                expected = [None if v is None else complex(np.complex64(v)) for v in expected]
            got = list(ds.iterate(None, typ))
            for g, e in zip(got, expected, strict=True):
                assert same(g, e) or (typ == "json" and g == e), (typ, g, e)


def test_exact_complex_values_the_issue_named(new_job):
    job = new_job(1)
    write_dataset(job, {"c32": "complex32", "c64": "complex64"},
                  [[(0.1 + 2049j, 0.1 + 16777217j), (1, 1e300 + 1e-300j)]])
    rows = list(job.dataset().iterate(0))
    assert rows[0] == (complex(np.complex64(0.1 + 2049j)), 0.1 + 16777217j)
    assert rows[0][0].imag == 2049.0  # a float16 would have made it 2048
    assert rows[1] == (1 + 0j, 1e300 + 1e-300j)
    assert job.dataset().column("c64").dtype == np.complex128


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_fold_is_kept(new_job, compression):
    values = [(datetime(2024, 10, 27, 2, 30, fold=f), time(1, 30, fold=1 - f))
              for f in (0, 1, 1, 0)]
    job = new_job(2)
    write_dataset(job, {"dt": ("datetime", True), "t": "time"},
                  [values, [*values[::-1], (None, time(0))]], compression=compression)
    ds = job.dataset()
    for s, expected in enumerate((values, [*values[::-1], (None, time(0))])):
        got = list(ds.iterate(s))
        assert got == expected
        assert [(d.fold if d else None, t.fold) for d, t in got] == \
               [(d.fold if d else None, t.fold) for d, t in expected]
    # and through a parent, and when rows are picked by hashlabel
    assert [d.fold for d in ds.iterate(0, "dt")] == [0, 1, 1, 0]
    assert sorted(t.fold for t in ds.iterate(0, "t", hashlabel="t")) + \
        sorted(t.fold for t in ds.iterate(1, "t", hashlabel="t")) == [0, 0, 0, 0, 0, 1, 1, 1, 1]


def test_a_slice_streams_in_row_groups(new_job, monkeypatch):
    from accel.dataset import storage

    monkeypatch.setattr(storage, "GROUP_ROWS", 1000)
    job = new_job(1)
    dw = job.datasetwriter(columns={"i": "int64", "s": "unicode"})
    dw.set_slice(0)
    for i in range(4500):
        dw.write(i, str(i))
    from accel.dataset import writer as writer_module

    writer_module.finish_all(job.path)
    ds = job.dataset()
    assert ds.meta["files"][0]["rows"] == [1000, 1000, 1000, 1000, 500]
    assert pq.ParquetFile(ds.files[0]).metadata.num_row_groups == 5
    sizes = [c[0].n for c in ds._own_groups([ds.columns["i"]], 0)]
    assert sizes == [1000, 1000, 1000, 1000, 500]  # a group at a time, not the slice
    assert list(ds.iterate(0, "i")) == list(range(4500))
    assert ds.column("s")[4499] == "4499"


def test_column_of_many_row_groups_decoded_on_threads(new_job, monkeypatch):
    """column() of a compressed slice decodes its row groups on several threads, each
    copying its rows into place: every value where it belongs (None, fold, text too),
    a damaged group found wherever it is, and no pyarrow.parquet imported to read it."""
    import subprocess
    import sys

    from accel.dataset import DatasetDamaged, prefetch, storage

    monkeypatch.setattr(storage, "GROUP_ROWS", 500)
    monkeypatch.setattr(prefetch, "cores", lambda: 3)
    rows = [(None if i % 97 == 0 else i * 3, datetime(2024, 10, 27, 2, 30, fold=i % 2),
             f"v{i}") for i in range(10_000)]
    job = new_job(1)
    write_dataset(job, {"i": ("int64", True), "dt": "datetime", "s": "unicode"}, [rows])
    ds = job.dataset()
    assert len(ds.meta["files"][0]["rows"]) == 20
    i = ds.column("i", 0)
    assert [None if m else int(v) for v, m in zip(i.data, i.mask, strict=True)] == \
        [r[0] for r in rows]
    assert [t.fold for t in ds.iterate(0, "dt")] == [r[1].fold for r in rows]
    assert ds.column("dt", 0).tolist() == [r[1].replace(fold=0) for r in rows]
    assert ds.column("s", 0).tolist() == [r[2] for r in rows]

    code = ("import sys, pathlib; from accel import layout; from accel.dataset import Dataset; "
            "layout._paths = layout.Paths(workdirs="
            f"{{'t': pathlib.Path({str(job.path.parent)!r})}}); "
            "from accel.dataset import metacache; "  # (the job is not finished: a test's)
            f"metacache.own_finished(pathlib.Path({str(ds.files[0].parent)!r})); "
            f"print(int(Dataset({str(job)!r}).column('i', 0).sum()), "
            "'pyarrow.parquet' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(sum(r[0] for r in rows if r[0] is not None)), "False"]

    entry = ds.meta["files"][0]
    a, b = entry["cuts"][entry["columns"][13][0]:][:2]  # column i of row group 13
    data = bytearray(ds.files[0].read_bytes())
    data[(a + b) // 2] ^= 0x10
    ds.files[0].write_bytes(bytes(data))
    storage._verified.clear()
    with pytest.raises(DatasetDamaged, match=r"column 'i', slice 0: file .*0000.parquet: "
                                             r"bytes \d+\.\.\d+ do not match"):
        job.dataset().column("i", 0)


@pytest.mark.parametrize("compression", ["zstd", None])
def test_a_range_of_rows_reads_only_its_row_groups(new_job, monkeypatch, compression):
    """iterate_range(s, cols, start, stop): the rows of a page far into a slice, reading
    only the row groups that hold them (a parent's columns, groups cut differently, too)."""
    from accel.dataset import storage

    monkeypatch.setattr(storage, "GROUP_ROWS", 1000)
    parent = new_job(1)
    write_dataset(parent, {"i": "int64", "dt": "datetime"},
                  [[(i, datetime(2024, 10, 27, 2, 30, fold=i % 2)) for i in range(4500)]],
                  compression=compression)
    monkeypatch.setattr(storage, "GROUP_ROWS", 700)
    child = new_job(1)
    dw = child.datasetwriter(columns={"s": "unicode"}, parent=parent.dataset(),
                             compression=compression)
    dw.set_slice(0)
    for i in range(4500):
        dw.write(str(i))
    from accel.dataset import writer as writer_module

    writer_module.finish_all(child.path)
    ds = child.dataset()
    read: list[tuple[str, int]] = []
    real_read = storage.SliceFile.read

    def counting(self, group, fields):
        read.append((self.path.parent.parent.parent.name, group))
        return real_read(self, group, fields)

    monkeypatch.setattr(storage.SliceFile, "read", counting)
    rows = list(ds.iterate_range(0, ["s", "i", "dt"], 2990, 3010))
    assert [(s, i) for s, i, _ in rows] == [(str(i), i) for i in range(2990, 3010)]
    assert [dt.fold for _, _, dt in rows] == [i % 2 for i in range(2990, 3010)]
    if compression:  # (uncompressed: one record batch a slice, mapped)
        assert sorted(read) == sorted([(str(child), 4), (str(parent), 2), (str(parent), 3)])
    assert list(ds.iterate_range(0, "i", 4490)) == list(range(4490, 4500))
    assert list(ds.iterate_range(0, "i", 4500, 9999)) == []
    assert list(ds.iterate_range(0, "i", 5, 3)) == []
    assert list(ds.iterate_range(0, None, 0, 2)) == list(ds.iterate(0))[:2]
    with pytest.raises(DatasetUsageError, match="one slice"):
        ds.iterate_range(None, "i")


def test_compression_per_dataset_and_bad_values(new_job):
    job = new_job(1)
    for name, comp in (("a", None), ("b", "lz4"), ("c", "none"), ("d", False)):
        write_dataset(job, {"x": "int64"}, [[(1,)]], name, compression=comp)
    assert [job.dataset(n).compression for n in "abcd"] == [None, "lz4", None, None]
    with pytest.raises(DatasetUsageError, match="compression 'gzip': use 'zstd'"):
        job.datasetwriter(name="e", compression="gzip")


def test_compressed_files_are_much_smaller(new_job):
    rows = [(i, i * 0.5, f"{i:010d}") for i in range(50_000)]
    sizes = {}
    for comp in ("zstd", None):
        job = new_job(1)
        write_dataset(job, {"i": "int64", "f": "float64", "s": "unicode"}, [rows],
                      compression=comp)
        sizes[comp] = job.dataset().files[0].stat().st_size
    assert sizes[None] > 30 * 50_000  # 8 + 8 + 10 bytes and 8 of offsets a row
    assert sizes["zstd"] < 3 * 50_000


@pytest.mark.parametrize("compression", ["zstd", "lz4"])
def test_a_column_the_codec_does_not_shrink_is_stored_uncompressed(new_job, compression):
    """Random 32-bit integers are as small as they get once delta-encoded: the codec
    would cost writing and reading time for nothing, so that column is stored encoded
    but uncompressed; a repetitive column in the same file is compressed. A dataset of a
    few rows is compressed throughout (too few rows to judge)."""
    rng = np.random.default_rng(5)
    n = 40_000
    noise = rng.integers(-2**31, 2**31, n).tolist()
    rows = [(v, i % 7, f"{i % 3:010d}") for i, v in enumerate(noise)]
    job = new_job(1)
    write_dataset(job, {"noise": "int64", "small": "int64", "text": "unicode"}, [rows],
                  compression=compression)
    big = job.dataset()
    md = pq.ParquetFile(big.files[0]).metadata
    codec = "ZSTD" if compression == "zstd" else "LZ4"
    assert [md.row_group(0).column(i).compression for i in range(3)] == \
        ["UNCOMPRESSED", codec, codec]
    assert list(big.iterate(0)) == rows
    assert pq.read_table(big.files[0]).column("noise").to_pylist() == noise

    job = new_job(1)
    write_dataset(job, {"noise": "int64"}, [[(v,) for v in noise[:100]]],
                  compression=compression)
    md = pq.ParquetFile(job.dataset().files[0]).metadata
    assert md.row_group(0).column(0).compression == codec

    # a sample that is all None (an optional field filled in later) tells nothing: the
    # codec stays, and the repetitive rows after it are compressed
    job = new_job(1)
    later = [(None,)] * 35_000 + [("the same long value again " + str(i % 10),)
                                  for i in range(30_000)]
    write_dataset(job, {"s": ("unicode", True)}, [later], compression=compression)
    md = pq.ParquetFile(job.dataset().files[0]).metadata
    assert md.row_group(0).column(0).compression == codec
    assert job.dataset().files[0].stat().st_size < 100_000  # uncompressed: ~900,000


def test_floats_the_codec_does_not_shrink_are_stored_plain(new_job):
    """Splitting a float's bytes into streams only helps a codec: random floats, which
    the codec does not shrink, are stored uncompressed as they are (PLAIN, cheaper to
    read); floats the codec shrinks (and a complex column's parts) keep the split."""
    rng = np.random.default_rng(3)
    n = 40_000
    noise = (rng.random(n) * 2e6 - 1e6).tolist()
    rows = [(v, i % 5 * 0.25, complex(i % 3, v)) for i, v in enumerate(noise)]
    job = new_job(1)
    write_dataset(job, {"noise": "float64", "few": "float64", "c": "complex64"}, [rows])
    ds = job.dataset()
    md = pq.ParquetFile(ds.files[0]).metadata.row_group(0)
    chunks = {md.column(i).path_in_schema: md.column(i) for i in range(md.num_columns)}
    assert chunks["noise"].compression == "UNCOMPRESSED"
    assert "PLAIN" in chunks["noise"].encodings
    assert "BYTE_STREAM_SPLIT" not in chunks["noise"].encodings
    assert chunks["few"].compression == "ZSTD"
    assert "BYTE_STREAM_SPLIT" in chunks["few"].encodings
    assert list(ds.iterate(0)) == rows
    assert pq.read_table(ds.files[0]).column("noise").to_pylist() == noise


def test_text_is_stored_plain_unless_lengths_first_is_smaller(new_job):
    """Text is written as each value after its length (PLAIN) unless the lengths-then-bytes
    encoding (DELTA_LENGTH_BYTE_ARRAY), which takes more time to write and read, is
    smaller compressed; short random codes are (~30% here) and are stored so. Either reads
    back the same through accel and pyarrow."""
    rng = np.random.default_rng(7)
    n = 40_000
    letters = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
    noise = ["".join(w) for w in rng.choice(letters, (n, 3)).tolist()]
    words = ["Stockholm", "Göteborg", "", "alpha beta", "x" * 40]
    rows = [(f"{i:010d}", words[i % 5] + str(i % 100), noise[i]) for i in range(n)]
    job = new_job(1)
    write_dataset(job, {"seq": "unicode", "words": "unicode", "noise": "ascii"}, [rows])
    ds = job.dataset()
    md = pq.ParquetFile(ds.files[0]).metadata
    encodings = [md.row_group(0).column(i).encodings for i in range(3)]
    assert "PLAIN" in encodings[0] and "DELTA_LENGTH_BYTE_ARRAY" not in encodings[0]
    assert "PLAIN" in encodings[1] and "DELTA_LENGTH_BYTE_ARRAY" not in encodings[1]
    assert "DELTA_LENGTH_BYTE_ARRAY" in encodings[2]
    assert list(ds.iterate(0)) == rows
    assert pq.read_table(ds.files[0]).to_pylist() == \
        [dict(zip(("seq", "words", "noise"), r, strict=True)) for r in rows]


def test_text_the_codec_does_not_shrink_is_compared_as_stored(new_job):
    """Random bytes: plain compresses to within a tenth of lengths-first, but the codec
    does not shrink it by a tenth, so it would be stored uncompressed, ~20% bigger than
    lengths-first as stored. The choice is between the two as they would be stored."""
    rng = np.random.default_rng(5)
    rows = [(rng.bytes(int(k)),) for k in rng.integers(0, 31, 8192)]
    job = new_job(1)
    write_dataset(job, {"b": "bytes"}, [rows])
    ds = job.dataset()
    column = pq.ParquetFile(ds.files[0]).metadata.row_group(0).column(0)
    assert "DELTA_LENGTH_BYTE_ARRAY" in column.encodings
    assert column.compression == "UNCOMPRESSED"
    assert list(ds.iterate(0)) == rows


def test_project_default_compression(tmp_path):
    project = Project(tmp_path)
    conf = project.root / "accelerator.conf"
    conf.write_text(conf.read_text() + "dataset compression: none\n")
    project.method("mk", """
        options = dict(compression='default')

        def synthesis(job):
            kw = {} if options.compression == 'default' else dict(compression=options.compression)
            dw = job.datasetwriter(columns={"x": "int64"}, allow_missing_slices=True, **kw)
            dw.set_slice(0)
            dw.write(1)
    """)
    project.build("""
        def main(urd):
            for c in ('default', 'lz4'):
                ds = urd.build('mk', compression=c).dataset()
                print('RESULT', c, ds.compression, [p.suffix for p in ds.files])
    """)
    p = ax_run(project)
    assert p.returncode == 0, p.stderr
    assert "RESULT default None ['.arrow', '.arrow']" in p.stdout
    assert "RESULT lz4 lz4 ['.parquet', '.parquet']" in p.stdout
    conf.write_text(conf.read_text().replace("dataset compression: none", "dataset compression: gz"))
    p = project.ax("run")
    assert p.returncode == 2
    assert p.stderr.strip().endswith(
        "accelerator.conf:7: dataset compression: expected zstd, lz4 or none, got 'gz'")


def test_number_representation(new_job):
    job = new_job(1)
    write_dataset(job, {"n": ("number", True)}, [[(1,), (2.5,), (None,), (-(10**30),), (math.inf,)]])
    t = pq.read_table(job.dataset().files[0])
    assert t.column("n").to_pylist() == [
        {"int": 1, "float": None, "bigint": None}, {"int": None, "float": 2.5, "bigint": None},
        None, {"int": None, "float": None, "bigint": str(-(10**30))},
        {"int": None, "float": math.inf, "bigint": None}]


def test_ax_cat_shows_complex_values_exactly(tmp_path):
    project = Project(tmp_path)
    project.method("cx", """
        def synthesis(job):
            dw = job.datasetwriter(columns={"c32": "complex32", "c64": "complex64"},
                                   allow_missing_slices=True)
            dw.set_slice(0)
            dw.write(0.1 + 2049j, 0.1 + 16777217j)
    """)
    project.build("def main(urd):\n    urd.build('cx')\n")
    ax_run(project)
    text = project.ax("cat", "dev-1", "--format", "csv", check=True).stdout
    assert text.splitlines() == ["c32,c64", "(0.1+2049j),(0.1+16777217j)"]
    row = json.loads(project.ax("cat", "dev-1", "--json", check=True).stdout)
    assert row == {"c32": [0.1, 2049.0], "c64": [0.1, 16777217.0]}


def test_fold_survives_the_standard_methods(tmp_path):
    project = Project(tmp_path)
    project.method("folds", """
        from datetime import datetime

        def synthesis(job):
            dw = job.datasetwriter(columns={"k": "int64", "dt": "datetime"})
            for s in range(2):
                dw.set_slice(s)
                for i in range(6):
                    dw.write(10 * s + i, datetime(2024, 10, 27, 2, 30 - i, fold=(i + s) % 2))
    """)
    project.build("""
        def main(urd):
            src = urd.build('folds')
            out = {}
            for name, job in (
                    ('sort', urd.build('dataset_sort', source=src, sort_columns='dt')),
                    ('hashpart', urd.build('dataset_hashpart', source=src, hashlabel='k')),
                    ('concat', urd.build('dataset_concat', source=src, previous=None)),
                    ('filter', urd.build('dataset_filter_columns', source=src,
                                         keep_columns=['dt']))):
                out[name] = sorted((d.replace(fold=0), d.fold) for d in job.dataset().iterate(None, 'dt'))
            out['src'] = sorted((d.replace(fold=0), d.fold) for d in src.dataset().iterate(None, 'dt'))
            print('RESULT', repr(out))
    """)
    p = ax_run(project)
    line = next(x for x in p.stdout.splitlines() if x.startswith("RESULT"))
    import datetime as datetime_module

    out = eval(line[len("RESULT "):], {"datetime": datetime_module})
    assert sum(f for _, f in out["src"]) == 6
    for name in ("sort", "hashpart", "concat", "filter"):
        assert out[name] == out["src"], name
