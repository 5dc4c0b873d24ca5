"""Building jobs as a user does: a build script in a project, `ax run`, run again, edit, run.

Every test works through `ax run` in a throwaway project (the `project` fixture) and looks at
what a user would see: the output of `ax run`, the job directories, and the jobs themselves
through `accel.Job`.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
import textwrap

import pytest
from conftest import Project, ax_run, ax_run_fails, no_traceback, printed, script
from readme_blocks import blocks_of

from accel.job import Job

COUNT = """
    options = dict(n=1, label='x', scale=1.0)

    def synthesis():
        return options.n * 10
"""

BUILD_COUNT = """
    def main(urd):
        job = urd.build('count')
        print('RESULT', json.dumps({'job': job, 'value': job.load()}))
"""


# --- reuse and identity ----------------------------------------------------------------


def test_new_job_runs_and_second_run_reuses_it(project):
    project.method("count", COUNT)
    script(project, BUILD_COUNT)
    p1 = ax_run(project)
    first = printed(p1)
    assert first == {"job": "dev-1", "value": 10}
    assert re.search(r"^dev-1\s+count\s+new$", p1.stdout, re.M), p1.stdout
    assert "1 new, 0 reused" in p1.stdout

    p2 = ax_run(project)
    assert printed(p2) == first
    assert re.search(r"^dev-1\s+count\s+reused$", p2.stdout, re.M), p2.stdout
    assert "0 new, 1 reused" in p2.stdout
    assert project.job_dirs() == ["dev-1"]


def test_changing_an_option_builds_a_new_job_and_changing_back_reuses(project):
    project.method("count", COUNT)
    build = """
        def main(urd):
            job = urd.build('count', n=%d)
            print('RESULT', json.dumps([job, job.load()]))
    """
    script(project, build % 1)
    assert printed(ax_run(project)) == ["dev-1", 10]
    script(project, build % 2)
    assert printed(ax_run(project)) == ["dev-2", 20]
    script(project, build % 1)
    assert printed(ax_run(project)) == ["dev-1", 10]
    assert project.job_dirs() == ["dev-1", "dev-2"]


def test_passing_defaults_explicitly_gives_the_same_job(project):
    project.method("count", COUNT)
    script(project, """
        def main(urd):
            a = urd.build('count')
            b = urd.build('count', n=1)
            c = urd.build('count', options=dict(n=1, label='x'))
            d = urd.build('count', n=1, label='x', scale=1)  # an int where a float is declared
            e = urd.build('count', options={'scale': 1.0}, label='x')
            print('RESULT', json.dumps([str(j) for j in (a, b, c, d, e)]))
    """)
    assert printed(ax_run(project)) == ["dev-1"] * 5
    assert project.job_dirs() == ["dev-1"]
    assert project.job("dev-1").params.options == {"n": 1, "label": "x", "scale": 1.0}


def test_force_build_makes_a_new_job(project):
    project.method("count", COUNT)
    script(project, """
        def main(urd):
            a = urd.build('count')
            b = urd.build('count', force_build=True)
            print('RESULT', json.dumps([a, b]))
    """)
    a, b = printed(ax_run(project))
    assert a != b
    assert project.job_dirs() == ["dev-1", "dev-2"]
    assert project.job(a).load() == project.job(b).load() == 10
    a2, b2 = printed(ax_run(project))
    assert a2 in (a, b)
    assert b2 not in (a, b)  # force_build always runs a new job
    assert len(project.job_dirs()) == 3


# --- what the source hash covers ---------------------------------------------------------


def test_editing_the_method_file_rebuilds(project):
    project.method("count", COUNT)
    script(project, BUILD_COUNT)
    assert printed(ax_run(project)) == {"job": "dev-1", "value": 10}
    project.method("count", COUNT.replace("options.n * 10", "options.n * 100"))
    assert printed(ax_run(project)) == {"job": "dev-2", "value": 100}
    # a comment is an edit too: the Accelerator way, no guessing what matters
    project.method("count", textwrap.dedent(COUNT).replace("options.n * 10", "options.n * 100") + "# note\n")
    assert printed(ax_run(project))["job"] == "dev-3"
    assert printed(ax_run(project))["job"] == "dev-3"


HELPER_CASES = {
    "relative": ("methods/helper.py", "from . import helper", "helper"),
    "plain": ("methods/helper.py", "import helper", "helper"),
    "project": ("mylib.py", "import mylib", "mylib"),
    "project-package": ("mypkg/sub.py", "from mypkg.sub import VALUE as value", None),
    "inside-a-function": ("methods/helper.py", "", "helper"),
}


@pytest.mark.parametrize("case", list(HELPER_CASES))
def test_editing_an_imported_helper_module_rebuilds(project, case):
    relpath, import_line, modname = HELPER_CASES[case]
    if case == "project-package":
        project.file("mypkg/__init__.py", "")
    project.file(relpath, "VALUE = 1\n")
    expr = f"{modname}.VALUE" if modname else "value"
    if case == "inside-a-function":
        project.method("uses", """
            def synthesis():
                import helper  # imported where it is used: still a dependency
                return helper.VALUE
        """)
    else:
        project.method("uses", f"""
            {import_line}

            def synthesis():
                return {expr}
        """)
    script(project, """
        def main(urd):
            job = urd.build('uses')
            print('RESULT', json.dumps([job, job.load()]))
    """)
    assert printed(ax_run(project)) == ["dev-1", 1]
    project.file(relpath, "VALUE = 2\n")
    assert printed(ax_run(project)) == ["dev-2", 2]  # rebuilt, and with the new code
    assert printed(ax_run(project)) == ["dev-2", 2]


def test_a_method_edited_while_the_build_goes_on_runs_as_its_hash_says(project):
    """The method file, then a helper it imports, edited between two builds of one
    `ax run`: each job runs the code its source hash records (it ran the code loaded
    first), so a later run reuses it rightly; a runner given a job whose method was
    edited after it was planned refuses to run other code than it records."""
    project.file("mylib.py", "H = 'h1'\n")
    project.method("ed", """
        import mylib

        options = dict(x=0)

        def synthesis():
            return ['v1', mylib.H, options.x]
    """)
    script(project, """
        from pathlib import Path

        def edit(name, old, new):
            path = Path(name)
            path.write_text(path.read_text().replace(old, new))  # the same size

        def main(urd):
            a = urd.build('ed', x=1)
            edit('methods/a_ed.py', "'v1'", "'v2'")
            b = urd.build('ed', x=2)
            edit('mylib.py', "'h1'", "'h2'")
            c = urd.build('ed', x=3)
            print('RESULT', json.dumps([[j, j.load()] for j in (a, b, c)]))
    """)
    (a, ran_a), (b, ran_b), (c, ran_c) = printed(ax_run(project, clean=True))
    assert [ran_a, ran_b, ran_c] == [["v1", "h1", 1], ["v2", "h1", 2], ["v2", "h2", 3]]
    script(project, """
        def main(urd):
            c = urd.build('ed', x=3)
            print('RESULT', json.dumps([c, c.load()]))
    """, "again")
    assert printed(ax_run(project, "again")) == [c, ["v2", "h2", 3]]  # reused
    setup = json.loads((project.root / "workdirs/dev" / c / "setup.json").read_text())
    copy = project.root / "workdirs/dev/dev-9"
    copy.mkdir()
    (copy / "setup.json").write_text(json.dumps(dict(setup, jobid="dev-9")))
    project.method("ed", "options = dict(x=0)\n\ndef synthesis():\n    return 'v3'\n")
    subprocess.run([sys.executable, "-m", "accel.runner", str(copy)], cwd=project.root,
                   capture_output=True, timeout=60)
    error = json.loads((copy / "post.json").read_text())["error"]
    assert "was edited after this job was planned" in error["message"], error


def test_helpers_edited_to_the_same_size_within_their_second_run_their_new_code(project):
    """A .pyc of a helper's old source (what any Python that imported it leaves where it
    may) looks current to Python when an edit keeps the file's size and its mtime's
    second: the job built for the new source must still run the new source, a project
    module and a module of the method folder alike."""
    import py_compile

    files = [project.file("mylib.py", "A = 1\n"), project.file("methods/helper.py", "B = 1\n")]
    project.method("uses", """
        import mylib

        from . import helper

        def synthesis():
            return [mylib.A, helper.B]
    """)
    script(project, """
        def main(urd):
            job = urd.build('uses')
            print('RESULT', json.dumps([job, job.load()]))
    """)
    for path in files:
        py_compile.compile(str(path), doraise=True)
    assert printed(ax_run(project)) == ["dev-1", [1, 1]]
    for path in files:
        st = path.stat()
        path.write_text(path.read_text().replace("1", "2"))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert printed(ax_run(project)) == ["dev-2", [2, 2]]


def test_accel_itself_is_not_a_project_module_where_a_project_holds_it():
    """accel's own repository is a project (its example pipeline): accel's modules there
    are accel's, imported as Python always does (from their cached bytecode), not compiled
    afresh in every process as the project's helpers are."""
    import accel

    repo = os.path.dirname(os.path.dirname(accel.__file__))
    code = textwrap.dedent(f"""
        from pathlib import Path
        from accel.methods import run_from_source
        run_from_source([Path({repo!r})])
        import accel.dataset.storage as m
        print(type(m.__loader__).__name__)
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=repo, check=True)
    assert p.stdout.split() == ["SourceFileLoader"]


def test_helper_modules_count_transitively(project):
    project.file("mylib.py", "from deeper import VALUE\n")
    project.file("deeper.py", "VALUE = 'a'\n")
    project.method("uses", """
        import mylib

        def synthesis():
            return mylib.VALUE
    """)
    script(project, """
        def main(urd):
            job = urd.build('uses')
            print('RESULT', json.dumps([job, job.load()]))
    """)
    assert printed(ax_run(project)) == ["dev-1", "a"]
    project.file("deeper.py", "VALUE = 'b'\n")
    assert printed(ax_run(project)) == ["dev-2", "b"]


def test_editing_unrelated_files_does_not_rebuild(project):
    project.file("methods/helper.py", "VALUE = 1\n")
    project.method("uses", """
        from . import helper

        def synthesis():
            return helper.VALUE
    """)
    project.method("other", "def synthesis():\n    return 0\n")
    project.file("methods/unused.py", "X = 1\n")
    project.file("notes.txt", "hello\n")
    project.file("unusedlib.py", "X = 1\n")
    script(project, """
        def main(urd):
            job = urd.build('uses')
            print('RESULT', json.dumps([job, job.load()]))
    """)
    assert printed(ax_run(project)) == ["dev-1", 1]
    project.method("other", "def synthesis():\n    return 1\n")
    project.file("methods/unused.py", "X = 2\n")
    project.file("notes.txt", "changed\n")
    project.file("unusedlib.py", "X = 2\n")
    project.file("methods/brand_new.py", "Y = 1\n")
    p = ax_run(project)
    assert printed(p) == ["dev-1", 1]
    assert "0 new, 1 reused" in p.stdout
    assert project.job_dirs() == ["dev-1"]


def test_depend_extra_file_edit_rebuilds(project):
    project.file("methods/words.txt", "alpha\n")
    project.method("reads", """
        import os

        depend_extra = ('words.txt',)

        def synthesis():
            with open(os.path.join(os.path.dirname(__file__), 'words.txt')) as f:
                return f.read().strip()
    """)
    script(project, """
        def main(urd):
            job = urd.build('reads')
            print('RESULT', json.dumps([job, job.load()]))
    """)
    assert printed(ax_run(project)) == ["dev-1", "alpha"]
    assert printed(ax_run(project)) == ["dev-1", "alpha"]
    project.file("methods/words.txt", "beta\n")
    assert printed(ax_run(project)) == ["dev-2", "beta"]


def test_depend_extra_missing_file_is_a_clean_error(project):
    project.method("reads", """
        depend_extra = ('nowhere.txt',)

        def synthesis():
            return 1
    """)
    script(project, "def main(urd):\n    urd.build('reads')\n")
    p = ax_run_fails(project)
    assert "nowhere.txt" in p.stderr
    assert "reads" in p.stderr
    assert project.job_dirs() == []


# --- equivalent_hashes --------------------------------------------------------------------

EQ_V1 = """
    options = dict(n=3)

    def synthesis():
        return options.n + 1
"""

# the same method, edited cosmetically, with a declaration (placeholders filled in below)
EQ_V2 = """
    options = dict(n=3)

    equivalent_hashes = {'CURRENT': ('OLD',)}


    def synthesis():
        # a cosmetic edit: same result as before
        return options.n + 1
"""


def test_equivalent_hashes_reuses_the_old_job_and_a_stale_one_rebuilds(project, api):
    old = built_eq(project)
    assert re.fullmatch(r"[0-9a-f]{16,}", old)

    # The declaration itself is not part of the hash it names, so the current hash can be
    # computed with a placeholder and the placeholder then replaced.
    project.method("eq", EQ_V2.replace("OLD", old))
    builder = api()
    current, _files = builder.planner.source(builder.methods.get("eq"))
    assert current != old
    project.method("eq", EQ_V2.replace("OLD", old).replace("CURRENT", current))
    builder = api()
    assert builder.planner.source(builder.methods.get("eq"))[0] == current

    p = ax_run(project)
    assert printed(p) == ["dev-1", 4]
    assert "0 new, 1 reused" in p.stdout
    assert "no longer applies" not in p.stderr
    assert project.job_dirs() == ["dev-1"]
    assert printed(ax_run(project)) == ["dev-1", 4]

    # Another edit: the declaration names a hash that is no longer the current one.
    project.method("eq", EQ_V2.replace("OLD", old).replace("CURRENT", current)
                   .replace("return options.n + 1", "return options.n + 2"))
    p = ax_run(project)
    assert printed(p) == ["dev-2", 5]
    assert "equivalent_hashes" in p.stderr
    assert current in p.stderr  # the note says which hash the declaration names
    assert project.job_dirs() == ["dev-1", "dev-2"]


def test_equivalent_hashes_with_a_string_value(project, api):
    project.method("eq", EQ_V1)
    script(project, "def main(urd):\n    print('RESULT', json.dumps(urd.build('eq')))\n")
    assert printed(ax_run(project)) == "dev-1"
    old = project.job("dev-1").params.source_hash
    v2 = EQ_V2.replace("('OLD',)", f"'{old}'              ")  # same lines, a plain str
    project.method("eq", v2)
    builder = api()
    current = builder.planner.source(builder.methods.get("eq"))[0]
    project.method("eq", v2.replace("CURRENT", current))
    assert printed(ax_run(project)) == "dev-1"


def test_equivalent_hashes_in_a_method_file_linked_from_outside_the_project(project, api):
    """A method file may be a link to a file outside the project (named <method>/NAME in
    the source hash): its declaration is left out of its hash all the same."""
    shared = "../shared/a_eq.py"  # outside the project folder, so outside every root
    project.file(shared, EQ_V1)
    (project.methods / "a_eq.py").symlink_to(project.root / shared)
    script(project, "def main(urd):\n    print('RESULT', json.dumps(urd.build('eq')))\n")
    assert printed(ax_run(project)) == "dev-1"
    old = project.job("dev-1").params.source_hash
    project.file(shared, EQ_V2.replace("OLD", old))
    builder = api()
    current = builder.planner.source(builder.methods.get("eq"))[0]
    project.file(shared, EQ_V2.replace("OLD", old).replace("CURRENT", current))
    p = ax_run(project, clean=True)
    assert printed(p) == "dev-1"
    assert "0 new, 1 reused" in p.stdout


EQ_COSMETIC = """
    options = dict(n=3)

    def synthesis():
        # a cosmetic edit: same result as before
        return options.n + 1
"""

def readme_declaration(new: str, old: str) -> str:
    """The README's `equivalent_hashes = {"<new source hash>": ...}` line, filled in as
    its text says."""
    (block,) = blocks_of(test_equivalent_hashes_as_the_readme_says)
    (line,) = block.text.splitlines()
    assert '"<new source hash>"' in line and '("<old source hash>", ...)' in line, line
    return line.replace("<new source hash>", new).replace('"<old source hash>", ...',
                                                           f'"{old}",')


def built_eq(project: Project) -> str:
    """EQ_V1 built once (dev-1): its source hash, as the job's params tell it."""
    project.method("eq", EQ_V1)
    script(project, """
        def main(urd):
            job = urd.build('eq')
            print('RESULT', json.dumps([job, job.load()]))
    """)
    assert printed(ax_run(project)) == ["dev-1", 4]
    return project.job("dev-1").params.source_hash


def source_hash_of(project: Project, method: str) -> str:
    p = project.ax("method", method, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["source_hash"]


# where a user may put the statement: after the options with a blank line, at the end
# after a blank line with a comment, at the very top
PLACES = {
    "after the options": lambda src, line: src.replace("options = dict(n=3)\n",
                                                       f"options = dict(n=3)\n\n{line}\n"),
    "at the end": lambda src, line: src + f"\n\n# cosmetic edit, same results\n{line}\n",
    "at the top": lambda src, line: f"{line}\n" + src,
}


@pytest.mark.parametrize("place", PLACES)
def test_equivalent_hashes_as_the_readme_says(project, place):
    """Issue 14, surprise 5: the README's steps, followed literally, reuse the old job."""
    old = built_eq(project)  # "the old job's params.source_hash"
    path = project.method("eq", EQ_COSMETIC)  # the edit
    new = source_hash_of(project, "eq")  # "`ax method NAME` ... tells the new source hash"
    assert new != old and new in project.ax("method", "eq").stdout
    source = textwrap.dedent(EQ_COSMETIC)
    path.write_text(PLACES[place](source, readme_declaration(new, old)))
    assert source_hash_of(project, "eq") == new  # adding it did not change the hash it names
    p = ax_run(project)
    assert printed(p) == ["dev-1", 4], p.stdout
    assert "0 new, 1 reused" in p.stdout and "no longer applies" not in p.stderr
    assert project.job_dirs() == ["dev-1"]
    assert f"reuses jobs of source {old}" in project.ax("method", "eq").stdout


def test_ax_method_and_ax_why_print_the_line_to_paste(project):
    old = built_eq(project)
    path = project.method("eq", EQ_COSMETIC)
    new = source_hash_of(project, "eq")
    line = f'equivalent_hashes = {{"{new}": ("{old}",)}}'
    why = project.ax("why", "eq")
    assert why.returncode == 0, why.stderr
    assert "add this line to methods/a_eq.py to reuse its jobs:" in why.stdout, why.stdout
    assert f"  {line}\n" in why.stdout + "\n"
    shown = project.ax("method", "eq").stdout
    assert "since dev-1" in shown and line in shown, shown

    # pasted after the options, with a comment: the old job is reused
    path.write_text(textwrap.dedent(EQ_COSMETIC).replace(
        "options = dict(n=3)\n", f"options = dict(n=3)\n# only a comment changed\n{line}\n"))
    assert printed(ax_run(project)) == ["dev-1", 4]
    assert "add this line" not in project.ax("method", "eq").stdout  # nothing left to declare
    assert "would reuse dev-1" in project.ax("why", "eq").stdout

    # a real edit later: the declaration stops applying, and the note says where to look
    path.write_text(path.read_text().replace("return options.n + 1", "return options.n + 2"))
    p = ax_run(project)
    assert printed(p) == ["dev-2", 5]
    assert "no longer applies" in p.stderr and "ax method eq" in p.stderr


def test_equivalent_hashes_never_hide_code_on_the_same_line(project, api):
    """Taking the statement out may take blank and comment lines with it, never code."""
    v1 = """
        STEP = 1
        options = dict(n=3)

        def synthesis():
            return options.n + STEP
    """
    project.method("eq", v1)
    script(project, "def main(urd):\n    print('RESULT', json.dumps(urd.build('eq').load()))\n")
    assert printed(ax_run(project)) == 4
    old = project.job("dev-1").params.source_hash
    v2 = v1.replace("STEP = 1", "STEP = 1; equivalent_hashes = {'CURRENT': ('OLD',)}")
    project.method("eq", v2.replace("OLD", old))
    builder = api()
    current = builder.planner.source(builder.methods.get("eq"))[0]
    project.method("eq", v2.replace("OLD", old).replace("CURRENT", current))
    assert printed(ax_run(project)) == 4 and project.job_dirs() == ["dev-1"]  # declared the same
    project.method("eq", v2.replace("OLD", old).replace("CURRENT", current)
                   .replace("STEP = 1", "STEP = 2"))
    p = ax_run(project)
    assert printed(p) == 5 and "no longer applies" in p.stderr  # the edit is not hidden


# --- jobs feeding jobs --------------------------------------------------------------------

ACC = """
    options = dict(value=0)
    jobs = ('previous',)

    def synthesis():
        before = jobs.previous.load() if jobs.previous else 0
        return before + options.value
"""

TOTAL = """
    jobs = (['parts'],)

    def synthesis(jobs):
        return [j.load() for j in jobs.parts]
"""


def test_jobs_inputs_single_and_list_and_chain(project):
    project.method("acc", ACC)
    project.method("total", TOTAL)
    script(project, """
        import json

        def main(urd):
            a = urd.build('acc', value=1)
            b = urd.build('acc', value=2, previous=a)
            c = urd.build('acc', value=3, jobs=dict(previous=str(b)))  # a plain id works too
            t = urd.build('total', parts=[a, b, c])
            t2 = urd.build('total', jobs={'parts': [c, b]})
            print('RESULT', json.dumps(dict(
                ids=[a, b, c, t, t2],
                c=c.load(), t=t.load(), t2=t2.load(),
                chain=c.chain(), rev=c.chain(reverse=True), two=c.chain(length=2),
                prev=c.previous, first_prev=a.previous,
                params_jobs=t.params.jobs,
            )))
    """)
    r = printed(ax_run(project))
    assert r["ids"] == ["dev-1", "dev-2", "dev-3", "dev-4", "dev-5"]
    assert r["c"] == 6
    assert r["t"] == [1, 3, 6]
    assert r["t2"] == [6, 3]
    assert r["chain"] == ["dev-3", "dev-2", "dev-1"]
    assert r["rev"] == ["dev-1", "dev-2", "dev-3"]
    assert r["two"] == ["dev-3", "dev-2"]
    assert r["prev"] == "dev-2"
    assert r["first_prev"] is None
    assert r["params_jobs"] == {"parts": ["dev-1", "dev-2", "dev-3"]}

    p = ax_run(project)
    assert printed(p)["ids"] == r["ids"]
    assert "0 new, 5 reused" in p.stdout
    assert len(project.job_dirs()) == 5


def test_input_job_changing_gives_a_new_job(project):
    project.method("acc", ACC)
    build = """
        def main(urd):
            a = urd.build('acc', value=%d)
            b = urd.build('acc', value=10, previous=a)
            print('RESULT', json.dumps([a, b, b.load()]))
    """
    script(project, build % 1)
    assert printed(ax_run(project)) == ["dev-1", "dev-2", 11]
    script(project, build % 2)
    assert printed(ax_run(project)) == ["dev-3", "dev-4", 12]


def test_input_job_that_does_not_exist_is_a_clean_error(project):
    project.method("acc", ACC)
    script(project, "def main(urd):\n    urd.build('acc', previous='dev-99')\n")
    p = ax_run_fails(project)
    assert "dev-99" in p.stderr
    assert "acc" in p.stderr and "previous" in p.stderr
    assert project.job_dirs() == []


def test_input_job_that_failed_is_a_clean_error(project):
    project.method("acc", ACC)
    project.method("boom", "def synthesis():\n    raise ValueError('kaboom')\n")
    script(project, """
        from accel import JobError

        def main(urd):
            try:
                urd.build('boom')
            except JobError as e:
                print('FAILED', e.job)
                failed = e.job
            urd.build('acc', previous=failed)
    """)
    p = project.ax("run")
    assert p.returncode != 0
    assert "FAILED dev-1" in p.stdout
    last = p.stderr.strip().splitlines()[-1]
    assert "dev-1" in last and "failed" in last and "previous" in last, p.stderr
    assert project.job_dirs() == ["dev-1"]


def test_a_failing_job_raises_joberror_naming_job_method_part(project):
    project.method("boom", """
        def prepare():
            return 1

        def analysis(sliceno):
            if sliceno == 1:
                raise ValueError('kaboom in slice')
    """)
    script(project, "def main(urd):\n    urd.build('boom')\n")
    p = project.ax("run")
    assert p.returncode != 0
    err = p.stderr
    assert "dev-1" in err and "boom" in err and "analysis slice 1" in err
    assert "ValueError" in err and "kaboom in slice" in err
    assert "ax job dev-1 -o" in err
    assert project.job("dev-1").status == "failed"
    # a failed job is never reused
    p = project.ax("run")
    assert p.returncode != 0
    assert "dev-2" in p.stderr
    assert project.job_dirs() == ["dev-1", "dev-2"]


# --- urd.joblist --------------------------------------------------------------------------


def test_urd_joblist_index_get_and_pretty(project):
    project.method("count", COUNT)
    project.method("other", "def synthesis():\n    return 'o'\n")
    script(project, """
        import json

        def main(urd):
            urd.build('count', n=1)
            urd.build('other')
            urd.build('count', n=2)
            urd.build('count', n=1)  # the same job again: reused within this run
            jl = urd.joblist
            print('RESULT', json.dumps(dict(
                n=len(jl), first=jl[0], last=jl[-1], all=list(jl),
                get=jl.get('count'), get_other=jl.get('other'), missing=jl.get('nope'),
                method=jl[1].method,
            )))
            print('PRETTY')
            print(jl.pretty)
            print('END')
    """)
    p = ax_run(project)
    r = printed(p)
    assert r == {"n": 4, "first": "dev-1", "last": "dev-1",
                 "all": ["dev-1", "dev-2", "dev-3", "dev-1"],
                 "get": "dev-1", "get_other": "dev-2", "missing": None, "method": "other"}
    # the summary counts each job once, as new if this run made it
    assert "4 jobs (3 new, 1 reused)" in p.stdout, p.stdout
    pretty = p.stdout.split("PRETTY\n", 1)[1].split("END\n", 1)[0].splitlines()
    rows = [line.split() for line in pretty[1:]]
    assert rows == [["dev-1", "count", "new"], ["dev-2", "other", "new"],
                    ["dev-3", "count", "new"], ["dev-1", "count", "reused"]]

    p = ax_run(project)
    pretty = p.stdout.split("PRETTY\n", 1)[1].split("END\n", 1)[0].splitlines()
    assert [line.split()[-1] for line in pretty[1:]] == ["reused"] * 4


# --- urd lists ------------------------------------------------------------------------------


def test_urd_lists_from_build_scripts(project):
    project.method("count", COUNT)
    project.method("other", "def synthesis():\n    return 'o'\n")
    script(project, """
        import json

        def main(urd):
            for n, ts in ((1, '2023-01-01'), (2, '2023-01-02'), (3, '2023-01-03')):
                urd.begin('things', ts, caption='run %d' % n)
                urd.build('other')
                urd.build('count', n=n)
                urd.finish('things')
            urd.begin('things', '2023-01-04')
            urd.build('count', n=4)
            urd.abort('things')  # not recorded

            urd.begin('derived', 1)
            dep = urd.latest('things')  # recorded as a dependency of 'derived'
            urd.build('count', n=5)
            urd.finish('derived')

            out = {}
            latest = urd.latest('things')
            out['latest'] = [latest.timestamp, latest.caption, latest.joblist.as_tuples,
                             latest.joblist.get('count'), latest.joblist.get('other')]
            out['user_build'] = [bool(latest.user), latest.build]
            first = urd.first('things')
            out['first'] = [first.timestamp, first.joblist.get('count')]
            out['get'] = urd.get('things', '2023-01-02').joblist.get('count')
            out['peek'] = urd.peek('things', '2023-01-02').joblist.get('count')
            out['peek_latest'] = urd.peek_latest('things').timestamp
            out['get_missing'] = [bool(urd.get('things', '2023-01-04')), urd.get('things', '2023-01-04').joblist.jobs]
            out['since'] = urd.since('things', '2023-01-01')
            out['list'] = urd.list()
            d = urd.latest('derived')
            out['derived'] = [d.timestamp, d.deps, d.joblist.as_tuples]
            out['dep'] = dep.timestamp
            out['truncated'] = urd.truncate('things', '2023-01-03')
            out['after_truncate'] = urd.latest('things').timestamp
            print('RESULT', json.dumps(out, default=str))
    """)
    r = printed(ax_run(project))
    # jobs: other=dev-1, count n=1..3 = dev-2..4, n=4 dev-5, n=5 dev-6
    assert r["latest"] == ["2023-01-03", "run 3", [["other", "dev-1"], ["count", "dev-4"]],
                           "dev-4", "dev-1"]
    assert r["user_build"][0] is True
    assert r["user_build"][1].endswith("build.py")
    assert r["first"] == ["2023-01-01", "dev-2"]
    assert r["get"] == r["peek"] == "dev-3"
    assert r["peek_latest"] == "2023-01-03"
    assert r["get_missing"] == [False, []]  # an empty entry, as the Accelerator gives
    assert r["since"] == ["2023-01-02", "2023-01-03"]
    assert r["list"] == ["derived", "things"]
    assert r["derived"] == ["1", {"things": {"timestamp": "2023-01-03", "caption": "run 3",
                                             "joblist": ["dev-1", "dev-4"]}},
                            [["count", "dev-6"]]]
    assert r["dep"] == "2023-01-03"
    assert r["truncated"] == {"count": 1, "deps": 0}
    assert r["after_truncate"] == "2023-01-02"

    # :LIST: on the command line: the last job of the latest entry
    p = project.ax("job", ":things:")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0] == "dev-3"
    p = project.ax("job", ":things:other")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0] == "dev-1"
    p = project.ax("job", ":derived:")
    assert p.stdout.split()[0] == "dev-6"
    p = project.ax("job", ":nosuchlist:")
    assert p.returncode == 1 and no_traceback(p)


