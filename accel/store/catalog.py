"""Every job of every workdir, read lazily: what `ax jobs` searches and `ax gc` collects.

A `JobRecord` is one job directory. It reads nothing until asked: the directory's stat,
setup.json, post.json and the status (`accel.job.status_of`) are each read once, when
first needed. `records()` walks the workdirs newest first (by number within a workdir),
so a search that stops after N matches reads only what it had to, and `matches()` asks
the cheap questions (a stat, then setup.json) before the dearer ones (post.json, the
status).

The collector (`plan_gc`, `delete`) decides what `ax gc` may delete and deletes it safely:
see their docstrings. Nothing here prints; the CLI modules do.
"""

from __future__ import annotations

import heapq
import json
import math
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from accel import layout
from accel.errors import JobDamaged, UserError
from accel.jobstatus import DAMAGED, ENDED_BADLY, FINISHED, NOT_ENDED, RUNNING, UNFINISHED
from accel.jsoncodec import decode
from accel.records import damage_of, lock_status, read_post, read_setup, status_of

YOUNG = 60.0  # an unfinished job this new may be one a builder is still setting up
MTIME_SLACK = 3600.0  # seconds a directory mtime may lag the start time it bounds: coarse
                      # timestamps, a file server whose clock is behind ours
TRASH = "trash"  # <workdir>/.accel/trash/: deleted jobs on their way out


# --- one job ------------------------------------------------------------------------------


def _read_dataset_meta(ds_dir: Path) -> dict | None:
    """A dataset's meta.json (any format), or None when it is missing or damaged."""
    from accel.dataset.format import read_meta
    from accel.errors import AccelError

    try:
        return read_meta(ds_dir)
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
        self._setup: Any = None
        self._post: Any = None
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
        return _post_mtime(self.path)

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
        return text if len(text) <= width else text[: width - 3] + "..."

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
        found: dict[str, str] = {}

        def add(value: Any, how: str) -> None:
            if isinstance(value, list):
                for v in value:
                    add(v, how)
            elif isinstance(value, str) and value:
                jobid = value.split("/", 1)[0]
                if layout.split_jobid(jobid) and jobid != self.jobid:
                    found.setdefault(jobid, how)

        setup = self.setup
        for kind in ("jobs", "datasets"):
            inputs = setup.get(kind)
            if isinstance(inputs, dict):
                for name, value in inputs.items():
                    add(value, f"{kind[:-1]} input {name!r}")
        for jobid in _jobwithfile_jobs(setup.get("options")):
            add(jobid, "a JobWithFile option")
        post = self.post
        if post is not None:
            add(post.get("subjobs"), "subjob")
            names = post.get("datasets")
            ds_names = [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
        else:  # running (or died): the subjobs it has built so far, its datasets so far
            try:
                text = (self.path / layout.SCRATCH / "subjobs").read_text()
                add(text.split(), "subjob")
            except (OSError, UnicodeDecodeError):
                pass
            try:
                ds_names = [layout.dataset_name(n) for n in os.listdir(self.path / "datasets")]
            except OSError:
                ds_names = []
        for name in ds_names:
            meta = _read_dataset_meta(self.path / "datasets" / layout.dataset_folder(name))
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
        """What `ax jobs --json` prints of a job."""
        return {"jobid": self.jobid, "workdir": self.workdir, "method": self.method,
                "status": self.status, "starttime": self.starttime, "endtime": self.endtime,
                "runtime": self.runtime, "caption": self.caption, "error": self.error,
                "options": self.setup.get("options"), "path": str(self.path)}


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


def disk_usage(path: Path) -> int:
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
    streams = [_stream(name, os.fspath(path)) for name, path in workdirs.items()]
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


def search(workdirs: dict[str, Path], query: Query, limit: int | None = None) -> Iterator[JobRecord]:
    """The jobs matching `query`, newest first; stops after `limit` of them."""
    if limit is not None and limit <= 0:
        return
    found = 0
    for rec in records(workdirs):
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


# --- times and durations as people type them ----------------------------------------------

_UNITS = {"w": 604800.0, "week": 604800.0, "weeks": 604800.0,
          "d": 86400.0, "day": 86400.0, "days": 86400.0,
          "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
          "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
          "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0}
_PART_RE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)")


def parse_duration(text: str) -> float:
    """Seconds from '90', '1.5', '1m30s', '2h', '3d', '1w', '1h 30m'; ValueError otherwise."""
    t = text.strip().lower()
    try:
        seconds = float(t)
    except ValueError:
        pass
    else:
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
        raise ValueError(f"{text!r} is not a duration (like 90, 1m30s, 2h, 3d)")
    pos, total = 0, 0.0
    for m in _PART_RE.finditer(t):
        if m.start() != pos or m.group(2) not in _UNITS:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos == 0 or t[pos:].strip():
        raise ValueError(f"{text!r} is not a duration (like 90, 1m30s, 2h, 3d)")
    return total


def parse_when(text: str, now: float | None = None, end_of_day: bool = False) -> float:
    """A point in time (unix seconds) from a date (2026-11-21, local midnight; with
    `end_of_day` the midnight after it), a datetime (2026-11-21T14:30, 2026-11-21 14:30,
    with or without a UTC offset; local time without), an age (2h, 3d, 90: that long
    ago), now, today or yesterday. ValueError otherwise."""
    now = time.time() if now is None else now
    t = text.strip()
    low = t.lower()
    if low == "now":
        return now
    if low in ("today", "yesterday"):
        day = datetime.fromtimestamp(now).date() - timedelta(days=low == "yesterday")
        return _day_start(day, end_of_day)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", t):
        try:
            return _day_start(date.fromisoformat(t), end_of_day)
        except ValueError:
            pass
    elif re.match(r"\d{4}-\d\d-\d\d[T ]", t):
        try:
            return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    else:
        try:
            return now - parse_duration(re.sub(r"\s+ago$", "", low))
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date (2026-11-21), a datetime (2026-11-21T14:30) "
                     "or an age (2h, 3d, 1w)")


