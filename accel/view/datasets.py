"""A job's datasets, named as the commands take them (JOB, JOB/NAME), and what a dataset
says about itself: columns and types, rows per slice, min/max, chain, hashlabel, storage.

Light to import: the dataset reader (and with it numpy) is imported when a dataset is
actually opened.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from accel.layout import dataset_name
from accel.view.text import close_hint

if TYPE_CHECKING:
    from accel.dataset import Dataset
    from accel.job import Job

# --- naming a dataset ----------------------------------------------------------------------


def dataset_names(job: Job) -> list[str]:
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


def split_ref(ref: str) -> tuple[str, str | None]:
    """A dataset REF -> (job reference, dataset name or None); 'JOB/' is a UserError."""
    from accel.errors import UserError
    from accel.refs import split_dataset

    jobref, name = split_dataset(ref.strip())
    if name == "":
        raise UserError(f"bad dataset reference {ref!r}: a dataset is JOB/NAME, or JOB for "
                        "its dataset 'default'")
    return jobref, name


def dataset_of(job: Job, name: str | None, *, list_if_no_default: bool = False
               ) -> tuple[Job, Dataset | None, list[str]]:
    """Dataset `name` of `job` (None: 'default') -> (job, Dataset, the job's dataset names).

    A missing dataset is NotFound naming the datasets that do exist. With
    list_if_no_default, a job without a 'default' dataset gives (job, None, names).
    """
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


def _status(job: Job) -> str:
    from accel.records import status_of

    return status_of(job.path)


# --- reading what a dataset says about itself ----------------------------------------------


def ds_id(d: Dataset | None) -> str:
    """'dev-3/default' for a Dataset (whether it prints as 'dev-3' or 'dev-3/default')."""
    if d is None:
        return ""
    j, n = getattr(d, "job", None), getattr(d, "name", None)
    if j is not None and isinstance(n, str):
        return f"{j}/{n}"
    s = str(d)
    return s if "/" in s else f"{s}/default"


def columns_of(dset: Dataset) -> list[tuple[str, str, bool | None]]:
    """(name, type, none_support) per column, in the dataset's order."""
    out = []
    for name, col in dset.columns.items():
        typ = getattr(col, "type", col)
        out.append((str(name), str(typ), getattr(col, "none_support", None)))
    return out


def lines_of(dset: Dataset) -> list[int]:
    return [int(n) for n in dset.lines]


def chain_of(dset: Dataset) -> list[Dataset]:
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


def _minmax(dset: Dataset, col: str) -> tuple[Any, Any]:
    from accel.errors import AccelError

    res = []
    for f in (dset.min, dset.max):
        try:
            res.append(plain(f(col)))
        except (AccelError, KeyError, TypeError, ValueError):
            res.append(None)
    return res[0], res[1]


def summary(job: Job, name: str) -> dict:
    """One row of a job's list of datasets: name, columns, lines, hashlabel, caption."""
    dset = job.dataset(name)
    return {"dataset": f"{job}/{name}", "name": name, "columns": len(dset.columns),
            "lines": sum(lines_of(dset)), "hashlabel": dset.hashlabel,
            "caption": getattr(dset, "caption", None) or ""}


def describe(job: Job, dset: Dataset) -> dict:
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


def stored(dset: Dataset) -> dict:
    """How the dataset is stored: format, compression, files and their bytes."""
    meta = dset.meta
    if meta.get("format", 0) < 3:
        return {"format": meta.get("format"), "compression": None,
                "files": sorted(meta.get("sizes", {})),
                "bytes": sum(meta.get("sizes", {}).values())}
    files = [f for f in meta["files"] if f]
    return {"format": meta["format"], "compression": meta.get("compression"),
            "files": [f["name"] for f in files], "bytes": sum(f["size"] for f in files)}
