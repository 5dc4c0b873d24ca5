"""parquetimport and parquetexport, as a user runs them: Parquet files written by pyarrow
(as DuckDB, Spark or pandas would) imported into typed datasets, datasets exported and read
back by pyarrow and polars, and exported files imported again as the same dataset."""

from __future__ import annotations

import pickle
from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest
from conftest import Project, ax_run

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pl = pytest.importorskip("polars")


@pytest.fixture
def project(tmp_path) -> Project:
    p = Project(tmp_path / "p", slices=3)
    (p.root / "data").mkdir()
    return p


def run(project: Project, body: str) -> dict:
    """Run a build script whose main(urd) returns a dict; the dict, pickled back."""
    project.build(f"""
import pickle

def main(urd):
    def _main():
{''.join('        ' + line + chr(10) for line in body.strip().splitlines())}
    with open('result.pickle', 'wb') as f:
        pickle.dump(_main(), f)
""")
    ax_run(project)
    return pickle.loads((project.root / "result.pickle").read_bytes())


def test_import_files_written_by_pyarrow(project):
    n = 150_000  # b.parquet is one row group of 144,000 rows: read in batches, and two
    # slices start inside a batch
    t = pa.table({"i": pa.array(range(n), pa.int64()), "f": [i / 7 for i in range(n)],
                  "s": [f"s{i}" for i in range(n)],
                  "o": pa.array([None if i % 3 == 0 else i % 30_000 for i in range(n)], pa.int16()),
                  # nulls in text and bytes, in parts that start inside a row group
                  "t": [None if i % 5 == 0 else "å" * (i % 4) for i in range(n)],
                  "y": pa.array([None if i % 6 == 0 else bytes([i % 256]) * (i % 3)
                                 for i in range(n)], pa.binary())})
    pq.write_table(t.slice(0, 6000), project.root / "data" / "a.parquet", row_group_size=1000)
    pq.write_table(t.slice(6000), project.root / "data" / "b.parquet", row_group_size=n)
    res = run(project, """
job = urd.build('parquetimport', filename='data/a.parquet', filenames=['data/b.parquet'])
ds = job.dataset()
return dict(res=job.load(), columns=dict(ds.columns), ns={n: c.none_support for n, c in ds.columns.items()},
            lines=ds.lines, rows=list(ds.iterate(None)))
""")
    assert res["columns"] == {"i": "int64", "f": "float64", "s": "unicode", "o": "int32",
                              "t": "unicode", "y": "bytes"}
    assert res["ns"] == {"i": False, "f": False, "s": False, "o": True, "t": True, "y": True}
    assert res["lines"] == [50000, 50000, 50000]  # contiguous parts, in file order
    assert res["rows"] == [tuple(r.values()) for r in t.to_pylist()]
    assert res["res"]["num_lines"] == n and res["res"]["lines_per_slice"] == [50000] * 3


