"""`ax why`: why a job ran, or why a build would run -- through `ax`, in a throwaway project.

Each test changes one thing a job's identity depends on (the method file, a helper module
it imports, an option, an input job, a dataset input, the slices) and checks that exactly
that is named, as text and as --json.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import Project, Saved, ax, ax_json, ax_run, one_error_line, start_ax, wait_for

COUNT = """
from . import helper

options = dict(n=3, tag="x")
jobs = ("source",)


def synthesis():
    return helper.double(options.n)
"""

HELPER = """
def double(n):
    return n * 2
"""

SRC = """
options = dict(k=1)


def synthesis():
    return options.k
"""


def build(project: Project, body: str) -> None:
    project.build("def main(urd):\n" + "".join(f"    {line}\n" for line in body.splitlines()))


def _count_and_src(project: Project) -> Project:
    """src (dev-1) and count (dev-2, n=3, source=dev-1), built."""
    project.file("methods/helper.py", HELPER)
    project.method("count", COUNT)
    project.method("src", SRC)
    build(project, 's = urd.build("src")\nurd.build("count", n=3, source=s)')
    ax_run(project, "-q")
    assert project.job_dirs() == ["dev-1", "dev-2"]
    return project


@pytest.fixture(scope="module")
def _saved(tmp_path_factory: pytest.TempPathFactory) -> Saved:
    return Saved(_count_and_src(Project(tmp_path_factory.mktemp("why") / "proj")))


@pytest.fixture
def proj(_saved: Saved) -> Project:
    """src (dev-1) and count (dev-2, n=3, source=dev-1), built once for the module and
    put back as built for each test (which may change it)."""
    return _saved.restore()


built = proj  # the tests that only ask `ax why` of it


def diffs(report: dict) -> list[tuple]:
    """The nearest job's differences as (what, name, change)."""
    return [(d["what"], d["name"], d["change"]) for d in report["nearest"]["differences"]]


# --- would a build run? ---------------------------------------------------------------------

def test_reuse(built):
    p = ax(built.root, "why", "count", "n=3", "source=dev-1")
    assert p.stdout.strip() == "count: would reuse dev-2 (finished, the same identity)"
    r = ax_json(built.root, "why", "count", "n=3", "source=src")  # a reference works too
    assert r["verdict"] == "reuse" and r["reuse"] == "dev-2"


def test_option_changed(built):
    p = ax(built.root, "why", "count", "n=4", "source=dev-1")
    lines = p.stdout.splitlines()
    assert lines[0].startswith("count: would run")
    assert lines[1].startswith("nearest job: dev-2") and lines[1].endswith("1 difference:")
    assert lines[2:] == ["  option n: 3 → 4"]
    r = ax_json(built.root, "why", "count", "n=4", "source=dev-1")
    assert r["verdict"] == "run" and r["reuse"] is None
    assert r["nearest"]["differences"] == [
        {"what": "option", "name": "n", "change": "changed", "old": 3, "new": 4}]


def test_default_given_explicitly_is_no_difference(built):
    r = ax_json(built.root, "why", "count", "n=3", "tag=x", "source=dev-1")
    assert r["reuse"] == "dev-2"


def test_method_file_edited(proj):
    proj.method("count", COUNT + "\n# a comment\n")
    p = ax(proj.root, "why", "count", "n=3", "source=dev-1")
    assert "would run" in p.stdout
    r = ax_json(proj.root, "why", "count", "n=3", "source=dev-1")
    assert diffs(r) == [("source file", "methods/a_count.py", "changed")]
    d = r["nearest"]["differences"][0]
    assert d["old"] != d["new"] and len(d["new"]) == 64
    assert f"  source file methods/a_count.py: {d['old'][:8]} → {d['new'][:8]}" in p.stdout
    # and once it ran, `ax why` of the new job names the same edit
    ax_run(proj, "-q")
    r = ax_json(proj.root, "why", "dev-3")
    assert r["verdict"] == "ran" and r["status"] == "finished" and not r["first"]
    assert r["nearest"]["job"] == "dev-2"
    assert diffs(r) == [("source file", "methods/a_count.py", "changed")]
    p = ax(proj.root, "why", "dev-3")
    assert p.stdout.splitlines()[0] == ("dev-3 (count, finished) ran because no earlier "
                                        "finished job of count had its identity")
    assert "nearest earlier job: dev-2" in p.stdout


def test_helper_module_edited(proj):
    proj.file("methods/helper.py", HELPER + "\n\ndef triple(n):\n    return n * 3\n")
    r = ax_json(proj.root, "why", "count", "n=3", "source=dev-1")
    assert diffs(r) == [("source file", "methods/helper.py", "changed")]
    ax_run(proj, "-q")
    assert diffs(ax_json(proj.root, "why", "dev-3")) == [
        ("source file", "methods/helper.py", "changed")]
    # src imports nothing: untouched, reused
    assert ax_json(proj.root, "why", "src")["reuse"] == "dev-1"