def _day_start(day: date, next_day: bool) -> float:
    if next_day:
        day = day + timedelta(days=1)
    return datetime(day.year, day.month, day.day).timestamp()


def user_value(flag: str, parse: Any, text: str, *args: Any) -> Any:
    """`parse(text, *args)`, its ValueError as one line naming `flag` (a UserError)."""
    try:
        return parse(text, *args)
    except ValueError as e:
        raise UserError(f"{flag}: {e}") from None


# --- what gc keeps ------------------------------------------------------------------------


def linked_jobs(result_dir: Path | None, workdirs: dict[str, Path]) -> dict[str, str]:
    """Job id -> a link in the result directory that points into it (symlinks at any
    depth; a link to a link is followed)."""
    found: dict[str, str] = {}
    if result_dir is None or not os.path.isdir(result_dir):
        return found
    roots = []
    for name, path in workdirs.items():
        for p in {os.path.normpath(os.path.abspath(path)), os.path.realpath(path)}:
            roots.append((name, p.rstrip(os.sep) + os.sep))
    for dirpath, dirnames, filenames in os.walk(result_dir):
        for fn in dirnames + filenames:
            link = os.path.join(dirpath, fn)
            if not os.path.islink(link):
                continue
            try:
                target = os.path.normpath(os.path.join(dirpath, os.readlink(link)))
            except OSError:
                continue
            for t in {target, os.path.realpath(link)}:
                for name, root in roots:
                    if t.startswith(root):
                        first = t[len(root):].split(os.sep, 1)[0]
                        parts = layout.split_jobid(first)
                        if parts and parts[0] == name:
                            found.setdefault(first, os.path.relpath(link, result_dir))
    return found


@dataclass
class Fate:
    """What gc does with one job, and why."""

    rec: JobRecord
    delete: bool
    reason: str
    size: int | None = None
    used: float | None = None  # its post.json's mtime when gc decided (Builder.mark_used)

    def as_json(self) -> dict:
        r = self.rec
        return {"jobid": r.jobid, "method": r.method, "status": r.status, "reason": self.reason,
                "bytes": self.size, "starttime": r.starttime}


