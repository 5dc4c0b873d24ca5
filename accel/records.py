"""setup.json and post.json: the only module that writes them and the only one that reads
them, so every command, the index, gc and the runner agree on what a job directory says
and on when it is damaged.

setup.json (what the job is) is written once, whole, before the job runs; post.json (how
it ended) is written once, whole, when it ends: its presence with status "finished" is
what makes a job reusable. Both are read back as a *validated record*: a dict whose keys
have the types accel writes. A file that is not UTF-8, not JSON, not an object, or has a
key of the wrong type is `JobDamaged`, naming the job, the file and what is wrong -- never
a half-right dict that crashes a command later or lets a damaged job be reused.

Only `method` and `slices` must be in a setup.json and only `status` in a post.json (job
directories made by hand, or by older versions, have little more); every other key is
checked when it is there.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accel import layout
from accel.atomic import temp_name, write_json
from accel.errors import JobDamaged, NotFound
from accel.flocks import flock_held
from accel.jobstatus import DAMAGED, ENDED, FINISHED, RUNNING, UNFINISHED, Status

MAX_BYTES = 1 << 30  # a record is a few kB; a file this big is not one (a device, say)
_IDENTITY = re.compile(r"[0-9a-f]{16,128}")
_ERROR_TEXT = ("part", "exception", "message", "traceback")


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _opt_str(v: Any) -> bool:
    return v is None or isinstance(v, str)


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _refs(v: Any) -> bool:
    """{input name: job or dataset reference, a list of them, or nothing}."""
    return isinstance(v, dict) and all(
        x is None or isinstance(x, str) or _str_list(x) for x in v.values())


def _file_sums(v: Any) -> bool:
    return isinstance(v, dict) and all(
        isinstance(s, list) and len(s) == 2 and isinstance(s[0], int) and isinstance(s[1], str)
        for s in v.values())


def _input_files(v: Any) -> bool:
    """{file name: {"size": bytes, "hash": fingerprint}}; both None for a file a job looked
    for at run time and did not find."""
    return isinstance(v, dict) and all(
        isinstance(f, dict) and (type(f.get("size")) is int or f.get("size") is None)
        and _opt_str(f.get("hash")) for f in v.values())


def _error(v: Any) -> bool:
    return isinstance(v, dict) and all(_opt_str(v.get(k)) for k in _ERROR_TEXT)


# key -> the type (or a check) its value must have; "required" keys must be there. The
# identity and the method name become file names (the index, by-method lists): nothing
# that could reach outside the workdir is taken.
SETUP_REQUIRED = ("method", "slices")
SETUP_KEYS: dict[str, Any] = {
    "jobid": str, "method": layout.is_method_name,
    "slices": lambda v: type(v) is int and v >= 1,
    "identity": lambda v: isinstance(v, str) and bool(_IDENTITY.fullmatch(v)),
    "options": dict, "datasets": _refs, "jobs": _refs, "hash": str, "source_hash": str,
    "source_files": dict, "starttime": _number, "caption": _opt_str, "force_build": bool,
    "analysis": bool, "versions": dict, "paths": dict, "method_info": dict,
    "dataset_compression": _opt_str, "input_files": _input_files,
}
POST_REQUIRED = ("status",)
POST_KEYS: dict[str, Any] = {
    "status": str, "jobid": str, "exitcode": int, "starttime": _number, "endtime": _number,
    "exectime": _number, "files": _str_list, "file_sums": _file_sums, "datasets": _str_list,
    "subjobs": _str_list, "parts": dict, "error": _error, "cpu": _number, "maxrss_kb": int,
    "leftovers": list, "input_files": _input_files,
}


def _check(want: Any) -> Any:
    """A predicate for a value that must be of type `want` (a bool is no int), or `want`."""
    if not isinstance(want, type):
        return want
    if want is int:
        return lambda v: type(v) is int
    return lambda v: isinstance(v, want)


_SETUP_CHECKS = {key: _check(want) for key, want in SETUP_KEYS.items()}
_POST_CHECKS = {key: _check(want) for key, want in POST_KEYS.items()}


def _problem(data: Any, required: tuple[str, ...], checks: dict[str, Any]) -> str | None:
    """What is wrong with a decoded record, or None."""
    if not isinstance(data, dict):
        return f"holds a JSON {type(data).__name__}, expected an object"
    for key in required:
        if key not in data:
            return f"has no {key!r}"
    for key, v in data.items():
        check = checks.get(key)
        if check is not None and not check(v):
            return f"has {key!r} = {json.dumps(v, default=str)[:60]}, not what accel writes there"
    return None


def _read(path: str | os.PathLike, name: str, required: tuple[str, ...],
          checks: dict[str, Any]) -> dict | None:
    """The validated record in path/name; None when the file is not there. (Plain
    strings and os calls: `ax jobs` reads two of these for every job there is.)"""
    path = os.fspath(path)
    file = os.path.join(path, name)
    try:
        # O_NONBLOCK: a named pipe put there must not hang us (it is refused just after)
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise _damaged(path, file, f"cannot be read ({e.strerror or e})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # a folder, a pipe, a device: never read
            what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise _damaged(path, file, f"is {what}")
        if st.st_size > MAX_BYTES:
            raise _damaged(path, file, f"is {st.st_size} bytes, far more than a record")
        with open(fd, "rb", closefd=False) as f:
            raw = f.read()
    except OSError as e:
        raise _damaged(path, file, f"cannot be read ({e.strerror or e})") from None
    finally:
        os.close(fd)
    if not raw.strip():
        raise _damaged(path, file, "is empty")
    try:
        data = json.loads(raw.decode("utf-8"))
        if b"\\u" in raw:  # an escape may be a lone surrogate, which no output can print
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeError:
        raise _damaged(path, file, "is not UTF-8 text") from None
    except (ValueError, RecursionError) as e:
        why = "nested too deeply" if isinstance(e, RecursionError) else str(e)
        raise _damaged(path, file, f"is not valid JSON ({why})") from None
    problem = _problem(data, required, checks)
    if problem is not None:
        raise _damaged(path, file, problem)
    jobid = data.get("jobid")
    if jobid is not None and jobid != os.path.basename(path):  # copied from another job
        raise _damaged(path, file, f"is job {jobid!r}'s, not {os.path.basename(path)}'s")
    return data


def _damaged(path: str, file: str, what: str) -> JobDamaged:
    return JobDamaged(f"job {os.path.basename(path)} is damaged: {file} {what}", path=Path(file))


def read_setup(path: str | os.PathLike) -> dict | None:
    """The job's setup.json; None if it has none (it is being set up, or is no job)."""
    return _read(path, layout.SETUP, SETUP_REQUIRED, _SETUP_CHECKS)


