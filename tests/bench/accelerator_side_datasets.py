"""The Accelerator side of the dataset benchmark (see bench_datasets.py).

Run with the python of the Accelerator venv (accelerator_env.ensure_venv()),
NOT with our normal python.  Stdlib only; the Accelerator is driven through
its own ``ax`` next to ``sys.executable``.  The project / server handling
(temp project from ``ax init``, unix sockets inside the temp dir, the server
in its own process group, always stopped and removed) is accelerator_side.py's
``Project``.

The methods and the build script below use nothing framework specific (no
imports from the framework, only the API both share), so bench_datasets.py
runs the very same source on accel; only the column-sum pass (``ds.column``,
accel only) is switched on there with an option.

One invocation = one run.  In a fresh temp project with 2 slices, the build
script ``build_dsbench.py``

  1. builds ``dsbench_write``: a datasetwriter made in prepare (columns
     a int64, b float64, c unicode), each analysis slice writes ROWS/2 rows
     row by row with ``dw.write(a, b, c)``.  The values come from a table of
     65536 precomputed pseudo-random rows per slice (random.Random(sliceno);
     a in [-2**31, 2**31), b a random float, c 10 random ASCII letters or
     digits: 8 + 8 + 10 = 26 raw bytes a row), walked round and round.  Timed
     inside analysis with perf_counter: the generation loop alone (the same
     loops, unpacking the rows, without the write call) and then the write
     loop; both reported.
  2. builds ``dsbench_read`` on that dataset: in each analysis slice, timed
     one after the other, ``for v in ds.iterate(sliceno, 'a')``,
     ``for t in ds.iterate(sliceno, ('a', 'b', 'c'))``,
     ``sum(ds.iterate(sliceno, 'a'))`` (also the correctness check against
     the sums the writer computed) and, on accel only, ``ds.column('a',
     sliceno).sum()``.
  3. builds the standard ``csvimport`` of a CSV file (header ``a,b,c``, the
     same kind of values; made by the driver, or here with --csv-lines) and
     takes the job's own exectime (post.json) as its time; the build call's
     wall time is kept as context.
  4. sums the sizes of all files in the write job's directory (dataset and the
     job's small metadata files) -> bytes on disk per row.

Slices run in parallel, so a rate over slices is  total rows / slowest slice's
time.  Prints one JSON object on stdout (rates in M rows/s, times in s);
progress and diagnostics go to stderr.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from accelerator_side import (  # noqa: E402
    Project,
    _ax_version,
    log,
    measure_and_print,
    temp_project,
)

SLICES = 2
RAW_BYTES_PER_ROW = 8 + 8 + 10
TABLE_ROWS = 65536

# Deterministic, cheap values: a table of rows made once per slice, walked
# round and round.  Shared by the methods (pasted into their source), the CSV
# writer below and bench_datasets.py.
GEN_SRC = '''
def make_rows(seed, n=65536):
    """n rows (a int, b float, c 10-char str) from random.Random(seed)."""
    import random
    rnd = random.Random(seed)
    alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
    return [
        (rnd.randrange(-2 ** 31, 2 ** 31), rnd.random() * 2e6 - 1e6,
         ''.join(rnd.choices(alnum, k=10)))
        for _ in range(n)
    ]
'''

exec(compile(GEN_SRC, "<GEN_SRC>", "exec"))  # defines make_rows here too

WRITE_METHOD_SRC = (
    """\
description = "dataset benchmark: write rows row by row with dw.write"

options = dict(rows_per_slice=1000, table_rows=65536)
"""
    + GEN_SRC
    + """

def prepare(job):
    dw = job.datasetwriter()
    dw.add('a', 'int64')
    dw.add('b', 'float64')
    dw.add('c', 'unicode')
    return dw


def analysis(sliceno, prepare_res):
    import time
    perf = time.perf_counter
    rows = make_rows(sliceno, options.table_rows)
    full, rem = divmod(options.rows_per_slice, len(rows))
    tail = rows[:rem]
    expect_sum_a = full * sum(r[0] for r in rows) + sum(r[0] for r in tail)

    # the generation loop alone (same loops, no write call), to subtract
    t0 = perf()
    for _ in range(full):
        for a, b, c in rows:
            pass
    for a, b, c in tail:
        pass
    gen_s = perf() - t0

    write = prepare_res.write
    t0 = perf()
    for _ in range(full):
        for a, b, c in rows:
            write(a, b, c)
    for a, b, c in tail:
        write(a, b, c)
    write_s = perf() - t0
    return dict(sliceno=sliceno, rows=options.rows_per_slice, gen_s=gen_s,
                write_s=write_s, expect_sum_a=expect_sum_a)


def synthesis(analysis_res):
    return list(analysis_res)
