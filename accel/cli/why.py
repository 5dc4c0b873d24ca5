"""ax why: why a job ran, or whether (and why) a build would run. The work is in accel.explain."""

from __future__ import annotations

import re

import click

from accel.cli.common import json_option, load, print_json, store_of
from accel.view.text import close_hint

_REF_SYNTAX = re.compile(r"[~^:/]")


@click.command()
@click.argument("target", metavar="REF|METHOD")
@click.argument("values", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True,
              help="Compare with at most this many of the newest jobs of the method.")
@json_option
@click.pass_context
def why(ctx: click.Context, target: str, values: tuple[str, ...], limit: int,
        as_json: bool) -> None:
    """Why a job ran, or would run: the nearest job of its method and what differs.

    \b
    ax why METHOD [KEY=VALUE ...]   would urd.build(METHOD, KEY=VALUE, ...) reuse a job?
                                    if not, the nearest job and what differs from it
    ax why REF                      why REF ran instead of reusing an earlier job

    Differences are named one by one: a source file (the method's, or a module it imports)
    that changed, was added or dropped; an option (n: 3 → 4); a dataset or job input
    (source: dev-4 → dev-9); the number of slices; the identity scheme of another accel.
    VALUEs are text read by the option's declaration (ints, bools as true/false, dates
    as ISO, lists comma-separated or JSON, ...); inputs take job references. A bare name
    that is a method means METHOD; for the latest job of a method write METHOD~0.
    """
    from accel import explain, layout, whytext
    from accel.errors import NotFound, UserError

    cfg = load(ctx)
    target = target.strip()
    is_ref = bool(layout.split_jobid(target)) or bool(_REF_SYNTAX.search(target))
    if is_ref and values:
        raise UserError(f"KEY=VALUE goes with a METHOD, but {target!r} is a job "
                        "reference")
    if is_ref:
        from accel.refs import resolve, split_dataset

        ref, _ds = split_dataset(target)
        job = resolve(ref, store_of(cfg), cfg.urd_db)
        report = explain.explain_job(store_of(cfg), job, limit=limit)
    else:
        given = _parse_values(values)
        from accel.plan import Planner

        planner = Planner(cfg)
        names = planner.methods.names()
        if target not in names:
            raise NotFound(f"no method or job {target!r}{close_hint(target, list(names))}")
        report = explain.explain_build(planner, store_of(cfg), target, given, urd_db=cfg.urd_db, limit=limit)
    if as_json:
        print_json(report)
    else:
        click.echo(whytext.render(report))


def _parse_values(values: tuple[str, ...]) -> dict[str, str]:
    from accel.errors import UserError

    given: dict[str, str] = {}
    for item in values:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise UserError(f"expected KEY=VALUE, got {item!r}")
        if key in given:
            raise UserError(f"{key!r} is given twice")
        given[key] = value
    return given
