"""SPEC §8: methods and build scripts written for the Accelerator run on accel once
`accelerator` is changed to `accel` in their imports.

First the names themselves, then a small project written the way an Accelerator user writes
one, run with `ax run` twice: the first run builds everything, the second reuses it all.
"""

from __future__ import annotations

import importlib
import io
import pickle
import sys

import pytest
from conftest import ax_run, printed, script

# --- the names ---------------------------------------------------------------------------

NAMES = ["Job", "JobWithFile", "OptionEnum", "OptionString", "RequiredOption", "OptionDefault",
         "DotDict", "JobError", "build", "SkipSlice", "SkipDataset", "colour"]


@pytest.mark.parametrize("name", NAMES)
def test_accel_has_the_accelerator_names(name):
    accel = importlib.import_module("accel")
    assert getattr(accel, name) is not None
    ns: dict = {}
    exec(f"from accel import {name}", ns)
    assert ns[name] is getattr(accel, name)
    assert name in dir(accel)


def test_dir_shows_the_public_names_only():
    import accel
    import accel.job  # a submodule imported is no public name either

    assert dir(accel) == sorted([*NAMES, "CurrentJob", "Dataset", "DatasetList", "DatasetWriter",
                                 "DatasetUsageError", "NoSuchDatasetError", "JobDamaged",
                                 "InputFile",
                                 "UserError", "NotFound", "status", "dummy_status",
                                 "__version__"])


def test_dataset_shape_is_the_accelerators_and_the_readme_says_so(new_job):
    """(columns, rows) as in the Accelerator -- the other way round from pandas, which
    is why the README says which."""
    from pathlib import Path

    from conftest import write_dataset

    from accel import Dataset

    job = new_job()
    write_dataset(job, {"a": "int64", "b": "unicode", "c": "float64"},
                  [[(1, "x", 1.0), (2, "y", 2.0)], [(3, "z", 3.0)]])
    assert Dataset(f"{job}/default").shape == (3, 3)
    write_dataset(job, {"a": "int64"}, [[(1,), (2,)], []], name="tall")
    assert Dataset(f"{job}/tall").shape == (1, 2)  # (columns, rows)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "`.shape` (`(columns, rows)`: the Accelerator's order, not pandas'" in readme


def test_submodule_names():
    import accel
    import accel.job
    import accel.subjobs

    assert accel.job.JobWithFile is accel.JobWithFile
    assert callable(accel.subjobs.build)
    assert callable(accel.build)
    from accel import subjobs  # the Accelerator way: `from accelerator import subjobs`

    assert subjobs.build is accel.subjobs.build


def test_exception_names_are_exceptions():
    import accel

    for name in ("JobError", "SkipSlice", "SkipDataset"):
        assert issubclass(getattr(accel, name), Exception)
    with pytest.raises(accel.SkipSlice):
        raise accel.SkipSlice()


def test_dotdict_and_option_classes():
    from accel import DotDict, OptionDefault, OptionEnum, OptionString, RequiredOption

    d = DotDict(a=1, b=DotDict(c=2))
    assert d.a == 1 and d["a"] == 1 and d.b.c == 2
    d.x = 5
    assert d["x"] == 5 and isinstance(d, dict)
    assert pickle.loads(pickle.dumps(d)) == {"a": 1, "b": {"c": 2}, "x": 5}
    with pytest.raises(AttributeError):
        d.missing  # noqa: B018
    # the declarations build the way Accelerator methods write them
    assert OptionEnum("a b c").b == OptionEnum("a b c").b
    assert OptionEnum("a b c").b != OptionEnum("a b c")
    with pytest.raises(AttributeError):
        OptionEnum("a b c").d  # noqa: B018
    assert OptionEnum(["x", "y"]) == OptionEnum("x y")
    assert RequiredOption(int) == RequiredOption(int)
    assert OptionDefault([str], ["a"]).default == ["a"]
    assert OptionString() == OptionString()


@pytest.fixture
def plain_stdout(monkeypatch):
    """stdout is not a terminal, and nothing in the environment forces colour either way."""
    monkeypatch.delenv("ACCEL_COLOUR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", io.StringIO())


class _FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_is_plain_text_when_not_a_terminal(plain_stdout):
    import accel
    from accel.colour import bold, red

    assert accel.colour("hello", "bold") == "hello"
    assert accel.colour("hello") == "hello"
    assert accel.colour.bold("hello") == "hello"
    assert accel.colour.red("x") == "x"
    assert bold("hi") == "hi" and red("hi") == "hi"
    assert accel.colour(42, "green") == "42"


def test_colour_colours_on_a_terminal(monkeypatch):
    monkeypatch.delenv("ACCEL_COLOUR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", _FakeTTY())
    import accel
    from accel.colour import bold

    for text in (accel.colour("hello", "bold"), accel.colour.bold("hello"), bold("hello")):
        assert "hello" in text and text.startswith("\x1b[") and text != "hello"
    assert accel.colour("hello", "red") != accel.colour("hello", "bold")
    monkeypatch.setenv("NO_COLOR", "1")
    assert accel.colour("hello", "bold") == "hello"


