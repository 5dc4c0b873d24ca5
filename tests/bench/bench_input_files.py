"""Input files in the identity: what fingerprinting costs.

    python tests/bench/bench_input_files.py [--mb 1024] [--runs 7]

A project whose build script builds one job with an InputFile option naming a file of
MB megabytes (the job does not read it). Measured:

* the first fingerprint of the file (no cache; the file in the page cache, as it is
  right after it was written): GB/s. Issue 15's target: >= 1 GB/s.
* `ax run` of the reused pipeline with the file tracked (its fingerprint a cached stat)
  against `input files: untracked` (the time it took before input files counted),
  alternating, medians. Target: within 10%.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import accel_ax, make_accel_project

METHOD = """
from accel import InputFile

options = dict(src=InputFile(required=True))

def synthesis():
    return options.src
"""
BUILD = """
def main(urd):
    urd.build('uses', src='big.bin')
"""


def ax_run(proj: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([*accel_ax(), "run", "-q"], cwd=proj, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proj = make_accel_project(Path(tmp), {"methods/a_uses.py": METHOD, "build.py": BUILD})
        big = proj / "big.bin"
        with open(big, "wb") as f:
            chunk = os.urandom(1 << 20)
            for _ in range(args.mb):
                f.write(chunk)
        st = big.stat()  # older than the cache's "too recent to trust" window
        os.utime(big, ns=(st.st_atime_ns, st.st_mtime_ns - 10_000_000_000))

        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        from accel.inputfiles import Fingerprints

        t0 = time.perf_counter()
        Fingerprints(None).of(str(big))
        first = time.perf_counter() - t0

        conf = proj / "accelerator.conf"
        plain = conf.read_text()
        untracked = plain + "input files: untracked\n"
        for text in (plain, untracked):  # build both jobs, fill the cache
            conf.write_text(text)
            ax_run(proj)
        times: dict[str, list[float]] = {"tracked": [], "untracked": []}
        for _ in range(args.runs):
            for name, text in (("tracked", plain), ("untracked", untracked)):
                conf.write_text(text)
                times[name].append(ax_run(proj))
        med = {k: statistics.median(v) for k, v in times.items()}
        result = {
            "file_mb": args.mb,
            "first_fingerprint_s": round(first, 3),
            "first_fingerprint_gb_per_s": round(args.mb * (1 << 20) / 1e9 / first, 2),
            "reused_run_tracked_s": round(med["tracked"], 3),
            "reused_run_untracked_s": round(med["untracked"], 3),
            "tracked_over_untracked": round(med["tracked"] / med["untracked"], 3),
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