def test_module_newly_imported_and_dropped(proj):
    proj.file("methods/other.py", "X = 1\n")
    proj.method("count", COUNT.replace("from . import helper", "from . import helper, other"))
    r = ax_json(proj.root, "why", "count", "n=3", "source=dev-1")
    assert set(diffs(r)) == {("source file", "methods/a_count.py", "changed"),
                             ("source file", "methods/other.py", "added")}
    p = ax(proj.root, "why", "count", "n=3", "source=dev-1")
    assert "  source file methods/other.py: newly imported" in p.stdout
    ax_run(proj, "-q")  # dev-3 with other.py; now drop helper.py from the imports
    proj.method("count", "from . import other\noptions = dict(n=3, tag='x')\n"
                         "jobs = ('source',)\n\ndef synthesis():\n    return other.X\n")
    r = ax_json(proj.root, "why", "count", "n=3", "source=dev-1")
    assert r["nearest"]["job"] == "dev-3"
    assert set(diffs(r)) == {("source file", "methods/a_count.py", "changed"),
                             ("source file", "methods/helper.py", "removed")}
    assert "  source file methods/helper.py: no longer imported" in \
        ax(proj.root, "why", "count", "n=3", "source=dev-1").stdout


def test_input_job_changed(proj):
    build(proj, 's = urd.build("src", k=2)\nurd.build("count", n=3, source=s)')
    ax_run(proj, "-q")  # dev-3 (src k=2), dev-4 (count with source=dev-3)
    r = ax_json(proj.root, "why", "dev-4")
    assert r["nearest"]["job"] == "dev-2"
    assert r["nearest"]["differences"] == [
        {"what": "job input", "name": "source", "change": "changed", "old": "dev-1",
         "new": "dev-3"}]
    assert "  job input source: dev-1 → dev-3" in ax(proj.root, "why", "dev-4").stdout
    # and dev-3 itself differs from dev-1 in its option
    assert ax_json(proj.root, "why", "dev-3")["nearest"]["differences"] == [
        {"what": "option", "name": "k", "change": "changed", "old": 1, "new": 2}]
    # asking with a reference: src~1 is dev-1
    assert ax_json(proj.root, "why", "count", "source=src~1")["reuse"] == "dev-2"


def test_slices_changed(proj):
    proj.conf.write_text(proj.conf.read_text().replace("slices: 2", "slices: 4"))
    r = ax_json(proj.root, "why", "count", "n=3", "source=dev-1")
    assert r["verdict"] == "run"
    assert r["nearest"]["differences"] == [
        {"what": "slices", "name": None, "change": "changed", "old": 2, "new": 4}]
    assert "  slices 2 → 4" in ax(proj.root, "why", "count", "n=3", "source=dev-1").stdout


def test_option_added_by_a_method_change(proj):
    proj.method("count", COUNT.replace('tag="x"', 'tag="x", extra=1.5'))
    r = ax_json(proj.root, "why", "count", "n=3", "source=dev-1")
    assert set(diffs(r)) == {("source file", "methods/a_count.py", "changed"),
                             ("option", "extra", "added")}
    out = ax(proj.root, "why", "count", "n=3", "source=dev-1").stdout
    assert "  option extra: 1.5 (not an option of the method then)" in out
    # and removed
    proj.method("count", COUNT.replace(', tag="x"', ""))
    r = ax_json(proj.root, "why", "count", "n=3", "source=dev-1")
    assert ("option", "tag", "removed") in diffs(r)
    assert "  option tag: no longer declared (was 'x')" in \
        ax(proj.root, "why", "count", "n=3", "source=dev-1").stdout


def test_dataset_input_changed(project):
    project.method("make", """
        options = dict(v=1)

        def synthesis(job):
            dw = job.datasetwriter(columns={"x": "int64"}, allow_missing_slices=True)
            dw.set_slice(0)
            dw.write(options.v)
        """)
    project.method("use", """
        datasets = ("source",)

        def synthesis():
            return 1
        """)
    build(project, 'a = urd.build("make")\nb = urd.build("make", v=2)\n'
                   'urd.build("use", source=a)')
    ax_run(project, "-q")  # dev-1, dev-2 (make), dev-3 (use dev-1)
    r = ax_json(project.root, "why", "use", "source=dev-2")
    assert r["nearest"]["differences"] == [
        {"what": "dataset input", "name": "source", "change": "changed",
         "old": "dev-1/default", "new": "dev-2/default"}]
    out = ax(project.root, "why", "use", "source=make").stdout  # make: its latest, dev-2
    assert "  dataset input source: dev-1/default → dev-2/default" in out
    assert ax_json(project.root, "why", "use", "source=dev-1/default")["reuse"] == "dev-3"


