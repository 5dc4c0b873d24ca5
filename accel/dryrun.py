"""`ax run --dry-run`: what a build script would build, without running a job.

Every `urd.build` and row of `urd.build_many` is planned as a build plans it (accel.plan),
and `ax why`'s reasoning (accel.explain) says which finished job would be reused, or why
a new one would be built. A job that would be built does not exist, so the script gets a
`Placeholder` for it: builds downstream take it as an input and would be built too ("input
source would be rebuilt"), while anything that reads it -- `.load()`, `.filename()`, its
datasets -- stops the dry run (`DryRunStop`): what the script does next depends on what
the job would make. A reused job is the real one (`KeptJob`): it reads as in a real run.
`link_result` of either links nothing: the link is noted with what else was not written.

Nothing is written: no job directory, no mark of use on a reused job (what `ax gc` keeps
for a running build), no urd list entry (accel.urd.dry), no run log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accel.builder import Builder
from accel.config import Config
from accel.executors import LocalExecutor
from accel.explain import explain_plan
from accel.job import Job, JobWithFile, result_link_path
from accel.jobstatus import FINISHED, REUSED
from accel.jsoncodec import encode
from accel.plan import Plan, check_inputs
from accel.scheduler import Task
from accel.whytext import build_reasons

BUILD, REUSE = "build", "reuse"


class DryRunStop(BaseException):
    """The build script asked a job that would be built for what it would make. Not an
    Exception, so a build script's `except Exception:` does not swallow it."""

    def __init__(self, job: Placeholder, call: str, message: str | None = None):
        self.job, self.call = job, call
        super().__init__(message or f"{call} of {job.label}, which would be built first")


class Placeholder(Job):
    """A job a dry run would build. Its id names a workdir that is not configured, so no
    real job: it stands for the job as an input of builds downstream, and in joblists.
    What would read the job -- any Job attribute but `method`, `withfile` and
    `link_result` -- raises DryRunStop."""

    entry: dict  # the dry run's entry of the build that would make it
    noted: list[str]  # what the dry run did not write

    def __new__(cls, jobid: str, entry: dict) -> Placeholder:
        self = str.__new__(cls, jobid)
        self.entry = entry
        return self

    @property
    def method(self) -> str:
        return self.entry["method"]

    @property
    def label(self) -> str:
        """'the csvimport job', or "the count job 'counted'" (built under name=)."""
        name, method = self.entry["name"], self.entry["method"]
        return f"the {name} job" if name == method else f"the {method} job {name!r}"

    def __repr__(self) -> str:
        return f"Placeholder({str(self)!r}: {self.label}, which would be built)"

    def withfile(self, name: str, sliced: bool = False, extra: Any = None) -> JobWithFile:
        """A reference to one of its files (for an option): nothing is read."""
        return JobWithFile(self, name, sliced, extra)

    def link_result(self, filename: str = "result.pickle", linkname: str | None = None) -> Path:
        """Where the link would be (made once the job is built): the script goes on."""
        link = result_link_path(filename, linkname)
        self.noted.append(f"link {link} -> {filename} of {self.label}")
        return link

    def __getattribute__(self, name: str) -> Any:
        if name not in _READS:
            return super().__getattribute__(name)
        if not callable(getattr(Job, name)):  # a property: reading it reads the job
            raise DryRunStop(self, f".{name}")

        def stop(*args: Any, **kw: Any) -> Any:
            given = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kw.items())])
            raise DryRunStop(self, f".{name}({given})")

        return stop


# what a Placeholder does not answer: the public attributes of Job (not str's) but its own
_READS = frozenset(n for n in dir(Job) if not n.startswith("_") and not hasattr(str, n)) \
    - {"method", "withfile", "link_result"}


class KeptJob(Job):
    """A finished job a dry run would reuse: the real one, read as in a real run; but
    link_result makes no link (it notes the link it would make in `noted`)."""

    noted: list[str]

    def link_result(self, filename: str = "result.pickle", linkname: str | None = None) -> Path:
        src, link = self.result_link(filename, linkname)
        self.noted.append(f"link {link} -> {src}")
        return link


