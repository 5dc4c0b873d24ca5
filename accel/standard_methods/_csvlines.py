"""The light part of CSV reading (no numpy, no pyarrow): what csvimport's prepare needs to
find the labels and cut the file into slices, and the dialect the slices parse with."""

from __future__ import annotations

from dataclasses import dataclass

from accel.words import plural

NL, CR = 10, 13


@dataclass
class Dialect:
    ncols: int                 # fields per record
    keep: list[int]            # indices of the fields to keep
    separator: str             # '' = the whole line is one field
    quote: str | None          # None = no quoting
    comment: int | None        # byte value, or None
    skip_empty: bool
    allow_extra_empty: bool
    want_linenos: bool         # the line number of every good row is needed


def count_lines(buf: bytes) -> int:
    """Lines in buf (a last line without a terminator counts)."""
    n = len(buf)
    if n == 0:
        return 0
    count = buf.count(b"\n")
    crs = buf.count(b"\r")
    if crs:
        count += crs - buf.count(b"\r\n")     # lone \r
    if buf[-1] not in (NL, CR):
        count += 1
    return count


# --- splitting a line into fields (labels, allow_extra_empty) ---------------------------------

def split_fields(line: bytes, separator: str, quote: str | None) -> list[bytes]:
    """Fields of one line, with the same rules as pyarrow's parser."""
    return scan_fields(line, separator, quote)[0]


def scan_fields(line: bytes, separator: str, quote: str | None) -> tuple[list[bytes], bool]:
    """(fields of one line, is a quoted value left open at its end?), as pyarrow parses it:
    a quote starts a quoted value only at the start of a field, and is doubled inside one.
    (bytes.find, not a loop over the bytes: a bad line can be tens of MB.)"""
    if not separator:
        return [line], False
    sep = separator.encode("latin-1")
    q = quote.encode("latin-1") if quote else None
    fields: list[bytes] = []
    i, n = 0, len(line)
    open_quote = False
    while True:
        head = b""
        if q is not None and line[i:i + 1] == q:
            parts = []
            j = i + 1
            while True:
                k = line.find(q, j)
                if k == -1:
                    parts.append(line[j:])
                    open_quote = True
                    i = n
                    break
                parts.append(line[j:k])
                if line[k + 1:k + 2] == q:
                    parts.append(q)
                    j = k + 2
                    continue
                i = k + 1
                break
            head = b"".join(parts)
        k = line.find(sep, i)
        if k == -1:
            fields.append(head + line[i:])
            return fields, open_quote
        fields.append(head + line[i:k])
        i = k + 1


# --- why a line is bad ---------------------------------------------------------------------------

WRONG_COUNT = "wrong number of fields"
OPEN_QUOTE = "a quoted value does not end on its line"


def quote_suggestion(line: bytes, separator: str, ncols: int) -> str | None:
    """With quotes off, a line with too many fields where a field starts with " or ' was
    most likely written with quoting: that character, to suggest as quotes=."""
    if not separator or line.count(separator.encode("latin-1")) + 1 <= ncols:
        return None
    sep = separator.encode("latin-1")
    for q in (b'"', b"'"):
        if line.startswith(q) or sep + q in line:
            return q.decode()
    return None


def quotes_hint(q: str) -> str:
    return f"quotes are off and a field starts with {q}: quotes={q!r} reads quoted values"


def wrong_count(d: Dialect, line: bytes, actual: int) -> str:
    """The reason for a line with `actual` fields (the file may need quotes=)."""
    why = f"expected {plural(d.ncols, 'field')}, got {actual}"
    if d.quote is None:
        q = quote_suggestion(line, d.separator, d.ncols)
        if q:
            why += f" ({quotes_hint(q)})"
    return why


def bad_kind(why: str) -> str:
    """WRONG_COUNT or OPEN_QUOTE (or the reason itself) for a bad line's reason."""
    if why.startswith("expected "):
        return WRONG_COUNT
    if why.startswith(OPEN_QUOTE):
        return OPEN_QUOTE
    return why


# --- chunks of a file ------------------------------------------------------------------------

def split_points(mm, start: int, end: int, parts: int) -> list[int]:
    """Offsets dividing [start, end) into about equal parts, each cut just after a \\n."""
    cuts = [start]
    for k in range(1, parts):
        pos = start + (end - start) * k // parts
        pos = max(pos, cuts[-1])
        nl = mm.find(b"\n", pos, end)
        cut = end if nl == -1 else nl + 1
        cuts.append(cut)
    cuts.append(end)
    return cuts
