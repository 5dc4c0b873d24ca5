"""The exceptions accel raises, sorted by whose fault it is.

`UserError` is a mistake in the user's input (config, options, method name, job
reference): the CLI prints its message as one line, no traceback, and exits 2.
`NotFound` is a well-formed request for something that is not there: exit 1.
`JobError` is a method that failed while running. `DiskError` is the machine's: the
device holding a workdir is full or read-only (accel.disk words it).
"""

from __future__ import annotations


class AccelError(Exception):
    """Base of every error accel raises on purpose."""


class UserError(AccelError, ValueError):
    """The user's input is wrong; the message says what and where."""

    exit_status = 2


class ConfigError(UserError):
    """accelerator.conf is wrong (message: 'FILE:LINE: problem')."""


class OptionError(UserError):
    """An option, dataset or job input given to a build does not fit the method."""


class MethodError(UserError):
    """A method cannot be found or loaded (unknown name, syntax error, duplicate)."""


class NotFound(AccelError, LookupError):
    """A job, dataset, list or method that was asked for does not exist."""

    exit_status = 1


class JobDamaged(AccelError):
    """A job's setup.json or post.json does not read as what accel wrote, or a finished
    job's file does not match what the job recorded of it when it finished (its size and
    checksum): refused rather than read as something it is not. `path`: the file."""

    exit_status = 1

    def __init__(self, message: str, path: object = None):
        super().__init__(message)
        self.path = path


class DiskError(AccelError):
    """A file could not be written: the device is full, over quota or read-only. The
    message names the device by the workdir (or other folder) it holds."""

    exit_status = 1

    def __init__(self, message: str, errno: int | None = None):
        super().__init__(message)
        self.errno = errno


class JobError(AccelError):
    """A job failed while running. The message has the whole story.

    `job`, `method`, `part` (where it ended: 'prepare', 'analysis slice 3', ...);
    `status`, as the Accelerator's: {part: its traceback, or how it ended}; `job_status`:
    the job's status word, 'failed', 'canceled' or 'timeout'."""

    exit_status = 1

    def __init__(self, message: str, job: str = "", method: str = "", part: str = "",
                 job_status: str = "failed", status: dict[str, str] | None = None):
        super().__init__(message)
        self.job = job
        self.method = method
        self.part = part
        self.job_status = job_status
        self.status = dict(status) if status else {part or "?": message}

    def format_msg(self) -> str:
        """The Accelerator's summary: 'JOB (METHOD):' and each part's traceback under it."""
        lines = [f"{self.job} ({self.method}):"]
        for part, text in self.status.items():
            lines.append(f"  {part}:")
            lines.append("    " + text.rstrip("\n").replace("\n", "\n    "))
        return "\n".join(lines)


class SkipSlice(Exception):
    """Raised in analysis to leave this slice's dataset empty (Accelerator name)."""


class SkipDataset(Exception):
    """Raised to not write a dataset at all (Accelerator name)."""
