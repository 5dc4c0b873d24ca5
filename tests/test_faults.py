"""Failure as a user meets it: `kill -9` of `ax run`, methods that raise or exit in every
part, huge output, crashes mid-write, broken method files and build scripts.

The contract (SPEC §3): a job that died half-way is never reused, a failing method is one
JobError naming job, method, part, exception and the method's own traceback, the failed job
stays on disk marked failed, and a finished job is never disturbed by a later crash.

Synchronisation is by marker files: a method part writes `<marks>/<name>` holding
"PID STARTTIME" (STARTTIME from /proc, so a recycled PID is never mistaken for the job's
process) and, when asked to, waits while `<marks>/hold` exists. The test watches the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
from conftest import (
    MARKING,
    TIMEOUT,
    alive,
    finish_ax,
    jobdir,
    marks_folder,
    marks_in,
    post_of,
    start_ax,
    wait_for,
)

from accel.records import status_of

# ---- helpers ---------------------------------------------------------------------------------


def snapshot(path: Path) -> dict[str, tuple[int | None, str]]:
    """relative name -> (mtime_ns, sha256) of every file under a job directory. But for
    post.json's mtime, which a build sets to mark a job it reuses (so gc leaves it)."""
    snap = {}
    for dirpath, _dirs, files in os.walk(path):
        for fn in files:
            p = Path(dirpath) / fn
            name = str(p.relative_to(path))
            snap[name] = (None if name == "post.json" else p.stat().st_mtime_ns,
                          hashlib.sha256(p.read_bytes()).hexdigest())
    return snap


def ax_lines(text: str) -> list[str]:
    """ax's own lines: not the jobs' echoed output (which is prefixed `[dev-N part] `)."""
    return [line for line in text.splitlines() if not re.match(r"\[dev-\d+ ", line)]


def printed_values(stdout: str, key: str) -> list[str]:
    """Values the build script printed as `KEY value`."""
    return [line.split()[1] for line in stdout.splitlines() if line.startswith(key + " ")]


# ---- kill -9 of `ax run` ---------------------------------------------------------------------

KILLME = MARKING + '''
import subprocess

options = dict(stop='', marks='', subprocess=False)


def prepare():
    _mark('prepare')
    if options.stop == 'prepare':
        _hold()


def analysis(sliceno):
    _mark(f'analysis-{sliceno}')
    if options.stop == 'analysis':
        _hold()
    return sliceno


def synthesis(analysis_res):
    _mark('synthesis')
    if options.subprocess:
        child = subprocess.Popen(['sleep', '60'])
        with open('/proc/%d/stat' % child.pid) as f:
            start = f.read().rsplit(')', 1)[1].split()[19]
        (Path(options.marks) / 'child').write_text(f'{child.pid} {start}')
    if options.stop == 'synthesis':
        _hold()
    return sum(analysis_res)
'''

QUICK = '''
def synthesis(job):
    job.save('quick result', 'quick.pickle')
    return 42
'''


def start_killable_build(project, reaper, stop: str, subproc: bool = False):
    """Build `quick` (finishes), then `killme` that holds in part `stop`."""
    folders, procs = reaper
    marks = marks_folder(project, folders)
    (marks / "hold").write_text("")
    project.method("quick", QUICK)
    project.method("killme", KILLME)
    project.build(f"""
        def main(urd):
            first = urd.build('quick')
            print('FIRST', first, flush=True)
            job = urd.build('killme', stop={stop!r}, marks={str(marks)!r}, subprocess={subproc!r})
            print('JOB', job, flush=True)
    """)
    return start_ax(project, procs, "run", tag="run1"), marks


def kill_and_wait(p: subprocess.Popen, marks: Path, expected: set[str]) -> dict:
    """Wait until the parts in `expected` marked themselves, SIGKILL `ax run` only."""
    wait_for(lambda: expected <= set(marks_in(marks)), what=f"markers {sorted(expected)}", proc=p)
    os.kill(p.pid, signal.SIGKILL)  # the process, not its group: what `kill -9 PID` does
    assert p.wait(timeout=TIMEOUT) == -signal.SIGKILL
    return marks_in(marks)


