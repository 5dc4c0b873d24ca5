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


# what builds make, not what people write: jobs, result links, the urd lists
IGNORED = ("/workdirs/", "/results/", "/.accel/")


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--name", default="dev", show_default=True, help="Name of the workdir.")
@click.option("--slices", type=int, default=None, help="Parallel slices (default: CPUs).")
@click.option("--force", is_flag=True, help="Write the files even if some exist.")
@json_option
@click.pass_context
def init(ctx: click.Context, directory: str, name: str, slices: int | None, force: bool,
         as_json: bool) -> None:
    """Make a project in DIRECTORY: accelerator.conf, methods/ with an example method,
    build.py that builds it, a workdir, a result directory and a .gitignore for what
    builds make."""
    from accel.errors import AccelError

    try:
        root, files = _make(Path(directory), name, slices, force)
    except AccelError as e:
        if not as_json:
            raise
        print_json({"error": str(e)})  # a script reads stdout; the exit status says it failed
        ctx.exit(getattr(e, "exit_status", 1))
    where = "" if root == Path.cwd() else f"cd {directory} && "
    if as_json:
        print_json({"project": str(root), "files": sorted(map(str, files)),
                    "next": f"{where}ax run"})
        return
    click.echo(f"Made an accel project in {root}.\nNext: {where}ax run\n"
               "      then look at it with: ax job hello; ax method hello")


def _make(directory: Path, name: str, slices: int | None, force: bool) -> tuple[Path, list[Path]]:
    """Write the project's files: (its folder, the files written)."""
    import os
    import re

    from accel.errors import UserError

    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise UserError(f"workdir name {name!r}: use letters, digits and _ only")
    if slices is not None and slices < 1:
        raise UserError(f"--slices {slices}: expected a whole number >= 1")
    root = directory.resolve()
    _not_in_a_method_package(root)
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
    written = list(files)
    if _gitignore(root / ".gitignore"):
        written.append(root / ".gitignore")
    return root, written


def _not_in_a_method_package(root: Path) -> None:
    """A project inside another's method package would be taken for methods of that one
    (and its build.py, workdirs and results hashed with them): refuse."""
    from accel.config import CONFIG_NAME, load_config
    from accel.errors import AccelError, UserError

    for folder in root.parents:
        conf = folder / CONFIG_NAME
        if not conf.is_file():
            continue
        try:
            packages = load_config(conf).method_packages
        except AccelError:  # a broken conf: not ours to judge here
            continue
        for package in packages:
            path = Path(package)
            if path.is_absolute() and (root == path or path in root.parents):
                raise UserError(f"{root} is inside {path}, a method package of the project "
                                f"{conf}; make the new project outside it")


def _gitignore(path: Path) -> bool:
    """Add what builds make to .gitignore, keeping what is there (missing lines are
    appended). True if the file changed."""
    text = path.read_text() if path.exists() else ""
    have = {line.strip().strip("/") for line in text.splitlines()}
    missing = [x for x in IGNORED if x.strip("/") not in have]
    if not missing:
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + "# made by accel builds\n" + "".join(f"{x}\n" for x in missing))
    return True
