"""The Dask executor against the local one.

    python tests/bench/bench_dask.py [--runs 5] [--jobs 20] [--many 100] [--work 0.5]
                                     [--parallel 4] [--many-runs 1] [--plain]
                                     [--json out.json] [-v]

Starts a distributed LocalCluster in this process (2 worker processes of 1 thread each, on
127.0.0.1, no dashboard) and runs `ax run` against it as a user would, with
`--executor dask tcp://...`, alternating with the same build on `--executor local`.
With `--plain`, also a third side: dask with the workers' fork servers turned off
(ACCEL_DASK_FORKSERVER=0 set in the worker processes for those runs), so each job's
runner is a new `python -m accel.runner` -- what the fork server saves, measured on the
same cluster in the same run. The sides take turns going first.

Figures (medians over runs):
  new_job_ms   ms per NEW trivial job (synthesis returns its option): median over the
               `--jobs` distinct jobs one build script builds one after another, each
               timed around urd.build
  many_s       wall time of urd.build_many of `--many` jobs of `--work` seconds each
               (time.sleep: the work costs no CPU, so what is measured is the
               executor), `--parallel` at a time on the 2 workers (Dask queues what
               does not fit, so a worker never waits for the builder); local: on this
               machine, 2 at a time (`parallel=2, cpus=2`: as many slots as the workers)
  many_ideal_s many * work / 2: the time with no overhead at all on 2 workers
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import accel_ax, fmt, make_accel_project, medians, render_table, write_json  # noqa: E402

TRIVIAL = "options = dict(value=0)\n\ndef synthesis(options):\n    return options.value * 2\n"
WORK = "import time\n\noptions = dict(i=0, work=0.5)\n\ndef synthesis(options):\n" \
       "    time.sleep(options.work)\n    return options.i\n"

BUILD_NEW = """
import json, statistics, time

def main(urd):
    times = []
    for i in range({jobs}):
        t0 = time.perf_counter()
        job = urd.build("trivial", value=time.time_ns())
        times.append(time.perf_counter() - t0)
    with open({out!r}, "w") as f:
        json.dump(dict(new_job_ms=statistics.median(times) * 1000), f)
"""

BUILD_MANY = """
import json, time

def main(urd):
    rows = [dict(i=i, work={work}) for i in range({many})]
    t0 = time.perf_counter()
    jobs = urd.build_many("work", rows, parallel={parallel}, cpus={parallel})
    took = time.perf_counter() - t0
    assert not jobs.failed, jobs.failed
    with open({out!r}, "w") as f:
        json.dump(dict(many_s=took), f)
"""


def start_cluster():
    from distributed import LocalCluster

    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address=None,
                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})


def _fork_server(off: bool) -> None:
    """Run in each worker process: turn its fork server off (or on again) for the next jobs."""
    import os

    if off:
        os.environ["ACCEL_DASK_FORKSERVER"] = "0"
    else:
        os.environ.pop("ACCEL_DASK_FORKSERVER", None)


def one_run(executor: str, args: argparse.Namespace, many: bool, parallel: int) -> dict:
    """One fresh project, the new-job figure and (with `many`) the build_many figure."""
    tmp = Path(tempfile.mkdtemp(prefix="accel-bench-dask-"))
    try:
        new_out, many_out = tmp / "new.json", tmp / "many.json"
        proj = make_accel_project(tmp, {
            "methods/a_trivial.py": TRIVIAL,
            "methods/a_work.py": WORK,
            "build_new.py": BUILD_NEW.format(jobs=args.jobs, out=str(new_out)),
            "build_many.py": BUILD_MANY.format(many=args.many, work=args.work,
                                               parallel=parallel, out=str(many_out)),
        })
        ax = accel_ax()

        def run(script: str) -> None:
            subprocess.run([*ax, "run", script, "-q", "--executor", executor], cwd=proj,
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        run("new")
        figures = json.loads(new_out.read_text())
        if many:
            run("many")
            figures.update(json.loads(many_out.read_text()))
        return figures
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="runs of the new-job figure (default 5)")
    ap.add_argument("--jobs", type=int, default=20, help="new trivial jobs per run (default 20)")
    ap.add_argument("--many", type=int, default=100, help="jobs in build_many (default 100)")
    ap.add_argument("--work", type=float, default=0.5, help="seconds of work per job (0.5)")
    ap.add_argument("--parallel", type=int, default=4, help="build_many parallel= (default 4)")
    ap.add_argument("--many-runs", type=int, default=1,
                    help="of the runs, how many also time build_many (default 1)")
    ap.add_argument("--plain", action="store_true",
                    help="also measure dask with the fork server off")
    ap.add_argument("--json", type=Path, help="also write all raw per-run figures here")
    ap.add_argument("--verbose", "-v", action="store_true", help="show per-run figures")
    args = ap.parse_args(argv)

    cluster = start_cluster()
    try:
        from distributed import Client

        client = Client(cluster, set_as_default=False)
        dask = f"dask {cluster.scheduler_address}"
        sides = {"local": "local", "dask": dask}
        if args.plain:
            sides["dask, no fork server"] = dask
        raw: dict[str, list[dict]] = {side: [] for side in sides}
        names = list(sides)
        for i in range(args.runs):
            order = names[i % len(names):] + names[:i % len(names)]
            for side in order:
                client.run(_fork_server, side == "dask, no fork server")
                t0 = time.perf_counter()
                r = one_run(sides[side], args, many=i < args.many_runs,
                            parallel=args.parallel if side != "local" else 2)
                raw[side].append(r)
                if args.verbose:
                    print(f"run {i + 1} {side}: " + ", ".join(f"{k}={fmt(v)}"
                          for k, v in r.items()) + f" ({time.perf_counter() - t0:.1f}s)",
                          file=sys.stderr, flush=True)
        client.close()
    finally:
        cluster.close()

    keys = ["new_job_ms", "many_s"]
    med = {side: medians(runs, keys) for side, runs in raw.items()}
    ideal = args.many * args.work / 2
    dask_sides = [side for side in names if side != "local"]
    rows = [
        ["new trivial job [ms]", *(fmt(med[side].get("new_job_ms")) for side in names),
         fmt(med["dask"]["new_job_ms"] - med["local"]["new_job_ms"])],
        [f"build_many {args.many} x {args.work:g}s on 2 slots [s]",
         *(fmt(med[side].get("many_s")) for side in names), f"ideal {fmt(ideal)}"],
    ]
    head = ["measure", "local", *(f"{side} (2 workers)" for side in dask_sides), "dask - local"]
    for line in render_table(rows, head):
        print(line)
    print(f"medians over {args.runs} run(s) (build_many: {min(args.many_runs, args.runs)})")
    write_json(args.json, {"args": vars(args) | {"json": str(args.json)}, "median": med,
                           "raw": raw, "many_ideal_s": ideal})
    return 0


if __name__ == "__main__":
    sys.exit(main())
