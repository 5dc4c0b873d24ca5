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
from accel.board.lineagehtml import built_by, job_section, latest_section
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
    cols = d["columns"]
    if d["running"]:
        rows = []
        for r in d["running"]:
            part = r["part"]
            if r["slices_done"] is not None:
                part += f" {r['slices_done']}/{r['slices']} slices"
            rows.append((job_link(r["job"]), r["method"],
                         *(option_text(r.get("options", {}), c) for c in cols),
                         part, fmt_duration(r["elapsed"]), f"{r['builder_pid']}@{r['host']}"))
        parts.append(table(("job", "method", *cols, "part", "elapsed", "builder"), rows))
    else:
        parts.append(note("nothing runs now"))
    if "latest_runs" in d:
        parts += latest_section(d["latest_runs"])
    parts += [h2("jobs, newest first"), _filter_form(d["filters"], d["columns"])]
    if d["jobs"]:
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


def _field(name: str, label: str, value: str, size: int = 14) -> Html:
    return tag("label", join([label, " ", Html(
        f'<input name="{esc(name)}" value="{esc(value)}" size="{size}">')]))


def _filter_form(filters: dict, columns: list[str]) -> Html:
    def field(name: str, label: str, size: int = 14) -> Html:
        return _field(name, label, ",".join(filters.get(name, [])), size)

    fields = join([field("method", "method"), field("status", "status"),
                   field("since", "since", 10), field("limit", "limit", 4),
                   _field("columns", "option columns", ",".join(columns)),
                   Html('<input type="submit" value="filter">'),
                   link("/", "all") if filters or columns else ""])
    return Html(f'<form method="get" action="/">{fields}</form>')


