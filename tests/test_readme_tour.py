"""Issue 14: the README's five-minute tour, run as a user runs it -- its own code blocks,
taken from README.md, in a fresh project; what its comments say happens must happen."""

from __future__ import annotations

import json
from pathlib import Path

from readme_blocks import ax, blocks_of, lowercase_off, strip_punctuation


def status_of(out: str, jobid: str) -> str:
    """The status `ax run`'s table gives `jobid` (new, reused)."""
    table = out.split("job    method", 1)[1]
    (line,) = [x for x in table.splitlines() if x.split()[:1] == [jobid]]
    return line.split()[-1]


def test_the_five_minute_tour_does_what_it_says(tmp_path: Path) -> None:
    blocks = blocks_of(test_the_five_minute_tour_does_what_it_says)
    shell = [b.text for b in blocks if b.lang == "sh"]
    python = [b.text for b in blocks if b.lang == "python"]
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
    (proj / "build.py").write_text(lowercase_off(build))
    assert status_of(ax(proj, "ax run").stdout, "dev-3") == "new"
    (proj / "build.py").write_text(build)
    assert status_of(ax(proj, "ax run").stdout, "dev-2") == "reused"

    # change the helper module: wordcount rebuilds; a file nothing imports rebuilds nothing
    (proj / "methods" / "unused.py").write_text("X = 1\n")
    assert status_of(ax(proj, "ax run").stdout, "dev-2") == "reused"
    (proj / "methods" / "textutil.py").write_text(strip_punctuation(textutil))
    assert status_of(ax(proj, "ax run").stdout, "dev-4") == "new"

    # inspect it: every command of the tour works, and --json is JSON
    for line in (x for x in shell[2].splitlines() if x.startswith("ax ")):
        p = ax(proj, line)
        assert p.returncode == 0 and p.stdout.strip(), f"{line}\n{p.stderr}"
        if "--json" in line:
            assert json.loads(p.stdout)["job"] == "dev-2"
