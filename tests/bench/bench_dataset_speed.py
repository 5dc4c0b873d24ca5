"""How fast datasets are here: `python tests/bench/bench_dataset_speed.py [ROWS]` (default 10,000,000).

Writes ROWS rows of (int64, float64, ~10-char unicode) row by row into 2 slices of a
throwaway job directory, then reads them back: one column row by row, three columns as
tuples, a column summed through ds.column(). Prints rows per second (best of 3 for
reads). Not a test: figures depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from accel import layout
from accel.dataset.reader import Dataset
from accel.dataset.writer import DatasetWriter, finish_all
from accel.job import CurrentJob


def _best(fn, reps: int = 3) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(rows: int = 10_000_000) -> None:
    root = Path(tempfile.mkdtemp(prefix="accel-speed-"))
    try:
        (root / "speed-1").mkdir()
        (root / "speed-1" / "setup.json").write_text(json.dumps({"slices": 2, "method": "bench"}))
        layout.set_paths(layout.Paths(workdirs={"speed": root}))
        dw = DatasetWriter({"i": "int64", "f": "float64", "s": "unicode"},
                           job=CurrentJob("speed-1"))
        texts = [f"text{i:06d}" for i in range(1000)]
        t0 = time.perf_counter()
        for sliceno in range(2):
            dw.set_slice(sliceno)
            write = dw.write
            for i in range(rows // 2):
                write(i, i * 0.5, texts[i % 1000])
        finish_all(root / "speed-1")
        report("write, dw.write, 3 columns", rows, time.perf_counter() - t0)
        ds = Dataset("speed-1/default")

        def one() -> None:
            for _ in ds.iterate(None, "i"):
                pass

        def three() -> None:
            for _a, _b, _c in ds.iterate(None, ("i", "f", "s")):
                pass

        report("read one int64 column", rows, _best(one))
        report("read three columns as tuples", rows, _best(three))
        report("sum ds.column(name, sliceno)", rows,
               _best(lambda: sum(int(ds.column("i", s).sum()) for s in range(2))))
        report("sum ds.column(name)", rows, _best(lambda: int(ds.column("i").sum())))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def report(what: str, rows: int, seconds: float) -> None:
    print(f"{what:32s} {rows / seconds / 1e6:9.1f} M rows/s  ({seconds:.3f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
