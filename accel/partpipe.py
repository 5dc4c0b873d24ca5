"""What a runner tells its executor on the part pipe, written and read in one place.

One line per event: the name of each part as it starts ("prepare", "analysis 0", ...);
at the end "=STATUS" (the status post.json now holds), preceded by "=!{error as JSON}"
when post.json could not hold the error (a full disk), and last "done": post.json is
written, the job is over, whatever the process still does is teardown. A runner that dies
says nothing more; the executor then knows the part it died in.
"""

from __future__ import annotations

import json

DONE = "done"
ENDED_MARK = "="
ERROR_MARK = ENDED_MARK + "!"


def started(part: str) -> bytes:
    """The line saying `part` starts."""
    return f"{part}\n".encode()


def ended(status: str, error: dict | None = None) -> bytes:
    """The last lines: the error post.json could not hold (if any), the status, done."""
    told = "" if error is None else f"{ERROR_MARK}{json.dumps(error)}\n"
    return f"{told}{ENDED_MARK}{status}\n{DONE}\n".encode()


class PartReader:
    """The executor's side: feed it what the pipe gave, ask it what the runner said."""

    def __init__(self) -> None:
        self.parts: list[str] = []  # the parts started, in order
        self.done = False
        self.status: str | None = None  # from "=STATUS"
        self.error: dict | None = None  # from "=!{...}"
        self._buf = b""

    def feed(self, chunk: bytes) -> list[str]:
        """Take bytes read from the pipe; returns the parts that started in them."""
        *lines, self._buf = (self._buf + chunk).split(b"\n")
        return self._take(lines)

    def close(self) -> list[str]:
        """The pipe ended: a last line without its newline counts too."""
        lines, self._buf = [self._buf], b""
        return self._take(lines)

    def _take(self, lines: list[bytes]) -> list[str]:
        new = []
        for raw in lines:
            line = raw.decode(errors="replace")
            if not line:
                continue
            if line == DONE:
                self.done = True
            elif line.startswith(ERROR_MARK):
                try:
                    self.error = json.loads(line[len(ERROR_MARK):])
                except ValueError:
                    self.error = None
            elif line.startswith(ENDED_MARK):
                self.status = line[len(ENDED_MARK):]
            else:
                self.parts.append(line)
                new.append(line)
        return new

    @property
    def current(self) -> str:
        """The part that started last ("" before any)."""
        return self.parts[-1] if self.parts else ""
