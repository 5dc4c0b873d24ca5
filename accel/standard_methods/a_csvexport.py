from accel.options import OptionDefault

description = r'''
Dataset (or datasets, or chains) to a CSV file.

Columns are labels (default: every column of the first dataset, in its order), rows in
slice order, so a dataset from csvimport exports back to the same file. bytes are written
as they are, text as UTF-8, floats as repr(), dates and times in ISO format, json as JSON.
None is written as none_as: a string, or {label: string} (default 'None'; json: null).

quote_fields: '' for no quoting, or the quote character. With lazy_quotes, only values
that need it are quoted (they contain the separator, a line break or the line separator, or
start or end with a quote); otherwise every value. A quote inside a quoted value is doubled.
Without quoting, a value (or label) that contains the separator, \n, \r or the line
separator, or starts with ", is an error naming the column, dataset, slice and row (from
0 in the slice), before the file is written: as it is, its line would not read back as the
same fields. A quote anywhere else in a value reads back as itself.

Compressed by filename: .gz, .bz2, .xz or .zst (level: compression). chain_source
replaces each source by its chain back to the previous job's source. sliced writes one file
per slice: filename % sliceno when it has a %, else filename.SLICENO.
'''


options = dict(
    filename='result.csv',
    separator=',',
    line_separator='\n',
    labelsonfirstline=True,
    chain_source=False,
    quote_fields='',
    lazy_quotes=True,
    none_as=OptionDefault(None, None),  # a string, or {label: string}, for None values
    labels=[str],                       # default: every column of the first dataset
    sliced=False,
    compression=6,
)

datasets = (['source'],)
jobs = ('previous',)

BLOCK = 1 << 18     # rows formatted at once


def _err(msg):
    from accel.errors import UserError

    return UserError(f"csvexport: {msg}")


def _kind(filename):
    low = filename.lower()
    for ext, kind in (('.gz', 'gzip'), ('.bz2', 'bz2'), ('.xz', 'xz'), ('.zst', 'zstd'),
                      ('.zstd', 'zstd')):
        if low.endswith(ext) or ext + '.' in low:
            return kind
    return None


class _Compressor:
    """compress(bytes) -> bytes, finish() -> bytes; each instance is one complete stream,
    and streams may be concatenated (what every decompressor of these formats reads)."""

    def __init__(self, kind, level):
        import bz2
        import lzma
        import zlib

        self.kind = kind
        if kind == 'gzip':
            self.obj = zlib.compressobj(min(max(level, 0), 9), zlib.DEFLATED, 31)
        elif kind == 'bz2':
            self.obj = bz2.BZ2Compressor(min(max(level, 1), 9))
        elif kind == 'xz':
            self.obj = lzma.LZMACompressor(preset=min(max(level, 0), 9))
        elif kind == 'zstd':
            import pyarrow as pa

            self.codec = pa.Codec('zstd', compression_level=level)
        else:
            self.obj = None

    def compress(self, data):
        if self.kind is None:
            return data
        if self.kind == 'zstd':
            return self.codec.compress(data, asbytes=True) if len(data) else b''
        return self.obj.compress(data)

    def finish(self):
        if self.kind in (None, 'zstd'):
            return b''
        return self.obj.flush()


def _settings():
    from accel.dotdict import DotDict

    from . import _dsio

    sources = _dsio.export_sources(datasets.source, options.chain_source, jobs.previous,
                                   'csvexport')
    infos = [_dsio.column_info(d) for d in sources]
    labels = list(options.labels) if options.labels else list(infos[0]) if infos else []
    for d, _info in zip(sources, infos, strict=True):
        _dsio.need_columns(d, labels, 'csvexport')
    q = options.quote_fields
    if not isinstance(q, str) or len(q) > 1:
        raise _err(f"option quote_fields: expected '' or one character, got {q!r}")
    none_as = options.none_as
    if isinstance(none_as, dict):
        unknown = sorted(set(none_as) - set(labels))
        if unknown:
            raise _err(f"option none_as: {unknown[0]!r} is not one of the labels {labels}")
        for k, v in none_as.items():
            if not isinstance(v, str):
                raise _err(f"option none_as[{k!r}]: expected a string, got {v!r}")
    elif none_as is not None and not isinstance(none_as, str):
        raise _err(f"option none_as: expected a string or {{label: string}}, got {none_as!r}")
    if not q and options.labelsonfirstline:
        for label in labels:
            why = _unsafe_why(label.encode('utf-8'))
            if why:
                raise _err(f"label {label!r} {why}; written unquoted, the first line would not"
                           " read back as the labels (quote_fields='\"' writes it quoted)")
    return DotDict(sources=sources, infos=infos, labels=labels, kind=_kind(options.filename))


# --- without quoting: values that would break their line -----------------------------------

