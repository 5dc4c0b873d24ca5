"""Why a job ran, or why a build would run: `ax why`.

A job is reused exactly when a finished job has the same identity, and the identity is a
hash of parts every job keeps in its setup.json: the method's source hash (with the hash
of every file it covers), the normalised options, the dataset and job inputs, the number
of slices. So "why" is a comparison of those parts with the nearest existing job of the
method -- the one with the fewest differences, the newest of equals.

    explain_build(planner, store, method, {"n": "4"})   what urd.build(method, n="4" as
                                                        text) would do
    explain_plan(planner, store, plan)                  the same, of a Plan (a dry run's)
    explain_job(store, "dev-7")                         why dev-7 ran rather than reusing a job

accel.whytext words a report for people (`render`).

A report is plain JSON data (what `ax why --json` prints). Only the newest `limit` finished
jobs of the method are compared (each costs a read of its setup.json); the report says
when there were more.

A difference is a dict: ``what`` (``source file``, ``source hash``, ``option``, ``dataset
input``, ``job input``, ``input file``, ``input file read``, ``slices``, ``identity
scheme``, ``identity``), ``name`` (the file, option or input, else None), ``change`` (``changed``, ``added``, ``removed``), and ``old``
(the nearest job's) and ``new`` (this build's, or the explained job's). Option values are
in accel's stored JSON form (as in setup.json); an input file's are {"size", "hash"}.
An ``input file read`` is a file a job asked for by job.input_filename (post.json): it is
no part of the identity, but a job whose such file changed is not reused ("stale").
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accel import layout, records
from accel.equivalence import declaration, declared_hashes
from accel.errors import JobDamaged, OptionError
from accel.identity import combine
from accel.inputreads import changed_while_read
from accel.job import Job
from accel.jobstatus import FINISHED
from accel.jsoncodec import decode
from accel.plan import Plan, Planner, check_inputs, identity_of
from accel.records import status_of
from accel.textvalues import from_text

if TYPE_CHECKING:
    from accel.methods import MethodInfo
    from accel.store import Store

__all__ = ["LIMIT", "compare", "equivalence_hint", "explain_build", "explain_job", "explain_plan"]

LIMIT = 200  # finished jobs of the method compared, newest first


# --- what is compared -----------------------------------------------------------------------

def _read_setup(path: str | os.PathLike) -> dict | None:
    """The job's setup.json, or None when it has none or it is damaged (`ax why` compares
    what it can read; the damaged job is not a candidate for reuse either)."""
    try:
        return records.read_setup(path)
    except JobDamaged:
        return None


def _accel_version(setup: dict) -> str | None:
    versions = setup.get("versions")
    return versions.get("accel") if isinstance(versions, dict) else None


def _recomputed(setup: dict) -> str | None:
    """The identity this accel computes from the parts a setup.json records (None when they
    cannot be read), to tell a job made under another identity scheme."""
    try:
        files = setup.get("source_files")
        if isinstance(files, dict) and files and combine(files) != setup.get("source_hash"):
            return None  # another source hashing scheme
        return identity_of(setup["method"], setup["source_hash"], int(setup["slices"]),
                           decode(setup.get("options") or {}), setup.get("datasets") or {},
                           setup.get("jobs") or {}, setup.get("input_files"))
    except (KeyError, TypeError, ValueError):
        return None


def _current_scheme(setup: dict) -> bool:
    return _recomputed(setup) == setup.get("identity")


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _named(what: str, old: dict, new: dict) -> list[dict]:
    out = []
    for name in [*new, *(n for n in old if n not in new)]:
        if name in old and name in new:
            if not _same(old[name], new[name]):
                out.append({"what": what, "name": name, "change": "changed",
                            "old": old[name], "new": new[name]})
        elif name in new:
            out.append({"what": what, "name": name, "change": "added", "old": None,
                        "new": new[name]})
        else:
            out.append({"what": what, "name": name, "change": "removed", "old": old[name],
                        "new": None})
    return out


def compare(new: dict, old: dict, equivalent_sources: Iterable[str] = ()) -> list[dict]:
    """The differences between two setup.json-shaped dicts: `new` (this build or the
    explained job) against `old` (an existing job). Empty when they have one identity."""
    diffs: list[dict] = []
    if new.get("source_hash") != old.get("source_hash") and \
            old.get("source_hash") not in set(equivalent_sources):
        nf, of = new.get("source_files") or {}, old.get("source_files") or {}
        for name in sorted(set(nf) | set(of)):
            if nf.get(name) != of.get(name):
                change = "changed" if name in nf and name in of else (
                    "added" if name in nf else "removed")
                diffs.append({"what": "source file", "name": name, "change": change,
                              "old": of.get(name), "new": nf.get(name)})
        if not diffs:
            diffs.append({"what": "source hash", "name": None, "change": "changed",
                          "old": old.get("source_hash"), "new": new.get("source_hash")})
    diffs += _named("option", old.get("options") or {}, new.get("options") or {})
    diffs += _named("dataset input", old.get("datasets") or {}, new.get("datasets") or {})
    diffs += _named("job input", old.get("jobs") or {}, new.get("jobs") or {})
    diffs += _named("input file", old.get("input_files") or {}, new.get("input_files") or {})
    if new.get("slices") != old.get("slices"):
        diffs.append({"what": "slices", "name": None, "change": "changed",
                      "old": old.get("slices"), "new": new.get("slices")})
    if new.get("identity") != old.get("identity"):
        new_ok, old_ok = _current_scheme(new), _current_scheme(old)
        va, vb = _accel_version(old), _accel_version(new)
        if new_ok != old_ok or (not new_ok and va != vb):
            diffs.append({"what": "identity scheme", "name": None, "change": "changed",
                          "old": va, "new": vb})
        elif not diffs:  # nothing recorded differs, yet the identities do
            diffs.append({"what": "identity", "name": None, "change": "changed",
                          "old": old.get("identity"), "new": new.get("identity")})
    return diffs


def _nearest(new: dict, candidates: Iterable[tuple[str, dict]],
             equivalent_sources: Iterable[str] = ()) -> tuple[dict | None, int, list[dict]]:
    """(nearest, how many compared, identical ones) from (jobid, setup), newest first.
    Identical ones (same identity) are left out of the choice of the nearest."""
    best, best_n, count, same = None, None, 0, []
    for jobid, setup in candidates:
        count += 1
        if setup.get("identity") == new.get("identity"):
            same.append({"job": jobid, "status": FINISHED})
            continue
        diffs = compare(new, setup, equivalent_sources)
        if best_n is None or len(diffs) < best_n:
            best_n = len(diffs)
            best = {"job": jobid, "status": FINISHED, "starttime": setup.get("starttime"),
                    "accel": _accel_version(setup), "differences": diffs}
    return best, count, same


# --- where the jobs are ---------------------------------------------------------------------

def _setups(jobids: Iterable[str]) -> Iterable[tuple[str, dict]]:
    for jobid in jobids:
        setup = _read_setup(Job(jobid).path)
        if setup is not None:
            yield jobid, setup


def _finished_ids(store: Store, name: str) -> set[str]:
    """Every finished job of workdir `name`, of any method: the index's by-method lists."""
    store.indexes[name].ensure_ready()
    folder = store.workdirs[name].meta / "by-method"
    found: set[str] = set()
    try:
        entries = os.listdir(folder)
    except FileNotFoundError:
        return found
    for fn in entries:
        try:
            found.update((folder / fn).read_text().split())
        except (OSError, UnicodeDecodeError):
            continue
    return found


