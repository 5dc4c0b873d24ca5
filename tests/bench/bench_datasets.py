"""Dataset benchmark: accel side by side with the Accelerator, in the same run.

    python tests/bench/bench_datasets.py [--rows 10000000] [--runs 3] [--csv-lines 1000000]
                                         [--json out.json] [--verbose]

The speed section of issue 3: ROWS rows of int64 + float64 + 10-character
unicode in 2 slices.  Each run makes a fresh project per tool, alternating
which goes first, and runs the same build script and the same two methods on
both (tests/bench/accelerator_side_datasets.py has them and says exactly what
is timed):

  write        dw.write(a, b, c) row by row in analysis, the writer made in
               prepare; timed inside analysis.  Reported with the loop's own
               value generation included, and with the generation loop (timed
               alone, same loops without the write call) subtracted.
  iterate a    for v in ds.iterate(sliceno, 'a')            (timed in analysis)
  iterate abc  for t in ds.iterate(sliceno, ('a', 'b', 'c'))
  sum iterate  sum(ds.iterate(sliceno, 'a'))                 (context; checks sums)
  sum column   ds.column('a', sliceno).sum()                 (accel only)
  csvimport    the standard method on a CSV of CSV_LINES lines (header a,b,c,
               the same kind of values), made once per benchmark and given to
               both; lines / the job's exectime from post.json
  bytes/row    all files of the write job's directory / rows, against the raw
               8 + 8 + 10 = 26 bytes of a row

Slices run in parallel, so every per-slice rate is  total rows / the slowest
slice's time.  The table shows medians over runs, ratio = accel / Accelerator
(for rates higher is better for accel; for bytes/row lower is) and the
issue's target for accel.  accel's datasets are work in progress: until
`import accel.dataset` works, accel's column is n/a.

The Accelerator runs in its own venv (tests/bench/.venv-accelerator/, made on
first use by accelerator_env.ensure_venv()) with its own server on unix
sockets in a temp dir, always stopped and removed.  Use --rows 1000000 while
developing; the full 10 M rows take a few minutes per run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from accelerator_env import ACCELERATOR_VERSION, ensure_venv  # noqa: E402
from accelerator_side_datasets import (  # noqa: E402
    BUILD_SRC,
    RAW_BYTES_PER_ROW,
    READ_METHOD_SRC,
    SLICES,
    WRITE_METHOD_SRC,
    figures,
    write_csv,
)

# (key, label, unit, target): target is None, (">=", value) for an absolute
# floor, ("x", factor) for at least factor times the Accelerator, or ("<=", value).
MEASURES = [
    ("write_mrows_s", "write row by row, dw.write (incl. generation)", "M rows/s", (">=", 3.0)),
    ("write_net_mrows_s", "write row by row, generation subtracted", "M rows/s", (">=", 3.0)),
    ("gen_mrows_s", "  (the generation loop alone)", "M rows/s", None),
    ("iter_a_mrows_s", "iterate one int64 column", "M rows/s", ("x", 2.0)),
    ("iter_abc_mrows_s", "iterate three columns as tuples", "M rows/s", ("x", 2.0)),
    ("sum_column_mrows_s", "sum a column, ds.column().sum()", "M rows/s", (">=", 1000.0)),
    ("sum_iter_mrows_s", "  (sum(ds.iterate(sliceno, 'a')))", "M rows/s", None),
    ("csv_mrows_s", "csvimport", "M rows/s", (">=", 5.0)),
    ("bytes_per_row", f"bytes on disk per row (raw {RAW_BYTES_PER_ROW})", "B", None),
]
KEYS = [m[0] for m in MEASURES]
CONTEXT_KEYS = [
    "write_exectime_s",
    "write_build_wall_s",
    "read_build_wall_s",
    "csv_exectime_s",
    "csv_build_wall_s",
    "ax_run_wall_s",
]


# ---------------------------------------------------------------------------
# accel side
# ---------------------------------------------------------------------------
def accel_has_datasets() -> bool:
    try:
        importlib.import_module("accel.dataset")
    except Exception:
        return False
    return True


def measure_accel(
    tmpdir: Path, rows: int, csv: Path | None = None, timeout: float = 3600
) -> dict | None:
    """Measure accel the way accelerator_side_datasets.py measures the Accelerator.

    The same methods and build script (SPEC §5: job.datasetwriter() in prepare,
    dw.add(name, type), dw.write(a, b, c) in analysis; datasets=('source',) input,
    datasets.source.iterate(sliceno, 'a'); ds.column('a', sliceno).sum(); the
    standard csvimport with option filename) in a fresh project with 2 slices under
    *tmpdir*, run with our `ax run`.  Returns None when accel has no datasets yet.
    Stages that fail are left out of the figures (n/a) and listed in "errors".
    """
    if not accel_has_datasets():
        return None
    proj = tmpdir / "proj"
    (proj / "methods").mkdir(parents=True)
    (proj / "workdirs" / "dev").mkdir(parents=True)
    (proj / "accelerator.conf").write_text(
        f"slices: {SLICES}\nworkdirs:\n    dev ./workdirs/dev\nmethod packages:\n    ./methods\n"
    )
    (proj / "methods" / "__init__.py").write_text("")
    (proj / "methods" / "a_dsbench_write.py").write_text(WRITE_METHOD_SRC)
    (proj / "methods" / "a_dsbench_read.py").write_text(READ_METHOD_SRC)
    (proj / "build_dsbench.py").write_text(BUILD_SRC)
    out = tmpdir / "build_out.json"
    rows_per_slice = rows // SLICES
    env = dict(os.environ)
    env.update(
        DSBENCH_ROWS_PER_SLICE=str(rows_per_slice),
        DSBENCH_OUT=str(out),
        DSBENCH_CSV=str(csv.resolve()) if csv else "",
        DSBENCH_USE_COLUMN="1",
    )
    ax = [sys.executable, "-m", "accel.cli.main"]
    ax_script = shutil.which("ax")
    if ax_script:  # the installed entry point, as a user runs it
        ax = [ax_script]
    t0 = time.perf_counter()
    res = subprocess.run(
        [*ax, "run", "dsbench", "-q"],
        cwd=proj,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    wall = time.perf_counter() - t0
    if res.returncode != 0 and not out.exists():
        raise RuntimeError(
            f"accel: ax run dsbench failed (rc={res.returncode}):\n"
            f"{(res.stdout + res.stderr)[-6000:]}"
        )
    got = json.loads(out.read_text())
    fig = figures(got, rows_per_slice)
    if csv and "csv_lines" in fig:
        with open(csv, "rb") as fh:
            expect = sum(1 for _ in fh) - 1
        if fig["csv_lines"] != expect:
            fig["errors"]["csv"] = f"csvimport made {fig['csv_lines']} lines, the file has {expect}"
            del fig["csv_mrows_s"]
    fig["ax_run_wall_s"] = wall
    return fig


# ---------------------------------------------------------------------------
# the Accelerator side
# ---------------------------------------------------------------------------
def measure_accelerator(python: Path, side_args: list[str], timeout: float = 7200) -> dict:
    """One run of accelerator_side_datasets.py under the Accelerator venv's python."""
    res = subprocess.run(
        [str(python), str(BENCH_DIR / "accelerator_side_datasets.py"), *side_args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if res.returncode != 0:
        raise RuntimeError(
            f"accelerator_side_datasets.py failed (rc={res.returncode}):\n{res.stderr[-6000:]}"
        )
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    if not lines:
        raise RuntimeError(f"accelerator_side_datasets.py printed nothing:\n{res.stderr[-4000:]}")
    return json.loads(lines[-1])


def run_accel_once(args: argparse.Namespace, csv: Path | None) -> dict | None:
    tmp = Path(tempfile.mkdtemp(prefix="acceldsbench-"))
    try:
        fig = measure_accel(tmp, args.rows, csv)
    except Exception:
        print(
            "accel side failed (its figures are n/a for this run):\n"
            + traceback.format_exc()[-4000:],
            file=sys.stderr,
        )
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if fig is not None:
        for stage, err in fig.get("errors", {}).items():
            print(f"accel: stage {stage} failed (n/a):\n{err[-3000:]}", file=sys.stderr)
    return fig


# ---------------------------------------------------------------------------
# reporting
# ---------------------------------------------------------------------------
def medians(runs: list[dict], keys=KEYS) -> dict:
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


def verdict(a: float | None, b: float | None, target) -> tuple[str, str]:
    """(text of the target, '  ok' / '  MISS' / '') for accel's figure *a*."""
    if target is None:
        return "-", ""
    kind, value = target
    if kind == "x":
        text = f">= {value:g}x Accelerator"
        if a is None or not b:
            return text, ""
        return text, "  ok" if a >= value * b else "  MISS"
    text = f"{kind} {fmt(value)}"
    if a is None:
        return text, ""
    ok = a >= value if kind == ">=" else a <= value
    return text, "  ok" if ok else "  MISS"


def table(accel: dict, ax: dict, n_runs: int, n_accel_runs: int, rows: int, csv_lines: int) -> str:
    head = ["measure", "accel", "Accelerator", "ratio (accel/Accelerator)", "accel target"]
    out_rows = []
    for key, label, unit, target in MEASURES:
        a, b = accel.get(key), ax.get(key)
        ratio = (a / b) if (a is not None and b) else None
        ttext, v = verdict(a, b, target)
        out_rows.append(
            [
                f"{label} [{unit}]",
                fmt(a) + v,
                fmt(b),
                "n/a" if ratio is None else f"{ratio:.2f}x",
                ttext,
            ]
        )
    widths = [max(len(r[i]) for r in [head, *out_rows]) for i in range(len(head))]

    def line(cells):
        return " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [line(head), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in out_rows]
    out.append(
        f"{rows:,} rows (int64, float64, 10-char unicode) in {SLICES} slices; csvimport of "
        f"{csv_lines:,} lines.\nRates per slice are total rows / the slowest slice's time "
        f"(the slices run in parallel), timed inside the methods; csvimport is lines / the "
        f"job's exectime.\nThe Accelerator has no ds.column(): its sum row is n/a.  "
        f"Medians over {n_runs} run(s) of the Accelerator {ACCELERATOR_VERSION} and "
        f"{n_accel_runs} run(s) of accel"
        + ("" if n_accel_runs else " (accel.dataset not importable yet: n/a)")
    )
    for who, m in (("accel", accel), ("Accelerator", ax)):
        if m.get("bytes_per_row") is not None:
            out.append(
                f"bytes on disk per row, {who}: {m['bytes_per_row']:.2f} = "
                f"{m['bytes_per_row'] / RAW_BYTES_PER_ROW:.0%} of the raw "
                f"{RAW_BYTES_PER_ROW} (8 + 8 + 10)"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--rows",
        type=int,
        default=10_000_000,
        help=f"rows written, split over {SLICES} slices (default 10000000)",
    )
    ap.add_argument("--runs", type=int, default=3, help="runs per side (default 3)")
    ap.add_argument(
        "--csv-lines",
        type=int,
        default=1_000_000,
        help="lines of the CSV for csvimport (default 1000000; 0 skips it)",
    )
    ap.add_argument("--json", type=Path, help="also write all raw per-run figures here")
    ap.add_argument("--verbose", "-v", action="store_true", help="show per-run figures and spreads")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    if args.rows < SLICES:
        ap.error(f"--rows must be >= {SLICES}")
    args.rows -= args.rows % SLICES

    python = ensure_venv()
    tmp = Path(tempfile.mkdtemp(prefix="dsbench-csv-"))
    try:
        csv = None
        side_args = ["--rows", str(args.rows)]
        if args.csv_lines:
            csv = write_csv(tmp / "dsbench.csv", args.csv_lines)
            side_args += ["--csv", str(csv)]
        if not accel_has_datasets():
            print("accel.dataset is not importable: accel's figures are n/a", file=sys.stderr)

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
                    r = run_accel_once(args, csv)
                    if r is not None:
                        accel_runs.append(r)
                if args.verbose and r is not None:
                    print(
                        f"run {i + 1} {side}: "
                        + ", ".join(f"{k}={fmt(r.get(k))}" for k in KEYS + CONTEXT_KEYS),
                        file=sys.stderr,
                    )
            print(f"run {i + 1}/{args.runs} done", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    accel_med, ax_med = medians(accel_runs), medians(ax_runs)
    print(table(accel_med, ax_med, len(ax_runs), len(accel_runs), args.rows, args.csv_lines))
    if args.verbose:
        print("\nspread (min..max over runs):")
        for k in KEYS + CONTEXT_KEYS:
            print(
                f"  {k:20s} accel {spread(accel_runs, k):>16s}"
                f"   Accelerator {spread(ax_runs, k):>16s}"
            )

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "accelerator_version": ACCELERATOR_VERSION,
                    "rows": args.rows,
                    "csv_lines": args.csv_lines,
                    "runs": args.runs,
                    "median": {"accel": accel_med, "accelerator": ax_med},
                    "context_median": {
                        "accel": medians(accel_runs, CONTEXT_KEYS),
                        "accelerator": medians(ax_runs, CONTEXT_KEYS),
                    },
                    "raw": {"accel": accel_runs, "accelerator": ax_runs},
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
