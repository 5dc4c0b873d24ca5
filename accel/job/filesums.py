"""The files a method wrote, and their sizes and checksums.

The runner lists a finished job's own files and records their sizes and xxh3 sums in
post.json; reading a file back checks it against that record, so a file damaged after the
job finished is reported (JobDamaged) rather than read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from accel import layout, records
from accel.atomic import is_temp_name
from accel.errors import JobDamaged

_checked_files: set[tuple] = set()  # (path, inode, size, mtime) verified in this process


def check_file(jobdir: Path, rel: str, path: str, who: str) -> None:
    """Raise JobDamaged unless the file at `path` (`rel` in the job at `jobdir`; `who`
    names the job in messages) has the size and checksum post.json recorded when the job
    finished. Checked once per process per file; a file the job did not record, or a job
    still running, is not checked."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    key = (path, st.st_ino, st.st_size, st.st_mtime_ns) if st else None
    if key in _checked_files:
        return  # checked before: post.json need not be read again
    post = records.read_post(jobdir)  # JobDamaged when post.json is
    recorded = (post or {}).get("file_sums", {}).get(rel)
    if not recorded:  # running, or no sums (an older job)
        return
    if st is None:
        raise JobDamaged(f"{who}: file {rel!r} is missing (the job recorded it)")
    size, digest = recorded
    if st.st_size != size or file_digest(path) != digest:
        raise JobDamaged(f"{who}: file {rel!r} does not match what the job "
                         f"recorded ({st.st_size} bytes, recorded {size}; damaged)")
    assert key is not None  # made from st, which is there
    _checked_files.add(key)


def file_digest(path: str | os.PathLike) -> str:
    """xxh3-64 of a file's bytes, as post.json's file_sums record it."""
    import mmap

    import xxhash

    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if not size:
            return xxhash.xxh3_64_hexdigest(b"")
        with mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ) as mm:
            return xxhash.xxh3_64_hexdigest(mm)


def file_sums(root: Path, names: list[str]) -> dict[str, list]:
    """{name: [size, xxh3]} of a finished job's own files, for post.json (not datasets:
    they verify themselves, region by region)."""
    out = {}
    for name in names:
        if name.split(os.sep, 1)[0] == "datasets":
            continue
        path = root / name
        try:
            if path.is_symlink() or not path.is_file():
                continue
            out[name] = [path.stat().st_size, file_digest(path)]
        except OSError:
            continue
    return out


def iter_user_files(root: Path) -> Iterator[str]:
    """Relative names of the files a method wrote (not setup/post/output/scratch/temps)."""
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel == ".":
            dirnames[:] = [d for d in dirnames if d not in layout.INTERNAL]
        for fn in filenames:
            if rel == "." and fn in layout.INTERNAL:
                continue
            if is_temp_name(fn):
                continue
            yield fn if rel == "." else os.path.join(rel, fn)

