"""accel.options: declarations typed by example, checking, canonical normalisation."""

from __future__ import annotations

import json
import math
import pickle
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accel.dotdict import DotDict
from accel.errors import OptionError, UserError
from accel.jsoncodec import decode, dumps_canonical, encode
from accel.options import (
    OptionDefault,
    OptionEnum,
    OptionString,
    RequiredOption,
    check_declaration,
    describe,
    normalise_inputs,
    normalise_options,
    parse_duration,
    split_kw,
)


def same(a, b) -> bool:
    """Equal and of the same types all the way down."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (set, frozenset)):
        return len(a) == len(b) and all(any(same(x, y) for y in b) for x in a)
    return a == b


def norm(decl, **given):
    """Normalise one option 'x' declared as decl; return its value."""
    return normalise_options("m", {"x": decl}, given)["x"]


def error(decl, value) -> str:
    """The message of the OptionError for giving value to an option 'x' declared as decl."""
    with pytest.raises(OptionError) as info:
        normalise_options("m", {"x": decl}, {"x": value})
    msg = str(info.value)
    assert "\n" not in msg
    return msg


# --- plain types -------------------------------------------------------------------------

@pytest.mark.parametrize("decl, good, bad", [
    (int, 5, 5.0),
    (int, -(2**80), "5"),
    (float, 2.5, "2.5"),
    (bool, False, 0),
    (str, "hello", b"hello"),
    (date, date(2020, 1, 2), datetime(2020, 1, 2)),
    (datetime, datetime(2020, 1, 2, 3, 4), time(3, 4)),
    (time, time(12, 30), datetime(2020, 1, 2)),
    (timedelta, timedelta(hours=1), [1]),
])
def test_type_declaration_takes_value_or_none_default_none(decl, good, bad):
    assert norm(decl) is None
    assert norm(decl, x=None) is None
    assert same(norm(decl, x=good), good)
    msg = error(decl, bad)
    assert msg.startswith(f"method 'm': option 'x': expected {decl.__name__}")
    assert f"({type(bad).__name__})" in msg


def test_int_accepted_for_float_and_becomes_float():
    assert same(norm(float, x=3), 3.0)
    assert same(norm(1.5, x=3), 3.0)
    assert same(norm(OptionDefault(float, 2), x=3), 3.0)


def test_bool_is_not_an_int_nor_a_float():
    for decl in (int, float, 5, 0.5):
        assert "got True (bool)" in error(decl, True)
    assert "expected bool, got 1 (int)" in error(bool, 1)


def test_float_is_not_an_int():
    assert error(int, 1.0) == "method 'm': option 'x': expected int, got 1.0 (float)"


def test_str_subclass_becomes_plain_str():
    from accel.job import Job

    value = norm(str, x=Job("dev-3"))
    assert value == "dev-3" and type(value) is str


def test_numpy_scalars_become_plain_python():
    np = pytest.importorskip("numpy")
    assert same(norm(int, x=np.int64(7)), 7)
    assert same(norm(float, x=np.float32(0.5)), 0.5)
    assert same(norm(float, x=np.int16(2)), 2.0)
    assert same(norm(bool, x=np.bool_(True)), True)
    assert "bool" in error(int, np.bool_(True))


# --- declared by example value ---------------------------------------------------------

@pytest.mark.parametrize("decl, good, bad", [
    (5, 7, "7"),
    (0.5, 1.25, "1.25"),
    (True, False, "yes"),
    ("sep", "", 1),
    (date(2020, 1, 1), date(2021, 2, 3), datetime(2021, 2, 3)),
    (datetime(2020, 1, 1, 12), datetime(2021, 2, 3, 4), "yesterday"),
    (time(1, 2), time(3, 4), 3),
    (timedelta(days=1), timedelta(seconds=1), "1 day"),
])
def test_value_declaration_is_the_default_and_the_type(decl, good, bad):
    assert same(norm(decl), decl)
    assert same(norm(decl, x=good), good)
    msg = error(decl, bad)
    assert msg.startswith(f"method 'm': option 'x': expected {type(decl).__name__}")


def test_none_given_for_a_value_or_container_declaration_is_none():
    """As in the Accelerator: None given is None, though the default is not."""
    assert norm(5, x=None) is None and norm(False, x=None) is None
    assert norm([int], x=None) is None and norm({"a": 1}, x=None) is None
    assert "expected list of int, got None" in error([[int]], [None])  # not as an element


# --- dates, times and durations as strings -----------------------------------------------

def test_date_from_iso_string():
    assert same(norm(date, x="2020-01-31"), date(2020, 1, 31))
    assert "ISO" in error(date, "2020-13-01")
    assert "ISO" in error(date, "31/01/2020")


def test_datetime_given_where_date_declared_is_an_error():
    msg = error(date, datetime(2020, 1, 2, 3))
    assert "a datetime is not a date" in msg
    assert "datetime" in error(date(2020, 1, 1), datetime(2020, 1, 2))


def test_datetime_from_iso_string():
    assert same(norm(datetime, x="2020-01-31T12:30:00"), datetime(2020, 1, 31, 12, 30))
    aware = norm(datetime, x="2020-01-31T12:30:00+02:00")
    assert aware.utcoffset() == timedelta(hours=2)
    assert norm(datetime, x="2020-01-31T12:30:00Z") == datetime(2020, 1, 31, 12, 30,
                                                                tzinfo=timezone.utc)
    assert "ISO" in error(datetime, "2020-01-31 noon")


def test_time_from_iso_string():
    assert same(norm(time, x="12:30"), time(12, 30))
    assert same(norm(time, x="12:30:01.5"), time(12, 30, 1, 500000))
    assert "ISO" in error(time, "25:00")


def test_timedelta_from_seconds_and_iso_duration():
    assert same(norm(timedelta, x=90), timedelta(seconds=90))
    assert same(norm(timedelta, x=1.5), timedelta(seconds=1.5))
    assert same(norm(timedelta, x="P1DT2H3M4.5S"),
                timedelta(days=1, hours=2, minutes=3, seconds=4.5))
    assert same(norm(timedelta, x="-PT1M"), timedelta(minutes=-1))
    assert same(norm(timedelta, x="P2W"), timedelta(weeks=2))
    for bad in ("1 day", "P1Y", "P1M", "PT", "P", "P1DT", math.inf):
        assert "expected timedelta (or seconds, or an ISO 8601 duration" in error(timedelta, bad)
    assert "got True (bool)" in error(timedelta, True)


def test_parse_duration_directly():
    assert parse_duration("PT0.000001S") == timedelta(microseconds=1)
    assert parse_duration("pt1h") == timedelta(hours=1)
    assert parse_duration("PT1,5S") == timedelta(seconds=1.5)
    with pytest.raises(ValueError):
        parse_duration("P1Y2M")


def test_datetime_subclass_becomes_plain_datetime():
    class MyDT(datetime):
        pass

    value = norm(datetime, x=MyDT(2020, 1, 2, 3))
    assert type(value) is datetime and value == datetime(2020, 1, 2, 3)


# --- containers ----------------------------------------------------------------------------

def test_untyped_list_takes_json_values_tuples_become_lists():
    assert norm([]) == []
    assert same(norm([], x=(1, "a", (2, None))), [1, "a", [2, None]])
    msg = error([], [1, {2}])
    assert msg.startswith("method 'm': option 'x' at [1]: expected JSON value")


def test_typed_list():
    assert same(norm([int], x=[1, 2, None]), [1, 2, None])  # a type-declared element: or None
    assert same(norm({str: int}, x={"a": None}), {"a": None})
    assert same(norm([float], x=(1, 2.5)), [1.0, 2.5])
    assert error([int], "x") == "method 'm': option 'x': expected list of int, got 'x' (str)"
    assert error([int], [1, "2"]) == "method 'm': option 'x' at [1]: expected int, got '2' (str)"
    assert "expected list of int, got {1} (set)" in error([int], {1})


def test_dict_untyped_and_typed():
    assert norm({}) == {}
    assert same(norm({}, x={"b": 1, "a": [2]}), {"a": [2], "b": 1})
    assert "at key 1: expected str" in error({}, {1: 2})
    assert same(norm({str: int}, x={"z": 1, "a": 2}), {"a": 2, "z": 1})
    assert same(norm({int: str}, x={10: "b", 2: "a"}), {2: "a", 10: "b"})
    assert "option 'x' at ['a']: expected int, got 'one' (str)" in error({str: int}, {"a": "one"})
    assert "option 'x' at key 'a': expected int" in error({int: str}, {"a": "b"})
    assert "expected dict of str to int, got [] (list)" in error({str: int}, [])


def test_dict_keys_come_out_sorted_whatever_order_given():
    a = norm({str: float}, x={"b": 1, "c": 2, "a": 3})
    b = norm({str: float}, x={"c": 2, "a": 3, "b": 1})
    assert list(a) == list(b) == ["a", "b", "c"]
    assert list(norm({int: str}, x={3: "", -1: "", 2: "", 10: ""})) == [-1, 2, 3, 10]
    assert list(norm({float: int}, x={1.5: 0, -2: 0, 10: 0})) == [-2.0, 1.5, 10.0]
    assert list(norm({date: int}, x={"2021-01-01": 0, "2020-06-01": 0})) == [
        date(2020, 6, 1), date(2021, 1, 1)]


def test_sets():
    assert norm(set()) == set()
    assert same(norm(set(), x=["a", 1, "a"]), {"a", 1})
    assert same(norm({int}, x=[3, 1, 3]), {1, 3})
    assert same(norm({float}, x=frozenset({1})), {1.0})
    assert "at a set element: expected int, got 'a' (str)" in error({int}, {"a"})
    assert "expected set of int, got 3 (int)" in error({int}, 3)
    assert "JSON scalar" in error(set(), [[1]])


def test_nested_containers():
    decl = {str: [{int: [float]}]}
    value = norm(decl, x={"k": [{2: [1], 1: (2.5,)}]})
    assert same(value, {"k": [{1: [2.5], 2: [1.0]}]})
    msg = error(decl, {"k": [{1: [1, "no"]}]})
    assert msg == "method 'm': option 'x' at ['k'][0][1][1]: expected float, got 'no' (str)"
    assert same(norm([[int]], x=[[1], []]), [[1], []])
    assert "at [0]: expected list of int, got None" in error([[int]], [None])


def test_enum_and_optionstring_as_elements():
    assert norm([OptionEnum("a b")], x=["a", "b", None]) == ["a", "b", None]
    assert "at [0]: expected one of a, b, got 'c'" in error([OptionEnum("a b")], ["c"])
    assert norm({OptionString}, x=["p"]) == {"p"}
    assert "at a set element: expected non-empty str" in error({OptionString}, [""])


def test_none_declaration_takes_any_json():
    assert norm(None) is None
    assert same(norm(None, x={"b": (1, 2.5), "a": [True, None, "s"]}),
                {"a": [True, None, "s"], "b": [1, 2.5]})
    assert same(norm(None, x=3), 3)
    for bad in ({1, 2}, date(2020, 1, 1), b"x", object()):
        msg = error(None, bad)
        assert msg.startswith("method 'm': option 'x': expected JSON value"), msg
    assert "at ['a'] key 1: expected str (JSON keys are strings)" in error(None, {"a": {1: 2}})


# --- OptionEnum ----------------------------------------------------------------------------

def test_enum_forms_and_default():
    assert OptionEnum("a b c") == OptionEnum(["a", "b", "c"])
    assert norm(OptionEnum("a b c")) is None
    assert norm(OptionEnum("a b c").b) == "b"
    assert norm(OptionEnum("a b c").b, x="c") == "c"
    assert norm(OptionEnum("a b c"), x=None) is None
    assert error(OptionEnum("a b c"), "d") == (
        "method 'm': option 'x': expected one of a, b, c, got 'd' (str)")
    assert "got 1 (int)" in error(OptionEnum("a b c"), 1)


def test_enum_with_default_refuses_none_unless_none_ok():
    assert "got None" in error(OptionEnum("a b").a, None)
    assert norm(OptionEnum("a b", none_ok=True).a, x=None) is None
    assert norm(OptionEnum("a b", none_ok=True).a) == "a"


def test_enum_prefix_values():
    e = OptionEnum("plain foo*")
    assert norm(e, x="foobar") == "foobar"
    assert norm(e, x="foo") == "foo"
    assert norm(e, x="plain") == "plain"
    assert "got 'fo' (str)" in error(e, "fo")
    assert "got 'plainer' (str)" in error(e, "plainer")
    assert norm(e.foobaz) == "foobaz"


def test_enum_attribute_errors_and_immutability():
    e = OptionEnum("a b")
    with pytest.raises(AttributeError, match="one of a, b"):
        e.c  # noqa: B018
    with pytest.raises(AttributeError):
        e._secret  # noqa: B018
    with pytest.raises(AttributeError):
        e.x = 1
    assert e.a is not e and e == OptionEnum("a b")  # attribute access makes a new one


def test_enum_constructor_checks():
    with pytest.raises(OptionError):
        OptionEnum("")
    with pytest.raises(OptionError):
        OptionEnum(["a", 1])
    with pytest.raises(OptionError):
        OptionEnum("a b", default="c")
    assert OptionEnum("a b", default="b") == OptionEnum("a b").b


def test_enum_pickles():
    e = OptionEnum("a b*", none_ok=True).b
    back = pickle.loads(pickle.dumps(e))
    assert back == e and norm(back) == "b"


# --- OptionString, RequiredOption, OptionDefault -------------------------------------------

def test_optionstring_required_non_empty():
    for decl in (OptionString, OptionString("example")):
        assert norm(decl, x="v") == "v"
        with pytest.raises(OptionError, match="option 'x' is required but was not given"):
            normalise_options("m", {"x": decl}, {})
        assert "expected non-empty str, got '' (str)" in error(decl, "")
        assert "expected non-empty str, got None" in error(decl, None)
        assert "expected non-empty str, got 3 (int)" in error(decl, 3)


def test_required_option():
    with pytest.raises(OptionError) as info:
        normalise_options("m", {"n": RequiredOption(int)}, {})
    assert str(info.value) == (
        "method 'm': option 'n' is required but was not given (expected int)")
    assert norm(RequiredOption(int), x=3) == 3
    assert "expected int, got None" in error(RequiredOption(int), None)
    assert norm(RequiredOption(int, none_ok=True), x=None) is None
    with pytest.raises(OptionError, match="required"):
        normalise_options("m", {"n": RequiredOption(int, none_ok=True)}, {})


def test_required_option_typed_by_example_is_not_a_default():
    with pytest.raises(OptionError, match="required"):
        normalise_options("m", {"x": RequiredOption(5)}, {})
    assert same(norm(RequiredOption(0.5), x=2), 2.0)
    assert same(norm(RequiredOption([int]), x=(1,)), [1])
    assert norm(RequiredOption(OptionEnum("a b")), x="a") == "a"
    assert "one of a, b" in error(RequiredOption(OptionEnum("a b")), "c")


def test_option_default():
    assert same(norm(OptionDefault(int, 5)), 5)
    assert same(norm(OptionDefault(float, 2)), 2.0)  # the default is normalised too
    assert same(norm(OptionDefault([str], ("a", "b"))), ["a", "b"])
    assert same(norm(OptionDefault({str: int}, {"b": 1, "a": 2})), {"a": 2, "b": 1})
    assert same(norm(OptionDefault(date, "2020-01-02")), date(2020, 1, 2))
    assert same(norm(OptionDefault(None, {"k": (1,)})), {"k": [1]})
    assert norm(OptionDefault(int)) is None
    assert norm(OptionDefault(int), x=None) is None
    assert "got None" in error(OptionDefault(int, 5), None)
    assert norm(OptionDefault(OptionEnum("a b"), "b")) == "b"


def test_defaults_are_fresh_each_time():
    declared = {"x": OptionDefault([int], [1]), "y": [], "z": {str: int}}
    first = normalise_options("m", declared, {})
    first.x.append(2)
    first.y.append(3)
    first.z["k"] = 4
    assert normalise_options("m", declared, {}) == {"x": [1], "y": [], "z": {}}
    assert declared["x"].default == [1]


# --- JobWithFile -----------------------------------------------------------------------------

def test_jobwithfile_declaration():
    from accel.job import Job, JobWithFile

    jwf = JobWithFile(Job("dev-2"), "out.txt")
    assert norm(JobWithFile) is None
    assert norm(JobWithFile, x=None) is None
    assert norm(JobWithFile, x=jwf) == JobWithFile("dev-2", "out.txt")
    assert "expected JobWithFile" in error(JobWithFile, "dev-2")
    assert "expected JobWithFile" in error(JobWithFile, ("dev-2", "out.txt"))
    assert "storable extra" in error(JobWithFile, JobWithFile("dev-2", "x", extra=object()))
    assert describe(JobWithFile) == "JobWithFile"
    assert norm([JobWithFile], x=[jwf]) == [jwf]
    result = normalise_options("m", {"x": JobWithFile}, {"x": jwf})
    assert decode(json.loads(dumps_canonical(result))) == result


# --- the whole options dict ----------------------------------------------------------------

DECLARED = {
    "count": 5, "ratio": 0.5, "name": str, "when": date, "flag": False,
    "mode": OptionEnum("fast slow").fast, "cols": [str], "weights": {str: float},
    "ids": {int}, "extra": None, "need": RequiredOption(int), "label": OptionString,
    "fallback": OptionDefault([int], [3, 1]),
}


def test_result_has_every_option_in_declaration_order_with_defaults():
    out = normalise_options("m", DECLARED, {"need": 1, "label": "L"})
    assert isinstance(out, DotDict)
    assert list(out) == list(DECLARED)
    assert out.count == 5 and out.ratio == 0.5 and out.name is None and out.mode == "fast"
    assert out.cols == [] and out.weights == {} and out.ids == set() and out.extra is None
    assert out.fallback == [3, 1]


def test_explicit_defaults_give_exactly_the_same_options():
    omitted = normalise_options("m", DECLARED, {"need": 1, "label": "L"})
    explicit = normalise_options("m", DECLARED, {
        "need": 1, "label": "L", "count": 5, "ratio": 0.5, "name": None, "when": None,
        "flag": False, "mode": "fast", "cols": (), "weights": {}, "ids": [], "extra": None,
        "fallback": (3, 1),
    })
    assert same(dict(explicit), dict(omitted))
    assert dumps_canonical(explicit) == dumps_canonical(omitted)


@pytest.mark.parametrize("decl, default_in_another_form", [
    (1.0, 1),
    (OptionDefault(float, 1), 1.0),
    (OptionDefault({str: int}, {"b": 1, "a": 2}), {"a": 2, "b": 1}),
    (OptionDefault({int: str}, {2: "b", 1: "a"}), {1: "a", 2: "b"}),
    (OptionDefault({int}, [3, 2, 1]), {1, 2, 3}),
    (OptionDefault(date, "2020-01-02"), date(2020, 1, 2)),
    (OptionDefault(timedelta, 60), "PT1M"),
    (OptionDefault(None, {"z": (1,), "a": None}), {"a": None, "z": [1]}),
    (date(2020, 1, 2), "2020-01-02"),
    (OptionEnum("x y").y, "y"),
    ([], ()),
    ({}, {}),
    (set(), frozenset()),
    (int, None),
])
def test_explicit_default_in_any_form_equals_omitted(decl, default_in_another_form):
    omitted = normalise_options("m", {"x": decl}, {})
    explicit = normalise_options("m", {"x": decl}, {"x": default_in_another_form})
    assert dumps_canonical(explicit) == dumps_canonical(omitted)
    assert same(explicit.x, omitted.x)


def test_normalised_options_round_trip_through_the_codec():
    from accel.job import JobWithFile

    declared = dict(DECLARED, at=datetime, t=time, span=timedelta, f=JobWithFile,
                    nested={str: [{int}]}, ratio2=float)
    out = normalise_options("m", declared, {
        "need": 1, "label": "L", "when": "2020-01-02", "at": "2020-01-02T03:04:05+01:00",
        "t": "10:11", "span": 3.5, "f": JobWithFile("dev-1", "a", True), "ids": [3, 1],
        "weights": {"b": 1, "a": math.inf}, "nested": {"k": [[1, 2], []]}, "ratio2": math.nan,
        "extra": {"z": [1, (2,)], "$date": "not a date"},
    })
    for back in (decode(encode(out)), decode(json.loads(dumps_canonical(out)))):
        assert set(back) == set(out)
        for k in out:
            assert same(back[k], out[k]), k
        # and normalising again changes nothing
        assert dumps_canonical(normalise_options("m", declared, back)) == dumps_canonical(out)


def test_unknown_option_names_method_and_suggests():
    with pytest.raises(OptionError) as info:
        normalise_options("csvimport", {"separator": ",", "quotes": ""}, {"seperator": ";"})
    msg = str(info.value)
    assert msg == ("method 'csvimport': unknown option 'seperator' (did you mean 'separator'?);"
                   " it takes options: separator, quotes")


def test_no_options_declared():
    assert normalise_options("m", None, None) == {}
    assert normalise_options("m", {}, {}) == {}
    with pytest.raises(OptionError, match="it takes options: none"):
        normalise_options("m", None, {"x": 1})


def test_option_error_is_a_value_error_and_user_error():
    with pytest.raises(ValueError):
        normalise_options("m", {"x": int}, {"x": "1"})
    with pytest.raises(UserError):
        normalise_options("m", {"x": int}, {"x": "1"})


def test_given_must_be_a_dict():
    with pytest.raises(OptionError, match="options must be a dict"):
        normalise_options("m", {"x": int}, [("x", 1)])


@pytest.mark.parametrize("decl, bad, expected", [
    (int, "1", "int"), (float, "x", "float"), (bool, "true", "bool"), (str, 1, "str"),
    (date, 20200101, "date"), (datetime, 1.5, "datetime"), (time, 12, "time"),
    (timedelta, "soon", "timedelta"), (5, 1.5, "int"), ("s", 7, "str"),
    ([], 5, "list"), ([int], ["a"], "int"), ({}, [], "dict"), ({str: int}, {"a": "1"}, "int"),
    (set(), 5, "set"), ({int}, [1.5], "int"), (None, {1}, "JSON value"),
    (OptionEnum("a b"), "c", "one of a, b"), (OptionString, "", "non-empty str"),
    (RequiredOption(int), "1", "int"), (OptionDefault([int], [1]), [None, "x"], "int"),
    ([[{str: [int]}]], [[{"k": [0, "1"]}]], "int"),
])
def test_every_bad_value_gives_one_clear_line(decl, bad, expected):
    msg = error(decl, bad)
    assert msg.startswith("method 'm': option 'x'")
    assert f": expected {expected}" in msg
    assert msg.count("\n") == 0 and "got " in msg


def test_long_values_are_shortened_in_messages():
    msg = error(int, "x" * 1000)
    assert len(msg) < 150 and "..." in msg
    msg = error(int, "two\nlines")
    assert "\n" not in msg and "two\\nlines" in msg


# --- check_declaration ---------------------------------------------------------------------

def test_check_declaration_accepts_all_kinds():
    from accel.job import JobWithFile

    check_declaration("m", dict(DECLARED, f=JobWithFile, g=[[int]], h={str: {int: [None]}},
                                i=OptionDefault(OptionString, "x"), j={OptionEnum("a b")}))
    check_declaration("m", None)


@pytest.mark.parametrize("decl, fragment", [
    ([int, str], "at most one"),
    ({str: int, int: str}, "at most one"), ({1, 2}, "at most one"), ((int,), "tuple"),
    (list, "by example"), (dict, "by example"), (object, "not an option type"),
    (object(), "cannot declare"), (OptionEnum, "needs arguments"),
    (OptionDefault(int, "x"), "default 'x' does not fit"),
    (OptionDefault([int], [1, "x"]), "at [1]: expected int"),
    (OptionDefault(RequiredOption(int)), "makes no sense"),
    (RequiredOption(OptionDefault(int, 1)), "makes no sense"),
    ([RequiredOption(int)], "inside a container"), ({None: int}, "dict key"),
    (frozenset(), "set()"),
    ({(): int}, "ambiguous"), ({int: OptionDefault(int)}, "inside a container"),
])
def test_check_declaration_rejects_what_it_cannot_understand(decl, fragment):
    with pytest.raises(OptionError) as info:
        check_declaration("meth", {"good": int, "opt": decl})
    msg = str(info.value)
    assert msg.startswith("method 'meth': option 'opt': cannot understand the declaration")
    assert fragment in msg and "\n" not in msg


def test_example_values_inside_containers_type_the_elements():
    """As in the Accelerator: [1] is a list of int, {'a': {'b': 'c'}} a dict of dicts of str."""
    assert norm([1], x=[2, 3]) == [2, 3]
    assert "expected int" in error([1], ["x"])
    assert norm({"a": {"b": "c"}}, x={"k": {"l": "m"}}) == {"k": {"l": "m"}}
    assert "expected str" in error({"a": {"b": "c"}}, {"k": {"l": 5}})
    assert norm([1]) == [1]  # a list of example values is its default, as a dict's (item 3)
    assert norm({"a": 1}) == {"a": 1}  # a dict of example keys is its default (item 3)


def test_a_date_for_a_datetime_is_midnight():
    assert same(norm(datetime, x=date(2021, 8, 1)), datetime(2021, 8, 1))


def test_check_declaration_wants_a_dict_with_str_names():
    with pytest.raises(OptionError, match="must be a dict"):
        check_declaration("m", [("a", int)])
    with pytest.raises(OptionError, match="names must be str"):
        check_declaration("m", {1: int})


def test_normalise_also_rejects_bad_declarations():
    with pytest.raises(OptionError, match="option 'x': cannot understand"):
        normalise_options("m", {"x": [1, "a"]}, {})


# --- describe ------------------------------------------------------------------------------

@pytest.mark.parametrize("decl, text", [
    (int, "int"), (5, "int (default 5)"), (0.5, "float (default 0.5)"),
    ("a", "str (default 'a')"), (True, "bool (default True)"),
    (date(2020, 1, 2), "date (default 2020-01-02)"), (timedelta(hours=1), "timedelta (default 1:00:00)"),
    (OptionEnum("a b c").b, "one of a, b, c (default b)"), (OptionEnum("a b c"), "one of a, b, c"),
    ([int], "list of int"), ([], "list"), ({}, "dict"), ({str: int}, "dict of str to int"),
    ({int}, "set of int"), (set(), "set"), ([[int]], "list of list of int"),
    ([OptionEnum("a b")], "list of (one of a, b)"), (None, "any JSON value"),
    (RequiredOption(str), "required str"), (RequiredOption(int, none_ok=True), "required int or None"),
    (OptionString, "required non-empty str"),
    (OptionString("/tmp/x"), "required non-empty str (e.g. '/tmp/x')"),
    (OptionDefault([int], [1, 2]), "list of int (default [1, 2])"),
    (OptionDefault(int), "int"), ([1, 2], "list of int (default [1, 2])"),
])
def test_describe(decl, text):
    assert describe(decl) == text


def test_describe_bad_declaration():
    with pytest.raises(OptionError, match="cannot understand"):
        describe([1, "a"])


# --- split_kw ------------------------------------------------------------------------------

def test_split_kw_routes_by_declared_name():
    opts, dss, jobs = split_kw("m", {"n": 1, "source": "dev-1", "parts": ["dev-2"], "prev": "dev-3"},
                               ["n", "m"], ("source", ["parts"]), ("prev",))
    assert opts == {"n": 1} and dss == {"source": "dev-1", "parts": ["dev-2"]}
    assert jobs == {"prev": "dev-3"}
    assert split_kw("m", {}, [], (), ()) == ({}, {}, {})
    assert split_kw("m", {"a": 1}, {"a": int}, None, None) == ({"a": 1}, {}, {})


def test_split_kw_unknown_name_lists_what_the_method_takes():
    with pytest.raises(OptionError) as info:
        split_kw("sum", {"sourse": 1}, ["length"], ("source",), ())
    assert str(info.value) == (
        "method 'sum': unknown keyword 'sourse' (did you mean 'source'?);"
        " it takes options: length; datasets: source; jobs: none")


def test_split_kw_name_declared_twice_is_ambiguous():
    with pytest.raises(OptionError, match="both an option and a job"):
        split_kw("m", {"x": 1}, ["x"], (), ("x",))


# --- normalise_inputs ----------------------------------------------------------------------

def test_inputs_single_and_list_forms():
    out = normalise_inputs("m", "datasets", ("source", ["sources"], "other"),
                           {"source": "dev-1", "sources": ("dev-2/x", "dev-3")})
    assert out == {"source": "dev-1/default", "sources": ["dev-2/x", "dev-3/default"],
                   "other": None}
    assert isinstance(out, DotDict) and list(out) == ["source", "sources", "other"]
    assert normalise_inputs("m", "jobs", ("prev", ["parts"]), None) == {"prev": None, "parts": []}
    assert normalise_inputs("m", "jobs", ("prev", ["parts"]), {"parts": None}) == {
        "prev": None, "parts": []}


def test_inputs_return_plain_str():
    from accel.job import Job

    out = normalise_inputs("m", "jobs", ("prev", ["parts"]),
                           {"prev": Job("dev-4"), "parts": [Job("dev-1"), "dev-2"]})
    assert out == {"prev": "dev-4", "parts": ["dev-1", "dev-2"]}
    assert type(out.prev) is str and all(type(p) is str for p in out.parts)
    ds = normalise_inputs("m", "datasets", ("source",), {"source": Job("dev-4")})
    assert ds.source == "dev-4/default" and type(ds.source) is str


def test_inputs_keep_list_order():
    out = normalise_inputs("m", "jobs", (["parts"],), {"parts": ["dev-9", "dev-1", "dev-5"]})
    assert out.parts == ["dev-9", "dev-1", "dev-5"]


@pytest.mark.parametrize("kind, value, fragment", [
    ("jobs", "dev", "job 'one': expected a job id like 'dev-12', got 'dev' (str)"),
    ("jobs", "dev-1/x", "job 'one': expected a job id"),
    ("jobs", 12, "got 12 (int)"),
    ("jobs", ["dev-1"], "job 'one': expected a job id"),
    ("datasets", "dev-1/", "dataset 'one': expected a dataset"),
    ("datasets", "nope/x", "dataset 'one': expected a dataset"),
])
def test_inputs_bad_single_values(kind, value, fragment):
    with pytest.raises(OptionError) as info:
        normalise_inputs("m", kind, ("one", ["many"]), {"one": value})
    assert str(info.value).startswith("method 'm': ")
    assert fragment in str(info.value)


def test_inputs_empty_string_is_not_given():
    """Issue 13: '' (a method's NoJob / NoDataset passed on) is an input not given, as in
    the Accelerator."""
    from accel.job import NoJob

    for kind in ("jobs", "datasets"):
        assert normalise_inputs("m", kind, ("one", ["many"]), {"one": "", "many": ""}) == {
            "one": None, "many": []}
    assert normalise_inputs("m", "jobs", ("one",), {"one": NoJob}) == {"one": None}


def test_inputs_one_value_for_a_list_is_a_list_of_one():
    """As in the Accelerator: source=ds where ['source'] is declared, or "a,b"."""
    assert normalise_inputs("m", "jobs", ("one", ["many"]), {"many": "dev-1"}).many == ["dev-1"]
    got = normalise_inputs("m", "datasets", (["many"],), {"many": "dev-1, dev-2/x"})
    assert got.many == ["dev-1/default", "dev-2/x"]
    with pytest.raises(OptionError, match=r"job 'many' at \[1\]: expected a job id"):
        normalise_inputs("m", "jobs", (["many"],), {"many": "dev-1,nope"})


def test_inputs_bad_list_values():
    with pytest.raises(OptionError, match=r"job 'many' at \[1\]: expected a job id.*got None"):
        normalise_inputs("m", "jobs", ("one", ["many"]), {"many": ["dev-1", None]})


def test_inputs_undeclared_name():
    with pytest.raises(OptionError) as info:
        normalise_inputs("m", "datasets", ("source",), {"sorce": "dev-1"})
    assert str(info.value) == ("method 'm': unknown dataset input 'sorce'"
                               " (did you mean 'source'?); it takes datasets: source")
    with pytest.raises(OptionError, match="it takes jobs: none"):
        normalise_inputs("m", "jobs", (), {"x": "dev-1"})


def test_inputs_declaration_forms_and_errors():
    # ('source') is just a str: taken as the one name it surely means
    assert normalise_inputs("m", "datasets", "source", {"source": "dev-1"}) == {
        "source": "dev-1/default"}
    assert normalise_inputs("m", "jobs", None, None) == {}
    with pytest.raises(OptionError, match="declared twice"):
        normalise_inputs("m", "jobs", ("a", ["a"]), {})
    with pytest.raises(OptionError, match="not a valid name"):
        normalise_inputs("m", "jobs", ("a b",), {})
    with pytest.raises(ValueError):
        normalise_inputs("m", "options", (), {})


# --- property tests ------------------------------------------------------------------------

small_ints = st.integers(min_value=-(2**62), max_value=2**62)
floats = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.none() | st.booleans() | small_ints | floats | st.text(max_size=5),
    lambda inner: (st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
                   | st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=12)

CASES = [
    ([int], st.lists(small_ints | st.none(), max_size=5)),
    ([float], st.lists(small_ints | floats, max_size=5).map(tuple)),
    ({str: [float]}, st.dictionaries(st.text(max_size=4), st.lists(small_ints | floats, max_size=3))),
    ({int}, st.sets(small_ints) | st.lists(small_ints)),
    ({int: date}, st.dictionaries(small_ints, st.dates() | st.dates().map(date.isoformat),
                                  max_size=4)),
    (None, json_values),
    ([], st.lists(json_values, max_size=3)),
    (timedelta, st.timedeltas() | st.floats(min_value=-1e9, max_value=1e9)),
    (datetime, st.datetimes() | st.datetimes().map(datetime.isoformat)),
    (OptionEnum("a b c*"), st.sampled_from(["a", "b"]) | st.text(max_size=4).map("c".__add__)),
    ([[OptionString]], st.lists(st.lists(st.text(min_size=1, max_size=3), max_size=3), max_size=3)),
]


@given(st.sampled_from(range(len(CASES))).flatmap(
    lambda i: st.tuples(st.just(i), CASES[i][1])))
@settings(max_examples=400, deadline=None)
def test_property_normalised_is_stable_and_round_trips(case):
    i, value = case
    decl = CASES[i][0]
    declared = {"x": decl}
    out = normalise_options("m", declared, {"x": value})
    again = normalise_options("m", declared, {"x": out.x})
    assert dumps_canonical(again) == dumps_canonical(out)
    assert same(again.x, out.x)
    assert same(decode(encode(out)).get("x"), out.x)
    assert same(decode(json.loads(dumps_canonical(out)))["x"], out.x)
