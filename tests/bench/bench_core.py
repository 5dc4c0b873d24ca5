"""Core benchmark: accel side by side with the Accelerator, in the same run.

    python tests/bench/bench_core.py [--runs 5] [--json out.json] [--verbose]

Each run measures both tools, alternating which goes first, and the table
reports the median over runs of each figure, plus ratio = accel / Accelerator
(lower is better for accel).  The machine is noisy (2 cores): use --runs >= 5
for figures worth quoting.

The Accelerator side runs in its own venv (tests/bench/.venv-accelerator/,
created on first use by accelerator_env.ensure_venv()) through
accelerator_side.py; see that file for what exactly is timed.

Figures (all medians over runs):
  new_job_ms   ms per NEW trivial job built with urd.build in a build script
               (median over the N distinct jobs of a run)
  hit_ms       ms per REUSED job (cache hit): repeat urd.build of an existing
               job in the same build script process, mean over 1000 hits
  hits_1000_s  seconds for 1000 such hits
  help_ms      `ax --help` wall time (subprocess, median of 10)
  job_ms       `ax job JOBID` wall time (subprocess, median of 10)
  run_ms       `ax run SCRIPT` wall time when everything it builds is cached
               (subprocess, median of 5) -- optional for accel
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accelerator_env import ACCELERATOR_VERSION, ensure_venv  # noqa: E402
from benchlib import (  # noqa: E402
    accel_ax,
    alternate_runs,
    fmt,
    make_accel_project,
    medians,
    print_spreads,
    render_table,
    run_side_script,
    table_row,
    write_json,
)

# (key, label, unit, target for accel from the issue, in the same unit; None: no target)
MEASURES = [
    ("new_job_ms", "new trivial job", "ms", 5.0),
    ("hit_ms", "cache hit (reused job)", "ms", 0.1),
    ("hits_1000_s", "1000 cache hits", "s", 0.1),
    ("help_ms", "ax --help", "ms", 100.0),
    ("job_ms", "ax job REF", "ms", 150.0),
    ("run_ms", "ax run (all cached)", "ms", None),
]
KEYS = [m[0] for m in MEASURES]


# ---------------------------------------------------------------------------
# accel side  >>> TO BE FILLED IN once the accel core lands <<<
# ---------------------------------------------------------------------------
METHOD_SRC = "options = dict(value=0)\n\ndef synthesis(options):\n    return options.value * 2\n"
CACHED_SRC = "def main(urd):\n    for i in range(20):\n        urd.build('bench', value=i + 1)\n"


def measure_accel(tmpdir: Path, new: int = 20, hits: int = 1000, cli_reps: int = 10,
                  run_reps: int = 5) -> dict:
    """Measure accel the way accelerator_side.py measures the Accelerator.

    A fresh project under *tmpdir*; new_job_ms is the median of `new` builds of a trivial
    job (synthesis only) with distinct options, each timed with perf_counter around the
    build call in one build script; hit_ms / hits_1000_s come from `hits` repeat builds
    of one existing job in the same process; help_ms / job_ms / run_ms are subprocess
    wall-time medians of our `ax`.
    """
    out = tmpdir / "figures.json"
    build_bench = f"""
import json, statistics, time

def main(urd):
    times = []
    for i in range({new}):
        t0 = time.perf_counter()
        job = urd.build("bench", value=i + 1)
        times.append(time.perf_counter() - t0)
        assert job.load() == (i + 1) * 2
    t0 = time.perf_counter()
    for _ in range({hits}):
        urd.build("bench", value=1)
    total = time.perf_counter() - t0
    with open({str(out)!r}, "w") as f:
        json.dump(dict(new_job_ms=statistics.median(times) * 1000,
                       hit_ms=total / {hits} * 1000, hits_1000_s=total * 1000 / {hits}), f)
"""
    proj = make_accel_project(
        tmpdir,
        {
            "methods/a_bench.py": METHOD_SRC,
            "build_bench.py": build_bench,
            "build_cached.py": CACHED_SRC,
        },
    )
    ax = accel_ax()

    def run(*args: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([*ax, *args], cwd=proj, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        return (time.perf_counter() - t0) * 1000

    run("run", "bench", "-q")
    figures = json.loads(out.read_text())
    figures["help_ms"] = statistics.median(run("--help") for _ in range(cli_reps))
    figures["job_ms"] = statistics.median(run("job", "dev-1") for _ in range(cli_reps))
    figures["run_ms"] = statistics.median(run("run", "cached", "-q") for _ in range(run_reps))
    return figures


# ---------------------------------------------------------------------------
# the Accelerator side
# ---------------------------------------------------------------------------
def measure_accelerator(python: Path, side_args: list[str], timeout: float = 900) -> dict:
    """One run of accelerator_side.py under the Accelerator venv's python."""
    return run_side_script(python, "accelerator_side.py", side_args, timeout)


def run_accel_once(args: argparse.Namespace) -> dict | None:
    tmp = Path(tempfile.mkdtemp(prefix="accelbench-"))
    try:
        return measure_accel(tmp, args.new, args.hits, args.cli_reps, args.run_reps)
    except NotImplementedError:
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# reporting
# ---------------------------------------------------------------------------
def table(accel: dict, ax: dict, n_runs: int, n_accel_runs: int) -> str:
    rows = []
    for key, label, unit, target in MEASURES:
        a, b = accel.get(key), ax.get(key)
        verdict = ""
        if a is not None and target is not None:
            verdict = "  ok" if a <= target else "  MISS"
        target_text = "-" if target is None else f"<= {fmt(target)}"
        rows.append(table_row(label, unit, a, b, verdict, target_text, 3))
    out = render_table(rows)
    out.append(
        f"medians over {n_runs} run(s) of the Accelerator {ACCELERATOR_VERSION}"
        f" and {n_accel_runs} run(s) of accel"
        + ("" if n_accel_runs else " (measure_accel not implemented yet)")
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=5, help="runs per side (default 5)")
    ap.add_argument("--new", type=int, default=20, help="new jobs per run (default 20)")
    ap.add_argument("--hits", type=int, default=1000, help="cache hits per run (default 1000)")
    ap.add_argument(
        "--cli-reps", type=int, default=10, help="ax --help / ax job repetitions (default 10)"
    )
    ap.add_argument("--run-reps", type=int, default=5, help="cached ax run repetitions (default 5)")
    ap.add_argument("--json", type=Path, help="also write all raw per-run figures here")
    ap.add_argument("--verbose", "-v", action="store_true", help="show per-run figures and spreads")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be >= 1")

    python = ensure_venv()
    side_args = [
        "--new",
        str(args.new),
        "--hits",
        str(args.hits),
        "--cli-reps",
        str(args.cli_reps),
        "--run-reps",
        str(args.run_reps),
    ]

    ax_runs, accel_runs = alternate_runs(
        args.runs,
        lambda: measure_accelerator(python, side_args),
        lambda: run_accel_once(args),
        args.verbose,
        KEYS,
    )

    accel_med, ax_med = medians(accel_runs, KEYS), medians(ax_runs, KEYS)
    print(table(accel_med, ax_med, len(ax_runs), len(accel_runs)))
    if args.verbose:
        print_spreads(accel_runs, ax_runs, KEYS, 12)
    write_json(
        args.json,
        {
            "accelerator_version": ACCELERATOR_VERSION,
            "runs": args.runs,
            "median": {"accel": accel_med, "accelerator": ax_med},
            "raw": {"accel": accel_runs, "accelerator": ax_runs},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
