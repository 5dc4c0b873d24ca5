"""Where a dataset lives inside the job that wrote it, and its meta.json.

    datasets/NAME/meta.json      written last, when the writer finishes: the dataset exists
                                 exactly when this file does (for the job itself; for
                                 everyone else once the job has finished)
    datasets/NAME/0000.parquet   format 3: one file per slice (storage.py says which
    datasets/NAME/0000.arrow     kind, and how every read is verified)

meta.json (format 3) is the dataset's description — columns, rows per slice, hashlabel,
previous/parent, min/max per column, rows whose datetime or time has fold=1, and each
slice file's size, row groups and region checksums — wrapped as

    {"xxh3": "<16 hex digits>",
     "meta": {...}}

where the digest is the xxh3-64 of the bytes of the inner object exactly as they stand in
the file: a changed byte anywhere (min/max included) is found before anything trusts it.
Formats 1 and 2 (legacy.py) had a bare object and a file per column per slice.
"""

from __future__ import annotations

import json
from pathlib import Path

import xxhash

from accel.atomic import atomic_open
from accel.dataset.types import DatasetDamaged
from accel.layout import dataset_folder

FORMAT = 3
READABLE = (1, 2, 3)      # formats this version reads
DATASETS = "datasets"
META = "meta.json"
_HEAD = b'{"xxh3": "'
_MIDDLE = b'",\n "meta": '
_TAIL = b"}\n"


def dataset_dir(job_path: Path, name: str) -> Path:
    path = Path(job_path) / DATASETS / dataset_folder(name)
    if "%" in name and "/" not in name and not path.exists():
        raw = path.with_name(name)  # written before names could hold '/': not escaped
        if raw.exists():
            return raw
    return path


def write_meta(ds_dir: Path, meta: dict) -> None:
    """Columns keep their order, so this is not atomic.write_json (which sorts keys)."""
    body = json.dumps(meta, indent=1, ensure_ascii=False).encode("utf-8")
    digest = xxhash.xxh3_64_hexdigest(body).encode()
    with atomic_open(ds_dir / META, "wb") as f:
        f.write(_HEAD + digest + _MIDDLE + body + _TAIL)


def read_meta(ds_dir: Path) -> dict:
    """meta.json, its checksum verified (format 3); DatasetDamaged when it does not match
    or does not parse. FileNotFoundError when there is none."""
    with open(ds_dir / META, "rb") as f:
        raw = f.read()
    start = len(_HEAD) + 16 + len(_MIDDLE)
    if raw.startswith(_HEAD) and raw[len(_HEAD) + 16:start] == _MIDDLE:
        body = raw[start:-len(_TAIL)]
        if not raw.endswith(_TAIL) or \
                xxhash.xxh3_64_hexdigest(body).encode() != raw[len(_HEAD):len(_HEAD) + 16]:
            raise DatasetDamaged(f"{ds_dir / META} does not match its checksum (damaged)")
        raw = body
    try:
        meta = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise DatasetDamaged(f"{ds_dir / META} is damaged ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") not in READABLE:
        got = meta.get("format") if isinstance(meta, dict) else None
        raise DatasetDamaged(f"{ds_dir / META}: format {got!r}, this accel reads formats "
                             f"{', '.join(map(str, READABLE))} (damaged, or newer)")
    return meta
