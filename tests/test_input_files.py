"""Input files are part of a job's identity: a changed file gives a new job, an unchanged
one (touched or not) is reused; a missing one is one error; `ax job` and `ax why` show
them; `job.input_filename` reads are recorded; undeclared reads are warned about; and the
Accelerator's way is one switch away."""

from __future__ import annotations

import json
import os

from conftest import (
    ax_json,
    ax_run,
    ax_run_fails,
    jobdir,
    one_error_line,
    post_of,
    printed,
    script,
    setup_of,
)

IMPORT_AND_COUNT = """
    def main(urd):
        imp = urd.build('csvimport', filename='data/sales.csv')
        n = urd.build('count', source=imp)
        print("RESULT", json.dumps(dict(imp=imp, count=n, n=n.load())))
"""
COUNT = """
    datasets = ('source',)

    def synthesis():
        return sum(1 for _ in datasets.source.iterate(None))
"""


def csv_project(project, rows=2):
    project.method("count", COUNT)
    project.file("data/sales.csv", "a,b\n" + "".join(f"{i},{i * i}\n" for i in range(rows)))
    script(project, IMPORT_AND_COUNT)
    return project.root / "data" / "sales.csv"


def statuses(p) -> dict[str, str]:
    """{method: new/reused} from ax run's job table."""
    out = {}
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in ("new", "reused"):
            out[parts[1]] = parts[2]
    return out


def age(path, seconds: float = 10.0) -> None:
    """Set the file's mtime in the past (a stat-based cache trusts it at once), keeping it
    apart from the mtime it had."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def test_a_changed_csv_is_imported_anew_and_downstream_runs_an_unchanged_one_is_reused(project):
    csv = csv_project(project)
    first = printed(ax_run(project, clean=True))
    assert first["n"] == 2
    again = ax_run(project)
    assert statuses(again) == {"csvimport": "reused", "count": "reused"}
    assert printed(again) == first

    with open(csv, "a") as f:
        f.write("7,49\n")  # one row more
    p = ax_run(project, clean=True)
    assert statuses(p) == {"csvimport": "new", "count": "new"}
    assert printed(p)["n"] == 3

    csv.write_text("a,b\n0,0\n1,9\n2,4\n")  # the same size, another row
    p = ax_run(project)
    assert statuses(p) == {"csvimport": "new", "count": "new"}
    assert printed(p)["imp"] not in (first["imp"],)


def test_touched_but_unchanged_is_reused_and_the_fingerprint_cache_follows_the_stat(project):
    csv = csv_project(project)
    age(csv)
    first = printed(ax_run(project))
    cache = project.root / ".accel" / "input-files.json"
    entry = json.loads(cache.read_text())["files"][str(csv)]
    assert entry[0] == csv.stat().st_size and entry[1] == csv.stat().st_mtime_ns

    age(csv, 5.0)  # `touch`: the mtime moves, the content stays
    p = ax_run(project)
    assert statuses(p) == {"csvimport": "reused", "count": "reused"}
    assert printed(p)["imp"] == first["imp"]
    new_entry = json.loads(cache.read_text())["files"][str(csv)]
    assert new_entry[1] == csv.stat().st_mtime_ns != entry[1]
    assert new_entry[6] == entry[6]  # the same fingerprint, under the new stat


def test_an_unchanged_file_is_not_read_again(project, monkeypatch):
    """A fingerprint cached under the file's stat costs a stat, in a fresh process too."""
    from accel import inputfiles

    path = project.file("big.bin", "x" * 100_000)
    age(path)
    cache = project.root / ".accel" / inputfiles.CACHE_NAME
    first = inputfiles.Fingerprints(cache)
    got = first.of(str(path))
    first.save()
    reads = []
    monkeypatch.setattr(inputfiles, "content_hash",
                        lambda p: reads.append(p) or (os.path.getsize(p), "read"))
    assert inputfiles.Fingerprints(cache).of(str(path)) == got  # as `ax run` next time
    assert reads == []
    with open(path, "a") as f:
        f.write("y")
    inputfiles.Fingerprints(cache).of(str(path))
    assert reads == [str(path)]


