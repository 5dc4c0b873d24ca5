"""The Accelerator side of the dataset benchmark (see bench_datasets.py).

Run with the python of the Accelerator venv (accelerator_env.ensure_venv()),
NOT with our normal python.  Stdlib only; the Accelerator is driven through
its own ``ax`` next to ``sys.executable``.  The project / server handling
(temp project from ``ax init``, unix sockets inside the temp dir, the server
in its own process group, always stopped and removed) is accelerator_side.py's
``Project``.

The methods and the build scripts below use nothing framework specific (no
imports from the framework, only the API both share), so bench_datasets.py
runs the very same source on accel.  What only accel has (``ds.column``, a
dataset written with ``compression=None``, ``parquetimport``) is switched on
there through the environment of the build script, so the Accelerator never
builds those jobs and never sees the keyword.

One invocation = one run.  In a fresh temp project with 2 slices, the server
running, ``ax run dsbench`` runs the build script ``build_dsbench.py``, which
times every ``urd.build`` call it makes with perf_counter (the wall a user
waits for: job start, the method, job end) and

  1. builds ``dsbench_write`` with gen_only=True: only the generation loop of
     the write below (the same loops, no write call; timed inside analysis,
     context, subtracted from the write loop's time).  It is the first dataset
     job of the run, so its wall also holds what a tool does once per ``ax
     run`` before its first dataset job (accel's builder imports numpy and
     pyarrow then): that is not part of the write timed next.
  2. builds ``dsbench_write``: a datasetwriter made in prepare (columns
     a int64, b float64, c unicode), each analysis slice writes ROWS/2 rows
     row by row with ``dw.write(a, b, c)``.  The values come from a table of
     65536 precomputed pseudo-random rows per slice (make_rows(sliceno):
     random.Random(sliceno); a in [-2**31, 2**31), b a random float, c 10
     random ASCII letters or digits: 8 + 8 + 10 = 26 raw bytes a row), walked
     round and round; the tables are pickled once per benchmark (--table-dir)
     and the method loads its slice's (0.03 s; making it is 0.2 s).  The write
     loop is also timed inside analysis (context).
  3. builds ``dsbench_read`` on the written dataset once per operation
     (option what=): ``for v in ds.iterate(sliceno, 'a')`` (iter_a),
     ``for t in ds.iterate(sliceno, ('a', 'b', 'c'))`` (iter_abc),
     ``sum(ds.iterate(sliceno, 'a'))`` (sum_iter, checked against the sums the
     writer computed) and, on accel only, ``ds.column('a', sliceno).sum()``
     (sum_column, also checked; also on a dataset written with
     compression=None).  Each is timed by its urd.build wall and inside
     analysis (context).
  4. builds ``dsbench_write`` with sequential=True: a = the row number i over
     the dataset, b = i * 0.5, c = f"{i:010d}" (bytes on disk; on accel also
     ds.column('a', s).sum() in the build script: the issue's own data were
     sequential), and on accel only the random rows again with compression=None
     (for sum_column).
  5. builds the standard ``csvimport`` of a CSV file (header ``a,b,c``, the
     same kind of values; made by the driver, or here with --csv-lines) and
     takes the job's own exectime (post.json) as its time; the build call's
     wall time is kept as context.
  6. sums the sizes of all files in the job directories of the random write,
     the sequential write and the csvimport -> bytes on disk per row / line.
  7. (accel only) builds ``parquetimport`` of the same values as a Parquet
     file (made by the driver).

Then, timed around the subprocess, ``ax run --quiet csvonly`` (``build_csvonly.py``:
one ``csvimport`` of the CSV with force_build=True, nothing else) once for the
CSV and once for the big CSV (--csv-big), as a user runs it with the server
already up.

Slices run in parallel, so a rate over slices timed inside the method is
total rows / slowest slice's time.  Prints one JSON object on stdout (rates
in M rows/s, times in s); progress and diagnostics go to stderr.
"""

import argparse
import json
import os
import pickle
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

# table_dir: folder of table-SLICENO.pickle (make_rows(SLICENO) pickled), else made here.
# sequential: a = the row number, b = a * 0.5, c = f"{a:010d}" instead of the table.
# gen_only: only the generation loop (no datasetwriter, nothing written).
# compression: '' writes as the tool does by default (the Accelerator never gets
# anything else); 'none' passes compression=None to accel's datasetwriter.
options = dict(rows_per_slice=1000, table_rows=65536, table_dir='', sequential=False,
               gen_only=False, compression='')
"""
    + GEN_SRC
    + """