@dataclass
class GcPlan:
    fates: list[Fate] = field(default_factory=list)  # every job, newest first
    highest: dict[str, int] = field(default_factory=dict)  # workdir -> highest number seen
    trash: dict[str, list[Path]] = field(default_factory=dict)  # leftovers of an earlier gc
    # a kept job whose records are damaged (what it uses cannot be known): every finished
    # job is kept then, and this says why
    blind: list[str] = field(default_factory=list)

    @property
    def doomed(self) -> list[Fate]:
        return [f for f in self.fates if f.delete]

    @property
    def kept(self) -> list[Fate]:
        return [f for f in self.fates if not f.delete]


def live_builders(store: Any) -> list[tuple[float, str]]:
    """(since when, who) of every live builder process that has run a job in these
    workdirs: the start of the process when it is on this machine, else the start of its
    oldest running job.

    A builder keeps a file `PID@HOST` in the running registry's folder, flocked, for as
    long as it lives (accel/store/running.py), also between jobs.
    """
    from accel.store.running import HOST

    found: dict[tuple[int, str], float] = {}
    for registry in store.running.values():
        for entry in registry.entries():  # drops the files of dead builders
            key = (entry.builder_pid, entry.host)
            found[key] = min(found.get(key, entry.started), entry.started)
        for pid, host in registry.builders():  # between jobs too
            if host == HOST:
                since = _process_start(pid)
                if since is not None:
                    found[(pid, host)] = min(found.get((pid, host), since), since)
    return [(since, f"pid {pid}" + ("" if host == HOST else f" on {host}"))
            for (pid, host), since in sorted(found.items())]