def test_setup_json_records_the_files_and_ax_job_shows_them(project):
    csv = csv_project(project)
    imp = printed(ax_run(project))["imp"]
    import xxhash

    recorded = setup_of(project, imp)["input_files"]
    assert recorded == {"data/sales.csv": {"size": csv.stat().st_size,
                                           "hash": xxhash.xxh3_128(csv.read_bytes()).hexdigest()}}
    text = project.ax("job", imp, check=True).stdout
    block = text.split("input files", 1)[1].split("\n\n", 1)[0]
    assert "data/sales.csv" in block and f"{csv.stat().st_size} bytes" in block
    assert recorded["data/sales.csv"]["hash"][:16] in block
    assert ax_json(project.root, "job", imp)["params"]["input_files"] == recorded


def test_ax_why_names_the_file_that_changed(project):
    project.method("count", COUNT)
    line = b"0123456789,0123456789012345678\n"  # 31 bytes
    csv = project.root / "data" / "sales.csv"
    csv.parent.mkdir()
    csv.write_bytes(b"a,b\n" + line * 100_000)  # 3.1 MB
    script(project, IMPORT_AND_COUNT)
    old = printed(ax_run(project))["imp"]
    with open(csv, "ab") as f:
        f.write(line * 3300)  # 3.2 MB
    why = project.ax("why", "csvimport", "filename=data/sales.csv", check=True).stdout
    assert "would run" in why
    assert "input file data/sales.csv changed: 3.1 MB → 3.2 MB" in why
    new = printed(ax_run(project))["imp"]
    assert new != old
    why = project.ax("why", new, check=True).stdout
    assert f"nearest earlier job: {old}" in why
    assert "input file data/sales.csv changed: 3.1 MB → 3.2 MB" in why
    report = ax_json(project.root, "why", new)
    assert report["nearest"]["differences"] == [{
        "what": "input file", "name": "data/sales.csv", "change": "changed",
        "old": setup_of(project, old)["input_files"]["data/sales.csv"],
        "new": setup_of(project, new)["input_files"]["data/sales.csv"]}]


def test_a_missing_input_file_is_one_error_with_close_names_before_anything_runs(project):
    csv_project(project)
    script(project, """
        def main(urd):
            urd.build('csvimport', filename='data/sale.csv')
    """)
    p = ax_run_fails(project)
    line = one_error_line(p)
    assert "'csvimport'" in line and "option 'filename'" in line
    assert "input file data/sale.csv does not exist" in line
    assert "did you mean: data/sales.csv?" in line
    assert project.job_dirs() == []


READ_SRC = """
    from accel import InputFile

    options = dict(src=InputFile(required=True){extra})

    def synthesis(job):
        with open(job.input_filename(options.src)) as f:
            return f.read()
"""


def test_an_input_file_option_of_ones_own_method(project):
    project.method("read", READ_SRC.format(extra=""))
    project.file("data/a.txt", "one")
    script(project, """
        def main(urd):
            j = urd.build('read', src='data/a.txt')
            print("RESULT", json.dumps([j, j.load()]))
    """)
    first = printed(ax_run(project, clean=True))
    assert first[1] == "one"
    assert printed(ax_run(project)) == first
    project.file("data/a.txt", "two")
    second = printed(ax_run(project))
    assert second[1] == "two" and second[0] != first[0]
    assert "input_files" not in post_of(project, second[0])  # in the identity: not again


