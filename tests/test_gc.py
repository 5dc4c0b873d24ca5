"""ax gc, run as a user runs it, on real projects built by `ax run`.

What must hold: nothing referenced is ever deleted (urd lists, result links, every kind of
input, subjobs, dataset previous/parent, transitively); a running job, its inputs and the
jobs of a build still running are never touched; --dry-run deletes nothing; a number gc
frees is never handed out again; and job references still resolve afterwards.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import (
    AX,
    Project,
    Saved,
    cli_env,
    finish_ax,
    one_error_line,
    printed,
    run_ax,
    script,
    start_ax,
    wait_for,
)

from accel.records import status_of

MAKE = '''
from accel.dataset import Dataset

options = dict(n=int, previous_ds="", parent_ds="")


def synthesis(job, slices, options):
    if options.parent_ds:
        parent = Dataset(options.parent_ds)
        dw = job.datasetwriter(parent=options.parent_ds, columns={"y": "int64"})
        for s in range(slices):
            dw.set_slice(s)
            for x in parent.iterate(s, "x"):
                dw.write(x * 10)
    else:
        dw = job.datasetwriter(columns={"x": "int64"}, previous=options.previous_ds or None)
        for s in range(slices):
            dw.set_slice(s)
            dw.write(options.n + s)
    return options.n
'''

LEAF = '''
options = dict(n=int)


def synthesis(options):
    return options.n
'''

PARENT = '''
def synthesis():
    from accel.subjobs import build
    return str(build("leaf", n=100))
'''

USE = '''
from accel import JobWithFile

options = dict(n=int, model=JobWithFile, fail=False)
jobs = ("source",)
datasets = ("data",)


def synthesis(options, jobs, datasets):
    if options.fail:
        raise ValueError("failing on purpose")
    total = options.n
    if options.model:
        total += options.model.load()
    if jobs.source:
        total += jobs.source.load()
    if datasets.data:
        total += sum(datasets.data.iterate(None, "x"))
    return total
'''

SLEEPER = '''
import os
import time

options = dict(go=str, n=0)
jobs = ("source",)


def synthesis(options):
    while not os.path.exists(options.go):   # holds until the test says go
        time.sleep(0.05)
    return 1
'''

PIPELINE = '''
def main(urd):
    m = urd.build("make", n=1)                                     # only in L's dataset.previous
    l = urd.build("make", n=2, previous_ds=m + "/default")
    k = urd.build("use", data=l + "/default", n=1)                 # dataset input L
    a = urd.build("make", n=3)
    b = urd.build("make", n=4, previous_ds=a + "/default")         # dataset.previous A
    p = urd.build("make", n=5)
    c = urd.build("make", n=6, parent_ds=p + "/default")           # dataset.parent P
    e = urd.build("leaf", n=1)
    d = urd.build("use", model=e.withfile("result.pickle"), n=2)   # JobWithFile E
    i = urd.build("leaf", n=2)
    h = urd.build("use", source=i, n=3)                            # job input I
    f = urd.build("parent")                                        # subjob G
    g = f.load()
    q = urd.build("leaf", n=3)
    r = urd.build("use", source=q, n=4)                            # linked from results/
    r.link_result("result.pickle", "sub/r.pickle")
    u1 = urd.build("leaf", n=50)                                   # nothing refers to it
    u2 = urd.build("use", source=i, n=6)                           # uses I; nothing uses it
    u3 = urd.build("leaf", n=51)                                   # only used by U4
    u4 = urd.build("use", source=u3, n=7)                          # nothing uses it
    urd.begin("main", 1)
    urd.build("make", n=4, previous_ds=a + "/default")
    urd.build("make", n=6, parent_ds=p + "/default")
    urd.build("use", model=e.withfile("result.pickle"), n=2)
    urd.build("parent")
    urd.build("use", source=i, n=3)
    urd.build("use", data=l + "/default", n=1)
    urd.finish("main")
    print("RESULT", json.dumps(dict(M=m, L=l, K=k, A=a, B=b, P=p, C=c, E=e, D=d, I=i, H=h,
                                    F=f, G=g, Q=q, R=r, U1=u1, U2=u2, U3=u3, U4=u4)))
'''

FAIL = '''
def main(urd):
    x = urd.build("leaf", n=60)
    print("RESULT", json.dumps(x))
    urd.build("use", source=x, n=8, fail=True)
'''


def gc(project: Project, *args: str, rc: int = 0, **kw) -> subprocess.CompletedProcess:
    """`ax gc ARGS` as a script runs it (stdin not a terminal: it deletes only with --yes)."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = run_ax(("gc", *args), project.root, cli_env(), **kw)
    assert p.returncode == rc, f"ax gc {' '.join(args)}: rc {p.returncode}\n{p.stdout}\n{p.stderr}"
    assert "Traceback" not in p.stderr + p.stdout, p.stderr
    return p


