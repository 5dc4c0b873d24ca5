"""Which datasets hold the same rows: what dataset_merge calls related.

Two datasets are related when they share a root: following a dataset to the datasets whose
rows it has, in the same slices and order, ends at datasets made from nothing (an
import, a method's own rows). A child dataset has its parent's rows. In the Accelerator,
dataset_type, dataset_filter_columns and dataset_rename_columns make children of their
sources, and a merged dataset is a child of all it merged; accel copies columns where its
datasets cannot link (a column renamed or left out), so here those standard methods'
datasets count as having their sources' rows, by the rule the Accelerator makes a child
by. Every other dataset follows its parent, or is a root itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _dsio

if TYPE_CHECKING:
    from accel.dataset import Dataset
    from accel.dotdict import DotDict

# methods whose "default" dataset always has the rows of their source
_SAME_ROWS = ("dataset_filter_columns", "dataset_rename_columns")


def roots(ds: Dataset, _seen: dict | None = None) -> frozenset[str]:
    """The root datasets ('dev-1/default') whose rows `ds` has."""
    seen = {} if _seen is None else _seen
    key = _dsio.ds_name(ds)
    if key not in seen:
        seen[key] = frozenset({key})  # a cycle cannot happen; this ends one if it did
        made_from = _rows_from(ds)
        if made_from is None:
            made_from = [ds.parent] if ds.parent is not None else []
        seen[key] = frozenset().union(*(roots(d, seen) for d in made_from)) \
            if made_from else frozenset({key})
    return seen[key]


def _rows_from(ds: Dataset) -> list[Dataset] | None:
    """The datasets whose rows a standard method gave `ds`, or None (no such rule)."""
    from accel.dataset import Dataset

    params = ds.job.params
    method, inputs, opts = params.method, params.get("datasets") or {}, params.options
    source = inputs.get("source")
    if method == "dataset_merge" and isinstance(source, list):
        # 'default' merges them all, dataset N (of more than two) the first N + 2
        n = len(source) if ds.name == "default" else int(ds.name) + 2 \
            if ds.name.isdigit() else 0
        return [Dataset(s) for s in source[:n]] or None
    if not source or isinstance(source, list):
        return None
    if method in _SAME_ROWS and ds.name == "default":
        return [Dataset(source)]
    if method == "dataset_type":
        previous = inputs.get("previous")
        chain = _dsio.dataset_chain(Dataset(source),
                                    _dsio.previous_source(previous and Dataset(previous)),
                                    opts.get("length", -1))
        names = [str(i) for i in range(len(chain) - 1)] + ["default"]
        if ds.name in names and _typed_in_place(opts, chain[names.index(ds.name)]):
            return [chain[names.index(ds.name)]]
    return None


def _typed_in_place(opts: DotDict, source: Dataset) -> bool:
    """Whether dataset_type kept the source's rows where they were (the Accelerator makes
    a child then): no filter_bad, no discard_untyped, no rehashing."""
    if opts.get("filter_bad") or opts.get("discard_untyped"):
        return False
    if opts.get("hashlabel") is not None:
        return not opts.get("hashlabel")
    hashlabel = (opts.get("rename") or {}).get(source.hashlabel, source.hashlabel)
    return hashlabel is None or hashlabel not in (opts.get("column2type") or {})
