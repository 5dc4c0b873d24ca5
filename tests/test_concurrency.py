"""Several builders at once on the same workdirs (SPEC §3, Concurrency and Reuse).

A job asked for by several `ax run` at the same time runs once; distinct jobs never share a
number; a lock whose holder was killed blocks nobody; the identity index is a hint that
rebuilds itself, so losing or damaging it never costs a rebuild nor returns a wrong job.

Builders that must overlap meet at a barrier in their build script (each writes a file
and waits until all have), so nothing depends on how fast a machine starts Python.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    MARKING,
    Project,
    Saved,
    finish_ax,
    marks_folder,
    marks_in,
    setup_of,
    start_ax,
    wait_for,
)

TIMEOUT = 60.0  # generous: a slow CI machine with 2 cores


def finish(project, p: subprocess.Popen, tag: str) -> tuple[int, str, str]:
    return finish_ax(project, p, tag, TIMEOUT)


def printed_ids(stdout: str, key: str) -> dict[str, str]:
    """`KEY name jobid` lines the build script printed, as {name: jobid}."""
    out = {}
    for line in stdout.splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == key:
            out[words[1]] = words[2]
    return out


def numbers(project) -> list[int]:
    return [int(j.rsplit("-", 1)[1]) for j in project.job_dirs()]


def status_of_dir(project, jobid: str) -> str | None:
    try:
        return json.loads((project.root / "workdirs" / "dev" / jobid / "post.json")
                          .read_text())["status"]
    except FileNotFoundError:
        return None


BARRIER = '''
import os
import time
from pathlib import Path


def barrier(folder, name, count):
    """Arrive, then wait until `count` builders have."""
    folder = Path(folder)
    folder.mkdir(exist_ok=True)
    (folder / f'{name}.{os.getpid()}').write_text('')
    deadline = time.time() + 60
    while len(list(folder.glob(f'{name}.*'))) < count:
        if time.time() > deadline:
            raise SystemExit(f'barrier {name}: only {len(list(folder.glob(f"{name}.*")))} arrived')
        time.sleep(0.01)
'''


# ---- the same jobs, asked for by two builders at once -----------------------------------------

SLOW = '''
import os
import time

options = dict(n=0, log='')


def synthesis():
    with open(options.log, 'a') as f:
        f.write(f'{options.n} {os.getpid()}\\n')
    time.sleep(1)
    return options.n * 10
'''


def test_two_builders_same_jobs_each_job_runs_once(project, procs):
    project.method("slow", SLOW)
    project.file("barrier.py", BARRIER)
    log = project.root / "ran.log"
    project.build(f"""
        from barrier import barrier

        def main(urd):
            barrier({str(project.root / 'meet')!r}, 'start', 2)
            for n in (1, 2):
                job = urd.build('slow', n=n, log={str(log)!r})
                assert job.load() == n * 10
                print('JOB', n, job, flush=True)
    """)
    a = start_ax(project, procs, "run", tag="a")
    b = start_ax(project, procs, "run", tag="b")
    rc_a, out_a, err_a = finish(project, a, "a")
    rc_b, out_b, err_b = finish(project, b, "b")
    assert rc_a == 0, err_a
    assert rc_b == 0, err_b

    ids_a, ids_b = printed_ids(out_a, "JOB"), printed_ids(out_b, "JOB")
    assert set(ids_a) == {"1", "2"}
    assert ids_a == ids_b, (out_a, out_b)

    runs = log.read_text().split()
    ran = [runs[i] for i in range(0, len(runs), 2)]
    assert sorted(ran) == ["1", "2"], f"jobs ran {len(ran)} times: {log.read_text()}"
    assert project.job_dirs() == sorted(ids_a.values(), key=lambda j: int(j.split("-")[1]))
    for n, jobid in ids_a.items():
        assert status_of_dir(project, jobid) == "finished"
        assert setup_of(project, jobid)["options"]["n"] == int(n)


# ---- distinct jobs, four builders at once ------------------------------------------------

QUICK = '''
options = dict(who=0, k=0)


def analysis(sliceno):
    return sliceno


def synthesis(analysis_res):
    return (options.who, options.k, sum(analysis_res))
'''

WHO = 4
EACH = 3


def test_four_builders_distinct_jobs_get_distinct_numbers(project, procs):
    project.method("quick", QUICK)
    project.file("barrier.py", BARRIER)
    for who in range(WHO):
        project.build(f"""
            from barrier import barrier

            def main(urd):
                barrier({str(project.root / 'meet')!r}, 'start', {WHO})
                for k in range({EACH}):
                    job = urd.build('quick', who={who}, k=k)
                    assert job.load() == ({who}, k, 1), job.load()
                    print('JOB {who}.%d' % k, job, flush=True)
        """, name=f"p{who}")
    runs = [start_ax(project, procs, "run", f"p{who}", tag=f"p{who}") for who in range(WHO)]
    got: dict[str, str] = {}
    for who, p in enumerate(runs):
        rc, out, err = finish(project, p, f"p{who}")
        assert rc == 0, err
        ids = printed_ids(out, "JOB")
        assert len(ids) == EACH, out
        got.update(ids)

    total = WHO * EACH
    assert len(got) == total
    assert len(set(got.values())) == total, f"a number was given twice: {got}"
    # every number from 1 up is used, once: none given twice, none skipped
    assert numbers(project) == list(range(1, total + 1))
    for key, jobid in got.items():
        who, k = map(int, key.split("."))
        setup = setup_of(project, jobid)
        assert setup["jobid"] == jobid
        assert (setup["options"]["who"], setup["options"]["k"]) == (who, k)
        assert status_of_dir(project, jobid) == "finished"

    # the index finds every one afterwards: a run asking for all of them builds nothing
    project.build(f"""
        def main(urd):
            for who in range({WHO}):
                for k in range({EACH}):
                    print('JOB %d.%d' % (who, k), urd.build('quick', who=who, k=k))
    """)
    r = project.ax("run")
    assert r.returncode == 0, r.stderr
    assert printed_ids(r.stdout, "JOB") == got
    assert numbers(project) == list(range(1, total + 1))
    assert f"{total} jobs (0 new, {total} reused)" in r.stdout


# ---- a lock whose holder was killed -----------------------------------------------------------

HELD = '''
import os
import time
from pathlib import Path

options = dict(marks='')


def synthesis():
    marks = Path(options.marks)
    (marks / f'synthesis.{os.getpid()}').write_text('')
    try:
        os.mkdir(marks / 'once')  # only the first build of this job holds
    except FileExistsError:
        return 'second'
    deadline = time.time() + 90
    while time.time() < deadline:
        time.sleep(0.02)
    return 'first'
'''


def test_lock_of_a_killed_builder_blocks_nobody(project, procs):
    marks = project.root / "marks"
    marks.mkdir()
    project.method("held", HELD)
    project.build(f"""
        import os
        from pathlib import Path

        def main(urd):
            (Path({str(marks)!r}) / f'building.{{os.getpid()}}').write_text('')
            job = urd.build('held', marks={str(marks)!r})
            print('JOB held', job, job.load(), flush=True)
    """)
    first = start_ax(project, procs, "run", tag="first")
    wait_for(lambda: list(marks.glob("synthesis.*")), timeout=TIMEOUT,
             what="the first build to run", proc=first)
    # the first builder holds the job's identity lock now; a second one comes asking
    second = start_ax(project, procs, "run", tag="second")
    wait_for(lambda: len(list(marks.glob("building.*"))) == 2, timeout=TIMEOUT,
             what="the second builder", proc=second)
    os.kill(first.pid, signal.SIGKILL)  # as `kill -9 PID` would
    assert first.wait(timeout=TIMEOUT) == -signal.SIGKILL

    rc, out, err = finish(project, second, "second")
    assert rc == 0, err
    assert re.search(r"^JOB held dev-2 second$", out, re.M), out
    assert project.job_dirs() == ["dev-1", "dev-2"]
    assert status_of_dir(project, "dev-1") is None
    assert status_of_dir(project, "dev-2") == "finished"

    # and a builder that comes after it all reuses the job
    r = project.ax("run", timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert "JOB held dev-2 second" in r.stdout
    assert project.job_dirs() == ["dev-1", "dev-2"]


# ---- the identity index rebuilds itself ----------------------------------------------------

NUMBERED = '''
options = dict(n=0)


def synthesis():
    return options.n
'''

BUILD_NUMBERED = """
def main(urd):
    for n in {ns}:
        job = urd.build('numbered', n=n)
        print('JOB', n, job, flush=True)
        assert job.load() == n, f'asked for n={{n}}, got {{job}} which has n={{job.load()}}'
