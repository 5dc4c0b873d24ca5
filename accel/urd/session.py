"""Urd: what a build script's `main(urd)` gets. Builds jobs and records sessions in lists."""

from __future__ import annotations

import datetime
import getpass
from pathlib import Path
from typing import Any

from accel.builder import Builder
from accel.dotdict import DotDict
from accel.errors import NotFound, UserError
from accel.job import Job
from accel.urd.joblist import JobList
from accel.urd.timestamps import normalise_timestamp


class Urd:
    def __init__(self, builder: Builder, build_script: str = "", db_path: Path | None = None):
        self.builder = builder
        self.build_script = build_script
        self.db_path = db_path or builder.config.urd_db
        self._lists = None
        self.joblist = JobList()
        self._sessions: dict[str, dict] = {}  # listname -> open session

    @property
    def lists(self):
        if self._lists is None:
            from accel.urd.lists import UrdLists

            self._lists = UrdLists(self.db_path)
        return self._lists

    # --- building ----------------------------------------------------------------

    def build(self, method: str, options: dict | None = None, datasets: dict | None = None,
              jobs: dict | None = None, *, name: str | None = None, caption: str | None = None,
              workdir: str | None = None, force_build: bool = False, **kw: Any) -> Job:
        """Build `method` (or reuse the job that already exists) and return the job.

        `name` and `caption` are the Accelerator's: the name the job has in the urd list
        and the job's caption -- unless the method itself declares an option or input of
        that name, which then gets the value.
        """
        if name is not None or caption is not None:
            declared = self.builder.declared_names(method)
            if name is not None and "name" in declared:
                kw["name"], name = name, None
            if caption is not None and "caption" in declared:
                kw["caption"], caption = caption, None
        job, reused = self.builder.build(method, options, datasets, jobs, workdir=workdir,
                                         force_build=force_build, caption=caption, **kw)
        self.joblist.add(job, reused, name or method)
        for session in self._sessions.values():
            session["joblist"].append((name or method, str(job)))
        return job

    # --- lists -------------------------------------------------------------------

    def begin(self, listname: str, timestamp: Any = None, caption: str | None = None,
              update: bool = False) -> None:
        """Start recording built jobs on `listname`; `finish` saves them."""
        from accel.urd.lists import check_listname

        check_listname(listname)
        if listname in self._sessions:
            raise UserError(f"urd list {listname!r}: begin() again before finish() or abort()")
        if timestamp is not None:
            normalise_timestamp(timestamp)  # fail now, not at finish
        self._sessions[listname] = dict(timestamp=timestamp, caption=caption or "",
                                        update=update, joblist=[], deps={})

    def finish(self, listname: str, timestamp: Any = None, caption: str | None = None) -> DotDict:
        session = self._sessions.get(listname)
        if session is None:
            raise UserError(f"urd list {listname!r}: finish() without begin()")
        ts = timestamp if timestamp is not None else session["timestamp"]
        if ts is None:  # to the microsecond: two runs in one second are two sessions
            ts = datetime.datetime.now()
        entry = self.lists.add(listname, ts, session["joblist"],
                               caption=caption if caption is not None else session["caption"],
                               user=_user(), build=self.build_script, deps=session["deps"],
                               update=session["update"])
        del self._sessions[listname]
        return entry

    def abort(self, listname: str) -> None:
        if self._sessions.pop(listname, None) is None:
            raise UserError(f"urd list {listname!r}: abort() without begin()")

    def _dep(self, entry: DotDict | None) -> DotDict | None:
        if entry is not None:
            for session in self._sessions.values():
                session["deps"][entry.listname] = entry.timestamp
        return entry

    def latest(self, listname: str) -> DotDict | None:
        """The newest entry (recorded as a dependency of open sessions)."""
        return _entry(listname, self._dep(self.lists.latest(listname)))

    def first(self, listname: str) -> DotDict | None:
        return _entry(listname, self._dep(self.lists.first(listname)))

    def get(self, listname: str, timestamp: Any) -> DotDict | None:
        return _entry(listname, self._dep(self.lists.get(listname, timestamp)))

    def peek(self, listname: str, timestamp: Any) -> DotDict | None:
        """Like get, but not recorded as a dependency."""
        return _entry(listname, self.lists.get(listname, timestamp))

    def peek_latest(self, listname: str) -> DotDict | None:
        return _entry(listname, self.lists.latest(listname))

    def peek_first(self, listname: str) -> DotDict | None:
        return _entry(listname, self.lists.first(listname))

    def since(self, listname: str, timestamp: Any) -> list[str]:
        return self.lists.since(listname, timestamp)

    def list(self) -> list[str]:
        return self.lists.list()

    def truncate(self, listname: str, timestamp: Any) -> int:
        return self.lists.truncate(listname, timestamp)

    def entry_job(self, listname: str, method: str) -> Job:
        """The job of `method` in the latest entry of `listname`."""
        entry = self.latest(listname)
        jobid = entry.joblist.get(method) if entry else None
        if not jobid:
            raise NotFound(f"urd list {listname!r}: no job of method {method!r} in the latest entry")
        return Job(jobid)


class EmptyEntry(DotDict):
    """What latest/first/get/peek give for no entry: falsy, with an empty joblist."""

    def __bool__(self) -> bool:
        return False


def _entry(listname: str, entry: DotDict | None) -> DotDict:
    if entry is not None:
        return entry
    from accel.urd.lists import UrdJobList
    return EmptyEntry(listname=listname, timestamp="0", caption="", user="", build="",
                      deps={}, joblist=UrdJobList())


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""
