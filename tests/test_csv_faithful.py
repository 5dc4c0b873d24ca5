"""csvexport and csvimport keep a CSV file faithful, or say clearly why they cannot: real
`ax run` builds in a temporary project, files read back with Python's csv module.

- csvexport without quoting refuses a value that would split its line wrongly (separator,
  \\n, \\r, the line separator, a leading "), naming column, dataset, slice and row, and
  leaves no file; with quoting such values round-trip through Python's csv reader.
- csvimport reports bad lines once (no pyarrow "Exception ignored" flood for lines that are
  not UTF-8), reads lines longer than pyarrow's default block, and suggests quotes= when a
  line has too many fields because the file is quoted.

Tests that only read what their builds made run them together, one `ax run` for the module
(`together`); those that look at what a run printed run their own.
"""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from pathlib import Path

import pytest
from conftest import Project, jobdir, post_of
from test_standard_methods import WRAP, run
from test_standard_methods import fails as failing_build
from together import Builds

if not hasattr(pytest.importorskip("accel.dataset"), "DatasetWriter"):
    pytest.skip("accel.dataset is not there yet", allow_module_level=True)

# A dataset of unicode columns with given rows in each slice (options.rows: JSON, one list
# of rows per slice), so a test can put any value at a known slice and row.
MAKE = """
import json

options = dict(rows='[]', labels='["a", "b"]')


def synthesis(job):
    dw = job.datasetwriter(columns={label: 'unicode' for label in json.loads(options.labels)})
    for sliceno, rows in enumerate(json.loads(options.rows)):
        dw.set_slice(sliceno)
        for row in rows:
            dw.write(*row)
"""


BUILDS = Builds()
BUILDS.method("make", MAKE)
built = BUILDS.fixture()


def failed_job(err: str) -> str:
    """The id of the job whose failure `err` tells."""
    m = re.search(r"job (dev-\d+) \(method '\w+'\) failed", err)
    assert m, err
    return m.group(1)


def fails(project: Project, src: str) -> tuple[str, str]:
    """Run a build script that must fail cleanly: (the failed job's id, ax run's stderr)."""
    stderr = failing_build(project, src)
    return failed_job(stderr), stderr


def write(project: Project, name: str, data: bytes) -> Path:
    path = project.root / name
    path.write_bytes(data)
    return path


def make_rows(per_slice: list[list[list[str]]], labels=("a", "b")) -> str:
    """Build-script source making the dataset: `m = ...` for use in build(urd)."""
    return (f"m = urd.build('make', rows={json.dumps(per_slice)!r},"
            f" labels={json.dumps(list(labels))!r})")


def made(make: str) -> str:
    """A build of `make_rows`' dataset alone (its job id is the one a build with the same
    `make` line uses); its key."""
    return BUILDS.add(f"made: {make}", f"""
        def build(urd):
            {make}
            return dict(m=m)
    """)


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


# --- csvexport without quoting --------------------------------------------------------------

GOOD = [["1", "x"], ["2", "y"]]


SPLITS = [
    ("has,comma", "", "contains the separator ','"),
    ("semi;colon", "separator=';', ", "contains the separator ';'"),
    ("line\nbreak", "", "contains a line break '\\n'"),
    ("carriage\rreturn", "", "contains a line break '\\r'"),
    ('"quoted"', "", "starts with '\"'"),
    ("record\x1esep", "line_separator='\\x1e', ", "contains the line separator '\\x1e'"),
]


def _splits_make(value: str) -> str:
    # slice 1, row 2 holds the value, in column b; everything else is harmless
    return make_rows([GOOD, [*GOOD, ["3", value]]])


for _value, _options, _ in SPLITS:
    _make = _splits_make(_value)
    made(_make)
    BUILDS.add(f"unquoted {_value!r} {_options}", f"""
        def build(urd):
            {_make}
            return dict(e=urd.build('csvexport', source=[m], {_options}quote_fields=''))
    """)


@pytest.mark.parametrize("value, options, what", SPLITS)
def test_csvexport_unquoted_value_that_splits_its_line_is_an_error(built, value, options,
                                                                    what):
    project, source = built.jobs(f"made: {_splits_make(value)}")
    err = built.error(f"unquoted {value!r} {options}")
    jobid = failed_job(err)
    line = next(x for x in err.splitlines() if x.startswith("job "))
    assert f"UserError: csvexport: column 'b', dataset {source['m']}/default, slice 1, row 2" \
        in line
    assert "(counting from 0 in the slice)" in line and what in line
    assert "quote_fields='\"'" in line
    # the job failed in its slice, before any result file: nothing of it is left
    post = post_of(project, jobid)
    assert post["error"]["part"] == "analysis slice 1" and post["files"] == []
    assert not [p.name for p in jobdir(project, jobid).iterdir() if "result" in p.name]


