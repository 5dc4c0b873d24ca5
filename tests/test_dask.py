"""Running jobs on a Dask distributed cluster (issue 5), and `parse_executor`.

One LocalCluster for the module: 2 worker processes of 1 thread each, on 127.0.0.1, no
dashboard, each declaring the resource CPU=2 (so a job of 2 slices fits, 4 do not). The
last test starts `dask scheduler` and two plain `dask worker` processes itself (no
resources: one job per worker thread; no fork server, so the runner is started the
plain way). Only loopback addresses, and every process a test starts is stopped by its
PID.

Processes a method starts write "PID STARTTIME" files (conftest.proc_start), so a recycled
PID is never mistaken for the job's process; a zombie counts as gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import (
    TIMEOUT,
    Project,
    assert_failed_cleanly,
    ax_run,
    no_traceback,
    printed,
    proc_start,
    wait_for,
)

from accel.config import ExecutorSpec, parse_executor
from accel.errors import JobError, UserError
from accel.records import status_of

# --- parse_executor (no cluster needed) ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("local", ExecutorSpec("local")),
        ("  local ", ExecutorSpec("local")),
        ("dask tcp://127.0.0.1:8786", ExecutorSpec("dask", address="tcp://127.0.0.1:8786")),
        ("dask 127.0.0.1:8786", ExecutorSpec("dask", address="tcp://127.0.0.1:8786")),
        ("dask tls://[::1]:8786", ExecutorSpec("dask", address="tls://[::1]:8786")),
        ("dask scheduler-file /srv/s.json",
         ExecutorSpec("dask", scheduler_file=Path("/srv/s.json"))),
    ],
)
def test_parse_executor(text: str, expected: ExecutorSpec) -> None:
    assert parse_executor(text) == expected


def test_parse_executor_relative_scheduler_file(tmp_path: Path, monkeypatch) -> None:
    assert parse_executor("dask scheduler-file run/s.json", base=tmp_path) == \
        ExecutorSpec("dask", scheduler_file=tmp_path / "run" / "s.json")
    monkeypatch.chdir(tmp_path)
    assert parse_executor("dask scheduler-file s.json").scheduler_file == tmp_path / "s.json"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "needs a value"),
        ("remote", "expected 'local', 'dask ADDRESS' or 'dask scheduler-file PATH'"),
        ("local now", "expected 'local'"),
        ("dask", "dask needs an ADDRESS or scheduler-file PATH"),
        ("dask scheduler-file", "scheduler-file needs a PATH"),
        ("dask tcp://host", "bad dask address 'tcp://host'"),
        ("dask host:99999", "bad dask address"),
    ],
)
def test_parse_executor_errors_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(UserError) as e:
        parse_executor(text)
    msg = str(e.value)
    assert msg.startswith("executor: ") and problem in msg and "\n" not in msg


def test_local_builds_never_import_dask() -> None:
    code = ("import sys; from accel.executors import make_executor; "
            "from accel.config import ExecutorSpec; make_executor(ExecutorSpec('local'), False)"
            ".close(); print(any(m == 'distributed' or m.startswith(('distributed.', 'dask'))"
            " for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


# --- the cluster ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    # no dashboard; the scheduler's HTTP server (health, metrics) on a free loopback port
    cl = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, resources={"CPU": 2},
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    try:
        yield cl
    finally:
        cl.close()


def worker_addresses(cluster) -> set[str]:
    return set(cluster.scheduler_info.get("workers", {}))


@pytest.fixture
def dproject(project: Project, cluster, monkeypatch) -> Project:
    """The conftest project, running its jobs on the module's cluster."""
    with open(project.conf, "a") as f:
        f.write(f"executor: dask {cluster.scheduler_address}\n")
    monkeypatch.setenv("ACCEL_DASK_TIMEOUT", "20")
    return project


