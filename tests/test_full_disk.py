"""A full or read-only disk under the workdir, met for real: the workdir is on a tmpfs of
4 MB that the test mounts (root only; skipped otherwise), fills, remounts read-only and
frees.

The contract: whatever is being written when the disk fills up -- a method's output, its
files, a dataset, result.pickle or post.json, a new job's directory -- `ax` ends (no
hang), says so in one line naming the device by its workdir, shows no traceback, leaves
no job that could be reused, and once there is room again the same build runs anew.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    TIMEOUT,
    Project,
    assert_failed_cleanly,
    jobdir,
    one_error_line,
    post_of,
    printed,
    script,
)

from accel.records import status_of

SIZE = "4m"
MB = 1 << 20


class SmallDisk:
    """The tmpfs under project/workdirs, holding workdir dev and, beside it, a filler."""

    def __init__(self, mount: Path):
        self.mount = mount
        self.workdir = mount / "dev"
        self.filler = mount / "filler"

    def fill(self, leave: int = 0) -> None:
        """Take all the space there is, but for about `leave` bytes."""
        block = b"\0" * (64 << 10)
        with open(self.filler, "ab") as f:
            try:
                while True:
                    f.write(block)
                    f.flush()
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
        if leave:
            os.truncate(self.filler, max(0, self.filler.stat().st_size - leave))

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def remount(self, how: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{how}", str(self.mount)], check=True,
                       capture_output=True)


@pytest.fixture
def disk(project: Project) -> Iterator[SmallDisk]:
    """A 4 MB tmpfs mounted over project/workdirs (unmounted at the end)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs for the workdir needs root")
    mount = project.root / "workdirs"
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mount)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {r.stderr.strip()}")
    try:
        d = SmallDisk(mount)
        d.workdir.mkdir()
        yield d
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def run(project: Project) -> subprocess.CompletedProcess:
    """`ax run`, which must end by itself (a hang fails the test after TIMEOUT)."""
    return project.ax("run", timeout=TIMEOUT)


def full(disk: SmallDisk) -> str:
    return f"no space left on the device holding {disk.workdir}"


def fails_for_the_disk(project: Project, message: str, jobid: str, method: str,
                       *parts: str) -> None:
    """`ax run` fails in one line (no traceback) blaming the disk, in one of `parts`; the
    job is not finished, so it is never reused."""
    p = run(project)
    assert_failed_cleanly(p)
    line = one_error_line(p)
    assert line in [f"ax run: job {jobid} (method {method!r}) failed in {part}: {message}"
                    for part in parts], line
    assert status_of(jobdir(project, jobid)) in ("failed", "unfinished")
    if (jobdir(project, jobid) / "post.json").exists():
        assert post_of(project, jobid)["status"] == "failed"


def builds_new_job(project: Project, not_this: str = "") -> str:
    """`ax run` succeeds with a new job (with room again: not the one that failed)."""
    p = run(project)
    assert p.returncode == 0, p.stderr
    job = printed(p, "JOB")
    assert job != not_this
    assert post_of(project, job)["status"] == "finished"
    return job


# ---- output ---------------------------------------------------------------------------------

NOISY = '''
import sys

options = dict(mb=2)


def _print(kb):
    line = 'x' * 1023 + '\\n'
    for _ in range(kb):
        sys.stdout.write(line)


def analysis(sliceno, slices):
    if {in_analysis}:
        _print(options.mb * 1024 // slices)


def synthesis():
    if not {in_analysis}:
        _print(options.mb * 1024)
'''


@pytest.mark.parametrize("part", ["synthesis", "analysis"])
def test_output_that_fills_the_disk(project, disk, part):
    """The thread that keeps a part's output used to die on ENOSPC, and the runner then
    waited for it for ever."""
    in_analysis = part == "analysis"
    project.method("noisy", NOISY.format(in_analysis=in_analysis))
    script(project, """
        def main(urd):
            print('JOB', json.dumps(str(urd.build('noisy'))), flush=True)
    """)
    disk.fill(leave=MB)
    parts = ("analysis slice 0", "analysis slice 1") if in_analysis else ("synthesis",)
    fails_for_the_disk(project, full(disk), "dev-1", "noisy", *parts)
    disk.free()
    builds_new_job(project, "dev-1")


# ---- a method's own files ---------------------------------------------------------------------

BIG_FILE = '''
options = dict(how='', mb=2)


def synthesis(job):
    block = b'x' * 65536
    with (job.open('big', 'wb') if options.how == 'job.open'
          else open(job.filename('big'), 'wb')) as f:
        for _ in range(options.mb * 16):
            f.write(block)
'''


