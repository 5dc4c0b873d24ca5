"""Shared fixtures and helpers: a throwaway accel project, running `ax` in it as a user
would, reading what a build script printed, and watching processes started in the background.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import warm_ax

import accel
from accel import layout
from accel.config import load_config
from accel.job import Job

AX = [sys.executable, "-m", "accel.cli.main"]
TIMEOUT = 30.0  # generous: a slow CI machine with 2 cores


def run_ax(args: tuple[str, ...], cwd: Path, env: dict, timeout: float = 120,
           **kw) -> subprocess.CompletedProcess:
    """`ax ARGS` in `cwd`, as subprocess.run(capture_output=True, text=True) returns it: a
    command that only reads forked by the warm `ax` (warm_ax.py), any other started afresh."""
    if warm_ax.served(args, cwd, env, kw):
        return warm_ax.run(args, cwd, env, timeout)
    return subprocess.run([*AX, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env, **kw)


@pytest.fixture(autouse=True, scope="session")
def _warm_ax_ends() -> Iterator[None]:
    """The warm `ax` ends with the session (and its CPU time is the session's)."""
    yield
    warm_ax.stop()


class Project:
    """A temporary project: accelerator.conf, methods/, workdirs/dev, results/."""

    def __init__(self, root: Path, slices: int = 2, workdirs: tuple[str, ...] = ("dev",)):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.methods = root / "methods"
        self.methods.mkdir()
        (self.methods / "__init__.py").write_text("")
        wd_lines = ""
        for name in workdirs:
            (root / "workdirs" / name).mkdir(parents=True)
            wd_lines += f"    {name} ./workdirs/{name}\n"
        self.conf = root / "accelerator.conf"
        self.conf.write_text(
            f"slices: {slices}\nworkdirs:\n{wd_lines}method packages:\n    ./methods\n"
            "result directory: ./results\n"
        )

    def method(self, name: str, source: str) -> Path:
        path = self.methods / f"a_{name}.py"
        path.write_text(textwrap.dedent(source))
        _bump_mtime(path)
        return path

    def file(self, relpath: str, source: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        _bump_mtime(path)
        return path

    def build(self, source: str, name: str | None = None) -> Path:
        return self.file(f"build_{name}.py" if name else "build.py", source)

    def ax(self, *args: str, check: bool = False, timeout: float = 120,
           env: dict | None = None, **kw) -> subprocess.CompletedProcess:
        full_env = dict(os.environ, **(env or {}))
        full_env.pop("ACCEL_CONFIG", None)
        p = run_ax(args, self.root, full_env, timeout, **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"ax {' '.join(args)} exited {p.returncode}\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p

    def popen(self, *args: str, **kw) -> subprocess.Popen:
        env = dict(os.environ)
        env.pop("ACCEL_CONFIG", None)
        return subprocess.Popen([*AX, *args], cwd=self.root, env=env, **kw)

    def activate(self) -> None:
        """Let `accel.Job` in this (test) process find the project's workdirs.

        The autouse `_restore_layout_paths` fixture puts the global paths back after the test.
        """
        load_config(self.conf).activate()

    def job(self, jobid: str) -> Job:
        self.activate()
        return Job(jobid)

    def job_dirs(self, workdir: str = "dev") -> list[str]:
        d = self.root / "workdirs" / workdir
        return sorted((p.name for p in d.iterdir() if p.name.startswith(f"{workdir}-")),
                      key=lambda n: int(n.rsplit("-", 1)[1]))


class Saved:
    """A project built once, saved beside itself, and put back as it was for each test
    that changes it: what a build made, without building it again. Put back at the same
    path, since a job records its project's absolute paths; so only for tests whose
    processes have all ended when they do (a straggler would write into the next copy)."""

    def __init__(self, project: Project):
        self.project = project
        self._saved = project.root.with_name(project.root.name + ".saved")
        shutil.copytree(project.root, self._saved, symlinks=True)

    def restore(self) -> Project:
        """The project as it was saved."""
        shutil.rmtree(self.project.root)
        shutil.copytree(self._saved, self.project.root, symlinks=True)
        return self.project


def jobdir(project: Project, jobid: str, workdir: str = "dev") -> Path:
    return project.root / "workdirs" / workdir / jobid


def post_of(project: Project, jobid: str) -> dict:
    """A job's post.json (the test's view of how it ended)."""
    return json.loads((jobdir(project, jobid) / "post.json").read_text())


def setup_of(project: Project, jobid: str) -> dict:
    return json.loads((jobdir(project, jobid) / "setup.json").read_text())


def _bump_mtime(path: Path) -> None:
    """Edits within one clock tick must still look like edits to stat-based caches."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "proj")


@pytest.fixture(autouse=True, scope="session")
def _accel_compiled() -> None:
    """accel's modules compiled once, where every Python the tests start looks for them
    (accel's __pycache__ folders): with PYTHONDONTWRITEBYTECODE set, each of those hundreds
    of processes would compile accel anew, most of what a short `ax` costs. A project's own
    modules are compiled as the environment says, as before."""
    if sys.dont_write_bytecode:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.dirname(accel.__file__)],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


@pytest.fixture(autouse=True, scope="session")
def _own_cpu_slots(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Builds in this test session share CPUs with each other, not with other sessions
    or a user's builds on the same machine (`accel.cpuslots`)."""
    os.environ["ACCEL_CPU_SLOTS"] = str(tmp_path_factory.getbasetemp() / "cpu-slots")


@pytest.fixture(autouse=True)
def _restore_layout_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a test activates (`Project.activate`, a `Builder`), the next one starts clean."""
    monkeypatch.setattr(layout, "_paths", layout._paths)


# --- running `ax run` and reading what the build script printed --------------------------


def no_traceback(p: subprocess.CompletedProcess) -> bool:
    return "Traceback" not in p.stderr and "Traceback" not in p.stdout


def script(project: Project, source: str, name: str | None = None) -> None:
    """Write a build script (build.py or build_NAME.py); `json` is imported for printing."""
    project.build("import json\n" + textwrap.dedent(source), name)


def ax_run(project: Project, *args: str, clean: bool = False) -> subprocess.CompletedProcess:
    """`ax run ARGS`, which must succeed (and with `clean`, show no traceback either)."""
    p = project.ax("run", *args)
    assert p.returncode == 0, f"ax run {' '.join(args)} exited {p.returncode}\n" \
                              f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    if clean:
        assert no_traceback(p)
    return p


def assert_failed_cleanly(p: subprocess.CompletedProcess) -> None:
    """A user's mistake: exit status != 0 and no traceback."""
    assert p.returncode != 0, f"expected failure\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    assert no_traceback(p), f"traceback shown\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"


def ax_run_fails(project: Project, *args: str) -> subprocess.CompletedProcess:
    """`ax run ARGS`, which must fail cleanly: exit status != 0 and no traceback."""
    p = project.ax("run", *args)
    assert_failed_cleanly(p)
    return p


def printed(p: subprocess.CompletedProcess, tag: str = "RESULT"):
    """The JSON a build script printed after `tag` (the last such line)."""
    lines = [line for line in p.stdout.splitlines() if line.startswith(tag + " ")]
    assert lines, f"no {tag} line in output:\n{p.stdout}\n{p.stderr}"
    return json.loads(lines[-1][len(tag) + 1:])


# --- a Builder in the test process ---------------------------------------------------------


def _forget_project_modules(root: Path) -> None:
    root_s = str(root)
    for name, mod in list(sys.modules.items()):
        where = getattr(mod, "__file__", None) or next(iter(getattr(mod, "__path__", None) or ()), None)
        if where and str(where).startswith(root_s):
            del sys.modules[name]


@pytest.fixture
def api(project):
    """Make a `Builder` for the project in this process; its imports are undone afterwards
    (the layout paths it sets are put back by `_restore_layout_paths`)."""
    from accel.builder import Builder

    saved_path = list(sys.path)

    def make():
        _forget_project_modules(project.root)
        return Builder(load_config(project.conf), echo=False)

    yield make
    _forget_project_modules(project.root)
    sys.path[:] = saved_path


# --- `ax` in the background ----------------------------------------------------------------


def kill_all(started: list[subprocess.Popen]) -> None:
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait()


@pytest.fixture
def procs():
    """Popen objects to kill at the end if a test left them running."""
    started: list[subprocess.Popen] = []
    yield started
    kill_all(started)


def start_ax(project: Project, procs: list[subprocess.Popen], *args: str,
          tag: str) -> subprocess.Popen:
    """`ax ARGS` in the background, stdout and stderr to files named after `tag`."""
    with open(project.root / f"{tag}.out", "w") as out, \
            open(project.root / f"{tag}.err", "w") as err:
        p = project.popen(*args, stdout=out, stderr=err)
    procs.append(p)
    return p


def finish_ax(project: Project, proc: subprocess.Popen, tag: str,
              timeout: float = 60.0) -> tuple[int, str, str]:
    """Wait for an `ax` that `start_ax` started: (exit code, stdout, stderr); killed, with
    the end of its stderr, if it does not finish within `timeout` seconds."""
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"ax ({tag}) did not finish in {timeout:g} s:\n"
                             + (project.root / f"{tag}.err").read_text()[-3000:]) from None
    return rc, (project.root / f"{tag}.out").read_text(), (project.root / f"{tag}.err").read_text()


def wait_for(cond, timeout: float = TIMEOUT, what: str = "condition", proc=None):
    """Poll `cond` until it returns something true; fail with `what` on timeout, or as soon
    as `proc` (an `ax` in the background) has exited without `cond` becoming true."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if proc is not None and proc.poll() is not None:
            v = cond()
            if v:
                return v
            raise AssertionError(f"ax exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


# --- running `ax` as a user does, from a project directory ---------------------------------


def cli_env() -> dict:
    """The environment for `ax` run as a user: no colours, no ACCEL_CONFIG."""
    e = dict(os.environ, NO_COLOR="1")
    e.pop("ACCEL_CONFIG", None)
    e.pop("ACCEL_COLOUR", None)
    return e


def ax(cwd: Path, *args: str, rc: int = 0) -> subprocess.CompletedProcess:
    """`ax ARGS` in *cwd*; asserts exit code *rc* and no traceback."""
    p = run_ax(args, cwd, cli_env(), 120)
    assert p.returncode == rc, f"ax {' '.join(args)}: rc {p.returncode}\n{p.stdout}\n{p.stderr}"
    assert "Traceback" not in p.stderr, p.stderr
    return p


def ax_json(cwd: Path, *args: str):
    return json.loads(ax(cwd, *args, "--json").stdout)


def one_error_line(p: subprocess.CompletedProcess, prefixes: tuple[str, ...] = ()) -> str:
    """The one line on stderr (asserted to be one, starting with one of *prefixes* if given)."""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    if prefixes:
        assert lines[0].startswith(prefixes), lines[0]
    return lines[0]


# --- datasets made in this process (a hand-made job directory per dataset) -------------------


@pytest.fixture
def new_job(tmp_path, monkeypatch):
    """make(slices=2) -> a CurrentJob in a workdir of its own, ready for datasetwriter()."""
    from accel.dataset import writer as writer_module
    from accel.job import CurrentJob

    monkeypatch.setattr(layout, "_paths", layout.Paths(workdirs={"t": tmp_path}))
    numbers = itertools.count(1)

    def make(slices: int = 2) -> CurrentJob:
        n = next(numbers)
        path = tmp_path / f"t-{n}"
        path.mkdir()
        (path / "setup.json").write_text(json.dumps({"slices": slices, "method": "test"}))
        return CurrentJob(f"t-{n}")

    yield make
    writer_module._writers.clear()


def write_dataset(job, columns: dict, per_slice: list[list], name: str = "default",
                  **kw) -> list[str]:
    """Write *per_slice* rows with job.datasetwriter(columns, name=name, **kw), slice by
    slice, and finish the job's writers the way the runner does: the names finished."""
    from accel.dataset import writer as writer_module

    dw = job.datasetwriter(columns, name=name, **kw)
    for sliceno, rows in enumerate(per_slice):
        dw.set_slice(sliceno)
        for row in rows:
            dw.write(*row)
    return writer_module.finish_all(job.path)


# --- processes a method started, watched through marker files -------------------------------
#
# A method part writes `<marks>/<name>` holding "PID STARTTIME" (STARTTIME from /proc, so a
# recycled PID is never mistaken for the job's process) and, when asked to, waits while
# `<marks>/hold` exists. The test watches the folder.


def proc_start(pid: int) -> str | None:
    """The start time of `pid` from /proc, None when there is no such (live) process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    if fields[0] in ("Z", "X"):  # a zombie is dead, only not reaped (pid 1 may not reap)
        return None
    return fields[19]


def alive(pid: int, start: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return proc_start(pid) == start


def marks_in(folder: Path) -> dict[str, tuple[int, str]]:
    """name -> (pid, starttime) of every marker a method wrote."""
    out = {}
    for p in folder.iterdir():
        if p.name.startswith(".") or p.name == "hold":
            continue
        pid, start = p.read_text().split()
        out[p.name] = (int(pid), start)
    return out


MARKING = '''
import os
import time
from pathlib import Path


def _mark(name, pid=None):
    """Mark this process (or process `pid`, one this one started) as `name`."""
    pid = os.getpid() if pid is None else pid
    with open(f'/proc/{pid}/stat') as f:
        start = f.read().rsplit(')', 1)[1].split()[19]
    d = Path(options.marks)
    tmp = d / ('.' + name)
    tmp.write_text(f'{pid} {start}')
    os.rename(tmp, d / name)


def _hold():
    deadline = time.time() + 60  # never forever, even if the test dies
    while (Path(options.marks) / 'hold').exists() and time.time() < deadline:
        time.sleep(0.02)
'''


def marks_folder(project: Project, folders: list[Path]) -> Path:
    """A fresh folder for a method's markers, given to `reaper` (whose recorded processes
    are killed when the test ends)."""
    marks = project.root / "marks"
    marks.mkdir()
    folders.append(marks)
    return marks


@pytest.fixture
def reaper(procs):
    """Folders of markers; at the end every recorded process still alive is killed."""
    folders: list[Path] = []
    yield folders, procs
    kill_all(procs)
    for folder in folders:
        if folder.exists():
            for pid, start in marks_in(folder).values():
                if alive(pid, start):
                    os.kill(pid, signal.SIGKILL)




def run_on_a_terminal(project: Project) -> str:
    """`ax run` with a pty as its terminal: everything it wrote there."""
    import pty

    master, slave = pty.openpty()
    env = dict(os.environ)
    env.pop("ACCEL_CONFIG", None)
    p = subprocess.Popen([*AX, "run"], cwd=project.root, stdin=slave, stdout=slave,
                         stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    assert p.wait(timeout=TIMEOUT) == 0, out
    os.close(master)
    return out.decode(errors="replace")
