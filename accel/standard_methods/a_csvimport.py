from accel.options import InputFile, OptionDefault

description = r'''
CSV file to dataset.

Reads FILENAME (relative to the input directory) with pyarrow's CSV parser, each analysis
slice a contiguous part of the file, in parallel. Plain, gzip, bzip2, xz or zstd input
(recognised by content, not by name). Every column is 'bytes' (as in the Accelerator); use
dataset_type to make typed columns. The file's content is part of the job's identity: a
changed file is imported anew, an unchanged one is not (`input files: untracked` in
accelerator.conf for the Accelerator's way).

A record is one line; a line ends at \n, \r\n or \r (or at NEWLINE, when that is set).
separator: one ASCII character, or '' for one field per line. quotes: '' or False for none,
a character, or True for " or ' (whichever the file uses). Labels from the first
label_lines lines (default 1; 0 when labels is given), joined with spaces when more than one;
labels always wins when given.

Lines with the wrong number of fields (or a quoted value that does not end on its line) are
bad: without allow_bad the job fails naming the first one; with allow_bad they are kept,
with their line number, in the dataset "bad" (columns lineno, data), and the output says
so once (how many, why, the first one). With quotes off, when lines have too many fields
and a field starts with " or ', both suggest quotes=. Bad lines need not be UTF-8. Lines
skipped by skip_lines, comment or skip_empty_lines are kept the same way in the dataset
"skipped". Nothing is dropped silently. lineno_label adds a column with each row's line
number. A line may be up to 2 GiB long.

The result (result.pickle) counts lines: num_lines, lines_per_slice, num_broken_lines,
broken_lines_per_slice, num_skipped_lines, skipped_lines_per_slice.
'''


options = dict(
    filename=InputFile(required=True),  # its content is part of the job's identity
    separator=',',              # one ASCII character, or '' for the whole line as one field
    comment='',                 # lines starting with this character are skipped
    newline='',                 # '' for \n, \r\n or \r; or one other character
    quotes=OptionDefault(None, ''),  # '' / False: no quoting; True: " or '; or the character
    label_lines=int,            # lines of labels; default 1, or 0 when labels is given
    label_encoding='utf-8',     # of the labels read from the file
    labels=[str],               # the column names (always wins over the file's)
    strip_labels=False,         # .strip() labels (before rename)
    rename={str: str},          # {label in file: column name}
    discard={str},              # labels not to import
    lineno_label='',            # name of a column with each row's line number
    allow_bad=False,            # keep bad lines in the dataset "bad" instead of failing
    allow_extra_empty=False,    # a line with extra empty fields at the end is still good
    skip_lines=0,               # lines to skip at the start (kept in "skipped")
    skip_empty_lines=False,     # skip empty lines (kept in "skipped") instead of bad lines
    compression=6,              # accepted for Accelerator build scripts; not used
)

datasets = ('previous',)

MAGIC = (
    (b'\x1f\x8b', 'gzip'),
    (b'BZh', 'bz2'),
    (b'\xfd7zXZ\x00', 'xz'),
    (b'\x28\xb5\x2f\xfd', 'zstd'),
)
# The file is parsed this much at a time: pyarrow's buffers for a piece are ~3.5x its size,
# and a slice that parses small pieces reuses the same memory for each one. Parsing a whole
# 20 MB slice at once costs 3-8x more in a fresh process (measured: 0.11-0.26 s against
# 0.033 s for 4 MB pieces), all of it the kernel handing out never-used pages.
PIECE = 4 << 20


def _err(msg):
    from accel.errors import UserError

    return UserError(f"csvimport: {msg}")


def _char(name, value, allow_empty=True):
    if not isinstance(value, str) or len(value) > 1 or (not value and not allow_empty):
        raise _err(f"option {name}: expected a single character{' or empty' if allow_empty else ''}, got {value!r}")
    if value and ord(value) > 127:
        raise _err(f"option {name}: {value!r} is not an ASCII character (pyarrow's CSV parser needs ASCII)")
    return value


def _quote_char(value):
    if value is None or value is False or value == '' or value == 'False':
        return None
    if value is True or value == 'True':
        return True
    if isinstance(value, str):
        return _char('quotes', value, allow_empty=False)
    raise _err(f"option quotes: expected '', False, True or a character, got {value!r}")


def _compression(path):
    with open(path, 'rb') as f:
        head = f.read(8)
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    return None


