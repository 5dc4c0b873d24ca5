"""ax ds and ax cat, run as a user runs them: real subprocesses on a real project.

One project is built once for the module by `ax run`: datasets written in prepare+analysis,
in synthesis (with set_slice and with a hashlabel's split writer), a chain of three, one
with a parent, and a big one; every test then only reads it (damage tests build their own).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import Project, ax, ax_json, cli_env, one_error_line

BIG_ROWS = 500_000  # per slice: 1 M rows in all

METHODS = {
    "typed": '''
        from datetime import date

        description = "Six typed columns, written by each analysis slice."

        ROWS = [
            [(0, 0.5, "zero", date(2024, 1, 1), None, 0.1),
             (1, 1.5, "one", date(2024, 1, 2), 10, 1.0),
             (2, 2.5, "tab\\there", date(2024, 1, 3), 20, 2.5)],
            [(3, -1.0, 'a,b "q"', date(2023, 12, 31), None, -0.5),
             (4, float("inf"), "new\\nline", date(2024, 2, 29), 40, 3.25)],
        ]


        def prepare(job):
            dw = job.datasetwriter(columns={"i": "int64", "f": "float64", "s": "unicode"},
                                   caption="typed rows")
            dw.add("d", "date")
            dw.add("n", "int32", none_support=True)
            dw.add("x", "float32")
            return dw


        def analysis(sliceno, prepare_res):
            for row in ROWS[sliceno]:
                prepare_res.write(*row)
    ''',
    "multi": '''
        description = "Two datasets, neither of them 'default', written in synthesis."


        def synthesis(job):
            a = job.datasetwriter(name="a", hashlabel="k")
            a.add("k", "int64")
            a.add("v", "unicode")
            write = a.get_split_write()
            for k in range(10):
                write(k, f"v{k}")
            b = job.datasetwriter(name="b", columns={"w": "unicode"})
            b.set_slice(0)
            b.write("x")
            b.set_slice(1)
            b.write("y")
            b.write("z")
    ''',
    "chained": '''
        description = "Three numbers from start, chained to the previous dataset."
        options = dict(start=0)
        datasets = ("previous",)


        def synthesis(job, options, datasets, slices):
            dw = job.datasetwriter(previous=datasets.previous, columns={"v": "int64"})
            for v in range(options.start, options.start + 3):
                dw.set_slice(v % slices)
                dw.write(v)
    ''',
    "extend": '''
        description = "Adds a column to its source dataset (a parent, not a copy)."
        datasets = ("source",)


        def prepare(job, datasets):
            return job.datasetwriter(parent=datasets.source, columns={"sq": "int64"})


        def analysis(sliceno, prepare_res, datasets):
            for i in datasets.source.iterate(sliceno, "i"):
                prepare_res.write(i * i)
    ''',
    "big": f'''
        description = "{BIG_ROWS} rows in each slice."


        def prepare(job):
            return job.datasetwriter(columns={{"n": "int64", "t": "unicode"}})


        def analysis(sliceno, prepare_res):
            write = prepare_res.write
            for n in range(sliceno * {BIG_ROWS}, (sliceno + 1) * {BIG_ROWS}):
                write(n, "row number %012d" % n)
    ''',
    "alltypes": '''
        from datetime import datetime, time

        description = "One row of the other types, and one of None in each."

        COLUMNS = {"b": "bool", "dt": "datetime", "t": "time", "by": "bytes", "j": "json",
                   "num": "number", "c": "complex64", "a": "ascii", "p": "pickle"}


        def synthesis(job):
            dw = job.datasetwriter()
            for name, typ in COLUMNS.items():
                dw.add(name, typ, none_support=True)
            dw.set_slice(0)
            dw.write(True, datetime(2024, 1, 2, 3, 4, 5), time(6, 7, 8), b"\\xffab",
                     {"a": [1, 2]}, 2 ** 70, complex(1.5, -2), "plain", {1, 2})
            dw.set_slice(1)
            dw.write(*[None] * len(COLUMNS))
    ''',
    "plain": '''
        description = "No datasets at all."


        def synthesis():
            return 1
    ''',
}

BUILD = '''
def main(urd):
    t = urd.build("typed")                                          # dev-1
    urd.begin("nightly", "2024-01-01")
    urd.build("multi")                                              # dev-2
    urd.finish("nightly")
    c1 = urd.build("chained", start=0)                              # dev-3
    c2 = urd.build("chained", start=10, previous=f"{c1}/default")   # dev-4
    urd.build("chained", start=20, previous=f"{c2}/default")        # dev-5
    urd.build("extend", source=t)                                   # dev-6
    urd.build("plain")                                              # dev-7
    urd.build("big")                                                # dev-8
    urd.build("alltypes")                                           # dev-9
'''

# typed's rows, in slice order, with --columns i,f,s,d,n,x
TYPED = [
    (0, 0.5, "zero", date(2024, 1, 1), None, 0.1),
    (1, 1.5, "one", date(2024, 1, 2), 10, 1.0),
    (2, 2.5, "tab\there", date(2024, 1, 3), 20, 2.5),
    (3, -1.0, 'a,b "q"', date(2023, 12, 31), None, -0.5),
    (4, float("inf"), "new\nline", date(2024, 2, 29), 40, 3.25),
]
COLS = "i,f,s,d,n,x"


one_error_line = functools.partial(one_error_line, prefixes=("ax: ", "Error: "))


def make_project(root: Path, methods: dict[str, str], build: str) -> Path:
    proj = Project(root, slices=2)
    for name, text in methods.items():
        proj.method(name, text)
    proj.build(build)
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("datasets") / "proj", METHODS, BUILD)
    ax(root, "run", "-q")
    return root


def cat_lines(project: Path, *args: str) -> list[str]:
    return ax(project, "cat", *args).stdout.splitlines()


# --- ax ds -------------------------------------------------------------------------------


def test_ds_shows_everything(project: Path) -> None:
    out = ax(project, "ds", "dev-1").stdout
    lines = out.splitlines()
    assert lines[0] == "dev-1/default"
    for text in ("typed  (job dev-1)", "typed rows", "hashlabel  -", "previous   -",
                 "parent     -", "6 columns, 5 lines", "slices     2: 3, 2"):
        assert text in out, text
    table = lines[lines.index(next(x for x in lines if x.split()[:2] == ["column", "type"])):]
    rows = {r.split()[0]: r.split()[1:] for r in table[1:] if r.strip()}
    assert rows["i"] == ["int64", "0", "4"]
    assert rows["n"] == ["int32", "yes", "10", "40"]
    assert rows["d"] == ["date", "2023-12-31", "2024-02-29"]
    assert rows["s"][0] == "unicode"
    assert rows["x"][0] == "float32"


def test_ds_json(project: Path) -> None:
    d = ax_json(project, "ds", "dev-1")
    assert d["dataset"] == "dev-1/default"
    assert d["job"] == "dev-1" and d["name"] == "default" and d["method"] == "typed"
    assert d["caption"] == "typed rows"
    assert [(c["name"], c["type"]) for c in d["columns"]] == [
        ("i", "int64"), ("f", "float64"), ("s", "unicode"), ("d", "date"), ("n", "int32"),
        ("x", "float32")]
    cols = {c["name"]: c for c in d["columns"]}
    assert cols["n"]["none_support"] is True and not cols["i"]["none_support"]
    assert (cols["i"]["min"], cols["i"]["max"]) == (0, 4)
    assert (cols["n"]["min"], cols["n"]["max"]) == (10, 40)
    assert (cols["d"]["min"], cols["d"]["max"]) == ("2023-12-31", "2024-02-29")
    assert d["lines"] == [3, 2] and d["total_lines"] == 5 and d["slices"] == 2
    assert d["shape"] == [6, 5]
    assert d["hashlabel"] is None and d["previous"] is None and d["parent"] is None
    assert d["chain"] == [{"dataset": "dev-1/default", "lines": 5}]
    assert d["other_datasets"] == []


def test_ds_references(project: Path) -> None:
    def name(ref: str) -> str:
        return ax_json(project, "ds", ref)["dataset"]

    assert name("typed") == "dev-1/default"
    assert name("typed/default") == "dev-1/default"
    assert name("dev-1/default") == "dev-1/default"
    assert name("chained") == "dev-5/default"
    assert name("chained~1") == "dev-4/default"
    assert name("chained~2/default") == "dev-3/default"
    assert name(":nightly:/b") == "dev-2/b"
    assert name(":nightly/2024-01-01:/a") == "dev-2/a"
    assert name("multi/a") == "dev-2/a"


def test_ds_lists_datasets_without_default(project: Path) -> None:
    out = ax(project, "ds", "dev-2").stdout
    lines = out.splitlines()
    assert "no dataset 'default'" in lines[0]
    assert lines[1].split() == ["dataset", "columns", "lines", "hashlabel", "caption"]
    assert lines[2].split() == ["dev-2/a", "2", "10", "k"]
    assert lines[3].split() == ["dev-2/b", "1", "3"]
    d = ax_json(project, "ds", "multi")
    assert d["job"] == "dev-2"
    assert [(r["name"], r["lines"], r["hashlabel"]) for r in d["datasets"]] == [
        ("a", 10, "k"), ("b", 3, None)]


def test_ds_hashlabel_and_synthesis_slices(project: Path) -> None:
    a = ax_json(project, "ds", "dev-2/a")
    assert a["hashlabel"] == "k" and a["total_lines"] == 10
    assert a["other_datasets"] == ["b"]
    assert "hashlabel  k" in ax(project, "ds", "dev-2/a").stdout
    assert "also in this job: dev-2/b" in ax(project, "ds", "dev-2/a").stdout
    assert ax_json(project, "ds", "dev-2/b")["lines"] == [1, 2]


def test_ds_chain(project: Path) -> None:
    d = ax_json(project, "ds", "dev-5")
    assert d["previous"] == "dev-4/default"
    assert d["chain"] == [{"dataset": f"dev-{n}/default", "lines": 3} for n in (3, 4, 5)]
    assert d["chain_lines"] == 9
    out = ax(project, "ds", "dev-5").stdout
    assert "chain  3 datasets, 9 lines, oldest first" in out
    block = out[out.index("chain  3 datasets"):].splitlines()[1:]
    assert [line.split() for line in block] == [[f"dev-{n}/default", "3"] for n in (3, 4, 5)]
    assert ax_json(project, "ds", "dev-3")["chain"] == [{"dataset": "dev-3/default", "lines": 3}]


def test_ds_parent(project: Path) -> None:
    d = ax_json(project, "ds", "dev-6")
    assert d["parent"] == "dev-1/default"
    names = [c["name"] for c in d["columns"]]
    assert "sq" in names and "i" in names
    assert d["lines"] == [3, 2]
    assert "parent     dev-1/default" in ax(project, "ds", "dev-6").stdout


def test_ds_verify(project: Path) -> None:
    out = ax(project, "ds", "--verify", "dev-1").stdout
    assert "verified" in out.splitlines()[-1]
    assert ax_json(project, "ds", "dev-8", "--verify")["verified"] is True


def test_ds_not_there_is_exit_1_one_line(project: Path) -> None:
    line = one_error_line(ax(project, "ds", "dev-1/nope", rc=1))
    assert "'nope'" in line and "dev-1" in line and "default" in line
    line = one_error_line(ax(project, "ds", "dev-2/c", rc=1))
    assert "a, b" in line
    line = one_error_line(ax(project, "ds", "multi/aa", rc=1))
    assert "did you mean: a" in line
    line = one_error_line(ax(project, "ds", "dev-7", rc=1))
    assert "no datasets" in line
    for ref in ("dev-99", "dev-99/default", "nosuchmethod/x", ":nolist:/a", "chained~9"):
        p = ax(project, "ds", ref, rc=1)
        assert p.stdout == ""
        one_error_line(p)


def test_ds_usage_errors_are_exit_2(project: Path) -> None:
    assert "REF" in ax(project, "ds", rc=2).stderr
    one_error_line(ax(project, "ds", "dev-1/", rc=2))
    one_error_line(ax(project, "ds", "bad ref!", rc=2))
    assert "No such option" in ax(project, "ds", "dev-1", "--nope", rc=2).stderr


# --- ax cat: formats ---------------------------------------------------------------------


def test_cat_text(project: Path) -> None:
    assert cat_lines(project, "dev-1", "-c", "i,s") == [
        "i  s", "0  zero", "1  one", "2  tab\\there", '3  a,b "q"', "4  new\\nline"]
    lines = cat_lines(project, "dev-1", "--columns", COLS)
    assert lines[0].split() == ["i", "f", "s", "d", "n", "x"]
    assert lines[1].split() == ["0", "0.5", "zero", "2024-01-01", "None", "0.1"]
    assert lines[5].split() == ["4", "inf", "new\\nline", "2024-02-29", "40", "3.25"]
    widths = {len(line) for line in lines[:2]}
    assert len(widths) == 1  # aligned: the header is as wide as the rows
    # every column, in the dataset's order
    names = [c["name"] for c in ax_json(project, "ds", "dev-1")["columns"]]
    assert cat_lines(project, "dev-1")[0].split() == names


def test_cat_no_header(project: Path) -> None:
    assert cat_lines(project, "dev-1", "-c", "i", "--no-header") == ["0", "1", "2", "3", "4"]
    out = ax(project, "cat", "dev-1", "-c", "i,s", "-f", "csv", "--no-header").stdout
    assert out.splitlines()[0] == "0,zero"


def test_cat_csv(project: Path) -> None:
    out = ax(project, "cat", "dev-1", "-c", COLS, "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["i", "f", "s", "d", "n", "x"]
    assert rows[1:] == [
        ["0", "0.5", "zero", "2024-01-01", "", "0.1"],
        ["1", "1.5", "one", "2024-01-02", "10", "1.0"],
        ["2", "2.5", "tab\there", "2024-01-03", "20", "2.5"],
        ["3", "-1.0", 'a,b "q"', "2023-12-31", "", "-0.5"],
        ["4", "inf", "new\nline", "2024-02-29", "40", "3.25"],
    ]
    assert out.splitlines()[4] == '3,-1.0,"a,b ""q""",2023-12-31,,-0.5'
    assert "\r" not in out


