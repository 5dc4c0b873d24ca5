"""ax method: the methods a project can build, or one method's declarations (as
accel.view.methods reads them)."""

from __future__ import annotations

import click

from accel.cli.common import json_option, load, print_json, store_of, table
from accel.view.methods import get_method, list_methods, method_data, summary
from accel.words import plural


@click.command()
@click.argument("name", required=False)
@json_option
@click.pass_context
def method(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """List the project's methods, or show method NAME: description, file, parts,
    options (type and default), and dataset and job inputs."""
    from accel.methods import MethodRegistry

    cfg = load(ctx)
    registry = MethodRegistry(cfg.method_packages, cfg.project_dir)
    if name is None:
        rows = list_methods(registry)
        if as_json:
            print_json(rows)
        elif rows:
            click.echo(table([(r["name"], r["package"], summary(r)) for r in rows],
                             ("method", "package", "description")))
        else:
            click.echo("no methods (add a_NAME.py files to a method package)")
        return
    from accel.explain import equivalence_hint
    from accel.plan import Planner

    planner = Planner(cfg)
    info = get_method(planner.methods, name)
    data = method_data(info)
    # what a build would use now (equivalent_hashes keys are written in these terms)
    data["source_hash"], data["source_files"] = planner.source(info)
    data["equivalent_sources"] = planner.equivalent_sources(info, data["source_hash"])
    data["declare"] = equivalence_hint(planner, store_of(cfg), name)
    if as_json:
        print_json(data)
    else:
        click.echo(render(data))


def _input_rows(items: list[dict]) -> list[str]:
    return [f"  {i['name']}" + ("  (a list)" if i["list"] else "") for i in items]


def render(d: dict) -> str:
    from accel.colour import colour

    out = [f"{colour(d['name'], 'bold')}  ({d['package']})", f"  file   {d['file']}",
           f"  parts  {', '.join(d['parts'])}"]
    if d.get("source_hash"):
        out.append(f"  source {d['source_hash']}  ({plural(len(d['source_files']), 'file')})")
        for old in d.get("equivalent_sources") or ():
            out.append(f"         reuses jobs of source {old} (equivalent_hashes)")
    if d.get("declare"):
        from accel.whytext import declare_lines

        out += ["  " + line for line in declare_lines(d["declare"])]
    if d["description"]:
        out += [""] + [f"  {line}".rstrip() for line in d["description"].splitlines()]
    out += ["", colour("options", "bold")]
    if d["options"]:
        width = max(len(k) for k in d["options"])
        out += [f"  {k.ljust(width)}  {v}" for k, v in d["options"].items()]
    else:
        out.append("  (none)")
    for title in ("datasets", "jobs"):
        if d[title]:
            out += ["", colour(title, "bold")] + _input_rows(d[title])
    if d["depend_extra"]:
        out += ["", colour("depend_extra", "bold")] + [f"  {x}" for x in d["depend_extra"]]
    return "\n".join(out)