def plan(project: Project, *args: str) -> dict:
    return json.loads(gc(project, "--dry-run", "--json", *args).stdout)


def fates(project: Project, *args: str) -> tuple[set[str], dict[str, str]]:
    """(the jobs a dry run would delete, kept job -> why)."""
    d = plan(project, *args)
    return {j["job"] for j in d["delete"]}, {j["job"]: j["reason"] for j in d["keep"]}


def tree(root: Path) -> dict[str, int]:
    """Every file and link under `root`, with its size; but gc's own lock and the running
    registry (whose readers drop the files of builders that are gone)."""
    return {str(p.relative_to(root)): p.lstat().st_size for p in root.rglob("*")
            if p.name != "gc.lock" and "running" not in p.relative_to(root).parts}


def run(project: Project, name: str | None = None, rc: int = 0) -> subprocess.CompletedProcess:
    args = ["run", "-q"] + ([name] if name else [])
    p = subprocess.run([*AX, *args], cwd=project.root, capture_output=True, text=True,
                       env=cli_env(), timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == rc, f"ax {' '.join(args)}: rc {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def forget_runs(project: Project, *names: str | None) -> None:
    """Make the latest run of each build script (None: build.py) one that used no job, so
    that gc keeps nothing for it; the script is left as it was."""
    for name in names or (None,):
        path = project.root / (f"build_{name}.py" if name else "build.py")
        text = path.read_text()
        script(project, "def main(urd):\n    pass\n", name)
        run(project, name)
        project.build(text, name)


def backdate(path: Path, seconds: float = 600) -> None:
    t = time.time() - seconds
    for p in [path, *path.iterdir()]:
        os.utime(p, (t, t), follow_symlinks=False)


def hand_made_unfinished(project: Project, jobid: str, like: str) -> Path:
    """A job directory whose run died before post.json (setup.json only)."""
    wd = project.root / "workdirs" / "dev"
    (wd / jobid).mkdir()
    setup = json.loads((wd / like / "setup.json").read_text())
    (wd / jobid / "setup.json").write_text(json.dumps(dict(setup, jobid=jobid)))
    return wd / jobid


def running_sleeper(project: Project) -> str | None:
    wd = project.root / "workdirs" / "dev"
    for name in project.job_dirs():
        try:
            method = json.loads((wd / name / "setup.json").read_text())["method"]
        except (OSError, ValueError, KeyError):
            continue
        if method == "sleeper" and status_of(wd / name) == "running":
            return name
    return None


def number(jobid: str) -> int:
    return int(jobid.rsplit("-", 1)[1])


@pytest.fixture(scope="module")
def _pipeline_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Saved, dict]:
    project = Project(tmp_path_factory.mktemp("pipeline") / "proj")
    for name, src in (("make", MAKE), ("leaf", LEAF), ("parent", PARENT), ("use", USE),
                      ("sleeper", SLEEPER)):
        project.method(name, src)
    script(project, PIPELINE)
    script(project, FAIL, "fail")
    jobs = printed(run(project))
    x = printed(run(project, "fail", rc=1))
    failed = project.job_dirs()[-1]
    assert failed != x and status_of(project.root / "workdirs" / "dev" / failed) == "failed"
    jobs.update(X=x, FAILED=failed)
    forget_runs(project, None, "fail")  # only what refers to a job keeps it, in these tests
    return Saved(project), jobs


@pytest.fixture
def pipeline(_pipeline_built: tuple[Saved, dict]) -> tuple[Project, dict]:
    """The pipeline's project, built once for the module and put back for each test, and
    its jobs by name."""
    saved, jobs = _pipeline_built
    return saved.restore(), dict(jobs)


