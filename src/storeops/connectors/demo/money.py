"""Amounts are computed in integer cents and handed to DuckDB as DECIMAL(18,2), never as float."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

MONEY_TYPE = pa.decimal128(18, 2)


def decimals(cents: np.ndarray, *, null: np.ndarray | None = None) -> pa.Array:
    """int64 cents -> an Arrow decimal128(18, 2) array, exactly (the unscaled value is the cents)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)  # little-endian 128-bit two's complement
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    validity = None
    null_count = 0
    if null is not None and null.any():
        validity = pa.array(~null).buffers()[1]
        null_count = int(null.sum())
    return pa.Array.from_buffers(
        MONEY_TYPE, len(cents), [validity, pa.py_buffer(words)], null_count=null_count
    )
