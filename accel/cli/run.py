"""ax run: run a build script's main(urd)."""

from __future__ import annotations

import sys
import time

import click

from accel.cli.common import load


@click.command()
@click.argument("script", required=False, metavar="[NAME|FILE]")
@click.option("--quiet", "-q", is_flag=True, help="Don't show the jobs' output live.")
@click.pass_context
def run(ctx: click.Context, script: str | None, quiet: bool) -> int:
    """Run main(urd) in build.py, build_NAME.py (project folder, then method packages), or FILE.

    Jobs that already exist are reused; the rest run now. Each job's output is shown live,
    each line prefixed with the job and part, and kept with the job (ax job REF -o).
    """
    from accel.builder import Builder
    from accel.errors import AccelError, JobError, UserError
    from accel.methods import load_module
    from accel.subjobs import set_current_urd
    from accel.urd import Urd

    cfg = load(ctx)
    builder = Builder(cfg, echo=not quiet)
    path, modname = builder.methods.build_script(script)
    module = load_module(modname, path, f"build script {path.name}")
    main = getattr(module, "main", None)
    if not callable(main):
        raise UserError(f"{path}: a build script needs a function main(urd)")
    urd = Urd(builder, build_script=str(path))
    set_current_urd(urd)
    t0 = time.time()
    try:
        main(urd)
    except JobError as e:
        click.echo(f"ax run: {e}", err=True)
        return 1
    except AccelError:
        raise
    except Exception as e:  # the build script's own bug: show its frames, not ours
        from accel.runner import method_traceback

        click.echo(f"ax run: {path.name} failed: {type(e).__name__}: {e}", err=True)
        click.echo(method_traceback(e, also_skip=(click.__file__,)), err=True, nl=False)
        return 1
    finally:
        sys.stdout.flush()
    if urd.joblist:
        click.echo(urd.joblist.pretty)
    new = len(urd.joblist.new)
    click.echo(f"{len(urd.joblist)} jobs ({new} new, {len(urd.joblist) - new} reused) "
               f"in {time.time() - t0:.2f}s")
    return 0
