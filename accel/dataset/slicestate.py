"""SliceState: one slice of a dataset being written, as this process has written it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from accel.dataset import storage
from accel.dataset.chunk import Chunk
from accel.dataset.minmax import chunk_minmax, merge_minmax
from accel.dataset.types import ColumnType


class SliceState:
    """What has been written to one slice: its file, per-column min/max, and the rows of
    datetime and time columns whose value has fold=1."""

    def __init__(self, ds_dir: Path, sliceno: int, columns: list[tuple[str, ColumnType, bool]],
                 compression: str | None, schema_meta: dict):
        self.sliceno = sliceno
        self.file = storage.slice_writer(ds_dir, sliceno, columns, compression, schema_meta) \
            if columns else None
        self.minmax: list[Any] = [None] * len(columns)
        self.fold: dict[int, list[int]] = {}
        self.lines = 0
        self.mine = 0  # rows appended by this process (analysis slices report those)
        self.summary: dict | None = None

    def append(self, chunks: list[Chunk]) -> None:
        for i, chunk in enumerate(chunks):
            self.minmax[i] = merge_minmax(self.minmax[i], chunk_minmax(chunk))
            if chunk.fold is not None:
                rows = np.flatnonzero(chunk.fold) + self.lines
                self.fold.setdefault(i, []).extend(rows.tolist())
        if self.file is not None:
            self.file.append(chunks)
        n = chunks[0].n if chunks else 0
        self.lines += n
        self.mine += n

    def close(self) -> dict:
        """Finish the slice's file (once): what meta.json says of this slice."""
        if self.summary is None:
            entry = self.file.close() if self.file is not None else None
            self.summary = {"lines": self.lines, "file": entry, "minmax": self.minmax,
                            "fold": self.fold}
        return self.summary
