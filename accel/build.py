"""The Accelerator's import path `accelerator.build`, for code that says
`from accelerator.build import JobError`: an alias, nothing more.

(accel's build engine is `accel.builder`; `accel.build` the function, `from accel import
build`, is `accel.subjobs.build` and stays so: `accel/__init__` makes sure importing this
module does not replace it.)
"""

from __future__ import annotations

from accel.errors import JobError

__all__ = ["JobError"]