def require_setup(path: str | os.PathLike) -> dict:
    """The job's setup.json, which must be there: NotFound when the job does not exist,
    JobDamaged when its setup.json is damaged (or missing from a finished job)."""
    setup = read_setup(path)
    if setup is None:
        damage = damage_of(path)
        if damage is not None:
            raise damage
        post = read_post(path)
        if post is not None:
            raise NotFound(f"job {Path(path).name} has no setup.json: it ended "
                           f"({post['status']}) before it was set up")
        raise NotFound(f"job {Path(path).name} does not exist ({path})")
    return setup


def read_post(path: str | os.PathLike) -> dict | None:
    """The job's post.json; None while it has none (running, or it died)."""
    post = _read(path, layout.POST, POST_REQUIRED, _POST_CHECKS)
    if post is not None and post["status"] not in ENDED:
        raise _damaged(os.fspath(path), os.path.join(path, layout.POST),
                       f"has status {post['status']!r}, expected one of {', '.join(ENDED)}")
    return post


def lock_status(path: str | os.PathLike) -> Status:
    """For a job without post.json: running while its runner holds the directory's flock,
    else unfinished (it died, or a builder is still setting it up)."""
    return RUNNING if flock_held(path) else UNFINISHED


def status_of(path: str | os.PathLike) -> Status:
    """How the job stands (`accel.jobstatus`): damaged when its setup.json or post.json does
    not read as a record (or a finished job has no setup.json), else what post.json says,
    else running or unfinished."""
    path = Path(path)
    try:
        post = read_post(path)
        setup = read_setup(path)
    except JobDamaged:
        return DAMAGED
    if post is None:
        return lock_status(path)
    if setup is None and post["status"] == FINISHED:
        return DAMAGED
    return Status(post["status"])


def damage_of(path: str | os.PathLike) -> JobDamaged | None:
    """Why the job's records are damaged (None when they read): the first of setup.json,
    post.json that does not read, or setup.json missing beside a post.json that says finished."""
    path = Path(path)
    try:
        setup = read_setup(path)
        post = read_post(path)
    except JobDamaged as e:
        return e
    if setup is None and post is not None and post["status"] == FINISHED:
        # (a job that failed or was stopped while being set up has no setup.json)
        return _damaged(os.fspath(path), os.path.join(path, layout.SETUP),
                        "is missing (the job has a post.json)")
    return None


@dataclass
class Record:
    """What one job directory says, read once, for the commands that show jobs: as much
    as can be read, with `damage` naming what cannot (setup and post stay {} / None then)."""

    path: Path
    setup: dict
    post: dict | None
    status: Status
    damage: str | None = None


def record_of(path: str | os.PathLike) -> Record:
    path = Path(path)
    setup: dict = {}
    post = None
    damage = None
    try:
        setup = read_setup(path) or {}
    except JobDamaged as e:
        damage = str(e)
    try:
        post = read_post(path)
    except JobDamaged as e:
        damage = damage or str(e)
    if damage is None and post is not None and not setup:
        found = damage_of(path)
        damage = str(found) if found is not None else None
    if damage is not None:
        status: Status = DAMAGED
    elif post is not None:
        status = Status(post["status"])
    else:
        status = lock_status(path)
    return Record(path, setup, post, status, damage)


# --- writing ---------------------------------------------------------------------------


def setup_text(setup: dict) -> str:
    """setup.json as people read it, one key a line, each value encoded by json's C
    encoder (indent= would use its pure-Python one: a quarter of a millisecond a job)."""

    def one(v: Any) -> str:
        return json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)

    return "{\n" + ",\n".join(f" {one(k)}: {one(setup[k])}" for k in sorted(setup)) + "\n}\n"


def write_setup(path: Path, setup: dict) -> None:
    """Write setup.json whole, once: written under a temporary name and linked into place
    (FileExistsError if the job has one already), so no reader sees half of it."""
    final = Path(path) / layout.SETUP
    tmp = temp_name(final)
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(setup_text(setup))
        os.link(tmp, final)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def write_post(path: Path, post: dict) -> None:
    """Write post.json whole (the publish point of a job): after this the job has ended."""
    write_json(Path(path) / layout.POST, post)


def has_post(path: str | os.PathLike) -> bool:
    return (Path(path) / layout.POST).exists()
