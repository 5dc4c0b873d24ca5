"""Datasets written and read by real jobs, through `ax run`: who writes which slice, named
datasets, chains and parents across jobs, and a dataset existing only once its job finished.

The tests that only read what their builds made, or the message a build failed with, share
their builds: they run together, one `ax run` for the module (`together`). The others have
a project of their own (a second run, the job directories, what a job process imported).
"""

from __future__ import annotations

import json

from together import Builds

BUILDS = Builds()
built = BUILDS.fixture()


def run(project, build: str, **methods: str):
    for name, source in methods.items():
        project.method(name, source)
    project.build(build)
    return project.ax("run")


def ok(p) -> str:
    assert p.returncode == 0, f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return p.stdout


def result(p) -> dict:
    lines = [x for x in ok(p).splitlines() if x.startswith("RESULT ")]
    assert lines, p.stdout
    return json.loads(lines[-1][len("RESULT "):])


WRITE_IN_ANALYSIS = """
    from datetime import date

    def prepare(job):
        dw = job.datasetwriter(columns={"i": "int64", "s": ("unicode", True), "d": "date"},
                               caption="numbers")
        other = job.datasetwriter({"x": "float64"}, name="other", allow_missing_slices=True)
        other.set_slice(1)
        other.write(0.5)
        return dw

    def analysis(sliceno, prepare_res):
        for i in range(sliceno * 10, sliceno * 10 + 3):
            prepare_res.write(i, None if i % 2 else f"v{i}", date(2020, 1, 1 + sliceno))
"""

READ = """
    import sys
    datasets = ("source",)

    def synthesis(job):
        ds = datasets.source
        return dict(rows=list(ds.iterate(None, ("i", "s"))), lines=ds.lines, name=str(ds),
                    columns=dict(ds.columns), caption=ds.caption,
                    dates=[d.isoformat() for d in ds.iterate(None, "d")])
"""


def test_analysis_slices_write_a_dataset_another_job_reads(project):
    p = run(project, """
import json
def main(urd):
    w = urd.build("writer")
    r = urd.build("reader", source=w)
    o = w.dataset("other")
    print("RESULT", json.dumps(dict(read=r.load(), datasets=w.dataset_names, saved=str(w.load()),
        post=w.post.datasets, other=list(o.iterate(None, "x")), other_lines=o.lines,
        writer=str(w), objects={str(d): d.lines for d in w.datasets})))
""", writer=WRITE_IN_ANALYSIS, reader=READ)
    res = result(p)
    read = res["read"]
    assert read["lines"] == [3, 3]
    assert read["rows"] == [[0, "v0"], [1, None], [2, "v2"], [10, "v10"], [11, None],
                            [12, "v12"]]
    assert read["dates"] == ["2020-01-01"] * 3 + ["2020-01-02"] * 3
    assert read["columns"] == {"i": "int64", "s": "unicode", "d": "date"}
    assert read["caption"] == "numbers"
    assert read["name"].endswith("/default")
    assert sorted(res["datasets"]) == ["default", "other"] == sorted(res["post"])
    # job.datasets are Dataset objects, as in the Accelerator (ds.lines and all)
    w = res["writer"]
    assert res["objects"] == {f"{w}/default": read["lines"], f"{w}/other": res["other_lines"]}
    assert res["other"] == [0.5] and res["other_lines"] == [0, 1]
    # prepare returned the writer and there is no synthesis: result.pickle is the dataset
    assert res["saved"] == "dev-1/default"
    # a second run reuses both jobs: the datasets are simply there
    assert "2 reused" in ok(project.ax("run"))


ANY_SLICE = BUILDS.of("any_slice", """
    def synthesis(job):
        plain = job.datasetwriter({"k": "unicode", "v": "int64"}, name="plain")
        plain.set_slice(1)
        plain.write("a", 1)
        plain.set_slice(0)
        plain.write("b", 2)
        hashed = job.datasetwriter({"k": "unicode", "v": "int64"}, name="hashed",
                                   hashlabel="k")
        w = hashed.get_split_write()
        for i in range(50):
            w("key%d" % i, i)
""")


def test_synthesis_writes_any_slice_and_split_write_places_by_hash(built):
    from accel.dataset.hashing import slice_of
    from accel.dataset.types import column_type

    j = built.job(ANY_SLICE)
    plain, hashed = j.dataset("plain"), j.dataset("hashed")
    placed = all(slice_of(column_type("unicode"), k, 2) == s
                 for s in range(2) for k in hashed.iterate(s, "k"))
    res = dict(plain=[list(plain.iterate(s, "v")) for s in range(2)],
               hashed=sorted(hashed.iterate(None, "v")), placed=placed,
               hashlabel=hashed.hashlabel,
               resliced=sorted(v for s in range(2) for v in plain.iterate(s, "v", hashlabel="k")))
    assert res["plain"] == [[2], [1]]
    assert res["hashed"] == list(range(50))
    assert res["placed"] and res["hashlabel"] == "k"
    assert res["resliced"] == [1, 2]


