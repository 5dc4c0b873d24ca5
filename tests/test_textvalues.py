"""accel.textvalues.from_text: option and input values given as text (ax why KEY=VALUE,
CSV rows) read by what each declaration expects, and every way that can go wrong."""

from __future__ import annotations

import types
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from accel.errors import NotFound, OptionError
from accel.job import JobWithFile
from accel.methods import MethodInfo
from accel.options import (
    OptionDefault,
    OptionEnum,
    OptionString,
    RequiredOption,
    normalise_inputs,
    normalise_options,
)
from accel.textvalues import from_text


def method(options=None, datasets=None, jobs=None) -> MethodInfo:
    mod = types.ModuleType("a_m")
    if options is not None:
        mod.options = options
    if datasets is not None:
        mod.datasets = datasets
    if jobs is not None:
        mod.jobs = jobs
    mod.synthesis = lambda: None
    return MethodInfo("m", Path("/nowhere/a_m.py"), "methods", mod)


def opt(decl, text, **kw):
    """The value option `x` declared as `decl` gets from `text`."""
    options, datasets, jobs = from_text("m", method({"x": decl}), {"x": text}, **kw)
    assert datasets == {} and jobs == {}
    return options.get("x", "<not given>")


def error(decl, text, **kw) -> str:
    with pytest.raises(OptionError) as e:
        opt(decl, text, **kw)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("method 'm': ")
    return msg


# --- scalars -----------------------------------------------------------------------------------

@pytest.mark.parametrize("decl, text, want", [
    (int, "4", 4), (int, " -12 ", -12), (int, "1_000", 1000), (int, "+7", 7),
    (3, "4", 4),
    (float, "2.5", 2.5), (float, "1e-3", 0.001), (float, "4", 4.0), (0.5, "-1", -1.0),
    (bool, "true", True), (bool, "FALSE", False), (True, "yes", True), (True, "No", False),
    (False, "1", True), (False, "0", False),
    (str, "hello", "hello"), ("x", "  spaced out  ", "  spaced out  "), (str, "a,b", "a,b"),
    (OptionString, "hi", "hi"), (OptionString("example"), "there", "there"),
    (date, "2020-01-31", date(2020, 1, 31)),
    (date(2000, 1, 1), " 2021-02-03 ", date(2021, 2, 3)),
    (datetime, "2020-01-31T12:00:00", datetime(2020, 1, 31, 12)),
    (datetime, "2020-01-31 12:30", datetime(2020, 1, 31, 12, 30)),
    (datetime, "2020-01-31T12:00:00Z", datetime(2020, 1, 31, 12, tzinfo=timezone.utc)),
    (datetime, "2020-01-31", datetime(2020, 1, 31)),
    (time, "12:30", time(12, 30)), (time, "12:30:01.5", time(12, 30, 1, 500000)),
    (timedelta, "PT1H30M", timedelta(hours=1, minutes=30)), (timedelta, "P2D", timedelta(days=2)),
    (timedelta, "-PT1M", timedelta(minutes=-1)),
    (timedelta, "90", timedelta(seconds=90)), (timedelta, "0.5", timedelta(seconds=0.5)),
    (timedelta, "1:30:00", timedelta(hours=1, minutes=30)),
    (timedelta, "2 days, 0:00:01", timedelta(days=2, seconds=1)),
    (timedelta, "-1 day, 23:00:00", timedelta(hours=-1)),
    (timedelta, str(timedelta(days=1, microseconds=5)), timedelta(days=1, microseconds=5)),
    (OptionEnum("fast slow"), "slow", "slow"), (OptionEnum("fast slow").fast, " slow ", "slow"),
    (OptionEnum("csv json*"), "jsonl", "jsonl"),
    (RequiredOption(int), "5", 5), (RequiredOption(date), "2020-01-31", date(2020, 1, 31)),
    (OptionDefault([str], ["a"]), "b,c", ["b", "c"]),
    (OptionDefault(int, 5), "6", 6),
])
def test_scalars(decl, text, want):
    got = opt(decl, text)
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize("text, want", [
    ("5", 5), ("2.5", 2.5), ("true", True), ("null", None), ("None", None),
    ('"quoted"', "quoted"), ("[1, \"a\"]", [1, "a"]), ('{"k": [1]}', {"k": [1]}),
    ("plain words", "plain words"), ("  padded ", "  padded "),
])
def test_any_json(text, want):
    """`None` declares any JSON value: JSON when the text parses, else the text."""
    assert opt(None, text) == want


