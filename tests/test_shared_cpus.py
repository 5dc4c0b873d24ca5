"""Builds at once share the machine's CPUs (README: many jobs, CPU budget).

`cpus:` bounds the running jobs of every build on the machine together, not of each
build alone: two `ax run`s (of one project or two) never run more than that at once; a
killed build gives its CPUs back; a big job waiting is not starved by another build's
stream of small ones; a job's own subjobs run within its CPUs. The order of events is
read from a log the jobs append to, so nothing depends on how fast the machine is.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from conftest import TIMEOUT, Project, finish_ax, start_ax, wait_for

SPAN = '''
import os
import time
from pathlib import Path

options = dict(who='', log='', hold=0.0, wait_for='', mark='')


def synthesis():
    with open(options.log, 'a') as f:
        f.write(f'start {options.who}\\n')
    if options.mark:
        Path(options.mark).write_text('')
    if options.wait_for:  # another job that must be running at the same time
        deadline = time.time() + 60
        while not os.path.exists(options.wait_for):
            if time.time() > deadline:
                return 'alone'
            time.sleep(0.01)
    time.sleep(options.hold)
    with open(options.log, 'a') as f:
        f.write(f'end {options.who}\\n')
    return 'together' if options.wait_for else 'done'
'''

WIDE = SPAN.replace("def synthesis():", "def analysis(sliceno):\n    pass\n\n\ndef synthesis():")


def project_with(root, cpus: int, slices: int = 2) -> Project:
    p = Project(root, slices=slices)
    with open(p.conf, "a") as f:
        f.write(f"cpus: {cpus}\n")
    p.method("span", SPAN)
    p.method("wide", WIDE)
    return p


def builds(p: Project, name: str, calls: str) -> None:
    p.build(f"""
        def main(urd):
            {calls}
    """, name=name)


def finish(p: Project, proc: subprocess.Popen, tag: str) -> tuple[str, str]:
    rc, out, err = finish_ax(p, proc, tag, TIMEOUT * 2)
    assert rc == 0, err
    return out, err


def events(log) -> list[str]:
    return log.read_text().splitlines()


def never_overlap(ev: list[str]) -> bool:
    running = 0
    for e in ev:
        running += 1 if e.startswith("start ") else -1
        if running > 1:
            return False
    return True


def test_two_projects_with_cpus_1_run_their_jobs_one_at_a_time(tmp_path, procs):
    log = tmp_path / "events.log"
    go = tmp_path / "go"
    projects = [project_with(tmp_path / f"p{i}", cpus=1) for i in range(2)]
    for i, p in enumerate(projects):
        # both builds are at their first job before either starts one
        builds(p, "two", f"""import os, time
            open({str(tmp_path)!r} + '/ready.{i}', 'w').close()
            while not os.path.exists({str(go)!r}):
                time.sleep(0.01)
            for k in range(2):
                urd.build('span', who='p{i}.%d' % k, log={str(log)!r}, hold=1.5)""")
    runs = [start_ax(p, procs, "run", "two", tag="two") for p in projects]
    wait_for(lambda: all((tmp_path / f"ready.{i}").exists() for i in range(2)),
             what="both builds to start")
    go.write_text("")
    errs = [finish(p, r, "two")[1] for p, r in zip(projects, runs, strict=True)]
    ev = events(log)
    assert len(ev) == 8, ev
    assert never_overlap(ev), f"two jobs ran at once with cpus: 1: {ev}"
    # a build that waited said why, once however often it waited
    waits = [e.count("waits for CPUs other builds on this machine are using (cpus: 1)")
             for e in errs]
    assert sum(waits) >= 1 and max(waits) == 1, errs


def test_cpus_2_lets_two_builds_run_a_job_each_at_once(tmp_path, procs):
    log = tmp_path / "events.log"
    p = project_with(tmp_path / "p", cpus=2)
    for me, other in (("a", "b"), ("b", "a")):
        builds(p, me, f"""print('GOT', urd.build('span', who={me!r}, log={str(log)!r},
                mark={str(tmp_path / me)!r}, wait_for={str(tmp_path / other)!r}).load())""")
    runs = [start_ax(p, procs, "run", me, tag=me) for me in ("a", "b")]
    outs = [finish(p, r, me)[0] for me, r in zip("ab", runs, strict=True)]
    assert all("GOT together" in out for out in outs), outs


def hold_and_wait(tmp_path, procs, a: Project, b: Project, release: Path):
    """A's build holds the one CPU (its job runs until `release` exists); then B's build
    (of A's project, or another) waits for it."""
    log = tmp_path / "events.log"
    builds(a, "hog", f"""urd.build('span', who='hog', log={str(log)!r},
                mark={str(tmp_path / 'hogging')!r}, wait_for={str(release)!r})""")
    builds(b, "next", f"""print('GOT', urd.build('span', who='next', log={str(log)!r}).load())""")
    hog = start_ax(a, procs, "run", "hog", tag="hog")
    wait_for(lambda: (tmp_path / "hogging").exists(), what="the first job to run", proc=hog)
    nxt = start_ax(b, procs, "run", "next", tag="next")
    wait_for(lambda: "waits for CPUs" in (b.root / "next.err").read_text(),
             what="the second build to wait for the CPU", proc=nxt)
    return hog, nxt


def test_a_build_killed_with_kill_9_gives_its_cpus_back(tmp_path, procs):
    log = tmp_path / "events.log"
    p = project_with(tmp_path / "p", cpus=1)
    hog, nxt = hold_and_wait(tmp_path, procs, p, p, tmp_path / "never")
    os.kill(hog.pid, signal.SIGKILL)
    hog.wait(timeout=TIMEOUT)
    out, _ = finish(p, nxt, "next")
    assert "GOT done" in out
    assert "start next" in events(log)


def test_a_big_job_waiting_is_not_starved_by_another_builds_small_jobs(tmp_path, procs):
    log, go = tmp_path / "events.log", tmp_path / "go"
    p = project_with(tmp_path / "p", cpus=2, slices=2)
    # six small jobs, two at a time; the first two run until the big build has said it
    # waits for CPUs
    builds(p, "small", f"""urd.build_many('span', [
                dict(who='small%d' % i, log={str(log)!r}, hold=0.2,
                     wait_for={str(go)!r} if i < 2 else '') for i in range(6)],
                parallel=2)""")
    builds(p, "big", f"""print('GOT', urd.build('wide', who='big', log={str(log)!r},
                hold=0.5).load())""")
    small = start_ax(p, procs, "run", "small", tag="small")
    wait_for(lambda: log.exists() and log.read_text().count("start") == 2,
             what="two small jobs to run", proc=small)
    big = start_ax(p, procs, "run", "big", tag="big")
    wait_for(lambda: "'wide' waits for CPUs" in (p.root / "big.err").read_text(),
             what="the big build to wait for CPUs", proc=big)
    go.write_text("")
    finish(p, small, "small")
    out, _ = finish(p, big, "big")
    assert "GOT done" in out
    ev = events(log)
    starts = [e.split()[1] for e in ev if e.startswith("start ")]
    assert len(starts) == 7, ev
    assert starts.index("big") == 2, \
        f"the 2-CPU job waited while the other build started more small jobs: {ev}"
    # and it ran alone (2 CPUs, it takes both): no small job ran when it started or
    # started while it ran
    i, j = ev.index("start big"), ev.index("end big")
    assert sum(1 if e.startswith("start") else -1 for e in ev[:i]) == 0, ev
    assert not [e for e in ev[i + 1:j] if e.startswith("start ")], ev


def test_a_build_from_a_build_many_callback_runs_within_its_cpus(tmp_path):
    # the callback runs while the other row still holds a CPU, and that row waits for the
    # job the callback builds: had the callback's build waited for the machine's CPUs,
    # neither would ever end
    log, built = tmp_path / "events.log", tmp_path / "built"
    p = project_with(tmp_path / "p", cpus=2, slices=2)
    builds(p, "cb", f"""made = []

            def done(job):
                if not made:
                    made.append(urd.build('wide', who='inner', log={str(log)!r},
                                          mark={str(built)!r}).load())

            urd.build_many('span', [dict(who='a', log={str(log)!r}),
                                    dict(who='b', log={str(log)!r}, wait_for={str(built)!r})],
                           parallel=2, on_done=done)
            print('GOT', made)""")
    r = p.ax("run", "cb", timeout=TIMEOUT * 2)
    assert r.returncode == 0, r.stderr
    assert "GOT ['done']" in r.stdout
    ev = events(log)
    assert ev.index("start inner") < ev.index("end b"), ev


def test_a_jobs_subjob_counts_the_cpus_that_are_free(tmp_path, procs):
    # cpus 2: the parent job takes one, its subjob the other; another build then waits
    log, go = tmp_path / "events.log", tmp_path / "go"
    p = project_with(tmp_path / "p", cpus=2)
    p.method("parent", SUBJOB_PARENT.replace("def analysis(sliceno):\n    pass\n", ""))
    builds(p, "sub", f"""print('GOT', urd.build('parent', log={str(log)!r},
                wait_for={str(go)!r}).load())""")
    builds(p, "other", f"""print('GOT', urd.build('span', who='other', log={str(log)!r}).load())""")
    sub = start_ax(p, procs, "run", "sub", tag="sub")
    wait_for(lambda: log.exists() and "start child" in log.read_text(),
             what="the subjob to run", proc=sub)
    other = start_ax(p, procs, "run", "other", tag="other")
    wait_for(lambda: "waits for CPUs" in (p.root / "other.err").read_text()
             or "start other" in log.read_text(), what="the other build to wait", proc=other)
    go.write_text("")
    assert "GOT together" in finish(p, sub, "sub")[0]
    assert "GOT done" in finish(p, other, "other")[0]
    ev = events(log)
    assert ev.index("end child") < ev.index("start other"), ev


INNER_AX_RUN = '''
import subprocess
import sys

options = dict(project='')


def synthesis():
    p = subprocess.run([sys.executable, '-m', 'accel.cli.main', 'run', 'inner'],
                       cwd=options.project, capture_output=True, text=True, timeout=100)
    print(p.stdout, p.stderr)
    return p.returncode
'''


def test_an_ax_run_a_method_starts_does_not_wait_for_its_jobs_cpus(tmp_path):
    log = tmp_path / "events.log"
    p = project_with(tmp_path / "p", cpus=1)
    p.method("outer", INNER_AX_RUN)
    builds(p, "inner", f"""print('INNER', urd.build('span', who='inner', log={str(log)!r}).load())""")
    builds(p, "out", f"""print('GOT', urd.build('outer', project={str(p.root)!r}).load())""")
    r = p.ax("run", "out", timeout=TIMEOUT * 2)
    assert r.returncode == 0, r.stderr
    assert "GOT 0" in r.stdout
    assert events(log) == ["start inner", "end inner"]


SUBJOB_PARENT = '''
from accel.subjobs import build

options = dict(log='', wait_for='')


def analysis(sliceno):
    pass


def synthesis():
    return build('span', who='child', log=options.log, wait_for=options.wait_for).load()
'''


def test_a_jobs_subjobs_run_within_its_cpus(tmp_path):
    log = tmp_path / "events.log"
    p = project_with(tmp_path / "p", cpus=1)
    p.method("parent", SUBJOB_PARENT)
    builds(p, "sub", f"""print('GOT', urd.build('parent', log={str(log)!r}).load())""")
    r = p.ax("run", "sub", timeout=TIMEOUT * 2)
    assert r.returncode == 0, r.stderr
    assert "GOT done" in r.stdout
    assert "waits for CPUs" not in r.stderr


def test_an_unusable_cpu_slots_file_is_one_note_and_the_build_goes_on(tmp_path):
    p = project_with(tmp_path / "p", cpus=1)
    (tmp_path / "file").write_text("")
    builds(p, "one", f"""for k in range(2):
                print('GOT', urd.build('span', who='x%d' % k,
                                       log={str(tmp_path / 'events.log')!r}).load())""")
    r = p.ax("run", "one", env={"ACCEL_CPU_SLOTS": str(tmp_path / "file" / "slots")})
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("GOT done") == 2
    assert r.stderr.count("cannot use the shared CPU budget") == 1, r.stderr
    assert str(tmp_path / "file" / "slots") in r.stderr
    assert "Traceback" not in r.stderr


def own_slots_file(tmp_path, monkeypatch) -> Path:
    """The builds of this test use the per-user slots file under a TMPDIR of their own."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.delenv("ACCEL_CPU_SLOTS")
    monkeypatch.setenv("TMPDIR", str(tmp))
    return tmp / f"accel-{os.getuid()}" / "cpu-slots"


def take_away(slots: Path, how: str) -> None:
    if how == "deleted":
        slots.unlink()
    elif how == "replaced":
        new = slots.with_name("new")
        new.write_text("")
        os.rename(new, slots)
    else:
        shutil.rmtree(slots.parent)


@pytest.mark.parametrize("how", ["deleted", "replaced", "folder deleted"])
def test_cpus_held_when_the_slots_file_is_deleted_stay_held(tmp_path, procs, monkeypatch, how):
    """The slots file deleted (or replaced, or its folder deleted) while a build holds the
    one CPU: the holder takes it again in the file at the path, and the next build waits
    for it (issue 12, defect 12)."""
    slots = own_slots_file(tmp_path, monkeypatch)
    log, release = tmp_path / "events.log", tmp_path / "release"
    p = project_with(tmp_path / "p", cpus=1)
    builds(p, "hog", f"""urd.build('span', who='hog', log={str(log)!r},
                mark={str(tmp_path / 'hogging')!r}, wait_for={str(release)!r})""")
    builds(p, "next", f"""print('GOT', urd.build('span', who='next', log={str(log)!r}).load())""")
    hog = start_ax(p, procs, "run", "hog", tag="hog")
    wait_for(lambda: (tmp_path / "hogging").exists(), what="the first job to run", proc=hog)
    take_away(slots, how)
    if how != "replaced":
        wait_for(slots.exists, what="the build holding the CPU to make the file again",
                 proc=hog)
    nxt = start_ax(p, procs, "run", "next", tag="next")
    wait_for(lambda: "waits for CPUs" in (p.root / "next.err").read_text(),
             what="the second build to wait for the CPU", proc=nxt)
    assert events(log) == ["start hog"]
    release.write_text("")
    finish(p, hog, "hog")
    assert "GOT done" in finish(p, nxt, "next")[0]
    assert events(log) == ["start hog", "end hog", "start next", "end next"]


def test_cpus_held_in_a_deleted_slots_file_by_a_busy_build_stay_held(tmp_path, procs,
                                                                     monkeypatch):
    """The holder is in a build_many callback, so it cannot move its CPU to the new file
    yet: the next build sees it held in the deleted one, and waits (issue 12, defect 12)."""
    slots = own_slots_file(tmp_path, monkeypatch)
    log, go, release = tmp_path / "events.log", tmp_path / "go", tmp_path / "release"
    p = project_with(tmp_path / "p", cpus=2, slices=2)
    builds(p, "hog", f"""import os, time

            def busy(job):
                if job.params.options.who == 'a':  # while 'b' holds its CPU
                    open({str(tmp_path / 'in-callback')!r}, 'w').close()
                    deadline = time.time() + 60
                    while not os.path.exists({str(go)!r}) and time.time() < deadline:
                        time.sleep(0.01)

            urd.build_many('span', [dict(who='a', log={str(log)!r}),
                                    dict(who='b', log={str(log)!r}, wait_for={str(release)!r},
                                         mark={str(tmp_path / 'holding')!r})],
                           parallel=2, on_done=busy)""")
    builds(p, "big", f"""print('GOT', urd.build('wide', who='big', log={str(log)!r}).load())""")
    hog = start_ax(p, procs, "run", "hog", tag="hog")
    wait_for(lambda: (tmp_path / "in-callback").exists() and (tmp_path / "holding").exists(),
             what="one job to run while the build is in a callback", proc=hog)
    slots.unlink()
    big = start_ax(p, procs, "run", "big", tag="big")
    wait_for(lambda: "waits for CPUs" in (p.root / "big.err").read_text(),
             what="the 2-CPU build to wait for the CPU held in the deleted file", proc=big)
    assert "start big" not in events(log)
    go.write_text("")  # the holder moves its CPU into the new file: still held there
    release.write_text("")
    finish(p, hog, "hog")
    assert "GOT done" in finish(p, big, "big")[0]
    ev = events(log)
    assert ev.index("end b") < ev.index("start big"), ev


# --- who holds the CPUs (issue 14, surprise 2) -----------------------------------------


def hog_and_waiter(tmp_path, procs, monkeypatch):
    """Project A's build holds the one CPU, project B's waits for it (`hold_and_wait`),
    both drawing from a slots file of this test's own."""
    (tmp_path / "slots").mkdir()
    monkeypatch.setenv("ACCEL_CPU_SLOTS", str(tmp_path / "slots" / "cpu-slots"))
    release = tmp_path / "release"
    a, b = project_with(tmp_path / "a", cpus=1), project_with(tmp_path / "b", cpus=1)
    hog, nxt = hold_and_wait(tmp_path, procs, a, b, release)
    return a, b, hog, nxt, release


def status_json(p: Project) -> dict:
    r = p.ax("status", "--json", check=True)
    return json.loads(r.stdout)


def test_a_build_waiting_for_cpus_says_who_holds_them_and_ax_status_shows_both(
        tmp_path, procs, monkeypatch):
    a, b, hog, nxt, release = hog_and_waiter(tmp_path, procs, monkeypatch)
    [jobid] = a.job_dirs()
    said = wait_for(lambda: "span)" in (b.root / "next.err").read_text()
                    and (b.root / "next.err").read_text(), what="the whole wait message")
    # the holder by project, build script, PID and job
    assert f"{a.root / 'build_hog.py'} of {a.conf}, pid {hog.pid}: runs {jobid} (span)" \
        in said, said
    assert "`cpu slots: PATH` in accelerator.conf" in said, said

    # B runs nothing itself; its `ax status` shows A's build holding, and B's waiting
    text = b.ax("status", check=True).stdout
    assert "no job of this project runs now" in text, text
    holds = next(line for line in text.splitlines() if line.startswith("holds"))
    for part in (str(hog.pid), f"{jobid} (span)", str(a.root / "build_hog.py"), str(a.conf)):
        assert part in holds, text
    waits = next(line for line in text.splitlines() if line.startswith("waits"))
    for part in (str(nxt.pid), "for span", str(b.root / "build_next.py"), str(b.conf)):
        assert part in waits, text
    cpus = status_json(b)["cpus"]
    assert cpus["slots_file"] == str(tmp_path / "slots" / "cpu-slots")
    [holder] = cpus["holders"]
    assert (holder["pid"], holder["project"], holder["build"], holder["cpus"]) == \
        (hog.pid, str(a.conf), str(a.root / "build_hog.py"), 1)
    assert [(j["job"], j["method"], j["cpus"]) for j in holder["jobs"]] == [(jobid, "span", 1)]
    assert holder["since"] == holder["jobs"][0]["since"] > 0
    [waiter] = cpus["waiting"]
    assert (waiter["pid"], waiter["project"], waiter["build"], waiter["method"],
            waiter["cpus"]) == (nxt.pid, str(b.conf), str(b.root / "build_next.py"), "span", 1)

    release.write_text("")
    finish(a, hog, "hog")
    assert "GOT done" in finish(b, nxt, "next")[0]
    assert b.ax("status", check=True).stdout.strip() == "nothing runs now"


def test_a_killed_build_never_counts_as_holding_or_waiting(tmp_path, procs, monkeypatch):
    a, b, hog, nxt, release = hog_and_waiter(tmp_path, procs, monkeypatch)
    wait_for(lambda: status_json(a)["cpus"]["waiting"], what="B's build to show as waiting")
    os.kill(nxt.pid, signal.SIGKILL)  # its record stays behind; its process is gone
    nxt.wait(timeout=TIMEOUT)
    cpus = status_json(a)["cpus"]
    assert [h["pid"] for h in cpus["holders"]] == [hog.pid] and cpus["waiting"] == [], cpus
    os.kill(hog.pid, signal.SIGKILL)  # and so does the holder's; the kernel drops its locks
    hog.wait(timeout=TIMEOUT)
    assert status_json(b)["cpus"] == {"slots_file": str(tmp_path / "slots" / "cpu-slots"),
                                      "holders": [], "waiting": []}
    assert len(list((tmp_path / "slots" / "cpu-slots.holders").glob("*.json"))) == 2


def test_cpu_slots_in_accelerator_conf_gives_a_project_a_budget_of_its_own(
        tmp_path, procs, monkeypatch):
    """A holds the one CPU of the shared slots file; B, with `cpu slots:` of its own,
    runs at once (and its `ax status` shows nothing of A)."""
    (tmp_path / "slots").mkdir()
    monkeypatch.setenv("ACCEL_CPU_SLOTS", str(tmp_path / "slots" / "cpu-slots"))
    log, release = tmp_path / "events.log", tmp_path / "release"
    a, b = project_with(tmp_path / "a", cpus=1), project_with(tmp_path / "b", cpus=1)
    with open(b.conf, "a") as f:
        f.write("cpu slots: .accel/cpu-slots\n")
    builds(a, "hog", f"""urd.build('span', who='hog', log={str(log)!r},
                mark={str(tmp_path / 'hogging')!r}, wait_for={str(release)!r})""")
    builds(b, "own", f"""print('GOT', urd.build('span', who='own', log={str(log)!r}).load())""")
    hog = start_ax(a, procs, "run", "hog", tag="hog")
    wait_for(lambda: (tmp_path / "hogging").exists(), what="A's job to run", proc=hog)
    r = b.ax("run", "own", timeout=TIMEOUT * 2)
    assert r.returncode == 0, r.stderr
    assert "GOT done" in r.stdout and "waits for CPUs" not in r.stderr
    assert events(log) == ["start hog", "start own", "end own"]
    assert (b.root / ".accel" / "cpu-slots").exists()
    assert b.ax("status", check=True).stdout.strip() == "nothing runs now"
    assert [h["pid"] for h in status_json(a)["cpus"]["holders"]] == [hog.pid]
    release.write_text("")
    finish(a, hog, "hog")
