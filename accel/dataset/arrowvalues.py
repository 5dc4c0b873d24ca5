"""Python values -> Arrow arrays and scalars, without pyarrow's conversion of them.

`pa.array(values, type)` and `pa.scalar(value, type)` import pandas the first time a
process uses them where pandas is installed (a third of a second),
and dataset jobs make such arrays in every slice: texts written out, values converted one
by one, a default. The dataset writer already turns Python values into buffers, strictly
(encode), and buffers into Arrow arrays (arrowtypes); this is that, for the Arrow types an
accel column is. Anything else, or a value the column type would not hold, goes to
pyarrow's own conversion: right, only slower the first time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from accel.dataset.arrowtypes import to_arrow
from accel.dataset.encode import BadValue, encode
from accel.dataset.types import TYPES

# Arrow type -> the accel column type whose arrays are of it
_COLUMN_TYPE = {
    pa.int32(): "int32", pa.int64(): "int64", pa.float32(): "float32",
    pa.float64(): "float64", pa.bool_(): "bool", pa.date32(): "date",
    pa.timestamp("us"): "datetime", pa.time64("us"): "time",
    pa.large_string(): "unicode", pa.large_binary(): "bytes",
}


def array(values: Sequence[Any], type: pa.DataType) -> pa.Array:
    """`values` (None for null) as an Arrow array of `type`."""
    name = _COLUMN_TYPE.get(type)
    if name is not None:
        try:
            return to_arrow(encode(TYPES[name], True, list(values)))
        except BadValue:
            pass  # pyarrow converts it, or says why not
    return pa.array(values, type)


def scalar(value: Any, type: pa.DataType) -> pa.Scalar:
    """`value` (None for null) as an Arrow scalar of `type`: what a compute function takes
    in place of a Python value (`pc.fill_null(x, scalar(False, pa.bool_()))`)."""
    if value is None:
        return pa.nulls(1, type)[0]
    return array([value], type)[0]
