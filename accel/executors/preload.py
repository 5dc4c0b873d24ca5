"""Import what dataset jobs need before forking them, so each job need not.

A job is a fork of the process that starts it (the builder; on Dask a worker's fork
server) and starts with whatever that process has imported. Building stays light: the
method modules the builder imports load numpy and pyarrow only inside prepare, analysis
or synthesis, so that `ax run` of what is built already never loads them. The price was
paid by every dataset job, in its own process and its own exectime: numpy, pyarrow and
accel.dataset take a tenth of a second or more to import, as long as csvimport takes for
a million lines.

So the builder imports them once (`before_fork`) just before it forks a NEW job that will
likely use datasets (`likely_uses_datasets`); that job and every job forked after it start
with them. A reused job never gets here, so a cached `ax run` still imports none of them.
The fork server, which exists only to start jobs quickly, imports them when it starts
(`load`).

It is a speed hint and nothing more. A job guessed wrongly inherits modules it does not
use (the runner's dataset hooks then run for it and find no writer); a job missed imports
them itself, as before. The modules are those the job would import: the fork has the same
sys.path and environment -- but a method that sets OPENBLAS_NUM_THREADS or the like in
os.environ before its own `import numpy` finds numpy set up already. Their threads are no
concern across the fork: numpy's OpenBLAS and Arrow start theirs again in a forked child,
as the analysis slices of every job whose prepare imported them have always relied on.
"""

from __future__ import annotations

import importlib
import sys
import types

# What dataset jobs import: the reader and writer bring numpy, pyarrow and the Parquet
# files they store datasets in; bulk is the writer of whole columns (csvimport,
# dataset_type, sorting); csvimport parses with pyarrow.csv, in a thread pool. Not the standard methods' own helper modules (_dsio, _csvparse): they
# are part of the methods' source hashes, and a job runs them as they are on disk when it
# starts, not as they were when the builder imported them.
MODULES = ("numpy", "pyarrow", "pyarrow.parquet", "accel.dataset.reader",
           "accel.dataset.writer", "accel.dataset.storage", "accel.dataset.bulk",
           "pyarrow.csv", "concurrent.futures")

# What dataset code names: Job.dataset / datasetwriter, the classes (`from accel import
# Dataset`), and imports of what datasets are made of (pandas brings numpy and pyarrow).
_NAMES = frozenset({"dataset", "datasetwriter", "Dataset", "DatasetList", "DatasetWriter"})
_ROOTS = frozenset({"numpy", "pyarrow", "pandas"})

_verdicts: dict[types.ModuleType, bool] = {}
_failed: set[str] = set()  # of MODULES, those that would not import: not tried again


def load() -> None:
    """Import MODULES. One that cannot be imported is left to the job that needs it,
    which then says why."""
    for name in MODULES:
        if name not in sys.modules and name not in _failed:
            try:
                importlib.import_module(name)
            except Exception:
                _failed.add(name)


def before_fork(setup: dict | None) -> None:
    """The builder is about to fork the job of `setup` (setup.json): load MODULES if the
    job is likely to use datasets. xxhash always (a millisecond, once): every job hashes
    its files for post.json when it ends."""
    if "xxhash" not in sys.modules:
        importlib.import_module("xxhash")
    if setup is None or all(name in sys.modules or name in _failed for name in MODULES):
        return
    try:
        info = setup["method_info"]
        module = sys.modules.get(info["module"])
        if module is not None and getattr(module, "__file__", None) != info["file"]:
            module = None
        wanted = likely_uses_datasets(info["package"], setup.get("datasets"), module)
    except (KeyError, TypeError):
        return
    if wanted:
        load()


def likely_uses_datasets(package: str, dataset_inputs: dict | None,
                         module: types.ModuleType | None) -> bool:
    """A guess, from what the builder knows of a method before its job runs: a standard
    method (they all read or write datasets), a method that declares dataset inputs, or
    one whose code (not its strings or comments) names Job.dataset, datasetwriter, the
    dataset classes, accel.dataset, numpy, pyarrow or pandas."""
    from accel.methods import STANDARD_PACKAGE  # lazily: an executor need not load methods

    if package == STANDARD_PACKAGE or dataset_inputs:
        return True
    if module is None:
        return False
    verdict = _verdicts.get(module)
    if verdict is None:
        verdict = _verdicts[module] = _names_datasets(module)
    return verdict


def _names_datasets(module: types.ModuleType) -> bool:
    codes: list[types.CodeType] = []
    for value in list(vars(module).values()):
        if isinstance(value, types.ModuleType):  # import numpy as np, at the top
            if _is_dataset_name(value.__name__):
                return True
        elif isinstance(value, (type, types.FunctionType)):
            where = getattr(value, "__module__", None)
            if isinstance(where, str) and _is_dataset_name(where):  # from accel.dataset import
                return True
            if where == module.__name__:
                if isinstance(value, type):
                    codes += [v.__code__ for v in vars(value).values()
                              if isinstance(v, types.FunctionType)]
                else:
                    codes.append(value.__code__)
    while codes:
        code = codes.pop()
        if any(n in _NAMES or _is_dataset_name(n) for n in code.co_names):
            return True
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return False


def _is_dataset_name(name: str) -> bool:
    """An import of numpy/pyarrow/pandas or accel.dataset, or one of their modules."""
    return name.partition(".")[0] in _ROOTS or name == "accel.dataset" \
        or name.startswith("accel.dataset.")
