"""The board's lineage, fetched over HTTP from a real `ax board`: a job's inputs and the
jobs that use it, the runs (one row per `ax run`, kept as history), the graph of a run,
and the live part of a running job's page.

One project is built for the module (a run of build_sub.py, whose job builds two
subjobs; three runs of build.py, one failing run of build_fail.py) and one board serves
it; the graph layout itself is tested on its own.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from boards import BoardProcess as Board
from boards import serving
from conftest import AX, Project, ax, cli_env, wait_for
from test_board import BUILD_SLOW, METHODS

SLOW = METHODS["a_slow.py"]  # holds while the file `hold` is there

MAKE = '''
options = dict(n=0)


def synthesis(options):
    return options.n
'''

USE = '''
options = dict(n=0)
jobs = ("src",)


def synthesis(options):
    return options.n
'''

READ = '''
options = dict(path=str)


def synthesis(options):
    return options.path
'''

PARENT = '''
options = dict(tag=0)


def synthesis():
    from accel import subjobs

    return [subjobs.build("make", n=n) for n in (7, 8)]
'''

FAIL = '''
def synthesis():
    raise ValueError("no <good>")
'''

BUILD = '''
import json


def main(urd):
    a = urd.build("make", n=1)
    b = urd.build("make", n=2)
    c = urd.build("use", src=a, n=3)
    d = urd.build("use", src=c, n=4)
    e = urd.build("read", path=b.filename("result.pickle"))
    EXTRA
    print("RESULT", json.dumps(dict(a=a, b=b, c=c, d=d, e=e)))
'''

BUILD_SUB = '''
import json


def main(urd):
    parent = urd.build("parent")
    print("RESULT", json.dumps(dict(parent=parent, subs=parent.load())))
'''

BUILD_FAIL = '''
def main(urd):
    urd.build("make", n=1)
    urd.build("fail")
'''

def printed(p: subprocess.CompletedProcess) -> dict:
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[7:])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("lineage") / "proj"
    proj = Project(root, slices=2)
    for name, src in (("make", MAKE), ("use", USE), ("read", READ), ("fail", FAIL),
                      ("slow", SLOW), ("parent", PARENT)):
        proj.method(name, src)
    proj.build(BUILD.replace("EXTRA", ""))
    proj.build(BUILD_FAIL, "fail")
    proj.build(BUILD_SLOW, "slow")
    proj.build(BUILD_SUB, "sub")
    subs = printed(ax(root, "run", "sub"))  # the oldest run: a job and its two subjobs
    jobs = {**printed(ax(root, "run")), **subs}  # run 1 of build.py: five new
    ax(root, "run")  # run 2: five reused
    ax(root, "run", "fail", rc=1)
    return root, jobs


@pytest.fixture(scope="module")
def board(built: tuple[Path, dict]):
    yield from serving(built[0])


def test_a_job_page_lists_the_jobs_that_use_it(board: Board, built) -> None:
    jobs = built[1]
    d = board.json(f"/job/{jobs['a']}")["lineage"]
    assert d["inputs"] == []
    assert [(u["job"], u["method"], u["how"], u["status"]) for u in d["used_by"]] == \
        [(jobs["c"], "use", "job input 'src'", "finished")]
    c = board.json(f"/job/{jobs['c']}")["lineage"]
    assert [i["job"] for i in c["inputs"]] == [jobs["a"]]
    assert [u["job"] for u in c["used_by"]] == [jobs["d"]]
    _, _, body = board.get(f"/job/{jobs['c']}")
    used_by = body.split('id="used-by"', 1)[1]
    assert f'href="/job/{jobs["d"]}"' in used_by
    graph = body.split("<svg", 1)[1].split("</svg>", 1)[0]
    for j in (jobs["a"], jobs["c"], jobs["d"]):
        assert f'data-job="{j}"' in graph
    assert f'data-job="{jobs["b"]}"' not in graph
    assert "no job takes this one as an input" in board.get(f"/job/{jobs['d']}")[2]


def test_an_option_naming_a_file_of_a_job_is_an_input(board: Board, built) -> None:
    """csvimport(filename=job.filename('x.csv')) reads another job's file: drawn so."""
    jobs = built[1]
    e = board.json(f"/job/{jobs['e']}")["lineage"]
    assert [(i["job"], i["how"]) for i in e["inputs"]] == \
        [(jobs["b"], "a file of it as option 'path'")]
    assert [u["job"] for u in board.json(f"/job/{jobs['b']}")["lineage"]["used_by"]] == \
        [jobs["e"]]