def _not_finished(store: Store, method: str, identity: str, before: dict | None = None,
                  limit: int = LIMIT) -> list[dict]:
    """Jobs of `method` with `identity` that did not finish (failed, canceled, timeout,
    unfinished, running), newest first; only earlier than `before` (a setup) when given.
    Reads the setup.json of at most `limit` not-finished jobs per workdir."""
    out = []
    before_wd = layout.jobid_parts(before["jobid"]) if before else None
    for name, wd in store.workdirs.items():
        finished = _finished_ids(store, name)
        read = 0
        for jobid, n in reversed(wd.scan()):
            if jobid in finished:
                continue
            if before_wd is not None and name == before_wd[0] and n >= before_wd[1]:
                continue
            if read >= limit:
                break
            read += 1
            setup = _read_setup(wd.path / jobid)
            if setup is None or setup.get("method") != method or setup.get("identity") != identity:
                continue
            if before is not None and before_wd is not None and name != before_wd[0] and \
                    not _started_before(setup, before):
                continue
            status = status_of(wd.path / jobid)
            if status != FINISHED:  # (it may have finished since the lists were read)
                out.append({"job": jobid, "status": status})
    return out


def _started_before(setup: dict, before: dict) -> bool:
    try:
        return float(setup["starttime"]) < float(before["starttime"])
    except (KeyError, TypeError, ValueError):
        return False


