"""Issue 13: the Accelerator's standard methods dataset_fanout, dataset_fanout_collect and
dataset_unroundrobin, with its option names, inputs and results, run with `ax run` from a
build script written the Accelerator way in a temporary project.

What the Accelerator does (seen by running it, version 2025.11.11):

- dataset_fanout(source, column, previous, length) makes one dataset per value of
  `column` in the chain from source back to the previous job's source, named str(value)
  ('None', "b'x'", '1.5', 'a/b'). Each holds the other columns every dataset of the chain
  has, and each slice the lines of that slice with that value, oldest dataset first. Every
  dataset of the previous job gets one (empty if need be) with it as previous. Types that
  differ along the chain widen (int32+int64: int64, float32+float64: float64, other
  numeric mixes: number, ascii+unicode: unicode); others are an error. The hashlabel stays
  when every dataset has it and it is not `column`. A dataset_fanout_collect subjob
  returns the set of names.
- dataset_unroundrobin(source, previous, trigger_column): the lines in round-robin order
  (line 0 of each slice in turn, then line 1, ..., slices that ran out skipped), cut in
  slices of the source's sizes; with trigger_column each cut moves forward past the lines
  whose value equals the one before the cut. Same columns and caption, no hashlabel.
"""

from __future__ import annotations

import textwrap
from itertools import zip_longest

import pytest
from conftest import Project, assert_failed_cleanly, ax_run, printed, script

# Writes options.data (a list per slice of rows) with options.columns ([name, type] or
# [name, type, none_support]); 'bytes' values are given as text, complex ones as
# [real, imag]. With a hashlabel the
# rows go where it hashes them (written in synthesis).
MKDS = '''
    options = dict(data=None, columns=None, hashlabel=None, caption='')
    datasets = ('previous',)

    def prepare(job):
        return job.datasetwriter(
            columns={c[0]: (c[1], len(c) > 2 and c[2]) for c in options.columns},
            hashlabel=options.hashlabel, previous=datasets.previous, caption=options.caption)

    def conv(coltype, v):
        if v is None:
            return v
        return v.encode() if coltype == 'bytes' else complex(*v) if 'complex' in coltype else v

    def rows(sliceno):
        for row in options.data[sliceno]:
            yield [conv(c[1], v) for c, v in zip(options.columns, row)]

    def analysis(sliceno, prepare_res):
        if not options.hashlabel:
            for row in rows(sliceno):
                prepare_res.write(*row)

    def synthesis(prepare_res):
        if options.hashlabel:
            write = prepare_res.get_split_write()
            for sliceno in range(len(options.data)):
                for row in rows(sliceno):
                    write(*row)
'''


@pytest.fixture
def project3(tmp_path) -> Project:
    p = Project(tmp_path / "proj3", slices=3)
    p.method("mkds", MKDS)
    return p


def _main(body: str) -> str:
    return "def main(urd):\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ") + "\n"


def run(project: Project, body: str) -> dict:
    """A build script whose body sets `out` (a dict of jobs); their ids back."""
    script(project, _main(body) + "    print('RESULT', json.dumps({k: str(v) for k, v in out.items()}))\n")
    return printed(ax_run(project, clean=True))


def fails(project: Project, body: str) -> str:
    """A build script that must fail cleanly; its stderr."""
    script(project, _main(body))
    p = project.ax("run")
    assert_failed_cleanly(p)
    return p.stderr


def as_written(columns: list, rows: list) -> list[tuple]:
    """Rows as the dataset gives them back (bytes columns as bytes)."""
    def conv(coltype, v):
        if v is None:
            return v
        return v.encode() if coltype == "bytes" else complex(*v) if "complex" in coltype else v

    return [tuple(conv(c[1], v) for c, v in zip(columns, row, strict=True)) for row in rows]


def fanned(project: Project, jobid: str) -> dict:
    """{dataset name: [rows of slice 0, rows of slice 1, ...]} of a job."""
    job = project.job(jobid)
    return {ds.name: [list(ds.iterate(s)) for s in range(len(ds.lines))] for ds in job.datasets}