def test_jobwithfile():
    got = opt(JobWithFile, "dev-3/model.pickle")
    assert got == JobWithFile("dev-3", "model.pickle")
    got = opt(JobWithFile, "prep/sub/file.txt", resolve={"prep": "dev-7"}.__getitem__)
    assert got == JobWithFile("dev-7", "sub/file.txt")
    assert opt(JobWithFile, "None") is None


# --- None, empty, defaults ---------------------------------------------------------------------

@pytest.mark.parametrize("decl", [int, float, bool, str, date, datetime, time, timedelta, None,
                                  OptionEnum("a b"), OptionEnum("a b", none_ok=True).a,
                                  RequiredOption(int, none_ok=True), OptionDefault(str),
                                  OptionDefault([int])])
def test_none_where_none_is_accepted(decl):
    assert opt(decl, "None") is None
    assert opt(decl, " None ") is None


def test_none_is_text_where_none_is_not_accepted():
    assert opt("x", "None") == "None"  # a str option by example: the string
    assert "expected int, got the text 'None'" in error(3, "None")
    assert "expected bool (true/false, yes/no, 1/0), got the text 'None'" in error(True, "None")
    assert "expected one of a, b, got the text 'None'" in error(OptionEnum("a b").a, "None")
    assert "expected int, got the text 'None'" in error(OptionDefault(int, 5), "None")
    assert "expected int, got the text 'None'" in error(RequiredOption(int), "None")


@pytest.mark.parametrize("decl", [int, 3, "x", [int], {str: int}, OptionEnum("a b").a, None,
                                  JobWithFile])
@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_means_not_given(decl, text):
    assert opt(decl, text) == "<not given>"


@pytest.mark.parametrize("decl", [RequiredOption(int), OptionString, OptionString("e.g.")])
@pytest.mark.parametrize("text", ["", "  ", None])
def test_empty_for_a_required_option(decl, text):
    msg = error(decl, text)
    assert msg.startswith("method 'm': option 'x' is required (expected ")
    assert "the text is empty (empty means 'not given')" in msg


def test_plan_ready():
    """What from_text gives normalises to itself: it is what Builder.plan expects."""
    decls = {"n": 3, "r": 0.5, "d": date, "td": timedelta, "tags": [str], "s": {int},
             "m": {int: [date]}, "e": OptionEnum("a b").a, "any": None, "j": JobWithFile}
    info = method(decls, datasets=("src", ["more"]), jobs=("prev", ["parts"]))
    texts = {"n": "4", "r": "1", "d": "2020-01-31", "td": "PT1M", "tags": "a,b", "s": "3,1",
             "m": '{"2": ["2020-01-01"]}', "e": "b", "any": "[1]", "j": "dev-1/f",
             "src": "dev-1", "more": "dev-2/x, dev-3", "prev": "dev-4", "parts": "dev-5"}
    options, datasets, jobs = from_text("m", info, texts)
    assert normalise_options("m", decls, options) == {**options}
    assert options["m"] == {2: [date(2020, 1, 1)]} and options["s"] == {1, 3}
    assert datasets == {"src": "dev-1/default", "more": ["dev-2/x", "dev-3/default"]}
    assert jobs == {"prev": "dev-4", "parts": ["dev-5"]}
    assert normalise_inputs("m", "datasets", info.datasets, datasets) == datasets
    assert normalise_inputs("m", "jobs", info.jobs, jobs) == jobs


def test_only_given_keys_come_back():
    info = method({"a": 1, "b": 2}, jobs=("prev",))
    assert from_text("m", info, {}) == ({}, {}, {})
    assert from_text("m", info, {" a ": "5", "b": "", "prev": ""}) == ({"a": 5}, {}, {})


# --- containers --------------------------------------------------------------------------------

