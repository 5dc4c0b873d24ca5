"""ax job / method / workdir / urd, run as a user runs them: real subprocesses on a real project.

One project is built once for the module (`ax run` plus a failing `ax run fail`, and one
job directory that never finished); every test then only reads it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import Project, ax, ax_json, cli_env, one_error_line

METHODS = {
    "a_greet.py": '''
        from datetime import date

        description = """Greet someone, slice by slice.

        This second line is only shown for the method itself."""

        options = dict(who="world", count=int, when=date)


        def prepare(options):
            print(f"preparing greeting for {options.who}")
            return options.who


        def analysis(sliceno, prepare_res):
            print(f"slice {sliceno} says hi to {prepare_res}")
            return 1


        def synthesis(job, analysis_res, options):
            total = analysis_res.merge_auto()
            print(f"synthesis: {total} slices greeted {options.who}")
            job.json_save({"total": total})
            return total
    ''',
    "a_chain.py": '''
        from accel import OptionEnum

        description = "Add a step to the previous chain job's result."
        options = dict(step=1, mode=OptionEnum("fast slow").fast)
        datasets = ("source",)
        jobs = ("previous",)


        def synthesis(jobs, options):
            prev = jobs.previous
            return (prev.load() if prev is not None else 0) + options.step
    ''',
    "a_leaf.py": '''
        description = "Built as a subjob by parent."


        def prepare():
            return "leaf"
    ''',
    "a_parent.py": '''
        description = "Builds leaf from inside itself."


        def synthesis():
            from accel.subjobs import build

            return str(build("leaf"))
    ''',
    "a_fail.py": '''
        description = "Fails in analysis slice 1."


        def analysis(sliceno):
            print(f"slice {sliceno}: about to fail" if sliceno == 1 else "slice 0 is fine")
            if sliceno == 1:
                raise ValueError("slice one is broken")
    ''',
}

BUILD = '''
def main(urd):
    urd.begin("nightly", "2024-01-01", caption="first night")
    g = urd.build("greet", who="there", count=3)              # dev-1
    c1 = urd.build("chain", previous=g, step=5)            # dev-2
    urd.build("chain", previous=c1, step=2, mode="slow")   # dev-3
    urd.finish("nightly")
    urd.begin("nightly", "2024-01-02", caption="second night")
    urd.build("greet")                                      # dev-4
    urd.build("parent")                                     # dev-5 (and leaf dev-6)
    urd.finish("nightly")
    urd.begin("other", 7)
    urd.build("chain", previous=c1, step=2, mode="slow")   # dev-3 again
    urd.finish("other")
'''

BUILD_FAIL = '''
def main(urd):
    urd.build("fail")                                       # dev-7
'''


def make_project(root: Path) -> Path:
    proj = Project(root, slices=2)
    for name, text in METHODS.items():
        proj.method(name.removeprefix("a_").removesuffix(".py"), text)
    proj.build(BUILD)
    proj.build(BUILD_FAIL, "fail")
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("inspect") / "proj")
    ax(root, "run")
    p = ax(root, "run", "fail", rc=1)
    assert "dev-7" in p.stderr
    # a job whose run died before post.json: setup.json only
    wd = root / "workdirs" / "dev"
    (wd / "dev-50").mkdir()
    setup = json.loads((wd / "dev-1" / "setup.json").read_text())
    setup["jobid"] = "dev-50"
    (wd / "dev-50" / "setup.json").write_text(json.dumps(setup))
    return root


# --- ax job ------------------------------------------------------------------------------


def test_job_shows_everything(project: Path) -> None:
    out = ax(project, "job", "dev-1").stdout
    assert out.splitlines()[0].split() == ["dev-1", "finished"]
    for text in ("greet", str(project / "workdirs" / "dev" / "dev-1"), "started", "took",
                 "peak", "who   = 'there'", "count = 3", "when  = None", "methods/a_greet.py",
                 "timings", "prepare", "slice 0", "slice 1", "synthesis", "total",
                 "result.pickle", "result.json"):
        assert text in out, text
    assert "error" not in out


def test_job_json_has_params_and_post(project: Path) -> None:
    d = ax_json(project, "job", "dev-1")
    assert d["job"] == "dev-1"
    assert d["status"] == "finished"
    assert d["params"]["method"] == "greet"
    assert d["params"]["options"] == {"who": "there", "count": 3, "when": None}
    assert d["params"]["slices"] == 2
    assert d["post"]["status"] == "finished"
    assert len(d["post"]["parts"]["analysis"]["slices"]) == 2
    assert "result.json" in d["post"]["files"]


def test_job_references(project: Path) -> None:
    def jobid(ref: str) -> str:
        return ax_json(project, "job", ref)["job"]

    assert jobid("greet") == "dev-4"  # the latest of the method
    assert jobid("greet~1") == "dev-1"
    assert jobid("chain") == "dev-3"
    assert jobid("chain^") == "dev-2"
    assert jobid("chain^^") == "dev-1"
    assert jobid(":nightly:") == "dev-5"
    assert jobid(":nightly/2024-01-01:") == "dev-3"
    assert jobid(":nightly/2024-01-01:chain") == "dev-3"
    assert jobid("dev-3/default") == "dev-3"


NAP = """
import time