def test_urd_list_timestamps_only_move_forward(project):
    project.method("count", COUNT)
    script(project, """
        from datetime import date, datetime

        def main(urd):
            urd.begin('l', datetime(2023, 5, 1, 12, 0))
            urd.build('count')
            urd.finish('l')
            urd.begin('l', date(2023, 4, 1))
            urd.build('count')
            try:
                urd.finish('l')
            except ValueError as e:
                print('REFUSED', str(e).splitlines()[0])
            else:
                print('ACCEPTED')
            print('RESULT', '"%s"' % urd.latest('l').timestamp)
    """)
    p = ax_run(project)
    assert "REFUSED" in p.stdout and "ACCEPTED" not in p.stdout
    assert printed(p) == "2023-05-01T12:00:00"


def test_urd_finish_without_begin_is_a_clean_error(project):
    script(project, "def main(urd):\n    urd.finish('nothing')\n")
    p = ax_run_fails(project)
    assert "nothing" in p.stderr


# --- jobs from the outside: Job ------------------------------------------------------------

WRITER = """
    options = dict(text='hello', count=2)

    def prepare(job):
        job.save({'a': 1}, 'data.pickle')
        job.json_save({'b': 2}, 'data.json')
        with job.open('note.txt', 'w') as f:
            f.write(options.text)
        print('prepare says hi')

    def analysis(sliceno, job):
        job.save(sliceno * 100, 'part', sliceno=sliceno)
        print('slice says', sliceno)

    def synthesis():
        print('synthesis done')
        return 'the result'
"""