def test_cat_tsv(project: Path) -> None:
    out = ax(project, "cat", "dev-1", "-c", COLS, "-f", "TSV").stdout
    assert out.splitlines() == [
        "i\tf\ts\td\tn\tx",
        "0\t0.5\tzero\t2024-01-01\t\t0.1",
        "1\t1.5\tone\t2024-01-02\t10\t1.0",
        "2\t2.5\ttab\\there\t2024-01-03\t20\t2.5",
        '3\t-1.0\ta,b "q"\t2023-12-31\t\t-0.5',
        "4\tinf\tnew\\nline\t2024-02-29\t40\t3.25",
    ]


def test_cat_json(project: Path) -> None:
    out = ax(project, "cat", "dev-1", "-c", COLS, "--format", "json").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows == [
        {"i": 0, "f": 0.5, "s": "zero", "d": "2024-01-01", "n": None, "x": 0.1},
        {"i": 1, "f": 1.5, "s": "one", "d": "2024-01-02", "n": 10, "x": 1.0},
        {"i": 2, "f": 2.5, "s": "tab\there", "d": "2024-01-03", "n": 20, "x": 2.5},
        {"i": 3, "f": -1.0, "s": 'a,b "q"', "d": "2023-12-31", "n": None, "x": -0.5},
        {"i": 4, "f": "Infinity", "s": "new\nline", "d": "2024-02-29", "n": 40, "x": 3.25},
    ]
    assert list(rows[0]) == ["i", "f", "s", "d", "n", "x"]  # the order asked for
    assert ax(project, "cat", "dev-1", "-c", COLS, "--json").stdout == out
    assert ax(project, "cat", "dev-1", "-c", COLS, "--json", "--no-header").stdout == out
    assert "--json" in one_error_line(ax(project, "cat", "dev-1", "--json", "-f", "csv", rc=2))


