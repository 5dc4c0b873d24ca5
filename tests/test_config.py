"""accelerator.conf parsing: good files of every shape, and one test per kind of mistake."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from accel.config import (
    CONFIG_NAME,
    Config,
    ExecutorSpec,
    find_config,
    load_config,
    parse_config_text,
)
from accel.errors import ConfigError, UserError


@pytest.fixture(autouse=True)
def _no_env_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCEL_CONFIG", raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with one workdir folder, ready for a conf file."""
    (tmp_path / "workdirs" / "dev").mkdir(parents=True)
    return tmp_path


def write(project: Path, text: str) -> Path:
    path = project / CONFIG_NAME
    path.write_text(text)
    return path


def error_of(project: Path, text: str) -> str:
    path = write(project, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


def assert_error(message: str, path: Path, lineno: int, *problem: str) -> None:
    assert message.startswith(f"{path}:{lineno}: "), message
    for part in problem:
        assert part in message, message


# --- good configs ---------------------------------------------------------------------


def test_minimal_config_fills_defaults(project: Path) -> None:
    path = write(project, "workdirs: dev ./workdirs/dev\n")
    cfg = load_config(path)
    assert isinstance(cfg, Config)
    assert cfg.path == path
    assert cfg.project_dir == project
    assert cfg.slices == (os.cpu_count() or 1)
    assert cfg.workdirs == {"dev": project / "workdirs" / "dev"}
    assert cfg.target_workdir == "dev"
    assert cfg.method_packages == ()
    assert cfg.result_directory == project / "results"
    assert cfg.input_directory == project
    assert cfg.board_listen == ("127.0.0.1", 8520)
    assert cfg.executor == ExecutorSpec("local")


def test_full_config(project: Path) -> None:
    (project / "workdirs" / "old").mkdir()
    (project / "methods").mkdir()
    (project / "data").mkdir()
    path = write(
        project,
        """\
# a whole-line comment
slices: 3   # trailing comment
workdirs:
    dev  workdirs/dev
\told ./workdirs/old

target workdir: old
method packages:
    ./methods
    json
result directory: out/results
input directory: data
board listen: 0.0.0.0:9000
executor: local
""",
    )
    cfg = load_config(path)
    assert cfg.slices == 3
    assert list(cfg.workdirs) == ["dev", "old"]
    assert cfg.workdirs["old"] == project / "workdirs" / "old"
    assert cfg.target_workdir == "old"
    assert cfg.method_packages == (str(project / "methods"), "json")
    assert cfg.result_directory == project / "out" / "results"
    assert not cfg.result_directory.exists()
    assert cfg.input_directory == project / "data"
    assert cfg.board_listen == ("0.0.0.0", 9000)


def test_workdirs_value_on_key_line_and_following_lines(project: Path) -> None:
    (project / "workdirs" / "b").mkdir()
    cfg = load_config(write(project, "workdirs: dev ./workdirs/dev\n  b workdirs/b\n"))
    assert cfg.workdirs == {"dev": project / "workdirs/dev", "b": project / "workdirs/b"}


def test_workdir_order_kept_and_first_is_default_target(project: Path) -> None:
    for name in ("z", "a", "m"):
        (project / name).mkdir()
    cfg = load_config(write(project, "workdirs:\n z z\n a a\n m m\n"))
    assert list(cfg.workdirs) == ["z", "a", "m"]
    assert cfg.target_workdir == "z"


def test_absolute_and_home_paths(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = project / "home"
    (home / "wd").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    cfg = load_config(
        write(
            project,
            f"workdirs:\n dev ~/wd\n abs {project / 'workdirs/dev'}\nresult directory: ~/res\n",
        )
    )
    assert cfg.workdirs == {"dev": home / "wd", "abs": project / "workdirs/dev"}
    assert cfg.result_directory == home / "res"


def test_relative_paths_follow_conf_file_not_cwd(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    cfg = load_config(write(project, "workdirs: dev workdirs/dev\n"))
    assert cfg.workdirs["dev"] == project / "workdirs" / "dev"


def test_relative_conf_path_gives_absolute_config(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "workdirs: dev workdirs/dev\n")
    monkeypatch.chdir(project)
    cfg = load_config(CONFIG_NAME)
    assert cfg.path == project / CONFIG_NAME
    assert cfg.path.is_absolute()
    assert cfg.workdirs["dev"] == project / "workdirs" / "dev"


def test_path_with_spaces_and_hash_inside_word(project: Path) -> None:
    (project / "my work#1").mkdir()
    cfg = load_config(write(project, "workdirs:\n dev my work#1   # the comment\n"))
    assert cfg.workdirs["dev"] == project / "my work#1"


def test_parse_config_text_without_reading_a_file(project: Path) -> None:
    cfg = parse_config_text("workdirs: dev workdirs/dev\nslices: 2\n", project / "x.conf")
    assert cfg.path == project / "x.conf"
    assert cfg.slices == 2


def test_crlf_and_blank_lines_inside_block(project: Path) -> None:
    (project / "workdirs" / "b").mkdir()
    text = "workdirs:\r\n  dev workdirs/dev\r\n\r\n  # note\r\n  b workdirs/b\r\nslices: 4\r\n"
    cfg = load_config(write(project, text))
    assert list(cfg.workdirs) == ["dev", "b"]
    assert cfg.slices == 4


def test_key_spacing_is_normalised(project: Path) -> None:
    (project / "workdirs" / "b").mkdir()
    cfg = load_config(
        write(project, "workdirs:\n dev workdirs/dev\n b workdirs/b\ntarget   workdir :b\n")
    )
    assert cfg.target_workdir == "b"


# --- environment substitution -----------------------------------------------------------


def test_env_var_substituted(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WD_ROOT", str(project / "workdirs"))
    monkeypatch.setenv("NSLICES", "5")
    cfg = load_config(write(project, "workdirs: dev ${WD_ROOT}/dev\nslices: ${NSLICES}\n"))
    assert cfg.workdirs["dev"] == project / "workdirs" / "dev"
    assert cfg.slices == 5


def test_env_default_used_when_unset(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCEL_TEST_UNSET", raising=False)
    cfg = load_config(
        write(
            project,
            "workdirs: dev ${ACCEL_TEST_UNSET=workdirs}/dev\nslices: ${ACCEL_TEST_UNSET=7}\n",
        )
    )
    assert cfg.workdirs["dev"] == project / "workdirs" / "dev"
    assert cfg.slices == 7


def test_env_value_beats_default(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCEL_TEST_SLICES", "9")
    cfg = load_config(
        write(project, "workdirs: dev workdirs/dev\nslices: ${ACCEL_TEST_SLICES=2}\n")
    )
    assert cfg.slices == 9


def test_env_substituted_in_board_listen_and_executor(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHED", "sched.example:8786")
    cfg = load_config(
        write(
            project,
            "workdirs: dev workdirs/dev\nboard listen: ${BHOST=localhost}:${BPORT=8080}\n"
            "executor: dask ${SCHED}\n",
        )
    )
    assert cfg.board_listen == ("localhost", 8080)
    assert cfg.executor == ExecutorSpec("dask", address="tcp://sched.example:8786")


def test_unset_env_var_is_error_naming_it(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCEL_TEST_NOPE", raising=False)
    path = project / CONFIG_NAME
    msg = error_of(project, "slices: 2\nworkdirs: dev ${ACCEL_TEST_NOPE}/dev\n")
    assert_error(msg, path, 2, "ACCEL_TEST_NOPE", "not set")


def test_unterminated_and_bad_variable(project: Path) -> None:
    path = project / CONFIG_NAME
    assert_error(error_of(project, "workdirs: dev ${HOME/x\n"), path, 1, "'}'")
    assert_error(error_of(project, "workdirs: dev ${1X}/x\n"), path, 1, "bad variable name '1X'")


# --- executor -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("local", ExecutorSpec("local")),
        ("dask tcp://10.0.0.1:8786", ExecutorSpec("dask", address="tcp://10.0.0.1:8786")),
        ("dask sched:8786", ExecutorSpec("dask", address="tcp://sched:8786")),
        ("dask tls://[::1]:8786", ExecutorSpec("dask", address="tls://[::1]:8786")),
    ],
)
def test_executor_forms(project: Path, value: str, expected: ExecutorSpec) -> None:
    cfg = load_config(write(project, f"workdirs: dev workdirs/dev\nexecutor: {value}\n"))
    assert cfg.executor == expected


def test_executor_scheduler_file_relative_and_need_not_exist(project: Path) -> None:
    cfg = load_config(
        write(project, "workdirs: dev workdirs/dev\nexecutor: dask scheduler-file run/sched.json\n")
    )
    assert cfg.executor == ExecutorSpec("dask", scheduler_file=project / "run" / "sched.json")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("remote", "expected 'local', 'dask ADDRESS' or 'dask scheduler-file PATH'"),
        ("local now", "expected 'local'"),
        ("dask", "dask needs an ADDRESS or scheduler-file PATH"),
        ("dask scheduler-file", "scheduler-file needs a PATH"),
        ("dask tcp://host", "bad dask address 'tcp://host'"),
        ("dask host:99999", "bad dask address"),
    ],
)
def test_bad_executor(project: Path, value: str, problem: str) -> None:
    msg = error_of(project, f"workdirs: dev workdirs/dev\nexecutor: {value}\n")
    assert_error(msg, project / CONFIG_NAME, 2, "executor:", problem)


# --- board listen -------------------------------------------------------------------------


def test_board_listen_ipv6(project: Path) -> None:
    cfg = load_config(write(project, "workdirs: dev workdirs/dev\nboard listen: [::1]:8520\n"))
    assert cfg.board_listen == ("::1", 8520)


@pytest.mark.parametrize(
    "value", ["8520", "localhost", ":8520", "host:port", "host:0", "host:70000"]
)
def test_bad_board_listen(project: Path, value: str) -> None:
    msg = error_of(project, f"workdirs: dev workdirs/dev\n\nboard listen: {value}\n")
    assert_error(msg, project / CONFIG_NAME, 3, "board listen: expected HOST:PORT", repr(value))


# --- finding the config ---------------------------------------------------------------------


def test_find_config_walks_up_from_subfolder(project: Path) -> None:
    path = write(project, "workdirs: dev workdirs/dev\n")
    deep = project / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert find_config(deep) == path


def test_find_config_defaults_to_cwd(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(project, "workdirs: dev workdirs/dev\n")
    sub = project / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert find_config() == path
    assert load_config().path == path


def test_find_config_nearest_wins(project: Path) -> None:
    write(project, "workdirs: dev workdirs/dev\n")
    inner = project / "inner"
    (inner / "wd").mkdir(parents=True)
    inner_conf = write(inner, "workdirs: x wd\n")
    assert find_config(inner / "wd") == inner_conf


def test_find_config_none_found(tmp_path: Path) -> None:
    start = tmp_path / "empty"
    start.mkdir()
    if any((d / CONFIG_NAME).is_file() for d in start.parents):
        pytest.skip("a conf file exists above the temporary folder")
    with pytest.raises(ConfigError) as info:
        find_config(start)
    msg = str(info.value)
    assert f"no {CONFIG_NAME} in {start} or any folder above it" in msg
    assert "--config FILE" in msg and "ACCEL_CONFIG" in msg


def test_accel_config_env_wins(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "workdirs: dev workdirs/dev\n")
    other = tmp_path_factory.mktemp("other")
    (other / "wd").mkdir()
    other_conf = other / "special.conf"
    other_conf.write_text("workdirs: o wd\n")
    monkeypatch.setenv("ACCEL_CONFIG", str(other_conf))
    assert find_config(project) == other_conf
    monkeypatch.chdir(project)
    cfg = load_config()
    assert cfg.path == other_conf
    assert cfg.workdirs == {"o": other / "wd"}


def test_explicit_path_beats_accel_config(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(project, "workdirs: dev workdirs/dev\n")
    monkeypatch.setenv("ACCEL_CONFIG", str(project / "missing.conf"))
    assert load_config(path).path == path


def test_accel_config_missing_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCEL_CONFIG", str(project / "missing.conf"))
    with pytest.raises(ConfigError, match="ACCEL_CONFIG=.*missing.conf: no such file"):
        find_config(project)


def test_load_missing_file(project: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.conf: no such file"):
        load_config(project / "nope.conf")


def test_load_folder_is_error(project: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(project)


def test_config_error_is_a_user_error() -> None:
    assert issubclass(ConfigError, UserError)
    assert ConfigError.exit_status == 2


# --- structural mistakes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lineno", "problem"),
    [
        pytest.param(
            "workdirs: dev workdirs/dev\ntarget_workdir: dev\n",
            2,
            ("unknown key 'target_workdir'", "'target workdir'"),
            id="unknown_key_suggests_close_one",
        ),
        pytest.param(
            "workdirs: dev workdirs/dev\nzzz: 1\n",
            2,
            ("unknown key 'zzz'", "known keys:", "slices"),
            id="unknown_key_without_close_match_lists_keys",
        ),
        pytest.param(
            "slices: 2\nworkdirs: dev workdirs/dev\nslices: 3\n",
            3,
            ("duplicate key 'slices'", "line 1"),
            id="duplicate_key",
        ),
        pytest.param(
            "# header\n  dev workdirs/dev\nworkdirs: dev workdirs/dev\n",
            2,
            ("indented line with no key before it",),
            id="indented_line_with_no_key",
        ),
        pytest.param(
            "workdirs: dev workdirs/dev\nslices 3\n",
            2,
            ("expected 'key: value'", "'slices 3'"),
            id="line_without_colon",
        ),
        pytest.param("workdirs: dev workdirs/dev\n: 3\n", 2, ("no key",), id="colon_without_key"),
        pytest.param(
            "slices: 2\n\nboard listen: a:1\n",
            3,
            ("workdirs: required, give one NAME PATH per line",),
            id="missing_workdirs_uses_last_line",
        ),
        pytest.param("", 1, ("workdirs: required",), id="missing_workdirs_empty_file_line_1"),
        pytest.param(
            "slices: 2\nworkdirs:\nexecutor: local\n",
            2,
            ("workdirs: needs a value", "NAME PATH"),
            id="empty_workdirs_block",
        ),
        pytest.param(
            "workdirs: dev workdirs/dev\nslices:   # none\n",
            2,
            ("slices: needs a value",),
            id="missing_value",
        ),
        pytest.param(
            "workdirs: dev workdirs/dev\nslices: 2\n    3\n",
            3,
            ("slices: takes one value",),
            id="several_values_where_one_allowed",
        ),
    ],
)
def test_structural_mistake(
    project: Path, text: str, lineno: int, problem: tuple[str, ...]
) -> None:
    assert_error(error_of(project, text), project / CONFIG_NAME, lineno, *problem)


@pytest.mark.parametrize("key", ["urd", "listen", "interpreters", "import"])
def test_accelerator_only_keys(project: Path, key: str) -> None:
    msg = error_of(project, f"workdirs: dev workdirs/dev\n{key}: something\n")
    assert_error(msg, project / CONFIG_NAME, 2, f"'{key}' is an Accelerator setting", "remove it")


def test_error_uses_path_as_given(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, "slices: x\nworkdirs: dev workdirs/dev\n")
    monkeypatch.chdir(project)
    with pytest.raises(ConfigError) as info:
        load_config(CONFIG_NAME)
    assert str(info.value).startswith(f"{CONFIG_NAME}:1: slices:")


# --- value mistakes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("many", "expected a whole number, got 'many'"),
        ("2.5", "expected a whole number"),
        ("0", "must be at least 1, got 0"),
        ("-3", "must be at least 1, got -3"),
    ],
)
def test_bad_slices(project: Path, value: str, problem: str) -> None:
    msg = error_of(project, f"workdirs: dev workdirs/dev\nslices: {value}\n")
    assert_error(msg, project / CONFIG_NAME, 2, "slices:", problem)


def test_slices_are_bounded_unless_allowed(project: Path, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    """A job forks every slice at once: `slices: 100000` is refused (issue 12, item 11),
    ACCEL_MAX_SLICES raises the bound, and `ax run` says it in one line."""
    monkeypatch.delenv("ACCEL_MAX_SLICES", raising=False)
    limit = max(64, 8 * (os.cpu_count() or 1))
    assert load_config(write(project, f"workdirs: dev workdirs/dev\nslices: {limit}\n")).slices \
        == limit
    msg = error_of(project, "workdirs: dev workdirs/dev\nslices: 100000\n")
    assert_error(msg, project / CONFIG_NAME, 2, f"slices: 100000 is more than {limit}",
                 "set ACCEL_MAX_SLICES=100000 to allow it")
    monkeypatch.setenv("ACCEL_MAX_SLICES", "100000")
    assert load_config(project / CONFIG_NAME).slices == 100000
    monkeypatch.setenv("ACCEL_MAX_SLICES", "lots")
    with pytest.raises(ConfigError, match="ACCEL_MAX_SLICES='lots': expected a whole number"):
        load_config(project / CONFIG_NAME)
    monkeypatch.delenv("ACCEL_MAX_SLICES")
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("ACCEL_CONFIG", "ACCEL_MAX_SLICES")}
    p = subprocess.run([sys.executable, "-m", "accel.cli.main", "run"], cwd=project,
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
    assert "slices: 100000 is more than" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize(
    ("text", "lineno", "problem"),
    [
        pytest.param(
            "workdirs:\n  dev workdirs/dev\n  prod /x/y/nonexistent\n",
            3,
            ("workdir 'prod': folder /x/y/nonexistent does not exist",),
            id="workdir_folder_missing",
        ),
        pytest.param(
            "workdirs: my-dev workdirs/dev\n", 1, ("bad name 'my-dev'",), id="workdir_bad_name"
        ),
        pytest.param(
            "workdirs:\n dev\n", 2, ("workdir 'dev': no PATH",), id="workdir_without_path"
        ),
        pytest.param(
            "workdirs:\n dev workdirs/dev\n again ./workdirs/../workdirs/dev\n",
            3,
            ("workdir 'again'", "already workdir 'dev'", "line 2"),
            id="workdir_duplicate_path",
        ),
        pytest.param(
            "workdirs: dev workdirs/dev\ntarget workdir: prod\n",
            2,
            ("target workdir: 'prod' is not one of the workdirs", "dev"),
            id="target_workdir_unknown",
        ),
    ],
)
def test_value_mistake(project: Path, text: str, lineno: int, problem: tuple[str, ...]) -> None:
    assert_error(error_of(project, text), project / CONFIG_NAME, lineno, *problem)


def test_workdir_is_a_file(project: Path) -> None:
    (project / "afile").write_text("")
    msg = error_of(project, "workdirs: dev afile\n")
    assert_error(msg, project / CONFIG_NAME, 1, "workdir 'dev':", "is not a folder")


def test_workdir_duplicate_name(project: Path) -> None:
    (project / "other").mkdir()
    msg = error_of(project, "workdirs:\n dev workdirs/dev\n dev other\n")
    assert_error(msg, project / CONFIG_NAME, 3, "workdir 'dev' given twice", "line 2")


def test_workdir_duplicate_path_through_symlink(project: Path) -> None:
    (project / "link").symlink_to(project / "workdirs" / "dev")
    msg = error_of(project, "workdirs:\n dev workdirs/dev\n again link\n")
    assert_error(msg, project / CONFIG_NAME, 3, "already workdir 'dev'")


def test_input_directory_missing(project: Path) -> None:
    msg = error_of(project, "workdirs: dev workdirs/dev\ninput directory: data\n")
    assert_error(
        msg, project / CONFIG_NAME, 2, f"input directory: folder {project / 'data'} does not exist"
    )


# --- method packages ----------------------------------------------------------------------


def test_method_package_name_of_existing_folder_becomes_path(project: Path) -> None:
    (project / "methods").mkdir()
    cfg = load_config(write(project, "workdirs: dev workdirs/dev\nmethod packages: methods\n"))
    assert cfg.method_packages == (str(project / "methods"),)


def test_method_package_accelerator_auto_discover_form(project: Path) -> None:
    (project / "dev").mkdir()
    cfg = load_config(
        write(project, "workdirs: dev workdirs/dev\nmethod packages:\n dev auto-discover\n")
    )
    assert cfg.method_packages == (str(project / "dev"),)


def test_method_package_dotted_name_in_project(project: Path) -> None:
    (project / "pkg" / "sub").mkdir(parents=True)
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "sub" / "__init__.py").write_text("")
    before = list(sys.path)
    cfg = load_config(write(project, "workdirs: dev workdirs/dev\nmethod packages: pkg.sub\n"))
    sys.modules.pop("pkg", None)
    assert cfg.method_packages == ("pkg.sub",)
    assert sys.path == before


@pytest.mark.parametrize(
    ("text", "lineno", "problem"),
    [
        pytest.param(
            "workdirs: dev workdirs/dev\nmethod packages:\n  ./nothere\n",
            3,
            ("method package './nothere'", "does not exist"),
            id="method_package_missing_folder",
        ),
        pytest.param(
            "workdirs: dev workdirs/dev\nmethod packages:\n  json\n  no_such_pkg_xyz\n",
            4,
            ("method package 'no_such_pkg_xyz'", "no importable package"),
            id="method_package_not_importable",
        ),
        pytest.param(
            "workdirs: dev workdirs/dev\nmethod packages: os.path\n",
            2,
            ("method package 'os.path'", "not a package"),
            id="method_package_is_plain_module",
        ),
        pytest.param(
            "workdirs: dev workdirs/dev\nmethod packages: my-methods\n",
            2,
            ("method package 'my-methods'", "not a package name"),
            id="method_package_bad_name",
        ),
        pytest.param(
            "workdirs: dev workdirs/dev\nmethod packages:\n accelerator.standard_methods\n",
            3,
            ("Accelerator package", "remove it"),
            id="method_package_accelerator_standard_methods",
        ),
        pytest.param(
            "workdirs: dev workdirs/dev\nmethod packages:\n",
            2,
            ("method packages: needs a value",),
            id="method_packages_empty_block",
        ),
    ],
)
def test_method_package_mistake(
    project: Path, text: str, lineno: int, problem: tuple[str, ...]
) -> None:
    assert_error(error_of(project, text), project / CONFIG_NAME, lineno, *problem)


def test_method_package_parent_fails_to_import(project: Path) -> None:
    (project / "broken").mkdir()
    (project / "broken" / "__init__.py").write_text("raise RuntimeError('boom')\n")
    try:
        msg = error_of(project, "workdirs: dev workdirs/dev\nmethod packages: broken.sub\n")
    finally:
        sys.modules.pop("broken", None)
    assert_error(msg, project / CONFIG_NAME, 2, "method package 'broken.sub'", "RuntimeError: boom")


def test_method_package_listed_twice(project: Path) -> None:
    (project / "methods").mkdir()
    msg = error_of(project, "workdirs: dev workdirs/dev\nmethod packages:\n methods\n ./methods/\n")
    assert_error(msg, project / CONFIG_NAME, 4, "already listed on line 3")


def test_config_is_frozen(project: Path) -> None:
    cfg = load_config(write(project, "workdirs: dev workdirs/dev\n"))
    with pytest.raises(AttributeError):
        cfg.slices = 4  # type: ignore[misc]


def test_cpu_slots_names_a_file_of_the_projects_own(project: Path) -> None:
    assert load_config(write(project, "workdirs: dev workdirs/dev\n")).cpu_slots is None
    cfg = load_config(write(project, "workdirs: dev workdirs/dev\ncpu slots: .accel/cpu-slots\n"))
    assert cfg.cpu_slots == project / ".accel" / "cpu-slots"  # made when first used
    msg = error_of(project, "workdirs: dev workdirs/dev\ncpu slots: workdirs\n")
    assert_error(msg, project / CONFIG_NAME, 2, "cpu slots:", "is a folder",
                 "expected the path of a file")
