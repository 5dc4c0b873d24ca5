"""ax urd: the project's urd lists, or the entries of one list (read by accel.view.urd)."""

from __future__ import annotations

import click

from accel.cli.common import json_option, load, print_json, table
from accel.view.urd import list_entries, list_summaries


@click.command()
@click.argument("listname", required=False, metavar="[LIST]")
@json_option
@click.pass_context
def urd(ctx: click.Context, listname: str | None, as_json: bool) -> None:
    """List the urd lists (entries, latest timestamp), or the entries of LIST
    (timestamp, caption, user, and its jobs as method=job)."""
    cfg = load(ctx)
    if listname is None:
        rows = list_summaries(cfg.urd_db)
        if as_json:
            print_json(rows)
        elif rows:
            click.echo(table([(r["name"], r["entries"], r["latest"], r["caption"]) for r in rows],
                             ("list", "entries", "latest", "caption")))
        else:
            click.echo("no urd lists yet (a build records one with urd.begin/urd.finish)")
        return

    entries = list_entries(cfg.urd_db, listname)
    if as_json:
        print_json(entries)
        return
    click.echo(table([(e["timestamp"], e["caption"], e["user"],
                       " ".join(f"{m}={j}" for m, j in e["joblist"])) for e in entries],
                     ("timestamp", "caption", "user", "jobs")))