HOLD_MARKS = {
    "prepare": {"prepare"},
    "analysis": {"prepare", "analysis-0", "analysis-1"},
    "synthesis": {"prepare", "analysis-0", "analysis-1", "synthesis"},
}


@pytest.mark.parametrize("part", ["prepare", "analysis", "synthesis"])
def test_kill_9_of_ax_run(project, reaper, part):
    p, marks = start_killable_build(project, reaper, part)
    # `quick` has finished by the time `killme` runs: take its picture now
    first_dir = jobdir(project, "dev-1")
    wait_for(lambda: (first_dir / "post.json").exists(), what="dev-1 finished", proc=p)
    before = snapshot(first_dir)
    assert post_of(project, "dev-1")["status"] == "finished"

    recorded = kill_and_wait(p, marks, HOLD_MARKS[part])

    # every process of the job dies with `ax run`
    still = {}

    def all_gone():
        still.clear()
        still.update({n: pid for n, (pid, s) in recorded.items() if alive(pid, s)})
        return not still

    try:
        wait_for(all_gone, timeout=10, what="the job's processes to die")
    except AssertionError:
        raise AssertionError(f"still running 10 s after kill -9 of ax run: {still}") from None

    # the half-done job: on disk, not finished, never to be reused
    assert project.job_dirs() == ["dev-1", "dev-2"]
    dead = jobdir(project, "dev-2")
    assert json.loads((dead / "setup.json").read_text())["method"] == "killme"
    assert not (dead / "post.json").exists()
    # the kernel drops a dead process's flock a moment after it is gone: poll for it
    wait_for(lambda: status_of(dead) == "unfinished", timeout=10, what="the job to show unfinished")
    dead_setup = (dead / "setup.json").read_bytes()

    # the finished job is untouched
    assert snapshot(first_dir) == before

    # the next run builds the job again, under a new number, and succeeds
    (marks / "hold").unlink()
    r = project.ax("run")
    assert r.returncode == 0, r.stderr
    assert printed_values(r.stdout, "FIRST") == ["dev-1"]
    new = printed_values(r.stdout, "JOB")
    assert len(new) == 1 and new[0] not in ("dev-1", "dev-2")
    assert project.job_dirs() == ["dev-1", "dev-2", new[0]]
    assert project.job(new[0]).number == 3
    assert post_of(project, new[0])["status"] == "finished"
    assert json.loads((jobdir(project, new[0]) / "setup.json").read_text())["jobid"] == new[0]
    # the dead one stays dead, the finished one was reused, not touched
    assert (dead / "setup.json").read_bytes() == dead_setup
    assert not (dead / "post.json").exists()
    assert snapshot(first_dir) == before
    assert re.search(r"^dev-1\s+quick\s+reused\s*$", r.stdout, re.M), r.stdout
    assert re.search(rf"^{new[0]}\s+killme\s+new\s*$", r.stdout, re.M), r.stdout

    # and a third run reuses both
    r = project.ax("run")
    assert r.returncode == 0, r.stderr
    assert printed_values(r.stdout, "JOB") == new
    assert project.job_dirs() == ["dev-1", "dev-2", new[0]]


def test_kill_9_of_ax_run_takes_the_methods_subprocesses(project, reaper):
    """A program the method started (subprocess.Popen) is a process of the job too."""
    p, marks = start_killable_build(project, reaper, "synthesis", subproc=True)
    recorded = kill_and_wait(p, marks, {"synthesis", "child"})
    runner_pid, runner_start = recorded["synthesis"]
    wait_for(lambda: not alive(runner_pid, runner_start), timeout=10, what="the runner to die")
    child_pid, child_start = recorded["child"]
    try:
        wait_for(lambda: not alive(child_pid, child_start), timeout=10,
                 what="the method's subprocess to die")
    except AssertionError:
        raise AssertionError("`sleep 60` started by the method still runs 10 s after "
                             "kill -9 of ax run (and after its runner died)") from None


