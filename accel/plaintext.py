"""Values as short text, and rows as an aligned table: the same in a terminal (`ax`), on
the board and in a build script's output (`JobList.pretty`), so none of them keeps a
formatter of its own. Low enough for every layer to use: only the standard library."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from datetime import time as dtime
from typing import Any


def fmt_duration(seconds: float | None) -> str:
    """'0.012s', '12.345s', '3m05s', '2h07m': precise when short, readable when long."""
    if seconds is None:
        return ""
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return str(seconds)
    if s < 60:
        return f"{s:.3f}s"
    if s < 3600:
        return f"{int(s // 60)}m{int(s % 60):02d}s"
    return f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m"


def fmt_memory(kb: float | None) -> str:
    """Kilobytes (as ru_maxrss gives them on Linux) as KiB/MiB/GiB."""
    if kb is None:
        return ""
    try:
        v = float(kb)
    except (TypeError, ValueError):
        return str(kb)
    if v < 1024:
        return f"{v:.0f} KiB"
    if v < 1024 * 1024:
        return f"{v / 1024:.1f} MiB"
    return f"{v / (1024 * 1024):.1f} GiB"


def fmt_size(n: int) -> str:
    """A file's size as people say it, in powers of 1000: '512 bytes', '12 kB', '3.1 MB'."""
    if n < 10_000:
        return f"{n:,} byte{'' if n == 1 else 's'}"
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 1e3:,.0f} kB"


def show_value(v: Any, as_text: Callable[[Any], str] = repr) -> str:
    """An option value the way a person reads it: `as_text` (repr, or a shortened repr
    where space is short), but dates and times as ISO text and a timedelta as 1:30:00."""
    if isinstance(v, (date, dtime)):
        return v.isoformat()
    if isinstance(v, timedelta):
        return str(v)
    return as_text(v)


def table(rows: list[tuple], header: tuple | None = None) -> str:
    """Columns padded to their widest cell; the last column is not padded; None is ''."""
    all_rows = ([header] if header else []) + [tuple("" if c is None else str(c) for c in r)
                                               for r in rows]
    if not all_rows:
        return ""
    widths = [max(len(str(r[i])) for r in all_rows) for i in range(len(all_rows[0]))]
    out = []
    for r in all_rows:
        cells = [str(c).ljust(widths[i]) if i < len(r) - 1 else str(c) for i, c in enumerate(r)]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def is_utf8(text: str) -> bool:
    """Can `text` be written as UTF-8 (a record, a terminal)? Not when it holds a lone
    surrogate: what Python makes of a file name in another encoding (os.listdir,
    os.fsdecode: b'bad\\xff.csv' is 'bad\\udcff.csv')."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """`text` as a message can show it: a file name's bytes that are not UTF-8 as \\xNN
    (the name as `ls -b` shows it), other lone surrogates as \\uNNNN."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