def test_gc_keeps_everything_referenced(pipeline: tuple[Project, dict]) -> None:
    project, jobs = pipeline
    wd = project.root / "workdirs" / "dev"
    highest = max(number(j) for j in project.job_dirs())
    old = hand_made_unfinished(project, f"dev-{highest + 1}", jobs["U1"])
    backdate(old)
    young = hand_made_unfinished(project, f"dev-{highest + 2}", jobs["U1"])
    leftover = wd / ".accel" / "trash" / "dev-999.12345.abcdef"
    leftover.mkdir(parents=True)
    (leftover / "result.pickle").write_bytes(b"x" * 5000)

    expect_gone = {jobs[k] for k in ("U1", "U2", "U3", "U4", "X", "FAILED")} | {old.name}
    expect_kept = set(project.job_dirs()) - expect_gone
    assert young.name in expect_kept and jobs["G"] in expect_kept

    # a dry run says so and deletes nothing
    before = tree(project.root)
    gone, kept = fates(project)
    assert gone == expect_gone
    assert set(kept) == expect_kept
    assert kept[jobs["B"]] == "in an urd list"
    assert kept[jobs["R"]].startswith("linked from the result directory (sub/r.pickle)")
    assert kept[jobs["M"]].startswith(f"used by {jobs['L']} (dataset 'default': previous")
    assert kept[jobs["L"]].startswith(f"used by {jobs['K']} (dataset input 'data')")
    assert kept[jobs["A"]].startswith(f"used by {jobs['B']} (dataset 'default': previous")
    assert kept[jobs["P"]].startswith(f"used by {jobs['C']} (dataset 'default': parent")
    assert kept[jobs["E"]].startswith(f"used by {jobs['D']} (a JobWithFile option")
    assert kept[jobs["I"]].startswith(f"used by {jobs['H']} (job input 'source')")
    assert kept[jobs["G"]].startswith(f"used by {jobs['F']} (subjob")
    assert kept[jobs["Q"]].startswith(f"used by {jobs['R']} (job input 'source')")
    assert kept[young.name].startswith("unfinished, made less than 60 s ago")
    out = gc(project, "--dry-run").stdout
    assert "would delete: 7 jobs" in out and "dry run: nothing deleted" in out
    assert "would remove: 1 leftovers of an earlier gc" in out
    assert tree(project.root) == before

    out = gc(project, "--yes").stdout
    assert "deleted 7 jobs, freed" in out
    assert set(project.job_dirs()) == expect_kept
    assert list((wd / ".accel" / "trash").iterdir()) == []

    # what is kept still works, datasets across jobs included
    chain = run_ax(("cat", jobs["L"], "--chain", "--format", "json"), project.root, cli_env())
    assert chain.returncode == 0, chain.stderr
    assert len(chain.stdout.splitlines()) == 4  # L's two rows and M's two
    child = run_ax(("cat", jobs["C"], "--format", "json"), project.root, cli_env())
    assert child.returncode == 0 and '"x"' in child.stdout and '"y"' in child.stdout
    assert (project.root / "results" / "sub" / "r.pickle").exists()

    # the same build again: the kept jobs are reused, the deleted ones made anew, with
    # numbers no job had before (gc freed the highest ones: the hint moved past them)
    again = printed(run(project))
    for k in ("M", "L", "K", "A", "B", "P", "C", "E", "D", "I", "H", "F", "G", "Q", "R"):
        assert again[k] == jobs[k], k
    for k in ("U1", "U2", "U3", "U4"):
        assert number(again[k]) > highest + 2, (k, again[k])
    x = printed(run(project, "fail", rc=1))
    assert number(x) > highest + 2


def test_dry_run_and_urd_free_project_note(pipeline: tuple[Project, dict]) -> None:
    project, jobs = pipeline
    # a project without lists: no database, and no workdir says there were lists
    (project.root / ".accel" / "urd.db").unlink()
    for f in (project.root / ".accel").glob("urd.db-*"):
        f.unlink()
    (project.root / "workdirs" / "dev" / ".accel" / "urd-lists").unlink()
    before = tree(project.root)
    out = gc(project, "--dry-run").stdout
    assert out.startswith("note: this project has no urd lists")
    assert tree(project.root) == before
    gone, kept = fates(project)
    # only the linked job and what it uses (transitively) survive
    assert set(kept) == {jobs["R"], jobs["Q"]}


