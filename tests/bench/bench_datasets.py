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
issue's target for accel.  accel runs with its bytecode cached in a temporary
folder (PYTHONPYCACHEPREFIX), as an installed package has it (pip compiled the
Accelerator's on install), also where PYTHONDONTWRITEBYTECODE is set;
--no-bytecode-cache runs it as the environment says.

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
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accelerator_env import ACCELERATOR_VERSION, ensure_venv  # noqa: E402
from accelerator_side_datasets import (  # noqa: E402
    BUILD_SRC,
    RAW_BYTES_PER_ROW,
    READ_METHOD_SRC,
    SLICES,
    WRITE_METHOD_SRC,
    add_rows_argument,
    figures,
    write_csv,
)
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


def bytecode_env(pycache: Path | None) -> dict:
    """The environment accel runs in: with *pycache*, Python keeps accel's compiled
    bytecode there (as an installed package has it: pip compiled the Accelerator's when it
    installed it), even where PYTHONDONTWRITEBYTECODE is set; without, as it is."""
    env = dict(os.environ)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def compile_accel(pycache: Path) -> None:
    """Compile accel's modules into *pycache* once, before the runs."""
    import accel

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(accel.__file__).parent)],
        env=bytecode_env(pycache),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def measure_accel(
    tmpdir: Path, rows: int, csv: Path | None = None, timeout: float = 3600,
    pycache: Path | None = None,
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
    proj = make_accel_project(
        tmpdir,
        {
            "methods/a_dsbench_write.py": WRITE_METHOD_SRC,
            "methods/a_dsbench_read.py": READ_METHOD_SRC,
            "build_dsbench.py": BUILD_SRC,
        },
        SLICES,
    )
    out = tmpdir / "build_out.json"
    rows_per_slice = rows // SLICES
    env = bytecode_env(pycache)
    env.update(
        DSBENCH_ROWS_PER_SLICE=str(rows_per_slice),
        DSBENCH_OUT=str(out),
        DSBENCH_CSV=str(csv.resolve()) if csv else "",
        DSBENCH_USE_COLUMN="1",
    )
    t0 = time.perf_counter()
    res = subprocess.run(
        [*accel_ax(), "run", "dsbench", "-q"],
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
    return run_side_script(python, "accelerator_side_datasets.py", side_args, timeout)


def run_accel_once(args: argparse.Namespace, csv: Path | None,
                   pycache: Path | None = None) -> dict | None:
    tmp = Path(tempfile.mkdtemp(prefix="acceldsbench-"))
    try:
        fig = measure_accel(tmp, args.rows, csv, pycache=pycache)
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


def table(accel: dict, ax: dict, n_runs: int, n_accel_runs: int, rows: int, csv_lines: int,
          bytecode: bool = True) -> str:
    out_rows = []
    for key, label, unit, target in MEASURES:
        a, b = accel.get(key), ax.get(key)
        ttext, v = verdict(a, b, target)
        out_rows.append(table_row(label, unit, a, b, v, ttext, 2))
    out = render_table(out_rows)
    out.append(
        f"{rows:,} rows (int64, float64, 10-char unicode) in {SLICES} slices; csvimport of "
        f"{csv_lines:,} lines.\nRates per slice are total rows / the slowest slice's time "
        f"(the slices run in parallel), timed inside the methods; csvimport is lines / the "
        f"job's exectime.\nThe Accelerator has no ds.column(): its sum row is n/a.  "
        f"Medians over {n_runs} run(s) of the Accelerator {ACCELERATOR_VERSION} and "
        f"{n_accel_runs} run(s) of accel"
        + ("" if n_accel_runs else " (accel.dataset not importable yet: n/a)")
        + (".\naccel ran with its bytecode cached (as installed; --no-bytecode-cache: not)"
           if bytecode else ".\naccel ran without cached bytecode (--no-bytecode-cache)")
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
    add_rows_argument(ap)
    ap.add_argument("--runs", type=int, default=3, help="runs per side (default 3)")
    ap.add_argument(
        "--csv-lines",
        type=int,
        default=1_000_000,
        help="lines of the CSV for csvimport (default 1000000; 0 skips it)",
    )
    ap.add_argument("--json", type=Path, help="also write all raw per-run figures here")
    ap.add_argument("--verbose", "-v", action="store_true", help="show per-run figures and spreads")
    ap.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run accel without cached bytecode where PYTHONDONTWRITEBYTECODE is set (then "
        "every job compiles accel's modules again; the Accelerator's were compiled by pip)",
    )
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
        pycache = None
        if not args.no_bytecode_cache:
            pycache = tmp / "pycache"
            compile_accel(pycache)

        ax_runs, accel_runs = alternate_runs(
            args.runs,
            lambda: measure_accelerator(python, side_args),
            lambda: run_accel_once(args, csv, pycache),
            args.verbose,
            KEYS + CONTEXT_KEYS,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    accel_med, ax_med = medians(accel_runs, KEYS), medians(ax_runs, KEYS)
    print(table(accel_med, ax_med, len(ax_runs), len(accel_runs), args.rows, args.csv_lines,
                not args.no_bytecode_cache))
    if args.verbose:
        print_spreads(accel_runs, ax_runs, KEYS + CONTEXT_KEYS, 20)
    write_json(
        args.json,
        {
            "accelerator_version": ACCELERATOR_VERSION,
            "rows": args.rows,
            "csv_lines": args.csv_lines,
            "accel_bytecode_cache": not args.no_bytecode_cache,
            "runs": args.runs,
            "median": {"accel": accel_med, "accelerator": ax_med},
            "context_median": {
                "accel": medians(accel_runs, CONTEXT_KEYS),
                "accelerator": medians(ax_runs, CONTEXT_KEYS),
            },
            "raw": {"accel": accel_runs, "accelerator": ax_runs},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