def _decompress(path, kind, dest, newline):
    import bz2
    import gzip
    import lzma
    import zlib

    from accel.errors import UserError

    if kind == 'gzip':
        src = gzip.open(path, 'rb')
    elif kind == 'bz2':
        src = bz2.open(path, 'rb')
    elif kind == 'xz':
        src = lzma.open(path, 'rb')
    elif kind == 'zstd':
        import pyarrow as pa

        src = pa.CompressedInputStream(pa.OSFile(path, 'rb'), 'zstd')
    else:
        src = open(path, 'rb')
    try:
        with src, open(dest, 'wb') as out:
            while True:
                block = src.read(16 << 20)
                if not block:
                    break
                if newline:
                    if b'\n' in block or b'\r' in block:
                        raise _err(f"{path}: newline is {newline!r}, but the file also has \\n or \\r"
                                   " characters, which would end lines too")
                    block = block.replace(newline.encode('latin-1'), b'\n')
                out.write(block)
    except UserError:
        raise
    except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as e:
        raise _err(f"{path}: cannot read it as {kind or 'a file'}: {e}")


def _open_data(job, filename):
    """(path of the plain data to parse, temporary file to remove or None)."""
    import os

    path = filename
    if not os.path.exists(path):
        from accel.view.text import no_such_file

        raise _err(no_such_file(path))
    if os.path.isdir(path):
        raise _err(f"{path} is a folder, not a file")
    newline = options.newline
    if newline in ('', '\n', '\r\n', '\r'):
        newline = ''
    else:
        _char('newline', newline)
    kind = _compression(path)
    if kind is None and not newline:
        return path, None
    from . import _dsio

    tmp = os.path.join(_dsio.scratch_dir(job, 'csvimport'), 'data')
    _decompress(path, kind, tmp, newline)
    return tmp, tmp


def _lines_from(mm, pos, end):
    """Yield (start, content end, next start) of lines from pos."""
    while pos < end:
        nl = mm.find(b'\n', pos, end)
        cr = mm.find(b'\r', pos, nl if nl != -1 else end)
        if cr != -1:
            nxt = cr + 2 if cr + 1 < end and mm[cr + 1] == 10 else cr + 1
            yield pos, cr, nxt
            pos = nxt
        elif nl != -1:
            yield pos, nl, nl + 1
            pos = nl + 1
        else:
            yield pos, end, end
            pos = end


def _guess_quote(mm, start, end, sep):
    """quotes=True: the file uses " or ' to quote; find which one starts a field."""
    import re

    found = set()
    s = re.escape(sep.encode()) if sep else b''
    for q in (b'"', b"'"):
        pat = re.compile(b'(?:^|[\n\r' + s + b'])' + q)
        if pat.search(mm, start, end):
            found.add(q.decode())
    if len(found) == 2:
        raise _err("quotes=True: the file quotes fields with both \" and '; give the one it"
                   " uses as quotes")
    return found.pop() if found else '"'


