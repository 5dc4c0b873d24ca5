"""The end of a dataset being written, and the writers this process holds until then.

A DatasetWriter is in `_writers` from when it is made: `dw.finish()` (Finishing, which
DatasetWriter inherits) writes its meta.json and moves it to `_done`, `dw.discard()` drops
it. The runner's hooks work on the registries: enter_slice/leave_slice around each
analysis slice, finish_all at the end of a successful job, drop_unfinished for a job that
failed for a full disk (writer.py re-exports them: the runner calls them there).
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accel import g, layout
from accel.atomic import write_bytes
from accel.dataset import format as fmt
from accel.dataset.minmax import merge_minmax
from accel.dataset.slicestate import SliceState
from accel.dataset.types import ColumnType, DatasetUsageError, NoSuchDatasetError
from accel.job import Job
from accel.jsoncodec import encode as json_encode

if TYPE_CHECKING:
    from accel.dataset.reader import Dataset

# writers of the job(s) running in this process, by (job path, dataset name): those still
# writing, and those finish() has made datasets of (kept to name them in post.json, and to
# refuse rows written after finish() through a write function kept from before)
_writers: dict[tuple[str, str], Finishing] = {}
_done: dict[tuple[str, str], Finishing] = {}
_in_slice: int | None = None  # set in an analysis slice process by enter_slice


class Finishing:
    """DatasetWriter's end: finish() and discard() in prepare or synthesis, what an analysis
    slice leaves for the main process, and meta.json made from all of it."""

    # DatasetWriter's, set in its __init__ and as it writes
    name: str
    job: Job
    job_path: Path
    dir: Path
    slices: int
    caption: str
    filename: str | None
    hashlabel: str | None
    compression: str | None
    allow_missing_slices: bool
    previous: Dataset | str | None
    parent: Dataset | None
    _dataset: Dataset | None
    _states: dict[int, SliceState]
    _written: set[int]
    _spec: list[tuple[str, ColumnType, bool]]
    _lists: list[list]
    _split: tuple[list[list], Any]
    _frozen: bool
    _finished: bool
    _prepare_wrote: bool  # set by enter_slice: prepare had written to this writer

    def flush(self) -> None:
        raise NotImplementedError  # DatasetWriter's

    def _freeze(self) -> None:
        raise NotImplementedError  # DatasetWriter's

    def _state(self, sliceno: int) -> SliceState:
        raise NotImplementedError  # DatasetWriter's

    def finish(self) -> Any:
        """Finish the dataset now (in prepare or synthesis) and return it, as in the
        Accelerator: flushed, checked, its meta.json written, no more rows. The job reads
        it from then on; any other process only once the job has finished (a job that
        fails has no datasets). Writers not finished here finish with the job."""
        if self._dataset is not None:
            return self._dataset
        self._check_usable("finish()")
        from accel.dataset.reader import Dataset, own_finished

        if self.previous is not None and not isinstance(self.previous, Dataset):
            try:  # another writer of this job: readable only once it is finished
                self.previous = Dataset(self.previous)
            except NoSuchDatasetError:
                raise DatasetUsageError(
                    f"datasetwriter {self.name!r}: finish its previous, "
                    f"{self.previous.partition('/')[2]!r}, first") from None
        fmt.write_meta(self.dir, self._final_meta())
        own_finished(self.dir)
        key = (str(self.job_path), self.name)
        _done[key] = _writers.pop(key)
        self._end_writing()
        self._dataset = Dataset(self.job, self.name)
        return self._dataset

    def _check_usable(self, call: str) -> None:
        """finish() and discard() are for prepare or synthesis, once."""
        if _in_slice is not None or g.running == "analysis":
            raise DatasetUsageError(
                f"datasetwriter {self.name!r}: {call} in analysis, where each slice writes "
                "its own slice; call it in prepare or synthesis (a writer not finished "
                "finishes with the job)")
        if self._dataset is not None or (str(self.job_path), self.name) not in _writers:
            state = "finished" if self._dataset is not None else "discarded"
            raise DatasetUsageError(f"datasetwriter {self.name!r}: {call} after it was {state}")

    def _end_writing(self) -> None:
        """No more rows: the write functions go (one kept from before fails when it flushes)."""
        self._finished = True
        for attr in ("write", "write_list", "write_dict"):
            self.__dict__.pop(attr, None)

    def discard(self) -> None:
        """Drop this writer and what it wrote: the job will have no such dataset (in prepare
        or synthesis: the analysis slices write the slices of one dataset together)."""
        self._check_usable("discard()")
        me = f"{self.job}/{self.name}"
        users = sorted(w.name for w in _writers.values()
                       if w is not self and w.previous is not None and str(w.previous) == me)
        if users:  # they would be published with a previous that does not exist
            raise DatasetUsageError(f"datasetwriter {self.name!r}: discard(): "
                                    f"{', '.join(map(repr, users))} has it as previous; "
                                    "discard those first, or keep it")
        self._end_writing()
        if self._frozen and self._lists:
            for lst in self._lists:
                lst.clear()
        _writers.pop((str(self.job_path), self.name), None)
        for st in self._states.values():
            try:
                st.close()
            except Exception:
                pass  # its files are removed next, whatever state they were in
        shutil.rmtree(self.dir, ignore_errors=True)


    def _summaries_dir(self) -> Path:
        return self.job_path / layout.SCRATCH / "datasets" / self.name

    def _leave_slice(self, sliceno: int) -> None:
        """In an analysis slice process: flush, and tell the main process what was written:
        the slice's summary, or None for no rows. A slice with no rows still counts as
        written (as in the Accelerator), unless prepare had started the writer itself
        (set_slice, a split writer): then the slices are prepare's to write."""
        self.flush()
        st = self._states.get(sliceno)
        mine = st if st is not None and st.mine else None
        if mine is not None or not self._prepare_wrote:
            d = self._summaries_dir()
            d.mkdir(parents=True, exist_ok=True)
            summary = mine.close() if mine is not None else None
            write_bytes(d / f"{sliceno}.pickle", pickle.dumps(summary))

    def _check_written(self, by_analysis: set[int]) -> None:
        """Every slice written (an empty one too), as in the Accelerator; with
        allow_missing_slices those not written are empty. A writer nothing was written to
        is an error either way: a forgotten writer, not an empty dataset."""
        if not self._spec:
            return  # no columns of its own: its rows are its parent's
        written = self._written | by_analysis
        if not written:
            raise DatasetUsageError(
                f"datasetwriter {self.name!r} was never written: no dw.set_slice(n), no "
                "dw.get_split_write() (dw.discard() a writer the job should not have)")
        missing = set(range(self.slices)) - written
        if missing and not self.allow_missing_slices:
            raise DatasetUsageError(
                f"datasetwriter {self.name!r}: not all slices written, missing slices "
                f"{missing} (dw.set_slice(n) each, an empty slice too, or "
                "allow_missing_slices=True to leave them empty)")

    def _final_meta(self) -> dict:
        """Flush, merge what the slices wrote, check, and make meta.json's content."""
        self._freeze()
        self.flush()
        from_slices = {}
        d = self._summaries_dir()
        if d.is_dir():
            for p in d.glob("*.pickle"):
                from_slices[int(p.stem)] = pickle.loads(p.read_bytes())
        self._check_written(set(from_slices))
        per_slice = []
        for s in range(self.slices):
            own = self._states.get(s)
            if from_slices.get(s) is not None:
                if own is not None and own.lines:
                    raise DatasetUsageError(
                        f"datasetwriter {self.name!r}: slice {s} was written both by analysis "
                        "and in prepare/synthesis; write each slice from one place")
                per_slice.append(from_slices[s])
            else:
                per_slice.append(self._state(s).close())
        lines = [p["lines"] for p in per_slice]
        if self.parent is not None and lines != list(self.parent.lines) and self._spec:
            raise DatasetUsageError(
                f"datasetwriter {self.name!r}: rows per slice {lines} differ from the parent "
                f"{self.parent}'s {list(self.parent.lines)}: a child needs the same rows")
        if self.parent is not None and not self._spec:
            lines = list(self.parent.lines)
        columns = {}
        minmax = {}
        fold: dict[str, list[list[int]]] = {}
        from accel.dataset.decode import scalar

        for i, (name, ct, ns) in enumerate(self._spec):
            columns[name] = {"type": ct.name, "none_support": ns}
            mm = None
            for p in per_slice:
                mm = merge_minmax(mm, p["minmax"][i])
            if ct.ordered:
                minmax[name] = json_encode([scalar(ct, mm[0]), scalar(ct, mm[1])]) \
                    if mm else [None, None]
            if any(i in p["fold"] for p in per_slice):
                fold[name] = [p["fold"].get(i, []) for p in per_slice]
        return {
            "format": fmt.FORMAT, "job": str(self.job), "name": self.name,
            "columns": columns, "lines": lines, "slices": self.slices,
            "hashlabel": self.hashlabel,
            "previous": str(self.previous) if self.previous else None,
            "parent": str(self.parent) if self.parent else None,
            "caption": self.caption, "minmax": minmax, "fold": fold,
            **({"filename": self.filename} if self.filename is not None else {}),
            "compression": self.compression,
            "files": [p["file"] for p in per_slice] if self._spec else [],
        }