@pytest.mark.parametrize("how", ["job.open", "open"])
def test_a_file_bigger_than_the_space_left(project, disk, how):
    """ENOSPC raised in the method is the disk's fault, not the method's: said so, in one
    line (job.open's file names itself; a plain file is found by the device being full)."""
    project.method("big", BIG_FILE)
    script(project, f"""
        def main(urd):
            print('JOB', json.dumps(str(urd.build('big', how={how!r}))), flush=True)
    """)
    disk.fill(leave=MB)
    fails_for_the_disk(project, full(disk), "dev-1", "big", "synthesis")
    disk.free()
    builds_new_job(project, "dev-1")


# ---- a dataset --------------------------------------------------------------------------------

BIG_DATASET = '''
import numpy as np

options = dict(rows=140_000)


def prepare(job):
    return job.datasetwriter(columns={'x': 'float64'})


def analysis(sliceno, prepare_res):
    values = np.random.default_rng(sliceno).random(options.rows)
    for v in values.tolist():
        prepare_res.write(v)
'''


def test_a_dataset_bigger_than_the_space_left(project, disk):
    """Each slice writes about 1 MB of incompressible floats with 1 MB left. The slice
    files of the failed job go (they give the space back; no dataset can come of them)."""
    project.method("bigds", BIG_DATASET)
    script(project, """
        def main(urd):
            print('JOB', json.dumps(str(urd.build('bigds'))), flush=True)
    """)
    disk.fill(leave=MB)
    fails_for_the_disk(project, full(disk), "dev-1", "bigds", "analysis slice 0",
                       "analysis slice 1")
    assert post_of(project, "dev-1")["status"] == "failed"
    assert not list((jobdir(project, "dev-1") / "datasets").iterdir())
    disk.free()
    job = builds_new_job(project, "dev-1")
    assert project.job(job).dataset().lines == [140_000, 140_000]


# ---- result.pickle and post.json --------------------------------------------------------------

FILLS_UP = '''
import os

options = dict(filler='', flag='', value=None)


def synthesis():
    if os.path.exists(options.flag):  # the test's say: take every byte there is
        block = b'\\0' * 65536
        with open(options.filler, 'ab') as f:
            try:
                while True:
                    f.write(block)
                    f.flush()
            except OSError:
                pass
    return options.value
'''


@pytest.mark.parametrize("value", [None, "a result"])
def test_no_room_left_for_result_or_post_json(project, disk, value):
    """The method leaves no byte free: result.pickle (if it returns something) and then
    post.json cannot be written. The runner still ends and tells the builder why; the job
    has no post.json saying finished."""
    flag = project.root / "fill"
    flag.write_text("")
    project.method("fillsup", FILLS_UP)
    script(project, f"""
        def main(urd):
            job = urd.build('fillsup', filler={str(disk.filler)!r}, flag={str(flag)!r},
                            value={value!r})
            print('JOB', json.dumps(str(job)), flush=True)
    """)
    part = "finishing" if value is None else "saving the result"
    fails_for_the_disk(project, full(disk), "dev-1", "fillsup", part)
    flag.unlink()
    disk.free()
    builds_new_job(project, "dev-1")


# ---- making a job -----------------------------------------------------------------------------

SMALL = '''
options = dict(n=0)


def synthesis():
    return options.n
'''


def small_build(project: Project, n: int) -> None:
    script(project, f"""
        def main(urd):
            print('JOB', json.dumps(str(urd.build('small', n={n}))), flush=True)
    """)


@pytest.mark.parametrize("how", ["full", "read-only"])
def test_no_job_can_be_made(project, disk, how):
    """ENOSPC or EROFS while making a job directory or its setup.json is not the build
    script's bug: one line naming the device, and no job directory left behind."""
    project.method("small", SMALL)
    small_build(project, 1)
    first = builds_new_job(project)
    small_build(project, 2)
    if how == "full":
        disk.fill()
        message = full(disk)
    else:
        disk.remount("ro")
        message = f"the device holding {disk.workdir} is read-only"
    p = run(project)
    assert_failed_cleanly(p)
    assert one_error_line(p) == f"ax: cannot start a job of method 'small': {message}"
    assert project.job_dirs() == [first]
    if how == "full":
        disk.free()
    else:
        disk.remount("rw")
    builds_new_job(project, first)


# ---- ax gc ------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [("--dry-run",), ("--yes",)])
def test_gc_on_a_read_only_workdir(project, disk, args):
    """Nothing on a read-only device can be deleted: gc says so in one line, rather than
    a report of what it would delete (or a traceback)."""
    project.method("small", SMALL)
    small_build(project, 1)
    job = builds_new_job(project)
    disk.remount("ro")
    p = project.ax("gc", *args, timeout=TIMEOUT)
    assert_failed_cleanly(p)
    assert one_error_line(p) == (f"ax: gc: the device holding {disk.workdir} is read-only: "
                                 "nothing there can be deleted")
    assert project.job_dirs() == [job]
    disk.remount("rw")
    small_build(project, 2)  # the latest run of build.py no longer uses the job
    new = builds_new_job(project)
    p = project.ax("gc", "--yes", timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    assert project.job_dirs() == [new]
