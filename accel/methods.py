"""Finding method files in method packages and loading their declarations.

A method package is a folder (or an importable package) holding `a_NAME.py` files. The
folder is imported as a package, so a method can say `from . import helper`, and the
folder itself and the project folder are put on sys.path, so `import helper` and
`import mylib` work as well.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accel.errors import MethodError
from accel.layout import METHOD_NAMES, is_method_name

STANDARD_PACKAGE = "accel.standard_methods"
PARTS = ("prepare", "analysis", "synthesis")
# what a method module declares at module level; `options`, `datasets` and `jobs` are
# also the names the runner gives the values of the running job
DECLARATIONS = ("description", "options", "datasets", "jobs", "depend_extra",
                "equivalent_hashes")
_DECLARED = "__accel_declared__"  # the module's own declarations, as its source made them
SHA = "__accel_sha__"  # a loaded module's: the sha256 of the very source it ran


def declarations(module: types.ModuleType) -> dict[str, Any]:
    """The method's declarations as its module made them, kept aside the first time they
    are asked for (when it is loaded): the runner then replaces the module's `options`,
    `datasets` and `jobs` with the running job's values, and a subjob of the same method
    built in that job must still read the declarations, not those values."""
    kept = module.__dict__.get(_DECLARED)
    if kept is None:
        kept = {name: module.__dict__[name] for name in DECLARATIONS if name in module.__dict__}
        setattr(module, _DECLARED, kept)
    return kept


@dataclass
class MethodInfo:
    """One method: where it is and what it declares."""

    name: str
    file: Path
    package: str
    module: types.ModuleType = field(repr=False)

    @property
    def modname(self) -> str:
        return f"{self.package}.a_{self.name}"

    def decl(self, attr: str, default: Any = None) -> Any:
        return declarations(self.module).get(attr, default)

    @property
    def description(self) -> str:
        return (self.decl("description") or "").strip()

    @property
    def options(self) -> dict:
        return self.decl("options") or {}

    @property
    def datasets(self) -> tuple:
        return _names(self.decl("datasets"))

    @property
    def jobs(self) -> tuple:
        return _names(self.decl("jobs"))

    @property
    def depend_extra(self) -> tuple:
        return tuple(self.decl("depend_extra") or ())

    @property
    def equivalent_hashes(self) -> dict:
        return self.decl("equivalent_hashes") or {}

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(p for p in PARTS if callable(getattr(self.module, p, None)))


def _names(decl: Any) -> tuple:
    if decl is None:
        return ()
    if isinstance(decl, (str, list)):
        decl = (decl,)
    return tuple(decl)


def input_name(entry: Any) -> tuple[str, bool]:
    """('source', False) for 'source', ('sources', True) for ['sources']."""
    if isinstance(entry, (list, tuple)):
        return str(entry[0]), True
    return str(entry), False


class MethodRegistry:
    """The methods of a project: names found by listing folders, modules loaded on demand."""

    def __init__(self, method_packages: list[str] | tuple[str, ...], project_dir: Path):
        self.project_dir = Path(project_dir)
        self.packages: list[tuple[str, Path]] = []  # (package name, folder)
        self._files: dict[str, tuple[str, Path]] | None = None
        self._loaded: dict[str, MethodInfo] = {}
        _add_sys_path(self.project_dir)
        run_from_source([self.project_dir])
        for entry in (*method_packages, STANDARD_PACKAGE):
            self.packages.append(_import_package(entry))
        run_from_source(d for _, d in self.packages)  # (accel's own are left alone)

    @property
    def package_dirs(self) -> list[Path]:
        return [d for _, d in self.packages]

    def names(self) -> dict[str, tuple[str, Path]]:
        """method name -> (package, file); a name in two packages is an error naming both."""
        if self._files is None:
            found: dict[str, tuple[str, Path]] = {}
            for pkg, folder in self.packages:
                try:
                    entries = sorted(os.listdir(folder))
                except FileNotFoundError:
                    raise MethodError(f"method package {pkg!r}: folder {folder} does not exist")
                for fn in entries:
                    if fn.startswith("a_") and fn.endswith(".py"):
                        name = fn[2:-3]
                        if name in found:
                            raise MethodError(
                                f"method {name!r} is defined twice: {found[name][1]} and {folder / fn}"
                            )
                        found[name] = (pkg, folder / fn)
            self._files = found
        return self._files

    def get(self, name: str) -> MethodInfo:
        info = self._loaded.get(name)
        if info is not None:
            return info
        names = self.names()
        if name not in names:
            close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.6)
            hint = f" (did you mean: {', '.join(close)}?)" if close else ""
            where = ", ".join(str(d) for d in self.package_dirs[:-1]) or "no method packages"
            raise MethodError(f"unknown method {name!r}{hint}; methods are looked for in {where}")
        pkg, file = names[name]
        if not is_method_name(name):
            raise MethodError(f"method file {file}: {name!r} is not a method name ({METHOD_NAMES})")
        module = load_module(f"{pkg}.a_{name}", file, f"method {name!r}")
        declarations(module)  # before a runner in this process gives it values
        info = MethodInfo(name, file, pkg, module)
        if not info.parts:
            raise MethodError(f"method {name!r} ({file}) has none of prepare, analysis, synthesis")
        self._loaded[name] = info
        return info

    def reload(self, name: str, modules: Iterable[str] = ()) -> MethodInfo:
        """The method loaded anew from its file, and the project `modules` it imports
        imported anew when it imports them: their files changed since they were loaded."""
        info = self._loaded.pop(name, None)
        for modname in {*modules, *([info.modname] if info else [])}:
            forget_module(modname)
        return self.get(name)

    def build_script(self, name: str | None) -> tuple[Path, str]:
        """(file, module name) of build.py, build_NAME.py, or a build script path."""
        if name is None:
            path = self.project_dir / "build.py"
            if not path.exists():
                raise MethodError(f"no build.py in {self.project_dir} (or give a NAME or FILE)")
            return path, "__accel_build__"
        if name.endswith(".py") or os.sep in name:
            path = Path(name).resolve()
            if not path.exists():
                raise MethodError(f"build script {name} does not exist")
            return path, "__accel_build__"
        fn = f"build_{name}.py"
        if (self.project_dir / fn).exists():
            return self.project_dir / fn, "__accel_build__"
        for pkg, folder in self.packages:
            if (folder / fn).exists():
                return folder / fn, f"{pkg}.build_{name}"
        known = sorted(self.build_scripts())
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        raise MethodError(
            f"no build script {fn!r} in {self.project_dir} or the method packages{hint}"
        )

    def build_scripts(self) -> list[str]:
        names = []
        for folder in [self.project_dir, *self.package_dirs]:
            try:
                names += [f[6:-3] for f in os.listdir(folder) if f.startswith("build_") and f.endswith(".py")]
            except FileNotFoundError:
                pass
        return names


def _add_sys_path(folder: Path) -> None:
    s = str(folder)
    if s not in sys.path:
        sys.path.insert(0, s)


def _import_package(entry: str) -> tuple[str, Path]:
    """Import a method package given as a folder or a dotted name; return (name, folder)."""
    if os.sep in entry or entry.startswith("."):
        folder = Path(entry).resolve()
        name = folder.name
        if not name.isidentifier():
            raise MethodError(f"method package folder {folder}: {name!r} is not a valid package name")
        existing = sys.modules.get(name)
        if existing is not None:
            paths = [str(Path(p).resolve()) for p in getattr(existing, "__path__", ())]
            if str(folder) not in paths:
                raise MethodError(
                    f"method package folder {folder}: the name {name!r} is already taken by "
                    f"the module {getattr(existing, '__file__', None) or existing!r}; rename the folder"
                )
        else:
            init = folder / "__init__.py"
            if init.exists():
                load_module(name, init, f"method package {name!r}", package_dir=folder)
            else:
                mod = types.ModuleType(name)
                mod.__path__ = [str(folder)]
                mod.__file__ = None
                sys.modules[name] = mod
        _add_sys_path(folder)
        return name, folder
    try:
        mod = importlib.import_module(entry)
    except Exception as e:
        raise MethodError(f"method package {entry!r} cannot be imported: {type(e).__name__}: {e}")
    if not hasattr(mod, "__path__"):
        raise MethodError(f"method package {entry!r} is a module, not a package")
    folder = Path(list(mod.__path__)[0]).resolve()
    _add_sys_path(folder)
    return entry, folder


def forget_module(modname: str) -> None:
    """Take a module out of sys.modules and its package, so the next import loads it anew
    (`from . import helper` takes the package's attribute when there is one)."""
    sys.modules.pop(modname, None)
    parent, _, child = modname.rpartition(".")
    package = sys.modules.get(parent) if parent else None
    if package is not None and package.__dict__.get(child) is not None:
        delattr(package, child)


class _SourceLoader(importlib.machinery.SourceFileLoader):
    """Runs the very bytes it reads, never a cached .pyc: one of the old source looks
    current to Python when an edit keeps the file's size and its mtime's second, and a
    job made for the new source would run the old."""

    def get_code(self, fullname: str) -> types.CodeType:
        return self.source_to_code(self.get_data(self.path), self.path)


class _HashedLoader(_SourceLoader):
    """... and says which: the module's SHA is the sha256 of the source it ran."""

    sha: str | None = None

    def get_code(self, fullname: str) -> types.CodeType:
        data = self.get_data(self.path)
        self.sha = hashlib.sha256(data).hexdigest()
        return self.source_to_code(data, self.path)


_PROJECT_ROOTS: list[str] = []  # real paths of the folders whose modules are a project's
_ACCEL_DIR = os.path.realpath(Path(__file__).parent)


def _is_project_folder(path: str) -> bool:
    """A project's root folder, or a package folder beneath one (every step a Python name:
    not a virtualenv's site-packages in the project folder, whose modules are not the
    project's source)."""
    real = os.path.realpath(path or ".")
    if real == _ACCEL_DIR or real.startswith(_ACCEL_DIR + os.sep):
        return False  # accel itself, where a project holds it (its own repository does)
    for root in _PROJECT_ROOTS:
        if real == root or (real.startswith(root + os.sep) and all(
                part.isidentifier() for part in real[len(root) + 1:].split(os.sep))):
            return True
    return False


def _project_path_hook(path: str) -> importlib.machinery.FileFinder:
    """The finder of a project folder: its modules run from their source, as methods do."""
    if not _is_project_folder(path):
        raise ImportError("not a project folder")  # the next hook's, then
    m = importlib.machinery
    return m.FileFinder(path, (m.ExtensionFileLoader, m.EXTENSION_SUFFIXES),
                        (_SourceLoader, m.SOURCE_SUFFIXES),
                        (m.SourcelessFileLoader, m.BYTECODE_SUFFIXES))


def run_from_source(folders: Iterable[Path]) -> None:
    """Import the modules of `folders` (and of the packages beneath them) from their
    source from now on, whatever .pyc files lie beside them: a project's helper modules
    are part of its jobs' identity by their source, as its method files are."""
    for folder in folders:
        real = os.path.realpath(folder)
        if real not in _PROJECT_ROOTS:
            _PROJECT_ROOTS.append(real)
    if _project_path_hook not in sys.path_hooks:
        sys.path_hooks.insert(0, _project_path_hook)
    for cached in [p for p in sys.path_importer_cache if _is_project_folder(p)]:
        del sys.path_importer_cache[cached]  # a finder made before this one was asked


def load_module(modname: str, file: Path, what: str, package_dir: Path | None = None) -> types.ModuleType:
    """Import `file` as `modname`; a syntax or import error becomes one MethodError line."""
    mod = sys.modules.get(modname)
    if mod is not None and getattr(mod, "__file__", None) == str(file):
        return mod
    loader = _HashedLoader(modname, str(file))
    spec = importlib.util.spec_from_file_location(
        modname, file, loader=loader,
        submodule_search_locations=[str(package_dir)] if package_dir else None
    )
    assert spec
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        loader.exec_module(module)
        setattr(module, SHA, loader.sha)
    except SyntaxError as e:
        del sys.modules[modname]
        raise MethodError(f"{e.filename or file}:{e.lineno}: {what}: syntax error: {e.msg}")
    except (Exception, SystemExit) as e:
        del sys.modules[modname]
        line = _line_in(e, file)
        raise MethodError(f"{file}{line}: {what} failed to import: {type(e).__name__}: {e}")
    return module


def _line_in(exc: BaseException, file: Path) -> str:
    tb = exc.__traceback__
    line = ""
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(file):
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line