def test_input_files_in_a_list_and_a_folder_with_a_pattern(project):
    project.method("sizes", """
        import glob, os
        from accel import InputFile

        options = dict(files=[InputFile(pattern='*.txt')])

        def synthesis(job):
            return sorted(os.path.basename(p) for f in options.files
                          for p in glob.glob(os.path.join(job.input_directory, f, '*.txt')))
    """)
    project.file("folder/a.txt", "a")
    project.file("folder/notes.md", "ignored")
    script(project, """
        def main(urd):
            j = urd.build('sizes', files=['folder'])
            print("RESULT", json.dumps(j))
    """)
    first = printed(ax_run(project))
    assert list(setup_of(project, first)["input_files"]) == ["folder/a.txt"]
    project.file("folder/notes.md", "changed, but not a *.txt")
    assert printed(ax_run(project)) == first
    project.file("folder/b.txt", "b")
    second = printed(ax_run(project))
    assert second != first
    assert list(setup_of(project, second)["input_files"]) == ["folder/a.txt", "folder/b.txt"]


def test_track_false_keeps_the_accelerators_way_for_one_option(project):
    project.method("read", READ_SRC.format(extra="").replace(
        "InputFile(required=True)", "InputFile(required=True, track=False)"))
    project.file("data/a.txt", "one")
    script(project, """
        def main(urd):
            j = urd.build('read', src='data/a.txt')
            print("RESULT", json.dumps([j, j.load()]))
    """)
    first = printed(ax_run(project))
    assert setup_of(project, first[0])["input_files"] == {}
    project.file("data/a.txt", "two")
    p = ax_run(project)
    assert printed(p) == first  # the old job, with the old content: as the Accelerator does
    assert "warning" not in p.stdout + p.stderr  # declared, though not tracked


def test_input_files_untracked_in_the_conf_keeps_the_accelerators_way(project):
    csv = csv_project(project)
    with open(project.conf, "a") as f:
        f.write("input files: untracked\n")
    first = printed(ax_run(project))
    assert "input_files" not in setup_of(project, first["imp"])
    with open(csv, "a") as f:
        f.write("7,49\n")
    p = ax_run(project)
    assert statuses(p) == {"csvimport": "reused", "count": "reused"}
    assert printed(p)["n"] == 2


def test_a_bad_input_files_setting_is_one_line(project):
    with open(project.conf, "a") as f:
        f.write("input files: sometimes\n")
    p = project.ax("run")
    line = one_error_line(p)
    assert "input files: expected tracked or untracked, got 'sometimes'" in line


def test_a_file_asked_for_by_input_filename_is_recorded_and_a_change_runs_the_job_again(project):
    project.method("lookup", """
        def synthesis(job):
            with open(job.input_filename('data', 'table.txt')) as f:
                return f.read()
    """)
    table = project.file("data/table.txt", "v1")
    script(project, """
        def main(urd):
            j = urd.build('lookup')
            print("RESULT", json.dumps([j, j.load()]))
    """)
    first = printed(ax_run(project, clean=True))
    reads = post_of(project, first[0])["input_files"]
    assert reads == {"data/table.txt": {"size": 2, "hash": reads["data/table.txt"]["hash"]}}
    assert printed(ax_run(project)) == first
    table.write_text("v2")
    why = project.ax("why", "lookup", check=True).stdout
    assert "would run" in why and "data/table.txt" in why
    second = printed(ax_run(project))
    assert second[1] == "v2" and second[0] != first[0]
    assert printed(ax_run(project)) == second
    why = project.ax("why", second[0], check=True).stdout
    assert f"but a file {first[0]} read had changed since it ran" in why
    assert "input file data/table.txt (read by job.input_filename) changed" in why
    text = project.ax("job", second[0], check=True).stdout
    assert "read while running" in text.split("input files", 1)[1]


