"""Data (from data.py) -> a Page: the HTML body, and the same data for the JSON variant.

Nothing here reads the disk; every value that came from a job, a dataset or a list goes
through html.esc (the helpers in html.py do it), so no text can become markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accel.board.html import (
    Html,
    ds_link,
    esc,
    h2,
    href,
    job_link,
    join,
    kv,
    link,
    note,
    pre,
    status,
    table,
    tag,
)
from accel.board.lineagehtml import job_section, latest_section
from accel.board.live import live_section
from accel.jobstatus import ENDED_BADLY
from accel.store.catalog import option_text
from accel.view.methods import summary
from accel.view.text import fmt_duration, fmt_time
from accel.words import plural

OUTPUT_SHOWN = 256 * 1024  # characters of one part's output on the page (the end of it)


@dataclass
class Page:
    title: str
    data: Any  # what ?json=1 gives
    body: Html
    status: int = 200


def error(code: int, message: str) -> Page:
    titles = {400: "cannot show that", 404: "not found", 500: "internal error"}
    title = titles.get(code, "error")
    body = join([tag("p", message), tag("p", link("/", "back to the jobs"))])
    return Page(title, {"error": message, "status": code}, body, code)


# --- / ---------------------------------------------------------------------------------


def home(d: dict) -> Page:
    parts = [h2("running now")]
    if d["running"]:
        rows = []
        for r in d["running"]:
            part = r["part"]
            if r["slices_done"] is not None:
                part += f" {r['slices_done']}/{r['slices']} slices"
            rows.append((job_link(r["job"]), r["method"], part, fmt_duration(r["elapsed"]),
                         f"{r['builder_pid']}@{r['host']}"))
        parts.append(table(("job", "method", "part", "elapsed", "builder"), rows))
    else:
        parts.append(note("nothing runs now"))
    if "latest_runs" in d:
        parts += latest_section(d["latest_runs"])
    parts += [h2("jobs, newest first"), _filter_form(d["filters"], d["columns"])]
    if d["jobs"]:
        cols = d["columns"]
        parts.append(table(("job", "method", *cols, "status", "started", "runtime",
                            "caption/error"),
                           [(job_link(j["job"]), _method_link(j["method"]),
                             *(option_text(j["options"], c) for c in cols),
                             status(j["status"]), fmt_time(j["starttime"]),
                             fmt_duration(j["runtime"]), j["note"])
                            for j in d["jobs"]], right=(False,) * (4 + len(cols)) + (True,)))
        if d["more"]:
            parts.append(note(f"the newest {d['limit']} shown; more match "
                              "(limit=0 in the address shows all)"))
    else:
        parts.append(note("no jobs match" if d["filters"] else "no jobs yet"))
    return Page("jobs", d, join(parts))


def _filter_form(filters: dict, columns: list[str]) -> Html:
    def field(name: str, label: str, size: int = 14) -> Html:
        value = ",".join(columns if name == "columns" else filters.get(name, []))
        return tag("label", join([label, " ", Html(
            f'<input name="{esc(name)}" value="{esc(value)}" size="{size}">')]))

    fields = join([field("method", "method"), field("status", "status"),
                   field("since", "since", 10), field("limit", "limit", 4),
                   field("columns", "option columns"),
                   Html('<input type="submit" value="filter">'),
                   link("/", "all") if filters or columns else ""])
    return Html(f'<form method="get" action="/">{fields}</form>')


def _method_link(name: Any) -> Html:
    return link(href("method", str(name)), name) if name else esc("?")


# --- /job/REF ----------------------------------------------------------------------------


def job(d: dict) -> Page:
    jobid, params, post = d["job"], d["params"], d["post"] or {}
    header = []
    for key, value in d["header"]:
        if key == "method" and params.get("method"):
            rest = value[len(params["method"]):]
            value = join([_method_link(params["method"]), rest])
        header.append((key, value))
    parts = [tag("p", status(d["status"]), id="job-status"), kv(header)]
    parts += live_section(d, OUTPUT_SHOWN)
    if d.get("damage"):  # setup.json or post.json does not read: which, and why
        parts.append(pre(d["damage"], class_="error"))

    parts.append(h2("options"))
    parts.append(kv(d["options_shown"]) if d["options_shown"] else note("(none)"))
    inputs = [(f"dataset {k}", _links(v, ds_link)) for k, v in (params.get("datasets") or {}).items()]
    inputs += [(f"job {k}", _links(v, job_link)) for k, v in (params.get("jobs") or {}).items()]
    if inputs:
        parts += [h2("inputs"), kv(inputs)]
    if "lineage" in d:
        parts += job_section(jobid, params.get("method"), d["status"], d["lineage"])
    if d.get("input_files"):
        parts += [h2("input files"), table(("file", "size", "hash", ""),
                                           [(name, size, tag("code", digest), how)
                                            for name, size, digest, how in d["input_files"]],
                                           right=(False, True, False, False))]
    files = params.get("source_files") or {}
    if params.get("source_hash") or files:
        parts += [h2("source"), kv([("source hash", tag("code", params.get("source_hash") or "?"))])]
        parts.append(table(("file", "hash"), [(name, tag("code", str(h)[:16], title=str(h)))
                                              for name, h in sorted(files.items())]))
    if d["timings"]:
        parts += [h2("timings"), table(("part", "wall", "cpu", "peak memory"),
                                       [(_indented(label), wall, cpu, mem)
                                        for label, wall, cpu, mem in d["timings"]],
                                       right=(False, True, True, True))]
    if d["status"] in ENDED_BADLY or post.get("error"):
        parts += _error(post.get("error") or {})
    if d["result"] is not None:
        r = d["result"]
        parts.append(h2("result"))
        if r["repr"] is not None:
            parts.append(pre(r["repr"]))
        if r["note"]:
            parts.append(note(f"result.pickle, {r['size']} bytes: {r['note']}"))
    if d["files"]:
        parts += [h2("files"), table(("file", "size"),
                                     [(link(href("job", jobid, "file", *f["name"].split("/")),
                                            f["name"]), f["size"]) for f in d["files"]],
                                     right=(False, True))]
    if d["datasets"]:
        parts += [h2("datasets"), tag("ul", join(tag("li", _own_ds_link(jobid, ds))
                                                  for ds in d["datasets"]))]
    if d["subjobs"]:
        parts += [h2("subjobs"), table(("job", "method"), [(job_link(s["job"]), s["method"] or "?")
                                                           for s in d["subjobs"]])]
    parts.append(tag("div", join(_output(jobid, d["output"])), id="output"))
    return Page(f"job {jobid}", d, join(parts))


def _indented(label: str) -> Html:
    """A timings label: slices (indented deeper by `ax job`) indented under their part."""
    depth = (len(label) - len(label.lstrip(" "))) // 2
    return join(["\u2003" * max(depth - 1, 0), label.strip()])


def _links(value: Any, make: Any) -> Html:
    if value is None or value == "" or value == []:
        return esc("-")
    if isinstance(value, list):
        return join((make(v) for v in value), ", ")
    return make(value)


def _own_ds_link(jobid: str, dsid: str) -> Html:
    owner, _, name = dsid.partition("/")
    if owner == jobid and name:
        return link(href("job", jobid, "ds", name), dsid)
    return ds_link(dsid)


def _error(err: dict) -> list[Html]:
    head = f"{err.get('exception') or 'Error'}: {err.get('message') or ''}".rstrip()
    parts = [h2(f"error in {err.get('part') or '?'}"), pre(head, class_="error")]
    tb = (err.get("traceback") or "").rstrip()
    if tb:
        parts.append(pre(tb, class_="error"))
    return parts


def _output(jobid: str, texts: dict[str, str]) -> list[Html]:
    parts = [h2("output")]
    shown = {k: v for k, v in texts.items() if v}
    if not shown:
        return parts + [note("(it printed nothing)")]
    for part, text in shown.items():
        label = f"analysis slice {part}" if part.isdigit() else part
        name = f"analysis-{part}.txt" if part.isdigit() else f"{part}.txt"
        raw = link(href("job", jobid, "file", "output", name), "whole file")
        parts.append(tag("h3", join([label, " (", raw, ")"])))
        if len(text) > OUTPUT_SHOWN:
            parts.append(note(f"the last {OUTPUT_SHOWN} of {len(text)} characters"))
            text = text[-OUTPUT_SHOWN:]
        parts.append(tag("pre", text, data_part=part))
    return parts


# --- datasets ----------------------------------------------------------------------------


def dataset(d: dict) -> Page:
    if "columns" not in d:  # a job without a 'default' dataset: its datasets
        rows = [(_own_ds_link(d["job"], r["dataset"]), r["columns"], f"{r['lines']:,}",
                 r["hashlabel"] or "", r["caption"] or "") for r in d["datasets"]]
        body = join([tag("p", join(["job ", job_link(d["job"]),
                                    " has no dataset 'default'; its datasets:"])),
                     table(("dataset", "columns", "lines", "hashlabel", "caption"), rows,
                           right=(False, True, True))])
        return Page(f"datasets of {d['job']}", d, body)
    head: list[tuple[str, Any]] = [
        ("method", join([_method_link(d["method"]), " (job ", job_link(d["job"]), ")"]))]
    if d["caption"]:
        head.append(("caption", d["caption"]))
    head += [("hashlabel", d["hashlabel"] or "-"),
             ("previous", ds_link(d["previous"]) if d["previous"] else "-"),
             ("parent", ds_link(d["parent"]) if d["parent"] else "-"),
             ("shape", f"{plural(len(d['columns']), 'column')}, {plural(d['total_lines'], 'line')}"),
             ("slices", f"{d['slices']}: " + ", ".join(f"{n:,}" for n in d["lines"]))]
    parts = [kv(head), h2("columns"),
             table(("column", "type", "None", "min", "max"),
                   [(c["name"], c["type"], "yes" if c["none_support"] else "",
                     _value(c["min"]), _value(c["max"])) for c in d["columns"]])]
    if len(d["chain"]) > 1:
        parts += [h2(f"chain: {plural(len(d['chain']), 'dataset')}, {plural(d['chain_lines'], 'line')}, "
                     "oldest first"),
                  table(("dataset", "lines"), [(ds_link(c["dataset"]), f"{c['lines']:,}")
                                               for c in d["chain"]], right=(False, True))]
    if d["other_datasets"]:
        parts += [h2("also in this job"),
                  join((_own_ds_link(d["job"], f"{d['job']}/{n}") for n in d["other_datasets"]),
                       ", ")]
    h = d["head"]
    shown = len(h["text"])
    parts.append(h2(_rows_heading(shown, h["total"])))
    parts.append(table(h["columns"], h["text"], right=h["numeric"]))
    return Page(f"dataset {d['dataset']}", d, join(parts))


def _rows_heading(shown: int, total: int) -> str:
    if shown < total:
        return f"first {shown:,} of {plural(total, 'row')}"
    return {0: "no rows", 1: "the one row"}.get(shown, f"all {plural(shown, 'row')}")


def _value(v: Any) -> str:
    return "" if v is None else str(v)


# --- urd ---------------------------------------------------------------------------------


def urd_lists(rows: list[dict]) -> Page:
    if not rows:
        return Page("urd lists", rows,
                    note("no urd lists yet (a build records one with urd.begin/urd.finish)"))
    body = table(("list", "entries", "latest", "caption"),
                 [(link(href("urd", r["name"]), r["name"]), r["entries"], r["latest"],
                   r["caption"]) for r in rows], right=(False, True))
    return Page("urd lists", rows, body)


def urd_list(d: dict) -> Page:
    rows = []
    for e in reversed(d["entries"]):  # newest first, as people look for the latest
        jobs = join((join([m, "=", job_link(j)]) for m, j in e["joblist"]), " ")
        deps = join((join([k, " ", v["timestamp"]]) for k, v in (e["deps"] or {}).items()),
                    ", ")
        rows.append((e["timestamp"], e["caption"], e["user"], e["build"], jobs, deps))
    body = join([note("newest first"),
                 table(("timestamp", "caption", "user", "build", "jobs", "deps"), rows)])
    return Page(f"urd list {d['list']}", d, body)


# --- methods -----------------------------------------------------------------------------


def methods(rows: list[dict]) -> Page:
    if not rows:
        return Page("methods", rows, note("no methods (add a_NAME.py files to a method package)"))
    body = table(("method", "package", "description"),
                 [(_method_link(r["name"]), r["package"], summary(r)) for r in rows])
    return Page("methods", rows, body)


def method(d: dict) -> Page:
    if d.get("error"):
        parts = [pre(d["error"], class_="error")]
    else:
        parts = [kv([("package", d["package"]), ("file", tag("code", d["file"])),
                     ("parts", ", ".join(d["parts"]))])]
        if d["description"]:
            parts.append(pre(d["description"]))
        parts.append(h2("options"))
        parts.append(table(("option", "declared as"), list(d["options"].items()))
                     if d["options"] else note("(none)"))
        for key, title in (("datasets", "dataset inputs"), ("jobs", "job inputs")):
            if d[key]:
                parts += [h2(title),
                          tag("ul", join(tag("li", i["name"] + ("  (a list)" if i["list"] else ""))
                                         for i in d[key]))]
        if d["depend_extra"]:
            parts += [h2("depend_extra"), tag("ul", join(tag("li", x) for x in d["depend_extra"]))]
    parts.append(h2("newest jobs"))
    if d["recent_jobs"]:
        parts.append(table(("job", "status", "started", "runtime", "caption/error"),
                           [(job_link(j["job"]), status(j["status"]), fmt_time(j["starttime"]),
                             fmt_duration(j["runtime"]), j["note"]) for j in d["recent_jobs"]],
                           right=(False, False, False, True)))
        if d["more_jobs"]:
            parts.append(note(join(["more: ", link(href(method=d["name"]), "all its jobs")])))
    else:
        parts.append(note("no jobs of this method yet"))
    return Page(f"method {d['name']}", d, join(parts))
