"""urd.build_many of many trivial jobs: new jobs per second, reused jobs per second.

    python tests/bench/bench_build_many.py [--jobs 1000] [--parallel 2] [--runs 5]

Each run is a fresh project and one `ax run` whose build script times, inside the
process, build_many of JOBS rows of a method with only a synthesis (all new), then the
same rows again (all reused), then the same as a loop of urd.build (for comparison:
what build_many adds or saves). Medians and ranges over the runs. Issue 4's targets:
>= 200 new jobs/s with parallel=2, >= 5,000 reused jobs/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import accel_ax, make_accel_project

BUILD = """
import json, time

def main(urd):
    rows = [dict(i=i) for i in range(JOBS)]
    t0 = time.perf_counter()
    jl = urd.build_many('trivial', rows, parallel=PARALLEL)
    new = time.perf_counter() - t0
    assert len(jl.new) == JOBS and not jl.failed, jl.failed
    t0 = time.perf_counter()
    jl = urd.build_many('trivial', rows, parallel=PARALLEL)
    reused = time.perf_counter() - t0
    assert len(jl.reused) == JOBS
    t0 = time.perf_counter()
    for r in rows:
        urd.build('trivial', **r)
    loop_reused = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(JOBS, JOBS + JOBS // 4):
        urd.build('trivial', i=i)
    loop_new = time.perf_counter() - t0
    print('RESULT ' + json.dumps(dict(new_per_s=JOBS / new, reused_per_s=JOBS / reused,
                                      loop_reused_per_s=JOBS / loop_reused,
                                      loop_new_per_s=(JOBS // 4) / loop_new)))
"""

METHOD = "options = dict(i=0)\n\ndef synthesis():\n    return options.i\n"


def one_run(jobs: int, parallel: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        build = BUILD.replace("JOBS", str(jobs)).replace("PARALLEL", str(parallel))
        proj = make_accel_project(Path(tmp), {"methods/a_trivial.py": METHOD, "build.py": build})
        p = subprocess.run([*accel_ax(), "run", "-q"], cwd=proj, capture_output=True, text=True,
                           timeout=600)
        if p.returncode != 0:
            raise RuntimeError(p.stderr[-3000:])
        line = next(x for x in p.stdout.splitlines() if x.startswith("RESULT "))
        return json.loads(line[7:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    runs = [one_run(args.jobs, args.parallel) for _ in range(args.runs)]
    print(f"build_many of {args.jobs} trivial jobs, parallel={args.parallel}, "
          f"{args.runs} runs (median, min..max):")
    for key, label, target in [
        ("new_per_s", "build_many, all new", ">= 200"),
        ("reused_per_s", "build_many, all reused", ">= 5000"),
        ("loop_new_per_s", "loop of urd.build, new", "-"),
        ("loop_reused_per_s", "loop of urd.build, reused", "-"),
    ]:
        vals = [r[key] for r in runs]
        print(f"  {label:28} {statistics.median(vals):9.0f} jobs/s "
              f"({min(vals):.0f}..{max(vals):.0f})   target {target}")
    print(json.dumps({k: statistics.median(r[k] for r in runs) for k in runs[0]}), file=sys.stderr)


if __name__ == "__main__":
    main()
