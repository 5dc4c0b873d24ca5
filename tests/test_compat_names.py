"""Issue 13, item 12: Accelerator names with the Accelerator's behaviour -- `status()`
shown by `ax status`, `DatasetUsageError` and `NoSuchDatasetError` at the top level,
`Dataset.quoted`."""

from __future__ import annotations

import json
import subprocess

from conftest import TIMEOUT, ax_run, finish_ax, printed, script, start_ax, wait_for

PROGRESS = '''
    import os
    import time

    from accel import status

    options = dict(hold='', seen='')

    def _wait_for(name):
        deadline = time.time() + 60  # never forever, even if the test dies
        while not os.path.exists(os.path.join(options.hold, name)) and time.time() < deadline:
            time.sleep(0.02)

    def analysis(sliceno):
        if sliceno == 1:
            with status('reading the input') as update:
                with status('part one'):
                    _wait_for('go1')
                update('reading the input again')
                _wait_for('go2')
            _wait_for('go3')

    def synthesis():
        with status('summing up'):
            pass
'''


def _shown(project) -> list:
    running = json.loads(project.ax("status", "--json", check=True).stdout)["running"]
    return running[0]["status"] if running else None


def test_status_text_shows_in_ax_status_while_the_block_runs(project, procs):
    hold = project.root / "hold"
    hold.mkdir()
    project.method("progress", PROGRESS)
    script(project, f"""
        from accel import status

        def main(urd):
            with status('outside any job') as update:  # a build script: shows nothing
                update('still nothing')
                print('RESULT', json.dumps(urd.build('progress', hold={str(hold)!r})))
    """)
    p = start_ax(project, procs, "run", tag="run")
    wait_for(lambda: _shown(project) == ["slice 1: reading the input » part one"],
             what="the nested status in ax status", proc=p)
    wait_for(lambda: "analysis 1/2 slices: slice 1: reading the input » part one"
             in project.ax("status", check=True).stdout, what="the table's part column", proc=p)
    (hold / "go1").touch()
    wait_for(lambda: _shown(project) == ["slice 1: reading the input again"],
             what="the updated status", proc=p)
    (hold / "go2").touch()
    wait_for(lambda: _shown(project) == [], what="the status gone with its block", proc=p)
    (hold / "go3").touch()
    rc, out, err = finish_ax(project, p, "run", timeout=TIMEOUT)
    assert rc == 0, err
    assert printed(subprocess.CompletedProcess([], rc, out, err)) == "dev-1"


MAKE = '''
    from accel import DatasetUsageError

    def synthesis(job):
        try:
            job.datasetwriter(name='bad', columns={'a': 'no such type'})
        except DatasetUsageError as e:
            refused = type(e).__name__
        for name in ('default', 'two words'):
            dw = job.datasetwriter(name=name, columns={'a': 'number'}, allow_missing_slices=True)
            dw.set_slice(0)
            dw.write(1)
        return refused
'''


def test_dataset_error_names_and_quoted(project):
    project.method("make", MAKE)
    script(project, """
        from accel import Dataset, NoSuchDatasetError, NotFound

        def main(urd):
            job = urd.build('make')
            try:
                job.dataset('nope')
            except NoSuchDatasetError as e:
                missing = [isinstance(e, NotFound), str(e)]
            quoted = [Dataset(job).quoted, job.dataset('two words').quoted]
            print('RESULT', json.dumps([job.load(), missing, quoted]))
    """)
    refused, missing, quoted = printed(ax_run(project))
    assert refused == "DatasetUsageError"
    assert missing[0] is True and "nope" in missing[1]
    assert quoted == ["dev-1/default", "'dev-1/two words'"]
    # the CLI still says a missing dataset in one line, exit status 1 (a NotFound)
    p = project.ax("ds", "dev-1/nope")
    assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1, p.stderr


PARSE = '''
    options = dict(bad=False)

    def synthesis(job):
        dw = job.datasetwriter(columns={'n': 'parsed:int32', 'x': 'parsed:number',
                                        'f': 'parsed:float64', 'j': 'parsed:json'},
                               allow_missing_slices=True)
        dw.set_slice(0)
        dw.write('12', '7', '2.5', '{"a": [1]}')
        dw.write(-3, '1.5', b'1e3', '[]')  # values that are not text are stored as they are
        if options.bad:
            dw.write('twelve', '1', '1', '1')
'''


def test_parsed_column_types_parse_text_values(project):
    project.method("parse", PARSE)
    script(project, """
        from accel import JobError

        def main(urd):
            ds = urd.build('parse').dataset()
            try:
                urd.build('parse', bad=True)
            except JobError as e:
                bad = str(e)
            print('RESULT', json.dumps([ds.columns, list(ds.iterate(None)), bad]))
    """)
    columns, rows, bad = printed(ax_run(project, "--allow-failed-jobs"))
    assert columns == {"n": "int32", "x": "number", "f": "float64", "j": "json"}
    assert rows == [[12, 7, 2.5, {"a": [1]}], [-3, 1.5, 1000.0, []]]
    assert "'twelve'" in bad and "does not parse as int32" in bad


EMPTY_NAME = '''
    def prepare(job):
        return job.datasetwriter(columns={'': 'int32', 'word': 'unicode'}, hashlabel='')

    def synthesis(prepare_res):
        write = prepare_res.get_split_write()
        for i in range(6):
            write(i, str(i))
'''


