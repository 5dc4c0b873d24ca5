"""The project's urd lists and the entries of one, as plain JSON (ax urd, the board).

Only reads: when the project has no urd database yet, that means "no lists", and the
file is not created just by looking.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from accel.view.text import close_hint

if TYPE_CHECKING:
    from accel.dotdict import DotDict
    from accel.urd.lists import UrdLists


def _open(db: Path) -> UrdLists | None:
    """The project's UrdLists, or None: a project without a database has no lists, and
    looking does not make one."""
    if not db.exists():
        return None
    from accel.urd.lists import UrdLists

    return UrdLists(db)


def list_summaries(db: Path) -> list[dict]:
    """Every urd list: name, number of entries, the latest timestamp and its caption."""
    lists = _open(db)
    rows = []
    try:
        for name in lists.list() if lists else []:
            entries = lists.entries(name) if lists else []
            rows.append({"name": name, "entries": len(entries),
                         "latest": entries[-1].timestamp if entries else None,
                         "caption": entries[-1].caption if entries else ""})
    finally:
        if lists is not None:
            lists.close()
    return rows


def list_entries(db: Path, listname: str) -> list[dict]:
    """The entries of urd list `listname`, oldest first, as plain JSON; NotFound if none."""
    from accel.errors import NotFound
    from accel.urd.lists import check_listname

    lists = _open(db)
    try:
        names = lists.list() if lists else []
        check_listname(listname)
        if listname not in names:
            known = f" (lists: {', '.join(names)})" if names else " (there are no urd lists yet)"
            raise NotFound(f"no urd list {listname!r}{close_hint(listname, names)}{known}")
        assert lists is not None
        return [_plain(e) for e in lists.entries(listname)]
    finally:
        if lists is not None:
            lists.close()


def _plain(entry: DotDict) -> dict:
    """An entry as plain JSON types (lists of pairs, not the list subclasses)."""
    d = dict(entry)
    d["joblist"] = [[m, j] for m, j in entry.joblist.as_tuples]
    d["deps"] = {name: {"timestamp": dep.timestamp, "caption": dep.caption,
                        "joblist": [[m, j] for m, j in dep.joblist.as_tuples]}
                 for name, dep in (entry.deps or {}).items()}
    return d
