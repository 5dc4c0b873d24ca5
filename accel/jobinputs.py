"""What a job's method is given: its module, and its options and inputs as values.

The runner loads both from setup.json before prepare (the "loading inputs" part): an
input not given is NoJob / NoDataset, '' as in the Accelerator; a list of datasets is a
DatasetList. Datasets load lazily, so a job without dataset inputs never imports numpy.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from accel.dotdict import DotDict
from accel.job import Job, NoJob, to_dotdict


def load_method(setup: dict):
    """The method's module, its declarations kept aside (`methods.declarations`) before
    the runner gives its `options`, `datasets` and `jobs` the job's values."""
    from accel.methods import declarations

    module = _method_module(setup)
    declarations(module)
    return module


def _method_module(setup: dict):
    """The method's module, from the very source the job was planned with (setup.json's
    method_info "sha"): a job never runs code other than the code its hash records."""
    from accel.errors import MethodError
    from accel.methods import SHA, _import_package, forget_module, load_module

    m = setup["method_info"]
    planned = m.get("sha")
    loaded = sys.modules.get(m["module"])
    if loaded is not None and getattr(loaded, "__file__", None) == m["file"]:
        if planned is None or getattr(loaded, SHA, None) == planned:
            return loaded  # forked from the builder, which has imported it already
        forget_module(m["module"])
    _import_package(m["package_entry"])
    project = m.get("project_dir")
    if project and project not in sys.path:
        sys.path.insert(0, project)
    module = load_module(m["module"], Path(m["file"]), f"method {setup['method']!r}")
    if planned is not None and getattr(module, SHA, None) != planned:
        raise MethodError(f"{m['file']}: method {setup['method']!r} was edited after this job "
                          "was planned, so it would not run the code its source hash "
                          "records; run the build again")
    return module


def input_values(setup: dict) -> tuple[DotDict, DotDict, DotDict]:
    from accel.jsoncodec import decode

    # every dict a DotDict, in its order: nested options read as options.d.inner.x
    options = to_dotdict(decode(setup.get("options", {})))

    def wrap(v: Any, make: Callable[[Any], Any], listtype: Callable[[Iterable], Any] = list
             ) -> Any:
        if isinstance(v, list):
            return listtype(make(x) for x in v)
        return make(v)  # one not given: NoJob / NoDataset, '' as in the Accelerator

    jobs = DotDict((k, wrap(v, _job)) for k, v in setup.get("jobs", {}).items())
    datasets = DotDict((k, wrap(v, _dataset, _dataset_list())) for k, v in
                       setup.get("datasets", {}).items())
    _note_not_given([k for k, v in setup.get("datasets", {}).items() if not v and v != []])
    return options, datasets, jobs


def forget_inherited_datasets() -> None:
    """A job process forked from a running one: what the parent's reader knew is not ours."""
    reader = sys.modules.get("accel.dataset.reader")  # not loaded: nothing to forget
    if reader is not None:
        reader.forget_inherited()


def _note_not_given(names: list[str]) -> None:
    if not names:  # nothing to say: a job without datasets never loads them
        return
    try:
        from accel.dataset.reader import note_not_given
    except ImportError:
        return
    note_not_given(names)


def _dataset_list() -> type:
    """A list of datasets is a DatasetList (`.lines`, `.iterate`), as in the Accelerator."""
    try:
        from accel.dataset import DatasetList
    except ImportError:
        return list
    return DatasetList


def _job(ref: str | None) -> Job:
    return Job(ref) if ref else NoJob


def _dataset(ref: str | None):
    try:
        from accel.dataset import Dataset, NoDataset
    except ImportError:
        return ref or ""
    if not ref:
        return NoDataset
    job, _, name = ref.partition("/")
    return Dataset(Job(job), name or "default")
