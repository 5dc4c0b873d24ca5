"""Words the same in every message: counts ("1 job", "2 jobs"), sizes ("3.1 MB"), close
names (" (did you mean: sales.csv?)") and text cut short."""

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


def size_text(n: int) -> str:
    """A file's size as people say it, in powers of 1000: '512 bytes', '12 kB', '3.1 MB'."""
    if n < 10_000:
        return plural(n, "byte")
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 1e3:,.0f} kB"


def close_hint(name: str, known: list[str]) -> str:
    """' (did you mean: a, b?)' for a mistyped name, or ''."""
    import difflib

    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return f" (did you mean: {', '.join(close)}?)" if close else ""
