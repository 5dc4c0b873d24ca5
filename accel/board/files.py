"""A job's file for the board: found only inside the job directory, with a content type.

A path that climbs out (`..`), is absolute, or reaches a symlink that points outside the
job directory is refused: the board must not become a way to read any file on the
machine. The check is made on the resolved path, and again on the file actually opened.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from typing import IO

# types that are text though not text/*: sent with a charset
_TEXTISH = {"application/json", "application/xml", "application/javascript",
            "application/x-sh", "application/x-python-code", "image/svg+xml"}
SNIFF = 8192  # bytes looked at to tell text from binary


def _inside(root: str, path: str) -> bool:
    return path != root and os.path.commonpath([root, path]) == root


def open_job_file(job_dir: Path, parts: list[str]) -> IO[bytes] | None:
    """The file `parts` (path segments, already URL-decoded) of the job, opened for reading;
    None when it is not a regular file inside the job directory."""
    if not parts or any(p in ("", ".", "..") or "/" in p or "\0" in p for p in parts):
        return None
    root = os.path.realpath(job_dir)
    target = os.path.realpath(os.path.join(root, *parts))
    if not _inside(root, target) or not os.path.isfile(target):
        return None
    try:  # O_NONBLOCK: a fifo put there in the meantime must not hang the request
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    f = os.fdopen(fd, "rb")
    try:
        opened = os.readlink(f"/proc/self/fd/{fd}")  # what was opened, had a link moved since
    except OSError:
        opened = target
    if not _inside(root, opened) or not os.path.isfile(opened):
        f.close()
        return None
    return f


def content_type(name: str, start: bytes) -> str:
    """The type to send a file as: from its name, else text if `start` looks like text."""
    ctype, encoding = mimetypes.guess_type(name)
    if encoding:  # .gz, .bz2, ...: the bytes are compressed, whatever is inside
        return "application/octet-stream"
    if ctype is None:
        try:
            start.decode("utf-8")
            looks_text = b"\0" not in start
        except UnicodeDecodeError as e:
            # a multi-byte character cut by the sniffing window is still text
            looks_text = e.start >= len(start) - 3 and b"\0" not in start
        ctype = "text/plain" if looks_text else "application/octet-stream"
    if ctype.startswith("text/") or ctype in _TEXTISH:
        return f"{ctype}; charset=utf-8"
    return ctype