def _forbidden():
    """[(bytes, what)]: what an unquoted value must not contain, as it would end its field or
    its line early for any reader."""
    sep = options.separator
    out = [(sep.encode('utf-8'), f"contains the separator {sep!r}")] if sep else []
    out += [(b'\n', "contains a line break '\\n'"), (b'\r', "contains a line break '\\r'")]
    ls = options.line_separator
    if ls and '\n' not in ls and '\r' not in ls:
        out.append((ls.encode('utf-8'), f"contains the line separator {ls!r}"))
    return out


def _unsafe_why(value):
    """Why `value` (bytes) cannot be written unquoted, or None. A leading " is a quote to
    most readers (Python's csv, pyarrow, spreadsheets): the value would read as quoted."""
    for pat, what in _forbidden():
        if pat in value:
            return what
    if value[:1] == b'"':
        return "starts with '\"', which a CSV reader takes as the start of a quoted value"
    return None


def _first_unsafe(arr):
    """Index of the first value of `arr` (binary or large_binary) that _unsafe_why refuses,
    or None. numpy on the buffers (a few ms a million values); pyarrow.compute only for
    patterns longer than one byte."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from accel.dataset.arrowbuffers import numpy_of

    n = len(arr)
    if not n:
        return None
    width = np.int64 if pa.types.is_large_binary(arr.type) else np.int32
    off = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset:arr.offset + n + 1]
    data = arr.buffers()[2]
    data = (np.frombuffer(data, dtype=np.uint8) if data is not None
            else np.zeros(0, np.uint8))[int(off[0]):int(off[-1])]
    first = []
    hit = None
    for pat, _ in _forbidden():
        if len(pat) == 1:
            m = data == pat[0]
            hit = m if hit is None else np.logical_or(hit, m, out=hit)
        else:
            rows = np.flatnonzero(numpy_of(pc.match_substring(arr, pat.decode('utf-8'))))
            if len(rows):
                first.append(int(rows[0]))
    if hit is not None:
        pos = np.flatnonzero(hit)
        if len(pos):
            first.append(int(np.searchsorted(off[1:] - off[0], pos[0], side='right')))
    starts = off[:-1] - off[0]
    nonempty = np.flatnonzero(off[1:] > off[:-1])
    quoted = nonempty[data[starts[nonempty]] == ord('"')]
    if len(quoted):
        first.append(int(quoted[0]))
    return min(first) if first else None


def _check_unquoted(arr, label, d, sliceno, row0):
    """Refuse (before it is written) a value that would make its line split wrongly: an
    unquoted CSV file cannot hold it. row0: the row in the slice of arr's first value."""
    from . import _dsio

    i = _first_unsafe(arr)
    if i is None:
        return
    value = arr[i].as_py()
    text = value.decode('utf-8', 'backslashreplace')
    if len(text) > 60:
        text = text[:60] + '...'
    raise _err(f"column {label!r}, dataset {_dsio.ds_name(d)}, slice {sliceno}, row {row0 + i}"
               f" (counting from 0 in the slice): the value {text!r} {_unsafe_why(value)};"
               " written unquoted, its line would not read back as the same fields"
               " (quote_fields='\"' writes it quoted)")


def _quoter():
    q = options.quote_fields
    sep = options.separator
    if not q:
        return None, None
    qq = q + q
    starts = '"\'' if q in '"\'' else q
    lazy = options.lazy_quotes and sep
    line_sep = options.line_separator

    def needs(v):
        return (not lazy or sep in v or '\n' in v or '\r' in v or (line_sep and line_sep in v)
                or (v and (v[0] in starts or v[-1] in starts)))

    def quote(v):
        return q + v.replace(q, qq) + q if needs(v) else v

    return quote, starts


