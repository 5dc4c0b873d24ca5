"""Tests for accel.identity: source hashing with project-import tracking, and job identity."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

import accel
import accel.identity as identity
from accel.identity import SourceHasher, SourceInfo, job_identity
from tests.conftest import Project, ax_run, printed, script, setup_of


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def age(root: Path, seconds: int = 100) -> None:
    """Back-date every file and folder, so no cache entry is "too recent to trust"."""
    t = time.time_ns() - seconds * 1_000_000_000
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.utime(os.path.join(dirpath, name), ns=(t, t))
    os.utime(root, ns=(t, t))


def rewrite_same_stat_size(path: Path, text: str, mtime_ns: int) -> None:
    """Replace content in place (same inode), same size, then set the given mtime."""
    assert len(text.encode()) == path.stat().st_size
    with open(path, "r+b") as fh:
        fh.write(text.encode())
    os.utime(path, ns=(mtime_ns, mtime_ns))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    write(p / "methods" / "__init__.py")
    return p


def hasher_for(p: Path) -> SourceHasher:
    return SourceHasher([p, p / "methods"])


# ---- import discovery ----------------------------------------------------------------------


def test_relative_plain_and_subpackage_imports(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", """
        from . import helper
        import plainhelper
        from .pkg.sub import x

        def synthesis():
            return helper.f() + plainhelper.g() + x
    """)
    write(proj / "methods" / "helper.py", "def f(): return 1\n")
    write(proj / "methods" / "plainhelper.py", "def g(): return 2\n")
    write(proj / "methods" / "pkg" / "__init__.py")
    write(proj / "methods" / "pkg" / "sub.py", "x = 3\n")
    write(proj / "methods" / "unused.py", "y = 4\n")
    info = hasher_for(proj).source_info(m)
    assert set(info.files) == {
        "methods/a_x.py",
        "methods/helper.py",
        "methods/plainhelper.py",
        "methods/pkg/__init__.py",
        "methods/pkg/sub.py",
    }
    assert info.files["methods/helper.py"] == sha(proj / "methods" / "helper.py")


BOTH_ROOTS = ("", "methods")  # the project and its method package, as `hasher_for` has them


@pytest.mark.parametrize(("method", "source", "others", "roots", "expected"), [
    pytest.param(
        "methods/a_x.py", "import mylib\nfrom mypkg import tool, NAME\n",
        {"mylib.py": "A = 1\n", "mypkg/__init__.py": "NAME = 'n'\n", "mypkg/tool.py": "B = 2\n",
         "mypkg/other.py": "C = 3\n"},
        BOTH_ROOTS, {"methods/a_x.py", "mylib.py", "mypkg/__init__.py", "mypkg/tool.py"},
        id="project_level_module_and_package"),
    pytest.param(
        "methods/a_x.py", "import a.b.c\n",
        {"a/__init__.py": "", "a/b/__init__.py": "", "a/b/c.py": ""},
        BOTH_ROOTS, {"methods/a_x.py", "a/__init__.py", "a/b/__init__.py", "a/b/c.py"},
        id="dotted_import_counts_each_package_init"),
    pytest.param(
        "methods/a_x.py", "import utils.tools\nfrom utils import more\n",
        {"utils/tools.py": "T = 1\n", "utils/more.py": "M = 1\n"},
        BOTH_ROOTS, {"methods/a_x.py", "utils/tools.py", "utils/more.py"},
        id="namespace_package_without_init"),
    # Only the method package is a root: `import methods.helper` is found through its parent.
    pytest.param(
        "methods/a_x.py", "import methods.helper\n",
        {"methods/helper.py": "H = 1\n", "toplevel.py": "T = 1\n"},
        ("methods",), {"a_x.py", "__init__.py", "helper.py"},
        id="import_via_parent_of_package_root"),
    pytest.param(
        "pkg/inner/mod.py", "from ..shared import y\nfrom .. import other\n",
        {"pkg/__init__.py": "", "pkg/inner/__init__.py": "", "pkg/shared.py": "y = 1\n",
         "pkg/other.py": "o = 1\n"},
        ("",), {"pkg/inner/mod.py", "pkg/shared.py", "pkg/other.py"},
        id="parent_relative_import"),
    pytest.param(
        "methods/a_x.py", """
            try:
                import fast
            except ImportError:
                fast = None

            def prepare():
                from . import lazy
                import importlib
                return importlib.import_module("dyn"), lazy
        """,
        {f"methods/{name}.py": f"{name} = 1\n" for name in ("fast", "lazy", "dyn")},
        BOTH_ROOTS, {"methods/a_x.py", "methods/fast.py", "methods/lazy.py", "methods/dyn.py"},
        id="imports_inside_functions_and_try_blocks"),
    pytest.param(
        "methods/a_x.py", "import one\n",
        {"methods/one.py": "import two\n", "methods/two.py": "import one\nfrom . import a_x\n"},
        BOTH_ROOTS, {"methods/a_x.py", "methods/one.py", "methods/two.py"},
        id="import_cycle_terminates"),
])
def test_import_discovery(proj: Path, method: str, source: str, others: dict[str, str],
                          roots: tuple[str, ...], expected: set[str]) -> None:
    m = write(proj / method, source)
    for rel, text in others.items():
        write(proj / rel, text)
    info = SourceHasher([proj / r for r in roots]).source_info(m)
    assert set(info.files) == expected


def test_transitive_chain_and_edit_at_the_end(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "import b\n")
    write(proj / "methods" / "b.py", "from c import f\n")
    c = write(proj / "methods" / "c.py", "def f(): return 1\n")
    h = hasher_for(proj)
    first = h.source_info(m)
    assert set(first.files) == {"methods/a_x.py", "methods/b.py", "methods/c.py"}
    write(c, "def f(): return 22\n")
    second = h.source_info(m)
    assert second.hash != first.hash
    assert second.files["methods/c.py"] != first.files["methods/c.py"]
    assert second.files["methods/b.py"] == first.files["methods/b.py"]


def test_third_party_and_stdlib_ignored(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", """
        import json, os.path
        import numpy as np
        from collections import Counter
        import does_not_exist_anywhere
        from accel.identity import SourceHasher
    """)
    info = hasher_for(proj).source_info(m)
    assert list(info.files) == ["methods/a_x.py"]
    # numpy is really found by Python, but outside the roots it never counts.
    numpy_dir = str(Path(__import__("numpy").__file__).parent.parent)
    outside = SourceHasher([proj, proj / "methods", Path(numpy_dir) / "nonexistent"])
    assert list(outside.source_info(m).files) == ["methods/a_x.py"]


def test_file_outside_roots_found_by_parent_search_is_ignored(tmp_path: Path) -> None:
    # A package root's parent is searched, but files directly in it are not the project.
    methods = tmp_path / "outside" / "stdm"
    write(methods / "__init__.py")
    m = write(methods / "a_x.py", "import loose\nimport stdm.helper\n")
    write(methods / "helper.py")
    write(tmp_path / "outside" / "loose.py", "L = 1\n")
    info = SourceHasher([tmp_path / "proj", methods]).source_info(m)
    assert set(info.files) == {"stdm:a_x.py", "stdm:__init__.py", "stdm:helper.py"}


def test_unrelated_edit_does_not_change_hash(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "from . import helper\n")
    write(proj / "methods" / "helper.py", "H = 1\n")
    other = write(proj / "methods" / "other.py", "O = 1\n")
    lib = write(proj / "lib.py", "L = 1\n")
    h = hasher_for(proj)
    before = h.source_info(m)
    write(other, "O = 2222\n")
    write(lib, "L = 2222\n")
    write(proj / "new_unrelated.py", "N = 1\n")
    assert h.source_info(m) == before
    assert SourceHasher([proj, proj / "methods"]).source_info(m) == before


def test_syntax_error_files_are_hashed_not_parsed(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "import broken\n")
    broken = write(proj / "methods" / "broken.py", "import hidden\ndef f(:\n")
    write(proj / "methods" / "hidden.py")
    h = hasher_for(proj)
    info = h.source_info(m)
    assert set(info.files) == {"methods/a_x.py", "methods/broken.py"}
    write(broken, "import hidden\ndef f(:  \n")
    assert h.source_info(m).hash != info.hash
    # The method itself broken (and with a null byte) does not crash either.
    write(m, "def synthesis(:\n")
    assert list(h.source_info(m).files) == ["methods/a_x.py"]
    m.write_bytes(b"x = 1\0\n")
    assert list(h.source_info(m).files) == ["methods/a_x.py"]


def test_missing_method_file_raises(proj: Path) -> None:
    with pytest.raises(FileNotFoundError):
        hasher_for(proj).source_info(proj / "methods" / "a_nope.py")


# ---- depend_extra --------------------------------------------------------------------------


def test_depend_extra_file(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "X = 1\n")
    txt = write(proj / "methods" / "data" / "table.txt", "a b c\n")
    h = hasher_for(proj)
    info = h.source_info(m, extra_files=[Path("data/table.txt")])
    assert info.files["methods/data/table.txt"] == sha(txt)
    assert info.hash != h.source_info(m).hash
    write(txt, "a b d\n")
    assert h.source_info(m, extra_files=[Path("data/table.txt")]).hash != info.hash
    # An absolute path works the same.
    assert h.source_info(m, extra_files=[txt]).files == \
        h.source_info(m, extra_files=[Path("data/table.txt")]).files


def test_depend_extra_py_file_is_followed(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "X = 1\n")
    write(proj / "methods" / "gen.py", "import genhelper\n")
    write(proj / "methods" / "genhelper.py")
    info = hasher_for(proj).source_info(m, extra_files=[Path("gen.py")])
    assert set(info.files) == {"methods/a_x.py", "methods/gen.py", "methods/genhelper.py"}


def test_missing_depend_extra_file_names_the_path(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "X = 1\n")
    with pytest.raises(FileNotFoundError) as exc:
        hasher_for(proj).source_info(m, extra_files=[Path("missing.txt")])
    assert exc.value.filename == str(proj / "methods" / "missing.txt")
    assert "missing.txt" in str(exc.value)


def test_depend_extra_file_name_matters(proj: Path) -> None:
    # Same bytes under another name is a different identity (a rename is a change).
    m = write(proj / "methods" / "a_x.py", "X = 1\n")
    write(proj / "methods" / "a.txt", "same\n")
    write(proj / "methods" / "b.txt", "same\n")
    h = hasher_for(proj)
    assert h.source_info(m, extra_files=[Path("a.txt")]).hash != \
        h.source_info(m, extra_files=[Path("b.txt")]).hash


def test_depend_extra_module_by_name_and_object(proj: Path, monkeypatch) -> None:
    m = write(proj / "methods" / "a_x.py", "X = 1\n")
    write(proj / "mylib" / "__init__.py")
    write(proj / "mylib" / "conf.py", "import mylib.deep\n")
    write(proj / "mylib" / "deep.py", "D = 1\n")
    h = hasher_for(proj)
    by_name = h.source_info(m, extra_modules=["mylib.conf"])
    assert set(by_name.files) == {"methods/a_x.py", "mylib/__init__.py", "mylib/conf.py",
                                  "mylib/deep.py"}
    mod = types.ModuleType("mylib.conf")
    mod.__file__ = str(proj / "mylib" / "conf.py")
    by_object = h.source_info(m, extra_modules=[mod])
    assert set(by_object.files) == {"methods/a_x.py", "mylib/__init__.py", "mylib/conf.py",
                                    "mylib/deep.py"}
    # A third-party module given explicitly is hashed, under its module name.
    third = h.source_info(m, extra_modules=[hashlib])
    assert third.files["<module>/hashlib"] == sha(Path(hashlib.__file__))


def test_depend_extra_module_errors(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "X = 1\n")
    h = hasher_for(proj)
    with pytest.raises(ModuleNotFoundError, match="nosuchmodule"):
        h.source_info(m, extra_modules=["nosuchmodule"])
    with pytest.raises(ModuleNotFoundError, match="sys"):
        h.source_info(m, extra_modules=[sys])


# ---- location independence and symlinks ----------------------------------------------------


def test_moving_and_renaming_the_project_keeps_the_hash(proj: Path, tmp_path: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "from . import helper\nimport mylib\n")
    write(proj / "methods" / "helper.py", "H = 1\n")
    write(proj / "mylib.py", "L = 1\n")
    info = hasher_for(proj).source_info(m, extra_files=[Path("../mylib.py")])
    moved = tmp_path / "elsewhere" / "renamed_project"
    moved.parent.mkdir()
    shutil.move(str(proj), str(moved))
    again = hasher_for(moved).source_info(moved / "methods" / "a_x.py",
                                          extra_files=[Path("../mylib.py")])
    assert again == info
    assert not any(str(tmp_path) in name for name in info.files)


def test_symlinks_are_resolved(proj: Path, tmp_path: Path) -> None:
    real_helper = write(tmp_path / "shared" / "helper_impl.py", "import leaf\n")
    write(tmp_path / "shared" / "leaf.py")
    (proj / "methods" / "helper.py").symlink_to(real_helper)
    m = write(proj / "methods" / "a_x.py", "import helper\n")
    # The link target lies outside the roots, so it is not project source...
    assert list(hasher_for(proj).source_info(m).files) == ["methods/a_x.py"]
    # ...unless its folder is a root; then it is named where it really lives.
    info = SourceHasher([proj, proj / "methods", tmp_path / "shared"]).source_info(m)
    assert set(info.files) == {"methods/a_x.py", "shared:helper_impl.py", "shared:leaf.py"}


def test_symlinked_method_folder(tmp_path: Path) -> None:
    real_methods = tmp_path / "real_methods"
    write(real_methods / "__init__.py")
    write(real_methods / "helper.py", "H = 1\n")
    m = write(real_methods / "a_x.py", "from . import helper\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "methods").symlink_to(real_methods)
    via_link = SourceHasher([proj, proj / "methods"]).source_info(proj / "methods" / "a_x.py")
    direct = SourceHasher([proj, real_methods]).source_info(m)
    assert via_link == direct
    assert set(direct.files) == {"real_methods:a_x.py", "real_methods:helper.py"}


def test_standard_method_jobs_are_reused_wherever_accel_is_installed(project: Project) -> None:
    """Built with accel installed elsewhere, then with accel inside the project folder (as
    `pip install -e .` in accel's own repository): the same job, not a rebuild. Its files
    are named the same either way, and accel's own modules are not project source."""
    project.file("data.csv", "a\n1\n")
    # a project method that imports accel's modules: accel is never its source either
    project.method("mine", """
        from accel.standard_methods import _dsio

        def synthesis():
            return _dsio.__name__
    """)
    script(project, """
        import accel

        def main(urd):
            print("ACCEL " + json.dumps(accel.__file__))
            print("MINE " + json.dumps(str(urd.build("mine"))))
            print("RESULT " + json.dumps(str(urd.build("csvimport", filename="data.csv"))))
    """)
    first = ax_run(project)
    assert not printed(first, "ACCEL").startswith(str(project.root))
    shutil.copytree(Path(accel.__file__).parent, project.root / "accel",
                    ignore=shutil.ignore_patterns("__pycache__"))
    inside = os.pathsep.join(filter(None, [str(project.root), os.environ.get("PYTHONPATH")]))
    again = project.ax("run", check=True, env={"PYTHONPATH": inside})
    assert printed(again, "ACCEL") == str(project.root / "accel" / "__init__.py")
    assert printed(again) == printed(first), again.stdout
    assert printed(again, "MINE") == printed(first, "MINE"), again.stdout
    assert set(setup_of(project, printed(first))["source_files"]) >= {
        "standard_methods:a_csvimport.py", "standard_methods:_dsio.py"}
    assert list(setup_of(project, printed(first, "MINE"))["source_files"]) == ["methods/a_mine.py"]


# ---- caching ---------------------------------------------------------------------------------


def test_same_size_edit_with_new_mtime_is_seen(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "import helper\n")
    helper = write(proj / "methods" / "helper.py", "VALUE = 1\n")
    age(proj)
    h = hasher_for(proj)
    before = h.source_info(m)
    assert h.source_info(m) is before  # cached
    old = helper.stat().st_mtime_ns
    rewrite_same_stat_size(helper, "VALUE = 2\n", old + 1_000_000_000)
    after = h.source_info(m)
    assert after.hash != before.hash
    assert h.file_sha(helper) == sha(helper)


def test_same_size_edit_keeping_the_mtime_is_seen(proj: Path) -> None:
    # A rewrite within one clock tick (or one that restores the mtime) keeps
    # mtime and size; the recent-mtime rule and the ctime still catch it.
    m = write(proj / "methods" / "a_x.py", "import helper\n")
    helper = write(proj / "methods" / "helper.py", "VALUE = 1\n")
    h = hasher_for(proj)
    before = h.source_info(m)
    mtime = helper.stat().st_mtime_ns
    rewrite_same_stat_size(helper, "VALUE = 2\n", mtime)
    assert helper.stat().st_mtime_ns == mtime
    assert h.source_info(m).hash != before.hash


def test_recent_files_are_rechecked_until_old_enough(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "X = 1\n")
    age(proj)
    soon = time.time_ns() + 60 * 1_000_000_000  # "recent" however slow this machine is
    os.utime(m, ns=(soon, soon))
    h = hasher_for(proj)
    first = h.source_info(m)
    second = h.source_info(m)
    assert second == first
    assert second is not first  # mtime too recent to trust: recomputed
    age(proj)
    third = h.source_info(m)
    assert h.source_info(m) is third


def test_new_module_where_an_import_looks_is_seen(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", """
        try:
            import optional_speedup
        except ImportError:
            optional_speedup = None
    """)
    age(proj)
    h = hasher_for(proj)
    before = h.source_info(m)
    assert h.source_info(m) is before
    write(proj / "optional_speedup.py", "S = 1\n")
    after = h.source_info(m)
    assert "optional_speedup.py" in after.files
    assert after.hash != before.hash


def test_renamed_module_changes_the_import_set(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "import helper\n")
    write(proj / "methods" / "helper.py", "H = 1\n")
    age(proj)
    h = hasher_for(proj)
    before = h.source_info(m)
    (proj / "methods" / "helper.py").rename(proj / "methods" / "helper2.py")
    assert list(h.source_info(m).files) == ["methods/a_x.py"]
    write(m, "import helper2\n")
    after = h.source_info(m)
    assert set(after.files) == {"methods/a_x.py", "methods/helper2.py"}
    assert after.hash != before.hash


def test_cache_hit_reads_and_parses_nothing(proj: Path, monkeypatch) -> None:
    m = write(proj / "methods" / "a_x.py", "from . import helper\n")
    write(proj / "methods" / "helper.py", "import mylib\n")
    write(proj / "mylib.py")
    age(proj)
    h = hasher_for(proj)
    info = h.source_info(m)

    def forbidden(*args, **kwargs):
        raise AssertionError("a cache hit must not read or parse files")

    monkeypatch.setattr(identity, "_read_and_hash", forbidden)
    monkeypatch.setattr(identity, "_parse_imports", forbidden)
    assert h.source_info(m) is info
    # A changed folder listing re-resolves imports from cached parses, still without reading.
    write(proj / "methods" / "unrelated.txt", "x")
    monkeypatch.setattr(identity, "_read_and_hash", forbidden)
    assert h.source_info(m) == info


def test_a_repeat_call_is_the_cached_answer(proj: Path) -> None:
    """A method and five helpers, unchanged: every later call returns the same SourceInfo
    (its speed is measured in tests/bench/bench_core.py, not here)."""
    helpers = [f"helper{i}" for i in range(5)]
    m = write(proj / "methods" / "a_x.py",
              "".join(f"from . import {n}\n" for n in helpers) + "import json\n")
    for n in helpers:
        write(proj / "methods" / f"{n}.py", f"{n.upper()} = 1\n")
    age(proj)
    h = hasher_for(proj)
    info = h.source_info(m)
    assert len(info.files) == 6
    assert all(h.source_info(Path(m)) is info for _ in range(100))
    assert SourceHasher([proj, proj / "methods"]).source_info(Path(m)) == info


# ---- job identity ----------------------------------------------------------------------------


def test_job_identity() -> None:
    base = job_identity("csvimport", "ab" * 32, 4, '{"a":1}', "{}", "{}")
    assert len(base) == 32 and int(base, 16) >= 0
    assert base == job_identity("csvimport", "ab" * 32, 4, '{"a":1}', "{}", "{}")
    assert base != job_identity("csvimport", "ab" * 32, 5, '{"a":1}', "{}", "{}")
    assert base != job_identity("csvimport", "ac" * 32, 4, '{"a":1}', "{}", "{}")
    assert base != job_identity("csvimport", "ab" * 32, 4, '{"a":2}', "{}", "{}")
    # Fields cannot run into each other.
    assert job_identity("ab", "c", 1, "", "", "") != job_identity("a", "bc", 1, "", "", "")
    assert job_identity("m", "s", 1, "x", "", "") != job_identity("m", "s", 1, "", "x", "")
    assert job_identity("m", "s", 1, "", "x", "") != job_identity("m", "s", 1, "", "", "x")
    with pytest.raises(TypeError):
        job_identity("m", "s", "4", "", "", "")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        job_identity("m", "s", True, "", "", "")


def test_source_info_hash_is_over_sorted_pairs(proj: Path) -> None:
    m = write(proj / "methods" / "a_x.py", "import helper\n")
    write(proj / "methods" / "helper.py")
    info = hasher_for(proj).source_info(m)
    assert isinstance(info, SourceInfo)
    assert list(info.files) == sorted(info.files)
    assert len(info.hash) == 64