# --- nearest: fewest differences, then newest -------------------------------------------------

def test_nearest_is_fewest_differences_then_newest(proj):
    build(proj, 'urd.build("count", n=1, tag="y", source="dev-1")')
    ax_run(proj, "-q")  # dev-3: n=1 tag=y; dev-2: n=3 tag=x
    # n=3 tag=y: one difference from each; the newest wins
    r = ax_json(proj.root, "why", "count", "n=3", "tag=y", "source=dev-1")
    assert r["nearest"]["job"] == "dev-3" and diffs(r) == [("option", "n", "changed")]
    # n=3 tag=z: one from dev-2 (tag), two from dev-3 (n, tag): fewest wins over newest
    r = ax_json(proj.root, "why", "count", "n=3", "tag=z", "source=dev-1")
    assert r["nearest"]["job"] == "dev-2" and diffs(r) == [("option", "tag", "changed")]
    assert r["compared"] == 2 and not r["limited"]


def test_only_the_newest_jobs_are_compared(proj):
    build(proj, "\n".join(f'urd.build("count", n={n}, source="dev-1")' for n in (10, 11, 12)))
    ax_run(proj, "-q")  # dev-3..5
    r = ax_json(proj.root, "why", "count", "n=3", "tag=z", "source=dev-1", "--limit", "2")
    assert r["compared"] == 2 and r["finished_jobs"] == 4 and r["limited"]
    assert r["nearest"]["job"] == "dev-5"  # dev-2 (one difference) was not looked at
    out = ax(proj.root, "why", "count", "n=3", "tag=z", "source=dev-1", "--limit", "2").stdout
    assert "(compared with the newest 2 of 4 finished jobs of count only)" in out
    r = ax_json(proj.root, "why", "dev-5", "--limit", "1")
    assert r["compared"] == 1 and r["limited"] and r["nearest"]["job"] == "dev-4"


# --- why did a job run? ---------------------------------------------------------------------

def test_first_job(built):
    p = ax(built.root, "why", "dev-1")
    assert p.stdout.strip() == ("dev-1 (src, finished) ran because it was the first job of "
                                "src: there is no earlier finished one")
    r = ax_json(built.root, "why", "dev-1")
    assert r["first"] and r["nearest"] is None and r["identical"] == []


def test_no_job_of_the_method(proj):
    proj.method("fresh", "def synthesis():\n    return 1\n")
    p = ax(proj.root, "why", "fresh")
    assert p.stdout.splitlines()[0].startswith("fresh: would run")
    assert "there is no finished job of fresh to compare with" in p.stdout
    r = ax_json(proj.root, "why", "fresh")
    assert r["first"] and r["nearest"] is None and r["finished_jobs"] == 0


FLAKY = """
options = dict(fail=False)


def synthesis():
    if options.fail:
        raise ValueError("asked to fail")
    return 1
"""


def test_failed_job(project):
    project.method("flaky", FLAKY)
    build(project, 'urd.build("flaky")')
    ax_run(project, "-q")  # dev-1, finished
    build(project, 'urd.build("flaky", fail=True)')
    assert project.ax("run", "-q").returncode != 0  # dev-2 failed
    assert project.ax("run", "-q").returncode != 0  # dev-3 failed again: never reused
    r = ax_json(project.root, "why", "dev-2")
    assert r["status"] == "failed" and r["nearest"]["job"] == "dev-1"
    assert diffs(r) == [("option", "fail", "changed")]
    out = ax(project.root, "why", "dev-2").stdout
    assert out.splitlines()[0] == ("dev-2 (flaky, failed) ran because no earlier finished "
                                   "job of flaky had its identity")
    assert "dev-2 is failed: it is never reused; a build with its identity runs again" in out
    # dev-3 has dev-2's identity: it ran because dev-2 failed
    r = ax_json(project.root, "why", "dev-3")
    assert r["identical"] == [{"job": "dev-2", "status": "failed"}]
    out = ax(project.root, "why", "dev-3").stdout
    assert out.splitlines()[0] == ("dev-3 (flaky, failed) ran again: the earlier dev-2 with "
                                   "the same identity is failed, and only finished jobs are "
                                   "reused")
    # a build of it would run once more; both failed ones are named
    r = ax_json(project.root, "why", "flaky", "fail=yes")
    assert r["verdict"] == "run"
    assert r["identical"] == [{"job": "dev-3", "status": "failed"},
                              {"job": "dev-2", "status": "failed"}]
    out = ax(project.root, "why", "flaky", "fail=yes").stdout
    assert "dev-3 had this identity but is failed (only finished jobs are reused)" in out
    assert "nearest job: dev-1" in out


