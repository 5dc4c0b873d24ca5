"""Provision the separate virtual environment that holds the Accelerator.

The benchmarks in this folder compare accel with the Accelerator (PyPI package
``accelerator``, CLI ``ax``).  The two must never share an interpreter
environment: both install a console script called ``ax``.  The Accelerator
therefore lives in ``tests/bench/.venv-accelerator/`` (git-ignored), created
on demand by :func:`ensure_venv`.

Runs under our normal python; stdlib only.

    python tests/bench/accelerator_env.py        # create if missing, print python path
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: The Accelerator release the benchmarks were written and checked against.
ACCELERATOR_VERSION = "2025.11.11"

BENCH_DIR = Path(__file__).resolve().parent
VENV_DIR = BENCH_DIR / ".venv-accelerator"


def venv_python(venv: Path = VENV_DIR) -> Path:
    """Path of the python inside *venv* (not resolved: it must stay the venv's)."""
    if os.name == "nt":  # pragma: no cover - the project targets POSIX
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def venv_ax(venv: Path = VENV_DIR) -> Path:
    """Path of the Accelerator's ``ax`` script inside *venv*."""
    return venv_python(venv).parent / "ax"


def installed_version(python: Path) -> str | None:
    """The accelerator version importable by *python*, or None."""
    if not python.exists():
        return None
    try:
        out = subprocess.run(
            [str(python), "-c", "import accelerator; print(accelerator.__version__)"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def ensure_venv(
    version: str = ACCELERATOR_VERSION, venv: Path = VENV_DIR, quiet: bool = True
) -> Path:
    """Create *venv* with ``accelerator==version`` if needed; return its python.

    Idempotent: a venv that already has the right version is reused untouched.
    A venv with a missing or different version gets (re)installed in place.
    """
    python = venv_python(venv)
    if installed_version(python) == version and venv_ax(venv).exists():
        return python

    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)

    cmd = [
        str(python),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        f"accelerator=={version}",
    ]
    if quiet:
        cmd.insert(4, "--quiet")
    subprocess.run(cmd, check=True)

    got = installed_version(python)
    if got != version:
        raise RuntimeError(
            f"accelerator {version} was installed into {venv} but {python} reports {got!r}"
        )
    return python


if __name__ == "__main__":
    print(ensure_venv(quiet=False))
