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
from collections.abc import Callable, Iterator
from typing import Any

import click

from accel.cli.common import close_hint

FORMATS = ("text", "csv", "tsv", "json")
CHUNK = 4096  # rows formatted and written at a time
WIDTH_SAMPLE = 1000  # rows the text format looks at to size its columns

NUMERIC = {"int32", "int64", "float32", "float64", "number", "complex32", "complex64"}
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
    from accel.cli.ds import chain_of, columns_of, open_dataset
    from accel.errors import UserError

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
    chunks = _chunks(plan, names, row_fns, start, stop)

    out = click.get_binary_stream("stdout")
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
                out.write(_encode("\t".join(n.translate(_TSV_ESC) for n in names) + "\n"))
            write_lines(out, chunks)
        out.flush()
    except BrokenPipeError:
        # the reader is gone (`| head`): stop quietly, and keep Python's exit flush quiet too
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


Plan = list[tuple[Any, int, int]]  # (dataset, slice, lines) in output order


def make_plan(datasets: list[Any], names: list[str], fmt: str, sliceno: int | None = None
              ) -> tuple[Plan, dict[str, Callable[[tuple], Any] | None],
                         dict[str, list[Callable[[Any], Any] | None]]]:
    """What to read, in order, and how to format it: (plan, row function per dataset,
    cell functions per dataset). A column or slice a dataset lacks is NotFound."""
    from accel.cli.ds import columns_of, ds_id, lines_of
    from accel.errors import NotFound

    plan: Plan = []
    row_fns: dict[str, Callable[[tuple], Any] | None] = {}  # per dataset: a row -> output
    cell_fns: dict[str, list[Callable[[Any], Any] | None]] = {}
    for d in datasets:
        cols = {n: (t, ns) for n, t, ns in columns_of(d)}
        for n in names:
            if n not in cols:
                raise NotFound(f"no column {n!r} in {ds_id(d)}{close_hint(n, list(cols))} "
                               f"(columns: {', '.join(cols)})")
        cell_fns[str(d)] = [cell_formatter(cols[n][0], bool(cols[n][1]), fmt) for n in names]
        row_fns[str(d)] = row_formatter(cell_fns[str(d)], names, fmt)
        lines = lines_of(d)
        if sliceno is not None:
            if sliceno >= len(lines):
                raise NotFound(f"{ds_id(d)} has no slice {sliceno} (it has {len(lines)} "
                               f"slices: 0-{max(len(lines) - 1, 0)})")
            plan.append((d, sliceno, lines[sliceno]))
        else:
            plan += [(d, s, n) for s, n in enumerate(lines)]
    return plan, row_fns, cell_fns


def head_rows(dset: Any, n: int, fmt: str = "text") -> tuple[list[str], list[Any]]:
    """(column names, the first n rows) as `ax cat --head N -f FMT` formats them: text and
    csv rows are tuples of cells, tsv and json rows are lines."""
    from accel.cli.ds import columns_of

    names = [name for name, _, _ in columns_of(dset)]
    plan, row_fns, _ = make_plan([dset], names, fmt)
    rows: list[Any] = []
    for chunk in _chunks(plan, names, row_fns, 0, min(n, sum(c for _, _, c in plan))):
        rows += chunk
    return names, rows


def _minmax(d: Any, name: str) -> list[Any]:
    from accel.errors import AccelError

    try:
        return [v for v in (d.min(name), d.max(name)) if v is not None]
    except (AccelError, KeyError, TypeError, ValueError):
        return []


def _chunks(plan: list[tuple[Any, int, int]], names: list[str],
            row_fns: dict[str, Callable[[tuple], Any] | None], start: int, stop: int
            ) -> Iterator[list[Any]]:
    """Rows start..stop of the plan, formatted, CHUNK rows at a time."""
    pos = 0
    for d, s, n in plan:
        lo, hi = max(start, pos), min(stop, pos + n)
        if lo < hi:
            fn = row_fns[str(d)]
            it = itertools.islice(d.iterate(s, list(names)), lo - pos, hi - pos)
            while chunk := list(itertools.islice(it, CHUNK)):
                yield chunk if fn is None else list(map(fn, chunk))
        pos += n
        if pos >= stop:
            return


# --- writers ----------------------------------------------------------------------------------


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "backslashreplace")


def write_text(out: Any, names: list[str], chunks: Iterator[list[tuple]], header: bool,
               right: list[bool], widths: list[int]) -> None:
    """Aligned columns; widths from min/max where known, else from the first rows."""
    from accel.colour import colour

    head_cells = [n.translate(_TEXT_ESC) for n in names]
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


def write_csv(out: Any, names: list[str], chunks: Iterator[list[tuple]], header: bool) -> None:
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


def write_lines(out: Any, chunks: Iterator[list[str]]) -> None:
    """Rows already made into lines (tsv, json)."""
    for chunk in chunks:
        out.write(_encode("\n".join(chunk) + "\n"))


# --- formatting: a function per column, chosen by type, None support and format; then one
# --- generated function per row that calls them (a column that needs nothing is passed as is)

