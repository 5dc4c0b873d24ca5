description = r'''
Dataset (or datasets, or chains) to Parquet.

Writes the columns `labels` (default: every column of the first dataset, in its order) of
every source dataset, rows in slice order, as one Parquet file FILENAME, or with sliced=True
one file per slice (FILENAME % sliceno when it has a %, else NAME.SLICENO.parquet). Every
column is of the Arrow type accel's own dataset files use, with the accel type in the
field's metadata: complex as struct<real, imag>, json as its JSON text, pickle as its bytes,
number as struct<int, float, bigint> - nothing is rounded, and parquetimport reads the file
back as the same dataset. chain_source replaces each source by its chain back to the
previous job's source, as csvexport does.

compression: zstd (default), lz4, snappy, gzip or none. The result (result.pickle): the
file names and the rows written.
'''

options = dict(
    filename='result.parquet',
    labels=[str],
    sliced=False,
    chain_source=False,
    compression='zstd',
)

datasets = (['source'],)
jobs = ('previous',)

CODECS = ('zstd', 'lz4', 'snappy', 'gzip', 'none')


def _err(msg):
    from accel.errors import UserError

    return UserError(f"parquetexport: {msg}")


def _sources():
    from . import _dsio

    sources = _dsio.export_sources(datasets.source, options.chain_source, jobs.previous,
                                   'parquetexport')
    labels = list(options.labels) or list(_dsio.column_info(sources[0]))
    for d in sources:
        _dsio.need_columns(d, labels, 'parquetexport')
        for name in labels:
            if d.columns[name] != sources[0].columns[name]:
                raise _err(f"column {name!r} is {d.columns[name]} in {d} but "
                           f"{sources[0].columns[name]} in {sources[0]}: one file has one type")
    return sources, labels


def _slice_filename(sliceno):
    if '%' in options.filename:
        return options.filename % (sliceno,)
    stem, dot, ext = options.filename.rpartition('.')
    return f'{stem}.{sliceno}.{ext}' if dot and ext == 'parquet' else f'{options.filename}.{sliceno}'


def _write(job, name, sources, labels, slices):
    from accel.dataset.parquetout import write_parquet

    with job.open(name, 'wb') as f:
        return write_parquet(f, sources, labels, slices, options.compression)


def prepare():
    if options.compression not in CODECS:
        raise _err(f"compression {options.compression!r}: one of {', '.join(CODECS)}")
    _sources()  # mistakes show before any slice runs


def analysis(sliceno, job):
    if not options.sliced:
        return None
    sources, labels = _sources()
    name = _slice_filename(sliceno)
    return name, _write(job, name, sources, labels, [sliceno])


def synthesis(job, slices, analysis_res):
    if options.sliced:
        parts = list(analysis_res)
        return dict(files=[p[0] for p in parts], rows=sum(p[1] for p in parts))
    sources, labels = _sources()
    rows = _write(job, options.filename, sources, labels, range(slices))
    return dict(files=[options.filename], rows=rows)