# --- the runner's hooks ----------------------------------------------------------------------


def _of_job(job_path: Path, registry: dict | None = None) -> list[Finishing]:
    """The job's writers still writing (or, given `_done`, those finish() finished)."""
    key = str(job_path)
    return [w for (p, _), w in (_writers if registry is None else registry).items()
            if p == key]


def enter_slice(job_path: Path, sliceno: int) -> None:
    """In a forked analysis slice: this process writes slice `sliceno` of every writer.
    Rows the main process had buffered stay the main process's to write."""
    global _in_slice
    _in_slice = sliceno
    for w in _of_job(job_path):
        w._freeze()
        for lst in w._lists:
            lst.clear()
        if hasattr(w, "_split"):
            for lst in w._split[0]:
                lst.clear()
        for st in w._states.values():
            st.mine = 0
        w._prepare_wrote = bool(w._written)


def leave_slice(job_path: Path, sliceno: int) -> None:
    """At the end of an analysis slice: its rows on disk, its summary for finish_all."""
    for w in _of_job(job_path, _done):
        w.flush()  # rows given after finish() through a kept write function: an error
    for w in _of_job(job_path):
        w._leave_slice(sliceno)


def _forget(job_path: Path) -> None:
    """The job's writers, finished or not, no longer kept by this process."""
    for registry in (_writers, _done):
        for k in [k for k in registry if k[0] == str(job_path)]:
            del registry[k]