READER = """
    from accel import JobWithFile

    options = dict(src=JobWithFile, parts=JobWithFile)

    def synthesis():
        return [options.src.load(), options.parts.load(sliceno=0),
                options.parts.load(sliceno=1), str(options.src.job), options.src.name]
"""


def test_job_api_files_params_post_output_and_withfile(project):
    project.method("writer", WRITER)
    project.method("reader", READER)
    script(project, """
        def main(urd):
            w = urd.build('writer', text='hi there')
            r = urd.build('reader', src=w.withfile('data.pickle'),
                          parts=w.withfile('part', sliced=True))
            w.link_result()
            w.link_result('note.txt', 'mynote.txt')
            print('RESULT', json.dumps([w, r]))
    """)
    p = ax_run(project)
    w_id, r_id = printed(p)
    assert (w_id, r_id) == ("dev-1", "dev-2")
    w, r = project.job(w_id), project.job(r_id)

    assert isinstance(w, str) and w == "dev-1"
    assert w.method == "writer" and w.number == 1 and w.workdir == "dev"
    assert w.path == project.root / "workdirs" / "dev" / "dev-1"
    assert w.params.options == {"text": "hi there", "count": 2}
    assert w.params.options.text == "hi there"
    assert w.params.method == "writer"
    assert w.params.slices == 2
    assert re.fullmatch(r"[0-9a-f]+", w.params.hash)
    post = w.post
    assert post.status == "finished"
    for part in ("prepare", "analysis", "synthesis"):
        assert post.parts[part].wall >= 0
    assert len(post.parts.analysis.slices) == 2
    assert all(s.wall >= 0 for s in post.parts.analysis.slices)
    assert post.exectime >= 0

    assert w.files() == ["data.json", "data.pickle", "note.txt", "part.0", "part.1",
                         "result.pickle"]
    assert w.files("part.*") == ["part.0", "part.1"]
    assert w.load() == "the result"
    assert w.load("data.pickle") == {"a": 1}
    assert w.load("part", sliceno=1) == 100
    assert w.json_load("data.json") == {"b": 2}
    assert w.load("nothing", default=None) is None
    with w.open("note.txt") as f:
        assert f.read() == "hi there"

    assert "prepare says hi" in w.output("prepare")
    assert "slice says 0" in w.output(0) and "slice says 1" in w.output(1)
    assert "slice says 1" not in w.output(0)
    assert "synthesis done" in w.output("synthesis")
    everything = w.output()
    assert all(s in everything for s in ("prepare says hi", "slice says 0", "synthesis done"))

    # the reader got the files through JobWithFile options
    assert r.load() == [{"a": 1}, 0, 100, "dev-1", "data.pickle"]
    assert r.params.options.src.job == "dev-1"

    # link_result: symlinks in the result directory
    link = project.root / "results" / "result.pickle"
    assert link.is_symlink()
    assert link.resolve() == (w.path / "result.pickle").resolve()
    with open(link, "rb") as f:
        assert pickle.load(f) == "the result"
    named = project.root / "results" / "mynote.txt"
    assert named.is_symlink() and named.read_text() == "hi there"

    # the whole thing again: nothing new
    p = ax_run(project)
    assert printed(p) == [w_id, r_id]
    assert "0 new, 2 reused" in p.stdout
    assert project.job_dirs() == ["dev-1", "dev-2"]


