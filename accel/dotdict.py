"""A dict whose keys are also attributes (`options.message`)."""

from __future__ import annotations

from typing import Any


class DotDict(dict):
    """dict with attribute access; nested plain dicts stay as given."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            if name.startswith("__"):
                raise AttributeError(name)
            raise AttributeError(f"no key {name!r} (have: {', '.join(map(str, self)) or 'none'})")

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name)

    def __dir__(self):
        return list(self.keys()) + list(super().__dir__())

    def __getstate__(self):
        return dict(self)

    def __setstate__(self, state: dict) -> None:
        self.update(state)

    def __reduce__(self):
        return (type(self), (dict(self),))
