"""The on-disk layout of a dataset, inside the job that wrote it.

    datasets/NAME/meta.json        written last, when the job finishes: the dataset exists
                                   exactly when this file does
    datasets/NAME/COL.SLICE        fixed-width column: a plain little-endian array
    datasets/NAME/COL.SLICE.off    var-width: n+1 offsets, int32 (Arrow's string/binary
                                   layout) while the slice's data is under 2 GiB, else
                                   int64 (large_string/large_binary); meta.json says which
    datasets/NAME/COL.SLICE.dat    var-width: the bytes
    datasets/NAME/COL.SLICE.valid  none_support only: Arrow validity bitmap (LSB first)

COL is the column's file name in meta.json (c0, c1, ...), never the column's own name, so
a column may be called anything. meta.json records each file's size and crc32: a reader
checks sizes (and var-width offsets) before it uses a file, `verify()` checks the crc32s.

Format 2 (this one) added int32 offsets (meta.json "offsets": {file: 4 or 8}); format 1
had int64 offsets only, and is read as such.
"""

from __future__ import annotations

import json
import mmap
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from accel.atomic import atomic_open
from accel.dataset.chunk import Chunk
from accel.dataset.types import ColumnType, DatasetDamaged, values_per_row

FORMAT = 2
READABLE = (1, 2)      # formats this version reads
_I32_MAX = 2**31 - 1
DATASETS = "datasets"
META = "meta.json"


def dataset_dir(job_path: Path, name: str) -> Path:
    return Path(job_path) / DATASETS / name


def slice_files(base: str, sliceno: int, ctype: ColumnType, none_support: bool) -> dict[str, str]:
    """role -> file name for one column in one slice: 'values' or 'off'+'dat', and 'valid'."""
    stem = f"{base}.{sliceno}"
    files = {"values": stem} if ctype.fixed else {"off": f"{stem}.off", "dat": f"{stem}.dat"}
    if none_support:
        files["valid"] = f"{stem}.valid"
    return files


def write_meta(ds_dir: Path, meta: dict) -> None:
    """Columns keep their order, so this is not atomic.write_json (which sorts keys)."""
    text = json.dumps(meta, indent=1, ensure_ascii=False)
    with atomic_open(ds_dir / META, "w", encoding="utf-8") as f:
        f.write(text + "\n")


def read_meta(ds_dir: Path) -> dict:
    with open(ds_dir / META, encoding="utf-8") as f:
        return json.load(f)


# --- writing -------------------------------------------------------------------------------