"""


def index_entry(project, jobid: str) -> Path:
    identity = setup_of(project, jobid)["identity"]
    return project.root / "workdirs" / "dev" / ".accel" / "index" / identity


@pytest.fixture(scope="module")
def _three_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Saved, dict[str, str]]:
    project = Project(tmp_path_factory.mktemp("three") / "proj")
    project.method("numbered", NUMBERED)
    project.build(BUILD_NUMBERED.format(ns=(1, 2, 3)))
    r = project.ax("run")
    assert r.returncode == 0, r.stderr
    ids = printed_ids(r.stdout, "JOB")
    assert ids == {"1": "dev-1", "2": "dev-2", "3": "dev-3"}
    return Saved(project), ids


@pytest.fixture
def three(_three_built: tuple[Saved, dict[str, str]]) -> tuple[Project, dict[str, str]]:
    """A project of three jobs of `numbered` (n=1, 2, 3: dev-1 to dev-3), built once for
    the module and put back for each test, and their ids by n."""
    saved, ids = _three_built
    return saved.restore(), dict(ids)


def damage(project, how: str) -> None:
    if how == "deleted":
        shutil.rmtree(project.root / "workdirs" / "dev" / ".accel" / "index")
        return
    entry = index_entry(project, "dev-2")
    assert entry.exists(), "no index entry where the index keeps them"
    entry.unlink()  # replaced by something else
    if how == "an entry deleted":  # by hand, while READY says the index is whole: item 10
        return
    if how == "a job that is not there":  # dangling, as the index writes entries: item 10
        os.symlink("../../dev-99", entry)
        return
    entry.write_bytes({
        "garbage text": b"this is not a job id\n",
        "garbage bytes": b"\xff\xfe\x00\x9c garbage \x00" * 7,
        "empty": b"",
        "another job's id": b"dev-1",
    }[how])


@pytest.mark.parametrize("how", ["deleted", "garbage text", "garbage bytes", "empty",
                                 "another job's id", "a job that is not there",
                                 "an entry deleted"])
def test_index_rebuilds_itself(three, how):
    project, ids = three
    damage(project, how)
    r = project.ax("run")
    assert r.returncode == 0, r.stderr
    assert printed_ids(r.stdout, "JOB") == ids, r.stdout
    assert "3 jobs (0 new, 3 reused)" in r.stdout
    assert project.job_dirs() == ["dev-1", "dev-2", "dev-3"]
    assert os.readlink(index_entry(project, "dev-2")).endswith("/dev-2")  # made again
    # and once more, from the repaired index
    r = project.ax("run")
    assert r.returncode == 0, r.stderr
    assert printed_ids(r.stdout, "JOB") == ids
    assert project.job_dirs() == ["dev-1", "dev-2", "dev-3"]


def test_a_deleted_job_is_rebuilt_not_confused_with_a_newer_one(three):
    """`rm -rf workdirs/dev/dev-2` by hand: its identity must build again, and must never
    resolve to some other job that later got a directory of the same name."""
    project, _ = three
    shutil.rmtree(project.root / "workdirs" / "dev" / "dev-3")
    shutil.rmtree(project.root / "workdirs" / "dev" / "dev-2")
    project.build(BUILD_NUMBERED.format(ns=(4, 5)))
    r = project.ax("run")
    assert r.returncode == 0, r.stderr
    four_five = printed_ids(r.stdout, "JOB")
    project.build(BUILD_NUMBERED.format(ns=(1, 2, 3, 4, 5)))
    r = project.ax("run")
    assert r.returncode == 0, (r.stdout, r.stderr)
    got = printed_ids(r.stdout, "JOB")
    assert got["1"] == "dev-1"
    assert got["4"] == four_five["4"] and got["5"] == four_five["5"]
    assert len(set(got.values())) == 5, got
    for n, jobid in got.items():
        assert setup_of(project, jobid)["options"]["n"] == int(n)


SLOW_HELD = MARKING + '''
options = dict(marks='')


def synthesis():
    _mark('started')
    _hold()
    return 'done'
'''


def test_one_identity_into_two_workdirs_at_once_runs_once(tmp_path, reaper):
    """Two builds of one identity started together, one into dev and one into other: the
    second waits for the first and reuses its job (issue 12, item 8: they used to make
    dev-1 and other-1)."""
    folders, procs = reaper
    project = Project(tmp_path / "p", workdirs=("dev", "other"))
    marks = marks_folder(project, folders)
    (marks / "hold").write_text("")
    project.method("slow", SLOW_HELD)
    for name, extra in (("dev", ""), ("other", ", workdir='other'")):
        project.build(f"def main(urd):\n    print('JOB', urd.build('slow', marks={str(marks)!r}"
                      f"{extra}))\n", name=name)
    a = start_ax(project, procs, "run", "dev", tag="a")
    wait_for(lambda: "started" in marks_in(marks), what="the first build's job", proc=a)
    b = start_ax(project, procs, "run", "other", tag="b")

    def waiting() -> bool:
        return "same identity" in (project.root / "b.out").read_text() + \
            (project.root / "b.err").read_text()

    wait_for(waiting, what="the second build to wait for the first", proc=b)
    (marks / "hold").unlink()
    rc_a, out_a, err_a = finish_ax(project, a, "a")
    rc_b, out_b, err_b = finish_ax(project, b, "b")
    assert rc_a == 0 and rc_b == 0, err_a + err_b
    assert "JOB dev-1" in out_a and "JOB dev-1" in out_b
    assert project.job_dirs("other") == []



REBUILDER = '''
import sys
import time
from pathlib import Path

from accel.store import index as ix

wd, scanned, go_on = map(Path, sys.argv[1:4])
real = ix.Index.finished_jobs


def finished_jobs(self):
    # the rebuild's scan of the job directories, then a halt until the test says go on:
    # as if a publisher came just after the scan
    yield from real(self)
    scanned.write_text("")
    while not go_on.exists():
        time.sleep(0.01)


ix.Index.finished_jobs = finished_jobs
index = ix.Index(ix.Workdir("dev", wd))
index.invalidate()
print(index.rebuild())
'''

SQUARE = '''
options = dict(i=int)


def synthesis(options):
    return options.i * options.i
'''

TWO_STEPS = '''
import time
from pathlib import Path


def main(urd):
    print("JOB 1", urd.build("square", i=1))
    Path("built1").write_text("")
    while not Path("go").exists():   # until the test has a rebuild half done
        time.sleep(0.01)
    print("JOB 2", urd.build("square", i=2))
'''


def _flock_waiters(path: Path) -> bool:
    """Does some process wait for a flock on `path` (a '->' line in /proc/locks)?"""
    ino = f":{os.stat(path).st_ino} "
    return any("->" in line and "FLOCK" in line and ino in line
               for line in Path("/proc/locks").read_text().splitlines())


def test_an_index_rebuild_racing_a_publisher_loses_no_entry(project, procs):
    """Issue 12 item 7. A rebuild (as any process makes when READY is missing) has scanned
    the job directories when a builder publishes a job it just finished; the rebuild must
    not then remove that job's entry, or the next build runs the job again.

    The rebuild is held half-way (its scan done, its writes to come) by the test's own
    rebuilder, which waits there for a file. Publishers hold the index lock shared and a
    rebuild holds it alone, so the publisher waits for the rebuild instead (seen in
    /proc/locks) and publishes after it."""
    project.method("square", SQUARE)
    project.build(TWO_STEPS)
    wd = project.root / "workdirs" / "dev"
    builder = start_ax(project, procs, "run", tag="run")
    wait_for((project.root / "built1").exists, TIMEOUT, "job 1 built", proc=builder)

    scanned, go_on = project.root / "scanned", project.root / "go_on"
    rebuilder = subprocess.Popen([sys.executable, "-c", REBUILDER, str(wd), str(scanned),
                                  str(go_on)], stdout=subprocess.PIPE, text=True)
    procs.append(rebuilder)
    lock = wd / ".accel" / "index.lock"
    wait_for(scanned.exists, TIMEOUT, "the rebuild scanned the jobs", proc=rebuilder)
    (project.root / "go").write_text("")
    post2 = wd / "dev-2" / "post.json"
    entries = wd / ".accel" / "index"

    def published_or_waiting() -> bool:
        if not post2.exists():
            return False
        job2 = [p for p in entries.iterdir() if os.path.islink(p)
                and os.readlink(p).endswith("/dev-2")]
        return bool(job2) or _flock_waiters(lock)

    wait_for(published_or_waiting, TIMEOUT, "job 2 published, or waiting to", proc=builder)
    go_on.write_text("")  # the rebuild writes what it found, and lets go of the lock
    out, _ = rebuilder.communicate(timeout=TIMEOUT)
    assert rebuilder.returncode == 0, out
    rc, stdout, stderr = finish(project, builder, "run")
    assert rc == 0, stderr
    assert printed_ids(stdout, "JOB") == {"1": "dev-1", "2": "dev-2"}

    r = project.ax("run")
    assert r.returncode == 0, r.stderr
    assert printed_ids(r.stdout, "JOB") == {"1": "dev-1", "2": "dev-2"}, r.stdout
    assert "0 new" in r.stdout or "new" not in r.stdout