def prepare(job, slices):
    import mmap
    import os

    from accel.dotdict import DotDict

    from . import _csvlines, _csvparse, _dsio

    del _csvparse   # imported (numpy, pyarrow) once here, before the slices fork
    sep = _char('separator', options.separator)
    comment = _char('comment', options.comment)
    quote = _quote_char(options.quotes)
    if quote is not None and quote is not True and quote == sep:
        raise _err(f"quotes and separator are both {sep!r}")
    if comment and comment in (sep, quote):
        raise _err(f"comment {comment!r} is also the separator or the quote character")
    if options.skip_lines < 0:
        raise _err(f"option skip_lines: must be 0 or more, got {options.skip_lines}")
    label_lines = options.label_lines
    if label_lines is None:
        label_lines = 0 if options.labels else 1
    if label_lines < 0:
        raise _err(f"option label_lines: must be 0 or more, got {label_lines}")
    if not label_lines and not options.labels:
        raise _err("label_lines=0 needs labels (the column names)")
    filename = os.path.join(job.input_directory, options.filename)
    data_path, tmp = _open_data(job, filename)

    size = os.path.getsize(data_path)
    header_skipped = []     # [(lineno, bytes)]
    label_rows = []
    pos = 0
    lineno = 0
    mm = None
    if size:
        with open(data_path, 'rb') as f:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    if mm is not None and mm[:3] == b'\xef\xbb\xbf':
        pos = 3     # a UTF-8 byte order mark is not part of the first line
    if quote is True:
        quote = _guess_quote(mm, pos, size, sep) if mm is not None else '"'
    if mm is not None:
        for start, cend, nxt in _lines_from(mm, pos, size):
            if len(label_rows) >= label_lines and lineno >= options.skip_lines:
                break
            lineno += 1
            line = mm[start:cend]
            pos = nxt
            if lineno <= options.skip_lines:
                header_skipped.append((lineno, line))
            elif comment and line[:1] == comment.encode():
                header_skipped.append((lineno, line))
            elif options.skip_empty_lines and not line:
                header_skipped.append((lineno, line))
            else:
                label_rows.append(_csvlines.split_fields(line, sep, quote))
    if len(label_rows) < label_lines:
        raise _err(f"{filename}: expected {label_lines} label line{'s' if label_lines != 1 else ''},"
                   f" the file has {len(label_rows)}")
    if label_rows:
        if len({len(r) for r in label_rows}) != 1:
            raise _err(f"{filename}: the label lines have different numbers of fields:"
                       f" {[len(r) for r in label_rows]}")
        try:
            file_labels = [' '.join(parts) for parts in zip(*(
                [f.decode(options.label_encoding) for f in r] for r in label_rows), strict=True)]
        except (UnicodeDecodeError, LookupError) as e:
            raise _err(f"{filename}: the labels cannot be decoded as {options.label_encoding}: {e}")
    else:
        file_labels = []
    labels = list(options.labels) if options.labels else file_labels
    if options.allow_extra_empty:
        while labels and labels[-1] == '' and len(labels) > 1:
            labels.pop()
    if not labels:
        raise _err(f"{filename}: no labels")
    if options.strip_labels:
        labels = [x.strip() for x in labels]
    ncols = len(labels)
    labels = [options.rename.get(x, x) for x in labels]
    dups = sorted({x for x in labels if labels.count(x) > 1})
    if dups:
        raise _err(f"{filename}: duplicate labels {dups} (use rename or labels)")
    unknown = sorted(set(options.discard) - set(labels))
    if unknown:
        raise _err(f"option discard: no label {unknown[0]!r} (labels: {labels})")
    keep = [i for i, x in enumerate(labels) if x not in options.discard]
    if not keep:
        raise _err("every column is discarded")
    kept = [labels[i] for i in keep]
    if options.lineno_label and options.lineno_label in kept:
        raise _err(f"lineno_label {options.lineno_label!r} is also a label in the file")

    # contiguous parts of the data, one per slice, each starting at a line
    cuts = _csvlines.split_points(mm, pos, size, slices) if mm is not None else [0] * (slices + 1)
    firsts = [lineno + 1] * slices
    if options.lineno_label and mm is not None:
        n = lineno
        for s in range(slices):
            firsts[s] = n + 1
            n += _csvlines.count_lines(mm[cuts[s]:cuts[s + 1]])
    if mm is not None:
        mm.close()

    columns = {x: ('bytes', False) for x in kept}
    if options.lineno_label:
        columns[options.lineno_label] = ('int64', False)
    dw = _dsio.make_writer(job, 'default', columns, previous=datasets.previous,
                           caption=f'csvimport of {options.filename}')
    dialect = _csvlines.Dialect(
        ncols=ncols, keep=keep, separator=sep, quote=quote,
        comment=ord(comment) if comment else None, skip_empty=options.skip_empty_lines,
        allow_extra_empty=options.allow_extra_empty, want_linenos=bool(options.lineno_label))
    return DotDict(path=data_path, tmp=tmp, filename=filename, labels=labels, kept=kept,
                   cuts=cuts, firsts=firsts, header_skipped=header_skipped, dw=dw,
                   dialect=dialect)


