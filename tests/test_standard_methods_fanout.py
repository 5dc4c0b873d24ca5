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

The tests only read what their builds made: the builds (`build_of`, beside each test) run
together, one `ax run` for the module in one project per slice count (`together`).
"""

from __future__ import annotations

import textwrap
from itertools import zip_longest

import pytest
from conftest import Project
from together import Builds

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


BUILDS = Builds()
BUILDS.method("mkds", MKDS)
built = BUILDS.fixture()


def build_of(key: str, body: str, slices: int = 3, result: str = "out") -> str:
    """A build whose body sets `out` (a dict of jobs); its key. A body that must fail
    sets nothing: its `result` is "{}"."""
    return BUILDS.add(key, "def build(urd):\n" + textwrap.indent(
        f"{textwrap.dedent(body).strip()}\nreturn {result}\n", "    "), slices=slices)


def failing_build_of(key: str, body: str) -> str:
    return build_of(key, body, result="{}")


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

WHOLE_CHAIN = build_of("whole chain", f"""
    old = urd.build('mkds', data={OLD!r}, columns={COLS!r})
    new = urd.build('mkds', data={NEW!r}, columns={COLS!r}, previous=old)
    out = dict(fan=urd.build('dataset_fanout', source=new, column='k'), new=new)
""")


def test_fanout_makes_one_dataset_per_value_of_the_whole_chain(built):
    project3, got = built.jobs(WHOLE_CHAIN)
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


NAMES_COLS = [["b", "bytes"], ["n", "number", True], ["f", "float64"], ["keep", "int32"]]
NAMES_DATA = [[["p", 1, 1.5, 0], ["q", 2.0, -0.0, 1]], [["p", None, 0.25, 2]],
              [["r", 1, 1.5, 3]]]
NAMES = build_of("names", f"""
    src = urd.build('mkds', data={NAMES_DATA!r}, columns={NAMES_COLS!r})
    out = dict(b=urd.build('dataset_fanout', source=src, column='b'),
               n=urd.build('dataset_fanout', source=src, column='n'),
               f=urd.build('dataset_fanout', source=src, column='f'))
""")


def test_fanout_names_a_dataset_by_str_of_the_value(built):
    project3, got = built.jobs(NAMES)
    for column in ("b", "n", "f"):
        want = expected_fanout([(NAMES_COLS, NAMES_DATA)], column)
        assert fanned(project3, got[column]) == want
    assert "b'p'" in fanned(project3, got["b"])       # bytes as Python writes them
    assert {"1", "2.0", "None"} == set(fanned(project3, got["n"]))
    assert {"1.5", "-0.0", "0.25"} == set(fanned(project3, got["f"]))


WITH_PREVIOUS = build_of("with previous", f"""
    old = urd.build('mkds', data={OLD!r}, columns={COLS!r})
    new = urd.build('mkds', data={NEW!r}, columns={COLS!r}, previous=old)
    first = urd.build('dataset_fanout', source=old, column='k')
    out = dict(first=first,
               second=urd.build('dataset_fanout', source=new, column='k', previous=first),
               last=urd.build('dataset_fanout', source=new, column='k', length=1))
""")


def test_fanout_with_previous_continues_every_value_chain(built):
    project3, got = built.jobs(WITH_PREVIOUS)
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


_OLD_COLS = [["k", "ascii"], ["i", "int32"], ["f", "float32"], ["m", "int32"],
             ["t", "ascii"], ["c", "complex32"], ["h", "int64"], ["only_old", "int32"]]
_NEW_COLS = [["k", "unicode"], ["i", "int64"], ["f", "float64"], ["m", "float64", True],
             ["t", "unicode"], ["c", "complex64"], ["h", "int64"]]
_OLD_ROWS = [[["x", 1, 0.5, 2, "a", [0, 1], 10, 0]], [["y", 2, 1.5, 3, "b", [0, 2], 11, 0]], []]
_NEW_ROWS = [[["x", 2**40, 0.1, 2.5, "ä", [3, 1], 10]], [],
             [["y", 3, 0.2, None, "c", [0, 0], 12]]]
WIDENS = build_of("widens", f"""
    old = urd.build('mkds', data={_OLD_ROWS!r}, columns={_OLD_COLS!r}, hashlabel='h')
    new = urd.build('mkds', data={_NEW_ROWS!r}, columns={_NEW_COLS!r}, hashlabel='h',
                    previous=old)
    out = dict(fan=urd.build('dataset_fanout', source=new, column='k'),
               on_h=urd.build('dataset_fanout', source=new, column='h'))
