"""Issue 14: the README's five-minute tour, run as a user runs it -- its own code blocks,
taken from README.md, in a fresh project; what its comments say happens must happen."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from conftest import cli_env

README = Path(__file__).resolve().parent.parent / "README.md"


def tour_blocks() -> list[tuple[str, str]]:
    """(language, text) of each fenced block of the tour section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(\w+)\n(.*?)```", section, re.S)


def ax(cwd: Path, line: str) -> subprocess.CompletedProcess:
    """One `ax ...` line of the tour (its comment dropped), as a shell would run it."""
    args = shlex.split(line.split("#", 1)[0])
    assert args[0] == "ax", line
    return subprocess.run([sys.executable, "-m", "accel.cli.main", *args[1:]], cwd=cwd,
                          capture_output=True, text=True, env=cli_env(), timeout=120)


def status_of(out: str, jobid: str) -> str:
    """The status `ax run`'s table gives `jobid` (new, reused)."""
    table = out.split("job    method", 1)[1]
    (line,) = [x for x in table.splitlines() if x.split()[:1] == [jobid]]
    return line.split()[-1]


def test_the_five_minute_tour_does_what_it_says(tmp_path: Path) -> None:
    blocks = tour_blocks()
    shell = [b for lang, b in blocks if lang == "sh"]
    python = [b for lang, b in blocks if lang == "python"]
    wordcount, textutil, build = python  # in the order the tour adds them

    # make a project and run it twice
    first = [line for line in shell[0].splitlines() if line.startswith("ax ")]
    assert first[0].startswith("ax init tour && cd tour")
    assert ax(tmp_path, "ax init tour").returncode == 0
    proj = tmp_path / "tour"
    one, two = (ax(proj, line) for line in first[1:])
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert status_of(one.stdout, "dev-1") == "new" and status_of(two.stdout, "dev-1") == "reused"

    # write the method, its helper and the build script as the tour shows them
    (proj / "methods" / "a_wordcount.py").write_text(wordcount)
    (proj / "methods" / "textutil.py").write_text(textutil)
    (proj / "build.py").write_text(build)
    run_lines = [line for line in shell[1].splitlines() if line.startswith("ax run")]
    said = run_lines[0].split("#", 1)[1].strip()  # what the first run prints, per the tour
    p = ax(proj, run_lines[0])
    assert p.returncode == 0, p.stderr
    assert said in p.stdout, p.stdout
    p = ax(proj, run_lines[1])
    assert run_lines[1].split("#", 1)[1].strip() == "dev-2 reused"
    assert status_of(p.stdout, "dev-2") == "reused"

    # change an option: a new job; change it back: the first is reused
    changed = build.replace('text="the cat saw the other cat"',
                            'text="the cat saw the other cat", lowercase=False')
    assert changed != build
    (proj / "build.py").write_text(changed)
    assert status_of(ax(proj, "ax run").stdout, "dev-3") == "new"
    (proj / "build.py").write_text(build)
    assert status_of(ax(proj, "ax run").stdout, "dev-2") == "reused"

    # change the helper module: wordcount rebuilds; a file nothing imports rebuilds nothing
    (proj / "methods" / "unused.py").write_text("X = 1\n")
    assert status_of(ax(proj, "ax run").stdout, "dev-2") == "reused"
    (proj / "methods" / "textutil.py").write_text(textutil.replace(
        "return text.split()", "return text.replace(',', ' ').split()"))
    assert status_of(ax(proj, "ax run").stdout, "dev-4") == "new"

    # inspect it: every command of the tour works, and --json is JSON
    for line in (x for x in shell[2].splitlines() if x.startswith("ax ")):
        p = ax(proj, line)
        assert p.returncode == 0 and p.stdout.strip(), f"{line}\n{p.stderr}"
        if "--json" in line:
            assert json.loads(p.stdout)["job"] == "dev-2"
