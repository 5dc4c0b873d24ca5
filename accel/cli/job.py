"""ax job: everything about one job, read from its directory.

This is the command people run most, often in a loop, so it imports only what reading a
job needs (config, layout, job, store, refs): never the builder, options or numpy.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import click

from accel.cli.common import (
    fmt_duration,
    fmt_memory,
    fmt_time,
    json_option,
    print_json,
    resolve_job,
)
from accel.jobstatus import ENDED_BADLY, FINISHED, RUNNING, UNFINISHED

PART_HELP = "prepare, analysis (all slices), synthesis, finishing, or a slice number"


def parse_part(value: str) -> str | int | None:
    """The -o value as a part: None for all, 'prepare'/'analysis'/'synthesis', or a slice.

    Raises ValueError when it is not a part, so the caller can tell a part from a REF.
    """
    v = value.strip().lower()
    if v in ("", "all"):
        return None
    if v in ("prepare", "analysis", "synthesis", "finishing"):
        return v
    m = re.fullmatch(r"(?:analysis[- ]?|slice[- ]?)?(\d+)", v)
    if m:
        return int(m.group(1))
    raise ValueError(value)


@click.command()
@click.argument("ref", required=False, metavar="REF")
@click.option("-o", "--output", "output", is_flag=False, flag_value="all", default=None,
              metavar="[PART]",
              help=f"Print the job's captured output and nothing else: all of it, or one part "
                   f"({PART_HELP}).")
@json_option
@click.pass_context
def job(ctx: click.Context, ref: str | None, output: str | None, as_json: bool) -> None:
    """Show a job: status, method, options, inputs, source, timings, files, and its error.

    REF is a job id (dev-12), a method name (its latest finished job), REF~N (N jobs of the
    same method before REF), REF^ (REF's previous job), or :LIST: (the last job of the
    latest entry of urd list LIST). A REF/DATASET is shown as its job.
    """
    part: str | int | None = None
    if output is not None:
        try:
            part = parse_part(output)
        except ValueError:
            if ref is not None:
                raise click.BadParameter(f"{output!r}: a part is {PART_HELP}",
                                         param_hint="'-o/--output'")
            ref, part = output, None  # `ax job -o dev-3`: click took the REF as the PART
    if ref is None:
        raise click.UsageError("give a job: ax job REF (like dev-12, or a method name)")

    if "/" in ref:
        from accel.refs import split_dataset

        ref, _dsname = split_dataset(ref)
    j = resolve_job(ctx, ref)
    if output is not None:
        show_output(j, part, as_json)
        return
    info = read_job(j)
    if as_json:
        print_json(info)
    else:
        click.echo(render(j, info))


# --- reading -------------------------------------------------------------------------


def read_job(j: Any) -> dict:
    """What the job directory says, as plain JSON: params (setup.json) and post (post.json).

    The params are the stored form (options in accel's tagged JSON), so scripts get exact
    values; a job still running or never finished has post = None. A damaged job has status
    "damaged", `damage` saying which file and what is wrong, and what could be read.
    """
    from accel.records import record_of

    rec = record_of(j.path)
    info: dict[str, Any] = {"jobid": str(j), "status": str(rec.status),
                            "method": rec.setup.get("method"), "path": str(rec.path),
                            "params": rec.setup, "post": rec.post}
    if rec.damage:
        info["damage"] = rec.damage
    if rec.status == RUNNING:
        info["last_output"] = last_output_part(rec.path)
    return info


def last_output_part(path: Path) -> str | None:
    """Which part of a running job printed last ('prepare', 'analysis 3', 'synthesis').

    The job directory does not record the part being run, but each part's output has its
    own file, so the newest one is a good sign of where the job is.
    """
    from accel import layout

    newest, when = None, -1.0
    try:
        entries = list(os.scandir(path / layout.OUTPUT))
    except OSError:
        return None
    for entry in entries:
        m = re.fullmatch(r"(prepare|synthesis|analysis-(\d+))\.txt", entry.name)
        if not m:
            continue
        try:
            mtime = entry.stat().st_mtime
        except OSError:
            continue
        if mtime >= when:
            newest = f"analysis {m.group(2)}" if m.group(2) else m.group(1)
            when = mtime
    return newest


def output_texts(j: Any, part: str | int | None = None) -> dict[str, str]:
    """Captured output by part ('prepare', '0', '1', ..., 'synthesis'), in run order.

    `part` None is all of it; 'finishing' is there only when the job left processes running.
    """
    from accel.errors import NotFound

    slices = int(j.params.get("slices") or 0)
    if isinstance(part, int) and part >= slices:
        raise NotFound(f"job {j} has no slice {part} (it ran {slices} slices: "
                       f"0-{max(slices - 1, 0)})")
    if part is None:
        parts: list[str | int] = ["prepare", *range(slices), "synthesis", "finishing"]
    elif part == "analysis":
        parts = list(range(slices))
    else:
        parts = [part]
    texts = {str(p): j.output(p) for p in parts}
    if part is None and not texts["finishing"]:
        del texts["finishing"]  # only a job that left processes running has it
    return texts


def show_output(j: Any, part: str | int | None, as_json: bool) -> None:
    """Print captured output exactly as the method wrote it (one part, or all in order)."""
    texts = output_texts(j, part)
    if as_json:
        print_json(texts)
        return
    out = click.get_text_stream("stdout")
    for text in texts.values():
        out.write(text)
    out.flush()


# --- rendering -----------------------------------------------------------------------


def _heading(text: str) -> str:
    from accel.colour import colour

    return colour(text, "bold")


def show_value(v: Any) -> str:
    """An option value the way a person reads it: repr, but dates as ISO text."""
    from datetime import date, timedelta
    from datetime import time as dtime

    if isinstance(v, (date, dtime)):
        return v.isoformat()
    if isinstance(v, timedelta):
        return str(v)
    return repr(v)


def _show_input(v: Any) -> str:
    if v is None or v == "" or v == []:
        return "-"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v)


def _kv(rows: list[tuple[str, str]], indent: str = "  ", sep: str = "  ") -> list[str]:
    if not rows:
        return []
    width = max(len(k) for k, _ in rows)
    return [f"{indent}{k.ljust(width)}{sep}{v}".rstrip() for k, v in rows]


def _num(d: Any, key: str) -> float | None:
    if isinstance(d, dict) and isinstance(d.get(key), (int, float)):
        return float(d[key])
    return None


def render(j: Any, info: dict) -> str:
    """The human view of a job: a header, then one block per kind of information."""
    params, post, status = info["params"], info["post"] or {}, info["status"]
    out: list[str] = []
    from accel.colour import colour

    colours = {FINISHED: "green", RUNNING: "yellow", UNFINISHED: "yellow"}
    out.append(f"{_heading(str(j))}  {colour(status, colours.get(status, 'red'))}")
    if info.get("damage"):
        out.append(colour(info["damage"], "red"))
    out += _kv(header_rows(info))

    out += _options_block(j, params)
    out += _inputs_block(params)
    out += _source_block(params)
    if info["post"] is not None:
        out += _timings_block(post)
    out += _files_block(j)
    out += _list_block("datasets", [str(d) if str(d).startswith(f"{j}/") else f"{j}/{d}"
                                    for d in post.get("datasets") or ()])
    out += _subjobs_block(post.get("subjobs") or ())
    if status in ENDED_BADLY:
        out += _error_block(j, post.get("error") or {})
    return "\n".join(out)


def header_rows(info: dict) -> list[tuple[str, str]]:
    """The key/value lines under the job's name: method, path, times, memory, identity..."""
    params, post, status = info["params"], info["post"] or {}, info["status"]
    method = params.get("method") or "?"
    mfile = (params.get("method_info") or {}).get("file")
    head: list[tuple[str, str]] = [("method", method + (f"  ({mfile})" if mfile else ""))]
    head.append(("path", str(info["path"])))
    if params.get("caption"):
        head.append(("caption", str(params["caption"])))
    start = _num(params, "starttime")
    head.append(("started", fmt_time(start) if start else "?"))
    if info["post"] is not None:
        took = _num(post, "exectime")
        if took is None and _num(post, "endtime") and start:
            took = post["endtime"] - start
        head.append(("took", fmt_duration(took) if took is not None else "?"))
    elif status == RUNNING:
        now = f"running for {fmt_duration(time.time() - start)}" if start else "running"
        last = info.get("last_output")
        head.append(("now", now + (f" (last output from {last})" if last else "")))
    elif status == UNFINISHED:
        head.append(("ended", "never: no post.json (the run died or was killed)"))
    if _num(post, "maxrss_kb") is not None:
        head.append(("memory", f"{fmt_memory(post['maxrss_kb'])} peak"))
    if params.get("slices") is not None:
        head.append(("slices", str(params["slices"])))
    if params.get("hash"):
        head.append(("identity", str(params.get("identity", ""))))
    versions = params.get("versions") or {}
    if versions:
        head.append(("versions", ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))))
    return head


