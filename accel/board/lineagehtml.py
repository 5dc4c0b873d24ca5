"""Lineage as HTML pieces for the pages that show it: a job between its inputs and its
users (the job page), and rows of runs (the front page, /runs). Pages of their own are
lineagepages.py.
"""

from __future__ import annotations

from accel.board.graph import Node, svg
from accel.board.html import Html, h2, href, job_link, join, link, note, status, table, tag
from accel.view.text import fmt_duration, fmt_time
from accel.words import plural

GRAPH_USERS = 12  # jobs that use a job drawn on its page (the rest only listed)


# --- a job's inputs and users --------------------------------------------------------------


def job_section(jobid: str, method: str | None, job_status: str, d: dict) -> list[Html]:
    """The job between its inputs and the jobs that use it, drawn; then "used by"."""
    inputs, users, total = d["inputs"], d["used_by"], d["used_by_total"]
    parts: list[Html] = []
    if inputs or users:
        drawn = users[:GRAPH_USERS]
        ids = [n["job"] for n in inputs] + [jobid] + [n["job"] for n in drawn]
        nodes = {n["job"]: _job_node(n) for n in inputs + drawn}
        nodes[jobid] = Node(href("job", jobid), jobid, method or "?", f"here st-{job_status}",
                            f"{jobid} ({method or '?'}): this job", jobid)
        edges = [(n["job"], jobid) for n in inputs] + [(jobid, n["job"]) for n in drawn]
        if total > len(drawn):
            more = f"+{total - len(drawn):,}"
            ids.append(more)
            nodes[more] = Node("#used-by", f"{total - len(drawn):,} more", "listed below",
                               "", "more jobs use this one")
            edges.append((jobid, more))
        parts += [h2("lineage"), svg(ids, edges, nodes, f"inputs and users of {jobid}")]
    parts.append(tag("h2", "used by", id="used-by"))
    if not users:
        parts.append(note("no job takes this one as an input"))
        return parts
    parts.append(table(("job", "method", "status", "as"),
                       [(job_link(n["job"]), n["method"] or "?", status(n["status"]), n["how"])
                        for n in users]))
    if total > len(users):
        parts.append(note(f"the first {len(users)} of {plural(total, 'job')}"))
    return parts


def built_by(parents: list[dict]) -> Html:
    """"dev-4 (parent), as a subjob": the jobs that built this one with subjobs.build."""
    return join([join((join([job_link(n["job"]), f" ({n['method'] or '?'})"]) for n in parents),
                      ", "), ", as a subjob (subjobs.build in its method)"])


def _job_node(n: dict) -> Node:
    method = n["method"] or "?"
    return Node(href("job", n["job"]), n["job"], method, f"st-{n['status']}",
                f"{n['job']} ({method}), {n['status']}: {n['how']}", n["job"])


# --- /runs, and the front page's latest runs -----------------------------------------------


RUN_HEADER = ("run", "build script", "started", "duration", "state", "new", "reused", "failed")


def run_row(r: dict) -> tuple:
    state = tag("span", r["state"], class_=f"st st-{state_class(r['state'])}",
                title=r["error"] or None)
    return (link(href("run", r["run"]), "graph"), r["name"], fmt_time(r["starttime"]),
            fmt_duration(r["runtime"]), state, f"{r['new']:,}", f"{r['reused']:,}",
            f"{r['failed']:,}" if r["failed"] else "")


def state_class(state: str) -> str:
    return {"complete": "finished", "stopped": "canceled"}.get(state, state)


RIGHT = (False, False, False, True, False, True, True, True)


def latest_section(rows: list[dict]) -> list[Html]:
    """The front page's latest run of each build script."""
    parts = [h2("latest run of each build script")]
    if not rows:
        return parts + [note("no runs yet (ax run records each)")]
    return parts + [table(RUN_HEADER, [run_row(r) for r in rows], right=RIGHT),
                    note(join(["every run: ", link("/runs", "runs")]))]
