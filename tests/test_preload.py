"""Dataset jobs start with numpy, pyarrow and accel.dataset imported (executors/preload.py):
the builder imports them just before it forks a new job that will likely use datasets, the
Dask fork server when it starts. The jobs must work as before -- after the builder has run
Arrow's thread pool itself, too -- and a run that builds nothing must stay light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest
from conftest import Project, ax_run, printed, setup_of

from accel.executors.preload import likely_uses_datasets

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")
if not hasattr(pytest.importorskip("accel.dataset"), "DatasetWriter"):
    pytest.skip("accel.dataset is not there yet", allow_module_level=True)

HEAVY = ("numpy", "pyarrow", "pandas", "accel.dataset", "dask", "distributed")

PLAIN = """
    import sys

    options = dict(x=0)

    def synthesis():
        # names accel.dataset only in a string: not a dataset method
        return [options.x, "accel.dataset" in sys.modules]
"""

# writes a dataset; runs Arrow's thread pool and a BLAS product in its slices (after two
# forks: builder -> job -> slice); says what its process had imported when prepare began
GEN = """
    import sys

    options = dict(n=int, numbers='')

    def prepare(job):
        loaded = [m for m in ('numpy', 'pyarrow', 'accel.dataset') if m in sys.modules]
        dw = job.datasetwriter(columns={'i': 'int64', 'sq': 'float64'})
        return dict(loaded=loaded, dw=dw)

    def analysis(sliceno, slices, prepare_res):
        import numpy as np
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        lo, hi = options.n * sliceno // slices, options.n * (sliceno + 1) // slices
        for i in range(lo, hi):
            prepare_res['dw'].write_dict({'i': i, 'sq': float(i * i)})
        t = pacsv.read_csv(options.numbers, read_options=pacsv.ReadOptions(
            use_threads=True, block_size=1 << 12))
        product = np.ones((300, 300)) @ np.ones((300, 300))
        return [t.num_rows, pc.sum(t['x']).as_py(), float(product[0, 0])]

    def synthesis(prepare_res, analysis_res):
        return dict(loaded=prepare_res['loaded'], slices=list(analysis_res))