def _limited(jobids: list[str], limit: int) -> list[str]:
    """The newest `limit`, newest first."""
    return list(reversed(jobids[-limit:])) if limit > 0 else []


# --- the two questions ----------------------------------------------------------------------

def explain_build(planner: Planner, store: Store, method: str, values: dict[str, str], *,
                  urd_db: Path | None = None, limit: int = LIMIT) -> dict:
    """What `urd.build(method, ...)` with these text values would do, and why."""
    from accel.refs import resolve as resolve_ref

    info = planner.methods.get(method)
    opts, dss, jbs = from_text(method, info, values,
                               resolve=lambda ref: str(resolve_ref(ref, store, urd_db)))
    report = explain_plan(planner, store, planner.plan(method, opts, dss, jbs), limit=limit)
    report["given"] = dict(values)
    return report


def explain_plan(planner: Planner, store: Store, plan: Plan, *, limit: int = LIMIT,
                 pending: Collection[str] = ()) -> dict:
    """What a build of `plan` would do, and why (`explain_build` without "given").
    `pending`: job ids of jobs that do not exist yet (a dry run's placeholders), which
    its inputs may name: they are not checked, and no note says they are missing."""
    method, info = plan.info.name, plan.info
    report: dict[str, Any] = {
        "mode": "method", "method": method, "identity": plan.identity,
        "verdict": "run", "reuse": None, "equivalent": False, "running": None,
        "identical": [], "first": False, "nearest": None, "compared": 0, "finished_jobs": 0,
        "limited": False, "declare": None, "notes": [],
    }
    found, stale = _finished_twin(store, plan, planner)
    report["stale"] = stale
    if found:
        report["verdict"] = "reuse"
        report["reuse"] = found
        setup = _read_setup(Job(found).path) or {}
        report["equivalent"] = setup.get("identity") != plan.identity
        return report
    new = json.loads(json.dumps(planner.setup_record(plan)))  # as a job's setup.json reads
    for running in store.running.values():
        for entry in running.entries():
            theirs = _read_setup(entry.path)
            if theirs and theirs.get("identity") == plan.identity:
                report["running"] = entry.jobid
    report["identical"] = [e for e in _not_finished(store, method, plan.identity, limit=limit)
                           if e["job"] != report["running"]]
    jobids = store.jobs_of(method)
    report["finished_jobs"] = len(jobids)
    report["first"] = not jobids
    eq = planner.equivalent_sources(info, plan.source_hash)
    nearest, count, same = _nearest(new, _setups(_limited(jobids, limit)), eq)
    for twin in same:  # finished, with this identity: unless what it read has changed
        if twin["job"] not in {x["job"] for x in stale}:
            read = planner.changed_read(Job(twin["job"]).path)
            if read is not None:
                stale.append({"job": twin["job"], "difference": read})
    same = [e for e in same if e["job"] not in {x["job"] for x in stale}]
    if same:  # the index missed it (being rebuilt?): a build finds it once it is back
        report.update(verdict="reuse", reuse=same[0]["job"])
        return report
    report.update(nearest=nearest, compared=count, limited=len(jobids) > limit)
    if nearest and all(d["what"] in ("source file", "source hash") for d in nearest["differences"]):
        old = (_read_setup(Job(nearest["job"]).path) or {}).get("source_hash")
        if isinstance(old, str):  # only the source differs: declaring it the same reuses it
            report["declare"] = _hint(planner, info, plan.source_hash,
                                      [old, *declared_hashes(info.equivalent_hashes)],
                                      nearest["job"])
    try:
        check_inputs(plan, pending)
    except OptionError as e:
        report["notes"].append(f"the build would stop before running: {e}")
    return report


