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

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from accelerator_env import ACCELERATOR_VERSION, ensure_venv  # noqa: E402

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
def measure_accel(tmpdir: Path, new: int = 20, hits: int = 1000, cli_reps: int = 10,
                  run_reps: int = 5) -> dict:
    """Measure accel the way accelerator_side.py measures the Accelerator.

    A fresh project under *tmpdir*; new_job_ms is the median of `new` builds of a trivial
    job (synthesis only) with distinct options, each timed with perf_counter around the
    build call in one build script; hit_ms / hits_1000_s come from `hits` repeat builds
    of one existing job in the same process; help_ms / job_ms / run_ms are subprocess
    wall-time medians of our `ax`.
    """
    proj = tmpdir / "proj"
    (proj / "methods").mkdir(parents=True)
    (proj / "workdirs" / "dev").mkdir(parents=True)
    (proj / "accelerator.conf").write_text(
        "slices: 2\nworkdirs:\n    dev ./workdirs/dev\nmethod packages:\n    ./methods\n"
    )
    (proj / "methods" / "__init__.py").write_text("")
    (proj / "methods" / "a_bench.py").write_text(
        "options = dict(value=0)\n\ndef synthesis(options):\n    return options.value * 2\n"
    )
    out = tmpdir / "figures.json"
    (proj / "build_bench.py").write_text(f"""
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
""")
    (proj / "build_cached.py").write_text(
        "def main(urd):\n    for i in range(20):\n        urd.build('bench', value=i + 1)\n"
    )
    ax = [sys.executable, "-m", "accel.cli.main"]
    ax_script = shutil.which("ax")
    if ax_script:  # the installed entry point, as a user runs it
        ax = [ax_script]

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
    res = subprocess.run(
        [str(python), str(BENCH_DIR / "accelerator_side.py"), *side_args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if res.returncode != 0:
        raise RuntimeError(
            f"accelerator_side.py failed (rc={res.returncode}):\n{res.stderr[-6000:]}"
        )
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    if not lines:
        raise RuntimeError(f"accelerator_side.py printed nothing:\n{res.stderr[-4000:]}")
    return json.loads(lines[-1])


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
def medians(runs: list[dict]) -> dict:
    out = {}
    for k in KEYS:
        vals = [r[k] for r in runs if r and r.get(k) is not None]
        if vals:
            out[k] = statistics.median(vals)
    return out


def spread(runs: list[dict], k: str) -> str:
    vals = [r[k] for r in runs if r and r.get(k) is not None]
    if not vals:
        return "n/a"
    return f"{fmt(min(vals))}..{fmt(max(vals))}"


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


def table(accel: dict, ax: dict, n_runs: int, n_accel_runs: int) -> str:
    head = ["measure", "accel", "Accelerator", "ratio (accel/Accelerator)", "accel target"]
    rows = []
    for key, label, unit, target in MEASURES:
        a, b = accel.get(key), ax.get(key)
        ratio = (a / b) if (a is not None and b) else None
        verdict = ""
        if a is not None and target is not None:
            verdict = "  ok" if a <= target else "  MISS"
        rows.append(
            [
                f"{label} [{unit}]",
                fmt(a) + verdict,
                fmt(b),
                "n/a" if ratio is None else f"{ratio:.3f}x",
                "-" if target is None else f"<= {fmt(target)}",
            ]
        )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells):
        return " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [line(head), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
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

    ax_runs: list[dict] = []
    accel_runs: list[dict] = []
    for i in range(args.runs):
        # alternate the order so neither side always runs on a "warm" machine
        order = ("accelerator", "accel") if i % 2 == 0 else ("accel", "accelerator")
        for side in order:
            if side == "accelerator":
                r = measure_accelerator(python, side_args)
                ax_runs.append(r)
            else:
                r = run_accel_once(args)
                if r is not None:
                    accel_runs.append(r)
            if args.verbose and r is not None:
                print(
                    f"run {i + 1} {side}: " + ", ".join(f"{k}={fmt(r.get(k))}" for k in KEYS),
                    file=sys.stderr,
                )
        print(f"run {i + 1}/{args.runs} done", file=sys.stderr, flush=True)

    accel_med, ax_med = medians(accel_runs), medians(ax_runs)
    print(table(accel_med, ax_med, len(ax_runs), len(accel_runs)))
    if args.verbose:
        print("\nspread (min..max over runs):")
        for k in KEYS:
            print(
                f"  {k:12s} accel {spread(accel_runs, k):>16s}   Accelerator {spread(ax_runs, k):>16s}"
            )

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "accelerator_version": ACCELERATOR_VERSION,
                    "runs": args.runs,
                    "median": {"accel": accel_med, "accelerator": ax_med},
                    "raw": {"accel": accel_runs, "accelerator": ax_runs},
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