def test_reading_an_undeclared_input_file_warns_once_naming_input_file(project):
    project.method("sneaky", """
        import os

        def analysis(sliceno, job):
            with open(os.path.join(job.input_directory, 'data', 'secret.txt')) as f:
                return f.read()

        def synthesis(job):
            with open(os.path.join(job.input_directory, 'data', 'secret.txt')) as f:
                return f.read()
    """)
    project.method("honest", READ_SRC.format(extra=""))
    project.file("data/secret.txt", "s")
    script(project, """
        def main(urd):
            urd.build('sneaky')
            urd.build('honest', src='data/secret.txt')
    """)
    p = ax_run(project)
    out = p.stdout + p.stderr
    warnings = [line for line in out.splitlines() if "warning" in line]
    assert len(warnings) == 1, out  # two slices and synthesis read it: one warning
    assert "method 'sneaky' reads data/secret.txt, which no option declares" in warnings[0]
    assert "InputFile" in warnings[0]


def test_parquet_files_of_a_folder_are_in_the_identity(project):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = project.root / "data" / "parts"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"a": [1, 2]}), folder / "p1.parquet")
    script(project, """
        def main(urd):
            j = urd.build('parquetimport', filename='data/parts')
            print("RESULT", json.dumps([j, j.load()['num_lines']]))
    """)
    first = printed(ax_run(project))
    assert first[1] == 2
    assert printed(ax_run(project)) == first
    pq.write_table(pa.table({"a": [3]}), folder / "p2.parquet")
    second = printed(ax_run(project))
    assert second[1] == 3 and second[0] != first[0]
    assert list(setup_of(project, second[0])["input_files"]) == ["data/parts/p1.parquet",
                                                                "data/parts/p2.parquet"]


def test_a_file_in_a_workdir_is_not_fingerprinted(project):
    """A file under a workdir has an identity of its own (a job's, or, as csvimport_zip's
    copies of the files in a zip, its name, which is its content's hash)."""
    import zipfile

    project.file("data/x.csv", "a\n1\n")
    with zipfile.ZipFile(project.root / "data" / "x.zip", "w") as z:
        z.write(project.root / "data" / "x.csv", "x.csv")
    script(project, """
        def main(urd):
            j = urd.build('csvimport_zip', filename='data/x.zip')
            print("RESULT", json.dumps([j, j.post.subjobs]))
    """)
    job, subjobs = printed(ax_run(project))
    assert list(setup_of(project, job)["input_files"]) == ["data/x.zip"]
    assert setup_of(project, subjobs[0])["input_files"] == {}
    assert setup_of(project, subjobs[0])["options"]["filename"].startswith(
        str(jobdir(project, job).parent / ".accel" / "zip-members"))


def test_what_accel_reads_in_the_project_is_not_warned_about(project):
    """The input directory is the project folder by default: a subjob's builder reading
    the conf and hashing method files, or a depend_extra file beside the method, is no
    undeclared input."""
    project.file("methods/table.txt", "t")
    project.method("outer", """
        import os

        depend_extra = ('table.txt',)

        def synthesis(job):
            from accel.subjobs import build

            with open(os.path.join(os.path.dirname(__file__), 'table.txt')) as f:
                f.read()
            return build('csvimport', filename='data/sales.csv').load()['num_lines']
    """)
    project.file("data/sales.csv", "a\n1\n")
    script(project, """
        def main(urd):
            print("RESULT", json.dumps(urd.build('outer').load()))
    """)
    p = ax_run(project, clean=True)
    assert printed(p) == 1
    assert "warning" not in p.stdout + p.stderr


def test_untracked_a_missing_file_is_still_one_line_from_the_method(project):
    """Nothing is fingerprinted then, so csvimport itself finds the file missing."""
    project.file("ok.csv", "a\n1\n")
    with open(project.conf, "a") as f:
        f.write("input files: untracked\n")
    script(project, """
        def main(urd):
            urd.build('csvimport', filename='ok.cvs')
    """)
    out = ax_run_fails(project)
    text = out.stdout + out.stderr
    assert f"csvimport: no such file: {project.root}/ok.cvs (did you mean: ok.csv" in text


