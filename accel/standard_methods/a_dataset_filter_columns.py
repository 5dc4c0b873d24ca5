description = r'''
A dataset with only some of the source's columns: keep_columns, or discard_columns (give
one of them; a list, or 'a,b'). The lines are the source's, in the same slices; the
hashlabel stays when its column is kept.
'''

options = dict(
    discard_columns=None,   # a list of column names (or 'a,b')
    keep_columns=None,      # a list of column names (or 'a,b')
)

datasets = ('source', 'previous',)


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_filter_columns: {msg}")


def prepare(job):
    from accel.dotdict import DotDict

    from . import _dsio

    if not datasets.source:
        raise _err("no source dataset given")
    keep = _dsio.names_option(options.keep_columns, 'keep_columns')
    discard = _dsio.names_option(options.discard_columns, 'discard_columns')
    if keep and discard:
        raise _err("give keep_columns or discard_columns, not both")
    if not keep and not discard:
        raise _err("give keep_columns or discard_columns")
    src = datasets.source
    info = _dsio.column_info(src)
    _dsio.need_columns(src, keep or discard, 'dataset_filter_columns')
    names = [n for n in info if (n in keep if keep else n not in discard)]
    if not names:
        raise _err("every column is discarded")
    hashlabel = src.hashlabel if src.hashlabel in names else None
    dw = _dsio.make_writer(job, 'default', {n: (info[n].type, info[n].none_support) for n in names},
                           hashlabel=hashlabel, previous=datasets.previous,
                           caption=src.caption)
    return DotDict(names=names, info=info, dw=dw)


def analysis(sliceno, prepare_res):
    from . import _dsio

    p = prepare_res
    if _dsio.ds_lines(datasets.source)[sliceno]:
        _dsio.write_cols(p.dw, _dsio.read_cols(datasets.source, sliceno, p.names, p.info))
