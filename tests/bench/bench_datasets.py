"""Dataset benchmark: accel side by side with the Accelerator, in the same run.

    python tests/bench/bench_datasets.py [--rows 10000000] [--runs 3] [--csv-lines 1000000]
                                         [--csv-big-lines 10000000] [--json out.json]
                                         [--verbose]

The dataset speed figures of the issues: ROWS rows of int64 + float64 +
10-character unicode in 2 slices.  Each run makes a fresh project per tool, alternating
which goes first, and runs the same build scripts and the same two methods on
both (tests/bench/accelerator_side_datasets.py has them and says exactly what
is timed).  Figures are taken where the user waits: the wall time of each
urd.build call in the build script, or of a whole `ax run` process.

  bytes/row    all files of a write job's directory / rows: the random rows
               below (raw 8 + 8 + 10 = 26 bytes) and sequential rows (a = the
               row number i, b = i * 0.5, c = f"{i:010d}"); and all files of the
               csvimport job's directory / lines of the CSV
  csvimport    `ax run csvonly` (one csvimport of the CSV, force_build=True) as
               a subprocess, wall time around it (accel: `ax run csvonly -q`;
               the Accelerator: `ax run --quiet csvonly`, its server already
               up; its -q is --quick, which skips method updates), once per
               run for the CSV of CSV_LINES lines and once for one of
               CSV_BIG_LINES lines; both files made once per benchmark
  write        urd.build of dsbench_write: dw.write(a, b, c) row by row in
               analysis, the writer made in prepare, the values walked from a
               table of precomputed rows per slice (loaded from a pickle made
               once per benchmark).  Context: the write loop timed inside the
               method, and with the generation loop alone (its own job, timed
               inside) subtracted
  iterate a    urd.build of a job doing only  for v in ds.iterate(sliceno, 'a')
  iterate abc  urd.build of a job doing only  for t in ds.iterate(sliceno, ('a', 'b', 'c'))
               (context: both timed inside the method, and sum(ds.iterate(sliceno,
               'a')), the check of the sums)
  sum column   accel only: urd.build of a job doing only ds.column('a',
               sliceno).sum(), on that dataset and on the same rows written
               with compression=None (a second write job, accel only: the
               build script builds it when DSBENCH_UNCOMPRESSED=1); context:
               timed inside the method. Also in the build script itself, as
               the issue's own figure was taken: column('a', s).sum() of every
               slice, one after the other, in a process that has not read the
               files before (so their verification is timed too), on the random
               rows, on the sequential rows (the data the issue measured) and
               uncompressed
  parquetimport accel only: urd.build of parquetimport of the big CSV's rows (by
               default 10 M: the issue's "bench data") as a Parquet file (pyarrow,
               4 row groups, made once per benchmark); context: the same for the
               CSV's rows (1 M, where the job's fixed costs weigh more)

A rate over slices timed inside a method is total rows / the slowest slice's
time (the slices run in parallel).  The table shows medians over runs, ratio =
accel / Accelerator (for rates higher is better for accel; for bytes/row lower
is) and the issue's target for accel.  accel runs with its bytecode cached in a
temporary folder (PYTHONPYCACHEPREFIX), as an installed package has it (pip
compiled the Accelerator's on install), also where PYTHONDONTWRITEBYTECODE is
set; --no-bytecode-cache runs it as the environment says.

The Accelerator runs in its own venv (tests/bench/.venv-accelerator/, made on
first use by accelerator_env.ensure_venv()) with its own server on unix
sockets in a temp dir, always stopped and removed.  While developing use small
sizes (--rows 400000 --csv-lines 200000 --csv-big-lines 0 --runs 1); the full
sizes take a few minutes per run.
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
    CSVONLY_SRC,
    RAW_BYTES_PER_ROW,
    READ_METHOD_SRC,
    SLICES,
    WRITE_METHOD_SRC,
    add_rows_argument,
    csv_row_chunks,
    csvonly_figures,
    figures,
    make_tables,
    write_csv,
    write_tables,
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

# (key, label, unit, target): target is None (context), (">=", value) for an absolute
# floor, ("x", factor) for at least factor times the Accelerator, ("<=x", factor) for at
# most factor times the Accelerator, or ("<=", value).  {lines} / {big} in a label are
# the CSV's lines / the big CSV's.
MEASURES = [
    ("bytes_per_row", f"bytes on disk per row, random rows (raw {RAW_BYTES_PER_ROW})", "B",
     ("<=x", 1.0)),
    ("seq_bytes_per_row", "bytes on disk per row, sequential rows", "B", ("<=x", 1.0)),
    ("csv_bytes_per_line", "bytes on disk per line, csvimport of {lines} lines", "B",
     ("<=x", 1.0)),
    ("unc_bytes_per_row", "  (random rows, accel's compression=None)", "B", None),
    ("csvonly_mrows_s", "csvimport {lines} lines, whole `ax run` process", "M lines/s",
     ("x", 1.0)),
    ("csvonly_big_mrows_s", "csvimport {big} lines, whole `ax run` process", "M lines/s",
     ("x", 2.0)),
    ("csv_mrows_s", "  (csvimport {lines} lines / the job's exectime)", "M lines/s",
     (">=", 5.0)),
    ("write_wall_mrows_s", "write row by row, dw.write: urd.build wall", "M rows/s", ("x", 1.5)),
    ("write_mrows_s", "  (the write loop, inside the method)", "M rows/s", None),
    ("write_net_mrows_s", "  (inside, the generation loop subtracted)", "M rows/s", None),
    ("gen_mrows_s", "  (the generation loop alone, inside its own job)", "M rows/s", None),
    ("iter_a_wall_mrows_s", "iterate one int64 column: urd.build wall", "M rows/s", ("x", 1.3)),
    ("iter_a_mrows_s", "  (inside the method)", "M rows/s", None),
    ("iter_abc_wall_mrows_s", "iterate three columns as tuples: urd.build wall", "M rows/s",
     ("x", 1.2)),
    ("iter_abc_mrows_s", "  (inside the method)", "M rows/s", None),
    ("sum_iter_mrows_s", "  (sum(ds.iterate(sliceno, 'a')), inside the method)", "M rows/s",
     None),
    ("sum_column_wall_mrows_s", "ds.column('a', sliceno).sum(), compressed: urd.build wall",
     "M rows/s", (">=", 250.0)),
    ("sum_column_mrows_s", "  (inside the method)", "M rows/s", None),
    ("sum_column_unc_wall_mrows_s", "the same, compression=None: urd.build wall", "M rows/s",
     (">=", 1000.0)),
    ("sum_column_unc_mrows_s", "  (inside the method)", "M rows/s", None),
    ("script_sum_mrows_s", "column().sum() of every slice in the build script, compressed",
     "M rows/s", (">=", 250.0)),
    ("script_sum_seq_mrows_s", "  the same on the sequential rows (the issue's data)",
     "M rows/s", (">=", 250.0)),
    ("script_sum_unc_mrows_s", "  the same, compression=None", "M rows/s", (">=", 1000.0)),
    ("parquet_big_mrows_s", "parquetimport of {big} rows: urd.build wall", "M rows/s",
     (">=", 10.0)),
    ("parquet_mrows_s", "  (parquetimport of {lines} rows: urd.build wall)", "M rows/s", None),
]
KEYS = [m[0] for m in MEASURES]
CONTEXT_KEYS = [
    "write_build_wall_s",
    "write_exectime_s",
    "gen_build_wall_s",
    "gen_exectime_s",
    "seq_build_wall_s",
    "iter_a_build_wall_s",
    "iter_abc_build_wall_s",
    "sum_iter_build_wall_s",
    "sum_column_build_wall_s",
    "unc_build_wall_s",
    "sum_column_unc_build_wall_s",
    "csv_exectime_s",
    "csv_build_wall_s",
    "csvonly_wall_s",
    "csvonly_exectime_s",
    "csvonly_big_wall_s",
    "csvonly_big_exectime_s",
    "parquet_build_wall_s",
    "parquet_exectime_s",
    "parquet_big_build_wall_s",
    "parquet_big_exectime_s",
    "ax_run_wall_s",
]


# ---------------------------------------------------------------------------
# the inputs, made once per benchmark
# ---------------------------------------------------------------------------
def write_parquet(path: Path, lines: int, tables: list, row_groups: int = 4) -> Path:
    """The CSV's rows (write_csv(path, lines, tables)) as a Parquet file of *row_groups*
    row groups (pyarrow's defaults otherwise: snappy)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = [
        pa.table({
            "a": pa.array([r[0] for r in rows], pa.int64()),
            "b": pa.array([r[1] for r in rows], pa.float64()),
            "c": pa.array([r[2] for r in rows], pa.string()),
        })
        for rows in tables
    ]
    table = pa.concat_tables(parts[i].slice(0, n) for i, n in csv_row_chunks(lines, tables))
    pq.write_table(table, path, row_group_size=max(1, -(-lines // row_groups)))
    return path


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


def run_ax(proj: Path, env: dict, script: str, timeout: float) -> float:
    """`ax run SCRIPT -q` in *proj*: its wall time (s); an error when it fails."""
    t0 = time.perf_counter()
    res = subprocess.run(
        [*accel_ax(), "run", script, "-q"],
        cwd=proj,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(
            f"accel: ax run {script} failed (rc={res.returncode}):\n"
            f"{(res.stdout + res.stderr)[-6000:]}"
        )
    return wall


def measure_accel(
    tmpdir: Path, rows: int, inputs: dict, timeout: float = 3600,
    pycache: Path | None = None,
) -> dict | None:
    """Measure accel the way accelerator_side_datasets.py measures the Accelerator.

    The same methods and build scripts (SPEC §5: job.datasetwriter() in prepare,
    dw.add(name, type), dw.write(a, b, c) in analysis; datasets=('source',) input,
    datasets.source.iterate(sliceno, 'a'); the standard csvimport with option filename)
    in a fresh project with 2 slices under *tmpdir*, run with our `ax run`; plus what only
    accel has: ds.column('a', sliceno).sum(), a dataset written with compression=None and
    parquetimport.  *inputs*: the files made once per benchmark (table_dir, csv, csv_big,
    parquet, parquet_big; None when not made) and their lines (csv_lines,
    csv_big_lines).  Returns None when accel has no datasets yet.  Stages of
    build_dsbench that fail are left out of the figures (n/a) and listed in "errors".
    """
    if not accel_has_datasets():
        return None
    proj = make_accel_project(
        tmpdir,
        {
            "methods/a_dsbench_write.py": WRITE_METHOD_SRC,
            "methods/a_dsbench_read.py": READ_METHOD_SRC,
            "build_dsbench.py": BUILD_SRC,
            "build_csvonly.py": CSVONLY_SRC,
        },
        SLICES,
    )
    out = tmpdir / "build_out.json"
    rows_per_slice = rows // SLICES

    def path(key: str) -> str:
        return str(Path(inputs[key]).resolve()) if inputs.get(key) else ""

    env = bytecode_env(pycache)
    env.update(
        DSBENCH_ROWS_PER_SLICE=str(rows_per_slice),
        DSBENCH_OUT=str(out),
        DSBENCH_TABLE_DIR=path("table_dir"),
        DSBENCH_CSV=path("csv"),
        DSBENCH_USE_COLUMN="1",
        DSBENCH_UNCOMPRESSED="1",
        DSBENCH_PARQUET=path("parquet"),
        DSBENCH_PARQUET_BIG=path("parquet_big"),
    )
    try:
        wall = run_ax(proj, env, "dsbench", timeout)
    except RuntimeError:
        if not out.exists():
            raise
        wall = None
    fig = figures(json.loads(out.read_text()), rows_per_slice)
    fig["ax_run_wall_s"] = wall
    if inputs.get("csv") and "csv_lines" in fig and fig["csv_lines"] != inputs["csv_lines"]:
        fig["errors"]["csv"] = (
            f"csvimport made {fig['csv_lines']} lines, the file has {inputs['csv_lines']}"
        )
        del fig["csv_mrows_s"]
    for key, csv_key in (("csvonly", "csv"), ("csvonly_big", "csv_big")):
        csv = path(csv_key)
        if not csv:
            continue
        got_path = tmpdir / f"{key}.json"
        env.update(DSBENCH_CSV=csv, DSBENCH_OUT=str(got_path))
        try:
            csv_wall = run_ax(proj, env, "csvonly", timeout)
            csvonly_figures(fig, key, json.loads(got_path.read_text()), csv_wall,
                            inputs[f"{csv_key}_lines"])
        except Exception:
            fig["errors"][key] = traceback.format_exc()
    return fig


def run_accel_once(args: argparse.Namespace, inputs: dict,
                   pycache: Path | None = None) -> dict | None:
    tmp = Path(tempfile.mkdtemp(prefix="acceldsbench-"))
    try:
        fig = measure_accel(tmp, args.rows, inputs, pycache=pycache)
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
# the Accelerator side
# ---------------------------------------------------------------------------
def measure_accelerator(python: Path, side_args: list[str], timeout: float = 7200) -> dict:
    """One run of accelerator_side_datasets.py under the Accelerator venv's python."""
    return run_side_script(python, "accelerator_side_datasets.py", side_args, timeout)


# ---------------------------------------------------------------------------
# reporting
# ---------------------------------------------------------------------------
def verdict(a: float | None, b: float | None, target) -> tuple[str, str]:
    """(text of the target, '  ok' / '  MISS' / '') for accel's figure *a*."""
    if target is None:
        return "-", ""
    kind, value = target
    if kind in ("x", "<=x"):
        if kind == "x":
            text = f">= {value:g}x Accelerator"
        else:
            text = "<= Accelerator" if value == 1 else f"<= {value:g}x Accelerator"
        if a is None or not b:
            return text, ""
        ok = a >= value * b if kind == "x" else a <= value * b
        return text, "  ok" if ok else "  MISS"
    text = f"{kind} {fmt(value)}"
    if a is None:
        return text, ""
    ok = a >= value if kind == ">=" else a <= value
    return text, "  ok" if ok else "  MISS"


def count_text(n: int) -> str:
    """1000000 -> '1 M', 200000 -> '200,000'."""
    return f"{n / 1e6:g} M" if n >= 1_000_000 and n % 100_000 == 0 else f"{n:,}"


def table(accel: dict, ax: dict, n_runs: int, n_accel_runs: int, args: argparse.Namespace,
          context: dict | None = None) -> str:
    names = {
        "lines": count_text(args.csv_lines) if args.csv_lines else "0 (skipped)",
        "big": count_text(args.csv_big_lines) if args.csv_big_lines else "0 (skipped)",
    }
    out_rows = []
    for key, label, unit, target in MEASURES:
        a, b = accel.get(key), ax.get(key)
        ttext, v = verdict(a, b, target)
        out_rows.append(table_row(label.format(**names), unit, a, b, v, ttext, 2))
    out = render_table(out_rows)
    out.append(
        f"{args.rows:,} rows (int64, float64, 10-char unicode) in {SLICES} slices; CSVs of "
        f"{names['lines']} and {names['big']} lines.  Medians over {n_runs} run(s) "
        f"of the Accelerator {ACCELERATOR_VERSION} and {n_accel_runs} run(s) of accel"
        + ("" if n_accel_runs else " (accel.dataset not importable yet: n/a)")
        + (", accel with its bytecode cached (as installed; --no-bytecode-cache: not)."
           if not args.no_bytecode_cache else ", accel without cached bytecode.")
        + "\nurd.build wall: perf_counter around the call in the build script (job start, "
        "the method, job end); whole `ax run`: around the subprocess (accel `ax run csvonly "
        "-q`, the Accelerator `ax run --quiet csvonly`, its server up).\nInside a method: "
        "total rows / the slowest slice's time (the slices run in parallel).  The "
        "Accelerator has no ds.column(), compression=None or parquetimport: n/a."
    )
    for who, m in (("accel", accel), ("Accelerator", ax)):
        if m.get("bytes_per_row") is not None:
            out.append(
                f"bytes on disk per row, {who}: random {m['bytes_per_row']:.2f} = "
                f"{m['bytes_per_row'] / RAW_BYTES_PER_ROW:.0%} of the raw "
                f"{RAW_BYTES_PER_ROW} (8 + 8 + 10)"
                + (f", sequential {m['seq_bytes_per_row']:.2f}"
                   if m.get("seq_bytes_per_row") is not None else "")
            )
    for who, c in (context or {}).items():
        walls = [
            f"{what} {fmt(c[f'{k}_wall_s'])} s (the job's exectime {fmt(c[f'{k}_exectime_s'])})"
            for k, what in (("csvonly", names["lines"]), ("csvonly_big", names["big"]))
            if c.get(f"{k}_wall_s") is not None and c.get(f"{k}_exectime_s") is not None
        ]
        if walls:
            out.append(f"whole `ax run csvonly`, {who}: " + ", ".join(walls))
    for who, c in (context or {}).items():
        if c.get("gen_build_wall_s") is not None and c.get("gen_exectime_s") is not None:
            out.append(
                f"first dataset job of the run (generation loop only, not in the figures), "
                f"{who}: urd.build wall {fmt(c['gen_build_wall_s'])} s, its exectime "
                f"{fmt(c['gen_exectime_s'])} s"
            )
    return "\n".join(out)


def make_inputs(args: argparse.Namespace, tmp: Path) -> dict:
    """The files both tools read, made once per benchmark under *tmp*."""
    t0 = time.perf_counter()
    tables = make_tables()
    inputs = dict(
        table_dir=write_tables(str(tmp / "tables"), tables),
        csv=None, csv_big=None, parquet=None, parquet_big=None,
        csv_lines=args.csv_lines, csv_big_lines=args.csv_big_lines,
    )
    if args.csv_lines:
        inputs["csv"] = write_csv(tmp / "dsbench.csv", args.csv_lines, tables)
        inputs["parquet"] = write_parquet(tmp / "dsbench.parquet", args.csv_lines, tables)
    if args.csv_big_lines:
        inputs["csv_big"] = write_csv(tmp / "dsbench-big.csv", args.csv_big_lines, tables)
        inputs["parquet_big"] = write_parquet(
            tmp / "dsbench-big.parquet", args.csv_big_lines, tables
        )
    print(f"inputs made in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return inputs


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
        help="lines of the CSV for csvimport, and rows of the Parquet file for parquetimport "
        "(default 1000000; 0 skips them)",
    )
    ap.add_argument(
        "--csv-big-lines",
        type=int,
        default=10_000_000,
        help="lines of the big CSV for the whole `ax run csvimport` (and rows of the big "
        "Parquet file); default 10000000, 0 skips them",
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
    if args.csv_lines < 0 or args.csv_big_lines < 0:
        ap.error("--csv-lines and --csv-big-lines must be >= 0")
    args.rows -= args.rows % SLICES

    t_start = time.perf_counter()
    python = ensure_venv()
    tmp = Path(tempfile.mkdtemp(prefix="dsbench-inputs-"))
    try:
        inputs = make_inputs(args, tmp)
        side_args = ["--rows", str(args.rows), "--table-dir", str(inputs["table_dir"])]
        if inputs["csv"]:
            side_args += ["--csv", str(inputs["csv"])]
        if inputs["csv_big"]:
            side_args += ["--csv-big", str(inputs["csv_big"])]
        if not accel_has_datasets():
            print("accel.dataset is not importable: accel's figures are n/a", file=sys.stderr)
        pycache = None
        if not args.no_bytecode_cache:
            pycache = tmp / "pycache"
            compile_accel(pycache)

        ax_runs, accel_runs = alternate_runs(
            args.runs,
            lambda: measure_accelerator(python, side_args),
            lambda: run_accel_once(args, inputs, pycache),
            args.verbose,
            KEYS + CONTEXT_KEYS,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    accel_med, ax_med = medians(accel_runs, KEYS), medians(ax_runs, KEYS)
    context = {
        "accel": medians(accel_runs, CONTEXT_KEYS),
        "accelerator": medians(ax_runs, CONTEXT_KEYS),
    }
    print(table(accel_med, ax_med, len(ax_runs), len(accel_runs), args,
                {"accel": context["accel"], "Accelerator": context["accelerator"]}))
    print(f"(the benchmark took {time.perf_counter() - t_start:.0f} s)")
    if args.verbose:
        print_spreads(accel_runs, ax_runs, KEYS + CONTEXT_KEYS, 28)
    write_json(
        args.json,
        {
            "accelerator_version": ACCELERATOR_VERSION,
            "rows": args.rows,
            "csv_lines": args.csv_lines,
            "csv_big_lines": args.csv_big_lines,
            "accel_bytecode_cache": not args.no_bytecode_cache,
            "runs": args.runs,
            "median": {"accel": accel_med, "accelerator": ax_med},
            "context_median": context,
            "raw": {"accel": accel_runs, "accelerator": ax_runs},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