"""
)

READ_METHOD_SRC = """\
description = "dataset benchmark: iterate one column, three columns as tuples, sums"

datasets = ('source',)
options = dict(use_column=False)


def analysis(sliceno):
    import time
    perf = time.perf_counter
    ds = datasets.source
    res = dict(sliceno=sliceno, rows=ds.lines[sliceno])

    t0 = perf()
    for v in ds.iterate(sliceno, 'a'):
        pass
    res['iter_a_s'] = perf() - t0

    t0 = perf()
    for t in ds.iterate(sliceno, ('a', 'b', 'c')):
        pass
    res['iter_abc_s'] = perf() - t0

    t0 = perf()
    res['sum_a'] = sum(ds.iterate(sliceno, 'a'))
    res['sum_iter_s'] = perf() - t0

    if options.use_column:
        t0 = perf()
        res['sum_a_column'] = int(ds.column('a', sliceno).sum())
        res['sum_column_s'] = perf() - t0
    return res


def synthesis(analysis_res):
    return list(analysis_res)
"""

# ``ax run dsbench``.  Parameters come from the environment; figures go as
# JSON to $DSBENCH_OUT.  A failing stage is recorded in "errors" and the later
# stages that need it are skipped (the driver decides whether that is fatal).
BUILD_SRC = """\
import json
import os
import time
import traceback


def _exectime(job):
    t = job.post.exectime
    return t['total'] if isinstance(t, dict) else t


def _tree_bytes(path):
    total = 0
    for root, dirs, files in os.walk(path):
        for name in files:
            total += os.lstat(os.path.join(root, name)).st_size
    return total


def main(urd):
    perf = time.perf_counter
    env = os.environ
    out = dict(errors={})
    rows_per_slice = int(env['DSBENCH_ROWS_PER_SLICE'])
    use_column = env.get('DSBENCH_USE_COLUMN') == '1'

    w = None
    try:
        t0 = perf()
        w = urd.build('dsbench_write', options=dict(rows_per_slice=rows_per_slice))
        out['write_build_wall_s'] = perf() - t0
        out['write_exectime_s'] = _exectime(w)
        out['write_job'] = str(w)
        out['write_lines'] = list(w.dataset().lines)
        out['write_job_bytes'] = _tree_bytes(w.path)
        out['write'] = w.load()  # last: figures are made only when all of these are there
    except Exception:
        out['errors']['write'] = traceback.format_exc()

    if w is not None:
        try:
            t0 = perf()
            r = urd.build('dsbench_read', options=dict(use_column=use_column),
                          datasets=dict(source=w))
            out['read_build_wall_s'] = perf() - t0
            out['read'] = r.load()
        except Exception:
            out['errors']['read'] = traceback.format_exc()

    csv = env.get('DSBENCH_CSV')
    if csv:
        try:
            t0 = perf()
            c = urd.build('csvimport', options=dict(filename=csv))
            out['csv_build_wall_s'] = perf() - t0
            out['csv_exectime_s'] = _exectime(c)
            out['csv_columns'] = sorted(c.dataset().columns)
            out['csv_lines'] = sum(c.dataset().lines)  # last, as 'write' above
        except Exception:
            out['errors']['csv'] = traceback.format_exc()

    with open(env['DSBENCH_OUT'], 'w') as fh:
        json.dump(out, fh)