def test_colour_in_a_build_script_run_by_ax_is_plain(project):
    project.build("""
        from accel import colour
        from accel.colour import bold

        def main(urd):
            print('RESULT', '["%s", "%s", "%s"]' % (colour('a', 'red'), colour.bold('b'), bold('c')))
    """)
    assert printed(ax_run(project, clean=True)) == ["a", "b", "c"]


# --- an Accelerator-style project ------------------------------------------------------

TOKENIZE = '''
    description = r"""
    Split a text into words, spread them over the slices,
    and save each slice's words in a sliced file.
    """

    from accel import OptionEnum

    options = dict(
        text='',
        case=OptionEnum('keep lower upper').lower,
        min_length=1,
    )

    def prepare():
        words = options.text.split()
        if options.case == 'lower':
            words = [w.lower() for w in words]
        elif options.case == 'upper':
            words = [w.upper() for w in words]
        return [w for w in words if len(w) >= options.min_length]

    def analysis(sliceno, slices, prepare_res, job):
        mine = prepare_res[sliceno::slices]
        job.save(mine, 'words.pickle', sliceno=sliceno)
        return len(mine)

    def synthesis(analysis_res, job):
        total = sum(analysis_res)
        job.json_save(dict(total=total), 'summary.json')
        return total
'''

COUNT = '''
    from collections import Counter

    from accel import JobWithFile

    options = dict(words=JobWithFile)

    def analysis(sliceno):
        return Counter(options.words.load(sliceno))

    def synthesis(analysis_res):
        return analysis_res.merge_auto()
'''

TEXTUTIL = '''
    def top(counts, n):
        best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        return ', '.join('%s=%d' % kv for kv in best)
'''

REPORT = '''
    import os

    from . import textutil

    jobs = ('first', 'counts',)
    depend_extra = (textutil, 'template.txt',)

    def synthesis(job):
        total = jobs.first.load()
        counts = jobs.counts.load()
        with open(os.path.join(os.path.dirname(__file__), 'template.txt')) as fh:
            template = fh.read()
        text = template.format(total=total, top=textutil.top(counts, 2))
        with job.open('report.txt', 'w') as fh:
            fh.write(text)
        return text
'''

PIPELINE = '''
    import accel.subjobs

    options = dict(text='', case='lower')

    def synthesis():
        tok = accel.subjobs.build('tokenize', options=dict(text=options.text, case=options.case))
        cnt = accel.subjobs.build('count', words=tok.withfile('words.pickle', sliced=True))
        return dict(cnt.load())
'''

BUILD = '''
    TEXT = 'The cat and the hat and THE bat'

    def main(urd):
        tok = urd.build('tokenize', options=dict(text=TEXT), name='tokens')
        cnt = urd.build('count', options=dict(words=tok.withfile('words.pickle', sliced=True)))
        rep = urd.build('report', jobs=dict(first=tok, counts=cnt))
        pipe = urd.build('pipeline', text=TEXT)
        tok.link_result('summary.json')

        out = dict(
            ids=list(urd.joblist),
            total=tok.load(),
            summary=tok.json_load('summary.json'),
            counts=dict(cnt.load()),
            report=rep.load(),
            pipeline=pipe.load(),
            subjobs=pipe.post.subjobs,
            options=tok.params.options,
        )
        print('RESULT', json.dumps(out))
'''

# the same jobs, recorded in an urd list the Accelerator way
RECORD = '''
    from datetime import date

    TEXT = 'The cat and the hat and THE bat'

    def main(urd):
        urd.begin('wordcount', date(2023, 3, 1), caption='the first count')
        tok = urd.build('tokenize', options=dict(text=TEXT), name='tokens')
        cnt = urd.build('count', options=dict(words=tok.withfile('words.pickle', sliced=True)))
        urd.build('report', jobs=dict(first=tok, counts=cnt))
        urd.finish('wordcount')
        print('RESULT', json.dumps(list(urd.joblist)))
'''

LATER = '''
    def main(urd):
        entry = urd.latest('wordcount')
        counts = entry.joblist.get('count')
        tokens = entry.joblist.get('tokens')
        print('RESULT', json.dumps(dict(
            timestamp=str(entry.timestamp),
            caption=entry.caption,
            counts=dict(counts.load()),
            tokens=tokens.load(),
        )))
'''


def accelerator_project(project) -> None:
    project.method("tokenize", TOKENIZE)
    project.method("count", COUNT)
    project.file("methods/textutil.py", TEXTUTIL)
    project.file("methods/template.txt", "{total} words; most common: {top}\n")
    project.method("report", REPORT)
    project.method("pipeline", PIPELINE)
    script(project, BUILD)
    script(project, RECORD, name="record")
    script(project, LATER, name="later")


EXPECTED_COUNTS = {"the": 3, "and": 2, "cat": 1, "hat": 1, "bat": 1}