def test_gc_never_touches_a_running_job(pipeline: tuple[Project, dict], procs) -> None:
    project, jobs = pipeline
    go = project.root / "go"
    script(project, f'''
        def main(urd):
            mine = urd.build("leaf", n=7)                          # made by this build
            job = urd.build("sleeper", go={str(go)!r}, source={jobs["U1"]!r})
            print("RESULT", json.dumps(mine))
    ''', "sleep")
    p = start_ax(project, procs, "run", "sleep", tag="sleep")
    wd = project.root / "workdirs" / "dev"

    sleeper = wait_for(lambda: running_sleeper(project), what="the sleeper to run", proc=p)
    mine = f"dev-{number(sleeper) - 1}"
    gone, kept = fates(project)
    assert kept[sleeper] == "running"
    assert kept[jobs["U1"]].startswith(f"used by {sleeper} (job input 'source')")
    assert kept[mine] == "latest run of build_sleep.py (running now)"  # noted as it goes
    assert jobs["U2"] in gone

    out = gc(project, "--yes").stdout  # from another process, while the sleeper runs
    assert "deleted" in out
    assert {sleeper, mine, jobs["U1"]} <= set(project.job_dirs())
    assert jobs["U2"] not in project.job_dirs()
    assert status_of(wd / sleeper) == "running"

    go.write_text("go")
    assert p.wait(timeout=60) == 0, (project.root / "sleep.err").read_text()
    assert status_of(wd / sleeper) == "finished"


def test_killed_job_is_kept_while_young_then_goes_and_its_number_stays_used(
        pipeline: tuple[Project, dict], procs) -> None:
    project, _ = pipeline
    go = project.root / "go"
    script(project, f'''
        def main(urd):
            job = urd.build("sleeper", go={str(go)!r}, n=1)
            print("RESULT", json.dumps(job))
    ''', "sleep")
    p = start_ax(project, procs, "run", "sleep", tag="sleep")
    wd = project.root / "workdirs" / "dev"
    sleeper = wait_for(lambda: running_sleeper(project), what="the sleeper to run", proc=p)
    assert sleeper == project.job_dirs()[-1]
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    wait_for(lambda: status_of(wd / sleeper) == "unfinished", what="the job to show unfinished")

    gone, kept = fates(project)
    assert kept[sleeper].startswith("unfinished, made less than 60 s ago")
    gc(project, "--yes")
    assert sleeper in project.job_dirs()

    backdate(wd / sleeper)
    gone, kept = fates(project)
    assert sleeper in gone
    gc(project, "--yes")
    assert sleeper not in project.job_dirs()

    go.write_text("go")
    again = printed(run(project, "sleep"))
    assert number(again) > number(sleeper)


def test_keep_failed_and_older_than(pipeline: tuple[Project, dict]) -> None:
    project, jobs = pipeline
    unreferenced = {jobs[k] for k in ("U1", "U2", "U3", "U4")}
    gone, kept = fates(project, "--keep-failed")
    assert gone == unreferenced
    assert kept[jobs["FAILED"]] == "failed (--keep-failed)"
    assert kept[jobs["X"]].startswith(f"used by {jobs['FAILED']} (job input 'source')")

    gone, kept = fates(project, "--older-than", "1h")
    assert gone == set()
    assert kept[jobs["U1"]] == "made or reused since --older-than"
    gone, kept = fates(project, "--older-than", "0s")
    assert gone == unreferenced | {jobs["X"], jobs["FAILED"]}
    out = gc(project, "--yes", "--older-than", "1w").stdout
    assert "nothing to delete" in out

    gc(project, "--yes", "--keep-failed")
    assert {jobs["FAILED"], jobs["X"]} <= set(project.job_dirs())
    assert not unreferenced & set(project.job_dirs())


def test_older_than_counts_a_reuse_as_use(pipeline: tuple[Project, dict]) -> None:
    project, jobs = pipeline
    u1 = project.root / "workdirs" / "dev" / jobs["U1"]
    two_days = 2 * 86400
    for name, keys in (("setup.json", ("starttime",)), ("post.json", ("starttime", "endtime"))):
        d = json.loads((u1 / name).read_text())
        for key in keys:
            if key in d:
                d[key] -= two_days
        (u1 / name).write_text(json.dumps(d))
    backdate(u1, two_days)
    gone, _ = fates(project, "--older-than", "1d")
    assert jobs["U1"] in gone
    script(project, """
        def main(urd):
            print("RESULT", json.dumps(urd.build("leaf", n=50)))
    """, "again")
    assert printed(run(project, "again")) == jobs["U1"]  # reused, not built again
    forget_runs(project, "again")
    gone, kept = fates(project, "--older-than", "1d")
    assert kept[jobs["U1"]] == "made or reused since --older-than"


