"""What a job on a Dask worker prints, shown on the build side as a local run shows it:
its output files tailed, each line prefixed with `[JOBID PART] `."""

from __future__ import annotations

import os
from pathlib import Path

from accel import layout
from accel.capture import flush_std


class Tail:
    """Shows what a job on a worker prints, from its output files, as a local run would:
    each line prefixed with `[JOBID PART] `."""

    def __init__(self, path: Path, jobid: str):
        self.outdir = path / layout.OUTPUT
        self.jobid = jobid
        self.offsets: dict[str, int] = {}
        self.partial: dict[str, bytes] = {}

    def poll(self, final: bool = False) -> None:
        try:
            names = os.listdir(self.outdir)
        except OSError:
            return
        out = []
        for name in sorted(names, key=_part_rank):
            label = _part_label(name)
            if label is None:
                continue
            try:
                with open(self.outdir / name, "rb") as f:
                    f.seek(self.offsets.get(name, 0))
                    data = f.read()
            except OSError:
                continue
            self.offsets[name] = self.offsets.get(name, 0) + len(data)
            data = self.partial.pop(name, b"") + data
            lines = data.split(b"\n")
            rest = lines.pop()
            if final and rest:
                lines.append(rest)
            elif rest:
                self.partial[name] = rest
            prefix = layout.line_prefix(f"{self.jobid} {label}").encode()
            out += [prefix + line + b"\n" for line in lines]
        if out:
            flush_std()
            clear = b"\r\x1b[K" if _isatty(1) else b""
            data = b"".join(clear + line for line in out)
            try:
                while data:
                    data = data[os.write(1, data):]
            except OSError:
                pass


def _part_label(name: str) -> str | None:
    if not name.endswith(".txt"):
        return None
    stem = name[:-4]
    if stem.startswith("analysis-") and stem[9:].isdigit():
        return f"analysis {stem[9:]}"
    return stem if stem in ("prepare", "synthesis") else None


def _part_rank(name: str) -> tuple[int, int]:
    if name.startswith("prepare"):
        return (0, 0)
    if name.startswith("analysis-"):
        digits = name[9:].split(".")[0]
        return (1, int(digits) if digits.isdigit() else 0)
    return (2, 0)


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False
