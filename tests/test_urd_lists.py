"""Urd lists: the forward-only session records in the project's SQLite file."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import traceback
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import ax, ax_run, printed, script

from accel.errors import UserError
from accel.urd.lists import SCHEMA_VERSION, UrdJobList, UrdLists
from accel.urd.timestamps import display_timestamp, normalise_timestamp


@pytest.fixture
def urd(tmp_path: Path) -> UrdLists:
    return UrdLists(tmp_path / ".accel" / "urd.db")


def one_line(e: pytest.ExceptionInfo) -> str:
    msg = str(e.value)
    assert "\n" not in msg
    return msg


# -- timestamps -------------------------------------------------------------------


INT = "/" + "0" * 18  # the canonical prefix of a two-digit integer part


@pytest.mark.parametrize(
    ("given", "canonical", "shown"),
    [
        (date(2023, 1, 2), "2023-01-02", "2023-01-02"),
        ("2023-01-02", "2023-01-02", "2023-01-02"),
        (datetime(2023, 1, 2, 3, 4, 5), "2023-01-02T03:04:05", "2023-01-02T03:04:05"),
        (datetime(2023, 1, 2, 3, 4, 5, 500), "2023-01-02T03:04:05.000500",
         "2023-01-02T03:04:05.000500"),
        ("2023-01-02T03:04:05", "2023-01-02T03:04:05", "2023-01-02T03:04:05"),
        # as precise as written, as in the Accelerator
        ("2023-01-02 03:04", "2023-01-02T03:04", "2023-01-02T03:04"),
        ("2023-01-02T03", "2023-01-02T03", "2023-01-02T03"),
        ("2023-01", "2023-01", "2023-01"),
        ("2023-01-02T03:04:05.5", "2023-01-02T03:04:05.5", "2023-01-02T03:04:05.5"),
        # accel also takes zones: converted to UTC
        ("2023-01-02T03:04:05+02:00", "2023-01-02T01:04:05", "2023-01-02T01:04:05"),
        ("2023-01-02T03:04:05Z", "2023-01-02T03:04:05", "2023-01-02T03:04:05"),
        (
            datetime(2023, 1, 2, 0, 30, tzinfo=timezone(timedelta(hours=1))),
            "2023-01-01T23:30:00",
            "2023-01-01T23:30:00",
        ),
        (0, "/" + "0" * 20, "0"),
        (42, INT + "42", "42"),
        ("42", INT + "42", "42"),
        (" 007 ", "/" + "0" * 19 + "7", "7"),
        # several parts
        (("2019-12-01", 3), "2019-12-01+/" + "0" * 19 + "3", "2019-12-01+3"),
        ("2019-12-01+4", "2019-12-01+/" + "0" * 19 + "4", "2019-12-01+4"),
        ([date(2019, 12, 3), 10, "11"], f"2019-12-03+{INT}10+{INT}11", "2019-12-03+10+11"),
        ("7+2", f"{INT}07+{INT}02", "7+2"),
        ("2023-01-02T03:04:05+02:00+3", "2023-01-02T01:04:05+/" + "0" * 19 + "3",
         "2023-01-02T01:04:05+3"),
        ([2023], "/" + "0" * 16 + "2023", "2023"),
    ],
)
def test_normalise_and_display(given, canonical, shown):
    assert normalise_timestamp(given) == canonical
    assert display_timestamp(canonical) == shown
    assert normalise_timestamp(shown) == canonical  # what is shown can be given back


def test_canonical_forms_sort_as_the_accelerator_orders_them():
    """Part by part, integers before dates, a timestamp before its own extensions (the
    order the Accelerator's urd gave these, run with `since`)."""
    ordered = ["1", "1+1", "2", "3", "7+2", "10", "2019-11", "2019-12-01", "2019-12-01+3",
               "2019-12-01+4", "2019-12-01+10", "2019-12-01T10", "2019-12-01T10:30:00",
               "2019-12-02", "2019-12-03+1+2", "2019-12-03T01:02:03.000500",
               "2019-12-03T01:02:03.5"]
    canon = [normalise_timestamp(t) for t in ordered]
    assert sorted(reversed(canon)) == canon
    assert [display_timestamp(c) for c in canon] == ordered


@pytest.mark.parametrize(
    "bad",
    [-1, True, 1.5, None, "", "yesterday", "2023-13-01", "2023-02-30", "2023-1-2",
     "2023-01-02T25:00", "2023-01-02T03:04:05.1234567", "-3", "1e5", 10**20, (), [[1]],
     "2019-12-01+", "+1", "1+02:00", "2019-12-01Z", "latest", "<=1", ("2019-12-01", -1)],
)
def test_bad_timestamps(bad):
    with pytest.raises(UserError) as e:
        normalise_timestamp(bad)
    msg = one_line(e)
    assert repr(bad) in msg
    assert "non-negative integer" in msg  # says what is accepted
    assert isinstance(e.value, ValueError)


# -- basic operations -------------------------------------------------------------


def test_empty(urd: UrdLists):
    assert urd.list() == []
    assert urd.latest("x") is None
    assert urd.first("x") is None
    assert urd.get("x", 1) is None
    assert urd.since("x", 0) == []
    assert urd.entries("x") == []
    assert urd.truncate("x", 0) == 0
    assert urd.references() == set()


def test_lazy_open(tmp_path: Path):
    path = tmp_path / "sub" / "urd.db"
    u = UrdLists(path)
    assert not path.parent.exists()
    assert u.list() == []
    assert path.exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [
            (SCHEMA_VERSION,)
        ]


def test_add_and_read(urd: UrdLists):
    urd.add("other", 5, [("m", "o-1")], caption="the other")
    added = urd.add(
        "imports", "2023-01-02",
        [("csvimport", "w-1"), ("dataset_type", "w-2"), ("csvimport", "w-3")],
        caption="first", user="ann", build="build_imports.py", deps={"other": 5},
    )
    assert (added.new, added.changed) == (True, False)
    e = added.entry
    assert e.listname == "imports"
    assert e.timestamp == "2023-01-02"
    assert e.caption == "first"
    assert e.user == "ann"
    assert e.build == "build_imports.py"
    # a dep given by its timestamp is that entry, as it is when this one is added
    assert e.deps == {"other": {"timestamp": "5", "caption": "the other", "joblist": ["o-1"]}}
    assert e.deps.other.joblist.as_tuples == [("m", "o-1")]
    assert isinstance(e.joblist, UrdJobList)
    assert e.joblist == ["w-1", "w-2", "w-3"]
    assert e.joblist.as_tuples == [("csvimport", "w-1"), ("dataset_type", "w-2"),
                                   ("csvimport", "w-3")]
    assert e.joblist.get("csvimport") == "w-3"  # the latest of that method
    assert e.joblist.get("dataset_type") == "w-2"
    assert e.joblist.get("nope") is None
    assert e.joblist.jobs == ["w-1", "w-2", "w-3"]
    datetime.fromisoformat(e.created)

    urd.add("imports", "2023-01-03", [("csvimport", "w-4")])
    urd.add("imports", "2023-01-05T10:00", [])
    urd.add("analysis", 1, [("stats", "w-5")])

    assert urd.list() == ["analysis", "imports", "other"]
    assert urd.latest("imports").timestamp == "2023-01-05T10:00"
    assert urd.first("imports") == e  # what add returned is what is read back
    got = urd.get("imports", date(2023, 1, 3))
    assert got.joblist.get("csvimport") == "w-4"
    assert got.caption == "" and got.deps == {}
    assert urd.get("imports", "2023-01-04") is None
    assert urd.get("imports", "2023-01-05") is None  # exact match only
    assert urd.get("imports", "2023-01-05T10:00:00") is None  # as precise as written
    assert urd.get("imports", "2023-01-05 10:00").timestamp == "2023-01-05T10:00"
    assert urd.since("imports", "2023-01-02") == ["2023-01-03", "2023-01-05T10:00"]
    assert urd.since("imports", "2023-01-01") == [
        "2023-01-02", "2023-01-03", "2023-01-05T10:00",
    ]
    assert urd.since("imports", "2023-01-05T10:00") == []
    assert [x.timestamp for x in urd.entries("imports")] == [
        "2023-01-02", "2023-01-03", "2023-01-05T10:00",
    ]
    assert urd.references() == {"w-1", "w-2", "w-3", "w-4", "w-5", "o-1"}


def test_truncate(urd: UrdLists):
    for i in range(1, 6):
        urd.add("a", i, [("m", f"j-{i}")])
    urd.add("b", 1, [("m", "k-1")])
    assert urd.truncate("a", 3) == 3
    assert urd.since("a", 0) == ["1", "2"]
    assert urd.references() == {"j-1", "j-2", "k-1"}
    assert urd.truncate("a", 10) == 0
    assert urd.truncate("a", 0) == 2
    assert urd.list() == ["b"]
    # after truncating, older timestamps are allowed again
    urd.add("a", 1, [("m", "j-99")])
    assert urd.latest("a").joblist.jobs == ["j-99"]


def test_int_timestamps_sort_numerically(urd: UrdLists):
    for t in (2, 9, 10, 11, 100):
        urd.add("n", t, [])
    assert urd.latest("n").timestamp == "100"
    assert urd.first("n").timestamp == "2"
    assert urd.since("n", 9) == ["10", "11", "100"]
    assert urd.since("n", "10") == ["11", "100"]
    with pytest.raises(UserError):
        urd.add("n", 20, [])  # 20 < 100 numerically, though "20" > "100" as text


def test_date_and_datetime_in_one_list(urd: UrdLists):
    urd.add("d", "2023-01-02", [])
    urd.add("d", "2023-01-02T00:00:00", [])  # a date comes before its day's datetimes
    urd.add("d", "2023-01-02T00:00:00.25", [])
    urd.add("d", "2023-01-03", [])
    with pytest.raises(UserError):
        urd.add("d", "2023-01-02T23:59", [])
    assert urd.since("d", "2000-01-01") == [
        "2023-01-02", "2023-01-02T00:00:00", "2023-01-02T00:00:00.25", "2023-01-03",
    ]


# -- the forward-only rule --------------------------------------------------------


def test_older_rejected(urd: UrdLists):
    urd.add("l", "2023-01-05", [("m", "j-1")])
    with pytest.raises(UserError) as e:
        urd.add("l", "2023-01-04", [("m", "j-2")])
    assert one_line(e) == (
        "urd list 'l': timestamp 2023-01-04 is older than the latest entry 2023-01-05 "
        "(timestamps only move forward; use update=True to replace the latest)"
    )
    with pytest.raises(UserError) as e:
        urd.add("l", "2023-01-04", [("m", "j-2")], update=True)
    assert "older than the latest entry 2023-01-05" in one_line(e)
    assert [x.timestamp for x in urd.entries("l")] == ["2023-01-05"]
    assert urd.references() == {"j-1"}


def test_equal_needs_update(urd: UrdLists):
    urd.add("l", 7, [("m", "j-1")], caption="old")
    with pytest.raises(UserError) as e:
        urd.add("l", 7, [("m", "j-2")], caption="new")
    msg = one_line(e)
    assert "urd list 'l'" in msg and "7" in msg and "update=True" in msg
    assert urd.latest("l").caption == "old"

    added = urd.add("l", 7, [("m", "j-2"), ("n", "j-3")], caption="new", update=True)
    assert (added.new, added.changed) == (False, True)
    e2 = added.entry
    assert e2.caption == "new"
    assert urd.entries("l") == [e2]
    assert urd.references() == {"j-2", "j-3"}  # the replaced entry's jobs are gone


def test_update_on_newer_just_adds(urd: UrdLists):
    urd.add("l", 1, [])
    urd.add("l", 2, [], update=True)
    assert urd.since("l", 0) == ["1", "2"]


def test_dates_after_integers_not_back(urd: UrdLists):
    """Integers sort before dates (as in the Accelerator), so a list may go on from
    integers to dates; going back is older than the latest, and refused saying why."""
    urd.add("l", 5, [])
    urd.add("l", "2023-01-02", [])
    urd.add("l", ("2023-01-02", 1), [])
    with pytest.raises(UserError) as e:
        urd.add("l", 6, [])
    assert one_line(e) == (
        "urd list 'l': timestamp 6 is older than the latest entry 2023-01-02+1 (timestamps "
        "only move forward; integers sort before dates, so a list of dates cannot go back "
        "to integers)"
    )
    assert urd.since("l", 0) == ["5", "2023-01-02", "2023-01-02+1"]
    assert urd.since("l", 5) == ["2023-01-02", "2023-01-02+1"]
    assert urd.truncate("l", "2023-01-02+1") == 1
    assert urd.truncate("l", 6) == 1  # every date is after 6
    assert urd.since("l", 0) == ["5"]


# -- bad input --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "has space", "tab\there", "a/b", "new\nline", None, 3])
def test_bad_listnames(urd: UrdLists, name):
    for call in (
        lambda: urd.add(name, 1, []),
        lambda: urd.latest(name),
        lambda: urd.first(name),
        lambda: urd.get(name, 1),
        lambda: urd.since(name, 1),
        lambda: urd.truncate(name, 1),
        lambda: urd.entries(name),
        lambda: urd.add("ok", 1, [], deps={name: 1}),
    ):
        with pytest.raises(UserError) as e:
            call()
        msg = one_line(e)
        assert repr(name) in msg and "list name" in msg
    assert urd.list() == []


def test_bad_timestamp_in_add(urd: UrdLists):
    with pytest.raises(UserError) as e:
        urd.add("l", "soon", [])
    assert "'soon'" in one_line(e)
    with pytest.raises(UserError):
        urd.add("l", 1, [], deps={"other": "later"})
    assert urd.list() == []


@pytest.mark.parametrize(
    "joblist", [[("m",)], [("m", "j", "x")], ["mj"], [("m", 3)], [("", "j")], [None]]
)
def test_bad_joblist(urd: UrdLists, joblist):
    with pytest.raises(UserError) as e:
        urd.add("l", 1, joblist)
    assert "'l'" in one_line(e)
    assert urd.list() == []


def test_not_a_database(tmp_path: Path):
    path = tmp_path / "urd.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UserError) as e:
        UrdLists(path).list()
    assert str(path) in one_line(e)


def test_newer_schema_refused(tmp_path: Path):
    path = tmp_path / "urd.db"
    UrdLists(path).list()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(UserError) as e:
        UrdLists(path).list()
    assert "schema version" in one_line(e)


def write_v1_database(path: Path, entries: list[tuple[str, str, str, str]]) -> None:
    """An urd database as accel wrote it with schema 1: (list, timestamp as stored, caption,
    deps as stored) each, with one job, dev-N for a caption of N characters."""
    from accel.urd.schema import TABLES

    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        for statement in TABLES:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1)")
        for listname, ts, caption, deps in entries:
            conn.execute("INSERT INTO entries VALUES (?, ?, ?, 'ann', 'build.py', ?, 'c')",
                         (listname, ts, caption, deps))
            conn.execute("INSERT INTO jobs VALUES (?, ?, 0, 'm', ?)",
                         (listname, ts, f"dev-{len(caption)}"))


