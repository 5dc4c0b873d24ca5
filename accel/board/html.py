"""The few HTML pieces the board's pages are made of, escaping everything they are given.

`Html` marks text that already is HTML. Every helper escapes what is not `Html`, so a
job's options, output or file names can never become markup: to put user text on a page
unescaped one would have to wrap it in `Html` by hand.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, urlencode


class Html(str):
    """Text that is already HTML (made by these helpers)."""


def esc(value: Any) -> Html:
    """HTML for any value: Html as it is, anything else as escaped text (None as '')."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[Any], sep: Any = "") -> Html:
    return Html(esc(sep).join(esc(p) for p in parts))


def tag(name: str, content: Any = "", **attrs: Any) -> Html:
    """<name attrs>content</name>; attribute names end in _ to dodge keywords (class_)."""
    attr = "".join(f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"'
                   for k, v in attrs.items() if v is not None)
    return Html(f"<{name}{attr}>{esc(content)}</{name}>")


def href(*segments: str, **query: Any) -> str:
    """A path on the board: each segment quoted whole (a '/' in one stays in it)."""
    path = "/" + "/".join(quote(str(s), safe="") for s in segments)
    pairs = [(k, v) for k, v in query.items() if v not in (None, "")]
    return path + ("?" + urlencode(pairs, doseq=True) if pairs else "")


def link(url: str, text: Any) -> Html:
    return tag("a", text, href=url)


def job_link(jobid: Any) -> Html:
    return link(href("job", str(jobid)), jobid)


def ds_link(dsid: Any) -> Html:
    """A link to a dataset 'dev-3/name' (or 'dev-3', its default)."""
    return link(href("ds", *str(dsid).split("/")), dsid)


def status(value: Any) -> Html:
    word = str(value or "?")
    kind = word if word.isalpha() else "other"
    return tag("span", word, class_=f"st st-{kind}")


def pre(text: Any, class_: str | None = None) -> Html:
    return tag("pre", text, class_=class_)


def h2(text: Any) -> Html:
    return tag("h2", text)


def note(text: Any) -> Html:
    return tag("p", text, class_="note")


def table(header: Sequence[Any], rows: Iterable[Sequence[Any]],
          right: Sequence[bool] = ()) -> Html:
    """A table; columns marked in `right` are right-aligned (numbers)."""
    def cells(row: Sequence[Any], name: str) -> str:
        return "".join(tag(name, c, class_="num" if i < len(right) and right[i] else None)
                       for i, c in enumerate(row))

    head = f"<thead><tr>{cells(header, 'th')}</tr></thead>" if header else ""
    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    return Html(f"<table>{head}<tbody>{body}</tbody></table>")


def kv(rows: Iterable[tuple[Any, Any]]) -> Html:
    """Key/value lines: a table with the keys as row headers."""
    body = "".join(f"<tr>{tag('th', k)}{tag('td', v)}</tr>" for k, v in rows)
    return Html(f'<table class="kv"><tbody>{body}</tbody></table>')


CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
nav{background:#2d3e50;padding:.5em 1em}nav a{color:#fff;margin-right:1.2em;font-weight:600}
nav .project{color:#b8c4d0;float:right;font-weight:normal}
main{padding:.5em 1.5em 2em}h1{font-size:1.4em;margin:.6em 0}h2{font-size:1.1em;margin:1.4em 0 .4em}
a{color:#1a5fb4;text-decoration:none}a:hover{text-decoration:underline}
table{border-collapse:collapse;margin:.3em 0}th,td{padding:.2em .7em;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #ccc}tbody tr:nth-child(even){background:#f0f0f0}
table.kv th{color:#555;font-weight:600;white-space:nowrap}.num{text-align:right}
pre{background:#fff;border:1px solid #ddd;padding:.6em;overflow:auto;max-height:40em;white-space:pre-wrap}
pre.error{border-color:#d99;background:#fff6f6}code,pre,td{font-family:ui-monospace,monospace}
.st{padding:0 .4em;border-radius:3px;font-weight:600}.st-finished{color:#26734d}
.st-failed,.st-timeout,.st-damaged{color:#fff;background:#c0392b}.st-canceled{color:#a05a00}
.st-running{color:#fff;background:#d68910}.st-unfinished{color:#a05a00}
.note{color:#666}.off{color:#aaa}.ln{color:#999;user-select:none}pre.source{max-height:none}form{margin:.5em 0}input,select{margin-right:.8em}footer{padding:0 1.5em 1em;color:#888}
""".strip()


def document(title: Any, body: Any, *, project: Any, json_url: str) -> str:
    """A whole page: navigation, the title as h1, the body, a link to its JSON."""
    nav = join([link("/", "jobs"), link("/runs", "runs"), link("/urd", "urd lists"),
                link("/method", "methods"),
                tag("span", project, class_="project")])
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"{tag('title', join([title, ' · accel board']))}<style>{CSS}</style></head>"
        f"<body><nav>{nav}</nav><main>{tag('h1', title)}{esc(body)}</main>"
        f"<footer>{link(json_url, 'this page as JSON')} · read-only</footer></body></html>\n"
    )
