"""ax run: run a build script's main(urd)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from accel.cli.common import json_option, load, print_json
from accel.words import plural

if TYPE_CHECKING:
    from accel.builder import Builder
    from accel.config import Config


@click.command()
@click.argument("script", required=False, metavar="[NAME|FILE]")
@click.option("--quiet", "-q", is_flag=True, help="Don't show the jobs' output or progress live.")
@click.option("--executor", metavar="SPEC",
              help="Where jobs run, overriding accelerator.conf: 'local', "
                   "'dask tcp://HOST:PORT' or 'dask scheduler-file PATH'.")
@click.option("--allow-failed-jobs", is_flag=True,
              help="Exit 0 although jobs of the run failed (for build scripts that handle "
                   "failures themselves, as build_many's callers may).")
@click.option("--dry-run", is_flag=True,
              help="Run no job: say for each build whether it would reuse a job (which) or "
                   "build one (and why). Exits 0 when nothing would be built, else 1.")
@json_option
@click.pass_context
def run(ctx: click.Context, script: str | None, quiet: bool, executor: str | None,
        allow_failed_jobs: bool, dry_run: bool, as_json: bool) -> int:
    """Run main(urd) in build.py, build_NAME.py (project folder, then method packages), or FILE.

    Jobs that already exist are reused; the rest run now. Each job's output is shown live,
    each line prefixed with the job and part, and kept with the job (ax job REF -o); jobs
    that run a while show their progress. Ctrl-C (or `ax abort` from another terminal)
    stops the running jobs, marks them canceled and exits 130. If any job of the run
    failed (also one the script caught, or a row of build_many) it exits 1.
    With --json, everything the run prints goes to stderr, and stdout gets the job list.
    With --dry-run, main(urd) runs but no job does: a job that would be built is a
    placeholder later builds take as an input; reading what it would make stops the dry
    run there. Nothing is written (no jobs, no urd list entries).
    """
    from accel.builder import Builder
    from accel.errors import AccelError, JobError
    from accel.store.latest_runs import RunLog
    from accel.subjobs import set_current_urd
    from accel.urd import Urd

    cfg = load(ctx)
    if dry_run:
        return _dry_run(cfg, script, as_json)
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
    path, main = _script_main(builder, script)
    builder.build_script = str(path)
    urd = Urd(builder, build_script=str(path))
    urd.run_log = RunLog(dict(cfg.workdirs), path, cfg.project_dir)
    urd.run_log.begin()
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
    except AccelError as e:
        urd.run_log.stopped(str(e))
        raise
    except KeyboardInterrupt:
        urd.run_log.stopped("interrupted (Ctrl-C, SIGTERM or ax abort)")
        raise
    except Exception as e:  # the build script's own bug: show its frames, not ours
        failed = _script_failed(e, path)
    finally:
        sys.stdout.flush()
        if failed is not None:
            urd.run_log.stopped(failed.split("\n", 1)[0])
        urd.run_log.close()
        builder.close()
        _stdout_back(real_stdout)
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


def _dry_run(cfg: Config, script: str | None, as_json: bool) -> int:
    """ax run --dry-run: main(urd) with an urd that builds nothing (accel.dryrun)."""
    from accel.cli.dry_run import show, where_in
    from accel.dryrun import DryBuilder
    from accel.errors import AccelError
    from accel.subjobs import set_current_urd
    from accel.urd.dry import DryUrd

    builder = DryBuilder(cfg)
    try:
        path, main = _script_main(builder, script)
        urd = DryUrd(builder, build_script=str(path))
        set_current_urd(urd)
        real_stdout = _stdout_to_stderr() if as_json else None
        stop, where, failed = None, "", None
        try:
            main(urd)
        except BaseException as e:
            stop = builder.stop_of(e)
            if stop is not None:
                where = where_in(e, path)
            elif isinstance(e, AccelError) or not isinstance(e, Exception):
                raise
            else:
                failed = _script_failed(e, path)
        finally:
            sys.stdout.flush()
            _stdout_back(real_stdout)
    finally:
        builder.close()
    return show(builder, path, stop, where, failed, as_json)


def _script_main(builder: Builder, script: str | None) -> tuple[Path, Callable]:
    """The build script's path and its main(urd) (a UserError when it has none)."""
    from accel.errors import UserError
    from accel.methods import load_module

    path, modname = builder.methods.build_script(script)
    module = load_module(modname, path, f"build script {path.name}")
    main = getattr(module, "main", None)
    if not callable(main) or not _takes_one_argument(main):
        raise UserError(f"{path}: a build script needs a function main(urd)")
    return path, main


def _script_failed(e: Exception, path: Path) -> str:
    """Say on stderr that the build script raised `e` (its frames, not ours); the line."""
    from accel.disk import describe, is_disk_error
    from accel.runner import method_traceback, worth_showing

    if is_disk_error(e) and getattr(e, "filename", None):  # nobody's bug: the disk's
        failed = describe(e, ".")
        click.echo(f"ax run: {failed}", err=True)
        return failed
    failed = f"{path.name} failed: {type(e).__name__}: {e}"
    click.echo(f"ax run: {failed}", err=True)
    tb = method_traceback(e, also_skip=(click.__file__,))
    if worth_showing(tb):
        click.echo(tb, err=True, nl=False)
    return failed


def _stdout_back(saved: int | None) -> None:
    """Undo `_stdout_to_stderr` (None: it was not done)."""
    if saved is not None:
        os.dup2(saved, 1)
        os.close(saved)


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
