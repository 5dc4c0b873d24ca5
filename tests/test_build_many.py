"""Many jobs (issue 4): urd.build_many, JobList, statuses, retries, timeouts, the CPU
budget, resuming after kill -9, Ctrl-C, and build(timeout=, retries=).

Everything runs through `ax run` in a temporary project, with real processes.
"""

from __future__ import annotations

import csv
import json
import os
import signal
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
    one_error_line,
    post_of,
    printed,
    run_on_a_terminal,
    script,
    setup_of,
    start_ax,
    wait_for,
)

from accel.records import status_of

SQUARE = '''
options = dict(i=0, fail=False, word='')

def synthesis():
    if options.fail:
        raise ValueError('told to fail at %d' % options.i)
    return options.i * options.i
'''


def read_csv(path) -> list[dict]:
    """The rows of a CSV file, as written back by write_status."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_build_many_builds_each_row_once_and_reuses(project):
    project.method("square", SQUARE)
    script(project, """
        def main(urd):
            jl = urd.build_many('square', [dict(i=i) for i in range(12)], parallel=2)
            print('RESULT', json.dumps({
                'jobs': [str(j) for j in jl],
                'status': sorted(set(jl.status.values())),
                'results': {str(j): v for j, v in jl.results().items()},
                'new': len(jl.new), 'reused': len(jl.reused), 'failed': jl.failed,
                'order': sorted(str(j) for j in jl.as_completed()),
                'table': jl.to_table()[5],
            }))
    """)
    first = printed(ax_run(project, clean=True))
    assert len(first["jobs"]) == 12 and len(set(first["jobs"])) == 12
    assert first["status"] == ["finished"] and first["new"] == 12 and first["failed"] == []
    # each job was built from its own row
    for jobid in first["jobs"]:
        i = setup_of(project, jobid)["options"]["i"]
        assert first["results"][jobid] == i * i
    assert first["order"] == sorted(first["jobs"])
    row5 = first["table"]
    assert row5["i"] == 5 and row5["job"] == first["jobs"][5] and row5["status"] == "finished"
    assert row5["runtime"] > 0 and row5["error"] == ""

    second = printed(ax_run(project))
    assert second["jobs"] == first["jobs"]
    assert second["status"] == ["reused"] and second["reused"] == 12 and second["new"] == 0
    assert len(project.job_dirs()) == 12


def test_to_table_keeps_row_columns_named_like_ours(project):
    project.method("tagged", """
options = dict(i=0, status='', error='')

def synthesis():
    return options.i
