"""Writing methods: how prepare/analysis/synthesis are called, what they get, what is kept;
and every way a build can ask for something a method cannot do, caught before it runs.

Everything goes through `ax run` in a throwaway project, or through the Python API
(`accel.builder.Builder`, `accel.urd.Urd`) where a test says so.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
from conftest import Project, assert_failed_cleanly, ax_run, printed, script

# --- helpers ---------------------------------------------------------------------------


def clean_one_line_error(p) -> str:
    """A user's mistake: exit status != 0, no traceback, one line on stderr; that line."""
    assert_failed_cleanly(p)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{p.stderr}"
    return lines[0]


# --- how the parts are called ----------------------------------------------------------

ARGS_METHOD = """
    import os

    options = dict(word='hello', n=2)
    datasets = ('source',)
    jobs = ('other',)

    def prepare(options, job, slices, jobs, datasets):
        return dict(job=str(job), type=type(job).__name__, slices=slices, word=options.word,
                    n=options['n'], other=jobs.other, has_source='source' in datasets,
                    source=datasets.source, pid=os.getpid())

    def analysis(sliceno, prepare_res, slices, job):
        # the module globals are set too, for methods that don't take them as arguments
        return dict(sliceno=sliceno, slices=slices, job=str(job), word=options.word,
                    other=jobs.other, source=datasets.source, got_prepare=prepare_res['word'])

    def synthesis(jobs, analysis_res, datasets, prepare_res, options, slices, job):
        return dict(prepare=prepare_res, analysis=list(analysis_res), word=options.word,
                    slices=slices, job=str(job), other=jobs.other)
"""


def test_parts_get_arguments_by_parameter_name_and_module_globals(project):
    project.method("first", "def synthesis():\n    return 1\n")
    project.method("args", ARGS_METHOD)
    script(project, """
        def main(urd):
            first = urd.build('first')
            job = urd.build('args', word='hi', other=first)
            print('RESULT', json.dumps(job))
    """)
    jobid = printed(ax_run(project))
    assert jobid == "dev-2"
    res = project.job(jobid).load()
    prep = res["prepare"]
    assert {k: prep[k] for k in ("job", "slices", "word", "n", "other", "has_source", "source")} \
        == {"job": "dev-2", "slices": 2, "word": "hi", "n": 2, "other": "dev-1",
            "has_source": True, "source": ""}  # not given: NoDataset, '' as in the Accelerator
    assert prep["type"] in ("CurrentJob", "Job")
    assert res["analysis"] == [
        dict(sliceno=i, slices=2, job="dev-2", word="hi", other="dev-1", source="",
             got_prepare="hi") for i in range(2)]
    assert res["word"] == "hi" and res["slices"] == 2 and res["job"] == "dev-2"
    assert res["other"] == "dev-1"


def test_parts_without_parameters_and_with_defaults(project):
    project.method("plain", """
        options = dict(x=3)

        def prepare():
            return options.x

        def analysis(sliceno, extra='default'):
            return extra

        def synthesis(prepare_res, analysis_res, unused=None):
            return [prepare_res, list(analysis_res), unused]
    """)
    script(project, "def main(urd):\n    print('RESULT', json.dumps(urd.build('plain').load()))\n")
    assert printed(ax_run(project)) == [3, ["default", "default"], None]


def test_a_part_asking_for_an_unknown_argument_fails_saying_so(project):
    project.method("asks", "def synthesis(job, bogus):\n    return 1\n")
    script(project, "def main(urd):\n    urd.build('asks')\n")
    p = project.ax("run")
    assert p.returncode != 0
    assert "bogus" in p.stderr and "synthesis" in p.stderr and "dev-1" in p.stderr


