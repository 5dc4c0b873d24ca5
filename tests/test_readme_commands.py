"""Issue 14: every code block of README.md is tested, or says why not -- and the command
examples outside the tour run here, from their own text, against one project built once:
the tour's jobs, then the README's own build scripts (urd lists, build_many) and methods
(the declarations, the dataset writer), with the small methods and files the README
leaves to the reader. What a block shows a command printing, or says in a comment, is
checked, not only the exit status. (How blocks are marked: tests/readme_blocks.py.)"""

from __future__ import annotations

import ast
import csv
import inspect
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import printed
from readme_blocks import (
    ROOT,
    ax,
    blocks,
    blocks_of,
    lowercase_off,
    marked_test,
    session,
    shows,
    strip_punctuation,
    tour_python,
)

from accel.config import load_config
from accel.dataset import Dataset
from accel.urd import Urd

# --- every block: tested, or marked as not run ------------------------------------------


def test_every_readme_block_is_tested_or_says_why_not() -> None:
    wrong = []
    for block in blocks():
        if not marked_test(block) and not re.fullmatch(r"not run: \S.*", block.mark):
            wrong.append(f"{block.where()}: neither <!-- tested by tests/FILE.py::TEST --> "
                         "nor <!-- not run: REASON --> on the line before it")
        for file, test in re.findall(r"(tests/\w+\.py)::(\w+)", block.mark):
            path = ROOT / file
            if not path.is_file() or f"def {test}(" not in path.read_text():
                wrong.append(f"{block.where()}: its mark names {file}::{test}, "
                             "which does not exist")
    assert not wrong, "\n".join(wrong)


def test_a_block_without_a_mark_is_found() -> None:
    text = "# x\n\n```sh\nax run\n```\n\n<!-- not run: a drawing -->\n  ```\n  a\n  ```\n"
    plain, drawing = blocks(text)
    assert (plain.line, plain.lang, plain.text, plain.mark) == (3, "sh", "ax run\n", "")
    assert (drawing.text, drawing.mark) == ("a\n", "not run: a drawing")


def test_shown_output_matches_with_its_wildcards() -> None:
    shown = ["wordcount: would run (no finished job has identity 5f2c0e1a9b7d3c4e)",
             "nearest job: dev-4 (started 2026-11-21 10:00:03), ...", "..."]
    said = "wordcount: would run (no finished job has identity 0123abcd0123abcd)\n" \
           "nearest job: dev-4 (started 2027-01-02 03:04:05), 2 differences:\n  a\n  b\n"
    assert shows(shown, said)
    assert not shows(shown, said.replace("dev-4", "dev-3"))
    assert not shows(shown[:2], said)  # lines the README does not show


# --- one project for the rest -------------------------------------------------------------

FIT = '''
description = "A stand-in for fitting a model: alpha times depth; a negative depth fails."

options = dict(alpha=float, depth=int)


def synthesis(options):
    if options.depth < 0:
        raise ValueError(f"depth {options.depth} is negative")
    return options.alpha * options.depth
'''

RUNS = "alpha,depth\n0.5,2\n1.5,3\n0.5,-1\n"

TEMPERATURES = '''
from datetime import date

description = "A few readings as a dataset: station, celsius, day."


def synthesis(job):
    dw = job.datasetwriter(columns={"station": "unicode", "celsius": "float64", "day": "date"})
    write = dw.get_split_write()
    for i, (station, celsius) in enumerate([("abisko", -3.5), ("lund", 4.25), ("kiruna", -10.0),
                                            ("abisko", -4.0), ("lund", 3.5), ("lund", 2.0)]):
        write(station, celsius, date(2026, 1, 1 + i // 3))
'''

STUCK = '''
import time


def synthesis():
    time.sleep(60)  # never finishes: its build times it out
'''

# what the README's declarations need beside them, and what the test reads back
DECLARED_HEAD = "from . import textutil as some_module\n"
DECLARED_TAIL = '''

def synthesis(options, datasets, jobs):
    return dict(options=options, datasets=datasets, jobs=jobs)
'''

