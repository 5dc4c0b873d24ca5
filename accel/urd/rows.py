"""The rows of `urd.build_many`: from a list of dicts, a CSV or Parquet file, or a
pandas DataFrame -- and the jobs' statuses written back into that file.

Values from a CSV file are text, converted to what each option declares
(accel.textvalues); values from the other sources keep their types, except that a table
(a DataFrame, a Parquet file) is read as a CSV would be where its types cannot say what
was meant: see `table_values`. Columns named `accel_*` are ours (the written-back
statuses) and are never options.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accel.errors import OptionError, UserError
from accel.methods import MethodInfo, input_name
from accel.optiontypes import IntType, compile_all
from accel.textvalues import Resolver, from_text

STATUS_COLUMNS = ("accel_job", "accel_status", "accel_runtime", "accel_error")
_EXACT = 2**53  # from here on, float64 skips whole numbers: 2**53 + 1 is read as 2**53


@dataclass
class Rows:
    rows: list[dict]
    text: bool = False  # values are text (from CSV), to be converted by declaration
    path: Path | None = None  # the file they came from
    kind: str = ""  # 'csv' or 'parquet'
    table: bool = False  # from a DataFrame or Parquet file: see table_values
    lines: list[int] | None = None  # CSV: the line each row ends on (blank lines are skipped)

    def where(self, i: int) -> str:
        """How to name row `i` in a message."""
        if self.kind == "csv":
            assert self.path is not None  # rows read from a CSV file know it
            line = self.lines[i] if self.lines else i + 2
            return f"row {i} (line {line} of {self.path.name})"
        if self.path is not None:
            return f"row {i} of {self.path.name}"
        return f"row {i}"


def read_rows(rows: Any) -> Rows:
    if isinstance(rows, (str, os.PathLike)):
        return _read_file(Path(rows))
    if _is_dataframe(rows):
        return Rows([_clean(r) for r in rows.to_dict("records")], table=True)
    if isinstance(rows, (list, tuple)):
        for i, r in enumerate(rows):
            if not isinstance(r, Mapping):
                raise UserError(f"build_many: row {i} is a {type(r).__name__}, not a dict "
                                "(rows: a list of dicts, a CSV or Parquet path, or a DataFrame)")
        return Rows([_clean(r) for r in rows])
    raise UserError(f"build_many: rows must be a list of dicts, a CSV or Parquet path, or a "
                    f"pandas DataFrame, not {type(rows).__name__}")


def _read_file(path: Path) -> Rows:
    kind = _kind(path)
    if not path.exists():
        raise UserError(f"build_many: {path}: no such file")
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as e:
            raise UserError(f"build_many: {path}: not a readable Parquet file ({e})")
        return Rows([_clean(r) for r in table.to_pylist()], path=path, kind=kind, table=True)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: Excel's CSV UTF-8
            reader = csv.DictReader(f)
            found, lines = [], []
            for r in reader:
                if None in r:
                    raise UserError(f"build_many: {path.name} line {reader.line_num}: more "
                                    "values than the header has columns")
                found.append({k: v for k, v in r.items() if k not in STATUS_COLUMNS and v != ""})
                lines.append(reader.line_num)
    except UnicodeDecodeError as e:
        raise UserError(f"build_many: {path}: not UTF-8 text ({e.reason})")
    except csv.Error as e:
        raise UserError(f"build_many: {path}: {e}")
    return Rows(found, text=True, path=path, kind=kind, lines=lines)


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise UserError(f"build_many: {path}: expected a .csv or .parquet file")


def _is_dataframe(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "to_dict") and hasattr(obj, "columns")


def _clean(row: Mapping) -> dict:
    """Plain Python values; missing ones (None, NaN, NaT) and our own columns left out."""
    out = {}
    for k, v in row.items():
        k = str(k)
        if k in STATUS_COLUMNS or _missing(v):
            continue
        out[k] = _plain(v)
    return out


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return type(v).__name__ in ("NaTType", "NAType")


def _plain(v: Any) -> Any:
    if hasattr(v, "to_pydatetime"):  # pandas Timestamp
        return v.to_pydatetime()
    if type(v).__module__ == "numpy" and hasattr(v, "item"):
        v = v.item()
        return None if isinstance(v, float) and math.isnan(v) else v
    return v


def table_values(method: str, info: MethodInfo, row: dict, resolve: Resolver) -> dict:
    """A row of a table as `method` takes it. pandas stores an int column with a gap as
    float64, so where the option is an int a whole float is the int it was (and 1.5, or a
    float of 2**53 or more, which may have been rounded, an error naming the column); a text in an input column is a job reference (METHOD,
    REF~N, :LIST:, dev-3/DSNAME), as it is in a CSV."""
    fields = compile_all(method, info.options)
    inputs = {input_name(x)[0] for x in (*info.datasets, *info.jobs)}
    out = dict(row)
    refs = {}
    for key, value in row.items():
        f = fields.get(key)
        if f is not None and isinstance(f.typ, IntType) and isinstance(value, float):
            if not value.is_integer():
                raise OptionError(f"column {key!r}: {value!r} is not a whole number "
                                  f"(method {method!r}: option {key!r} takes an int)")
            if abs(value) >= _EXACT:
                raise OptionError(
                    f"column {key!r}: {value!r} may have been rounded: a float64 (what pandas "
                    f"makes an int column with a gap) holds every whole number only below "
                    f"2**53 (method {method!r}: option {key!r} takes an int; give the column "
                    "pandas' Int64 type, or no gap)")
            out[key] = int(value)
        elif key in inputs and isinstance(value, str):
            refs[key] = value
        elif key in inputs and isinstance(value, list) and all(isinstance(v, str) for v in value):
            refs[key] = json.dumps(value)
    if refs:
        _, datasets, jobs = from_text(method, info, refs, resolve=resolve)
        out.update(datasets)
        out.update(jobs)
    return out


def write_status(source: Rows, statuses: list[dict], path: Path | None = None) -> Path:
    """Write `statuses` (one dict of STATUS_COLUMNS per row) into the file the rows came
    from (or `path`), beside the row's own columns. The file is read again first: a row
    still equal to the one we built gets its status; rows changed or added since get none.
    Replaced atomically."""
    target = Path(path) if path is not None else source.path
    if target is None:
        raise UserError("write_status: the rows did not come from a file; give a path")
    if source.path is None or not source.path.exists():
        raise UserError(f"write_status: {source.path}: the file is gone")
    current = _read_file(source.path)
    by_row = {}
    for i, (now, ours) in enumerate(zip(current.rows, source.rows, strict=False)):
        if now == ours:
            by_row[i] = statuses[i]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if source.kind == "parquet":
        _write_parquet(source.path, tmp, by_row)
    else:
        _write_csv(source.path, tmp, by_row)
    os.replace(tmp, target)
    return target


def _write_csv(src: Path, tmp: Path, by_row: dict[int, dict]) -> None:
    with open(src, "rb") as f:  # written back as it was: with or without a BOM, \n or \r\n
        first = f.readline()
    encoding = "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
    with open(src, newline="", encoding=encoding) as f:
        reader = csv.DictReader(f)
        fields = [c for c in (reader.fieldnames or []) if c not in STATUS_COLUMNS]
        rows = list(reader)
    with open(tmp, "w", newline="", encoding=encoding) as f:
        w = csv.DictWriter(f, [*fields, *STATUS_COLUMNS],
                           lineterminator="\r\n" if first.endswith(b"\r\n") else "\n")
        w.writeheader()
        for i, r in enumerate(rows):
            out = {k: r.get(k, "") for k in fields}
            out.update({k: _text(by_row.get(i, {}).get(k)) for k in STATUS_COLUMNS})
            w.writerow(out)


def _write_parquet(src: Path, tmp: Path, by_row: dict[int, dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(src)
    table = table.drop_columns([c for c in STATUS_COLUMNS if c in table.column_names])
    for col in STATUS_COLUMNS:
        values = [by_row.get(i, {}).get(col) for i in range(table.num_rows)]
        typ = pa.float64() if col == "accel_runtime" else pa.string()
        table = table.append_column(col, pa.array(values, type=typ))
    pq.write_table(table, tmp)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)