def _quote_array(arr, quote_starts):
    """Quote the values of a large_binary array that need it (vectorised)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from accel.dataset.arrowvalues import scalar

    q = options.quote_fields
    sep = options.separator
    quoted = pc.binary_join_element_wise(
        scalar(q.encode(), pa.large_binary()),
        pc.replace_substring(arr, q, q + q),
        scalar(q.encode(), pa.large_binary()), scalar(b'', pa.large_binary()))
    if not (options.lazy_quotes and sep):
        return quoted
    need = pc.match_substring(arr, sep)
    for ch in sorted({'\n', '\r', options.line_separator} - {''}):
        need = pc.or_(need, pc.match_substring(arr, ch))
    for ch in quote_starts:
        need = pc.or_(need, pc.or_(pc.starts_with(arr, ch), pc.ends_with(arr, ch)))
    return pc.if_else(need, quoted, arr)


def _none_text(label, col):
    none_as = options.none_as
    if col.type in ('json', 'pickle'):
        if isinstance(none_as, str):
            return none_as
        return (none_as or {}).get(label)
    if col.none_support:
        if isinstance(none_as, str):
            return none_as
        return (none_as or {}).get(label, 'None')
    return None


def _format(col, info, label, quote_starts):
    """A column as a large_binary array of the text written for each value."""
    import json

    import pyarrow as pa
    import pyarrow.compute as pc

    from accel.dataset.arrowvalues import array, scalar

    t = info.type
    none_text = _none_text(label, info)
    if t == 'bytes':
        out = col
    elif t in ('ascii', 'unicode'):
        out = col.cast(pa.large_binary())
    elif t in ('int32', 'int64'):
        out = col.cast(pa.large_string()).cast(pa.large_binary())
    elif t == 'bool':
        out = pc.if_else(col, scalar(b'True', pa.large_binary()),
                         scalar(b'False', pa.large_binary()))
    else:
        if t in ('float32', 'float64', 'number'):
            f = repr
        elif t == 'json':
            f = json.JSONEncoder(sort_keys=True, ensure_ascii=True, check_circular=False).encode
        else:
            f = str
        values = col.tolist() if hasattr(col, 'tolist') else col.to_pylist()
        if t == 'json' and none_text is None:
            texts = [f(v).encode('utf-8') for v in values]     # None is null
        else:
            texts = [None if v is None else f(v).encode('utf-8') for v in values]
        out = array(texts, pa.large_binary())
    if quote_starts is not None:
        out = _quote_array(out, quote_starts)
    if out.null_count:
        if none_text is None:
            none_text = 'None'
        quote, _ = _quoter()
        if quote is not None:
            none_text = quote(none_text)
        out = out.fill_null(scalar(none_text.encode('utf-8'), pa.large_binary()))
    return out


def _write_slice(sliceno, settings, out, compressor):
    """Write every source's slice `sliceno` as CSV lines to the binary file `out`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from accel.dataset.arrowvalues import scalar

    from . import _dsio

    _, quote_starts = _quoter()
    unquoted = not options.quote_fields
    sep = scalar(options.separator.encode('utf-8'), pa.large_binary())
    line_sep = scalar(options.line_separator.encode('utf-8'), pa.large_binary())
    empty = None
    for d, info in zip(settings.sources, settings.infos, strict=True):
        if not _dsio.ds_lines(d)[sliceno]:
            continue
        cols = _dsio.read_cols(d, sliceno, settings.labels, info)
        n = len(next(iter(cols.values()))) if cols else 0
        for start in range(0, n, BLOCK):
            parts = []
            for label in settings.labels:
                c = cols[label]
                c = c[start:start + BLOCK]
                part = _format(c, info[label], label, quote_starts)
                if unquoted:
                    _check_unquoted(part, label, d, sliceno, start)
                parts.append(part)
            m = len(parts[0])
            if empty is None or len(empty) != m:
                empty = pa.Array.from_buffers(pa.large_binary(), m, [
                    None, pa.py_buffer(np.zeros(m + 1, dtype=np.int64)), pa.py_buffer(b'')])
            lines = pc.binary_join_element_wise(*parts, sep) if len(parts) > 1 else parts[0]
            lines = pc.binary_join_element_wise(lines, empty, line_sep)
            offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[
                lines.offset:lines.offset + len(lines) + 1]
            data = memoryview(lines.buffers()[2])[int(offsets[0]):int(offsets[-1])]
            out.write(compressor.compress(bytes(data)) if compressor.kind else data)


def _open_out(job, name):
    return job.open(name, 'wb')


def _header(settings):
    quote, _ = _quoter()
    labels = [quote(x) if quote else x for x in settings.labels]
    return (options.separator.join(labels) + options.line_separator).encode('utf-8')


def _slice_filename(sliceno):
    if '%' in options.filename:
        return options.filename % (sliceno,)
    return f'{options.filename}.{sliceno}'


def prepare():
    return _settings()


def analysis(sliceno, job, prepare_res):
    import os

    from . import _dsio

    settings = prepare_res
    compressor = _Compressor(settings.kind, options.compression)
    if options.sliced:
        with _open_out(job, _slice_filename(sliceno)) as out:
            if options.labelsonfirstline:
                out.write(compressor.compress(_header(settings)))
            _write_slice(sliceno, settings, out, compressor)
            out.write(compressor.finish())
        return
    part = os.path.join(_dsio.scratch_dir(job, 'csvexport'), str(sliceno))
    with open(part, 'wb') as out:
        _write_slice(sliceno, settings, out, compressor)
        out.write(compressor.finish())


def synthesis(job, slices, prepare_res):
    import os
    import shutil

    from . import _dsio

    settings = prepare_res
    if options.sliced:
        return
    folder = _dsio.scratch_dir(job, 'csvexport')
    with _open_out(job, options.filename) as out:
        if options.labelsonfirstline:
            c = _Compressor(settings.kind, options.compression)
            out.write(c.compress(_header(settings)) + c.finish())
        for sliceno in range(slices):
            part = os.path.join(folder, str(sliceno))
            with open(part, 'rb') as f:
                shutil.copyfileobj(f, out, 16 << 20)
    shutil.rmtree(folder, ignore_errors=True)
