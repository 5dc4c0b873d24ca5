"""ax method: the methods a project can build, or one method's declarations.

Listing has to import every method module (descriptions live in the modules), so one
broken method is shown as broken in its row rather than hiding all the others.
"""

from __future__ import annotations

from typing import Any

import click

from accel.cli.common import json_option, load, print_json, table


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
            click.echo(table([(r["name"], r["package"], _first_line(r)) for r in rows],
                             ("method", "package", "description")))
        else:
            click.echo("no methods (add a_NAME.py files to a method package)")
        return
    from accel.plan import Planner

    planner = Planner(cfg)
    info = get_method(planner.methods, name)
    data = method_data(info)
    # what a build would use now (equivalent_hashes keys are written in these terms)
    data["source_hash"], data["source_files"] = planner.source(info)
    if as_json:
        print_json(data)
    else:
        click.echo(render(data))


def get_method(registry: Any, name: str) -> Any:
    """The loaded method; an unknown name is 'not there' (exit 1), a broken one exit 2."""
    from accel.errors import MethodError, NotFound

    if name not in registry.names():
        try:
            registry.get(name)  # raises with the close-names hint
        except MethodError as e:
            raise NotFound(str(e))
    return registry.get(name)


def list_methods(registry: Any) -> list[dict]:
    """Every method, sorted, with its description; a method that fails to load says why."""
    from accel.errors import AccelError

    rows = []
    for mname, (pkg, path) in sorted(registry.names().items()):
        row: dict[str, Any] = {"name": mname, "package": pkg, "file": str(path)}
        try:
            row["description"] = registry.get(mname).description
        except AccelError as e:
            row["description"] = ""
            row["error"] = str(e)
        rows.append(row)
    return rows


def _first_line(row: dict) -> str:
    if row.get("error"):
        return f"(cannot load: {row['error']})"
    lines = row["description"].strip().splitlines()
    return lines[0] if lines else ""


def describe_option(decl: Any) -> str:
    """accel.options.describe(decl) when it can; repr otherwise (a bad declaration says so)."""
    try:
        from accel.options import describe
    except ImportError:
        return repr(decl)
    try:
        return describe(decl)
    except Exception as e:
        return f"{decl!r}  (bad declaration: {e})"


def _inputs(decl: tuple) -> list[dict]:
    from accel.methods import input_name

    out = []
    for entry in decl:
        name, is_list = input_name(entry)
        out.append({"name": name, "list": is_list})
    return out


def method_data(info: Any) -> dict:
    """One method's declarations as plain JSON (what both the text and --json show)."""
    options = info.options if isinstance(info.options, dict) else {}
    extra = [getattr(d, "__name__", None) or str(d) for d in info.depend_extra]
    return {
        "name": info.name,
        "package": info.package,
        "file": str(info.file),
        "description": info.description,
        "parts": list(info.parts),
        "options": {k: describe_option(v) for k, v in options.items()},
        "datasets": _inputs(info.datasets),
        "jobs": _inputs(info.jobs),
        "depend_extra": extra,
    }


def _input_rows(items: list[dict]) -> list[str]:
    return [f"  {i['name']}" + ("  (a list)" if i["list"] else "") for i in items]


def render(d: dict) -> str:
    from accel.colour import colour

    out = [f"{colour(d['name'], 'bold')}  ({d['package']})", f"  file   {d['file']}",
           f"  parts  {', '.join(d['parts'])}"]
    if d.get("source_hash"):
        out.append(f"  source {d['source_hash']}  ({len(d['source_files'])} files)")
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
