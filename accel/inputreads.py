"""Files a running job reads from the input directory without an `InputFile` option.

A job's identity can only hold the files known before it runs: those its `InputFile`
options name (accel.plan). Two other ways remain for a method to read an input file:

* `job.input_filename(name)`, the Accelerator's way: the file is fingerprinted when it
  is asked for and recorded in post.json ("input_files"); a later build does not reuse
  the job once such a file has changed (`changed_read`), so it runs again.
* a plain `open()` of a file under the input directory: it is noticed (an audit hook on
  Python's opens, `watch`) and warned about once, naming `InputFile`, since accel cannot
  know the job depends on it. (Reads Python does not see -- by C++ code such as
  pyarrow's readers -- are not noticed.)

Both run only when the project tracks input files: setup.json has "input_files".
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from accel import inputfiles, layout
from accel.inputfiles import (
    Fingerprints,
    InputFileError,
    cache_file_of,
    files_named,
    inside,
    name_of,
    real_folders,
)

READS = "input_files"  # in the job's scratch folder: one JSON line per file asked for
WARNED = "input_reads_warned"  # in the scratch folder: one file per file warned about
CHANGED_WHILE_READ = "changed_while_read"  # in a post.json entry: two reads differed

_fingerprints: Fingerprints | None = None
_known: set[str] = set()  # files this job declares or asked for: never warned about
_watch: dict[str, Any] = {}  # what the audit hook needs, once it is installed
_busy = False  # the hook's own opens are not reads of the method


def _prints() -> Fingerprints:
    global _fingerprints
    if _fingerprints is None:
        config = layout.paths().config
        _fingerprints = Fingerprints(cache_file_of(config.parent) if config else None)
    return _fingerprints


def _in_identity(job_path: os.PathLike) -> dict | None:
    """The input files in the job's identity; None when the project does not track them."""
    from accel.records import read_setup

    try:
        setup = read_setup(job_path) or {}
    except Exception:
        return None
    return setup.get("input_files")


def note_read(job_path: os.PathLike, path: str) -> None:
    """The running job at `job_path` asked for input file `path` (job.input_filename):
    record its fingerprint (its files', for a folder; None, when there is none), unless
    it is in a workdir (a job's file, with an identity of its own)."""
    global _busy
    paths = layout.paths()
    input_dir = str(paths.input_directory or "")
    in_identity = _in_identity(job_path) if input_dir else None
    if in_identity is None:
        return
    norm = os.path.normpath(path)
    if norm in _known or inside(path, real_folders(list(paths.workdirs.values()))):
        return  # an option names it (tracked or not: track=False is its choice), or it is
        #         recorded already, or it is a job's own file
    _known.add(norm)
    lines: list[dict[str, Any]] = []
    was, _busy = _busy, True
    try:
        try:
            files = files_named(path, input_dir)
        except InputFileError:
            files = []
            lines.append({"name": name_of(os.path.normpath(path), input_dir), "size": None,
                          "hash": None})
        for file in files:
            _known.add(file)
            if name_of(file, input_dir) in in_identity:
                continue  # an InputFile option names it: it is in the identity already
            try:
                size, digest = _prints().of(file)
            except InputFileError:
                size, digest = None, None
            lines.append({"name": name_of(file, input_dir), "size": size, "hash": digest})
        _prints().save()
        scratch = os.path.join(job_path, layout.SCRATCH)
        os.makedirs(scratch, exist_ok=True)
        with open(os.path.join(scratch, READS), "a", encoding="utf-8") as f:
            f.write("".join(json.dumps(line) + "\n" for line in lines))  # one write: O_APPEND
    finally:
        _busy = was


def forget_inherited() -> None:
    """A job process forked from a running job (a local subjob): the files the parent
    declared or asked for are not this job's, so its own reads are recorded. (The audit
    hook, once installed, stays: `watch` gives it this job's folders.)"""
    global _fingerprints, _busy
    _known.clear()
    _fingerprints, _busy = None, False
    installed = _watch.get("installed")
    _watch.clear()
    if installed:
        _watch["installed"] = True


def recorded(job_path: os.PathLike) -> dict:
    """{name: {"size", "hash"}} of the files the job asked for by job.input_filename,
    for its post.json ({} for none). Slices record a file each on its own: one they found
    different from each other is recorded as changed while the job read it (hash None,
    "changed_while_read"), so the job is never reused."""
    try:
        with open(os.path.join(job_path, layout.SCRATCH, READS), encoding="utf-8") as f:
            lines = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return {}
    found: dict[str, dict] = {}
    for d in lines:
        seen, now = found.get(d["name"]), {"size": d["size"], "hash": d["hash"]}
        if seen is None:
            found[d["name"]] = now
        elif seen != now:
            found[d["name"]] = {"size": None, "hash": None, CHANGED_WHILE_READ: True}
    return dict(sorted(found.items()))