MORE = '''
import json

from accel import JobError


def main(urd):
    job = urd.build("declared", region="north", label="x", day="2020-01-31", ratio=1,
                    kind="jsonl")
    print("DECLARED", json.dumps(job.load(), default=str))
    for missing in ("region", "label"):
        given = dict(region="north", label="x")
        del given[missing]
        try:
            urd.build("declared", **given)
        except ValueError as e:
            print("REQUIRED", json.dumps(str(e)))
    source = urd.build("temperatures")
    print("WRITER", json.dumps([urd.build("bystation", source=source), source]))
    try:
        urd.build("stuck", timeout=0.2)
    except JobError as e:
        print("STUCK", json.dumps(e.job_status))
'''


@dataclass
class Built:
    root: Path
    runs: dict[str, subprocess.CompletedProcess]


def _printing(text: str, also: str) -> str:
    """A build script's text, its line `EXPR  # -> VALUE` printing EXPR and `also` (JSON)."""
    lines = text.splitlines()
    (i,) = [n for n, line in enumerate(lines) if "# -> " in line]
    expr = lines[i].split("#", 1)[0].strip()
    indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
    lines[i] = f'{indent}print("RESULT", json.dumps([{expr}, {also}]))'
    return "import json\n" + "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The project every block below runs in, built once; `runs` has each `ax run`."""
    top = tmp_path_factory.mktemp("readme")
    assert ax(top, "ax init tour").returncode == 0
    root = top / "tour"
    methods = root / "methods"
    runs: dict[str, subprocess.CompletedProcess] = {}

    def run(name: str, line: str, rc: int = 0) -> None:
        runs[name] = p = ax(root, line)
        assert p.returncode == rc, f"{line}: exit {p.returncode}\n{p.stdout}\n{p.stderr}"

    # the tour's jobs (test_readme_tour.py follows its steps one by one): dev-1 hello;
    # dev-2 wordcount, dev-3 with lowercase=False, dev-4 after the edit of textutil.py
    wordcount, textutil, build = tour_python()
    (methods / "a_wordcount.py").write_text(wordcount)
    (methods / "textutil.py").write_text(textutil)
    (root / "build.py").write_text(build)
    (root / "build_tour.py").write_text(
        build.replace("def main(", "def tour(") + "\n\n"
        + lowercase_off(build).replace("def main(", "def lowercase_off(") + "\n\n"
        + "def main(urd):\n    urd.build('hello', who='accel')  # as `ax init`'s build.py\n"
        + "    tour(urd)\n    lowercase_off(urd)\n")
    run("tour", "ax run tour")
    (methods / "textutil.py").write_text(strip_punctuation(textutil))
    run("helper", "ax run")

    # the README's urd list script, on the example pipeline's `readings`
    for name in ("a_readings.py", "weather.py"):
        shutil.copy(ROOT / "methods" / name, methods)
    (block,) = blocks_of(test_urd_lists_example)
    (root / "build_nightly.py").write_text(_printing(
        block.text, 'job, urd.latest("nightly")'))
    run("nightly", "ax run nightly")

    # the README's build_many script: one of the three rows fails (and is retried)
    (methods / "a_fit.py").write_text(FIT)
    (root / "runs.csv").write_text(RUNS)
    (block,) = blocks_of(test_build_many_example)
    (root / "build_fit.py").write_text(block.text)
    run("fit", "ax run fit", rc=1)

    # the README's method declarations and dataset writer, and a job that times out
    (declared,) = blocks_of(test_method_declarations)
    (methods / "a_declared.py").write_text(DECLARED_HEAD + declared.text + DECLARED_TAIL)
    (methods / "table.txt").write_text("a depend_extra file\n")
    (writer,) = blocks_of(test_dataset_writer_example)
    (methods / "a_bystation.py").write_text(writer.text)
    (methods / "a_temperatures.py").write_text(TEMPERATURES)
    (methods / "a_stuck.py").write_text(STUCK)
    (root / "build_more.py").write_text(MORE)
    run("more", "ax run --allow-failed-jobs more")
    return Built(root, runs)


# --- the blocks ---------------------------------------------------------------------------


def test_the_configuration_example(tmp_path: Path) -> None:
    (block,) = blocks_of(test_the_configuration_example)
    root, shared = tmp_path / "p", tmp_path / "shared"
    for folder in (root / "workdirs" / "dev", shared, root / "methods", root / "data",
                   root / "mycompany" / "methods"):
        folder.mkdir(parents=True)
    for init in ("mycompany/__init__.py", "mycompany/methods/__init__.py"):
        (root / init).write_text("")
    conf = block.text.replace("/data/accel/shared", str(shared))
    assert conf != block.text
    (root / "accelerator.conf").write_text(conf)
    p = ax(root, "ax workdir")  # every key read, the method packages found
    assert p.returncode == 0, p.stderr
    rows = [line.split() for line in p.stdout.splitlines()]
    assert ["dev", "*", "0", str(root / "workdirs" / "dev")] in rows, p.stdout
    assert ["shared", "0", str(shared)] in rows, p.stdout


