from accel.options import OptionDefault, OptionEnum

description = r'''
Stable sort of a dataset (chain) on one or more columns.

sort_columns: the columns, most significant first (a list, or 'a,b'). sort_order:
ascending or descending, for every column; sort_orders={COLUMN: 'descending'} sets it per
column. Stable: lines that compare equal keep their order (also when descending).
None sorts as smaller than every value and NaN as larger (so None first and NaN last
when ascending). Text sorts by its bytes (UTF-8 for unicode: code point order).

Sorts within each slice (keeping the hashlabel), or with sort_across_slices all lines,
then split over the slices in order (slice 0 gets the first lines; the hashlabel is
dropped); trigger_column (one of the sort columns) moves each split to where that
column's value changes. Sorts the chain from source back to the previous job's source.
'''


OrderEnum = OptionEnum('ascending descending')

options = {
    'sort_columns': OptionDefault(None, []),   # a list of column names, or 'a,b'
    'sort_order': OrderEnum.ascending,
    'sort_orders': {str: OrderEnum},          # per column, overrides sort_order
    'sort_across_slices': False,
    'trigger_column': str,
}

datasets = ('source', 'previous',)

UNSORTABLE = ('complex32', 'complex64', 'json', 'pickle')


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_sort: {msg}")


def prepare(job, slices):
    from accel.dotdict import DotDict

    from . import _dsio

    if not datasets.source:
        raise _err("no source dataset given")
    columns = _dsio.names_option(options.sort_columns, 'sort_columns', allow_empty=False)
    chain = _dsio.dataset_chain(datasets.source, _dsio.previous_source(datasets.previous))
    if not chain:
        raise _err(f"nothing to sort: {_dsio.ds_name(datasets.source)} is where the previous"
                   " job's chain ended")
    info = _dsio.chain_columns(chain, 'dataset_sort')
    _dsio.need_columns(chain[-1], columns, 'dataset_sort: sort_columns')
    for c in columns:
        if info[c].type in UNSORTABLE:
            raise _err(f"column {c!r} is {info[c].type}, which has no order")
    unknown = sorted(set(options.sort_orders) - set(columns))
    if unknown:
        raise _err(f"sort_orders: {unknown[0]!r} is not one of the sort_columns {columns}")
    if options.trigger_column:
        if not options.sort_across_slices:
            raise _err("trigger_column only means something with sort_across_slices=True")
        if options.trigger_column not in columns:
            raise _err(f"trigger_column {options.trigger_column!r} is not one of the"
                       f" sort_columns {columns}")
    orders = [options.sort_orders.get(c, options.sort_order) for c in columns]
    hashlabel = None if options.sort_across_slices else chain[-1].hashlabel
    dw = _dsio.make_writer(job, 'default', {n: (c.type, c.none_support) for n, c in info.items()},
                           hashlabel=hashlabel, previous=datasets.previous,
                           caption=f'{_dsio.ds_name(datasets.source)} sorted on {", ".join(columns)}')
    parts = None
    if options.sort_across_slices:
        keys = {c: _read_all(chain, c, info, slices) for c in columns}
        order = sort_order(keys, columns, orders, info)
        parts = _split(order, slices, keys.get(options.trigger_column))
    return DotDict(chain=chain, info=info, columns=columns, orders=orders, dw=dw, parts=parts)


def _read_all(chain, name, info, slices, sliceno=None):
    """One column, every slice (or one slice) of every dataset of the chain, concatenated."""
    from . import _dsio

    cols = []
    for ds in chain:
        lines = _dsio.ds_lines(ds)
        for s in (range(slices) if sliceno is None else [sliceno]):
            if lines[s]:
                cols.append(_dsio.read_cols(ds, s, [name], info)[name])
    return _dsio.col_concat(cols, info[name].type)


def _dense_rank(values):
    """Python values (numbers, None, NaN) -> int64 ranks with the same order (None lowest,
    NaN highest), for a column pyarrow cannot sort."""
    import math

    import numpy as np

    def key(v):
        if v is None:
            return (0, 0)
        if isinstance(v, float) and math.isnan(v):
            return (2, 0)
        return (1, v)

    ranks = np.zeros(len(values), dtype=np.int64)
    order = sorted(range(len(values)), key=lambda i: key(values[i]))
    r = -1
    prev = object()
    for i in order:
        k = key(values[i])
        if k != prev:
            r += 1
            prev = k
        ranks[i] = r
    return ranks


