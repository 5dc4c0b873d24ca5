"""Which jobs each job takes as inputs, which jobs take it ("used by"), and the graph of
one `ax run`: as plain data, for the board's job and run pages.

"Used by" is the reverse of every job's inputs, so it needs every job's setup.json, and
its post.json for the jobs it built with subjobs.build (a parent uses its subjobs; only
the parent records them). A `JobIndex` lives as long as the viewer and reads each
setup.json and post.json once (each is written whole, once): a request stats each
workdir, lists it again only when it changed (or changed in the last few seconds, which a
coarse mtime could hide), reads the files of the jobs that appeared, and forgets the jobs
that went; a job not ended yet has its post.json (or, while it runs, its note of the
subjobs built so far) looked for again when its folder or that note has changed. With
10,000 jobs the first look reads them all (two seconds or so, done when the board starts);
after that a look is a stat a workdir and two stats a job not ended.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accel import layout
from accel.errors import JobDamaged
from accel.jobstatus import DAMAGED, FINISHED, NOT_ENDED
from accel.records import read_post, read_setup, record_of
from accel.store.catalog import JobRecord, newest_first, setup_references, subjobs_of
from accel.store.runhistory import FAILED, RUNNING, Run

RECENT = 5.0  # seconds: a workdir whose mtime is this new is listed again next time
USERS_SHOWN = 100  # jobs of "used by" listed on a job's page
GROUP_OVER = 60  # a run with more jobs draws jobs of one method and depth as one node
RECORDS_KEPT = 5000  # job records kept for the job lists (the newest jobs are what they show)
GONE = "deleted"
SUBJOB = "its subjob"  # how a job uses a job it built with subjobs.build
_DAMAGED: dict = {}  # what _read gives for a setup.json that does not read  # the status of a job of a run that is not there any more


@dataclass
class Entry:
    inode: int
    method: str | None
    inputs: dict[str, str]  # job id -> how it is used ("job input 'source'", SUBJOB)
    damaged: bool = False
    subjobs: tuple[str, ...] = ()  # the jobs it built (so far, while it has not ended)


class JobIndex:
    """Every job's method and inputs (from setup.json), and the reverse: who uses whom."""

    def __init__(self, workdirs: dict[str, Path]):
        self.workdirs = {name: os.fspath(p) for name, p in workdirs.items()}
        # where a workdir is, as options name files in it (both spellings of the path)
        self._roots = sorted({(name, os.path.join(how(p), "")) for name, p in workdirs.items()
                              for how in (os.path.abspath, os.path.realpath)})
        self._entries: dict[str, Entry] = {}
        self._pending: dict[str, int] = {}  # job id -> inode: listed, no setup.json yet
        self._listed: dict[str, int] = {}  # workdir -> the mtime_ns it was listed at
        self._users: dict[str, list[str]] | None = None  # the reverse, made when asked
        self._unsorted: set[str] = set()  # keys of _users whose list is not in job order
        self._parents: dict[str, list[str]] = {}  # subjob -> the jobs that built it (with _users)
        self._unended: set[str] = set()  # read, but no post.json yet: looked at again
        # when its folder or its note of subjobs has changed since (a job that died is not
        # read on every request): job id -> those stamps when it was last looked at
        self._end_stamps: dict[str, tuple] = {}
        self._final: dict[str, tuple[int, str]] = {}  # job id -> (inode, ended status)
        self._numbers: dict[str, list[int]] = {}  # workdir -> its job numbers, newest first
        self._records: dict[str, JobRecord] = {}  # settled records, for the job lists
        self._given: list[list[JobRecord]] = []  # records made for the last job list
        self._lock = threading.Lock()  # held for moments: what is known
        self._reading = threading.Lock()  # held while setup.json files are read

    # --- keeping up ----------------------------------------------------------------------

    def refresh(self, read: bool = True) -> None:
        """List the workdirs again where they changed; with `read`, also read the
        setup.json of every job listed since (one thread reads, the others wait for it:
        "used by" is only right once every job is read). The lock is let go between
        jobs, so a job list (records(), which needs no setup.json) never waits long."""
        with self._lock:
            for name, path in self.workdirs.items():
                self._list(name, path)
        if not read:
            return
        with self._reading:
            with self._lock:
                todo = list(self._pending.items())
                unended = [(j, self._entries[j].inode) for j in self._unended]
            for jobid, inode in todo:
                found = self._read(jobid)
                if found is None:
                    continue
                end = self._read_end(jobid)
                with self._lock:
                    if self._pending.get(jobid) == inode:
                        self._add(jobid, inode, found)
                        self._ended(jobid, *end)
            for jobid, inode in unended:
                stamp = self._end_stamp(jobid)
                if stamp is not None and self._end_stamps.get(jobid) == stamp:
                    continue
                end = self._read_end(jobid)
                if stamp is not None:
                    self._end_stamps[jobid] = stamp
                with self._lock:
                    e = self._entries.get(jobid)
                    if e is not None and e.inode == inode:
                        self._ended(jobid, *end)

    def _list(self, name: str, path: str) -> None:
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            mtime = -1
        if self._listed.get(name) == mtime:
            return
        listing: dict[str, int] = {}
        prefix = name + "-"
        try:
            with os.scandir(path) as it:
                for e in it:
                    tail = e.name[len(prefix):]
                    if e.name.startswith(prefix) and tail.isdigit() and tail.isascii():
                        listing[e.name] = e.inode()
        except OSError:
            pass
        mine = [j for j in self._entries if j.startswith(prefix)]
        for jobid in mine:
            if listing.get(jobid) != self._entries[jobid].inode:
                del self._entries[jobid]
                self._final.pop(jobid, None)
                self._unended.discard(jobid)
                self._end_stamps.pop(jobid, None)
                self._records.pop(jobid, None)
                self._users = None
        self._numbers[name] = sorted((int(j[len(prefix):]) for j in listing), reverse=True)
        for jobid in [j for j in self._pending if j.startswith(prefix)]:
            if jobid not in listing:
                del self._pending[jobid]
        for jobid, inode in listing.items():
            if jobid not in self._entries:
                self._pending[jobid] = inode
        # an mtime this new may yet hide a job made in the same tick: list again next time
        self._listed[name] = mtime if time.time() - mtime / 1e9 > RECENT else -2

    def _path(self, jobid: str) -> str:
        return os.path.join(self.workdirs[layout.jobid_parts(jobid)[0]], jobid)

    def _read(self, jobid: str) -> dict | None:
        """Its setup.json (_DAMAGED when it does not read); None without one (being set
        up, or it never will be: asked again next time)."""
        try:
            return read_setup(self._path(jobid))
        except JobDamaged:
            return _DAMAGED

    def _read_end(self, jobid: str) -> tuple[str | None, list[str]]:
        """(how it ended, None while it has not; the jobs it built as subjobs, so far:
        for a damaged post.json, those its note of subjobs names, as gc and the job's
        page read them)."""
        path = self._path(jobid)
        try:
            post = read_post(path)
        except JobDamaged:
            return DAMAGED, subjobs_of(path, None, jobid)
        return (None if post is None else str(post["status"])), subjobs_of(path, post, jobid)

    def _end_stamp(self, jobid: str) -> tuple | None:
        """What changes when a job ends (post.json is renamed into its folder) or builds
        a subjob (its note grows); None when that is too recent to trust (a change in the
        same clock tick would not show) or cannot be told."""
        path = self._path(jobid)
        try:
            folder = os.stat(path).st_mtime_ns
        except OSError:
            return None
        try:
            st = os.stat(os.path.join(path, layout.SCRATCH, "subjobs"))
            note: tuple = (st.st_mtime_ns, st.st_size)
        except OSError:
            note = ()
        newest = max(folder, note[0] if note else 0)
        if time.time() - newest / 1e9 <= RECENT:
            return None
        return (folder, *note)

    def _ended(self, jobid: str, status: str | None, subjobs: list[str]) -> None:
        """Note what _read_end found: the status of an ended job (status() reads it no
        more), and subjobs not noted before, as inputs it uses (kept up in the reverse)."""
        e = self._entries[jobid]
        if status is None:
            self._unended.add(jobid)
        else:
            self._unended.discard(jobid)
            self._end_stamps.pop(jobid, None)
            if status != DAMAGED and not e.damaged:
                self._final[jobid] = (e.inode, status)
        new = [s for s in subjobs if s not in e.subjobs]
        if not new:
            return
        e.subjobs += tuple(new)
        used = [s for s in new if s not in e.inputs]
        # a new dict, not changed in place: others go through the old one unlocked
        e.inputs = {**e.inputs, **dict.fromkeys(used, SUBJOB)}
        if self._users is not None:
            self._note_users(jobid, used, new)

    def _add(self, jobid: str, inode: int, setup: dict) -> None:
        if setup is _DAMAGED:
            self._entries[jobid] = Entry(inode, None, {}, damaged=True)
        else:
            inputs = setup_references(setup, jobid)
            for other, how in self._file_options(setup.get("options"), jobid):
                inputs.setdefault(other, how)
            self._entries[jobid] = Entry(inode, setup.get("method"), inputs)
            if self._users is not None:  # kept up, not made again: jobs come one by one
                self._note_users(jobid, list(inputs), [])
        del self._pending[jobid]

    def _note_users(self, jobid: str, used: list[str], subjobs: list[str]) -> None:
        """Job `jobid` uses `used` (and built `subjobs`): into the reverse maps."""
        assert self._users is not None
        for other in used:
            self._users.setdefault(other, []).append(jobid)
            self._unsorted.add(other)
        for other in subjobs:
            self._parents.setdefault(other, []).append(jobid)

    def _file_options(self, options: Any, jobid: str) -> list[tuple[str, str]]:
        """(job, how) for each option naming a file in another job's directory, as
        csvimport's filename=job.filename('x.csv') does."""
        found = []
        for key, value in (options or {}).items() if isinstance(options, dict) else ():
            for name, root in self._roots if isinstance(value, str) else ():
                if value.startswith(root):
                    other = value[len(root):].split("/", 1)[0]
                    parts = layout.split_jobid(other)
                    if parts and parts[0] == name and other != jobid:
                        found.append((other, f"a file of it as option {key!r}"))
                    break
        return found

    def records(self) -> Iterator[JobRecord]:
        """Every job as a catalog JobRecord, newest first (as catalog.records gives them):
        the record of a job that has ended is kept, with what it read, for the next time."""
        self.refresh(read=False)
        given: list[JobRecord] = []
        with self._lock:  # those given out before that have read their post.json stay
            for rec in [r for made in self._given for r in list(made)]:
                if rec.settled and rec.jobid in self._entries:
                    self._records[rec.jobid] = rec
            for jobid in list(self._records)[:max(len(self._records) - RECORDS_KEPT, 0)]:
                del self._records[jobid]
            self._given = [given]
        return newest_first([self._stream(name, given) for name in self.workdirs])

    def _stream(self, name: str, given: list[JobRecord]) -> Iterator[JobRecord]:
        root = self.workdirs[name]
        for n in self._numbers.get(name, []):
            jobid = f"{name}-{n}"
            rec = self._records.get(jobid)
            if rec is None:
                rec = JobRecord(name, n, f"{root}/{jobid}")
                given.append(rec)
            yield rec

    # --- asking --------------------------------------------------------------------------

    def exists(self, jobid: str) -> bool:
        return jobid in self._entries or jobid in self._pending

    def method(self, jobid: str) -> str | None:
        e = self._entries.get(jobid)
        return e.method if e else None

    def inputs(self, jobid: str) -> Mapping[str, str]:
        e = self._entries.get(jobid)
        return e.inputs if e else {}

    def users(self, jobid: str, limit: int | None = None) -> tuple[list[tuple[str, str]], int]:
        """(job, how it uses `jobid`) of the jobs that take it as an input or built it as
        a subjob, oldest first (the first `limit` of them), and how many there are."""
        with self._lock:
            found = self._reverse()[0].get(jobid, [])
            if jobid in self._unsorted:
                found.sort(key=_order)
                self._unsorted.discard(jobid)
            return [(u, self._entries[u].inputs[jobid]) for u in found[:limit]], len(found)

    def built_by(self, jobid: str) -> list[str]:
        """The jobs that built `jobid` with subjobs.build (a job reused as a subjob has
        several), oldest first."""
        with self._lock:
            return sorted(self._reverse()[1].get(jobid, []), key=_order)

    def _reverse(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """(job -> the jobs that use it, subjob -> the jobs that built it), made again
        only after a job went (held under the lock)."""
        if self._users is None:
            self._users, self._parents, self._unsorted = {}, {}, set()
            for other, e in self._entries.items():
                self._note_users(other, list(e.inputs), list(e.subjobs))
        return self._users, self._parents

    def status(self, jobid: str) -> str:
        """As `ax job` says it; an ended job's is read once (it does not change)."""
        with self._lock:
            e = self._entries.get(jobid)
            known = self._final.get(jobid)
            if e is not None and known is not None and known[0] == e.inode:
                return known[1]
        parts = layout.split_jobid(jobid)
        if parts is None or parts[0] not in self.workdirs:
            return GONE
        path = os.path.join(self.workdirs[parts[0]], jobid)
        if e is not None and e.damaged:
            return DAMAGED
        try:
            post = read_post(path)
        except JobDamaged:
            return DAMAGED
        if post is None:
            return record_of(path).status if os.path.isdir(path) else GONE
        with self._lock:
            if e is not None:
                self._final[jobid] = (e.inode, str(post["status"]))
        return str(post["status"])


def _order(jobid: str) -> tuple[str, int]:
    parts = layout.split_jobid(jobid)
    return parts if parts else (jobid, 0)


# --- what the pages show ------------------------------------------------------------------


def job_lineage(index: JobIndex, jobid: str, shown: int = USERS_SHOWN) -> dict:
    """A job's inputs, the jobs that use it (the first `shown` of them) and those of them
    that built it as a subjob ("built by"), each with its method and status."""
    index.refresh()

    def node(other: str, how: str) -> dict:
        return {"job": other, "method": index.method(other), "how": how,
                "status": index.status(other) if index.exists(other) else GONE}

    users, total = index.users(jobid, shown)
    return {"inputs": [node(j, how) for j, how in sorted(index.inputs(jobid).items(),
                                                          key=lambda p: _order(p[0]))],
            "used_by": [node(j, how) for j, how in users], "used_by_total": total,
            "built_by": [node(j, SUBJOB) for j in index.built_by(jobid)]}


def run_graph(index: JobIndex, run: Run, running: list[dict[str, Any]],
              group_over: int = GROUP_OVER) -> dict:
    """The jobs of one run as nodes (job, method, how: new/reused/failed/running, status)
    and edges (input -> the job that takes it, both of the run). Jobs of a run still going
    that run now (`running`: accel.view.jobs.running_jobs) are in it too. A run of more
    than `group_over` jobs has one node per method and depth (its jobs counted) wherever
    that makes two or more alike."""
    index.refresh()
    how = dict(run.jobs)
    if run.state == RUNNING:
        for r in running:
            if r.get("builder_pid") == run.pid and (not run.host or r.get("host") == run.host):
                how.setdefault(r["job"], RUNNING)
    nodes = []
    for jobid, h in how.items():
        if not index.exists(jobid):
            status = GONE
        elif h in (FAILED, RUNNING):
            status = index.status(jobid)
        else:  # noted when it finished; finished jobs stay so
            status = FINISHED
        if status in NOT_ENDED:
            h = RUNNING
        nodes.append({"job": jobid, "method": index.method(jobid), "how": h, "status": status})
    edges = [(src, j) for j in how for src in index.inputs(j) if src in how]
    if len(nodes) > group_over:
        return _grouped(nodes, edges)
    return {"nodes": nodes, "edges": edges}


def depths(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each node's depth: 0 with no input among `ids`, else one more than its deepest
    input. Nodes are taken in an order where every input comes first (Kahn's); a node on
    a cycle, which jobs cannot make, goes one right of the inputs placed before it."""
    users: dict[str, list[str]] = {i: [] for i in ids}
    waiting = dict.fromkeys(ids, 0)
    for src, dst in edges:
        if src in users and dst in users:
            users[src].append(dst)
            waiting[dst] += 1
    depth = dict.fromkeys(ids, 0)
    ready = [i for i in ids if not waiting[i]]
    placed = 0
    while True:
        while ready:
            node = ready.pop()
            placed += 1
            d = depth[node] + 1
            for user in users[node]:
                if depth[user] < d:
                    depth[user] = d
                waiting[user] -= 1
                if not waiting[user]:
                    ready.append(user)
        if placed == len(ids):
            return depth
        stuck = next(i for i in ids if waiting[i] > 0)  # on a cycle: cut it here
        waiting[stuck] = 0
        ready.append(stuck)


def _grouped(nodes: list[dict], edges: list[tuple[str, str]]) -> dict:
    depth = depths([n["job"] for n in nodes], edges)
    groups: dict[tuple[Any, int], list[dict]] = {}
    for n in nodes:
        groups.setdefault((n["method"], depth[n["job"]]), []).append(n)
    node_of: dict[str, str] = {}
    out = []
    for (method, d), members in groups.items():
        if len(members) == 1:
            out.append(members[0])
            node_of[members[0]["job"]] = members[0]["job"]
            continue
        key = f"{method}@{d}"
        counts: dict[str, int] = {}
        statuses: dict[str, int] = {}
        for m in members:
            node_of[m["job"]] = key
            counts[m["how"]] = counts.get(m["how"], 0) + 1
            statuses[m["status"]] = statuses.get(m["status"], 0) + 1
        out.append({"job": key, "method": method, "group": len(members), "counts": counts,
                    "status": _worst(statuses), "how": _worst(counts),
                    "first": members[0]["job"]})
    grouped = {(node_of[s], node_of[d]) for s, d in edges if node_of[s] != node_of[d]}
    return {"nodes": out, "edges": sorted(grouped)}


# a group's colour: the status (or new/reused) that most needs seeing
_SEVERITY = ("damaged", "failed", "timeout", "canceled", "unfinished", "running", GONE,
             "new", "finished", "reused")


def _worst(counts: dict[str, int]) -> str:
    return min(counts, key=lambda s: _SEVERITY.index(s) if s in _SEVERITY else -1)