def test_types_follow_the_file(project):
    rows = 4
    t = pa.table({
        "i8": pa.array([1, -2, None, 127], pa.int8()),
        "u32": pa.array([0, 2**32 - 1, 5, 6], pa.uint32()),
        "u64": pa.array([0, 2**64 - 1, 5, None], pa.uint64()),
        "small_u64": pa.array([0, 1, 2, 3], pa.uint64()),
        "f16": pa.array([1.5, -0.25, 0, 2], pa.float16()),
        "d32": pa.array([date(2020, 1, 2), date(1, 1, 1), date(9999, 12, 31), None]),
        "d64": pa.array([date(2020, 1, 2)] * rows, pa.date64()),
        "ts_ns": pa.array([datetime(2020, 1, 2, 3, 4, 5, 6)] * rows, pa.timestamp("ns")),
        "ts_tz": pa.array([datetime(2020, 6, 1, 12, tzinfo=timezone.utc)] * rows,
                          pa.timestamp("ms", tz="Europe/Stockholm")),
        "t32": pa.array([time(1, 2, 3)] * rows, pa.time32("ms")),
        "t64": pa.array([time(23, 59, 59, 999999)] * rows, pa.time64("ns")),
        "s": pa.array(["a", "åäö", "", None]),
        "b": pa.array([b"\x00", b"", b"xyz", b"q"], pa.binary()),
        "fb": pa.array([b"ab", b"cd", b"ef", b"gh"], pa.binary(2)),
        "cat": pa.array(["x", "y", "x", "x"]).dictionary_encode(),
        "dec": pa.array([Decimal(10**30), Decimal(-5), Decimal(0), Decimal(1)],
                        pa.decimal128(38, 0)),
        "lst": pa.array([[1, 2], [], None, [3]]),
        "st": pa.array([{"a": 1, "b": "x"}, {"a": 2, "b": None}, None, {"a": 3, "b": "z"}]),
        "bool": pa.array([True, False, None, True]),
    })
    pq.write_table(t, project.root / "data" / "t.parquet")
    res = run(project, """
ds = urd.build('parquetimport', filename='data/t.parquet').dataset()
return dict(columns=dict(ds.columns), rows=list(ds.iterate(None)))
""")
    assert res["columns"] == {
        "i8": "int32", "u32": "int64", "u64": "number", "small_u64": "int64", "f16": "float32",
        "d32": "date", "d64": "date", "ts_ns": "datetime", "ts_tz": "datetime",
        "t32": "time", "t64": "time", "s": "unicode", "b": "bytes", "fb": "bytes",
        "cat": "unicode", "dec": "number", "lst": "json", "st": "json", "bool": "bool"}
    got = {name: [r[i] for r in res["rows"]] for i, name in enumerate(res["columns"])}
    assert got["u64"] == [0, 2**64 - 1, 5, None]
    assert got["d32"] == [date(2020, 1, 2), date(1, 1, 1), date(9999, 12, 31), None]
    assert got["ts_ns"] == [datetime(2020, 1, 2, 3, 4, 5, 6)] * rows
    assert got["ts_tz"] == [datetime(2020, 6, 1, 12)] * rows  # the UTC time, naive
    assert got["t64"] == [time(23, 59, 59, 999999)] * rows
    assert got["cat"] == ["x", "y", "x", "x"] and got["fb"][0] == b"ab"
    assert got["dec"] == [10**30, -5, 0, 1]
    assert got["lst"] == [[1, 2], [], None, [3]]
    assert got["st"] == [{"a": 1, "b": "x"}, {"a": 2, "b": None}, None, {"a": 3, "b": "z"}]
    assert got["f16"] == [1.5, -0.25, 0.0, 2.0]


@pytest.mark.parametrize("column,error", [
    (pa.array([datetime(2020, 1, 1)], pa.timestamp("ns")).cast(pa.int64()).to_pylist()[0] + 1,
     "column 'x', row 0: .*nanoseconds"),
    ("decimal", "column 'x' is decimal128\\(10, 2\\).*types="),
])
def test_values_that_cannot_be_kept_exactly_are_refused(project, column, error):
    if column == "decimal":
        arr = pa.array([Decimal("1.25")], pa.decimal128(10, 2))
    else:
        arr = pa.array([column], pa.int64()).cast(pa.timestamp("ns"))
    pq.write_table(pa.table({"x": arr}), project.root / "data" / "x.parquet")
    project.build("def main(urd):\n    urd.build('parquetimport', filename='data/x.parquet')\n")
    p = project.ax("run")
    assert p.returncode != 0
    import re
    assert re.search(error, p.stdout + p.stderr), p.stdout + p.stderr


def test_options_columns_rename_types_folders_globs_and_chains(project):
    for k in range(3):
        pq.write_table(pa.table({"a": [k, k + 10], "b": [f"{k}", "x"], "c": [1.5, 2.5]}),
                       project.root / "data" / f"part{k}.parquet")
    res = run(project, """
one = urd.build('parquetimport', filename='data', columns=['b', 'a'], rename={'a': 'A'},
                types={'b': 'ascii'})
two = urd.build('parquetimport', filename='data/part[12].parquet', previous=one)
ds = two.dataset()
return dict(one=dict(one.dataset().columns), rows=list(one.dataset().iterate(None)),
            previous=str(ds.previous), first=str(one.dataset()),
            two=dict(ds.columns), files=two.load()['files'])
""")
    assert res["one"] == {"b": "ascii", "A": "int64"}
    assert res["rows"] == [("0", 0), ("x", 10), ("1", 1), ("x", 11), ("2", 2), ("x", 12)]
    assert res["two"] == {"a": "int64", "b": "unicode", "c": "float64"}
    assert res["previous"] == res["first"]
    assert [p.rsplit("/", 1)[1] for p in res["files"]] == ["part1.parquet", "part2.parquet"]
    for build, message in (
            ("filename='data/nope.parquet'", "option 'filename': input file data/nope.parquet "
                                             "does not exist .*did you mean: data/part"),
            ("filename='data/part0.parquet', columns=['zz']", "has no column 'zz'"),
            ("filename='data/part0.parquet', types={'a': 'int8'}", "unknown type 'int8'"),
            ("filename='accelerator.conf'", "not a Parquet file")):
        project.build(f"def main(urd):\n    urd.build('parquetimport', {build})\n")
        p = project.ax("run")
        assert p.returncode != 0
        import re
        assert re.search("parquetimport'?: .*" + message, p.stdout + p.stderr), p.stdout + p.stderr