def test_method_declarations(built: Built) -> None:
    p = ax(built.root, "ax method declared")
    assert p.returncode == 0, p.stderr
    shown = [" ".join(line.split()) for line in p.stdout.splitlines()]
    for line in ("count int", "ratio float (default 0.5)", "day date", "tags list of str",
                 "mode one of fast, slow (default fast)", "region required str",
                 "label required non-empty str", "extra (a list)", "parts (a list)",
                 "table.txt", "methods.textutil"):
        assert line in shown, (line, p.stdout)

    given = printed(built.runs["more"], "DECLARED")
    assert given["options"] == {
        "count": None, "ratio": 1.0, "day": "2020-01-31", "tags": [], "weights": {},
        "anything": None, "mode": "fast", "kind": "jsonl", "region": "north", "label": "x",
        "model": None, "src": None}
    # inputs not given: NoDataset and NoJob (the empty string), a list one []
    assert given["datasets"] == {"source": "", "extra": []}
    assert given["jobs"] == {"previous": "", "parts": []}
    said = [json.loads(line.split(" ", 1)[1]) for line in built.runs["more"].stdout.splitlines()
            if line.startswith("REQUIRED ")]  # a ValueError before anything runs
    assert len(said) == 2, said
    assert "option 'region' is required" in said[0] and "option 'label' is required" in said[1]


def test_ax_method_prints_the_equivalent_hashes_line(built: Built) -> None:
    (block,) = blocks_of(test_ax_method_prints_the_equivalent_hashes_line)
    [(command, shown)] = session(block)
    hello = built.root / "methods" / "a_hello.py"
    source = hello.read_text()
    edited = source.replace("# each slice counts", "# each slice, in parallel, counts")
    assert edited != source
    hello.write_text(edited)  # a cosmetic edit of dev-1's method
    p = ax(built.root, command)
    assert p.returncode == 0, p.stderr
    assert shows(shown, p.stdout), f"{command}\n{p.stdout}"
    line = next(x.strip() for x in p.stdout.splitlines() if "equivalent_hashes =" in x)
    # pasted, the old job is reused
    pasted = edited.replace("\n\n\ndef prepare", f"\n{line}\n\n\ndef prepare", 1)
    assert pasted != edited
    hello.write_text(pasted)
    why = ax(built.root, "ax why hello who=accel")
    assert why.stdout.startswith("hello: would reuse dev-1"), why.stdout + why.stderr


def _readme_params(text: str) -> tuple[list[tuple[str, str, object]], bool]:
    """A signature as the README writes it: (name, kind, default) each, and whether it is
    partial (`...`); kind is 'positional', 'keyword' or 'kw'."""
    params, kind, partial = [], "positional", False
    for part in (x.strip() for x in text.split(",")):
        if part == "...":
            partial = True
        elif part == "*":
            kind = "keyword"
        elif part.startswith("**"):
            params.append((part[2:], "kw", inspect.Parameter.empty))
        else:
            name, _, default = part.partition("=")
            params.append((name, kind, ast.literal_eval(default) if default else
                           inspect.Parameter.empty))
    return params, partial


def test_signatures() -> None:
    kinds = {"positional": inspect.Parameter.POSITIONAL_OR_KEYWORD,
             "keyword": inspect.Parameter.KEYWORD_ONLY, "kw": inspect.Parameter.VAR_KEYWORD}
    text = "".join(b.text for b in blocks_of(test_signatures))
    found = re.findall(r"urd\.(\w+)\((.*?)\)(?: -> (\w+))?", text, re.S)
    assert len(found) == 3, found
    for name, args, returns in found:
        real = inspect.signature(getattr(Urd, name))
        real_params = {k: v for k, v in real.parameters.items() if k != "self"}
        params, partial = _readme_params(args)
        for pname, kind, default in params:
            if pname not in real_params:
                # urd.build's timeout= and retries= are taken from its **kw (the
                # fixture's `stuck` job is built with timeout=)
                assert partial and inspect.Parameter.VAR_KEYWORD in \
                    [p.kind for p in real_params.values()], f"urd.{name}: no {pname}"
                continue
            got = real_params[pname]
            assert (got.kind, got.default) == (kinds[kind], default), (name, pname, got)
        if not partial:
            assert {p for p, _, _ in params} == set(real_params), (name, list(real_params))
        if returns:
            assert real.return_annotation == returns, (name, real.return_annotation)


