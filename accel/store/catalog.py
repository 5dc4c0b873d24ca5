"""Every job of every workdir, read lazily: what `ax jobs` searches and `ax gc` walks.

A `JobRecord` is one job directory. It reads nothing until asked: the directory's stat,
setup.json, post.json and the status (`accel.records.status_of`) are each read once, when
first needed. `records()` walks the workdirs newest first (by number within a workdir),
so a search that stops after N matches reads only what it had to, and `matches()` asks
the cheap questions (a stat, then setup.json) before the dearer ones (post.json, the
status).

What `ax gc` may delete is decided in `accel.store.gc`. Nothing here prints; the CLI
modules do.
"""

from __future__ import annotations

import heapq
import json
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from accel import layout
from accel.errors import JobDamaged
from accel.jobstatus import DAMAGED, NOT_ENDED
from accel.jsoncodec import decode
from accel.plaintext import show_value
from accel.records import damage_of, lock_status, read_post, read_setup
from accel.words import shorten

YOUNG = 60.0  # an unfinished job this new may be one a builder is still setting up
MTIME_SLACK = 3600.0  # seconds a directory mtime may lag the start time it bounds: coarse
                      # timestamps, a file server whose clock is behind ours


# --- one job ------------------------------------------------------------------------------


def _read_dataset_meta(job_path: Path, name: str) -> dict | None:
    """The meta.json (any format) of the job's dataset `name`, or None when it is missing
    or damaged. (Its folder as the reader finds it: `dataset_dir`.)"""
    from accel.dataset.format import dataset_dir, read_meta
    from accel.errors import AccelError

    try:
        return read_meta(dataset_dir(job_path, name))
    except (OSError, AccelError):
        return None


