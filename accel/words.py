"""Words the same in every message: counts ("1 job", "2 jobs"), close names (" (did you
mean: sales.csv?)") and text cut short."""

from __future__ import annotations


def shorten(text: str, width: int) -> str:
    """`text` on one line in at most `width` characters: cut after a whole word (a word
    longer than half of it is cut too), with "…" to say that more was there."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[:width - 1]
    space = cut.rfind(" ")
    if space > width // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def plural(n: int, word: str, many: str | None = None) -> str:
    """`n` (with thousands marked: 12,345) and `word`, in the plural (`many`, else
    word + "s") unless n is 1."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def close_hint(name: str, known: list[str]) -> str:
    """' (did you mean: a, b?)' for a mistyped name, or ''."""
    import difflib

    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return f" (did you mean: {', '.join(close)}?)" if close else ""
