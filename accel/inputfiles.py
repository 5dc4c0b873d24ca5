"""Files a job reads from outside the workdirs, fingerprinted: what makes them part of
the job's identity (accel.plan), and what `ax job` and `ax why` show of them.

A job's result depends on the data it reads as much as on its code. A file named by an
`InputFile` option (csvimport's `filename`, ...) is fingerprinted before the job is
planned, so a changed file gives a new job and an unchanged one is reused.

A fingerprint is the xxh3-128 of the file's content, read in 4 MB pieces (several GB/s:
the disk is the limit). It is cached by stat -- (size, mtime_ns, inode, device,
ctime_ns) -- in PROJECT/.accel/input-files.json, written whole under a temporary name and
renamed, so an unchanged 10 GB file costs one os.stat per build, in this process and the
next. As in accel.identity, an entry whose mtime was too close to the moment it was
hashed is not trusted (a write in the same clock tick could have kept the mtime): the
file is hashed again. A file touched without a change is hashed again once, and its
fingerprint (the same) is then cached under its new stat.

A value names its files relative to the input directory (as `job.input_filename` does;
an absolute path stays itself): a file; a folder, for the files in it that match the
declaration's pattern; or a glob pattern, for the files it matches.
"""

from __future__ import annotations

import glob
import json
import os
import stat
import time
from pathlib import Path

from accel.atomic import atomic_open
from accel.identity import is_racy
from accel.plaintext import is_utf8, printable

CACHE_NAME = "input-files.json"  # in the project's .accel folder
_VERSION = 1
_PIECE = 4 << 20
_TRIES = 3  # a file that changes while it is read is read again, this many times in all

# (size, mtime_ns, inode, device, ctime_ns): a file's content is taken to be the same
# while all of these are
_StatKey = tuple[int, int, int, int, int]


class InputFileError(Exception):
    """An input file that cannot be fingerprinted: missing, not a file, unreadable."""


def _stat_key(st: os.stat_result) -> _StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev, st.st_ctime_ns)


# the files being fingerprinted now: accel's reads, not the method's (accel.inputreads)
hashing: set[str] = set()


