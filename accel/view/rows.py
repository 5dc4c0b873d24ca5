"""A dataset's rows, read in order and formatted, a chunk at a time (ax cat, the board).

Each column gets a function chosen by its type, None support and the format (text, csv,
tsv, json, and csv-exact: CSV lines whose every value reads back exactly), and each
dataset one generated function per row that calls them; a column that needs nothing is
passed as it is. Reading goes by a plan (which dataset and slice, in output order), so
`--head` stops early and `--tail` (or a page of rows on the board) reads only the row
groups that hold its rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from accel.view.text import close_hint

if TYPE_CHECKING:
    from accel.dataset import Dataset

CHUNK = 4096  # rows formatted and written at a time

NUMERIC = {"int32", "int64", "float32", "float64", "number", "complex32", "complex64"}


Plan = list[tuple["Dataset", int, int]]  # (dataset, slice, lines) in output order


def make_plan(datasets: list[Dataset], names: list[str], fmt: str, sliceno: int | None = None
              ) -> tuple[Plan, dict[str, Callable[[tuple], Any] | None],
                         dict[str, list[Callable[[Any], Any] | None]]]:
    """What to read, in order, and how to format it: (plan, row function per dataset,
    cell functions per dataset). A column or slice a dataset lacks is NotFound."""
    from accel.errors import NotFound
    from accel.view.datasets import columns_of, ds_id, lines_of

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


def page_rows(dset: Dataset, start: int, n: int, fmts: tuple[str, ...] = ("text",)
              ) -> tuple[list[str], dict[str, list[Any]]]:
    """(column names, {format: rows start..start+n}) as `ax cat -f FORMAT` formats them:
    text and csv rows are tuples of cells, tsv, json and csv-exact rows are lines. The rows
    are read once, from only the row groups that hold them, and formatted each way."""
    from accel.view.datasets import columns_of

    names = [name for name, _, _ in columns_of(dset)]
    plans = {fmt: make_plan([dset], names, fmt) for fmt in fmts}
    plan = plans[fmts[0]][0]
    rows: list[tuple] = []
    for chunk in row_chunks(plan, names, {str(dset): None}, start,
                            min(start + n, sum(c for _, _, c in plan))):
        rows += chunk
    out = {}
    for fmt, (_, row_fns, _) in plans.items():
        fn = row_fns[str(dset)]
        out[fmt] = rows if fn is None else list(map(fn, rows))
    return names, out


def row_chunks(plan: Plan, names: list[str],
               row_fns: dict[str, Callable[[tuple], Any] | None], start: int, stop: int
               ) -> Iterator[list[Any]]:
    """Rows start..stop of the plan, formatted, CHUNK rows at a time."""
    pos = 0
    for d, s, n in plan:
        lo, hi = max(start, pos), min(stop, pos + n)
        if lo < hi:
            fn = row_fns[str(d)]
            it = d.iterate_range(s, list(names), lo - pos, hi - pos)
            while chunk := list(itertools.islice(it, CHUNK)):
                yield chunk if fn is None else list(map(fn, chunk))
        pos += n
        if pos >= stop:
            return


# --- formatting: a function per column, chosen by type, None support and format; then one
# --- generated function per row that calls them (a column that needs nothing is passed as is)

TEXT_ESC = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})
TSV_ESC = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})

_INTS = {"int32", "int64"}
_FLOATS = {"float32", "float64"}
_WHEN = {"date", "datetime", "time"}
_TEXT = {"ascii", "unicode"}


def row_formatter(fns: list[Callable[[Any], Any] | None], names: list[str], fmt: str
                  ) -> Callable[[tuple], Any] | None:
    """row tuple -> tuple of cells (text, csv) or one line (tsv, json, csv-exact); None: the
    row as is."""
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
    elif fmt in ("tsv", "csv-exact"):
        sep = "\\t" if fmt == "tsv" else ","
        body = f"'{sep}'.join((" + "".join(c + ", " for c in cells) + "))"
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
    none = {"text": "None", "csv": None, "tsv": "", "json": "null", "csv-exact": ""}[fmt]
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
        estr = json.encoder.encode_basestring

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

    if fmt == "csv-exact" and typ in _TEXT | {"bytes", "json", "pickle"}:
        return _exact_text(typ)

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

    escape = {"text": TEXT_ESC, "tsv": TSV_ESC}.get(fmt)
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


def csv_field(v: str) -> str:
    """A text value as a CSV field that reads back as itself: quoted (quotes doubled) when
    it holds a comma, a quote or a line break, or is empty (an empty field is None)."""
    if not v or '"' in v or "," in v or "\n" in v or "\r" in v:
        return '"' + v.replace('"', '""') + '"'
    return v


def _exact_text(typ: str) -> Callable[[Any], str]:
    """csv-exact's text kinds: the text, bytes as they are (surrogateescape, so encoding
    the line the same way gives the bytes back), json as JSON, pickle as repr; quoted."""
    if typ == "bytes":
        return lambda v: csv_field(v.decode("utf-8", "surrogateescape"))
    if typ == "json":
        import json

        dumps = json.JSONEncoder(ensure_ascii=False, default=repr).encode
        return lambda v: csv_field(dumps(v))
    if typ == "pickle":
        return lambda v: csv_field(repr(v))
    return csv_field
