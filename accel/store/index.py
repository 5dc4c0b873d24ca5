"""identity -> finished job, as one symlink per identity.

`<workdir>/.accel/index/abcdef...` is a symlink to the directory of the newest finished
job with that identity (`../../dev-7`) (a symlink: made, replaced and read in one system call
each, where a file takes an open, a write and a close). A look-up is one readlink and
one stat, however many jobs there are, and any number of processes can add entries at
once (each is an atomic rename). A `READY`
file marks an index as complete; without it (deleted, never made, or found damaged) the
index is rebuilt from the job directories.

`<workdir>/.accel/by-method/NAME` lists the finished jobs of each method in the order they
finished (`JOBID IDENTITY` a line, appended atomically; older lists have the id alone), so
"the latest job of METHOD" is one small read, a sort, and a stat or two (jobs deleted since
are passed over), and a look-up that finds no entry asks it before answering "none": an
entry deleted by hand costs one read, not a job run again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from accel import layout, records
from accel.atomic import is_temp_name, temp_name, write_bytes
from accel.errors import JobDamaged
from accel.jobstatus import FINISHED
from accel.store.locks import FlockLock, SharedFlockLock
from accel.store.workdir import Workdir

# 2: one flat folder (a folder per prefix cost a mkdir a job); 3: entries are symlinks
FORMAT = b"accel-index 3\n"
_UP = "../../"  # an entry points at the job directory: <workdir>/.accel/index/ -> <workdir>/


def reusable(path: Path) -> dict | None:
    """The setup of the job at `path` if it may be reused: it finished, both its records
    read, and it has an identity (a job whose setup.json or post.json is damaged is never
    reused)."""
    try:
        post = records.read_post(path)
        if post is None or post["status"] != FINISHED:
            return None
        setup = records.read_setup(path)
    except JobDamaged:
        return None
    return setup if setup and setup.get("identity") else None


class Index:
    """`readonly`: read the index as it is -- never rebuilt, never written -- and when it
    is not marked complete, find a method's jobs from the job directories (a viewer
    running for days beside builds must not race them tidying up)."""

    def __init__(self, workdir: Workdir, readonly: bool = False):
        self.workdir = workdir
        self.root = workdir.meta / "index"
        self.readonly = readonly
        self._ready = False
        # method -> (inode, bytes read, {identity: job ids}) of its by-method list
        self._by_method: dict[str, tuple[int, int, dict[str, list[str]]]] = {}

    def _entry(self, identity: str) -> Path:
        return self.root / identity

    def _read(self, identity: str) -> str:
        """The job id an entry names ('' for a damaged one); FileNotFoundError if none."""
        try:
            target = os.readlink(self._entry(identity))
            return target[len(_UP):] if target.startswith(_UP) else ""
        except OSError as e:
            if isinstance(e, FileNotFoundError):
                raise
            return ""  # not a symlink: damaged

    def _write(self, identity: str, jobid: str) -> None:
        entry = self._entry(identity)
        tmp = temp_name(entry)
        os.symlink(_UP + jobid, tmp)
        os.replace(tmp, entry)

    def complete(self) -> bool:
        """Is the index marked complete (made from every finished job, in this format)?"""
        try:
            return (self.root / "READY").read_bytes() == FORMAT
        except OSError:
            return False

    def ensure_ready(self) -> None:
        if self._ready:
            return
        if not self.readonly and not self.complete():
            self.rebuild()
        self._ready = True

    def lookup(self, identity: str, method: str | None = None,
               _retry: bool = True) -> str | None:
        """The newest finished job with this identity, or None.

        The entry is only a hint: the job it names must still be finished and have this
        identity in its own setup.json. A damaged or dangling entry, or one naming another
        job (its folder deleted and the number made again), makes the index rebuild itself
        from the job directories before the answer is "none". With no entry, the list of
        `method`'s jobs (which names each job's identity) is asked too: an entry deleted
        by hand is found there, checked, and made again.
        """
        self.ensure_ready()
        try:
            jobid = self._read(identity)
        except FileNotFoundError:
            return self._relisted(identity, method) if method else None
        if self._holds(jobid, identity):
            return jobid
        # a dangling entry (its job deleted by hand, or the entry damaged) or one naming
        # another job: the job directories decide, once (gc removes the entries of what it
        # deletes, so this is rare), and an older twin, if any, is found
        if _retry:
            self.invalidate()
            self.ensure_ready()
            return self.lookup(identity, method, _retry=False)
        return None

    def _relisted(self, identity: str, method: str) -> str | None:
        """The newest job `method`'s list names with this identity, if it still holds
        (its index entry is missing); its entry is written again."""
        named = self._listed_identities(method).get(identity, ())
        for jobid in sorted(named, key=lambda j: layout.split_jobid(j) or ("", -1),
                            reverse=True):
            if self._holds(jobid, identity):
                if not self.readonly:
                    with SharedFlockLock(self.workdir.meta / "index.lock"):
                        self._write(identity, jobid)
                return jobid
        return None

    def _listed_identities(self, method: str) -> dict[str, list[str]]:
        """identity -> the job ids `method`'s list names with it. Read once per process
        and then only what was appended since (a build_many of one method misses once per
        job: reading the whole list each time would cost the square of its length)."""
        path = self.workdir.meta / "by-method" / method
        known = self._by_method.get(method)
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                if known is None or known[0] != st.st_ino or known[1] > st.st_size:
                    known = (st.st_ino, 0, {})  # new, or rewritten by a rebuild
                f.seek(known[1])
                tail = f.read()
        except FileNotFoundError:
            return {}
        end = known[1] + tail.rfind(b"\n") + 1  # whole lines only: one may be being written
        table = known[2]
        for line in tail[: end - known[1]].decode("utf-8", "replace").splitlines():
            words = line.split()
            if len(words) == 2:
                table.setdefault(words[1], []).append(words[0])
        self._by_method[method] = (known[0], end, table)
        return table

    def _holds(self, jobid: str, identity: str) -> bool:
        parts = layout.split_jobid(jobid)
        if parts is None or parts[0] != self.workdir.name:
            return False
        setup = reusable(self.workdir.path / jobid)
        return setup is not None and setup["identity"] == identity

    def lookup_nocheck(self, identity: str) -> str | None:
        try:
            return self._read(identity) or None
        except FileNotFoundError:
            return None

    def add(self, identity: str, jobid: str, method: str) -> None:
        """Publish a finished job. Holds index.lock shared: any number of publishers at
        once, but never while a rebuild (which holds it alone) scans the job directories
        and rewrites what it found -- it would remove or overwrite what was added since."""
        self.workdir.meta_dir("index")
        with SharedFlockLock(self.workdir.meta / "index.lock"):
            self._write(identity, jobid)
            by_method = self.workdir.meta_dir("by-method")
            fd = os.open(by_method / method, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                # one small O_APPEND write: never interleaved
                os.write(fd, f"{jobid} {identity}\n".encode())
            finally:
                os.close(fd)

    def _listed(self, method: str) -> list[str]:
        """The jobs the index lists for `method`, newest first; some may be deleted since."""
        if self.readonly and not self.complete():
            found = [jobid for jobid, _identity, m in self.finished_jobs() if m == method]
        else:
            self.ensure_ready()
            try:
                lines = (self.workdir.meta / "by-method" / method).read_text().splitlines()
                found = [line.split(" ", 1)[0] for line in lines]
            except FileNotFoundError:
                return []
        numbered = {}
        for jobid in found:  # a line torn by a crash or edited by hand names no job
            parts = layout.split_jobid(jobid)
            if parts is not None and parts[0] == self.workdir.name:
                numbered[jobid] = parts[1]
        return sorted(numbered, key=numbered.__getitem__, reverse=True)

    def _exists(self, jobid: str) -> bool:
        return os.path.exists(os.path.join(self.workdir.path, jobid, layout.POST))

    def jobs_of(self, method: str) -> list[str]:
        """Finished jobs of `method` in this workdir, oldest first (deleted ones left out)."""
        return [jobid for jobid in reversed(self._listed(method)) if self._exists(jobid)]

    def latest_of(self, method: str) -> str | None:
        """The newest of `jobs_of(method)` whose records read, looking only as far back as
        it must (a method with 100,000 jobs costs a sort, not 100,000 reads)."""
        return next((jobid for jobid in self._listed(method)
                     if reusable(self.workdir.path / jobid) is not None), None)

    def remove(self, identity: str, jobid: str) -> None:
        """Forget `jobid` (used when deleting it); keeps an entry pointing elsewhere."""
        if self.lookup_nocheck(identity) == jobid:
            try:
                self._entry(identity).unlink()
            except FileNotFoundError:
                pass

    def invalidate(self) -> None:
        if self.readonly:
            return
        try:
            (self.root / "READY").unlink()
        except FileNotFoundError:
            pass
        self._ready = False

    def finished_jobs(self) -> Iterator[tuple[str, str, str]]:
        """(job id, identity, method) of every finished job in the workdir, in number
        order, read from the job directories themselves (what the index is made from)."""
        for jobid, _n in self.workdir.scan():
            path = self.workdir.path / jobid
            setup = reusable(path)
            if setup is not None:
                yield jobid, setup["identity"], setup["method"]

    def rebuild(self) -> int:
        """Re-make every entry from the finished job directories; returns how many."""
        self.workdir.meta_dir()
        with FlockLock(self.workdir.meta / "index.lock"):
            try:
                if (self.root / "READY").read_bytes() == FORMAT:
                    return 0  # someone else rebuilt it while we waited
            except FileNotFoundError:
                pass
            newest: dict[str, str] = {}
            methods: dict[str, list[str]] = {}
            for jobid, identity, method in self.finished_jobs():
                newest[identity] = jobid  # in number order: newest wins
                methods.setdefault(method, []).append(f"{jobid} {identity}")
            self.root.mkdir(parents=True, exist_ok=True)
            for identity, jobid in newest.items():
                try:
                    if self._read(identity) == jobid:
                        continue
                except FileNotFoundError:
                    pass
                self._write(identity, jobid)
            # entries of identities no finished job has any more go
            for fn in os.listdir(self.root):
                if fn not in newest and fn != "READY" and not is_temp_name(fn):
                    (self.root / fn).unlink(missing_ok=True)
            by_method = self.workdir.meta_dir("by-method")
            for method, jobids in methods.items():
                write_bytes(by_method / method, "".join(f"{line}\n" for line in jobids).encode())
            write_bytes(self.root / "READY", FORMAT)
            return len(newest)
