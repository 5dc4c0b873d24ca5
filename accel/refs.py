"""Job references as users type them on the command line.

    dev-12           a job id
    METHOD           the latest finished job of that method
    :LIST:           the last job of the latest entry of urd list LIST
    :LIST/TS:        ... of the entry with timestamp TS
    :LIST:METHOD     the job of METHOD in that entry
    REF~N  REF~      N jobs of the same method before REF (default 1)
    REF^   REF^^     REF's `previous` job input, once per ^
    REF/DSNAME       a dataset of the job (the job part is resolved as above)
"""

from __future__ import annotations

import re
from pathlib import Path

from accel import layout, records
from accel.errors import NotFound, UserError
from accel.job import Job
from accel.refsyntax import list_end, split_ref
from accel.store import Store

_SUFFIX = re.compile(r"(~\d*|\^+)$")


def split_dataset(ref: str) -> tuple[str, str | None]:
    """'dev-3/foo' -> ('dev-3', 'foo'); a ':list/ts:' slash is not a dataset slash."""
    if ref.startswith(":") and list_end(ref) == -1:
        raise UserError(f"bad job reference {ref!r}: a list reference is :LIST: or :LIST/TS:")
    return split_ref(ref)


def existing_job(jobid: str) -> Job:
    """Job `jobid`, which must exist (NotFound if it does not). A job directory with
    only a post.json is a job with a damaged setup.json: what reads it says so."""
    job = Job(jobid)
    if not (job.path / layout.SETUP).exists() and not records.has_post(job.path):
        raise NotFound(f"no job {job} (in {job.path.parent})")
    return job


def resolve(ref: str, store: Store, urd_db: Path | None = None) -> Job:
    """The job `ref` names; NotFound when there is no such job, UserError when ref is malformed."""
    ref = ref.strip()
    if not ref:
        raise UserError("empty job reference")
    m = _SUFFIX.search(ref)
    if m:
        base, op = ref[: m.start()], m.group(1)
        job = resolve(base, store, urd_db)
        if op.startswith("~"):
            return _back(job, int(op[1:] or 1), store)
        for _ in op:
            prev = job.previous
            if prev is None:
                raise NotFound(f"{base}: job {job} has no previous job")
            job = prev
        return job
    if ref.startswith(":"):
        return _from_list(ref, urd_db)
    if layout.split_jobid(ref):
        return existing_job(ref)
    if not layout.is_method_name(ref):
        raise UserError(f"bad job reference {ref!r} (expected dev-12, METHOD, :LIST:, REF~N or REF^)")
    latest = store.latest_of(ref)
    if latest is None:
        raise NotFound(f"no finished job of method {ref!r}")
    return Job(latest)


def _back(job: Job, n: int, store: Store) -> Job:
    jobs = store.jobs_of(job.method)
    if job not in jobs:
        raise NotFound(f"job {job} is not a finished job of {job.method!r}")
    i = jobs.index(job) - n
    if i < 0:
        raise NotFound(f"{job}~{n}: only {jobs.index(job)} earlier jobs of {job.method!r}")
    return Job(jobs[i])


def _from_list(ref: str, urd_db: Path | None) -> Job:
    m = re.fullmatch(r":([^:/]+)(?:/([^/]+))?:([^:/]*)", ref)
    if not m or (m.group(3) and not layout.is_method_name(m.group(3))):
        raise UserError(f"bad list reference {ref!r} (expected :LIST:, :LIST/TS: or :LIST:METHOD)")
    listname, ts, method = m.groups()
    if urd_db is None or not urd_db.exists():
        raise NotFound(f"no urd list {listname!r} (no urd lists in this project yet)")
    from accel.urd.lists import UrdLists

    lists = UrdLists(urd_db)
    entry = lists.get(listname, ts) if ts else lists.latest(listname)
    if entry is None:
        raise NotFound(f"urd list {listname!r} has no entry" + (f" {ts}" if ts else ""))
    if method:
        jobid = entry.joblist.get(method)
        if not jobid:
            raise NotFound(f"{ref}: the entry has no job of method {method!r}")
        return Job(jobid)
    if not entry.joblist:
        raise NotFound(f"{ref}: the entry has no jobs")
    return Job(entry.joblist[-1])