PIDS = '''
import os, subprocess, sys, time

def _start(path):
    with open('/proc/self/stat') as f:
        return f.read().rsplit(')', 1)[1].split()[19]

def _note(folder, name, pid=None):
    pid = pid or os.getpid()
    with open(f'/proc/{pid}/stat') as f:
        start = f.read().rsplit(')', 1)[1].split()[19]
    tmp = os.path.join(folder, '.' + name)
    with open(tmp, 'w') as f:
        f.write(f'{pid} {start}')
    os.rename(tmp, os.path.join(folder, name))

# a grandchild that leaves our process group (setsid) and whose parent exits at once:
# only the runner, a subreaper, still has it below itself
DAEMON = """
import os, sys, time
if os.fork():
    os._exit(0)
os.setsid()
note = sys.argv[1]
with open('/proc/self/stat') as f:
    start = f.read().rsplit(')', 1)[1].split()[19]
with open(note + '.tmp', 'w') as f:
    f.write(f'{os.getpid()} {start}')
os.rename(note + '.tmp', note)
time.sleep(120)
"""
'''

HANG = PIDS + '''
options = dict(marks='', hang=True)

def prepare():
    _note(options.marks, 'runner')
    _note(options.marks, 'parent', os.getppid())  # the worker's fork server
    subprocess.run([sys.executable, '-c', DAEMON, os.path.join(options.marks, 'grandchild')])
    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])
    _note(options.marks, 'child', child.pid)
    if options.hang:
        time.sleep(120)
'''


def noted(folder: Path, *names: str) -> dict[str, tuple[int, str]] | None:
    """name -> (pid, start) once every one of `names` is written."""
    out = {}
    for name in names:
        try:
            pid, start = (folder / name).read_text().split()
        except FileNotFoundError:
            return None
        out[name] = (int(pid), start)
    return out


def gone(procs: dict[str, tuple[int, str]]) -> bool:
    return all(proc_start(pid) != start for pid, start in procs.values())


def kill_left(procs: dict[str, tuple[int, str]] | None) -> None:
    for pid, start in (procs or {}).values():
        if proc_start(pid) == start:
            os.kill(pid, signal.SIGKILL)


def jobdir(project: Project, jobid: str) -> Path:
    return project.root / "workdirs" / "dev" / jobid


def task_info(project: Project, jobid: str) -> dict:
    """What the Dask task wrote in the job's scratch folder: its worker, the runner's PID,
    the fork server that forked it."""
    return json.loads((jobdir(project, jobid) / ".accel" / "dask.json").read_text())


def ran_on(project: Project, jobid: str) -> str:
    """The worker a job ran on."""
    return task_info(project, jobid)["worker"]


def pid_and_start(pid: int) -> tuple[int, str]:
    start = proc_start(pid)
    assert start is not None, f"process {pid} is not running"
    return pid, start


# --- building on the cluster ----------------------------------------------------------------

STAGES = '''
import os

options = dict(n=3)

def prepare(options):
    print("preparing", options.n)
    return os.environ.get("ACCEL_DASK_WORKER", "")

def analysis(sliceno, prepare_res):
    print("slice", sliceno)
    return [sliceno]

def synthesis(analysis_res, prepare_res, options):
    print("done with", options.n)
    return dict(slices=sorted(analysis_res.merge_auto()), worker=prepare_res)
'''


def test_job_runs_on_the_cluster_and_is_reused(dproject: Project, cluster) -> None:
    dproject.method("stages", STAGES)
    dproject.build('import json\n\ndef main(urd):\n    job = urd.build("stages", n=5)\n'
                   '    print("RESULT", json.dumps([job, job.load()]))\n')
    p = ax_run(dproject, clean=True)
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")][-1]
    jobid, result = json.loads(line[7:])
    assert jobid == "dev-1"
    assert result["slices"] == [0, 1]
    assert result["worker"] in worker_addresses(cluster)  # the runner ran under a worker
    assert ran_on(dproject, "dev-1") == result["worker"]
    assert status_of(jobdir(dproject, "dev-1")) == "finished"
    # the output came back live, prefixed as for a local run
    for text in ("[dev-1 prepare] preparing 5", "[dev-1 analysis 0] slice 0",
                 "[dev-1 analysis 1] slice 1", "[dev-1 synthesis] done with 5"):
        assert text in p.stdout
    p2 = ax_run(dproject, clean=True)
    assert "reused" in p2.stdout and dproject.job_dirs() == ["dev-1"]


