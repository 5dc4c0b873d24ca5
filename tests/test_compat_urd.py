"""Issue 13, item 7: the Accelerator's `urd` object in build scripts -- `urd.info`,
`urd.joblist_all`, what `urd.finish()` returns, `entry.deps` as entries, timestamps of
several parts, lists going on from integers to dates, `urd.abort()` without a name.
Each is a build script written the Accelerator way, run with `ax run` in a temporary
project; the expected values are what the Accelerator (2025.11.11) gave for the same
script."""

from __future__ import annotations

from conftest import ax, ax_run, ax_run_fails, printed, script

M = '''
    options = dict(x=0)

    def synthesis():
        return options.x
'''


def test_urd_info_gives_the_projects_slices_and_directories(project):
    """The Accelerator's urd.info: slices, input_directory, result_directory, urd."""
    project.method("m", M)
    script(project, """
        def main(urd):
            info = urd.info
            print('RESULT', json.dumps(dict(info, slices_attr=info.slices,
                                            result_attr=info.result_directory)))
    """)
    got = printed(ax_run(project, clean=True))
    root = project.root.resolve()
    assert set(got) == {"slices", "input_directory", "result_directory", "urd",
                        "slices_attr", "result_attr"}
    assert got["slices"] == got["slices_attr"] == 2
    assert got["input_directory"] == str(root)  # the project's folder when not configured
    assert got["result_directory"] == got["result_attr"] == str(root / "results")
    assert got["urd"]  # where the lists are: urd is always there


def test_joblist_is_since_begin_and_joblist_all_the_whole_run(project):
    """As in the Accelerator: begin() starts urd.joblist again; urd.joblist_all has every
    job the run built or reused, in order, with the names they were built under."""
    project.method("m", M)
    script(project, """
        def main(urd):
            a = urd.build('m', x=1, name='first')
            urd.begin('l', 1)
            b = urd.build('m', x=2)
            urd.build('m', x=1)  # reused
            during = list(urd.joblist)
            urd.finish('l')
            print('RESULT', json.dumps(dict(
                during=during, after=list(urd.joblist), all=list(urd.joblist_all),
                first=urd.joblist_all.get('first'), latest_m=urd.joblist_all.get('m'),
                recorded=urd.peek_latest('l').joblist.as_tuples, ids=[a, b])))
    """)
    p = ax_run(project, clean=True)
    got = printed(p)
    a, b = got["ids"]
    assert got["during"] == got["after"] == [b, a]
    assert got["all"] == [a, b, a]
    assert got["first"] == a and got["latest_m"] == a
    assert got["recorded"] == [["m", b], ["m", a]]
    assert "3 jobs (2 new, 1 reused)" in p.stdout  # ax run's summary is of the whole run


def test_finish_says_new_changed_and_is_ghost(project):
    """The Accelerator's urd.finish() values: a first entry, the same entry again, a
    changed one (refused without update=True), a changed one with update=True, the next."""
    project.method("m", M)
    script(project, """
        def session(x, **kw):
            urd.begin('l', '2019-12-01', **kw)
            urd.build('m', x=x)
            return urd.finish('l')

        def main(urd_):
            global urd
            urd = urd_
            out = [session(1), session(1)]
            try:
                session(2)
            except ValueError as e:
                out.append('refused: ' + str(e))
            out.append(session(2, update=True))
            urd.begin('l', '2019-12-02')
            urd.build('m', x=2)
            out.append(urd.finish('l'))
            out.append(urd.peek('l', '2019-12-01').joblist.get('m').load())
            print('RESULT', json.dumps(out))
    """)
    first, again, refused, changed, following, now_there = printed(ax_run(project, clean=True))
    assert first == {"new": True, "changed": False, "is_ghost": False}
    assert again == {"new": False, "changed": False, "is_ghost": False}
    assert refused.startswith("refused: urd list 'l': timestamp 2019-12-01 is the same as")
    assert "update=True" in refused
    assert changed == {"new": False, "changed": True, "is_ghost": False, "deps": 0}
    assert following == {"new": True, "changed": False, "is_ghost": False}
    assert now_there == 2


def test_entry_deps_are_the_entries_read(project):
    """entry.deps maps each list the session read to that entry as it was then: its
    timestamp, caption and joblist (Jobs, by name), as the Accelerator gives them."""
    project.method("m", M)
    script(project, """
        def main(urd):
            urd.begin('a', 1, caption='cap a')
            urd.build('m', x=1, name='first')
            urd.build('m', x=2)
            urd.finish('a')
            urd.begin('b', '2019-12-01+4')
            urd.latest('a')
            urd.build('m', x=3)
            urd.finish('b')
            dep = urd.peek_latest('b').deps['a']
            print('RESULT', json.dumps(dict(
                keys=sorted(dep), timestamp=dep.timestamp, caption=dep.caption,
                jobs=list(dep.joblist), first=dep.joblist.get('first'),
                loaded=dep.joblist[0].load(), method=dep.joblist[1].method,
                names=dep.joblist.as_tuples, attr=urd.peek_latest('b').deps.a.caption)))
    """)
    got = printed(ax_run(project, clean=True))
    one, two = got["jobs"]
    assert got["keys"] == ["caption", "joblist", "timestamp"]
    assert got["timestamp"] == "1" and got["caption"] == got["attr"] == "cap a"
    assert got["first"] == one and got["loaded"] == 1 and got["method"] == "m"
    assert got["names"] == [["first", one], ["m", two]]
    shown = ax(project.root, "urd", "b", "--json")
    assert '"caption": "cap a"' in shown.stdout


