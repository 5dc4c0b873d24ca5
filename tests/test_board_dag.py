"""The board's graph layout (accel.board.dag) and its SVG (accel.board.graph), on their own:
columns by depth, no two boxes on each other, edges from an input's right side to the
left side of the job that takes it, and every text escaped."""

from __future__ import annotations

import itertools

from accel.board.dag import BOX_H, BOX_W, layout
from accel.board.graph import Node, svg


def column_of(lay, node: str) -> int:
    return next(i for i, col in enumerate(lay.columns) if node in col)


def assert_tidy(lay) -> None:
    """Every box inside the picture, none overlapping another."""
    for node, (x, y) in lay.boxes.items():
        assert 0 <= x and x + BOX_W <= lay.width and 0 <= y and y + BOX_H <= lay.height, node
    for (a, (x1, y1)), (b, (x2, y2)) in itertools.combinations(lay.boxes.items(), 2):
        apart = x1 + BOX_W <= x2 or x2 + BOX_W <= x1 or y1 + BOX_H <= y2 or y2 + BOX_H <= y1
        assert apart, (a, b)


def test_a_chain_is_one_column_a_step() -> None:
    lay = layout(["a", "b", "c"], [("a", "b"), ("b", "c")])
    assert lay.columns == [["a"], ["b"], ["c"]]
    xs = [lay.boxes[n][0] for n in "abc"]
    assert xs == sorted(xs) and len(set(xs)) == 3
    assert_tidy(lay)


def test_a_node_goes_right_of_its_deepest_input() -> None:
    lay = layout(["c", "b", "a"], [("a", "b"), ("b", "c"), ("a", "c")])
    assert [column_of(lay, n) for n in "abc"] == [0, 1, 2]


def test_a_diamond_has_the_two_middles_in_one_column() -> None:
    lay = layout(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    assert lay.columns == [["a"], ["b", "c"], ["d"]]
    assert_tidy(lay)
    # the single boxes are centred on the pair
    (_, ya), (_, yb), (_, yc) = lay.boxes["a"], lay.boxes["b"], lay.boxes["c"]
    assert abs((ya + BOX_H / 2) - (yb + yc + BOX_H) / 2) <= 1


def test_edges_run_from_the_right_of_an_input_to_the_left_of_its_user() -> None:
    lay = layout(["a", "b"], [("a", "b"), ("a", "zzz")])  # an edge to no node is left out
    assert len(lay.edges) == 1
    src, dst, path = lay.edges[0]
    assert (src, dst) == ("a", "b")
    start = path[1:].split("C")[0].split()
    end = path.split()[-2:]
    (xa, ya), (xb, yb) = lay.boxes["a"], lay.boxes["b"]
    assert [int(v) for v in start] == [xa + BOX_W, ya + BOX_H // 2]
    assert xb - 4 <= int(end[0]) <= xb and int(end[1]) == yb + BOX_H // 2


def test_a_column_is_ordered_by_where_its_inputs_are() -> None:
    """Given q before p, p still goes first: its input x is above q's input y."""
    lay = layout(["x", "y", "q", "p"], [("x", "p"), ("y", "q")])
    assert lay.columns == [["x", "y"], ["p", "q"]]


def test_many_sources_keep_the_given_order_and_do_not_overlap() -> None:
    ids = [f"j{i}" for i in range(30)]
    lay = layout(ids + ["end"], [(i, "end") for i in ids])
    assert lay.columns == [ids, ["end"]]
    assert_tidy(lay)


def test_a_cycle_does_not_hang_and_every_node_is_placed() -> None:
    lay = layout(["a", "b", "c"], [("a", "b"), ("b", "a"), ("b", "c")])
    assert set(lay.boxes) == {"a", "b", "c"}
    assert_tidy(lay)


def test_nothing_is_an_empty_picture() -> None:
    lay = layout([], [])
    assert lay.boxes == {} and lay.columns == [] and lay.edges == []


def test_the_svg_links_each_box_and_escapes_every_text() -> None:
    nodes = {"dev-1": Node("/job/dev-1", "dev-1", "<b>csv</b>", "st-finished new",
                           'say "hi" & <go>', "dev-1"),
             "dev-2": Node("/job/dev-2?x=1&y=2", "dev-2", "use", "st-failed failed", "", "dev-2")}
    out = svg(["dev-1", "dev-2"], [("dev-1", "dev-2")], nodes, "a <graph>")
    assert out.startswith("<svg") and out.endswith("</svg>")
    assert '<a href="/job/dev-1" class="node st-finished new" data-job="dev-1">' in out
    assert 'href="/job/dev-2?x=1&amp;y=2"' in out
    assert "&lt;b&gt;csv&lt;/b&gt;" in out and "<b>" not in out
    assert "<title>say &quot;hi&quot; &amp; &lt;go&gt;</title>" in out
    assert 'aria-label="a &lt;graph&gt;"' in out
    assert out.count('class="edge"') == 1 and "<script" not in out