def test_cat_every_other_type(project: Path) -> None:
    rows = [json.loads(x) for x in ax(project, "cat", "alltypes", "--json").stdout.splitlines()]
    assert rows == [
        {"b": True, "dt": "2024-01-02T03:04:05", "t": "06:07:08", "by": "\\xffab",
         "j": {"a": [1, 2]}, "num": 2 ** 70, "c": [1.5, -2.0], "a": "plain", "p": "{1, 2}"},
        dict.fromkeys(["b", "dt", "t", "by", "j", "num", "c", "a", "p"]),
    ]
    text = cat_lines(project, "alltypes")
    assert text[0].split() == ["b", "dt", "t", "by", "j", "num", "c", "a", "p"]
    assert text[1].split() == ["True", "2024-01-02", "03:04:05", "06:07:08", "\\xffab", '{"a":',
                               "[1,", "2]}", str(2 ** 70), "(1.5-2j)", "plain", "{1,", "2}"]
    assert text[2].split() == ["None"] * 9
    out = ax(project, "cat", "alltypes", "-f", "csv").stdout
    assert list(csv.reader(io.StringIO(out)))[1:] == [
        ["True", "2024-01-02T03:04:05", "06:07:08", "\\xffab", '{"a": [1, 2]}', str(2 ** 70),
         "(1.5-2j)", "plain", "{1, 2}"], [""] * 9]
    out = ax(project, "cat", "alltypes", "-f", "tsv", "--no-header").stdout
    assert out.splitlines() == [
        "\t".join(["True", "2024-01-02T03:04:05", "06:07:08", "\\\\xffab", '{"a": [1, 2]}',
                   str(2 ** 70), "(1.5-2j)", "plain", "{1, 2}"]), "\t" * 8]
    ds = ax_json(project, "ds", "alltypes")
    assert [c["type"] for c in ds["columns"]] == [
        "bool", "datetime", "time", "bytes", "json", "number", "complex64", "ascii", "pickle"]
    assert all(c["none_support"] for c in ds["columns"])