def test_a_subjob_is_used_by_the_job_that_built_it(board: Board, built) -> None:
    """Only the parent's post.json names its subjobs: a subjob's page still shows the job
    that built it, in "used by" and on a line of its own; the parent takes it as an input."""
    parent, (sub7, sub8) = built[1]["parent"], built[1]["subs"]
    d = board.json(f"/job/{sub7}")["lineage"]
    assert [(u["job"], u["method"], u["how"]) for u in d["used_by"]] == \
        [(parent, "parent", "its subjob")]
    assert [(b["job"], b["method"], b["status"]) for b in d["built_by"]] == \
        [(parent, "parent", "finished")]
    _, _, body = board.get(f"/job/{sub7}")
    head, used_by = body.split('id="used-by"', 1)
    assert (f'<tr><th>built by</th><td><a href="/job/{parent}">{parent}</a> (parent), as a '
            "subjob") in head
    assert f'href="/job/{parent}"' in used_by and "<td>its subjob</td>" in used_by
    p = board.json(f"/job/{parent}")["lineage"]
    assert [(i["job"], i["how"]) for i in p["inputs"]] == [(sub7, "its subjob"),
                                                            (sub8, "its subjob")]
    assert p["used_by"] == [] and p["built_by"] == []
    graph = board.get(f"/job/{parent}")[2].split("<svg", 1)[1].split("</svg>", 1)[0]
    assert f'data-job="{sub7}"' in graph and f'data-job="{sub8}"' in graph


def test_a_parent_with_a_damaged_post_json_still_built_its_subjobs(built, tmp_path) -> None:
    """Its post.json no longer reads, but the note subjobs.build kept does: the subjob's
    page names the parent as the job that built it, as the parent's own page and gc do."""
    import shutil

    root = tmp_path / "proj"
    shutil.copytree(built[0], root, symlinks=True)
    parent, (sub7, _) = built[1]["parent"], built[1]["subs"]
    (root / "workdirs" / "dev" / parent / "post.json").write_text("{")
    for b in serving(root):
        d = b.json(f"/job/{sub7}")["lineage"]
        assert [x["job"] for x in d["built_by"]] == [parent]
        assert [(u["job"], u["how"]) for u in d["used_by"]] == [(parent, "its subjob")]
        assert b.json(f"/job/{parent}")["status"] == "damaged"


def test_a_jobs_subjobs_take_option_columns(board: Board, built) -> None:
    """?columns= on a job's page: a column of each option in its table of subjobs, as in
    every other table of jobs (the front page's, a run's, a method's, an urd list's)."""
    parent, subs = built[1]["parent"], built[1]["subs"]
    d = board.json(f"/job/{parent}?columns=n")
    assert d["columns"] == ["n"]
    assert [(s["job"], s["method"], s["options"]) for s in d["subjobs"]] == \
        [(subs[0], "make", {"n": 7}), (subs[1], "make", {"n": 8})]
    _, _, body = board.get(f"/job/{parent}?columns=n")
    table = body.split('id="subjobs"', 1)[1]
    assert "<th>job</th><th>method</th><th>n</th></tr>" in table
    assert "</a></td><td>make</td><td>7</td>" in table and "<td>8</td>" in table
    assert f'<form method="get" action="/job/{parent}">' in table
    assert 'name="columns" value="n"' in table
    plain = board.get(f"/job/{parent}")[2].split('id="subjobs"', 1)[1]
    assert "<th>job</th><th>method</th></tr>" in plain
    assert "options" not in board.json(f"/job/{parent}")["subjobs"][0]


def test_runs_are_one_row_each_newest_first_with_their_counts(board: Board) -> None:
    runs = board.json("/runs")["runs"]
    assert [(r["name"], r["state"], r["new"], r["reused"], r["failed"]) for r in runs] == [
        ("build_fail.py", "failed", 0, 1, 1),
        ("build.py", "complete", 0, 5, 0),
        ("build.py", "complete", 5, 0, 0),
        ("build_sub.py", "complete", 1, 0, 0)]
    assert "ValueError" in runs[0]["error"]
    assert all(r["runtime"] is not None and r["runtime"] >= 0 for r in runs)
    assert runs[0]["starttime"] > runs[1]["starttime"] > runs[2]["starttime"] > \
        runs[3]["starttime"]
    _, _, body = board.get("/runs")
    for r in runs:
        assert f'href="/run/{r["run"]}"' in body
    front = board.json("/")["latest_runs"]
    assert [(r["name"], r["run"]) for r in front] == \
        [(r["name"], r["run"]) for r in (runs[0], runs[1], runs[3])]
    assert f'href="/run/{runs[1]["run"]}"' in board.get("/")[2]


