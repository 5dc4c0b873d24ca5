"""accel.jsoncodec: exact round trips, stable canonical text, safe tags."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accel.dotdict import DotDict
from accel.jsoncodec import decode, dumps_canonical, encode


def same(a, b) -> bool:
    """Equal *and* of the same types all the way down (1 == 1.0 == True is not enough)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return (len(a) == len(b) and all(k in b for k in a)
                and all(same(k, next(k2 for k2 in b if k2 == k)) and same(a[k], b[k]) for k in a))
    if isinstance(a, (set, frozenset)):
        return len(a) == len(b) and all(any(same(x, y) for y in b) for x in a)
    if isinstance(a, (datetime, time)):
        return a == b and a.utcoffset() == b.utcoffset() and (a.tzinfo is None) == (b.tzinfo is None)
    return a == b


def roundtrip(value):
    return decode(encode(value))


def through_text(value):
    return decode(json.loads(dumps_canonical(value)))


def test_same_helper_is_strict():
    assert not same(1, 1.0)
    assert not same(1, True)
    assert not same([1], (1,))
    assert not same(0.0, -0.0)
    assert not same({1: 1}, {1.0: 1})
    assert same(math.nan, float("nan"))


UTC1 = timezone(timedelta(hours=1))

EXAMPLES = [
    None, True, False, 0, -7, 2**70, 1.5, -0.0, 1e300, "", "héllo ✓", "$date",
    math.inf, -math.inf,
    [], [1, [2, [3]]], (), (1, "a", (2.5,)), ([1], {"a": (1,)}),
    {}, {"a": 1, "b": [1, 2]}, {1: "a", 2: "b"}, {(1, 2): "t", None: 0, True: "x"},
    {"a": 1, 2: "mixed keys"},
    set(), {1, 2, 3}, {"b", "a"}, frozenset({1, (2, 3)}), {frozenset({1}), frozenset()},
    date(2020, 1, 2), datetime(2020, 1, 2, 3, 4, 5, 6), datetime(2020, 1, 2, 3, 4, tzinfo=UTC1),
    datetime(2020, 1, 2, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    time(1, 2, 3, 4), time(23, 59, tzinfo=timezone.utc),
    # offsets with microseconds but no whole seconds: fromisoformat alone loses them
    time(0, 0, tzinfo=timezone(timedelta(microseconds=1))),
    datetime(2020, 1, 1, tzinfo=timezone(-timedelta(minutes=3, microseconds=7))),
    datetime(2020, 1, 1, 5, tzinfo=timezone(timedelta(seconds=5, microseconds=7))),
    timedelta(0), timedelta(days=-1, seconds=5, microseconds=6), timedelta(days=999999999),
    {"$date": "2020-01-02"}, {"$nope": 1}, {"$tuple": [1]}, {"$dict": []},
    [{"$x": {"$y": 1}}],
]


def stable_repr(value) -> str:
    """repr, with a set's members sorted: a test's id must be the same in every process
    (pytest-xdist's workers each collect the tests, and str hashes differ between them)."""
    if isinstance(value, (set, frozenset)):
        inner = ", ".join(sorted(map(stable_repr, value)))
        if isinstance(value, frozenset):
            return f"frozenset({{{inner}}})" if value else "frozenset()"
        return f"{{{inner}}}" if value else "set()"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(map(stable_repr, value))
        return f"[{inner}]" if isinstance(value, list) else \
            f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{stable_repr(k)}: {stable_repr(v)}" for k, v in value.items()) + "}"
    return repr(value)


@pytest.mark.parametrize("value", EXAMPLES, ids=stable_repr)
def test_round_trip_examples(value):
    assert same(roundtrip(value), value)
    assert same(through_text(value), value)


def test_nan_round_trips_as_nan():
    assert math.isnan(roundtrip(math.nan))
    assert encode(math.nan) == {"$float": "nan"}
    assert encode([math.inf, -math.inf]) == [{"$float": "inf"}, {"$float": "-inf"}]
    # no bare NaN/Infinity in the text: that would not be JSON
    assert "NaN" not in dumps_canonical([math.nan]) and "Infinity" not in dumps_canonical(math.inf)