def columns_form(action: str, columns: list[str], **keep: str | None) -> Html:
    """The front page's "option columns" field alone, for another table of jobs; `keep`:
    the page's other parameters, sent again (a form's action loses its ?query)."""
    hidden = join(Html(f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">')
                  for k, v in keep.items() if v)
    fields = join([hidden, _field("columns", "option columns", ",".join(columns)),
                   Html('<input type="submit" value="show">'),
                   link(href(*action.strip("/").split("/"), **keep), "none") if columns else ""])
    return Html(f'<form method="get" action="{esc(action)}">{fields}</form>')


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
    if d.get("lineage", {}).get("built_by"):
        header.append(("built by", built_by(d["lineage"]["built_by"])))
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
        parts.append(table(("file", "hash"), [(name, _short(str(h)))
                                              for name, h in sorted(files.items())]))
        parts.append(tag("p", link(href("job", jobid, "source"),
                                   "the method's source, and whether it has changed since")))
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
        cols = d["columns"]
        parts += [tag("h2", "subjobs", id="subjobs"), columns_form(href("job", jobid), cols),
                  table(("job", "method", *cols),
                        [(job_link(s["job"]), s["method"] or "?",
                          *(option_text(s.get("options"), c) for c in cols))
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
    parts += _rows_part(d)
    return Page(f"dataset {d['dataset']}", d, join(parts))


def _rows_part(d: dict) -> list[Html]:
    """A page of rows, numbered from 0 as ?start= counts them: links to the first,
    previous, next and last pages, a form to go to any row, and the downloads."""
    p = d["page"]
    first, per, total, shown = p["first_row"], p["per_page"], p["total"], len(p["text"])

    def at(start: int) -> str:
        return href("job", d["job"], "ds", d["name"], start=start, rows=per)

    def step(text: str, start: int, usable: bool) -> Html:
        return link(at(start), text) if usable else tag("span", text, class_="off")

    last = max(total - per, 0)
    nav = join([step("first", 0, first > 0), step("previous", max(first - per, 0), first > 0),
                step("next", first + per, first + per < total),
                step("last", last, first + shown < total)], " · ")
    go = href("job", d["job"], "ds", d["name"])
    form = Html(f'<form method="get" action="{esc(go)}">'
                f'<label>from row <input name="start" value="{first}" size="8"></label>'
                f'<label>rows <input name="rows" value="{per}" size="4"></label>'
                '<input type="submit" value="show"></form>')
    down = href("job", d["job"], "ds", d["name"], "download")
    downloads = join(["download all rows: ", link(down + ".csv", "CSV"), " · ",
                      link(down + ".parquet", "Parquet")])
    rows = [(f"{first + i:,}", *row) for i, row in enumerate(p["text"])]
    return [h2(_rows_heading(first, shown, total)), tag("p", nav, class_="pages"), form,
            table(("#", *p["columns"]), rows, right=(True, *p["numeric"])),
            tag("p", downloads)]


def _rows_heading(first: int, shown: int, total: int) -> str:
    if shown == total:
        return {0: "no rows", 1: "the one row"}.get(shown, f"all {plural(shown, 'row')}")
    if shown == 1:
        return f"row {first:,} of {plural(total, 'row')}"
    return f"rows {first:,}–{first + shown - 1:,} of {plural(total, 'row')}"


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
    cols = d["columns"]
    rows = []
    for e in reversed(d["entries"]):  # newest first, as people look for the latest
        jobs = join((join([m, "=", job_link(j)]) for m, j in e["joblist"]), " ")
        deps = join((join([k, " ", v["timestamp"]]) for k, v in (e["deps"] or {}).items()),
                    ", ")
        rows.append((e["timestamp"], e["caption"],
                     *(entry_option_text(e.get("options") or [], c) for c in cols),
                     e["user"], e["build"], jobs, deps))
    body = join([note("newest first"), columns_form(href("urd", d["list"]), cols),
                 table(("timestamp", "caption", *cols, "user", "build", "jobs", "deps"), rows)])
    return Page(f"urd list {d['list']}", d, body)


def entry_option_text(jobs: list[list[Any]], key: str) -> str:
    """Option `key` of an urd entry's jobs ([[job, stored options], ...]): the value when
    the jobs that have the option agree, else each as 'dev-3: value'; '' when none has it."""
    found = [(job, option_text(opts, key)) for job, opts in jobs]
    found = [(job, text) for job, text in found if text != ""]
    if len({text for _, text in found}) == 1:
        return found[0][1]
    return ", ".join(f"{job}: {text}" for job, text in found)


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
    if d.get("source"):
        parts += _source(d["source"])
    cols = d["columns"]
    parts += [h2("newest jobs"), columns_form(href("method", d["name"]), cols)]
    if d["recent_jobs"]:
        parts.append(table(("job", *cols, "status", "started", "runtime", "caption/error"),
                           [(job_link(j["job"]), *(option_text(j["options"], c) for c in cols),
                             status(j["status"]), fmt_time(j["starttime"]),
                             fmt_duration(j["runtime"]), j["note"]) for j in d["recent_jobs"]],
                           right=(False,) * (3 + len(cols)) + (True,)))
        if d["more_jobs"]:
            parts.append(note(join(["more: ", link(href(method=d["name"]), "all its jobs")])))
    else:
        parts.append(note("no jobs of this method yet"))
    return Page(f"method {d['name']}", d, join(parts))


def job_source(d: dict) -> Page:
    """/job/REF/source: the method's source now, and whether the job was built from it."""
    jobid = d["job"]
    parts = [tag("p", join(["job ", job_link(jobid), ", method ", _method_link(d["method"])]))]
    if d.get("error"):
        return Page(f"source of job {jobid}", d,
                    join(parts + [pre(d["error"], class_="error")]))
    c = d["compared"]
    if c["same"]:
        verdict = f"{jobid} was built from this source: the same source hash, {c['now_hash']}."
    elif c["equivalent"]:
        verdict = (f"the source has changed since {jobid} was built, but the method declares "
                   f"its old hash equivalent (equivalent_hashes), so builds reuse {jobid}.")
    else:
        changed = [f["name"] for f in c["files"] if f["how"] != "same"]
        verdict = (f"the source has changed since {jobid} was built (the job directory keeps "
                   f"the hashes, not the files): {', '.join(changed) or 'the hash differs'}. "
                   "What is shown is the source now.")
    parts.append(tag("p", verdict, class_="same" if c["same"] else "changed"))
    parts.append(table(("file", f"hash in {jobid}", "hash now", ""),
                       [(f["name"], _short(f["job"]), _short(f["now"]), f["how"])
                        for f in c["files"]]))
    parts += _source(d["source"], heading=False)
    return Page(f"source of job {jobid}", d, join(parts))


def _short(digest: str | None) -> Html:
    return tag("code", str(digest)[:16], title=digest) if digest else esc("-")


def _source(src: dict, heading: bool = True) -> list[Html]:
    """The method file with line numbers (the numbers are not copied with the text)."""
    parts = [h2("source")] if heading else []
    rows = [] if heading else [("file", tag("code", src["file"]))]  # (the method page has it)
    parts.append(kv(rows + [("source hash", tag("code", src.get("source_hash") or "?"))]))
    if src["note"]:
        parts.append(note(src["note"]))
    if src["text"] is not None:
        lines = src["text"].splitlines()
        width = len(str(len(lines)))
        numbered = join((join([tag("span", f"{i:>{width}}  ", class_="ln"), line, "\n"])
                         for i, line in enumerate(lines, 1)))
        parts.append(tag("pre", numbered, class_="source", id="source"))
    return parts
