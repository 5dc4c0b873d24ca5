"""The declaration classes a method's `options = dict(...)` is written with: OptionEnum,
OptionString, RequiredOption, OptionDefault and InputFile.

Users import them from `accel.options` (or `accel`), where the declaration rules are
described, and that is the module they name, in reprs and pickles.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from accel.errors import OptionError
from accel.optiontypes.badvalue import got_text


class OptionEnum:
    """One of a fixed set of strings: ``OptionEnum('a b c')`` or ``OptionEnum(['a', 'b'])``.

    ``OptionEnum('a b c').b`` is the same declaration with default 'b'. A value ending in
    '*' accepts any string with that prefix ('foo*' accepts 'foobar'). None is accepted when
    there is no default, or with ``none_ok=True``.
    """

    __slots__ = ("_values", "_none_ok", "_default")
    _values: tuple[str, ...]
    _none_ok: bool
    _default: str | None

    def __init__(self, values: str | Iterable[str], none_ok: bool = False,
                 default: str | None = None):
        if isinstance(values, str):
            values = values.split()
        try:
            values = list(values)
        except TypeError:
            raise OptionError("OptionEnum: values must be a str or a list of str, got "
                              f"{got_text(values)}")
        if not values:
            raise OptionError("OptionEnum: no values given")
        for v in values:
            if not isinstance(v, str) or not v:
                raise OptionError("OptionEnum: values must be non-empty strings, got "
                                  f"{got_text(v)}")
        object.__setattr__(self, "_values", tuple(dict.fromkeys(str(v) for v in values)))
        object.__setattr__(self, "_none_ok", bool(none_ok))
        if default is not None and not self._accepts(default):
            raise OptionError(f"OptionEnum: default {default!r} is not {self._text()}")
        object.__setattr__(self, "_default", None if default is None else str(default))

    def _accepts(self, value: str) -> bool:
        for v in self._values:
            if v == value or (v.endswith("*") and value.startswith(v[:-1])):
                return True
        return False

    def _text(self) -> str:
        return "one of " + ", ".join(self._values)

    def __getattr__(self, name: str) -> OptionEnum:
        if name.startswith("_"):
            raise AttributeError(name)
        if not self._accepts(name):
            raise AttributeError(f"{name!r} is not {self._text()}")
        return OptionEnum(self._values, self._none_ok, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("OptionEnum is immutable")

    def __reduce__(self):
        return (OptionEnum, (list(self._values), self._none_ok, self._default))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OptionEnum) and (
            (self._values, self._none_ok, self._default)
            == (other._values, other._none_ok, other._default))

    def __hash__(self) -> int:
        return hash((self._values, self._none_ok, self._default))

    def __repr__(self) -> str:
        extra = "".join([", none_ok=True" if self._none_ok else "",
                         f", default={self._default!r}" if self._default is not None else ""])
        return f"OptionEnum({list(self._values)!r}{extra})"


class OptionString:
    """A required non-empty str. Use the class itself, or ``OptionString('example')`` to
    show an example value in help texts (the option is still required)."""

    __slots__ = ("example",)

    def __init__(self, example: str | None = None):
        if example is not None and not isinstance(example, str):
            raise OptionError(f"OptionString: the example must be a str, got {got_text(example)}")
        self.example = example

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OptionString) and self.example == other.example

    def __hash__(self) -> int:
        return hash(("OptionString", self.example))

    def __repr__(self) -> str:
        return f"OptionString({self.example!r})" if self.example is not None else "OptionString()"


class RequiredOption:
    """An option that must be given, typed as ``value`` declares (which is not a default).
    None is accepted only with ``none_ok=True`` (but must still be given explicitly)."""

    __slots__ = ("value", "none_ok")

    def __init__(self, value: Any, none_ok: bool = False):
        self.value = value
        self.none_ok = bool(none_ok)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RequiredOption) and (self.value, self.none_ok) == (
            other.value, other.none_ok)

    # unhashable (value may be a list): Python's way to say so, which mypy takes for a
    # method replaced by None
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RequiredOption({self.value!r}{', none_ok=True' if self.none_ok else ''})"


class OptionDefault:
    """Typed as ``value`` declares, with ``default`` as the default — the way to give a
    container a non-empty default: ``OptionDefault([str], ['a', 'b'])``."""

    __slots__ = ("value", "default")

    def __init__(self, value: Any, default: Any = None):
        self.value = value
        self.default = default

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OptionDefault) and (self.value, self.default) == (
            other.value, other.default)

    __hash__ = None  # type: ignore[assignment]  # unhashable, as RequiredOption

    def __repr__(self) -> str:
        return f"OptionDefault({self.value!r}, {self.default!r})"


class InputFile:
    """An option naming a file the job reads from outside the workdirs: a str, relative to
    the input directory (as ``job.input_filename`` makes it; an absolute path is itself).
    The file's content is part of the job's identity (accel.plan fingerprints it): a
    changed file gives a new job. A folder names the files in it that match ``pattern``;
    a glob pattern the files it matches.

    ``InputFile()``: optional, None (or '') when no file is given; ``InputFile('a.csv')``:
    that default; ``InputFile(required=True)``: must be given. ``track=False`` keeps the
    Accelerator's way: the name is an option like any str, the content is no part of the
    identity (and reading the file is not warned about).
    """

    __slots__ = ("default", "required", "pattern", "track")

    def __init__(self, default: str | None = None, *, required: bool = False,
                 pattern: str = "*", track: bool = True):
        if default is not None and not isinstance(default, (str, PurePath)):
            raise OptionError(f"InputFile: the default must be a str, got {got_text(default)}")
        if required and default:
            raise OptionError("InputFile: required=True and a default make no sense together")
        if not isinstance(pattern, str) or not pattern:
            raise OptionError(f"InputFile: pattern must be a glob pattern like '*.csv', got "
                              f"{got_text(pattern)}")
        self.default = None if default is None else str(default)
        self.required = bool(required)
        self.pattern = pattern
        self.track = bool(track)

    def _key(self) -> tuple:
        return (self.default, self.required, self.pattern, self.track)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InputFile) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(("InputFile", *self._key()))

    def __repr__(self) -> str:
        args = [repr(self.default)] if self.default is not None else []
        args += [f"{k}={v!r}" for k, v, plain in (("required", self.required, False),
                                                  ("pattern", self.pattern, "*"),
                                                  ("track", self.track, True)) if v != plain]
        return f"InputFile({', '.join(args)})"


for _cls in (OptionEnum, OptionString, RequiredOption, OptionDefault, InputFile):
    _cls.__module__ = "accel.options"  # how users import and see them (and pickles name them)
del _cls