# schema 1 stored every time at full precision: '2023-01-02T03:04' as '...T03:04:00'
V1_TIMES = [("nightly", "2023-01-02T03:04:00", "a", "{}"),
            ("nightly", "2023-01-03T03:04:05.500000", "b", "{}")]


def test_times_schema_1_stored_are_found_by_the_text_written(tmp_path: Path):
    """Schema 1 kept '2023-01-02T03:04' as '...T03:04:00' and '...05.5' as '...05.500000';
    after the upgrade the texts users wrote (and datetimes) still name those entries, and
    the same session recorded again is no change, not "older than the latest"."""
    path = tmp_path / "urd.db"
    write_v1_database(path, V1_TIMES)
    urd = UrdLists(path)
    for given in ("2023-01-02T03:04", "2023-01-02 03:04:00", "2023-01-02T03:04:00.000",
                  datetime(2023, 1, 2, 3, 4)):
        assert urd.get("nightly", given).caption == "a", given
    for given in ("2023-01-03T03:04:05.5", "2023-01-03T03:04:05.50",
                  datetime(2023, 1, 3, 3, 4, 5, 500000)):
        assert urd.get("nightly", given).caption == "b", given
    assert urd.since("nightly", "2023-01-02T03:04") == ["2023-01-03T03:04:05.500000"]
    assert urd.get("nightly", ">2023-01-02T03:04").caption == "b"
    assert urd.get("nightly", "<2023-01-03T03:04:05.5").caption == "a"
    assert urd.get("nightly", "<=2023-01-03T03:04:05.5").caption == "b"
    assert urd.get("nightly", ">=2023-01-03T03:04:05.5").caption == "b"
    again = urd.add("nightly", "2023-01-03T03:04:05.5", [("m", "dev-1")], caption="b",
                    user="ann", build="build.py")
    assert (again.new, again.changed, again.entry.timestamp) == \
        (False, False, "2023-01-03T03:04:05.500000")
    with pytest.raises(UserError) as e:  # other jobs at that moment: the latest, not older
        urd.add("nightly", "2023-01-03T03:04:05.5", [("m", "dev-9")], caption="b")
    assert "same as the latest" in one_line(e)
    dep = urd.add("other", 1, [], deps={"nightly": "2023-01-02T03:04"}).entry.deps.nightly
    assert (dep.timestamp, dep.caption) == ("2023-01-02T03:04:00", "a")
    urd.add("nightly", "2023-01-03T03:04:05.6", [("m", "dev-3")])
    assert [e.caption for e in urd.entries("nightly")] == ["a", "b", ""]
    assert urd.truncate("nightly", "2023-01-03T03:04:05.5") == 2
    assert [e.caption for e in urd.entries("nightly")] == ["a"]