# --- ax cat: which rows --------------------------------------------------------------------


def ints(project: Path, *args: str) -> list[int]:
    return [int(x) for x in cat_lines(project, *args, "--no-header", "-f", "csv")]


def test_cat_slice(project: Path) -> None:
    assert ints(project, "dev-1", "-c", "i", "--slice", "0") == [0, 1, 2]
    assert ints(project, "dev-1", "-c", "i", "-s", "1") == [3, 4]
    line = one_error_line(ax(project, "cat", "dev-1", "--slice", "2", rc=1))
    assert "slice 2" in line and "0-1" in line
    ax(project, "cat", "dev-1", "--slice", "-1", rc=2)
    ax(project, "cat", "dev-1", "--slice", "one", rc=2)


def test_cat_head_tail(project: Path) -> None:
    assert ints(project, "dev-1", "-c", "i", "--head", "2") == [0, 1]
    assert ints(project, "dev-1", "-c", "i", "--tail", "2") == [3, 4]
    assert ints(project, "dev-1", "-c", "i", "--tail", "3") == [2, 3, 4]
    assert ints(project, "dev-1", "-c", "i", "--head", "4", "--tail", "2") == [2, 3]
    assert ints(project, "dev-1", "-c", "i", "--head", "10") == [0, 1, 2, 3, 4]
    assert ints(project, "dev-1", "-c", "i", "--tail", "10") == [0, 1, 2, 3, 4]
    assert ints(project, "dev-1", "-c", "i", "--head", "0") == []
    assert ints(project, "dev-1", "-c", "i", "--tail", "0") == []
    assert ints(project, "dev-1", "-c", "i", "--slice", "0", "--tail", "1") == [2]
    assert cat_lines(project, "dev-1", "-c", "i", "--head", "0") == ["i"]
    ax(project, "cat", "dev-1", "--head", "-3", rc=2)
    ax(project, "cat", "dev-1", "--tail", "x", rc=2)


