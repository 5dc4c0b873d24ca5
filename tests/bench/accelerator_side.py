"""The Accelerator side of the core benchmark (see bench_core.py).

Run with the python of the Accelerator venv (accelerator_env.ensure_venv()),
NOT with our normal python: it imports nothing from accel, only the stdlib,
and drives the Accelerator through its own ``ax`` script next to
``sys.executable``.

One invocation = one run.  It

  1. creates a throwaway project in a temp dir with ``ax init`` (unix sockets
     inside the temp dir, so nothing listens on the network),
  2. adds a trivial method (only ``synthesis``, returning a small int) and two
     build scripts,
  3. starts ``ax server`` in its own session/process group,
  4. ``ax run axbench``: the build script times, with time.perf_counter,
       a) N_NEW new jobs (distinct option values)      -> new_job_ms (median)
       b) N_HITS repeat builds of one existing job      -> hit_ms, hits_1000_s
  5. times from outside (subprocess wall time, medians):
       c) ``ax --help``                                 -> help_ms
       d) ``ax job JOBID``                              -> job_ms
       e) ``ax run axcached`` (one job, all cached)     -> run_ms
  6. stops the server (always, also on errors / SIGTERM) and removes the dir.

Prints one JSON object on stdout; progress and diagnostics go to stderr.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

AX = os.path.join(os.path.dirname(sys.executable), "ax")

METHOD_NAME = "axbench"

# Trivial method: no prepare, no analysis, only synthesis returning a small value.
METHOD_SRC = """\
description = "accel benchmark: trivial job (synthesis only)"

options = dict(value=0)


def synthesis():
    return options.value * 2
"""

# Build script run by "ax run axbench".  Timings are taken inside the build
# script process (which is where urd.build runs) and written as JSON to
# $AXBENCH_OUT.
BUILD_SRC = """\
import json
import os
import time


def main(urd):
    n_new = int(os.environ["AXBENCH_NEW"])
    n_hits = int(os.environ["AXBENCH_HITS"])
    base = int(os.environ["AXBENCH_BASE"])
    perf = time.perf_counter

    new_s = []
    first = None
    for i in range(n_new):
        t0 = perf()
        job = urd.build("axbench", value=base + i)
        new_s.append(perf() - t0)
        if first is None:
            first = job

    # cache hits: the same (already built) job over and over
    t0 = perf()
    for _ in range(n_hits):
        hit = urd.build("axbench", value=base)
    hits_s = perf() - t0

    assert hit == first, (hit, first)
    assert hit.load() == base * 2, hit.load()
    assert job.load() == (base + n_new - 1) * 2

    with open(os.environ["AXBENCH_OUT"], "w") as fh:
        json.dump(dict(new_s=new_s, hits_s=hits_s, n_hits=n_hits,
                       ref_job=str(first), last_job=str(job)), fh)
"""

# Build script run by "ax run axcached": everything it builds already exists.
CACHED_SRC = """\
import os


def main(urd):
    urd.build("axbench", value=int(os.environ["AXBENCH_BASE"]))
