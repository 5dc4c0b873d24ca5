"""urd: the build-script side. `Urd` builds jobs and records build sessions in lists."""

from accel.urd.joblist import JobList
from accel.urd.session import Urd

__all__ = ["JobList", "Urd"]
