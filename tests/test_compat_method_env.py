"""Issue 13: what a method sees while it runs behaves as in the Accelerator -- its working
directory, the arguments it may ask for by name, its inputs that were not given.

Each test is a method and a build script written the way an Accelerator user writes them,
run with `ax run` in a temporary project.
"""

from __future__ import annotations

import json
import sys

from conftest import ax_run, printed, script

# --- a method runs in its job directory ----------------------------------------------------

RELATIVE_FILES = '''
    import os

    options = dict(text='')

    def prepare():
        with open('prepared.txt', 'x') as fh:  # 'x': a second job writing here fails
            fh.write(options.text)
        return os.getcwd()

    def analysis(sliceno):
        with open('slice%d.txt' % (sliceno,), 'x') as fh:
            fh.write(options.text)
        return os.getcwd()

    def synthesis(prepare_res, analysis_res, job):
        with open('relative.txt', 'x') as fh:
            fh.write(options.text)
        return dict(prepare=prepare_res, analysis=list(analysis_res), synthesis=os.getcwd(),
                    path=str(job.path))
'''


def test_a_method_runs_in_its_job_directory(project):
    """Files opened by a relative name are the job's own (listed and summed in post.json),
    so a second job writing the same names does not collide; the build script's own cwd
    stays the project."""
    project.method("relfiles", RELATIVE_FILES)
    script(project, '''
        import os

        def main(urd):
            a = urd.build('relfiles', text='one')
            b = urd.build('relfiles', text='two')
            print('RESULT', json.dumps(dict(
                a=a.load(), b=b.load(), cwd=os.getcwd(),
                files=a.files(), sums=sorted(a.post.file_sums),
                text=[a.open('relative.txt').read(), b.open('relative.txt').read()],
            )))
    ''')
    r = printed(ax_run(project, clean=True))
    for res in (r["a"], r["b"]):
        assert res["prepare"] == res["synthesis"] == res["path"]
        assert res["analysis"] == [res["path"]] * 2
    assert r["a"]["path"] != r["b"]["path"]
    assert r["cwd"] == str(project.root)
    mine = ["prepared.txt", "relative.txt", "slice0.txt", "slice1.txt"]
    assert all(name in r["files"] for name in mine)
    assert all(name in r["sums"] for name in mine)
    assert r["text"] == ["one", "two"]
    assert not (project.root / "relative.txt").exists()
    assert not (project.root / "prepared.txt").exists()


def test_the_current_folder_on_sys_path_still_imports_in_the_job_directory(
        project, api, monkeypatch):
    """'' on sys.path (as `python -c` and notebooks put it) meant the folder the build
    started in; the method, now running in its job directory, still imports from there."""
    project.file("lib/helper.py", "X = 'from lib'\n")
    project.method("late", """
        import importlib

        def synthesis():
            # imported when the job runs, by a name made then (nothing sees it before)
            return importlib.import_module('hel' + 'per').X
    """)
    monkeypatch.chdir(project.root / "lib")
    monkeypatch.syspath_prepend("")
    builder = api()
    try:
        job, _ = builder.build("late")
    finally:
        builder.close()
    assert job.load() == "from lib"
    assert "helper" not in sys.modules  # it was the job that imported it


