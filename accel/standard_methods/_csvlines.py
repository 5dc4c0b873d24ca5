"""The light part of CSV reading (no numpy, no pyarrow): what csvimport's prepare needs to
find the labels and cut the file into slices, and the dialect the slices parse with."""

from __future__ import annotations

from dataclasses import dataclass

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
    if not separator:
        return [line]
    sep = separator.encode("latin-1")[0]
    q = quote.encode("latin-1")[0] if quote else None
    fields: list[bytes] = []
    cur = bytearray()
    i, n = 0, len(line)
    at_start = True
    while i <= n:
        if i == n:
            fields.append(bytes(cur))
            break
        c = line[i]
        if at_start and q is not None and c == q:
            i += 1
            while i < n:
                c = line[i]
                if c == q:
                    if i + 1 < n and line[i + 1] == q:
                        cur.append(q)
                        i += 2
                        continue
                    i += 1
                    break
                cur.append(c)
                i += 1
            at_start = False
            continue
        if c == sep:
            fields.append(bytes(cur))
            cur = bytearray()
            at_start = True
        else:
            cur.append(c)
            at_start = False
        i += 1
    return fields


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
