"""What the urd database holds: its tables, the stored form of an entry's deps, and the
upgrade of a database an older accel wrote, so no recorded list is lost or misread.

Versions:
1. integer timestamps as ``i`` and 20 digits (after dates, as text); deps as
   ``{list: timestamp}``.
2. integer timestamps as ``/`` and 20 digits (before dates, as in the Accelerator), several
   parts per timestamp; deps as ``{list: {timestamp, caption, joblist}}``: the entry the
   session read, as it was then.
"""

from __future__ import annotations

import json
import sqlite3

from accel.urd.timestamps import INT_PREFIX

SCHEMA_VERSION = 2

TABLES = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS entries (
        listname TEXT NOT NULL,
        ts TEXT NOT NULL,
        caption TEXT NOT NULL,
        user TEXT NOT NULL,
        build TEXT NOT NULL,
        deps TEXT NOT NULL,
        created TEXT NOT NULL,
        PRIMARY KEY (listname, ts)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS jobs (
        listname TEXT NOT NULL,
        ts TEXT NOT NULL,
        pos INTEGER NOT NULL,
        method TEXT NOT NULL,
        job_id TEXT NOT NULL,
        PRIMARY KEY (listname, ts, pos)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS jobs_by_job_id ON jobs (job_id)",
)


def dep_record(ts: str, caption: str, pairs: list[tuple[str, str]]) -> dict:
    """One dep as stored: the canonical timestamp, caption and (name, job) pairs."""
    return {"timestamp": ts, "caption": caption, "joblist": [list(p) for p in pairs]}


def deps_text(deps: dict[str, dict]) -> str:
    return json.dumps(deps, sort_keys=True)


def _v1_timestamp(ts: str) -> str:
    return INT_PREFIX + ts[1:] if ts.startswith("i") else ts


def upgrade(conn: sqlite3.Connection, version: int) -> None:
    """Bring a database of `version` to SCHEMA_VERSION, inside the caller's (immediate)
    transaction: all of it or, if anything fails, none of it."""
    if version == 1:
        _upgrade_1(conn)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))


def _upgrade_1(conn: sqlite3.Connection) -> None:
    """Integer timestamps take the prefix that sorts before dates; each dep becomes the
    entry it names as the list holds it now (v1 kept only the timestamp), or an empty
    caption and joblist when that entry is gone. Dates and times stay as v1 stored them:
    a time at full precision (``...T03:04:00`` for ``...T03:04``), which every text of
    its moment finds (`accel.urd.timestamps.full_form`), as what the user wrote is lost."""
    rows = conn.execute("SELECT listname, ts, deps FROM entries").fetchall()
    for listname, ts, _ in rows:
        if ts != _v1_timestamp(ts):
            for table in ("entries", "jobs"):
                conn.execute(f"UPDATE {table} SET ts = ? WHERE listname = ? AND ts = ?",
                             (_v1_timestamp(ts), listname, ts))
    for listname, ts, deps in rows:
        upgraded = {}
        for name, dep_ts in json.loads(deps).items():
            dep_ts = _v1_timestamp(dep_ts)
            found = conn.execute("SELECT caption FROM entries WHERE listname = ? AND ts = ?",
                                 (name, dep_ts)).fetchone()
            pairs = conn.execute("SELECT method, job_id FROM jobs WHERE listname = ? AND ts = ? "
                                 "ORDER BY pos", (name, dep_ts)).fetchall()
            upgraded[name] = dep_record(dep_ts, found[0] if found else "", pairs)
        conn.execute("UPDATE entries SET deps = ? WHERE listname = ? AND ts = ?",
                     (deps_text(upgraded), listname, _v1_timestamp(ts)))