def test_cat_columns(project: Path) -> None:
    assert cat_lines(project, "dev-1", "-c", "s", "-c", "i", "--head", "1") == ["s     i", "zero  0"]
    line = one_error_line(ax(project, "cat", "dev-1", "-c", "i,nope", rc=1))
    assert "'nope'" in line
    for name in ("i", "f", "s", "d", "n", "x"):
        assert name in line.split("columns:")[1]
    assert "did you mean: s" in one_error_line(ax(project, "cat", "dev-1", "-c", "ss", rc=1))
    one_error_line(ax(project, "cat", "dev-1", "-c", "i,,s", rc=2))
    one_error_line(ax(project, "cat", "dev-1", "-c", "i,i", rc=2))


def test_cat_chain(project: Path) -> None:
    assert ints(project, "dev-5") == [20, 22, 21]
    assert ints(project, "dev-5", "--chain") == [0, 2, 1, 10, 12, 11, 20, 22, 21]
    assert ints(project, "dev-5", "--chain", "--tail", "4") == [11, 20, 22, 21]
    assert ints(project, "dev-5", "--chain", "--head", "4") == [0, 2, 1, 10]
    assert ints(project, "dev-5", "--chain", "--slice", "1") == [1, 11, 21]
    assert ints(project, "chained~1", "--chain") == [0, 2, 1, 10, 12, 11]
    assert ints(project, "dev-3", "--chain") == [0, 2, 1]