# ---- a method that fails -----------------------------------------------------------------

BROKEN_SLICE = '''
def analysis(sliceno):
    if sliceno == 1:
        raise ValueError(f'slice {sliceno} cannot cope')
    return sliceno


def synthesis(analysis_res):
    return list(analysis_res)
'''
BROKEN_SLICE_LINE = 4


def test_exception_in_one_analysis_slice(project):
    path = project.method("broken", BROKEN_SLICE)
    project.build("""
        def main(urd):
            urd.build('broken')
    """)
    r = project.ax("run")
    assert r.returncode == 1, (r.stdout, r.stderr)
    own = "\n".join(ax_lines(r.stderr))
    assert "dev-1" in own
    assert "'broken'" in own
    assert "analysis slice 1" in own
    assert "analysis slice 0" not in own
    assert "ValueError" in own
    assert "slice 1 cannot cope" in own
    assert f'File "{path}", line {BROKEN_SLICE_LINE}, in analysis' in own, own
    assert "ax job dev-1 -o" in own
    assert "Traceback (most recent call last)" not in r.stderr + r.stdout
    assert not [line for line in ax_lines(r.stderr) if "/accel/" in line], own

    assert project.job_dirs() == ["dev-1"]
    post = post_of(project, "dev-1")
    assert post["status"] == "failed"
    assert post["error"]["part"] == "analysis slice 1"
    assert post["error"]["exception"] == "ValueError"
    assert status_of(jobdir(project, "dev-1")) == "failed"

    # never reused: the next run makes a new job, which fails the same way
    r = project.ax("run")
    assert r.returncode == 1
    assert project.job_dirs() == ["dev-1", "dev-2"]
    assert "dev-2" in r.stderr and "analysis slice 1" in r.stderr
    assert post_of(project, "dev-2")["status"] == "failed"
    assert post_of(project, "dev-1")["status"] == "failed"


def _ends_in_analysis(sliceno: int, how: str, imports: str = "os") -> str:
    """A method whose analysis slice `sliceno` ends by `how`; the other slices return."""
    return f'''
        import {imports}
        def analysis(sliceno):
            if sliceno == {sliceno}:
                {how}
            return sliceno
        def synthesis():
            return 1
    '''


EXITS = {
    "sys.exit(3) in synthesis": ('''
        import sys
        def analysis(sliceno):
            return sliceno
        def synthesis():
            sys.exit(3)
    ''', "synthesis", r"sys\.exit\(3\)"),
    "os._exit(7) in analysis": (_ends_in_analysis(1, "os._exit(7)"), "analysis slice 1", r"\b7\b"),
    "os._exit(0) in prepare": ('''
        import os
        def prepare():
            os._exit(0)
        def synthesis():
            return 1
    ''', "prepare", ""),
    "os._exit(0) in analysis": (_ends_in_analysis(0, "os._exit(0)"), "analysis slice 0", ""),
    "SIGKILL in analysis": (_ends_in_analysis(1, "os.kill(os.getpid(), signal.SIGKILL)",
                                              imports="os, signal"), "analysis slice 1", "SIGKILL"),
}


@pytest.mark.parametrize("case", list(EXITS))
def test_method_that_exits(project, case):
    source, part, detail = EXITS[case]
    project.method("quitter", source)
    project.build("""
        def main(urd):
            urd.build('quitter')
    """)
    for n, jobid in enumerate(["dev-1", "dev-2"], 1):
        r = project.ax("run")
        assert r.returncode != 0, (r.stdout, r.stderr)
        own = "\n".join(ax_lines(r.stderr))
        assert f"job {jobid} (method 'quitter') failed in {part}" in own, r.stderr
        if detail:
            assert re.search(detail, own.split("failed in", 1)[1].splitlines()[0]), own
        assert f"ax job {jobid} -o" in own
        assert "Traceback (most recent call last)" not in r.stderr + r.stdout, r.stderr
        # never reused: every run makes a new job
        assert project.job_dirs() == ["dev-1", "dev-2"][:n]
        post = post_of(project, jobid)
        assert post["status"] == "failed"
        assert post["error"]["part"] == part