def test_tag_forms():
    assert encode((1, 2)) == {"$tuple": [1, 2]}
    assert encode({3, 1, 2}) == {"$set": [1, 2, 3]}
    assert encode(frozenset({"b", "a"})) == {"$frozenset": ["a", "b"]}
    assert encode({2: "b", 1: "a"}) == {"$dict": [[1, "a"], [2, "b"]]}
    # numbers in numeric order, not text order; then strings; then the rest
    assert encode({10: "", 2: "", -1.5: ""}) == {"$dict": [[-1.5, ""], [2, ""], [10, ""]]}
    assert encode({10, 9, "b", "a", None, (1,)}) == {
        "$set": [9, 10, "a", "b", None, {"$tuple": [1]}]}
    assert encode(date(2020, 1, 2)) == {"$date": "2020-01-02"}
    assert encode(datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC1)) == {
        "$datetime": "2020-01-02T03:04:05+01:00"}
    assert encode(time(3, 4)) == {"$time": "03:04:00"}
    assert encode(timedelta(days=1, seconds=2, microseconds=3)) == {"$timedelta": [1, 2, 3]}
    assert encode([1, "a", None, True, 1.5]) == [1, "a", None, True, 1.5]
    assert encode({"a": (1,)}) == {"a": {"$tuple": [1]}}


def test_users_dollar_dict_is_escaped_not_misread():
    value = {"$date": "2020-01-02"}
    assert encode(value) == {"$dict": [["$date", "2020-01-02"]]}
    assert roundtrip(value) == value and type(roundtrip(value)) is dict
    # a tag-looking key in a dict with more keys is not a tag, so needs no escape
    two = {"$date": "x", "b": 1}
    assert encode(two) == two
    assert roundtrip(two) == two
    # escaped at any depth
    nested = [{"a": {"$set": [1]}}]
    assert roundtrip(nested) == nested


def test_decode_rejects_unknown_and_malformed_tags():
    with pytest.raises(ValueError, match=r"\$bogus"):
        decode({"$bogus": 1})
    for bad in ({"$float": "big"}, {"$timedelta": [1, 2]}, {"$tuple": "ab"},
                {"$dict": [[1]]}, {"$date": 5}):
        with pytest.raises(ValueError):
            decode(bad)


@pytest.mark.parametrize("value", [object(), 1 + 2j, b"bytes", bytearray(b"x"), range(3),
                                   [1, {"a": Ellipsis}]])
def test_unsupported_types_raise_type_error_naming_the_type(value):
    inner = value[1]["a"] if isinstance(value, list) else value
    with pytest.raises(TypeError, match=type(inner).__qualname__):
        encode(value)
    with pytest.raises(TypeError):
        dumps_canonical(value)


def test_canonical_text_ignores_dict_and_set_order():
    a = {"x": 1, "y": {3, 1, 2}, 5: "five", 2: "two"}
    b = {2: "two", "y": {2, 3, 1}, 5: "five", "x": 1}
    assert dumps_canonical(a) == dumps_canonical(b)
    assert dumps_canonical({"b": 1, "a": 2}) == '{"a":2,"b":1}'
    words = [f"w{i}" for i in range(200)]
    assert dumps_canonical(set(words)) == dumps_canonical(set(reversed(words)))


def test_canonical_text_is_compact_and_unicode():
    assert dumps_canonical({"k": ["é", 1.0]}) == '{"k":["é",1.0]}'
    assert dumps_canonical(1) != dumps_canonical(1.0) != dumps_canonical(True)
    assert dumps_canonical([1]) != dumps_canonical((1,))


def test_canonical_text_is_the_same_in_another_process():
    """String hashing is randomised per process; the canonical text of a set must not be."""
    value = {"words": {f"word{i}" for i in range(50)}, "pairs": {("a", 1), ("b", 2)}}
    code = ("from accel.jsoncodec import dumps_canonical\n"
            "print(dumps_canonical({'words': {f'word{i}' for i in range(50)},"
            " 'pairs': {('a', 1), ('b', 2)}}))")
    outs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)
        outs.add(res.stdout.strip())
    assert outs == {dumps_canonical(value)}


def test_subclasses_encode_as_their_base():
    assert roundtrip(DotDict(a=1, b=DotDict(c=2))) == {"a": 1, "b": {"c": 2}}
    assert type(roundtrip(DotDict(a=1))) is dict

    class MyInt(int):
        pass

    class MyStr(str):
        pass

    assert type(roundtrip(MyInt(3))) is int and roundtrip(MyInt(3)) == 3
    assert type(roundtrip(MyStr("x"))) is str


def test_job_encodes_as_its_id():
    from accel.job import Job

    job = Job("dev-12")
    assert encode(job) == "dev-12" and type(encode(job)) is str
    assert dumps_canonical({"j": job}) == dumps_canonical({"j": "dev-12"})
    assert dumps_canonical({job: 1}) == '{"dev-12":1}'


