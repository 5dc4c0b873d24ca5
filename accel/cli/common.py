"""What several commands share: loading the project, printing tables and JSON."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from accel.config import Config, load_config
from accel.jobstatus import ALL
from accel.plaintext import table as table  # every command's tables

if TYPE_CHECKING:
    from accel.store import Store


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


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")

# the filters `ax jobs` and `ax workdir` share: the same words, checked in one place
# (accel.view.jobs.parse_statuses, against accel.jobstatus.ALL)
method_option = click.option("--method", "-m", "methods", multiple=True, metavar="METHOD",
                             help="Only jobs of this method (repeatable, or a comma list).")
status_option = click.option("--status", "-s", "statuses", multiple=True, metavar="STATUS",
                             help=f"Only jobs with this status: {', '.join(ALL)} "
                                  "(repeatable, or a comma list).")


# --- helpers for the inspecting commands (job, method, workdir, urd) ---------------------


def store_of(cfg: Config) -> Store:
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
