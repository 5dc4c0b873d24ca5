"""Parsing a piece of a CSV file with pyarrow, accounting for every physical line.

A record is one line (as in the Accelerator). A line ends at \\n, \\r\\n or a lone \\r.
Every line of a region ends up in exactly one of: the good rows (pyarrow tables), the bad
lines (wrong number of fields, or a quoted value that does not end on its line), or the
skipped lines (comments, empty lines when asked to skip them). pyarrow parses the region in
one go; the result is checked line for line (rows + bad rows == lines), and a region where
pyarrow joined lines (a quote left open) is split in halves until the offending lines are
isolated — so one broken quote never swallows good lines silently. A region is one pyarrow
block, so a line of any length (below MAX_BLOCK) parses. pyarrow cannot report a bad line
that is not UTF-8 (see _InvalidRows): without quotes the fields are then counted with
numpy; with quotes the halving finds such lines too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from accel.dataset.arrowvalues import array
from accel.words import plural

from ._csvlines import (  # noqa: F401
    CR,
    NL,
    OPEN_QUOTE,
    Dialect,
    count_lines,
    scan_fields,
    split_fields,
    wrong_count,
)

# Fields are binary (int32 offsets: a region is at most a few hundred MB), the layout the
# dataset stores below 2 GiB per slice: the writer appends the parser's buffers as they are.
FIELD = pa.binary()
# pyarrow's block_size is a 32-bit int; a piece is parsed as one block (a line must fit in
# a block), so no piece, and no line, can be longer than this.
MAX_BLOCK = 2**31 - 2


@dataclass
class Parsed:
    tables: list = field(default_factory=list)      # [(pa.Table of kept fields, linenos|None)]
    bad: list = field(default_factory=list)         # [(lineno, bytes, reason)]
    skipped: list = field(default_factory=list)     # [(lineno, bytes)]
    nlines: int = 0                                  # lines in the region

    def shift(self, offset: int) -> None:
        """Line numbers were relative to the region's first line; make them absolute."""
        if offset:
            self.tables = [(t, None if ln is None else ln + offset) for t, ln in self.tables]
            self.bad = [(ln + offset, b, r) for ln, b, r in self.bad]
            self.skipped = [(ln + offset, b) for ln, b in self.skipped]

    @property
    def rows(self) -> int:
        return sum(t.num_rows for t, _ in self.tables)


# --- lines ---------------------------------------------------------------------------------

