"""The project's methods, one method's declarations and source, as plain JSON (ax method,
the board), and a job's source compared with its method's now.

Listing has to import every method module (descriptions live in the modules), so one
broken method is shown as broken in its row rather than hiding all the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accel.methods import MethodInfo, MethodRegistry
    from accel.plan import Planner

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


# --- a method's source, and a job's compared with it ---------------------------------------

SOURCE_MAX = 1 << 20  # bytes of a method file shown


def method_source(planner: Planner, info: MethodInfo) -> dict:
    """The method's file as it is now (its text, cut at SOURCE_MAX bytes), and the source
    hash and files a build would record for it now (`ax method --json` has them too)."""
    from accel.errors import MethodError

    data: dict[str, Any] = {"file": str(info.file), "name": None, "text": None, "note": ""}
    try:
        with open(info.file, "rb") as f:
            raw = f.read(SOURCE_MAX + 1)
    except OSError as e:
        data["note"] = f"cannot read it: {e.strerror or e}"
        raw = None
    if raw is not None:
        if len(raw) > SOURCE_MAX:
            raw, data["note"] = raw[:SOURCE_MAX], f"the first {SOURCE_MAX:,} bytes shown"
        data["text"] = raw.decode("utf-8", "replace")
    try:
        data["source_hash"], data["source_files"] = planner.source(info)
        data["equivalent_sources"] = planner.equivalent_sources(info, data["source_hash"])
    except MethodError as e:  # a depend_extra file that is not there
        data["source_hash"], data["source_files"], data["equivalent_sources"] = None, {}, []
        data["note"] = str(e)
    data["name"] = planner.hasher.method_file_name(info.file)
    return data


def compare_source(setup: dict, now: dict) -> dict:
    """A job's recorded source (setup.json's source_hash and source_files) against the
    method's source now (method_source): whether it is the same, and file by file how
    (same, changed, new: not in the job's, gone: in the job's only)."""
    then_files = setup.get("source_files") or {}
    now_files = now.get("source_files") or {}
    files = []
    for name in sorted(set(then_files) | set(now_files)):
        a, b = then_files.get(name), now_files.get(name)
        how = "new" if a is None else "gone" if b is None else "same" if a == b else "changed"
        files.append({"name": name, "job": a, "now": b, "how": how})
    then_hash = setup.get("source_hash")
    return {"job_hash": then_hash, "now_hash": now.get("source_hash"),
            "same": bool(then_hash) and then_hash == now.get("source_hash"),
            "equivalent": then_hash in (now.get("equivalent_sources") or ()),
            "files": files}
