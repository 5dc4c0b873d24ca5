"""ax cat: the rows of a dataset, as text for people or csv/tsv/JSON lines for programs.

Rows stream: a slice is read and written a chunk at a time, `--head` stops reading once it
has its rows and `--tail` skips whole slices it does not need, so a dataset of any size is
printed in constant memory. A reader that goes away (`ax cat REF | head`) ends it quietly.
"""

from __future__ import annotations

import io
import itertools
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from accel.view.rows import NUMERIC, TEXT_ESC, TSV_ESC, make_plan, row_chunks

if TYPE_CHECKING:
    from accel.dataset import Dataset

FORMATS = ("text", "csv", "tsv", "json")
WIDTH_SAMPLE = 1000  # rows the text format looks at to size its columns

SIZED = {"int32", "int64", "date", "datetime", "time"}  # longest text is at min or max


@click.command()
@click.argument("ref", metavar="REF")
@click.option("--slice", "-s", "sliceno", type=click.IntRange(min=0), default=None, metavar="N",
              help="Only slice N (default: every slice, in order).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS, case_sensitive=False),
              default=None, help="text (aligned, for people; the default), csv, tsv, or json "
                                 "(one object per line).")
@click.option("--columns", "-c", "columns", multiple=True, metavar="A,B",
              help="Only these columns, in this order (comma-separated, or repeat -c).")
@click.option("--head", type=click.IntRange(min=0), default=None, metavar="N",
              help="Only the first N rows.")
@click.option("--tail", type=click.IntRange(min=0), default=None, metavar="N",
              help="Only the last N rows (of the first --head rows, when both are given).")
@click.option("--no-header", "no_header", is_flag=True, help="Leave out the line of column names.")
@click.option("--chain", "chain", is_flag=True,
              help="The whole chain of previous datasets, oldest first, then this one.")
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@click.pass_context
def cat(ctx: click.Context, ref: str, sliceno: int | None, fmt: str | None,
        columns: tuple[str, ...], head: int | None, tail: int | None, no_header: bool,
        chain: bool, as_json: bool) -> None:
    """Print the rows of dataset REF (JOB/NAME, or JOB for its dataset 'default').

    text is aligned columns (None as None, tabs and newlines in strings shown as \\t, \\n);
    csv quotes fields as needed (lines end in \\n, not \\r\\n); tsv escapes backslash, tab, newline and CR as \\\\,
    \\t, \\n, \\r. In csv and tsv None is an empty field. json is one object per row with
    dates as ISO text and NaN/Infinity as strings. Output is UTF-8.
    """
    from accel.cli.ds import open_dataset
    from accel.errors import UserError
    from accel.view.datasets import chain_of, columns_of

    fmt = (fmt or "").lower() or None
    if as_json:
        if fmt not in (None, "json"):
            raise UserError(f"--json and --format {fmt} ask for different formats")
        fmt = "json"
    fmt = fmt or "text"
    _job, dset, _names = open_dataset(ctx, ref)
    datasets = chain_of(dset) if chain else [dset]

    # which columns (a name that has a comma is taken whole), checked against every dataset
    types_last = {n: t for n, t, _ in columns_of(dset)}
    wanted = [c for arg in columns
              for c in ([arg] if arg in types_last else [x.strip() for x in arg.split(",")])]
    if any(not c for c in wanted):
        raise UserError(f"--columns {','.join(columns)!r}: an empty column name")
    twice = sorted({c for c in wanted if wanted.count(c) > 1})
    if twice:
        raise UserError(f"--columns: {', '.join(map(repr, twice))} asked for more than once")
    names = wanted or list(types_last)

    plan, row_fns, cell_fns = make_plan(datasets, names, fmt, sliceno)

    total = sum(n for _, _, n in plan)
    start, stop = 0, total
    if head is not None:
        stop = min(stop, head)
    if tail is not None:
        start = max(start, stop - tail)
    chunks = row_chunks(plan, names, row_fns, start, stop)

    out = sys.stdout.buffer
    try:
        sys.stdout.flush()
        if fmt == "text":
            right = [types_last.get(n) in NUMERIC for n in names]
            # kinds whose longest text is at min or max are sized from those, so rows past
            # the sample stay aligned too
            widths = [0] * len(names)
            for i, n in enumerate(names):
                if types_last.get(n) in SIZED:
                    for d in datasets:
                        f = cell_fns[str(d)][i] or str
                        for v in _minmax(d, n):
                            widths[i] = max(widths[i], len(f(v)))
            write_text(out, names, chunks, not no_header, right, widths)
        elif fmt == "csv":
            write_csv(out, names, chunks, not no_header)
        else:
            if fmt == "tsv" and not no_header:
                out.write(_encode("\t".join(n.translate(TSV_ESC) for n in names) + "\n"))
            write_lines(out, chunks)
        out.flush()
    except BrokenPipeError:
        # the reader is gone (`| head`): stop quietly, and keep Python's exit flush quiet too
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


def _minmax(d: Dataset, name: str) -> list[Any]:
    from accel.errors import AccelError

    try:
        return [v for v in (d.min(name), d.max(name)) if v is not None]
    except (AccelError, KeyError, TypeError, ValueError):
        return []


# --- writers ----------------------------------------------------------------------------------


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "backslashreplace")


def write_text(out: BinaryIO, names: list[str], chunks: Iterator[list[tuple]], header: bool,
               right: list[bool], widths: list[int]) -> None:
    """Aligned columns; widths from min/max where known, else from the first rows."""
    from accel.colour import colour

    head_cells = [n.translate(TEXT_ESC) for n in names]
    first: list[tuple] = []
    for chunk in chunks:
        first += chunk
        if len(first) >= WIDTH_SAMPLE:
            break
    if header:
        widths = [max(w, len(h)) for w, h in zip(widths, head_cells, strict=True)]
    for i in range(len(names)):
        widths[i] = max([widths[i], *(len(row[i]) for row in first)])
    last = len(names) - 1
    # one format string for the line (the last column is not padded unless right-aligned)
    spec = "  ".join(f"{{:>{w}}}" if r else ("{}" if i == last else f"{{:<{w}}}")
                     for i, (w, r) in enumerate(zip(widths, right, strict=True)))
    line = spec.format
    if header and names:
        out.write(_encode(colour(line(*head_cells), "bold") + "\n"))
    if first:
        out.write(_encode("\n".join(itertools.starmap(line, first)) + "\n"))
    for chunk in chunks:
        out.write(_encode("\n".join(itertools.starmap(line, chunk)) + "\n"))


def write_csv(out: BinaryIO, names: list[str], chunks: Iterator[list[tuple]], header: bool) -> None:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(names)
    for chunk in chunks:
        w.writerows(chunk)
        out.write(_encode(buf.getvalue()))
        buf.seek(0)
        buf.truncate()
    if buf.tell():
        out.write(_encode(buf.getvalue()))


def write_lines(out: BinaryIO, chunks: Iterator[list[str]]) -> None:
    """Rows already made into lines (tsv, json)."""
    for chunk in chunks:
        out.write(_encode("\n".join(chunk) + "\n"))
