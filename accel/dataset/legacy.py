"""Reading datasets of formats 1 and 2 (accel before format 3), as what they were written as.

    COL.SLICE        fixed-width column: a plain little-endian array
    COL.SLICE.off    var-width: n+1 offsets, int64 in format 1; int32 or int64 in format 2,
                     as meta.json "offsets" says
    COL.SLICE.dat    var-width: the bytes
    COL.SLICE.valid  none_support only: a validity bitmap (LSB first)

meta.json lists each file's size and crc32; a file is checked against both the first time
this process reads it (crc32 runs at about 1 GB/s: these formats pay for verification on
read, format 3 does not). complex32 was stored as two float16 and
complex64 as two float32: they read as complex32 (two float32) and complex64 (two float64)
chunks holding exactly those values. Nothing writes these formats any more.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from accel.dataset.chunk import Chunk
from accel.dataset.storage import map_file
from accel.dataset.types import ColumnType, DatasetDamaged

# the storage these formats used where it differs from today's
_OLD_STORAGE = {"complex32": ("<f2", 2), "complex64": ("<c8", 1)}


def slice_files(base: str, sliceno: int, ctype: ColumnType, none_support: bool) -> dict[str, str]:
    """role -> file name for one column in one slice: 'values' or 'off'+'dat', and 'valid'."""
    stem = f"{base}.{sliceno}"
    files = {"values": stem} if ctype.fixed else {"off": f"{stem}.off", "dat": f"{stem}.dat"}
    if none_support:
        files["valid"] = f"{stem}.valid"
    return files


_verified: set[tuple] = set()  # (dev, inode, size, mtime) of files checked in this process


def _map(path: Path, size: int, crc: int, what: str) -> np.ndarray:
    """The file as a read-only uint8 array (memory-mapped), after checking its size and
    (once per process) its crc32."""
    mm, st = map_file(path, size, f"{what}: file {path.name}")
    if mm is None:
        return np.zeros(0, np.uint8)
    data = np.frombuffer(mm, np.uint8)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _verified:
        if zlib.crc32(mm) != crc:
            raise DatasetDamaged(f"{what}: file {path.name} does not match its checksum "
                                 f"(the dataset is damaged) ({path})")
        _verified.add(key)
    return data


def offset_width(meta: dict, name: str) -> int:
    """Bytes per offset in offsets file `name`: 8 in format 1, as meta.json says in 2."""
    if meta.get("format") == 1:
        return 8
    return meta.get("offsets", {}).get(name, 0)


def read_chunk(ds_dir: Path, base: str, sliceno: int, meta: dict, ctype: ColumnType,
               none_support: bool, lines: int, what: str) -> Chunk:
    """One column of one slice, mapped from its files, checked before it is used."""
    files = slice_files(base, sliceno, ctype, none_support)
    sizes = meta["sizes"]

    def get(role: str) -> np.ndarray:
        name = files[role]
        if name not in sizes:
            raise DatasetDamaged(f"{what}: meta.json does not list file {name}")
        return _map(ds_dir / name, sizes[name], meta["checksums"].get(name, -1), what)

    valid = None
    if "valid" in files:
        bits = get("valid")
        if len(bits) != (lines + 7) // 8:
            raise DatasetDamaged(f"{what}: validity file {files['valid']} has the wrong size")
        valid = np.unpackbits(bits, count=lines, bitorder="little").view(bool)
        if valid.all():
            valid = None
    if ctype.fixed:
        assert ctype.storage is not None  # every fixed-width type has one
        raw = get("values")
        storage, per = _OLD_STORAGE.get(ctype.name, (ctype.storage, 1))
        if len(raw) != lines * per * np.dtype(storage).itemsize:
            raise DatasetDamaged(f"{what}: file {files['values']} holds {len(raw)} bytes, "
                                 f"not the {lines} rows meta.json says")
        values = raw.view(storage)
        if ctype.name in _OLD_STORAGE:  # widened: every old value is exactly representable
            values = values.astype(np.float32).view(np.complex64) if per == 2 else values
            values = values.astype(ctype.storage)
        return Chunk(ctype, lines, values=values, valid=valid)
    off_raw, data = get("off"), get("dat")
    width = offset_width(meta, files["off"])
    if width not in (4, 8):
        raise DatasetDamaged(f"{what}: meta.json gives no offset size for {files['off']}")
    if len(off_raw) != (lines + 1) * width:
        raise DatasetDamaged(f"{what}: offsets file {files['off']} holds {len(off_raw)} bytes, "
                             f"not the {lines + 1} offsets of {lines} rows")
    off = off_raw.view(f"<i{width}")
    check_offsets(off, len(data), f"{what}: offsets file {files['off']}")
    return Chunk(ctype, lines, offsets=off, data=data, valid=valid)


def check_offsets(off: np.ndarray, data_size: int, what: str) -> None:
    if off[0] != 0 or off[-1] != data_size:
        raise DatasetDamaged(f"{what} is damaged: offsets run {int(off[0])}..{int(off[-1])}, "
                             f"the data is {data_size} bytes")
    if len(off) > 1 and (np.diff(off) < 0).any():
        raise DatasetDamaged(f"{what} is damaged: offsets go backwards")


def verify(ds_dir: Path, meta: dict, label: str) -> None:
    """Every file against the size and crc32 meta.json lists for it."""
    from accel.dataset.types import column_type

    for col in meta["columns"].values():
        ct = column_type(col["type"])
        for s in range(len(meta["lines"])):
            for name in slice_files(col["file"], s, ct, col["none_support"]).values():
                if name not in meta["sizes"]:
                    raise DatasetDamaged(f"dataset {label}: meta.json does not list {name}")
                path = ds_dir / name
                try:
                    size = path.stat().st_size
                except FileNotFoundError:
                    raise DatasetDamaged(f"dataset {label}: file {name} is missing") from None
                if size != meta["sizes"][name]:
                    raise DatasetDamaged(f"dataset {label}: file {name} is {size} bytes, "
                                         f"expected {meta['sizes'][name]}")
                if _crc_of(path) != meta["checksums"][name]:
                    raise DatasetDamaged(f"dataset {label}: file {name} does not match its "
                                         "checksum (damaged)")


def _crc_of(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            crc = zlib.crc32(block, crc)
    return crc