@pytest.mark.parametrize("decl, text, want", [
    ([int], "1,2,3", [1, 2, 3]), ([int], " 1 , 2 ", [1, 2]), ([int], "7", [7]),
    ([int], "[1, 2]", [1, 2]), ([int], "[]", []), ([int], "1,None", [1, None]),
    ([str], "a, b", ["a", "b"]), ([str], '["a,b", ""]', ["a,b", ""]),
    ([float], "1,2.5", [1.0, 2.5]), ([bool], "yes,no,TRUE", [True, False, True]),
    ([date], "2020-01-01,2020-02-01", [date(2020, 1, 1), date(2020, 2, 1)]),
    ([date], '["2020-01-01"]', [date(2020, 1, 1)]),
    ([timedelta], "PT1H,90", [timedelta(hours=1), timedelta(seconds=90)]),
    ([timedelta], '["PT1H", 90, "0:00:05"]',
     [timedelta(hours=1), timedelta(seconds=90), timedelta(seconds=5)]),
    ([OptionEnum("a b")], "a,b,a", ["a", "b", "a"]),
    ([JobWithFile], "dev-1/a,dev-2/b", [JobWithFile("dev-1", "a"), JobWithFile("dev-2", "b")]),
    ([], "1,a,true,null", [1, "a", True, None]), ([], '[1, {"k": 2}]', [1, {"k": 2}]),
    ([None], "x,2", ["x", 2]),
    ([[int]], "[[1], [2, 3]]", [[1], [2, 3]]),
    ({int}, "3,1,3", {1, 3}), ({int}, "[2, 1]", {1, 2}), (set(), "a,1", {"a", 1}),
    ({str}, "b,a", {"a", "b"}),
    ({}, '{"a": [1, 2], "b": null}', {"a": [1, 2], "b": None}),
    ({str: int}, '{"a": 1}', {"a": 1}), ({int: str}, '{"2": "b", "1": "a"}', {1: "a", 2: "b"}),
    ({date: float}, '{"2020-01-31": 1}', {date(2020, 1, 31): 1.0}),
    ({str: [date]}, '{"k": ["2020-01-01"]}', {"k": [date(2020, 1, 1)]}),
    ({OptionEnum("a b"): int}, '{"a": 1}', {"a": 1}),
])
def test_containers(decl, text, want):
    assert opt(decl, text) == want


# --- inputs ------------------------------------------------------------------------------------

def test_inputs():
    info = method(datasets=("src", ["more"]), jobs=("prev", ["parts"]))
    got = from_text("m", info, {"src": "dev-1/named", "more": "dev-2", "prev": " dev-3 ",
                                "parts": '["dev-4", "dev-5"]'})
    assert got == ({}, {"src": "dev-1/named", "more": ["dev-2/default"]},
                   {"prev": "dev-3", "parts": ["dev-4", "dev-5"]})
    assert from_text("m", info, {"prev": "None", "src": "None"}) == ({}, {"src": None},
                                                                        {"prev": None})


def test_inputs_through_a_resolver():
    refs = {"csvimport": "dev-9", "csvimport~1": "dev-8", ":nightly:": "dev-7",
            ":nightly/2020-01-01:": "dev-6"}

    def resolve(ref):
        if ref.startswith("dev-"):
            return ref
        if ref not in refs:
            raise NotFound(f"no finished job of method {ref!r}")
        return refs[ref]

    info = method(datasets=("src", ["more"]), jobs=("prev", ["parts"]))
    got = from_text("m", info, {"src": "csvimport/lines", "more": ":nightly/2020-01-01:/x,dev-1",
                                "prev": "csvimport~1", "parts": ":nightly:, dev-2"},
                    resolve=resolve)
    assert got == ({}, {"src": "dev-9/lines", "more": ["dev-6/x", "dev-1/default"]},
                   {"prev": "dev-8", "parts": ["dev-7", "dev-2"]})
    with pytest.raises(OptionError) as e:
        from_text("m", info, {"prev": "nosuch"}, resolve=resolve)
    assert str(e.value) == "method 'm': job input 'prev': no finished job of method 'nosuch'"
    with pytest.raises(OptionError) as e:
        from_text("m", info, {"parts": "csvimport,nosuch"}, resolve=resolve)
    assert str(e.value) == "method 'm': job input 'parts' [1]: no finished job of method 'nosuch'"


# --- every error -------------------------------------------------------------------------------