def equivalence_hint(planner: Planner, store: Store, method: str, *,
                     limit: int = LIMIT) -> dict | None:
    """The newest finished job of `method` made from a source the current one does not
    reuse, and the `equivalent_hashes` line that would reuse it: {"job", "old", "new",
    "file", "line"}; None when every job of the method was made from the current source."""
    info = planner.methods.get(method)
    current, _files = planner.source(info)
    covered = {current, *planner.equivalent_sources(info, current)}
    for jobid, setup in _setups(_limited(store.jobs_of(method), limit)):
        old = setup.get("source_hash")
        if isinstance(old, str) and old not in covered:
            return _hint(planner, info, current, [old, *declared_hashes(info.equivalent_hashes)],
                         jobid)
    return None


def _hint(planner: Planner, info: MethodInfo, current: str, older: list[str], jobid: str) -> dict:
    try:
        file = os.path.relpath(info.file, planner.config.project_dir)
    except ValueError:
        file = str(info.file)
    if file.startswith(".."):
        file = str(info.file)
    return {"job": jobid, "old": older[0], "new": current, "file": file,
            "line": declaration(current, older)}


def _finished_twin(store: Store, plan: Plan, planner: Planner) -> tuple[str | None, list[dict]]:
    """The finished job a build of `plan` would reuse (one of an equivalent source too),
    and the ones it would not, for a file they read by job.input_filename has changed:
    [{"job", "difference"}]."""
    stale: list[dict] = []
    for identity in (plan.identity, *plan.equivalent):
        jobid = store.lookup(identity, plan.info.name)
        if jobid and (Job(jobid).path / layout.POST).exists():
            changed = planner.changed_read(Job(jobid).path)
            if changed is None:
                return jobid, stale
            stale.append({"job": jobid, "difference": changed})
    return None, stale


def explain_job(store: Store, job: str, *, limit: int = LIMIT) -> dict:
    """Why `job` ran instead of reusing an earlier job of its method."""
    job = Job(job)
    setup = records.require_setup(job.path)  # JobDamaged names what is wrong
    setup.setdefault("jobid", str(job))
    method = setup.get("method") or job.method
    status = status_of(job.path)
    report: dict[str, Any] = {
        "mode": "job", "job": str(job), "method": method, "status": status,
        "damage": str(records.damage_of(job.path) or "") or None,
        "identity": setup.get("identity"), "starttime": setup.get("starttime"),
        "verdict": "ran", "identical": [], "first": False, "nearest": None, "compared": 0,
        "finished_jobs": 0, "limited": False, "notes": [],
    }
    wd, number = layout.jobid_parts(str(job))
    jobids = store.jobs_of(method)

    def earlier() -> Iterable[tuple[str, dict]]:
        for jobid in reversed(jobids):
            if jobid == job:
                continue
            other_wd, n = layout.jobid_parts(jobid)
            if other_wd == wd and n > number:
                continue
            s = _read_setup(Job(jobid).path)
            if s is None or (other_wd != wd and not _started_before(s, setup)):
                continue
            yield jobid, s

    candidates: list[tuple[str, dict]] = []
    for pair in earlier():
        if len(candidates) >= limit:
            report["limited"] = True
            break
        candidates.append(pair)
    report["finished_jobs"] = None  # not counted: that would read every earlier job
    nearest, count, same = _nearest(setup, candidates)
    reads = (records.read_post(job.path) or {}).get("input_files") or {}
    for entry in same:  # finished earlier with the same identity: was it there in time?
        post = Job(entry["job"]).post
        theirs = post.get("input_files") or {}
        unsteady = changed_while_read(theirs)
        changed = [unsteady] if unsteady else _named("input file read", theirs, reads)
        if changed:  # (why REF ran, though REF's twin had finished: what it read changed)
            entry["reads_changed"] = changed
        try:
            entry["finished_before"] = float(post["endtime"]) <= float(setup["starttime"])
        except (KeyError, TypeError, ValueError):
            entry["finished_before"] = None
    report["identical"] = same + _not_finished(store, method, setup.get("identity") or "",
                                               before=setup, limit=limit)
    report.update(nearest=nearest, compared=count, first=not candidates)
    # recorded by builders that record it; None: not known
    report["force_build"] = setup.get("force_build")
    return report
