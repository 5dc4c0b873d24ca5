"""Datasets' rows out as one Parquet file, streamed: `parquetexport` writes it to a file,
the board sends it to a browser while it is being made.

The columns are the Arrow types of the dataset files (arrowtypes.py, through
`arrow_batches`), with the accel type in each field's metadata, so nothing is rounded and
`parquetimport` reads the file back as the same dataset. Rows go out a row group of
GROUP_ROWS at a time, so memory stays bounded whatever the size of the datasets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

GROUP_ROWS = 1 << 17  # rows per row group


def parquet_groups(sink: IO[bytes] | Any, datasets: Iterable[Any], labels: list[str],
                   slices: Iterable[int], compression: str | None = "zstd") -> Iterator[int]:
    """Write columns `labels` of slices `slices` of each dataset (in that order) to `sink`
    as one Parquet file; yields the rows written after each row group (the last one after
    the footer), so a caller can pass the bytes on as they are made."""
    datasets = list(datasets)
    slices = list(slices)
    schema = datasets[0].arrow_schema(labels)
    writer = pq.ParquetWriter(sink, schema, compression=compression or "none")
    pending: list[pa.RecordBatch] = []
    rows = 0

    def flush() -> None:
        if pending:
            writer.write_table(pa.Table.from_batches(pending, schema))
            pending.clear()

    for ds in datasets:
        for sliceno in slices:
            for batch in ds.arrow_batches(labels, sliceno):
                pending.append(batch)
                rows += batch.num_rows
                if sum(b.num_rows for b in pending) >= GROUP_ROWS:
                    flush()
                    yield rows
    flush()
    writer.close()
    yield rows


def write_parquet(sink: IO[bytes] | Any, datasets: Iterable[Any], labels: list[str],
                  slices: Iterable[int], compression: str | None = "zstd") -> int:
    """parquet_groups, all at once: the rows written."""
    written = list(parquet_groups(sink, datasets, labels, slices, compression))
    return written[-1]