class DryBuilder(Builder):
    """A Builder whose builds run nothing: each is an entry of `entries`, {"name",
    "method", "action": build|reuse, "job" (the reused one, else None), "placeholder" (a
    build's), "reasons", "row" (build_many's row number)}. `not_written`: what a real run
    would have written besides jobs (urd list entries, result links)."""

    def __init__(self, config: Config):
        super().__init__(config, executor=LocalExecutor(echo=False), echo=False)
        self.entries: list[dict] = []
        self.placeholders: dict[str, Placeholder] = {}
        self.not_written: list[str] = []
        prefix = "dryrun"
        while prefix in config.workdirs:  # (its ids must name no job)
            prefix += "_"
        self._prefix = prefix
        self._named = re.compile(rf"(?<![\w-])({prefix}-[0-9]+)(?![\w-])")

    def build(self, method: str, options: dict | None = None, datasets: dict | None = None,
              jobs: dict | None = None, *, workdir: str | None = None, force_build: bool = False,
              caption: str | None = None, timeout: float | None = None, retries: int = 0,
              **kw: Any) -> tuple[Job, bool]:
        plan = self.plan(method, options, datasets, jobs, **kw)
        # the settings a build refuses, refused here too
        self.task(plan, method, workdir=workdir, caption=caption, timeout=timeout,
                  retries=retries)
        job = self.decide(plan, method, force_build)
        return job, isinstance(job, KeptJob)

    def check_inputs(self, plan: Plan) -> None:
        check_inputs(plan, self.placeholders)

    def scheduler(self, parallel: int = 1, cpus: int | None = None,
                  on_end: Callable[[Task], None] | None = None) -> Any:
        return DryScheduler(self, on_end)

    def decide(self, plan: Plan, name: str, force_build: bool = False,
               row: int | None = None) -> Job:
        """The job a build of `plan` would give: a KeptJob, or a Placeholder for one it
        would build."""
        entry: dict[str, Any] = {"name": name, "method": plan.info.name, "action": BUILD,
                                 "job": None, "reasons": []}
        if row is not None:
            entry["row"] = row
        self.entries.append(entry)
        rebuilt = self._rebuilt_inputs(plan)
        if rebuilt:  # its identity is not known: it is new
            entry["reasons"] = rebuilt
        else:
            report = explain_plan(self.planner, self.store, plan, pending=self.placeholders)
            if report["verdict"] == "reuse" and not force_build:
                entry.update(action=REUSE, job=report["reuse"])
                kept = KeptJob(report["reuse"])
                kept.noted = self.not_written
                return kept
            if force_build:
                entry["reasons"].append({"what": "force build", "text": "force_build=True"})
            if report["verdict"] != "reuse":
                entry["reasons"] += build_reasons(report)
        self.check_inputs(plan)  # a build stops on an input that is not there: so do we
        jobid = f"{self._prefix}-{len(self.placeholders) + 1}"
        placeholder = self.placeholders[jobid] = Placeholder(jobid, entry)
        placeholder.noted = self.not_written
        entry["placeholder"] = jobid
        return placeholder

    def _rebuilt_inputs(self, plan: Plan) -> list[dict]:
        """A reason for each input (or option) of `plan` that names a job to be built."""
        out = []
        for kind, values in (("job input", plan.jobs), ("dataset input", plan.datasets)):
            for name, value in values.items():
                for ref in (value if isinstance(value, list) else [value]):
                    job = self.placeholders.get((ref or "").split("/")[0])
                    if job is not None:
                        out.append(self._rebuilt(kind, name, job,
                                                 f"input {name} would be rebuilt ({job.label})"))
        if self.placeholders:
            for name, value in plan.options.items():
                for jobid in dict.fromkeys(self._named.findall(json.dumps(encode(value)))):
                    job = self.placeholders.get(jobid)
                    if job is not None:
                        out.append(self._rebuilt("option", name, job,
                                                 f"option {name} names {job.label}, which "
                                                 "would be rebuilt"))
        return out

    @staticmethod
    def _rebuilt(kind: str, name: str, job: Placeholder, text: str) -> dict:
        return {"what": "input rebuilt", "kind": kind, "name": name, "placeholder": str(job),
                "method": job.method, "text": text}

    def stop_of(self, exc: BaseException) -> DryRunStop | None:
        """`exc` as the dry run's stop, when it is one or names a placeholder (the script
        made a Job of one, say, and read it)."""
        if isinstance(exc, DryRunStop):
            return exc
        for jobid in self._named.findall(str(exc)):
            if jobid in self.placeholders:
                job = self.placeholders[jobid]
                return DryRunStop(job, "", f"{exc} ({jobid} stands for {job.label}, which "
                                           "would be built first)")
        return None


class DryScheduler:
    """What runs build_many's rows in a dry run: each row's verdict, in order; `on_end`
    is called for each as a real run calls it when the row's job ends."""

    def __init__(self, builder: DryBuilder, on_end: Callable[[Task], None] | None):
        self.builder = builder
        self.on_end = on_end
        self.ended: list[Task] = []

    def run(self, tasks: list[Task]) -> list[Task]:
        for row, task in enumerate(tasks):
            task.job = self.builder.decide(task.plan, task.name, task.force_build, row)
            task.status = REUSED if isinstance(task.job, KeptJob) else FINISHED
            self.ended.append(task)
            if self.on_end is not None:
                self.on_end(task)
        return tasks