def _process_start(pid: int) -> float | None:
    """When process `pid` started (unix seconds, to about 10 ms), from /proc; None if
    unknown. /proc/PID/stat counts clock ticks since boot; /proc/uptime says how long ago
    the boot was more precisely than /proc/stat's whole-second btime."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of the whole line: starttime
        with open("/proc/uptime", "rb") as f:
            uptime = float(f.read().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK") - 0.05
    except (OSError, ValueError, IndexError):
        return None


def plan_gc(store: Any, urd_jobs: Iterable[str] = (), result_dir: Path | None = None,
            keep_failed: bool = False, older_than: float | None = None,
            now: float | None = None) -> GcPlan:
    """Decide the fate of every job in the store's workdirs.

    Kept, with everything they refer to (`JobRecord.references`), transitively:
    jobs in an urd list (`urd_jobs`), jobs linked from the result directory, running jobs
    (status running, or a live entry in the running registry), unfinished jobs younger
    than YOUNG seconds, jobs started since a build with a job running now began (it may
    not have recorded them in its urd list yet), jobs that last changed after
    `older_than` (a unix time), and with `keep_failed` the failed, canceled and timed-out.

    Deleted: everything else -- failed, canceled, timed-out and unfinished jobs, and
    finished jobs that nothing kept refers to.
    """
    now = time.time() if now is None else now
    workdirs = {name: wd.path for name, wd in store.workdirs.items()}
    by_id: dict[str, JobRecord] = {}
    plan = GcPlan()
    for rec in records(workdirs):
        by_id[rec.jobid] = rec
        plan.highest[rec.workdir] = max(plan.highest.get(rec.workdir, 0), rec.number)
    live: set[str] = set()
    for registry in store.running.values():
        live.update(entry.jobid for entry in registry.entries())
    builders = live_builders(store)
    linked = linked_jobs(result_dir, workdirs)
    urd = set(urd_jobs)

    reason: dict[str, str] = {}  # job id -> why it is kept
    queue: list[str] = []

    def keep(jobid: str, why: str) -> None:
        if jobid in by_id and jobid not in reason:
            reason[jobid] = why
            queue.append(jobid)

    for jobid, rec in by_id.items():
        status = rec.status
        if status == RUNNING or jobid in live:
            keep(jobid, "running")
        elif status == UNFINISHED and rec.is_young(now):
            keep(jobid, f"unfinished, made less than {YOUNG:.0f} s ago (may be starting)")
        elif jobid in urd:
            keep(jobid, "in an urd list")
        elif jobid in linked:
            keep(jobid, f"linked from the result directory ({linked[jobid]})")
        elif keep_failed and status in ENDED_BADLY:
            keep(jobid, f"{status} (--keep-failed)")
        elif older_than is not None and rec.last_change() >= older_than:
            keep(jobid, "made or reused since --older-than")
        elif builders:  # its urd list, its JobList (failed attempts too) may need it yet
            start = rec.starttime or rec.mtime
            used = rec.last_used()
            for since, who in builders:
                if start >= since:
                    keep(jobid, f"made by a build still running ({who})")
                    break
                if used is not None and used >= since:
                    keep(jobid, f"reused by a build still running ({who})")
                    break
    def follow() -> None:
        while queue:
            jobid = queue.pop()
            rec = by_id[jobid]
            for ref, how in rec.references().items():
                keep(ref, f"used by {jobid} ({how})")
            if rec.unknown_refs is not None and not plan.blind:
                # what a job uses is in its records: unread, anything may be its input
                plan.blind.append(f"{jobid} ({reason[jobid]}) is damaged: {rec.unknown_refs}")

    follow()
    if plan.blind:
        for jobid, rec in by_id.items():
            if rec.status in (FINISHED, DAMAGED):
                keep(jobid, "may be used by a kept job that cannot be read")
        follow()

    for jobid, rec in by_id.items():
        if jobid in reason:
            plan.fates.append(Fate(rec, False, reason[jobid]))
        elif rec.status == FINISHED:
            plan.fates.append(Fate(rec, True, "nothing refers to it", used=rec.last_used()))
        else:
            plan.fates.append(Fate(rec, True, rec.status))
    for name, wd in store.workdirs.items():
        try:
            plan.trash[name] = sorted((wd.meta / TRASH).iterdir())
        except OSError:
            plan.trash[name] = []
    return plan


def measure(plan: GcPlan) -> int:
    """Fill in the size of every job to delete (and return the total, trash included)."""
    total = 0
    for fate in plan.doomed:
        if fate.size is None:
            fate.size = fate.rec.disk_usage()
        total += fate.size
    for paths in plan.trash.values():
        total += sum(disk_usage(p) for p in paths)
    return total


# --- deleting -----------------------------------------------------------------------------


class GcLock:
    """One `ax gc` at a time per workdir (a flock the kernel drops if gc dies)."""

    def __init__(self, store: Any):
        from accel.store.locks import FlockLock

        self.locks = [FlockLock(wd.meta_dir() / "gc.lock") for _, wd in sorted(store.workdirs.items())]

    def acquire(self) -> bool:
        for i, lock in enumerate(self.locks):
            if not lock.acquire(blocking=False):
                for held in self.locks[:i]:
                    held.release()
                return False
        return True

    def release(self) -> None:
        for lock in self.locks:
            lock.release()


def reserve_numbers(workdir: Any, highest: int) -> None:
    """Make the workdir's next-number hint point beyond `highest` and every job there,
    so no number gc frees is handed out again."""
    workdir.meta_dir()
    workdir.raise_hint(max(highest, workdir.highest_number()) + 1)


def still_deletable(rec: JobRecord, store: Any, now: float) -> bool:
    """The last look before a job goes: not running, not registered, not being set up."""
    status = status_of(rec.path)
    if status == RUNNING:
        return False
    if store.running[rec.workdir].get(rec.jobid) is not None:
        return False
    return not (status == UNFINISHED and rec.is_young(now, fresh=True))


def protect_newcomers(plan: GcPlan, store: Any, late_roots: Iterable[str] = ()) -> list[Fate]:
    """Spare what gc meant to delete but is now in use; returns the spared.

    While gc looked, a build may have started using such a job (a new job directory, or a
    job in the running registry, refers to it) or recorded it in an urd list (the caller
    passes the roots as they are now: `late_roots`)."""
    workdirs = {name: wd.path for name, wd in store.workdirs.items()}
    by_id = {f.rec.jobid: f for f in plan.fates}
    spared: list[Fate] = []
    queue: list[tuple[JobRecord, str]] = []
    for rec in records(workdirs):
        if rec.jobid not in by_id:
            queue.append((rec, f"{rec.jobid}, made while gc ran"))
    for registry in store.running.values():
        for entry in registry.entries():
            if entry.jobid in by_id:
                queue.append((by_id[entry.jobid].rec, f"{entry.jobid}, running"))
    for jobid in late_roots:
        fate = by_id.get(jobid)
        if fate is not None and fate.delete:
            fate.delete, fate.reason = False, "in an urd list or result link made while gc ran"
            spared.append(fate)
            queue.append((fate.rec, jobid))
    while queue:
        rec, root = queue.pop()
        for ref in rec.references():
            fate = by_id.get(ref)
            if fate is not None and fate.delete:
                fate.delete, fate.reason = False, f"used by {root}"
                spared.append(fate)
                queue.append((fate.rec, root))
    return spared


def _twins(plan: GcPlan) -> dict[tuple[str, str | None], JobRecord]:
    """(workdir, identity) -> the newest kept finished job with that identity, for the
    identities of finished jobs about to go: the index should find the kept one then."""
    wanted = {(f.rec.workdir, f.rec.setup.get("identity")) for f in plan.doomed
              if f.rec.status == FINISHED}
    twins: dict[tuple[str, str | None], JobRecord] = {}
    for f in plan.kept:  # newest first
        rec = f.rec
        if rec.status == FINISHED and rec.setup.get("identity"):
            key = (rec.workdir, rec.setup["identity"])
            if key in wanted and key not in twins:
                twins[key] = rec  # type: ignore[index]
    return twins


def delete(rec: JobRecord, store: Any, used: float | None = None) -> bool:
    """Delete one job: out of the index, renamed into the trash (one atomic step: the
    job is whole or gone), then removed. False if it turned out to be in use: also when a
    build marked it used since gc decided (its post.json's mtime is no longer `used`) --
    looked at after the rename, so a build that reused it just before is seen, and the
    job is put back; a build that comes after finds it gone and builds it anew."""
    if not still_deletable(rec, store, time.time()):
        return False
    wd = store.workdirs[rec.workdir]
    identity = rec.setup.get("identity")
    index = store.indexes[rec.workdir]
    if isinstance(identity, str) and identity:
        index.remove(identity, rec.jobid)
    trash = wd.meta_dir(TRASH) / f"{rec.jobid}.{os.getpid()}.{os.urandom(3).hex()}"
    try:
        os.rename(rec.path, trash)
    except FileNotFoundError:
        return False  # someone else deleted it
    if used is not None and _post_mtime(trash) != used:
        os.rename(trash, rec.path)
        if isinstance(identity, str) and identity and rec.status == FINISHED and rec.method:
            index.add(identity, rec.jobid, rec.method)
        return False
    _rmtree(trash)
    return True


def _post_mtime(job_dir: Path) -> float | None:
    try:
        return os.stat(job_dir / layout.POST).st_mtime
    except OSError:
        return None


def _rmtree(path: Path) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass


def collect(plan: GcPlan, store: Any, late_roots: Any = None) -> tuple[list[Fate], list[Fate], int]:
    """Carry out `plan`: (deleted, spared, bytes freed).

    First every workdir's next-number hint goes past the highest number there (numbers
    gc frees are never handed out again); then leftovers of an interrupted gc go; then
    whatever came into use since the plan is spared (`late_roots()`: the urd and result
    link roots as they are now); then each job is deleted, after a last look that it is
    not in use. The hint is checked again at the end, in case a builder that read it
    before gc moved it wrote a lower one.
    """
    highest = dict(plan.highest)
    for f in plan.doomed:
        highest[f.rec.workdir] = max(highest.get(f.rec.workdir, 0), f.rec.number)
    for name, n in highest.items():
        reserve_numbers(store.workdirs[name], n)
    freed = 0
    for paths in plan.trash.values():
        for p in paths:
            freed += disk_usage(p)
            _rmtree(p)
    spared = protect_newcomers(plan, store, late_roots() if late_roots else ())
    twins = _twins(plan)
    deleted = []
    for f in plan.doomed:
        if delete(f.rec, store, f.used):
            deleted.append(f)
            freed += f.size if f.size is not None else 0
            twin = twins.get((f.rec.workdir, f.rec.setup.get("identity")))
            if twin is not None and twin.number < f.rec.number and twin.method:
                store.indexes[twin.workdir].add(twin.setup["identity"], twin.jobid, twin.method)
        else:
            f.delete, f.reason = False, "in use when gc came to it"
            spared.append(f)
    for name, n in highest.items():
        reserve_numbers(store.workdirs[name], n)
    return deleted, spared, freed
