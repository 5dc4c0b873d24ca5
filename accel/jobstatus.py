"""The words for how a job stands, in one place: every command, the board, the scheduler
and the executors use these, so `ax jobs --status X` and `ax workdir --status X` take the
same X, and no module keeps a list of its own that can drift.

A job directory's status (`accel.records.status_of`):
  finished, failed, canceled, timeout   post.json says so (the job ended)
  running                               no post.json, and its runner holds the directory's lock
  unfinished                            no post.json, and nothing holds the lock (it died, or
                                        a builder is still setting it up)
  damaged                               setup.json or post.json cannot be read as what accel
                                        wrote (`accel.records` says which and why)

A build's view of one job it was asked for adds `pending` (not started yet) and `reused`
(an earlier job with the same identity was taken instead of running a new one).
"""

from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # Python 3.10 has no StrEnum: the same, written out

    class StrEnum(str, Enum):
        """Members are their values: str() and format() give the value, not 'Status.X'."""

        def __str__(self) -> str:
            return str.__str__(self)

        def __format__(self, spec: str) -> str:
            return str.__format__(self, spec)


class Status(StrEnum):
    FINISHED = "finished"
    FAILED = "failed"
    CANCELED = "canceled"
    TIMEOUT = "timeout"
    RUNNING = "running"
    UNFINISHED = "unfinished"
    DAMAGED = "damaged"


FINISHED = Status.FINISHED
FAILED = Status.FAILED
CANCELED = Status.CANCELED
TIMEOUT = Status.TIMEOUT
RUNNING = Status.RUNNING
UNFINISHED = Status.UNFINISHED
DAMAGED = Status.DAMAGED

ENDED = (FINISHED, FAILED, CANCELED, TIMEOUT)  # what a post.json may say
ENDED_BADLY = (FAILED, CANCELED, TIMEOUT)  # ended, and not reusable
NOT_ENDED = (RUNNING, UNFINISHED)  # no post.json (yet)
ALL = tuple(s.value for s in Status)  # plain strings, as commands take them

# a build's view of a job it asked for (a task of the scheduler, a row of a JobList)
PENDING = "pending"
REUSED = "reused"
DONE_OK = (FINISHED, REUSED)  # the build got a job it can use