def changed_read(reads: dict, input_dir: str, fingerprints: Fingerprints) -> dict | None:
    """The first of a job's recorded reads (post.json "input_files") whose file is not
    what it was, as an `ax why` difference; None when all are the same."""
    if (unsteady := changed_while_read(reads)) is not None:
        return unsteady
    for name, old in reads.items():
        path = name if os.path.isabs(name) else os.path.join(input_dir, name)
        try:
            size, digest = fingerprints.of(path)
            new: dict | None = {"size": size, "hash": digest}
        except InputFileError:
            new = None
        if (new or {}).get("hash") != old.get("hash"):
            change = "changed" if new and old.get("hash") else ("added" if new else "removed")
            return {"what": "input file read", "name": name, "change": change,
                    "old": old if old.get("hash") else None, "new": new}
    return None


def changed_while_read(reads: dict) -> dict | None:
    """The first of a job's recorded reads that changed while the job read it, as an
    `ax why` difference: such a job is never reused, whatever the file is now."""
    for name, old in reads.items():
        if old.get(CHANGED_WHILE_READ):
            return {"what": "input file read", "name": name, "change": "changed while read",
                    "old": None, "new": None}
    return None


# --- reads no option declares ---------------------------------------------------------------

def watch(setup: dict, declared: list[str], job_path: os.PathLike) -> None:
    """Warn (once per file, in the job's output) about each file under the input directory
    the job opens for reading that `declared` (paths: files, or folders for all they hold)
    does not name and job.input_filename was not asked for. Only in a job's own process:
    an audit hook stays until the process ends."""
    paths = layout.paths()
    if "input_files" not in setup or paths.input_directory is None:
        return
    input_dir = os.path.normpath(paths.input_directory)
    skip: list[str | os.PathLike] = [*paths.workdirs.values(), *_project_files(paths.config)]
    if paths.result_directory:
        skip.append(paths.result_directory)
    _known.update(os.path.normpath(p) for p in declared)
    _watch.update(input_dir=input_dir, skip=real_folders(skip), method=setup.get("method"),
                  scratch=os.path.join(job_path, layout.SCRATCH), warned=set())
    if not _watch.get("installed"):
        _watch["installed"] = True
        sys.addaudithook(_audit)


def _project_files(config: Path | None) -> list[str]:
    """What accel itself reads in the project folder while a job runs (a subjob's builder
    reads the conf, hashes the method folders' files, keeps its caches in .accel): the
    method's doing only if it is in none of these."""
    if config is None:
        return []
    from accel.config import load_config
    from accel.errors import ConfigError

    found = [os.fspath(config), os.path.join(os.path.dirname(config), ".accel")]
    try:
        found += [p for p in load_config(config).method_packages if os.path.isabs(p)]
    except ConfigError:  # changed since the job was set up: its folders are not known
        pass
    return found


def _audit(event: str, args: tuple) -> None:
    global _busy
    if event != "open" or _busy or "input_dir" not in _watch:
        return
    path, mode, flags = args
    if path is None or isinstance(path, int) or path in inputfiles.hashing:
        return
    if isinstance(mode, str):
        if any(c in mode for c in "wax+"):
            return
    elif flags is not None and flags & os.O_ACCMODE != os.O_RDONLY:
        return
    _busy = True
    try:
        _check(os.path.abspath(os.fsdecode(path)))
    except Exception:  # a warning must never break the method's open
        pass
    finally:
        _busy = False


def _check(path: str) -> None:
    w = _watch
    input_dir = w["input_dir"]
    if path in w["warned"] or not (path == input_dir or path.startswith(input_dir + os.sep)):
        return
    if path.endswith((".py", ".pyc", ".so")) or "__pycache__" in path:
        return  # imports: the source hash covers the project's modules
    if any(path == k or path.startswith(k + os.sep) for k in _known):
        return
    if inside(path, w["skip"]) or not os.path.isfile(path):
        return
    w["warned"].add(path)
    folder = os.path.join(w["scratch"], WARNED)
    os.makedirs(folder, exist_ok=True)
    try:  # once per job, whichever of its processes (slices) reads it first
        os.close(os.open(os.path.join(folder, hashlib.sha1(path.encode()).hexdigest()),
                         os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return
    name = name_of(path, input_dir)
    sys.stderr.write(
        f"accel: warning: method {w['method']!r} reads {name}, which no option declares: "
        f"its content is no part of the job's identity, so a changed file would not make "
        f"the job run again. Declare it: options = dict(src=InputFile()), or ask for it "
        f"with job.input_filename({name!r}).\n")
