"""The project's methods, and one method's declarations, as plain JSON (ax method, the board).

Listing has to import every method module (descriptions live in the modules), so one
broken method is shown as broken in its row rather than hiding all the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accel.methods import MethodInfo, MethodRegistry

from accel.words import shorten


def get_method(registry: MethodRegistry, name: str) -> MethodInfo:
    """The loaded method; an unknown name is 'not there' (exit 1), a broken one exit 2."""
    from accel.errors import MethodError, NotFound

    if name not in registry.names():
        try:
            registry.get(name)  # raises with the close-names hint
        except MethodError as e:
            raise NotFound(str(e))
    return registry.get(name)


def list_methods(registry: MethodRegistry) -> list[dict]:
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


def summary(row: dict, width: int = 80) -> str:
    """A method's description in a row of a list: its first paragraph, cut at a word
    with "…" when longer than `width`; or why the method cannot load."""
    if row.get("error"):
        return f"(cannot load: {row['error']})"
    first = (row.get("description") or "").strip().split("\n\n")[0]
    return shorten(first, width)


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


def method_data(info: MethodInfo) -> dict:
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
