"""Live progress of a build run: jobs done of total, and what each running job does.

On a terminal it is one status line, redrawn in place (the jobs' own output clears it
before each line it prints, see accel.capture); otherwise a plain line now and then, so
a log shows that a long run is alive. Only jobs that run a while are shown: a run of
quick jobs stays as quiet as it was.
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO, TYPE_CHECKING

from accel import layout

if TYPE_CHECKING:
    from accel.scheduler import Scheduler

SHOW_AFTER = 0.5  # seconds a job runs before it appears on the terminal line
REDRAW = 0.1

def _plain_every() -> float:
    """Seconds between plain lines (ACCEL_PROGRESS_EVERY overrides)."""
    try:
        return max(0.0, float(os.environ.get("ACCEL_PROGRESS_EVERY", "10")))
    except ValueError:
        return 10.0


def slices_done(path: os.PathLike, slices: int) -> int:
    """Analysis slices that have ended, from the job directory (any executor)."""
    try:
        names = os.listdir(os.path.join(path, layout.SCRATCH))
    except OSError:
        return 0
    return sum(1 for n in names if n.startswith("analysis-") and n.endswith((".pickle", ".error")))


class Progress:
    def __init__(self, stream: IO[str] | None = None, tty: bool | None = None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._shown = ""
        self._last = 0.0
        self._printed_any = False
        self.plain_every = _plain_every()

    def begin(self, sched: Scheduler) -> None:
        self._last = time.monotonic()
        self._printed_any = False

    def end(self, sched: Scheduler) -> None:
        if self.tty:
            self.clear()
        elif len(sched.tasks) > 1 and self._printed_any:
            self._write(self.line(sched, done_too=True) + "\n")

    def clear(self) -> None:
        """Take the terminal line away before the builder prints something (a callback,
        a message); the next tick draws it again."""
        if self.tty and self._shown:
            self._write("\r\x1b[K")
            self._shown = ""

    def tick(self, sched: Scheduler) -> None:
        now = time.monotonic()
        if self.tty:
            if now - self._last < REDRAW:
                return
            self._last = now
            text = self.line(sched)
            if text != self._shown:
                self._write("\r\x1b[K" + text[:_width() - 1])
                self._shown = text
        elif now - self._last >= self.plain_every:
            self._last = now
            text = self.line(sched)
            if text:
                self._write(text + "\n")
                self._printed_any = True

    def line(self, sched: Scheduler, done_too: bool = False) -> str:
        now = time.monotonic()
        shown = [t for t in sched.running if now - t.t0 >= SHOW_AFTER]
        bits = []
        total = len(sched.tasks)
        if total > 1 and (shown or done_too):
            ended = len(sched.ended)
            failed = sum(1 for t in sched.ended if not t.ok)
            bits.append(f"{ended}/{total} done" + (f", {failed} failed" if failed else "")
                        + (f", {len(sched.running)} running" if sched.running else ""))
        for t in shown[:3]:
            part = t.handle.current_part() if t.handle is not None else ""
            if part == "analysis" and t.job is not None:  # (it has one: it has a part)
                slices = sched.slices
                part = f"analysis {slices_done(t.job.path, slices)}/{slices} slices"
            bits.append(f"{t.job} {t.plan.info.name}{' ' + part if part else ''} "
                        f"{_age(now - t.t0)}")
        if len(shown) > 3:
            bits.append(f"+{len(shown) - 3} more")
        return ("accel: " + "; ".join(bits)) if bits else ""

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass


def _age(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{seconds:.0f}s"


def _width() -> int:
    try:
        return os.get_terminal_size(2).columns or 100  # 0: a terminal that has no size set
    except OSError:
        return 100
