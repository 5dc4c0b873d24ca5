"""The board's data pages over HTTP, as a user's browser or script fetches them: a dataset's
rows page by page (?start=N&rows=M), its rows downloaded as CSV and Parquet that read back
exactly (every column type, None, the text CSV makes hard), a method's source and a job's
compared with it, and option values as columns of every table of jobs.

One project is built once for the module and one `ax board` serves it; the test that
changes a method file puts it back. tests/test_board_browser_data.py clicks the same
pages in a real browser.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import pickle
import re
import urllib.request
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pytest
from boards import BoardProcess, serving
from conftest import Project, ax, ax_json
from test_dataset_types import EDGE, same

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pl = pytest.importorskip("polars")

# every column type, its edge values, and the text a CSV file finds hard
TRICKY_TEXT = ["a,b", 'say "hi"', "two\nlines", "cr\rhere", "crlf\r\n", '"', " spaced ", ""]
COLUMNS = {typ: (typ, list(values)) for typ, values in EDGE.items()}
COLUMNS["unicode"][1].extend(TRICKY_TEXT + ["åäö, \"q\"\n"])
COLUMNS["ascii"][1].extend(TRICKY_TEXT)
COLUMNS["bytes"][1].extend([t.encode() for t in TRICKY_TEXT] + [b"\xff,\"\n\xfe"])
TEXTISH = {"ascii", "unicode", "bytes", "json", "pickle"}  # None and "" differ by quotes

ALLTYPES = '''
import pickle

from accel import InputFile

description = "Every column type with its edge values, a row of None, over two slices."
options = dict(valuefile=InputFile())


def synthesis(job):
    with open(options.valuefile, "rb") as f:
        columns = pickle.load(f)
    dw = job.datasetwriter(allow_missing_slices=True)  # (slice 2 is left empty)
    for name, (typ, _) in columns.items():
        dw.add(name, typ, none_support=True)
    n = max(len(v) for _, v in columns.values())
    rows = [[v[i] if i < len(v) else None for _, v in columns.values()] for i in range(n)]
    rows.append([None] * len(columns))
    for sliceno, part in enumerate((rows[: n // 2], rows[n // 2:])):
        dw.set_slice(sliceno)
        for row in part:
            dw.write(*row)
'''

MANY = '''
description = "Rows numbered 0.. over three slices of different lengths."
options = dict(dsname="default")
LINES = (1000, 700, 800)


def synthesis(job):
    dw = job.datasetwriter(name=options.dsname, columns={"i": "int64", "s": "unicode"})
    first = 0
    for sliceno, n in enumerate(LINES):
        dw.set_slice(sliceno)
        for i in range(first, first + n):
            dw.write(i, f"row {i}")
        first += n
'''

EMPTY = '''
description = "A dataset with columns and no rows."


def synthesis(job):
    dw = job.datasetwriter(columns={"x": "int64", "s": "unicode"}, allow_missing_slices=True)
    dw.set_slice(0)
'''

FIT = '''
description = "A fit of a sweep."
options = dict(alpha=0.0, depth=1)


def synthesis(options):
    return options.alpha * options.depth
'''

NOTE = '''
description = "Notes a depth."
options = dict(depth=1)


def synthesis(options):
    return options.depth
'''

BUILD = '''
def main(urd):
    urd.build("alltypes", valuefile=VALUES)                # dev-1
    urd.build("many")                                      # dev-2
    urd.build("empty")                                     # dev-3
    urd.build("many", dsname="victim")                     # dev-4: damaged by a test
    urd.begin("sweep", "2024-01-01")
    urd.build("fit", alpha=0.1, depth=3)                   # dev-5
    urd.finish("sweep")
    urd.begin("sweep", "2024-01-02")
    urd.build("fit", alpha=0.5, depth=3)                   # dev-6
    urd.build("note", depth=4)                             # dev-7
    urd.finish("sweep")
'''

MANY_ROWS = 2500


def make_project(root: Path) -> Path:
    """The project the data tests share (HTTP and browser): built with one `ax run`."""
    proj = Project(root, slices=3)
    for name, text in (("alltypes", ALLTYPES), ("many", MANY), ("empty", EMPTY),
                       ("fit", FIT), ("note", NOTE)):
        proj.method(name, text)
    values = root / "values.pickle"
    values.write_bytes(pickle.dumps(COLUMNS))
    proj.build(BUILD.replace("VALUES", repr(str(values))))
    ax(root, "run")
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("boarddata") / "proj")


@pytest.fixture(scope="module")
def board(project: Path):
    yield from serving(project)


def fetch(board: BoardProcess, path: str, method: str = "GET"):
    """(status, headers, body) of a request, the headers as sent."""
    req = urllib.request.Request(board.url + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


# --- what the rows are, and reading them back ------------------------------------------------


def expected_rows() -> dict[str, list]:
    """Column -> the values the dataset holds, in row order (float32 and complex32 rounded
    as their type rounds them; short columns padded with None; a last row of None)."""
    n = max(len(v) for _, v in COLUMNS.values())
    out = {}
    for name, (typ, values) in COLUMNS.items():
        col = [*values, *[None] * (n - len(values)), None]
        if typ == "float32":
            col = [None if v is None else float(np.float32(v)) for v in col]
        if typ == "complex32":
            col = [None if v is None else complex(np.complex64(v)) for v in col]
        out[name] = col
    return out


def _csv_value(typ: str, text: str):
    if typ in ("int32", "int64"):
        return int(text)
    if typ == "float64":
        return float(text)
    if typ == "float32":
        return float(np.float32(text))
    if typ == "number":
        return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
    if typ == "complex64":
        return complex(text)
    if typ == "complex32":
        return complex(np.complex64(complex(text)))
    if typ == "bool":
        return {"True": True, "False": False}[text]
    if typ in ("date", "time", "datetime"):
        return {"date": date, "time": time, "datetime": datetime}[typ].fromisoformat(text)
    if typ == "bytes":
        return text.encode("utf-8", "surrogateescape")
    if typ == "json":
        return json.loads(text)
    return text  # ascii, unicode, pickle (its repr)


def check_csv(data: bytes) -> None:
    """The CSV download holds exactly the dataset's values: read with Python's csv module
    (None and "" both read as "" there: polars, which tells them apart, says which)."""
    text = data.decode("utf-8", "surrogateescape")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    want = expected_rows()
    assert header == list(COLUMNS)
    nulls = pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8-lossy")
    assert nulls.columns == header and nulls.height == len(body)
    for j, name in enumerate(header):
        typ = COLUMNS[name][0]
        is_null = nulls[name].is_null().to_list()
        for i, row in enumerate(body):
            v = want[name][i]
            if typ in TEXTISH:
                assert is_null[i] == (v is None), (name, i, row[j])
            if v is None:
                assert row[j] == "", (name, i)
            elif typ == "pickle":
                assert row[j] == repr(v), (name, i)
            else:
                got = _csv_value(typ, row[j])
                assert same(got, v) or (typ == "json" and got == v), (name, i, row[j], v)


def _arrow_value(typ: str, v):
    if v is None:
        return None
    if typ.startswith("complex"):
        return complex(v["real"], v["imag"])
    if typ == "number":
        if v["bigint"] is not None:
            return int(v["bigint"])
        return v["int"] if v["int"] is not None else v["float"]
    if typ == "json":
        return json.loads(v)
    if typ == "pickle":
        return pickle.loads(v)
    return v


def check_parquet(data: bytes) -> None:
    """The Parquet download keeps the types (those of accel's own files, named in each
    field's metadata) and exactly the values; polars reads it too."""
    from accel.dataset.arrowtypes import arrow_type

    table = pq.read_table(io.BytesIO(data))
    want = expected_rows()
    assert table.column_names == list(COLUMNS)
    for name, (typ, _) in COLUMNS.items():
        field = table.schema.field(name)
        assert field.type == arrow_type(typ), name
        assert field.metadata[b"accel.type"] == typ.encode()
        got = [_arrow_value(typ, v) for v in table.column(name).to_pylist()]
        assert len(got) == len(want[name])
        for g, v in zip(got, want[name], strict=True):
            assert same(g, v) or (typ == "json" and g == v), (name, g, v)
    frame = pl.read_parquet(io.BytesIO(data))
    assert frame.height == table.num_rows and frame.schema["int32"] == pl.Int32


# --- paging ----------------------------------------------------------------------------------


def test_a_page_far_into_a_dataset_shows_those_rows_numbered(board: BoardProcess) -> None:
    page = board.json("/ds/dev-2?start=995&rows=10")["page"]
    assert (page["first_row"], page["per_page"], page["total"]) == (995, 10, MANY_ROWS)
    # across the end of slice 0 (1000 rows) into slice 1
    assert [r["i"] for r in page["rows"]] == list(range(995, 1005))
    assert page["rows"][5] == {"i": 1000, "s": "row 1000"}
    _, _, body = board.get("/ds/dev-2?start=995&rows=10")
    assert "rows 995–1,004 of 2,500 rows" in body
    assert '<td class="num">1,004</td><td class="num">1004</td><td>row 1004</td>' in body
    links = dict(re.findall(r'<a href="(/job/dev-2/ds/default\?[^"]*)">(\w+)</a>', body))
    assert {v: k.replace("&amp;", "&") for k, v in links.items()} == {
        "first": "/job/dev-2/ds/default?start=0&rows=10",
        "previous": "/job/dev-2/ds/default?start=985&rows=10",
        "next": "/job/dev-2/ds/default?start=1005&rows=10",
        "last": "/job/dev-2/ds/default?start=2490&rows=10"}


def test_the_first_and_last_pages_link_only_onwards(board: BoardProcess) -> None:
    _, _, body = board.get("/job/dev-2/ds/default")  # the first 20 rows, as before
    assert "rows 0–19 of 2,500 rows" in body and '<span class="off">previous</span>' in body
    assert board.json("/ds/dev-2")["page"]["rows"][0] == {"i": 0, "s": "row 0"}
    _, _, body = board.get("/job/dev-2/ds/default?start=2495")
    assert "rows 2,495–2,499 of 2,500 rows" in body
    assert '<span class="off">next</span>' in body and '<span class="off">last</span>' in body
    assert [r["i"] for r in board.json("/ds/dev-2?start=2495")["page"]["rows"]] == \
        list(range(2495, 2500))
    data = board.json("/ds/dev-2?rows=1000&start=1")
    assert len(data["page"]["rows"]) == 1000 and data["page"]["rows"][-1]["i"] == 1000


@pytest.mark.parametrize("query, named", [
    ("start=2500", "start=2500 is past the last row: dev-2/default has 2,500 rows (start is 0..2499)"),
    ("start=99999999999", "start=99999999999 is past the last row"),
    ("start=-1", "start=-1 is out of range: a row number is 0 or more"),
    ("start=ten", "start='ten' is not a row number (a whole number, 0 or more)"),
    ("start=1.5", "start='1.5' is not a row number"),
    ("rows=0", "rows=0 is out of range: a number of rows is 1..1000"),
    ("rows=1001", "rows=1001 is out of range: a number of rows is 1..1000"),
    ("rows=lots", "rows='lots' is not a number of rows (a whole number, 1..1000)"),
])
def test_a_bad_page_is_a_400_saying_what_is_wrong(board: BoardProcess, query: str,
                                                   named: str) -> None:
    status, ctype, body = board.get("/ds/dev-2?" + query)
    assert status == 400 and ctype.startswith("text/html")
    assert named.replace("'", "&#x27;") in body, body
    data = json.loads(board.get("/ds/dev-2?" + query, accept="application/json")[2])
    assert data["status"] == 400 and named in data["error"]


def test_an_empty_dataset_has_no_rows_and_downloads_as_its_columns(board: BoardProcess) -> None:
    status, _, body = board.get("/ds/empty")
    assert status == 200 and "<h2>no rows</h2>" in body
    assert board.json("/ds/empty?start=0")["page"]["rows"] == []
    status, _, body = board.get("/ds/empty?start=1")
    assert status == 400 and "start=1 is past the last row: dev-3/default has 0 rows (it has none)" in body
    status, _, data = fetch(board, "/job/dev-3/ds/default/download.csv")
    assert (status, data) == (200, b"x,s\n")
    status, _, data = fetch(board, "/job/dev-3/ds/default/download.parquet")
    table = pq.read_table(io.BytesIO(data))
    assert status == 200 and table.num_rows == 0 and table.column_names == ["x", "s"]


# --- downloads -------------------------------------------------------------------------------


def test_the_dataset_page_links_its_downloads(board: BoardProcess) -> None:
    _, _, body = board.get("/ds/alltypes")
    assert '<a href="/job/dev-1/ds/default/download.csv">CSV</a>' in body
    assert '<a href="/job/dev-1/ds/default/download.parquet">Parquet</a>' in body


def test_csv_download_reads_back_exactly(board: BoardProcess) -> None:
    status, headers, data = fetch(board, "/job/dev-1/ds/default/download.csv")
    assert status == 200 and headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == 'attachment; filename="dev-1_default.csv"'
    assert headers["Transfer-Encoding"] == "chunked"
    check_csv(data)
    # the same through /ds/REF, by the method's name
    assert fetch(board, "/ds/alltypes/download.csv")[2] == data


def test_parquet_download_keeps_the_types(board: BoardProcess) -> None:
    status, headers, data = fetch(board, "/job/dev-1/ds/default/download.parquet")
    assert status == 200 and headers["Content-Type"] == "application/vnd.apache.parquet"
    assert headers["Content-Disposition"] == 'attachment; filename="dev-1_default.parquet"'
    check_parquet(data)
    table = pq.read_table(io.BytesIO(fetch(board, "/ds/dev-2/download.parquet")[2]))
    assert table.column("i").to_pylist() == list(range(MANY_ROWS))


def test_a_download_streams_in_pieces(board: BoardProcess) -> None:
    """Chunked: the rows go out a chunk at a time (at least one per slice), not made whole
    first; HEAD says what a GET would send without making it."""
    conn = http.client.HTTPConnection(board.url.removeprefix("http://"), timeout=60)
    conn.request("GET", "/ds/dev-2/download.csv")
    resp = conn.getresponse()
    assert resp.getheader("Transfer-Encoding") == "chunked"
    pieces = []
    while piece := resp.read1(1 << 20):
        pieces.append(piece)
    conn.close()
    lines = b"".join(pieces).decode().splitlines()
    assert lines[0] == "i,s" and lines[1:] == [f"{i},row {i}" for i in range(MANY_ROWS)]
    status, headers, body = fetch(board, "/ds/dev-2/download.parquet", method="HEAD")
    assert status == 200 and body == b"" and "dev-2_default.parquet" in headers["Content-Disposition"]


def test_the_pieces_are_bounded_whatever_the_size(new_job, monkeypatch) -> None:
    """In one process: a big dataset's CSV comes as many small pieces, its Parquet a row
    group at a time (so the board holds a piece, never the file)."""
    from conftest import write_dataset

    from accel.board import downloads
    from accel.dataset import parquetout

    job = new_job(2)
    rows = [(i, f"value {i}") for i in range(30_000)]
    write_dataset(job, {"i": "int64", "s": "unicode"}, [rows[:20_000], rows[20_000:]])
    ds = job.dataset()
    pieces = list(downloads.csv_pieces(ds))
    assert len(pieces) >= 30_000 // 4096 and max(map(len, pieces)) < 100_000
    assert b"".join(pieces).count(b"\n") == 30_001
    monkeypatch.setattr(parquetout, "GROUP_ROWS", 5000)
    pieces = list(downloads.parquet_pieces(ds))  # (read 16 Ki rows at a time)
    whole = b"".join(pieces)
    assert len(pieces) == 3 and max(map(len, pieces)) < len(whole) * 0.7
    assert pq.ParquetFile(io.BytesIO(whole)).metadata.num_row_groups == 2
    assert pq.read_table(io.BytesIO(whole)).column("i").to_pylist() == list(range(30_000))


def test_a_missing_dataset_is_404_not_a_file(board: BoardProcess) -> None:
    status, headers, body = fetch(board, "/job/dev-2/ds/nope/download.csv")
    assert status == 404 and "Content-Disposition" not in headers
    assert b"no dataset &#x27;nope&#x27; in job dev-2" in body
    assert fetch(board, "/job/dev-5/ds/default/download.parquet")[0] == 404


def test_a_download_cut_short_by_damage_is_seen_as_cut_short(board: BoardProcess,
                                                             project: Path) -> None:
    """A slice file damaged after the download began: the client gets no final chunk, so
    it knows the file is incomplete, and the board says why on its stderr."""
    files = sorted((project / "workdirs/dev/dev-4/datasets/victim").glob("0002.*"))
    files[0].write_bytes(files[0].read_bytes()[:-10])
    conn = http.client.HTTPConnection(board.url.removeprefix("http://"), timeout=60)
    conn.request("GET", "/job/dev-4/ds/victim/download.csv")
    resp = conn.getresponse()
    assert resp.status == 200
    with pytest.raises(http.client.IncompleteRead):
        resp.read()
    conn.close()
    assert "download cut short" in board.err.read_text()
    assert "truncated" in board.err.read_text()


# --- methods' source, and jobs' ---------------------------------------------------------------


def test_a_method_page_shows_its_source_with_line_numbers(board: BoardProcess,
                                                          project: Path) -> None:
    text = (project / "methods" / "a_fit.py").read_text()
    data = board.json("/method/fit")
    assert data["source"]["text"] == text
    assert data["source"]["source_hash"] == ax_json(project, "method", "fit")["source_hash"]
    _, _, body = board.get("/method/fit")
    assert '<pre class="source" id="source">' in body
    lines = text.splitlines()
    n = lines.index("def synthesis(options):") + 1
    assert f'<span class="ln">{n:>{len(str(len(lines)))}}  </span>def synthesis(options):' in body


def test_a_jobs_source_says_whether_it_changed(board: BoardProcess, project: Path) -> None:
    _, _, body = board.get("/job/dev-7")
    assert 'href="/job/dev-7/source"' in body
    _, _, body = board.get("/job/dev-7/source")
    assert "dev-7 was built from this source: the same source hash" in body
    assert "def synthesis(options):" in body
    path = project / "methods" / "a_note.py"
    before = path.read_text()
    try:
        path.write_text(before.replace("return options.depth", "return options.depth * 2"))
        data = board.json("/job/dev-7/source")
        assert not data["compared"]["same"]
        assert data["compared"]["files"][0]["how"] == "changed"
        _, _, body = board.get("/job/dev-7/source")
        assert "the source has changed since dev-7 was built" in body
        assert "methods/a_note.py" in body and "return options.depth * 2" in body
    finally:
        path.write_text(before)
    assert board.json("/job/dev-7/source")["compared"]["same"]


# --- option columns ----------------------------------------------------------------------------


def test_the_method_page_shows_options_as_columns(board: BoardProcess) -> None:
    _, _, body = board.get("/method/fit?columns=alpha,depth")
    assert "<th>job</th><th>alpha</th><th>depth</th><th>status</th>" in body
    assert '<a href="/job/dev-6">dev-6</a></td><td>0.5</td><td>3</td>' in body
    assert '<a href="/job/dev-5">dev-5</a></td><td>0.1</td><td>3</td>' in body
    assert 'name="columns" value="alpha,depth"' in body
    assert board.json("/method/fit?columns=alpha&columns=depth")["columns"] == ["alpha", "depth"]
    _, _, body = board.get("/method/fit")
    assert "<th>job</th><th>status</th>" in body and 'name="columns" value=""' in body


def test_an_urd_list_shows_options_as_columns(board: BoardProcess) -> None:
    _, _, body = board.get("/urd/sweep?columns=alpha,depth")
    assert "<th>caption</th><th>alpha</th><th>depth</th><th>user</th>" in body
    # newest first; two jobs of an entry that disagree are told apart
    assert "<td>0.5</td><td>dev-6: 3, dev-7: 4</td>" in body
    assert "<td>0.1</td><td>3</td>" in body
    assert 'action="/urd/sweep"' in body and 'name="columns" value="alpha,depth"' in body
    entries = board.json("/urd/sweep?columns=depth")["entries"]
    assert entries[1]["options"][1][0] == "dev-7"
    assert "options" not in board.json("/urd/sweep")["entries"][0]


def test_a_runs_job_list_shows_options_as_columns(board: BoardProcess) -> None:
    run = board.json("/runs")["runs"][0]["run"]
    _, _, body = board.get(f"/run/{run}?method=fit&columns=alpha,depth")
    assert "<th>job</th><th>method</th><th>alpha</th><th>depth</th><th>in this run</th>" in body
    assert '<a href="/job/dev-6">dev-6</a></td><td>fit</td><td>0.5</td><td>3</td>' in body
    # the form keeps the page's method when it asks for other columns
    assert '<input type="hidden" name="method" value="fit">' in body
    assert f'<a href="/run/{run}?method=fit">none</a>' in body
    rows = board.json(f"/run/{run}?columns=depth")["job_rows"]
    assert {r["job"]: r["options"].get("depth") for r in rows}["dev-7"] == 4


def test_the_data_pages_write_nothing(board: BoardProcess, project: Path) -> None:
    from test_board import snapshot

    before = snapshot(project / "workdirs")
    for path in ("/ds/dev-2?start=100", "/ds/alltypes/download.csv", "/ds/dev-2/download.parquet",
                 "/method/fit", "/job/dev-5/source", "/urd/sweep?columns=alpha"):
        assert fetch(board, path)[0] == 200, path
    assert snapshot(project / "workdirs") == before
