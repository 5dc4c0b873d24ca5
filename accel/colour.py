"""Terminal colours: `colour(text, 'bold', 'red')`, `colour.bold(text)`, `from accel.colour import red`.

Plain text when stdout is not a terminal, or NO_COLOR is set; ACCEL_COLOUR=1 forces colour.
"""

from __future__ import annotations

import os
import sys
import types

_CODES = {
    "reset": 0, "bold": 1, "faint": 2, "italic": 3, "underline": 4, "blink": 5, "inverse": 7,
    "black": 30, "red": 31, "green": 32, "yellow": 33, "blue": 34, "magenta": 35, "cyan": 36,
    "white": 37, "default": 39, "grey": 90, "gray": 90,
    "brightred": 91, "brightgreen": 92, "brightyellow": 93, "brightblue": 94,
    "brightmagenta": 95, "brightcyan": 96, "brightwhite": 97,
}


def enabled() -> bool:
    if os.environ.get("ACCEL_COLOUR") in ("1", "always", "yes"):
        return True
    if os.environ.get("NO_COLOR") or os.environ.get("ACCEL_COLOUR") in ("0", "never", "no"):
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def colour(text: object, *attrs: str) -> str:
    text = str(text)
    if not attrs or not enabled():
        return text
    codes = []
    for a in attrs:
        for part in a.replace("/", " ").split():
            if part.lower() not in _CODES:
                raise ValueError(f"unknown colour attribute {part!r} (known: {', '.join(_CODES)})")
            codes.append(str(_CODES[part.lower()]))
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


def _make(attr: str):
    def f(text: object) -> str:
        return colour(text, attr)

    f.__name__ = attr
    f.__doc__ = f"`text` in {attr}."
    return f


for _name in _CODES:
    globals()[_name] = _make(_name)


class _CallableModule(types.ModuleType):
    def __call__(self, text: object, *attrs: str) -> str:
        return colour(text, *attrs)


sys.modules[__name__].__class__ = _CallableModule
