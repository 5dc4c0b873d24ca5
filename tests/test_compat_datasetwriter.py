"""Issue 13: the Accelerator's DatasetWriter, each behaviour shown with a method and build
script written the Accelerator way and run with `ax run` in a temporary project: a writer
made directly in a method, columns first, which slices count as written, dw.finish()
returning the dataset, and the split writer's round robin without a hashlabel.

What the Accelerator does was seen by running the same methods on it (2025.11.11).

The tests that only read what their builds made, or the message a build failed with, share
their builds: they run together, one `ax run` for the module in one project per slice count
(`together`; three slices leave room for a slice in the middle that was not written). The
tests whose build script does more, or that look at the whole project, have their own.
"""

from __future__ import annotations

import pytest
from conftest import ax_run_fails, printed, script
from together import Builds, Built

BUILDS = Builds()
built = BUILDS.fixture()


def datasets_of(built: Built, key: str) -> dict:
    """What the build `key` made: its job's datasets as {name: {"lines": ..., "rows": ...}},
    and what it returned as "result" when it did."""
    job = built.job(key)
    got = {d.name: dict(lines=d.lines, rows=list(d.iterate(None, 'a'))) for d in job.datasets}
    if job.load(default=None) is not None:
        got['result'] = job.load()
    return got


# --- made directly in a method -------------------------------------------------------------

DIRECT = '''
    import accel
    from accel.dataset import DatasetWriter

    def prepare():
        return DatasetWriter(columns={'a': 'int32'}, name='p')

    def analysis(sliceno, prepare_res):
        dw = DatasetWriter(name='p')  # the writer prepare made, as in the Accelerator
        assert dw is prepare_res
        dw.write(sliceno)

    def synthesis():
        assert accel.DatasetWriter is DatasetWriter
        # the Accelerator's positional order: columns, filename, hashlabel,
        # hashlabel_override, caption, previous, name
        dw = DatasetWriter({'a': 'int32'}, None, 'a', False, 'by position', None, 's')
        write = dw.get_split_write()
        for v in (10, 11, 12, 13):
            write(v)
'''


DIRECT_BUILD = BUILDS.of("direct", DIRECT)


def test_a_writer_made_directly_in_prepare_analysis_and_synthesis(built):
    """DatasetWriter(...) with no job takes the running job; in analysis, with only a
    name, it is the writer prepare made (each slice writes its own slice)."""
    job = built.job(DIRECT_BUILD)
    p, s = job.dataset('p'), job.dataset('s')
    got = dict(p=[list(p.iterate(n, 'a')) for n in range(2)], s=sorted(s.iterate(None, 'a')),
               hashlabel=s.hashlabel, caption=s.caption)
    assert got == dict(p=[[0], [1]], s=[10, 11, 12, 13], hashlabel="a", caption="by position")


IN_ANALYSIS = {where: BUILDS.of(f"in_analysis_{where}", f"""
    from accel.dataset import DatasetWriter

    def prepare(job):
        return job.datasetwriter(columns={{'a': 'int32'}}, name='p')

    def analysis(sliceno):
        {call}
""") for where, call in (("new", "DatasetWriter(columns={'a': 'int32'}, name='q')"),
                          ("args", "DatasetWriter(columns={'a': 'int32'}, name='p')"))}


def test_a_new_writer_in_analysis_is_an_error(built):
    """The slices run in parallel: none of them could finish a writer of its own. The
    Accelerator refuses both a new name and arguments beside the name there."""
    for where, key in IN_ANALYSIS.items():
        out = built.error(key)
        name = "q" if where == "new" else "p"
        assert f"datasetwriter '{name}' was made in analysis: make it in prepare" in out
        assert f"in analysis, DatasetWriter(name='{name}') with no other arguments" in out


def test_a_writer_outside_a_running_job_is_one_clear_error(project):
    script(project, """
        from accel.dataset import DatasetWriter

        def main(urd):
            DatasetWriter(columns={'a': 'int32'})
    """)
    p = ax_run_fails(project)
    assert "DatasetWriter(...) outside a running job" in p.stderr
    assert len([line for line in p.stderr.splitlines() if "outside" in line]) == 1