def line_bounds(arr: np.ndarray, has_cr: bool) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of every line in arr; ends exclude the line terminator."""
    n = len(arr)
    if n == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e
    if has_cr:
        is_nl = arr == NL
        is_cr = arr == CR
        crlf = is_cr[:-1] & is_nl[1:]
        term_end = np.flatnonzero(is_nl | is_cr)          # every terminator byte
        # a \r followed by \n is the first byte of a two-byte terminator
        first = np.ones(len(term_end), dtype=bool)
        if len(term_end):
            is_crlf_first = np.zeros(n, dtype=bool)
            is_crlf_first[:-1] = crlf
            is_crlf_second = np.zeros(n, dtype=bool)
            is_crlf_second[1:] = crlf
            first = ~is_crlf_second[term_end]
            ends = term_end[first]
            nexts = ends + 1 + is_crlf_first[ends]
        else:
            ends = term_end
            nexts = term_end + 1
    else:
        ends = np.flatnonzero(arr == NL)
        nexts = ends + 1
    starts = np.empty(len(ends) + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nexts
    ends = ends.astype(np.int64)
    if starts[-1] < n:          # a last line without a terminator
        ends = np.append(ends, n)
    else:
        starts = starts[:-1]
    return starts, ends


def _all_empty_rows(table: pa.Table) -> bool:
    """Does some row have only empty fields (maybe an empty line)? (numpy on the offsets:
    pyarrow.compute's first call costs more than the whole parse.)"""
    if not table.num_columns or not table.num_rows:
        return False
    for batch in table.to_batches():
        mask = None
        for col in batch.columns:
            width = np.int64 if pa.types.is_large_binary(col.type) else np.int32
            off = np.frombuffer(col.buffers()[1], dtype=width)[col.offset:col.offset + len(col) + 1]
            empty = off[1:] == off[:-1]
            mask = empty if mask is None else mask & empty
            if not mask.any():
                break
        else:
            return True
    return False


def _lines_buffer(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The lines starts..ends of arr, each followed by one \\n, as a new uint8 array."""
    lengths = ends - starts
    dest = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=dest[1:])
    out = np.full(int(dest[-1]), NL, dtype=np.uint8)
    total = int(lengths.sum())
    if total:
        line = np.repeat(np.arange(len(starts)), lengths)
        first = np.zeros(len(starts), dtype=np.int64)     # each line's first content byte
        np.cumsum(lengths[:-1], out=first[1:])
        within = np.arange(total) - np.repeat(first, lengths)
        out[dest[:-1][line] + within] = arr[starts[line] + within]
    return out


# --- one field per line -------------------------------------------------------------------

def whole_lines(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """Each line (without its terminator) as a binary array, built with numpy."""
    lengths = ends - starts
    wide = len(arr) > 2**31 - 1
    offsets = np.zeros(len(starts) + 1, dtype=np.int64 if wide else np.int32)
    np.cumsum(lengths, out=offsets[1:])
    if len(starts) and (ends[:-1] == starts[1:]).all():
        data = arr[starts[0]:ends[-1]] if len(starts) else arr[:0]
    else:
        mask = np.zeros(len(arr) + 1, dtype=np.int64)
        np.add.at(mask, starts, 1)
        np.add.at(mask, ends, -1)
        data = arr[np.cumsum(mask[:-1]).astype(bool)]
    return pa.Array.from_buffers(pa.large_binary() if wide else FIELD, len(starts),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))])


# --- pyarrow ---------------------------------------------------------------------------------

class _Failed(Exception):
    pass


class _InvalidRows:
    """pyarrow's invalid_row_handler: keeps (row number, actual fields), skips the row.

    pyarrow decodes a row's text as UTF-8 before it calls the handler; for a bad line that
    is not UTF-8 that fails, pyarrow prints "Exception ignored ... UnicodeDecodeError" and
    the read fails (which _read's callers handle: they find the bad lines another way).
    _quiet_undecodable keeps that print (once per attempt: thousands) out of the output."""

    def __init__(self) -> None:
        self.rows: list = []

    def __call__(self, row) -> str:
        self.rows.append((row.number, row.actual_columns))
        return "skip"


def _quiet_undecodable() -> None:
    """Install (once per process) an unraisable hook that drops the UnicodeDecodeError of an
    _InvalidRows call, and hands everything else to the hook it replaces."""
    previous = sys.unraisablehook
    if getattr(previous, "_csvparse_quiet", False):
        return
    sys.unraisablehook = _QuietHook(previous)


class _QuietHook:
    """The unraisable hook of _quiet_undecodable (marked, so it is installed once even if
    this module is loaded again)."""

    _csvparse_quiet = True

    def __init__(self, previous: Callable[[sys.UnraisableHookArgs], object]) -> None:
        self.previous = previous

    def __call__(self, unraisable: sys.UnraisableHookArgs) -> None:
        if not (isinstance(unraisable.object, _InvalidRows)
                and issubclass(unraisable.exc_type, UnicodeDecodeError)):
            self.previous(unraisable)


def _read(buf, d: Dialect) -> tuple[pa.Table, list]:
    """pyarrow over the whole buffer: (table of kept fields, [(line index, actual fields)])."""
    if len(buf) > MAX_BLOCK:
        raise _Failed(f"longer than the {MAX_BLOCK} bytes pyarrow's CSV parser reads at once")
    _quiet_undecodable()
    handler = _InvalidRows()
    names = [f"c{i}" for i in range(d.ncols)]
    keep = [names[i] for i in d.keep]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(buf)),
            # one block for the whole buffer: a line longer than the block fails to parse
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                           block_size=max(1 << 24, len(buf) + 1)),
            parse_options=pacsv.ParseOptions(
                delimiter=d.separator, quote_char=d.quote or False, double_quote=True,
                escape_char=False, newlines_in_values=False, ignore_empty_lines=False,
                invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(
                column_types={n: FIELD for n in keep}, include_columns=keep,
                strings_can_be_null=False, quoted_strings_can_be_null=False,
                check_utf8=False),
        )
    except pa.ArrowInvalid as e:
        if "Empty CSV file" in str(e):
            empty = pa.Array.from_buffers(FIELD, 0, [None, pa.py_buffer(np.zeros(1, np.int32)),
                                                     pa.py_buffer(b"")])
            return pa.table({n: empty for n in keep}), []
        raise _Failed(str(e))
    invalid = handler.rows
    if any(num is None for num, _ in invalid):
        raise _Failed("pyarrow gave no line number")
    return table, [(num - 1, actual) for num, actual in invalid]


def _read_unquoted(buf, arr, has_cr, d: Dialect, bounds=None) -> tuple[pa.Table, list]:
    """_read for a dialect without quoting, where a failed read (a bad line that is not
    UTF-8, see _InvalidRows) falls back to counting every line's fields with numpy (exact
    without quotes) and giving pyarrow only the good lines."""
    try:
        return _read(buf, d)
    except _Failed:
        pass
    starts, ends = bounds if bounds is not None else line_bounds(arr, has_cr)
    seps = np.flatnonzero(arr == ord(d.separator))
    counts = np.searchsorted(seps, ends) - np.searchsorted(seps, starts) + 1
    counts[ends == starts] = d.ncols    # empty lines as pyarrow has them (rows of empties)
    good = np.flatnonzero(counts == d.ncols)
    table, invalid = _read(_lines_buffer(arr, starts[good], ends[good]).tobytes(), d)
    bad = [(int(i), int(counts[i])) for i in np.flatnonzero(counts != d.ncols)]
    bad += [(int(good[i]), actual) for i, actual in invalid]
    return table, sorted(bad)


# --- a region ----------------------------------------------------------------------------------

def parse_region(buf, d: Dialect, first_lineno: int = 0) -> Parsed:
    """Parse `buf` (whole lines; bytes, or a memoryview of a mapped file) whose first line
    is line number first_lineno."""
    if d.comment is None and d.separator and d.quote is None:
        # the common case, straight from the mapped file (no copy): without quoting pyarrow
        # makes exactly one record of every line, so when none is bad there is nothing to
        # check but empty lines
        invalid: list | bool
        try:
            table, invalid = _read(buf, d)
        except _Failed:
            invalid = True
        if not invalid and not ((d.skip_empty or d.ncols > 1) and _all_empty_rows(table)):
            out = Parsed(nlines=table.num_rows)
            linenos = None
            if d.want_linenos:
                linenos = first_lineno + np.arange(table.num_rows, dtype=np.int64)
            out.tables.append((table, linenos))
            return out
    buf = bytes(buf)
    if d.comment is None and d.separator:
        out = _parse_region(buf, d, first_lineno, False)
        if not (d.skip_empty or d.ncols > 1) or not any(
                _all_empty_rows(t) for t, _ in out.tables):
            return out
        # maybe empty lines (pyarrow makes them rows of empty fields): look line by line
    return _parse_region(buf, d, first_lineno, True)


def _parse_region(buf: bytes, d: Dialect, first_lineno: int, need_bounds: bool) -> Parsed:
    out = Parsed()
    arr = np.frombuffer(buf, dtype=np.uint8)
    if not len(arr):
        return out
    has_cr = buf.find(b"\r") != -1
    nlines = None
    linemap = None      # line index in the (filtered) buffer -> line number
    if need_bounds:
        starts, ends = line_bounds(arr, has_cr)
        lengths = ends - starts
        skip = np.zeros(len(starts), dtype=bool)
        bad = np.zeros(len(starts), dtype=bool)
        empty = lengths == 0
        if d.comment is not None:
            nonempty = ~empty
            skip[nonempty] = arr[starts[nonempty]] == d.comment
        if d.skip_empty:
            skip |= empty
        elif d.ncols > 1:
            bad = empty & ~skip
        out.nlines = len(starts)
        linenos = first_lineno + np.arange(len(starts), dtype=np.int64)
        for i in np.flatnonzero(skip):
            out.skipped.append((int(linenos[i]), bytes(arr[starts[i]:ends[i]])))
        for i in np.flatnonzero(bad):
            out.bad.append((int(linenos[i]), b"", f"expected {plural(d.ncols, 'field')}, got 1"))
        if not d.separator:
            keep = ~skip
            col = whole_lines(arr, starts[keep], ends[keep])
            out.tables.append((pa.table({"c0": col}),
                               linenos[keep] if d.want_linenos else None))
            return out
        drop = skip | bad
        if drop.all():
            return out      # every line skipped or bad: nothing left for pyarrow
        if drop.any():
            keep_idx = np.flatnonzero(~drop)
            linemap = linenos[keep_idx]
            # the kept lines in one buffer, each ended by \n (their own terminators could
            # merge: a lone \r, a dropped line, then an empty line's \n would make one \r\n)
            joined = _lines_buffer(arr, starts[keep_idx], ends[keep_idx]).tobytes()
            buf = joined
            arr = np.frombuffer(buf, dtype=np.uint8)
            has_cr = buf.find(b"\r") != -1
        else:
            nlines = len(starts)
    if not len(arr):
        return out

    def lineno_of(idx):
        if linemap is None:
            return first_lineno + idx
        return linemap[idx]

    if not need_bounds and d.quote is None:
        # Without quoting pyarrow makes exactly one record (good or bad) of every line,
        # so there is nothing to check and no need to count the lines first.
        try:
            table, invalid = _read_unquoted(buf, arr, has_cr, d)
        except _Failed:
            pass
        else:
            out.nlines = table.num_rows + len(invalid)
            _accept(table, invalid, out.nlines, 0, buf, arr, has_cr, d, out, lineno_of)
            return out
    if nlines is None:
        nlines = count_lines(buf)
        if not need_bounds:
            out.nlines = nlines
    _parse_checked(buf, arr, has_cr, 0, d, out, lineno_of, None, nlines)
    out.bad.sort()
    out.skipped.sort()
    return out


def _parse_checked(buf, arr, has_cr, base: int, d: Dialect, out: Parsed, lineno_of,
                   bounds, nlines: int | None = None) -> None:
    """Parse buf (lines base.. of the region); split it when pyarrow joined lines."""
    if nlines is None:
        nlines = count_lines(buf)
    failed = None
    try:
        if d.quote is None:
            table, invalid = _read_unquoted(buf, arr, has_cr, d, bounds)
        else:
            table, invalid = _read(buf, d)
        ok = table.num_rows + len(invalid) == nlines and not _open_at_end(table, d)
    except _Failed as e:
        ok = False
        failed = str(e)
    if ok:
        _accept(table, invalid, nlines, base, buf, arr, has_cr, d, out, lineno_of)
        return
    if bounds is None:
        bounds = line_bounds(arr, has_cr)
    starts, ends = bounds
    if nlines <= 1:
        line = bytes(arr[starts[0]:ends[0]]) if len(starts) else b""
        out.bad.append((int(lineno_of(base)), line, _one_line_reason(line, d, failed)))
        return
    mid = nlines // 2
    cut = int(starts[mid])
    for lo, hi, first in ((0, cut, 0), (cut, len(arr), mid)):
        sub = buf[lo:hi]
        subarr = arr[lo:hi]
        sub_bounds = None
        if first == 0:
            sub_bounds = (starts[:mid], ends[:mid])
        else:
            sub_bounds = (starts[mid:] - cut, ends[mid:] - cut)
        _parse_checked(sub, subarr, has_cr, base + first, d, out, lineno_of, sub_bounds)


def _one_line_reason(line: bytes, d: Dialect, failed: str | None) -> str:
    """Why pyarrow would not take this line on its own (failed: its error, if any)."""
    if len(line) > MAX_BLOCK:
        return f"the line is {len(line)} bytes, {failed}"
    fields, open_quote = scan_fields(line, d.separator, d.quote)
    if open_quote:
        return OPEN_QUOTE
    if len(fields) != d.ncols:
        return wrong_count(d, line, len(fields))
    return f"pyarrow cannot parse it: {failed}" if failed else OPEN_QUOTE


def _open_at_end(table: pa.Table, d: Dialect) -> bool:
    """A quote left open on the last line takes that line's end into its value (the only
    way lines can be joined without losing a row: anywhere else rows go missing)."""
    if d.quote is None or not table.num_rows:
        return False
    last = table.slice(table.num_rows - 1)
    return any(b"\n" in v or b"\r" in v for col in last.columns for v in col.to_pylist())


def _accept(table, invalid, nlines, base, buf, arr, has_cr, d: Dialect, out: Parsed,
            lineno_of) -> None:
    linenos = None
    if not invalid:
        if d.want_linenos:
            idx = base + np.arange(nlines, dtype=np.int64)
            linenos = np.asarray(lineno_of(idx), dtype=np.int64)
        out.tables.append((table, linenos))
        return
    starts, ends = line_bounds(arr, has_cr)
    bad_idx = np.array([i for i, _ in invalid], dtype=np.int64)
    fixed_rows = []
    for i, actual in invalid:
        line = bytes(arr[starts[i]:ends[i]])
        lineno = int(lineno_of(base + i))
        if d.allow_extra_empty and actual > d.ncols:
            fields = split_fields(line, d.separator, d.quote)
            if len(fields) == actual and not any(fields[d.ncols:]):
                fixed_rows.append((i, [fields[k] for k in d.keep]))
                continue
        out.bad.append((lineno, line, wrong_count(d, line, actual)))
    good_idx = np.delete(np.arange(nlines, dtype=np.int64), bad_idx)
    if fixed_rows:
        fixed_idx = np.array([i for i, _ in fixed_rows], dtype=np.int64)
        fixed = pa.table({name: array([r[k] for _, r in fixed_rows], FIELD)
                          for k, name in enumerate(table.column_names)})
        table = pa.concat_tables([table, fixed])
        all_idx = np.concatenate([good_idx, fixed_idx])
        order = np.argsort(all_idx, kind="stable")
        table = table.take(pa.Array.from_buffers(pa.int64(), len(order),
                                                 [None, pa.py_buffer(order.astype("<i8"))]))
        good_idx = all_idx[order]
    if d.want_linenos:
        linenos = np.asarray(lineno_of(base + good_idx), dtype=np.int64)
    out.tables.append((table, linenos))
