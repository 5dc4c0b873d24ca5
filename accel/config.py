"""Reading `accelerator.conf` into a `Config`.

Every later step (store, executors, board, cli) takes its settings from the `Config` made
here, so all checking of the user's file happens in this one place, up front: a mistake is
a `ConfigError` shaped `FILE:LINE: problem`, never a traceback from somewhere deeper.

The format, in short::

    # a comment (also after a value, when the '#' follows whitespace)
    slices: 8
    workdirs:
        dev ./workdirs/dev
        shared ${SHARED=/srv/accel}/workdirs
    method packages: methods
    executor: dask tcp://scheduler:8786
    cpus: 8          # how many CPUs running jobs may use together (all builds on the machine)
    cpu slots: .accel/cpu-slots   # a budget of this project's own (else the user's, shared)
    dataset compression: zstd     # or lz4, or none (uncompressed: column() maps the files)

A key line starts in the first column; indented lines that follow it are further values of
that key. `${VAR}` and `${VAR=default}` in values are taken from the environment. Relative
paths are relative to the folder of the conf file, and `~` is expanded.

Only the standard library is used, and nothing heavy is imported, so `ax` starts quickly.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from accel import layout
from accel.errors import ConfigError, UserError

__all__ = [
    "CONFIG_NAME",
    "ENV_VAR",
    "Config",
    "ExecutorSpec",
    "find_config",
    "load_config",
    "parse_config_text",
    "parse_executor",
]

CONFIG_NAME = "accelerator.conf"
ENV_VAR = "ACCEL_CONFIG"
DEFAULT_BOARD_LISTEN = ("127.0.0.1", 8520)

# The keys accel knows, in the order they are checked.
KEYS = (
    "slices",
    "workdirs",
    "target workdir",
    "method packages",
    "result directory",
    "input directory",
    "board listen",
    "executor",
    "cpus",
    "cpu slots",
    "dataset compression", "input files",
)
DATASET_COMPRESSIONS = ("zstd", "lz4", "none")
MAX_SLICES_ENV = "ACCEL_MAX_SLICES"


def max_slices() -> tuple[int, str]:
    """The most slices a project may have here, and why: $ACCEL_MAX_SLICES, else 8 per
    CPU and at least 64 (a job forks every slice at once: 100,000 slices would be as many
    processes)."""
    env = os.environ.get(MAX_SLICES_ENV)
    if env is not None:
        if not _INT_RE.match(env.strip()) or int(env) < 1:
            raise ConfigError(f"{MAX_SLICES_ENV}={env!r}: expected a whole number of at least 1")
        return int(env), f"{MAX_SLICES_ENV}"
    cpus = os.cpu_count() or 1
    return max(64, 8 * cpus), f"8 per CPU of this machine's {cpus}, and at least 64"
# Keys that an Accelerator conf has but accel has no use for (there is no server).
ACCELERATOR_ONLY_KEYS = frozenset({"urd", "listen", "interpreters", "import"})

_COMMENT_RE = re.compile(r"(?:^|\s)#")
_VAR_RE = re.compile(r"\$\{([^}]*)(\}?)")
_VAR_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WORKDIR_NAME_RE = re.compile(r"[A-Za-z0-9_]+\Z")
_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
_HOST_PORT_RE = re.compile(r"(\[[^\]\s]+\]|[^\s:\[\]/]+):([0-9]+)\Z")
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.-]*)://(.*)\Z")


@dataclass(frozen=True)
class ExecutorSpec:
    """Where job directories run: on this machine, or on a dask cluster."""

    kind: str  # 'local' or 'dask'
    address: str | None = None  # 'tcp://host:port' for dask
    scheduler_file: Path | None = None


@dataclass(frozen=True)
class Config:
    """A checked `accelerator.conf`: every path absolute, every default filled in."""

    path: Path  # absolute path of the conf file
    project_dir: Path  # its folder
    slices: int
    workdirs: dict[str, Path]  # name -> absolute path, in file order
    target_workdir: str
    method_packages: tuple[str, ...]  # absolute folder paths or dotted package names
    result_directory: Path
    input_directory: Path
    board_listen: tuple[str, int]
    executor: ExecutorSpec
    cpus: int = 0  # CPU budget of running jobs, shared by all builds on the machine
    cpu_slots: Path | None = None  # the slots file of that budget (None: the user's)
    dataset_compression: str | None = "zstd"  # new datasets' default; None: uncompressed
    track_input_files: bool = True  # `input files: untracked` is the Accelerator's way

    @property
    def urd_db(self) -> Path:
        """Where the project's urd lists are kept (made on first use)."""
        return self.project_dir / ".accel" / "urd.db"

    def activate(self) -> None:
        """Make job ids (`Job('dev-3')`) resolve in this project's workdirs."""
        layout.set_paths(layout.Paths(dict(self.workdirs), self.result_directory,
                                      self.input_directory, self.path))