def test_a_datetime_entry_is_found_by_any_text_of_its_moment(urd: UrdLists):
    """An entry a datetime made is as precise as a datetime; one a text made, as the text."""
    urd.add("l", datetime(2023, 1, 2, 3, 0), [])
    assert urd.get("l", "2023-01-02T03").timestamp == "2023-01-02T03:00:00"
    urd.add("l", "2023-01-02T04", [])
    assert urd.get("l", datetime(2023, 1, 2, 4)) is None  # as precise as written
    assert urd.get("l", "2023-01-02T04").timestamp == "2023-01-02T04"


def test_database_of_schema_1_is_upgraded(tmp_path: Path):
    """A database an older accel wrote (integers as 'i' + 20 digits, after dates as text;
    deps as timestamps) is upgraded on first open: same lists, entries, jobs and order,
    deps become the entries they name; an accel that only knows 1 then refuses it."""
    path = tmp_path / "urd.db"
    write_v1_database(path, [
        ("ints", "i" + "0" * 19 + "2", "two", "{}"),
        ("ints", "i" + "0" * 18 + "10", "ten", "{}"),
        ("dates", "2023-01-02T03:04:05", "d",
         json.dumps({"ints": "i" + "0" * 19 + "2", "gone": "2020-01-01"}))])
    urd = UrdLists(path)
    assert [(e.timestamp, e.caption, e.joblist.as_tuples) for e in urd.entries("ints")] == [
        ("2", "two", [("m", "dev-3")]), ("10", "ten", [("m", "dev-3")])]
    deps = urd.latest("dates").deps
    assert deps == {"gone": {"timestamp": "2020-01-01", "caption": "", "joblist": []},
                    "ints": {"timestamp": "2", "caption": "two", "joblist": ["dev-3"]}}
    assert urd.since("ints", 2) == ["10"]
    urd.add("ints", "2023-01-01", [])  # a date now goes after the integers
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    assert UrdLists(path).entries("ints")[-1].timestamp == "2023-01-01"


