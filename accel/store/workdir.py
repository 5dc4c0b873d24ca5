"""One workdir: a folder of numbered job directories NAME-1, NAME-2, ..."""

from __future__ import annotations

import os
from pathlib import Path

from filelock import FileLock

from accel import layout
from accel.atomic import write_bytes

META = ".accel"


class Workdir:
    """Allocates job numbers. `mkdir` is the arbiter: a number is ours once the folder is."""

    def __init__(self, name: str, path: Path):
        self.name = name
        self.path = Path(path)
        self.meta = self.path / META

    def meta_dir(self, *parts: str) -> Path:
        p = self.meta.joinpath(*parts)
        p.mkdir(parents=True, exist_ok=True)
        return p

    def allocate(self) -> tuple[str, Path]:
        """A new, empty job directory with the next free number."""
        self.meta_dir()
        hint_file = self.meta / "next-number"
        with FileLock(str(self.meta / "allocate.lock")):
            try:
                n = int(hint_file.read_text())
            except (FileNotFoundError, ValueError):
                n = self.highest_number() + 1
            while True:
                jobid = f"{self.name}-{n}"
                path = self.path / jobid
                try:
                    os.mkdir(path)
                    break
                except FileExistsError:
                    n += 1
            write_bytes(hint_file, str(n + 1).encode())
        return jobid, path

    def highest_number(self) -> int:
        return max((n for _, n in self.scan()), default=0)

    def scan(self) -> list[tuple[str, int]]:
        """(job id, number) of every job directory, in number order. Reads the folder."""
        found = []
        try:
            entries = os.listdir(self.path)
        except FileNotFoundError:
            return []
        for fn in entries:
            parts = layout.split_jobid(fn)
            if parts and parts[0] == self.name:
                found.append((fn, parts[1]))
        found.sort(key=lambda t: t[1])
        return found