""")
    script(project, """
        def main(urd):
            plain = urd.build_many('square', [dict(i=1)])
            jl = urd.build_many('tagged', [dict(i=i, status='todo', error='none')
                                           for i in range(2)])
            print('RESULT', json.dumps({'plain': plain.to_table(), 'tagged': jl.to_table(),
                                        'jobs': [str(j) for j in jl]}))
    """)
    project.method("square", SQUARE)
    r = printed(ax_run(project))
    assert set(r["plain"][0]) == {"i", "job", "status", "runtime", "error"}
    for n, row in enumerate(r["tagged"]):
        assert row["i"] == n and row["status"] == "todo" and row["error"] == "none"
        assert row["accel_job"] == r["jobs"][n] and row["accel_status"] == "finished"
        assert row["accel_error"] == "" and row["accel_runtime"] > 0
        assert "job" not in row and "runtime" not in row


def test_a_failing_row_does_not_stop_the_others(project):
    project.method("square", SQUARE)
    script(project, """
        def main(urd):
            done, errors = [], []
            jl = urd.build_many('square', [dict(i=i, fail=(i == 2)) for i in range(5)],
                                parallel=2, on_done=lambda j: done.append(str(j)),
                                on_error=lambda j, e: errors.append([str(j), e.job_status, str(e)]))
            print('RESULT', json.dumps({
                'failed': jl.failed, 'status': {str(j): s for j, s in jl.status.items()},
                'done': sorted(done), 'errors': errors,
                'applied': {str(j): v for j, v in jl.apply(lambda j: j.load()).items()},
                'error_of': jl.error_of(2),
            }))
    """)
    p = ax_run(project, "--allow-failed-jobs")
    r = printed(p)
    bad = r["failed"]
    assert len(bad) == 1
    assert setup_of(project, bad[0])["options"]["i"] == 2
    assert r["status"][bad[0]] == "failed" and post_of(project, bad[0])["status"] == "failed"
    assert len(r["done"]) == 4 and bad[0] not in r["done"]
    assert r["errors"][0][0] == bad[0] and r["errors"][0][1] == "failed"
    assert "told to fail at 2" in r["errors"][0][2] and "told to fail at 2" in r["error_of"]
    assert sorted(r["applied"].values()) == [0, 1, 9, 16]
    assert "1 failed" in p.stderr  # the summary line
    # the failed row runs again next time (a failed job is never reused); the rest are reused
    r2 = printed(ax_run(project, "--allow-failed-jobs"))
    assert r2["failed"] != bad and len(r2["failed"]) == 1
    assert sorted(r2["status"].values()) == ["failed", "reused", "reused", "reused", "reused"]


def test_joblist_shows_options_as_columns_and_sums_up_by_method_and_status(project):
    """Issue 14, surprise 7: a sweep's jobs told apart by their options in a table
    (`JobList.format(columns)`), and `JobList.summary()`: per method and status, how many,
    their total and median runtime and peak memory, as the jobs recorded them."""
    import statistics

    project.method("square", SQUARE)
    project.method("other", "def synthesis():\n    return 1\n")
    script(project, """
        def main(urd):
            jl = urd.build_many('square', [dict(i=i, word=f'w{i}', fail=(i == 2))
                                           for i in range(4)])
            urd.build('other')
            print('TABLE'); print(jl.format(['i', 'word'])); print('END')
            print('RESULT', json.dumps({
                'jobs': [str(j) for j in jl], 'same': jl.format('i,word') == jl.format(['i', 'word']),
                'plain': jl.pretty == jl.format() == jl.format([]),
                'summary': jl.summary(), 'pretty': jl.summary().pretty,
                'all': urd.joblist_all.summary()}))
    """)
    p = ax_run(project, "--allow-failed-jobs")
    r = printed(p)
    table = p.stdout.split("TABLE\n", 1)[1].split("END\n", 1)[0].splitlines()
    assert table[0].split() == ["job", "method", "i", "word", "status"]
    assert [line.split()[1:] for line in table[1:]] == [
        ["square", "0", "'w0'", "new"], ["square", "1", "'w1'", "new"],
        ["square", "2", "'w2'", "failed"], ["square", "3", "'w3'", "new"]]
    assert [line.split()[0] for line in table[1:]] == r["jobs"]
    assert r["same"] and r["plain"]
    good = [j for j in r["jobs"] if post_of(project, j)["status"] == "finished"]
    posts = [post_of(project, j) for j in good]
    finished, failed = r["summary"]
    assert (finished["method"], finished["status"], finished["jobs"]) == ("square", "finished", 3)
    assert finished["total_runtime"] == pytest.approx(sum(p["exectime"] for p in posts))
    assert finished["median_runtime"] == pytest.approx(statistics.median(p["exectime"] for p in posts))
    assert finished["maxrss_kb"] == max(p["maxrss_kb"] for p in posts)
    assert (failed["method"], failed["status"], failed["jobs"]) == ("square", "failed", 1)
    assert failed["total_runtime"] > 0
    pretty = r["pretty"].splitlines()
    assert pretty[0].split() == ["method", "status", "jobs", "runtime", "median", "peak", "memory"]
    assert pretty[1].split()[:3] == ["square", "finished", "3"]
    assert pretty[2].split()[:3] == ["square", "failed", "1"]
    assert pretty[3].startswith("4 jobs, ")
    assert [(x["method"], x["status"]) for x in r["all"]] == [("other", "finished"),
                                                              ("square", "finished")]
    # built again: the three are reused (their runtimes are those of the run that made them)
    again = printed(ax_run(project, "--allow-failed-jobs"))["summary"]
    assert [(x["status"], x["jobs"]) for x in again] == [("reused", 3), ("failed", 1)]
    assert again[0]["total_runtime"] == finished["total_runtime"]


def test_failed_rows_are_counted_named_and_make_ax_run_exit_1(project):
    """Issue 14, surprise 4: failures are in the run's summary, each with its reason, and
    `ax run` exits 1 unless told the script handles them (--allow-failed-jobs)."""
    project.method("square", SQUARE)
    script(project, """
        def main(urd):
            urd.build_many('square', [dict(i=i, fail=(i != 0)) for i in range(4)])
    """)
    p = project.ax("run")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "4 jobs (1 new, 0 reused, 3 failed)" in p.stdout, p.stdout
    reasons = [line.strip() for line in p.stdout.splitlines() if "told to fail" in line
               and line.startswith("  job ")]
    assert sorted(r.rsplit(" ", 1)[1] for r in reasons) == ["1", "2", "3"], p.stdout
    failed = sorted(d for d in project.job_dirs() if post_of(project, d)["status"] == "failed")
    assert all(any(f"job {d} " in r for r in reasons) for d in failed) and len(failed) == 3
    # build_many's own line: the one that finished is not among the failed
    (line,) = [x for x in p.stderr.splitlines() if x.startswith("accel: build_many")]
    good = [d for d in project.job_dirs() if d not in failed]
    assert line.endswith("4 jobs: 1 finished; 3 failed: " + ", ".join(failed)), line
    assert good[0] not in line
    p2 = project.ax("run", "--allow-failed-jobs")
    assert p2.returncode == 0 and "(0 new, 1 reused, 3 failed)" in p2.stdout, p2.stdout


def test_a_failed_job_the_script_catches_still_makes_ax_run_exit_1(project):
    project.method("square", SQUARE)
    script(project, """
        def main(urd):
            from accel import JobError
            try:
                urd.build('square', i=5, fail=True)
            except JobError as e:
                print('RESULT', json.dumps(e.job))
    """)
    p = project.ax("run")
    jobid = printed(p)
    assert p.returncode == 1
    assert "1 job (0 new, 0 reused, 1 failed)" in p.stdout, p.stdout
    assert f"  job {jobid} (method 'square') failed in synthesis" in p.stdout
    p = project.ax("run", "--allow-failed-jobs", "--json")
    assert p.returncode == 0
    out = json.loads(p.stdout)
    assert [f["job"] for f in out["failed"]] != [jobid] and len(out["failed"]) == 1


def test_same_identity_twice_in_one_batch_is_one_job(project):
    project.method("square", SQUARE)
    script(project, """
        def main(urd):
            jl = urd.build_many('square', [dict(i=1), dict(i=2), dict(i=1)], parallel=3)
            print('RESULT', json.dumps([str(j) for j in jl]))
    """)
    jobs = printed(ax_run(project))
    assert jobs[0] == jobs[2] != jobs[1]
    assert len(project.job_dirs()) == 2


def test_rows_from_csv_with_statuses_written_back_and_new_rows_picked_up(project):
    project.method("square", SQUARE)
    rows = project.root / "rows.csv"
    rows.write_text("i,word\n1,one\n2,two\n3,\n")
    script(project, f"""
        def main(urd):
            jl = urd.build_many('square', {str(rows)!r}, parallel=2, write_status=True)
            print('RESULT', json.dumps({{'jobs': [str(j) for j in jl],
                                        'status': list(jl.status.values())}}))
    """)
    r = printed(ax_run(project, clean=True))
    assert len(r["jobs"]) == 3
    # text became the declared types: i is an int, an empty cell is the default
    assert [setup_of(project, j)["options"]["i"] for j in r["jobs"]] == [1, 2, 3]
    assert [setup_of(project, j)["options"]["word"] for j in r["jobs"]] == ["one", "two", ""]
    written = read_csv(rows)
    assert [w["accel_job"] for w in written] == r["jobs"]
    assert {w["accel_status"] for w in written} == {"finished"}
    assert [w["word"] for w in written] == ["one", "two", ""]
    # a row added since: only it runs; the status columns are not taken for options
    with open(rows, "a") as f:
        f.write("4,four,,,,\n")
    r2 = printed(ax_run(project, clean=True))
    assert r2["jobs"][:3] == r["jobs"] and r2["jobs"][3] not in r["jobs"]
    assert r2["status"] == ["reused", "reused", "reused", "finished"]
    written = read_csv(rows)
    assert [w["accel_status"] for w in written] == ["reused", "reused", "reused", "finished"]


def test_rows_from_parquet_and_a_dataframe(project):
    pd = pytest.importorskip("pandas")
    project.method("square", SQUARE)
    pd.DataFrame({"i": [4, 5], "word": ["four", None]}).to_parquet(project.root / "rows.parquet")
    script(project, f"""
        import pandas as pd

        def main(urd):
            a = urd.build_many('square', {str(project.root / 'rows.parquet')!r})
            b = urd.build_many('square', pd.DataFrame({{'i': [5, 6]}}))
            a.write_status()
            print('RESULT', json.dumps({{'a': list(map(str, a)), 'b': list(map(str, b)),
                                        'b_status': list(b.status.values())}}))
    """)
    r = printed(ax_run(project, clean=True))
    assert [setup_of(project, j)["options"]["i"] for j in r["a"]] == [4, 5]
    assert setup_of(project, r["a"][1])["options"]["word"] == ""  # None: the default
    assert r["b"][0] == r["a"][1] and r["b_status"] == ["reused", "finished"]
    back = pd.read_parquet(project.root / "rows.parquet")
    assert list(back["accel_job"]) == r["a"] and list(back["accel_status"]) == ["finished"] * 2


@pytest.mark.parametrize("rows, expected", [
    ("[dict(i=1), dict(i='x')]", "row 1: "),
    ("[dict(i=1), dict(j=2)]", "row 1: "),
    ("[1, 2]", "row 0 is a int, not a dict"),
    ("'nothere.csv'", "no such file"),
    ("'rows.json'", "expected a .csv or .parquet file"),
])
def test_a_bad_row_is_one_clear_error_and_nothing_runs(project, rows, expected):
    project.method("square", SQUARE)
    (project.root / "rows.json").write_text("{}")
    script(project, f"""
        def main(urd):
            urd.build_many('square', {rows}, parallel=2)
    """)
    p = ax_run_fails(project)
    assert expected in p.stderr, p.stderr
    assert "build_many" in p.stderr
    assert project.job_dirs() == []


def test_a_bad_text_value_names_the_line_of_the_csv(project):
    project.method("square", SQUARE)
    (project.root / "rows.csv").write_text("i\n1\nseven\n")
    script(project, """
        def main(urd):
            urd.build_many('square', 'rows.csv')
    """)
    p = ax_run_fails(project)
    assert "line 3 of rows.csv" in p.stderr and "'seven'" in p.stderr, p.stderr
    assert project.job_dirs() == []


def test_an_int_column_with_gaps_from_pandas_is_read_as_ints(project):
    """pandas makes an int column with a missing value float64: its whole numbers are
    the ints they were (a DataFrame or a Parquet file written from one), NaN is "not
    given", and 1.5 is one clear error naming the row, the column and the value; so is a
    float of 2**53 or more, which float64 may have rounded."""
    pd = pytest.importorskip("pandas")
    project.method("square", SQUARE)
    frame = pd.DataFrame({"i": [3, None, 4]})
    assert str(frame["i"].dtype) == "float64"
    frame.to_parquet(project.root / "rows.parquet")
    script(project, f"""
        import pandas as pd

        def main(urd):
            a = urd.build_many('square', pd.DataFrame({{'i': [3, None, 4]}}))
            b = urd.build_many('square', {str(project.root / 'rows.parquet')!r})
            print('RESULT', json.dumps({{'a': list(map(str, a)), 'b': list(map(str, b))}}))
    """)
    r = printed(ax_run(project, clean=True))
    assert [setup_of(project, j)["options"]["i"] for j in r["a"]] == [3, 0, 4]
    assert r["b"] == r["a"]
    script(project, """
        import pandas as pd

        def main(urd):
            urd.build_many('square', pd.DataFrame({'i': [3.0, 1.5]}))
    """)
    p = ax_run_fails(project)
    line = one_error_line(p)
    assert "row 1" in line and "'i'" in line and "1.5" in line and "int" in line, p.stderr
    # 2**53 + 1 became 9007199254740992.0 in pandas: not taken as 2**53 in silence
    script(project, """
        import pandas as pd

        def main(urd):
            urd.build_many('square', pd.DataFrame({'i': [3, None, 2**53 + 1]}))
    """)
    line = one_error_line(ax_run_fails(project))
    assert "row 2" in line and "'i'" in line and "rounded" in line and "2**53" in line, line
    assert len(project.job_dirs()) == 3  # the first part's: none made


def test_a_method_name_in_a_dataframe_is_its_latest_job_as_in_a_csv(project):
    pytest.importorskip("pandas")
    project.method("first", "options = dict(n=0)\n\ndef synthesis():\n    return options.n\n")
    project.method("second", "jobs = ('source',)\n\n"
                   "def synthesis():\n    return jobs.source.load()\n")
    (project.root / "rows.csv").write_text("source\nfirst\n")
    script(project, """
        import pandas as pd

        def main(urd):
            urd.build('first', n=1)
            latest = urd.build('first', n=2)
            a = urd.build_many('second', pd.DataFrame({'source': ['first', 'dev-1']}))
            b = urd.build_many('second', 'rows.csv')
            print('RESULT', json.dumps({'latest': latest, 'a': list(map(str, a)),
                                        'b': list(map(str, b)), 'values': list(a.results().values())}))
    """)
    r = printed(ax_run(project, clean=True))
    assert setup_of(project, r["a"][0])["jobs"]["source"] == r["latest"]
    assert r["values"] == [2, 1]
    assert r["b"] == r["a"][:1]


FLAKY = '''
from pathlib import Path

options = dict(counter='', fail_times=0)

def synthesis():
    counter = Path(options.counter)
    n = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(n + 1))
    if n < options.fail_times:
        raise RuntimeError('flaky, attempt %d' % (n + 1))
    return n + 1
'''


def test_retries_of_a_flaky_method_run_in_fresh_directories(project):
    project.method("flaky", FLAKY)
    counter = project.root / "counter"
    script(project, f"""
        def main(urd):
            jl = urd.build_many('flaky', [dict(counter={str(counter)!r}, fail_times=2)], retries=2)
            job = urd.build('flaky', counter={str(counter)!r}, fail_times=2, retries=0)
            print('RESULT', json.dumps({{'many': list(map(str, jl)),
                                        'status': list(jl.status.values()),
                                        'result': jl.results()[jl[0]]}}))
    """)
    p = ax_run(project)
    r = printed(p)
    assert r["status"] == ["finished"] and r["result"] == 3
    dirs = project.job_dirs()
    assert len(dirs) == 3  # two failed attempts, then the one that finished
    assert [post_of(project, d)["status"] for d in dirs] == ["failed", "failed", "finished"]
    assert r["many"] == [dirs[-1]]
    assert p.stderr.count("retrying") == 2


def test_retries_run_out(project):
    project.method("flaky", FLAKY)
    counter = project.root / "counter"
    script(project, f"""
        def main(urd):
            urd.build('flaky', counter={str(counter)!r}, fail_times=5, retries=1)
    """)
    p = ax_run_fails(project)
    assert "flaky, attempt 2" in p.stderr
    assert [post_of(project, d)["status"] for d in project.job_dirs()] == ["failed", "failed"]


SLEEPER = MARKING + '''
import subprocess

options = dict(marks='', name='', seconds=60.0, grandchild=False)

def synthesis():
    _mark(options.name)
    if options.grandchild:
        # a child that starts its own session (escapes the process group) and a grandchild
        child = subprocess.Popen(['python3', '-c', """
