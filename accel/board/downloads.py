"""A dataset's rows as a file to download, CSV or Parquet, made a piece at a time while it
is sent: a dataset of any size goes out in bounded memory.

CSV is `csv-exact` (accel.view.rows): a header line of column names, then one line a row,
every value written so that it reads back exactly (the README says how, type by type).
Parquet is what `parquetexport` writes (accel.dataset.parquetout): the Arrow types of the
dataset files, the accel type in each field's metadata.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accel.dataset import Dataset

KINDS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
ENCODING = ("utf-8", "surrogateescape")  # bytes values go out as the bytes they are


@dataclass
class Download:
    """A file made while it is sent: its name and type, and its bytes, piece by piece."""

    name: str
    content_type: str
    pieces: Iterator[bytes]


def download(dset: Dataset, kind: str) -> Download:
    """Dataset `dset` as a `kind` ('csv' or 'parquet') file named after it. Its first piece
    is made now, so a dataset that cannot be read is an error page rather than a file cut
    short."""
    pieces = csv_pieces(dset) if kind == "csv" else parquet_pieces(dset)
    first = next(pieces, b"")
    return Download(file_name(str(dset), kind), KINDS[kind], itertools.chain([first], pieces))


def file_name(dsid: str, ext: str) -> str:
    """'dev-3/default' -> 'dev-3_default.csv': the dataset's id with every character that
    is not a letter, digit, '.', '-' or '_' made '_' (a name safe on any disk)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", dsid.replace("/", "_", 1)) + "." + ext


def csv_pieces(dset: Dataset) -> Iterator[bytes]:
    """The header line, then the rows, a chunk of lines at a time."""
    from accel.view.datasets import columns_of, lines_of
    from accel.view.rows import csv_field, make_plan, row_chunks

    names = [name for name, _, _ in columns_of(dset)]
    plan, row_fns, _ = make_plan([dset], names, "csv-exact")
    yield (",".join(map(csv_field, names)) + "\n").encode(*ENCODING)
    for lines in row_chunks(plan, names, row_fns, 0, sum(lines_of(dset))):
        yield ("\n".join(lines) + "\n").encode(*ENCODING)


class _Pipe:
    """What pyarrow writes to, kept until taken: a file-like sink that only appends."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def parquet_pieces(dset: Dataset) -> Iterator[bytes]:
    """The Parquet file, a row group at a time (the footer with the last one)."""
    from accel.dataset.parquetout import parquet_groups

    pipe = _Pipe()
    for _ in parquet_groups(pipe, [dset], list(dset.columns), range(dset.slices)):
        data = pipe.take()
        if data:
            yield data