def test_references_resolve_after_gc(project: Project) -> None:
    project.method("leaf", LEAF)
    script(project, '''
        def main(urd):
            jobs = [urd.build("leaf", n=n) for n in (1, 2, 3)]
            urd.begin("keep", 1)
            urd.build("leaf", n=1)
            urd.build("leaf", n=3)
            urd.finish("keep")
            print("RESULT", json.dumps(jobs))
    ''')
    one, two, three = printed(run(project))
    forget_runs(project)
    gc(project, "--yes")
    assert project.job_dirs() == [one, three]

    def ref(r: str) -> str:
        p = run_ax(("job", r, "--json"), project.root, cli_env())
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)["job"]

    assert ref("leaf") == three
    assert ref("leaf~1") == one
    p = run_ax(("job", two), project.root, cli_env())
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert [j["job"] for j in json.loads(run_ax(
        ("jobs", "--json"), project.root, cli_env()).stdout)] == [three, one]
    # the deleted job is not found by its identity any more: built again, under a new number
    again = printed(run(project))
    assert again[0] == one and again[2] == three
    assert number(again[1]) > number(three)


def test_an_older_twin_is_found_after_the_newer_goes(project: Project) -> None:
    project.method("leaf", LEAF)
    script(project, """
        def main(urd):
            urd.begin("keep", 1)
            kept = urd.build("leaf", n=1)
            urd.finish("keep")
            twin = urd.build("leaf", n=1, force_build=True)   # same identity, newer
            print("RESULT", json.dumps([kept, twin]))
    """)
    kept, twin = printed(run(project))
    assert kept != twin
    script(project, """
        def main(urd):
            print("RESULT", json.dumps(urd.build("leaf", n=1)))
    """, "again")
    assert printed(run(project, "again")) == twin
    forget_runs(project, None, "again")
    gc(project, "--yes")
    assert project.job_dirs() == [kept]
    assert printed(run(project, "again")) == kept  # reused, not built again


def test_references_across_workdirs(tmp_path: Path) -> None:
    project = Project(tmp_path / "two", workdirs=("dev", "side"))
    project.method("leaf", LEAF)
    project.method("use", USE)
    script(project, """
        def main(urd):
            src = urd.build("leaf", n=1, workdir="side")
            gone = urd.build("leaf", n=2, workdir="side")
            urd.begin("keep", 1)
            user = urd.build("use", source=src, n=1)
            urd.finish("keep")
            print("RESULT", json.dumps([src, gone, user]))
    """)
    src, gone, user = printed(run(project))
    assert src.startswith("side-") and user.startswith("dev-")
    forget_runs(project)
    deleted, kept = fates(project)
    assert deleted == {gone}
    assert kept[src].startswith(f"used by {user}")
    gc(project, "--yes")
    assert project.job_dirs("side") == [src] and project.job_dirs("dev") == [user]
    script(project, """
        def main(urd):
            print("RESULT", json.dumps(urd.build("leaf", n=3, workdir="side")))
    """, "more")
    assert number(printed(run(project, "more"))) > number(gone)


def _gc_at_a_terminal(project: Project, answer: str, *args: str) -> tuple[int, str]:
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([*AX, "gc", *args], cwd=project.root, stdin=slave,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=cli_env())
        os.write(master, answer.encode())
        out, err = p.communicate(timeout=120)
    finally:
        os.close(master)
        os.close(slave)
    assert "Traceback" not in err, err
    return p.returncode, out + err


def test_asks_at_a_terminal(project: Project) -> None:
    project.method("leaf", LEAF)
    script(project, '''
        def main(urd):
            urd.build("leaf", n=1)
    ''')
    run(project)
    forget_runs(project)
    rc, out = _gc_at_a_terminal(project, "n\n")
    assert rc == 0 and "Delete 1 job" in out and "nothing deleted" in out  # not an error
    assert project.job_dirs() == ["dev-1"]
    rc, out = _gc_at_a_terminal(project, "y\n")
    assert rc == 0 and "deleted 1 job" in out
    assert project.job_dirs() == []
    run(project)
    forget_runs(project)
    rc, out = _gc_at_a_terminal(project, "", "--yes")
    assert rc == 0 and "Delete" not in out and "deleted 1 job" in out


def test_one_gc_at_a_time(project: Project) -> None:
    from accel.store.locks import FlockLock

    meta = project.root / "workdirs" / "dev" / ".accel"
    meta.mkdir(parents=True)
    lock = FlockLock(meta / "gc.lock")
    lock.acquire()
    try:
        p = gc(project, "--yes", rc=1)
        assert "another ax gc is running" in one_error_line(p, ("ax: ",))
        gc(project, "--dry-run")  # a dry run only reads
    finally:
        lock.release()