LEAKY = MARKING + '''
options = dict(marks='')


def synthesis():
    ready_r, ready_w = os.pipe()
    if os.fork() == 0:  # a background helper, detached from the job's output, outliving it
        try:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            _mark('leaked')
            os.write(ready_w, b'x')
            deadline = time.time() + 40
            while time.time() < deadline:
                time.sleep(0.05)
        finally:
            os._exit(0)
    # the job ends (and kills what it left) only once the helper has marked itself
    os.close(ready_w)
    assert os.read(ready_r, 1) == b'x'
    return 'done'
'''


def test_a_process_left_behind_by_a_method_does_not_hold_up_ax_run(project, reaper):
    """A method forks a helper that detaches from the job's output and outlives the job.
    The job itself finishes; `ax run` must not wait for the helper."""
    folders, procs = reaper
    marks = marks_folder(project, folders)
    project.method("leaky", LEAKY)
    project.build(f"""
        def main(urd):
            print('JOB', urd.build('leaky', marks={str(marks)!r}).load(), flush=True)
    """)
    p = start_ax(project, procs, "run", tag="run")
    wait_for(lambda: "leaked" in marks_in(marks), what="the stray process", proc=p)
    try:
        rc = p.wait(timeout=15)  # the stray process lives 40 s
    except subprocess.TimeoutExpired:
        raise AssertionError("ax run still waits, 15 s after its job finished, for a "
                             "process the method left behind") from None
    assert rc == 0, (project.root / "run.err").read_text()
    assert "JOB done" in (project.root / "run.out").read_text()


# ---- output --------------------------------------------------------------------------------

LOUD = '''
import sys

def analysis(sliceno):
    if sliceno == 0:
        chunk = ('x' * 99 + '\\n') * 10_000  # 1 MB
        for _ in range(100):
            sys.stdout.write(chunk)
    else:
        print('quiet slice')
    return sliceno
'''


def test_100_mb_of_output(project, reaper):
    project.method("loud", LOUD)
    project.build("""
        def main(urd):
            print('JOB', urd.build('loud'))
    """)
    p = start_ax(project, reaper[1], "run", tag="run")
    assert p.wait(timeout=120) == 0, (project.root / "run.err").read_text()[-2000:]
    job = project.job("dev-1")
    assert job.post.status == "finished"
    assert os.path.getsize(job.path / "output" / "analysis-0.txt") == 100_000_000
    text = job.output(0)
    assert len(text) == 100_000_000
    assert text.count("\n") == 1_000_000
    assert job.output(1) == "quiet slice\n"
    # every line was also shown live, with its prefix
    shown = 0
    with open(project.root / "run.out", "rb") as f:
        for line in f:
            if line.startswith(b"[dev-1 analysis 0] "):
                assert line == b"[dev-1 analysis 0] " + b"x" * 99 + b"\n"
                shown += 1
    assert shown == 1_000_000


# ---- crash while writing a file ----------------------------------------------------------

HALF_WRITTEN = '''
import os

options = dict(how='raise')


def _write_half(job):
    with job.open('big', 'wb') as f:
        for i in range(40):
            f.write(b'y' * (1 << 20))
            if i == 20:
                f.flush()
                if options.how == 'raise':
                    raise OSError('disk on fire')
                os._exit(1)


def analysis(sliceno, job):
    if options.how == 'exit' and sliceno == 1:
        _write_half(job)
    return sliceno


def synthesis(job):
    job.save('all good so far', 'small.pickle')
    if options.how == 'raise':
        _write_half(job)
'''