""")


def test_fanout_widens_types_that_differ_along_the_chain(built):
    project3, got = built.jobs(WIDENS)
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


_BASE = "a = urd.build('mkds', data=[[['x', 1]], [], []], columns=[['k', 'ascii'], ['n', 'int32']])\n"
FANOUT_TYPES_DIFFER = failing_build_of("fanout types differ", _BASE + (
    "b = urd.build('mkds', data=[[], [['x', 'v']], []], "
    "columns=[['k', 'ascii'], ['n', 'unicode']], previous=a)\n"
    "urd.build('dataset_fanout', source=b, column='k')"))
FANOUT_NO_SUCH_COLUMN = failing_build_of(
    "fanout no such column", _BASE + "urd.build('dataset_fanout', source=a, column='nope')")
FANOUT_NOTHING_LEFT = failing_build_of(
    "fanout nothing left", "a = urd.build('mkds', data=[[['x']], [], []], columns=[['k', 'ascii']])\n"
                           "urd.build('dataset_fanout', source=a, column='k')")
FANOUT_NO_COLUMN = failing_build_of("fanout no column", _BASE + "urd.build('dataset_fanout', source=a)")
FANOUT_EMPTY_VALUE = failing_build_of(
    "fanout empty value", "a = urd.build('mkds', data=[[['', 1]], [], []], "
                          "columns=[['k', 'ascii'], ['n', 'int32']])\n"
                          "urd.build('dataset_fanout', source=a, column='k')")


def test_fanout_mistakes_are_one_clear_line(built):
    err = built.error(FANOUT_TYPES_DIFFER)
    assert "dataset_fanout" in err and "'n'" in err and "int32" in err and "unicode" in err
    err = built.error(FANOUT_NO_SUCH_COLUMN)
    assert "dataset_fanout: column: dataset" in err and "has no column 'nope'" in err
    err = built.error(FANOUT_NOTHING_LEFT)
    assert "no column in common" in err
    err = built.error(FANOUT_NO_COLUMN)
    assert "'column'" in err
    # The Accelerator names a dataset '' for the value ''; accel has no dataset named ''
    # (Dataset('JOB/') is JOB's default), so it says which value cannot be a name.
    err = built.error(FANOUT_EMPTY_VALUE)
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


URR_LINES = [[6, 2, 0, 3], [1, 0, 0, 5], [0, 0, 0, 0], [4, 4, 4, 4]]


def urr_order_data(lines: list[int]) -> list[list]:
    return urr_data(lines, lambda s, i: None if i % 3 else s)


for _lines in URR_LINES:
    build_of(f"unroundrobin {_lines}", f"""
        src = urd.build('mkds', data={urr_order_data(_lines)!r}, columns={URR_COLS!r},
                        caption='the source')
        first = urd.build('dataset_unroundrobin', source=src)
        out = dict(first=first,
                   chained=urd.build('dataset_unroundrobin', source=src, previous=first))
    """, slices=4)


@pytest.mark.parametrize("lines", URR_LINES)
def test_unroundrobin_gives_the_round_robin_order_slice_after_slice(built, lines):
    project, got = built.jobs(f"unroundrobin {lines}")
    data = urr_order_data(lines)
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


URR_TRIGGERS = [
    ([9, 2, 3, 1], lambda s, i: i // 4 if s == 0 else (2 if s < 3 else 7)),
    ([9, 2, 3, 0], lambda s, i: 5),                     # one value: all in slice 0
    ([3, 3, 3, 3], lambda s, i: i),                     # all differ: nothing moves
    ([5, 1, 4, 2], lambda s, i: None if i % 2 else 1),  # None is a value like any
    ([2, 0, 6, 2], lambda s, i: s % 2),
]
for _n, (_lines, _trigger) in enumerate(URR_TRIGGERS):
    build_of(f"unroundrobin trigger {_n}", f"""
        src = urd.build('mkds', data={urr_data(_lines, _trigger)!r}, columns={URR_COLS!r})
        out = dict(u=urd.build('dataset_unroundrobin', source=src, trigger_column='t'))
    """, slices=4)


@pytest.mark.parametrize("lines, trigger", URR_TRIGGERS)
def test_unroundrobin_trigger_column_keeps_runs_of_a_value_together(built, lines, trigger):
    project, got = built.jobs(f"unroundrobin trigger {URR_TRIGGERS.index((lines, trigger))}")
    data = urr_data(lines, trigger)
    ds = project.job(got["u"]).dataset()
    order = round_robin([as_written(URR_COLS, d) for d in data])
    cuts = trigger_cuts(lines, [r[2] for r in order])
    assert [list(ds.iterate(s)) for s in range(4)] == \
        [order[cuts[s]:cuts[s + 1]] for s in range(4)]
    assert sum(ds.lines) == sum(lines)


URR_NO_SUCH_TRIGGER = failing_build_of(
    "unroundrobin no such trigger",
    "a = urd.build('mkds', data=[[['x']], [], []], columns=[['k', 'ascii']])\n"
    "urd.build('dataset_unroundrobin', source=a, trigger_column='zz')")
URR_NO_SOURCE = failing_build_of("unroundrobin no source", "urd.build('dataset_unroundrobin')")


def test_unroundrobin_mistakes_are_one_clear_line(built):
    err = built.error(URR_NO_SUCH_TRIGGER)
    assert "dataset_unroundrobin: trigger_column: dataset" in err and "has no column 'zz'" in err
    err = built.error(URR_NO_SOURCE)
    assert "dataset_unroundrobin" in err and "source" in err
