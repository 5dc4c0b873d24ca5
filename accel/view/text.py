"""Numbers and names as short text, the same in the terminal and on the board."""

from __future__ import annotations

# the view's short texts include these, which a build script's output shares
from accel.plaintext import fmt_duration as fmt_duration
from accel.plaintext import fmt_memory as fmt_memory


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