PARALLEL = """
    import os
    import time

    options = dict(sync='')

    def prepare():
        return os.getpid()

    def analysis(sliceno, slices):
        # every slice waits until all slices have started: only parallel slices get through
        open(os.path.join(options.sync, str(sliceno)), 'w').close()
        deadline = time.time() + 20
        while len(os.listdir(options.sync)) < slices and time.time() < deadline:
            time.sleep(0.005)
        return dict(sliceno=sliceno, pid=os.getpid(), all_started=len(os.listdir(options.sync)) >= slices)

    def synthesis(prepare_res, analysis_res):
        return dict(prepare_pid=prepare_res, slices=list(analysis_res), synthesis_pid=os.getpid())
"""


def test_analysis_slices_run_in_parallel_processes(tmp_path):
    project = Project(tmp_path / "p3", slices=3)
    project.method("par", PARALLEL)
    sync = tmp_path / "sync"
    sync.mkdir()
    script(project, f"""
        def main(urd):
            print('RESULT', json.dumps(urd.build('par', sync={str(sync)!r}).load()))
    """)
    res = printed(ax_run(project))
    slices = res["slices"]
    assert [s["sliceno"] for s in slices] == [0, 1, 2]
    assert all(s["all_started"] for s in slices), "slices did not run at the same time"
    pids = [s["pid"] for s in slices]
    assert len(set(pids)) == 3
    assert res["prepare_pid"] not in pids

    # the number of slices comes from the conf, and is part of the job's identity
    project.conf.write_text(project.conf.read_text().replace("slices: 3", "slices: 5"))
    for f in sync.iterdir():
        f.unlink()
    res = printed(ax_run(project))
    assert [s["sliceno"] for s in res["slices"]] == [0, 1, 2, 3, 4]
    assert len({s["pid"] for s in res["slices"]}) == 5
    assert project.job_dirs() == ["dev-1", "dev-2"]
    assert project.job("dev-2").params.slices == 5


MERGE = """
    from collections import Counter, defaultdict

    def analysis(sliceno):
        dd = defaultdict(list)
        dd['k'].append(sliceno)
        return dict(
            total=sliceno + 1,
            fraction=0.5,
            nested={'deep': {'x': sliceno, 'only%d' % sliceno: 1}},
            items=[sliceno],
            uniq={sliceno % 2},
            counts=Counter({'all': 1, 's%d' % sliceno: 1}),
            dd=dd,
        )

    def synthesis(analysis_res):
        in_order = [r['total'] for r in analysis_res]
        return dict(order=in_order, merged=analysis_res.merge_auto())
"""


def test_analysis_res_in_slice_order_and_merge_auto(tmp_path):
    project = Project(tmp_path / "p3", slices=3)
    project.method("merge", MERGE)
    script(project, "def main(urd):\n    print('RESULT', json.dumps(urd.build('merge')))\n")
    jobid = printed(ax_run(project))
    res = project.job(jobid).load()
    assert res["order"] == [1, 2, 3]
    m = res["merged"]
    assert m["total"] == 6
    assert m["fraction"] == 1.5
    assert m["nested"] == {"deep": {"x": 3, "only0": 1, "only1": 1, "only2": 1}}
    assert m["items"] == [0, 1, 2]
    assert m["uniq"] == {0, 1}
    assert isinstance(m["counts"], Counter)
    assert m["counts"] == Counter({"all": 3, "s0": 1, "s1": 1, "s2": 1})
    assert dict(m["dd"]) == {"k": [0, 1, 2]}


def test_result_pickle_from_synthesis_or_prepare(project):
    project.method("only_prepare", "def prepare():\n    return 'from prepare'\n")
    project.method("prepare_analysis", """
        def prepare():
            return 'from prepare'

        def analysis(sliceno, prepare_res):
            return sliceno
    """)
    project.method("both", """
        def prepare():
            return 'from prepare'

        def synthesis(prepare_res):
            return 'from synthesis'
    """)
    project.method("synthesis_none", """
        def prepare():
            return 'from prepare'

        def synthesis():
            return None
    """)
    project.method("only_analysis", "def analysis(sliceno):\n    return sliceno\n")
    script(project, """
        def main(urd):
            out = {}
            for m in ('only_prepare', 'prepare_analysis', 'both', 'synthesis_none', 'only_analysis'):
                j = urd.build(m)
                out[m] = [j.load(default='NO RESULT'), j.files()]
            print('RESULT', json.dumps(out))
    """)
    res = printed(ax_run(project))
    assert res["only_prepare"] == ["from prepare", ["result.pickle"]]
    assert res["prepare_analysis"] == ["from prepare", ["result.pickle"]]
    assert res["both"] == ["from synthesis", ["result.pickle"]]
    assert res["synthesis_none"] == ["NO RESULT", []]
    assert res["only_analysis"] == ["NO RESULT", []]