def test_the_graph_of_a_run_has_its_jobs_and_edges(board: Board, built) -> None:
    jobs = built[1]
    run = board.json("/runs")["runs"][2]  # the first: all new
    d = board.json(f"/run/{run['run']}")
    nodes = {n["job"]: (n["method"], n["how"], n["status"]) for n in d["graph"]["nodes"]}
    assert nodes == {jobs["a"]: ("make", "new", "finished"), jobs["b"]: ("make", "new", "finished"),
                     jobs["c"]: ("use", "new", "finished"), jobs["d"]: ("use", "new", "finished"),
                     jobs["e"]: ("read", "new", "finished")}
    assert sorted(map(tuple, d["graph"]["edges"])) == sorted([
        (jobs["a"], jobs["c"]), (jobs["c"], jobs["d"]), (jobs["b"], jobs["e"])])
    _, _, body = board.get(f"/run/{run['run']}")
    svg = body.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert svg.count('class="node ') == 5 and svg.count('class="edge"') == 3
    assert f'<a href="/job/{jobs["a"]}" class="node st-finished new" data-job="{jobs["a"]}"' in svg


def test_a_failed_run_shows_its_failed_job_in_red(board: Board) -> None:
    run = board.json("/runs")["runs"][0]
    d = board.json(f"/run/{run['run']}")
    how = {n["how"]: n["status"] for n in d["graph"]["nodes"]}
    assert how == {"reused": "finished", "failed": "failed"}
    _, _, body = board.get(f"/run/{run['run']}")
    assert 'class="node st-failed failed"' in body and 'class="node st-finished reused"' in body


def test_a_big_run_is_drawn_by_method(board: Board, built) -> None:
    """Over GROUP_OVER jobs, the jobs of one method at one depth are one box (tested
    here with a lower bar: the grouping, not the size, is the point)."""
    from accel.store.runhistory import RunHistory
    from accel.view.lineage import JobIndex, run_graph

    root = built[0]
    workdirs = {"dev": root / "workdirs" / "dev"}
    run = RunHistory(workdirs, root).runs()[2]
    g = run_graph(JobIndex(workdirs), run, [], group_over=3)
    nodes = {n["job"]: n for n in g["nodes"]}
    assert set(nodes) == {"make@0", built[1]["c"], built[1]["d"], built[1]["e"]}
    assert nodes["make@0"]["group"] == 2 and nodes["make@0"]["counts"] == {"new": 2}
    assert ("make@0", built[1]["c"]) in map(tuple, g["edges"])


def test_unknown_runs_and_bad_limits_are_named(board: Board) -> None:
    assert board.get("/run/123-456")[0] == 404
    assert "no run '123-456'" in board.json("/run/123-456")["error"]
    assert board.get("/runs?limit=lots")[0] == 400
    assert "limit: 'lots' is not a number" in board.json("/runs?limit=lots")["error"]
    assert board.get("/static/nothing.js")[0] == 404


def test_the_live_script_is_the_boards_own_and_allowed_only_from_it(board: Board) -> None:
    status, ctype, body = board.get("/static/live.js")
    assert status == 200 and "javascript" in ctype and "textContent" in body
    import urllib.request

    with urllib.request.urlopen(board.url + "/") as r:
        csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert "script-src 'self' 'unsafe-inline'" not in csp


