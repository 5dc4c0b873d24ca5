"""ax urd: the project's urd lists, or the entries of one list.

Only reads: when the project has no urd database yet, that means "no lists", and the
file is not created just by looking.
"""

from __future__ import annotations

from typing import Any

import click

from accel.cli.common import (
    close_hint,
    json_option,
    load,
    print_json,
    table,
)


@click.command()
@click.argument("listname", required=False, metavar="[LIST]")
@json_option
@click.pass_context
def urd(ctx: click.Context, listname: str | None, as_json: bool) -> None:
    """List the urd lists (entries, latest timestamp), or the entries of LIST
    (timestamp, caption, user, and its jobs as method=job)."""
    from accel.errors import NotFound

    cfg = load(ctx)
    db = cfg.urd_db
    lists = None
    names: list[str] = []
    if db.exists():
        from accel.urd.lists import UrdLists

        lists = UrdLists(db)
        names = lists.list()

    if listname is None:
        rows = []
        for name in names:
            entries = lists.entries(name) if lists else []
            rows.append({"name": name, "entries": len(entries),
                         "latest": entries[-1].timestamp if entries else None,
                         "caption": entries[-1].caption if entries else ""})
        if as_json:
            print_json(rows)
        elif rows:
            click.echo(table([(r["name"], r["entries"], r["latest"], r["caption"]) for r in rows],
                             ("list", "entries", "latest", "caption")))
        else:
            click.echo("no urd lists yet (a build records one with urd.begin/urd.finish)")
        return

    from accel.urd.lists import check_listname

    check_listname(listname)
    if listname not in names:
        known = f" (lists: {', '.join(names)})" if names else " (there are no urd lists yet)"
        raise NotFound(f"no urd list {listname!r}{close_hint(listname, names)}{known}")
    assert lists is not None
    entries = [_plain(e) for e in lists.entries(listname)]
    if as_json:
        print_json(entries)
        return
    click.echo(table([(e["timestamp"], e["caption"], e["user"],
                       " ".join(f"{m}={j}" for m, j in e["joblist"])) for e in entries],
                     ("timestamp", "caption", "user", "jobs")))


def _plain(entry: Any) -> dict:
    """An entry as plain JSON types (lists of pairs, not the list subclasses)."""
    d = dict(entry)
    d["joblist"] = [[m, j] for m, j in entry.joblist.as_tuples]
    d["deps"] = dict(entry.deps or {})
    return d
