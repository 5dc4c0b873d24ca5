"""A running job's page follows the job: the part of the page that live.js updates, and
the board's static files (live.js is the only one).

The script comes from the board itself (CSP `script-src 'self'`: no inline script, no
eval) and polls the page's own JSON; without JavaScript the page is as it was when loaded,
and says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from accel.board.html import Html, h2, href, join, note, tag
from accel.errors import NotFound
from accel.jobstatus import NOT_ENDED

STATIC = Path(__file__).resolve().parent / "static"
FILES = ("live.js",)  # what /static/ serves


def open_static(name: str) -> IO[bytes]:
    if name not in FILES:
        raise NotFound(f"no file /static/{name}")
    return open(STATIC / name, "rb")


def live_section(d: dict, output_shown: int) -> list[Html]:
    """For a job that has not ended: what runs now, and the script that keeps the page up."""
    if d["status"] not in NOT_ENDED:
        return []
    info = d.get("live") or {}
    text = ""
    if info:
        text = f"now: {info.get('part') or 'starting'}"
        if info.get("slices_done") is not None:
            text += f", {info['slices_done']}/{info['slices']} slices done"
    return [
        h2("live"),
        tag("div", join([tag("p", text, id="live-text"),
                         tag("noscript", note("this page follows the job with JavaScript; "
                                              "without it, reload to see more"))]),
            id="live", data_json=_json_address(d), data_shown=output_shown),
        Html('<script src="/static/live.js" defer></script>'),
    ]


def _json_address(d: dict) -> str:
    """The page's JSON, asked with the page's own ?columns= (the finished page it becomes
    keeps them: live.js drops only the json=1)."""
    from urllib.parse import urlencode

    columns = d.get("columns") or []
    query = urlencode({"columns": ",".join(columns)}) + "&" if columns else ""
    return href("job", d["job"]) + "?" + query + "json=1"
