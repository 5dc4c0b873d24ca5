"""`ax run --dry-run`: what a build script would build and why, without running a job or
writing anything -- through `ax`, on one project: asked before it is built, then built
once, then asked again after one change at a time (each put back afterwards).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from readme_blocks import ROOT, ax, blocks_of, session, shows

from tests.conftest import Project, no_traceback

COUNT = """
    options = dict(n=1)
    datasets = ("source",)

    def synthesis():
        return sum(1 for _ in datasets.source.iterate(None)) * options.n
"""
REPORT = """
    jobs = ("counted",)

    def synthesis():
        return jobs.counted.load()
"""
PICK = """
    description = "one row of a sweep"
    options = dict(k=0)

    def synthesis():
        return options.k
"""
# the option of count and the rows of build_many come from the environment: a test
# changes them without editing the script
BUILD = """
import os


def main(urd):
    urd.begin("pipe")
    imp = urd.build("csvimport", filename="data.csv")
    cnt = urd.build("count", source=imp, n=int(os.environ.get("N", "1")), name="counted")
    rep = urd.build("report", counted=cnt)
    urd.finish("pipe")
    rows = [dict(k=int(k)) for k in os.environ.get("ROWS", "1,2").split(",")]
    urd.build_many("pick", rows)
    rep.link_result()
    print("SCRIPT ENDED")
"""
LOAD = """
def main(urd):
    imp = urd.build("csvimport", filename="data.csv")
    cnt = urd.build("count", source=imp, n=99)
    try:
        print("LOADED", cnt.load())
    except Exception:
        print("SWALLOWED")
    print("SCRIPT ENDED")
"""


def dry(project: Project, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    p = project.ax("run", "--dry-run", *args, env=env)
    assert no_traceback(p), p.stderr
    return p


def dry_json(project: Project, *args: str, env: dict | None = None) -> tuple[int, dict]:
    p = dry(project, "--json", *args, env=env)
    return p.returncode, json.loads(p.stdout)


def verdicts(report: dict) -> list[tuple]:
    """(name, action) of each build, build_many's rows as name[row]."""
    return [(e["name"] + (f"[{e['row']}]" if "row" in e else ""), e["action"])
            for e in report["jobs"]]


def texts(report: dict, name: str) -> list[str]:
    return [r["text"] for e in report["jobs"] if e["name"] == name for r in e["reasons"]]


def snapshot(project: Project) -> dict[str, tuple]:
    """Every path under workdirs/ and results/ with its type, size, mtime and content's
    hash, and the urd database's content."""
    found: dict[str, tuple] = {}
    for top in ("workdirs", "results"):
        for dirpath, dirnames, filenames in os.walk(project.root / top):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                data = Path(p).read_bytes() if os.path.isfile(p) and not os.path.islink(p) \
                    else os.readlink(p).encode() if os.path.islink(p) else b""
                found[p] = (st.st_mode, st.st_size, st.st_mtime_ns,
                            hashlib.sha256(data).hexdigest())
    db = project.root / ".accel" / "urd.db"
    found["urd.db"] = (hashlib.sha256(db.read_bytes()).hexdigest(),) if db.exists() else ()
    return found


