"""Pickling what a method returns or saves: plain pickle, and cloudpickle for what plain
pickle cannot hold (lambdas, closures, a defaultdict(lambda: ...), classes made at run
time). Plain pickle comes first: it is faster, and its files load without cloudpickle's
code; a file cloudpickle wrote loads with plain pickle too (cloudpickle installed)."""

from __future__ import annotations

import pickle
from typing import IO, Any

HIGHEST = pickle.HIGHEST_PROTOCOL


def dumps(obj: Any, protocol: int = HIGHEST) -> bytes:
    try:
        return pickle.dumps(obj, protocol)
    except (pickle.PicklingError, AttributeError, TypeError):
        import cloudpickle

        return cloudpickle.dumps(obj, protocol)


def dump(obj: Any, f: IO[bytes], protocol: int = HIGHEST) -> None:
    f.write(dumps(obj, protocol))