def test_a_local_subjob_records_the_input_file_its_parent_declared(project):
    """A subjob runs in a process forked from its parent job's: the files the parent
    declared or read are not the subjob's, so its own job.input_filename read is recorded
    and a change of the file runs it again (it was reused with the old content)."""
    project.method("parent", """
        from accel import InputFile
        from accel.subjobs import build

        options = dict(src=InputFile())

        def synthesis():
            return build('child', fname=options.src).load()
    """)
    project.method("child", """
        options = dict(fname='')

        def synthesis(job):
            with open(job.input_filename(options.fname)) as f:
                return f.read()
    """)
    data = project.file("data.txt", "v1")
    script(project, """
        def main(urd):
            j = urd.build('parent', src='data.txt')
            print("RESULT", json.dumps([j.load(), j.post.subjobs]))
    """)
    value, (child,) = printed(ax_run(project, clean=True))
    assert value == "v1"
    assert set(post_of(project, child).get("input_files", {})) == {"data.txt"}
    data.write_text("v2!")
    value, (again,) = printed(ax_run(project, clean=True))
    assert value == "v2!" and again != child


def test_a_file_that_changed_between_slices_is_recorded_so_and_never_reused(project):
    """Two slices asked for the same file and found it different: the job ends as usual,
    post.json says the file changed while the job read it, and no build reuses the job."""
    project.method("sliceread", """
        import os
        import time

        def analysis(sliceno, job):
            if sliceno == 1:  # reads it only once slice 0 has read and changed it
                while not os.path.exists('changed'):
                    time.sleep(0.01)
            with open(job.input_filename('data.txt')) as f:
                text = f.read()
            if sliceno == 0:
                with open(job.input_filename('data.txt'), 'w') as f:
                    f.write(text + '+')
                open('changed', 'w').close()
            return text

        def synthesis(analysis_res):
            return list(analysis_res)
    """)
    project.file("data.txt", "v1")
    script(project, """
        def main(urd):
            j = urd.build('sliceread')
            print("RESULT", json.dumps([j, j.load()]))
    """)
    job, texts = printed(ax_run(project, clean=True))
    assert texts == ["v1", "v1+"]
    assert post_of(project, job)["input_files"] == {
        "data.txt": {"size": None, "hash": None, "changed_while_read": True}}
    again, _ = printed(ax_run(project, clean=True))
    assert again != job
    why = project.ax("why", again, check=True).stdout
    assert "input file data.txt (read by job.input_filename): changed while the job read it" \
        in why, why


def test_a_file_name_that_is_not_utf8_is_refused_before_a_job_is_made(project):
    """A job records its input files' names and its option values in setup.json (UTF-8):
    a file name in another encoding (b'bad\\xff.csv', 'bad\\udcff.csv' to Python), in a
    folder an InputFile names or given as a str option, or a caption holding one, is one
    line naming it -- no traceback, no job directory, no job number used up."""
    project.method("fold", """
        from accel import InputFile
        options = dict(src=InputFile(pattern='*.csv'), name='')
        def synthesis():
            return options.src
    """)
    project.file("indata/ok.csv", "a\n1\n")
    (project.root / "indata" / os.fsdecode(b"bad\xff.csv")).write_text("a\n2\n")
    bad = "os.fsdecode(b'bad\\xff.csv')"
    for name, build, named in [
        ("folder", "urd.build('fold', src='indata')", "input file indata/bad\\xff.csv"),
        ("option", f"urd.build('fold', src='indata/ok.csv', name={bad})", "option 'name'"),
        ("caption", f"urd.build('fold', src='indata/ok.csv', caption={bad})", "caption"),
    ]:
        script(project, f"import os\ndef main(urd):\n    {build}\n", name)
        line = one_error_line(ax_run_fails(project, name))
        assert "'fold'" in line and named in line and "UTF-8" in line, line
        assert project.job_dirs() == []
    script(project, "def main(urd):\n    print('RESULT', json.dumps(urd.build('fold', "
                    "src='indata/ok.csv')))\n")
    assert printed(ax_run(project, clean=True)) == "dev-1"