def test_export_and_import_again_is_the_same_dataset(project):
    project.method("mk", """
        from datetime import date, datetime, time
        import math

        def synthesis(job):
            dw = job.datasetwriter(columns={
                'i': 'int64', 'f': 'float32', 'n': ('number', True), 'c32': 'complex32',
                'c64': 'complex64', 'j': 'json', 'p': 'pickle', 'a': 'ascii',
                'u': ('unicode', True), 'by': 'bytes', 'd': 'date',
                'dt': 'datetime', 't': 'time', 'bo': 'bool'})
            for s in range(3):
                dw.set_slice(s)
                for i in range(50 * s):
                    dw.write(i, i / 4, [i, 2.5, None, 10**30][i % 4], complex(i, -0.1),
                             complex(0.1, i), {'k': [i]}, {i}, 'x' * (i % 5),
                             None if i % 7 == 0 else 'å' * i, bytes([i % 256]),
                             date(2020, 1, 1 + i % 28), datetime(2020, 1, 1, i % 24, fold=i % 2),
                             time(i % 24), i % 2 == 0)
    """)
    res = run(project, """
src = urd.build('mk')
one = urd.build('parquetexport', source=src)
sliced = urd.build('parquetexport', source=src, sliced=True, filename='part-%d.parquet')
back = urd.build('parquetimport', filename=one.filename('result.parquet'), types={'p': 'pickle'})
srcds, backds = src.dataset(), back.dataset()
return dict(same=list(srcds.iterate(None)) == list(backds.iterate(None)),
            types=(dict(srcds.columns), dict(backds.columns)),
            ns=[c.none_support for c in backds.columns.values()],
            one=one.filename('result.parquet'), one_res=one.load(),
            sliced=[sliced.filename(f) for f in sliced.load()['files']],
            expect=[list(r) for r in srcds.iterate(None, ('i', 'c64', 'u'))])
""")
    assert res["same"] and res["types"][0] == res["types"][1]
    assert res["ns"] == [name in ("n", "u") for name in res["types"][0]]
    assert res["one_res"] == {"files": ["result.parquet"], "rows": 150}
    t = pq.read_table(res["one"])
    assert t.num_rows == 150 and t.schema.field("i").metadata[b"accel.type"] == b"int64"
    frame = pl.read_parquet(res["one"])
    assert [[r["i"], complex(r["c64"]["real"], r["c64"]["imag"]), r["u"]]
            for r in frame.to_dicts()] == res["expect"]
    assert [pq.read_metadata(p).num_rows for p in res["sliced"]] == [0, 50, 100]
    assert all(p.endswith(f"part-{k}.parquet") for k, p in enumerate(res["sliced"]))


def test_export_refuses_mixed_types_and_bad_compression(project):
    project.method("mk", """
        options = dict(t='int64')

        def synthesis(job):
            dw = job.datasetwriter(columns={'x': options.t}, allow_missing_slices=True)
            dw.set_slice(0)
            dw.write(1)
    """)
    project.build("""
def main(urd):
    a, b = urd.build('mk'), urd.build('mk', t='int32')
    urd.build('parquetexport', source=[a, b])
""")
    p = project.ax("run")
    assert p.returncode != 0 and "column 'x' is int32 in" in p.stdout + p.stderr
    project.build("""
def main(urd):
    urd.build('parquetexport', source=urd.build('mk'), compression='lzo')
""")
    p = project.ax("run")
    assert p.returncode != 0 and "compression 'lzo'" in p.stdout + p.stderr


def test_export_chain_source_continues_where_the_previous_export_stopped(project):
    project.method("part", """
        options = dict(start=0)
        datasets = ('previous',)

        def synthesis(job):
            dw = job.datasetwriter(columns={'x': 'int64'}, previous=datasets.previous,
                                   allow_missing_slices=True)
            dw.set_slice(0)
            for i in range(options.start, options.start + 3):
                dw.write(i)
    """)
    res = run(project, """
a = urd.build('part', start=0)
b = urd.build('part', start=10, previous=a)
c = urd.build('part', start=20, previous=b)
e1 = urd.build('parquetexport', source=[b], chain_source=True)
e2 = urd.build('parquetexport', source=[c], chain_source=True, previous=e1)
return dict(e1=e1.filename('result.parquet'), e2=e2.filename('result.parquet'))
""")
    assert pq.read_table(res["e1"]).column("x").to_pylist() == [0, 1, 2, 10, 11, 12]
    assert pq.read_table(res["e2"]).column("x").to_pylist() == [20, 21, 22]
