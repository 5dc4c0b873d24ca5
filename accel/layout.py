"""Names of things on disk, in one place, and where the workdirs are.

While the runner lives it holds an flock on the job directory itself: a job without
post.json is "running" while that lock is taken, "unfinished" (it died) once it is free.

A job directory holds:
  setup.json        what the job is: method, options, inputs, identity (written first)
  post.json         how it ended: status, timings, files (written last; its presence
                    with status "finished" is what makes a job reusable)
  output/           captured output, one file per part: prepare, analysis-N, synthesis
  .accel/           the runner's scratch (analysis results, subjob list), when needed
  anything else     the method's own files (result.pickle, ...)

`Paths` says where the workdirs are. The build side sets it from accelerator.conf;
a runner (possibly on another machine) sets it from the job's setup.json, so a job
directory is all a runner needs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

SETUP = "setup.json"
POST = "post.json"
OUTPUT = "output"
SCRATCH = ".accel"
INTERNAL = frozenset({SETUP, POST, OUTPUT, SCRATCH})


def dataset_folder(name: str) -> str:
    """The folder (under the job's datasets/) of the dataset `name`: a name may hold '/'
    (as in the Accelerator), so '%' and '/' are escaped; one folder per dataset."""
    return name.replace("%", "%25").replace("/", "%2F")


def dataset_name(folder: str) -> str:
    """The inverse of dataset_folder(). A folder it did not make (a name with '%' written
    before names could hold '/') is its own name."""
    from urllib.parse import unquote

    name = unquote(folder)
    return name if dataset_folder(name) == folder else folder

JOBID_RE = re.compile(r"^([A-Za-z0-9_]+)-([0-9]+)$")


_ASCII_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
METHOD_NAMES = "a Python identifier, or letters, digits, '_', '.' and '-' not starting with '.' or '-'"


def is_method_name(name: object) -> bool:
    """Whether `name` can be a method's name (`a_NAME.py` in a method package): a Python
    identifier (`smörgås` as well as `wordcount`), or ASCII letters, digits, '_', '.' and
    '-' (`word-count`). It names files (the index's by-method lists), so it is one path
    component: never empty, '.', '..', or holding '/' or NUL. setup.json, job references
    and the method registry all take exactly these."""
    return isinstance(name, str) and (name.isidentifier() or bool(_ASCII_NAME.fullmatch(name)))


def split_jobid(jobid: str) -> tuple[str, int] | None:
    """(workdir, number), or None when `jobid` is not a job id."""
    m = JOBID_RE.match(jobid)
    return (m.group(1), int(m.group(2))) if m else None


def jobid_parts(jobid: str) -> tuple[str, int]:
    """(workdir, number) of what is known to be a job id (accel made it or checked it)."""
    parts = split_jobid(jobid)
    if parts is None:
        raise ValueError(f"not a job id: {jobid!r}")
    return parts


def output_name(part: str | int) -> str:
    """output/prepare.txt, output/analysis-3.txt, output/synthesis.txt"""
    return f"analysis-{part}.txt" if isinstance(part, int) else f"{part}.txt"


def part_label(jobid: str, part: str | int) -> str:
    """'dev-3 prepare', 'dev-3 analysis 1': the label of what a part printed, live
    (`accel.capture`, a Dask worker's tail) and in `ax job -o`, always as line_prefix()."""
    return f"{jobid} analysis {part}" if isinstance(part, int) else f"{jobid} {part}"


def line_prefix(label: str) -> str:
    """'[dev-3 analysis 1] ': what each line of a part's output is shown after."""
    return f"[{label}] "


@dataclass
class Paths:
    workdirs: dict[str, Path] = field(default_factory=dict)
    result_directory: Path | None = None
    input_directory: Path | None = None
    config: Path | None = None

    def to_json(self) -> dict:
        return {
            "workdirs": {k: str(v) for k, v in self.workdirs.items()},
            "result_directory": str(self.result_directory) if self.result_directory else None,
            "input_directory": str(self.input_directory) if self.input_directory else None,
            "config": str(self.config) if self.config else None,
        }

    @classmethod
    def from_json(cls, d: dict) -> Paths:
        def p(v: str | None) -> Path | None:
            return Path(v) if v else None

        return cls(
            {k: Path(v) for k, v in d.get("workdirs", {}).items()},
            p(d.get("result_directory")),
            p(d.get("input_directory")),
            p(d.get("config")),
        )


_paths = Paths()
_current_job: Path | None = None  # set in a job's own processes, for subjobs
# set in a job's environment too, so programs a method starts (`ax run` among them) know
# they run inside a job
JOB_ENV = "ACCEL_JOB"


def set_paths(paths: Paths) -> None:
    global _paths
    _paths = paths


def paths() -> Paths:
    return _paths


def set_current_job(path: Path | None) -> None:
    global _current_job
    _current_job = path
    if path is None:
        os.environ.pop(JOB_ENV, None)
    else:
        os.environ[JOB_ENV] = str(path)


def current_job() -> Path | None:
    return _current_job


def within(path: str | os.PathLike, root: str | os.PathLike) -> bool:
    """Is `path` `root` or under it, links resolved (a job's own file, never `../dev-3/x`)?"""
    real = os.path.realpath(root)
    return os.path.commonpath([real, os.path.realpath(path)]) == real


def inside_job() -> bool:
    """Does this process run as part of a job (the job itself, or a program it started)?"""
    return _current_job is not None or bool(os.environ.get(JOB_ENV))