def test_a_column_named_the_empty_string(project):
    project.method("empty", EMPTY_NAME)
    script(project, """
        def main(urd):
            ds = urd.build('empty').dataset()
            print('RESULT', json.dumps([list(ds.columns), ds.hashlabel,
                                        sorted(ds.iterate(None, '')),
                                        sorted(ds.iterate(None, ['', 'word'], hashlabel=''))]))
    """)
    columns, hashlabel, values, rows = printed(ax_run(project))
    assert columns == ["", "word"] and hashlabel == ""
    assert values == list(range(6))
    assert rows == [[i, str(i)] for i in range(6)]
    assert "hashlabel  ''" in project.ax("ds", "dev-1", check=True).stdout


SLASHED = '''
    def synthesis(job):
        writers = {}
        for name, prev in (('2024/jan', None), ('2024/feb', '2024/jan'), ('a%2Fb', None)):
            dw = writers[name] = job.datasetwriter(name=name, columns={'v': 'int32'},
                                                   previous=writers.get(prev),
                                                   allow_missing_slices=True)
            dw.set_slice(0)
            dw.write(len(name))
'''


def test_dataset_names_with_slashes(project):
    project.method("slashed", SLASHED)
    script(project, """
        from accel import Dataset

        def main(urd):
            job = urd.build('slashed')
            feb = Dataset(job + '/2024/feb')
            print('RESULT', json.dumps([sorted(job.dataset_names), feb.name, str(feb.previous),
                                        [list(job.dataset(n).iterate(None, 'v'))
                                         for n in ('2024/jan', 'a%2Fb')]]))
    """)
    names, name, previous, values = printed(ax_run(project))
    assert names == ["2024/feb", "2024/jan", "a%2Fb"]  # '%2F' in a name stays itself
    assert name == "2024/feb" and previous == "dev-1/2024/jan"
    assert values == [[8], [5]]
    listing = project.ax("ds", "dev-1/2024/feb", check=True).stdout
    assert "dev-1/2024/feb" in listing and "dev-1/2024/jan" in listing
    assert "dev-1/2024/jan" in project.ax("job", "dev-1", check=True).stdout


BASE = '''
    def synthesis(job):
        dw = job.datasetwriter(name='x/base', columns={'v': 'int32'}, allow_missing_slices=True)
        dw.set_slice(0)
        dw.write(1)
'''

ON_TOP = '''
    options = dict(source='')

    def synthesis(job):
        dw = job.datasetwriter(name='2024/feb', columns={'v': 'int32'}, previous=options.source,
                               allow_missing_slices=True)
        dw.set_slice(0)
        dw.write(2)
'''


def test_gc_follows_previous_from_a_dataset_named_with_a_slash(project):
    """gc reads a kept job's dataset meta.json by its name: the previous it names is kept."""
    project.method("base", BASE)
    project.method("on_top", ON_TOP)
    script(project, """
        def main(urd):
            base = urd.build('base')
            urd.begin('keep', 1)
            urd.build('on_top', source=str(base.dataset('x/base')))  # an option: only
            # the dataset's meta.json links the two
            urd.finish('keep')
    """)
    ax_run(project)
    (project.root / "build.py").unlink()  # its latest run keeps nothing: only the list does
    plan = json.loads(project.ax("gc", "--dry-run", "--json", check=True).stdout)
    assert plan["delete"] == [] and plan["damaged"] == []
    assert {j["job"]: j["reason"] for j in plan["keep"]}["dev-1"] == \
        "used by dev-2 (dataset '2024/feb': previous)"


def test_a_dataset_named_with_percent_from_before_slashes_still_reads(project):
    """Folders written before names could hold '/' were not escaped: '50%' is still found,
    read, taken as a dataset input, and read by gc (which follows a kept job's datasets)."""
    project.method("pct", "def synthesis(job):\n    dw = job.datasetwriter(name='50%', "
                   "columns={'v': 'int32'}, allow_missing_slices=True)\n    dw.set_slice(0)\n    dw.write(50)\n")
    project.method("use", "datasets = ('source',)\n\ndef synthesis():\n"
                          "    return list(datasets.source.iterate(None, 'v'))\n")
    script(project, "def main(urd):\n    urd.build('pct')\n")
    ax_run(project)
    datasets = project.root / "workdirs" / "dev" / "dev-1" / "datasets"
    assert [p.name for p in datasets.iterdir()] == ["50%25"]
    (datasets / "50%25").rename(datasets / "50%")  # as an older accel wrote it
    script(project, """
        from accel import Job

        def main(urd):
            print('RESULT', json.dumps(list(Job('dev-1').dataset('50%').iterate(None, 'v'))))
    """, name="read")
    assert printed(ax_run(project, "read")) == [50]
    assert "dev-1/50%" in project.ax("ds", "dev-1/50%", check=True).stdout
    script(project, """
        def main(urd):
            print('RESULT', json.dumps(urd.build('use', source='dev-1/50%').load()))
    """, name="use")
    assert printed(ax_run(project, "use")) == [50]
    plan = json.loads(project.ax("gc", "--dry-run", "--json", check=True).stdout)
    assert plan["damaged"] == [], plan