OUTPUT = """
    import os
    import sys

    def prepare():
        print('prepare to stdout')
        print('prepare to stderr', file=sys.stderr)
        sys.stdout.flush()
        os.write(1, b'prepare raw fd\\n')
        os.system('echo prepare from a child process')

    def analysis(sliceno):
        print('analysis slice', sliceno)
        print('analysis err', sliceno, file=sys.stderr)

    def synthesis():
        print('synthesis line')
        sys.stdout.write('no newline at the end')
"""


def test_output_is_captured_per_part_and_shown_live(project):
    project.method("talk", OUTPUT)
    script(project, "def main(urd):\n    urd.build('talk')\n")
    p = ax_run(project)
    live = p.stdout + p.stderr
    for line in ("[dev-1 prepare] prepare to stdout", "[dev-1 prepare] prepare to stderr",
                 "[dev-1 prepare] prepare raw fd", "[dev-1 prepare] prepare from a child process",
                 "[dev-1 analysis 0] analysis slice 0", "[dev-1 analysis 1] analysis slice 1",
                 "[dev-1 analysis 0] analysis err 0", "[dev-1 analysis 1] analysis err 1",
                 "[dev-1 synthesis] synthesis line",
                 "[dev-1 synthesis] no newline at the end"):
        assert line in live.splitlines(), f"{line!r} not shown live:\n{live}"

    j = project.job("dev-1")
    prep = j.output("prepare")
    for text in ("prepare to stdout", "prepare to stderr", "prepare raw fd",
                 "prepare from a child process"):
        assert text in prep
    assert "analysis" not in prep
    assert "analysis slice 0" in j.output(0) and "analysis err 0" in j.output(0)
    assert "analysis slice 1" not in j.output(0)
    assert "analysis slice 1" in j.output(1)
    assert j.output("synthesis") == "synthesis line\nno newline at the end"
    everything = j.output()
    assert everything.index("prepare to stdout") < everything.index("analysis slice 0") \
        < everything.index("analysis slice 1") < everything.index("synthesis line")

    o = project.ax("job", "dev-1", "-o")
    assert o.returncode == 0, o.stderr
    for text in ("prepare to stdout", "analysis slice 0", "analysis slice 1", "synthesis line"):
        assert text in o.stdout
    o = project.ax("job", "dev-1", "-o", "1")
    assert o.returncode == 0, o.stderr
    assert "analysis slice 1" in o.stdout and "analysis slice 0" not in o.stdout
    o = project.ax("job", "talk", "--output", "prepare")
    assert "prepare to stdout" in o.stdout and "synthesis" not in o.stdout

    # reused: nothing runs, so nothing is shown again
    p = ax_run(project)
    assert "[dev-1" not in p.stdout + p.stderr


def test_a_lot_of_output_is_kept_whole(project):
    project.method("loud", """
        def analysis(sliceno):
            for i in range(20000):
                print('slice %d line %05d' % (sliceno, i))
    """)
    script(project, "def main(urd):\n    urd.build('loud')\n")
    p = ax_run(project, "--quiet")
    j = project.job("dev-1")
    for sliceno in range(2):
        lines = j.output(sliceno).splitlines()
        assert lines == [f"slice {sliceno} line {i:05d}" for i in range(20000)]
    assert "slice 0 line" not in p.stdout


