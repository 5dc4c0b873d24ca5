"""Keep pyarrow from importing pandas in a job process that never uses pandas.

pyarrow asks "is pandas installed?" the first time a process turns Python values or numpy
arrays into Arrow ones (`pa.array(...)`, `pa.scalar(x, type)`) and answers it by importing
pandas: a fifth to a third of a second, paid by every slice of every dataset job where
pandas is installed, although none of them uses it.

`defer()` has pyarrow ask while `import pandas` fails, so its answer is "no pandas" and
nothing is imported; then it watches for the first real `import pandas`. When anyone
imports pandas (a method, `to_pandas()`), pyarrow is told before the import returns, so
pandas objects given to pyarrow afterwards are seen as what they are. pyarrow asks again
by itself whenever it needs pandas (`to_pandas`, `Table.from_pandas`). Where pyarrow is
not imported yet, `defer()` does this as soon as it is.

Arrow's C++ side imports pandas too, on its own, when it infers a type from a Python value
(`pa.scalar(False)`, `pc.equal(arr, 0)`) or makes numpy arrays (`to_numpy()`); no hook
reaches that, so accel's dataset code does neither (accel.dataset.arrowvalues).

It reaches into pyarrow's private `pyarrow.lib._pandas_api`. If that is not there (another
pyarrow), `defer()` does nothing and pyarrow imports pandas as it always did.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
import types
from collections.abc import Callable, Sequence
from typing import Any


def defer() -> None:
    """In this process (and the processes it forks), import pandas only when someone
    asks for it. Does nothing where pandas is imported already, or where pyarrow has
    looked for it already; called again, nothing either."""
    if "pandas" in sys.modules or any(isinstance(f, _AfterImport) for f in sys.meta_path):
        return
    if "pyarrow" in sys.modules:
        _defer_now()
    else:
        sys.meta_path.insert(0, _AfterImport("pyarrow", _defer_now))


def _shim() -> Any:
    """pyarrow's lazy pandas importer (None: not this pyarrow, or none imported)."""
    return getattr(getattr(sys.modules.get("pyarrow"), "lib", None), "_pandas_api", None)


def _defer_now() -> None:
    shim = _shim()
    if shim is None or "pandas" in sys.modules:
        return
    refuse = _Refuse()
    sys.meta_path.insert(0, refuse)  # `import pandas` fails now, in this thread
    try:
        found = shim.have_pandas  # remembered from now on
    except Exception:
        return  # not the pyarrow this was written for: leave it as it is
    finally:
        sys.meta_path.remove(refuse)
    if not found and "pandas" not in sys.modules:
        sys.meta_path.insert(0, _AfterImport("pandas", _tell_pyarrow))


def _tell_pyarrow() -> None:
    """pyarrow looks for pandas again (its `pd` does, when it found none before)."""
    try:
        _shim().pd  # noqa: B018 (the property looks)
    except Exception:
        pass  # pandas did not import fully: pyarrow goes on without it, as it would


class _Refuse(importlib.abc.MetaPathFinder):
    """Makes `import pandas` fail in the thread that made it, while pyarrow looks."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname == "pandas" and threading.get_ident() == self.thread:
            raise ModuleNotFoundError("pandas is looked for later", name="pandas")
        return None


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls `then()` once module `name` has been executed by a real import. It stays on
    sys.meta_path until then: a mere `importlib.util.find_spec(name)`, or an import that
    fails, does not use it up."""

    def __init__(self, name: str, then: Callable[[], None]) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        spec = None
        for finder in list(sys.meta_path):  # what the import finds without us
            find = getattr(finder, "find_spec", None)
            if finder is not self and find is not None:
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        loader = spec.loader if spec is not None else None
        if loader is None or isinstance(loader, type):
            return spec  # no loader of its own to hook (a builtin, a namespace): as it is
        run = loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            del loader.exec_module  # the loader's own again, for whatever it loads next
            run(module)
            if self in sys.meta_path:
                sys.meta_path.remove(self)
                self.then()

        try:
            loader.exec_module = exec_module
        except (AttributeError, TypeError):
            pass  # a loader that takes no attributes: not watched
        return spec