def sort_order(keys, columns, orders, info):
    """The stable order (numpy int64 indices) of the rows of {column: col}."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from accel.dataset.arrowbuffers import arrow_of, numpy_of, validity
    from accel.dataset.arrowvalues import scalar

    arrays = {}
    sort_keys = []
    n = len(next(iter(keys.values())))
    for i, (c, order) in enumerate(zip(columns, orders, strict=True)):
        col = keys[c]
        if isinstance(col, np.ndarray):     # number
            arrays[f'k{i}'] = arrow_of(_dense_rank(col.tolist()))
            sort_keys.append((f'k{i}', order))
            continue
        nan = numpy_of(pc.is_nan(col)) if pa.types.is_floating(col.type) else None
        if col.null_count or (nan is not None and nan.any()):
            rank = np.ones(n, dtype=np.int8)
            rank[~validity(col)] = 0
            if nan is not None:
                rank[nan] = 2
                col = pc.if_else(arrow_of(nan), scalar(0, col.type), col)
            arrays[f'r{i}'] = arrow_of(rank)
            sort_keys.append((f'r{i}', order))
            col = col.fill_null(_zero(col.type))
        arrays[f'k{i}'] = col
        sort_keys.append((f'k{i}', order))
    if not n:
        return np.zeros(0, dtype=np.int64)
    table = pa.table(arrays)
    return numpy_of(pc.sort_indices(table, sort_keys=sort_keys))


def _zero(t):
    """The value a null sorts as (it has a rank of its own before it)."""
    import datetime

    import pyarrow as pa

    from accel.dataset.arrowvalues import scalar

    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return scalar(b'', t)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return scalar('', t)
    if pa.types.is_boolean(t):
        return scalar(False, t)
    if pa.types.is_date(t):
        return scalar(datetime.date(1970, 1, 1), t)
    if pa.types.is_timestamp(t):
        return scalar(datetime.datetime(1970, 1, 1), t)
    if pa.types.is_time(t):
        return scalar(datetime.time(0), t)
    return scalar(0, t)


def _split(order, slices, trigger):
    """The sorted row indices as `slices` contiguous parts (sizes differ by at most one;
    with a trigger column, each cut moves forward to where its value changes)."""
    import numpy as np

    from . import _dsio

    total = len(order)
    sizes = [total // slices + (1 if s < total % slices else 0) for s in range(slices)]
    cuts = np.concatenate(([0], np.cumsum(sizes))).tolist()
    if trigger is not None and total:
        values = _dsio.col_take(trigger, order)
        cuts = _dsio.trigger_cuts(cuts, _dsio.to_pylist(values))
    return [order[cuts[s]:cuts[s + 1]] for s in range(slices)]


def analysis(sliceno, slices, prepare_res):
    from . import _dsio

    p = prepare_res
    names = list(p.info)
    if p.parts is not None:
        idx = p.parts[sliceno]
        if not len(idx):
            return 0
        out = {}
        for n in names:     # one whole column at a time, keeping only this slice's rows
            out[n] = _dsio.col_take(_read_all(p.chain, n, p.info, slices), idx)
    else:
        cols = {n: _read_all(p.chain, n, p.info, slices, sliceno) for n in names}
        if not len(cols[names[0]]):
            return 0
        idx = sort_order({c: cols[c] for c in p.columns}, p.columns, p.orders, p.info)
        out = {n: _dsio.col_take(cols[n], idx) for n in names}
    _dsio.write_cols(p.dw, out)
    return len(idx)


def synthesis(prepare_res, analysis_res):
    from accel.dotdict import DotDict
    from accel.words import plural

    lines = list(analysis_res)
    print(f"sorted {plural(sum(lines), 'line')} on {', '.join(prepare_res.columns)}")
    return DotDict(lines_per_slice=lines, num_lines=sum(lines))
