"""Building from inside a running job, and `accel.build` for build scripts.

`from accel.subjobs import build` in a method's prepare or synthesis builds (or reuses)
another job and records it as a subjob of the running one (post.subjobs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from accel import layout
from accel.errors import UserError
from accel.job import Job

if TYPE_CHECKING:
    from accel.builder import Builder


class BuildsJobs(Protocol):
    """What `accel.build` in a build script asks of the script's Urd (accel.urd.Urd)."""

    def build(self, method: str, options: dict | None = None, datasets: dict | None = None,
              jobs: dict | None = None, **kw: Any) -> Job:
        """Build `method` (or reuse its job) and return the job."""


_builder: Builder | None = None
_current_urd: BuildsJobs | None = None


def set_current_urd(urd: BuildsJobs) -> None:
    """`ax run` registers its Urd here so `accel.build(...)` in a build script uses it."""
    global _current_urd
    _current_urd = urd


def _job_builder() -> Builder:
    global _builder
    if _builder is None:
        from accel.builder import Builder
        from accel.config import load_config

        cfg = layout.paths().config
        if cfg is None:
            raise UserError("subjobs.build: this job does not know its project's accelerator.conf")
        _builder = Builder(load_config(cfg))
    return _builder


def close_builder() -> None:
    """The job is ending: the subjob builder lets go of what it holds (its entry in the
    running-jobs registry, its executor's guard). Called by the runner."""
    global _builder
    if _builder is not None:
        _builder.close()
        _builder = None


def build(method: str, options: dict | None = None, datasets: dict | None = None,
          jobs: dict | None = None, **kw: Any) -> Job:
    """Build a job from a running method (a subjob), or from a build script via its urd."""
    current = layout.current_job()
    if current is None:
        if _current_urd is None:
            raise UserError("accel.build: not in a build script run by `ax run`, nor in a running job")
        return _current_urd.build(method, options, datasets, jobs, **kw)
    builder = _job_builder()
    options, datasets, jobs, own = builder.planner.build_keywords(method, options, datasets,
                                                                  jobs, kw)
    own.pop("name", None)  # (a subjob is in no urd list)
    job, _reused = builder.build(method, options, datasets, jobs, **own, **kw)
    (current / layout.SCRATCH).mkdir(exist_ok=True)
    with open(current / layout.SCRATCH / "subjobs", "a") as f:
        f.write(f"{job}\n")
    return job
