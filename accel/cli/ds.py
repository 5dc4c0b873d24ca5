"""ax ds: what a dataset is: columns and types, rows per slice, min/max, chain, hashlabel.

Light at start-up like `ax job`: this module imports only click, the CLI helpers and
accel.view.datasets (which reads); the dataset reader (and with it numpy) is imported when a
dataset is actually opened. `ax cat` resolves its REF with `open_dataset` from here, so both
commands name datasets the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from accel.cli.common import json_option, print_json, resolve_job, table
from accel.plaintext import fmt_size
from accel.view.datasets import dataset_of, describe, split_ref, summary
from accel.words import plural

if TYPE_CHECKING:
    from accel.dataset import Dataset


@click.command()
@click.argument("ref", metavar="REF")
@click.option("--verify", is_flag=True,
              help="Also check every file of the dataset against the checksums written with "
                   "it (exit 1 when one does not match).")
@json_option
@click.pass_context
def ds(ctx: click.Context, ref: str, verify: bool, as_json: bool) -> None:
    """Show a dataset: columns with types and min/max, rows per slice, hashlabel, previous,
    parent and the chain of previous datasets.

    REF is JOB/NAME, or a JOB alone for its dataset 'default'; JOB is any job reference
    (dev-12, METHOD, REF~N, REF^, :LIST:). When the job has no dataset 'default', its
    datasets are listed.
    """
    job, dset, names = open_dataset(ctx, ref, list_if_no_default=True)
    if dset is None:
        rows = [summary(job, name) for name in names]
        if as_json:
            print_json({"job": str(job), "datasets": rows})
        else:
            click.echo(f"job {job} has no dataset 'default'; its datasets:")
            click.echo(table([(r["dataset"], r["columns"], f"{r['lines']:,}", _label(r["hashlabel"], ""),
                               r["caption"] or "") for r in rows],
                             ("dataset", "columns", "lines", "hashlabel", "caption")))
        return
    info = describe(job, dset)
    info["other_datasets"] = [n for n in names if n != info["name"]]
    if verify:
        info["verified"] = run_verify(ctx, dset, info["dataset"])
    if as_json:
        print_json(info)
    else:
        click.echo(render(info))


# --- naming and verifying a dataset on the command line ------------------------------------


def open_dataset(ctx: click.Context, ref: str, *, list_if_no_default: bool = False
                 ) -> tuple[Any, Any, list[str]]:
    """REF (JOB or JOB/NAME) -> (job, Dataset, the job's dataset names).

    A missing job or dataset is NotFound (exit 1) naming the datasets that do exist. With
    list_if_no_default, a bare JOB without a 'default' dataset gives (job, None, names).
    """
    jobref, name = split_ref(ref)
    return dataset_of(resolve_job(ctx, jobref), name, list_if_no_default=list_if_no_default)


def run_verify(ctx: click.Context, dset: Dataset, name: str) -> bool:
    """Dataset.verify(); a damaged dataset is one line on stderr and exit 1."""
    from accel.errors import AccelError

    try:
        res = dset.verify()
    except (AccelError, OSError, ValueError) as e:
        msg = str(e) if name in str(e) else f"{name} is damaged: {e}"
        click.echo(f"ax: {msg}", err=True)
        ctx.exit(1)
    if res is False or (isinstance(res, (list, tuple)) and res):
        problems = res if isinstance(res, (list, tuple)) else ["a checksum does not match"]
        click.echo(f"ax: {name} is damaged: {'; '.join(map(str, problems))}", err=True)
        ctx.exit(1)
    return True


# --- rendering -------------------------------------------------------------------------------


def _wrap(words: list[str], first: str, width: int = 96) -> list[str]:
    """words joined by ', ' on lines of at most width, continuation lines indented."""
    out, cur = [], first
    for i, w in enumerate(words):
        piece = w + ("," if i < len(words) - 1 else "")
        if cur.strip() and len(cur) + 1 + len(piece) > width and cur != first:
            out.append(cur.rstrip())
            cur = " " * len(first)
        cur += piece + " "
    out.append(cur.rstrip())
    return out


def render(info: dict) -> str:
    from accel.colour import colour

    out = [colour(info["dataset"], "bold")]
    head = [("method", f"{info['method']}  (job {info['job']})")]
    if info["caption"]:
        head.append(("caption", info["caption"]))
    head += [("hashlabel", _label(info["hashlabel"], "-")), ("previous", info["previous"] or "-"),
             ("parent", info["parent"] or "-"),
             ("shape", f"{plural(len(info['columns']), 'column')}, {plural(info['total_lines'], 'line')}")]
    width = max(len(k) for k, _ in head + [("slices", "")])
    out += [f"  {k.ljust(width)}  {v}" for k, v in head]
    per_slice = [f"{n:,}" for n in info["lines"]]
    out += _wrap(per_slice, f"  {'slices'.ljust(width)}  {info['slices']}: ")
    out.append(f"  {'stored'.ljust(width)}  {_stored(info['stored'], info['total_lines'])}")

    out.append("")
    rows = []
    for c in info["columns"]:
        rows.append((c["name"], c["type"], "yes" if c["none_support"] else "",
                     _show(c["min"]), _show(c["max"])))
    tbl = table(rows, ("column", "type", "None", "min", "max"))
    out += ["  " + line for line in tbl.splitlines()]

    chain = info["chain"]
    if len(chain) > 1:
        out.append("")
        out.append(f"chain  {plural(len(chain), 'dataset')}, {plural(info['chain_lines'], 'line')}, oldest first")
        tbl = table([(c["dataset"], f"{c['lines']:,}") for c in chain])
        out += ["  " + line for line in tbl.splitlines()]
    if info.get("other_datasets"):
        out.append("")
        out += _wrap([f"{info['job']}/{n}" for n in info["other_datasets"]],
                     "also in this job: ")
    if info.get("verified"):
        out.append("")
        out.append("verified: every file matches its checksum")
    return "\n".join(out)


def _stored(st: dict, lines: int) -> str:
    size = st["bytes"]
    amount = fmt_size(size)
    per = f", {size / lines:.1f} bytes a line" if lines else ""
    if st["format"] < 3:
        return f"format {st['format']}, a file per column and slice, {amount}{per}"
    kind = f"Parquet, {st['compression']}" if st["compression"] else "Arrow IPC, uncompressed"
    return f"{kind}, a file per slice, {amount}{per}"


def _show(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v if v.isprintable() and len(v) <= 40 else repr(v)[:40] + "…"
    return str(v)


def _label(hashlabel: str | None, none: str) -> str:
    """A hashlabel as shown: `none` when there is none, '' (a column's name) quoted."""
    return none if hashlabel is None else hashlabel or "''"
