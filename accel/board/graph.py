"""A job graph as inline SVG, made here on the server: no script, nothing fetched.

Each node is a link (an SVG <a>) around a box coloured by the job's status (the classes
st-finished, st-failed, ... as the status words elsewhere on the board) and marked new,
reused, failed or running in the run; each edge a curve from an input to the job that
takes it. Every text goes through html.esc.
"""

from __future__ import annotations

from dataclasses import dataclass

from accel.board.dag import BOX_H, BOX_W, layout
from accel.board.html import Html, esc, join, tag
from accel.words import shorten

CSS = """
svg.graph{display:block;max-width:100%;height:auto;margin:.4em 0}
svg.graph text{font:12px ui-monospace,monospace;fill:#222}svg.graph text.sub{fill:#555}
svg.graph .node rect{fill:#fff;stroke:#888;stroke-width:1.5}
svg.graph .node:hover rect{stroke-width:3}
svg.graph .st-finished rect{fill:#e4f4ea;stroke:#26734d}
svg.graph .st-failed rect,svg.graph .st-timeout rect,svg.graph .st-damaged rect{fill:#fbe1de;stroke:#c0392b}
svg.graph .st-canceled rect,svg.graph .st-unfinished rect{fill:#fdf0e0;stroke:#a05a00}
svg.graph .st-running rect{fill:#fde3b8;stroke:#d68910}
svg.graph .st-deleted rect{fill:#eee;stroke:#aaa}
svg.graph .reused rect{stroke-dasharray:5 3;fill-opacity:.55}
svg.graph .new rect{stroke-width:2.5}svg.graph .here rect{stroke-width:3.5}
svg.graph .edge{fill:none;stroke:#8a94a6;stroke-width:1.3}
.legend span{margin-right:1em}.legend .swatch{display:inline-block;width:1.6em;height:.9em;
vertical-align:middle;margin-right:.3em;border:1.5px solid #888;border-radius:3px}
.legend .st-finished{background:#e4f4ea;border-color:#26734d}
.legend .st-failed{background:#fbe1de;border-color:#c0392b}
.legend .st-canceled{background:#fdf0e0;border-color:#a05a00}
.legend .st-running{background:#fde3b8;border-color:#d68910}
.legend .reused{border-style:dashed}.legend .new{border-width:2.5px}
""".strip()


@dataclass
class Node:
    """What one box shows and where it leads."""

    href: str
    title: str  # first line: the job id (or 'method ×N')
    sub: str  # second line: the method (or counts)
    classes: str  # 'st-finished new', ...
    tooltip: str = ""
    job: str = ""  # data-job: which job (a group: none)


def svg(ids: list[str], edges: list[tuple[str, str]], nodes: dict[str, Node],
        label: str) -> Html:
    """The graph of `ids` (in this order where the layout leaves a choice) and `edges`."""
    lay = layout(ids, edges)
    parts = [Html(f"<style>{CSS}</style>"), Html(
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0 0L8 4L0 8z" fill="#8a94a6"/></marker>'
        '</defs>')]
    for _s, _d, path in lay.edges:
        parts.append(Html(f'<path class="edge" d="{esc(path)}" marker-end="url(#arrow)"/>'))
    for node_id in ids:
        n = nodes[node_id]
        x, y = lay.boxes[node_id]
        box = join([
            tag("title", n.tooltip or n.title),
            Html(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4"/>'),
            tag("text", shorten(n.title, 22), x=x + 8, y=y + 15, font_weight="600"),
            tag("text", shorten(n.sub, 24), x=x + 8, y=y + 31, class_="sub"),
        ])
        parts.append(tag("a", box, href=n.href, class_=f"node {n.classes}",
                         data_job=n.job or None))
    return tag("svg", join(parts), class_="graph", role="img", aria_label=label,
               width=lay.width, height=lay.height, viewBox=f"0 0 {lay.width} {lay.height}",
               xmlns="http://www.w3.org/2000/svg")


def legend() -> Html:
    """What the colours and borders of the boxes mean."""
    def one(classes: str, text: str) -> Html:
        return tag("span", join([tag("span", "", class_=f"swatch {classes}"), text]))

    return tag("p", join([one("st-finished new", "new"), one("st-finished reused", "reused"),
                          one("st-running", "running"), one("st-failed", "failed"),
                          one("st-canceled", "canceled / unfinished")]),
               class_="legend note")
