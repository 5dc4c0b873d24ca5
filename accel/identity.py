"""What a job's result depends on, hashed: the method's source identity and the job identity.

A job must be rebuilt when any code that shapes its result changes. The Accelerator hashed
only the method file, so editing a helper module gave stale results. Here the source hash
covers the method file, its ``depend_extra`` files and modules, and every *project* module
they import, transitively. Imports are found statically (``ast``), so nothing is executed
to compute a hash, and third-party or stdlib modules never count: only files under one of
the hasher's roots (the project folder and the method package folders) do. Nor does accel
itself, wherever it is installed; its standard methods are named the same either way.

``urd.build`` asks for this on every call, so it is cached at three levels:

* per file, keyed on ``os.stat`` (mtime, size, inode, ctime): content sha256 and the
  parsed import statements, so an unchanged file is never read twice;
* per folder the import lookup listed, keyed the same way: its entries, so a module
  created, deleted or renamed where an import looks for it is noticed;
* per method, the finished closure with the stat keys of all its files and folders, so a
  repeat call with nothing changed is one ``os.stat`` per file and folder: no reading,
  no parsing, no hashing.

Timestamps are coarse (a clock tick; whole seconds on some filesystems), so a file
rewritten with the same size within one tick keeps its mtime. Like git's "racily clean"
rule, an entry whose mtime is too recent to be trusted is not trusted: it is re-read on
the next call until it is old enough.
"""

from __future__ import annotations

import ast
import errno
import hashlib
import os
import time
import types
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SourceHasher", "SourceInfo", "job_identity"]

# An mtime within this much of "now" may still be shared by a later write (same clock
# tick), so its cache entry is re-checked by content. Whole-second mtimes suggest a
# filesystem with 1-2 s granularity (FAT, HFS+, some network filesystems).
_FINE_WINDOW_NS = 100_000_000
_COARSE_WINDOW_NS = 2_000_000_000

_SOURCE_VERSION = b"accel-source-v1\0"
_JOB_VERSION = b"accel-job-v1\0"
_CHUNK = 1 << 20

# The accel package: framework code, never a project's source (as a third-party package
# is not), even when it is installed inside the project folder (`pip install -e .` in
# accel's own repository); else a job's identity would depend on where accel lies.
ACCEL_DIR = os.path.dirname(os.path.realpath(__file__))

_StatKey = tuple[int, int, int, int]
# An import statement: (relative level, dotted module, imported names).
_Spec = tuple[int, str, tuple[str, ...]]


@dataclass(frozen=True)
class SourceInfo:
    """The source identity of a method, with the per-file breakdown `ax why` can compare.

    ``files`` maps a relative name to that file's sha256. Names are POSIX paths relative
    to the outermost root containing the file, so moving or renaming the project folder
    keeps them. Files under a root other than the first (the project) and not inside it
    are named ``ROOTNAME:rel/path``, and so are the files of a root inside the accel
    package (the standard methods: ``standard_methods:_dsio.py``) wherever accel is
    installed; explicit ``depend_extra`` entries outside every root are named
    ``<extra>/path-relative-to-the-method-folder`` or ``<module>/dotted.name``.
    ``hash`` is the sha256 of the sorted (name, sha) pairs. A cache hit returns the same
    object again, so treat ``files`` as read-only.
    """

    hash: str
    files: dict[str, str]


def combine(files: dict[str, str]) -> str:
    """The source hash of a set of files: sha256 over the sorted, length-prefixed
    (name, file sha) pairs."""
    h = hashlib.sha256(_SOURCE_VERSION)
    for name, sha in sorted(files.items()):
        data = name.encode("utf-8", "surrogateescape")
        h.update(len(data).to_bytes(4, "big"))
        h.update(data)
        h.update(sha.encode("ascii"))
    return h.hexdigest()