def test_cat_synthesis_datasets(project: Path) -> None:
    assert cat_lines(project, ":nightly:/b", "--no-header") == ["x", "y", "z"]
    assert cat_lines(project, "dev-2/b", "--slice", "1") == ["w", "y", "z"]
    ks = ints(project, "multi/a", "-c", "k")
    assert sorted(ks) == list(range(10))
    per_slice = [ints(project, "multi/a", "-c", "k", "-s", str(s)) for s in (0, 1)]
    assert sorted(per_slice[0] + per_slice[1]) == list(range(10))
    assert len(per_slice) == 2 and ax_json(project, "ds", "multi/a")["lines"] == [
        len(per_slice[0]), len(per_slice[1])]
    rows = [json.loads(x) for x in ax(project, "cat", "multi/a", "--json").stdout.splitlines()]
    assert all(r["v"] == f"v{r['k']}" for r in rows) and len(rows) == 10


def test_cat_parent_columns(project: Path) -> None:
    assert cat_lines(project, "dev-6", "-c", "i,sq", "-f", "csv", "--no-header") == [
        "0,0", "1,1", "2,4", "3,9", "4,16"]


def test_cat_not_there_is_exit_1(project: Path) -> None:
    line = one_error_line(ax(project, "cat", "dev-2", rc=1))
    assert "dev-2/NAME" in line and "a, b" in line
    line = one_error_line(ax(project, "cat", "dev-1/nope", rc=1))
    assert "'nope'" in line and "datasets: default" in line
    assert "no datasets" in one_error_line(ax(project, "cat", "plain", rc=1))
    one_error_line(ax(project, "cat", "dev-99", rc=1))


def test_cat_usage_errors_are_exit_2(project: Path) -> None:
    assert "REF" in ax(project, "cat", rc=2).stderr
    assert "xml" in ax(project, "cat", "dev-1", "--format", "xml", rc=2).stderr
    assert "No such option" in ax(project, "cat", "dev-1", "--bogus", rc=2).stderr
    one_error_line(ax(project, "cat", "dev-1/", rc=2))


# --- ax cat: big datasets stream -----------------------------------------------------------


def test_cat_big_head_tail(project: Path) -> None:
    t0 = time.time()
    assert cat_lines(project, "big", "--head", "2", "--no-header", "-f", "tsv") == [
        "0\trow number 000000000000", "1\trow number 000000000001"]
    last = 2 * BIG_ROWS - 1
    assert ints(project, "big", "-c", "n", "--tail", "2") == [last - 1, last]
    assert ints(project, "big", "-c", "n", "--slice", "0", "--tail", "1") == [BIG_ROWS - 1]
    assert time.time() - t0 < 30


