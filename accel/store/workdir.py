"""One workdir: a folder of numbered job directories NAME-1, NAME-2, ..."""

from __future__ import annotations

import os
from pathlib import Path

from accel import layout

META = ".accel"
HINT_EVERY = 16  # a lagging hint costs newcomers a few failed mkdirs; a new file costs more


class Workdir:
    """Allocates job numbers. `mkdir` is the arbiter: a number is ours once the folder is.

    The hint `.accel/next` (a symlink whose target is a number, so reading and replacing it
    are single system calls) only saves trying taken numbers one by one. It is written
    now and then, not for every job, and may lag behind: that costs a newcomer a few
    failed mkdirs, never a shared number.
    """

    def __init__(self, name: str, path: Path):
        self.name = name
        self.path = Path(path)
        self.meta = self.path / META
        self._made: set[str] = set()
        self._next = 0  # this process's idea of the next free number
        self._hinted = False

    def meta_dir(self, *parts: str) -> Path:
        p = self.meta.joinpath(*parts)
        key = str(p)
        if key not in self._made:
            p.mkdir(parents=True, exist_ok=True)
            self._made.add(key)
        return p

    def allocate(self) -> tuple[str, Path]:
        """A new, empty job directory with the next free number."""
        hint = self.meta_dir() / "next"
        # the hint is read every time (one readlink): `ax gc` moves it past the numbers it
        # frees, and a number this process last saw as taken may have been freed since
        try:
            hinted = int(os.readlink(hint))
        except (FileNotFoundError, ValueError, OSError):
            hinted = 0
        n = max(self._next, hinted)
        if not n:
            n = self.highest_number() + 1
        while True:
            jobid = f"{self.name}-{n}"
            path = self.path / jobid
            try:
                os.mkdir(path)
                break
            except FileExistsError:
                n += 1
        self._next = n + 1
        if n % HINT_EVERY == 0 or not self._hinted:
            self.raise_hint(n + 1)
            self._hinted = True
        return jobid, path

    def raise_hint(self, n: int) -> None:
        """Set the hint to `n` unless it is already beyond (gc may have moved it on)."""
        try:
            if int(os.readlink(self.meta / "next")) >= n:
                return
        except (FileNotFoundError, ValueError, OSError):
            pass
        self.set_hint(n)

    def set_hint(self, n: int) -> None:
        hint = self.meta / "next"
        tmp = self.meta / f".next.{os.getpid()}"
        try:
            os.symlink(str(n), tmp)
        except FileExistsError:
            os.unlink(tmp)
            os.symlink(str(n), tmp)
        os.replace(tmp, hint)

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
