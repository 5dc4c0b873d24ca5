from accel.options import InputFile

description = r'''
Parquet file(s) to a typed dataset.

Reads FILENAME, or every file in FILENAMES (relative to the input directory; a name may be
a folder, whose *.parquet files are read in name order, or a glob pattern), one after the
other as one table: every file must have the same columns. The rows are cut into one
contiguous part per slice, and the slices read their parts in parallel. The files' content is
part of the job's identity: a changed file is imported anew.

Column types follow the file: int8/16/32 and uint8/16 -> int32; int64 and uint32 -> int64;
uint64 -> int64, or number when a value does not fit; float16/32 -> float32; float64;
bool; date -> date; timestamp -> datetime (a timestamp with a time zone becomes the naive
UTC time; finer than microseconds must be whole microseconds); time -> time; string ->
unicode; binary -> bytes; decimal with scale 0 -> number; lists, structs and maps ->
json; dictionary-encoded columns as their values. A field that says which accel type it
holds (as parquetexport and accel's own dataset files write) is read as that type, so a
dataset exported and imported again is the same (a pickle column comes back as bytes
unless types= says pickle: unpickling runs code the file names, so only for files you
trust). types={column: type} overrides any of
this (a value the type cannot hold is an error naming it). A column has none_support when
the file has a null in it.

columns: which columns (default all, in file order); rename: {file name: column name}.
previous chains the new dataset to that one, as csvimport does.
The result (result.pickle): num_lines, lines_per_slice, files.
'''

options = dict(
    # a file, a folder of *.parquet files, or a glob pattern (their content is part of
    # the job's identity)
    filename=InputFile('', pattern='*.parquet'),
    filenames=[InputFile(pattern='*.parquet')],   # more of them, read after filename
    columns=[str],          # default: every column
    rename={str: str},      # {name in the file: column name}
    types={str: str},       # {column name: accel type}, overriding the file's types
    caption='',
)

datasets = ('previous',)


def _err(msg):
    from accel.errors import UserError

    return UserError(f"parquetimport: {msg}")


def _files(job):
    import glob
    import os

    names = ([options.filename] if options.filename else []) + list(options.filenames)
    if not names:
        raise _err("give filename (or filenames)")
    out = []
    for name in names:
        path = os.path.join(job.input_directory, name)
        if os.path.isdir(path):
            found = sorted(glob.glob(os.path.join(glob.escape(path), '*.parquet')))
            if not found:
                raise _err(f"folder {path} has no *.parquet files")
        elif glob.has_magic(name):
            found = sorted(glob.glob(path))
            if not found:
                raise _err(f"no file matches {path}")
        elif os.path.exists(path):
            found = [path]
        else:
            from accel.view.text import no_such_file

            raise _err(no_such_file(path))
        out.extend(found)
    return out


def _open(path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as e:
        raise _err(f"{path}: not a Parquet file that can be read ({e})")


def accel_type(field, path):
    """The accel type for a Parquet (Arrow) field, or an error naming the field."""
    import pyarrow as pa

    from accel.dataset.arrowtypes import field_type

    known = field_type(field)
    if known is not None:
        # pickled values are bytes unless types= says to unpickle them: loading a pickle
        # runs whatever code it names, so that is for files the user trusts
        return 'bytes' if known.name == 'pickle' else known.name
    t = field.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if t in (pa.int8(), pa.int16(), pa.int32(), pa.uint8(), pa.uint16()):
        return 'int32'
    if t in (pa.int64(), pa.uint32()):
        return 'int64'
    if t == pa.uint64():
        return 'uint64'  # int64, or number if a value does not fit (decided on the values)
    if t in (pa.float16(), pa.float32()):
        return 'float32'
    if t == pa.float64():
        return 'float64'
    if pa.types.is_boolean(t):
        return 'bool'
    if pa.types.is_date(t):
        return 'date'
    if pa.types.is_timestamp(t):
        return 'datetime'
    if pa.types.is_time(t):
        return 'time'
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return 'unicode'
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t) \
            or pa.types.is_fixed_size_binary(t):
        return 'bytes'
    if pa.types.is_decimal(t) and t.scale == 0:
        return 'number'
    if pa.types.is_nested(t):
        return 'json'
    raise _err(f"{path}: column {field.name!r} is {t}, which no accel type holds exactly; "
               f"give it one with types={{{field.name!r}: ...}}")


def prepare(job, slices):
    from accel.dataset import TYPE_NAMES

    from . import _parquet

    paths = _files(job)
    files = [_open(p) for p in paths]
    schema = files[0].schema_arrow
    for p, f in zip(paths[1:], files[1:], strict=True):
        if f.schema_arrow.names != schema.names:
            raise _err(f"{p} has columns {f.schema_arrow.names}, {paths[0]} has {schema.names}")
    wanted = list(options.columns) or list(schema.names)
    for name in wanted:
        if name not in schema.names:
            raise _err(f"{paths[0]} has no column {name!r} (its columns: {', '.join(schema.names)})")
    for name in options.rename:
        if name not in schema.names:
            raise _err(f"rename: {paths[0]} has no column {name!r}")
    out_names = [options.rename.get(n, n) for n in wanted]
    if len(set(out_names)) != len(out_names):
        raise _err(f"two columns would be called the same: {out_names}")
    for name in options.types:
        if name not in out_names:
            raise _err(f"types: no column {name!r} is imported (columns: {', '.join(out_names)})")
    columns = {}
    for name, out in zip(wanted, out_names, strict=True):
        field = schema.field(name)
        typ = options.types.get(out) or accel_type(field, paths[0])
        if typ == 'uint64':
            typ = 'number' if _parquet.max_value(files, name) >= 2**63 else 'int64'
        if typ not in TYPE_NAMES:
            raise _err(f"types: {out!r}: unknown type {typ!r} (types: {', '.join(TYPE_NAMES)})")
        columns[out] = (typ, _parquet.has_nulls(files, name))
    rows = [f.metadata.num_rows for f in files]
    total = sum(rows)
    cuts = [total * s // slices for s in range(slices + 1)]
    dw = job.datasetwriter(columns=columns, previous=datasets.previous or None,
                           caption=options.caption or None)
    return dict(dw=dw, paths=paths, rows=rows, cuts=cuts, wanted=wanted, out=out_names)


def analysis(sliceno, prepare_res):
    from . import _parquet

    p = prepare_res
    dw = p['dw']
    start, stop = p['cuts'][sliceno], p['cuts'][sliceno + 1]
    for table in _parquet.read_rows(p['paths'], p['rows'], start, stop, p['wanted']):
        cols = {}
        for name, out in zip(p["wanted"], p["out"], strict=True):
            cols[out] = _parquet.as_column(table.column(name), dw.columns[out], out)
        try:
            dw.write_columns(cols)
        except ValueError as e:
            raise _err(str(e)) from None
    return stop - start


def synthesis(analysis_res, prepare_res):
    lines = list(analysis_res)
    return dict(num_lines=sum(lines), lines_per_slice=lines, files=prepare_res['paths'])