def test_force_build(proj):
    build(proj, 'urd.build("src", force_build=True)')
    ax_run(proj, "-q")  # dev-3: same identity as dev-1
    r = ax_json(proj.root, "why", "dev-3")
    assert r["identical"] == [{"job": "dev-1", "status": "finished", "finished_before": True}]
    out = ax(proj.root, "why", "dev-3").stdout
    assert out.splitlines()[0] == ("dev-3 (src, finished) has the same identity as the "
                                   "earlier dev-1, which is finished:")
    assert "force_build=True" in out


def test_identity_scheme_of_another_accel(proj):
    """A job made by an accel that computed identities differently: everything recorded
    is equal, only the identity is not; the version is named."""
    setup_path = proj.root / "workdirs/dev/dev-2/setup.json"
    setup = json.loads(setup_path.read_text())
    setup["identity"] = "0" * 32
    setup["versions"]["accel"] = "0.0.1"
    setup_path.write_text(json.dumps(setup))
    r = ax_json(proj.root, "why", "count", "n=3", "source=dev-1")
    assert r["verdict"] == "run"
    assert r["nearest"]["differences"] == [
        {"what": "identity scheme", "name": None, "change": "changed", "old": "0.0.1",
         "new": r["nearest"]["differences"][0]["new"]}]
    assert "identity scheme: made by accel 0.0.1" in \
        ax(proj.root, "why", "count", "n=3", "source=dev-1").stdout


def test_refs_and_latest_of_a_method(built):
    assert ax_json(built.root, "why", "count~0")["job"] == "dev-2"
    assert ax_json(built.root, "why", "dev-2/default")["job"] == "dev-2"


# --- mistakes: one line, no traceback -------------------------------------------------------

@pytest.mark.parametrize("args, rc, words", [
    (("nosuch",), 1, ["no method or job 'nosuch'"]),
    (("cuont", "n=1"), 1, ["no method or job 'cuont'", "did you mean: count"]),
    (("dev-99",), 1, ["no job dev-99"]),
    (("count", "n=abc"), 2, ["method 'count'", "option 'n'", "expected int", "'abc'"]),
    (("count", "tga=1"), 2, ["unknown option or input 'tga'", "did you mean 'tag'"]),
    (("count", "n"), 2, ["expected KEY=VALUE", "'n'"]),
    (("count", "n=1", "n=2"), 2, ["'n' is given twice"]),
    (("count", "source=dev-99"), 2, ["job input 'source'", "no job dev-99"]),
    (("count", "source=nosuch"), 2, ["job input 'source'", "no finished job of method 'nosuch'"]),
    (("dev-2", "n=3"), 2, ["KEY=VALUE goes with a METHOD"]),
])
def test_mistakes(built, args, rc, words):
    p = ax(built.root, "why", *args, rc=rc)
    line = one_error_line(p, ("ax: ", "Error: "))
    for w in words:
        assert w in line, line
    assert p.stdout == ""


def test_input_not_finished_is_a_note(project):
    project.method("flaky", FLAKY)
    project.method("use", "jobs = ('source',)\n\ndef synthesis():\n    return 1\n")
    build(project, 'urd.build("flaky", fail=True)')
    assert project.ax("run", "-q").returncode != 0  # dev-1 failed
    out = ax(project.root, "why", "use", "source=dev-1").stdout
    assert "the build would stop before running" in out and "dev-1 is failed" in out


def test_help(built):
    out = ax(built.root, "why", "--help").stdout
    assert "ax why METHOD [KEY=VALUE ...]" in out and "ax why REF" in out


def test_running_job_with_the_identity(project, procs):
    gate = project.root / "gate"
    project.method("slow", """
        import os
        import time

        options = dict(gate="")


        def synthesis():
            while not os.path.exists(options.gate):
                time.sleep(0.02)
        """)
    build(project, f'urd.build("slow", gate={str(gate)!r})')
    p = start_ax(project, procs, "run", "-q", tag="slow")
    try:
        r = wait_for(lambda: (lambda r: r if r["running"] else None)(
            ax_json(project.root, "why", "slow", f"gate={gate}")), proc=p,
            what="the slow job to be running")
        assert r["verdict"] == "run" and r["running"] == "dev-1" and r["identical"] == []
        out = ax(project.root, "why", "slow", f"gate={gate}").stdout
        assert ("dev-1 with this identity is running now: the build would wait for it and "
                "reuse it if it finishes") in out
        assert ax_json(project.root, "why", "dev-1")["status"] == "running"
        assert "dev-1 is running: once it finishes, builds with its identity reuse it" in \
            ax(project.root, "why", "dev-1").stdout
    finally:
        gate.write_text("")
        assert p.wait(timeout=60) == 0
    assert ax_json(project.root, "why", "slow", f"gate={gate}")["reuse"] == "dev-1"