BUILDS.method("part", """
    options = dict(start=0)
    jobs = ("previous",)

    def prepare(job):
        prev = jobs.previous.dataset() if jobs.previous else None
        dw = job.datasetwriter(columns={"n": "int64"}, previous=prev,
                               allow_missing_slices=True)
        dw.set_slice(0)
        for i in range(options.start, options.start + 2):
            dw.write(i)
""")
BUILDS.method("extra", """
    datasets = ("source",)

    def prepare(job):
        return job.datasetwriter(columns={"double": "int64"}, parent=datasets.source)

    def analysis(sliceno, prepare_res):
        for n in datasets.source.iterate(sliceno, "n"):
            prepare_res.write(n * 2)
""")
ACROSS = BUILDS.add("previous and parent", """
    def build(urd):
        a = urd.build("part", start=0)
        b = urd.build("part", start=10, previous=a)
        return dict(a=a, b=b, c=urd.build("extra", source=b))
""")


def test_previous_and_parent_across_jobs(built):
    project, jobs = built.jobs(ACROSS)
    a, b, c = (project.job(jobs[k]) for k in "abc")
    ds = c.dataset()
    res = dict(chain=[str(d) for d in b.dataset().chain()],
               all=list(b.dataset().iterate_chain(None, "n")),
               child=[list(row) for row in ds.iterate(None, ("n", "double"))],
               parent=str(ds.parent), columns=list(ds.columns),
               files=sorted(p.name for p in (c.path / "datasets" / "default").iterdir()))
    assert res["chain"] == [f"{a}/default", f"{b}/default"]
    assert res["all"] == [0, 1, 10, 11]
    assert res["child"] == [[10, 20], [11, 22]]
    assert res["parent"] == f"{b}/default" and res["columns"] == ["n", "double"]
    assert res["files"] == ["0000.parquet", "0001.parquet", "meta.json"]


def test_failed_job_leaves_no_dataset(project):
    p = run(project, 'def main(urd):\n    urd.build("w")\n', w="""
    def prepare(job):
        return job.datasetwriter(columns={"i": "int64"})

    def analysis(sliceno, prepare_res):
        prepare_res.write(sliceno)

    def synthesis():
        raise RuntimeError("no")
""")
    assert p.returncode != 0 and "RuntimeError: no" in p.stdout + p.stderr
    project.ax("run")  # nothing to do with the conf; make sure the project is usable
    job_dir = project.root / "workdirs" / "dev" / project.job_dirs()[0]
    assert not (job_dir / "datasets" / "default" / "meta.json").exists()
    post = json.loads((job_dir / "post.json").read_text())
    assert post["status"] == "failed" and not post.get("datasets")


def test_bad_value_in_analysis_fails_the_slice_naming_column_value_row(project):
    p = run(project, 'def main(urd):\n    urd.build("w")\n', w="""
    def prepare(job):
        return job.datasetwriter(columns={"count": "int32"})

    def analysis(sliceno, prepare_res):
        for i in range(5):
            prepare_res.write(2**40 if (sliceno, i) == (1, 3) else i)
""")
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert "analysis slice 1" in out
    assert "column 'count' (int32): cannot store 1099511627776 (int) at slice 1, row 3" in out
    job_dir = project.root / "workdirs" / "dev" / project.job_dirs()[0]
    assert not (job_dir / "datasets" / "default" / "meta.json").exists()


BAD_IN_SYNTHESIS = BUILDS.of("bad_in_synthesis", """
    def synthesis(job):
        dw = job.datasetwriter(columns={"name": "unicode"})
        dw.set_slice(0)
        dw.write("fine")
        dw.write(None)
""")


def test_bad_value_in_synthesis_fails_the_job(built):
    out = built.error(BAD_IN_SYNTHESIS)
    assert "column 'name' (unicode): cannot store None (NoneType) at slice 0, row 1" in out
    assert "none_support" in out


WRITER_IN_ANALYSIS = BUILDS.of("writer_in_analysis", """
    def analysis(sliceno, job):
        dw = job.datasetwriter(columns={"a": "int64"})
""")


def test_writer_made_in_analysis_is_an_error(built):
    out = built.error(WRITER_IN_ANALYSIS)
    assert "datasetwriter 'default' was made in analysis: make it in prepare" in out


WRITTEN_TWICE = BUILDS.of("written_twice", """
    def prepare(job):
        return job.datasetwriter(columns={"a": "int64"})

    def analysis(sliceno, prepare_res):
        prepare_res.write(sliceno)

    def synthesis(prepare_res):
        prepare_res.set_slice(0)
        prepare_res.write(7)
""")


def test_slice_written_from_two_places_is_an_error(built):
    out = built.error(WRITTEN_TWICE)
    assert "slice 0 was written both by analysis and in prepare/synthesis" in out


def test_plain_jobs_do_not_load_datasets(project):
    p = run(project, """
import json
def main(urd):
    print("RESULT", json.dumps(urd.build("plain").load()))
""", plain="""
    import sys

    def synthesis():
        return "accel.dataset" in sys.modules
""")
    assert result(p) is False


NO_DATASETS = BUILDS.of("no_datasets", """
    def synthesis():
        return 1
""")


def test_job_dataset_of_a_job_without_datasets(built):
    job = built.job(NO_DATASETS)
    assert job.dataset_names == [] and job.datasets == []
    try:
        job.dataset()
    except LookupError as e:
        assert "has no dataset 'default'" in str(e) and "no datasets" in str(e)
    else:
        raise AssertionError("expected NotFound")