options = dict(i=0, nap=0.0)


def synthesis():
    time.sleep(options.nap)
    return options.i
"""


def test_a_method_reference_is_its_highest_numbered_finished_job(tmp_path: Path) -> None:
    # dev-1 sleeps, so dev-2 finishes (and is listed for its method) first; deleting the
    # newest job makes the one before it the method's latest
    proj = Project(tmp_path / "p")
    proj.method("nap", NAP)
    proj.build("""
        def main(urd):
            urd.build_many('nap', [dict(i=1, nap=1.0), dict(i=2)], parallel=2)
            urd.build('nap', i=3)
    """)
    ax(proj.root, "run")
    by_end = [line.split()[0] for line in
              (proj.root / "workdirs/dev/.accel/by-method/nap").read_text().splitlines()]
    assert by_end == ["dev-2", "dev-1", "dev-3"]

    def jobid(ref: str) -> str:
        return ax_json(proj.root, "job", ref)["job"]

    assert [jobid("nap"), jobid("nap~1"), jobid("nap~2")] == ["dev-3", "dev-2", "dev-1"]
    # lines that name no job of this workdir (a torn append, a hand edit) are passed over
    with open(proj.root / "workdirs/dev/.accel/by-method/nap", "a") as f:
        f.write("garbage\ndev-\ndev-x\nother-9\ndev-99\n")
    assert [jobid("nap"), jobid("nap~1"), jobid("nap~2")] == ["dev-3", "dev-2", "dev-1"]
    shutil.rmtree(proj.root / "workdirs/dev/dev-3")
    assert [jobid("nap"), jobid("nap~1")] == ["dev-2", "dev-1"]
    shutil.rmtree(proj.root / "workdirs/dev/dev-2")
    assert jobid("nap") == "dev-1"
    shutil.rmtree(proj.root / "workdirs/dev/dev-1")
    assert "no finished job of method 'nap'" in one_error_line(ax(proj.root, "job", "nap", rc=1))


@pytest.mark.parametrize("ref", [".", "..", "..."])
def test_a_job_reference_of_only_dots_is_one_line(project: Path, ref: str) -> None:
    line = one_error_line(ax(project, "job", ref, rc=2))
    assert f"bad job reference {ref!r}" in line


def test_job_inputs_and_defaults(project: Path) -> None:
    out = ax(project, "job", "dev-3").stdout
    assert "step = 2" in out
    assert "mode = 'slow'" in out
    assert "job previous   = dev-2" in out
    assert "dataset source = -" in out
    assert ax_json(project, "job", "dev-2")["params"]["options"] == {"step": 5, "mode": "fast"}


def test_job_subjobs(project: Path) -> None:
    out = ax(project, "job", "dev-5").stdout
    assert "subjobs" in out
    assert "dev-6  leaf" in out
    assert ax_json(project, "job", "parent")["post"]["subjobs"] == ["dev-6"]


def test_job_not_there_is_exit_1_one_line(project: Path) -> None:
    for ref in ("dev-99", "nosuchmethod", "nope-1", "greet~9", "dev-1^", ":nolist:"):
        p = ax(project, "job", ref, rc=1)
        assert p.stdout == ""
        assert one_error_line(p).startswith("ax: ")
    assert "dev-99" in one_error_line(ax(project, "job", "dev-99", rc=1))


def test_job_usage_errors_are_exit_2(project: Path) -> None:
    assert "REF" in ax(project, "job", rc=2).stderr
    one_error_line(ax(project, "job", "bad ref!", rc=2))
    assert "part" in ax(project, "job", "dev-1", "-o", "bogus", rc=2).stderr
    assert "No such option" in ax(project, "job", "dev-1", "--nope", rc=2).stderr


def test_job_output(project: Path) -> None:
    # all of it: each line labelled with its part and slice, as `ax run` showed it live
    everything = ax(project, "job", "dev-1", "-o").stdout
    assert everything == ("[dev-1 prepare] preparing greeting for there\n"
                          "[dev-1 analysis 0] slice 0 says hi to there\n"
                          "[dev-1 analysis 1] slice 1 says hi to there\n"
                          "[dev-1 synthesis] synthesis: 2 slices greeted there\n")
    assert ax(project, "job", "-o", "dev-1").stdout == everything  # -o before REF
    assert ax(project, "job", "greet~1", "--output").stdout == everything
    # one part: raw, exactly as the method printed it
    assert ax(project, "job", "dev-1", "-o", "prepare").stdout == "preparing greeting for there\n"
    assert ax(project, "job", "dev-1", "-o", "1").stdout == "slice 1 says hi to there\n"
    assert ax(project, "job", "dev-1", "-o", "analysis").stdout == (
        "[dev-1 analysis 0] slice 0 says hi to there\n"
        "[dev-1 analysis 1] slice 1 says hi to there\n")
    assert ax(project, "job", "dev-1", "-o", "synthesis").stdout == (
        "synthesis: 2 slices greeted there\n")
    d = json.loads(ax(project, "job", "dev-1", "-o", "--json").stdout)
    assert d == {"prepare": "preparing greeting for there\n", "0": "slice 0 says hi to there\n",
                 "1": "slice 1 says hi to there\n",
                 "synthesis": "synthesis: 2 slices greeted there\n"}
    p = ax(project, "job", "dev-1", "-o", "2", rc=1)
    assert "slice 2" in one_error_line(p)


TALKS = '''
import sys


def prepare():
    print("getting ready")
    print("to stderr too", file=sys.stderr)


def analysis(sliceno):
    print(f"slice {sliceno} works")
    print(f"slice {sliceno} is done")


def synthesis():
    print("first line")
    sys.stdout.write("a last line without its newline")
'''


def test_job_output_is_labelled_as_the_live_output_was(tmp_path: Path) -> None:
    """Issue 14, surprise 7: `ax job REF -o` shows each line after the same label as `ax
    run` showed it live ([dev-1 analysis 1] ...), parts and slices in run order; one part
    stays exactly as the method printed it."""
    p = Project(tmp_path / "proj", slices=3)
    p.method("talks", TALKS)
    p.build("def main(urd):\n    urd.build('talks')\n")
    live = [line for line in ax(p.root, "run").stdout.splitlines()
            if line.startswith("[dev-1 ")]
    shown = ax(p.root, "job", "dev-1", "-o").stdout
    assert sorted(shown.splitlines()) == sorted(live)  # live, slices may interleave
    assert shown == ("[dev-1 prepare] getting ready\n"
                     "[dev-1 prepare] to stderr too\n"
                     + "".join(f"[dev-1 analysis {n}] slice {n} works\n"
                               f"[dev-1 analysis {n}] slice {n} is done\n" for n in range(3))
                     + "[dev-1 synthesis] first line\n"
                     "[dev-1 synthesis] a last line without its newline\n")
    assert ax(p.root, "job", "talks", "-o", "analysis").stdout.splitlines() == \
        shown.splitlines()[2:8]
    # one part (or slice): the raw text, a missing last newline and all
    assert ax(p.root, "job", "dev-1", "-o", "synthesis").stdout == \
        "first line\na last line without its newline"
    assert ax(p.root, "job", "dev-1", "-o", "2").stdout == "slice 2 works\nslice 2 is done\n"
    # and --json has each part raw, by name
    assert ax_json(p.root, "job", "dev-1", "-o")["1"] == "slice 1 works\nslice 1 is done\n"


def test_failed_job_shows_the_error(project: Path) -> None:
    out = ax(project, "job", "dev-7").stdout
    assert out.splitlines()[0].split() == ["dev-7", "failed"]
    assert "error in analysis slice 1" in out
    assert "ValueError: slice one is broken" in out
    assert "traceback" in out and "a_fail.py" in out
    assert "ax job dev-7 -o" in out
    d = ax_json(project, "job", "dev-7")
    assert d["status"] == "failed"
    assert d["post"]["error"]["part"] == "analysis slice 1"
    assert d["post"]["error"]["exception"] == "ValueError"
    assert ax(project, "job", "dev-7", "-o", "1").stdout.startswith("slice 1: about to fail\n")
    # a failed job is never the latest of its method
    ax(project, "job", "fail", rc=1)


def test_unfinished_job(project: Path) -> None:
    out = ax(project, "job", "dev-50").stdout
    assert out.splitlines()[0].split() == ["dev-50", "unfinished"]
    assert "who   = 'there'" in out  # what setup.json says
    assert "timings" not in out
    d = ax_json(project, "job", "dev-50")
    assert d["status"] == "unfinished" and d["post"] is None
    assert d["params"]["options"]["who"] == "there"
    assert ax(project, "job", "dev-50", "-o").stdout == ""



SLOW = '''
import os
import time

options = dict(flag=str)


def prepare(options):
    print("waiting for the flag", flush=True)
    for _ in range(1200):
        if os.path.exists(options.flag):
            return "went"
        time.sleep(0.05)
    raise RuntimeError("no flag")
'''


def test_running_job(tmp_path: Path) -> None:
    """A job being run right now: status running, no post, and its output so far."""
    root = make_project(tmp_path / "p")
    flag = tmp_path / "go"
    (root / "methods" / "a_slow.py").write_text(SLOW)
    (root / "build_slow.py").write_text(f"def main(urd):\n    urd.build('slow', flag={str(flag)!r})\n")
    run = subprocess.Popen([sys.executable, "-m", "accel.cli.main", "run", "slow"], cwd=root,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
    try:
        out = root / "workdirs" / "dev" / "dev-1" / "output" / "prepare.txt"
        deadline = time.time() + 60
        while not out.exists() and time.time() < deadline:
            time.sleep(0.05)
        text = ax(root, "job", "dev-1").stdout
        assert text.splitlines()[0].split() == ["dev-1", "running"]
        assert "running for" in text and "last output from prepare" in text
        assert str(flag) in text
        d = ax_json(root, "job", "dev-1")
        assert d["status"] == "running" and d["post"] is None
        assert d["last_output"] == "prepare"
        # what was captured so far (the writer may still hold it in its buffer)
        assert ax(root, "job", "dev-1", "-o").stdout in ("", "[dev-1 prepare] waiting for the flag\n")
        assert [r["status"] for r in ax_json(root, "workdir", "dev")] == ["running"]
        assert ax_json(root, "workdir", "dev", "--status", "running")[0]["job"] == "dev-1"
        ax(root, "job", "slow", rc=1)  # not finished: not "the latest of slow" yet
    finally:
        flag.write_text("")
        _, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert ax_json(root, "job", "slow")["status"] == "finished"
    assert ax(root, "job", "slow", "-o").stdout == "[dev-1 prepare] waiting for the flag\n"


def test_job_is_light(project: Path) -> None:
    """`ax job` must start fast: no builder, options, runner or numpy."""
    code = textwrap.dedent("""
        import sys
        from accel.cli.main import cli
        for ref in ("dev-1", "greet", "chain^"):
            cli.main(["job", ref], standalone_mode=False)
        heavy = [m for m in ("accel.builder", "accel.options", "accel.runner", "accel.identity",
                             "accel.methods", "numpy", "pyarrow") if m in sys.modules]
        print("HEAVY", heavy)
    """)
    p = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True,
                       text=True, env=cli_env(), timeout=60)
    assert p.returncode == 0, p.stderr
    assert "HEAVY []" in p.stdout


# --- ax method ---------------------------------------------------------------------------


def test_method_list(project: Path) -> None:
    out = ax(project, "method").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["method", "package", "description"]
    names = [line.split()[0] for line in lines[1:]]
    assert names == sorted(names)
    assert {"greet", "chain", "leaf", "parent", "fail"} <= set(names)
    assert "Greet someone, slice by slice." in out
    assert "second line" not in out
    rows = {r["name"]: r for r in ax_json(project, "method")}
    assert rows["chain"]["package"] == "methods"
    assert rows["chain"]["description"] == "Add a step to the previous chain job's result."
    assert rows["greet"]["file"] == str(project / "methods" / "a_greet.py")


def test_method_one(project: Path) -> None:
    out = ax(project, "method", "greet").stdout
    assert out.startswith("greet  (methods)")
    assert "parts  prepare, analysis, synthesis" in out
    assert "This second line" in out
    assert str(project / "methods" / "a_greet.py") in out
    assert "who    str (default 'world')" in out
    assert "count  int" in out
    assert "when   date" in out
    d = ax_json(project, "method", "chain")
    assert d["parts"] == ["synthesis"]
    assert d["options"] == {"step": "int (default 1)", "mode": "one of fast, slow (default fast)"}
    assert d["datasets"] == [{"name": "source", "list": False}]
    assert d["jobs"] == [{"name": "previous", "list": False}]
    out = ax(project, "method", "chain").stdout
    assert "datasets\n  source" in out and "jobs\n  previous" in out


def test_method_unknown_is_exit_1_with_close_names(project: Path) -> None:
    line = one_error_line(ax(project, "method", "gret", rc=1))
    assert "gret" in line and "greet" in line


def test_method_broken_one_is_shown_not_fatal(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    (root / "methods" / "a_broken.py").write_text("def prepare(:\n")
    out = ax(root, "method").stdout
    assert "broken" in out and "cannot load" in out and "greet" in out
    line = one_error_line(ax(root, "method", "broken", rc=2))
    assert "a_broken.py:1" in line


# --- ax workdir --------------------------------------------------------------------------


def test_workdir_list(project: Path) -> None:
    out = ax(project, "workdir").stdout
    assert out.splitlines()[1].split()[:3] == ["dev", "*", "8"]
    assert str(project / "workdirs" / "dev") in out
    assert ax_json(project, "workdir") == [{
        "name": "dev", "path": str(project / "workdirs" / "dev"), "jobs": 8, "target": True,
        "exists": True}]


def test_workdir_jobs(project: Path) -> None:
    out = ax(project, "workdir", "dev").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["job", "method", "status", "started", "runtime"]
    assert [line.split()[0] for line in lines[1:]] == [
        "dev-1", "dev-2", "dev-3", "dev-4", "dev-5", "dev-6", "dev-7", "dev-50"]
    assert lines[2].split()[:3] == ["dev-2", "chain", "finished"]
    assert lines[7].split()[:3] == ["dev-7", "fail", "failed"]
    assert lines[8].split()[:3] == ["dev-50", "greet", "unfinished"]

    def ids(*args: str) -> list[str]:
        return [r["job"] for r in ax_json(project, "workdir", *args)]

    assert ids("dev", "--method", "chain") == ["dev-2", "dev-3"]
    assert ids("dev", "-m", "chain", "-m", "leaf") == ["dev-2", "dev-3", "dev-6"]
    assert ids("dev", "--status", "failed") == ["dev-7"]
    assert ids("dev", "--status", "unfinished") == ["dev-50"]
    assert ids("dev", "--limit", "2") == ["dev-7", "dev-50"]
    assert ids("dev", "--method", "greet", "--status", "finished", "--limit", "1") == ["dev-4"]
    assert ids("--method", "leaf") == ["dev-6"]  # a filter without NAME: every workdir
    row = ax_json(project, "workdir", "dev", "-m", "greet", "-n", "1")[0]
    assert row["status"] == "unfinished" and row["runtime"] is None
    row = ax_json(project, "workdir", "dev", "-m", "parent")[0]
    assert row["runtime"] > 0 and row["starttime"] > 0
    assert "no jobs" in ax(project, "workdir", "dev", "--method", "nosuch").stdout


def test_workdir_errors(project: Path) -> None:
    line = one_error_line(ax(project, "workdir", "deb", rc=1))
    assert "deb" in line and "dev" in line
    ax(project, "workdir", "dev", "--status", "bogus", rc=2)
    ax(project, "workdir", "dev", "--limit", "0", rc=2)


# --- ax urd ------------------------------------------------------------------------------


def test_urd_lists(project: Path) -> None:
    out = ax(project, "urd").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["list", "entries", "latest", "caption"]
    assert lines[1].split() == ["nightly", "2", "2024-01-02", "second", "night"]
    assert lines[2].split() == ["other", "1", "7"]
    assert ax_json(project, "urd") == [
        {"name": "nightly", "entries": 2, "latest": "2024-01-02", "caption": "second night"},
        {"name": "other", "entries": 1, "latest": "7", "caption": ""},
    ]


def test_urd_entries(project: Path) -> None:
    out = ax(project, "urd", "nightly").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["timestamp", "caption", "user", "jobs"]
    assert lines[1].startswith("2024-01-01  first night")
    assert lines[1].endswith("greet=dev-1 chain=dev-2 chain=dev-3")
    assert lines[2].endswith("greet=dev-4 parent=dev-5")
    entries = ax_json(project, "urd", "nightly")
    assert [e["timestamp"] for e in entries] == ["2024-01-01", "2024-01-02"]
    assert entries[0]["joblist"] == [["greet", "dev-1"], ["chain", "dev-2"], ["chain", "dev-3"]]
    assert entries[0]["caption"] == "first night"
    assert entries[0]["build"].endswith("build.py")
    assert ax_json(project, "urd", "other")[0]["joblist"] == [["chain", "dev-3"]]


def test_urd_errors(project: Path) -> None:
    line = one_error_line(ax(project, "urd", "nighty", rc=1))
    assert "nighty" in line and "nightly" in line
    one_error_line(ax(project, "urd", "a b", rc=2))


# --- a fresh project, and no project -----------------------------------------------------


def test_fresh_project_has_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "fresh")
    assert "no urd lists" in ax(root, "urd").stdout
    assert ax_json(root, "urd") == []
    assert not (root / ".accel" / "urd.db").exists()  # looking creates nothing
    ax(root, "urd", "nightly", rc=1)
    assert ax(root, "workdir").stdout.splitlines()[1].split()[:3] == ["dev", "*", "0"]
    assert ax_json(root, "workdir", "dev") == []
    ax(root, "job", "dev-1", rc=1)
    ax(root, "job", ":nightly:", rc=1)
    ax(root, "job", "greet", rc=1)


def test_no_project_is_exit_2(tmp_path: Path) -> None:
    for args in (("job", "dev-1"), ("method",), ("workdir",), ("urd",)):
        line = one_error_line(ax(tmp_path, *args, rc=2))
        assert "accelerator.conf" in line


@pytest.mark.parametrize("command", ["job", "method", "workdir", "urd"])
def test_help(command: str, tmp_path: Path) -> None:
    out = ax(tmp_path, command, "--help").stdout
    assert "--json" in out
    assert f"ax {command}" in out


SLEEPS_A_MINUTE = '''
def synthesis():
    import time
    print('started', flush=True)
    time.sleep(60)
'''


def test_a_timed_out_job_is_shown_as_it_ended_not_as_never_ended(tmp_path: Path) -> None:
    """Issue 14, surprise 1: `ax job` of a timed-out job says how it ended (the status,
    how long it took, the reason), with no "ended never" and no empty timings table; the
    board's job data is the same."""
    p = Project(tmp_path / "proj")
    p.method("slow", SLEEPS_A_MINUTE)
    p.build("def main(urd):\n    urd.build('slow', timeout=0.5)\n")
    run = p.ax("run")
    assert run.returncode == 1 and "timed out" in run.stderr
    (jobid,) = p.job_dirs()
    out = ax(p.root, "job", jobid).stdout
    assert out.splitlines()[0].split() == [jobid, "timeout"]
    assert "never" not in out and "timings" not in out, out
    assert "took" in out and "Timeout: timed out after 0.5 s" in out
    d = ax_json(p.root, "job", jobid)
    assert d["status"] == "timeout" and d["post"]["error"]["message"] == "timed out after 0.5 s"
    from accel.view.job import header_rows, timing_rows

    assert timing_rows(d["post"]) == []
    assert [k for k, _ in header_rows(d)][:5] == ["method", "path", "started", "took", "slices"]