@pytest.fixture(scope="module")
def proj(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The pipeline, asked first with nothing built (`.unbuilt`: exit status and report),
    then built (dev-1 csvimport, dev-2 count, dev-3 report, dev-4 and dev-5 pick)."""
    project = Project(tmp_path_factory.mktemp("dry") / "proj")
    project.method("count", COUNT)
    project.method("report", REPORT)
    project.method("pick", PICK)
    project.file("data.csv", "a,b\n1,2\n3,4\n")
    project.build(BUILD)
    project.build(LOAD, "load")
    project.unbuilt = dry_json(project)  # type: ignore[attr-defined]
    # what it left: job directories, an urd database
    project.unbuilt_left = (project.job_dirs(),  # type: ignore[attr-defined]
                            (project.root / ".accel" / "urd.db").exists())
    project.ax("run", "-q", check=True)
    assert project.job_dirs() == [f"dev-{i}" for i in range(1, 6)]
    return project


@pytest.fixture
def put_back(proj: Project):
    """Files a test changes, as they were, restored after it."""
    saved: dict[Path, str] = {}

    def keep(path: Path) -> Path:
        saved.setdefault(path, path.read_text())
        return path

    yield keep
    for path, text in saved.items():
        path.write_text(text)


def test_nothing_built_everything_would_be_built_and_nothing_is_written(proj):
    rc, report = proj.unbuilt
    assert rc == 1
    assert verdicts(report) == [("csvimport", "build"), ("counted", "build"),
                                ("report", "build"), ("pick[0]", "build"), ("pick[1]", "build")]
    assert texts(report, "csvimport") == ["there is no finished job of csvimport to compare with"]
    assert texts(report, "counted") == ["input source would be rebuilt (the csvimport job)"]
    assert texts(report, "report") == ["input counted would be rebuilt "
                                       "(the count job 'counted')"]
    assert report["build"] == 5 and report["reuse"] == 0 and report["stopped"] is None
    lists, link = report["not_written"]  # and the script ran to its end
    assert lists == "urd list pipe: an entry of 3 jobs"
    assert link.startswith("link ") and link.endswith("results/result.pickle -> "
                                                      "result.pickle of the report job")
    assert proj.unbuilt_left == ([], False)


def test_all_built_all_reused_exit_0_and_nothing_changes(proj):
    before = snapshot(proj)
    p = dry(proj)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[1:6] == ["reuse  csvimport  dev-1", "reuse  counted    dev-2",
                         "reuse  report     dev-3", "reuse  pick[0]    dev-4",
                         "reuse  pick[1]    dev-5"]
    assert "not written in a dry run: urd list pipe: an entry of 3 jobs" in lines
    assert any(line.startswith("not written in a dry run: link ") and
               line.endswith("dev-3/result.pickle") for line in lines)
    assert lines[-1] == "5 jobs: 0 would be built, 5 reused"
    assert "SCRIPT ENDED" in p.stdout  # the script itself ran to its end
    assert snapshot(proj) == before  # not even a reused job's mark of use
    runs = proj.ax("urd", "pipe", "--json", check=True)
    assert len(json.loads(runs.stdout)) == 1  # only the real run's


def test_json_lists_each_build(proj):
    rc, report = dry_json(proj)
    assert rc == 0
    assert report["jobs"][1] == {"name": "counted", "method": "count", "action": "reuse",
                                 "job": "dev-2", "reasons": []}
    assert report["jobs"][3]["row"] == 0
    assert (report["build"], report["reuse"], report["stopped"], report["error"]) == \
        (0, 5, None, None)


def test_an_edited_method_and_what_depends_on_it_would_be_built(proj, put_back):
    method = put_back(proj.methods / "a_count.py")
    method.write_text(method.read_text() + "\n# edited\n")
    rc, report = dry_json(proj)
    assert rc == 1
    assert verdicts(report)[:3] == [("csvimport", "reuse"), ("counted", "build"),
                                    ("report", "build")]
    [reason] = [r for e in report["jobs"] if e["name"] == "counted" for r in e["reasons"]]
    assert (reason["what"], reason["name"], reason["nearest"]) == \
        ("source file", "methods/a_count.py", "dev-2")
    assert texts(report, "report") == ["input counted would be rebuilt (the count job 'counted')"]
    assert verdicts(report)[3:] == [("pick[0]", "reuse"), ("pick[1]", "reuse")]
    text = dry(proj).stdout
    assert "build  counted    source file methods/a_count.py: " in text
    assert "(since dev-2)" in text


def test_a_changed_input_file_is_named(proj, put_back):
    data = put_back(proj.root / "data.csv")
    data.write_text(data.read_text() + "5,6\n")
    rc, report = dry_json(proj)
    assert rc == 1
    assert texts(report, "csvimport") == ["input file data.csv changed: 12 bytes → 16 bytes"]
    assert texts(report, "counted") == ["input source would be rebuilt (the csvimport job)"]


def test_an_option_and_a_new_row_would_be_built(proj):
    rc, report = dry_json(proj, env={"N": "2", "ROWS": "1,2,3"})
    assert rc == 1
    assert verdicts(report) == [("csvimport", "reuse"), ("counted", "build"),
                                ("report", "build"), ("pick[0]", "reuse"), ("pick[1]", "reuse"),
                                ("pick[2]", "build")]
    assert texts(report, "counted") == ["option n: 1 → 2"]
    assert [e["reasons"][0]["text"] for e in report["jobs"] if e.get("row") == 2] == \
        ["option k: 2 → 3"]
    assert (report["build"], report["reuse"]) == (3, 3)


def test_reading_a_job_that_would_be_built_stops_there(proj):
    p = dry(proj, "load")
    assert p.returncode == 1
    assert p.stderr.strip() == (
        "ax run --dry-run: stopped at build_load.py:6: .load() of the count job, which would "
        "be built first; what build_load.py does after that cannot be known without running it")
    assert "SWALLOWED" not in p.stdout and "SCRIPT ENDED" not in p.stdout
    assert p.stdout.splitlines()[-1] == "2 jobs: 1 would be built, 1 reused (then it stopped)"
    rc, report = dry_json(proj, "load")
    assert rc == 1
    assert report["stopped"]["call"] == ".load()" and report["stopped"]["method"] == "count"
    assert report["stopped"]["where"] == "build_load.py:6"


def test_a_mistake_in_the_script_exits_as_ax_run_does(proj, put_back):
    build = put_back(proj.root / "build.py")
    build.write_text(build.read_text().replace('name="counted"', 'name="counted", bogus=1'))
    real, p = proj.ax("run"), dry(proj)
    assert p.returncode == real.returncode == 2
    assert p.stderr == real.stderr and "bogus" in p.stderr


def test_the_readme_example(tmp_path):
    """The README's dry run of the example pipeline, built, after an edit of a method."""
    root = tmp_path / "example"
    shutil.copytree(ROOT / "methods", root / "methods",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("build.py", "accelerator.conf"):
        shutil.copy(ROOT / name, root / name)
    (root / "workdirs" / "dev").mkdir(parents=True)
    assert ax(root, "ax run -q").returncode == 0
    summary = root / "methods" / "a_summary.py"
    summary.write_text(summary.read_text() + "\n# edited\n")
    [block] = blocks_of(test_the_readme_example)
    for command, shown in session(block):
        p = ax(root, command)
        assert p.returncode == 1 and shows(shown, p.stdout), p.stdout + p.stderr