@pytest.mark.parametrize("how", ["raise", "exit"])
def test_crash_during_a_file_write(project, how):
    project.method("halfwrite", HALF_WRITTEN)
    project.build(f"""
        def main(urd):
            urd.build('halfwrite', how={how!r})
    """)
    r = project.ax("run")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "disk on fire" in r.stderr if how == "raise" else "analysis slice 1" in r.stderr
    job = project.job("dev-1")
    assert job.post.status == "failed"
    assert not (job.path / "big").exists()
    files = job.files()
    assert "big" not in files
    assert not [f for f in files if "big" in f or "tmp" in f], files
    if how == "raise":
        assert files == ["small.pickle"]
        # an exception is a clean exit: no temporary is left anywhere
        assert not [f for f in os.listdir(job.path) if "big" in f], os.listdir(job.path)


# ---- broken method files and build scripts -----------------------------------------------


def test_method_with_a_syntax_error(project):
    path = project.method("typo", """
        def synthesis():
            return [1, 2
        x = )
    """)
    project.build("""
        def main(urd):
            urd.build('typo')
    """)
    r = project.ax("run")
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(path) in lines[0]
    assert re.search(rf"{re.escape(str(path))}:[34]\b", lines[0]), lines[0]
    assert "syntax" in lines[0].lower()
    assert "Traceback" not in r.stderr + r.stdout
    assert project.job_dirs() == []


def test_build_script_with_a_name_error(project):
    project.method("fine", "def synthesis():\n    return 1\n")
    build = project.build("""
        def main(urd):
            urd.build('fine')
            print('built', flush=True)
            return undefined_thing + 1
    """)
    r = project.ax("run")
    assert r.returncode != 0, (r.stdout, r.stderr)
    out = r.stdout + r.stderr
    assert "NameError" in out and "undefined_thing" in out, out
    # the build script's line: as `FILE:LINE` or as a traceback frame
    assert re.search(rf'{re.escape(str(build))}(:5\b|", line 5\b)', out), out
    assert project.job_dirs() == ["dev-1"]
    assert post_of(project, "dev-1")["status"] == "finished"


def test_build_script_error_shows_no_accel_internals(project):
    """SPEC §1: no traceback for a user's mistake. The build script's frames help the user;
    ax's and click's own frames are noise."""
    project.method("fine", "def synthesis():\n    return 1\n")
    project.build("""
        def main(urd):
            urd.build('fine')
            return undefined_thing + 1
    """)
    r = project.ax("run")
    assert r.returncode != 0
    out = r.stdout + r.stderr
    internal = [line for line in out.splitlines()
                if re.search(r'File ".*/(accel|click)/', line)]
    assert not internal, out


def test_build_script_with_a_syntax_error(project):
    build = project.build("""
        def main(urd):
            urd.build('fine'
    """)
    r = project.ax("run")
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(build) in lines[0]
    assert "Traceback" not in r.stderr + r.stdout


# ---- processes a job leaves behind ---------------------------------------------------------

LEAVER = '''
import os
import subprocess
import sys
import time
from pathlib import Path

options = dict(marks='', fail=False)


def _started(pid):
    with open('/proc/%d/stat' % pid) as f:
        return f.read().rsplit(')', 1)[1].split()[19]


def synthesis():
    marks = Path(options.marks)
    child = subprocess.Popen(['sleep', '60'])
    (marks / 'child').write_text(f'{child.pid} {_started(child.pid)}')
    # a grandchild in a session of its own, whose parent exits at once (a "daemon")
    subprocess.run([sys.executable, '-c', (
        'import os, subprocess, sys\\n'
        'os.setsid()\\n'
        'g = subprocess.Popen(["sleep", "61"])\\n'
        'open(sys.argv[1], "w").write(str(g.pid))\\n'
        'os._exit(0)\\n'), str(marks / '.daemon.pid')], check=True)
    pid = int((marks / '.daemon.pid').read_text())
    (marks / 'daemon').write_text(f'{pid} {_started(pid)}')
    if options.fail:
        raise RuntimeError('failing with processes left running')
    return 'done'
'''


