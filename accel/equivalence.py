"""`equivalent_hashes`: a method file hashed as it read before the declaration was added,
and the line that declares an edit equivalent.

A user adds the statement to a file whose hash they were told, and names that hash in
it; so the hash of a file holding the statement must be able to equal the hash it had
before. Where the statement went, and whether a blank line or a comment came with it,
cannot be known, so `shas_without` gives every reading of the file without it: the
statement's lines taken out, with none, some or all of the blank and comment lines right
above and below it. Such lines lie outside every statement and never change what the
code does, so no reading can hide a change that matters.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable

NAME = "equivalent_hashes"
_AROUND = 10  # blank or comment lines on each side that may have come with the statement


def shas_without(src: bytes, name: str = NAME) -> list[str]:
    """The sha256s of `src` as it may have read before its module-level `name = ...`
    statement was added, most likely first: the statement's lines taken out, then also
    blank and comment lines next to them; last, the statement's lines left empty (how
    accel hashed such a file before). Empty when `src` has no such statement."""
    try:
        tree = ast.parse(src)
    except (SyntaxError, ValueError):
        return []
    found = [node for node in tree.body if _assigns(node, name)]
    if not found:
        return []
    lines = src.split(b"\n")
    if not all(_whole_lines(lines, node) for node in found):
        return [_sha(_cut(lines, found))]  # it shares a line with code: only it goes
    blanked = list(lines)
    for node in found:
        blanked[node.lineno - 1:node.end_lineno] = [b""] * _span(node)
    legacy = [_sha(b"\n".join(blanked))]
    if len(found) > 1:
        return legacy
    node = found[0]
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    covered: set[int] = set()
    for other in tree.body:
        start = min([other.lineno, *(d.lineno for d in getattr(other, "decorator_list", []))])
        covered.update(range(start - 1, other.end_lineno or other.lineno))
    above = _free_run(lines, covered, range(first - 1, -1, -1))
    below = _free_run(lines, covered, range(last + 1, len(lines)))
    shas: list[str] = []
    for i in range(above + 1):
        for j in range(below + 1):
            shas.append(_sha(b"\n".join(lines[:first - i] + lines[last + 1 + j:])))
    return list(dict.fromkeys(shas + legacy))


def declaration(current: str, older: Iterable[str]) -> str:
    """The line that makes the source hash `current` reuse the jobs of `older` hashes."""
    olds = [f'"{h}"' for h in dict.fromkeys(older) if h != current]
    return f'{NAME} = {{"{current}": ({", ".join(olds)}{"," if len(olds) == 1 else ""})}}'


def declared_hashes(declared: object) -> list[str]:
    """Every hash a declaration names, keys and values (what earlier equivalences cover)."""
    if not isinstance(declared, dict):
        return []
    out = []
    for key, value in declared.items():
        out.append(str(key))
        out += [value] if isinstance(value, str) else [str(v) for v in value or ()]
    return out


def _assigns(node: ast.stmt, name: str) -> bool:
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    return isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
        and node.target.id == name


def _span(node: ast.stmt) -> int:
    return (node.end_lineno or node.lineno) - node.lineno + 1


def _whole_lines(lines: list[bytes], node: ast.stmt) -> bool:
    """Does the statement have its lines to itself (a comment after it aside)?"""
    before = lines[node.lineno - 1][:node.col_offset]
    after = lines[(node.end_lineno or node.lineno) - 1][node.end_col_offset:].strip()
    return not before.strip() and (not after or after.startswith(b"#"))


def _cut(lines: list[bytes], nodes: list[ast.stmt]) -> bytes:
    """The source with exactly the statements' text taken out."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    src = b"\n".join(lines)
    for node in reversed(nodes):
        a = starts[node.lineno - 1] + node.col_offset
        b = starts[(node.end_lineno or node.lineno) - 1] + (node.end_col_offset or 0)
        src = src[:a] + src[b:]
    return src


def _free_run(lines: list[bytes], covered: set[int], indices: Iterable[int]) -> int:
    """How many blank or comment lines outside every statement follow in `indices`."""
    n = 0
    for i in indices:
        text = lines[i].strip()
        if n == _AROUND or i in covered or (text and not text.startswith(b"#")):
            break
        n += 1
    return n


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
