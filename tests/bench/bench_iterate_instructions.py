"""Instructions a row of iterating a dataset: accel beside the Accelerator, counted, not timed.

    python tests/bench/bench_iterate_instructions.py [--rows 1000000]

Iterating rows is bound by what CPython costs to make each value, and on a noisy VM the
time of it moves by a third between runs, more than the difference between the tools.
An instruction count does not move: valgrind (cachegrind, no cache simulation) counts the
instructions of a process that iterates ROWS rows, and of one that iterates 2 x ROWS
(imports and set-up are the same in both); their difference over ROWS is what a row costs.

The same rows (the dataset benchmark's values: a int64, b float64, c 10-character
unicode, from accelerator_side_datasets.make_rows) are written by each tool:
  accel          a one-slice dataset, written by the benchmark's dsbench_write method in a
                 temporary project (the default compression)
  Accelerator    its column files, written with accelerator.dsutil.typed_writer (its
                 default compression); read with typed_reader, one per column, and zip()
                 for tuples: what its iterate hands out, without its iterate's own
                 overhead, so the Accelerator's figure here is the lower bound of its cost
and read in a loop that does nothing with the values: `for v in ds.iterate(0, 'a')` and
`for t in ds.iterate(0, ('a', 'b', 'c'))`, against `for v in reader_a` and
`for t in zip(reader_a, reader_b, reader_c)`. Needs valgrind on the PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accelerator_env import ACCELERATOR_VERSION, ensure_venv  # noqa: E402
from accelerator_side_datasets import (  # noqa: E402
    WRITE_METHOD_SRC,
    make_tables,
    write_tables,
)
from benchlib import accel_ax, make_accel_project, render_table  # noqa: E402

ACCEL_READ = """\
import sys
from accel.dataset import Dataset


def main(op, jobid):
    ds = Dataset(jobid)
    if op == 'a':
        for v in ds.iterate(0, 'a'):
            pass
    elif op == 'abc':
        for t in ds.iterate(0, ('a', 'b', 'c')):
            pass


main(*sys.argv[1:])
"""

ACCELERATOR_WRITE = """\
import pickle
import sys
from accelerator.dsutil import typed_writer


def main(table, folder, rows):
    with open(table, 'rb') as fh:
        table = pickle.load(fh)
    full, rem = divmod(int(rows), len(table))
    for i, (name, typ) in enumerate((('a', 'int64'), ('b', 'float64'), ('c', 'unicode'))):
        with typed_writer(typ)(folder + '/' + name) as w:
            write = w.write
            for _ in range(full):
                for r in table:
                    write(r[i])
            for r in table[:rem]:
                write(r[i])


main(*sys.argv[1:])
"""

ACCELERATOR_READ = """\
import sys
from accelerator.dsutil import typed_reader


def main(op, folder):
    with typed_reader('int64')(folder + '/a') as a, \\
            typed_reader('float64')(folder + '/b') as b, \\
            typed_reader('unicode')(folder + '/c') as c:
        if op == 'a':
            for v in a:
                pass
        elif op == 'abc':
            for t in zip(a, b, c):
                pass


main(*sys.argv[1:])
"""

OPS = {"a": "iterate one int64 column", "abc": "iterate three columns as tuples"}


def instructions(python: str, script: Path, args: list[str], cwd: Path) -> int:
    """The instructions the process `python script args` executes, counted by valgrind."""
    res = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         python, str(script), *args],
        cwd=cwd, capture_output=True, text=True, check=False,
        # numpy's OpenBLAS threads wait for work spinning, tens of millions of
        # instructions that differ from run to run; nothing here uses them
        env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    found = re.search(r"I\s+refs:\s+([\d,]+)", res.stderr)
    if res.returncode != 0 or not found:
        raise RuntimeError(f"{script.name} {' '.join(args)} failed:\n{res.stderr[-4000:]}")
    return int(found.group(1).replace(",", ""))


def per_row(python: str, script: Path, small: str, big: str, cwd: Path, rows: int) -> dict:
    """{op: instructions a row}: `big` holds `rows` more rows than `small`."""
    return {op: (instructions(python, script, [op, big], cwd)
                 - instructions(python, script, [op, small], cwd)) / rows for op in OPS}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows (default 1000000)")
    args = ap.parse_args(argv)
    if args.rows < 1:
        ap.error("--rows must be >= 1")
    if shutil.which("valgrind") is None:
        ap.error("valgrind is not on the PATH (apt install valgrind)")
    ax_python = str(ensure_venv())
    tmp = Path(tempfile.mkdtemp(prefix="iterbench-"))
    try:
        tables = write_tables(tmp / "tables", make_tables())
        proj = make_accel_project(tmp, {
            "methods/a_dsbench_write.py": WRITE_METHOD_SRC,
            "build.py": textwrap.dedent(f"""\
                def main(urd):
                    for n in ({args.rows}, {2 * args.rows}):
                        urd.build('dsbench_write', rows_per_slice=n, table_dir={str(tables)!r})
            """),
        }, slices=1)
        subprocess.run([*accel_ax(), "run", "-q"], cwd=proj, check=True,
                       stdout=subprocess.DEVNULL)
        (tmp / "accel_read.py").write_text(ACCEL_READ)
        accel = per_row(sys.executable, tmp / "accel_read.py", "dev-1", "dev-2", proj, args.rows)

        (tmp / "ax_write.py").write_text(ACCELERATOR_WRITE)
        (tmp / "ax_read.py").write_text(ACCELERATOR_READ)
        for n in (args.rows, 2 * args.rows):
            (tmp / f"ax{n}").mkdir()
            subprocess.run([ax_python, str(tmp / "ax_write.py"),
                            str(Path(tables) / "table-0.pickle"), str(tmp / f"ax{n}"), str(n)],
                           check=True)
        other = per_row(ax_python, tmp / "ax_read.py", str(tmp / f"ax{args.rows}"),
                        str(tmp / f"ax{2 * args.rows}"), tmp, args.rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    head = ["instructions a row", "accel", f"Accelerator {ACCELERATOR_VERSION}",
            "ratio (Accelerator/accel)"]
    rows = [[OPS[op], f"{accel[op]:.0f}", f"{other[op]:.0f}", f"{other[op] / accel[op]:.2f}x"]
            for op in OPS]
    print("\n".join(render_table(rows, head)))
    print(f"One slice; valgrind's count of a process iterating {2 * args.rows:,} rows less "
          f"that of one iterating {args.rows:,}, over {args.rows:,}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
