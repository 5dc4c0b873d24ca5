"""A job whose setup.json or post.json is damaged, as a user meets it (issue: nothing lost
under faults): every command names the damaged file in one line and none shows a
traceback; the job is never reused and never taken as an input; and gc, which cannot tell
what such a job uses, deletes nothing it might use.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import (
    Project,
    ax_run,
    ax_run_fails,
    jobdir,
    no_traceback,
    one_error_line,
    printed,
    script,
)

MAKE = '''
options = dict(n=int)


def synthesis(job, slices, options):
    dw = job.datasetwriter(columns={"x": "int64"})
    for s in range(slices):
        dw.set_slice(s)
        dw.write(options.n + s)
    job.save("made %d" % options.n, "note.txt")
    return options.n
'''

USE = '''
options = dict(n=int)
jobs = ("source",)


def synthesis(jobs, options):
    return jobs.source.load() + options.n
'''

BUILD = '''
def main(urd):
    a = urd.build("make", n=3)
    print("RESULT", json.dumps(a))
'''

def _truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _with(**values):
    """setup.json or post.json with these values (each of a type accel never writes)."""
    return lambda d: json.dumps(dict(json.loads(d), **values)).encode()


def _fifo(target: Path) -> None:
    target.unlink()
    os.mkfifo(target)  # a reader that opens it waits for a writer for ever


def _device(target: Path) -> None:
    target.unlink()
    target.symlink_to("/dev/zero")  # a reader that reads it fills the memory


_fifo.on_path = _device.on_path = True  # type: ignore[attr-defined]


# (file, how, what it does to the file's bytes; or, marked on_path, to the file)
DAMAGE = [
    ("post.json", "truncated", _truncate),
    ("post.json", "empty", lambda d: b""),
    ("post.json", "a list", lambda d: b"[]\n"),
    ("post.json", "not UTF-8", lambda d: b"\xff\xfe" + d[2:]),
    ("post.json", "an unknown status", lambda d: d.replace(b'"finished"', b'"finishd"')),
    ("post.json", "files not a list", lambda d: json.dumps(
        dict(json.loads(d), files=7)).encode()),
    ("setup.json", "truncated", _truncate),
    ("setup.json", "a list", lambda d: b"[1, 2]\n"),
    ("setup.json", "not UTF-8", lambda d: d.replace(b'"make"', b'"m\xe4ke"')),
    ("setup.json", "slices not a number", lambda d: json.dumps(
        dict(json.loads(d), slices="two")).encode()),
    ("setup.json", "deleted", None),
    # what a hand edit or another tool could leave: each would crash a command, be reused
    # or reach outside the workdir (the identity and the method name become file names)
    ("setup.json", "an identity that leaves the workdir", _with(identity="../../../../victim")),
    ("setup.json", "a method name that is a path", _with(method="../../../victim")),
    ("setup.json", "another job's", _with(jobid="dev-9")),
    ("setup.json", "a caption no output can print", _with(caption="\ud800")),
    ("setup.json", "nested too deeply", lambda d: b"[" * 200000 + b"]" * 200000),
    ("setup.json", "a named pipe", _fifo),
    ("post.json", "an exectime that is NaN", _with(exectime=float("nan"))),
    ("post.json", "an error traceback that is a number", _with(error={"traceback": 7})),
    ("post.json", "a link to a device", _device),
]
IDS = [f"{f}-{how.replace(' ', '-')}" for f, how, _ in DAMAGE]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with one finished job (dev-1: a dataset, result.pickle, note.txt),
    copied by each test so that each damages its own."""
    root = tmp_path_factory.mktemp("damaged") / "p"
    project = Project(root)
    project.method("make", MAKE)
    project.method("use", USE)
    script(project, BUILD)
    assert printed(ax_run(project, clean=True)) == "dev-1"
    return root


def _copy(built: Path, root: Path) -> Project:
    """A copy of the project at `built`, at `root`."""
    shutil.copytree(built, root, symlinks=True)
    project = Project.__new__(Project)
    project.root, project.methods, project.conf = root, root / "methods", root / "accelerator.conf"
    return project


def _damaged_copy(built: Path, tmp_path: Path, file: str, change) -> tuple[Project, Path]:
    project = _copy(built, tmp_path / "p")
    target = jobdir(project, "dev-1") / file
    _damage(target, change)
    return project, target


