"""README.md's fenced code blocks, for the tests that run them.

Every block has an HTML comment on the line before it saying what becomes of it:
`<!-- tested by tests/FILE.py::TEST -->` (that test reads or runs it) or
`<!-- not run: REASON -->`; tests/test_readme_commands.py fails on a block with neither,
so a new example cannot slip by untested. A test gets its blocks with `blocks_of(test)`.

A shell session in a block is `$ COMMAND` lines, each followed by what it prints; in the
printed lines `...` stands for any text (a line of only `...`: any lines), and hashes
(8 or more hex digits) and times (`2026-11-21 10:00:03`) for any such value.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conftest import cli_env, run_ax

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

_FENCE = re.compile(r"^( *)```(\w*)\s*$")
_MARK = re.compile(r"^\s*<!--\s*(.*?)\s*-->\s*$")
_TESTED_BY = re.compile(r"^tested by (tests/\w+\.py)::(\w+)$")


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, counting from 1
    lang: str  # "" when the fence names none
    text: str  # dedented by the fence's indent
    mark: str  # the comment before the fence, "" when there is none

    def where(self) -> str:
        first = self.text.strip().splitlines()[0] if self.text.strip() else ""
        return f"README.md:{self.line} (```{self.lang} {first[:50]!r})"


def blocks(text: str | None = None) -> list[Block]:
    """Every fenced block of the README, in order."""
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, start = len(m.group(1)), i
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        body = "".join(x[indent:] + "\n" for x in lines[start + 1:end])
        before = next((x for x in reversed(lines[:start]) if x.strip()), "")
        mark = _MARK.match(before)
        found.append(Block(start + 1, m.group(2), body, mark.group(1) if mark else ""))
        i = end + 1
    return found


def marked_test(block: Block) -> tuple[str, str] | None:
    """(test file, test name) the block's mark names, or None."""
    m = _TESTED_BY.match(block.mark)
    return (m.group(1), m.group(2)) if m else None


def marked(file: str, test: str) -> list[Block]:
    """The blocks marked `tested by FILE::TEST` (at least one)."""
    mine = [b for b in blocks() if marked_test(b) == (file, test)]
    assert mine, f"no README block is marked <!-- tested by {file}::{test} -->"
    return mine


def blocks_of(test: Callable) -> list[Block]:
    """The blocks marked `tested by` this test function."""
    return marked(f"tests/{test.__module__}.py", test.__name__)


def tour_python() -> tuple[str, str, str]:
    """The tour's methods/a_wordcount.py, methods/textutil.py and build.py."""
    tour = marked("tests/test_readme_tour.py", "test_the_five_minute_tour_does_what_it_says")
    wordcount, textutil, build = (b.text for b in tour if b.lang == "python")
    return wordcount, textutil, build


# --- running a block's commands ----------------------------------------------------------


def ax(cwd: Path, line: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """One `ax ...` line of a block (its `# comment` dropped), as a shell would run it."""
    args = shlex.split(line, comments=True)
    assert args and args[0] == "ax", line
    return run_ax(tuple(args[1:]), cwd, cli_env(), timeout)


def session(block: Block) -> list[tuple[str, list[str]]]:
    """A shell session's (command, the lines it prints) pairs."""
    steps: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"{block.where()}: output before any `$ command`"
            steps[-1][1].append(line)
    return steps


_ANY = re.compile(r"(\.\.\.|\b[0-9a-f]{8,}\b|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")


def _pattern(shown: str) -> re.Pattern:
    parts = _ANY.split(shown)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re.escape(part))
        elif part == "...":
            out.append(".*")
        elif part[0].isdigit() and "-" in part:
            out.append(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
        else:
            out.append("[0-9a-f]{8,}")
    return re.compile("".join(out))


def shows(shown: list[str], printed: str) -> bool:
    """Whether `printed` is what the README shows (`shown`, its wildcards as above)."""
    actual = printed.rstrip("\n").splitlines()

    def match(i: int, j: int) -> bool:
        if i == len(shown):
            return j == len(actual)
        if shown[i] == "...":
            return any(match(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and bool(_pattern(shown[i]).fullmatch(actual[j])) \
            and match(i + 1, j + 1)

    return match(0, 0)


# --- the tour's edits, which its text tells in words --------------------------------------


def lowercase_off(build: str) -> str:
    """The tour's build.py with `lowercase=False` ("Change an option")."""
    changed = build.replace('text="the cat saw the other cat"',
                            'text="the cat saw the other cat", lowercase=False')
    assert changed != build, build
    return changed


def strip_punctuation(textutil: str) -> str:
    """The tour's textutil.py, edited to strip punctuation ("Change a helper module")."""
    changed = textutil.replace("return text.split()", "return text.replace(',', ' ').split()")
    assert changed != textutil, textutil
    return changed