def test_withfile_naming_another_file_is_another_job(project):
    project.method("writer", WRITER)
    project.method("reader", """
        from accel.job import JobWithFile

        options = dict(src=JobWithFile)

        def synthesis():
            return options.src.load()
    """)
    script(project, """
        def main(urd):
            w = urd.build('writer')
            a = urd.build('reader', src=w.withfile('data.pickle'))
            b = urd.build('reader', src=w.withfile('result.pickle'))
            c = urd.build('reader', src=w.withfile('data.pickle'))
            print('RESULT', json.dumps([a, b, c, b.load()]))
    """)
    assert printed(ax_run(project)) == ["dev-2", "dev-3", "dev-2", "the result"]


def test_job_is_a_str_and_pickles_as_one(project):
    project.method("count", COUNT)
    script(project, BUILD_COUNT)
    ax_run(project)
    j = project.job("dev-1")
    assert isinstance(j, str)
    assert j == "dev-1" and "dev-1" == j
    assert hash(j) == hash("dev-1")
    assert {"dev-1": 1}[j] == 1 and {j: 1}["dev-1"] == 1
    back = pickle.loads(pickle.dumps(j))
    assert back == "dev-1" and isinstance(back, Job)
    assert back.load() == 10
    assert json.dumps([j]) == '["dev-1"]'
    assert f"{j}" == "dev-1" and str(j) == "dev-1"


