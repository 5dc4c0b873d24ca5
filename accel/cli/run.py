"""ax run: run a build script's main(urd)."""

from __future__ import annotations

import os
import sys
import time

import click

from accel.cli.common import json_option, load, print_json
from accel.words import plural


@click.command()
@click.argument("script", required=False, metavar="[NAME|FILE]")
@click.option("--quiet", "-q", is_flag=True, help="Don't show the jobs' output or progress live.")
@click.option("--executor", metavar="SPEC",
              help="Where jobs run, overriding accelerator.conf: 'local', "
                   "'dask tcp://HOST:PORT' or 'dask scheduler-file PATH'.")
@click.option("--allow-failed-jobs", is_flag=True,
              help="Exit 0 although jobs of the run failed (for build scripts that handle "
                   "failures themselves, as build_many's callers may).")
@json_option
@click.pass_context
def run(ctx: click.Context, script: str | None, quiet: bool, executor: str | None,
        allow_failed_jobs: bool, as_json: bool) -> int:
    """Run main(urd) in build.py, build_NAME.py (project folder, then method packages), or FILE.

    Jobs that already exist are reused; the rest run now. Each job's output is shown live,
    each line prefixed with the job and part, and kept with the job (ax job REF -o); jobs
    that run a while show their progress. Ctrl-C (or `ax abort` from another terminal)
    stops the running jobs, marks them canceled and exits 130. If any job of the run
    failed (also one the script caught, or a row of build_many) it exits 1.
    With --json, everything the run prints goes to stderr, and stdout gets the job list.
    """
    from accel.builder import Builder
    from accel.errors import AccelError, JobError, UserError
    from accel.methods import load_module
    from accel.store.latest_runs import RunLog
    from accel.subjobs import set_current_urd
    from accel.urd import Urd

    cfg = load(ctx)
    chosen = None
    if executor is not None:
        from accel.config import parse_executor
        from accel.executors import make_executor

        cfg.activate()
        chosen = make_executor(parse_executor(executor), echo=not quiet)
    builder = Builder(cfg, executor=chosen, echo=not quiet)
    if not quiet:
        from accel.progress import Progress

        builder.progress = Progress()
    path, modname = builder.methods.build_script(script)
    module = load_module(modname, path, f"build script {path.name}")
    main = getattr(module, "main", None)
    if not callable(main) or not _takes_one_argument(main):
        raise UserError(f"{path}: a build script needs a function main(urd)")
    builder.build_script = str(path)
    urd = Urd(builder, build_script=str(path))
    urd.run_log = RunLog(dict(cfg.workdirs), path, cfg.project_dir)
    _sigterm_is_ctrl_c()
    set_current_urd(urd)
    real_stdout = _stdout_to_stderr() if as_json else None
    t0 = time.time()
    failed = None
    try:
        main(urd)
        urd.run_log.complete()  # this run is now the script's latest: `ax gc` keeps its jobs
    except JobError as e:
        failed = str(e)
        click.echo(f"ax run: {e}", err=True)
    except AccelError:
        raise
    except Exception as e:  # the build script's own bug: show its frames, not ours
        from accel.disk import describe, is_disk_error
        from accel.runner import method_traceback, worth_showing

        if is_disk_error(e) and getattr(e, "filename", None):  # nobody's bug: the disk's
            failed = describe(e, ".")
            click.echo(f"ax run: {failed}", err=True)
        else:
            failed = f"{path.name} failed: {type(e).__name__}: {e}"
            click.echo(f"ax run: {failed}", err=True)
            tb = method_traceback(e, also_skip=(click.__file__,))
            if worth_showing(tb):
                click.echo(tb, err=True, nl=False)
    finally:
        sys.stdout.flush()
        urd.run_log.close()
        builder.close()
        if real_stdout is not None:
            os.dup2(real_stdout, 1)
            os.close(real_stdout)
    elapsed = time.time() - t0
    jobs = urd.joblist_all
    failures = urd.failures
    if as_json:
        print_json({
            "jobs": [{"job": str(j), "method": j.method, "name": jobs.name_of(i),
                      "reused": j in jobs.reused} for i, j in enumerate(jobs)],
            "new": len(jobs.new), "reused": len(jobs.reused), "runtime": round(elapsed, 3),
            "failed": [{"job": job, "error": error} for job, error in failures],
            "error": failed,
        })
    elif failed is None:
        if jobs:
            click.echo(_shortened(jobs.pretty))
        bad = f", {len(failures)} failed" if failures else ""
        click.echo(f"{plural(len(jobs) + len(failures), 'job')} ({len(jobs.new)} new, "
                   f"{len(jobs.reused)} reused{bad}) in {elapsed:.2f}s")
        for _job, error in failures[:20]:
            click.echo(f"  {error}")
        if len(failures) > 20:
            click.echo(f"  ... and {len(failures) - 20} more (the build_many JobList has each)")
    if urd.run_log.problem:
        click.echo(f"ax run: note: could not note which jobs this run used "
                   f"({urd.run_log.problem}): `ax gc` keeps them only if something else "
                   "refers to them", err=True)
    if failed or (failures and not allow_failed_jobs):
        return 1
    return 0


def _stdout_to_stderr() -> int:
    """Point fd 1 (and so the build script's prints and the jobs' live output) at stderr;
    return a copy of the real stdout for the JSON."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    return saved


def _takes_one_argument(func) -> bool:
    import inspect

    try:
        inspect.signature(func).bind(None)
    except TypeError:
        return False
    except ValueError:  # no signature to read (a builtin): let the call decide
        pass
    return True


def _sigterm_is_ctrl_c() -> None:
    """SIGTERM (what `ax abort` sends, and what service managers send) stops the build
    as Ctrl-C does: running jobs are canceled with all they started, exit status 130."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _shortened(table: str, keep: int = 25) -> str:
    """A table of thousands of jobs (build_many) is shown by its ends."""
    lines = table.split("\n")
    if len(lines) <= 2 * keep + 10:
        return table
    hidden = len(lines) - 1 - 2 * keep
    return "\n".join([*lines[:keep + 1], f"... {hidden} more (ax run --json lists all)",
                       *lines[-keep:]])