# --- columns first ---------------------------------------------------------------------------

POSITIONAL = BUILDS.of("positional", """
    def synthesis(job):
        x = job.datasetwriter({'a': 'int32'}, name='x')
        y = job.datasetwriter({'a': 'int32', 'b': 'unicode'}, 'in.csv', 'a', False,
                              'cap', None, 'y')
        for s in range(2):
            x.set_slice(s)
            x.write(s)
        y.get_split_write()(7, 'seven')
        ds = y.finish()
        return [ds.hashlabel, ds.caption, ds.filename, sorted(ds.columns)]
""")


def test_job_datasetwriter_takes_columns_first_in_the_accelerators_order(built):
    got = datasets_of(built, POSITIONAL)
    assert got["x"] == {"lines": [1, 1], "rows": [0, 1]}
    assert got["y"]["rows"] == [7] and sum(got["y"]["lines"]) == 1
    assert got["result"] == ["a", "cap", "in.csv", ["a", "b"]]


NAME_FIRST = BUILDS.of("name_first", """
    def synthesis(job):
        job.datasetwriter('x')
""")


def test_a_name_where_columns_go_is_a_clear_error(built):
    out = built.error(NAME_FIRST)
    assert "columns must be a dict of name -> type, not 'x'" in out
    assert "the dataset's name is name=" in out


# --- which slices count as written --------------------------------------------------------

ONE_SLICE = BUILDS.of("one_slice", """
    def synthesis(job):
        dw = job.datasetwriter(columns={'a': 'int32'})
        dw.set_slice(0)
        dw.write(1)
""", slices=3)
EMPTY_SLICES = BUILDS.of("empty_slices", """
    def synthesis(job):
        dw = job.datasetwriter(columns={'a': 'int32'})
        for s in range(3):
            dw.set_slice(s)
            if s == 0:
                dw.write(5)
""", slices=3)


def test_slices_never_set_are_an_error_at_finish_naming_them_a_set_empty_one_is_not(built):
    out = built.error(ONE_SLICE)
    assert "datasetwriter 'default': not all slices written, missing slices {1, 2}" in out
    got = datasets_of(built, EMPTY_SLICES)
    assert got == {"default": {"lines": [1, 0, 0], "rows": [5]}}


ALLOWED = BUILDS.of("allowed", """
    def synthesis(job):
        dw = job.datasetwriter(columns={'a': 'int32'}, allow_missing_slices=True)
        dw.set_slice(1)
        dw.write(1)
""", slices=3)


def test_allow_missing_slices_leaves_them_empty(built):
    got = datasets_of(built, ALLOWED)
    assert got == {"default": {"lines": [0, 1, 0], "rows": [1]}}


ANALYSIS_ONE = BUILDS.of("analysis_one", """
    def prepare(job):
        return job.datasetwriter(columns={'a': 'int32'})

    def analysis(sliceno, prepare_res):
        if sliceno == 0:
            prepare_res.write(1)
""", slices=3)
PREPARE_STARTED = BUILDS.of("prepare_started", """
    def prepare(job):
        dw = job.datasetwriter(columns={'a': 'int32'})
        dw.set_slice(0)
        dw.write(5)

    def analysis(sliceno):
        pass
""", slices=3)


def test_analysis_slices_that_wrote_nothing_count_unless_prepare_started_the_writer(built):
    """A writer made in prepare for analysis: a slice that wrote nothing is an empty slice
    (the Accelerator sets every slice of such a writer in every analysis slice). set_slice
    in prepare makes the writer prepare's to write (the Accelerator finishes it when
    prepare ends): analysis slices that wrote nothing to it do not count then."""
    got = datasets_of(built, ANALYSIS_ONE)
    assert got["default"] == {"lines": [1, 0, 0], "rows": [1]}
    out = built.error(PREPARE_STARTED)
    assert "not all slices written, missing slices {1, 2}" in out


NEVER = {allow: BUILDS.of("never", """
    options = dict(allow=False)

    def prepare(job):
        job.datasetwriter(columns={'a': 'int32'}, allow_missing_slices=options.allow)
""", slices=3, allow=allow) for allow in (False, True)}