@pytest.mark.parametrize("fail", [False, True])
def test_processes_a_job_leaves_running_end_with_it(project, fail):
    marks = project.root / "marks"
    marks.mkdir()
    project.method("leaver", LEAVER)
    project.build(f"""
        def main(urd):
            urd.build('leaver', marks={str(marks)!r}, fail={fail!r})
    """)
    r = project.ax("run")
    assert r.returncode == (1 if fail else 0), (r.stdout, r.stderr)
    recorded = marks_in(marks)
    for name in ("child", "daemon"):
        pid, start = recorded[name]
        wait_for(lambda pid=pid, start=start: not alive(pid, start), timeout=10,
                 what=f"the job's {name} process to be gone")
    post = post_of(project, "dev-1")
    assert post["status"] == ("failed" if fail else "finished")
    assert sorted(post["leftovers"]) == sorted(
        [f"sleep (pid {recorded['child'][0]})", f"sleep (pid {recorded['daemon'][0]})"])
    for args in (["-o"], ["-o", "finishing"]):
        out = project.ax("job", "dev-1", *args)
        assert "left 2 processes running, now killed" in out.stdout, (args, out.stderr)


SPAWNER = MARKING + '''
import subprocess

options = dict(marks='')


def synthesis():
    sleeper = subprocess.Popen(['sleep', '77'])
    _mark('sleeper', sleeper.pid)
    _mark('runner')
    while True:  # until the test kills this process
        time.sleep(0.05)
'''


def test_kill_9_of_a_runner_ends_what_its_method_started(project, reaper):
    """The OOM killer's kill -9 of a job's runner: the processes its method started (here
    `sleep 77` from subprocess) die with it, not live on with parent 1 (issue 12, item 6)."""
    folders, procs = reaper
    marks = marks_folder(project, folders)
    project.method("spawner", SPAWNER)
    project.build(f"""
        def main(urd):
            urd.build('spawner', marks={str(marks)!r})
    """)
    p = start_ax(project, procs, "run", tag="run")
    got = wait_for(lambda: (m := marks_in(marks)) and "runner" in m and "sleeper" in m and m,
                   what="the runner and its sleeper", proc=p)
    sleeper = got["sleeper"]
    assert alive(*sleeper)
    os.kill(got["runner"][0], signal.SIGKILL)
    rc, out, err = finish_ax(project, p, "run")
    assert rc != 0 and "spawner" in out + err
    wait_for(lambda: not alive(*sleeper), what="the sleeper to die with its job")


# ---- the guard: a process that kills the jobs' groups when the builder dies -----------------

GUARDED = MARKING + '''
import subprocess

options = dict(marks='')


def synthesis():
    sleeper = subprocess.Popen(['sleep', '77'])  # what subprocess.run(['sleep', '77']) starts
    _mark('sleeper', sleeper.pid)
    _mark('runner')
    _hold()
    sleeper.kill()
    sleeper.wait()
    return 'held'
'''


def guard_of(builder: int) -> int | None:
    """The builder's live guard: its child in a session of its own (a job's runner has
    only a process group of its own)."""
    from accel.proctree import children

    for child in children(builder):
        try:
            with open(f"/proc/{child}/stat") as f:
                state, _ppid, _pgrp, session = f.read().rsplit(")", 1)[1].split()[:4]
        except OSError:
            continue
        if state not in "ZX" and int(session) == child:
            return child
    return None


def kill_the_guard(project, reaper) -> tuple[subprocess.Popen, Path, int, int]:
    """`ax run` of a job whose method started `sleep 77` and holds; its guard killed with
    SIGKILL, and a new guard seen: (ax run, marks, old guard, new guard)."""
    folders, procs = reaper
    marks = marks_folder(project, folders)
    (marks / "hold").write_text("")
    project.method("guarded", GUARDED)
    project.build(f"""
        def main(urd):
            print('RESULT', urd.build('guarded', marks={str(marks)!r}).load())
    """)
    p = start_ax(project, procs, "run", tag="run")
    wait_for(lambda: {"runner", "sleeper"} <= set(marks_in(marks)),
             what="the runner and its sleeper", proc=p)
    old = wait_for(lambda: guard_of(p.pid), what="the guard", proc=p)
    os.kill(old, signal.SIGKILL)
    new = wait_for(lambda: guard_of(p.pid) not in (None, old) and guard_of(p.pid),
                   what="a new guard after the first was killed", proc=p)
    return p, marks, old, new