def find_config(start: Path | None = None) -> Path:
    """The conf file to use: `$ACCEL_CONFIG`, else the nearest `accelerator.conf` upwards.

    Walking up lets `ax` be run from any folder inside a project, like git.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(os.path.abspath(os.path.expanduser(env)))
        if not path.is_file():
            what = "is a folder, not a config file" if path.is_dir() else "no such file"
            raise ConfigError(f"{ENV_VAR}={env}: {what}")
        return path
    here = Path(os.path.abspath(start if start is not None else os.getcwd()))
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {CONFIG_NAME} in {here} or any folder above it: not in a project "
        f"(make one with `ax init`, or give one with --config FILE or {ENV_VAR})"
    )


def load_config(path: Path | str | None = None) -> Config:
    """Read and check a conf file (found with `find_config` when no path is given)."""
    if path is None:
        path = find_config()
    path = Path(os.path.expanduser(os.fspath(path)))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file")
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it: {e.strerror or e}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        lineno = data[: e.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{lineno}: not UTF-8 text")
    return parse_config_text(text, path)


def parse_config_text(text: str, path: Path) -> Config:
    """Parse and check conf text; `path` names it in messages and anchors relative paths.

    Kept apart from file reading so the rules can be tested (and reused) without files,
    except where a rule is about the file system itself (workdir folders must exist).
    """
    path = Path(path)
    parser = _Parser(text, str(path))
    abs_path = Path(os.path.abspath(path))
    return parser.build(abs_path)


# --- the parser -------------------------------------------------------------------------


@dataclass
class _Entry:
    """One key as written: where it is, and each value with its line number."""

    key: str
    lineno: int
    values: list[tuple[int, str]]


class _Parser:
    """Splits the text into keys and values, then turns them into a Config.

    One object so every check can say `FILE:LINE:` the same way.
    """

    def __init__(self, text: str, fname: str) -> None:
        self.fname = fname
        self.entries: dict[str, _Entry] = {}
        lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        self.last_line = max(1, len(lines))
        self._split(lines)

    def error(self, lineno: int, problem: str) -> ConfigError:
        return ConfigError(f"{self.fname}:{lineno}: {problem}")

    # structure

    def _split(self, lines: list[str]) -> None:
        current: _Entry | None = None
        for lineno, raw in enumerate(lines, 1):
            line = _strip_comment(raw)
            if not line.strip():
                continue
            if line[0].isspace():
                if current is None:
                    raise self.error(lineno, "indented line with no key before it")
                current.values.append((lineno, self._substitute(line.strip(), lineno)))
                continue
            key, colon, value = line.partition(":")
            key = " ".join(key.split())
            if not colon:
                raise self.error(lineno, f"expected 'key: value', got {line.strip()!r}")
            if not key:
                raise self.error(lineno, "':' with no key before it")
            self._check_key(key, lineno)
            if key in self.entries:
                first = self.entries[key].lineno
                raise self.error(lineno, f"duplicate key {key!r} (first given on line {first})")
            current = _Entry(key, lineno, [])
            value = value.strip()
            if value:
                current.values.append((lineno, self._substitute(value, lineno)))
            self.entries[key] = current

    def _check_key(self, key: str, lineno: int) -> None:
        if key in KEYS:
            return
        if key in ACCELERATOR_ONLY_KEYS:
            raise self.error(
                lineno, f"{key!r} is an Accelerator setting that accel does not need; remove it"
            )
        import difflib

        close = difflib.get_close_matches(key.lower(), KEYS, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "known keys: " + ", ".join(KEYS)
        raise self.error(lineno, f"unknown key {key!r} ({hint})")

    def _substitute(self, value: str, lineno: int) -> str:
        def replace(m: re.Match[str]) -> str:
            inside, closed = m.group(1), m.group(2)
            if not closed:
                raise self.error(lineno, f"'${{' without a closing '}}' in {value!r}")
            name, eq, default = inside.partition("=")
            if not _VAR_NAME_RE.match(name):
                raise self.error(lineno, f"bad variable name {name!r} in {m.group(0)!r}")
            if name in os.environ:
                return os.environ[name]
            if eq:
                return default
            raise self.error(
                lineno,
                f"environment variable {name} is not set "
                f"(set it, or give a default: ${{{name}=DEFAULT}})",
            )

        return _VAR_RE.sub(replace, value).strip()

    # values

    def _one(self, entry: _Entry) -> tuple[int, str]:
        """The single value of a key that takes exactly one."""
        values = [(n, v) for n, v in entry.values if v]
        if not values:
            raise self.error(entry.lineno, f"{entry.key}: needs a value")
        if len(values) > 1:
            raise self.error(values[1][0], f"{entry.key}: takes one value, not several")
        return values[0]

    def _many(self, entry: _Entry, what: str) -> list[tuple[int, str]]:
        values = [(n, v) for n, v in entry.values if v]
        if not values:
            raise self.error(entry.lineno, f"{entry.key}: needs a value; give {what}")
        return values

    def build(self, abs_path: Path) -> Config:
        project_dir = abs_path.parent
        get = self.entries.get

        slices = self._slices(get("slices"))
        if "workdirs" not in self.entries:
            raise self.error(self.last_line, "workdirs: required, give one NAME PATH per line")
        workdirs = self._workdirs(self.entries["workdirs"], project_dir)
        target = self._target(get("target workdir"), workdirs)
        packages = self._method_packages(get("method packages"), project_dir)

        result_directory = project_dir / "results"
        if entry := get("result directory"):
            _, value = self._one(entry)
            result_directory = _path(value, project_dir)

        input_directory = project_dir
        if entry := get("input directory"):
            lineno, value = self._one(entry)
            input_directory = _path(value, project_dir)
            self._need_folder(lineno, "input directory", input_directory)

        compression = self._choice(get("dataset compression"), DATASET_COMPRESSIONS)
        return Config(
            path=abs_path,
            project_dir=project_dir,
            slices=slices,
            workdirs=workdirs,
            target_workdir=target,
            method_packages=packages,
            result_directory=result_directory,
            input_directory=input_directory,
            board_listen=self._board_listen(get("board listen")),
            executor=self._executor(get("executor"), project_dir),
            cpus=self._cpus(get("cpus")),
            cpu_slots=self._cpu_slots(get("cpu slots"), project_dir),
            dataset_compression=None if compression == "none" else compression,
            track_input_files=self._choice(get("input files"), ("tracked", "untracked")) == "tracked",
        )

    def _choice(self, entry: _Entry | None, choices: tuple[str, ...]) -> str:
        """The value of a key that takes one of `choices`; the first when not given."""
        if entry is None:
            return choices[0]
        lineno, value = self._one(entry)
        if value not in choices:
            raise self.error(lineno, f"{entry.key}: expected {', '.join(choices[:-1])} or "
                                     f"{choices[-1]}, got {value!r}")
        return value

    def _need_folder(self, lineno: int, what: str, folder: Path) -> None:
        if not folder.exists():
            raise self.error(lineno, f"{what}: folder {folder} does not exist")
        if not folder.is_dir():
            raise self.error(lineno, f"{what}: {folder} is not a folder")

    def _cpus(self, entry: _Entry | None) -> int:
        if entry is None:
            return os.cpu_count() or 1
        lineno, value = self._one(entry)
        if not _INT_RE.match(value) or int(value) < 1:
            raise self.error(lineno, f"cpus: expected a whole number of at least 1, got {value!r}")
        return int(value)

    def _cpu_slots(self, entry: _Entry | None, project_dir: Path) -> Path | None:
        if entry is None:
            return None
        lineno, value = self._one(entry)
        path = _path(value, project_dir)
        if path.is_dir():
            raise self.error(lineno, f"cpu slots: {path} is a folder; expected the path of "
                                     "a file (made if missing)")
        return path

    def _slices(self, entry: _Entry | None) -> int:
        if entry is None:
            return os.cpu_count() or 1
        lineno, value = self._one(entry)
        if not _INT_RE.match(value):
            raise self.error(lineno, f"slices: expected a whole number, got {value!r}")
        slices = int(value)
        if slices < 1:
            raise self.error(lineno, f"slices: must be at least 1, got {slices}")
        limit, why = max_slices()
        if slices > limit:
            raise self.error(lineno, f"slices: {slices} is more than {limit} ({why}): every "
                                     f"slice is a process of its own; set {MAX_SLICES_ENV}="
                                     f"{slices} to allow it")
        return slices

    def _workdirs(self, entry: _Entry, project_dir: Path) -> dict[str, Path]:
        workdirs: dict[str, Path] = {}
        seen_names: dict[str, int] = {}
        seen_folders: dict[str, tuple[str, int]] = {}
        for lineno, value in self._many(entry, "one NAME PATH per line"):
            parts = value.split(None, 1)
            name = parts[0]
            if not _WORKDIR_NAME_RE.match(name):
                raise self.error(
                    lineno,
                    f"workdirs: bad name {name!r} (use letters, digits and '_'; "
                    "give one NAME PATH per line)",
                )
            if len(parts) < 2:
                raise self.error(lineno, f"workdir {name!r}: no PATH (give NAME PATH)")
            if name in seen_names:
                raise self.error(
                    lineno, f"workdir {name!r} given twice (first on line {seen_names[name]})"
                )
            folder = _path(parts[1], project_dir)
            self._need_folder(lineno, f"workdir {name!r}", folder)
            real = os.path.realpath(folder)
            if real in seen_folders:
                other, other_line = seen_folders[real]
                raise self.error(
                    lineno,
                    f"workdir {name!r}: folder {folder} is already workdir {other!r} "
                    f"(line {other_line})",
                )
            seen_names[name] = lineno
            seen_folders[real] = (name, lineno)
            workdirs[name] = folder
        return workdirs

    def _target(self, entry: _Entry | None, workdirs: dict[str, Path]) -> str:
        if entry is None:
            return next(iter(workdirs))
        lineno, value = self._one(entry)
        if value not in workdirs:
            raise self.error(
                lineno,
                f"target workdir: {value!r} is not one of the workdirs "
                f"(have: {', '.join(workdirs)})",
            )
        return value

    def _method_packages(self, entry: _Entry | None, project_dir: Path) -> tuple[str, ...]:
        if entry is None:
            return ()
        packages: list[str] = []
        seen: dict[str, int] = {}
        for lineno, value in self._many(entry, "one folder or package name per line"):
            package = self._method_package(lineno, value, project_dir)
            if package in seen:
                raise self.error(
                    lineno, f"method package {value!r} already listed on line {seen[package]}"
                )
            seen[package] = lineno
            packages.append(package)
        return tuple(packages)

    def _method_package(self, lineno: int, value: str, project_dir: Path) -> str:
        words = value.split()
        if len(words) == 2 and words[1] == "auto-discover":
            # Accelerator confs say "dev auto-discover"; accel always discovers a_*.py.
            value = words[0]
        folder = _path(value, project_dir)
        if folder.is_dir():
            return str(folder)
        if "/" in value or value.startswith((".", "~")):
            if folder.exists():
                raise self.error(lineno, f"method package {value!r}: {folder} is not a folder")
            raise self.error(lineno, f"method package {value!r}: folder {folder} does not exist")
        if len(value.split()) > 1:
            raise self.error(
                lineno, f"method package {value!r}: give one folder or package per line"
            )
        if value.split(".")[0] == "accelerator":
            raise self.error(
                lineno,
                f"method package {value!r} is an Accelerator package; accel's standard "
                "methods are always available, remove it",
            )
        if not all(part.isidentifier() for part in value.split(".")):
            raise self.error(
                lineno,
                f"method package {value!r}: no folder {folder} and not a package name",
            )
        problem = _import_problem(value, project_dir)
        if problem:
            raise self.error(lineno, f"method package {value!r}: {problem}")
        return value

    def _board_listen(self, entry: _Entry | None) -> tuple[str, int]:
        if entry is None:
            return DEFAULT_BOARD_LISTEN
        lineno, value = self._one(entry)
        host_port = _host_port(value)
        if host_port is None:
            raise self.error(
                lineno, f"board listen: expected HOST:PORT (port 1-65535), got {value!r}"
            )
        host, port = host_port
        return host.strip("[]"), port

    def _executor(self, entry: _Entry | None, project_dir: Path) -> ExecutorSpec:
        if entry is None:
            return ExecutorSpec("local")
        lineno, value = self._one(entry)
        spec = _executor_spec(value, project_dir)
        if isinstance(spec, str):
            raise self.error(lineno, f"executor: {spec}")
        return spec


def parse_executor(text: str, base: Path | str | None = None) -> ExecutorSpec:
    """An `executor` value as the conf key takes it (for `ax run --executor TEXT`):
    'local', 'dask ADDRESS' or 'dask scheduler-file PATH'. A relative PATH is taken from
    `base` (default: the current folder). A bad value is a UserError saying what is wrong,
    in the words the conf key uses."""
    value = str(text).strip()
    if not value:
        raise UserError("executor: needs a value: 'local', 'dask ADDRESS' or "
                        "'dask scheduler-file PATH'")
    spec = _executor_spec(value, Path(os.path.abspath(base if base is not None else os.getcwd())))
    if isinstance(spec, str):
        raise UserError(f"executor: {spec}")
    return spec


def _executor_spec(value: str, project_dir: Path) -> ExecutorSpec | str:
    """The ExecutorSpec `value` names, or what is wrong with it."""
    words = value.split(None, 2)
    if words == ["local"]:
        return ExecutorSpec("local")
    if words[0] != "dask":
        return f"expected 'local', 'dask ADDRESS' or 'dask scheduler-file PATH', got {value!r}"
    if len(words) == 1:
        return "dask needs an ADDRESS or scheduler-file PATH"
    if words[1] == "scheduler-file":
        if len(words) < 3:
            return "dask scheduler-file needs a PATH"
        # Not checked for existence: the scheduler writes it when it starts.
        return ExecutorSpec("dask", scheduler_file=_path(words[2], project_dir))
    address = value.split(None, 1)[1]
    normalised = _dask_address(address)
    if normalised is None:
        return f"bad dask address {address!r} (expected tcp://HOST:PORT)"
    return ExecutorSpec("dask", address=normalised)


# --- small pure helpers ---------------------------------------------------------------


def _strip_comment(line: str) -> str:
    """Cut a comment: '#' at line start or after whitespace (so 'a#b' is kept whole)."""
    m = _COMMENT_RE.search(line)
    return line[: m.start()] if m else line


def _path(value: str, project_dir: Path) -> Path:
    """An absolute, normalised path; relative ones are taken from the project folder."""
    return Path(os.path.normpath(os.path.join(project_dir, os.path.expanduser(value))))


def _host_port(value: str) -> tuple[str, int] | None:
    m = _HOST_PORT_RE.match(value)
    if not m:
        return None
    port = int(m.group(2))
    if not 1 <= port <= 65535:
        return None
    return m.group(1), port


def _dask_address(address: str) -> str | None:
    """`SCHEME://HOST:PORT` as given, or `HOST:PORT` made `tcp://HOST:PORT`; None if bad."""
    scheme = "tcp"
    m = _SCHEME_RE.match(address)
    if m:
        scheme, address = m.groups()
    if _host_port(address) is None:
        return None
    return f"{scheme}://{address}"


def _import_problem(name: str, project_dir: Path) -> str | None:
    """Why `name` cannot be imported as a package (None when it can).

    The project folder is put on sys.path for the look-up, as it is when methods run, so a
    package beside the conf file counts as importable.
    """
    import importlib.util
    import sys

    folder = str(project_dir)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        spec = importlib.util.find_spec(name)
    except Exception as e:  # a parent package that fails to import, among others
        return f"cannot look it up: {type(e).__name__}: {e}"
    finally:
        if added:
            try:
                sys.path.remove(folder)
            except ValueError:
                pass
    if spec is None:
        return f"no folder {project_dir / name} and no importable package of that name"
    if spec.submodule_search_locations is None:
        return "is a module, not a package (method packages are folders of a_*.py files)"
    return None