SLICED_MAKE = make_rows([GOOD, [["3", "a,b"]]])
SLICED_SOURCE = made(SLICED_MAKE)
SLICED = BUILDS.add("unquoted, sliced", f"""
    def build(urd):
        {SLICED_MAKE}
        return dict(e=urd.build('csvexport', source=[m], sliced=True,
                                filename='part-%d.csv'))
""")
_MAKE_LABEL = make_rows([GOOD, []], labels=("a", "b,c"))
LABEL = BUILDS.add("unquoted label", f"""
    def build(urd):
        {_MAKE_LABEL}
        return dict(e=urd.build('csvexport', source=[m]))
""")


def test_csvexport_unquoted_bad_value_in_sliced_files_and_labels(built):
    project, source = built.jobs(SLICED_SOURCE)
    err = built.error(SLICED)
    jobid = failed_job(err)
    assert f"column 'b', dataset {source['m']}/default, slice 1, row 0" in err
    assert not (jobdir(project, jobid) / "part-1.csv").exists()   # never half a file
    assert not [p for p in jobdir(project, jobid).iterdir() if p.name.startswith(".part-1")]
    # a label is written unquoted too
    err = built.error(LABEL)
    assert "label 'b,c' contains the separator ','" in err and "quote_fields='\"'" in err


# what is not refused reads back, with Python's csv reader, as the same fields
SAFE = [["q\"r", "it's"], ["end\"", ""], ["'start", "x\" y"], ["{\"k\": 1}", "\u00e5"]]
_MAKE_SAFE = make_rows([SAFE[:2], SAFE[2:]])
RIGHT_FIELDS = BUILDS.add("unquoted, right fields", f"""
    def build(urd):
        {_MAKE_SAFE}
        return dict(e=urd.build('csvexport', source=[m]),
                    crlf=urd.build('csvexport', source=[m], line_separator='\\r\\n'))
""")


def test_csvexport_unquoted_file_has_the_right_fields_on_every_row(built):
    project, got = built.jobs(RIGHT_FIELDS)
    for name in ("e", "crlf"):
        data = Path(project.job(got[name]).filename("result.csv")).read_bytes()
        assert csv_rows(data) == [["a", "b"], *SAFE]


# --- csvexport with quoting: round trip through Python's csv --------------------------------

AWKWARD = [
    ["has,comma", 'say "hi"'], ['"', '""'], ['"start', 'end"'], ["line\nbreak", "cr\ronly"],
    ["crlf\r\nboth", ""], [",", "\n"], ["plain", "trailing,"], ["it's", "'quoted'"],
]


QUOTED_OPTIONS = ["", "lazy_quotes=False, ", "line_separator='\\r\\n', ", "separator=';', "]
_MAKE_AWKWARD = make_rows([AWKWARD[:3], AWKWARD[3:]], labels=("a,1", 'b"2'))
for _options in QUOTED_OPTIONS:
    BUILDS.add(f"quoted {_options}", f"""
        def build(urd):
            {_MAKE_AWKWARD}
            return dict(e=urd.build('csvexport', source=[m], {_options}quote_fields='"'))
    """)


@pytest.mark.parametrize("options", QUOTED_OPTIONS)
def test_csvexport_quoted_values_round_trip_through_pythons_csv(built, options):
    project, got = built.jobs(f"quoted {options}")
    data = Path(project.job(got["e"]).filename("result.csv")).read_bytes()
    sep = ";" if "separator=';'" in options else ","
    back = list(csv.reader(io.StringIO(data.decode(), newline=""), delimiter=sep))
    assert back == [["a,1", 'b"2'], *AWKWARD]


_MAKE_RS = make_rows([[["a\x1eb", "c"]], []])
LINE_SEPARATOR_VALUE = BUILDS.add("quoted line separator", f"""
    def build(urd):
        {_MAKE_RS}
        return dict(e=urd.build('csvexport', source=[m], quote_fields='"',
                                line_separator='\\x1e'))
""")


def test_csvexport_quotes_a_value_holding_the_line_separator(built):
    project, got = built.jobs(LINE_SEPARATOR_VALUE)
    data = Path(project.job(got["e"]).filename("result.csv")).read_bytes()
    assert data == b'a,b\x1e"a\x1eb",c\x1e'


# --- csvimport: bad lines reported once -----------------------------------------------------

def not_utf8_file(project: Project) -> list[int]:
    """3-field lines, with lines of 4 fields that are not UTF-8; their line numbers back."""
    lines = [b"a,b,c"] + [b"%d,x%d,y" % (i, i) for i in range(30000)]
    bad = [17, 4000, 29000]
    for n in bad:
        lines[n - 1] = b"1,\xff\xfe,3,4"
    write(project, "nu.csv", b"\n".join(lines) + b"\n")
    return bad