def job_identity(
    method: str,
    source_hash: str,
    slices: int,
    options_canonical: str,
    datasets_canonical: str,
    jobs_canonical: str,
    input_files_canonical: str | None = None,
) -> str:
    """Return the identity of a job: the first 32 hex digits (128 bits) of a sha256.

    Each field is length-prefixed, so no two different field tuples hash the same bytes
    (``("ab", "c")`` and ``("a", "bc")`` differ). 128 bits keeps ids short while leaving
    accidental collisions out of reach. The input files' fingerprints are a field only
    when the job has some, so a job without any keeps the identity it always had.
    """
    if isinstance(slices, bool) or not isinstance(slices, int):
        raise TypeError(f"slices must be an int, not {type(slices).__name__}")
    fields: tuple = (method, source_hash, str(slices), options_canonical, datasets_canonical,
                     jobs_canonical)
    if input_files_canonical is not None:
        fields += (input_files_canonical,)
    h = hashlib.sha256(_JOB_VERSION)
    for field in fields:
        if not isinstance(field, str):
            raise TypeError(f"job identity fields must be str, not {type(field).__name__}")
        data = field.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()[:32]


def _stat_key(st: os.stat_result) -> _StatKey:
    # ctime too: it catches a rewrite that restores the old mtime (cp -p, touch -r).
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def is_racy(mtime_ns: int, now_ns: int) -> bool:
    """True when a later write could still leave this same mtime behind."""
    coarse = mtime_ns % 1_000_000_000 == 0
    return mtime_ns >= now_ns - (_COARSE_WINDOW_NS if coarse else _FINE_WINDOW_NS)


def _read_and_hash(path: str, want_text: bool) -> tuple[str, bytes | None]:
    """Return (sha256 hex, content when ``want_text``); big data files are streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        if want_text:
            data = fh.read()
            h.update(data)
            return h.hexdigest(), data
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest(), None


def _parse_imports(source: bytes) -> tuple[_Spec, ...]:
    """Every import in the file, wherever it is (functions, try blocks, if blocks).

    A file that does not parse yields none: loading the method reports that error.
    Literal ``importlib.import_module("x")`` / ``__import__("x")`` calls count too.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for "\d" in a string
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    specs: dict[_Spec, None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                specs[(0, alias.name, ())] = None
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            specs[(node.level or 0, node.module or "", names)] = None
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            fname = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else None)
            arg = node.args[0]
            if (fname in ("import_module", "__import__") and isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str) and arg.value
                    and not arg.value.startswith(".")):
                specs[(0, arg.value, ())] = None
    return tuple(specs)


class _FileEntry:
    __slots__ = ("key", "sha", "specs", "racy")

    def __init__(self, key: _StatKey, sha: str, specs: tuple[_Spec, ...], racy: bool) -> None:
        self.key = key
        self.sha = sha
        self.specs = specs
        self.racy = racy


class _DirEntry:
    __slots__ = ("key", "racy", "entries", "links")

    def __init__(self, key: _StatKey, racy: bool, entries: dict[str, bool],
                 links: frozenset[str]) -> None:
        self.key = key
        self.racy = racy
        self.entries = entries  # name -> is a directory (only files and directories)
        self.links = links      # names that are symlinks


_NO_DIR = _DirEntry((0, 0, 0, 0), False, {}, frozenset())


class _Closure:
    __slots__ = ("checks", "info", "racy")

    def __init__(self, checks: tuple[tuple[str, _StatKey | None], ...], info: SourceInfo,
                 racy: bool) -> None:
        self.checks = checks  # (path, stat key or None for "did not exist")
        self.info = info
        self.racy = racy


class _Walk:
    """State of one uncached computation: its clock and the folders it listed."""

    __slots__ = ("now", "files", "dirs", "racy", "abs_dirs")

    def __init__(self) -> None:
        self.now = time.time_ns()
        self.files: dict[str, _FileEntry] = {}
        self.dirs: dict[str, _DirEntry | None] = {}
        self.racy = False
        self.abs_dirs: list[str] | None = None