def test_quiet_run_keeps_output_with_the_job(project):
    project.method("talk", OUTPUT)
    script(project, "def main(urd):\n    urd.build('talk')\n")
    p = ax_run(project, "--quiet")
    assert "[dev-1" not in p.stdout + p.stderr
    assert "prepare to stdout" in project.job("dev-1").output("prepare")


# --- bad options -----------------------------------------------------------------------

OPTS_METHOD = """
    from datetime import date, datetime, time, timedelta

    from accel import OptionEnum, OptionString, RequiredOption

    options = dict(
        i=int, i5=5, f=float, f05=0.5, s=str, sx='x', b=bool, bf=False,
        d=date, dt=datetime, td=timedelta,
        e=OptionEnum('a b c'), eb=OptionEnum('a b c').b, ep=OptionEnum('plain pre*'),
        req=RequiredOption(int), ostr=OptionString,
        li=[int], msi={str: int},
    )

    def synthesis():
        return dict(options)
"""

# the arguments that satisfy the required options
REQUIRED = "req=1, ostr='ok'"

# (given arguments, the option the error must name); one ax run per kind of mistake
BAD_IN_AX = [
    ("i='3'", "i"),
    ("f05='1.5'", "f05"),
    ("s=5", "s"),
    ("b=1", "b"),
    ("d='not a date'", "d"),
    ("e='d'", "e"),
    ("ostr='ok'", "req"),  # RequiredOption missing
    ("req=1, ostr=''", "ostr"),  # empty OptionString
    ("li=[1, '2']", "li"),
    ("msi={'a': 'b'}", "msi"),
    ("nosuch=1", "nosuch"),
]

# more of the same, through the Python API (fast: nothing runs)
BAD_IN_API = BAD_IN_AX + [
    ("i=2.5", "i"),
    ("i=True", "i"),
    ("i5='5'", "i5"),
    ("f='x'", "f"),
    ("f05=True", "f05"),
    ("sx=b'x'", "sx"),
    ("sx=7", "sx"),  # (None is None, as in the Accelerator)
    ("bf='yes'", "bf"),
    ("bf=0", "bf"),
    ("d=20230102", "d"),
    ("d=datetime(2023, 1, 2, 3, 4)", "d"),
    ("dt='2023-13-45T00:00:00'", "dt"),
    ("td='soon'", "td"),
    ("eb='B'", "eb"),
    ("ep='other'", "ep"),
    ("req=None, ostr='ok'", "req"),
    ("req='1', ostr='ok'", "req"),
    ("req=1", "ostr"),  # OptionString missing
    ("req=1, ostr=5", "ostr"),
    ("li=5", "li"),
    ("li=[[1]]", "li"),
    ("msi={1: 2}", "msi"),
    ("msi={'a': 1.5}", "msi"),
    ("msi=[('a', 1)]", "msi"),
]


def _call(given: str) -> str:
    """`given` plus the required options unless the case is about them."""
    if "req=" in given or "ostr=" in given:
        return given
    return f"{given}, {REQUIRED}"


@pytest.mark.parametrize(("given", "option"), BAD_IN_AX, ids=[g for g, _ in BAD_IN_AX])
def test_bad_option_fails_ax_run_with_one_clear_line(project, given, option):
    project.method("opts", OPTS_METHOD)
    script(project, f"""
        from datetime import date, datetime

        def main(urd):
            urd.build('opts', {_call(given)})
    """)
    line = clean_one_line_error(project.ax("run"))
    assert "opts" in line, line
    assert f"'{option}'" in line or f" {option} " in line or f"{option}:" in line, line
    assert project.job_dirs() == []