def prepare(job):
    if options.gen_only:
        return None
    kw = {}
    if options.compression:
        kw['compression'] = None if options.compression == 'none' else options.compression
    dw = job.datasetwriter(**kw)
    dw.add('a', 'int64')
    dw.add('b', 'float64')
    dw.add('c', 'unicode')
    return dw


def table(sliceno):
    if options.table_dir:
        import os
        import pickle
        with open(os.path.join(options.table_dir, 'table-%d.pickle' % sliceno), 'rb') as fh:
            return pickle.load(fh)
    return make_rows(sliceno, options.table_rows)


def analysis(sliceno, prepare_res):
    import time
    perf = time.perf_counter
    n = options.rows_per_slice
    res = dict(sliceno=sliceno, rows=n)

    if options.sequential:
        first = sliceno * n
        write = prepare_res.write
        t0 = perf()
        for i in range(first, first + n):
            write(i, i * 0.5, f"{i:010d}")
        res['write_s'] = perf() - t0
        res['expect_sum_a'] = (first + first + n - 1) * n // 2
        return res

    rows = table(sliceno)
    full, rem = divmod(n, len(rows))
    tail = rows[:rem]
    res['expect_sum_a'] = full * sum(r[0] for r in rows) + sum(r[0] for r in tail)

    if options.gen_only:
        # the generation loop alone (the write loop below without the write call)
        t0 = perf()
        for _ in range(full):
            for a, b, c in rows:
                pass
        for a, b, c in tail:
            pass
        res['gen_s'] = perf() - t0
        return res

    write = prepare_res.write
    t0 = perf()
    for _ in range(full):
        for a, b, c in rows:
            write(a, b, c)
    for a, b, c in tail:
        write(a, b, c)
    res['write_s'] = perf() - t0
    return res


def synthesis(analysis_res):
    return list(analysis_res)
"""
)

# What dsbench_read does, by its option what= (one operation per job).
READS = ("iter_a", "iter_abc", "sum_iter", "sum_column")

READ_METHOD_SRC = """\
description = "dataset benchmark: one read operation (option what) per job"

datasets = ('source',)
# iter_a: for v in ds.iterate(sliceno, 'a')
# iter_abc: for t in ds.iterate(sliceno, ('a', 'b', 'c'))
# sum_iter: sum(ds.iterate(sliceno, 'a'))
# sum_column: ds.column('a', sliceno).sum()  (accel only)
options = dict(what='iter_a')


def analysis(sliceno):
    import time
    perf = time.perf_counter
    ds = datasets.source
    what = options.what
    res = dict(sliceno=sliceno, rows=ds.lines[sliceno], what=what)
    t0 = perf()
    if what == 'iter_a':
        for v in ds.iterate(sliceno, 'a'):
            pass
    elif what == 'iter_abc':
        for t in ds.iterate(sliceno, ('a', 'b', 'c')):
            pass
    elif what == 'sum_iter':
        res['sum_a'] = sum(ds.iterate(sliceno, 'a'))
    elif what == 'sum_column':
        res['sum_a'] = int(ds.column('a', sliceno).sum())
    else:
        raise ValueError('what=%r' % (what,))
    res['s'] = perf() - t0
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


def _timed(urd, method, **kw):
    t0 = time.perf_counter()
    job = urd.build(method, **kw)
    return job, time.perf_counter() - t0


def _write_stage(urd, out, key, options):
    # a dsbench_write job: its wall, exectime, lines, bytes on disk and per-slice results
    try:
        job, wall = _timed(urd, 'dsbench_write', options=options)
        got = dict(wall_s=wall, exectime_s=_exectime(job), job=str(job))
        if not options.get('gen_only'):
            got['lines'] = list(job.dataset().lines)
            got['job_bytes'] = _tree_bytes(job.path)
        got['res'] = job.load()
        out[key] = got
        return job
    except Exception:
        out['errors'][key] = traceback.format_exc()
        return None


def _settle():
    # the files just written go to disk now, not while the reads after them are timed: on
    # a small machine the kernel's writing back of a few hundred MB takes CPU from the
    # reads (the first read after a write ran ~1.3x slower here)
    os.sync()


def _read_stage(urd, out, key, source, what):
    try:
        job, wall = _timed(urd, 'dsbench_read', options=dict(what=what),
                           datasets=dict(source=source))
        out[key] = dict(wall_s=wall, res=job.load())
    except Exception:
        out['errors'][key] = traceback.format_exc()


