"""The Accelerator's import path `accelerator.dispatch`, for code that says
`from accelerator.dispatch import JobError`: an alias, nothing more."""

from __future__ import annotations

from accel.errors import JobError

__all__ = ["JobError"]