def _wakeups(pid: int) -> int:
    """How often process `pid` has gone to sleep and been woken (voluntary switches)."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f
                    if line.startswith("voluntary_ctxt_switches:"))


def test_the_guard_is_not_woken_for_every_job_it_is_told_of():
    """The guard waits on the builder's pidfd and reads its pipe twice a second: a
    builder starting many short jobs does not wake it (a context switch) for each."""
    import select
    import time

    from accel.executors.local import _Guard

    guard = _Guard()
    try:
        assert select.select([guard.life], [], [], TIMEOUT)[0]  # it watches the builder now
        before = _wakeups(guard.pid)
        for n in range(100):
            guard.tell("+" if n % 2 == 0 else "-", (1 << 23) + n // 2)  # above any pid_max
            time.sleep(0.001)  # a guard woken by the pipe would run between these
        woken = _wakeups(guard.pid) - before
    finally:
        guard.stop()
    assert woken <= 5, f"the guard woke {woken} times for 100 lines"


def test_a_killed_guard_is_replaced_and_the_build_goes_on(project, reaper):
    """`kill -9` of the guard: the builder notices, says so, starts another, and the build
    finishes as if nothing had happened (issue 12, defect 6)."""
    p, marks, old, new = kill_the_guard(project, reaper)
    (marks / "hold").unlink()
    rc, out, err = finish_ax(project, p, "run")
    assert rc == 0, err
    assert "RESULT held" in out
    assert err.count("accel: the process guarding this build's jobs") == 1, err
    assert f"(pid {old}) died (killed by SIGKILL); pid {new} guards them now" in err


def test_kill_9_of_ax_run_after_its_guard_was_killed_ends_what_the_method_started(project,
                                                                                   reaper):
    """The guard killed first, then `ax run`: the new guard kills the job's group, so the
    `sleep 77` its method started does not live on (issue 12, defect 6)."""
    p, marks, _, _ = kill_the_guard(project, reaper)
    os.kill(p.pid, signal.SIGKILL)
    assert p.wait(timeout=TIMEOUT) == -signal.SIGKILL
    recorded = marks_in(marks)
    for name in ("runner", "sleeper"):
        wait_for(lambda name=name: not alive(*recorded[name]), timeout=10,
                 what=f"the job's {name} to die with ax run")


def test_a_guard_that_cannot_start_fails_the_build(project, reaper):
    """A guard that dies as it starts (here: no pidfd to watch the builder with) would die
    again if started again: the build fails saying so, and its job is stopped, instead
    of running unguarded."""
    folders, procs = reaper
    marks = marks_folder(project, folders)
    (marks / "hold").write_text("")
    project.method("guarded", GUARDED)
    project.build(f"""
        import os

        def main(urd):
            real, me = os.pidfd_open, os.getpid()

            def in_the_builder_only(pid, flags=0):
                if os.getpid() != me:
                    raise OSError(38, 'Function not implemented')
                return real(pid, flags)

            os.pidfd_open = in_the_builder_only
            urd.build('guarded', marks={str(marks)!r})
    """)
    p = project.ax("run", timeout=TIMEOUT)
    assert p.returncode == 1, p.stderr
    assert "the process guarding this build's jobs" in p.stderr
    assert "ended as it started" in p.stderr
    assert post_of(project, "dev-1")["status"] == "canceled"
    for pid, start in marks_in(marks).values():  # whatever of the job had started
        wait_for(lambda pid=pid, start=start: not alive(pid, start), timeout=10,
                 what="the canceled job's processes to be gone")