def test_job_from_build_script_is_a_str(project):
    project.method("count", COUNT)
    script(project, """
        import pickle

        def main(urd):
            job = urd.build('count')
            assert isinstance(job, str) and job == 'dev-1'
            again = pickle.loads(pickle.dumps(job))
            assert again == job and again.load() == 10
            print('RESULT', json.dumps('ok'))
    """)
    assert printed(ax_run(project)) == "ok"


# --- subjobs ----------------------------------------------------------------------------------


def test_subjobs_built_in_synthesis_are_listed_and_reused(project):
    project.method("child", """
        options = dict(n=0)

        def synthesis():
            return options.n * 2
    """)
    project.method("parent", """
        from accel.subjobs import build

        options = dict(n=1)

        def synthesis(job):
            child = build('child', n=options.n)
            return [str(child), child.load() + 1]
    """)
    script(project, """
        def main(urd):
            parent = urd.build('parent', n=5)
            direct = urd.build('child', n=5)  # the same job the parent built
            print('RESULT', json.dumps([parent, parent.load(), parent.post.subjobs, direct]))
    """)
    r = printed(ax_run(project))
    parent, (child, value), subjobs, direct = r
    assert value == 11
    assert subjobs == [child]
    assert direct == child
    assert sorted(project.job_dirs()) == sorted([parent, child])
    assert project.job(child).method == "child"
    # neither ax run's builder nor the one in the parent job left a running-jobs file
    assert list((project.root / "workdirs" / "dev" / ".accel" / "running").iterdir()) == []

    p = ax_run(project)
    assert printed(p) == r
    assert "0 new, 2 reused" in p.stdout
    assert len(project.job_dirs()) == 2


