"""One job as `ax job` and the board's job page show it: what its directory says, the
header lines, options, timings, files and captured output, as plain data.

Reading a job imports only what that needs (layout, job, records): never the builder,
options or numpy, since `ax job` is the command people run most.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accel.jobstatus import RUNNING, UNFINISHED
from accel.plaintext import fmt_duration, fmt_memory, show_value
from accel.view.text import fmt_time
from accel.words import plural

if TYPE_CHECKING:
    from accel.job import Job


def read_job(j: Job) -> dict:
    """What the job directory says, as plain JSON: params (setup.json) and post (post.json).

    The params are the stored form (options in accel's tagged JSON), so scripts get exact
    values; a job still running or never finished has post = None. A damaged job has status
    "damaged", `damage` saying which file and what is wrong, and what could be read.
    """
    from accel.records import record_of

    rec = record_of(j.path)
    info: dict[str, Any] = {"job": str(j), "status": str(rec.status),
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


def output_texts(j: Job, part: str | int | None = None) -> dict[str, str]:
    """Captured output by part ('prepare', '0', '1', ..., 'synthesis'), in run order.

    `part` None is all of it; 'finishing' is there only when the job left processes running.
    """
    from accel.errors import NotFound

    slices = int(j.params.get("slices") or 0)
    if isinstance(part, int) and part >= slices:
        raise NotFound(f"job {j} has no slice {part} (it ran {plural(slices, 'slice')}: "
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


def labelled_output(jobid: str, texts: dict[str, str]) -> str:
    """Output of several parts (from output_texts) as the live output showed it: each line
    after its part's label, `[dev-3 analysis 1] `. A part that printed nothing shows
    nothing; a last line without its newline gets one."""
    from accel import layout

    out = []
    for key, text in texts.items():
        if not text:
            continue
        prefix = layout.line_prefix(layout.part_label(jobid, int(key) if key.isdigit() else key))
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        out += [prefix + line + "\n" for line in lines]
    return "".join(out)


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


def option_rows(j: Job, params: dict) -> list[tuple[str, str]]:
    """(name, value as a person reads it) of each option, decoded from setup.json."""
    raw = params.get("options") or {}
    try:
        options = dict(j.params.options)  # decoded: dates, sets, tuples as Python values
    except Exception:
        options = raw
    return [(k, show_value(v)) for k, v in options.items()]


def input_file_rows(info: dict) -> list[tuple[str, str, str, str]]:
    """(name, size, hash, how) of each input file: those in the identity (setup.json), then
    those the job asked for by job.input_filename while it ran (post.json)."""
    from accel.plaintext import fmt_size

    rows = []
    for where, how in ((info["params"], ""), (info["post"] or {}, "read while running")):
        files = where.get("input_files") if isinstance(where, dict) else None
        for name, f in (files or {}).items():
            size = f.get("size")
            rows.append((name, fmt_size(size) if isinstance(size, int) else "(missing)",
                         str(f.get("hash") or "")[:16], how))
    return rows


def timing_rows(post: dict) -> list[tuple[str, str, str, str]]:
    """(label, wall, cpu, peak memory) of each part, each analysis slice and the total.

    Labels are indented as `ax job` shows them: parts by two spaces, slices by four.
    None at all for a job stopped before any part ended (canceled, timed out, killed):
    there is nothing to show, not even a total.
    """
    parts = post.get("parts") or {}
    rows: list[tuple[str, str, str, str]] = []
    if not parts and _num(post, "exectime") is None:
        return rows

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


def file_rows(j: Job) -> list[tuple[str, str]]:
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


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return fmt_memory(n / 1024)


def _num(d: Any, key: str) -> float | None:
    if isinstance(d, dict) and isinstance(d.get(key), (int, float)):
        return float(d[key])
    return None
