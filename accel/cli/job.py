"""ax job: everything about one job, read from its directory (by accel.view.job).

This is the command people run most, often in a loop, so it imports only what reading a
job needs (config, layout, job, store, refs): never the builder, options or numpy.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

import click

from accel.cli.common import json_option, print_json, resolve_job
from accel.jobstatus import ENDED_BADLY, FINISHED, RUNNING, UNFINISHED
from accel.view.job import (
    file_rows,
    header_rows,
    input_file_rows,
    labelled_output,
    option_rows,
    output_texts,
    read_job,
    timing_rows,
)

if TYPE_CHECKING:
    from accel.job import Job

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
              help=f"Print the job's captured output and nothing else: all of it, each line "
                   f"labelled as the live output was ([dev-3 analysis 1] ...), or one part as "
                   f"it was printed ({PART_HELP}).")
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


# --- output --------------------------------------------------------------------------


def show_output(j: Job, part: str | int | None, as_json: bool) -> None:
    """Print captured output: one part exactly as the method wrote it; several (all, or
    every analysis slice) in run order, each line labelled as the live output was."""
    texts = output_texts(j, part)
    if as_json:
        print_json(texts)
        return
    out = sys.stdout
    out.write(labelled_output(str(j), texts) if len(texts) > 1 else "".join(texts.values()))
    out.flush()


# --- rendering -----------------------------------------------------------------------


def _heading(text: str) -> str:
    from accel.colour import colour

    return colour(text, "bold")


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


def render(j: Job, info: dict) -> str:
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
    out += _input_files_block(info)
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


def _options_block(j: Job, params: dict) -> list[str]:
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


def _input_files_block(info: dict) -> list[str]:
    rows = input_file_rows(info)
    if not rows:
        return []
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    return ["", _heading("input files")] + [
        f"  {name.ljust(w[0])}  {size.rjust(w[1])}  {digest.ljust(w[2])}  {how}".rstrip()
        for name, size, digest, how in rows]


def _source_block(params: dict) -> list[str]:
    src = params.get("source_hash")
    files = params.get("source_files") or {}
    if not src and not files:
        return []
    lines = ["", f"{_heading('source')}  {src or '?'}"]
    return lines + _kv([(name, str(h)[:16]) for name, h in sorted(files.items())])


def _timings_block(post: dict) -> list[str]:
    rows = timing_rows(post)
    if not rows:
        return []
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


def _files_block(j: Job) -> list[str]:
    rows = file_rows(j)
    if not rows:
        return []
    return ["", _heading("files")] + _kv(rows)


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


def _error_block(j: Job, err: dict) -> list[str]:
    part = err.get("part") or "?"
    lines = ["", _heading(f"error in {part}")]
    lines.append(f"  {err.get('exception') or 'Error'}: {err.get('message') or ''}".rstrip())
    tb = (err.get("traceback") or "").rstrip()
    if tb:
        lines.append("  traceback:")
        lines += [f"    {line}" for line in tb.splitlines()]
    lines.append(f"  all its output: ax job {j} -o")
    return lines
