"""The ax command as a whole: init, configuration mistakes, help, and the repo's own pipeline."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import Project, no_traceback, run_ax

REPO = Path(__file__).resolve().parent.parent


def ax(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, **(env or {}))
    full.pop("ACCEL_CONFIG", None) if not env or "ACCEL_CONFIG" not in env else None
    return run_ax(args, cwd, full)


def test_init_makes_a_project_that_runs_at_once(tmp_path):
    r = ax(tmp_path, "init", "proj", "--slices", "2")
    assert r.returncode == 0, r.stderr
    assert "ax run" in r.stdout  # says what to do next
    root = tmp_path / "proj"
    for rel in ("accelerator.conf", "methods/a_hello.py", "build.py", "workdirs/dev", "results"):
        assert (root / rel).exists(), rel
    first = ax(root, "run")
    assert first.returncode == 0, first.stderr
    assert "[dev-1 synthesis] Hello, accel!" in first.stdout
    assert (root / "results" / "hello.pickle").is_symlink()
    second = ax(root, "run")
    assert second.returncode == 0 and "(0 new, 1 reused)" in second.stdout
    assert sorted(p.name for p in (root / "workdirs" / "dev").glob("dev-*")) == ["dev-1"]


def test_init_does_not_overwrite(tmp_path):
    assert ax(tmp_path, "init", "p").returncode == 0
    (tmp_path / "p" / "build.py").write_text("# mine\n")
    r = ax(tmp_path, "init", "p")
    assert r.returncode == 2 and no_traceback(r)
    assert "build.py" in r.stderr and "--force" in r.stderr
    assert (tmp_path / "p" / "build.py").read_text() == "# mine\n"


def test_init_writes_a_gitignore_and_adds_to_one_that_exists(tmp_path):
    assert ax(tmp_path, "init", "p").returncode == 0
    assert (tmp_path / "p" / ".gitignore").read_text().splitlines()[1:] == [
        "/workdirs/", "/results/", "/.accel/"]
    mine = tmp_path / "q"
    mine.mkdir()
    (mine / ".gitignore").write_text("*.pyc\nresults/")  # no newline at the end
    r = ax(tmp_path, "init", "q", "--json")
    assert r.returncode == 0, r.stderr
    assert str(mine / ".gitignore") in json.loads(r.stdout)["files"]
    lines = (mine / ".gitignore").read_text().splitlines()
    assert lines[:2] == ["*.pyc", "results/"] and lines[3:] == ["/workdirs/", "/.accel/"]
    # a project that runs does not dirty git
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q"], cwd=mine, check=True)
        assert ax(mine, "run").returncode == 0
        st = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=mine, capture_output=True, text=True, check=True).stdout
        assert not [x for x in st.splitlines() if "workdirs/" in x or "results/" in x
                    or ".accel/" in x], st


def test_init_refuses_a_project_inside_a_method_package(tmp_path):
    assert ax(tmp_path, "init", "p").returncode == 0
    r = ax(tmp_path / "p" / "methods", "init", "inner")
    assert r.returncode == 2 and no_traceback(r)
    line = r.stderr.strip()
    assert "method package" in line and str(tmp_path / "p" / "methods") in line, line
    assert not (tmp_path / "p" / "methods" / "inner").exists()
    r = ax(tmp_path / "p" / "methods", "init")  # the package itself
    assert r.returncode == 2 and "method package" in r.stderr
    assert not (tmp_path / "p" / "methods" / "accelerator.conf").exists()
    assert ax(tmp_path / "p", "init", "beside").returncode == 0  # elsewhere in it: fine


def test_init_json_errors_are_json(tmp_path):
    for args, needle in ((("--name", "a b"), "workdir name"), (("--slices", "0"), "--slices")):
        r = ax(tmp_path, "init", "p", "--json", *args)
        assert r.returncode == 2 and no_traceback(r), (args, r.stderr)
        assert needle in json.loads(r.stdout)["error"], (args, r.stdout)
        assert not (tmp_path / "p").exists()
    assert ax(tmp_path, "init", "p").returncode == 0
    r = ax(tmp_path, "init", "p", "--json")
    assert r.returncode == 2 and "not overwriting" in json.loads(r.stdout)["error"]


def test_outside_a_project_the_error_says_ax_init(tmp_path):
    r = ax(tmp_path, "jobs")
    assert r.returncode == 2 and no_traceback(r)
    assert "ax init" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_config_mistakes_are_one_line_naming_file_and_line(tmp_path):
    project = Project(tmp_path / "p")
    conf = project.conf
    cases = {
        "slices: many\n": ":1:",
        "slices: 2\nworkdir:\n    dev ./workdirs/dev\n": "workdir",
        "slices: 2\nworkdirs:\n    dev ./nowhere\n": "nowhere",
        "slices: 2\nworkdirs:\n    dev ${NO_SUCH_VAR_ACCEL}/x\n": "NO_SUCH_VAR_ACCEL",
        "workdirs:\n    dev ./workdirs/dev\nurd: local\n": "urd",
    }
    for text, needle in cases.items():
        conf.write_text(text)
        for cmd in (("run",), ("job", "dev-1"), ("workdir",), ("method",)):
            r = project.ax(*cmd)
            assert r.returncode == 2, (text, cmd, r.stdout, r.stderr)
            assert no_traceback(r), r.stderr
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1, r.stderr
            assert "accelerator.conf" in lines[0] and needle in lines[0], lines[0]


def test_config_found_walking_up_or_given(tmp_path):
    project = Project(tmp_path / "p")
    project.method("one", "def synthesis():\n    return 1\n")
    project.build("def main(urd):\n    print('GOT', urd.build('one').load())\n")
    sub = project.root / "deep" / "er"
    sub.mkdir(parents=True)
    r = ax(sub, "run", str(project.root / "build.py"))
    assert r.returncode == 0 and "GOT 1" in r.stdout, r.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert ax(elsewhere, "job", "dev-1").returncode == 2  # no project here
    r = ax(elsewhere, "--config", str(project.conf), "job", "dev-1")
    assert r.returncode == 0 and "dev-1" in r.stdout, r.stderr
    r = ax(elsewhere, "job", "dev-1", env={"ACCEL_CONFIG": str(project.conf)})
    assert r.returncode == 0 and "dev-1" in r.stdout, r.stderr


def test_help_and_unknown_commands(tmp_path):
    r = ax(tmp_path, "--help")
    assert r.returncode == 0
    for command in ("init", "run", "job", "method", "workdir", "urd"):
        assert command in r.stdout
    r = ax(tmp_path, "jbo")
    assert r.returncode == 2 and "job" in r.stderr and no_traceback(r)
    r = ax(tmp_path, "--version")
    assert r.returncode == 0 and "0.1" in r.stdout


def test_unknown_build_script_and_method(tmp_path):
    project = Project(tmp_path / "p")
    project.method("count_words", "def synthesis():\n    return 1\n")
    project.build("def main(urd):\n    urd.build('count_word')\n")
    r = project.ax("run")
    assert r.returncode == 2 and no_traceback(r)
    assert "count_word" in r.stderr and "count_words" in r.stderr  # the close name
    r = project.ax("run", "nosuch")
    assert r.returncode == 2 and "build_nosuch.py" in r.stderr and no_traceback(r)


def copy_example(dst: Path) -> Path:
    root = dst / "example"
    root.mkdir()
    shutil.copy(REPO / "accelerator.conf", root)
    shutil.copy(REPO / "build.py", root)
    shutil.copytree(REPO / "methods", root / "methods",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "workdirs" / "dev").mkdir(parents=True)
    return root


def test_the_repos_own_pipeline(tmp_path):
    root = copy_example(tmp_path)
    first = ax(root, "run")
    assert first.returncode == 0, first.stderr
    assert "(5 new, 0 reused)" in first.stdout
    report = root / "results" / "report.txt"
    assert report.is_symlink()
    # the report agrees with the CSV it was computed from (through csvimport, dataset_type
    # and a summary merged over slices)
    jobs = {line.split()[1]: line.split()[0] for line in first.stdout.splitlines()
            if line.startswith("dev-")}
    csv_file = root / "workdirs" / "dev" / jobs["readings"] / "readings.csv"
    by_station: dict[str, list[float]] = {}
    for row in csv.DictReader(csv_file.open()):
        by_station.setdefault(row["station"], []).append(float(row["celsius"]))
    text = report.read_text()
    for station, values in by_station.items():
        expected = (f"{station:<10} {round(sum(values) / len(values), 2):>7.2f} "
                    f"{min(values):>7.1f} {max(values):>7.1f} {len(values):>6}")
        assert expected in text, (expected, text)
        assert expected in first.stdout, (expected, first.stdout)  # the live output too
    r = ax(root, "ds", jobs["dataset_type"], "--json")
    assert r.returncode == 0, r.stderr
    assert sum(json.loads(r.stdout)["lines"]) == sum(map(len, by_station.values()))
    second = ax(root, "run")
    assert second.returncode == 0 and "(0 new, 5 reused)" in second.stdout
    # a helper module edit rebuilds the methods that import it, and what depends on them
    helper = root / "methods" / "weather.py"
    helper.write_text(helper.read_text() + "\n# a comment is an edit too\n")
    st = helper.stat()
    os.utime(helper, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    third = ax(root, "run")
    assert third.returncode == 0, third.stderr
    assert "(5 new, 0 reused)" in third.stdout
    r = ax(root, "urd", "weather", "--json")
    assert r.returncode == 0 and r.stdout.count('"timestamp"') == 3


def test_ax_runs_as_a_module_and_as_a_script():
    script = shutil.which("ax")
    for cmd in ([sys.executable, "-m", "accel.cli.main", "--help"], [script, "--help"]):
        if cmd[0] is None:
            continue
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "Commands" in r.stdout


def test_run_and_init_json(tmp_path):
    r = ax(tmp_path, "init", "p", "--json")
    assert r.returncode == 0
    made = json.loads(r.stdout)
    assert made["project"] == str(tmp_path / "p") and "ax run" in made["next"]
    r = ax(tmp_path / "p", "run", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)  # the build's prints and the jobs' output went to stderr
    assert out["new"] == 1 and out["jobs"][0]["method"] == "hello" and out["error"] is None
    assert "built dev-1" in r.stderr and "[dev-1 synthesis]" in r.stderr
    again = json.loads(ax(tmp_path / "p", "run", "--json").stdout)
    assert again["reused"] == 1 and again["jobs"][0]["reused"] is True


def test_method_shows_the_source_hash_a_build_uses(tmp_path):
    project = Project(tmp_path / "p")
    project.method("one", "from . import helper\n\ndef synthesis():\n    return helper.X\n")
    project.file("methods/helper.py", "X = 1\n")
    project.build("def main(urd):\n    urd.build('one')\n")
    assert project.ax("run").returncode == 0
    shown = json.loads(project.ax("method", "one", "--json").stdout)
    params = json.loads((project.root / "workdirs/dev/dev-1/setup.json").read_text())
    assert shown["source_hash"] == params["source_hash"] == params["hash"]
    assert sorted(shown["source_files"]) == ["methods/a_one.py", "methods/helper.py"]


def test_jobs_from_a_plain_python_process(tmp_path):
    project = Project(tmp_path / "p", slices=2)
    project.method("talk", """
        def prepare():
            print("p")

        def analysis(sliceno):
            print("slice", sliceno)

        def synthesis():
            return 7
    """)
    project.build("def main(urd):\n    urd.build('talk')\n")
    assert project.ax("run").returncode == 0
    code = ("from accel import Job\n"
            "j = Job('dev-1')\n"
            "print(j.load(), j.method, repr(j.output('analysis')))\n"
            "try:\n    j.output('analysys')\nexcept ValueError as e:\n    print('ERR', e)\n")
    for cwd, env in ((project.root, {}), (tmp_path, {"ACCEL_CONFIG": str(project.conf)})):
        r = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                           text=True, env=dict(os.environ, **env))
        assert r.returncode == 0, r.stderr
        first, second = r.stdout.splitlines()
        assert first == "7 talk 'slice 0\\nslice 1\\n'"
        assert second.startswith("ERR") and "'analysys'" in second and "prepare" in second


def test_a_main_without_urd_and_a_user_error_in_a_job_are_one_clear_story(tmp_path):
    project = Project(tmp_path / "p")
    project.build("def main():\n    pass\n")
    r = project.ax("run")
    assert r.returncode == 2 and no_traceback(r)
    assert r.stderr.strip().splitlines() == [f"ax: {project.root / 'build.py'}: "
                                             "a build script needs a function main(urd)"]
    # a job failing on a user's mistake: the headline says it all, no empty traceback section
    (project.root / "empty.csv").write_text("")
    project.build("def main(urd):\n    urd.build('csvimport', filename='empty.csv')\n")
    r = project.ax("run")
    assert r.returncode == 1
    assert "failed in prepare: UserError: csvimport: " in r.stderr
    assert "empty.csv: expected 1 label line, the file has 0" in r.stderr
    assert "method traceback" not in r.stderr


def test_descriptions_and_errors_are_cut_at_a_word_with_an_ellipsis(tmp_path):
    project = Project(tmp_path / "p")
    project.method("long", '''
        description = """Compute the weighted average of every reading in the source dataset,
        station by station, and keep the stations whose average is above the threshold.

        A second paragraph that a list does not show."""

        def synthesis():
            raise ValueError("the threshold " + "is far too high for these readings " * 4)
    ''')
    project.method("one", 'description = "One file."\n\ndef synthesis():\n    return 1\n')
    project.build("def main(urd):\n    urd.build('long')\n")
    assert project.ax("run").returncode == 1
    full = ("Compute the weighted average of every reading in the source dataset, station by "
            "station, and keep the stations whose average is above the threshold.")
    for args in (("method",), ("jobs",)):
        out = project.ax(*args, check=True).stdout
        row = next(x for x in out.splitlines() if "long" in x.split()[:2])
        assert row.endswith("…"), row
        cut = row.rsplit("  ", 1)[1][:-1]
        source = full if args == ("method",) else \
            "synthesis: ValueError: the threshold " + "is far too high for these readings " * 4
        assert source.startswith(cut) and source[len(cut)] in " ,", (cut, source)
    out = project.ax("method", check=True).stdout
    assert next(x for x in out.splitlines() if x.startswith("one ")).endswith("  One file.")
    # and a count of one says so
    assert "(1 file)" in project.ax("method", "one", check=True).stdout


def test_a_mistake_names_ax_once(tmp_path):
    project = Project(tmp_path / "p")
    project.method("one", "options = dict(n=0)\n\ndef synthesis():\n    return 1\n")
    project.build("def main(urd):\n    urd.build('one')\n")
    project.ax("run", check=True)
    for args in (("why", "one", "n"), ("why", "one", "n=1", "n=2"), ("why", "dev-1", "n=3"),
                 ("job", "dev-9"), ("jobs", "--status", "finishd")):
        r = project.ax(*args)
        assert r.returncode != 0 and no_traceback(r), (args, r.stderr)
        assert r.stderr.startswith("ax: ") and not r.stderr.startswith("ax: ax"), r.stderr


# --- the same keys in every command's JSON ----------------------------------------------------

# what accel names one way everywhere, and the names it no longer uses for them
CHOSEN = {"job": "a job's id", "runtime": "how long something ran, in seconds",
          "starttime": "when a job started, unix seconds"}
NOT_USED = {"jobid", "job_id", "duration", "seconds", "exectime", "start", "started"}
# values that are someone else's keys: setup.json and post.json as stored (`params`, `post`),
# option values, values given on the command line, a dataset's rows
NOT_OURS = {"params", "post", "options", "old", "new", "given", "rows"}


def keys_in(data, where: str = "") -> list[tuple[str, str]]:
    """(path, key) of every dict key in data, not looking into NOT_OURS values."""
    found = []
    if isinstance(data, dict):
        for k, v in data.items():
            found.append((where, k))
            if k not in NOT_OURS:
                found += keys_in(v, f"{where}.{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += keys_in(v, f"{where}[{i}]")
    return found


def test_every_commands_json_uses_the_same_keys(tmp_path):
    """Issue 14, surprise 7: a job's id is `job` and how long it ran is `runtime` in every
    `--json` and on every page of the board, never `jobid` or `duration` here and `job`
    or `runtime` there."""
    from test_board import Board, make_project

    root = make_project(tmp_path / "p")
    assert ax(root, "run").returncode == 0
    assert ax(root, "run", "fail").returncode == 1
    outputs = {}
    for args in (("jobs",), ("jobs", "--summary"), ("job", "dev-1"), ("job", "dev-4"),
                 ("job", "dev-1", "-o"), ("workdir",), ("workdir", "dev"), ("status",),
                 ("gc", "--dry-run"), ("why", "dev-3"), ("why", "greet", "count=4"),
                 ("run",), ("urd",), ("urd", "nightly"), ("ds", "dev-2"), ("ds", "dev-3"),
                 ("method",), ("method", "greet")):
        p = ax(root, *args, "--json")
        assert p.returncode == 0 and no_traceback(p), (args, p.stderr)
        outputs["ax " + " ".join(args)] = json.loads(p.stdout)
    outputs["ax init"] = json.loads(ax(tmp_path, "init", "q", "--json").stdout)
    board = Board(root, "--listen", "127.0.0.1:0")
    try:
        for path in ("/", "/job/dev-1", "/job/dev-4", "/ds/dev-2", "/job/dev-3/ds/default",
                     "/urd", "/urd/nightly", "/method", "/method/greet"):
            outputs["board " + path] = board.json(path)
    finally:
        board.kill()

    for name, data in outputs.items():
        bad = [f"{where}.{k}" for where, k in keys_in(data) if k in NOT_USED]
        assert not bad, f"{name}: {bad} (say {', '.join(CHOSEN)})"
    # and where a job is listed, its id is under `job`, how long it ran under `runtime`
    for rows in (outputs["ax jobs"], outputs["ax workdir dev"], outputs["board /"]["jobs"],
                 outputs["board /method/greet"]["recent_jobs"]):
        assert rows and all({"job", "runtime", "starttime"} <= r.keys() for r in rows), rows
    gc = outputs["ax gc --dry-run"]
    assert all("job" in r for r in gc["keep"] + gc["delete"]) and gc["keep"]
    for one in (outputs["ax job dev-1"], outputs["board /job/dev-1"]):
        assert one["job"] == "dev-1"
    assert outputs["ax why dev-3"]["job"] == "dev-3"
    assert outputs["ax run"]["jobs"][0]["job"] == "dev-1" and "runtime" in outputs["ax run"]
    assert outputs["ax ds dev-2"]["job"] == "dev-2"
