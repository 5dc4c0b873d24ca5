"""Files that appear whole or not at all.

Everything accel writes into a job directory goes through here: the data is written to
a temporary name in the same folder and renamed over the final name, so a crash or
`kill -9` at any moment leaves either the old file, the new file, or a stray temporary
(which readers never look at) -- never half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from accel.disk import with_path

TMP_MARK = ".tmp-"


def temp_name(path: str | os.PathLike) -> str:
    """A temporary name beside `path`, unique to this process."""
    head, tail = os.path.split(os.fspath(path))
    return os.path.join(head, f".{tail}{TMP_MARK}{os.getpid()}-{os.urandom(3).hex()}")


def is_temp_name(name: str) -> bool:
    return name.startswith(".") and TMP_MARK in name


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kw: Any) -> Iterator[IO]:
    """Open a temporary file; on clean exit rename it to `path`, on error remove it."""
    if not any(c in mode for c in "wx"):
        raise ValueError(f"atomic_open is for writing, not mode {mode!r}")
    tmp = temp_name(path)
    f = open(tmp, mode.replace("x", "w"), **kw)
    try:
        yield f
        f.close()
        if "x" in mode and os.path.exists(path):
            raise FileExistsError(path)
        os.replace(tmp, path)
    except BaseException as e:
        try:
            f.close()
        except OSError:  # what it still held could not be written either
            pass
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise with_path(e, path)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_open(path, "wb") as f:
        f.write(data)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    data = json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False, default=str)
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write(data)
        f.write("\n")


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