"""


def log(*a):
    print("[accelerator_side]", *a, file=sys.stderr, flush=True)


class Project:
    """A throwaway Accelerator project plus its running server."""

    # (file name in the project's method package dev/, source) written by init()
    FILES = (
        (f"a_{METHOD_NAME}.py", METHOD_SRC),
        ("build_axbench.py", BUILD_SRC),
        ("build_axcached.py", CACHED_SRC),
    )

    def __init__(self, root, keep=False):
        self.root = root
        self.proj = os.path.join(root, "proj")
        self.keep = keep
        self.server = None
        self.server_log_path = os.path.join(root, "server.log")
        self._server_log = None
        self.env = dict(os.environ)
        # the venv's bin first, so anything that looks up "ax" or "python"
        # gets the Accelerator's and not accel's (which also ships an "ax").
        self.env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + self.env.get("PATH", "")
        self.env["USER"] = self.env.get("USER") or "axbench"  # urd user; avoids a warning
        self.env.pop("URD_AUTH", None)
        self.env.pop("PYTHONPATH", None)
        self.env["PYTHONUNBUFFERED"] = "1"

    # -- setup -----------------------------------------------------------
    def init(self, slices):
        self.ax(
            ["init", "--no-git", "--slices", str(slices), "--name", "dev", self.proj], cwd=self.root
        )
        dev = os.path.join(self.proj, "dev")
        for name, src in self.FILES:
            with open(os.path.join(dev, name), "w") as fh:
                fh.write(src)

    def start_server(self, timeout=120):
        self._server_log = open(self.server_log_path, "wb")
        self.server = subprocess.Popen(
            [AX, "server"],
            cwd=self.proj,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._server_log,
            stderr=subprocess.STDOUT,
            # own session + process group, killable as a whole.  (The server
            # then logs that its own setpgrp() failed: harmless, it already
            # leads its group.)
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(
                    f"ax server exited early (rc={self.server.returncode}):\n{self.server_log()}"
                )
            if b"Serving on" in self._read_log():
                return
            time.sleep(0.05)
        raise RuntimeError(f"ax server not ready after {timeout}s:\n{self.server_log()}")

    def _read_log(self):
        try:
            with open(self.server_log_path, "rb") as fh:
                return fh.read()
        except OSError:
            return b""

    def server_log(self, tail=4000):
        return self._read_log()[-tail:].decode("utf-8", "replace")

    # -- teardown --------------------------------------------------------
    def stop_server(self):
        proc, self.server = self.server, None
        if proc is None:
            return
        pgid = proc.pid  # start_new_session: pgid == pid (the server also setpgrp()s)
        if proc.poll() is None:
            # The server's SIGTERM handler SIGINTs its children's groups and
            # then SIGKILLs its own group.
            try:
                os.killpg(pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log("server ignored SIGTERM, killing its group")
        try:
            os.killpg(pgid, signal.SIGKILL)  # stragglers in the group, if any
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._kill_leftovers()
        if self._server_log:
            self._server_log.close()
            self._server_log = None

    def _kill_leftovers(self):
        """Kill (by pid) processes we started that escaped the group.

        Only processes whose command line mentions our own temp project dir
        are considered, so nothing else on the machine is touched."""
        me = os.getpid()
        needle = self.proj.encode()
        for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
            if not pid.isdigit() or int(pid) == me:
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    cmd = fh.read()
            except OSError:
                continue
            if needle in cmd:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass

    def cleanup(self):
        self.stop_server()
        _reap_orphans()
        if self.keep:
            log("kept", self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- commands --------------------------------------------------------
    def ax(self, args, cwd=None, env=None, check=True, timeout=600):
        res = subprocess.run(
            [AX] + list(args),
            cwd=cwd or self.proj,
            env=env or self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
        if check and res.returncode != 0:
            output = res.stdout.decode("utf-8", "replace")[-4000:]
            raise RuntimeError(
                f"ax {' '.join(args)} failed (rc={res.returncode}):\n{output}\n"
                f"--- server log ---\n{self.server_log()}"
            )
        return res

    def wall_ms(self, args, reps, env=None):
        """Median wall time (ms) of `ax ARGS` as a subprocess, over reps runs."""
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            self.ax(args, env=env)
            times.append((time.perf_counter() - t0) * 1000.0)
        return statistics.median(times), times


def _become_subreaper():
    """Adopt our orphaned descendants (the server's helpers) so they can be
    reaped in cleanup instead of lingering as zombies.  Linux only; best effort."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        PR_SET_CHILD_SUBREAPER = 36
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except Exception:
        pass


def _reap_orphans(timeout=2.0):
    """waitpid() any exited children (adopted orphans included)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no children left
        if pid == 0:  # children remain but none has exited yet
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)


@contextlib.contextmanager
def temp_project(prefix, keep=False, project_class=Project):
    """A *project_class* in a new temp dir, always cleaned up (server stopped, dir
    removed unless *keep*), also on SIGTERM / SIGHUP."""
    _become_subreaper()
    p = project_class(tempfile.mkdtemp(prefix=prefix), keep=keep)

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    try:
        yield p
    finally:
        p.cleanup()


def measure(args):
    with temp_project("axbench-", args.keep) as p:
        root = p.root
        p.init(args.slices)
        p.start_server()

        out_path = os.path.join(root, "build_out.json")
        env = dict(p.env)
        env.update(
            AXBENCH_NEW=str(args.new),
            AXBENCH_HITS=str(args.hits),
            AXBENCH_BASE=str(args.base),
            AXBENCH_OUT=out_path,
        )

        t0 = time.perf_counter()
        p.ax(["run", "axbench"], env=env)
        build_wall_s = time.perf_counter() - t0
        with open(out_path) as fh:
            got = json.load(fh)

        new_ms = [s * 1000.0 for s in got["new_s"]]
        ref_job = got["ref_job"]

        help_ms, _ = p.wall_ms(["--help"], args.cli_reps)
        job_ms, _ = p.wall_ms(["job", ref_job], args.cli_reps)
        run_ms, _ = p.wall_ms(["run", "axcached"], args.run_reps, env=env)

        wd = os.path.join(p.proj, "workdirs", "dev")
        n_jobdirs = sum(1 for n in os.listdir(wd) if n.startswith("dev-") and n[4:].isdigit())

        return {
            # the figures compared with accel
            "new_job_ms": statistics.median(new_ms),
            "hit_ms": got["hits_s"] * 1000.0 / got["n_hits"],
            "hits_1000_s": got["hits_s"] * 1000.0 / got["n_hits"],  # per 1000 hits, in s
            "help_ms": help_ms,
            "job_ms": job_ms,
            "run_ms": run_ms,
            # context
            "new_job_first_ms": new_ms[0],
            "new_job_mean_ms": statistics.fmean(new_ms),
            "n_new": args.new,
            "n_hits": got["n_hits"],
            "build_script_wall_s": build_wall_s,
            "jobdirs": n_jobdirs,
            "ref_job": ref_job,
            "accelerator_version": _ax_version(),
            "python": sys.version.split()[0],
        }


def _ax_version():
    try:
        import accelerator

        return accelerator.__version__
    except Exception:  # pragma: no cover
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--new", type=int, default=20, help="new jobs built (distinct options), default 20"
    )
    ap.add_argument(
        "--hits", type=int, default=1000, help="repeat builds of an existing job, default 1000"
    )
    ap.add_argument(
        "--cli-reps", type=int, default=10, help="repetitions of ax --help / ax job, default 10"
    )
    ap.add_argument(
        "--run-reps", type=int, default=5, help="repetitions of the all-cached ax run, default 5"
    )
    ap.add_argument("--slices", type=int, default=2, help="slices for ax init, default 2")
    ap.add_argument("--base", type=int, default=1000, help="first option value (distinct per job)")
    ap.add_argument("--keep", action="store_true", help="keep the temp project (for debugging)")
    args = ap.parse_args(argv)
    if args.new < 1 or args.hits < 1 or args.cli_reps < 1 or args.run_reps < 1:
        ap.error("--new, --hits, --cli-reps and --run-reps must be >= 1")
    return measure_and_print(measure, args)


def measure_and_print(measure_fn, args):
    """Print measure_fn(args) as one JSON line on stdout (under the Accelerator venv)."""
    if not os.path.exists(AX):
        sys.exit(f"no ax next to {sys.executable}: run this with the Accelerator venv's python")
    json.dump(measure_fn(args), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
