"""Urd lists: recorded build sessions, kept in one SQLite file in the project.

No server: every build process opens the file itself. That is safe because

- the database runs in WAL mode (readers never block the one writer, nor it them),
- every connection waits up to `BUSY_TIMEOUT` seconds for a lock instead of failing,
- each operation is one short transaction, and the read-check-write of `add` and
  `truncate` runs under ``BEGIN IMMEDIATE``, so two processes cannot both see the same
  "latest" and both append after it: the forward-only rule holds under concurrency.

Timestamps are stored in their canonical text form (see `accel.urd.timestamps`) so the
database orders them; entries are handed out with the display form. An entry's `deps` are
the entries its session read, as they were then (timestamp, caption, joblist).
"""

from __future__ import annotations

import builtins
import json
import os
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from accel.dotdict import DotDict
from accel.errors import AccelError, UserError
from accel.job import NamedJobList
from accel.layout import split_jobid
from accel.urd.schema import SCHEMA_VERSION, TABLES, dep_record, deps_text, upgrade
from accel.urd.timestamps import (
    NOW,
    SEP,
    display_timestamp,
    full_form,
    has_date,
    normalise_timestamp,
    parse_lookup,
)

__all__ = ["BUSY_TIMEOUT", "SCHEMA_VERSION", "Added", "UrdJobList", "UrdLists",
           "check_listname"]

BUSY_TIMEOUT = 30.0  # seconds a process waits for another one's lock

_BAD_LISTNAME = re.compile(r"[\s/]")

# Connections inherited over fork(): SQLite must not use them in the child, and closing
# them there is not safe either, so they are kept referenced and never touched again.
_ABANDONED: list[sqlite3.Connection] = []

T = TypeVar("T")




# In a workdir's .accel/: the urd databases whose lists hold jobs of this workdir, one
# path a line. gc reads it to tell "no lists" from "lists lost".
MARKER = "urd-lists"


def mark_workdir(workdir: Path, db_path: Path) -> None:
    """Record in `workdir` that the lists in `db_path` hold jobs (once; atomic)."""
    from accel.atomic import write_bytes

    marker = Path(workdir) / ".accel" / MARKER
    line = str(Path(db_path).resolve())
    try:
        known = marker.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        known = []
    if line not in known:
        marker.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(marker, ("\n".join([*known, line]) + "\n").encode("utf-8"))


def lost_database(workdirs: list[Path], db_path: Path) -> Path | None:
    """The marker of a workdir whose jobs the lists in `db_path` held, when that database
    is now missing or empty (so its lists are lost, not merely never made); else None."""
    db = Path(db_path)
    try:
        if db.stat().st_size > 0:
            return None
    except FileNotFoundError:
        pass
    line = str(db.resolve())
    for wd in workdirs:
        marker = Path(wd) / ".accel" / MARKER
        try:
            if line in marker.read_text(encoding="utf-8").splitlines():
                return marker
        except (FileNotFoundError, UnicodeDecodeError):
            continue
    return None


def _now_after(latest: str | None) -> str:
    """Now, or a microsecond after the latest entry when that is a moment the clock has
    not moved past yet (another finish at "now" in the same microsecond)."""
    ts = normalise_timestamp(datetime.now())
    if latest is not None and ts <= latest and SEP not in latest:
        try:
            after = datetime.fromisoformat(latest) + timedelta(microseconds=1)
        except ValueError:  # 2019-12, or an integer: not a moment; the caller refuses
            return ts
        ts = normalise_timestamp(after)
    return ts


class Added(NamedTuple):
    """What `UrdLists.add` did: the entry as recorded, whether its timestamp was new to
    the list, and whether it replaced a different entry there (update=True)."""

    entry: DotDict
    new: bool
    changed: bool


class UrdJobList(NamedJobList):
    """The jobs of one recorded session, with the names they were built under."""


def check_listname(listname: object) -> str:
    """The list name if usable; a UserError otherwise (names show up in paths and CLIs)."""
    if not isinstance(listname, str) or not listname or _BAD_LISTNAME.search(listname):
        raise UserError(
            f"bad urd list name {listname!r}: must be a non-empty string "
            "without whitespace or '/'"
        )
    return listname