_TEXT_ESC = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})
_TSV_ESC = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})

_INTS = {"int32", "int64"}
_FLOATS = {"float32", "float64"}
_WHEN = {"date", "datetime", "time"}
_TEXT = {"ascii", "unicode"}


def row_formatter(fns: list[Callable[[Any], Any] | None], names: list[str], fmt: str
                  ) -> Callable[[tuple], Any] | None:
    """row tuple -> tuple of cells (text, csv) or one line (tsv, json); None: the row as is."""
    env: dict[str, Any] = {}
    cells = []
    for i, f in enumerate(fns):
        if f is None:
            cells.append(f"r[{i}]")
        else:
            env[f"f{i}"] = f
            cells.append(f"f{i}(r[{i}])")
    if fmt in ("text", "csv"):
        if not env and fmt == "csv":
            return None
        body = "(" + "".join(c + ", " for c in cells) + ")"
    elif fmt == "tsv":
        body = "'\\t'.join((" + "".join(c + ", " for c in cells) + "))"
    else:
        import json

        parts = []
        for i, (name, c) in enumerate(zip(names, cells, strict=True)):
            env[f"k{i}"] = ("{" if i == 0 else ", ") + json.dumps(name, ensure_ascii=False) + ": "
            parts += [f"k{i}", c]
        body = "''.join((" + ", ".join(parts) + ", '}'))" if parts else "'{}'"
    return eval(f"lambda r: {body}", env)  # the code is ours: names only live in env


def cell_formatter(typ: str, none_support: bool, fmt: str) -> Callable[[Any], Any] | None:
    """The function for one value of a column, or None when the value goes out as it is."""
    f = _cell(typ, fmt)
    if not none_support:
        return f
    if f is None:
        return None  # csv: the writer makes None an empty field itself
    if fmt == "text" and f in (str, repr):  # str(None) is already 'None'
        return f
    none = {"text": "None", "csv": None, "tsv": "", "json": "null"}[fmt]
    return lambda v: none if v is None else f(v)


def _cell(typ: str, fmt: str) -> Callable[[Any], Any] | None:
    import numpy as np  # loaded already: the dataset reader uses it

    f32, c64 = np.float32, np.complex64

    def short32(v: float) -> str:
        """A float32 value as its shortest text ('0.1', not '0.10000000149011612')."""
        return str(f32(v))

    def bytes_text(v: bytes) -> str:
        return v.decode("utf-8", "backslashreplace")

    if fmt == "json":
        import json

        enc = json.JSONEncoder(ensure_ascii=False, default=repr).encode
        estr = json.encoder.encode_basestring  # type: ignore[attr-defined]

        def jfloat(v: float) -> str:
            if v != v or v in (float("inf"), float("-inf")):
                return '"NaN"' if v != v else ('"Infinity"' if v > 0 else '"-Infinity"')
            return repr(float(v))

        if typ in _INTS:
            return str
        if typ == "float64":
            return jfloat
        if typ == "float32":
            return lambda v: jfloat(float(short32(v)))
        if typ == "complex32":
            return lambda v: f"[{jfloat(float(short32(v.real)))}, {jfloat(float(short32(v.imag)))}]"
        if typ == "complex64":
            return lambda v: f"[{jfloat(v.real)}, {jfloat(v.imag)}]"
        if typ in _WHEN:
            return lambda v: f'"{v.isoformat()}"'
        if typ in _TEXT:
            return estr
        if typ == "bytes":
            return lambda v: estr(bytes_text(v))
        if typ == "number":
            return lambda v: jfloat(v) if isinstance(v, float) else enc(v)
        if typ == "pickle":
            return lambda v: enc(v if isinstance(v, (bool, int, float, str)) else repr(v))
        return enc  # bool, json

    base: Callable[[Any], Any] | None
    if typ == "float32":
        base = short32
    elif typ == "complex32":  # two float32: each part as its shortest float32 text
        base = lambda v: str(c64(v))  # noqa: E731
    elif typ == "complex64":  # two float64: Python's own exact text
        base = str
    elif typ in _WHEN:
        base = str if fmt == "text" else (lambda v: v.isoformat())
    elif typ == "bytes":
        base = bytes_text
    elif typ == "json":
        import json

        dumps = json.JSONEncoder(ensure_ascii=False, default=repr).encode
        base = dumps
    elif typ == "pickle":
        base = repr
    elif typ in _TEXT:
        base = None
    else:  # ints, float64 (repr is the shortest exact text), number, bool
        base = None if fmt == "csv" else str

    escape = {"text": _TEXT_ESC, "tsv": _TSV_ESC}.get(fmt)
    if escape is None or typ not in _TEXT | {"bytes", "json", "pickle"}:
        return base
    if fmt == "text":
        def esc(v: str) -> str:  # translate() is slow: only when there is something to do
            return v.translate(escape) if "\n" in v or "\t" in v or "\r" in v else v
    else:
        def esc(v: str) -> str:
            return (v.translate(escape) if "\\" in v or "\n" in v or "\t" in v or "\r" in v
                    else v)
    if base is None:
        return esc
    return lambda v: esc(base(v))
