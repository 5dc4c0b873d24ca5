"""Many tests' builds in one `ax run`: an `ax run` costs most of a second before its first
job (starting Python, importing the dataset code), so tests that only read what they built
share one run.

`Builds` collects, at import time, each test's files and its `build(urd)` (returning
{name: job}), and its module-scoped fixture runs them all from one build script in one
project per slice count; a test then reads its own jobs, or its own error. Each build's
source runs in a namespace of its own, as it would in a build script of its own. Builds
with the same method and options share the job, as any two builds do.

A build that fails is caught by the build script: the message a test checks is the one
`ax run` would have shown alone (`ax run: MESSAGE` for a job that failed, `ax: MESSAGE`
for a mistake found before a job ran). A failure is clean when it is what a user's mistake
must be: an AccelError, whose message `ax` prints as it is, with no traceback and no job
that crashed on one of Python's own exceptions.
"""

from __future__ import annotations

import builtins
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import Project, no_traceback

from accel.job import Job

# the build script; BUILDS ({key: source}) is appended
_SCRIPT = """\
import json

from accel.errors import AccelError


def _outcome(key, source, urd):
    \"\"\"The jobs the build returned ({name: job id}), or how it failed.\"\"\"
    try:
        space = {}
        exec(compile(source, f"<build {key}>", "exec"), space)
        return dict(jobs={k: str(v) for k, v in space["build"](urd).items()})
    except Exception as e:
        return dict(message=str(e), type=type(e).__name__, accel=isinstance(e, AccelError))


def main(urd):
    print("RESULT " + json.dumps({key: _outcome(key, src, urd) for key, src in BUILDS.items()}))

"""


def _run_all(project: Project, builds: dict[str, str]) -> tuple[dict[str, dict], str]:
    """Run `builds` ({key: source}) in one `ax run` in `project`: each one's outcome, and
    what the run printed on stdout. Nothing the run printed may be a traceback."""
    project.build(_SCRIPT + f"BUILDS = {builds!r}\n")
    p = project.ax("run", "--allow-failed-jobs")
    assert p.returncode == 0, f"ax run failed\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    assert no_traceback(p), f"a traceback\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    lines = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")]
    assert lines, f"no RESULT line\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return json.loads(lines[-1][len("RESULT "):]), p.stdout


def _jobs(key: str, outcome: dict) -> dict[str, str]:
    assert "jobs" in outcome, f"{key}: the build failed ({outcome['type']}):\n" \
                              f"{outcome['message']}"
    return outcome["jobs"]


def _error(key: str, outcome: dict) -> str:
    assert "jobs" not in outcome, f"{key}: expected the build to fail; it made {outcome['jobs']}"
    message = outcome["message"]
    clean = outcome["accel"] and "Traceback" not in message
    assert clean, f"{key}: not a clean failure ({outcome['type']}):\n{message}"
    # a job that failed on one of Python's own exceptions crashed: a mistake gets an accel
    # error saying what is wrong ("failed in prepare: KeyError: 'x'" would pass a check
    # for 'x')
    crashes = [name for name in re.findall(r"failed in [^:\n]+: (\w+)", message)
               if _python_exception(name)]
    assert not crashes, f"{key}: a job crashed ({crashes[0]}):\n{message}"
    return message


def _python_exception(name: str) -> bool:
    found = getattr(builtins, name, None)
    return isinstance(found, type) and issubclass(found, BaseException)


def mistake(method: str, given: str) -> str:
    """The key of `Builds.mistakes`' build of `method` with arguments `given`."""
    return f"{method}({given})"


@dataclass
class _Spec:
    src: str
    slices: int


