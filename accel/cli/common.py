"""What several commands share: loading the project, printing tables and JSON."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from accel.config import Config, load_config


def load(ctx: click.Context) -> Config:
    """The project's Config (from --config, ACCEL_CONFIG, or walking up), paths registered."""
    obj = ctx.find_root().obj or {}
    if "loaded" not in obj:

        cfg = load_config(obj.get("config"))
        cfg.activate()
        obj["loaded"] = cfg
    return obj["loaded"]


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=True, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def table(rows: list[tuple], header: tuple | None = None) -> str:
    """Columns padded to their widest cell; the last column is not padded."""
    all_rows = ([header] if header else []) + [tuple("" if c is None else str(c) for c in r) for r in rows]
    if not all_rows:
        return ""
    widths = [max(len(str(r[i])) for r in all_rows) for i in range(len(all_rows[0]))]
    out = []
    for r in all_rows:
        cells = [str(c).ljust(widths[i]) if i < len(r) - 1 else str(c) for i, c in enumerate(r)]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


# --- helpers for the inspecting commands (job, method, workdir, urd) ---------------------


def store_of(cfg: Config):
    """The project's Store; imported late so commands that don't need it stay light."""
    from accel.store import Store

    return Store(dict(cfg.workdirs), cfg.target_workdir)




def resolve_job(ctx: click.Context, ref: str):
    """A job reference as typed by the user (dev-12, METHOD, REF~N, REF^, :LIST:) -> Job."""
    cfg = load(ctx)
    from accel import layout

    if layout.split_jobid(ref.strip()):
        # the common case, without loading the store (its file locks cost startup time)
        from accel.refs import existing_job

        return existing_job(ref.strip())
    from accel.refs import resolve

    return resolve(ref, store_of(cfg), cfg.urd_db)


def close_hint(name: str, known: list[str]) -> str:
    """' (did you mean: a, b?)' for a mistyped name, or ''."""
    import difflib

    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return f" (did you mean: {', '.join(close)}?)" if close else ""


def fmt_time(ts: float | None) -> str:
    """A unix time as local 'YYYY-MM-DD HH:MM:SS' ('' when unknown)."""
    if ts is None:
        return ""
    import time

    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(ts)))
    except (TypeError, ValueError, OverflowError, OSError):
        return str(ts)


def fmt_duration(seconds: float | None) -> str:
    """'0.012s', '12.345s', '3m05s', '2h07m': precise when short, readable when long."""
    if seconds is None:
        return ""
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return str(seconds)
    if s < 60:
        return f"{s:.3f}s"
    if s < 3600:
        return f"{int(s // 60)}m{int(s % 60):02d}s"
    return f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m"


def fmt_memory(kb: float | None) -> str:
    """Kilobytes (as ru_maxrss gives them on Linux) as KiB/MiB/GiB."""
    if kb is None:
        return ""
    try:
        v = float(kb)
    except (TypeError, ValueError):
        return str(kb)
    if v < 1024:
        return f"{v:.0f} KiB"
    if v < 1024 * 1024:
        return f"{v / 1024:.1f} MiB"
    return f"{v / (1024 * 1024):.1f} GiB"
