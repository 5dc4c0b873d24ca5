"""`ax run --dry-run` of the example pipeline against a fully reused `ax run`.

    python tests/bench/bench_dry_run.py [--runs 9]

The repo's build.py on its accelerator.conf and methods/, copied to a temporary folder and
built once. Then, alternating which goes first, whole-process timings of `ax run -q` (every
job reused) and `ax run --dry-run` (every job would be reused): medians and their ratio.
Issue 15's target: the dry run at most 2x the reused run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchlib import accel_ax

REPO = Path(__file__).resolve().parents[2]


def timed(proj: Path, *args: str, rc: int = 0) -> float:
    t0 = time.perf_counter()
    p = subprocess.run([*accel_ax(), "run", *args], cwd=proj, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if p.returncode != rc:
        raise RuntimeError(f"ax run {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proj = Path(tmp) / "example"
        proj.mkdir()
        for name in ("build.py", "accelerator.conf"):
            shutil.copy(REPO / name, proj / name)
        shutil.copytree(REPO / "methods", proj / "methods",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (proj / "workdirs" / "dev").mkdir(parents=True)
        timed(proj, "-q")  # build it
        timed(proj, "-q")  # and warm what a reused run reads
        times: dict[str, list[float]] = {"reused": [], "dry run": []}
        for i in range(args.runs):
            order = [("reused", ("-q",)), ("dry run", ("--dry-run",))]
            for name, extra in order if i % 2 == 0 else order[::-1]:
                times[name].append(timed(proj, *extra))
        med = {k: statistics.median(v) for k, v in times.items()}
        for k, v in times.items():
            print(f"{k:8} median {med[k] * 1000:7.1f} ms  (min {min(v) * 1000:.1f}, "
                  f"max {max(v) * 1000:.1f})")
        ratio = med["dry run"] / med["reused"]
        print(f"dry run / reused run: {ratio:.2f}x (target <= 2x)")
        print(json.dumps({"reused_s": round(med["reused"], 4),
                          "dry_run_s": round(med["dry run"], 4), "ratio": round(ratio, 3)}))


if __name__ == "__main__":
    main()
