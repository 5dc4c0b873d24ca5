"""The scheduler under urd.build and build_many: interruptions at awkward moments, callbacks,
reuse while every slot is busy, cancel requests, the running-jobs registry, progress on
a terminal, and writing statuses back into a CSV file.

Through `ax run` in a temporary project where a user would see it; the registry's races
through its own API, with the interleaving made to happen.
"""

from __future__ import annotations

import csv
import fcntl
import os
import re
import time

import pytest
from conftest import (
    MARKING,
    TIMEOUT,
    alive,
    ax_run,
    ax_run_fails,
    marks_folder,
    marks_in,
    post_of,
    printed,
    run_on_a_terminal,
    script,
    start_ax,
    wait_for,
)

from accel.records import status_of
from accel.store.running import Running
from accel.store.workdir import Workdir

SQUARE = '''
options = dict(i=0, fail=False)

def synthesis():
    if options.fail:
        raise ValueError('told to fail at %d' % options.i)
    return options.i * options.i
'''


def statuses(project) -> dict[str, str]:
    return {d: status_of(project.root / "workdirs" / "dev" / d) for d in project.job_dirs()}


# --- interrupted while a job is being started ----------------------------------------------


@pytest.mark.parametrize("step", [
    "urd.builder.executor.submit",  # the job directory is set up; forking it
    "urd.builder.store.running['dev'].add",  # the directory is made; registering it
])
def test_an_interrupt_while_a_job_starts_marks_it_canceled_and_frees_its_identity(project, step):
    """Ctrl-C landing after the job directory was made but before the job runs must not
    leave the job unfinished, print a confusing "could not stop", or keep the identity
    locked so the next build waits forever."""
    project.method("square", SQUARE)
    script(project, f"""
        def main(urd):
            owner, name = {step!r}.rsplit('.', 1)
            owner = eval(owner)
            real = getattr(owner, name)
            calls = []

            def interrupted(*args):
                calls.append(args)
                if len(calls) == 3:
                    raise KeyboardInterrupt  # as Ctrl-C would, at this very moment
                return real(*args)

            setattr(owner, name, interrupted)
            try:
                urd.build_many('square', [dict(i=i) for i in range(5)], parallel=1)
            except KeyboardInterrupt:
                pass
            setattr(owner, name, real)
            lock = urd.builder.store.identity_lock(urd.builder.plan('square', i=2).identity)
            free = lock.acquire(blocking=False)
            if not free:  # building it again would wait for ourselves forever
                print('RESULT', json.dumps({{'free': False}}))
                return
            lock.release()
            jl = urd.build_many('square', [dict(i=i) for i in range(5)], parallel=1)
            print('RESULT', json.dumps({{'free': True, 'status': list(jl.status.values())}}))
    """)
    p = ax_run(project)
    r = printed(p)
    assert r["free"], "the interrupted job's identity stayed locked"
    assert "could not stop" not in p.stderr, p.stderr
    s = statuses(project)
    assert s["dev-3"] == "canceled" and post_of(project, "dev-3")["error"]["message"] == "interrupted"
    assert "unfinished" not in s.values(), s
    assert r["status"] == ["reused", "reused", "finished", "finished", "finished"]


SLEEPER = MARKING + '''
options = dict(marks='', name='', seconds=60.0)

def synthesis():
    _mark(options.name)
    time.sleep(options.seconds)
'''


def test_a_job_whose_start_fails_after_the_fork_leaves_no_process(project, reaper):
    """The executor could not finish starting the job (no file descriptor left for its
    pidfd): the forked job must not go on running without anyone watching it."""
    folders, _ = reaper
    marks = marks_folder(project, folders)
    project.method("sleeper", SLEEPER)
    script(project, f"""
        import os

        def job_processes():
            me, sid = os.getpid(), os.getsid(0)
            kids = []
            for tid in os.listdir(f'/proc/{{me}}/task'):
                with open(f'/proc/{{me}}/task/{{tid}}/children') as f:
                    kids += [int(x) for x in f.read().split()]
            found = []
            for kid in kids:
                try:
                    with open(f'/proc/{{kid}}/stat') as f:
                        fields = f.read().rsplit(')', 1)[1].split()
                except FileNotFoundError:
                    continue
                if fields[0] != 'Z' and int(fields[3]) == sid:  # jobs; the guard has its own session
                    found.append(kid)
            return found

        def main(urd):
            real = os.pidfd_open

            def broken(pid, flags=0):
                raise OSError(24, 'Too many open files')

            os.pidfd_open = broken
            try:
                urd.build('sleeper', marks={str(marks)!r}, name='s')
                error = None
            except OSError as e:
                error = str(e)
            finally:
                os.pidfd_open = real
            print('RESULT', json.dumps({{'error': error, 'left': job_processes()}}))
    """)
    r = printed(ax_run(project))
    assert r["error"] and "Too many open files" in r["error"]
    assert r["left"] == [], "the job runs on, unwatched"
    assert statuses(project) == {"dev-1": "canceled"}


# --- reuse, callbacks, followers ----------------------------------------------------------