"""


def write_csv(path, lines, table_rows=TABLE_ROWS):
    """A CSV with header a,b,c and *lines* data lines of make_rows values."""
    tables = [make_rows(seed, table_rows) for seed in range(SLICES)]  # noqa: F821
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("a,b,c\n")
        done = 0
        while done < lines:
            for rows in tables:
                part = rows[: lines - done]
                fh.write("".join(f"{a},{b!r},{c}\n" for a, b, c in part))
                done += len(part)
                if done >= lines:
                    break
    return path


def figures(got, rows_per_slice, slices=SLICES):
    """The reported figures from the build script's raw JSON.

    Raises ValueError when a check fails (wrong row counts or sums)."""
    fig = {"errors": got.get("errors") or {}}
    write = got.get("write")
    if write:
        write = sorted(write, key=lambda d: d["sliceno"])
        rows = sum(d["rows"] for d in write)
        if got["write_lines"] != [rows_per_slice] * slices:
            raise ValueError(
                f"written dataset has lines {got['write_lines']}, "
                f"expected {[rows_per_slice] * slices}"
            )
        fig["rows"] = rows
        fig["write_mrows_s"] = rows / max(d["write_s"] for d in write) / 1e6
        fig["gen_mrows_s"] = rows / max(d["gen_s"] for d in write) / 1e6
        fig["write_net_mrows_s"] = rows / max(d["write_s"] - d["gen_s"] for d in write) / 1e6
        fig["write_s_per_slice"] = [d["write_s"] for d in write]
        fig["gen_s_per_slice"] = [d["gen_s"] for d in write]
        fig["write_exectime_s"] = got["write_exectime_s"]
        fig["write_build_wall_s"] = got["write_build_wall_s"]
        fig["bytes_per_row"] = got["write_job_bytes"] / rows
        fig["raw_bytes_per_row"] = RAW_BYTES_PER_ROW
        fig["write_job_bytes"] = got["write_job_bytes"]
        read = got.get("read")
        if read:
            read = sorted(read, key=lambda d: d["sliceno"])
            for w_, r_ in zip(write, read, strict=True):
                if r_["sum_a"] != w_["expect_sum_a"]:
                    raise ValueError(
                        f"slice {r_['sliceno']}: sum(iterate a) = {r_['sum_a']}, "
                        f"expected {w_['expect_sum_a']}"
                    )
                if "sum_a_column" in r_ and r_["sum_a_column"] != w_["expect_sum_a"]:
                    raise ValueError(
                        f"slice {r_['sliceno']}: column('a').sum() = "
                        f"{r_['sum_a_column']}, expected {w_['expect_sum_a']}"
                    )
            for key in ("iter_a", "iter_abc", "sum_iter", "sum_column"):
                if all(f"{key}_s" in d for d in read):
                    fig[f"{key}_mrows_s"] = rows / max(d[f"{key}_s"] for d in read) / 1e6
                    fig[f"{key}_s_per_slice"] = [d[f"{key}_s"] for d in read]
            fig["read_build_wall_s"] = got["read_build_wall_s"]
    if "csv_lines" in got:
        fig["csv_lines"] = got["csv_lines"]
        fig["csv_exectime_s"] = got["csv_exectime_s"]
        fig["csv_build_wall_s"] = got["csv_build_wall_s"]
        fig["csv_columns"] = got["csv_columns"]
        fig["csv_mrows_s"] = got["csv_lines"] / got["csv_exectime_s"] / 1e6
    return fig


class DsProject(Project):
    FILES = (
        ("a_dsbench_write.py", WRITE_METHOD_SRC),
        ("a_dsbench_read.py", READ_METHOD_SRC),
        ("build_dsbench.py", BUILD_SRC),
    )


def add_rows_argument(ap):
    """--rows, shared with the driver bench_datasets.py."""
    ap.add_argument(
        "--rows",
        type=int,
        default=10_000_000,
        help=f"rows written, split over {SLICES} slices (default 10000000)",
    )


def measure(args):
    with temp_project("axdsbench-", args.keep, DsProject) as p:
        root = p.root
        csv = args.csv
        if not csv and args.csv_lines:
            csv = write_csv(os.path.join(root, "dsbench.csv"), args.csv_lines)
        if csv:
            csv = os.path.abspath(csv)
        p.init(SLICES)
        p.start_server()
        out_path = os.path.join(root, "build_out.json")
        rows_per_slice = args.rows // SLICES
        env = dict(p.env)
        env.update(
            DSBENCH_ROWS_PER_SLICE=str(rows_per_slice), DSBENCH_OUT=out_path, DSBENCH_CSV=csv or ""
        )
        log(f"ax run dsbench: {rows_per_slice * SLICES} rows, csv {csv}")
        t0 = time.perf_counter()
        p.ax(["run", "dsbench"], env=env, timeout=args.timeout)
        wall = time.perf_counter() - t0
        with open(out_path) as fh:
            got = json.load(fh)
        if got["errors"]:
            raise RuntimeError(
                "build_dsbench failed:\n"
                + "\n".join(got["errors"].values())
                + f"\n--- server log ---\n{p.server_log()}"
            )
        fig = figures(got, rows_per_slice)
        if csv and "csv_lines" in fig:
            with open(csv, "rb") as fh:
                expect = sum(1 for _ in fh) - 1
            if fig["csv_lines"] != expect:
                raise ValueError(f"csvimport made {fig['csv_lines']} lines, the file has {expect}")
        fig.update(
            ax_run_wall_s=wall, accelerator_version=_ax_version(), python=sys.version.split()[0]
        )
        return fig


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_rows_argument(ap)
    ap.add_argument("--csv", help="CSV file (header a,b,c) to csvimport (made by the driver)")
    ap.add_argument(
        "--csv-lines",
        type=int,
        default=0,
        help="without --csv: make a CSV of this many lines here (0: no csvimport)",
    )
    ap.add_argument("--timeout", type=float, default=3600, help="limit for ax run, s")
    ap.add_argument("--keep", action="store_true", help="keep the temp project (for debugging)")
    args = ap.parse_args(argv)
    if args.rows < SLICES:
        ap.error(f"--rows must be >= {SLICES}")
    return measure_and_print(measure, args)


if __name__ == "__main__":
    sys.exit(main())
