description = r'''
An MD5 checksum of the values in some columns (default: all) of a dataset, to compare
datasets across jobs, machines and slicings.

Each line is hashed (its values in column name order), then, with sort=True (the default),
the line hashes are sorted before they are hashed together: the checksum depends only on
the set of lines, not on their order or on how they are sliced — the same with 2 slices
or 5, before and after dataset_sort or dataset_hashpart. With sort=False the line order
counts (slices in order): faster, and still the same across slice counts for datasets
whose lines come in the same overall order (as csvimport's do).

Values are hashed as the Accelerator's dataset_checksum hashes them: bytes as they are,
text as UTF-8, json with sorted keys, other values by repr(), each followed by a NUL.
The result: sum (the checksum as an int), hexdigest, columns, sort, lines.
'''

options = dict(
    columns=set(),  # the column names (a list given is taken as a set); default every column
    sort=True,
)

datasets = ('source',)


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_checksum: {msg}")


def prepare():
    from . import _dsio

    if not datasets.source:
        raise _err("no source dataset given")
    columns = _dsio.names_option(options.columns, 'columns')
    _dsio.need_columns(datasets.source, columns, 'dataset_checksum: columns')
    return sorted(columns or _dsio.column_info(datasets.source))


def _encoder(col):
    from json import JSONEncoder

    if col.type == 'bytes':
        if col.none_support:
            return lambda v: b'None\xff' if v is None else v
        return None
    if col.type in ('ascii', 'unicode'):
        if col.none_support:
            return lambda v: b'None\xff' if v is None else v.encode('utf-8')
        return lambda v: v.encode('utf-8')
    if col.type in ('json', 'pickle'):
        # pickle holds what JSON cannot (sets, objects): those as their sorted elements or
        # repr(); non-str dict keys (pickle) must not make the encoder fail either
        enc = JSONEncoder(sort_keys=True, ensure_ascii=False, check_circular=False,
                          separators=(',', ':'), default=_unjsonable).encode

        def encode(v):
            try:
                return enc(v).encode('utf-8')
            except TypeError:   # keys of mixed types cannot be sorted
                return repr(v).encode('utf-8')
        return encode
    return lambda v: repr(v).encode('utf-8')


def _unjsonable(v):
    if isinstance(v, (set, frozenset)):
        return sorted(v, key=repr)
    return repr(v)


def analysis(sliceno, prepare_res):
    from hashlib import md5

    from . import _dsio

    columns = prepare_res
    src = datasets.source
    if not _dsio.ds_lines(src)[sliceno]:
        return []
    info = _dsio.column_info(src)
    cols = _dsio.read_cols(src, sliceno, columns, info)
    lists = []
    for n in columns:
        values = _dsio.to_pylist(cols[n])
        enc = _encoder(info[n])
        lists.append(values if enc is None else list(map(enc, values)))
    res = [md5(b'\0'.join(row) + b'\0').digest() for row in zip(*lists, strict=True)]
    if options.sort:
        res.sort()
    return res


def synthesis(prepare_res, analysis_res):
    from hashlib import md5
    from heapq import merge
    from itertools import chain

    from accel.dotdict import DotDict

    from . import _dsio

    parts = list(analysis_res)
    lines = sum(len(p) for p in parts)
    every = merge(*parts) if options.sort else chain.from_iterable(parts)
    digest = md5(b''.join(every)).hexdigest()
    print(f"{_dsio.ds_name(datasets.source)}: {digest}")
    return DotDict(sum=int(digest, 16), hexdigest=digest, sort=options.sort,
                   columns=prepare_res, lines=lines, source=_dsio.ds_name(datasets.source))