@pytest.mark.parametrize("age", ["soon", "3 fortnights", "-2h", "2024-02-30"])
def test_bad_age_is_one_line(project: Project, age: str) -> None:
    p = gc(project, "--older-than", age, rc=2)
    assert "--older-than" in one_error_line(p, ("ax: ",))


@pytest.mark.parametrize("by", ["ax run", "a builder"])
def test_a_job_reused_while_gc_asks_is_spared(project: Project, api, by: str) -> None:
    """gc made its plan and asks; meanwhile a build reuses a job it meant to delete: an
    `ax run` (which records its run) or a Builder of the Python API (which records nothing
    but the reuse: the mtime of the job's post.json)."""
    import select

    project.method("leaf", LEAF)
    script(project, '''
        def main(urd):
            print("RESULT", json.dumps(urd.build("leaf", n=1)))
    ''')
    job = printed(run(project))
    forget_runs(project)
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([*AX, "gc"], cwd=project.root, stdin=slave,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env())
        seen, deadline = b"", time.monotonic() + 60
        while b"Delete 1 job" not in seen:
            assert time.monotonic() < deadline and p.poll() is None, seen
            for ready in select.select([p.stdout, p.stderr], [], [], 0.5)[0]:
                seen += os.read(ready.fileno(), 4096)  # the question is on stderr
        if by == "ax run":  # reused, while gc waits for its answer
            assert printed(run(project)) == job
        else:
            builder = api()
            assert builder.build("leaf", {"n": 1}) == (job, True)
            builder.close()
        os.write(master, b"y\n")
        out, err = p.communicate(timeout=120)
    finally:
        os.close(master)
        os.close(slave)
    out = (seen + out + err).decode()
    assert p.returncode == 0 and "Traceback" not in out, out
    assert project.job_dirs() == [job]
    why = "in an urd list, result link or build run recorded while gc ran" \
        if by == "ax run" else "in use when gc came to it"
    assert f"kept {job} after all: {why}" in out, out
    assert printed(run(project)) == job and project.job_dirs() == [job]  # still found


def test_a_job_reused_by_a_running_build_is_kept(pipeline: tuple[Project, dict],
                                                 procs) -> None:
    project, jobs = pipeline
    go = project.root / "go"
    script(project, f'''
        def main(urd):
            again = urd.build("use", source={jobs["I"]!r}, n=6)   # U2, reused
            urd.build("sleeper", go={str(go)!r}, source={jobs["X"]!r})
            print("RESULT", json.dumps(again))
    ''', "reuse")
    p = start_ax(project, procs, "run", "reuse", tag="reuse")
    wait_for(lambda: running_sleeper(project), what="the sleeper to run", proc=p)
    gone, kept = fates(project)
    assert kept[jobs["U2"]] == "latest run of build_reuse.py (running now)"
    assert jobs["U1"] in gone
    gc(project, "--yes")
    assert jobs["U2"] in project.job_dirs() and jobs["U1"] not in project.job_dirs()
    go.write_text("go")
    assert p.wait(timeout=60) == 0, (project.root / "reuse.err").read_text()
    gone, kept = fates(project)
    assert kept[jobs["U2"]] == "latest run of build_reuse.py"  # the build is over: its record


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_lost_urd_database_stops_gc(project: Project, how: str) -> None:
    """Builds recorded a list; its database is then deleted or emptied: gc refuses, in one
    line, rather than take the listed jobs for unreferenced (issue 12, item 2); once the
    user says there are no lists (removes the marker), gc collects."""
    project.method("leaf", LEAF)
    script(project, '''
        def main(urd):
            urd.begin("keep", 1)
            kept = urd.build("leaf", n=1)
            urd.finish("keep")
            print("RESULT", json.dumps([kept]))
    ''')
    (kept,) = printed(run(project))
    forget_runs(project)  # only the list keeps it
    db = project.root / ".accel" / "urd.db"
    assert db.stat().st_size > 0
    if how == "deleted":
        db.unlink()
    else:
        db.write_bytes(b"")
    for args in (("--yes",), ("--dry-run",)):
        p = gc(project, *args, rc=2)
        line = one_error_line(p)
        assert "urd lists database" in line and "missing or empty" in line, line
    assert project.job_dirs() == [kept]
    marker = project.root / "workdirs" / "dev" / ".accel" / "urd-lists"
    assert marker.read_text().splitlines() == [str(db.resolve())]
    marker.unlink()
    gc(project, "--yes")
    assert project.job_dirs() == []