def test_each_part_starts_in_the_job_directory_even_if_one_moved(project, tmp_path):
    """A part that changes directory does not move the parts after it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    project.method("wanders", f'''
        import os

        def prepare():
            os.chdir({str(elsewhere)!r})

        def analysis(sliceno):
            cwd = os.getcwd()
            os.chdir({str(elsewhere)!r})
            return cwd

        def synthesis(analysis_res, job):
            return [os.getcwd(), *analysis_res, str(job.path)]
    ''')
    script(project, '''
        def main(urd):
            print('RESULT', json.dumps(urd.build('wanders').load()))
    ''')
    r = printed(ax_run(project, clean=True))
    assert r[:3] == [r[3]] * 3
    assert json.dumps(r).count("elsewhere") == 0


# --- arguments by name ------------------------------------------------------------------------


def test_prepare_analysis_and_synthesis_may_ask_for_params(project):
    """`params` as an argument is the job's parameters, as job.params gives them, with the
    options, datasets and jobs the method has."""
    project.method("first", "def synthesis():\n    return 1\n")
    project.method("asks", '''
        options = dict(n=3)
        jobs = ('before',)

        def prepare(params):
            return [params.slices, params.method, params.options.n, params.options is options]

        def analysis(sliceno, params):
            return [sliceno, params.slices, params.jobs.before is jobs.before]

        def synthesis(params, prepare_res, analysis_res, job):
            return dict(prepare=prepare_res, analysis=list(analysis_res), jobid=params.jobid,
                        hash=params.hash == job.params.hash, before=params.jobs.before)
    ''')
    script(project, '''
        def main(urd):
            first = urd.build('first')
            print('RESULT', json.dumps(urd.build('asks', n=5, jobs=dict(before=first)).load()))
    ''')
    r = printed(ax_run(project, clean=True))
    assert r == {"prepare": [2, "asks", 5, True], "analysis": [[0, 2, True], [1, 2, True]],
                 "jobid": "dev-2", "hash": True, "before": "dev-1"}


# --- inputs not given ----------------------------------------------------------------------------

UNSET = '''
    datasets = ('source', ['sources'])
    jobs = ('previous',)

    def prepare():
        src, prev = datasets.source, jobs.previous
        if not src and not prev:  # how Accelerator methods test for them
            return dict(
                equal=[src == '', prev == ''], types=[repr(src), repr(prev)],
                columns=src.columns, shape=list(src.shape), lines=sum(src.lines),
                src_job=src.job == '', chain=list(src.chain()),
                load=prev.load(), json_load=prev.json_load(), files=list(prev.files()),
                default=prev.load('x.pickle', default=7), sources=datasets.sources,
            )

    def analysis(sliceno):
        return [datasets.source.lines[sliceno], jobs.previous]  # pickled back, as itself

    def synthesis(prepare_res, analysis_res):
        prepare_res['back'] = [[n, repr(j)] for n, j in analysis_res]
        return prepare_res
'''


def test_inputs_not_given_are_empty_strings(project):
    """A dataset or job input that was not given is '' (falsy), with what still makes sense
    of it answering as empty: no columns, no lines, load() is None."""
    project.method("unset", UNSET)
    script(project, '''
        def main(urd):
            print('RESULT', json.dumps(urd.build('unset').load()))
    ''')
    r = printed(ax_run(project, clean=True))
    assert r == {"equal": [True, True], "types": ["NoDataset", "NoJob"], "columns": {},
                 "shape": [0, 0], "lines": 0, "src_job": True, "chain": [], "load": None,
                 "json_load": None, "files": [], "default": 7, "sources": [],
                 "back": [[0, "NoJob"], [0, "NoJob"]]}


def test_an_unset_input_passed_on_to_a_subjob_is_unset_there(project):
    """`jobs.previous` passed on as it is (the Accelerator way of chaining) means "not
    given" to the job it is given to; reading what an unset input does not have says so."""
    project.method("leaf", '''
        jobs = ('previous',)

        def synthesis():
            if jobs.previous:
                return 'given'
            try:
                jobs.previous.open('result.pickle')
            except Exception as e:
                return 'unset: %s' % (e,)
    ''')
    project.method("parent", '''
        from accel import subjobs

        jobs = ('previous',)

        def synthesis():
            return subjobs.build('leaf', previous=jobs.previous).load()
    ''')
    script(project, '''
        def main(urd):
            print('RESULT', json.dumps(urd.build('parent').load()))
    ''')
    r = printed(ax_run(project, clean=True))
    assert r.startswith("unset: open('result.pickle'): no job was given for this input")


def test_a_list_of_datasets_is_a_datasetlist(project):
    """A dataset list input, given or not, is a DatasetList (its .lines summed per slice)."""
    project.method("rows", '''
        def prepare(job):
            return job.datasetwriter(columns={'n': 'int64'})

        def analysis(sliceno, prepare_res):
            for n in range(sliceno + 1):
                prepare_res.write(n)
    ''')
    project.method("many", '''
        datasets = (['sources'], ['none'])

        def synthesis():
            return [[type(d).__name__, list(d.lines), d == []] for d in (datasets.sources, datasets.none)]
    ''')
    script(project, '''
        def main(urd):
            ds = urd.build('rows')
            print('RESULT', json.dumps(urd.build('many', sources=[ds, ds]).load()))
    ''')
    assert printed(ax_run(project, clean=True)) == [["DatasetList", [2, 4], False],
                                                    ["DatasetList", [], True]]