def _damage(target: Path, change) -> None:
    """Do one of DAMAGE's changes to `target` (None: delete it)."""
    if change is None:
        target.unlink()
    elif getattr(change, "on_path", False):
        change(target)
    else:
        target.write_bytes(change(target.read_bytes()))


MANY_BUILD = f'''
def main(urd):
    print("RESULT", json.dumps([urd.build("make", n=n) for n in range({len(DAMAGE)})]))
'''


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A project with one finished job for each way of DAMAGE (make, n=0 to 19), not yet
    damaged: copied by the fixtures that damage them."""
    root = tmp_path_factory.mktemp("many") / "p"
    project = Project(root)
    project.method("make", MAKE)
    project.method("use", USE)
    script(project, MANY_BUILD)
    jobs = printed(ax_run(project, clean=True))
    assert len(set(jobs)) == len(DAMAGE), jobs
    return root, jobs


@dataclass
class SideBySide:
    """A copy of `many` with its jobs damaged, one in each way of DAMAGE (jobs[i] as
    DAMAGE[i] says): what was damaged, and its bytes after the damage (None when it is
    not a file)."""

    project: Project
    jobs: list[str]
    targets: list[Path]
    damaged_bytes: list[bytes | None]


def _side_by_side(many: tuple[Path, list[str]], where: Path) -> SideBySide:
    built, jobs = many
    project = _copy(built, where / "p")
    targets, damaged_bytes = [], []
    for jobid, (file, _, change) in zip(jobs, DAMAGE, strict=True):
        target = jobdir(project, jobid) / file
        _damage(target, change)
        targets.append(target)
        damaged_bytes.append(target.read_bytes() if target.is_file() else None)
    return SideBySide(project, jobs, targets, damaged_bytes)


@pytest.fixture(scope="module")
def side_by_side(many, tmp_path_factory: pytest.TempPathFactory) -> SideBySide:
    """Every damaged job at once, as what lists jobs meets them; the tests that read a
    damaged job each read their own. Nothing here builds in it."""
    return _side_by_side(many, tmp_path_factory.mktemp("side_by_side"))


def test_every_listing_names_every_damaged_job(side_by_side: SideBySide) -> None:
    """One job damaged in each way, side by side (what lists jobs meets them all at once):
    each listing names every damaged file, with no traceback, and gc keeps them all."""
    project, jobs = side_by_side.project, side_by_side.jobs
    named = {jobid: str(target) for jobid, target in zip(jobs, side_by_side.targets,
                                                          strict=True)}
    for args in (("jobs",), ("workdir", "dev"), ("workdir", "--status", "damaged")):
        p = project.ax(*args, check=True)
        assert "Traceback" not in p.stderr + p.stdout
        missing = [j for j, n in named.items() if n not in p.stdout]
        assert "damaged" in p.stdout and not missing, (args, missing, p.stdout)
    rows = json.loads(project.ax("jobs", "--status", "damaged", "--json", check=True).stdout)
    assert sorted(r["job"] for r in rows) == sorted(jobs)
    p = project.ax("gc", "--dry-run", check=True)
    assert "Traceback" not in p.stderr + p.stdout
    # (it warns of the first damaged job it meets: from then on it keeps every job)
    assert re.search(r"warning: dev-\d+ .*is damaged", p.stdout), p.stdout
    assert f"kept: {len(jobs)} jobs" in p.stdout, p.stdout


@pytest.mark.parametrize("way", range(len(DAMAGE)), ids=IDS)
def test_every_command_names_the_damaged_file(side_by_side: SideBySide, way: int) -> None:
    project, jobid = side_by_side.project, side_by_side.jobs[way]
    named = str(side_by_side.targets[way])

    # what reads the job: one line naming the file, exit status 1
    for args in (("cat", jobid), ("ds", jobid), ("ds", "--verify", jobid)):
        p = project.ax(*args)
        assert p.returncode == 1, (args, p.stdout, p.stderr)
        line = one_error_line(p)
        assert named in line and "damaged" in line, (args, line)

    # what shows jobs: the job as damaged, and what is wrong, with no traceback
    p = project.ax("job", jobid, "--json", check=True)
    info = json.loads(p.stdout)
    assert info["status"] == "damaged" and named in info["damage"]
    p = project.ax("job", jobid, check=True)
    assert "damaged" in p.stdout.splitlines()[0] and named in p.stdout
    # `ax why` explains what it can read (a damaged setup.json: nothing, one line)
    p = project.ax("why", jobid)
    assert p.returncode in (0, 1) and "Traceback" not in p.stderr
    assert named in p.stdout + p.stderr and "damaged" in p.stdout + p.stderr


USE_EACH = '''
from accel.errors import AccelError


def main(urd):
    refused = {}
    for source in %r:
        try:
            urd.build("use", source=source, n=1)
        except AccelError as e:
            refused[source] = str(e)
    print("RESULT", json.dumps(refused))
'''


@dataclass
class Rebuilt:
    """What building again beside the damaged jobs made: the jobs of MANY_BUILD run twice,
    and why each damaged job was refused as an input (its message; absent if it was not)."""

    damaged: SideBySide
    first: list[str]
    again: list[str]
    refused: dict[str, str]
    refused_by_ax: str  # what `ax run` said of the first one, uncaught


@pytest.fixture(scope="module")
def rebuilt(many, tmp_path_factory: pytest.TempPathFactory) -> Rebuilt:
    """The same build run twice beside the damaged jobs (a copy of its own), then each
    damaged job named as an input: one `ax run` each, for every way of DAMAGE at once."""
    damaged = _side_by_side(many, tmp_path_factory.mktemp("rebuilt"))
    project = damaged.project
    first = printed(ax_run(project, clean=True))
    again = printed(ax_run(project, clean=True))
    script(project, USE_EACH % (damaged.jobs,), "use_each")
    p = project.ax("run", "build_use_each.py")
    # (a refused input is a mistake of the build, not a job that failed)
    assert p.returncode == 0 and no_traceback(p), (p.stdout, p.stderr)
    script(project, f'def main(urd):\n    urd.build("use", source={damaged.jobs[0]!r}, n=1)\n',
           "use_first")
    by_ax = ax_run_fails(project, "build_use_first.py").stderr
    return Rebuilt(damaged, first, again, printed(p), by_ax)


def test_a_damaged_input_is_refused_by_ax_run_in_one_line(rebuilt: Rebuilt) -> None:
    """What the tests below read from the message of the error the build script caught,
    `ax run` prints, failing (with no traceback: ax_run_fails)."""
    target = str(rebuilt.damaged.targets[0])
    assert rebuilt.refused_by_ax.strip() == f"ax: {rebuilt.refused[rebuilt.damaged.jobs[0]]}"
    assert target in rebuilt.refused_by_ax and "damaged" in rebuilt.refused_by_ax


@pytest.mark.parametrize("way", range(len(DAMAGE)), ids=IDS)
def test_a_damaged_job_is_neither_reused_nor_an_input(rebuilt: Rebuilt, way: int) -> None:
    damaged = rebuilt.damaged
    jobid, target = damaged.jobs[way], damaged.targets[way]

    # the same build runs the job again rather than reuse the damaged one (or another
    # damaged one: each way's check fails on its own, whatever another way did)
    new = rebuilt.first[way]
    assert new not in damaged.jobs and rebuilt.first.count(new) == 1, (jobid, new)
    assert rebuilt.again[way] == new  # and the new one is reused
    # named as an input, it is refused (an AccelError: one line from `ax run`) naming the file
    message = rebuilt.refused.get(jobid)
    assert message is not None, f"{jobid}, damaged, was taken as an input"
    assert str(target) in message and "damaged" in message and "Traceback" not in message, \
        message
    # the damaged job itself is left as it was (for its owner to look at), and nothing was
    # written outside the workdir
    if damaged.damaged_bytes[way] is not None:
        assert target.read_bytes() == damaged.damaged_bytes[way]
    where = damaged.project.root.parent
    assert not list(where.rglob("victim*")) and not list(where.parent.glob("victim*"))


GC_BUILD = '''
def main(urd):
    a = urd.build("make", n=5)
    b = urd.build("use", source=a, n=1)
    b.link_result("result.pickle", "b.pickle")
    print("RESULT", json.dumps([a, b]))
'''


@pytest.mark.parametrize("file", ["setup.json", "post.json"])
def test_gc_keeps_what_a_damaged_kept_job_may_use(project: Project, file: str) -> None:
    """b reads a's result and is linked from the result directory; b's record is then
    damaged, so what b uses cannot be read: gc must keep a (and say why)."""
    project.method("make", MAKE)
    project.method("use", USE)
    script(project, GC_BUILD)
    a, b = printed(ax_run(project, clean=True))
    script(project, 'def main(urd):\n    urd.build("make", n=99)\n', "other")
    ax_run(project, "build_other.py", clean=True)
    (project.root / "build_other.py").unlink()  # dev-3: now nothing refers to it
    target = jobdir(project, b) / file
    target.write_bytes(_truncate(target.read_bytes()))

    p = project.ax("gc", "--yes", check=True)
    assert str(target) in p.stdout and "keeps every finished job" in p.stdout
    assert jobdir(project, a).is_dir(), p.stdout
    assert jobdir(project, b).is_dir()
    assert jobdir(project, "dev-3").is_dir()  # kept too: it may be what b uses

    # once b is repaired (here: built again and linked), gc collects as before
    shutil.rmtree(jobdir(project, b))
    (project.root / "results" / "b.pickle").unlink()
    a2, b2 = printed(ax_run(project, clean=True))
    assert (a2, b2) == (a, "dev-4")
    p = project.ax("gc", "--yes", check=True)
    assert "keeps every finished job" not in p.stdout
    assert jobdir(project, a).is_dir() and jobdir(project, b2).is_dir()
    assert not jobdir(project, "dev-3").exists()


CONSUME = '''
datasets = ("source",)
options = dict(n=int)


def synthesis(job):
    return sum(datasets.source.iterate(None, "x")) + options.n
'''


@pytest.mark.parametrize("damage", ["truncated", "a flipped byte"])
def test_a_damaged_input_dataset_fails_the_consumer_in_loading_inputs(
        built: Path, tmp_path: Path, damage: str) -> None:
    """The consumer's failure names the part (loading inputs) and the file, and shows no
    accel frames: there is no line of the user's code to show."""
    project, _ = _damaged_copy(built, tmp_path, "note.txt", lambda d: d)
    project.method("consume", CONSUME)
    script(project, 'def main(urd):\n    urd.build("consume", source="dev-1", n=1)\n', "consume")
    meta = jobdir(project, "dev-1") / "datasets" / "default" / "meta.json"
    data = meta.read_bytes()
    if damage == "truncated":
        meta.write_bytes(data[: len(data) // 2])
    else:
        i = data.index(b'"x"') + 1
        meta.write_bytes(data[:i] + b"y" + data[i + 1:])
    p = ax_run_fails(project, "build_consume.py")
    assert "failed in loading inputs" in p.stderr and str(meta) in p.stderr, p.stderr
    assert "accel/runner.py" not in p.stderr and "method traceback" not in p.stderr, p.stderr


@pytest.mark.parametrize("file", ["setup.json", "post.json"])
def test_the_board_shows_a_damaged_job_and_its_damage(built: Path, tmp_path: Path,
                                                     file: str) -> None:
    from test_board import Board

    project, target = _damaged_copy(built, tmp_path, file, _truncate)
    board = Board(project.root, "--listen", "127.0.0.1:0")
    try:
        status, _, body = board.get("/job/dev-1")
        assert status == 200 and "st-damaged" in body and str(target) in body
        status, _, body = board.get("/")
        assert status == 200 and 'href="/job/dev-1"' in body and "damaged" in body
    finally:
        board.kill()


CHAIN = '''
options = dict(prev='')


def synthesis(job):
    dw = job.datasetwriter(columns={"x": "int64"}, previous=options.prev or None,
                           allow_missing_slices=True)
    dw.set_slice(0)
    dw.write(1)
    return 1
'''

CHAIN_BUILD = '''
def main(urd):
    a = urd.build("make", n=7)
    c = urd.build("chain", prev=a + "/default")   # uses a only through its dataset's previous
    c.link_result("result.pickle", "c.pickle")
    print("RESULT", json.dumps([a, c]))
'''


def test_gc_keeps_what_a_kept_job_s_unreadable_dataset_may_chain_to(project: Project) -> None:
    """c (linked from results) uses a only as its dataset's previous, which c's meta.json
    says; with that meta.json damaged, gc cannot see the link, so it must keep a."""
    project.method("make", MAKE)
    project.method("chain", CHAIN)
    script(project, CHAIN_BUILD)
    a, c = printed(ax_run(project, clean=True))
    meta = jobdir(project, c) / "datasets" / "default" / "meta.json"
    meta.write_bytes(_truncate(meta.read_bytes()))
    p = project.ax("gc", "--yes", check=True)
    assert jobdir(project, a).is_dir(), p.stdout
    assert "meta.json of its dataset 'default'" in p.stdout and "keeps every finished job" in p.stdout