def test_timestamps_of_several_parts_everywhere(project):
    """('2019-12-01', 3) and '2019-12-01+4' in begin, finish, get, peek, since, truncate,
    with comparisons in peek; shown and ordered as the Accelerator shows and orders them."""
    project.method("m", M)
    script(project, """
        from datetime import date, datetime

        def main(urd):
            stamps = [1, '1+1', '7+2', '2019-11', '2019-12-01', ('2019-12-01', 3),
                      '2019-12-01+4', '2019-12-01 10', datetime(2019, 12, 1, 10, 30),
                      date(2019, 12, 2), ['2019-12-03', 1, 2]]
            for i, ts in enumerate(stamps):
                urd.begin('l', ts)
                urd.build('m', x=i)
                urd.finish('l')
            urd.begin('l')
            urd.build('m', x=99)
            urd.finish('l', ('2019-12-04', 1))
            out = dict(
                all=urd.since('l', 0),
                since_tuple=urd.since('l', ('2019-12-01', 3)),
                since_plus=urd.since('l', '2019-12-01+3'),
                get=urd.get('l', '2019-12-01+3').joblist.get('m').load(),
                peek=urd.peek('l', ('2019-12-01', 4)).timestamp,
                lt=urd.peek('l', '<2019-12-01+4').timestamp,
                le=urd.peek('l', '<=2019-11').timestamp,
                le_prefix=urd.peek('l', '<=2019-12-03').timestamp,
                gt=urd.peek('l', '>1+1').timestamp,
                ge=urd.peek('l', ('>=', '2019-12-01', 5)).timestamp,
                first=urd.peek('l', 'first').timestamp,
                latest=urd.latest('l').timestamp,
                missing=bool(urd.peek('l', '2019-12-01+5')),
                truncated=urd.truncate('l', '2019-12-03+1'),
                left=urd.peek_latest('l').timestamp,
            )
            print('RESULT', json.dumps(out))
    """)
    got = printed(ax_run(project, clean=True))
    assert got["all"] == ["1", "1+1", "7+2", "2019-11", "2019-12-01", "2019-12-01+3",
                          "2019-12-01+4", "2019-12-01T10", "2019-12-01T10:30:00",
                          "2019-12-02", "2019-12-03+1+2", "2019-12-04+1"]
    assert got["since_tuple"] == got["since_plus"] == got["all"][6:]
    assert got["get"] == 5
    assert got["peek"] == "2019-12-01+4"
    assert got["lt"] == "2019-12-01+3"
    assert got["le"] == "2019-11"
    assert got["le_prefix"] == "2019-12-03+1+2"  # '<=' a date takes what starts with it
    assert got["gt"] == "7+2"
    assert got["ge"] == "2019-12-01T10"
    assert got["first"] == "1"
    assert got["latest"] == "2019-12-04+1"
    assert got["missing"] is False
    assert got["truncated"] == {"count": 2, "deps": 0}
    assert got["left"] == "2019-12-02"


def test_a_list_of_integers_goes_on_with_dates_not_back(project):
    """Integers sort before dates (the Accelerator's order): a list that had integer
    timestamps takes dates after them; an integer after a date is older than the latest,
    and refused (accel's lists only move forward) with a message saying why."""
    project.method("m", M)
    script(project, """
        def main(urd):
            for ts in (1, 2, '2019-12-01', ('2019-12-01', 1)):
                urd.begin('l', ts)
                urd.build('m', x=1)
                urd.finish('l')
            print('RESULT', json.dumps(urd.since('l', 0)))
            urd.begin('l', 3)
            urd.build('m', x=1)
            urd.finish('l')
    """)
    p = ax_run_fails(project)
    assert printed(p) == ["1", "2", "2019-12-01", "2019-12-01+1"]
    assert "urd list 'l': timestamp 3 is older than the latest entry 2019-12-01+1" in p.stderr
    assert "integers sort before dates" in p.stderr


def test_a_bad_timestamp_is_one_clear_message(project):
    project.method("m", M)
    script(project, """
        def main(urd):
            urd.begin('l', ('2019-12-01', -3))
    """)
    p = ax_run_fails(project)
    assert "bad urd timestamp ('2019-12-01', -3) (negative)" in p.stderr


def test_abort_without_a_name_aborts_the_list_begun(project):
    """urd.abort() drops the begun session unrecorded, as the Accelerator's does; with
    nothing begun it does nothing."""
    project.method("m", M)
    script(project, """
        def main(urd):
            urd.abort()
            urd.begin('l', 1)
            urd.build('m', x=1)
            urd.abort()
            recorded = bool(urd.peek_latest('l'))
            urd.begin('l', 1)  # not "begun again": the first is gone
            urd.build('m', x=2)
            urd.finish('l')
            print('RESULT', json.dumps([recorded, urd.peek_latest('l').joblist.get('m').load()]))
    """)
    assert printed(ax_run(project, clean=True)) == [False, 2]