def _script_sum(out, key, job):
    # ds.column('a', s).sum() over every slice, in this (the build script's) process, one
    # slice after the other: where the issue's own figure was taken. This process has not
    # read these files before, so their verification is timed too.
    try:
        ds = job.dataset()
        t0 = time.perf_counter()
        sums = [int(ds.column('a', s).sum()) for s in range(len(ds.lines))]
        out[key] = dict(wall_s=time.perf_counter() - t0, sums=sums)
    except Exception:
        out['errors'][key] = traceback.format_exc()


def _import_stage(urd, out, key, method, filename):
    try:
        job, wall = _timed(urd, method, options=dict(filename=filename))
        ds = job.dataset()
        out[key] = dict(wall_s=wall, exectime_s=_exectime(job), job=str(job),
                        job_bytes=_tree_bytes(job.path), columns=sorted(ds.columns),
                        types=sorted((n, c.type) for n, c in ds.columns.items()),
                        lines=sum(ds.lines))
    except Exception:
        out['errors'][key] = traceback.format_exc()


def main(urd):
    env = os.environ
    out = dict(errors={})
    wopts = dict(rows_per_slice=int(env['DSBENCH_ROWS_PER_SLICE']),
                 table_dir=env.get('DSBENCH_TABLE_DIR', ''))
    use_column = env.get('DSBENCH_USE_COLUMN') == '1'           # accel only
    uncompressed = env.get('DSBENCH_UNCOMPRESSED') == '1'       # accel only

    # The generation loop alone first: the first dataset job of the run also pays for what
    # a tool does once per `ax run` before its first dataset job (accel's builder imports
    # numpy and pyarrow then), which is no part of the write timed next.
    _write_stage(urd, out, 'gen', dict(wopts, gen_only=True))
    w = _write_stage(urd, out, 'write', wopts)
    _settle()
    if w is not None:
        for what in ('iter_a', 'iter_abc', 'sum_iter') + (('sum_column',) if use_column else ()):
            _read_stage(urd, out, 'read_' + what, w, what)
        if use_column:
            _script_sum(out, 'script_sum', w)
    seq = _write_stage(urd, out, 'seq', dict(rows_per_slice=wopts['rows_per_slice'],
                                             sequential=True))
    if use_column and seq is not None:
        _settle()
        _script_sum(out, 'script_sum_seq', seq)
    if uncompressed:
        u = _write_stage(urd, out, 'unc', dict(wopts, compression='none'))
        _settle()
        if u is not None:
            _read_stage(urd, out, 'read_sum_column_unc', u, 'sum_column')
            _script_sum(out, 'script_sum_unc', u)

    if env.get('DSBENCH_CSV'):
        _import_stage(urd, out, 'csv', 'csvimport', env['DSBENCH_CSV'])
    if env.get('DSBENCH_PARQUET'):                                # accel only
        _import_stage(urd, out, 'parquet', 'parquetimport', env['DSBENCH_PARQUET'])
    if env.get('DSBENCH_PARQUET_BIG'):                            # accel only
        _import_stage(urd, out, 'parquet_big', 'parquetimport', env['DSBENCH_PARQUET_BIG'])

    with open(env['DSBENCH_OUT'], 'w') as fh:
        json.dump(out, fh)
"""

# ``ax run csvonly``: one csvimport of $DSBENCH_CSV, built again every time; the
# caller times the whole process.  What it writes to $DSBENCH_OUT is for checking.
CSVONLY_SRC = """\
import json
import os


def main(urd):
    c = urd.build('csvimport', options=dict(filename=os.environ['DSBENCH_CSV']),
                  force_build=True)
    t = c.post.exectime
    with open(os.environ['DSBENCH_OUT'], 'w') as fh:
        json.dump(dict(job=str(c), lines=sum(c.dataset().lines),
                       exectime_s=t['total'] if isinstance(t, dict) else t), fh)