# -- persistence ------------------------------------------------------------------


def test_persistence_across_instances(tmp_path: Path):
    path = tmp_path / "urd.db"
    a = UrdLists(path)
    a.add("x", "2022-12-31T10:00", [("n", "j-0")])
    a.add("l", "2023-01-02", [("m", "j-1")], caption="c", deps={"x": "2022-12-31T10:00"})
    a.close()
    b = UrdLists(str(path))
    e = b.latest("l")
    assert e.caption == "c"
    assert e.deps.x.timestamp == "2022-12-31T10:00"
    assert e.deps.x.joblist.as_tuples == [("n", "j-0")]
    assert e.joblist.get("m") == "j-1"
    b.add("l", "2023-01-03", [])
    # the first instance sees the second's writes (it reopens after close)
    assert a.since("l", "2023-01-02") == ["2023-01-03"]


# -- concurrency ------------------------------------------------------------------

WORKERS = 6
PER_WORKER = 25


def _append_worker(path: str, worker: int, barrier, results) -> None:
    """Append PER_WORKER entries at latest+1, retrying only on the forward-only rule."""
    try:
        urd = UrdLists(path)
        barrier.wait()
        added, rejected = [], 0
        while len(added) < PER_WORKER:
            latest = urd.latest("shared")
            ts = int(latest.timestamp) + 1 if latest else 1
            try:
                urd.add("shared", ts, [("m", f"w{worker}-{len(added)}")], user=str(worker))
            except UserError as e:
                # someone else took ts between our read and our add: exactly the rule
                assert "timestamps only move forward" in str(e), str(e)
                rejected += 1
                continue
            added.append(ts)
            urd.add(f"own{worker}", len(added), [("m", f"w{worker}-{len(added) - 1}")])
        results.put((worker, added, rejected, None))
    except BaseException:
        results.put((worker, None, 0, traceback.format_exc()))