@pytest.mark.parametrize("decl, text, want", [
    (int, "abc", "option 'x': expected int or None, got the text 'abc'"),
    (3, "5.0", "option 'x': expected int, got the text '5.0'"),
    (3, "0x10", "option 'x': expected int, got the text '0x10'"),
    (0.5, "1,5", "option 'x': expected float, got the text '1,5'"),
    (True, "maybe", "option 'x': expected bool (true/false, yes/no, 1/0), got the text 'maybe'"),
    (date, "2020-13-01", "option 'x': expected date (ISO, like 2020-01-31) or None, "
                         "got the text '2020-13-01'"),
    (date, "2020-01-31T10:00", "option 'x': expected date (ISO, like 2020-01-31) or None"),
    (datetime, "yesterday", "option 'x': expected datetime (ISO, like 2020-01-31T12:00:00) or "
                            "None, got the text 'yesterday'"),
    (time, "25:00", "option 'x': expected time (ISO, like 12:30:00) or None, got the text "
                    "'25:00'"),
    (timedelta, "forever", "option 'x': expected timedelta (ISO 8601 like PT1H30M, seconds, or "
                           "H:MM:SS) or None, got the text 'forever'"),
    (timedelta, "inf", "got the text 'inf'"), (timedelta, "P1Y", "got the text 'P1Y'"),
    (OptionEnum("fast slow").fast, "medium", "option 'x': expected one of fast, slow, got the "
                                             "text 'medium'"),
    (JobWithFile, "dev-3", "option 'x': expected JobWithFile as JOB/FILENAME (like "
                           "dev-3/model.pickle) or None, got the text 'dev-3'"),
    (JobWithFile, "dev-3/", "got the text 'dev-3/'"),
    (JobWithFile, "prep/file", "got the text 'prep/file'"),  # no resolver: ids only
    ([int], "1,x", "option 'x' at [1]: expected int or None, got 'x' in the text '1,x'"),
    ([int], '[1, "a"]', "option 'x' at [1]: expected int, got 'a' in the text '[1, \"a\"]'"),
    ([int], "[1,", "option 'x': expected list of int (comma-separated or a JSON list), got the "
                   "text '[1,' (not JSON: Expecting value: line 1 column 4 (char 3))"),
    ([int], "1,,2", "option 'x' at [1]: expected an element, not nothing, got '' in the text "
                    "'1,,2' (an empty string needs the JSON form, like [\"a\", \"\"])"),
    ([int], "1,2,", "option 'x' at [2]: expected an element, not nothing"),
    ([int], '{"a": 1}', "option 'x' at [0]: expected int or None, got '{\"a\": 1}' in the text"),
    ([date], "2020-01-01,never", "option 'x' at [1]: expected date (ISO, like 2020-01-31) or "
                                 "None, got 'never' in the text"),
    ([[int]], "1,2", "option 'x': expected list of list of int (a JSON list), got the text "
                     "'1,2'"),
    ({int}, "1,a", "option 'x' at [1]: expected int or None, got 'a' in the text '1,a'"),
    ({str: int}, "a=1", "option 'x': expected dict of str to int (a JSON object), got the text "
                        "'a=1' (not JSON: "),
    ({str: int}, "[1]", "option 'x': expected dict of str to int (a JSON object), got the text "
                        "'[1]'"),
    ({str: int}, '{"a": "b"}', "option 'x' at ['a']: expected int, got 'b' in the text"),
    ({int: str}, '{"one": "a"}', "option 'x' at key 'one': expected int or None, got 'one' in "
                                 "the text"),
    ({}, "{oops", "option 'x': expected dict (a JSON object), got the text '{oops' (not JSON"),
    (OptionString, "None", None),  # accepted as the text "None": no error
])
def test_errors(decl, text, want):
    if want is None:
        assert opt(decl, text) == text
        return
    msg = error(decl, text)
    assert want in msg, msg


def test_long_text_is_shortened_in_errors():
    msg = error(int, "9" * 30 + "x" + "9" * 100)
    assert len(msg) < 160 and "..." in msg


def test_jobwithfile_reference_not_found():
    def resolve(ref):
        raise NotFound(f"no finished job of method {ref!r}")

    msg = error(JobWithFile, "prep/file", resolve=resolve)
    assert msg == "method 'm': option 'x': no finished job of method 'prep'"


