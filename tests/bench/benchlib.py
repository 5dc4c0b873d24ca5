"""Driver code shared by bench_core.py and bench_datasets.py.

Runs with our normal python (not the Accelerator venv's): running the
Accelerator side script, the accel project skeleton and `ax` command, the
alternating run loop and the reporting (medians, spreads, number format and
the side by side table).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

TABLE_HEAD = ["measure", "accel", "Accelerator", "ratio (accel/Accelerator)", "accel target"]


# ---------------------------------------------------------------------------
# running the sides
# ---------------------------------------------------------------------------
def run_side_script(python: Path, script: str, side_args: list[str], timeout: float) -> dict:
    """One run of BENCH_DIR/*script* under *python*: the last line it prints, as JSON."""
    res = subprocess.run(
        [str(python), str(BENCH_DIR / script), *side_args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if res.returncode != 0:
        raise RuntimeError(f"{script} failed (rc={res.returncode}):\n{res.stderr[-6000:]}")
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    if not lines:
        raise RuntimeError(f"{script} printed nothing:\n{res.stderr[-4000:]}")
    return json.loads(lines[-1])


def make_accel_project(tmpdir: Path, files: dict[str, str], slices: int = 2) -> Path:
    """A fresh accel project under *tmpdir*/proj: *files* are paths in it -> text."""
    proj = tmpdir / "proj"
    (proj / "methods").mkdir(parents=True)
    (proj / "workdirs" / "dev").mkdir(parents=True)
    (proj / "accelerator.conf").write_text(
        f"slices: {slices}\nworkdirs:\n    dev ./workdirs/dev\nmethod packages:\n    ./methods\n"
    )
    (proj / "methods" / "__init__.py").write_text("")
    for name, text in files.items():
        (proj / name).write_text(text)
    return proj


def accel_ax() -> list[str]:
    """Our `ax`: the installed entry point (as a user runs it), else the module."""
    ax_script = shutil.which("ax")
    if ax_script:
        return [ax_script]
    return [sys.executable, "-m", "accel.cli.main"]


def alternate_runs(
    n_runs: int,
    accelerator: Callable[[], dict],
    accel: Callable[[], dict | None],
    verbose: bool,
    keys: Sequence[str],
) -> tuple[list[dict], list[dict]]:
    """(Accelerator runs, accel runs), alternating which side goes first so neither
    always runs on a "warm" machine.  accel runs that return None are left out."""
    ax_runs: list[dict] = []
    accel_runs: list[dict] = []
    for i in range(n_runs):
        order = ("accelerator", "accel") if i % 2 == 0 else ("accel", "accelerator")
        for side in order:
            if side == "accelerator":
                r = accelerator()
                ax_runs.append(r)
            else:
                r = accel()
                if r is not None:
                    accel_runs.append(r)
            if verbose and r is not None:
                print(
                    f"run {i + 1} {side}: " + ", ".join(f"{k}={fmt(r.get(k))}" for k in keys),
                    file=sys.stderr,
                )
        print(f"run {i + 1}/{n_runs} done", file=sys.stderr, flush=True)
    return ax_runs, accel_runs


# ---------------------------------------------------------------------------
# reporting
# ---------------------------------------------------------------------------
def medians(runs: list[dict], keys: Iterable[str]) -> dict:
    out = {}
    for k in keys:
        vals = [r[k] for r in runs if r and r.get(k) is not None]
        if vals:
            out[k] = statistics.median(vals)
    return out


def spread(runs: list[dict], k: str) -> str:
    vals = [r[k] for r in runs if r and r.get(k) is not None]
    if not vals:
        return "n/a"
    return f"{fmt(min(vals))}..{fmt(max(vals))}"


def print_spreads(
    accel_runs: list[dict], ax_runs: list[dict], keys: Sequence[str], width: int
) -> None:
    print("\nspread (min..max over runs):")
    for k in keys:
        print(
            f"  {k:{width}s} accel {spread(accel_runs, k):>16s}"
            f"   Accelerator {spread(ax_runs, k):>16s}"
        )


def fmt(v: float | None) -> str:
    if v is None:
        return "n/a"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def table_row(label: str, unit: str, a: float | None, b: float | None, verdict: str,
              target_text: str, ratio_digits: int) -> list[str]:
    """One row of the table: accel's figure *a* (with *verdict*), the Accelerator's *b*."""
    ratio = (a / b) if (a is not None and b) else None
    return [
        f"{label} [{unit}]",
        fmt(a) + verdict,
        fmt(b),
        "n/a" if ratio is None else f"{ratio:.{ratio_digits}f}x",
        target_text,
    ]


def render_table(rows: list[list[str]], head: list[str] = TABLE_HEAD) -> list[str]:
    """The lines of a table: the first column left aligned, the others right."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells):
        return " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(head), "-+-".join("-" * w for w in widths), *(line(r) for r in rows)]


def write_json(path: Path | None, data: dict) -> None:
    if path:
        path.write_text(json.dumps(data, indent=2) + "\n")