def test_a_failing_subjob_fails_its_parent_naming_both(project):
    project.method("child", "def synthesis():\n    raise RuntimeError('child is broken')\n")
    project.method("parent", """
        from accel.subjobs import build

        def synthesis():
            return build('child').load()
    """)
    script(project, "def main(urd):\n    urd.build('parent')\n")
    p = project.ax("run")
    assert p.returncode != 0
    assert "dev-1" in p.stderr and "dev-2" in p.stderr
    assert "child is broken" in p.stderr and "parent" in p.stderr
    assert project.job("dev-1").status == "failed"
    assert project.job("dev-2").status == "failed"


# --- finding build scripts ---------------------------------------------------------------------


def test_ax_run_name_finds_build_scripts(project):
    project.file("methods/helper.py", "WHO = 'package helper'\n")
    script(project, "def main(urd):\n    print('RESULT', '\"root foo\"')\n", name="foo")
    project.file("methods/build_pkg.py", """
        from .helper import WHO

        def main(urd):
            print('RESULT', '"%s"' % WHO)
    """)
    script(project, "def main(urd):\n    print('RESULT', '\"dashed root\"')\n", name="my-thing")
    project.file("methods/build_pkg-thing.py", """
        from .helper import WHO

        def main(urd):
            print('RESULT', '"dashed %s"' % WHO)
    """)
    script(project, "def main(urd):\n    print('RESULT', '\"root wins\"')\n", name="both")
    project.file("methods/build_both.py", "def main(urd):\n    print('RESULT', '\"pkg\"')\n")
    script(project, "def main(urd):\n    print('RESULT', '\"plain build.py\"')\n")

    assert printed(ax_run(project)) == "plain build.py"
    assert printed(ax_run(project, "foo")) == "root foo"
    assert printed(ax_run(project, "pkg")) == "package helper"
    assert printed(ax_run(project, "my-thing")) == "dashed root"
    assert printed(ax_run(project, "pkg-thing")) == "dashed package helper"
    assert printed(ax_run(project, "both")) == "root wins"
    assert printed(ax_run(project, "build_foo.py")) == "root foo"

    p = ax_run_fails(project, "fooo")
    assert "foo" in p.stderr and "fooo" in p.stderr