def _is_busy(e: sqlite3.OperationalError) -> bool:
    code = getattr(e, "sqlite_errorcode", None)  # Python 3.11 on
    if code is not None and sys.version_info >= (3, 11):
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    msg = str(e).lower()
    return "locked" in msg or "busy" in msg


@contextmanager
def _transaction(conn: sqlite3.Connection, immediate: bool = False) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _text(value: object, what: str, listname: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserError(f"urd list {listname!r}: {what} must be a string, not {value!r}")
    return str(value)


def _pairs(listname: str, joblist: Any) -> list[tuple[str, str]]:
    """A session's jobs as (name, job id) pairs, each checked."""
    jobs = []
    for item in joblist:
        try:
            if isinstance(item, str):
                raise TypeError(item)  # 'ab' would unpack as ('a', 'b')
            method, job_id = item
        except (TypeError, ValueError):
            raise UserError(
                f"urd list {listname!r}: joblist item {item!r} is not a (method, job_id) pair"
            )
        if not (isinstance(method, str) and method and isinstance(job_id, str) and job_id):
            raise UserError(
                f"urd list {listname!r}: joblist item {item!r} must be two non-empty strings"
            )
        if split_jobid(job_id) is None:
            raise UserError(f"urd list {listname!r}: {job_id!r} is not a job id (like dev-12)")
        jobs.append((str(method), str(job_id)))
    return jobs


def _check_forward(listname: str, ts: str, latest: str, update: bool) -> None:
    """Refuse `ts` at or before the list's latest (at it, update=True replaces)."""
    given, have = display_timestamp(ts), display_timestamp(latest)
    if ts < latest:
        hint = "update=True replaces only the latest" if update else \
            "use update=True to replace the latest"
        if not has_date(ts.split(SEP)[0]) and has_date(latest.split(SEP)[0]):
            hint = "integers sort before dates, so a list of dates cannot go back to integers"
        raise UserError(
            f"urd list {listname!r}: timestamp {given} is older than the latest entry "
            f"{have} (timestamps only move forward; {hint})"
        )
    if not update:
        raise UserError(
            f"urd list {listname!r}: timestamp {given} is the same as the latest entry, with "
            "other jobs, caption or deps (timestamps only move forward; use update=True "
            "to replace the latest)"
        )


def _entry(listname: str, ts: str, caption: str, user: str, build: str,
           joblist: UrdJobList, created: str, deps: dict[str, dict]) -> DotDict:
    """An entry as handed out: display timestamps, deps as entries (the Accelerator's
    timestamp, caption and joblist of each)."""
    return DotDict(
        listname=listname,
        timestamp=display_timestamp(ts),
        caption=caption,
        user=user,
        build=build,
        deps=DotDict((name, DotDict(timestamp=display_timestamp(d["timestamp"]),
                                    caption=d["caption"], joblist=UrdJobList(d["joblist"])))
                     for name, d in sorted(deps.items())),
        joblist=joblist,
        created=created,
    )


class UrdLists:
    """All urd lists of one project, in the SQLite file `db_path` (created on first use)."""

    def __init__(self, db_path: Path | str) -> None:
        self.path = Path(db_path)
        self._conn: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"UrdLists({str(self.path)!r})"

    # -- connection ---------------------------------------------------------------

    def close(self) -> None:
        """Close this process's connection; the next call opens a new one."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def _after_fork(self) -> None:
        if self._pid != os.getpid():
            if self._conn is not None:
                _ABANDONED.append(self._conn)
            self._conn = None
            self._lock = threading.Lock()
            self._pid = os.getpid()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(
                    str(self.path),
                    timeout=BUSY_TIMEOUT,
                    isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                    check_same_thread=False,  # guarded by self._lock
                )
            except (OSError, sqlite3.Error) as e:
                raise UserError(f"urd database {self.path}: cannot open: {e}")
            try:
                self._prepare(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            version = self._schema_version(conn)
            if version is None:
                with _transaction(conn, immediate=True):
                    version = self._schema_version(conn)  # someone may have beaten us
                    if version is None:
                        for statement in TABLES:
                            conn.execute(statement)
                        conn.execute(
                            "INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,)
                        )
                        version = SCHEMA_VERSION
            if version < SCHEMA_VERSION:  # written by an older accel: upgraded, once
                with _transaction(conn, immediate=True):
                    version = self._schema_version(conn) or SCHEMA_VERSION
                    if version < SCHEMA_VERSION:
                        upgrade(conn, version)
                        version = SCHEMA_VERSION
        except sqlite3.OperationalError as e:
            if _is_busy(e):
                raise  # retried by _run
            raise UserError(f"urd database {self.path}: {e}")
        except sqlite3.DatabaseError as e:
            raise UserError(f"urd database {self.path}: {e}")
        if version > SCHEMA_VERSION:
            raise UserError(
                f"urd database {self.path} has schema version {version}; "
                f"this accel knows only up to {SCHEMA_VERSION} (upgrade accel)"
            )

    @staticmethod
    def _schema_version(conn: sqlite3.Connection) -> int | None:
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone():
            return None
        return conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]

    def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """Run one operation (one transaction), retrying if SQLite still reports a lock.

        busy_timeout already waits for most locks; a few cases (switching to WAL, a
        read transaction that must upgrade) fail at once, and those are retried here.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT
        delay = 0.005
        while True:
            self._after_fork()
            with self._lock:
                try:
                    return operation(self._connection())
                except sqlite3.OperationalError as e:
                    if not _is_busy(e):
                        raise
                    if time.monotonic() > deadline:
                        raise AccelError(
                            f"urd database {self.path} stayed locked for over "
                            f"{BUSY_TIMEOUT:g} s ({e})"
                        )
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    # -- reading helpers ----------------------------------------------------------

    @staticmethod
    def _entries(
        conn: sqlite3.Connection, where: str, args: tuple[Any, ...], limit: str = ""
    ) -> list[DotDict]:
        rows = conn.execute(
            "SELECT listname, ts, caption, user, build, deps, created FROM entries "
            f"WHERE {where} ORDER BY listname, ts {limit}",
            args,
        ).fetchall()
        result = []
        for listname, ts, caption, user, build, deps, created in rows:
            joblist = UrdJobList(
                (method, job_id)
                for method, job_id in conn.execute(
                    "SELECT method, job_id FROM jobs WHERE listname = ? AND ts = ? ORDER BY pos",
                    (listname, ts),
                )
            )
            result.append(_entry(listname, ts, caption, user, build, joblist, created,
                                 json.loads(deps)))
        return result

    @staticmethod
    def _stored(conn: sqlite3.Connection, listname: str, ts: str) -> str:
        """The stored timestamp `ts` names in the list: itself, or when no entry has that
        text, the entry of its moment at full precision (one schema 1 wrote, or a
        datetime's), else `ts` (see `accel.urd.timestamps.full_form`)."""
        full = full_form(ts)
        if full != ts and conn.execute(
                "SELECT 1 FROM entries WHERE listname = ? AND ts = ?", (listname, ts)
        ).fetchone() is None and conn.execute(
                "SELECT 1 FROM entries WHERE listname = ? AND ts = ?", (listname, full)
        ).fetchone() is not None:
            return full
        return ts

    @staticmethod
    def _edge(conn: sqlite3.Connection, listname: str, last: bool) -> str | None:
        row = conn.execute(
            "SELECT ts FROM entries WHERE listname = ? ORDER BY ts "
            + ("DESC" if last else "ASC")
            + " LIMIT 1",
            (listname,),
        ).fetchone()
        return row[0] if row else None

    @staticmethod
    def _nearest(conn: sqlite3.Connection, listname: str, op: str, ts: str) -> str | None:
        """The timestamp nearest `ts` on the side `op` says. '<=' a timestamp with a date
        also takes the ones it is the start of ('<=2019-12' finds 2019-12-31), as in the
        Accelerator."""
        args: tuple[str | int, ...]
        if op == "<=" and has_date(ts):
            cond, args = "(ts <= ? OR substr(ts, 1, ?) = ?)", (ts, len(ts), ts)
        else:  # op is one of timestamps.COMPARISONS
            cond, args = f"ts {op} ?", (ts,)
        order = "DESC" if op.startswith("<") else "ASC"
        row = conn.execute(f"SELECT ts FROM entries WHERE listname = ? AND {cond} "
                           f"ORDER BY ts {order} LIMIT 1", (listname, *args)).fetchone()
        return row[0] if row else None

    def _dep_records(self, conn: sqlite3.Connection, listname: str,
                     deps: dict[str, Any]) -> dict[str, dict]:
        """`deps` as stored: each an entry (timestamp, caption, joblist) as the session
        read it, or a timestamp of that list, whose entry is taken as it is now."""
        out = {}
        for name, dep in deps.items():
            check_listname(name)
            if isinstance(dep, dict):
                missing = {"timestamp", "caption", "joblist"} - set(dep)
                if missing:
                    raise UserError(f"urd list {listname!r}: dep {name!r} has no "
                                    f"{', '.join(sorted(missing))}")
                joblist = dep["joblist"]
                pairs = joblist.as_tuples if isinstance(joblist, NamedJobList) else joblist
                out[name] = dep_record(normalise_timestamp(dep["timestamp"]),
                                       _text(dep["caption"], "dep caption", listname),
                                       _pairs(name, pairs))
                continue
            dep_ts = self._stored(conn, name, normalise_timestamp(dep))
            found = self._entries(conn, "listname = ? AND ts = ?", (name, dep_ts))
            if not found:
                raise UserError(f"urd list {listname!r}: dep {name!r} has no entry {dep!r}")
            out[name] = dep_record(dep_ts, found[0].caption,
                                   found[0].joblist.as_tuples)
        return out

    # -- public API ---------------------------------------------------------------

    def add(
        self,
        listname: str,
        timestamp: object,
        joblist: list[tuple[str, str]],
        *,
        caption: str = "",
        user: str = "",
        build: str = "",
        deps: dict[str, Any] | None = None,
        update: bool = False,
    ) -> Added:
        """Record one finished session; the list's timestamps only move forward.

        `timestamp` must be later than the list's latest entry; equal to it only with
        ``update=True``, which replaces that entry. `deps` maps other list names to the
        entries this session read (or their timestamps), kept for traceability only.
        The same session recorded again (same timestamp, jobs, caption and deps) is no
        change and no error.
        """
        check_listname(listname)
        now = timestamp is NOW
        ts = "" if now else normalise_timestamp(timestamp)
        jobs = _pairs(listname, joblist)
        if deps is None:
            deps = {}
        if not isinstance(deps, dict):
            raise UserError(f"urd list {listname!r}: deps must be a dict, not {deps!r}")
        caption = _text(caption, "caption", listname)
        user = _text(user, "user", listname)
        build = _text(build, "build", listname)

        def operation(conn: sqlite3.Connection) -> Added:
            nonlocal ts
            with _transaction(conn, immediate=True):
                stored_deps = deps_text(self._dep_records(conn, listname, deps))
                latest = self._edge(conn, listname, last=True)
                if now:  # taken here, in the transaction: after every entry already there
                    ts = _now_after(latest)
                else:
                    ts = self._stored(conn, listname, ts)
                replaced = False
                if latest is not None and ts <= latest:
                    old = conn.execute("SELECT caption, deps FROM entries "
                                       "WHERE listname = ? AND ts = ?", (listname, ts)).fetchone()
                    if old is not None:
                        entry = self._entries(conn, "listname = ? AND ts = ?", (listname, ts))[0]
                        if tuple(old) == (caption, stored_deps) and \
                                entry.joblist.as_tuples == jobs:
                            return Added(entry, False, False)
                    _check_forward(listname, ts, latest, update)
                    replaced = old is not None
                    conn.execute("DELETE FROM jobs WHERE listname = ? AND ts = ?", (listname, ts))
                    conn.execute(
                        "DELETE FROM entries WHERE listname = ? AND ts = ?", (listname, ts)
                    )
                created = datetime.now(timezone.utc).isoformat(timespec="seconds")
                conn.execute(
                    "INSERT INTO entries (listname, ts, caption, user, build, deps, created) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (listname, ts, caption, user, build, stored_deps, created),
                )
                conn.executemany(
                    "INSERT INTO jobs (listname, ts, pos, method, job_id) VALUES (?, ?, ?, ?, ?)",
                    [(listname, ts, pos, m, j) for pos, (m, j) in enumerate(jobs)],
                )
            entry = _entry(listname, ts, caption, user, build, UrdJobList(jobs), created,
                           json.loads(stored_deps))
            return Added(entry, not replaced, replaced)

        return self._run(operation)

    def _one(self, listname: str, last: bool) -> DotDict | None:
        return self.get(listname, "latest" if last else "first")

    def latest(self, listname: str) -> DotDict | None:
        """The newest entry of the list, or None if it has none."""
        return self._one(listname, last=True)

    def first(self, listname: str) -> DotDict | None:
        """The oldest entry of the list, or None if it has none."""
        return self._one(listname, last=False)

    def get(self, listname: str, timestamp: object) -> DotDict | None:
        """The entry with exactly this timestamp (after normalising), or None; 'latest'
        and 'first', or a timestamp after '<', '<=', '>' or '>=': the entry nearest it
        on that side (see `accel.urd.timestamps.parse_lookup`).

        Exact without a comparison: '2019-12-01' does not find '2019-12-01T10:00:00'
        (but '2019-12-01T10' does: an entry of full precision is found by every text of
        its moment).
        """
        check_listname(listname)
        op, ts = parse_lookup(timestamp)

        def operation(conn: sqlite3.Connection) -> DotDict | None:
            with _transaction(conn):
                if ts is None:
                    found_ts = self._edge(conn, listname, last=op == "latest")
                else:
                    # ('<=' keeps the text: it also takes what the text is the start of)
                    found_ts = ts if op == "<=" else self._stored(conn, listname, ts)
                    if op != "=":
                        found_ts = self._nearest(conn, listname, op, found_ts)
                found = self._entries(conn, "listname = ? AND ts = ?", (listname, found_ts))
            return found[0] if found else None

        return self._run(operation)

    def since(self, listname: str, timestamp: object) -> list[str]:
        """Display timestamps strictly after `timestamp`, oldest first."""
        check_listname(listname)
        ts = normalise_timestamp(timestamp)

        def operation(conn: sqlite3.Connection) -> list[str]:
            with _transaction(conn):
                rows = conn.execute(
                    "SELECT ts FROM entries WHERE listname = ? AND ts > ? ORDER BY ts",
                    (listname, self._stored(conn, listname, ts)),
                ).fetchall()
            return [display_timestamp(row[0]) for row in rows]

        return self._run(operation)

    def list(self) -> list[str]:
        """The names of all lists that have at least one entry, sorted."""

        def operation(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute("SELECT DISTINCT listname FROM entries").fetchall()
            return sorted(row[0] for row in rows)

        return self._run(operation)

    def truncate(self, listname: str, timestamp: object) -> int:
        """Delete the entries at or after `timestamp`; return how many went."""
        check_listname(listname)
        ts = normalise_timestamp(timestamp)

        def operation(conn: sqlite3.Connection) -> int:
            with _transaction(conn, immediate=True):
                at = self._stored(conn, listname, ts)
                conn.execute("DELETE FROM jobs WHERE listname = ? AND ts >= ?", (listname, at))
                return conn.execute(
                    "DELETE FROM entries WHERE listname = ? AND ts >= ?", (listname, at)
                ).rowcount

        return self._run(operation)

    def entries(self, listname: str) -> builtins.list[DotDict]:  # (in this class `list` is the method)
        """Every entry of the list, oldest first (what `ax urd LIST` shows)."""
        check_listname(listname)

        def operation(conn: sqlite3.Connection) -> list[DotDict]:
            with _transaction(conn):
                return self._entries(conn, "listname = ?", (listname,))

        return self._run(operation)

    def references(self) -> set[str]:
        """Every job id recorded in any entry: jobs a garbage collector must keep."""

        def operation(conn: sqlite3.Connection) -> set[str]:
            return {row[0] for row in conn.execute("SELECT DISTINCT job_id FROM jobs")}

        return self._run(operation)
