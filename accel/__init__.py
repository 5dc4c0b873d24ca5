"""accel: build-and-cache job execution for Python, in the style of the Accelerator.

The names an Accelerator user expects are here; heavy modules load only when a name is
first used, so `ax --help` and a cache hit stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Job": "accel.job",
    "CurrentJob": "accel.job",
    "JobWithFile": "accel.job",
    "OptionEnum": "accel.options",
    "OptionString": "accel.options",
    "RequiredOption": "accel.options",
    "OptionDefault": "accel.options",
    "InputFile": "accel.options",
    "DotDict": "accel.dotdict",
    "JobError": "accel.errors",
    "JobDamaged": "accel.errors",
    "UserError": "accel.errors",
    "NotFound": "accel.errors",
    "SkipSlice": "accel.errors",
    "SkipDataset": "accel.errors",
    "DatasetList": "accel.dataset",
    "Dataset": "accel.dataset",
    "DatasetWriter": "accel.dataset",
    "build": "accel.subjobs",
    "status": "accel.statmsg",
    "dummy_status": "accel.statmsg",
    "DatasetUsageError": "accel.dataset",
    "NoSuchDatasetError": "accel.dataset",
    "colour": "accel.colour",
}

__all__ = sorted(_LAZY)

# `accel.build` is two things, as in the Accelerator: the function (`from accel import
# build`) and the module of the Accelerator's import path (`from accel.build import
# JobError`). The small module is imported now and its name let go, so that importing it
# later cannot put the module where the function is.
importlib.import_module("accel.build")
globals().pop("build", None)


def __getattr__(name: str) -> Any:
    modname = _LAZY.get(name)
    if modname is None:
        raise AttributeError(f"module 'accel' has no attribute {name!r}")
    module = importlib.import_module(modname)
    value = module if name == "colour" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names only: not this file's helpers, nor the submodules imported so far."""
    return sorted({*_LAZY, "__version__"})
