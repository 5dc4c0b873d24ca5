"""Where each box of a job graph goes: a layered layout, small enough to read at once.

Columns by depth (a node with no input among the nodes is in the first; every other is one
column right of its deepest input), so edges run left to right. Within a column the nodes
are ordered by the mean row of their inputs (fewer crossings), then as given; shorter
columns are centred. Edges are cubic curves from the right side of a box to the left side
of the next. Only numbers here: accel.board.graph draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accel.view.lineage import depths

BOX_W, BOX_H = 168, 38  # a box: two short lines of text
GAP_X, GAP_Y, MARGIN = 56, 14, 6


@dataclass
class Layout:
    width: int
    height: int
    boxes: dict[str, tuple[int, int]] = field(default_factory=dict)  # node -> top left x, y
    columns: list[list[str]] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (from, to, SVG path)


def layout(ids: list[str], edges: list[tuple[str, str]]) -> Layout:
    """Boxes for `ids` (in this order where nothing else decides) and paths for `edges`
    between them (edges naming other nodes are left out)."""
    known = set(ids)
    edges = [(s, d) for s, d in edges if s in known and d in known and s != d]
    depth = depths(ids, edges)
    columns: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node_id in ids:
        columns[depth[node_id]].append(node_id)
    inputs: dict[str, list[str]] = {}
    for src, dst in edges:
        inputs.setdefault(dst, []).append(src)
    row: dict[str, float] = {}
    for col in columns:
        key: dict[str, tuple[float, int]] = {}
        for i, node in enumerate(col):
            above = [row[src] for src in inputs.get(node, ()) if src in row]
            key[node] = (sum(above) / len(above) if above else i, i)
        col.sort(key=key.__getitem__)
        for i, node in enumerate(col):
            row[node] = i
    tallest = max((len(c) for c in columns), default=0)
    lay = Layout(width=2 * MARGIN + len(columns) * BOX_W + max(len(columns) - 1, 0) * GAP_X,
                 height=2 * MARGIN + tallest * BOX_H + max(tallest - 1, 0) * GAP_Y,
                 columns=columns)
    for c, col in enumerate(columns):
        offset = (tallest - len(col)) * (BOX_H + GAP_Y) / 2
        for r, node in enumerate(col):
            lay.boxes[node] = (MARGIN + c * (BOX_W + GAP_X),
                               round(MARGIN + offset + r * (BOX_H + GAP_Y)))
    for src, dst in edges:
        (x1, y1), (x2, y2) = lay.boxes[src], lay.boxes[dst]
        x1, y1, y2 = x1 + BOX_W, y1 + BOX_H // 2, y2 + BOX_H // 2
        mid = (x1 + x2) // 2
        lay.edges.append((src, dst, f"M{x1} {y1}C{mid} {y1} {mid} {y2} {x2 - 3} {y2}"))
    return lay