@pytest.mark.parametrize("allow", [False, True])
def test_a_writer_never_written_is_an_error(built, allow):
    """No slice set, no split writer: a forgotten writer, with or without
    allow_missing_slices (as in the Accelerator: "was never started")."""
    out = built.error(NEVER[allow])
    assert "datasetwriter 'default' was never written" in out
    assert "dw.discard()" in out


# --- dw.finish() -------------------------------------------------------------------------------

FINISHED = BUILDS.of("finished", """
        from accel.dataset import Dataset

        def prepare(job):
            dw = job.datasetwriter(columns={'a': 'int32'}, name='early')
            for s in range(3):
                dw.set_slice(s)
                dw.write(s * 10)
            return dw.finish()

        def analysis(sliceno, prepare_res):
            return list(prepare_res.iterate(sliceno, 'a'))

        def synthesis(job, prepare_res, analysis_res):
            dw = job.datasetwriter(columns={'a': 'int32'}, previous=prepare_res)
            dw.get_split_write()(1)
            ds = dw.finish()
            assert dw.finish() is ds
            try:
                dw.write(2)
            except Exception as e:
                after = str(e)
            return dict(type=type(ds).__name__, name=ds, lines=ds.lines,
                        chain=list(ds.iterate_chain(None, 'a')),
                        same=list(Dataset(job, 'default').iterate(None, 'a')),
                        analysis=list(analysis_res), after=after)
    """, slices=3)


def test_finish_returns_the_dataset_and_the_job_reads_it(built):
    job = built.job(FINISHED)
    got, names = job.load(), sorted(job.dataset_names)
    assert got["type"] == "Dataset" and got["name"] == f"{job}/default"
    assert got["lines"] == [1, 0, 0]
    assert got["chain"] == [0, 10, 20, 1]
    assert got["same"] == [1]
    assert got["analysis"] == [[0], [10], [20]]
    assert "is finished" in got["after"]
    assert names == ["default", "early"]


def test_a_finished_dataset_is_read_by_no_other_process_until_the_job_has_finished(project):
    """dw.finish() writes the dataset's meta.json while the job runs: a program outside
    the job that reads it then is told the job is running, and after a failure the dataset
    never reads (a failed job has no datasets)."""
    project.method("outside", """
        import os
        import subprocess
        import sys

        options = dict(conf='', fail=False)

        READ = '''
        from accel.dataset import Dataset
        try:
            Dataset(%r)
        except LookupError as e:
            print(e)
        '''

        def synthesis(job):
            dw = job.datasetwriter(columns={'a': 'int32'})
            dw.get_split_write()(1)
            ds = dw.finish()
            env = dict(os.environ, ACCEL_CONFIG=options.conf)
            out = subprocess.run([sys.executable, '-c', READ % (str(ds),)], env=env,
                                 capture_output=True, text=True, check=True).stdout
            if options.fail:
                raise SystemExit('failing after finish()')
            return out
    """)
    script(project, f"""
        from accel.build import JobError
        from accel.dataset import Dataset

        def main(urd):
            job = urd.build('outside', conf={str(project.conf)!r})
            try:
                urd.build('outside', conf={str(project.conf)!r}, fail=True)
            except JobError as e:
                failed = e.job
            try:
                Dataset(failed)
                after_failure = 'read'
            except LookupError as e:
                after_failure = str(e)
            print('RESULT', json.dumps([job, job.load(), failed, after_failure,
                                        list(job.dataset().iterate(None, 'a'))]))
    """)
    # (whether `ax run` exits 0 when the build script caught the failure is not the point)
    job, while_running, failed, after_failure, rows = printed(project.ax("run"))
    assert while_running.strip() == (f"job {job} has no dataset 'default' yet: the job is "
                                     "running (its datasets are there once it has finished)")
    assert after_failure.startswith(f"job {failed} has no dataset 'default' yet: the job is "
                                    "failed")
    assert rows == [1]