def _same_ts_worker(path: str, worker: int, barrier, results) -> None:
    try:
        urd = UrdLists(path)
        barrier.wait()
        try:
            urd.add("race", 1, [("m", f"w-{worker}")])
            results.put((worker, "won", None))
        except UserError as e:
            results.put((worker, "lost", str(e)))
    except BaseException:
        results.put((worker, "error", traceback.format_exc()))


def _run_workers(target, path: Path) -> list:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(str(path), w, barrier, results)) for w in range(WORKERS)
    ]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    return out


def test_concurrent_appends_same_list(tmp_path: Path):
    path = tmp_path / ".accel" / "urd.db"  # does not exist yet: creation races too
    out = _run_workers(_append_worker, path)
    errors = [err for _, _, _, err in out if err]
    assert not errors, errors[0]
    urd = UrdLists(path)
    entries = urd.entries("shared")
    total = WORKERS * PER_WORKER
    # no lost and no duplicate entries; the list is 1..total with no gaps
    assert [e.timestamp for e in entries] == [str(i) for i in range(1, total + 1)]
    by_ts = {int(e.timestamp): e for e in entries}
    for worker, added, _, _ in out:
        assert len(added) == PER_WORKER
        for i, ts in enumerate(added):
            assert by_ts[ts].user == str(worker)
            assert by_ts[ts].joblist.as_tuples == [("m", f"w{worker}-{i}")]
        assert urd.since(f"own{worker}", 0) == [str(i) for i in range(1, PER_WORKER + 1)]
    assert len(urd.references()) == total
    assert urd.list() == sorted(["shared"] + [f"own{w}" for w in range(WORKERS)])


