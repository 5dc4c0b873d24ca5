description = r'''
A checksum of a dataset chain: each dataset's dataset_checksum, XORed together.

dataset_checksum (a subjob, so a dataset already summed is not summed again) of each
dataset from source back to (not including) stop, at most chain_length datasets, and the
sums XORed together, as the Accelerator does: the same number the Accelerator gives for
the same values in the same slices. columns and sort are dataset_checksum's;
sort does not sort across datasets, but the XOR makes the order of the datasets in the
chain not count either, and two datasets with the same checksum cancel out.

The result: sum (an int), columns, sort, sources (the datasets summed).
'''

options = dict(
    chain_length=-1,
    columns=set(),      # default every column
    sort=True,
)

datasets = ('source', 'stop',)


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_checksum_chain: {msg}")


def synthesis():
    from accel.dotdict import DotDict
    from accel.subjobs import build

    from . import _dsio

    if not datasets.source:
        raise _err("no source dataset given")
    chain = datasets.source.chain(length=options.chain_length, stop_ds=datasets.stop or None)
    if not chain:
        raise _err(f"no datasets to sum: the chain of {_dsio.ds_name(datasets.source)} stops"
                   f" at once (stop={datasets.stop}, chain_length={options.chain_length})")
    columns = sorted(options.columns) or None
    total = 0
    for ds in chain:
        res = build('dataset_checksum', columns=columns, sort=options.sort, source=ds).load()
        total ^= res.sum
    print(f"Total: {total:016x}")
    return DotDict(sum=total, columns=res.columns, sort=options.sort, sources=chain)
