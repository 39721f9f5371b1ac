"""Zero-copy views of Arrow string buffers, for the core's numpy and C paths (detection, tokenization,
ZIP generalisation, JSON Lines). Kept apart from the detectors so that light modules (compliance.io)
can use it without importing them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def string_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, data) of a string or binary array without copying: its n + 1 int32 offsets (absolute:
    a slice's first one need not be 0) into `data`, its bytes as uint8 (empty without a data buffer)."""
    offsets_buffer, data_buffer = values.buffers()[1:3]
    if offsets_buffer is None:  # a zero-length array may have none
        return np.zeros(1, np.int32), np.zeros(0, np.uint8)
    offsets = np.frombuffer(offsets_buffer, np.int32, len(values) + 1, values.offset * 4)
    return offsets, (
        np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    )
