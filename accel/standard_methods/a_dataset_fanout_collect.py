from accel.options import OptionString

description = r'''
The values in one column of a dataset chain, as the set of their str() (None as 'None'):
the names dataset_fanout gives its datasets. The chain goes from source back to the
previous job's source (at most length datasets). dataset_fanout builds this as a subjob.
'''

options = {
    'column': OptionString,
    'length': -1,
}

datasets = ('source',)

jobs = ('previous',)


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_fanout_collect: {msg}")


def prepare():
    from . import _dsio

    if not datasets.source:
        raise _err("no source dataset given")
    chain = _dsio.dataset_chain(datasets.source, _dsio.job_source(jobs.previous), options.length)
    for ds in chain:
        _dsio.need_columns(ds, [options.column], 'dataset_fanout_collect: column')
    return chain


def analysis(sliceno, prepare_res):
    from . import _dsio

    names = set()
    for ds in prepare_res:
        if _dsio.ds_lines(ds)[sliceno]:
            col = _dsio.read_cols(ds, sliceno, [options.column])[options.column]
            names.update(_dsio.str_codes(col)[0])
    return names


def synthesis(analysis_res):
    return analysis_res.merge_auto()
