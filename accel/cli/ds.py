"""ax ds: what a dataset is: columns and types, rows per slice, min/max, chain, hashlabel.

Light at start-up like `ax job`: this module imports only click and the CLI helpers; the
dataset reader (and with it numpy) is imported when a dataset is actually opened. `ax cat`
resolves its REF with `open_dataset` from here, so both commands name datasets the same way.
"""

from __future__ import annotations

import math
from typing import Any

import click

from accel.cli.common import close_hint, json_option, print_json, resolve_job, table
from accel.layout import dataset_name


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


# --- naming a dataset on the command line --------------------------------------------------


def dataset_names(job: Any) -> list[str]:
    """The finished datasets of a job (as post.json lists them, else as found on disk)."""
    prefix = f"{job}/"
    names = []
    for d in job.dataset_names:
        d = str(d)
        names.append(d[len(prefix):] if d.startswith(prefix) else d)
    if not names:
        # a job written before post.json listed its datasets: meta.json marks a finished one
        base = job.path / "datasets"
        if base.is_dir():
            names = sorted(dataset_name(p.parent.name) for p in base.glob("*/meta.json"))
    return names


def open_dataset(ctx: click.Context, ref: str, *, list_if_no_default: bool = False
                 ) -> tuple[Any, Any, list[str]]:
    """REF (JOB or JOB/NAME) -> (job, Dataset, the job's dataset names).

    A missing job or dataset is NotFound (exit 1) naming the datasets that do exist. With
    list_if_no_default, a bare JOB without a 'default' dataset gives (job, None, names).
    """
    jobref, name = split_ref(ref)
    return dataset_of(resolve_job(ctx, jobref), name, list_if_no_default=list_if_no_default)


def split_ref(ref: str) -> tuple[str, str | None]:
    """A dataset REF -> (job reference, dataset name or None); 'JOB/' is a UserError."""
    from accel.errors import UserError
    from accel.refs import split_dataset

    jobref, name = split_dataset(ref.strip())
    if name == "":
        raise UserError(f"bad dataset reference {ref!r}: a dataset is JOB/NAME, or JOB for "
                        "its dataset 'default'")
    return jobref, name


def dataset_of(job: Any, name: str | None, *, list_if_no_default: bool = False
               ) -> tuple[Any, Any, list[str]]:
    """Dataset `name` of `job` (None: 'default') -> (job, Dataset, the job's dataset names),
    as `open_dataset` does once the job is resolved."""
    from accel.errors import NotFound

    names = dataset_names(job)
    if not names:
        from accel.jobstatus import FINISHED

        status = _status(job)
        why = "" if status == FINISHED else f" (it is {status})"
        raise NotFound(f"job {job} has no datasets{why}")
    if name is None:
        if "default" in names:
            name = "default"
        elif list_if_no_default:
            return job, None, names
        else:
            raise NotFound(f"job {job} has no dataset 'default'; name one as {job}/NAME "
                           f"(datasets: {', '.join(names)})")
    if name not in names:
        raise NotFound(f"no dataset {name!r} in job {job}{close_hint(name, names)} "
                       f"(datasets: {', '.join(names)})")
    return job, job.dataset(name), names


def _status(job: Any) -> str:
    from accel.records import status_of

    return status_of(job.path)


# --- reading what a dataset says about itself ----------------------------------------------


def ds_id(d: Any, job: Any = None) -> str:
    """'dev-3/default' for a Dataset (whether it prints as 'dev-3' or 'dev-3/default')."""
    if d is None:
        return ""
    j, n = getattr(d, "job", None), getattr(d, "name", None)
    if j is not None and isinstance(n, str):
        return f"{j}/{n}"
    s = str(d)
    return s if "/" in s else f"{s}/default"


def columns_of(dset: Any) -> list[tuple[str, str, bool | None]]:
    """(name, type, none_support) per column, in the dataset's order."""
    out = []
    for name, col in dset.columns.items():
        typ = getattr(col, "type", col)
        out.append((str(name), str(typ), getattr(col, "none_support", None)))
    return out


def lines_of(dset: Any) -> list[int]:
    return [int(n) for n in dset.lines]


