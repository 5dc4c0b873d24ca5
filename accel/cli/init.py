"""ax init: a new project that works at once."""

from __future__ import annotations

from pathlib import Path

import click

from accel.cli.common import json_option, print_json

CONF = """\
# accel project configuration: see the README for every key.
slices: {slices}
workdirs:
    {name} ./workdirs/{name}
method packages:
    ./methods
result directory: ./results
"""

METHOD = '''\
description = "Say hello, and count the letters of the greeting in parallel slices."

options = dict(
    greeting="Hello",
    who=str,
)


def prepare(options):
    return f"{options.greeting}, {options.who or 'world'}!"


def analysis(sliceno, slices, prepare_res):
    # each slice counts every slices-th letter
    return len(prepare_res[sliceno::slices])


def synthesis(job, prepare_res, analysis_res):
    letters = analysis_res.merge_auto()
    print(prepare_res, f"({letters} characters)")
    return dict(text=prepare_res, length=letters)
'''

BUILD = '''\
def main(urd):
    job = urd.build("hello", who="accel")
    print("built", job, "->", job.load())
    job.link_result("result.pickle", "hello.pickle")
'''


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--name", default="dev", show_default=True, help="Name of the workdir.")
@click.option("--slices", type=click.IntRange(1), default=None, help="Parallel slices (default: CPUs).")
@click.option("--force", is_flag=True, help="Write the files even if some exist.")
@json_option
def init(directory: str, name: str, slices: int | None, force: bool, as_json: bool) -> None:
    """Make a project in DIRECTORY: accelerator.conf, methods/ with an example method,
    build.py that builds it, a workdir and a result directory."""
    import os
    import re

    from accel.errors import UserError

    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise UserError(f"workdir name {name!r}: use letters, digits and _ only")
    root = Path(directory).resolve()
    files = {
        root / "accelerator.conf": CONF.format(slices=slices or os.cpu_count() or 2, name=name),
        root / "methods" / "__init__.py": "",
        root / "methods" / "a_hello.py": METHOD,
        root / "build.py": BUILD,
    }
    existing = [str(p) for p in files if p.exists()]
    if existing and not force:
        raise UserError(f"not overwriting {', '.join(existing)} (use --force)")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "workdirs" / name).mkdir(parents=True, exist_ok=True)
    (root / "results").mkdir(exist_ok=True)
    where = "" if root == Path.cwd() else f"cd {directory} && "
    if as_json:
        print_json({"project": str(root), "files": sorted(str(p) for p in files),
                    "next": f"{where}ax run"})
        return
    click.echo(f"Made an accel project in {root}.\nNext: {where}ax run\n"
               "      then look at it with: ax job hello; ax method hello")