def test_concurrent_same_timestamp_only_one_wins(tmp_path: Path):
    path = tmp_path / "urd.db"
    UrdLists(path).add("race", 0, [])  # an existing db this time
    out = _run_workers(_same_ts_worker, path)
    outcomes = sorted(o for _, o, _ in out)
    assert outcomes == ["lost"] * (WORKERS - 1) + ["won"], out
    for _, outcome, msg in out:
        if outcome == "lost":
            assert "same as the latest entry" in msg
    entries = UrdLists(path).entries("race")
    assert [e.timestamp for e in entries] == ["0", "1"]


def _now_worker(path: str, worker: int, barrier, results) -> None:
    """Begin and finish sessions of one list without timestamps, as build scripts do."""
    try:
        from accel.urd.session import Urd

        urd = Urd(None, "build.py", db_path=Path(path))  # type: ignore[arg-type]
        barrier.wait()
        news = []
        for i in range(PER_WORKER * 2):
            urd.begin("now", caption=f"{worker} {i}")
            news.append(urd.finish("now").new)
        results.put((worker, news, None))
    except BaseException:
        results.put((worker, None, traceback.format_exc()))


def test_concurrent_finishes_at_now_never_collide(tmp_path: Path):
    """urd.finish() without a timestamp takes the time inside the transaction: concurrent
    finishes of one list never fail as 'older than the latest entry' (issue 12, item 9;
    the time used to be taken before the transaction, and 4-16 of 480 failed)."""
    path = tmp_path / "urd.db"
    out = _run_workers(_now_worker, path)
    errors = [err for _, _, err in out if err]
    assert not errors, errors[0]
    entries = UrdLists(path).entries("now")
    assert len(entries) == WORKERS * PER_WORKER * 2
    stamps = [e.timestamp for e in entries]
    assert stamps == sorted(set(stamps))  # every one its own moment, in order
    for worker, news, _ in out:
        assert news == [True] * PER_WORKER * 2
        mine = [int(e.caption.split()[1]) for e in entries if e.caption.split()[0] == str(worker)]
        assert mine == list(range(PER_WORKER * 2))  # each worker's sessions in its order