def option_rows(j: Any, params: dict) -> list[tuple[str, str]]:
    """(name, value as a person reads it) of each option, decoded from setup.json."""
    raw = params.get("options") or {}
    try:
        options = dict(j.params.options)  # decoded: dates, sets, tuples as Python values
    except Exception:
        options = raw
    return [(k, show_value(v)) for k, v in options.items()]


def _options_block(j: Any, params: dict) -> list[str]:
    rows = option_rows(j, params)
    lines = ["", _heading("options")]
    if not rows:
        return lines + ["  (none)"]
    return lines + _kv(rows, sep=" = ")


def _inputs_block(params: dict) -> list[str]:
    rows = [(f"dataset {k}", _show_input(v)) for k, v in (params.get("datasets") or {}).items()]
    rows += [(f"job {k}", _show_input(v)) for k, v in (params.get("jobs") or {}).items()]
    if not rows:
        return []
    return ["", _heading("inputs")] + _kv(rows, sep=" = ")


def _source_block(params: dict) -> list[str]:
    src = params.get("source_hash")
    files = params.get("source_files") or {}
    if not src and not files:
        return []
    lines = ["", f"{_heading('source')}  {src or '?'}"]
    return lines + _kv([(name, str(h)[:16]) for name, h in sorted(files.items())])


