"""ax jobs: searching every job of every workdir, run as a user runs it.

One project is built once for the module: jobs of two methods in two workdirs, one that
sleeps a little (for --min-runtime), one that fails, and job directories for the states a
build rarely leaves behind on demand (unfinished, canceled, timeout).
"""

from __future__ import annotations

import json
import math
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from conftest import Project, ax, ax_json, one_error_line

WORK = '''
import time

options = dict(n=int, tag="x", flag=False, table={str: int}, sleep=0.0)


def synthesis(options):
    time.sleep(options.sleep)
    return options.n
'''

OTHER = '''
description = "Fails when asked to."
options = dict(fail=False)


def synthesis(options):
    if options.fail:
        raise ValueError("asked to fail, and more words than a table cell should show " * 2)
    return 1
'''

BUILD = '''
def main(urd):
    urd.build("work", n=1)                                       # dev-1
    urd.build("work", n=2, tag="y", flag=True)                   # dev-2
    urd.build("work", n=3, table=dict(a=1, b=2), caption="third")  # dev-3
    urd.build("other")                                           # dev-4
    urd.build("work", n=4, sleep=1.5)                            # dev-5
    urd.build("work", n=5, workdir="side")                       # side-1
'''

BUILD_FAIL = '''
def main(urd):
    urd.build("other", fail=True)                                # dev-6
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = Project(tmp_path_factory.mktemp("jobs") / "proj", workdirs=("dev", "side"))
    p.method("work", WORK)
    p.method("other", OTHER)
    p.build(BUILD)
    p.build(BUILD_FAIL, "fail")
    ax(p.root, "run")
    ax(p.root, "run", "fail", rc=1)
    wd = p.root / "workdirs" / "dev"
    # dev-7: died before post.json; dev-8, dev-9: ended canceled and timed out
    (wd / "dev-7").mkdir()
    setup = json.loads((wd / "dev-1" / "setup.json").read_text())
    (wd / "dev-7" / "setup.json").write_text(json.dumps(dict(setup, jobid="dev-7")))
    for n, status in ((8, "canceled"), (9, "timeout")):
        shutil.copytree(wd / "dev-6", wd / f"dev-{n}")
        setup = json.loads((wd / f"dev-{n}" / "setup.json").read_text())
        (wd / f"dev-{n}" / "setup.json").write_text(json.dumps(dict(setup, jobid=f"dev-{n}")))
        post = json.loads((wd / f"dev-{n}" / "post.json").read_text())
        post.update(status=status, jobid=f"dev-{n}",
                    error={"part": "synthesis", "exception": status.title(), "message": status})
        (wd / f"dev-{n}" / "post.json").write_text(json.dumps(post))
    return p.root


def ids(project: Path, *args: str) -> list[str]:
    return [j["job"] for j in ax_json(project, "jobs", *args)]


def test_table_lists_every_job_newest_first(project: Path) -> None:
    out = ax(project, "jobs").stdout.splitlines()
    assert out[0].split() == ["job", "method", "status", "started", "runtime", "caption/error"]
    rows = [line.split()[0] for line in out[1:]]
    dev = [r for r in rows if r.startswith("dev-")]
    assert dev == [f"dev-{n}" for n in range(9, 0, -1)]
    assert "side-1" in rows
    by_id = {line.split()[0]: line for line in out[1:]}
    assert by_id["dev-6"].split()[1:3] == ["other", "failed"]
    assert "synthesis: ValueError: asked to fail" in by_id["dev-6"]
    assert by_id["dev-6"].endswith("…")  # a long message is cut (after a word)
    assert by_id["dev-3"].rstrip().endswith("third")  # the caption
    assert by_id["dev-7"].split()[1:3] == ["work", "unfinished"]


def test_json_has_what_a_script_needs(project: Path) -> None:
    jobs = {j["job"]: j for j in ax_json(project, "jobs")}
    assert len(jobs) == 10
    j = jobs["dev-2"]
    assert j["method"] == "work" and j["status"] == "finished" and j["workdir"] == "dev"
    assert j["options"]["tag"] == "y" and j["options"]["flag"] is True
    assert j["runtime"] > 0 and j["starttime"] <= j["endtime"]
    assert jobs["dev-6"]["error"]["exception"] == "ValueError"
    assert jobs["dev-7"]["runtime"] is None and jobs["dev-7"]["error"] is None
    assert Path(jobs["side-1"]["path"]) == project / "workdirs" / "side" / "side-1"


def test_status_filter(project: Path) -> None:
    assert ids(project, "--status", "failed") == ["dev-6"]
    assert ids(project, "--status", "unfinished") == ["dev-7"]
    assert ids(project, "-s", "canceled", "-s", "timeout") == ["dev-9", "dev-8"]
    assert ids(project, "--status", "failed,canceled,timeout") == ["dev-9", "dev-8", "dev-6"]
    assert set(ids(project, "--status", "finished")) == {"dev-1", "dev-2", "dev-3", "dev-4",
                                                         "dev-5", "side-1"}
    assert ids(project, "--status", "running") == []


def test_method_filter(project: Path) -> None:
    assert set(ids(project, "--method", "other")) == {"dev-4", "dev-6", "dev-8", "dev-9"}
    assert set(ids(project, "-m", "work", "-s", "finished", "-m", "nosuch")) == \
        {"dev-1", "dev-2", "dev-3", "dev-5", "side-1"}
    assert len(ids(project, "--method", "work,other")) == 10
    out = ax(project, "jobs", "--method", "nosuch").stdout
    assert out.strip() == "no jobs match"


def test_option_filter(project: Path) -> None:
    assert ids(project, "--option", "n=2") == ["dev-2"]
    assert ids(project, "-o", "tag=y", "-o", "n=2") == ["dev-2"]
    assert ids(project, "-o", "tag=y", "-o", "n=3") == []
    assert ids(project, "-o", "flag=true") == ["dev-2"]
    assert ids(project, "-o", "flag=True") == ["dev-2"]
    assert ids(project, "-o", "n=2.0") == ["dev-2"]          # a number compares as one
    assert ids(project, "-o", "table.b=2") == ["dev-3"]     # a key inside a dict option
    assert ids(project, "-o", 'table={"a": 1, "b": 2}') == ["dev-3"]
    assert ids(project, "-o", "sleep=1.5") == ["dev-5"]
    assert ids(project, "-o", "tag=") == []                  # an empty value is a value
    assert ids(project, "-o", "nosuch=1") == []
    # the failed job's option
    assert ids(project, "-m", "other", "-o", "fail=true", "-s", "failed") == ["dev-6"]


def test_min_runtime(project: Path) -> None:
    found = ax_json(project, "jobs", "--min-runtime", "1.2")
    assert "dev-5" in [j["job"] for j in found]
    assert all(j["runtime"] >= 1.2 for j in found)
    found = ax_json(project, "jobs", "--min-runtime", "0m1.2s")
    assert "dev-5" in [j["job"] for j in found]
    assert ids(project, "--min-runtime", "1h") == []


def test_since_and_until(project: Path) -> None:
    jobs = {j["job"]: j for j in ax_json(project, "jobs")}
    t = math.floor(jobs["dev-3"]["starttime"] * 1000) / 1000  # what ISO text can say exactly
    start = datetime.fromtimestamp(t).isoformat(timespec="milliseconds")
    newer = {k for k, j in jobs.items() if j["starttime"] >= t}
    assert "dev-3" in newer and "dev-2" not in newer
    assert set(ids(project, "--since", start)) == newer
    assert set(ids(project, "--until", start)) == set(jobs) - newer
    assert ids(project, "--since", start, "--until", start) == []
    assert len(ids(project, "--since", "1h")) == 10       # an age: that long ago
    assert ids(project, "--until", "1h") == []
    assert len(ids(project, "--since", "2000-01-01")) == 10
    assert ids(project, "--until", "2000-01-01") == []
    assert len(ids(project, "--since", "yesterday")) == 10


def test_limit_is_the_newest(project: Path) -> None:
    assert ids(project, "--limit", "2") == ["dev-9", "dev-8"]
    assert ids(project, "-m", "work", "-s", "finished", "-n", "2", "--until", "1s") == \
        ["side-1", "dev-5"]
    assert ids(project, "--status", "failed,canceled,timeout", "-n", "2") == ["dev-9", "dev-8"]
    out = ax(project, "jobs", "-s", "failed,canceled,timeout", "-n", "2").stdout
    assert "more match" in out
    out = ax(project, "jobs", "-s", "failed,canceled,timeout", "-n", "3").stdout
    assert "more match" not in out
    assert len(ids(project, "--limit", "0")) == 10


@pytest.mark.parametrize("args, words", [
    (("--status", "finshed"), ("--status", "finshed", "did you mean: finished")),
    (("--status", "failed,bogus"), ("--status", "bogus")),
    (("--since", "last tuesday"), ("--since", "not a date")),
    (("--until", "2024-13-45"), ("--until",)),
    (("--min-runtime", "fast"), ("--min-runtime", "not a duration")),
    (("--min-runtime", "1x"), ("--min-runtime",)),
    (("--option", "n"), ("--option", "KEY=VALUE")),
    (("--option", "=3"), ("--option", "KEY=VALUE")),
    (("--limit", "many"), ("--limit",)),
    (("--limit", "-1"), ("--limit",)),
])
def test_a_users_mistake_is_one_line(project: Path, args, words) -> None:
    p = ax(project, "jobs", *args, rc=2)
    line = one_error_line(p, ("ax: ",))
    for w in words:
        assert w in line, line


def test_empty_project(tmp_path: Path) -> None:
    p = Project(tmp_path / "empty")
    assert ax(p.root, "jobs").stdout.strip() == "no jobs yet"
    assert ax_json(p.root, "jobs") == []


# --- issue 14, surprise 7: one CLI -----------------------------------------------------------


def test_every_status_is_taken_by_jobs_and_workdir_alike(project: Path) -> None:
    """`ax jobs --status` and `ax workdir --status` take the same words (every status a job
    can have, accel.jobstatus.ALL), repeated or as a comma list, and find the same jobs."""
    from accel.jobstatus import ALL

    for status in ALL:
        found = ids(project, "--status", status)
        listed = [r["job"] for r in ax_json(project, "workdir", "--status", status)]
        assert sorted(listed) == sorted(found), status
    wanted = ("--status", "failed,canceled", "-s", "timeout")
    assert sorted(r["job"] for r in ax_json(project, "workdir", "dev", *wanted)) == \
        sorted(ids(project, *wanted)) == ["dev-6", "dev-8", "dev-9"]
    assert [r["job"] for r in ax_json(project, "workdir", "-m", "other,work", "-s", "unfinished")
            ] == ["dev-7"]
    for command in ("jobs", "workdir"):
        line = one_error_line(ax(project, command, "--status", "finshed", rc=2))
        assert line.startswith("ax: --status: no status 'finshed' (did you mean: finished")
        assert line.endswith(f"(statuses: {', '.join(ALL)})"), line


@pytest.mark.parametrize("args", [("jobs", "--since", "2"), ("jobs", "--until", "1.5"),
                                  ("jobs", "--since", "2 ago"), ("gc", "--older-than", "3")])
def test_a_time_without_a_unit_is_a_question_not_seconds(project: Path, args) -> None:
    """`--since 2` is 2 what? Not 2 seconds ago, which is almost never what was meant."""
    p = ax(project, *args, rc=2)
    line = one_error_line(p, ("ax: ",))
    n = args[2].split()[0]
    assert f"{args[1]}: {n} what? say {n}m, {n}h, {n}d or {n}w" in line, line
    assert p.stdout == ""


def test_a_runtime_without_a_unit_is_seconds(project: Path) -> None:
    assert ids(project, "--min-runtime", "1.2") == ["dev-5"]
    assert ids(project, "--min-runtime", "3600") == ids(project, "--min-runtime", "1h") == []


def test_columns_show_option_values(project: Path) -> None:
    """`ax jobs --columns` shows options as columns, so the jobs of a sweep are told apart."""
    out = ax(project, "jobs", "-m", "work", "-s", "finished", "--columns", "n,tag",
             "-c", "table.b").stdout.splitlines()
    assert out[0].split() == ["job", "method", "n", "tag", "table.b", "status", "started",
                              "runtime", "caption/error"]
    rows = {line.split()[0]: line.split()[:6] for line in out[1:]}
    assert rows["dev-2"] == ["dev-2", "work", "2", "'y'", "finished", rows["dev-2"][5]]
    assert rows["dev-3"][:5] == ["dev-3", "work", "3", "'x'", "2"]
    # a job without the option (another method) has an empty cell
    out = ax(project, "jobs", "-s", "canceled", "--columns", "n").stdout.splitlines()
    assert out[0].split()[:4] == ["job", "method", "n", "status"]
    assert out[1].split()[:3] == ["dev-8", "other", "canceled"]
    line = one_error_line(ax(project, "jobs", "--summary", "--columns", "n", rc=2))
    assert "--columns" in line and "--summary" in line


def test_summary_counts_by_method_and_status(project: Path) -> None:
    """`ax jobs --summary`: per method and status, how many jobs, their total and median
    runtime and their peak memory, as the jobs themselves recorded them."""
    import statistics

    jobs = ax_json(project, "jobs")
    summary = ax_json(project, "jobs", "--summary")
    assert [(r["method"], r["status"], r["jobs"]) for r in summary] == [
        ("other", "finished", 1), ("other", "failed", 1), ("other", "canceled", 1),
        ("other", "timeout", 1), ("work", "finished", 5), ("work", "unfinished", 1)]
    work = [j for j in jobs if j["method"] == "work" and j["status"] == "finished"]
    row = summary[4]
    assert row["total_runtime"] == pytest.approx(sum(j["runtime"] for j in work))
    assert row["median_runtime"] == pytest.approx(statistics.median(j["runtime"] for j in work))
    peaks = [json.loads((Path(j["path"]) / "post.json").read_text())["maxrss_kb"] for j in work]
    assert row["maxrss_kb"] == max(peaks) > 0
    assert summary[5]["total_runtime"] is None and summary[5]["maxrss_kb"] is None
    # the filters choose which jobs are counted
    assert ax_json(project, "jobs", "--summary", "-m", "work", "-s", "finished") == [row]
    out = ax(project, "jobs", "--summary").stdout.splitlines()
    assert out[0].split() == ["method", "status", "jobs", "runtime", "median", "peak", "memory"]
    assert out[5].split()[:3] == ["work", "finished", "5"]
    assert out[-1].startswith("10 jobs, ") and out[-1].endswith(" of runtime in all")
    assert ax(project, "jobs", "--summary", "-m", "nosuch").stdout.strip() == "no jobs match"