def expected_fanout(chain: list[tuple[list, list]], column: str) -> dict:
    """The rule, from the inputs: (columns, data per slice) of each dataset of the chain,
    oldest first -> {str(value): per slice, the other columns of the lines with value}."""
    slices = len(chain[0][1])
    out: dict = {}
    for columns, data in chain:
        names = [c[0] for c in columns]
        ix = names.index(column)
        for sliceno, rows in enumerate(data):
            for row in as_written(columns, rows):
                per_slice = out.setdefault(str(row[ix]), [[] for _ in range(slices)])
                per_slice[sliceno].append(tuple(v for i, v in enumerate(row) if i != ix))
    return out


COLS = [["k", "unicode", True], ["v", "int32"], ["w", "bytes"]]
OLD = [[["x", 1, "a"], ["y", 2, "b"], [None, 3, "c"]], [["x", 4, "d"], ["e", 5, "e"]],
       [["z/q", 6, "f"]]]
NEW = [[["x", 7, "g"]], [], [["w", 8, "h"]]]


# --- dataset_fanout ----------------------------------------------------------------------------

def test_fanout_makes_one_dataset_per_value_of_the_whole_chain(project3):
    got = run(project3, f"""
        old = urd.build('mkds', data={OLD!r}, columns={COLS!r})
        new = urd.build('mkds', data={NEW!r}, columns={COLS!r}, previous=old)
        out = dict(fan=urd.build('dataset_fanout', source=new, column='k'), new=new)
    """)
    want = expected_fanout([(COLS, OLD), (COLS, NEW)], "k")
    assert fanned(project3, got["fan"]) == want
    assert "None" in want and "z/q" in want  # None is 'None'; a '/' stays in the name
    job = project3.job(got["fan"])
    for ds in job.datasets:
        assert {n: (c.type, c.none_support) for n, c in ds.columns.items()} == \
            {"v": ("int32", False), "w": ("bytes", False)}
        assert ds.previous is None and ds.hashlabel is None
    # the values came from a dataset_fanout_collect subjob, which returns them as a set
    [collect] = job.post.subjobs
    assert project3.job(collect).method == "dataset_fanout_collect"
    assert project3.job(collect).load() == set(want)
    assert project3.job(collect).params.datasets.source.split("/")[0] == got["new"]


def test_fanout_names_a_dataset_by_str_of_the_value(project3):
    cols = [["b", "bytes"], ["n", "number", True], ["f", "float64"], ["keep", "int32"]]
    data = [[["p", 1, 1.5, 0], ["q", 2.0, -0.0, 1]], [["p", None, 0.25, 2]], [["r", 1, 1.5, 3]]]
    got = run(project3, f"""
        src = urd.build('mkds', data={data!r}, columns={cols!r})
        out = dict(b=urd.build('dataset_fanout', source=src, column='b'),
                   n=urd.build('dataset_fanout', source=src, column='n'),
                   f=urd.build('dataset_fanout', source=src, column='f'))
    """)
    for column in ("b", "n", "f"):
        want = expected_fanout([(cols, data)], column)
        assert fanned(project3, got[column]) == want
    assert "b'p'" in fanned(project3, got["b"])       # bytes as Python writes them
    assert {"1", "2.0", "None"} == set(fanned(project3, got["n"]))
    assert {"1.5", "-0.0", "0.25"} == set(fanned(project3, got["f"]))


def test_fanout_with_previous_continues_every_value_chain(project3):
    got = run(project3, f"""
        old = urd.build('mkds', data={OLD!r}, columns={COLS!r})
        new = urd.build('mkds', data={NEW!r}, columns={COLS!r}, previous=old)
        first = urd.build('dataset_fanout', source=old, column='k')
        out = dict(first=first,
                   second=urd.build('dataset_fanout', source=new, column='k', previous=first),
                   last=urd.build('dataset_fanout', source=new, column='k', length=1))
    """)
    first, second = fanned(project3, got["first"]), fanned(project3, got["second"])
    new_only = expected_fanout([(COLS, NEW)], "k")
    assert fanned(project3, got["last"]) == new_only
    # every value of the first job, and the new ones; the lines are the new dataset's only
    assert set(second) == set(first) | set(new_only)
    for name, per_slice in second.items():
        assert per_slice == new_only.get(name, [[], [], []])
        ds = project3.job(got["second"]).dataset(name)
        prev = ds.previous
        if name in first:
            assert (str(prev.job), prev.name) == (got["first"], name)
        else:
            assert prev is None


