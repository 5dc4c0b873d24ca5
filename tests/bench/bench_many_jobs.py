"""accel with many jobs on disk: does a look-up, or `ax run` start-up, grow with them?

    python tests/bench/bench_many_jobs.py [--jobs 100000] [--runs 5]

Builds one real job, then fills the workdir with copies of it under other identities
(written directly, as finished jobs; making 100,000 real ones would take minutes of
forking for nothing), drops the index so it is rebuilt from the job directories, and
measures, against the same project with only a handful of jobs:
  hit_disk_ms   a cache hit in a fresh process (index read from disk), median
  hit_memo_ms   repeated hits in that process, per hit
  run_ms        `ax run` of a build script whose one job is reused (wall, median)
  rebuild_s     rebuilding the whole index from the job directories (once)
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

PROBE = """
import json, statistics, sys, time
from accel.builder import Builder
from accel.config import load_config
t0 = time.perf_counter()
b = Builder(load_config("accelerator.conf"), echo=False)
startup = time.perf_counter() - t0
t0 = time.perf_counter()
job, reused = b.build("bench", value=1)
first = time.perf_counter() - t0
assert reused, "expected a hit"
t0 = time.perf_counter()
for _ in range(1000):
    b.build("bench", value=1)
memo = (time.perf_counter() - t0) / 1000
print(json.dumps(dict(startup_ms=startup * 1e3, hit_disk_ms=first * 1e3, hit_memo_ms=memo * 1e3)))
"""


def make_project(root: Path) -> None:
    (root / "methods").mkdir(parents=True)
    (root / "workdirs" / "dev").mkdir(parents=True)
    (root / "accelerator.conf").write_text(
        "slices: 2\nworkdirs:\n    dev ./workdirs/dev\nmethod packages:\n    ./methods\n")
    (root / "methods" / "__init__.py").write_text("")
    (root / "methods" / "a_bench.py").write_text(
        "options = dict(value=0)\n\ndef synthesis(options):\n    return options.value\n")
    (root / "build_one.py").write_text("def main(urd):\n    urd.build('bench', value=1)\n")
    (root / "probe.py").write_text(PROBE)


def ax(root: Path, *args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "accel.cli.main", *args], cwd=root, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def fill(root: Path, n: int) -> float:
    """n finished jobs dev-2 .. dev-(n+1), copies of dev-1 under other identities."""
    wd = root / "workdirs" / "dev"
    src = wd / "dev-1"
    setup = json.loads((src / "setup.json").read_text())
    post = (src / "post.json").read_text()
    result = (src / "result.pickle").read_bytes()
    t0 = time.perf_counter()
    for i in range(2, n + 2):
        d = wd / f"dev-{i}"
        d.mkdir()
        setup.update(jobid=f"dev-{i}", hash=f"{i:032x}")
        (d / "setup.json").write_text(json.dumps(setup))
        (d / "post.json").write_text(post)
        (d / "result.pickle").write_bytes(result)
    shutil.rmtree(wd / ".accel")  # the index must rebuild itself from the directories
    return time.perf_counter() - t0


def probe(root: Path) -> dict:
    out = subprocess.run([sys.executable, "probe.py"], cwd=root, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def measure(root: Path, runs: int) -> dict:
    probes = [probe(root) for _ in range(runs)]
    med = {k: statistics.median(p[k] for p in probes) for k in probes[0]}
    med["run_ms"] = statistics.median(ax(root, "run", "one", "-q") for _ in range(runs))
    return med


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="accel-many-"))
    try:
        root = tmp / "proj"
        make_project(root)
        ax(root, "run", "one", "-q")
        small = measure(root, args.runs)
        print(f"filling {args.jobs} jobs ...", file=sys.stderr, flush=True)
        fill_s = fill(root, args.jobs)
        t0 = time.perf_counter()
        probe(root)  # the first look-up rebuilds the index
        rebuild_s = time.perf_counter() - t0
        big = measure(root, args.runs)
        print(f"{'measure':<28} {'1 job':>10} {f'{args.jobs + 1} jobs':>14}  target")
        targets = {"hit_disk_ms": "<= 1 ms", "hit_memo_ms": "<= 0.1 ms", "run_ms": "flat",
                   "startup_ms": "flat"}
        for k in ("hit_disk_ms", "hit_memo_ms", "startup_ms", "run_ms"):
            print(f"{k:<28} {small[k]:>10.3f} {big[k]:>14.3f}  {targets[k]}")
        print(f"index rebuild from {args.jobs + 1} job dirs: {rebuild_s:.2f} s "
              f"(once; filling took {fill_s:.0f} s); medians of {args.runs} runs")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