class SourceHasher:
    """Computes `SourceInfo` for method files, caching by stat so repeats are cheap.

    ``roots`` are the folders whose modules are "the project": the project folder first,
    then every method package folder. Files outside all roots (stdlib, site-packages)
    never count, even when an import finds them, and neither do the files of the
    ``framework`` folder (the accel package) but for a root inside it (the standard
    methods). One instance per configuration; safe to share between threads (a race
    costs only repeated work).
    """

    def __init__(self, roots: Sequence[Path], framework: str | os.PathLike = ACCEL_DIR) -> None:
        real: list[str] = []
        for root in roots:
            r = os.path.realpath(os.fspath(root))
            if r not in real:
                real.append(r)
        self._roots = real
        fw = os.path.realpath(os.fspath(framework))
        self._fw = _with_sep(fw)
        # Name files relative to the outermost root that contains them; a root inside the
        # framework by itself, so its names do not depend on where the framework lies.
        pinned = [r for r in real if _inside(r, fw)]
        rest = [r for r in real if r not in pinned]
        tops = [r for r in rest if not any(o != r and _inside(r, o) for o in rest)]
        primary = next((t for t in tops if _inside(real[0], t)), None) if real else None
        # (folder + sep, name prefix or None: not the project's); the first match names a file
        self._tops: list[tuple[str, str | None]] = []
        used: set[str] = set()
        for i, top in [*((-1, r) for r in pinned), *enumerate(tops)]:
            prefix = "" if top == primary else f"{os.path.basename(top) or 'root'}:"
            if prefix in used:
                prefix = f"{prefix[:-1]}#{i}:"
            used.add(prefix)
            self._tops.append((_with_sep(top), prefix))
        self._tops.insert(len(pinned), (_with_sep(fw), None))
        self._files: dict[str, _FileEntry] = {}
        self._dirs: dict[str, _DirEntry] = {}
        self._closures: dict[object, _Closure] = {}

    # ---- public -------------------------------------------------------------------------

    def source_info(
        self,
        method_file: Path,
        extra_files: Sequence[Path] = (),
        extra_modules: Sequence[types.ModuleType | str] = (),
    ) -> SourceInfo:
        """Return the source identity of a method; cheap when nothing changed since last time.

        ``extra_files`` (relative to the method's folder unless absolute) are hashed as
        bytes, and followed like modules when they are ``.py``. ``extra_modules`` are
        module objects or dotted names (looked up like an import in the method file);
        their file is hashed and their project imports followed. Raises FileNotFoundError
        for a missing method or depend_extra file, ModuleNotFoundError for a depend_extra
        module that is not a file (builtin, namespace package, or a name not found in the
        project).
        """
        mfile = os.fspath(method_file)
        if not os.path.isabs(mfile):
            mfile = os.path.abspath(mfile)
        ckey = (mfile, tuple(map(os.fspath, extra_files)) if extra_files else (),
                tuple(map(_module_key, extra_modules)) if extra_modules else ())
        closure = self._closures.get(ckey)
        if closure is not None and not closure.racy and _unchanged(closure.checks):
            return closure.info
        closure = self._compute(mfile, ckey[1], extra_modules)
        self._closures[ckey] = closure
        return closure.info

    def file_sha(self, path: Path) -> str:
        """Return the sha256 hex of a file's content, cached on its stat."""
        return self._file(_Walk(), os.path.realpath(os.fspath(path))).sha

    # ---- the closure ------------------------------------------------------------------

    def _compute(self, mfile: str, extra_files: tuple[str, ...],
                 extra_modules: Sequence[types.ModuleType | str]) -> _Closure:
        walk = _Walk()
        checks: dict[str, _StatKey | None] = {}
        names: dict[str, str] = {}  # real path -> name in SourceInfo.files
        todo: list[str] = []

        def add_entry(given: str, fallback: str) -> None:
            real = os.path.realpath(given)
            entry = self._file(walk, real)  # raises for a missing entry point
            checks[given] = entry.key  # a retargeted symlink changes the stat of `given`
            if real not in names:
                names[real] = self._name(real) or fallback
                todo.append(real)

        add_entry(mfile, _method_fallback(mfile))
        method_dir = os.path.dirname(mfile)
        for extra in extra_files:
            path = os.path.normpath(os.path.join(method_dir, extra))
            if not os.path.isfile(path):
                raise FileNotFoundError(errno.ENOENT, "depend_extra file not found", path)
            rel = os.path.relpath(path, method_dir).replace(os.sep, "/")
            add_entry(path, f"<extra>/{rel}")
        for mod in extra_modules:
            for path, fallback in self._module_files(walk, mod, mfile):
                add_entry(path, fallback)

        while todo:
            real = todo.pop()
            try:
                entry = self._file(walk, real)
            except OSError:  # vanished or unreadable import: Python could not import it either
                names.pop(real, None)
                continue
            checks[real] = entry.key
            folder = os.path.dirname(real)
            for spec in entry.specs:
                for found in self._resolve(walk, spec, folder):
                    if not self._counts_for(real, found):
                        continue
                    if found not in names:
                        name = self._name(found)
                        if name is not None:
                            names[found] = name
                            todo.append(found)

        files = dict(sorted((names[p], walk.files[p].sha) for p in names))
        info = SourceInfo(hash=combine(files), files=files)
        for folder, d in walk.dirs.items():
            checks[folder] = None if d is None else d.key
        return _Closure(tuple(checks.items()), info, walk.racy)

    def _module_files(self, walk: _Walk, mod: types.ModuleType | str,
                      mfile: str) -> list[tuple[str, str]]:
        """The file(s) behind a depend_extra module, with their names for outside roots."""
        if isinstance(mod, str):
            level = len(mod) - len(mod.lstrip("."))
            real = os.path.realpath(mfile)
            found = [p for p in self._resolve(walk, (level, mod[level:], ()),
                                              os.path.dirname(real))
                     if self._name(p) is not None and self._counts_for(real, p)]
            if not found:
                raise ModuleNotFoundError(
                    f"depend_extra module {mod!r} not found in the project", name=mod)
            return [(p, "") for p in found]
        path = getattr(mod, "__file__", None)
        if not path:
            raise ModuleNotFoundError(
                f"depend_extra module {mod.__name__!r} has no file to hash", name=mod.__name__)
        return [(os.path.abspath(path), f"<module>/{mod.__name__}")]

    def _counts_for(self, importer: str, found: str) -> bool:
        """Whether `found`, imported by `importer`, can be its source: accel's own files
        count only for accel's own (the standard methods); project code that imports
        accel finds its files only when accel lies in the project folder, so they never
        count for it (nor are followed)."""
        return importer.startswith(self._fw) or not found.startswith(self._fw)

    # ---- cached files and folders -------------------------------------------------------

    def _file(self, walk: _Walk, real: str) -> _FileEntry:
        entry = walk.files.get(real)
        if entry is not None:
            return entry
        st = os.stat(real)
        key = _stat_key(st)
        old = self._files.get(real)
        if old is not None and old.key == key and not old.racy:
            walk.files[real] = old
            return old
        is_py = real.endswith(".py")
        sha, data = _read_and_hash(real, is_py)
        if old is not None and old.sha == sha:
            specs = old.specs
        else:
            specs = _parse_imports(data) if data is not None else ()
        racy = is_racy(st.st_mtime_ns, walk.now)
        entry = _FileEntry(key, sha, specs, racy)
        self._files[real] = entry
        walk.files[real] = entry
        walk.racy |= racy
        return entry

    def _listing(self, walk: _Walk, folder: str) -> _DirEntry:
        if folder in walk.dirs:
            return walk.dirs[folder] or _NO_DIR
        try:
            st = os.stat(folder)
        except OSError:
            walk.dirs[folder] = None
            return _NO_DIR
        key = _stat_key(st)
        d = self._dirs.get(folder)
        if d is None or d.key != key or d.racy:
            entries: dict[str, bool] = {}
            links: set[str] = set()
            try:
                with os.scandir(folder) as it:
                    for e in it:
                        try:
                            if e.is_dir():
                                entries[e.name] = True
                            elif e.is_file():
                                entries[e.name] = False
                            else:
                                continue
                            if e.is_symlink():
                                links.add(e.name)
                        except OSError:
                            continue
            except OSError:
                pass
            d = _DirEntry(key, is_racy(st.st_mtime_ns, walk.now), entries, frozenset(links))
            self._dirs[folder] = d
        walk.racy |= d.racy
        walk.dirs[folder] = d
        return d

    # ---- import resolution --------------------------------------------------------------

    def _resolve(self, walk: _Walk, spec: _Spec, folder: str) -> list[str]:
        """Files one import statement in a file in ``folder`` loads (project or not)."""
        level, module, names = spec
        if level:
            base = folder
            for _ in range(level - 1):
                base = os.path.dirname(base)
            if module:
                files, path = self._dotted(walk, [base], module)
            else:
                files, path = [], [base]
        else:
            files, path = self._dotted(walk, self._search_dirs(walk, folder), module)
        if path is not None:
            for name in names:
                if name != "*":
                    found = self._find(walk, path, name)
                    if found is not None:
                        files.extend(found[0])
        return files

    def _search_dirs(self, walk: _Walk, folder: str) -> list[str]:
        """Where an absolute import looks: the file's folder, the roots, package roots' parents."""
        if walk.abs_dirs is None:
            dirs = list(self._roots)
            for root in self._roots:
                parent = os.path.dirname(root)
                if (self._listing(walk, root).entries.get("__init__.py") is False
                        and parent not in dirs):
                    dirs.append(parent)
            walk.abs_dirs = dirs
        return [folder] + [d for d in walk.abs_dirs if d != folder]

    def _dotted(self, walk: _Walk, dirs: list[str],
                dotted: str) -> tuple[list[str], list[str] | None]:
        """Files along ``a.b.c`` (each package's __init__), and the package path at its end."""
        files: list[str] = []
        path: list[str] | None = dirs
        for part in dotted.split("."):
            if path is None:  # a plain module has no submodules
                return files, None
            found = self._find(walk, path, part)
            if found is None:
                return files, None
            files.extend(found[0])
            path = found[1]
        return files, path

    def _find(self, walk: _Walk, dirs: list[str],
              name: str) -> tuple[list[str], list[str] | None] | None:
        """Python's lookup order: a package, else a module, else namespace portions."""
        portions: list[str] = []
        for folder in dirs:
            d = self._listing(walk, folder)
            sub = None
            if d.entries.get(name) is True:
                sub = _child(folder, name, d.links)
                s = self._listing(walk, sub)
                if s.entries.get("__init__.py") is False:
                    return [_child(sub, "__init__.py", s.links)], [sub]
            fname = name + ".py"
            if d.entries.get(fname) is False:
                return [_child(folder, fname, d.links)], None
            if sub is not None:
                portions.append(sub)
        if portions:
            return [], portions
        return None

    def method_file_name(self, method_file: Path) -> str:
        """The name the method's own file has in its SourceInfo.files (a method file
        that is a link to a file outside every root has one too)."""
        return self._name(os.path.realpath(method_file)) or _method_fallback(method_file)

    def _name(self, real: str) -> str | None:
        """Name of a file in SourceInfo.files, or None when it is outside every root."""
        for top, prefix in self._tops:
            if real.startswith(top):
                return None if prefix is None else prefix + real[len(top):].replace(os.sep, "/")
        return None


def _method_fallback(method_file: str | os.PathLike) -> str:
    """The name of a method file outside every root."""
    return f"<method>/{os.path.basename(method_file)}"


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(_with_sep(folder))


def _with_sep(folder: str) -> str:
    return folder if folder.endswith(os.sep) else folder + os.sep


def _child(folder: str, name: str, links: frozenset[str]) -> str:
    path = os.path.join(folder, name)
    return os.path.realpath(path) if name in links else path


def _module_key(mod: types.ModuleType | str) -> object:
    if isinstance(mod, str):
        return mod
    return (mod.__name__, getattr(mod, "__file__", None))


def _unchanged(checks: tuple[tuple[str, _StatKey | None], ...]) -> bool:
    """True when every path still has the stat it had (or is still missing)."""
    stat = os.stat
    for path, key in checks:
        try:
            st = stat(path)
        except OSError:
            if key is None:
                continue
            return False
        if key != (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns):
            return False
    return True