def test_accelerator_style_project_runs_and_reuses(project):
    accelerator_project(project)
    p = ax_run(project, clean=True)
    r = printed(p)
    assert r["total"] == 8
    assert r["summary"] == {"total": 8}
    assert r["counts"] == EXPECTED_COUNTS
    assert r["report"] == "8 words; most common: the=3, and=2\n"
    assert r["pipeline"] == EXPECTED_COUNTS
    assert r["options"] == {"text": "The cat and the hat and THE bat", "case": "lower",
                            "min_length": 1}
    # the pipeline's subjobs are the very jobs the build script built itself
    assert r["subjobs"] == r["ids"][:2]
    first_dirs = project.job_dirs()
    assert len(first_dirs) == 4
    assert (project.root / "results" / "summary.json").is_symlink()

    p = ax_run(project, clean=True)
    r2 = printed(p)
    assert r2 == r
    assert "0 new, 4 reused" in p.stdout
    assert project.job_dirs() == first_dirs


def test_accelerator_style_urd_begin_finish_runs_twice(project):
    accelerator_project(project)
    ids = printed(ax_run(project, "record", clean=True))
    assert len(ids) == 3
    p = ax_run(project, "record", clean=True)  # the same entry again: nothing new to record
    assert printed(p) == ids
    assert "0 new, 3 reused" in p.stdout
    assert len(project.job_dirs()) == 3


def test_accelerator_style_urd_latest_joblist_get(project):
    accelerator_project(project)
    ax_run(project, "record", clean=True)
    r = printed(ax_run(project, "later", clean=True))
    assert r["caption"] == "the first count"
    assert r["timestamp"].startswith("2023-03-01")
    assert r["counts"] == EXPECTED_COUNTS
    assert r["tokens"] == 8


def test_accelerator_style_urd_joblist_get_by_name(project):
    accelerator_project(project)
    project.build("""
        import json

        def main(urd):
            tok = urd.build('tokenize', text='a b c', name='tokens')
            found = urd.joblist.get('tokens')
            print('RESULT', json.dumps([tok, found]))
    """, name="named")
    tok, found = printed(ax_run(project, "named", clean=True))
    assert found == tok


def test_accelerator_style_urd_entry_joblist_holds_jobs(project):
    accelerator_project(project)
    ax_run(project, "record", clean=True)
    project.build("""
        import json

        def main(urd):
            entry = urd.latest('wordcount')
            last = entry.joblist[-1]
            print('RESULT', json.dumps([last, last.method, last.load()]))
    """, name="last")
    last, method, text = printed(ax_run(project, "last", clean=True))
    assert method == "report"
    assert text == "8 words; most common: the=3, and=2\n"


def test_rerunning_a_dated_build_loop_records_the_same_entries(project):
    """The Accelerator habit: a build script looping over dates, run again tomorrow."""
    project.method("day", """
        options = dict(day='')

        def synthesis():
            return options.day
    """)
    build = """
        import json

        def main(urd):
            for day in %s:
                urd.begin('daily', day)
                urd.build('day', day=day)
                urd.finish('daily')
            print('RESULT', json.dumps([urd.latest('daily').timestamp, urd.since('daily', '2000-01-01')]))
    """
    project.build(build % "['2023-01-01', '2023-01-02']")
    assert printed(ax_run(project, clean=True)) == ["2023-01-02", ["2023-01-01", "2023-01-02"]]
    # the same days again (identical entries), plus a new one
    project.build(build % "['2023-01-01', '2023-01-02', '2023-01-03']")
    assert printed(ax_run(project, clean=True)) == ["2023-01-03", ["2023-01-01", "2023-01-02", "2023-01-03"]]
    assert len(project.job_dirs()) == 3


def test_accelerator_style_edits_rebuild_what_depends_on_them(project):
    accelerator_project(project)
    ax_run(project, clean=True)
    before = set(project.job_dirs())
    # depend_extra names a module and a file: editing either rebuilds the report, only
    project.file("methods/template.txt", "{total} words, top: {top}\n")
    p = ax_run(project, clean=True)
    r = printed(p)
    assert r["report"] == "8 words, top: the=3, and=2\n"
    new = set(project.job_dirs()) - before
    assert len(new) == 1
    project.activate()
    from accel import Job

    assert Job(new.pop()).method == "report"
    project.file("methods/textutil.py", TEXTUTIL.replace("', '.join", "' / '.join"))
    r = printed(ax_run(project, clean=True))
    assert r["report"] == "8 words, top: the=3 / and=2\n"
    assert len(project.job_dirs()) == 6


def test_accelerator_style_failure_raises_joberror(project):
    project.method("fails", """
        def analysis(sliceno):
            if sliceno == 0:
                raise Exception('slice zero is unhappy')
    """)
    project.build("""
        from accel import JobError

        def main(urd):
            try:
                urd.build('fails')
            except JobError as e:
                print('CAUGHT', e.job, e.method, e.part)
                raise
    """)
    p = project.ax("run")
    assert p.returncode != 0
    assert "CAUGHT dev-1 fails analysis slice 0" in p.stdout
    assert "slice zero is unhappy" in p.stderr
