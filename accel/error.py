"""The Accelerator's import path `accelerator.error`: its exception names, each bound to
the accel exception that plays that part, so `except` clauses keep working unchanged.

accel has no server and no urd server, and its colour() raises ValueError: the names for
those errors are classes of their own here that accel never raises (so importing them
still works). Unknown methods and wrong options are accel's UserErrors (MethodError,
OptionError), not a BuildError; BuildError is JobError, what a failed build raises.
"""

from __future__ import annotations

from accel.dataset.types import DatasetError, DatasetUsageError, NoSuchDatasetError
from accel.errors import AccelError as AcceleratorError
from accel.errors import JobError, NotFound, UserError

NoSuchWhateverError = NotFound
NoSuchJobError = NotFound
NoSuchWorkdirError = NotFound
BuildError = JobError


class ServerError(AcceleratorError):
    """accel has no server: never raised."""


class UrdError(AcceleratorError):
    """accel's urd lists raise UserError: never raised."""


class UrdPermissionError(UrdError):
    """Never raised (accel's urd has no permissions)."""


class UrdConflictError(UrdError):
    """Never raised (a conflicting urd entry is a UserError in accel)."""


class ColourError(AcceleratorError):
    """Never raised (accel's colour() raises ValueError for an unknown attribute)."""


__all__ = [
    "AcceleratorError", "BuildError", "ColourError", "DatasetError", "DatasetUsageError",
    "JobError", "NoSuchDatasetError", "NoSuchJobError", "NoSuchWhateverError",
    "NoSuchWorkdirError", "ServerError", "UrdConflictError", "UrdError", "UrdPermissionError",
    "UserError",
]