def test_fork_after_use(tmp_path: Path):
    """An instance used before fork() still works in the child and the parent."""
    urd = UrdLists(tmp_path / "urd.db")
    urd.add("l", 1, [])
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=lambda: urd.add("l", 2, []))
    p.start()
    p.join(30)
    assert p.exitcode == 0
    urd.add("l", 3, [])
    assert urd.since("l", 0) == ["1", "2", "3"]


def test_a_build_script_goes_on_with_lists_schema_1_wrote(project):
    """The user's view of the upgrade: a build script names an old entry by the text it
    was written as and goes on after it; `ax job :LIST/TS:` takes a time with ':' in it."""
    write_v1_database(project.root / ".accel" / "urd.db", V1_TIMES)
    project.method("m", "def synthesis():\n    return 1\n")
    script(project, """
        def main(urd):
            urd.begin('nightly', '2023-01-03T03:04:05.6')
            urd.build('m')
            urd.finish('nightly')
            print('RESULT', json.dumps([urd.peek('nightly', '2023-01-02T03:04').caption,
                                        urd.peek_latest('nightly').timestamp]))
    """)
    assert printed(ax_run(project, clean=True)) == ["a", "2023-01-03T03:04:05.6"]
    for ref, job in ((":nightly/2023-01-03T03:04:05.5:", "dev-1"),
                     (":nightly/2023-01-03T03:04:05.6:m", "dev-1")):
        shown = ax(project.root, "job", ref, "--json")
        assert json.loads(shown.stdout)["job"] == job, ref