# --- the latest run of each build script (issue 14, surprise 6) -----------------------------

ROWS = '''
def main(urd):
    a = urd.build("leaf", n={a})
    b = urd.build("leaf", n={b})
    many = urd.build_many("leaf", [dict(n=n) for n in {many}])
    print("RESULT", json.dumps(dict(a=a, b=b, many=list(map(str, many)))))
'''


def rows_script(project: Project, a: int, b: int, many: list[int], name: str | None = None):
    script(project, ROWS.format(a=a, b=b, many=many), name)


def test_gc_keeps_the_latest_run_of_each_build_script(project: Project) -> None:
    """`ax gc --yes` after `ax run` deletes nothing of what the run built or reused; once
    build.py is edited and run again, what only its earlier run used goes; another build
    script's latest run is kept on its own."""
    project.method("leaf", LEAF)
    rows_script(project, 1, 2, [11, 12, 13])
    first = printed(run(project))
    before = set(project.job_dirs())
    assert len(before) == 5
    gone, kept = fates(project)
    assert gone == set() and set(kept.values()) == {"latest run of build.py"}
    assert "kept: 5 jobs (5 latest run of build.py)" in gc(project, "--dry-run").stdout
    gc(project, "--yes")
    assert set(project.job_dirs()) == before

    rows_script(project, 20, 30, [40], "other")
    other = printed(run(project, "other"))

    rows_script(project, 1, 3, [11, 14])  # a and one row reused, the rest new
    second = printed(run(project))
    assert second["a"] == first["a"] and second["many"][0] == first["many"][0]
    gone, kept = fates(project)
    assert gone == {first["b"], *first["many"][1:]}
    for job in (second["a"], second["b"], *second["many"]):
        assert kept[job] == "latest run of build.py"
    for job in (other["a"], other["b"], *other["many"]):
        assert kept[job] == "latest run of build_other.py"
    out = gc(project, "--yes").stdout
    assert "deleted 3 jobs" in out, out
    assert set(project.job_dirs()) == {second["a"], second["b"], *second["many"],
                                       other["a"], other["b"], *other["many"]}
    assert printed(run(project)) == second  # all still there: reused


def test_a_run_that_stops_does_not_let_go_of_the_run_before(project: Project, procs) -> None:
    """A run that fails or is killed counts as it went (its jobs are kept), and so does
    the last completed run before it, until a run completes."""
    go = project.root / "go"
    project.method("leaf", LEAF)
    project.method("sleeper", SLEEPER)
    rows_script(project, 1, 2, [])
    first = printed(run(project))

    script(project, '''
        def main(urd):
            print("RESULT", json.dumps(urd.build("leaf", n=3)))
            raise ValueError("the build script's own bug")
    ''')
    failed_run = printed(run(project, rc=1))
    gone, kept = fates(project)
    assert gone == set()
    assert kept[first["a"]] == kept[first["b"]] == "last completed run of build.py"
    assert kept[failed_run] == "latest run of build.py (stopped before the end)"

    script(project, f'''
        def main(urd):
            print("RESULT", json.dumps(urd.build("leaf", n=4)), flush=True)
            urd.build("sleeper", go={str(go)!r})
    ''')
    p = start_ax(project, procs, "run", tag="killed")
    sleeper = wait_for(lambda: running_sleeper(project), what="the sleeper to run", proc=p)
    made = f"dev-{number(sleeper) - 1}"
    assert fates(project)[1][made] == "latest run of build.py (running now)"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    go.write_text("go")  # the sleeper, left behind, may end
    gone, kept = fates(project)
    assert kept[made] == kept[failed_run] == "latest run of build.py (stopped before the end)"
    assert kept[first["a"]] == "last completed run of build.py"

    rows_script(project, 4, 5, [])  # completes: it alone is build.py's record now
    last = printed(run(project))
    assert last["a"] == made
    gone, kept = fates(project)
    assert {first["a"], first["b"], failed_run} <= gone
    assert kept[made] == kept[last["b"]] == "latest run of build.py"


def test_without_a_terminal_gc_deletes_only_with_yes(project: Project) -> None:
    project.method("leaf", LEAF)
    rows_script(project, 1, 2, [])
    first = printed(run(project))
    rows_script(project, 1, 3, [])
    run(project)
    p = gc(project, rc=3)  # stdin is not a terminal, and no --yes
    assert "would delete: 1 job" in p.stdout
    assert "nothing deleted" in p.stderr and "ax gc --yes" in p.stderr
    assert first["b"] in project.job_dirs()
    p = gc(project, "--json", rc=3)
    assert json.loads(p.stdout)["not_asked"] is True
    assert first["b"] in project.job_dirs()
    assert "deleted 1 job" in gc(project, "--yes").stdout
    assert first["b"] not in project.job_dirs()