"""

NUMBERS = 20000  # lines of numbers.csv: many blocks of 4 KiB, read by several threads
CSV_LINES = 5000


def make_project(root: Path) -> Project:
    project = Project(root)
    project.method("plain", PLAIN)
    project.method("gen", GEN)
    (project.root / "numbers.csv").write_text(
        "x\n" + "".join(f"{i}\n" for i in range(NUMBERS)))
    (project.root / "data.csv").write_text(
        "a,b,c\n" + "".join(f"{(i * 7919) % CSV_LINES},{i / 4},w{i:05d}\n"
                            for i in range(CSV_LINES)))
    import pyarrow.parquet as pq

    numbers = str(project.root / "numbers.csv")
    pq.write_table(pa.table({"n": [10, 300, 7], "numbers": [numbers] * 3}),
                   project.root / "rows.parquet")
    return project


def heavy_src() -> str:
    return f"import sys\nHEAVY = {HEAVY!r}\n\ndef heavy():\n" \
           "    return [m for m in HEAVY if m in sys.modules]\n"


def test_dataset_jobs_forked_after_the_builder_used_arrow_threads(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    project.build(heavy_src() + textwrap.dedent("""
        import json
        import os


        def main(urd):
            out = dict(start=heavy())
            out['plain'] = urd.build('plain', x=1).load()
            out['after_plain'] = heavy()  # a plain job preloads nothing
            # the builder runs Arrow's thread pool itself, then forks: build_many reads
            # its Parquet rows with pyarrow, and a CSV is read here with threads
            import pyarrow.csv as pacsv
            t = pacsv.read_csv('numbers.csv', read_options=pacsv.ReadOptions(
                use_threads=True, block_size=1 << 12))
            out['builder_rows'] = t.num_rows
            out['builder_threads'] = len(os.listdir('/proc/self/task'))
            gens = urd.build_many('gen', 'rows.parquet', parallel=2)
            out['gens'] = [[str(j), j.load()] for j in gens]
            out['after_gen'] = heavy()
            c = urd.build('csvimport', filename='data.csv')
            t = urd.build('dataset_type', source=c,
                          column2type=dict(a='int64_10', b='float64', c='ascii'))
            s = urd.build('dataset_sort', source=t, sort_columns='a')
            out['datasets'] = dict(csv=str(c), typed=str(t), sorted=str(s))
            out['csv_lines'] = c.load().num_lines
            out['plain2'] = urd.build('plain', x=2).load()  # forked after the preload
            print('RESULT', json.dumps(out))
    """))
    got = printed(ax_run(project, clean=True))
    assert got["start"] == [] and got["plain"] == [1, False] and got["after_plain"] == []
    assert got["builder_rows"] == NUMBERS and got["builder_threads"] > 1
    assert {"numpy", "pyarrow", "accel.dataset"} <= set(got["after_gen"])

    total = NUMBERS * (NUMBERS - 1) // 2
    for (jobid, res), n in zip(got["gens"], (10, 300, 7), strict=True):
        assert setup_of(project, jobid)["options"]["n"] == n
        # the job had them before it imported anything: inherited from the builder
        assert res["loaded"] == ["numpy", "pyarrow", "accel.dataset"]
        assert res["slices"] == [[NUMBERS, total, 300.0]] * 2
        ds = project.job(jobid).dataset()
        assert sorted(ds.iterate(None, ("i", "sq"))) == [(i, float(i * i)) for i in range(n)]

    assert got["csv_lines"] == CSV_LINES
    expected = [((i * 7919) % CSV_LINES, i / 4, f"w{i:05d}") for i in range(CSV_LINES)]
    raw = project.job(got["datasets"]["csv"]).dataset()
    assert list(raw.iterate(None, ("a", "b", "c"))) == \
        [(str(a).encode(), repr(b).encode(), c.encode()) for a, b, c in expected]
    typed = project.job(got["datasets"]["typed"]).dataset()
    assert list(typed.iterate(None, ("a", "b", "c"))) == expected
    srt = project.job(got["datasets"]["sorted"]).dataset()
    by_slice = [list(srt.iterate(s, ("a", "b", "c"))) for s in range(2)]
    assert all(rows == sorted(rows) for rows in by_slice)
    assert sorted(by_slice[0] + by_slice[1]) == sorted(expected)
    # a plain job forked after the preload still works as one
    assert got["plain2"][0] == 2


def test_a_run_that_builds_nothing_imports_nothing_heavy(tmp_path: Path) -> None:
    """The preload is for new jobs only: `ax --help` and an `ax run` whose jobs all exist
    load none of numpy, pyarrow, pandas, accel.dataset, dask."""
    project = make_project(tmp_path / "proj")
    project.build(heavy_src() + textwrap.dedent("""
        import json
        import os


        def main(urd):
            c = urd.build('csvimport', filename='data.csv')
            t = urd.build('dataset_type', source=c, column2type=dict(a='int64_10'))
            g = urd.build('gen', n=5, numbers=os.path.abspath('numbers.csv'))
            p = urd.build('plain', x=3)
            print('RESULT', json.dumps(dict(jobs=[c, t, g, p], heavy=heavy())))
    """))
    first = printed(ax_run(project, clean=True))
    assert {"numpy", "pyarrow", "accel.dataset"} <= set(first["heavy"])  # it built them
    again = printed(ax_run(project, clean=True))
    assert again["jobs"] == first["jobs"]  # all reused
    assert again["heavy"] == []
    assert project.job_dirs() == sorted(first["jobs"], key=lambda j: int(j.split("-")[1]))

    code = textwrap.dedent(f"""
        import sys
        from accel.cli.main import cli
        try:
            cli.main(["--help"], standalone_mode=False)
        except SystemExit:
            pass
        print("HEAVY", [m for m in {HEAVY!r} if m in sys.modules])
    """)
    env = dict(os.environ)
    env.pop("ACCEL_CONFIG", None)
    p = subprocess.run([sys.executable, "-c", code], cwd=project.root, capture_output=True,
                       text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "HEAVY []" in p.stdout


def test_the_fork_server_starts_jobs_with_them_imported(project: Project, api) -> None:
    """On Dask a worker's fork server imports them once, when it starts; the runners it
    forks have them, and a dataset job runs as it would anywhere."""
    from accel.executors.forkserver import ForkServer

    project.method("gen", GEN)
    (project.root / "numbers.csv").write_text("x\n" + "".join(f"{i}\n" for i in range(100)))
    b = api()
    server = ForkServer()
    try:
        plan = b.plan("gen", n=50, numbers=str(project.root / "numbers.csv"))
        jobid, path, _, _ = b.prepare_job(plan, None, None)
        err_r, err_w = os.pipe()
        part_r, part_w = os.pipe()
        try:
            runner = server.spawn(str(path), str(project.root), dict(os.environ), err_w, part_w)
        finally:
            os.close(err_w)
            os.close(part_w)
        code = runner.wait()
        with os.fdopen(err_r) as f:
            err = f.read()
        os.close(part_r)
        assert code == 0, err
        b.unregister(jobid)
        post = json.loads((path / "post.json").read_text())
        assert post["status"] == "finished", post
        res = project.job(jobid).load()
        assert res["loaded"] == ["numpy", "pyarrow", "accel.dataset"]
        assert res["slices"] == [[100, 4950, 300.0]] * 2
        ds = project.job(jobid).dataset()
        assert sorted(ds.iterate(None, ("i", "sq"))) == [(i, float(i * i)) for i in range(50)]
    finally:
        server.kill()
        b.close()


# --- the guess ------------------------------------------------------------------------------


def module_of(source: str, name: str = "methods.a_x") -> types.ModuleType:
    mod = types.ModuleType(name)
    exec(compile(textwrap.dedent(source), f"<{name}>", "exec"), vars(mod))
    return mod


@pytest.mark.parametrize("source", [
    "def prepare(job):\n    return job.datasetwriter(columns={'a': 'int64'})\n",
    "def synthesis(jobs):\n    return list(jobs.src.dataset().iterate(None))\n",
    "def analysis(sliceno):\n    import pyarrow.parquet as pq\n    return pq\n",
    "def synthesis():\n    from accel.dataset import Dataset\n    return Dataset\n",
    "def synthesis():\n    from accel import DatasetList\n    return DatasetList\n",
    "def synthesis():\n    import pandas\n",
    "import numpy as np\n\ndef synthesis():\n    return 1\n",
    # deep inside: a method of a class, a nested function, a lambda, a comprehension
    "class W:\n    def go(self, job):\n        return job.datasetwriter()\n\n"
    "def synthesis(job):\n    return W().go(job)\n",
    "def synthesis(job):\n    def inner():\n        return [lambda: job.dataset() for _ in 'x']\n"
    "    return inner\n",
], ids=["datasetwriter", "dataset", "pyarrow", "accel.dataset", "DatasetList", "pandas",
        "numpy-at-the-top", "in-a-class", "nested"])
def test_code_that_uses_datasets_is_recognised(source: str) -> None:
    assert likely_uses_datasets("methods", {}, module_of(source))


@pytest.mark.parametrize("source", [
    PLAIN,
    "# job.datasetwriter() would be the way, some day\n"
    "def synthesis():\n    '''not job.dataset(), nor numpy'''\n    return 'pyarrow'\n",
    "import json\n\ndef synthesis(job):\n    return json.dumps(job.dataset_names)\n",
    "import socket\n\ndef synthesis():\n    return socket.gethostname()\n",
], ids=["in-a-string", "in-comments-and-docstrings", "dataset_names", "other-module"])
def test_code_that_does_not_is_not(source: str) -> None:
    assert not likely_uses_datasets("methods", {}, module_of(source))


def test_standard_methods_and_declared_dataset_inputs_count_without_the_code() -> None:
    plain = module_of("def synthesis():\n    return 1\n")
    assert likely_uses_datasets("accel.standard_methods", {}, plain)
    assert likely_uses_datasets("methods", {"source": None}, plain)
    assert likely_uses_datasets("methods", {"sources": []}, None)
    assert not likely_uses_datasets("methods", {}, None)


def test_the_guess_for_a_module_is_made_once(monkeypatch) -> None:
    from accel.executors import preload

    mod = module_of("def synthesis(job):\n    return job.datasetwriter()\n")
    assert likely_uses_datasets("methods", {}, mod)
    monkeypatch.setattr(preload, "_names_datasets", lambda m: pytest.fail("scanned again"))
    assert likely_uses_datasets("methods", {}, mod)

