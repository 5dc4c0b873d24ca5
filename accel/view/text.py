"""Numbers and names as short text, the same in the terminal and on the board."""

from __future__ import annotations


def close_hint(name: str, known: list[str]) -> str:
    """' (did you mean: a, b?)' for a mistyped name, or ''."""
    import difflib

    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return f" (did you mean: {', '.join(close)}?)" if close else ""


def no_such_file(path: str) -> str:
    """'no such file: PATH', with the names in its folder close to its own (a typo, a
    wrong suffix)."""
    import os

    folder, name = os.path.split(path)
    try:
        known = sorted(os.listdir(folder or "."))
    except OSError:
        known = []
    return f"no such file: {path}{close_hint(name, known)}"


def fmt_time(ts: float | None) -> str:
    """A unix time as local 'YYYY-MM-DD HH:MM:SS' ('' when unknown)."""
    if ts is None:
        return ""
    import time

    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(ts)))
    except (TypeError, ValueError, OverflowError, OSError):
        return str(ts)


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