def test_urd_lists_example(built: Built) -> None:
    got, job, entry = printed(built.runs["nightly"])
    (block,) = blocks_of(test_urd_lists_example)
    said = block.text.split("# -> ", 1)[1].strip()
    assert re.fullmatch(r"'dev-\d+'", said), said  # the readings job, as its id
    assert got == job and re.fullmatch(r"dev-\d+", job)
    assert entry["deps"] == {}  # peek_latest: not recorded as a dependency
    assert entry["joblist"] == [job]  # finish: every job built since begin
    assert (entry["timestamp"], entry["caption"]) == ("2026-11-21", "all stations")


def test_build_many_example(built: Built) -> None:
    p = built.runs["fit"]  # exit 1: a row failed (the README: unless --allow-failed-jobs)
    with (built.root / "runs.csv").open() as f:
        rows = list(csv.DictReader(f))  # write_status=True
    assert [(r["alpha"], r["depth"], r["accel_status"]) for r in rows] == [
        ("0.5", "2", "finished"), ("1.5", "3", "finished"), ("0.5", "-1", "failed")]
    assert "depth -1 is negative" in rows[2]["accel_error"]
    ok, failed = [r["accel_job"] for r in rows[:2]], rows[2]["accel_job"]
    # `print(job, value)` of each result, then `print(jobs.failed)`: the failed row's job
    out = p.stdout.splitlines()
    assert f"{ok[0]} 1.0" in out and f"{ok[1]} 4.5" in out, p.stdout
    assert f"[Job('{failed}')]" in out, p.stdout
    assert "retrying (1 of 1)" in p.stderr  # retries=1
    assert f"accel: build_many 'fit': 3 jobs: 2 finished; 1 failed: {failed}" in p.stderr


def _writer_job(built: Built) -> tuple[str, str]:
    """The job of the README's dataset writer method, and of its source."""
    job, source = printed(built.runs["more"], "WRITER")
    load_config(built.root / "accelerator.conf").activate()
    return job, source


def test_dataset_writer_example(built: Built) -> None:
    job, source_job = _writer_job(built)
    default, by_station, source = Dataset(job), Dataset(job, "by_station"), Dataset(source_job)
    # prepare's writer: the source's columns, `day` added with None allowed, each
    # analysis slice writing its own slice; chained to the source
    assert {c: (default.columns[c].type, default.columns[c].none_support)
            for c in default.columns} == {"station": ("unicode", False),
                                          "celsius": ("float64", False), "day": ("date", True)}
    assert default.previous == source and default.lines == source.lines
    assert list(default.iterate(None)) == list(source.iterate(None))
    # synthesis's writer: hashed by station, every station's rows in one slice
    assert by_station.hashlabel == "station" and sum(by_station.lines) == sum(source.lines)
    slice_of: dict[str, set[int]] = {}
    for sliceno in range(by_station.slices):
        for station in by_station.iterate(sliceno, "station"):
            slice_of.setdefault(station, set()).add(sliceno)
    assert sorted(slice_of) == ["abisko", "kiruna", "lund"]
    assert all(len(s) == 1 for s in slice_of.values()), slice_of


def test_dataset_files_open_without_accel(built: Built, monkeypatch) -> None:
    job, _ = _writer_job(built)
    (block,) = blocks_of(test_dataset_files_open_without_accel)
    code = block.text.replace("dev-3", job)
    assert code != block.text
    monkeypatch.chdir(built.root)
    scope: dict = {}
    values = []
    for stmt in ast.parse(code).body:
        if isinstance(stmt, ast.Expr):
            values.append(eval(compile(ast.Expression(stmt.value), "README", "eval"), scope))
        else:
            exec(compile(ast.Module([stmt], []), "README", "exec"), scope)
    table, frame = values
    assert table.num_rows == frame.height == 6
    assert table.column_names == frame.columns == ["station", "celsius", "day"]
    assert table.schema.field("day").metadata[b"accel.type"] == b"date"  # names its type


