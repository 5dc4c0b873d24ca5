"""ax board with 10,000 jobs: how long its pages take over HTTP (issue 15: <= 100 ms).

    python tests/bench/bench_board.py [--jobs 10000] [--fetches 7] [--keep DIR]

Builds a project with one `ax run` of a build script: a root job, then build_many of JOBS
trivial jobs that each take the root as a job input (so the root is "used by" all of
them), then a few jobs that use some of those; then the same script again (all reused),
so there are two runs of it. Starts `ax board` on 127.0.0.1 and fetches, each FETCHES
times, the front page, the root job's page (its "used by" lists JOBS jobs), a job of the
build_many, the runs page, the graph of the latest run (and its jobs with option i as a
column) and the method's page (its source, its newest jobs); prints the first fetch of each
(right after the board started, while it reads every job's setup.json once) and the
median, fastest and slowest of the FETCHES after it.
`--keep DIR` builds the project in DIR (reused when it is already there) and keeps it.
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

from benchlib import accel_ax, make_accel_project

BUILD = """
def main(urd):
    root = urd.build('leaf', i=-1)
    jl = urd.build_many('leaf', [dict(i=i, parent=root) for i in range(JOBS)], parallel=2)
    for i in range(3):
        urd.build('leaf', i=JOBS + i, parent=jl[i])
"""

METHOD = "options = dict(i=0)\njobs = ('parent',)\n\ndef synthesis():\n    return options.i\n"


def build(proj: Path, jobs: int) -> float:
    t0 = time.perf_counter()
    for _ in range(2):  # the second run reuses every job: a second row on /runs
        subprocess.run([*accel_ax(), "run", "-q"], cwd=proj, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)
    return time.perf_counter() - t0


def fetch(url: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:
        r.read()
        assert r.status == 200, (url, r.status)
    return (time.perf_counter() - t0) * 1000


def measure(proj: Path, fetches: int) -> dict:
    out = proj.parent / "board.out"
    with open(out, "w") as f:
        board = subprocess.Popen([*accel_ax(), "board", "--listen", "127.0.0.1:0"], cwd=proj,
                                 stdout=f, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while "http://" not in out.read_text():
            if board.poll() is not None or time.time() > deadline:
                raise RuntimeError("the board did not start:\n" + out.read_text())
            time.sleep(0.05)
        url = "http://" + out.read_text().split("http://", 1)[1].split()[0].rstrip("/")
        runs = json.loads(urllib.request.urlopen(url + "/runs?json=1", timeout=60).read())
        run = runs["runs"][0]["run"]
        pages = {"front page": "/", "job page, used by 10,000": "/job/dev-1",
                 "job page, a build_many row": "/job/dev-500", "runs page": "/runs",
                 "graph of the latest run": f"/run/{run}",
                 "a run's jobs, a column of i": f"/run/{run}?columns=i",
                 "method page, a column of i": "/method/leaf?columns=i"}
        # the first of each: while the board still reads every job's setup.json
        times: dict[str, list[float]] = {name: [] for name in pages}
        for _ in range(fetches + 1):
            for name, path in pages.items():
                times[name].append(fetch(url + path))
        return times
    finally:
        board.terminate()
        board.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--fetches", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="build (or reuse) the project here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        proj = base / "proj"
        if not proj.exists():
            base.mkdir(parents=True, exist_ok=True)
            make_accel_project(base, {"methods/a_leaf.py": METHOD,
                                      "build.py": BUILD.replace("JOBS", str(args.jobs))})
            print(f"building {args.jobs:,} jobs (two runs) ...", file=sys.stderr, flush=True)
            print(f"built in {build(proj, args.jobs):.0f}s", file=sys.stderr, flush=True)
        results = measure(proj, args.fetches)
    print(f"{'page':28} {'first ms':>9} {'median ms':>10} {'min':>8} {'max':>8}")
    for name, (first, *ms) in results.items():
        print(f"{name:28} {first:9.1f} {statistics.median(ms):10.1f} {min(ms):8.1f} "
              f"{max(ms):8.1f}")


if __name__ == "__main__":
    main()