def start_held(root: Path, board: Board) -> tuple[subprocess.Popen, str]:
    """`ax run slow` in the background, its job holding while the file `hold` is there:
    (the run, its job once the board shows it running)."""
    (root / "hold").write_text("")
    build = subprocess.Popen([*AX, "run", "slow"], cwd=root, env=cli_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        jobid = wait_for(lambda: board.json("/")["running"], what="a running job",
                         proc=build)[0]["job"]
        # (its page can say "no such job" for the moment its setup.json is being written)
        wait_for(lambda: board.json(f"/job/{jobid}").get("status") == "running",
                 what="its page to show it running", proc=build)
        return build, jobid
    except BaseException:
        (root / "hold").unlink()
        build.wait(timeout=120)
        raise


def test_a_running_jobs_page_says_what_runs_and_loads_the_script(board: Board, built) -> None:
    hold = built[0] / "hold"
    build, jobid = start_held(built[0], board)
    try:
        d = wait_for(lambda: (x := board.json(f"/job/{jobid}")).get("live") and
                     x["live"]["part"] == "prepare" and x, what="the live part", proc=build)
        assert d["status"] == "running" and d["live"]["slices_done"] is None
        _, _, body = board.get(f"/job/{jobid}")
        assert '<script src="/static/live.js" defer></script>' in body
        assert f'data-json="/job/{jobid}?json=1"' in body and "<noscript>" in body
        # opened with ?columns=, the page it follows (and becomes) keeps them
        _, _, body = board.get(f"/job/{jobid}?columns=hold,a%20b")
        assert f'data-json="/job/{jobid}?columns=hold%2Ca+b&amp;json=1"' in body
        runs = board.json("/runs")["runs"]
        assert runs[0]["name"] == "build_slow.py" and runs[0]["state"] == "running"
        graph = board.json(f"/run/{runs[0]['run']}")["graph"]
        assert [(n["job"], n["how"], n["status"]) for n in graph["nodes"]] == \
            [(jobid, "running", "running")]
        # option values as columns in the running-jobs table too
        running = board.json("/?columns=hold")["running"]
        assert running[0]["job"] == jobid and running[0]["options"]["hold"] == str(hold)
        _, _, body = board.get("/?columns=hold")
        assert "<th>job</th><th>method</th><th>hold</th><th>part</th>" in body
    finally:
        hold.unlink()
        build.wait(timeout=120)
    assert build.returncode == 0
    assert board.json("/runs")["runs"][0]["state"] == "complete"
    _, _, body = board.get(f"/job/{jobid}")  # it ended: nothing left to follow
    assert "<script" not in body and 'id="live"' not in body and "st-finished" in body


def test_a_new_job_is_in_used_by_at_once(board: Board, built) -> None:
    """The board keeps who-uses-whom between requests: a job made since is in it, and so
    is a job made since that reuses subjobs (which then have two parents)."""
    root, jobs = built
    script = root / "build.py"
    script.write_text(script.read_text().replace(
        "    print(", "    urd.build('use', src=b, n=5)\n    urd.build('parent', tag=1)\n"
        "    print(", 1))
    ax(root, "run")
    users = board.json(f"/job/{jobs['b']}")["lineage"]["used_by"]
    assert [(u["method"], u["how"]) for u in users] == [
        ("read", "a file of it as option 'path'"), ("use", "job input 'src'")]
    runs = board.json("/runs")["runs"]
    assert (runs[0]["name"], runs[0]["new"], runs[0]["reused"]) == ("build.py", 2, 5)
    again = board.json("/job/parent")["job"]
    assert again != jobs["parent"]
    d = board.json(f"/job/{jobs['subs'][0]}")["lineage"]
    assert [b["job"] for b in d["built_by"]] == [jobs["parent"], again]
    assert [(u["job"], u["how"]) for u in d["used_by"]] == [(jobs["parent"], "its subjob"),
                                                            (again, "its subjob")]


def test_the_board_writes_nothing_for_lineage(board: Board, built) -> None:
    from test_board import snapshot

    root, jobs = built
    before = snapshot(root / "workdirs")
    run = board.json("/runs")["runs"][0]["run"]
    for path in ("/", "/runs", f"/run/{run}", f"/job/{jobs['a']}", f"/job/{jobs['c']}"):
        assert board.get(path)[0] == 200
    assert snapshot(root / "workdirs") == before


def test_a_job_deleted_since_is_grey_in_its_run(board: Board, built) -> None:
    """gc deletes the failed job: the board, which had drawn that run, notices."""
    runs = board.json("/runs")["runs"]
    run = next(r for r in runs if r["name"] == "build_fail.py")["run"]
    failed = [n["job"] for n in board.json(f"/run/{run}")["graph"]["nodes"]
              if n["how"] == "failed"]
    assert len(failed) == 1
    ax(built[0], "gc", "--yes")
    assert board.get(f"/job/{failed[0]}")[0] == 404
    nodes = {n["job"]: n["status"] for n in board.json(f"/run/{run}")["graph"]["nodes"]}
    assert nodes[failed[0]] == "deleted"
    assert 'class="node st-deleted failed"' in board.get(f"/run/{run}")[2]


# --- runs kept as history; gc still keeps only the latest --------------------------------


def test_history_is_bounded_and_keeps_the_latest_complete_run(tmp_path: Path, monkeypatch) -> None:
    from accel.store import latest_runs, runhistory
    from accel.store.latest_runs import RunLog, kept_by_latest_runs
    from accel.store.runhistory import RunHistory

    monkeypatch.setattr(latest_runs, "RUNS_KEPT", 3)
    monkeypatch.setattr(runhistory, "JOBS_KEPT", 1)  # the others' jobs are read when asked
    wd = tmp_path / "workdirs" / "dev"
    wd.mkdir(parents=True)
    build = tmp_path / "build.py"
    build.write_text("")
    for n in range(5):
        log = RunLog({"dev": wd}, build, tmp_path)
        log.used(f"dev-{n}", new=n % 2 == 0)
        log.complete()
    runs = RunHistory({"dev": wd}, tmp_path).runs()
    assert [list(r.jobs.items()) for r in runs] == [[("dev-4", "new")], [("dev-3", "reused")],
                                                    [("dev-2", "new")]]
    assert kept_by_latest_runs({"dev": wd}, tmp_path)[0] == {"dev-4": "latest run of build.py"}