def test_good_options_run_and_are_normalised(project):
    project.method("opts", OPTS_METHOD)
    script(project, f"""
        from datetime import date, datetime, timedelta

        def main(urd):
            j = urd.build('opts', {REQUIRED}, i=3, f=2, d='2023-01-02', dt=datetime(2023, 1, 2, 3, 4),
                          td=timedelta(seconds=90), e='c', ep='prefixed', li=(1, 2), msi={{'a': 1}},
                          b=True)
            j2 = urd.build('opts', {REQUIRED}, i=3, f=2.0, d=date(2023, 1, 2),
                           dt='2023-01-02T03:04:00', td=90, e='c', ep='prefixed', li=[1, 2],
                           msi={{'a': 1}}, b=True, i5=5, eb='b', bf=False)
            print('RESULT', json.dumps([j, j2]))
    """)
    a, b = printed(ax_run(project))
    assert a == b == "dev-1"
    from datetime import date, datetime, timedelta

    opts = project.job(a).load()
    assert opts["i"] == 3 and opts["f"] == 2.0 and isinstance(opts["f"], float)
    assert opts["d"] == date(2023, 1, 2) and opts["dt"] == datetime(2023, 1, 2, 3, 4)
    assert opts["td"] == timedelta(seconds=90)
    assert opts["li"] == [1, 2] and opts["msi"] == {"a": 1}
    assert opts["i5"] == 5 and opts["eb"] == "b" and opts["sx"] == "x"
    assert opts["s"] is None and opts["e"] == "c" and opts["ep"] == "prefixed"


@pytest.mark.parametrize(("given", "option"), BAD_IN_API, ids=[g for g, _ in BAD_IN_API])
def test_bad_option_raises_valueerror_in_the_python_api(project, api, given, option):
    from datetime import date, datetime  # noqa: F401  (used by eval)

    project.method("opts", OPTS_METHOD)
    builder = api()
    kw = eval(f"dict({_call(given)})")
    with pytest.raises(ValueError) as e:
        builder.build("opts", **kw)
    msg = str(e.value)
    assert "\n" not in msg
    assert "opts" in msg and option in msg, msg
    assert project.job_dirs() == []


def test_bad_option_through_urd_in_python(project, api):
    from accel.errors import OptionError
    from accel.urd import Urd

    project.method("opts", OPTS_METHOD)
    urd = Urd(api())
    with pytest.raises(ValueError) as e:
        urd.build("opts", req=1, ostr="ok", i="nope")
    assert isinstance(e.value, OptionError)
    assert "opts" in str(e.value) and "'i'" in str(e.value)
    with pytest.raises(ValueError):
        urd.build("opts", options=dict(req=1), ostr="ok", nosuch=2)
    assert list(urd.joblist) == []
    assert project.job_dirs() == []


# --- bad methods ------------------------------------------------------------------------


def test_unknown_method_lists_close_names(project):
    project.method("count", "def synthesis():\n    return 1\n")
    project.method("counter", "def synthesis():\n    return 2\n")
    project.method("other", "def synthesis():\n    return 3\n")
    script(project, "def main(urd):\n    urd.build('conut')\n")
    line = clean_one_line_error(project.ax("run"))
    assert "conut" in line and "count" in line
    assert "other" not in line
    assert project.job_dirs() == []


def test_unknown_method_in_the_python_api(project, api):
    project.method("count", "def synthesis():\n    return 1\n")
    with pytest.raises(ValueError) as e:
        api().build("coutn")
    assert "coutn" in str(e.value) and "count" in str(e.value)


def test_method_with_a_syntax_error_names_file_and_line(project):
    project.method("fine", "def synthesis():\n    return 1\n")
    project.method("bad", """
        options = dict(x=1)

        def synthesis(:
            return 1
    """)
    script(project, "def main(urd):\n    urd.build('fine')\n    urd.build('bad')\n")
    line = clean_one_line_error(project.ax("run"))
    assert "a_bad.py:4" in line, line
    assert "syntax" in line.lower()


def test_method_that_fails_to_import_names_file_line_and_error(project):
    project.method("bad", """
        import os

        import no_such_module_anywhere

        def synthesis():
            return 1
    """)
    script(project, "def main(urd):\n    urd.build('bad')\n")
    line = clean_one_line_error(project.ax("run"))
    assert "a_bad.py:4" in line, line
    assert "no_such_module_anywhere" in line