def test_unknown_names():
    info = method({"count": 1, "label": "x"}, datasets=("source",), jobs=("previous",))
    with pytest.raises(OptionError) as e:
        from_text("m", info, {"cuont": "1"})
    assert str(e.value) == ("method 'm': unknown option or input 'cuont' (did you mean "
                            "'count'?); it takes options: count, label; datasets: source; "
                            "jobs: previous")
    with pytest.raises(OptionError) as e:
        from_text("m", method(), {"x": "1"})
    assert str(e.value) == ("method 'm': unknown option or input 'x'; it takes options: none; "
                            "datasets: none; jobs: none")


@pytest.mark.parametrize("values, want", [
    ({"n": "1", " n": "2"}, "method 'm': 'n' is given twice ('n' and ' n')"),
    ({"": "1"}, "method 'm': '' is not a name"),
    ({"  ": "1"}, "method 'm': '  ' is not a name"),
    ({3: "1"}, "method 'm': 3 is not a name"),
    ({"n": 5}, "method 'm': option 'n': expected text, got 5 (int)"),
    ({"prev": ["dev-1"]}, "method 'm': job input 'prev': expected text, got ['dev-1'] (list)"),
])
def test_bad_keys_and_values(values, want):
    info = method({"n": int}, jobs=("prev",))
    with pytest.raises(OptionError) as e:
        from_text("m", info, values)
    assert want in str(e.value)


def test_values_must_be_a_dict():
    with pytest.raises(OptionError, match="values must be a dict of name -> text, got list"):
        from_text("m", method(), [("n", "1")])  # type: ignore[arg-type]


def test_name_both_an_option_and_an_input():
    info = method({"source": str}, jobs=("source",))
    with pytest.raises(OptionError) as e:
        from_text("m", info, {"source": "dev-1"})
    assert str(e.value) == ("method 'm': 'source' is both an option and a job input; it cannot "
                            "be given as text")


@pytest.mark.parametrize("values, want", [
    ({"prev": "foo"}, "method 'm': job input 'prev': expected a job id like dev-12, got 'foo'"),
    ({"prev": "dev-1/x"}, "method 'm': job input 'prev': expected a job id like dev-12, got "
                          "'dev-1/x'"),
    ({"parts": "dev-1,,dev-2"}, "method 'm': job input 'parts' [1]: expected a job id like "
                                "dev-12, got an empty element in the text 'dev-1,,dev-2'"),
    ({"parts": "dev-1,bad"}, "method 'm': job input 'parts' [1]: expected a job id like dev-12, "
                             "got 'bad' in the text 'dev-1,bad'"),
    ({"parts": "[dev-1"}, "method 'm': job input 'parts': expected a list of a job id like "
                          "dev-12 (comma-separated or a JSON list), got the text '[dev-1' "
                          "(not JSON: "),
    ({"parts": "[1, 2]"}, "method 'm': job input 'parts': expected a JSON list of strings, got "
                          "the text '[1, 2]'"),
    ({"src": "dev-1/"}, "method 'm': dataset input 'src': expected a job id like dev-12 or "
                        "dev-12/DSNAME, got 'dev-1/'"),
    ({"src": "/x"}, "method 'm': dataset input 'src': expected a job id like dev-12 or "
                    "dev-12/DSNAME, got '/x'"),
    ({"more": "dev-1/a,x/b"}, "method 'm': dataset input 'more' [1]: expected a job id like "
                              "dev-12 or dev-12/DSNAME, got 'x/b' in the text 'dev-1/a,x/b'"),
])
def test_input_errors(values, want):
    info = method(datasets=("src", ["more"]), jobs=("prev", ["parts"]))
    with pytest.raises(OptionError) as e:
        from_text("m", info, values)
    assert want in str(e.value), str(e.value)
    assert "\n" not in str(e.value)


def test_a_resolver_must_give_job_ids():
    info = method(jobs=("prev",))
    with pytest.raises(OptionError, match="resolved to 'nonsense', not a job id"):
        from_text("m", info, {"prev": "x"}, resolve=lambda ref: "nonsense")


def test_bad_declaration_is_reported():
    with pytest.raises(OptionError, match="option 'x': cannot understand the declaration"):
        from_text("m", method({"x": (int,)}), {"x": "1"})


def test_a_path_option_reads_its_text_as_a_path():
    """Path is an option type (issue 13), so a CSV row or `ax why` can give one as text."""
    from pathlib import Path

    assert opt(Path, " /data/in.csv ") == Path("/data/in.csv")
    assert opt([Path], "/a, /b") == [Path("/a"), Path("/b")]
    assert opt(Path, "None") is None