def chain_of(dset: Any) -> list[Any]:
    """The dataset and its previous ones, oldest first, ending with dset itself."""
    me = ds_id(dset)
    chain = list(dset.chain())
    if len(chain) > 1 and ds_id(chain[0]) == me:
        chain.reverse()
    elif chain and ds_id(chain[-1]) != me:
        if ds_id(chain[0]) == ds_id(dset.previous):
            chain.reverse()
        chain.append(dset)
    return chain or [dset]


def plain(v: Any) -> Any:
    """A min/max value as JSON: numbers as numbers (inf/nan spelled out), the rest as text."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):  # a numpy scalar
        return plain(v.item())
    if isinstance(v, bytes):
        return v.decode("utf-8", "backslashreplace")
    return str(v)


def _minmax(dset: Any, col: str) -> tuple[Any, Any]:
    from accel.errors import AccelError

    res = []
    for f in (dset.min, dset.max):
        try:
            res.append(plain(f(col)))
        except (AccelError, KeyError, TypeError, ValueError):
            res.append(None)
    return res[0], res[1]


def summary(job: Any, name: str) -> dict:
    """One row of a job's list of datasets: name, columns, lines, hashlabel, caption."""
    dset = job.dataset(name)
    return {"dataset": f"{job}/{name}", "name": name, "columns": len(dset.columns),
            "lines": sum(lines_of(dset)), "hashlabel": dset.hashlabel,
            "caption": getattr(dset, "caption", None) or ""}


def describe(job: Any, dset: Any) -> dict:
    """Everything `ax ds` shows, as plain JSON."""
    lines = lines_of(dset)
    cols = []
    for name, typ, none_support in columns_of(dset):
        lo, hi = _minmax(dset, name)
        cols.append({"name": name, "type": typ, "none_support": none_support,
                     "min": lo, "max": hi})
    chain = [{"dataset": ds_id(d), "lines": sum(lines_of(d))} for d in chain_of(dset)]
    me = ds_id(dset)
    return {
        "dataset": me, "job": str(job), "name": me.split("/", 1)[1], "method": job.method,
        "caption": getattr(dset, "caption", None) or "",
        "columns": cols, "lines": lines, "total_lines": sum(lines), "slices": len(lines),
        "shape": [len(cols), sum(lines)], "hashlabel": dset.hashlabel,
        "previous": ds_id(dset.previous) or None, "parent": ds_id(dset.parent) or None,
        "chain": chain, "chain_lines": sum(c["lines"] for c in chain),
        "stored": stored(dset),
    }


def stored(dset: Any) -> dict:
    """How the dataset is stored: format, compression, files and their bytes."""
    meta = dset.meta
    if meta.get("format", 0) < 3:
        return {"format": meta.get("format"), "compression": None,
                "files": sorted(meta.get("sizes", {})),
                "bytes": sum(meta.get("sizes", {}).values())}
    files = [f for f in meta["files"] if f]
    return {"format": meta["format"], "compression": meta.get("compression"),
            "files": [f["name"] for f in files], "bytes": sum(f["size"] for f in files)}


def run_verify(ctx: click.Context, dset: Any, name: str) -> bool:
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
             ("shape", f"{_n(len(info['columns']), 'column')}, {_n(info['total_lines'], 'line')}")]
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
        out.append(f"chain  {len(chain)} datasets, {_n(info['chain_lines'], 'line')}, oldest first")
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
    amount = f"{size:,} bytes" if size < 10_000 else \
        f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.0f} kB"
    per = f", {size / lines:.1f} bytes a line" if lines else ""
    if st["format"] < 3:
        return f"format {st['format']}, a file per column and slice, {amount}{per}"
    kind = f"Parquet, {st['compression']}" if st["compression"] else "Arrow IPC, uncompressed"
    return f"{kind}, a file per slice, {amount}{per}"


def _n(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _show(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v if v.isprintable() and len(v) <= 40 else repr(v)[:40] + "…"
    return str(v)


def _label(hashlabel: str | None, none: str) -> str:
    """A hashlabel as shown: `none` when there is none, '' (a column's name) quoted."""
    return none if hashlabel is None else hashlabel or "''"
