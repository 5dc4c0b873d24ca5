"""Shared fixtures: a throwaway accel project, and running `ax` in it as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

AX = [sys.executable, "-m", "accel.cli.main"]


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
        p = subprocess.run([*AX, *args], cwd=self.root, capture_output=True, text=True,
                           timeout=timeout, env=full_env, **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"ax {' '.join(args)} exited {p.returncode}\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p

    def popen(self, *args: str, **kw) -> subprocess.Popen:
        env = dict(os.environ)
        env.pop("ACCEL_CONFIG", None)
        return subprocess.Popen([*AX, *args], cwd=self.root, env=env, **kw)

    def job_dirs(self, workdir: str = "dev") -> list[str]:
        d = self.root / "workdirs" / workdir
        return sorted((p.name for p in d.iterdir() if p.name.startswith(f"{workdir}-")),
                      key=lambda n: int(n.rsplit("-", 1)[1]))


def _bump_mtime(path: Path) -> None:
    """Edits within one clock tick must still look like edits to stat-based caches."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "proj")


def no_traceback(p: subprocess.CompletedProcess) -> bool:
    return "Traceback" not in p.stderr and "Traceback" not in p.stdout