def test_fanout_widens_types_that_differ_along_the_chain(project3):
    old_cols = [["k", "ascii"], ["i", "int32"], ["f", "float32"], ["m", "int32"],
                ["t", "ascii"], ["c", "complex32"], ["h", "int64"], ["only_old", "int32"]]
    new_cols = [["k", "unicode"], ["i", "int64"], ["f", "float64"], ["m", "float64", True],
                ["t", "unicode"], ["c", "complex64"], ["h", "int64"]]
    old = [[["x", 1, 0.5, 2, "a", [0, 1], 10, 0]], [["y", 2, 1.5, 3, "b", [0, 2], 11, 0]], []]
    new = [[["x", 2**40, 0.1, 2.5, "ä", [3, 1], 10]], [], [["y", 3, 0.2, None, "c", [0, 0], 12]]]
    got = run(project3, f"""
        old = urd.build('mkds', data={old!r}, columns={old_cols!r}, hashlabel='h')
        new = urd.build('mkds', data={new!r}, columns={new_cols!r}, hashlabel='h',
                        previous=old)
        out = dict(fan=urd.build('dataset_fanout', source=new, column='k'),
                   on_h=urd.build('dataset_fanout', source=new, column='h'))
    """)
    job = project3.job(got["fan"])
    for ds in job.datasets:
        assert {n: (c.type, c.none_support) for n, c in ds.columns.items()} == {
            "i": ("int64", False), "f": ("float64", False), "m": ("number", True),
            "t": ("unicode", False), "c": ("complex64", False), "h": ("int64", False)}
        assert ds.hashlabel == "h"     # every dataset had it, and the lines stay in place
    # every value kept exactly (a float32 as the float it held)
    import numpy as np

    def values(d):
        return sorted((r for name in ("x", "y") for s in range(3)
                       for r in job.dataset(name).iterate(s, d)), key=repr)

    assert values("i") == sorted([1, 2, 2**40, 3], key=repr)
    assert values("f") == sorted([float(np.float32(0.5)), float(np.float32(1.5)), 0.1, 0.2],
                                 key=repr)
    assert values("m") == sorted([2, 3, 2.5, None], key=repr)
    assert values("c") == sorted([1j, 2j, 3 + 1j, 0j], key=repr)
    # split on the hashlabel: it cannot stay the hashlabel (it is no column of the result)
    assert all(ds.hashlabel is None for ds in project3.job(got["on_h"]).datasets)


def test_fanout_mistakes_are_one_clear_line(project3):
    cols = [["k", "ascii"], ["n", "int32"]]
    text = [["k", "ascii"], ["n", "unicode"]]
    base = f"a = urd.build('mkds', data=[[['x', 1]], [], []], columns={cols!r})\n"
    err = fails(project3, base + f"b = urd.build('mkds', data=[[], [['x', 'v']], []], "
                                 f"columns={text!r}, previous=a)\n"
                                 "urd.build('dataset_fanout', source=b, column='k')")
    assert "dataset_fanout" in err and "'n'" in err and "int32" in err and "unicode" in err
    err = fails(project3, base + "urd.build('dataset_fanout', source=a, column='nope')")
    assert "'nope'" in err
    err = fails(project3, "a = urd.build('mkds', data=[[['x']], [], []], columns=[['k', 'ascii']])\n"
                          "urd.build('dataset_fanout', source=a, column='k')")
    assert "no column in common" in err
    err = fails(project3, base + "urd.build('dataset_fanout', source=a)")
    assert "'column'" in err
    # The Accelerator names a dataset '' for the value ''; accel has no dataset named ''
    # (Dataset('JOB/') is JOB's default), so it says which value cannot be a name.
    err = fails(project3, "a = urd.build('mkds', data=[[['', 1]], [], []], "
                          "columns=[['k', 'ascii'], ['n', 'int32']])\n"
                          "urd.build('dataset_fanout', source=a, column='k')")
    assert "dataset_fanout" in err and "value ''" in err


# --- dataset_unroundrobin ------------------------------------------------------------------------

def round_robin(per_slice: list[list]) -> list:
    """The Accelerator's iterate('roundrobin'): line 0 of each slice, then line 1, ...
    (a slice that ran out is skipped)."""
    gone = object()
    return [r for rnd in zip_longest(*per_slice, fillvalue=gone) for r in rnd if r is not gone]