@dataclass
class Builds:
    """The builds of a module's tests, one `ax run` for all (one per slice count)."""

    specs: dict[str, _Spec] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, src: str, files: dict[str, str | bytes] | None = None,
            slices: int = 2) -> str:
        """A build (`def build(urd): ... return {name: job}`, or one that must fail) and
        the files it reads, in the project folder (every build sees every file: a name
        another build gives too must hold the same bytes). Its key back."""
        assert key not in self.specs, f"two builds named {key!r}"
        src = textwrap.dedent(src).strip("\n") + "\n"
        assert "def build(urd):" in src, f"{key}: a build is a `def build(urd):`"
        for name, data in (files or {}).items():
            data = data.encode() if isinstance(data, str) else data
            assert self.files.setdefault(name, data) == data, f"{key}: {name} is another's"
        self.specs[key] = _Spec(src, slices)
        return key

    def mistakes(self, method: str, cases: dict[str, str], setup: str = "",
                 files: dict[str, str | bytes] | None = None, slices: int = 2) -> dict[str, str]:
        """A build of `method` with each case's arguments (after `setup`, a build script
        line), each of which must fail: {its key: the message it must fail with}."""
        assert all(cases.values()), f"{method}: each mistake's message, please"
        return {self.add(mistake(method, given), f"""
                    def build(urd):
                        {setup}
                        return dict(j=urd.build({method!r}, {given}))
                """, files=files, slices=slices): message for given, message in cases.items()}

    def method(self, name: str, src: str) -> None:
        """A method of the project (methods/a_NAME.py) that builds may use."""
        assert self.methods.setdefault(name, src) == src, f"two methods named {name!r}"

    def of(self, method: str, src: str, slices: int = 2, **options) -> str:
        """A build of one job of `method` (methods/a_METHOD.py is `src`) with `options`,
        which may fail: its key (`Built.job` reads the job)."""
        self.method(method, src)
        return self.add(f"{method}({options!r})", f"""
            def build(urd):
                return dict(job=urd.build({method!r}, **{options!r}))
        """, slices=slices)

    def fixture(self):
        """The module-scoped fixture (assign it to a name in the test module)."""

        @pytest.fixture(scope="module")
        def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
            return Built(self, tmp_path_factory.mktemp("together"))

        return built


class Built:
    """What `Builds` made: each slice count's project is built when a test first asks."""

    def __init__(self, builds: Builds, where: Path):
        self._builds = builds
        self._where = where
        self._done: dict[int, tuple[Project, dict[str, dict], str] | Exception] = {}

    def _run(self, slices: int) -> tuple[Project, dict[str, dict], str]:
        if slices not in self._done:
            project = Project(self._where / f"slices{slices}", slices=slices)
            for name, data in self._builds.files.items():
                (project.root / name).write_bytes(data)
            for name, src in self._builds.methods.items():
                project.method(name, src)
            try:
                self._done[slices] = (project, *_run_all(project, {
                    k: s.src for k, s in self._builds.specs.items() if s.slices == slices}))
            except Exception as e:  # each test says so, and none runs it all again
                self._done[slices] = e
        done = self._done[slices]
        if isinstance(done, Exception):
            raise done
        return done

    def jobs(self, key: str) -> tuple[Project, dict[str, str]]:
        """The project a build ran in and the jobs it returned ({name: job id})."""
        project, outcomes, _ = self._run(self._builds.specs[key].slices)
        return project, _jobs(key, outcomes[key])

    def job(self, key: str) -> Job:
        """The job of `Builds.of`'s build `key`."""
        project, jobs = self.jobs(key)
        return project.job(jobs["job"])

    def error(self, key: str) -> str:
        """The message a build failed with (asserted to have failed, cleanly)."""
        _, outcomes, _ = self._run(self._builds.specs[key].slices)
        return _error(key, outcomes[key])

    def each_fails(self, method: str, cases: dict[str, str]) -> None:
        """Each of `Builds.mistakes`' `cases` failed cleanly with its message, said by
        `method` ("METHOD: ...")."""
        for key, message in cases.items():
            err = self.error(key)
            assert f"{method}: " in err and message in err, (key, err)

    def stdout(self, slices: int = 2) -> str:
        """What the run of that slice count printed."""
        return self._run(slices)[2]