def test_method_without_any_part_is_an_error(project):
    project.method("empty", "options = dict(x=1)\n")
    script(project, "def main(urd):\n    urd.build('empty')\n")
    line = clean_one_line_error(project.ax("run"))
    assert "empty" in line and "synthesis" in line


def test_same_method_in_two_packages_names_both_files(project):
    more = project.root / "more"
    more.mkdir()
    (more / "__init__.py").write_text("")
    (more / "a_dup.py").write_text("def synthesis():\n    return 'more'\n")
    project.method("dup", "def synthesis():\n    return 'methods'\n")
    project.conf.write_text(project.conf.read_text().replace(
        "method packages:\n    ./methods\n", "method packages:\n    ./methods\n    ./more\n"))
    script(project, "def main(urd):\n    urd.build('dup')\n")
    line = clean_one_line_error(project.ax("run"))
    assert "dup" in line
    assert str(more / "a_dup.py") in line
    assert str(project.methods / "a_dup.py") in line
    assert project.job_dirs() == []


def test_methods_from_a_second_package_are_found(project):
    more = project.root / "more"
    more.mkdir()
    (more / "__init__.py").write_text("")
    (more / "helper_more.py").write_text("VALUE = 'more helper'\n")
    (more / "a_extra.py").write_text(
        "from . import helper_more\n\ndef synthesis():\n    return helper_more.VALUE\n")
    project.conf.write_text(project.conf.read_text().replace(
        "method packages:\n    ./methods\n", "method packages:\n    ./methods\n    ./more\n"))
    script(project, "def main(urd):\n    print('RESULT', json.dumps(urd.build('extra').load()))\n")
    assert printed(ax_run(project)) == "more helper"


def test_failing_method_shows_its_own_traceback_not_accels(project):
    project.method("boom", """
        def helper(x):
            return 1 / x

        def synthesis():
            return helper(0)
    """)
    script(project, "def main(urd):\n    urd.build('boom')\n")
    p = project.ax("run")
    assert p.returncode != 0
    err = p.stderr
    assert "ZeroDivisionError" in err and "synthesis" in err and "dev-1" in err
    assert "a_boom.py" in err and "return 1 / x" in err
    assert f"accel{os.sep}runner.py" not in err


def test_a_method_whose_name_is_not_ascii_is_an_ordinary_method(project):
    """`a_smörgås.py` is a method like any other: its job is reused, taken as an input,
    named by `ax job smörgås` and `:LIST:smörgås`, and read by gc (not damaged). A file
    whose name is no method name (`a_two words.py`) is refused, saying so."""
    project.method("smörgås", "def synthesis():\n    return 'fika'\n")
    project.method("use", "jobs = ('source',)\n\ndef synthesis(jobs):\n"
                          "    return jobs.source.load() + '!'\n")
    script(project, """
        def main(urd):
            urd.begin('lunch')
            a = urd.build('smörgås')
            b = urd.build('use', source=a)
            urd.finish('lunch')
            print('RESULT', json.dumps([a, b, b.load()]))
    """)
    assert printed(ax_run(project, clean=True)) == ["dev-1", "dev-2", "fika!"]
    assert printed(ax_run(project, clean=True))[:2] == ["dev-1", "dev-2"]  # both reused
    for ref in ("smörgås", ":lunch:smörgås"):
        shown = project.ax("job", ref, "--json", check=True)
        assert json.loads(shown.stdout)["job"] == "dev-1", shown.stdout
    gc = project.ax("gc", "--dry-run", "--json", check=True)
    assert json.loads(gc.stdout)["damaged"] == [], gc.stdout
    # a file name no job could be named after is refused before a job is made
    project.method("two words", "def synthesis():\n    return 1\n")
    script(project, "def main(urd):\n    urd.build('two words')\n", "odd")
    line = clean_one_line_error(project.ax("run", "odd"))
    assert "a_two words.py" in line and "not a method name" in line, line
    assert project.job_dirs() == ["dev-1", "dev-2"]
