description = r'''
Merge two or more datasets side by side: the columns of all, their lines being the same.

A column of a later source takes the place of an earlier one of the same name. The
sources must have the same number of lines in each slice, and come from the same rows
(share an ancestor: a dataset_type, dataset_filter_columns or dataset_rename_columns of a
dataset, or a child of it, has its rows) unless allow_unrelated=True.

With more than two sources they are merged one at a time, as in the Accelerator: the
datasets "0", "1", ... are the first two, three, ... merged, and "default" is all of them,
with previous as its previous. The hashlabel is the last hashed source's; a later source
that has the hashlabel's column without being hashed drops it. The first source's columns
are linked where the hashlabel allows (it is the first source's), the rest copied.
'''

options = dict(
    allow_unrelated=False,
)

datasets = (['source'], 'previous',)


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_merge: {msg}")


def _check(sources, slices):
    """The user errors: too few sources, one merged with itself, other line counts,
    no common ancestor."""
    from accel.words import plural

    from . import _dsio, _lineage

    if len(sources) < 2:
        raise _err(f"give at least two datasets to merge as source (got {len(sources)})")
    first = sources[0]
    if _dsio.ds_name(sources[1]) == _dsio.ds_name(first):
        raise _err(f"cannot merge {_dsio.ds_name(first)} with itself")
    for ds in sources:
        if ds.slices != slices:
            raise _err(f"{_dsio.ds_name(ds)} has {plural(ds.slices, 'slice')}, this job "
                       f"{slices}")
        if _dsio.ds_lines(ds) != _dsio.ds_lines(first):
            raise _err(f"{_dsio.ds_name(first)} and {_dsio.ds_name(ds)} do not have the same"
                       f" number of lines in each slice ({_dsio.ds_lines(first)} and"
                       f" {_dsio.ds_lines(ds)})")
    if options.allow_unrelated:
        return
    seen = {}
    related = _lineage.roots(first, seen)
    for ix, ds in enumerate(sources[1:], 1):
        mine = _lineage.roots(ds, seen)
        if not related & mine:
            so_far = ', '.join(_dsio.ds_name(d) for d in sources[:ix])
            raise _err(f"{_dsio.ds_name(ds)} has no common ancestor with {so_far} (it is not"
                       " made from the same rows); allow_unrelated=True merges them anyway")
        related |= mine


def _plans(sources):
    """One plan per dataset written: its name, hashlabel, and {column: (source index,
    ColInfo)} in column order."""
    from accel.dotdict import DotDict

    from . import _dsio

    columns = {n: (0, c) for n, c in _dsio.column_info(sources[0]).items()}
    hashlabel = sources[0].hashlabel
    plans = []
    for ix, ds in enumerate(sources[1:], 1):
        if ds.hashlabel is not None:
            hashlabel = ds.hashlabel
        elif hashlabel in ds.columns:
            hashlabel = None
        for n, c in _dsio.column_info(ds).items():
            columns[n] = (ix, c)    # a later source's column takes the earlier's place
        last = ix == len(sources) - 1
        plans.append(DotDict(name='default' if last else str(ix - 1), hashlabel=hashlabel,
                             columns=dict(columns), last=last))
    return plans


def prepare(job, slices):
    from accel.dotdict import DotDict

    from . import _dsio

    sources = list(datasets.source or ())
    _check(sources, slices)
    out = []
    for plan in _plans(sources):
        # the first source as the parent when the hashlabel lets it be (it is the first's)
        linked = plan.hashlabel == sources[0].hashlabel
        copied = {n: v for n, v in plan.columns.items() if not linked or v[0] != 0}
        dw = _dsio.make_writer(job, plan.name,
                               {n: (c.type, c.none_support) for n, (_, c) in copied.items()},
                               hashlabel=plan.hashlabel, parent=sources[0] if linked else None,
                               previous=datasets.previous if plan.last else None)
        out.append(DotDict(dw=dw, copied={n: ix for n, (ix, _) in copied.items()}))
    return DotDict(sources=sources, out=out)


def analysis(sliceno, prepare_res):
    from . import _dsio

    p = prepare_res
    if not _dsio.ds_lines(p.sources[0])[sliceno]:
        return
    for o in p.out:
        cols = {}
        for ix in sorted(set(o.copied.values())):
            names = [n for n, i in o.copied.items() if i == ix]
            cols.update(_dsio.read_cols(p.sources[ix], sliceno, names))
        _dsio.write_cols(o.dw, cols)


def synthesis(prepare_res):
    from . import _dsio

    names = ', '.join(_dsio.ds_name(d) for d in prepare_res.sources)
    print(f"merged {names}: {', '.join(prepare_res.out[-1].copied) or 'no'} columns copied")
