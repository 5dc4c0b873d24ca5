"""`ax why`'s reports (accel.explain) as text people read: each difference as a line
('option n: 3 → 4'), the reasons a build would run, the whole report."""

from __future__ import annotations

import json
import time
from typing import Any

from accel.jobstatus import FINISHED, RUNNING
from accel.jsoncodec import decode
from accel.plaintext import fmt_size

__all__ = ["build_reasons", "declare_lines", "describe", "render"]


def _when(ts: Any) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(ts)))
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def _short(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _value(what: str, stored: Any) -> str:
    """An option or input value as people read it."""
    if what in ("dataset input", "job input"):
        if stored is None:
            return "none"
        if isinstance(stored, list):
            return "[" + ", ".join(map(str, stored)) + "]"
        return str(stored)
    try:
        value = decode(stored)
    except (TypeError, ValueError):
        return _short(json.dumps(stored))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if type(value).__name__ == "timedelta":
        return str(value)
    if type(value).__name__ == "JobWithFile":
        return f"{value.job}/{value.name}"
    return _short(repr(value))


def describe(diff: dict) -> str:
    """One difference as a line: 'option n: 3 → 4'."""
    what, name, change = diff["what"], diff.get("name"), diff.get("change")
    old, new = diff.get("old"), diff.get("new")
    if what == "source file":
        if change == "added":
            return f"source file {name}: newly imported ({str(new)[:8]})"
        if change == "removed":
            return f"source file {name}: no longer imported (was {str(old)[:8]})"
        return f"source file {name}: {str(old)[:8]} → {str(new)[:8]}"
    if what == "source hash":
        return (f"source hash {str(old)[:8]} → {str(new)[:8]} (every file the same: "
                "equivalent_hashes or another way of hashing)")
    if what in ("option", "dataset input", "job input"):
        if change == "added":
            return f"{what} {name}: {_value(what, new)} (not {'an' if what == 'option' else 'a'} " \
                   f"{what} of the method then)"
        if change == "removed":
            return f"{what} {name}: no longer declared (was {_value(what, old)})"
        return f"{what} {name}: {_value(what, old)} → {_value(what, new)}"
    if what in ("input file", "input file read"):
        return _file_change(what, name, change, old, new)
    if what == "slices":
        return f"slices {old} → {new}"
    if what == "identity scheme":
        return (f"identity scheme: made by accel {old or '?'}, which computed identities "
                f"differently (now accel {new or '?'})")
    return f"identity {str(old)[:16]} → {str(new)[:16]} (no recorded part differs)"


def _file_change(what: str, name: str | None, change: str | None, old: Any, new: Any) -> str:
    """'input file data/sales.csv changed: 3.1 MB → 3.2 MB' (and the like)."""
    read = what == "input file read"
    head = f"input file {name}" + (" (read by job.input_filename)" if read else "")
    if change == "changed while read":  # its slices found it different: never reused
        return f"{head}: changed while the job read it"
    if change == "added" or not old:
        then = "did not exist then" if read else "not an input file then"
        return f"{head}: {then}, now {fmt_size(new['size'])}"
    if change == "removed" or not new:
        now = "no longer exists" if read else "no longer an input file"
        return f"{head}: {now} (was {fmt_size(old['size'])})"
    a, b = old.get("size"), new.get("size")
    if a == b:
        return f"{head} changed: the same size ({fmt_size(a)}), other content"
    if fmt_size(a) == fmt_size(b):
        return f"{head} changed: {a:,} → {b:,} bytes"
    return f"{head} changed: {fmt_size(a)} → {fmt_size(b)}"


def build_reasons(report: dict, nearest: bool = True) -> list[dict]:
    """Why a build would run (an `explain_plan` report that says "run"), one dict per
    reason, each with its "text": a job of this identity running now ("running"), ones
    that did not finish ("not finished"), finished ones whose files read at run time
    changed (an "input file read" difference, with its "job"), no job of the method yet
    ("first"), and -- with `nearest` -- each difference from the nearest job (with
    "nearest": that job)."""
    out: list[dict] = []
    running = report.get("running")
    if running:
        out.append({"what": "running", "job": running,
                    "text": f"{running} with this identity is running now: the build would "
                            "wait for it and reuse it if it finishes"})
    for entry in report["identical"]:
        out.append({"what": "not finished", **entry,
                    "text": f"{entry['job']} had this identity but is {entry['status']} "
                            "(only finished jobs are reused)"})
    for entry in report.get("stale") or ():
        diff = entry["difference"]
        out.append({**diff, "job": entry["job"],
                    "text": f"{entry['job']}: {describe(diff)} since it ran"})
    if report["first"]:
        out.append({"what": "first",
                    "text": f"there is no finished job of {report['method']} to compare with"})
    near = report.get("nearest")
    if nearest and near:
        out += [{**d, "nearest": near["job"], "text": describe(d)} for d in near["differences"]]
    return out


def _nearest_lines(report: dict, label: str) -> list[str]:
    near = report["nearest"]
    if near is None:
        return []
    diffs = near["differences"]
    when = _when(near.get("starttime"))
    n = len(diffs)
    lines = [f"{label}: {near['job']}{f' (started {when})' if when else ''}, "
             f"{n} difference{'' if n == 1 else 's'}:"]
    lines += ["  " + describe(d) for d in diffs]
    return lines


def declare_lines(hint: dict) -> list[str]:
    """How to say that the source changes since `hint["job"]` do not change results."""
    return [f"if the source changes since {hint['job']} do not change what the method "
            f"computes, add this line to {hint['file']} to reuse its jobs:",
            f"  {hint['line']}"]


def _limit_line(report: dict) -> list[str]:
    if not report.get("limited"):
        return []
    if report["mode"] == "method":
        return [f"(compared with the newest {report['compared']} of {report['finished_jobs']} "
                f"finished jobs of {report['method']} only)"]
    return [f"(compared with the {report['compared']} latest earlier finished jobs of "
            f"{report['method']} only; there are more)"]


def render(report: dict) -> str:
    """The report as text a person reads."""
    method = report["method"]
    lines: list[str] = []
    if report["mode"] == "method":
        if report["verdict"] == "reuse":
            how = "a source hash declared equivalent" if report.get("equivalent") else \
                "the same identity"
            lines.append(f"{method}: would reuse {report['reuse']} (finished, {how})")
            return "\n".join(lines)
        ident = str(report["identity"])[:16]
        if report.get("stale"):
            lines.append(f"{method}: would run (the finished jobs with identity {ident} read "
                         "files at run time that have changed since)")
        else:
            lines.append(f"{method}: would run (no finished job has identity {ident})")
        for reason in build_reasons(report, nearest=False):  # (a stale job's, indented)
            lines.append(("  " if reason["what"] == "input file read" else "") + reason["text"])
        lines += _nearest_lines(report, "nearest job")
        if report.get("declare"):
            lines += declare_lines(report["declare"])
    else:
        job, status = report["job"], report["status"]
        same = report["identical"]
        head = f"{job} ({method}, {status})"
        finished_same = [e for e in same if e["status"] == FINISHED]
        failed_same = [e for e in same if e["status"] != FINISHED]
        if finished_same:
            e = finished_same[0]
            lines.append(f"{head} has the same identity as the earlier {e['job']}, which is "
                         "finished:")
            if report.get("force_build"):
                lines.append(f"  {job} was built with force_build=True")
            elif e.get("reads_changed"):
                lines.append(f"  but a file {e['job']} read had changed since it ran:")
                lines += [f"    {describe(d)}" for d in e["reads_changed"]]
            elif e.get("finished_before") is False:
                lines.append(f"  {e['job']} had not finished yet when {job} started")
            else:
                lines.append(f"  {job} was built with force_build=True, or {e['job']} was not "
                             "in a workdir that build looked in")
        elif failed_same:
            e = failed_same[0]
            lines.append(f"{head} ran again: the earlier {e['job']} with the same identity is "
                         f"{e['status']}, and only finished jobs are reused")
        elif report["first"]:
            lines.append(f"{head} ran because it was the first job of {method}: there is no "
                         "earlier finished one")
        else:
            lines.append(f"{head} ran because no earlier finished job of {method} had its "
                         "identity")
        others = [e for e in same if e is not (finished_same or failed_same)[0]] if same else []
        if others:
            lines.append("  other earlier jobs with the same identity: "
                         + ", ".join(f"{e['job']} ({e['status']})" for e in others))
        if status == RUNNING:
            lines.append(f"{job} is running: once it finishes, builds with its identity "
                         "reuse it")
        elif status != FINISHED:
            lines.append(f"{report.get('damage') or f'{job} is {status}'}: it is never reused; "
                         "a build with its identity runs again")
        if not finished_same:
            lines += _nearest_lines(report, "nearest earlier job")
    lines += _limit_line(report)
    lines += report.get("notes") or []
    return "\n".join(lines)