@pytest.mark.parametrize("quotes", ["", '"'])
def test_csvimport_bad_lines_not_utf8_are_reported_once(project, quotes):
    bad = not_utf8_file(project)
    project.build(WRAP.format(src=textwrap.dedent(f"""
        def build(urd):
            return dict(j=urd.build('csvimport', filename='nu.csv', allow_bad=True,
                                    quotes={quotes!r}))
    """)))
    p = project.ax("run")
    assert p.returncode == 0, p.stderr
    jobid = json.loads(next(x for x in p.stdout.splitlines()
                            if x.startswith("RESULT "))[len("RESULT "):])["j"]
    job = project.job(jobid)
    out = job.output()
    for text in (out, p.stdout, p.stderr):
        assert "Exception ignored" not in text and "UnicodeDecodeError" not in text
    summary = ("csvimport: 3 bad lines (wrong number of fields), kept in dataset 'bad'"
               " (first: line 17)")
    assert [x for x in out.splitlines() if x.startswith("csvimport:")] == [summary]
    assert list(job.dataset("bad").iterate(None, "lineno")) == bad
    assert list(job.dataset("bad").iterate(None, "data")) == [b"1,\xff\xfe,3,4"] * 3
    assert job.load().num_lines == 30000 - 3


def test_csvimport_bad_line_not_utf8_fails_the_job_without_a_flood(project):
    not_utf8_file(project)
    jobid, err = fails(project, """
        def build(urd):
            return dict(j=urd.build('csvimport', filename='nu.csv'))
    """)
    assert "line 17: expected 3 fields, got 4: '1,\\\\xff\\\\xfe,3,4' (3 bad lines;" in err
    p = project.ax("job", jobid, "-o")
    for text in (err, p.stdout):
        assert "Exception ignored" not in text and "UnicodeDecodeError" not in text
    assert len(p.stdout.splitlines()) < 20, p.stdout


# --- csvimport: a line longer than pyarrow's block --------------------------------------------

def test_csvimport_line_of_40_mb(tmp_path):
    p = Project(tmp_path / "p", slices=2)
    long = b"x" * (40 << 20)
    write(p, "long.csv", b"k,v\n1,a\n2," + long + b"\n3,c\n")
    got = run(p, """
        def build(urd):
            return dict(j=urd.build('csvimport', filename='long.csv', lineno_label='n'))
    """)
    d = p.job(got["j"]).dataset()
    got_rows = list(d.iterate(None, ("k", "n")))
    assert got_rows == [(b"1", 2), (b"2", 3), (b"3", 4)]
    values = list(d.iterate(None, "v"))
    assert values[0] == b"a" and values[2] == b"c" and values[1] == long


# --- csvimport: a quoted file read with quotes off -----------------------------------------

QUOTED_FILES = {"q.csv": b'a,b,c\n1,"x,y",3\n4,5,6\n', "sq.csv": b"a,b,c\n1,'x,y',3\n",
                "plain.csv": b"a,b,c\n1,x,y,3\n"}
TOO_MANY = {name: BUILDS.add(f"too many fields in {name}", f"""
    def build(urd):
        return dict(j=urd.build('csvimport', filename={name!r}))
""", files=QUOTED_FILES) for name in QUOTED_FILES}
QUOTED_KEPT = BUILDS.add("quoted file, bad lines kept", """
    def build(urd):
        return dict(kept=urd.build('csvimport', filename='q.csv', allow_bad=True),
                    right=urd.build('csvimport', filename='q.csv', quotes='"'))
""", files=QUOTED_FILES)


def test_csvimport_too_many_fields_with_quotes_suggests_quotes(built):
    err = built.error(TOO_MANY["q.csv"])
    assert "line 2: expected 3 fields, got 4 (quotes are off and a field starts with \":" \
           " quotes='\"' reads quoted values)" in err
    err = built.error(TOO_MANY["sq.csv"])
    assert "quotes=\"'\"" in err
    err = built.error(TOO_MANY["plain.csv"])
    assert "expected 3 fields, got 4" in err and "quotes=" not in err
    project, got = built.jobs(QUOTED_KEPT)
    out = project.job(got["kept"]).output()
    assert ("csvimport: 1 bad line (wrong number of fields), kept in dataset 'bad' (first:"
            " line 2); quotes are off and a field starts with \": quotes='\"' reads quoted"
            " values") in out
    assert list(project.job(got["right"]).dataset().iterate(None)) == [
        (b"1", b"x,y", b"3"), (b"4", b"5", b"6")]