def test_failing_method_is_a_job_error_with_the_remote_traceback(dproject: Project) -> None:
    dproject.method("bad", '''
        def helper(sliceno):
            if sliceno == 1:
                raise ValueError("slice one is bad")

        def analysis(sliceno):
            helper(sliceno)
    ''')
    dproject.build("def main(urd):\n    urd.build('bad')\n")
    p = dproject.ax("run")
    assert_failed_cleanly(p)
    err = p.stderr
    assert "job dev-1 (method 'bad') failed in analysis slice 1: ValueError: slice one is bad" in err
    assert "a_bad.py" in err and "helper(sliceno)" in err and 'raise ValueError("slice one' in err
    assert status_of(jobdir(dproject, "dev-1")) == "failed"


def test_subjob_runs_on_its_parents_worker(dproject: Project) -> None:
    dproject.method("leaf", "def synthesis():\n    import os\n    return os.getpid()\n")
    dproject.method("parent", '''
        import os
        from accel.subjobs import build

        def synthesis():
            return [build("leaf"), os.getpid()]
    ''')
    dproject.build('import json\n\ndef main(urd):\n    job = urd.build("parent")\n'
                   '    print("RESULT", json.dumps(job.load()))\n')
    p = ax_run(dproject, clean=True)
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")][-1]
    leaf, _parent_pid = json.loads(line[7:])
    # the subjob was forked by its parent's runner, not queued on the cluster
    assert not (jobdir(dproject, leaf) / ".accel" / "dask.json").exists()
    assert status_of(jobdir(dproject, leaf)) == "finished"
    assert (jobdir(dproject, "dev-1") / ".accel" / "dask.json").exists()


def test_a_method_runs_in_its_job_directory_on_a_worker(dproject: Project) -> None:
    """Issue 13: on a Dask worker too, each part and slice runs in the job directory, and
    what it writes there by a relative name is the job's own file."""
    from test_compat_method_env import RELATIVE_FILES

    dproject.method("relfiles", RELATIVE_FILES)
    dproject.build('import json\n\ndef main(urd):\n    job = urd.build("relfiles", text="x")\n'
                   '    print("RESULT", json.dumps([job.load(), job.files()]))\n')
    res, files = printed(ax_run(dproject, clean=True))
    path = str(jobdir(dproject, "dev-1"))
    assert res == {"prepare": path, "analysis": [path, path], "synthesis": path, "path": path}
    assert {"prepared.txt", "relative.txt", "slice0.txt", "slice1.txt"} <= set(files)
    assert (jobdir(dproject, "dev-1") / ".accel" / "dask.json").exists()  # it ran there


