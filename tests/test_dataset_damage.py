"""Format 3 under damage: every byte of every kind of dataset file is covered by a
checksum, so a flipped byte anywhere, a truncated, extended or deleted file is
DatasetDamaged naming the job, dataset, column, slice and file, on every way of reading
(iterate, column, to_arrow, ax cat, a downstream job) - never a wrong value.
"""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest
from conftest import Project, ax_run, write_dataset

from accel.dataset import Dataset, DatasetDamaged, metacache, storage

ROWS = [[(2000, "abc", 1 + 2j, datetime(2020, 1, 2, fold=1)), (-1, None, 0j, datetime(1, 1, 1))],
        [(7, "åäö" * 3, -1j, datetime(9999, 12, 31))]]
COLS = {"i": "int64", "s": ("unicode", True), "c": "complex64", "d": "datetime"}


def fresh(ds: Dataset) -> Dataset:
    """The dataset as a new process would open it: nothing cached, nothing verified."""
    metacache._META_CACHE.clear()
    storage._verified.clear()
    return Dataset(str(ds))


def read_everything(ds: Dataset) -> list:
    return list(fresh(ds).iterate(None))


@pytest.fixture(params=["zstd", None], ids=["parquet", "arrow"])
def ds(request, new_job) -> Dataset:
    job = new_job(2)
    write_dataset(job, COLS, ROWS, compression=request.param)
    return job.dataset()


def test_every_flipped_byte_of_a_slice_file_is_found(ds):
    good = read_everything(ds)
    assert good[0] == (2000, "abc", 1 + 2j, datetime(2020, 1, 2, fold=1))
    for path in ds.files:
        data = path.read_bytes()
        assert 500 < len(data) < 20_000
        missed = []
        for pos in range(len(data)):
            damaged = bytearray(data)
            damaged[pos] ^= 0xFF
            path.write_bytes(bytes(damaged))
            try:
                got = read_everything(ds)
            except DatasetDamaged:
                continue
            missed.append((pos, got == good))
        path.write_bytes(data)
        assert not missed, f"{path.name}: flips at {missed[:10]} read without an error"
    assert read_everything(ds) == good


def test_every_flipped_byte_of_meta_json_is_found(ds):
    path = ds.job.path / "datasets" / ds.name / "meta.json"
    data = path.read_bytes()
    for pos in range(len(data)):
        damaged = bytearray(data)
        damaged[pos] ^= 0x01 if data[pos] not in b"\n" else 0x20
        path.write_bytes(bytes(damaged))
        with pytest.raises(DatasetDamaged, match=f"dataset {ds}: .*meta.json"):
            fresh(ds)
    path.write_bytes(data)
    assert read_everything(ds)


@pytest.mark.parametrize("how", ["truncate", "truncate to nothing", "extend", "delete",
                                 "replace with another slice"])
def test_damaged_files_name_what_is_damaged(ds, how):
    path = ds.files[0]
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[:-1])
    elif how == "truncate to nothing":
        path.write_bytes(b"")
    elif how == "extend":
        path.write_bytes(data + b"\0")
    elif how == "delete":
        path.unlink()
    else:
        shutil.copy(ds.files[1], path)
    what = {"truncate": "truncated", "truncate to nothing": "truncated",
            "extend": "longer than written", "delete": "missing",
            "replace with another slice": "(truncated|longer than written)"}[how]
    with pytest.raises(DatasetDamaged, match=rf"dataset {ds}, column 'i', slice 0: file "
                                             rf"{path} .*{what}"):
        list(fresh(ds).iterate(0, "i"))
    for read in (lambda d: d.column("s"), lambda d: d.to_arrow(), lambda d: d.verify(),
                 lambda d: list(d.iterate(None, "c", hashlabel="i"))):
        with pytest.raises(DatasetDamaged, match=str(path)):
            read(fresh(ds))
    assert list(fresh(ds).iterate(1, "i")) == [7]  # the other slice is whole


def test_one_column_reads_while_another_is_damaged(ds):
    """A damaged byte in one column's data is found when that column is read; the other
    columns read (their bytes are whole)."""
    entry = ds.meta["files"][0]
    region = entry["columns"][0][1]  # column 's', the only row group of slice 0
    start, end = entry["cuts"][region], entry["cuts"][region + 1]
    path = ds.files[0]
    data = bytearray(path.read_bytes())
    data[(start + end) // 2] ^= 0x55
    path.write_bytes(bytes(data))
    assert list(fresh(ds).iterate(0, "i")) == [2000, -1]
    with pytest.raises(DatasetDamaged, match=rf"column 's', slice 0: file {path}: bytes "
                                             rf"{start}..{end} do not match their checksum"):
        list(fresh(ds).iterate(0, "s"))


def test_damage_is_one_line_in_ax_and_fails_a_downstream_job(tmp_path):
    project = Project(tmp_path)
    project.method("make", """
        def synthesis(job):
            dw = job.datasetwriter(columns={"x": "int64"}, allow_missing_slices=True)
            dw.set_slice(0)
            for i in range(1000):
                dw.write(i)
    """)
    project.method("use", """
        datasets = ("source",)

        def synthesis():
            return sum(datasets.source.iterate(None, "x"))
    """)
    project.build("""
        def main(urd):
            src = urd.build('make')
            print('RESULT', urd.build('use', source=src).load())
    """)
    assert "RESULT 499500" in ax_run(project).stdout
    path = project.job("dev-1").path / "datasets" / "default" / "0000.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 1
    path.write_bytes(bytes(data))
    p = project.ax("cat", "dev-1")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert p.stderr.count("\n") == 1 and "dataset dev-1/default, column 'x', slice 0" in p.stderr
    assert "do not match their checksum" in p.stderr
    p = project.ax("ds", "dev-1", "--verify")
    assert p.returncode == 1 and "do not match their checksum" in p.stderr
    # a new job reading it fails and says why; nothing wrong is computed
    project.build("""
        def main(urd):
            print('RESULT', urd.build('use', source='dev-1', force_build=True).load())
    """)
    p = project.ax("run")
    assert p.returncode != 0 and "RESULT" not in p.stdout
    assert "dataset dev-1/default, column 'x', slice 0" in p.stdout + p.stderr