def test_rows_that_exist_are_reused_at_once_even_while_every_slot_is_busy(project):
    """README: rows whose job exists are reused at once; the rest run, `parallel` at a
    time. A new row waiting for a slot must not hold back the reusable rows behind it."""
    project.method("square", SQUARE)
    script(project, """
        def main(urd):
            urd.build_many('square', [dict(i=1), dict(i=2)])
            done = []
            jl = urd.build_many('square', [dict(i=10), dict(i=11), dict(i=1), dict(i=2)],
                                parallel=1, on_done=lambda j: done.append(str(j)))
            print('RESULT', json.dumps({'jobs': [str(j) for j in jl], 'done': done,
                                        'order': [str(j) for j in jl.as_completed()]}))
    """)
    r = printed(ax_run(project))
    jobs = r["jobs"]
    assert r["order"][:2] == [jobs[2], jobs[3]], r
    assert r["done"][:2] == [jobs[2], jobs[3]], r


NAP = '''
import time

options = dict(i=0)

def synthesis():
    if options.i == 0:
        raise ValueError('row 0 fails')
    time.sleep(60)
'''


def test_an_exception_in_on_error_stops_the_others_without_blaming_them(project):
    """The callback's exception interrupts the batch; stopping the other jobs must not
    call the callback again for each of them and report its exception as "could not
    stop dev-N"."""
    project.method("nap", NAP)
    calls = project.root / "calls.txt"
    script(project, f"""
        def main(urd):
            def on_error(job, err):
                with open({str(calls)!r}, 'a') as f:
                    f.write(str(job) + '\\n')
                raise RuntimeError('my callback broke on %s' % job)

            urd.build_many('nap', [dict(i=0), dict(i=1)], parallel=2, cpus=2, on_error=on_error)
    """)
    p = ax_run_fails(project)
    assert "my callback broke on dev-1" in p.stderr
    assert "could not stop" not in p.stderr, p.stderr
    assert calls.read_text().split() == ["dev-1"]
    assert statuses(project) == {"dev-1": "failed", "dev-2": "canceled"}


def test_ctrl_c_in_a_callback_leaves_the_rows_of_the_same_job_with_its_status(project):
    """Two rows of one identity: the second follows the first. Interrupted in the first
    one's on_done, the second row is still that (finished) job, reused -- not canceled."""
    project.method("square", SQUARE)
    rows = project.root / "rows.csv"
    rows.write_text("i\n1\n1\n")
    script(project, f"""
        def main(urd):
            def on_done(job):
                raise KeyboardInterrupt  # Ctrl-C while the callback runs

            urd.build_many('square', {str(rows)!r}, parallel=2, write_status=True,
                            on_done=on_done)
    """)
    p = project.ax("run")
    assert p.returncode == 130, p.stderr
    with open(rows, newline="") as f:
        written = list(csv.DictReader(f))
    assert [(w["accel_job"], w["accel_status"]) for w in written] == \
        [("dev-1", "finished"), ("dev-1", "reused")]


def test_two_rows_of_one_job_are_counted_as_two_rows_and_the_job_as_new(project):
    project.method("square", SQUARE)
    script(project, """
        def main(urd):
            jl = urd.build_many('square', [dict(i=1), dict(i=2), dict(i=1)])
            print('RESULT', json.dumps({'status': {str(j): s for j, s in jl.status.items()}}))
    """)
    p = ax_run(project)
    assert printed(p)["status"] == {"dev-1": "finished", "dev-2": "finished"}
    assert "3 jobs: 2 finished, 1 reused" in p.stderr, p.stderr


def test_cpus_must_be_a_whole_number(project):
    project.method("square", SQUARE)
    script(project, "def main(urd):\n    urd.build_many('square', [dict(i=1)], cpus='4')\n")
    p = ax_run_fails(project)
    assert "cpus must be a whole number >= 1, got '4'" in p.stderr, p.stderr
    assert project.job_dirs() == []


# --- the running-jobs registry and cancel requests -----------------------------------------


def test_a_cancel_request_within_the_same_clock_tick_is_not_missed(tmp_path):
    """A folder's mtime has a coarse clock: a request written in the same tick as a
    change the builder already saw leaves the mtime as it was."""
    builder = Running(Workdir("dev", tmp_path))
    builder.add("dev-1")
    now = time.time_ns()
    os.utime(builder.dir, ns=(now, now))
    assert builder.cancel_requested("dev-1") is None  # the builder looks: nothing yet
    assert Running(Workdir("dev", tmp_path)).request_cancel("dev-1")  # `ax abort dev-1`
    os.utime(builder.dir, ns=(now, now))  # ... within the same tick
    assert builder.cancel_requested("dev-1") == "canceled"
    builder.close()


def test_a_builder_opening_its_registry_file_is_never_taken_for_a_dead_one(tmp_path, monkeypatch):
    """A reader (ax status, ax abort) that looks between the builder's creating its
    file and locking it must not remove it as stale: the builder would be invisible."""
    real_flock = fcntl.flock
    looked = []

    def flock(fd, op):
        if op == fcntl.LOCK_EX and not looked:
            looked.append(Running(Workdir("dev", tmp_path)).entries())  # a reader, right now
        return real_flock(fd, op)

    monkeypatch.setattr(fcntl, "flock", flock)
    builder = Running(Workdir("dev", tmp_path))
    builder.add("dev-1")
    assert looked
    assert [e.jobid for e in Running(Workdir("dev", tmp_path)).entries()] == ["dev-1"]
    builder.close()