def drop_unfinished(job_path: Path) -> None:
    """A job that failed for a full disk: remove the slice files of its datasets, to give
    the space back. No process can read them (a failed job has no datasets), not even
    those dw.finish() finished."""
    job_path = Path(job_path)
    _forget(job_path)
    base = job_path / fmt.DATASETS
    if base.is_dir():
        for d in sorted(base.iterdir()):
            if d.is_dir():
                shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(job_path / layout.SCRATCH / "datasets", ignore_errors=True)


def finish_all(job_path: Path) -> list[str]:
    """At the end of a successful job: finish every writer finish() did not, then write
    each meta.json. Returns the names of the datasets the job now has."""
    from accel.dataset.reader import own_finished

    job_path = Path(job_path)
    writers = _of_job(job_path)
    early = _of_job(job_path, _done)
    for w in early:
        w.flush()  # rows given after finish() through a kept write function: an error
    metas = [(w, w._final_meta()) for w in writers]
    base = job_path / fmt.DATASETS
    if base.is_dir():
        known = {w.dir.name for w in writers + early}
        for d in sorted(base.iterdir()):
            if d.is_dir() and d.name not in known and not (d / fmt.META).exists():
                raise DatasetUsageError(
                    f"dataset {layout.dataset_name(d.name)!r} was started in a process the job does not finish "
                    "(a datasetwriter made in analysis?): make it in prepare or synthesis")
    for w, meta in metas:
        fmt.write_meta(w.dir, meta)
        own_finished(w.dir)
    _forget(job_path)
    shutil.rmtree(job_path / layout.SCRATCH / "datasets", ignore_errors=True)
    return [w.name for w in early + writers]
