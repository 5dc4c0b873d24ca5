description = r'''
Concatenate a dataset chain into one dataset: the chain from source back to the previous
job's source, oldest first, slice by slice (so a hashlabel stays valid). The datasets must
have the same columns (names and types) and hashlabel.
'''

datasets = ('source', 'previous',)


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_concat: {msg}")


def prepare(job):
    from accel.dotdict import DotDict
    from accel.words import plural

    from . import _dsio

    if not datasets.source:
        raise _err("no source dataset given")
    chain = _dsio.dataset_chain(datasets.source, _dsio.previous_source(datasets.previous))
    if not chain:
        raise _err("the previous job had the same source: nothing to concatenate")
    info = _dsio.chain_columns(chain, 'dataset_concat')
    dw = _dsio.make_writer(job, 'default', {n: (c.type, c.none_support) for n, c in info.items()},
                           hashlabel=chain[-1].hashlabel, previous=datasets.previous,
                           caption=f'{plural(len(chain), "dataset")} concatenated')
    return DotDict(chain=chain, info=info, dw=dw)


def analysis(sliceno, prepare_res):
    from . import _dsio

    p = prepare_res
    n = 0
    for ds in p.chain:
        if _dsio.ds_lines(ds)[sliceno]:
            cols = _dsio.read_cols(ds, sliceno, list(p.info), _dsio.column_info(ds))
            _dsio.write_cols(p.dw, cols)
            n += len(next(iter(cols.values())))
    return n


def synthesis(analysis_res, prepare_res):
    from accel.words import plural

    lines = list(analysis_res)
    print(f"{plural(len(prepare_res.chain), 'dataset')}, {plural(sum(lines), 'line')}")