class Appender:
    """Appends chunks of one column to one slice's files, keeping each file's size and
    crc32 as it goes (so finishing needs no second pass over the data)."""

    def __init__(self, ds_dir: Path, files: dict[str, str]):
        self.ds_dir = ds_dir
        self.files = files
        self.sizes = dict.fromkeys(files.values(), 0)
        self.crcs = dict.fromkeys(files.values(), 0)
        self.lines = 0
        self.data_size = 0           # var-width: where the next value's bytes start
        self.off_width = 4           # var-width: bytes per offset (8 once the data > 2 GiB)
        self.pending_bits = np.zeros(0, bool)  # validity bits not yet a whole byte

    def _append(self, role: str, data: Any) -> None:
        name = self.files[role]
        buf = memoryview(data).cast("B") if not isinstance(data, bytes) else data
        if not len(buf):
            return
        with open(self.ds_dir / name, "ab") as f:
            f.write(buf)
        self.sizes[name] += len(buf)
        self.crcs[name] = zlib.crc32(buf, self.crcs[name])

    def _widen(self) -> None:
        """The data passed 2 GiB: rewrite the int32 offsets written so far as int64."""
        name = self.files["off"]
        self.off_width = 8
        if not self.sizes[name]:
            return
        path = self.ds_dir / name
        old = np.fromfile(path, "<i4").astype("<i8")
        path.unlink()
        self.sizes[name] = self.crcs[name] = 0
        self._append("off", old)

    def append(self, chunk: Chunk) -> None:
        if not chunk.n:
            return
        if "values" in self.files:
            self._append("values", np.ascontiguousarray(chunk.values))
        else:
            off = chunk.offsets
            start, stop = int(off[0]), int(off[-1])
            end = self.data_size + stop - start
            if end > _I32_MAX and self.off_width == 4:
                self._widen()
            if self.sizes[self.files["off"]] == 0:
                self._append("off", np.zeros(1, f"<i{self.off_width}"))
            shift = start - self.data_size
            if self.off_width == 4 and off.dtype == np.int32:
                # int32 arithmetic wraps, but every result is in 0..end < 2**31: exact
                new = off[1:] - np.int32(shift) if shift else off[1:]
            else:
                new = (off[1:].astype(np.int64) - shift).astype(f"<i{self.off_width}")
            self._append("off", new)
            self._append("dat", np.ascontiguousarray(chunk.data[start:stop]))
            self.data_size = end
        if "valid" in self.files:
            valid = np.ones(chunk.n, bool) if chunk.valid is None else chunk.valid
            bits = np.concatenate([self.pending_bits, valid]) if self.pending_bits.size else valid
            whole = len(bits) // 8 * 8
            if whole:
                self._append("valid", np.packbits(bits[:whole], bitorder="little"))
            self.pending_bits = bits[whole:].copy()
        self.lines += chunk.n

    def close(self) -> None:
        """Write what is pending and make sure every file exists (an empty slice too)."""
        if self.pending_bits.size:
            self._append("valid", np.packbits(self.pending_bits, bitorder="little"))
            self.pending_bits = np.zeros(0, bool)
        if "off" in self.files and self.sizes[self.files["off"]] == 0:
            self._append("off", np.zeros(1, f"<i{self.off_width}"))
        for name in self.files.values():
            (self.ds_dir / name).touch()

    def offsets(self) -> dict[str, int]:
        """{offsets file: bytes per offset}, for meta.json (var-width columns only)."""
        return {self.files["off"]: self.off_width} if "off" in self.files else {}


# --- reading -------------------------------------------------------------------------------


def _map(path: Path, size: int, what: str) -> np.ndarray:
    """The file as a read-only uint8 array (memory-mapped), after checking its size."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise DatasetDamaged(f"{what}: file {path.name} is missing ({path})")
    try:
        actual = os.fstat(fd).st_size
        if actual != size:
            how = "truncated" if actual < size else "longer than written"
            raise DatasetDamaged(f"{what}: file {path.name} is {actual} bytes, expected {size} "
                                 f"({how}: the dataset is damaged) ({path})")
        if size == 0:
            return np.zeros(0, np.uint8)
        return np.frombuffer(mmap.mmap(fd, size, prot=mmap.PROT_READ), np.uint8)
    finally:
        os.close(fd)


def offset_width(meta: dict, name: str) -> int:
    """Bytes per offset in offsets file `name`: 8 in format 1, as meta.json says in 2."""
    if meta.get("format") == 1:
        return 8
    return meta.get("offsets", {}).get(name, 0)


def read_chunk(ds_dir: Path, files: dict[str, str], meta: dict, ctype: ColumnType,
               lines: int, what: str) -> Chunk:
    """One column of one slice, mapped from its files, checked before it is used."""
    sizes = meta["sizes"]

    def get(role: str) -> np.ndarray:
        name = files[role]
        if name not in sizes:
            raise DatasetDamaged(f"{what}: meta.json does not list file {name}")
        return _map(ds_dir / name, sizes[name], what)

    valid = None
    if "valid" in files:
        bits = get("valid")
        if len(bits) != (lines + 7) // 8:
            raise DatasetDamaged(f"{what}: validity file {files['valid']} has the wrong size")
        valid = np.unpackbits(bits, count=lines, bitorder="little").view(bool)
        if valid.all():
            valid = None
    if ctype.fixed:
        raw = get("values")
        per = values_per_row(ctype)
        if len(raw) != lines * per * ctype.itemsize:
            raise DatasetDamaged(f"{what}: file {files['values']} holds {len(raw)} bytes, "
                                 f"not the {lines} rows meta.json says")
        return Chunk(ctype, lines, values=raw.view(ctype.storage), valid=valid)
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


def crc_of(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            crc = zlib.crc32(block, crc)
    return crc
