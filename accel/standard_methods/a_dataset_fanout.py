from accel.options import OptionString

description = r'''
One dataset per value of a column in a dataset chain, named str(value) ('None' for None,
"b'x'" for bytes b'x', '1.5' for 1.5). Each has the other columns the datasets of the
chain all have, and the lines with that value, in the slices they were in.

The chain goes from source back to the previous job's source (at most length datasets).
Every dataset of the previous job gets one here, empty if the value is not in the new
lines, with that dataset as its previous (so each value's datasets form a chain).

A column whose type differs along the chain gets a type that holds every value: int64
for int32 and int64, float64 for float32 and float64, number for other mixes of those,
unicode for ascii and unicode, complex64 for complex32 and complex64; other mixes are an
error. The hashlabel stays when every dataset has the same one (and it is not column).
The values are collected by a dataset_fanout_collect subjob.
'''

options = {
    'column': OptionString,
    'length': -1,   # at most this many datasets back (-1: to the previous job's source)
}

datasets = ('source',)

jobs = ('previous',)

NUMERIC = frozenset({'int32', 'int64', 'float32', 'float64'})
# a type absorbs those it holds every value of
WIDER = {'unicode': {'ascii'}, 'number': NUMERIC, 'complex64': {'complex32'},
         'float64': {'float32'}, 'int64': {'int32'}}


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_fanout: {msg}")


def common_type(name, types):
    """The one type that holds the values of every type in `types` (a column's types
    along the chain)."""
    left = set(types)
    for wide, narrow in WIDER.items():
        if wide in left:
            left -= narrow
    if len(left) > 1 and left <= NUMERIC:
        left = {'number'}
    if len(left) > 1:
        raise _err(f"column {name!r} has types {', '.join(sorted(types))} along the chain,"
                   " which no one type holds")
    return left.pop()


def _columns(chain):
    """{name: ColInfo} of the columns every dataset of the chain has (but column), in the
    source's order, each with its common type; and the hashlabel to keep."""
    from . import _dsio

    infos = [_dsio.column_info(ds) for ds in chain]
    for ds in chain:
        _dsio.need_columns(ds, [options.column], 'dataset_fanout: column')
    names = [n for n in infos[-1] if n != options.column and all(n in i for i in infos)]
    if not names:
        raise _err(f"the datasets of the chain have no column in common but {options.column!r}")
    out = {}
    for n in names:
        out[n] = _dsio.ColInfo(n, common_type(n, {i[n].type for i in infos}),
                               any(i[n].none_support for i in infos))
    hashlabels = {ds.hashlabel for ds in chain}
    hashlabel = hashlabels.pop() if len(hashlabels) == 1 else None
    return out, (hashlabel if hashlabel in out else None)


def prepare(job):
    from accel.dataset import DatasetUsageError
    from accel.dotdict import DotDict
    from accel.subjobs import build

    from . import _dsio

    if not datasets.source:
        raise _err("no source dataset given")
    chain = _dsio.dataset_chain(datasets.source, _dsio.job_source(jobs.previous), options.length)
    if not chain:
        raise _err(f"nothing to do: {_dsio.ds_name(datasets.source)} is where the previous"
                   " job's chain ended")
    info, hashlabel = _columns(chain)
    collect = build('dataset_fanout_collect', source=datasets.source, previous=jobs.previous,
                    column=options.column, length=options.length)
    previous = {ds.name: ds for ds in jobs.previous.datasets}
    names = sorted(set(collect.load()) | set(previous))
    writers = {}
    for name in names:
        try:
            writers[name] = _dsio.make_writer(
                job, name, {n: (c.type, c.none_support) for n, c in info.items()},
                hashlabel=hashlabel, previous=previous.get(name))
        except DatasetUsageError as e:
            raise _err(f"column {options.column!r} has the value {name!r}, which cannot name"
                       f" a dataset here ({e})") from None
    return DotDict(chain=chain, info=info, writers=writers)


def analysis(sliceno, prepare_res):
    from . import _dsio

    p = prepare_res
    for ds in p.chain:
        if not _dsio.ds_lines(ds)[sliceno]:
            continue
        have = _dsio.column_info(ds)
        cols = _dsio.read_cols(ds, sliceno, [options.column, *p.info], have)
        names, codes = _dsio.str_codes(cols.pop(options.column))
        cols = {n: _dsio.col_as(c, have[n].type, p.info[n].type) for n, c in cols.items()}
        for name, idx in zip(names, _dsio.groups(codes, len(names)), strict=True):
            if len(idx):
                _dsio.write_cols(p.writers[name], {n: _dsio.col_take(c, idx)
                                                   for n, c in cols.items()})


def synthesis(prepare_res):
    from accel.words import plural

    writers = prepare_res.writers
    print(f"{plural(len(writers), 'dataset')}, one per value of {options.column!r}")