def content_hash(path: str) -> tuple[int, str]:
    """(bytes read, xxh3-128 hex digest) of a file's content, streamed."""
    import xxhash

    h = xxhash.xxh3_128()
    size = 0
    buf = bytearray(_PIECE)
    view = memoryview(buf)
    hashing.add(path)
    try:
        with open(path, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                h.update(view[:n])
                size += n
    finally:
        hashing.discard(path)
    return size, h.hexdigest()


class Fingerprints:
    """Fingerprints of files, cached by stat in memory and in `cache_file` (None: in
    memory only). One per process is enough; `save` writes what was learnt."""

    def __init__(self, cache_file: str | os.PathLike | None):
        self.cache_file = None if cache_file is None else Path(cache_file)
        self._entries: dict[str, list] | None = None
        self._learnt: dict[str, list] = {}

    def _cache(self) -> dict[str, list]:
        if self._entries is None:
            self._entries = _read_cache(self.cache_file)
        return self._entries

    def of(self, path: str) -> tuple[int, str]:
        """(size, hash) of the file at `path` (absolute), from the cache when its stat is
        the one the cache has and was not too recent to trust when it was hashed."""
        try:
            st = os.stat(path)
        except OSError as e:
            raise InputFileError(f"input file {path}: {e.strerror or e}") from None
        if not stat.S_ISREG(st.st_mode):
            raise InputFileError(f"input file {path} is not a regular file")
        key = _stat_key(st)
        cache = self._cache()
        entry = cache.get(path)
        if entry is not None and tuple(entry[:5]) == key and not is_racy(key[1], entry[5]):
            return key[0], entry[6]
        for _ in range(_TRIES):
            hashed_at = time.time_ns()
            try:
                size, digest = content_hash(path)
                after = _stat_key(os.stat(path))
            except OSError as e:
                raise InputFileError(f"input file {path} cannot be read ({e.strerror or e})") from None
            if after == key and size == key[0]:
                entry = [*key, hashed_at, digest]
                cache[path] = self._learnt[path] = entry
                return size, digest
            key = after  # it changed while it was read: once more, as it is now
        raise InputFileError(f"input file {path} changed every time it was read ({_TRIES} times): "
                             "a file still being written cannot be an input yet")

    def save(self) -> None:
        """Write what was learnt into the cache file, merged with what other processes
        wrote there meanwhile; entries of files that are gone are dropped. A cache that
        cannot be written (a read-only project) only costs hashing again next time."""
        if not self._learnt or self.cache_file is None:
            return
        entries = _read_cache(self.cache_file)
        entries.update(self._learnt)
        entries = {p: e for p, e in entries.items() if os.path.exists(p)}
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            with atomic_open(self.cache_file, "w", encoding="utf-8") as f:
                json.dump({"version": _VERSION, "files": entries}, f, separators=(",", ":"))
        except OSError:
            return
        self._learnt = {}


def _read_cache(cache_file: Path | None) -> dict[str, list]:
    """The cache file's entries that read as entries: a damaged cache is an empty one."""
    if cache_file is None:
        return {}
    try:
        data = json.loads(cache_file.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return {}
    files = data.get("files")
    if not isinstance(files, dict):
        return {}
    return {p: e for p, e in files.items()
            if isinstance(e, list) and len(e) == 7 and all(type(x) is int for x in e[:6])
            and isinstance(e[6], str)}


def cache_file_of(project_dir: str | os.PathLike) -> Path:
    return Path(project_dir) / ".accel" / CACHE_NAME


# --- which files a value names -------------------------------------------------------------

def files_named(value: str, input_dir: str, pattern: str = "*") -> list[str]:
    """The files (absolute, normalised paths) an input-file value names: a file; the files
    in a folder that match `pattern`, in name order; the files a glob pattern matches, in
    name order. InputFileError, with close names, when it names nothing."""
    path = os.path.normpath(os.path.join(input_dir, value))
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None:
        if stat.S_ISREG(st.st_mode):
            return [path]
        if stat.S_ISDIR(st.st_mode):
            return _regular(glob.glob(os.path.join(glob.escape(path), pattern)))
        raise InputFileError(f"input file {name_of(path, input_dir)} is not a regular file nor a "
                             "folder")
    if glob.has_magic(value):
        found = _regular(glob.glob(path))
        if found:
            return found
        raise InputFileError(f"input files {name_of(path, input_dir)}: no file matches"
                             f"{_in(input_dir)}")
    raise InputFileError(f"input file {name_of(path, input_dir)} does not exist{_in(input_dir)}"
                         f"{_close_names(path, input_dir)}")


def _regular(paths: list[str]) -> list[str]:
    return sorted(os.path.normpath(p) for p in paths if os.path.isfile(p))


def _in(input_dir: str) -> str:
    return f" (in the input directory {input_dir})"


def _close_names(path: str, input_dir: str) -> str:
    """' (did you mean: ...)' from the names in the nearest folder above `path` that exists."""
    from accel.words import close_hint

    folder = os.path.dirname(path)
    while folder and not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    try:
        names = [name_of(os.path.join(folder, n), input_dir) for n in os.listdir(folder)
                 if not n.startswith(".") and is_utf8(n)]
    except OSError:
        return ""
    return close_hint(name_of(path, input_dir), names)


def name_of(path: str, input_dir: str) -> str:
    """How setup.json and messages name an input file: relative to the input directory
    when it is in it (so moving the project keeps the name), else its absolute path."""
    inside = input_dir.rstrip(os.sep) + os.sep
    return path[len(inside):].replace(os.sep, "/") if path.startswith(inside) else path


def recorded_name(path: str, input_dir: str) -> str:
    """name_of(path): the name a job's setup.json records the input file under, which must
    be UTF-8 text (else InputFileError naming the file: a file name in another encoding)."""
    name = name_of(path, input_dir)
    if not is_utf8(name):
        raise InputFileError(f"input file {printable(name)}: its name is not UTF-8, so a job "
                             "cannot record it; rename the file")
    return name


def inside(path: str, folders: list[str]) -> bool:
    """Is `path` in one of `folders` (realpaths, as `real_folders` gives them)?"""
    real = os.path.realpath(path)
    return any(real == f or real.startswith(f + os.sep) for f in folders)


def real_folders(folders: list[str | os.PathLike]) -> list[str]:
    return [os.path.realpath(f).rstrip(os.sep) or os.sep for f in folders]


def canonical(files: dict[str, dict]) -> str | None:
    """The input files' part of the identity: their names and content hashes (None when
    there are none: the identity is then what it was before input files counted)."""
    if not files:
        return None
    return json.dumps(sorted((name, f["hash"]) for name, f in files.items()))
