description = r'''
Rename columns of a dataset (or leave them out).

rename={'old name': 'new name'}, or {'name': None} to leave a column out. A column
renamed to the name of another column takes its place (that column is gone unless it is
renamed too: {'a': 'b', 'b': 'a'} swaps them).

The result ("default") has the source's lines in the same slices, its caption and its
previous (its chain goes on into the source's), as in the Accelerator. The hashlabel
follows its column's new name, and is dropped when that column is left out or another
column takes its name. With nothing renamed the result is the source itself, linked; with
renames the columns are copied (accel cannot link a column under another name).
'''

options: dict = dict(
    rename={},      # {'old name': 'new name', 'to leave out': None}
)

datasets = ('source',)


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_rename_columns: {msg}")


def _plan(src, rename):
    """({new name: old name} in the source's column order, hashlabel)."""
    from . import _dsio

    _dsio.need_columns(src, list(rename), 'dataset_rename_columns: rename')
    taken = {}      # new name -> the old name renamed to it
    for old, new in rename.items():
        if new is None:
            continue
        if not isinstance(new, str):
            raise _err(f"rename[{old!r}]: expected a column name or None, got {new!r}")
        if new in taken:
            raise _err(f"rename: both {taken[new]!r} and {old!r} are renamed to {new!r}")
        taken[new] = old
    out = {}
    for name in _dsio.column_info(src):
        if name in rename:
            if rename[name] is not None:
                out[rename[name]] = name
        elif name not in taken:
            out[name] = name
    if not out:
        raise _err(f"every column of {_dsio.ds_name(src)} is left out")
    hashlabel = src.hashlabel
    if hashlabel in rename:
        hashlabel = rename[hashlabel]
    elif hashlabel in taken:
        hashlabel = None
    return out, hashlabel


def prepare(job):
    from accel.dotdict import DotDict

    from . import _dsio

    src = datasets.source
    if not src:
        raise _err("no source dataset given")
    names, hashlabel = _plan(src, dict(options.rename))
    info = _dsio.column_info(src)
    if list(names.items()) == [(n, n) for n in info]:  # nothing renamed: a link
        _dsio.make_writer(job, 'default', parent=src, previous=src.previous,
                          caption=src.caption)
        return DotDict(names={}, info=info, dw=None)
    dw = _dsio.make_writer(job, 'default', {new: (info[old].type, info[old].none_support)
                                            for new, old in names.items()},
                           hashlabel=hashlabel, previous=src.previous, caption=src.caption)
    return DotDict(names=names, info=info, dw=dw)


def analysis(sliceno, prepare_res):
    from . import _dsio

    p = prepare_res
    if p.names and _dsio.ds_lines(datasets.source)[sliceno]:
        cols = _dsio.read_cols(datasets.source, sliceno, list(p.names.values()), p.info)
        _dsio.write_cols(p.dw, {new: cols[old] for new, old in p.names.items()})


def synthesis(prepare_res):
    from . import _dsio

    renamed = [f"{old} -> {new}" for new, old in prepare_res.names.items() if new != old]
    gone = [n for n in prepare_res.info if n not in prepare_res.names.values()]
    print(f"{_dsio.ds_name(datasets.source)}: "
          + ("; ".join(filter(None, [", ".join(renamed), gone and f"left out {', '.join(gone)}"]))
             or "linked, nothing renamed"))
