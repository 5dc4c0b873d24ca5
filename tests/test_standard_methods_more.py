"""csvimport_zip, dataset_rename_columns, dataset_merge, dataset_checksum_chain, as a user
runs them with `ax run`: the Accelerator's option names, dataset names, chains, hashlabels
and errors (each rule below was seen on the Accelerator 2025.11.11 with the same input).

The tests only read what their builds made: the builds (`BUILDS.add`, beside each test) run
together, one `ax run` for the module in one project per slice count (`together`).
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
import zipfile
from pathlib import Path

from conftest import Project
from together import Builds

BUILDS = Builds()
built = BUILDS.fixture()


def rows(d, columns=None) -> list:
    return list(d.iterate(None, columns))


def names(chain) -> list[str]:
    return [d.name for d in chain]


def zip_bytes(members: list[tuple[str, str]]) -> bytes:
    """A zip file of `members` (a name ending in / is a directory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for member, text in members:
            if member.endswith("/"):
                z.writestr(zipfile.ZipInfo(member), "")
            else:
                z.writestr(member, text)
    return out.getvalue()


def make_zip(project: Project, name: str, members: list[tuple[str, str]]) -> Path:
    path = project.root / name
    path.write_bytes(zip_bytes(members))
    return path


def csv_rows(text: str) -> list[tuple]:
    return [tuple(v.encode() for v in line.split(",")) for line in text.splitlines()[1:]]


# --- csvimport_zip -------------------------------------------------------------------------------

FILES = [("a.csv", "x,y\n1,2\n3,4\n"), ("sub/", ""), ("sub/b.csv", "x,y\n5,6\n"),
         ("sub/a.csv", "x,y\n7,8\n"), ("weird name!.csv", "x,y\n9,10\n"),
         ("default", "x,y\n11,12\n")]
CONTENT = dict(FILES)
T_ZIP = {"t.zip": zip_bytes(FILES)}  # made once: a zip holds the time it was made
ZIP_NAMES = BUILDS.add("zip names", """
    def build(urd):
        first = urd.build('csvimport', filename='first.csv')
        return dict(on=urd.build('csvimport_zip', filename='t.zip'),
                    off=urd.build('csvimport_zip', filename='t.zip', chaining='off',
                                  previous=first),
                    prev=urd.build('csvimport_zip', filename='t.zip', include_re='^sub/',
                                   previous=first),
                    first=first)
""", files={**T_ZIP, "first.csv": "x,y\n0,0\n"}, slices=3)


def test_csvimport_zip_names_chains_and_links_every_file(built):
    project3, got = built.jobs(ZIP_NAMES)
    on = project3.job(got["on"])
    # zip order; directories skipped; names made safe; 'default' kept for the last
    order = ["a.csv", "sub_b.csv", "sub_a.csv", "weird_name_.csv", "default_"]
    members = ["a.csv", "sub/b.csv", "sub/a.csv", "weird name!.csv", "default"]
    assert sorted(on.dataset_names) == sorted(order + ["default"])
    assert names(on.dataset("default").chain()) == order[:-1] + ["default"]
    assert names(on.dataset("default_").chain()) == order
    for dsname, member in zip(order, members, strict=True):
        d = on.dataset(dsname)
        assert rows(d, ["x", "y"]) == csv_rows(CONTENT[member])
        assert d.parent is not None and d.parent.job.method == "csvimport"
    default = on.dataset("default")
    assert str(default.parent) == str(on.dataset("default_").parent)
    assert str(default.previous) == str(on.dataset("default_").previous)
    assert len(on.post.subjobs) == len(members)
    assert list((on.path.parent / ".accel" / "zip-members").iterdir()) == []  # copies gone

    off = project3.job(got["off"])
    # unchained: each has previous as its previous, the file named default is 'default'
    assert sorted(off.dataset_names) == sorted(order[:-1] + ["default"])
    for name in off.dataset_names:
        assert str(off.dataset(name).previous) == got["first"] + "/default"
    assert rows(off.dataset("default"), ["x", "y"]) == csv_rows(CONTENT["default"])

    prev = project3.job(got["prev"])
    assert names(prev.dataset("default").chain()) == ["default", "sub_b.csv", "default"]
    assert [d.job for d in prev.dataset("default").chain()][0] == got["first"]


ZIP_REUSE = BUILDS.add("zip reuse", """
    def build(urd):
        return dict(v1=urd.build('csvimport_zip', filename='v1.zip'),
                    v2=urd.build('csvimport_zip', filename='v2.zip'))
""", files={"v1.zip": zip_bytes([("a.csv", "x,y\n1,2\n"), ("b.csv", "x,y\n3,4\n")]),
            "v2.zip": zip_bytes([("a.csv", "x,y\n1,2\n"), ("b.csv", "x,y\n3,5\n")])},
    slices=3)


def test_csvimport_zip_reuses_the_import_of_a_file_with_the_same_bytes(built):
    """Each file is imported from a copy named by its bytes: in a new zip where only the
    second file changed, the first file's import is reused and the second's is new. The
    subjob's filename says which bytes it read; the copies are gone afterwards."""
    project3, got = built.jobs(ZIP_REUSE)
    v1, v2 = project3.job(got["v1"]), project3.job(got["v2"])
    assert v2.post.subjobs[0] == v1.post.subjobs[0]  # a.csv: the same bytes
    assert v2.post.subjobs[1] != v1.post.subjobs[1]  # b.csv changed
    assert rows(v2.dataset("b.csv"), ["x", "y"]) == [(b"3", b"5")]
    members = v1.path.parent / ".accel" / "zip-members"
    filename = project3.job(v1.post.subjobs[0]).params.options.filename
    sha = hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    assert filename == str(members / f"{sha}-a.csv")
    assert list(members.iterdir()) == []


def test_zip_member_copies_go_when_no_job_holds_them(tmp_path):
    """Two jobs extracting the same bytes share one copy: it stays while either holds it,
    and goes with the last; a copy a killed job left is swept, one still held is not."""
    from accel.standard_methods import _zipmembers

    zpath = make_zip(Project(tmp_path / "p"), "t.zip", [("a.csv", "x\n1\n")])
    folder = _zipmembers.folder_of(str(tmp_path / "wd" / "wd-1"))
    with zipfile.ZipFile(zpath) as z:
        one, two = (_zipmembers.extract(z, z.infolist()[0], folder, "a.csv") for _ in "12")
        assert one.path == two.path and Path(one.path).read_text() == "x\n1\n"
        _zipmembers.release(one)
        assert Path(two.path).exists()  # the other job still reads it
        _zipmembers.sweep(folder)
        assert Path(two.path).exists()
        _zipmembers.release(two)
        assert not Path(two.path).exists()
        left = _zipmembers.extract(z, z.infolist()[0], folder, "a.csv")
    os.close(left.fd)  # as a killed job leaves it
    _zipmembers.sweep(folder)
    assert os.listdir(folder) == []


with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Duplicate name", UserWarning)
    DUP_ZIP = zip_bytes([("d.csv", "x\n1\n"), ("d.csv", "x\n2\n")])
ZIP_CHOOSING = BUILDS.add("zip choosing", """
    import collections

    def build(urd):
        return dict(
            strip=urd.build('csvimport_zip', filename='t.zip', strip_dirs=True,
                            chaining='by_filename'),
            dsname=urd.build('csvimport_zip', filename='t.zip', include_re=r'\\.csv$',
                             exclude_re='weird', chaining='by_dsname'),
            inside=urd.build('csvimport_zip', filename='t.zip',
                             inside_filenames=collections.OrderedDict([('sub/b.csv', 'B'),
                                                           ('a.csv', 'A')])),
            inside_strip=urd.build('csvimport_zip', filename='t.zip', strip_dirs=True,
                                   inside_filenames={'a.csv': 'first'}),
            one=urd.build('csvimport_zip', filename='one.zip', chaining='off',
                          labels=['m', 'n'], lineno_label='line'),
            dup=urd.build('csvimport_zip', filename='dup.zip'),
            dup_inside=urd.build('csvimport_zip', filename='dup.zip',
                                 inside_filenames={'d.csv': 'D'}),
        )
""", files={**T_ZIP, "one.zip": zip_bytes([("only.csv", "p,q\n1,2\n")]), "dup.zip": DUP_ZIP},
    slices=3)


def test_csvimport_zip_choosing_and_ordering(built):
    with zipfile.ZipFile(io.BytesIO(DUP_ZIP)) as z:
        assert z.namelist() == ["d.csv", "d.csv"]  # a name twice, as the zip module warned
    project3, got = built.jobs(ZIP_CHOOSING)
    strip = project3.job(got["strip"]).dataset("default")
    # names without directories, sorted by them (ties in zip order); a used name gets '_'
    assert names(strip.chain()) == ["a.csv", "a.csv_", "b.csv", "default_", "default"]
    assert rows(strip.chain()[1], ["x", "y"]) == csv_rows(CONTENT["sub/a.csv"])
    # the regexes look at the whole name; by_dsname sorts by dataset name
    assert names(project3.job(got["dsname"]).dataset("default").chain()) == \
        ["a.csv", "sub_a.csv", "default"]
    # inside_filenames: those files, chained in its order (chaining='on' is by_dict then)
    inside = project3.job(got["inside"])
    assert names(inside.dataset("default").chain()) == ["B", "default"]
    assert rows(inside.dataset("A"), ["x", "y"]) == csv_rows(CONTENT["a.csv"])
    # with strip_dirs the first file of that name, and one file imported is also 'default'
    inside_strip = project3.job(got["inside_strip"])
    assert sorted(inside_strip.dataset_names) == ["default", "first"]
    assert rows(inside_strip.dataset("first"), ["x", "y"]) == csv_rows(CONTENT["a.csv"])
    # csvimport's options go to every file; one file unchained is 'default' too
    one = project3.job(got["one"])
    assert sorted(one.dataset_names) == ["default", "only.csv"]
    assert rows(one.dataset("default"), ["m", "n", "line"]) == \
        [(b"p", b"q", 1), (b"1", b"2", 2)]
    # a name twice in the zip: each file imported, or the first one asked for by name
    dup = project3.job(got["dup"])
    assert [rows(dup.dataset(n), "x") for n in ("d.csv", "d.csv_")] == [[b"1"], [b"2"]]
    assert rows(project3.job(got["dup_inside"]).dataset("D"), "x") == [b"1"]


ZIP_MISTAKES = BUILDS.mistakes('csvimport_zip', setup="import collections", cases={
    f"filename='t.zip', {given}": message for given, message in {
        "inside_filenames={'nope.csv': 'n'}": "t.zip has no 'nope.csv'",
        "inside_filenames={'a.csv': 'n'}, include_re='a'":
            "give inside_filenames or include_re/exclude_re, not both",
        "inside_filenames=collections.OrderedDict([('a.csv', 'default'), ('sub/b.csv', 'x')])":
            "the dataset named 'default' must be the last one",
        "include_re='zzz'": "no files to import",
        "include_re='('": "option include_re: '(' is not a regular expression",
        "chaining='by_dict'": "chaining='by_dict' needs inside_filenames",
    }.items()}, files=T_ZIP)
NOT_A_ZIP = BUILDS.add("not a zip", """
    def build(urd):
        return dict(j=urd.build('csvimport_zip', filename='not.zip'))
""", files={"not.zip": "a,b\n"})
BAD_MEMBER = BUILDS.add("a bad member", """
    def build(urd):
        return dict(j=urd.build('csvimport_zip', filename='bad.zip'))
""", files={"bad.zip": zip_bytes([("good.csv", "a,b\n1,2\n"), ("dir/bad.csv", "a,b\n1,2,3\n")])})


def test_csvimport_zip_mistakes_are_one_clear_message(built):
    built.each_fails('csvimport_zip', ZIP_MISTAKES)
    err = built.error(NOT_A_ZIP)
    assert "not.zip is not a zip file" in err
    err = built.error(BAD_MEMBER)
    assert "importing bad.zip:dir/bad.csv failed" in err and "expected 2 fields, got 3" in err


# --- dataset_rename_columns ----------------------------------------------------------------------

A = "x,y,w\n1,2,a\n3,4,b\n5,6,c\n7,8,d\n"
A2 = "x,y,w\n11,12,e\n"
B = "y,z\n20,30\n40,50\n60,70\n80,90\n"


ABC = {"a.csv": A, "a2.csv": A2, "b.csv": B}
RENAME = BUILDS.add("rename", """
    def build(urd):
        a = urd.build('csvimport', filename='a.csv')
        a2 = urd.build('csvimport', filename='a2.csv', previous=a)
        h = urd.build('dataset_hashpart', source=urd.build('csvimport', filename='b.csv'),
                      hashlabel='z')
        r = lambda src, **rename: urd.build('dataset_rename_columns', source=src,
                                            rename=rename)
        return dict(a=a, a2=a2, h=h,
                    plain=r(a2, w='W'), swap=r(a, x='y', y='x'), out=r(a, x=None),
                    onto=r(a, x='y'), out_onto=r(a, x=None, y='x'), none=r(a2),
                    hl=r(h, z='zz'), hl_taken=r(h, y='z'), hl_out=r(h, z=None),
                    hl_swap=r(h, z='y', y='z'))
""", files=ABC, slices=3)


def test_dataset_rename_columns(built):
    project3, got = built.jobs(RENAME)
    d = {k: project3.job(v).dataset() for k, v in got.items()}
    a = rows(d["a"], ["x", "y", "w"])
    col = {n: [r[i] for r in a] for i, n in enumerate("xyw")}
    # the source's lines, caption and previous (its chain goes on into the source's)
    plain = d["plain"]
    assert list(plain.columns) == ["x", "y", "W"]
    assert rows(plain) == rows(d["a2"])
    assert (plain.caption, str(plain.previous), plain.lines) == \
        (d["a2"].caption, str(d["a2"].previous), d["a2"].lines)
    assert project3.job(got["plain"]).load(default=None) is None
    assert list(d["swap"].columns) == ["y", "x", "w"]
    assert rows(d["swap"], ["x", "y"]) == list(zip(col["y"], col["x"], strict=True))
    assert list(d["out"].columns) == ["y", "w"]
    # a column renamed onto another's name takes its place
    assert rows(d["onto"], ["y", "w"]) == list(zip(col["x"], col["w"], strict=True))
    assert list(d["onto"].columns) == ["y", "w"]
    assert rows(d["out_onto"], ["x", "w"]) == list(zip(col["y"], col["w"], strict=True))
    # nothing renamed: the source itself, linked
    assert str(d["none"].parent) == str(d["a2"]) and rows(d["none"]) == rows(d["a2"])
    # the hashlabel follows its column; gone when left out or another takes its name
    h = rows(d["h"], ["y", "z"])
    assert (d["hl"].hashlabel, d["hl"].lines) == ("zz", d["h"].lines)
    assert rows(d["hl"], ["y", "zz"]) == h
    assert d["hl_taken"].hashlabel is None and list(d["hl_taken"].columns) == ["z"]
    assert d["hl_out"].hashlabel is None and list(d["hl_out"].columns) == ["y"]
    assert d["hl_swap"].hashlabel == "y"
    assert rows(d["hl_swap"], ["z", "y"]) == h


RENAME_MISTAKES = BUILDS.mistakes(
    'dataset_rename_columns', setup="a = urd.build('csvimport', filename='a.csv')", cases={
        f"source=a, {given}": message for given, message in {
        "rename={'nope': 'z'}": "has no column 'nope'",
        "rename={'x': 'z', 'y': 'z'}": "both 'x' and 'y' are renamed to 'z'",
        "rename={'x': None, 'y': None, 'w': None}": "every column of",
    }.items()}, files=ABC)
RENAME_NO_SOURCE = BUILDS.add("rename without a source", """
    def build(urd):
        return dict(j=urd.build('dataset_rename_columns', rename={'x': 'z'}))
""")


def test_dataset_rename_columns_mistakes(built):
    built.each_fails('dataset_rename_columns', RENAME_MISTAKES)
    err = built.error(RENAME_NO_SOURCE)
    assert "dataset_rename_columns: no source dataset given" in err


# --- dataset_merge ---------------------------------------------------------------------------------

MERGE_RELATED = BUILDS.add("merge related", """
        def build(urd):
            a = urd.build('csvimport', filename='a.csv')
            a2 = urd.build('csvimport', filename='a2.csv', previous=a)
            b = urd.build('csvimport', filename='b.csv')
            t1 = urd.build('dataset_type', source=a, column2type={'x': 'int32_10'})
            # renames: accel copies where the Accelerator links; still the same rows
            t2 = urd.build('dataset_type', source=a, column2type={'y': 'int32_10', 'q': 'number'},
                           rename={'x': 'q'})
            r = urd.build('dataset_rename_columns', source=t1, rename={'x': 'xx'})
            three = urd.build('dataset_merge', source=[a, b, t2], allow_unrelated=True,
                              previous=a2)
            bt = urd.build('dataset_type', source=b, column2type={'z': 'int32_10'})
            return dict(a=a, b=b, t1=t1, t2=t2, a2=a2, three=three,
                        two=urd.build('dataset_merge', source=[t1, t2]),
                        renamed=urd.build('dataset_merge', source=[r, t2]),
                        of_merge=urd.build('dataset_merge', source=[three, bt]))
    """, files=ABC, slices=3)


def test_dataset_merge_of_related_datasets(built):
    project3, got = built.jobs(MERGE_RELATED)
    d = {k: project3.job(v).dataset() for k, v in got.items()}
    two = d["two"]
    # a later source's column takes an earlier one's place
    assert list(two.columns) == ["x", "y", "w", "q"]
    assert {n: c.type for n, c in two.columns.items()} == \
        {"x": "int32", "y": "int32", "w": "bytes", "q": "number"}
    assert rows(two, ["x", "y", "w", "q"]) == [
        (x, y, w, q) for (x, w), (y, q) in zip(rows(d["t1"], ["x", "w"]), rows(d["t2"], ["y", "q"]),
                                              strict=True)]
    assert (two.previous, two.caption, two.hashlabel) == (None, "", None)
    assert project3.job(got["two"]).load(default=None) is None
    assert "xx" in d["renamed"].columns
    # more than two: '0' is the first two merged, 'default' all, previous only on it
    three = project3.job(got["three"])
    assert sorted(three.dataset_names) == ["0", "default"]
    assert list(three.dataset("0").columns) == ["x", "y", "w", "z"]
    assert three.dataset("0").previous is None
    assert str(three.dataset("default").previous) == str(d["a2"])
    assert rows(three.dataset("default"), ["z", "y"]) == [
        (z, y) for (z,), (y,) in zip(rows(d["b"], ["z"]), rows(d["t2"], ["y"]), strict=True)]
    assert set(d["of_merge"].columns) == {"x", "y", "w", "z", "q"}


MERGE_HASHLABEL = BUILDS.add("merge hashlabel", """
        def build(urd):
            b = urd.build('csvimport', filename='b.csv')
            h = urd.build('dataset_hashpart', source=b, hashlabel='z')
            ht = urd.build('dataset_type', source=h, column2type={'y': 'int32_10'}, hashlabel='')
            hk = urd.build('dataset_type', source=h, column2type={'y': 'int32_10'})
            hr = urd.build('dataset_rename_columns', source=h, rename={'z': 'zz'})
            return dict(
                h=h, ht=ht, hk=hk,
                keep=urd.build('dataset_merge', source=[h, hk]),
                dropped=urd.build('dataset_merge', source=[h, ht]),
                later=urd.build('dataset_merge', source=[hr, h]),
                other=urd.build('dataset_merge', source=[h, hr]),
                kept=urd.build('dataset_merge', source=[hr, ht]),
            )
    """, files=ABC, slices=3)
MERGE_MISTAKES = BUILDS.mistakes(
    'dataset_merge',
    setup="a, a2, b = (urd.build('csvimport', filename=f) for f in ('a.csv', 'a2.csv', 'b.csv'))",
    cases={
        "source=[a, b]": "has no common ancestor with",
        "source=[a]": "give at least two datasets to merge",
        "source=[a, a]": "cannot merge",
        "source=[a, a2], allow_unrelated=True": "do not have the same number of lines",
    }, files=ABC, slices=3)
MERGE_UNRELATED = BUILDS.add("merge unrelated", """
    def build(urd):
        a = urd.build('csvimport', filename='a.csv')
        return dict(j=urd.build('dataset_merge', source=[
            a, urd.build('dataset_sort', source=a, sort_columns='y')]))
""", files=ABC, slices=3)


def test_dataset_merge_hashlabel_and_mistakes(built):
    project3, got = built.jobs(MERGE_HASHLABEL)
    d = {k: project3.job(v).dataset() for k, v in got.items()}
    assert (d["ht"].hashlabel, d["hk"].hashlabel) == (None, "z")
    # the last hashed source's hashlabel; a later unhashed source with that column drops it
    assert d["keep"].hashlabel == "z"
    assert rows(d["keep"], ["y", "z"]) == rows(d["hk"], ["y", "z"])
    assert d["dropped"].hashlabel is None
    assert (d["later"].hashlabel, d["other"].hashlabel, d["kept"].hashlabel) == ("z", "zz", "zz")
    assert all(d[k].lines == d["h"].lines for k in ("keep", "dropped", "later", "other", "kept"))
    built.each_fails('dataset_merge', MERGE_MISTAKES)
    assert "allow_unrelated=True" in built.error(MERGE_UNRELATED)


# --- dataset_checksum_chain ------------------------------------------------------------------------

def accelerator_checksum(lines: list[tuple[bytes, ...]]) -> int:
    """The Accelerator's dataset_checksum of bytes columns (sort=True): each line's values
    (in column name order) each followed by NUL, MD5'd; the sorted digests MD5'd."""
    digests = sorted(hashlib.md5(b"".join(v + b"\0" for v in line)).digest() for line in lines)
    return int(hashlib.md5(b"".join(digests)).hexdigest(), 16)


CHECKSUM_CHAIN_SRC = """
    def build(urd):
        a = urd.build('csvimport', filename='a.csv')
        a2 = urd.build('csvimport', filename='a2.csv', previous=a)
        c = urd.build('csvimport', filename='c.csv', previous=a2)
        rev = urd.build('csvimport', filename='a.csv',
                        previous=urd.build('csvimport', filename='c.csv',
                                           previous=urd.build('csvimport', filename='a2.csv')))
        twice = urd.build('csvimport', filename='c.csv',
                          previous=urd.build('csvimport', filename='c.csv'))
        chk = lambda **kw: urd.build('dataset_checksum_chain', **kw)
        return dict(all=chk(source=c), stop=chk(source=c, stop=a),
                    length=chk(source=c, chain_length=2), x=chk(source=c, columns={'x'}),
                    rev=chk(source=rev), twice=chk(source=twice),
                    unsorted=chk(source=c, sort=False))
"""
C_CSV = "x,y,w\n1,2,a\n"
for _slices in (3, 5):
    BUILDS.add(f"checksum chain, {_slices} slices", CHECKSUM_CHAIN_SRC,
               files={**ABC, "c.csv": C_CSV}, slices=_slices)
CHECKSUM_CHAIN_EMPTY = BUILDS.add("checksum chain of nothing", """
    def build(urd):
        a = urd.build('csvimport', filename='a.csv')
        return dict(j=urd.build('dataset_checksum_chain', source=a, stop=a))
""", files=ABC, slices=3)


def test_dataset_checksum_chain(built):
    project3, got = built.jobs("checksum chain, 3 slices")
    res = {k: project3.job(v).load() for k, v in got.items()}
    per_file = {}
    for name, text in (("a.csv", A), ("a2.csv", A2), ("c.csv", C_CSV)):
        # columns in name order: w, x, y
        per_file[name] = accelerator_checksum([(w, x, y) for x, y, w in csv_rows(text)])
    assert res["all"].sum == per_file["a.csv"] ^ per_file["a2.csv"] ^ per_file["c.csv"]
    c = project3.job(got["all"]).params.datasets.source.split("/")[0]
    assert [str(s) for s in res["all"].sources] == [str(d) for d in project3.job(c).dataset().chain()]
    assert (res["all"].columns, res["all"].sort) == (["w", "x", "y"], True)
    assert res["stop"].sum == res["length"].sum == per_file["a2.csv"] ^ per_file["c.csv"]
    assert len(res["stop"].sources) == 2
    assert res["x"].columns == ["x"]
    assert res["x"].sum == accelerator_checksum([(x,) for x, _, _ in csv_rows(A)]) ^ \
        accelerator_checksum([(x,) for x, _, _ in csv_rows(A2)]) ^ \
        accelerator_checksum([(b"1",)])
    # XOR: the datasets' order does not count, and equal datasets cancel out
    assert res["rev"].sum == res["all"].sum
    assert res["twice"].sum == 0
    assert res["unsorted"].sort is False and res["unsorted"].sum != res["all"].sum
    # the same with another slicing (sort=True)
    other, got5 = built.jobs("checksum chain, 5 slices")
    assert other.job(got5["all"]).load().sum == res["all"].sum
    err = built.error(CHECKSUM_CHAIN_EMPTY)
    assert "dataset_checksum_chain: no datasets to sum" in err