def timing_rows(post: dict) -> list[tuple[str, str, str, str]]:
    """(label, wall, cpu, peak memory) of each part, each analysis slice and the total.

    Labels are indented as `ax job` shows them: parts by two spaces, slices by four.
    """
    parts = post.get("parts") or {}
    rows: list[tuple[str, str, str, str]] = []

    def row(label: str, d: Any, mem_key: str = "maxrss_kb") -> None:
        mem = _num(d, mem_key)
        rows.append((label, fmt_duration(_num(d, "wall")), fmt_duration(_num(d, "cpu")),
                     fmt_memory(mem) if mem is not None else ""))

    order = [p for p in ("prepare", "analysis", "synthesis") if p in parts]
    order += [p for p in parts if p not in order]
    for name in order:
        d = parts[name]
        row(f"  {name}", d)
        if isinstance(d, dict) and isinstance(d.get("slices"), list):
            for n, s in enumerate(d["slices"]):
                row(f"    slice {n}", s)
    rows.append(("  total", fmt_duration(_num(post, "exectime")), fmt_duration(_num(post, "cpu")),
                 fmt_memory(_num(post, "maxrss_kb")) if _num(post, "maxrss_kb") else ""))
    return rows


def _timings_block(post: dict) -> list[str]:
    rows = timing_rows(post)
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    w = [max(w[0], len("timings")), max(w[1], 4), max(w[2], 3), w[3]]
    lines = ["", f"{_heading('timings'.ljust(w[0]))}  {'wall'.rjust(w[1])}  {'cpu'.rjust(w[2])}"
                 + ("  peak memory" if w[3] else "")]
    for label, wall, cpu, mem in rows:
        line = f"{label.ljust(w[0])}  {wall.rjust(w[1])}  {cpu.rjust(w[2])}"
        if w[3]:
            line += f"  {mem.rjust(w[3])}"
        lines.append(line.rstrip())
    return lines


def file_rows(j: Any) -> list[tuple[str, str]]:
    """(name, size as text) of each of the job's own files; '(missing)' for a listed one
    that is gone."""
    try:
        names = j.files()
    except Exception:
        return []
    rows = []
    for name in names:
        try:
            size = _size(os.stat(j.filename(name)).st_size)
        except OSError:
            size = "(missing)"
        rows.append((name, size))
    return rows


def _files_block(j: Any) -> list[str]:
    rows = file_rows(j)
    if not rows:
        return []
    return ["", _heading("files")] + _kv(rows)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return fmt_memory(n / 1024)


def _list_block(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return ["", _heading(title)] + [f"  {x}" for x in items]


def _subjobs_block(subjobs: Any) -> list[str]:
    if not subjobs:
        return []
    from accel.job import Job

    rows = []
    for s in subjobs:
        try:
            method = Job(str(s)).params.get("method", "?")
        except Exception:
            method = "?"
        rows.append((str(s), method))
    return ["", _heading("subjobs")] + _kv(rows)


def _error_block(j: Any, err: dict) -> list[str]:
    part = err.get("part") or "?"
    lines = ["", _heading(f"error in {part}")]
    lines.append(f"  {err.get('exception') or 'Error'}: {err.get('message') or ''}".rstrip())
    tb = (err.get("traceback") or "").rstrip()
    if tb:
        lines.append("  traceback:")
        lines += [f"    {line}" for line in tb.splitlines()]
    lines.append(f"  all its output: ax job {j} -o")
    return lines
