"""ax board, run as a user runs it: a real `ax board` process on a project that has been
built, its pages fetched over HTTP.

One project is built once for the module (a finished job with options and output, a
failed job, a csvimport and a dataset_type job, an urd list) and one board serves it for
the module's tests; tests that stop or start boards of their own say so.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from boards import BoardProcess as Board
from boards import serving
from conftest import AX, Project, ax, ax_json, cli_env, one_error_line, wait_for

METHODS = {
    "a_greet.py": '''
        description = """Greet <someone>, slice by slice."""

        options = dict(who="world", count=int)


        def prepare(options):
            print(f"preparing greeting for {options.who}")
            return options.who


        def analysis(sliceno, prepare_res):
            print(f"slice {sliceno} says hi to {prepare_res}")
            return 1


        def synthesis(job, analysis_res):
            with job.open("notes/hello.txt", "w") as f:
                f.write("hello from the job\\n")
            return analysis_res.merge_auto()
    ''',
    "a_slow.py": '''
        import time
        from pathlib import Path

        description = "Waits while the file `hold` exists (a minute at most)."
        options = dict(hold=str)


        def prepare(options):
            print("holding", flush=True)
            deadline = time.time() + 60
            while Path(options.hold).exists() and time.time() < deadline:
                time.sleep(0.02)
    ''',
    "a_fail.py": '''
        description = "Fails in analysis slice 1."


        def analysis(sliceno):
            if sliceno == 1:
                raise ValueError("slice one is <broken>")
    ''',
}

BUILD = '''
def main(urd):
    urd.begin("nightly", "2024-01-01", caption="first <night>")
    urd.build("greet", who="<b>there</b>", count=3)                 # dev-1
    imp = urd.build("csvimport", filename="data.csv")                # dev-2
    urd.build("dataset_type", source=imp, column2type={"n": "int64_10"})   # dev-3
    urd.finish("nightly")
'''

BUILD_FAIL = '''
def main(urd):
    urd.build("fail")                                               # dev-4
'''

BUILD_MORE = '''
def main(urd):
    urd.build("greet", who="later")
'''

BUILD_SLOW = '''
import os


def main(urd):
    # a method runs in its job directory: the file is named from the project's folder
    urd.build("slow", hold=os.path.abspath("hold"))
'''

CSV = "name,n\nalice,10\nbob,-2\ncarol,7\n"


def make_project(root: Path) -> Path:
    proj = Project(root, slices=2)
    for name, text in METHODS.items():
        proj.method(name.removeprefix("a_").removesuffix(".py"), text)
    proj.build(BUILD)
    proj.build(BUILD_FAIL, "fail")
    proj.build(BUILD_MORE, "more")
    proj.build(BUILD_SLOW, "slow")
    proj.file("data.csv", CSV)
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("board") / "proj")
    ax(root, "run")
    ax(root, "run", "fail", rc=1)
    (root / "secret.txt").write_text("not for the board\n")
    job = root / "workdirs" / "dev" / "dev-1"
    os.symlink(root / "secret.txt", job / "leak.txt")  # a link out of the job directory
    os.symlink("notes/hello.txt", job / "inside.txt")  # a link that stays inside
    return root


@pytest.fixture(scope="module")
def board(project: Path):
    yield from serving(project)


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root with its type, size and mtime."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            found[p] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return found


# --- pages ---------------------------------------------------------------------------------


def test_front_page_lists_the_jobs_with_status_and_links(board: Board) -> None:
    status, ctype, body = board.get("/")
    assert status == 200 and ctype.startswith("text/html")
    for text in ('href="/job/dev-1"', 'href="/job/dev-4"', "greet", "csvimport", "dataset_type",
                 "failed", "finished", "nothing runs now",
                 "ValueError: slice one is &lt;broken&gt;"):
        assert text in body, text
    assert "<script" not in body


def test_front_page_filters_by_method_and_status(board: Board) -> None:
    _, _, body = board.get("/?status=failed")
    assert 'href="/job/dev-4"' in body and 'href="/job/dev-1"' not in body
    _, _, body = board.get("/?method=greet")
    assert 'href="/job/dev-1"' in body and 'href="/job/dev-2"' not in body
    data = board.json("/?method=csvimport,dataset_type")
    assert [j["job"] for j in data["jobs"]] == ["dev-3", "dev-2"]
    assert data["running"] == []
    # the form sent with empty fields filters nothing
    data = board.json("/?method=&status=&since=&limit=")
    assert {"dev-1", "dev-4"} <= {j["job"] for j in data["jobs"]} and data["filters"] == {}
    status, _, body = board.get("/?status=bogus")
    assert status == 400 and "no status &#x27;bogus&#x27;" in body


def test_front_page_shows_options_as_columns(board: Board) -> None:
    """?columns=a,b as `ax jobs --columns a,b`: a column of each option's value, so the jobs
    of a sweep are told apart (issue 14, surprise 7); the form keeps what was asked."""
    _, _, body = board.get("/?method=greet&columns=who,count")
    assert "<th>method</th><th>who</th><th>count</th><th>status</th>" in body, body
    assert "<td>&#x27;&lt;b&gt;there&lt;/b&gt;&#x27;</td><td>3</td>" in body  # escaped
    assert 'name="columns" value="who,count"' in body
    data = board.json("/?method=greet&columns=who,count")
    assert data["columns"] == ["who", "count"] and data["filters"] == {"method": ["greet"]}
    assert data["jobs"][-1]["options"] == {"who": "<b>there</b>", "count": 3}
    _, _, body = board.get("/?method=greet")
    assert "<th>method</th><th>status</th>" in body


def test_job_page_shows_options_status_files_and_output(board: Board, project: Path) -> None:
    status, _, body = board.get("/job/dev-1")
    assert status == 200
    for text in ("job dev-1", "finished", 'href="/method/greet"', "who", "&#x27;&lt;b&gt;there&lt;/b&gt;&#x27;",
                 "count", "methods/a_greet.py", "timings", "slice 1", "synthesis",
                 'href="/job/dev-1/file/notes/hello.txt"',
                 "preparing greeting for &lt;b&gt;there&lt;/b&gt;", "slice 0 says hi",
                 "<h2>result</h2><pre>2</pre>"):
        assert text in body, text
    assert "<b>there</b>" not in body  # escaped everywhere
    # the same job by method name, and as JSON matching `ax job --json`
    data = board.json("/job/dev-1")
    assert board.json("/job/greet") == data
    cli = ax_json(project, "job", "dev-1")
    for key in ("job", "status", "method", "params", "post"):
        assert data[key] == cli[key], key
    assert data["output"]["prepare"] == "preparing greeting for <b>there</b>\n"
    assert data["result"]["repr"] == "2"
    assert {"name": "notes/hello.txt", "size": "19 B"} in data["files"]


def test_json_by_accept_header(board: Board) -> None:
    status, ctype, body = board.get("/job/dev-1", accept="application/json")
    assert status == 200 and ctype.startswith("application/json")
    assert json.loads(body) == board.json("/job/dev-1")
    # a browser's Accept gets HTML
    _, ctype, _ = board.get("/job/dev-1", accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert ctype.startswith("text/html")


def test_failed_job_shows_its_error_and_traceback(board: Board) -> None:
    _, _, body = board.get("/job/dev-4")
    for text in ("failed", "error in analysis slice 1", "ValueError: slice one is &lt;broken&gt;",
                 "a_fail.py", "raise ValueError"):
        assert text in body, text
    err = board.json("/job/dev-4")["post"]["error"]
    assert err["part"] == "analysis slice 1" and err["exception"] == "ValueError"


def test_job_inputs_link_to_their_jobs(board: Board) -> None:
    _, _, body = board.get("/job/dev-3")
    assert 'href="/ds/dev-2"' in body or 'href="/ds/dev-2/default"' in body
    assert 'href="/job/dev-3/ds/default"' in body


def test_dataset_page_shows_columns_and_first_rows(board: Board, project: Path) -> None:
    status, _, body = board.get("/ds/dev-3")
    assert status == 200
    for text in ("dataset dev-3/default", "int64", "name", "alice", "bob", "carol", "-2",
                 "hashlabel", 'href="/job/dev-3"'):
        assert text in body, text
    data = board.json("/ds/dev-3")
    cli = ax_json(project, "ds", "dev-3")
    for key in ("dataset", "columns", "lines", "total_lines", "hashlabel", "chain"):
        assert data[key] == cli[key], key
    n = next(c for c in data["columns"] if c["name"] == "n")
    assert (n["type"], n["min"], n["max"]) == ("int64", -2, 10)
    assert data["page"]["rows"] == [json.loads(line) for line in
                                    ax(project, "cat", "dev-3", "-f", "json").stdout.splitlines()]
    # the same dataset through its job, and the csvimport one
    assert board.get("/job/dev-3/ds/default")[0] == 200
    _, _, body = board.get("/ds/dev-2/default")
    assert "alice" in body and "csvimport" in body


def test_urd_lists_and_entries(board: Board) -> None:
    _, _, body = board.get("/urd")
    assert 'href="/urd/nightly"' in body and "first &lt;night&gt;" in body
    _, _, body = board.get("/urd/nightly")
    for text in ("2024-01-01", "first &lt;night&gt;", 'greet=<a href="/job/dev-1">dev-1</a>',
                 'dataset_type=<a href="/job/dev-3">dev-3</a>'):
        assert text in body, text
    entries = board.json("/urd/nightly")["entries"]
    assert [(e["timestamp"], e["joblist"]) for e in entries] == [
        ("2024-01-01", [["greet", "dev-1"], ["csvimport", "dev-2"], ["dataset_type", "dev-3"]])]
    assert board.json("/urd")[0]["name"] == "nightly"
    assert board.json("/job/:nightly:")["job"] == "dev-3"


def test_methods_and_one_method(board: Board) -> None:
    _, _, body = board.get("/method")
    assert 'href="/method/greet"' in body and "csvimport" in body
    _, _, body = board.get("/method/greet")
    for text in ("Greet &lt;someone&gt;", "who", "count", 'href="/job/dev-1"'):
        assert text in body, text
    data = board.json("/method/greet")
    assert list(data["options"]) == ["who", "count"]
    _, _, body = board.get("/method/dataset_type")
    assert "dataset inputs" in body and "datasets inputs" not in body
    # a description longer than a row: cut after a word, and saying so
    _, _, body = board.get("/method")
    assert "(default: all) of a dataset, to…" in body
    assert [j["job"] for j in data["recent_jobs"]][-1] == "dev-1"


# --- files ---------------------------------------------------------------------------------


def test_a_jobs_file_is_served_as_it_is(board: Board) -> None:
    status, ctype, body = board.get("/job/dev-1/file/notes/hello.txt")
    assert (status, body) == (200, "hello from the job\n")
    assert ctype.startswith("text/plain")
    assert board.get("/job/dev-1/file/inside.txt")[2] == "hello from the job\n"
    assert board.get("/job/dev-1/file/output/prepare.txt")[2].startswith("preparing greeting")
    status, ctype, _ = board.get("/job/dev-1/file/result.pickle")
    assert status == 200 and ctype == "application/octet-stream"


@pytest.mark.parametrize("path", [
    "/job/dev-1/file/../../x",
    "/job/dev-1/file/../dev-2/setup.json",
    "/job/dev-1/file/%2e%2e/%2e%2e/%2e%2e/accelerator.conf",
    "/job/dev-1/file/..%2f..%2f..%2faccelerator.conf",
    "/job/dev-1/file//etc/passwd",
    "/job/dev-1/file/%2fetc%2fpasswd",
    "/job/dev-1/file/leak.txt",
    "/job/dev-1/file/notes",
    "/job/dev-1/file/no-such-file",
])
def test_nothing_outside_the_job_directory(board: Board, path: str) -> None:
    status, _, body = board.get(path)
    assert status == 404, path
    assert "not for the board" not in body and "root:" not in body


# --- not there, errors ---------------------------------------------------------------------


@pytest.mark.parametrize("path, named", [
    ("/job/dev-99", "dev-99"),
    ("/job/nosuchmethod", "nosuchmethod"),
    ("/ds/dev-1", "dev-1"),
    ("/ds/dev-3/nope", "nope"),
    ("/urd/nope", "nope"),
    ("/method/nope", "nope"),
    ("/no/such/page", "/no/such/page"),
])
def test_unknown_things_are_404_naming_them(board: Board, path: str, named: str) -> None:
    status, ctype, body = board.get(path)
    assert status == 404 and ctype.startswith("text/html")
    assert named in body
    data = json.loads(board.get(path, accept="application/json")[2])
    assert data["status"] == 404 and named in data["error"]


@pytest.mark.parametrize("path", ["/job/..", "/job/...", "/job/a%20b"])
def test_a_malformed_reference_is_400_naming_it(board: Board, path: str) -> None:
    status, ctype, body = board.get(path)
    assert status == 400 and ctype.startswith("text/html")
    assert "bad job reference" in body
    data = json.loads(board.get(path, accept="application/json")[2])
    assert data["status"] == 400 and "bad job reference" in data["error"]


def test_a_failing_page_is_500_and_the_server_goes_on(project: Path, monkeypatch) -> None:
    from accel.board.server import make_server
    from accel.config import load_config

    server = make_server(load_config(project / "accelerator.conf"), "127.0.0.1", 0)

    def broken():
        raise RuntimeError("the page broke")

    monkeypatch.setattr(server.board, "urd_lists", broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = server.url.rstrip("/")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url + "/urd", timeout=60)
        assert e.value.code == 500 and "the page broke" in e.value.read().decode()
        with urllib.request.urlopen(url + "/urd/nightly", timeout=60) as r:
            assert r.status == 200
    finally:
        server.shutdown()
        server.server_close()


# --- while builds run ----------------------------------------------------------------------


def test_the_board_writes_nothing_into_the_workdirs(board: Board, project: Path) -> None:
    before = snapshot(project / "workdirs")
    for path in ("/", "/job/dev-1", "/job/greet", "/job/dev-4", "/job/dev-1/file/notes/hello.txt",
                 "/ds/dev-3", "/urd", "/urd/nightly", "/method", "/method/greet",
                 "/job/dev-99", "/job/:nightly:", "/job/greet~1"):
        board.get(path)
    assert snapshot(project / "workdirs") == before


def test_a_new_job_appears_on_reload(board: Board, project: Path) -> None:
    assert "later" not in board.get("/?method=greet")[2]
    ax(project, "run", "more")
    jobs = board.json("/?method=greet")["jobs"]
    newest = jobs[0]["job"]
    assert newest != "dev-1" and jobs[0]["options"]["who"] == "later"
    assert "later" in board.get("/job/" + newest)[2]
    assert board.json("/job/greet")["job"] == newest


def test_a_running_job_is_shown_as_running(board: Board, project: Path) -> None:
    hold = project / "hold"
    hold.write_text("")
    build = subprocess.Popen([*AX, "run", "slow"], cwd=project, env=cli_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # (a job is listed from the moment it is registered, a moment before its
        # setup.json names its method: wait for that)
        running = wait_for(lambda: [r for r in board.json("/")["running"] if r["method"]],
                           what="a running job, set up", proc=build)
        jobid = running[0]["job"]
        assert running[0]["method"] == "slow"
        _, _, body = board.get("/")
        assert f'href="/job/{jobid}"' in body.split("jobs, newest first")[0]
        wait_for(lambda: "holding" in board.json("/job/" + jobid)["output"].get("prepare", ""),
                 what="the running job's output", proc=build)
        _, _, body = board.get("/job/" + jobid)
        assert 'st-running' in body and "holding" in body
    finally:
        hold.unlink()
        build.wait(timeout=120)
    assert build.returncode == 0
    assert board.json("/job/" + jobid)["status"] == "finished"
    assert board.json("/")["running"] == []


def test_an_empty_project_is_shown_and_left_as_it_was(tmp_path: Path) -> None:
    root = make_project(tmp_path / "empty")
    before = snapshot(root)
    b = Board(root, "--listen", "127.0.0.1:0")
    try:
        assert "no jobs yet" in b.get("/")[2]
        assert "no urd lists yet" in b.get("/urd")[2]
        assert b.get("/job/greet")[0] == 404
        assert b.get("/method/greet")[0] == 200
    finally:
        assert b.stop() == 0
    assert snapshot(root) == before


# --- starting and stopping -----------------------------------------------------------------


def test_ctrl_c_stops_it_cleanly(project: Path) -> None:
    b = Board(project, "--listen", "127.0.0.1:0")
    try:
        assert b.get("/")[0] == 200
    finally:
        rc = b.stop()
    assert rc == 0
    assert "Traceback" not in b.err.read_text()
    lines = [line for line in b.out.read_text().splitlines() if line.strip()]
    assert len(lines) == 1 and "127.0.0.1:" in lines[0]


def test_sigterm_stops_it_cleanly_too(project: Path) -> None:
    b = Board(project, "--listen", "127.0.0.1:0")
    b.proc.send_signal(signal.SIGTERM)
    assert b.proc.wait(timeout=60) == 0
    assert "Traceback" not in b.err.read_text()


def test_a_busy_port_is_one_line_and_exit_2(project: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = subprocess.run([*AX, "board", "--listen", f"127.0.0.1:{port}"], cwd=project,
                           capture_output=True, text=True, env=cli_env(), timeout=60)
    assert p.returncode == 2
    line = one_error_line(p, ("ax: ",))
    assert f"127.0.0.1:{port}" in line and "Traceback" not in p.stderr


@pytest.mark.parametrize("value", ["nonsense", "127.0.0.1:99999", "127.0.0.1:", "host:port"])
def test_a_bad_listen_value_is_one_line_and_exit_2(project: Path, value: str) -> None:
    p = subprocess.run([*AX, "board", "--listen", value], cwd=project, capture_output=True,
                       text=True, env=cli_env(), timeout=60)
    assert p.returncode == 2
    assert value in one_error_line(p, ("ax: --listen",))


def test_the_configs_board_listen_is_the_default(tmp_path: Path) -> None:
    root = make_project(tmp_path / "conf")
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(root / "accelerator.conf", "a") as f:
        f.write(f"board listen: 127.0.0.1:{port}\n")
    b = Board(root)
    try:
        assert b.url == f"http://127.0.0.1:{port}"
        assert b.get("/")[0] == 200
    finally:
        assert b.stop() == 0


def test_help_does_not_load_the_board() -> None:
    code = ("import sys; from accel.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('LOADED' if any(m.startswith('accel.board') for m in sys.modules) else 'LIGHT')")
    p = subprocess.run([*AX[:1], "-c", code], capture_output=True, text=True, env=cli_env(),
                       timeout=60)
    assert "board" in p.stdout and p.stdout.strip().endswith("LIGHT"), p.stdout + p.stderr