class JobRecord:
    """One job directory, read on demand (each file at most once)."""

    __slots__ = ("jobid", "workdir", "number", "dir", "_setup", "_post", "_status", "_mtime",
                 "_damage", "unknown_refs")

    def __init__(self, workdir: str, number: int, path: str | os.PathLike):
        self.workdir = workdir
        self.number = number
        self.jobid = f"{workdir}-{number}"
        self.dir = os.fspath(path)  # a str: 100,000 Path joins cost more than the reading
        self._setup: dict | None = None  # None: not read yet
        self._post: dict | Literal[False] | None = None  # False: read, and there is none
        self._status: str | None = None
        self._mtime: float | None = None
        self._damage: str | None = None
        # set by references() when part of what the job uses cannot be read
        self.unknown_refs: str | None = None

    def __repr__(self) -> str:
        return f"JobRecord({self.jobid!r})"

    @property
    def path(self) -> Path:
        return Path(self.dir)

    @property
    def setup(self) -> dict:
        """setup.json ({} when there is none yet, or it is damaged: see `damage`)."""
        if self._setup is None:
            try:
                self._setup = read_setup(self.dir) or {}
            except JobDamaged as e:
                self._setup = {}
                self._damage = self._damage or str(e)
        return self._setup

    @property
    def post(self) -> dict | None:
        """post.json; None while there is none, or when it is damaged (see `damage`)."""
        if self._post is None:
            try:
                self._post = read_post(self.dir)
            except JobDamaged as e:
                self._damage = self._damage or str(e)
            if self._post is None:
                self._post = False
        return self._post if self._post is not False else None

    @property
    def settled(self) -> bool:
        """Its post.json was read and says how it ended: nothing it says changes any more,
        so a viewer may keep this record."""
        return self._post is not None and self._post is not False

    @property
    def damage(self) -> str | None:
        """What is wrong with its setup.json or post.json (None when both read): a job
        that says it finished but has no setup.json is damaged too."""
        post, setup = self.post, self.setup
        if self._damage is None and post is not None and not setup:
            found = damage_of(self.dir)
            self._damage = str(found) if found is not None else None
        return self._damage

    @property
    def status(self) -> str:
        """As `accel.records.status_of` says, from what this record read (each file once):
        damaged, what post.json says, else running or unfinished (the lock)."""
        if self._status is None:
            post = self.post
            if self.damage is not None:
                self._status = DAMAGED
            elif post is None:
                self._status = lock_status(self.dir)
                if self._status not in NOT_ENDED:  # it ended just now
                    self._post = None
            else:
                self._status = post["status"]
        return self._status

    @property
    def post_status(self) -> str:
        """The status as post.json alone tells it (damaged when post.json is). Only a
        damaged setup.json can turn it into `damaged`, so a status filter that wants
        neither this nor damaged can pass the job over without reading setup.json."""
        if self._status is not None:
            return self._status
        post = self.post
        if self._damage is not None:
            return DAMAGED
        return self.status if post is None else post["status"]

    def last_used(self) -> float | None:
        """When a build last found this job to reuse (Builder.mark_used), or finished it:
        its post.json's mtime. None without a post.json."""
        return post_mtime(self.path)

    @property
    def mtime(self) -> float:
        """When something last changed in the job directory (0 if it is gone)."""
        if self._mtime is None:
            try:
                self._mtime = os.stat(self.dir).st_mtime
            except OSError:
                self._mtime = 0.0
        return self._mtime

    @property
    def method(self) -> str | None:
        return self.setup.get("method")

    @property
    def caption(self) -> str:
        return str(self.setup.get("caption") or "")

    @property
    def starttime(self) -> float | None:
        t = self.setup.get("starttime")
        if not isinstance(t, (int, float)):
            t = (self.post or {}).get("starttime")
        return float(t) if isinstance(t, (int, float)) else None

    @property
    def endtime(self) -> float | None:
        t = (self.post or {}).get("endtime")
        return float(t) if isinstance(t, (int, float)) else None

    @property
    def runtime(self) -> float | None:
        """Seconds the job ran (post.json's exectime, or end - start); None without post.json."""
        post = self.post or {}
        t = post.get("exectime")
        if isinstance(t, (int, float)):
            return float(t)
        end, start = post.get("endtime"), post.get("starttime") or self.setup.get("starttime")
        if isinstance(end, (int, float)) and isinstance(start, (int, float)):
            return float(end) - float(start)
        return None

    @property
    def maxrss_kb(self) -> float | None:
        """The most memory the job took (post.json's maxrss_kb); None when not recorded."""
        kb = (self.post or {}).get("maxrss_kb")
        return float(kb) if isinstance(kb, (int, float)) else None

    @property
    def error(self) -> dict | None:
        err = (self.post or {}).get("error")
        return err if isinstance(err, dict) else None

    def short_error(self, width: int = 70) -> str:
        """'analysis 1: ValueError: slice one is broken', cut to `width`."""
        err = self.error
        if not err:
            return ""
        msg = str(err.get("message") or "").strip().splitlines()
        text = ": ".join(s for s in (str(err.get("part") or ""), str(err.get("exception") or ""),
                                      msg[0] if msg else "") if s)
        return shorten(text, width)

    def last_change(self) -> float:
        """The newest of its start, its end, its directory's mtime and its last reuse by a
        build: how long it has been left alone."""
        return max(t for t in (self.starttime, self.endtime, self.mtime, self.last_used(), 0.0)
                   if t is not None)

    def is_young(self, now: float, fresh: bool = False) -> bool:
        """Made (or touched) less than YOUNG seconds ago: maybe a builder is setting it up.
        `fresh`: look at the directory again rather than trust what was seen before."""
        if fresh:
            self._mtime = None
        newest = self.mtime
        try:
            newest = max(newest, os.stat(self.path / layout.SETUP).st_mtime)
        except OSError:
            pass
        return now - newest < YOUNG

    # --- what it refers to ----------------------------------------------------------------

    def references(self) -> dict[str, str]:
        """Job id -> how this job uses it: its job and dataset inputs, the jobs of
        JobWithFile options, its subjobs, and the previous/parent of its own datasets."""
        found = setup_references(self.setup, self.jobid)
        add = _adder(found, self.jobid)
        post = self.post
        add(subjobs_of(self.path, post, self.jobid), "subjob")
        if post is not None:
            names = post.get("datasets")
            ds_names = [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
        else:  # running (or died): its datasets so far
            try:
                ds_names = [layout.dataset_name(n) for n in os.listdir(self.path / "datasets")]
            except OSError:
                ds_names = []
        for name in ds_names:
            meta = _read_dataset_meta(self.path, name)
            if isinstance(meta, dict):
                add(meta.get("previous"), f"dataset {name!r}: previous")
                add(meta.get("parent"), f"dataset {name!r}: parent")
            elif post is not None:  # a finished dataset whose previous/parent is unknown
                self.unknown_refs = (f"the meta.json of its dataset {name!r} is missing or "
                                     "damaged")
        if self.damage is not None:
            self.unknown_refs = self.damage
        return found

    def disk_usage(self) -> int:
        """Bytes the job directory takes on disk (as du counts them)."""
        return disk_usage(self.path)

    def summary(self) -> dict:
        """What `ax jobs --json` and `ax workdir NAME --json` print of a job (and the
        board shows): the keys every command uses, `job` for its id, `runtime` for how
        long it ran."""
        return {"job": self.jobid, "workdir": self.workdir, "method": self.method,
                "status": self.status, "starttime": self.starttime, "endtime": self.endtime,
                "runtime": self.runtime, "caption": self.caption, "error": self.error,
                "options": self.setup.get("options"), "path": str(self.path)}


def setup_references(setup: dict, jobid: str) -> dict[str, str]:
    """Job id -> how a job (`jobid`, with this setup.json) takes it as an input: its job
    and dataset inputs and the jobs of its JobWithFile options (what the board's "used
    by" reverses)."""
    found: dict[str, str] = {}
    add = _adder(found, jobid)
    for kind in ("jobs", "datasets"):
        inputs = setup.get(kind)
        if isinstance(inputs, dict):
            for name, value in inputs.items():
                add(value, f"{kind[:-1]} input {name!r}")
    for other in _jobwithfile_jobs(setup.get("options")):
        add(other, "a JobWithFile option")
    return found


def subjobs_of(path: str | os.PathLike, post: dict | None, jobid: str) -> list[str]:
    """The jobs job `jobid` (at `path`, with this post.json) built with subjobs.build: its
    post.json's list once it has ended, else those built so far (the note subjobs.build
    appends to as it builds each, for a job that runs or died)."""
    if post is not None:
        listed = post.get("subjobs")
    else:
        try:
            with open(os.path.join(path, layout.SCRATCH, "subjobs"), encoding="utf-8") as f:
                listed = f.read().split()
        except (OSError, UnicodeDecodeError):
            listed = None
    found: dict[str, str] = {}
    _adder(found, jobid)(listed if isinstance(listed, list) else [], "subjob")
    return list(found)


def _adder(found: dict[str, str], own: str) -> Callable[[Any, str], None]:
    """add(value, how): the job of each job id or dataset id in `value` (a list too)."""
    def add(value: Any, how: str) -> None:
        if isinstance(value, list):
            for v in value:
                add(v, how)
        elif isinstance(value, str) and value:
            jobid = value.split("/", 1)[0]
            if layout.split_jobid(jobid) and jobid != own:
                found.setdefault(jobid, how)
    return add


def _jobwithfile_jobs(obj: Any) -> Iterator[str]:
    """The job of every {"$jobwithfile": {...}} tag in stored (encoded) options."""
    if isinstance(obj, dict):
        if len(obj) == 1 and "$jobwithfile" in obj:
            body = obj["$jobwithfile"]
            if isinstance(body, dict) and isinstance(body.get("job"), str):
                yield body["job"]
            return
        for v in obj.values():
            yield from _jobwithfile_jobs(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _jobwithfile_jobs(v)


def post_mtime(job_dir: Path) -> float | None:
    """When the job's post.json was last written or touched; None without one."""
    try:
        return os.stat(job_dir / layout.POST).st_mtime
    except OSError:
        return None


def disk_usage(path: Path) -> int:
    """Bytes the tree at `path` takes on disk (its blocks), not following links."""
    total = 0
    stack = [str(path)]
    while stack:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                for entry in it:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    try:
        st = os.lstat(path)
        total += st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size
    except OSError:
        pass
    return total


# --- walking the workdirs -----------------------------------------------------------------


def numbered(name: str, path: str | os.PathLike) -> list[int]:
    """The job numbers in workdir `name` at `path`, newest (highest) first."""
    try:
        entries = os.listdir(path)
    except OSError:
        return []
    prefix = name + "-"
    found = []
    for fn in entries:
        if fn.startswith(prefix):
            tail = fn[len(prefix):]
            if tail.isdigit() and tail.isascii():
                found.append(int(tail))
    found.sort(reverse=True)
    return found


def _stream(name: str, path: str) -> Iterator[JobRecord]:
    for n in numbered(name, path):
        yield JobRecord(name, n, f"{path}/{name}-{n}")


def records(workdirs: dict[str, Path]) -> Iterator[JobRecord]:
    """Every job of these workdirs, newest first.

    Within a workdir that is number order. Several workdirs are merged by when each job's
    setup.json was written (its start, to a few milliseconds): one stat per job.
    """
    return newest_first([_stream(name, os.fspath(path)) for name, path in workdirs.items()])


def newest_first(streams: list[Iterator[JobRecord]]) -> Iterator[JobRecord]:
    """One stream of JobRecords, newest first, from one per workdir (each newest first)."""
    if len(streams) == 1:
        yield from streams[0]
        return

    def keyed(stream: Iterator[JobRecord]) -> Iterator[tuple[float, JobRecord]]:
        for rec in stream:
            try:
                t = os.stat(rec.dir + "/" + layout.SETUP).st_mtime
            except OSError:
                t = rec.mtime
            yield -t, rec

    for _, rec in heapq.merge(*(keyed(s) for s in streams), key=lambda p: p[0]):
        yield rec


# --- searching ----------------------------------------------------------------------------


@dataclass
class Query:
    """What `ax jobs` looks for; every given criterion must hold."""

    methods: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    since: float | None = None  # started at or after
    until: float | None = None  # started before
    min_runtime: float | None = None
    options: tuple[tuple[str, str], ...] = ()  # (KEY, VALUE text)

    def matches(self, rec: JobRecord) -> bool:
        # a stat: a job whose directory last changed (well) before --since started before it
        if self.since is not None and rec.mtime + MTIME_SLACK < self.since:
            return False
        # setup.json
        if self.methods and rec.method not in self.methods:
            return False
        if self.since is not None or self.until is not None:
            start = rec.starttime
            if start is None:
                start = rec.mtime
            if self.since is not None and start < self.since:
                return False
            if self.until is not None and start >= self.until:
                return False
        if self.options:
            opts = rec.setup.get("options")
            if not isinstance(opts, dict):
                return False
            if not all(option_matches(opts, key, text) for key, text in self.options):
                return False
        # post.json (and the lock, for a job without one)
        if self.statuses:
            if rec.post_status not in self.statuses and DAMAGED not in self.statuses:
                return False  # (without reading setup.json: see post_status)
            if rec.status not in self.statuses:
                return False
        if self.min_runtime is not None:
            runtime = rec.runtime
            if runtime is None or runtime < self.min_runtime:
                return False
        return True


def search(workdirs: dict[str, Path], query: Query, limit: int | None = None,
           source: Iterator[JobRecord] | None = None) -> Iterator[JobRecord]:
    """The jobs matching `query`, newest first; stops after `limit` of them. `source`:
    the jobs to search, newest first, when not records(workdirs)."""
    if limit is not None and limit <= 0:
        return
    found = 0
    for rec in records(workdirs) if source is None else source:
        if query.matches(rec):
            yield rec
            found += 1
            if limit is not None and found >= limit:
                return


_MISSING = object()


def _lookup(options: dict, key: str) -> Any:
    """The stored value of option `key`; 'a.b' reaches into a dict option (if there is no
    option called 'a.b')."""
    if key in options:
        return options[key]
    value: Any = options
    for part in key.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value


def option_text(options: Any, key: str) -> str:
    """Stored (encoded) option `key` as a person reads it (`ax job` shows options so), for
    a column of option values (`ax jobs --columns`, `JobList.format`, the board); '' when
    the job has no such option. 'a.b' reaches into a dict option, as in option_matches."""
    stored = _lookup(options, key) if isinstance(options, dict) else _MISSING
    if stored is _MISSING:
        return ""
    try:
        value = decode(stored)
    except (ValueError, TypeError):
        value = stored
    return show_value(value)


def option_matches(options: dict, key: str, text: str) -> bool:
    """Whether stored (encoded) option `key` reads as `text`.

    Matches the value's Python text (`str()`), its JSON text, a number equal to it
    (`3` matches 3 and 3.0), true/false/none/null in any case for booleans and None, and
    ISO text for dates and times.
    """
    stored = _lookup(options, key)
    if stored is _MISSING:
        return False
    try:
        value = decode(stored)
    except (ValueError, TypeError):
        value = stored
    if isinstance(value, str):
        return value == text
    if value is None or isinstance(value, bool):
        return text.strip().lower() in ({"none", "null"} if value is None else {str(value).lower()})
    if isinstance(value, (int, float)):
        try:
            return float(text) == float(value) or (math.isnan(value) and math.isnan(float(text)))
        except ValueError:
            return False
    if isinstance(value, (date, datetime)) or hasattr(value, "isoformat"):
        try:
            return value.isoformat() == text or str(value) == text
        except Exception:
            return str(value) == text
    if text == str(value):
        return True
    if text == json.dumps(stored, ensure_ascii=False) or \
            text == json.dumps(stored, ensure_ascii=False, separators=(",", ":")):
        return True
    try:
        return json.loads(text) == stored
    except ValueError:
        return False