PREVIOUS_FIRST = BUILDS.of("previous_first", """
    def synthesis(job):
        a = job.datasetwriter(columns={'a': 'int32'}, name='a')
        b = job.datasetwriter(columns={'a': 'int32'}, name='b', previous=a)
        for s in range(2):
            a.set_slice(s)
            b.set_slice(s)
        b.finish()
""")
FINISH_IN_ANALYSIS = BUILDS.of("finish_in_analysis", """
    def prepare(job):
        return job.datasetwriter(columns={'a': 'int32'})

    def analysis(sliceno, prepare_res):
        prepare_res.write(sliceno)
        prepare_res.finish()
""")
KEPT_WRITE = BUILDS.of("kept_write", """
    def prepare(job):
        dw = job.datasetwriter(columns={'a': 'int32'})
        write = dw.get_split_write()
        write(1)
        dw.finish()
        return write

    def analysis(sliceno, prepare_res):
        prepare_res(2)  # lost, if nothing said so

    def synthesis():
        pass
""")


def test_finish_with_an_unfinished_previous_or_in_analysis_or_rows_after_it_are_errors(
        built):
    out = built.error(PREVIOUS_FIRST)
    assert "datasetwriter 'b': finish its previous, 'a', first" in out
    out = built.error(FINISH_IN_ANALYSIS)
    assert "datasetwriter 'default': finish() in analysis" in out
    out = built.error(KEPT_WRITE)
    assert "rows were written after dw.finish()" in out


# --- the split writer without a hashlabel ---------------------------------------------------

ROUND_ROBIN = BUILDS.of("round_robin", """
    def synthesis(job):
        dw = job.datasetwriter(columns={'a': 'int32', 'b': 'int32'})
        w, wl, wd = dw.get_split_write(), dw.get_split_write_list(), dw.get_split_write_dict()
        for i in range(4):
            w(i, 0)
        for i in range(4, 6):
            wl([i, 1])
        for i in range(6, 8):
            wd({'a': i, 'b': 2})
        big = job.datasetwriter(columns={'a': 'int32'}, name='big')
        w = big.get_split_write()
        for i in range(40000):
            w(i)
        one = job.datasetwriter(columns={'a': 'int32'}, name='one')
        one.get_split_write()(7)
        return [list(dw.finish().iterate(s, 'a')) for s in range(3)]
""", slices=3)


def test_split_write_without_a_hashlabel_is_round_robin(built):
    """Row i goes to slice i % slices, counted over write, write_list and write_dict
    together (the Accelerator's order), across the writer's flushes too."""
    got = datasets_of(built, ROUND_ROBIN)
    assert got["default"]["lines"] == [3, 3, 2]
    assert got["result"] == [[0, 3, 6], [1, 4, 7], [2, 5]]
    assert got["big"]["lines"] == [13334, 13333, 13333]
    assert got["one"] == {"lines": [1, 0, 0], "rows": [7]}  # every slice written
    big = built.job(ROUND_ROBIN).dataset('big')
    assert [list(big.iterate(s, 'a')) == list(range(s, 40000, 3)) for s in range(3)] == \
        [True, True, True]



# --- what a review found: another job's datasets, a subjob of an early dataset, discard -----

MAKE = '''
    def prepare(job):
        dw = job.datasetwriter({'a': 'int64'})
        return dw

    def analysis(sliceno, prepare_res):
        for i in range(1000):
            prepare_res.write(i)
'''

INTO_INPUT = '''
    from accel.dataset import DatasetWriter

    jobs = ('src',)

    def synthesis():
        dw = DatasetWriter({'a': 'int64'}, job=jobs.src)
        dw.set_slice(0)
        dw.write(-1)
'''


def test_a_writer_for_another_job_is_refused_and_the_job_keeps_its_dataset(project):
    project.method("make", MAKE)
    project.method("into", INTO_INPUT)
    script(project, """
        from accel.dataset import DatasetWriter

        def main(urd):
            src = urd.build('make')
            print('RESULT', json.dumps(str(src)))
            try:
                DatasetWriter({'a': 'int64'}, job=src)
            except Exception as e:
                print('BUILDSCRIPT', json.dumps(str(e)))
            urd.build('into', src=src)
    """)
    p = ax_run_fails(project)
    src = printed(p)
    assert f"job {src} has ended; its datasets are final" in printed(p, "BUILDSCRIPT")
    assert f"job={src} is not the running job" in p.stderr, p.stderr
    assert project.ax("cat", src).stdout.count("\n") == 2001  # header and every row
    assert project.ax("ds", src, "--verify").returncode == 0