def test_ax_run_from_a_subfolder_and_with_config(project, tmp_path):
    project.method("count", COUNT)
    script(project, BUILD_COUNT)
    sub = project.root / "deep" / "er"
    sub.mkdir(parents=True)
    import subprocess

    from conftest import AX

    env = dict(os.environ)
    env.pop("ACCEL_CONFIG", None)
    p = subprocess.run([*AX, "run"], cwd=sub, capture_output=True, text=True, env=env,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert printed(p) == {"job": "dev-1", "value": 10}
    p = subprocess.run([*AX, "--config", str(project.conf), "run"], cwd=tmp_path,
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert printed(p) == {"job": "dev-1", "value": 10}


def test_build_script_without_main_is_a_clean_error(project):
    script(project, "x = 1\n")
    p = ax_run_fails(project)
    assert "main" in p.stderr


def test_accel_build_in_a_build_script_uses_the_run(project):
    project.method("count", COUNT)
    script(project, """
        import accel

        def main(urd):
            a = accel.build('count', n=7)
            b = urd.build('count', n=7)
            print('RESULT', json.dumps([a, b, a.load(), list(urd.joblist)]))
    """)
    assert printed(ax_run(project)) == ["dev-1", "dev-1", 70, ["dev-1", "dev-1"]]



def test_an_exception_in_a_build_script_points_at_the_script_not_at_accel(project):
    script(project, """
        def helper():
            raise ValueError('the build script is wrong')

        def main(urd):
            helper()
    """)
    p = project.ax("run")
    assert p.returncode != 0
    err = p.stderr
    assert "ValueError" in err and "the build script is wrong" in err
    # `import json` is line 1, a blank line 2: the raise is line 4, main's call line 7
    assert "build.py" in err and "line 4, in helper" in err and "line 7, in main" in err
    # the user's own frames, not accel's or click's
    assert f"click{os.sep}core.py" not in err, err
    assert f"accel{os.sep}cli{os.sep}" not in err, err


def test_jobs_in_any_workdir_are_reused(tmp_path):
    project = Project(tmp_path / "two", workdirs=("dev", "other"))
    project.method("count", COUNT)
    script(project, """
        def main(urd):
            a = urd.build('count', n=4, workdir='other')
            b = urd.build('count', n=4)
            c = urd.build('count', n=5)
            print('RESULT', json.dumps([a, b, c, a.load()]))
    """)
    assert printed(ax_run(project)) == ["other-1", "other-1", "dev-1", 40]
    assert project.job_dirs("other") == ["other-1"]
    assert project.job_dirs("dev") == ["dev-1"]
    script(project, "def main(urd):\n    urd.build('count', workdir='nowhere')\n")
    p = ax_run_fails(project)
    assert "nowhere" in p.stderr


def test_results_plain_pickle_cannot_hold_are_saved_with_cloudpickle(project):
    """A lambda, a closure and a defaultdict(lambda: 0) returned by analysis and synthesis
    are kept (issue 12, item 13); what even cloudpickle cannot hold fails in 'saving the
    result', in one line, without accel's frames."""
    project.method("odd", """
        from collections import defaultdict

        def analysis(sliceno):
            d = defaultdict(lambda: 0)
            d[sliceno] += 10
            return d

        def synthesis(analysis_res):
            seen = {k: v for d in analysis_res for k, v in d.items()}
            base = sum(seen.values())
            return dict(add=lambda x: x + base, counts=seen, default=analysis_res[0][99])
    """)
    project.method("lock", """
        import threading

        def synthesis():
            return threading.Lock()
    """)
    project.build("""
        import json

        def main(urd):
            res = urd.build('odd').load()
            print('RESULT', json.dumps(dict(add=res['add'](1), counts=res['counts'],
                                            default=res['default'])))
    """)
    assert printed(ax_run(project)) == {"add": 21, "counts": {"0": 10, "1": 10}, "default": 0}
    project.build("""
        def main(urd):
            urd.build('lock')
    """)
    p = ax_run_fails(project)
    assert "failed in saving the result" in p.stderr and "cannot be pickled" in p.stderr
    assert "runner.py" not in p.stdout + p.stderr and "job.py" not in p.stdout + p.stderr


def test_a_damaged_result_file_is_refused_not_misread(project):
    """post.json records each file's size and checksum; load, json_load, open and a
    JobWithFile check them, so a flipped bit is JobDamaged naming the job and the file,
    never 123457 for 123456 (issue 12, item 5)."""
    project.method("res", """
        def synthesis(job):
            job.json_save({"n": 123456})
            with job.open("notes.txt", "w") as f:
                f.write("hello")
            return 123456
    """)
    project.build("""
        import json

        def main(urd):
            job = urd.build('res')
            out = {}
            for what, read in (("load", lambda: job.load()),
                               ("json_load", lambda: job.json_load()),
                               ("open", lambda: job.open("notes.txt").read()),
                               ("withfile", lambda: job.withfile("result.pickle").load())):
                try:
                    out[what] = read()
                except Exception as e:
                    out[what] = f"{type(e).__name__}: {e}"
            print('RESULT', json.dumps(out))
    """)
    good = printed(ax_run(project))
    assert good == {"load": 123456, "json_load": {"n": 123456}, "open": "hello",
                    "withfile": 123456}
    post = json.loads((project.root / "workdirs" / "dev" / "dev-1" / "post.json").read_text())
    assert set(post["file_sums"]) == {"result.pickle", "result.json", "notes.txt"}
    job_dir = project.root / "workdirs" / "dev" / "dev-1"
    for name in ("result.pickle", "result.json", "notes.txt"):
        data = bytearray((job_dir / name).read_bytes())
        data[-2] ^= 1
        (job_dir / name).write_bytes(bytes(data))
    bad = printed(ax_run(project))
    for what, name in (("load", "result.pickle"), ("json_load", "result.json"),
                       ("open", "notes.txt"), ("withfile", "result.pickle")):
        assert bad[what].startswith(f"JobDamaged: job dev-1: file '{name}' does not match"), bad