def test_two_builds_side_by_side(dproject: Project, procs) -> None:
    dproject.method("nap", "import time\noptions = dict(who='', i=0)\n\n"
                    "def synthesis():\n    time.sleep(0.3)\n    return options.who\n")
    for who in ("a", "b"):
        dproject.build(f"def main(urd):\n    for i in range(2):\n"
                       f"        print('JOB', urd.build('nap', who={who!r}, i=i))\n", who)
    started = [dproject.popen("run", who, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for who in ("a", "b")]
    procs += started
    outs = [p.communicate(timeout=120) for p in started]
    for p, (out, err) in zip(started, outs, strict=True):
        assert p.returncode == 0, out + err
    jobs = [line.split()[1] for out, _ in outs for line in out.splitlines()
            if line.startswith("JOB ")]
    assert sorted(jobs) == ["dev-1", "dev-2", "dev-3", "dev-4"]  # each numbered once
    for jobid in jobs:
        assert status_of(jobdir(dproject, jobid)) == "finished"
        assert ran_on(dproject, jobid)


def test_cancel_kills_the_jobs_processes_on_the_worker(dproject: Project, api) -> None:
    marks = dproject.root / "marks"
    marks.mkdir()
    dproject.method("hang", HANG)
    b = api()
    procs = None
    try:
        plan = b.plan("hang", marks=str(marks))
        jobid, path, setup, _ = b.prepare_job(plan, None, None)
        handle = b.executor.submit(path, setup)
        procs = wait_for(lambda: noted(marks, "runner", "child", "grandchild", "parent"),
                         what="the job's processes to start")
        server = procs.pop("parent")
        info = json.loads((path / ".accel" / "dask.json").read_text())
        assert info["forked_by"] == server[0]  # the runner came from the fork server
        worker = pid_and_start(info["worker_pid"])
        assert handle.wait(0) is None
        assert handle.cancel("canceled", "stopped by the test") == "canceled"
        wait_for(lambda: gone(procs), what="the job's processes to be gone")
        post = json.loads((path / "post.json").read_text())
        assert post["status"] == "canceled"
        assert post["error"]["part"] == "prepare"
        assert "stopped by the test" in post["error"]["message"]
        assert handle.wait(0) == "canceled"
        assert proc_start(worker[0]) == worker[1]  # the worker itself lives on
        assert proc_start(server[0]) == server[1]  # and so does its fork server
        b.unregister(jobid)
    finally:
        b.executor.close()
        kill_left(procs)


def test_a_job_whose_worker_left_fails_and_is_stopped(dproject: Project, api) -> None:
    """The build side's own look: the worker a running job's dask.json names is no longer
    in the cluster. The job is marked failed at once; its task is released, and the worker
    that still runs it kills it."""
    marks = dproject.root / "marks"
    marks.mkdir()
    dproject.method("hang", HANG)
    b = api()
    procs = None
    try:
        plan = b.plan("hang", marks=str(marks))
        jobid, path, setup, _ = b.prepare_job(plan, None, None)
        handle = b.executor.submit(path, setup)
        procs = wait_for(lambda: noted(marks, "runner", "child", "grandchild", "parent"),
                         what="the job's processes to start")
        procs.pop("parent")
        info_path = path / ".accel" / "dask.json"
        info = json.loads(info_path.read_text())
        info["worker"] = "tcp://127.0.0.1:1"  # as if its worker had gone
        info_path.write_text(json.dumps(info))
        assert wait_for(lambda: handle.wait(0.5), what="the job to end") == "failed"
        post = json.loads((path / "post.json").read_text())
        assert "tcp://127.0.0.1:1" in post["error"]["message"]
        assert "died or left the cluster" in post["error"]["message"]
        wait_for(lambda: gone(procs), what="the released job's processes to be gone")
        assert status_of(path) == "failed"
        b.unregister(jobid)
    finally:
        b.executor.close()
        kill_left(procs)


def test_timeout_kills_the_job_and_marks_it(dproject: Project, api) -> None:
    marks = dproject.root / "marks"
    marks.mkdir()
    dproject.method("hang", HANG)
    b = api()
    try:
        with pytest.raises(JobError) as e:
            b.build("hang", marks=str(marks), timeout=3)
        assert e.value.job_status == "timeout"
        procs = noted(marks, "runner", "child", "grandchild")
        if procs is not None:  # a slow machine may time it out before it got that far
            wait_for(lambda: gone(procs), what="the job's processes to be gone")
        assert status_of(jobdir(dproject, "dev-1")) == "timeout"
    finally:
        b.executor.close()
        kill_left(noted(marks, "runner") or {})
        kill_left(noted(marks, "child") or {})
        kill_left(noted(marks, "grandchild") or {})


def test_another_accel_on_a_worker_is_named_with_the_builds() -> None:
    """The worker's check, no cluster needed: the same code at another path is the same
    accel; another version (or other code) is refused, naming both."""
    from accel.executors.dask_worker import other_accel, this_accel

    here = this_accel()
    assert other_accel(None) is None and other_accel(dict(here)) is None
    assert other_accel(dict(here, path="/srv/shared/accel")) is None
    why = other_accel({"version": "0.0.9", "path": "/opt/old/accel", "source": "0" * 16})
    assert f"imports accel {here['version']} from {here['path']}" in why, why
    assert "the build's is accel 0.0.9 from /opt/old/accel" in why, why


def test_a_worker_with_another_accel_fails_the_job_before_it_starts(
        dproject: Project, api, monkeypatch) -> None:
    """The build side tells the worker which accel it is; a worker whose Python imports
    another one does not run the job, and the job's error names both."""
    from accel.executors import dask as dask_executor

    marks = dproject.root / "marks"
    marks.mkdir()
    dproject.method("marked", "import os\n\noptions = dict(marks='')\n\ndef prepare():\n"
                    "    open(os.path.join(options.marks, 'ran'), 'w').close()\n")
    monkeypatch.setattr(dask_executor, "this_accel",
                        lambda: {"version": "0.0.9", "path": "/opt/old/accel", "source": "0"},
                        raising=False)
    b = api()
    try:
        with pytest.raises(JobError) as e:
            b.build("marked", marks=str(marks))
        assert e.value.job_status == "failed"
        post = json.loads((jobdir(dproject, e.value.job) / "post.json").read_text())
        err = post["error"]
        assert (err["part"], err["exception"]) == ("starting", "OtherAccel")
        assert "the build's is accel 0.0.9 from /opt/old/accel" in err["message"]
        assert "this dask worker's Python imports accel" in err["message"]
        assert not list(marks.iterdir())  # the method never ran
    finally:
        b.executor.close()


def test_a_resource_no_worker_has_fails_at_once(tmp_path: Path, cluster, monkeypatch) -> None:
    project = Project(tmp_path / "big", slices=4)
    with open(project.conf, "a") as f:
        f.write(f"executor: dask {cluster.scheduler_address}\n")
    monkeypatch.setenv("ACCEL_DASK_TIMEOUT", "20")
    project.method("wide", "def analysis(sliceno):\n    return sliceno\n")
    project.build("def main(urd):\n    urd.build('wide')\n")
    p = project.ax("run", timeout=60)  # never a hang
    assert_failed_cleanly(p)
    assert "needs CPU=4" in p.stderr and "the largest worker has CPU=2" in p.stderr
    assert status_of(project.root / "workdirs" / "dev" / "dev-1") == "failed"


def test_no_scheduler_is_needed_until_a_job_must_run(project: Project) -> None:
    """The executor connects when it has a job to send: a build that reuses every job and
    `ax why` work with no scheduler at all; one that needs a new job says in one line
    that the scheduler cannot be reached. (Job identities do not depend on the executor,
    so the local build's jobs are reused by the dask-configured one.)"""
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    project.method("stages", STAGES)
    project.build('def main(urd):\n    print("JOB", urd.build("stages", n=5))\n')
    p = ax_run(project, "--executor", "local", clean=True)
    assert "JOB dev-1" in p.stdout
    with open(project.conf, "a") as f:
        f.write(f"executor: dask tcp://127.0.0.1:{port}\n")
    env = {"ACCEL_DASK_TIMEOUT": "1"}

    p = project.ax("run", env=env, timeout=60)
    assert p.returncode == 0 and no_traceback(p), p.stdout + p.stderr
    assert "JOB dev-1" in p.stdout and "reused" in p.stdout
    assert "dask" not in p.stderr
    p = project.ax("why", "stages", "n=5", env=env, timeout=60)
    assert p.returncode == 0 and no_traceback(p), p.stdout + p.stderr
    assert "dev-1" in p.stdout

    project.build('def main(urd):\n    urd.build("stages", n=6)\n')  # a new job
    p = project.ax("run", env=env, timeout=60)
    assert_failed_cleanly(p)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the dask scheduler" in lines[0], p.stderr
    assert f"127.0.0.1:{port}" in lines[0]
    post = json.loads((jobdir(project, "dev-2") / "post.json").read_text())
    assert post["status"] == "failed"  # its directory says why it never ran
    assert "cannot reach the dask scheduler" in post["error"]["message"]
    p = project.ax("run", "--executor", "dask scheduler-file nowhere.json",
                   env={"ACCEL_DASK_TIMEOUT": "0.5"}, timeout=60)
    assert_failed_cleanly(p)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "nowhere.json does not exist" in lines[0], p.stderr


VICTIM = PIDS + '''
options = dict(marks='')

def prepare():
    if os.path.exists(os.path.join(options.marks, 'parent')):
        return 'second'  # the build after the worker died
    _note(options.marks, 'runner')
    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])
    _note(options.marks, 'child', child.pid)
    _note(options.marks, 'parent', os.getppid())  # the worker's fork server
    time.sleep(120)
'''


# --- the fork server -------------------------------------------------------------------------

EDITED = """
import os

def synthesis():
    return [VERSION, os.getppid()]

VERSION = {version}
"""


def run_on(b, path: Path, worker: str) -> dict:
    """Run the prepared job at `path` on the worker at `worker`, as the executor would
    (the executor itself lets the scheduler choose)."""
    from accel.executors.dask_worker import run_job_dir

    fut = b.executor.client.submit(run_job_dir, str(path), workers=[worker],
                                   allow_other_workers=False, pure=False,
                                   key=f"accel-test-{path.name}")
    return fut.result(timeout=TIMEOUT)


def test_a_job_runs_the_method_source_of_now(dproject: Project, api) -> None:
    """The fork server has the runner imported, never a method: a method edited between
    two jobs on one worker runs as edited, forked by the same server."""
    dproject.method("edited", EDITED.format(version=1))
    dproject.build('import json\n\ndef main(urd):\n    job = urd.build("edited")\n'
                   '    print("RESULT", json.dumps([job, job.load()]))\n')
    jobid, (version, parent) = printed(ax_run(dproject, clean=True))
    first = task_info(dproject, jobid)
    assert version == 1 and first["forked_by"] == parent  # forked by the worker's server
    dproject.method("edited", EDITED.format(version=2))
    b = api()
    try:
        jobid2, path, _setup, _ = b.prepare_job(b.plan("edited"), None, None)
        assert run_on(b, path, first["worker"]) == {"status": "finished"}
        assert task_info(dproject, jobid2)["forked_by"] == first["forked_by"]
        assert dproject.job(jobid2).load() == [2, first["forked_by"]]
        b.unregister(jobid2)
    finally:
        b.executor.close()


def test_a_dead_fork_server_fails_its_job_and_the_next_job_gets_a_new_one(
        dproject: Project, api) -> None:
    marks = dproject.root / "marks"
    marks.mkdir()
    dproject.method("victim", VICTIM)
    dproject.method("stages", STAGES)
    b = api()
    procs = None
    try:
        jobid, path, setup, _ = b.prepare_job(b.plan("victim", marks=str(marks)), None, None)
        handle = b.executor.submit(path, setup)
        procs = wait_for(lambda: noted(marks, "runner", "child", "parent"),
                         what="the job's processes to start")
        info = json.loads((path / ".accel" / "dask.json").read_text())
        assert info["forked_by"] == procs["parent"][0]
        worker = pid_and_start(info["worker_pid"])
        os.kill(info["forked_by"], signal.SIGKILL)
        assert wait_for(lambda: handle.wait(0.5), what="the job to end") == "failed"
        post = json.loads((path / "post.json").read_text())
        assert post["error"]["part"] == "prepare"
        assert "the fork server that started the runner died" in post["error"]["message"]
        wait_for(lambda: gone(procs), what="the job's processes to be gone")
        assert proc_start(worker[0]) == worker[1]  # the worker lives on
        b.unregister(jobid)
        # the next job on that worker: a new server forks it
        jobid2, path2, _setup, _ = b.prepare_job(b.plan("stages"), None, None)
        assert run_on(b, path2, info["worker"]) == {"status": "finished"}
        new_server = json.loads((path2 / ".accel" / "dask.json").read_text())["forked_by"]
        assert new_server is not None and new_server != info["forked_by"]
        b.unregister(jobid2)
    finally:
        b.executor.close()
        kill_left(procs)


def test_no_fork_server_to_be_had_means_the_plain_runner(monkeypatch) -> None:
    """A server that cannot start: None, and no new try for a while (the task then starts
    `python -m accel.runner` itself, as the scheduler-file test's workers always do)."""
    from accel.executors import forkserver

    monkeypatch.setattr(forkserver, "_server", None)
    monkeypatch.setattr(forkserver, "_failed_at", None)
    monkeypatch.setattr(forkserver.sys, "executable", "/nonexistent/python")
    assert forkserver.server() is None
    assert forkserver._failed_at is not None
    monkeypatch.setattr(forkserver.sys, "executable", sys.executable)
    assert forkserver.server() is None  # not again so soon
    monkeypatch.setenv("ACCEL_DASK_FORKSERVER", "0")
    monkeypatch.setattr(forkserver, "_failed_at", None)
    assert forkserver.server() is None  # turned off


def test_worker_dying_mid_job_fails_it_for_good(dproject: Project, cluster, procs) -> None:
    """Last of the LocalCluster tests: it kills one of its workers (the nanny restarts it)."""
    marks = dproject.root / "marks"
    marks.mkdir()
    dproject.method("victim", VICTIM)
    dproject.build(f"def main(urd):\n    print('JOB', urd.build('victim', marks={str(marks)!r}))\n")
    run = dproject.popen("run", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs.append(run)
    noted_procs = None
    try:
        noted_procs = wait_for(lambda: noted(marks, "runner", "child", "parent"), proc=run,
                               what="the job to start")
        info = task_info(dproject, "dev-1")
        assert info["forked_by"] == noted_procs["parent"][0]
        os.kill(info["worker_pid"], signal.SIGKILL)  # the fork server goes with it
        out, err = run.communicate(timeout=120)
        assert run.returncode == 1, out + err
        assert "job dev-1 (method 'victim') failed in prepare" in err
        assert "died" in err and "Traceback" not in err
        assert status_of(jobdir(dproject, "dev-1")) == "failed"
        wait_for(lambda: gone(noted_procs),
                 what="the dead worker's fork server and job processes to be gone")
        # never reused: the next build runs it again, in a new directory
        p = ax_run(dproject, clean=True)
        assert "JOB dev-2" in p.stdout
        assert status_of(jobdir(dproject, "dev-2")) == "finished"
        assert status_of(jobdir(dproject, "dev-1")) == "failed"
    finally:
        kill_left(noted_procs)


# --- `dask scheduler` and `dask worker` processes, through a scheduler file ------------------


def test_scheduler_file_with_dask_processes(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    sched_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]  # the `dask` command, whatever PATH says
    # no dashboard, and their HTTP servers on loopback too (by default they take 0.0.0.0)
    quiet_http = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    logs = tmp_path / "logs"
    logs.mkdir()
    started: list[subprocess.Popen] = []

    def start(cmd: list[str], name: str) -> None:
        with open(logs / name, "w") as log:
            started.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            env=dict(os.environ, ACCEL_DASK_FORKSERVER="0")))

    try:
        start([*dask, "scheduler", "--scheduler-file", str(sched_file), "--host", "127.0.0.1",
               "--port", "0", *quiet_http], "scheduler")
        wait_for(lambda: sched_file.exists() and sched_file.stat().st_size > 0,
                 what="the scheduler file", proc=started[0])
        for i in range(2):
            start([*dask, "worker", "--scheduler-file", str(sched_file), "--host", "127.0.0.1",
                   "--nthreads", "1", *quiet_http], f"worker{i}")
        with distributed.Client(scheduler_file=str(sched_file), timeout=TIMEOUT,
                                set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
            workers = client.scheduler_info(n_workers=-1)["workers"]
        assert all(w["resources"] == {} for w in workers.values())  # plain workers

        project = Project(tmp_path / "proj")
        with open(project.conf, "a") as f:
            f.write(f"executor: dask scheduler-file {sched_file}\n")
        project.method("stages", STAGES)
        project.build(textwrap.dedent('''
            import json

            def main(urd):
                jobs = [urd.build("stages", n=n) for n in (1, 2)]
                print("RESULT", json.dumps([job.load() for job in jobs]))
        '''))
        p = ax_run(project, clean=True)
        line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")][-1]
        results = json.loads(line[7:])
        assert [r["slices"] for r in results] == [[0, 1], [0, 1]]
        assert {r["worker"] for r in results} <= set(workers)
        for jobid in ("dev-1", "dev-2"):  # started by the task itself: no fork server
            assert task_info(project, jobid)["forked_by"] is None
    finally:
        for proc in reversed(started):  # workers first, then the scheduler
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in reversed(started):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:  # whatever is left of its process group (a worker's own process)
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if proc.poll() is None:
                proc.wait()