def test_jobwithfile_round_trips():
    from accel.job import JobWithFile

    jwf = JobWithFile("dev-3", "out.pickle", sliced=True, extra={"a": (1, 2), "d": date(2020, 1, 1)})
    enc = encode(jwf)
    assert set(enc) == {"$jobwithfile"}
    assert enc["$jobwithfile"]["job"] == "dev-3" and enc["$jobwithfile"]["sliced"] is True
    back = through_text(jwf)
    assert isinstance(back, JobWithFile)
    assert (str(back.job), back.name, back.sliced) == ("dev-3", "out.pickle", True)
    assert same(back.extra, jwf.extra)
    assert roundtrip([JobWithFile("dev-1", "x")]) == [JobWithFile("dev-1", "x")]
    # hashable, so it can be in a set
    assert roundtrip({JobWithFile("dev-1", "x"), JobWithFile("dev-2", "y")}) == {
        JobWithFile("dev-1", "x"), JobWithFile("dev-2", "y")}


def test_codec_does_not_import_job_but_says_what_decode_needs():
    """jsoncodec sits below accel.job (which imports it): it must not import it back."""
    code = ("import sys, accel.jsoncodec as c\n"
            "assert 'accel.job' not in sys.modules\n"
            "try:\n"
            "    c.decode({'$jobwithfile': {'job': 'dev-1', 'name': 'x', 'sliced': False,"
            " 'extra': None}})\n"
            "except ValueError as e:\n"
            "    print(e)\n"
            "import accel.job\n"
            "j = c.decode({'$jobwithfile': {'job': 'dev-1', 'name': 'x', 'sliced': True,"
            " 'extra': [1]}})\n"
            "print(type(j).__name__, str(j.job), j.name, j.sliced, j.extra)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    first, second = res.stdout.strip().splitlines()
    assert "$jobwithfile" in first and "accel.job" in first
    assert second == "JobWithFile dev-1 x True [1]"


# --- property tests ----------------------------------------------------------------------

offsets = st.timedeltas(min_value=-timedelta(hours=23, minutes=59),
                        max_value=timedelta(hours=23, minutes=59)).map(timezone)
tzs = st.none() | offsets | st.just(timezone.utc)

hashable_leaves = (
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False)
    | st.dates() | st.datetimes(timezones=tzs) | st.times(timezones=tzs) | st.timedeltas()
)
leaves = hashable_leaves | st.floats()  # NaN only where it need not be found by equality

hashables = st.recursive(
    hashable_leaves,
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=4),
    max_leaves=8,
)


def containers(inner):
    return (st.lists(inner, max_size=4)
            | st.lists(inner, max_size=4).map(tuple)
            | st.dictionaries(st.text(max_size=5), inner, max_size=4)
            | st.dictionaries(hashables, inner, max_size=4)
            | st.sets(hashables, max_size=4)
            | st.frozensets(hashables, max_size=4))


values = st.recursive(leaves, containers, max_leaves=20)


# one test draws the values for both properties (drawing them is most of its time)
@given(values)
@settings(max_examples=300, deadline=None)
def test_property_round_trip_and_canonical_text_is_stable(value):
    assert same(roundtrip(value), value)
    assert same(through_text(value), value)
    # the canonical text is stable
    text = dumps_canonical(value)
    assert dumps_canonical(roundtrip(value)) == text
    json.loads(text)  # valid JSON (allow_nan=False would have raised otherwise)


@given(st.dictionaries(hashables, values, max_size=6))
@settings(max_examples=200, deadline=None)
def test_property_dict_order_does_not_matter(d):
    reordered = dict(reversed(list(d.items())))
    assert dumps_canonical(reordered) == dumps_canonical(d)


# distinct in Python too: {False, 0} keeps whichever came first, and a method sees
# {False} or {0}, two different options
@given(st.lists(hashables, max_size=8, unique_by=(dumps_canonical, lambda x: x)))
@settings(max_examples=200, deadline=None)
def test_property_set_build_order_does_not_matter(items):
    forwards, backwards = set(), set()
    for x in items:
        forwards.add(x)
    for x in reversed(items):
        backwards.add(x)
    assert dumps_canonical(forwards) == dumps_canonical(backwards)
    assert dumps_canonical(frozenset(items)) == dumps_canonical(frozenset(reversed(items)))