def trigger_cuts(lines: list[int], values: list) -> list[int]:
    """The Accelerator's rule: slice k starts at the source's cut (sum of lines before
    it) moved forward to the first line whose trigger value differs from the line's
    just before that cut."""
    cuts = [0]
    for n in lines:
        cuts.append(cuts[-1] + n)
    out = [0]
    for b in cuts[1:-1]:
        r = b
        while 0 < r < len(values) and not values[r] != values[b - 1]:
            r += 1
        out.append(r)
    return out + [cuts[-1]]


URR_COLS = [["k", "ascii"], ["i", "int64"], ["t", "int32", True], ["j", "json"],
            ["n", "number"]]


def urr_data(lines: list[int], trigger) -> list[list]:
    n = iter(range(sum(lines)))
    return [[[f"s{s}", i, trigger(s, i), {"i": [i]}, i / 2 if i % 2 else i]
             for i in (next(n) for _ in range(count))] for s, count in enumerate(lines)]


@pytest.mark.parametrize("lines", [[6, 2, 0, 3], [1, 0, 0, 5], [0, 0, 0, 0], [4, 4, 4, 4]])
def test_unroundrobin_gives_the_round_robin_order_slice_after_slice(tmp_path, lines):
    project = Project(tmp_path / "proj4", slices=4)
    project.method("mkds", MKDS)
    data = urr_data(lines, lambda s, i: None if i % 3 else s)
    got = run(project, f"""
        src = urd.build('mkds', data={data!r}, columns={URR_COLS!r}, caption='the source')
        first = urd.build('dataset_unroundrobin', source=src)
        out = dict(first=first,
                   chained=urd.build('dataset_unroundrobin', source=src, previous=first))
    """)
    rows = [as_written(URR_COLS, d) for d in data]
    for name in ("first", "chained"):
        ds = project.job(got[name]).dataset()
        assert ds.lines == lines
        assert list(ds.iterate(None)) == round_robin(rows)
        assert {n: (c.type, c.none_support) for n, c in ds.columns.items()} == \
            {c[0]: (c[1], len(c) > 2 and c[2]) for c in URR_COLS}
        assert ds.caption == "the source" and ds.hashlabel is None
    prev = project.job(got["chained"]).dataset().previous
    assert str(prev.job) == got["first"]


@pytest.mark.parametrize("lines, trigger", [
    ([9, 2, 3, 1], lambda s, i: i // 4 if s == 0 else (2 if s < 3 else 7)),
    ([9, 2, 3, 0], lambda s, i: 5),                     # one value: all in slice 0
    ([3, 3, 3, 3], lambda s, i: i),                     # all differ: nothing moves
    ([5, 1, 4, 2], lambda s, i: None if i % 2 else 1),  # None is a value like any
    ([2, 0, 6, 2], lambda s, i: s % 2),
])
def test_unroundrobin_trigger_column_keeps_runs_of_a_value_together(tmp_path, lines, trigger):
    project = Project(tmp_path / "proj4", slices=4)
    project.method("mkds", MKDS)
    data = urr_data(lines, trigger)
    got = run(project, f"""
        src = urd.build('mkds', data={data!r}, columns={URR_COLS!r})
        out = dict(u=urd.build('dataset_unroundrobin', source=src, trigger_column='t'))
    """)
    ds = project.job(got["u"]).dataset()
    order = round_robin([as_written(URR_COLS, d) for d in data])
    cuts = trigger_cuts(lines, [r[2] for r in order])
    assert [list(ds.iterate(s)) for s in range(4)] == \
        [order[cuts[s]:cuts[s + 1]] for s in range(4)]
    assert sum(ds.lines) == sum(lines)


def test_unroundrobin_mistakes_are_one_clear_line(project3):
    base = "a = urd.build('mkds', data=[[['x']], [], []], columns=[['k', 'ascii']])\n"
    err = fails(project3, base + "urd.build('dataset_unroundrobin', source=a, trigger_column='zz')")
    assert "dataset_unroundrobin" in err and "'zz'" in err
    err = fails(project3, "urd.build('dataset_unroundrobin')")
    assert "dataset_unroundrobin" in err and "source" in err
