"""Lineage pages of the board, data (lineagedata.py) -> a Page: the runs (one row per
`ax run`) and the graph of one run.
"""

from __future__ import annotations

from typing import Any

from accel.board.graph import Node, legend, svg
from accel.board.html import h2, href, job_link, join, kv, link, note, status, table, tag
from accel.board.lineagehtml import RIGHT, RUN_HEADER, run_row, state_class
from accel.board.pages import Page, columns_form
from accel.store.catalog import option_text
from accel.view.text import fmt_duration, fmt_time
from accel.words import plural


def runs(d: dict) -> Page:
    if not d["runs"]:
        return Page("runs", d, note("no runs yet: each `ax run` is recorded in the workdirs"))
    parts = [note("newest first: one row per ax run"),
             table(RUN_HEADER, [run_row(r) for r in d["runs"]], right=RIGHT)]
    if d["total"] > len(d["runs"]):
        parts.append(note(f"the newest {len(d['runs'])} of {d['total']} shown "
                          "(limit=0 in the address shows all)"))
    return Page("runs", d, join(parts))


# --- /run/ID -------------------------------------------------------------------------------


def run(d: dict) -> Page:
    head: list[tuple[str, Any]] = [
        ("build script", d["name"]), ("started", fmt_time(d["starttime"])),
        ("duration", fmt_duration(d["runtime"]) + (" so far" if d["state"] == "running" else "")),
        ("state", tag("span", d["state"], class_=f"st st-{state_class(d['state'])}")),
        ("jobs", f"{d['new']:,} new, {d['reused']:,} reused, {d['failed']:,} failed")]
    if d["error"]:
        head.append(("error", tag("code", d["error"])))
    parts = [kv(head), h2("graph")]
    g = d["graph"]
    if g["nodes"]:
        nodes = {n["job"]: _graph_node(d["run"], n) for n in g["nodes"]}
        parts += [svg([n["job"] for n in g["nodes"]], [tuple(e) for e in g["edges"]], nodes,
                      f"the jobs of run {d['run']}"), legend()]
    else:
        parts.append(note("this run used no jobs"))
    parts.append(tag("h2", f"jobs{' of ' + d['method'] if d['method'] else ''}", id="jobs"))
    if d["method"]:
        parts.append(note(link(href("run", d["run"]) + "#jobs", "all the jobs of the run")))
    cols = d["columns"]
    parts.append(columns_form(href("run", d["run"]), cols, method=d["method"]))
    parts.append(table(("job", "method", *cols, "in this run", "status"),
                       [(job_link(r["job"]), r["method"] or "?",
                         *(option_text(r["options"], c) for c in cols), r["how"],
                         status(r["status"])) for r in d["job_rows"]]))
    if d["job_rows_total"] > len(d["job_rows"]):
        parts.append(note(f"the first {len(d['job_rows'])} of {d['job_rows_total']:,} "
                          "(limit=0 in the address shows all)"))
    return Page(f"run of {d['name']}", d, join(parts))


def _graph_node(run_id: str, n: dict) -> Node:
    method = n["method"] or "?"
    if "group" in n:
        counts = ", ".join(f"{c:,} {how}" for how, c in sorted(n["counts"].items()))
        return Node(href("run", run_id, method=method) + "#jobs", f"{method} ×{n['group']:,}",
                    counts, f"st-{n['status']} {n['how']}",
                    f"{plural(n['group'], 'job')} of {method}: {counts}")
    return Node(href("job", n["job"]), n["job"], method, f"st-{n['status']} {n['how']}",
                f"{n['job']} ({method}): {n['how']}, {n['status']}", n["job"])
