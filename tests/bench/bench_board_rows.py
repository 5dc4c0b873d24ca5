"""A page of a big dataset on the board, and its downloads: is a page far into it as quick
as one at its top, and how fast do the rows go out as CSV and Parquet?

    python tests/bench/bench_board_rows.py [--rows 10000000] [--runs 7] [--json FILE]

Builds one dataset of ROWS rows (int64, float64, unicode, datetime; the project's default
zstd compression, 2 slices) with `ax run`, starts `ax board` on 127.0.0.1, and measures
over HTTP, as a browser fetches them:
  first_page_ms                              the board's first page of the dataset (imports
                                             numpy and pyarrow, opens the slice files)
  page_top_ms, page_middle_ms, page_end_ms   GET /ds/REF?start=N&rows=20 (the whole page:
                                             the dataset's description and 20 rows), median
  csv_mb_s, parquet_mb_s                     the whole download, once (with --downloads)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import accel_ax, make_accel_project, write_json  # noqa: E402

METHOD = """
import numpy as np

options = dict(rows=0)


def synthesis(job):
    dw = job.datasetwriter(columns={"i": "int64", "f": "float64", "s": "unicode",
                                    "t": "datetime"})
    half = options.rows // 2
    step = 1 << 20
    for sliceno, (first, stop) in enumerate(((0, half), (half, options.rows))):
        dw.set_slice(sliceno)
        for lo in range(first, stop, step):
            i = np.arange(lo, min(lo + step, stop), dtype=np.int64)
            dw.write_columns({"i": i, "f": i * 0.5, "s": [f"row {x}" for x in i.tolist()],
                              "t": np.datetime64("2024-01-01T00:00:00", "us") + i})
"""


def get(url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as r:
        size = len(r.read())
        assert r.status == 200
    return time.perf_counter() - t0, size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--downloads", action="store_true", help="time the whole downloads too")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proj = make_accel_project(Path(tmp), {
            "methods/a_big.py": METHOD,
            "build.py": f"def main(urd):\n    urd.build('big', rows={args.rows})\n"})
        t0 = time.perf_counter()
        subprocess.run([*accel_ax(), "run", "-q"], cwd=proj, check=True)
        print(f"built {args.rows:,} rows in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        out = proj / "board.out"
        with open(out, "w") as f:
            board = subprocess.Popen([*accel_ax(), "board", "--listen", "127.0.0.1:0"],
                                     cwd=proj, stdout=f, stderr=subprocess.STDOUT)
        try:
            while "http://" not in out.read_text():
                if board.poll() is not None:
                    raise RuntimeError(out.read_text())
                time.sleep(0.05)
            url = out.read_text().split("http://", 1)[1].split()[0].rstrip("/")
            url = "http://" + url
            res: dict = {"rows": args.rows}
            # the board's first look at a dataset imports numpy and pyarrow, opens the file
            res["first_page_ms"] = round(get(f"{url}/ds/dev-1?start=0&rows=20")[0] * 1e3, 1)
            for label, start in (("top", 0), ("middle", args.rows // 2 - 10),
                                 ("end", args.rows - 20)):
                page = f"{url}/ds/dev-1?start={start}&rows=20"
                get(page)  # the first look at a slice file opens and checks it
                res[f"page_{label}_ms"] = round(statistics.median(
                    get(page)[0] for _ in range(args.runs)) * 1e3, 1)
            if args.downloads:
                for kind in ("csv", "parquet"):
                    took, size = get(f"{url}/ds/dev-1/download.{kind}")
                    res[f"{kind}_mb_s"] = round(size / took / 1e6, 1)
                    res[f"{kind}_s"] = round(took, 2)
        finally:
            board.terminate()
            board.wait()
    print(json.dumps(res, indent=2))
    write_json(args.json, res)


if __name__ == "__main__":
    main()