def test_the_run_of_a_build_script_that_is_gone_keeps_nothing(project: Project) -> None:
    project.method("leaf", LEAF)
    rows_script(project, 1, 2, [], "tmp")
    made = printed(run(project, "tmp"))
    assert fates(project)[1][made["a"]] == "latest run of build_tmp.py"
    (project.root / "build_tmp.py").unlink()
    gone, _ = fates(project)
    assert gone == {made["a"], made["b"]}
    out = gc(project, "--yes").stdout
    assert "build_tmp.py no longer exists, so its latest run keeps no jobs" in out
    assert project.job_dirs() == []
    assert "no longer exists" not in gc(project, "--yes").stdout  # its record is gone too


def test_a_killed_build_many_keeps_the_rows_it_finished(project: Project, procs) -> None:
    """Each row's job is noted as it ends: a build_many killed half-way is resumed, not
    rebuilt, after a gc."""
    go, ready = project.root / "go", project.root / "ready"
    ready.write_text("")
    project.method("sleeper", SLEEPER)
    script(project, f'''
        def main(urd):
            rows = [dict(go={str(ready)!r}, n=1), dict(go={str(ready)!r}, n=2),
                    dict(go={str(go)!r}, n=3)]
            jobs = urd.build_many("sleeper", rows)
            print("RESULT", json.dumps(list(map(str, jobs))))
    ''')
    p = start_ax(project, procs, "run", tag="many")
    wd = project.root / "workdirs" / "dev"

    def third_row() -> str | None:
        job = running_sleeper(project)
        return job if job and json.loads((wd / job / "setup.json").read_text())[
            "options"]["n"] == 3 else None

    sleeper = wait_for(third_row, what="the third row to run", proc=p)
    finished = [j for j in project.job_dirs() if j != sleeper]
    assert len(finished) == 2 and all(status_of(wd / j) == "finished" for j in finished)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    go.write_text("go")  # the sleeper, left behind, may end
    gone, kept = fates(project)
    for job in finished:
        assert kept[job] == "latest run of build.py (stopped before the end)"
    gc(project, "--yes")
    assert set(finished) <= set(project.job_dirs())
    assert printed(run(project))[:2] == finished  # resumed: the finished rows reused


def test_a_run_still_going_keeps_its_jobs_when_a_later_run_completes_first(
        project: Project, procs, monkeypatch) -> None:
    """Run A of a script reuses a job and waits; run B of the same script starts later and
    completes first: gc keeps A's job (A goes on and uses it), and once A completes it
    is the script's record (it completed last)."""
    project.method("leaf", LEAF)
    project.method("use", USE)
    root = project.root
    script(project, f'''
        import os
        import time
        from pathlib import Path

        def main(urd):
            x = int(os.environ["RACE"])
            j = urd.build("leaf", n=x)
            Path({str(root)!r}, f"reached{{x}}").write_text("")
            while not Path({str(root)!r}, f"go{{x}}").exists():
                time.sleep(0.02)
            print("RESULT", json.dumps([j, urd.build("use", source=j, n=x)]))
    ''', "race")
    (root / "go1").write_text("")
    (root / "go2").write_text("")
    monkeypatch.setenv("RACE", "1")
    first = printed(run(project, "race"))
    (root / "go1").unlink()
    (root / "reached1").unlink()
    a = start_ax(project, procs, "run", "race", tag="a")
    wait_for(lambda: (root / "reached1").exists(), what="run A to reuse its job", proc=a)
    monkeypatch.setenv("RACE", "2")
    b = printed(run(project, "race"))
    gone, kept = fates(project)
    assert kept[first[0]] == "latest run of build_race.py (running now)"
    assert set(b) <= set(kept) and gone == {first[1]}
    gc(project, "--yes")
    assert first[0] in project.job_dirs()
    (root / "go1").write_text("")
    rc, out, err = finish_ax(project, a, "a")
    assert rc == 0, err
    a_jobs = printed(subprocess.CompletedProcess([], rc, out, err))
    assert a_jobs[0] == first[0]
    gone, kept = fates(project)
    assert gone == set(b)
    assert kept[a_jobs[0]] == kept[a_jobs[1]] == "latest run of build_race.py"
