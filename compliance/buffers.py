"""Zero-copy views of Arrow string buffers, for the core's numpy and C paths (detection, tokenization,
ZIP generalisation, JSON Lines). Kept apart from the detectors so that light modules (compliance.io)
can use it without importing them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


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


def trim_whitespace(text: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """pc.utf8_trim_whitespace, skipped (one look at each value's first and last byte instead of a
    pass over the text) when every value starts and ends with a printable ASCII character: any
    whitespace at an end is a byte <= 0x20, or a multi-byte character (bytes >= 0x80)."""
    if isinstance(text, pa.ChunkedArray):
        return pc.utf8_trim_whitespace(text)
    offsets, data = string_buffers(text)
    if data.size == 0:
        return text
    # An empty value looks at a neighbour's byte instead: at worst a trim that changes nothing.
    first = data[np.minimum(offsets[:-1], data.size - 1)]
    last = data[np.maximum(offsets[1:] - 1, 0)]
    printable = np.uint8(0x7E - 0x21)  # b - 0x21 wraps around below 0x21
    if ((first - np.uint8(0x21)) > printable).any() or ((last - np.uint8(0x21)) > printable).any():
        return pc.utf8_trim_whitespace(text)
    return text