EARLY = '''
    from accel import subjobs

    def synthesis(job):
        dw = job.datasetwriter({'a': 'int64'}, name='early')
        dw.set_slice(0)
        dw.write(1)
        dw.set_slice(1)
        ds = dw.finish()
        assert list(ds.iterate(None, 'a')) == [1]  # the job reads its own at once
        subjobs.build('reads', src=job)
'''

READS = '''
    jobs = ('src',)

    def synthesis():
        return list(jobs.src.dataset('early').iterate(None, 'a'))
'''


def test_a_subjob_cannot_read_a_dataset_its_running_parent_finished_early(project):
    """A forked subjob must not inherit the parent's right to read what it finished: the
    parent may still fail, and then the subjob would be a finished job built on nothing."""
    project.method("early", EARLY)
    project.method("reads", READS)
    script(project, """
        def main(urd):
            urd.build('early')
    """)
    p = ax_run_fails(project)
    assert "has no dataset 'early' yet" in p.stderr or "running" in p.stderr, p.stderr
    statuses = {d: project.ax("job", d, "--json").stdout for d in project.job_dirs()}
    assert not any('"status": "finished"' in s for s in statuses.values()), statuses


DISCARD = '''
    def synthesis(job):
        one = job.datasetwriter({'a': 'int64'}, name='one')
        two = job.datasetwriter({'a': 'int64'}, name='two', previous=one)
        for dw in (one, two):
            for s in range(2):
                dw.set_slice(s)
                dw.write(s)
        one.discard()
'''


DISCARD_BUILD = BUILDS.of("discard", DISCARD)


def test_discarding_a_dataset_another_has_as_previous_is_refused(built):
    err = built.error(DISCARD_BUILD)
    assert "datasetwriter 'one': discard(): 'two' has it as previous" in err, err


BADROWS = BUILDS.of("badrows", """
    def synthesis(job, slices):
        values = list(range(20000))
        values[100], values[17000] = 'x', 'y'
        errors = []

        def caught(call, *args):
            try:
                call(*args)
            except ValueError as e:
                errors.append(str(e))
                return True

        dw = job.datasetwriter(columns={'a': 'int64'})
        dw.set_slice(0)
        for v in values:
            caught(dw.write, v)
        while caught(dw.flush):  # 'y' is still buffered: it is found now
            pass
        for s in range(1, slices):
            dw.set_slice(s)
        split = job.datasetwriter(columns={'a': 'int64'}, name='split')
        w = split.get_split_write()
        for v in [*range(10), 'z', *range(10, 20000)]:
            caught(w, v)
        return errors
""")


def test_a_bad_value_the_method_catches_loses_that_row_and_no_other(built):
    """Values are checked when the buffered rows are stored (every 16,384 rows, and at
    flush, set_slice and finish): the call that stores them raises ColumnValueError (a
    ValueError) naming the row and the value; a method that catches it and goes on loses
    that row alone (the buffer of good rows was lost with it), by set_slice or by
    get_split_write."""
    j = built.job(BADROWS)
    a = list(j.dataset().iterate(0, 'a'))
    split = sorted(j.dataset('split').iterate(None, 'a'))
    errors, n, around_x, around_y, n_split, split_first = \
        j.load(), len(a), a[99:102], a[16998:17001], len(split), split[:3]
    assert n == 19998 and around_x == [99, 101, 102] and around_y == [16999, 17001, 17002]
    assert n_split == 20000 and split_first == [0, 1, 2]
    assert len(errors) == 3, errors
    assert "cannot store 'x' (str) at slice 0, row 100" in errors[0], errors[0]
    # (the rows refused before it are not counted: 'y' would have been row 16999)
    assert "cannot store 'y' (str) at slice 0, row 16999" in errors[1], errors[1]
    assert "cannot store 'z' (str) at row 10 given to the split writer" in errors[2], errors[2]
