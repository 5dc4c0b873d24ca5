"""Job references as text, before anything is looked up: where ':LIST:' or ':LIST/TS:'
ends and where 'REF/DSNAME' splits. One place for it, as both `accel.refs` (commands)
and `accel.textvalues` (option values given as text) read such references."""

from __future__ import annotations


def list_end(ref: str) -> int:
    """Where the ':' that ends ':LIST:' or ':LIST/TS:' is in `ref` (-1: none). A timestamp
    may hold ':' (2023-01-02T03:04) but no '/', and a method name neither: the TS runs to
    the last ':' before the next '/'."""
    colon, slash = ref.find(":", 1), ref.find("/", 1)
    if slash == -1 or colon < slash:
        return colon
    after = ref.find("/", slash + 1)
    return ref.rfind(":", slash, after if after != -1 else len(ref))


def split_ref(ref: str) -> tuple[str, str | None]:
    """'dev-3/name' -> ('dev-3', 'name'); ':LIST/TS:/name' keeps the list's own slash
    (a list reference without its closing ':' has no dataset part)."""
    start = 0
    if ref.startswith(":"):
        end = list_end(ref)
        start = len(ref) if end == -1 else end + 1
    slash = ref.find("/", start)
    if slash == -1:
        return ref, None
    return ref[:slash], ref[slash + 1:]
