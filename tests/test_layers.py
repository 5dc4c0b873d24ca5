"""The design stays as drawn: no import cycles, and lower layers never import higher ones.

Imports are read statically from the source (module level and inside functions alike),
so a lazy import that breaks the layering is caught too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from readme_blocks import blocks_of

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "accel"

# each module's layer; a module may import only modules of its own layer or lower ones
LAYERS = {
    0: ["accel.errors", "accel.dotdict", "accel.colour", "accel.atomic", "accel.layout",
        "accel.proctree", "accel.disk",
        "accel.merge", "accel.jsoncodec", "accel.capture", "accel.pickling", "accel.jobstatus",
        "accel.records", "accel.g", "accel.statmsg", "accel.partpipe", "accel.words",
        "accel.jobfiles", "accel.plaintext", "accel.jobsummary", "accel.flocks", "accel.refsyntax",
        # the Accelerator's import paths, aliases only
        "accel.build", "accel.dispatch"],
    1: ["accel.config", "accel.identity", "accel.equivalence",
        "accel.urd.timestamps", "accel.inputfiles", "accel.inputreads",
        # a job directory through its id: the package holds the public names
        "accel.job", "accel.job.filesums", "accel.job.job", "accel.job.nojob",
        "accel.job.current", "accel.job.named"],
    2: ["accel.options", "accel.textvalues", "accel.methods", "accel.store",
        # compiled option declarations: the package holds the public names
        "accel.optiontypes", "accel.optiontypes.badvalue", "accel.optiontypes.declarations",
        "accel.optiontypes.valuetype", "accel.optiontypes.scalars",
        "accel.optiontypes.timetypes", "accel.optiontypes.containers",
        "accel.optiontypes.compiler",
        "accel.urd.lists", "accel.urd.schema", "accel.dataset",
        # the Accelerator's import paths, aliases only
        "accel.extras", "accel.error"],
    3: ["accel.runner", "accel.jobinputs", "accel.executors", "accel.refs", "accel.cpuslots", "accel.cpuholders",
        "accel.plan"],
    4: ["accel.builder", "accel.explain", "accel.whytext", "accel.subjobs", "accel.scheduler",
        "accel.progress", "accel.dryrun"],
    5: ["accel.urd"],
    # what the commands and the board show, as plain data: read and shaped once, for both
    6: ["accel.view"],
    # text for a terminal and HTML for a browser, both from accel.view
    7: ["accel.cli", "accel.standard_methods", "accel.board"],
}

# Deliberate doors upward, each imported lazily inside the one function that needs it:
ALLOWED_UP = {
    # Job.dataset() and CurrentJob.datasetwriter() are how users reach datasets from a
    # job; lazy (accel.job.job's dataset_module), so a plain job never loads numpy.
    ("accel.job.job", "accel.dataset"),
}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(mod: str) -> int | None:
    best = None
    for layer, prefixes in LAYERS.items():
        for p in prefixes:
            if (mod == p or mod.startswith(p + ".")) and (best is None or len(p) > best[1]):
                best = (layer, len(p))
    return best[0] if best else None


def imports_of(path: Path) -> set[str]:
    """The accel modules (and names in them) that `path` imports."""
    return {f for f in all_imports_of(path) if f == "accel" or f.startswith("accel.")}


def all_imports_of(path: Path) -> set[str]:
    """Every module (and name in one) that `path` imports, accel's or not."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found |= {f"{name}.{a.name}" for a in node.names}
    return found


MODULES = {module_name(p): p for p in PKG.rglob("*.py")}


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if m != "accel" and layer_of(m) is None]
    assert not missing, f"add these modules to LAYERS: {missing}"


@pytest.mark.parametrize("mod", sorted(m for m in MODULES if m != "accel"))
def test_no_import_reaches_up(mod):
    mine = layer_of(mod)
    bad = []
    for imp in imports_of(MODULES[mod]):
        target = layer_of(imp)
        allowed = any(mod == a and (imp == b or imp.startswith(b + ".")) for a, b in ALLOWED_UP)
        if target is not None and mine is not None and target > mine and not allowed:
            bad.append(f"{imp} (layer {target})")
    assert not bad, f"{mod} (layer {mine}) imports higher layers: {bad}"


def test_no_import_cycles():
    graph = {}
    for mod, path in MODULES.items():
        deps = set()
        for imp in imports_of(path):
            while imp and imp not in MODULES:
                imp = imp.rpartition(".")[0]
            if imp and imp != mod and imp != "accel" and (mod, imp) not in ALLOWED_UP:
                deps.add(imp)
        graph[mod] = deps
    seen, stack, cycles = set(), [], []

    def visit(m):
        if m in stack:
            cycles.append(stack[stack.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        stack.append(m)
        for d in graph.get(m, ()):
            # a package __init__ re-exporting its own submodules is not a cycle
            if not d.startswith(m + "."):
                visit(d)
        stack.pop()

    for m in graph:
        visit(m)
    assert not cycles, f"import cycles: {cycles[:3]}"


MAX_LINES = 600  # small modules, one job each (issue 14)


def test_no_module_is_too_long():
    over = sorted(f"{p.relative_to(ROOT)} ({n} lines)" for p in MODULES.values()
                  if (n := len(p.read_text().splitlines())) > MAX_LINES)
    assert not over, f"modules over {MAX_LINES} lines, to split by concern: {over}"


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _reaching(importer: str, forbidden: tuple[str, ...]) -> list[str]:
    """'module imports name' for each import of a module of `importer` into `forbidden`."""
    return [f"{mod} imports {imp}" for mod, path in sorted(MODULES.items()) if _within(mod, (importer,))
            for imp in sorted(all_imports_of(path)) if _within(imp, forbidden)]


def test_board_does_not_import_the_cli():
    """The board renders accel.view as HTML; it never borrows the CLI's functions."""
    bad = _reaching("accel.board", ("accel.cli",))
    assert not bad, bad


def test_view_has_no_presentation():
    """accel.view is plain data for both: it knows neither renderer, nor click."""
    bad = _reaching("accel.view", ("accel.cli", "accel.board", "click"))
    assert not bad, bad


def test_ruff_is_clean():
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "accel", "tests", "methods"],
                          cwd=ROOT, capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_ci_runs_the_readme_test_command():
    """.ci/run is the README's test command, which type-checks accel/ before the tests."""
    (block,) = blocks_of(test_ci_runs_the_readme_test_command)
    command = block.text.strip()
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci == command
    assert "mypy accel" in command