def test_ax_abort_method_cancels_its_running_job(project, reaper):
    """`METHOD` names the method's latest finished job, which is never running: for
    ax abort it means the method's running jobs."""
    folders, procs = reaper
    marks = marks_folder(project, folders)
    project.method("sleeper", SLEEPER)
    script(project, f"""
        from accel import JobError

        def main(urd):
            try:
                urd.build('sleeper', marks={str(marks)!r}, name='s')
            except JobError as e:
                print('RESULT', json.dumps({{'job': e.job, 'status': e.job_status}}), flush=True)
    """)
    p = start_ax(project, procs, "run", "--allow-failed-jobs", tag="run1")
    wait_for(lambda: "s" in marks_in(marks), what="the job to start", proc=p)
    a = project.ax("abort", "sleeper")
    assert a.returncode == 0, a.stderr
    assert "dev-1: canceled" in a.stdout
    assert p.wait(timeout=TIMEOUT) == 0
    assert 'RESULT {"job": "dev-1", "status": "canceled"}' in (project.root / "run1.out").read_text()
    assert not alive(*marks_in(marks)["s"])


# --- progress on a terminal ----------------------------------------------------------------

QUIET_SLOW = '''
import time

options = dict(i=0)

def synthesis():
    time.sleep(1.0)
    return options.i
'''




def test_what_a_callback_prints_starts_its_own_line_under_the_progress_line(project):
    project.method("slow", QUIET_SLOW)
    script(project, """
        def main(urd):
            urd.build_many('slow', [dict(i=1), dict(i=2)], on_done=lambda j: print('DONE', j))
    """)
    text = run_on_a_terminal(project)
    assert re.search(r"accel: \d/2 done, 1 running; dev-\d slow synthesis \ds", text), text
    for line in text.split("\n"):
        if "DONE" in line:  # what the terminal shows: what follows the last carriage return
            shown = line.rstrip("\r").rsplit("\r", 1)[-1].replace("\x1b[K", "")
            assert shown.startswith("DONE dev-"), repr(line)


@pytest.mark.parametrize("newline, bom", [("\n", False), ("\r\n", False), ("\n", True)])
def test_statuses_written_back_keep_the_files_line_ends_and_bom(project, newline, bom):
    project.method("square", SQUARE)
    rows = project.root / "rows.csv"
    rows.write_bytes((b"\xef\xbb\xbf" if bom else b"") + newline.join(["i", "1", "2", ""]).encode())
    script(project, f"""
        def main(urd):
            jl = urd.build_many('square', {str(rows)!r}, write_status=True)
            print('RESULT', json.dumps([str(j) for j in jl]))
    """)
    jobs = printed(ax_run(project, clean=True))
    assert len(jobs) == 2
    data = rows.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom
    lines = data.split(b"\n")
    assert len(lines) == 4 and lines[-1] == b""
    assert all(x.endswith(b"\r") == (newline == "\r\n") for x in lines[:-1]), data
    with open(rows, newline="", encoding="utf-8-sig") as f:
        assert [w["accel_job"] for w in csv.DictReader(f)] == jobs


def test_a_bad_csv_row_after_a_blank_line_names_its_own_line(project):
    project.method("square", SQUARE)
    (project.root / "rows.csv").write_text("i\n1\n\nseven\n")
    script(project, "def main(urd):\n    urd.build_many('square', 'rows.csv')\n")
    p = ax_run_fails(project)
    assert "row 1 (line 4 of rows.csv)" in p.stderr, p.stderr


def test_ax_abort_reports_how_the_job_ended_not_the_moment_it_was_killed(project, reaper):
    """Between killing the job and writing its post.json the builder takes a moment (here
    made long); ax abort must wait for the verdict, not report the job "unfinished"."""
    folders, procs = reaper
    marks = marks_folder(project, folders)
    project.method("sleeper", SLEEPER)
    script(project, f"""
        import time
        import accel.executors.local as local
        from accel import JobError

        real = local.record_death

        def slow_record_death(*args, **kw):
            time.sleep(1.0)  # a busy machine
            return real(*args, **kw)

        local.record_death = slow_record_death

        def main(urd):
            try:
                urd.build('sleeper', marks={str(marks)!r}, name='s')
            except JobError as e:
                print('RESULT', json.dumps({{'job': e.job, 'status': e.job_status}}), flush=True)
    """)
    p = start_ax(project, procs, "run", "--allow-failed-jobs", tag="run1")
    wait_for(lambda: "s" in marks_in(marks), what="the job to start", proc=p)
    a = project.ax("abort", "dev-1")
    assert a.returncode == 0, a.stderr
    assert "dev-1: canceled" in a.stdout, a.stdout
    assert p.wait(timeout=TIMEOUT) == 0
