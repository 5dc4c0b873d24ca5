"""Numbers and names as short text, the same in the terminal and on the board."""

from __future__ import annotations

# the view's short texts include these, which a build script's output shares
from accel.plaintext import fmt_duration as fmt_duration
from accel.plaintext import fmt_memory as fmt_memory
from accel.words import close_hint as close_hint  # its home is lower: plan uses it too


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
