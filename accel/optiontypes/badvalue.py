"""What a value that does not fit raises (BadValue, with where in the value), what a
declaration that cannot be understood raises, and how both messages show a value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def short_repr(value: Any) -> str:
    """A value as a message shows it: its repr on one line, cut to 60 characters."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= 60 else text[:57] + "..."


def got_text(value: Any) -> str:
    """How an error message shows the offending value: 'x' (str)."""
    if value is None:
        return "None"
    return f"{short_repr(value)} ({type(value).__name__})"


class BadValue(Exception):
    """A value does not fit; carries where in the value (path) and what was expected."""

    def __init__(self, expected: str, value: Any):
        super().__init__(expected)
        self.expected = expected
        self.value = value
        self.path: list[str] = []

    def where(self) -> str:
        out = "".join(t if t.startswith("[") else " " + t for t in self.path).strip()
        return f" at {out}" if out else ""

    def text(self) -> str:
        return f"expected {self.expected}, got {got_text(self.value)}"


class BadDeclaration(Exception):
    """A declaration that cannot be understood."""


def convert_at(convert: Callable[[Any], Any], value: Any, token: str) -> Any:
    """convert(value), adding where in the value (token, like '[2]') to any BadValue,
    so the message can say where inside a container the value went wrong."""
    try:
        return convert(value)
    except BadValue as e:
        e.path.insert(0, token)
        raise
