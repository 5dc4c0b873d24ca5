"""Counts in words, the same in every message: "1 job", "2 jobs"."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """`n` and `word`, in the plural (`many`, else word + "s") unless n is 1."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
