"""Issue 13: the Accelerator's public behaviour for build keywords, failed jobs' JobError
and option values, each shown with a method and build script written the Accelerator way
and run with `ax run` in a temporary project."""

from __future__ import annotations

from conftest import ax_run, printed, script

MAKE = '''
    options = dict(n=0)

    def prepare(job):
        dw = job.datasetwriter()
        dw.add('x', 'int64')
        return dw

    def analysis(sliceno, prepare_res):
        prepare_res.write(options.n)
'''

USE = '''
    options = dict(a=0)
    datasets = ('source',)
    jobs = ('prev',)

    def synthesis():
        return [options.a, datasets.source.job, jobs.prev]
'''


def test_a_build_keyword_wins_over_the_same_name_in_options_datasets_and_jobs(project):
    """The Accelerator puts keywords into options=/datasets=/jobs= over what is there."""
    project.method("make", MAKE)
    project.method("use", USE)
    script(project, """
        def main(urd):
            one = urd.build('make', n=1)
            two = urd.build('make', n=2)
            j = urd.build('use', options=dict(a=1), a=2, datasets=dict(source=one),
                          source=two, jobs=dict(prev=one), prev=two)
            print('RESULT', json.dumps([j.load(), two]))
    """)
    got, two = printed(ax_run(project, clean=True))
    assert got == [2, two, two]


SHARED_KEYS = '''
    options = dict(allow_overwrite=True)

    def analysis(sliceno):
        return {'same': {'v': sliceno}, 'own%d' % (sliceno,): sliceno}

    def synthesis(analysis_res):
        return analysis_res.merge_auto(allow_overwrite=options.allow_overwrite)
'''


def test_merge_auto_allow_overwrite_true_later_slice_wins_false_raises(project):
    """The Accelerator's merge_auto(allow_overwrite=): True takes the later slice's value
    for a key two slices share, False refuses the duplicate key."""
    project.method("shared", SHARED_KEYS)
    script(project, """
        def main(urd):
            print('RESULT', json.dumps(urd.build('shared', allow_overwrite=True).load()))
    """)
    assert printed(ax_run(project, clean=True)) == {"same": {"v": 1}, "own0": 0, "own1": 1}
    script(project, """
        def main(urd):
            urd.build('shared', allow_overwrite=False)
    """, name="strict")
    p = project.ax("run", "strict")
    assert p.returncode != 0
    assert "ValueError: merge_auto: result['same']: duplicate key 'v' (slice 1)" in p.stderr


FAILS = '''
    def analysis(sliceno):
        if sliceno == 1:
            unhappy_slice()

    def unhappy_slice():
        raise Exception('slice one is unhappy')
'''


def test_joberror_status_is_each_failed_parts_traceback_by_part(project):
    """The Accelerator's JobError.status: {part: traceback}; accel's status word moved to
    .job_status, and format_msg() puts them together."""
    project.method("fails", FAILS)
    script(project, """
        from accel import JobError

        def main(urd):
            try:
                urd.build('fails')
            except JobError as e:
                print('RESULT', json.dumps(dict(status=e.status, job_status=e.job_status,
                                                msg=e.format_msg(), job=e.job)))
    """)
    r = printed(ax_run(project, "--allow-failed-jobs"))  # the traceback is in what it printed
    assert list(r["status"]) == ["analysis slice 1"]
    tb = r["status"]["analysis slice 1"]
    assert tb.startswith("Traceback (most recent call last):\n")
    assert "in unhappy_slice" in tb and tb.rstrip().endswith("Exception: slice one is unhappy")
    assert r["job_status"] == "failed"
    assert r["msg"].startswith(f"{r['job']} (fails):\n  analysis slice 1:\n    Traceback")


MAPPING = '''
    from collections import OrderedDict

    options = dict(mapping={'b': 2, 'a': 1}, ordered=OrderedDict([('y', 1), ('x', 2)]))

    def synthesis():
        return [list(options.mapping.items()), list(options.ordered.items())]
'''


def test_a_dict_of_several_keys_is_the_default_and_an_ordereddicts_order_counts(project):
    """The Accelerator takes a dict option's example as its default; a plain dict is
    sorted (its order is no part of the job), an OrderedDict keeps its order (it is)."""
    project.method("mapping", MAPPING)
    script(project, """
        from collections import OrderedDict

        def main(urd):
            default = urd.build('mapping')
            given = urd.build('mapping', mapping={'z': 3})
            same = urd.build('mapping', mapping={'a': 1, 'b': 2},
                             ordered=OrderedDict([('y', 1), ('x', 2)]))
            reordered = urd.build('mapping', ordered=OrderedDict([('x', 2), ('y', 1)]))
            print('RESULT', json.dumps([default.load(), given.load(), same == default,
                                        reordered != default, reordered.load()]))
    """)
    default, given, same, other, reordered = printed(ax_run(project, clean=True))
    assert default == [[["a", 1], ["b", 2]], [["y", 1], ["x", 2]]]
    assert given == [[["z", 3]], [["y", 1], ["x", 2]]]
    assert same and other
    assert reordered == [[["a", 1], ["b", 2]], [["x", 2], ["y", 1]]]


NONES = '''
    options = dict(flag=False, n=5, words=[str])

    def synthesis():
        return [options.flag, options.n, options.words]
'''


def test_none_given_for_an_option_typed_by_its_default_is_none(project):
    """The Accelerator accepts None for flag=False (and any option typed by example)."""
    project.method("nones", NONES)
    script(project, """
        def main(urd):
            given = urd.build('nones', flag=None, n=None, words=None)
            default = urd.build('nones')
            print('RESULT', json.dumps([given.load(), default.load(), given != default]))
    """)
    assert printed(ax_run(project, clean=True)) == [[None, None, None], [False, 5, []], True]


NESTED = '''
    options = dict(d={}, cfg={'inner': {'x': 1}})

    def synthesis():
        return [options.d.inner.x, options.cfg.inner.x, options.d.rows[0].name]
'''


def test_nested_dict_options_read_as_attributes(project):
    """The Accelerator's options are DotDicts all the way down: options.d.inner.x."""
    project.method("nested", NESTED)
    script(project, """
        def main(urd):
            j = urd.build('nested', d=dict(inner=dict(x=5), rows=[dict(name='first')]))
            print('RESULT', json.dumps(j.load()))
    """)
    assert printed(ax_run(project, clean=True)) == [5, 1, "first"]


PATHS = '''
    from pathlib import Path

    options = dict(where=Path, base=Path('/data'))

    def synthesis():
        return [isinstance(options.where, Path), str(options.where), str(options.base / 'x')]
'''


def test_pathlib_path_as_an_option_type(project):
    """The Accelerator takes Path as an option type (and a Path as a default): a str or
    a Path given, a Path in the method, the same job either way."""
    project.method("paths", PATHS)
    script(project, """
        from pathlib import Path

        def main(urd):
            a = urd.build('paths', where='/tmp/a')
            b = urd.build('paths', where=Path('/tmp/a'))
            print('RESULT', json.dumps([a.load(), a == b]))
    """)
    assert printed(ax_run(project, clean=True)) == [[True, "/tmp/a", "/data/x"], True]