def test_ax_why(built: Built) -> None:
    (block,) = blocks_of(test_ax_why)
    for command, shown in session(block):
        p = ax(built.root, command)
        assert p.returncode == 0, p.stderr
        assert shows(shown, p.stdout), f"$ {command}\n{p.stdout}"


def _table(out: str) -> list[dict[str, str]]:
    """A table `ax` printed, one dict per row by its header's column names."""
    lines = out.splitlines()
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", lines[0])]
    spans = list(zip(starts, starts[1:] + [None], strict=True))
    names = [lines[0][a:b].strip() for a, b in spans]
    return [{n: line[a:b].strip() for n, (a, b) in zip(names, spans, strict=True)}
            for line in lines[1:] if line.strip()]


def _jobs_listed(p: subprocess.CompletedProcess) -> list[dict[str, str]]:
    assert p.returncode == 0, p.stderr
    return _table(p.stdout)


def test_ax_jobs(built: Built) -> None:
    (block,) = blocks_of(test_ax_jobs)
    every = sorted((d.name for d in (built.root / "workdirs" / "dev").iterdir()
                    if d.name.startswith("dev-")), key=lambda n: -int(n[4:]))
    fit = {r["accel_job"]: (r["alpha"], r["depth"])
           for r in csv.DictReader((built.root / "runs.csv").open())}

    def newest(p):  # the newest 100: job, method, status, started, runtime, caption/error
        rows = _jobs_listed(p)
        assert list(rows[0]) == ["job", "method", "status", "started", "runtime",
                                 "caption/error"], p.stdout
        assert [r["job"] for r in rows] == every[:100]

    def failed(p):  # what failed in the last day, with its error
        rows = _jobs_listed(p)
        assert {r["status"] for r in rows} == {"failed"} and len(rows) == 2, p.stdout
        assert all("depth -1 is negative" in r["caption/error"] for r in rows), p.stdout

    def with_option(p):  # jobs of a method with an option set so
        assert [(r["job"], r["method"]) for r in _jobs_listed(p)] == [("dev-3", "wordcount")]

    def long_ones(p):  # every job that ran ten minutes or more: none here
        assert p.returncode == 0 and "dev-" not in p.stdout, p.stdout

    def sweep(p):  # a sweep's jobs, told apart by these options
        rows = _jobs_listed(p)
        assert list(rows[0])[:4] == ["job", "method", "alpha", "depth"], p.stdout
        shown = {r["job"]: (r["alpha"], r["depth"]) for r in rows}
        assert len(shown) == 4 and all(shown[j] == fit[j] for j in fit), p.stdout

    def summary(p):  # per method and status: jobs, runtime, memory
        rows = _jobs_listed(p)
        assert list(rows[0])[:5] == ["method", "status", "jobs", "runtime", "median"], p.stdout
        assert "memory" in list(rows[0])[-1], p.stdout
        counts = {(r["method"], r["status"]): r["jobs"] for r in rows}
        assert counts[("wordcount", "finished")] == "3" and counts[("fit", "failed")] == "2"

    def for_scripts(p):  # for scripts: options, times, error, path
        assert p.returncode == 0, p.stderr
        [stuck] = json.loads(p.stdout)
        assert (stuck["method"], stuck["status"]) == ("stuck", "timeout")
        assert {"options", "starttime", "runtime", "error", "path"} <= set(stuck), stuck
        assert Path(stuck["path"]).name == stuck["job"]

    checks = {"ax jobs": newest, "ax jobs --status failed --since 1d": failed,
              "ax jobs -m wordcount -o lowercase=false": with_option,
              "ax jobs --min-runtime 10m -n 0": long_ones,
              "ax jobs -m fit --columns alpha,depth": sweep,
              "ax jobs --since 1d --summary": summary,
              "ax jobs --status canceled,timeout --json": for_scripts}
    lines = [x for x in block.text.splitlines() if x.strip()]
    commands = [x.split("#", 1)[0].strip() for x in lines]
    assert sorted(commands) == sorted(checks), "a line of the block without a check here"
    assert printed(built.runs["more"], "STUCK") == "timeout"
    for line, command in zip(lines, commands, strict=True):
        checks[command](ax(built.root, line))