"""


def write_tables(folder, tables):
    """table-SLICENO.pickle in *folder* for each of *tables* (the write method's table_dir)."""
    os.makedirs(folder, exist_ok=True)
    for sliceno, rows in enumerate(tables):
        with open(os.path.join(folder, f"table-{sliceno}.pickle"), "wb") as fh:
            pickle.dump(rows, fh, protocol=4)
    return folder


def make_tables(table_rows=TABLE_ROWS):
    return [make_rows(seed, table_rows) for seed in range(SLICES)]  # noqa: F821


def csv_row_chunks(lines, tables):
    """The rows of the benchmark's CSV (and Parquet) file: the tables one after the other,
    round and round, until *lines* rows.  Yields (table index, number of its rows)."""
    done = 0
    while done < lines:
        for i, rows in enumerate(tables):
            n = min(len(rows), lines - done)
            yield i, n
            done += n
            if done >= lines:
                return


def write_csv(path, lines, tables=None):
    """A CSV with header a,b,c and *lines* data lines of make_rows values."""
    tables = tables or make_tables()
    texts = ["".join(f"{a},{b!r},{c}\n" for a, b, c in rows) for rows in tables]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("a,b,c\n")
        for i, n in csv_row_chunks(lines, tables):
            if n == len(tables[i]):
                fh.write(texts[i])
            else:
                fh.write("".join(f"{a},{b!r},{c}\n" for a, b, c in tables[i][:n]))
    return path


def count_lines(path):
    """Data lines of a CSV with one header line."""
    n = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(1 << 24)
            if not block:
                break
            n += block.count(b"\n")
    return n - 1


def _rate(rows, seconds):
    return rows / seconds / 1e6 if seconds else None


def _slowest(res, key):
    return max(d[key] for d in res)


def figures(got, rows_per_slice, slices=SLICES):
    """The reported figures from the build script's raw JSON.

    Raises ValueError when a check fails (wrong row counts or sums)."""
    fig = {"errors": got.get("errors") or {}}
    expect_lines = [rows_per_slice] * slices
    rows = rows_per_slice * slices
    fig["rows"] = rows
    expect_sums = {}
    for key in ("write", "seq", "unc", "gen"):
        stage = got.get(key)
        if not stage:
            continue
        res = sorted(stage["res"], key=lambda d: d["sliceno"])
        expect_sums[key] = [d["expect_sum_a"] for d in res]
        if key != "gen" and stage["lines"] != expect_lines:
            raise ValueError(f"{key}: dataset has lines {stage['lines']}, expected {expect_lines}")
        fig[f"{key}_build_wall_s"] = stage["wall_s"]
        fig[f"{key}_exectime_s"] = stage["exectime_s"]
        if key == "gen":
            fig["gen_mrows_s"] = _rate(rows, _slowest(res, "gen_s"))
            fig["gen_s_per_slice"] = [d["gen_s"] for d in res]
            continue
        fig[f"{key}_job_bytes"] = stage["job_bytes"]
        fig[f"{key}_bytes_per_row"] = stage["job_bytes"] / rows
        fig[f"{key}_s_per_slice"] = [d["write_s"] for d in res]
    if "write" in got:
        res = sorted(got["write"]["res"], key=lambda d: d["sliceno"])
        fig["write_wall_mrows_s"] = _rate(rows, got["write"]["wall_s"])
        fig["write_mrows_s"] = _rate(rows, _slowest(res, "write_s"))
        fig["bytes_per_row"] = fig.pop("write_bytes_per_row")
        fig["raw_bytes_per_row"] = RAW_BYTES_PER_ROW
        if "gen" in got:
            gen = sorted(got["gen"]["res"], key=lambda d: d["sliceno"])
            fig["write_net_mrows_s"] = _rate(
                rows, max(w["write_s"] - g["gen_s"] for w, g in zip(res, gen, strict=True))
            )
    if "seq" in got:
        fig["seq_bytes_per_row"] = fig.pop("seq_bytes_per_row")
    if "unc" in got:
        fig["unc_bytes_per_row"] = fig.pop("unc_bytes_per_row")

    for key, read in sorted(got.items()):
        if not key.startswith("read_"):
            continue
        name = key[len("read_"):]
        source = "unc" if name.endswith("_unc") else "write"
        res = sorted(read["res"], key=lambda d: d["sliceno"])
        if [d["rows"] for d in res] != expect_lines:
            raise ValueError(f"{key}: read {[d['rows'] for d in res]} rows, expected {expect_lines}")
        if "sum_a" in res[0]:
            sums = [d["sum_a"] for d in res]
            if source in expect_sums and sums != expect_sums[source]:
                raise ValueError(f"{key}: sums per slice {sums}, expected {expect_sums[source]}")
        fig[f"{name}_wall_mrows_s"] = _rate(rows, read["wall_s"])
        fig[f"{name}_mrows_s"] = _rate(rows, _slowest(res, "s"))
        fig[f"{name}_build_wall_s"] = read["wall_s"]
        fig[f"{name}_s_per_slice"] = [d["s"] for d in res]

    for key, source in (("script_sum", "write"), ("script_sum_seq", "seq"),
                        ("script_sum_unc", "unc")):
        got_sum = got.get(key)
        if not got_sum:
            continue
        if source in expect_sums and got_sum["sums"] != expect_sums[source]:
            raise ValueError(f"{key}: sums per slice {got_sum['sums']}, "
                             f"expected {expect_sums[source]}")
        fig[f"{key}_mrows_s"] = _rate(rows, got_sum["wall_s"])

    csv = got.get("csv")
    if csv:
        fig["csv_lines"] = csv["lines"]
        fig["csv_exectime_s"] = csv["exectime_s"]
        fig["csv_build_wall_s"] = csv["wall_s"]
        fig["csv_columns"] = csv["columns"]
        fig["csv_mrows_s"] = _rate(csv["lines"], csv["exectime_s"])
        fig["csv_job_bytes"] = csv["job_bytes"]
        fig["csv_bytes_per_line"] = csv["job_bytes"] / csv["lines"] if csv["lines"] else None
    for key in ("parquet", "parquet_big"):
        pq = got.get(key)
        if pq:
            types = [tuple(t) for t in pq["types"]]
            want = [("a", "int64"), ("b", "float64"), ("c", "unicode")]
            if types != want:
                raise ValueError(f"{key}: parquetimport made columns {types}, expected {want}")
            fig[f"{key}_lines"] = pq["lines"]
            fig[f"{key}_build_wall_s"] = pq["wall_s"]
            fig[f"{key}_exectime_s"] = pq["exectime_s"]
            fig[f"{key}_mrows_s"] = _rate(pq["lines"], pq["wall_s"])
    return fig


def csvonly_figures(fig, key, got, wall, expect_lines):
    """Put the figures of one timed `ax run csvonly` (*got*: what it wrote) into *fig*."""
    if got["lines"] != expect_lines:
        raise ValueError(f"{key}: csvimport made {got['lines']} lines, the file has {expect_lines}")
    fig[f"{key}_lines"] = got["lines"]
    fig[f"{key}_wall_s"] = wall
    fig[f"{key}_exectime_s"] = got["exectime_s"]
    fig[f"{key}_mrows_s"] = _rate(got["lines"], wall)


class DsProject(Project):
    FILES = (
        ("a_dsbench_write.py", WRITE_METHOD_SRC),
        ("a_dsbench_read.py", READ_METHOD_SRC),
        ("build_dsbench.py", BUILD_SRC),
        ("build_csvonly.py", CSVONLY_SRC),
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
        csv = os.path.abspath(csv) if csv else ""
        table_dir = args.table_dir or write_tables(os.path.join(root, "tables"), make_tables())
        p.init(SLICES)
        p.start_server()
        out_path = os.path.join(root, "build_out.json")
        rows_per_slice = args.rows // SLICES
        env = dict(p.env)
        env.update(
            DSBENCH_ROWS_PER_SLICE=str(rows_per_slice),
            DSBENCH_OUT=out_path,
            DSBENCH_CSV=csv,
            DSBENCH_TABLE_DIR=os.path.abspath(table_dir),
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
        fig["ax_run_wall_s"] = wall
        for key, path in (("csvonly", csv), ("csvonly_big", args.csv_big)):
            if not path:
                continue
            path = os.path.abspath(path)
            expect = count_lines(path)
            if key == "csvonly" and fig.get("csv_lines") != expect:
                raise ValueError(f"csvimport made {fig.get('csv_lines')} lines, the file has {expect}")
            env.update(DSBENCH_CSV=path, DSBENCH_OUT=os.path.join(root, key + ".json"))
            log(f"ax run --quiet csvonly: {path}")
            t0 = time.perf_counter()
            p.ax(["run", "--quiet", "csvonly"], env=env, timeout=args.timeout)
            csv_wall = time.perf_counter() - t0
            with open(env["DSBENCH_OUT"]) as fh:
                csvonly_figures(fig, key, json.load(fh), csv_wall, expect)
        fig.update(accelerator_version=_ax_version(), python=sys.version.split()[0])
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
    ap.add_argument("--csv-big", help="a bigger such CSV, only for the timed `ax run csvonly`")
    ap.add_argument(
        "--table-dir", help="the write method's tables (write_tables(); default: made here)"
    )
    ap.add_argument("--timeout", type=float, default=3600, help="limit for ax run, s")
    ap.add_argument("--keep", action="store_true", help="keep the temp project (for debugging)")
    args = ap.parse_args(argv)
    if args.rows < SLICES:
        ap.error(f"--rows must be >= {SLICES}")
    return measure_and_print(measure, args)


if __name__ == "__main__":
    sys.exit(main())
