"""The Accelerator's `accelerator.g`: what a running job is, for code that is not handed
it as an argument (a helper module a method imports). Filled in by the runner in the job's
own process; outside a job only `running` is set.

    job       the CurrentJob           slices    how many slices
    sliceno   this slice (-1 outside analysis)
    options, datasets, jobs, params   as the method sees them
    running   'prepare', 'analysis', 'synthesis' (or 'build' outside a job)
"""

from __future__ import annotations

from typing import Any

running: str = "build"
job: Any = None
slices: int = 0
sliceno: int = -1
options: Any = None
datasets: Any = None
jobs: Any = None
params: Any = None