def test_cat_closed_pipe_is_quiet(project: Path) -> None:
    """`ax cat big | head -3`: ends at once, exit 0, nothing on stderr."""
    for fmt in ("text", "csv", "tsv", "json"):
        p = subprocess.Popen([sys.executable, "-m", "accel.cli.main", "cat", "big", "-f", fmt],
                             cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=cli_env())
        assert p.stdout is not None and p.stderr is not None
        first = [p.stdout.readline() for _ in range(3)]
        assert all(first), first
        p.stdout.close()
        err = p.stderr.read().decode()
        assert p.wait(timeout=60) == 0, err
        assert err == "", err
    shell = subprocess.run(f"set -o pipefail; {sys.executable} -m accel.cli.main cat big | head -n 2",
                           shell=True, executable="/bin/bash", cwd=project, env=cli_env(),
                           capture_output=True, text=True, timeout=120)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.splitlines()[1].split() == ["0", "row", "number", "000000000000"]
    assert shell.stderr == ""


PEAK = """
import resource, subprocess, sys
subprocess.run([sys.executable, "-m", "accel.cli.main", *sys.argv[1:]],
               stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_kb(project: Path, *args: str) -> int:
    p = subprocess.run([sys.executable, "-c", PEAK, *args], cwd=project, capture_output=True,
                       text=True, env=cli_env(), timeout=300)
    assert p.returncode == 0, p.stderr
    return int(p.stdout)


@pytest.mark.parametrize("fmt", ["text", "csv", "json"])
def test_cat_streams(project: Path, fmt: str) -> None:
    """Printing a million rows takes no more memory than printing one."""
    one = peak_kb(project, "cat", "big", "-f", fmt, "--head", "1")
    everything = peak_kb(project, "cat", "big", "-f", fmt)
    assert everything - one < 60 * 1024, (one, everything)


# --- light, help, no project -----------------------------------------------------------------


def test_commands_are_light(project: Path) -> None:
    """Loading ax ds / ax cat, and their help, does not import numpy or the dataset code."""
    code = textwrap.dedent("""
        import sys
        from accel.cli.main import cli
        for cmd in ("ds", "cat"):
            try:
                cli.main([cmd, "--help"], standalone_mode=False)
            except SystemExit:
                pass
        heavy = [m for m in ("numpy", "pyarrow", "accel.dataset", "accel.builder",
                             "accel.runner") if m in sys.modules]
        print("HEAVY", heavy)
    """)
    p = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True,
                       text=True, env=cli_env(), timeout=60)
    assert p.returncode == 0, p.stderr
    assert "HEAVY []" in p.stdout


@pytest.mark.parametrize("command", ["ds", "cat"])
def test_help(command: str, tmp_path: Path) -> None:
    out = ax(tmp_path, command, "--help").stdout
    assert "--json" in out and f"ax {command}" in out
    assert command in ax(tmp_path, "--help").stdout


def test_no_project_is_exit_2(tmp_path: Path) -> None:
    for args in (("ds", "dev-1"), ("cat", "dev-1")):
        assert "accelerator.conf" in one_error_line(ax(tmp_path, *args, rc=2))


# --- damage --------------------------------------------------------------------------------


def data_files(root: Path, jobid: str) -> list[Path]:
    d = root / "workdirs" / "dev" / jobid / "datasets" / "default"
    return sorted(p for p in d.iterdir() if p.name != "meta.json" and p.stat().st_size > 0)


def test_damage_is_reported(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"typed": METHODS["typed"]},
                        'def main(urd):\n    urd.build("typed")\n')
    ax(root, "run", "-q")
    ax(root, "ds", "--verify", "dev-1")
    victim = data_files(root, "dev-1")[0]
    data = bytearray(victim.read_bytes())
    data[0] ^= 0xFF
    victim.write_bytes(bytes(data))
    line = one_error_line(ax(root, "ds", "--verify", "dev-1", rc=1))
    assert "dev-1/default" in line
    ax(root, "ds", "dev-1")  # without --verify the checksums are not read
    victim.write_bytes(bytes(data[:-1]))  # truncated: no garbage, one line, not a traceback
    p = subprocess.run([sys.executable, "-m", "accel.cli.main", "cat", "dev-1"], cwd=root,
                       capture_output=True, text=True, env=cli_env(), timeout=60)
    assert p.returncode in (1, 2), p.stderr
    assert "Traceback" not in p.stderr
    one_error_line(p)