def _pieces(mm, start, end, threads):
    from . import _csvlines

    parts = max(threads, -(-(end - start) // PIECE))
    if end - start < (1 << 20):
        parts = 1
    return _csvlines.split_points(mm, start, end, parts)


def _bounded_map(pool, func, items, ahead):
    """pool.map, in order, with at most `ahead` results waiting (bounded memory)."""
    from collections import deque

    pending = deque()
    for item in items:
        pending.append(pool.submit(func, item))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def analysis(sliceno, slices, prepare_res):
    import mmap
    import os
    from concurrent.futures import ThreadPoolExecutor

    from . import _csvparse, _dsio

    p = prepare_res
    start, end = p.cuts[sliceno], p.cuts[sliceno + 1]
    res = dict(good=0, bad=[], skipped=[], nlines=0)
    if end <= start:
        return res
    d = p.dialect
    lineno_label = options.lineno_label
    threads = max(1, (os.cpu_count() or 1) // slices)
    with open(p.path, 'rb') as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    view = None
    try:
        cuts = _pieces(mm, start, end, threads)
        bounds = [(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1) if cuts[i + 1] > cuts[i]]

        view = memoryview(mm)

        def parse(b):
            return _csvparse.parse_region(view[b[0]:b[1]], d, 0)

        offset = p.firsts[sliceno]      # line number of the slice's first line
        with ThreadPoolExecutor(max_workers=min(threads, len(bounds))) as pool:
            for parsed in _bounded_map(pool, parse, bounds, 2 * threads):
                parsed.shift(offset)
                offset += parsed.nlines
                res['nlines'] += parsed.nlines
                for table, linenos in parsed.tables:
                    done = 0
                    for batch in table.to_batches():
                        if not batch.num_rows:
                            continue
                        cols = {name: batch.column(f"c{i}")
                                for i, name in zip(d.keep, p.kept, strict=True)}
                        if lineno_label:
                            cols[lineno_label] = linenos[done:done + batch.num_rows]
                        _dsio.write_cols(p.dw, cols)
                        done += batch.num_rows
                    res['good'] += table.num_rows
                res['bad'].extend(parsed.bad)
                res['skipped'].extend(parsed.skipped)
    finally:
        view = None
        try:
            mm.close()
        except BufferError:     # something still refers to it; the process ends soon
            pass
    return res


def _quotes_hint(bad, dialect):
    """With quotes off, bad lines with too many fields where a field starts with a quote
    mean the file is quoted: a hint naming the quotes= to use (or None)."""
    from . import _csvlines

    if dialect.quote is not None:
        return None
    for _, data, _ in bad:
        q = _csvlines.quote_suggestion(data, dialect.separator, dialect.ncols)
        if q:
            return _csvlines.quotes_hint(q)
    return None


def _bad_summary(bad, dialect):
    """One line for all the bad lines kept (how many, why, the first one, the quotes= the
    file likely needs), instead of a line, or a traceback, each."""
    from collections import Counter

    from accel.words import plural

    from . import _csvlines

    kinds = Counter(_csvlines.bad_kind(why) for _, _, why in bad)
    why = ', '.join(k if len(kinds) == 1 else f"{n}: {k}" for k, n in kinds.most_common())
    hint = _quotes_hint(bad, dialect)
    return (f"csvimport: {plural(len(bad), 'bad line')} ({why}), kept in"
            f" dataset 'bad' (first: line {bad[0][0]})" + (f"; {hint}" if hint else ""))


def synthesis(job, slices, prepare_res, analysis_res):
    import os
    import shutil

    from accel.dotdict import DotDict
    from accel.words import plural

    from . import _dsio

    p = prepare_res
    results = list(analysis_res)
    if not options.lineno_label:
        # line numbers of bad and skipped lines: each slice counted from 0 past the header
        offset = p.firsts[0]
        for r in results:
            shift = offset - p.firsts[0]
            r['bad'] = [(ln + shift, b, why) for ln, b, why in r['bad']]
            r['skipped'] = [(ln + shift, b) for ln, b in r['skipped']]
            offset += r['nlines']
    bad_counts = [len(r['bad']) for r in results]
    bad = [b for r in results for b in r['bad']]
    if bad and not options.allow_bad:
        lineno, data, why = bad[0]
        text = data[:200].decode('utf-8', 'backslashreplace')
        hint = _quotes_hint(bad, p.dialect)
        raise _err(f"{p.filename}: line {lineno}: {why}: {text!r}"
                   f" ({plural(len(bad), 'bad line')};"
                   " allow_bad=True keeps them in the dataset 'bad')"
                   + (f"; {hint}" if hint and hint not in why else ""))
    if bad:
        print(_bad_summary(bad, p.dialect))
    skipped = [list(r['skipped']) for r in results]
    skipped[0][:0] = p.header_skipped
    side = [('bad', [[(ln, b) for ln, b, _ in r['bad']] for r in results], bool(options.allow_bad)),
            ('skipped', skipped,
             bool(options.comment or options.skip_lines or options.skip_empty_lines))]
    for name, per_slice, wanted in side:
        if not wanted:
            continue
        previous = None     # the previous import's side dataset of this name, if any
        if datasets.previous and name in datasets.previous.job.dataset_names:
            previous = datasets.previous.job.dataset(name)
        dw = _dsio.make_writer(job, name, {'lineno': ('int64', False), 'data': ('bytes', False)},
                               previous=previous,
                               caption=f'{name} lines from csvimport of {options.filename}')
        for sliceno, rows in enumerate(per_slice):
            dw.set_slice(sliceno)
            if rows:
                _dsio.write_cols(dw, {'lineno': [ln for ln, _ in rows],
                                      'data': [b for _, b in rows]}, sliceno)
    if p.tmp:
        shutil.rmtree(os.path.dirname(p.tmp), ignore_errors=True)
    good = [r['good'] for r in results]
    skipped_counts = [len(s) for s in skipped]
    res = DotDict(
        num_lines=sum(good), lines_per_slice=good,
        num_broken_lines=sum(bad_counts), broken_lines_per_slice=bad_counts,
        num_skipped_lines=sum(skipped_counts), skipped_lines_per_slice=skipped_counts,
    )
    print(f"{p.filename}: {plural(res.num_lines, 'line')} imported, {res.num_broken_lines} bad,"
          f" {res.num_skipped_lines} skipped")
    return res

