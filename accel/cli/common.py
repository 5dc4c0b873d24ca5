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
        from accel import layout

        cfg = load_config(obj.get("config"))
        layout.set_paths(layout.Paths(dict(cfg.workdirs), cfg.result_directory,
                                      cfg.input_directory, cfg.path))
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