import os, subprocess, sys, time
from pathlib import Path
os.setsid()
g = subprocess.Popen(['sleep', '60'])
start = open('/proc/%d/stat' % g.pid).read().rsplit(')', 1)[1].split()[19]
Path(sys.argv[1], 'grandchild').write_text('%d %s' % (g.pid, start))
time.sleep(60)
""", options.marks])
        start = open('/proc/%d/stat' % child.pid).read().rsplit(')', 1)[1].split()[19]
        (Path(options.marks) / 'child').write_text('%d %s' % (child.pid, start))
    time.sleep(options.seconds)
    return options.name
'''


def sleeper_project(project, reaper):
    """The `sleeper` method, and a folder of markers whose processes `reaper` kills at
    the end: (marks folder, the list of background `ax` processes)."""
    folders, procs = reaper
    marks = marks_folder(project, folders)
    project.method("sleeper", SLEEPER)
    return marks, procs


def test_timeout_kills_the_job_with_its_grandchildren_and_is_never_reused(project, reaper):
    marks, _ = sleeper_project(project, reaper)
    script(project, f"""
        from accel import JobError

        def main(urd):
            try:
                urd.build('sleeper', marks={str(marks)!r}, name='s', grandchild=True, timeout=1.5)
            except JobError as e:
                print('RESULT', json.dumps({{'job': e.job, 'status': e.job_status, 'msg': str(e)}}))
    """)
    p = ax_run(project, "--allow-failed-jobs")
    r = printed(p)
    assert r["status"] == "timeout" and "timed out" in r["msg"]
    m = post_of(project, r["job"])
    assert m["status"] == "timeout" and "1.5 s" in m["error"]["message"]
    assert status_of(project.root / "workdirs" / "dev" / r["job"]) == "timeout"
    found = marks_in(marks)
    assert {"s", "child", "grandchild"} <= set(found)
    for name in ("s", "child", "grandchild"):
        wait_for(lambda n=name: not alive(*found[n]), timeout=10, what=f"{name} to be gone")
    # never reused: the next run makes a new job (and times out again)
    r2 = printed(ax_run(project, "--allow-failed-jobs"))
    assert r2["job"] != r["job"] and r2["status"] == "timeout"


BUSY = '''
import time

options = dict(i=0)

def analysis(sliceno):
    t0 = time.time()
    time.sleep(0.3)
    return (t0, time.time())

def synthesis(analysis_res):
    spans = list(analysis_res)
    return (min(s[0] for s in spans), max(s[1] for s in spans))
'''


def test_jobs_with_analysis_share_the_cpu_budget(project):
    """slices 2 and cpus 2: two such jobs never run their slices at the same time, even
    with parallel=4."""
    with open(project.conf, "a") as f:
        f.write("cpus: 2\n")
    project.method("busy", BUSY)
    script(project, """
        def main(urd):
            jl = urd.build_many('busy', [dict(i=i) for i in range(4)], parallel=4)
            print('RESULT', json.dumps(sorted(jl.results().values())))
    """)
    spans = printed(ax_run(project))
    assert len(spans) == 4
    for (_a0, a1), (b0, _b1) in zip(spans, spans[1:], strict=False):
        assert a1 <= b0, f"two jobs ran their analysis at once: {spans}"


def test_a_bad_cpus_setting_is_a_config_error(project):
    with open(project.conf, "a") as f:
        f.write("cpus: many\n")
    project.method("square", SQUARE)
    script(project, "def main(urd):\n    urd.build('square')\n")
    p = ax_run_fails(project)
    assert "cpus" in p.stderr and "'many'" in p.stderr


def _sleep_rows(marks, n, seconds):
    return [dict(marks=str(marks), name=f"r{i}", seconds=seconds) for i in range(n)]


def test_kill_9_during_build_many_then_resume_runs_only_what_is_missing(project, reaper):
    marks, procs = sleeper_project(project, reaper)
    rows = _sleep_rows(marks, 6, 0.0)
    rows[3]["seconds"] = 60.0  # the build is killed while this one runs
    script(project, f"""
        def main(urd):
            jl = urd.build_many('sleeper', {rows!r}, parallel=1)
            print('RESULT', json.dumps({{'jobs': list(map(str, jl)),
                                        'status': list(jl.status.values())}}))
    """)
    p = start_ax(project, procs, "run", tag="run1")
    wait_for(lambda: "r3" in marks_in(marks), what="row 3 to start", proc=p)
    os.kill(p.pid, signal.SIGKILL)
    assert p.wait(timeout=TIMEOUT) == -signal.SIGKILL
    killed = marks_in(marks)["r3"]
    wait_for(lambda: not alive(*killed), timeout=10, what="the running job to die with ax run")
    dirs = project.job_dirs()
    # the job's last thread may still be exiting (and holding its lock) a moment after
    # its main thread shows up dead
    wait_for(lambda: [status_of(project.root / "workdirs" / "dev" / d) for d in dirs]
             == ["finished"] * 3 + ["unfinished"], timeout=10, what="dev-4 to be unfinished")
    for m in marks.iterdir():
        m.unlink()
    rows[3]["seconds"] = 0.0
    script(project, f"""
        def main(urd):
            jl = urd.build_many('sleeper', {rows!r}, parallel=1)
            print('RESULT', json.dumps({{'jobs': list(map(str, jl)),
                                        'status': list(jl.status.values())}}))
    """)
    r = printed(ax_run(project))
    assert r["jobs"][:3] == dirs[:3]
    assert r["status"] == ["reused"] * 3 + ["finished"] * 3
    assert sorted(marks_in(marks)) == ["r3", "r4", "r5"]  # only the missing rows ran


def test_ctrl_c_during_build_many_cancels_running_jobs_and_exits_130(project, reaper):
    marks, procs = sleeper_project(project, reaper)
    rows = _sleep_rows(marks, 4, 60.0)
    rows[0]["grandchild"] = True
    script(project, f"""
        def main(urd):
            urd.build_many('sleeper', {rows!r}, parallel=2)
    """)
    p = start_ax(project, procs, "run", tag="run1")
    wait_for(lambda: {"r0", "r1", "grandchild"} <= set(marks_in(marks)), what="two jobs",
             proc=p)
    found = marks_in(marks)
    os.kill(p.pid, signal.SIGINT)  # what Ctrl-C sends (to the foreground group: ax run)
    assert p.wait(timeout=TIMEOUT) == 130
    for name, pidstart in found.items():
        wait_for(lambda ps=pidstart: not alive(*ps), timeout=10, what=f"{name} to be gone")
    dirs = project.job_dirs()
    assert len(dirs) == 2
    for d in dirs:
        m = post_of(project, d)
        assert m["status"] == "canceled" and m["error"]["exception"] == "Canceled"
    assert "interrupted" in (project.root / "run1.err").read_text()
    assert not list((project.root / "workdirs" / "dev" / ".accel" / "running").iterdir())


def test_write_status_after_ctrl_c_says_pending_for_rows_that_never_started(project, reaper):
    marks, procs = sleeper_project(project, reaper)
    rows = project.root / "rows.csv"
    rows.write_text("name,seconds,marks\n" + "".join(f"r{i},{60 if i == 1 else 0},{marks}\n"
                                                     for i in range(4)))
    script(project, f"""
        def main(urd):
            urd.build_many('sleeper', {str(rows)!r}, write_status=True)
    """)
    p = start_ax(project, procs, "run", tag="run1")
    wait_for(lambda: "r1" in marks_in(marks), what="row 1 to start", proc=p)
    os.kill(p.pid, signal.SIGINT)
    assert p.wait(timeout=TIMEOUT) == 130
    written = read_csv(rows)
    assert [w["accel_status"] for w in written] == ["finished", "canceled", "pending", "pending"]
    assert [bool(w["accel_job"]) for w in written] == [True, True, False, False]
    assert written[0]["accel_runtime"] and not written[2]["accel_runtime"]


def test_write_status_keeps_the_runtime_of_reused_rows(project):
    project.method("square", SQUARE)
    rows = project.root / "rows.csv"
    rows.write_text("i\n1\n2\n")
    script(project, f"""
        def main(urd):
            jl = urd.build_many('square', {str(rows)!r}, write_status=True)
            print('RESULT', json.dumps([jl.runtime_of(i) for i in range(len(jl))]))
    """)
    ax_run(project)
    again = printed(ax_run(project))
    written = read_csv(rows)
    assert [w["accel_status"] for w in written] == ["reused", "reused"]
    ran = [post_of(project, w["accel_job"])["exectime"] for w in written]
    assert [float(w["accel_runtime"]) for w in written] == [round(t, 3) for t in ran]
    assert again == ran  # and the JobList says so too


def test_ax_status_and_ax_abort_of_one_job(project, reaper):
    marks, procs = sleeper_project(project, reaper)
    script(project, f"""
        from accel import JobError

        def main(urd):
            try:
                urd.build('sleeper', marks={str(marks)!r}, name='s', seconds=60)
            except JobError as e:
                print('RESULT', json.dumps({{'job': e.job, 'status': e.job_status}}), flush=True)
            print('AFTER', urd.build('sleeper', marks={str(marks)!r}, name='t', seconds=0))
    """)
    p = start_ax(project, procs, "run", "--allow-failed-jobs", tag="run1")
    wait_for(lambda: "s" in marks_in(marks), what="the job to start", proc=p)
    time.sleep(0.5)  # long enough for the builder to note the part it runs
    st = project.ax("status", "--json", check=True)
    running = json.loads(st.stdout)["running"]
    assert [r["job"] for r in running] == ["dev-1"]
    assert running[0]["method"] == "sleeper" and running[0]["builder_pid"] == p.pid
    assert running[0]["elapsed"] > 0
    wait_for(lambda: json.loads(project.ax("status", "--json").stdout)["running"][0]["part"]
             == "synthesis", what="the part in ax status")
    text = project.ax("status", check=True).stdout
    assert "dev-1" in text and "sleeper" in text and "synthesis" in text

    a = project.ax("abort", "dev-1", check=True)
    assert "dev-1: canceled" in a.stdout
    assert p.wait(timeout=TIMEOUT) == 0
    out = (project.root / "run1.out").read_text()
    assert 'RESULT {"job": "dev-1", "status": "canceled"}' in out
    assert "AFTER dev-2" in out  # the build script went on
    assert not alive(*marks_in(marks)["s"])
    assert project.ax("status", check=True).stdout.strip() == "nothing runs now"
    gone = project.ax("abort", "dev-1")
    assert gone.returncode == 1 and "dev-1 is not running (it is canceled)" in gone.stderr


def test_ax_abort_without_ref_interrupts_the_build(project, reaper):
    marks, procs = sleeper_project(project, reaper)
    script(project, f"""
        def main(urd):
            urd.build_many('sleeper', {_sleep_rows(marks, 2, 60.0)!r}, parallel=2)
    """)
    p = start_ax(project, procs, "run", tag="run1")
    wait_for(lambda: {"r0", "r1"} <= set(marks_in(marks)), what="both jobs", proc=p)
    a = project.ax("abort", check=True)
    assert "dev-1: canceled" in a.stdout and "dev-2: canceled" in a.stdout
    assert p.wait(timeout=TIMEOUT) == 130
    assert [post_of(project, d)["status"] for d in project.job_dirs()] == ["canceled"] * 2


def test_progress_lines_when_not_a_terminal(project):
    project.method("busy", BUSY.replace("0.3", "1.5"))
    script(project, """
        def main(urd):
            urd.build_many('busy', [dict(i=1), dict(i=2)], parallel=1)
    """)
    p = project.ax("run", env={"ACCEL_PROGRESS_EVERY": "0.3"})
    assert p.returncode == 0, p.stderr
    lines = [x for x in p.stderr.splitlines() if x.startswith("accel: ")]
    assert any("/2 done" in x and "busy analysis" in x and "slices" in x for x in lines), p.stderr
    assert "\x1b[K" not in p.stderr  # plain lines, no terminal control


def test_progress_line_on_a_terminal(project):
    project.method("busy", BUSY.replace("0.3", "1.0"))
    script(project, "def main(urd):\n    urd.build('busy')\n")
    text = run_on_a_terminal(project)
    assert "\r\x1b[Kaccel: dev-1 busy analysis" in text, text
    assert "1 job (1 new, 0 reused)" in text


MEMORY = '''
def prepare():
    x = bytearray(150 * 1024 * 1024)
    x[::4096] = b'\\x01' * len(x[::4096])
    return 1

def analysis(sliceno):
    x = bytearray(30 * 1024 * 1024)
    x[::4096] = b'\\x01' * len(x[::4096])
    return sum(range(200000))

def synthesis():
    return 2
'''


def test_post_and_ax_job_account_wall_cpu_and_peak_memory_per_part_and_slice(project):
    project.method("memory", MEMORY)
    script(project, "def main(urd):\n    print('RESULT', json.dumps(urd.build('memory')))\n")
    jobid = printed(ax_run(project))
    parts = post_of(project, jobid)["parts"]
    mib = 1024
    assert parts["prepare"]["maxrss_kb"] > 150 * mib
    # each part's own peak, not the largest of the parts before it
    assert parts["synthesis"]["maxrss_kb"] < 100 * mib
    for s in parts["analysis"]["slices"]:
        assert 30 * mib < s["maxrss_kb"] < 150 * mib
        assert s["wall"] > 0 and s["cpu"] > 0
    for name in ("prepare", "synthesis"):
        assert parts[name]["wall"] >= 0 and parts[name]["cpu"] >= 0
    assert post_of(project, jobid)["maxrss_kb"] == parts["prepare"]["maxrss_kb"]
    text = project.ax("job", jobid, check=True).stdout
    block = text[text.index("timings"):]
    assert "peak memory" in block.splitlines()[0]
    for label in ("prepare", "analysis", "slice 0", "slice 1", "synthesis", "total"):
        assert label in block
    prepare_line = next(x for x in block.splitlines() if x.strip().startswith("prepare"))
    assert "MiB" in prepare_line


def test_timeout_and_retries_go_to_a_method_that_declares_them(project):
    project.method("declares", "options = dict(timeout=0, retries='')\n\n"
                   "def synthesis():\n    return [options.timeout, options.retries]\n")
    script(project, """
        def main(urd):
            print('RESULT', json.dumps(urd.build('declares', timeout=7, retries='x').load()))
    """)
    assert printed(ax_run(project)) == [7, "x"]


@pytest.mark.parametrize("call, expected", [
    ("urd.build('square', timeout=-1)", "timeout must be a positive number"),
    ("urd.build('square', retries=1.5)", "retries must be a whole number"),
    ("urd.build_many('square', [dict(i=1)], parallel=0)", "parallel must be a whole number"),
    ("urd.build_many('square', [dict(i=1)], write_status=True)", "write_status needs rows"),
    ("urd.build_many('square', [dict(i=1)], on_done=3)", "on_done must be a function"),
])
def test_bad_build_settings_are_one_clear_error(project, call, expected):
    project.method("square", SQUARE)
    script(project, f"def main(urd):\n    {call}\n")
    p = ax_run_fails(project)
    assert expected in p.stderr, p.stderr
    assert project.job_dirs() == []


def test_ax_abort_reaches_a_build_started_in_the_background_by_a_script(project, reaper):
    """A script's `ax run &` has SIGINT ignored; ax abort (SIGTERM) still stops it as
    Ctrl-C would."""
    import subprocess
    import sys

    marks, procs = sleeper_project(project, reaper)
    script(project, f"""
        def main(urd):
            urd.build('sleeper', marks={str(marks)!r}, name='s', seconds=60)
    """)
    env = dict(os.environ)
    env.pop("ACCEL_CONFIG", None)
    p = subprocess.Popen([sys.executable, "-m", "accel.cli.main", "run"], cwd=project.root,
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    procs.append(p)
    wait_for(lambda: "s" in marks_in(marks), what="the job to start", proc=p)
    a = project.ax("abort", check=True)
    assert "dev-1: canceled" in a.stdout
    assert p.wait(timeout=TIMEOUT) == 130
    assert not alive(*marks_in(marks)["s"])


def test_ax_run_shows_the_ends_of_a_long_job_table(project):
    project.method("square", SQUARE)
    script(project, "def main(urd):\n    urd.build_many('square', [dict(i=i) for i in range(90)])\n")
    out = ax_run(project).stdout
    assert "... 40 more (ax run --json lists all)" in out
    assert "90 jobs (90 new, 0 reused)" in out
