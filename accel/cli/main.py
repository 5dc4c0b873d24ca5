"""`ax`: the entry point. Subcommands are imported lazily so `ax --help` stays fast."""

from __future__ import annotations

import importlib
import sys

import click

# name -> (module, function, one-line help); the help is here so listing needs no import
COMMANDS = {
    "init": ("accel.cli.init", "init", "Make a new project that works at once."),
    "run": ("accel.cli.run", "run", "Run a build script: build.py, build_NAME.py or FILE."),
    "job": ("accel.cli.job", "job", "Show a job: status, method, options, inputs, timings, files."),
    "ds": ("accel.cli.ds", "ds", "Show a dataset: columns, types, lines per slice, min/max, chain."),
    "cat": ("accel.cli.cat", "cat", "Print a dataset's rows as text, csv, tsv or JSON lines."),
    "method": ("accel.cli.method", "method", "List methods, or show one with its options."),
    "workdir": ("accel.cli.workdir", "workdir", "List workdirs, or the jobs in one."),
    "urd": ("accel.cli.urd", "urd", "List urd lists, or the entries of one."),
    "jobs": ("accel.cli.jobs", "jobs", "Search every job: by method, status, time, runtime, option."),
    "why": ("accel.cli.why", "why", "Why a job ran, or would run: the nearest job and what differs."),
    "gc": ("accel.cli.gc", "gc", "Delete failed, canceled, unfinished and unreferenced jobs."),
    "status": ("accel.cli.status", "status", "What runs now: jobs, parts, slices, elapsed time."),
    "abort": ("accel.cli.abort", "abort", "Stop running jobs (all, or one REF) from any terminal."),
    "board": ("accel.cli.board", "board", "Serve a read-only web view of jobs, datasets, urd lists."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        modname, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(modname), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name and name not in COMMANDS and not name.startswith("-"):
            import difflib

            close = difflib.get_close_matches(name, list(COMMANDS), n=3)
            hint = f" (did you mean: {', '.join(close)}?)" if close else ""
            ctx.fail(f"no command {name!r}{hint}; see ax --help")
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", metavar="FILE", envvar="ACCEL_CONFIG",
              help="accelerator.conf to use (default: found by walking up from here).")
@click.version_option(package_name="accel", prog_name="ax")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """accel: build and reuse jobs. Every result traced to the code and inputs that made it."""
    ctx.obj = {"config": config}


def main(argv: list[str] | None = None) -> None:
    """Run `ax`; a user's mistake is one line on stderr, never a traceback."""
    from accel.errors import AccelError

    try:
        rv = cli.main(args=argv, prog_name="ax", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("ax: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except AccelError as e:
        click.echo(f"ax: {e}", err=True)
        sys.exit(getattr(e, "exit_status", 1))
    except KeyboardInterrupt:
        click.echo("ax: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
