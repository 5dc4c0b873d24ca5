"""The urd of `ax run --dry-run`: builds through a DryBuilder (accel.dryrun), reads the
urd lists, and writes none: finish() and truncate() note what they would write."""

from __future__ import annotations

from typing import Any

from accel.dotdict import DotDict
from accel.dryrun import DryBuilder
from accel.urd.lists import Added
from accel.urd.session import Urd
from accel.words import plural


class DryUrd(Urd):
    builder: DryBuilder

    def __init__(self, builder: DryBuilder, build_script: str = ""):
        super().__init__(builder, build_script)

    @property
    def lists(self) -> Any:
        if not self.db_path.exists():  # opening it would make it: there are no entries
            return _NoLists()
        return super().lists

    def _record(self, job: Any, reused: bool, name: str, task: Any = None) -> None:
        if task is None:  # urd.build: its entry is the newest (name= is known only here)
            self.builder.entries[-1]["name"] = name
        super()._record(job, reused, name, task)

    def _summarise(self, method: str, tasks: list, result: Any) -> None:
        pass  # each row is an entry of the dry run's report

    def _add_entry(self, listname: str, ts: Any, joblist: list, **kw: Any) -> Added:
        self.builder.not_written.append(f"urd list {listname}: an entry of "
                                        f"{plural(len(joblist), 'job')}")
        return Added(DotDict(), True, False)

    def truncate(self, listname: str, timestamp: Any) -> DotDict:
        at = 1 if self.lists.get(listname, timestamp) else 0
        count = at + len(self.lists.since(listname, timestamp))
        self.builder.not_written.append(f"urd list {listname}: truncated at {timestamp} "
                                        f"({plural(count, 'entry', 'entries')} dropped)")
        return DotDict(count=count, deps=0)


class _NoLists:
    """The lists of a project that has no urd database yet: all empty."""

    def latest(self, listname: str) -> None:
        return None

    first = latest

    def get(self, listname: str, timestamp: Any) -> None:
        return None

    def since(self, listname: str, timestamp: Any) -> list[str]:
        return []

    def list(self) -> list[str]:
        return []
