"""The readers' guards against hostile input (docs: README "Hostile input").

- Limits checked while streaming, so a hostile file costs a bounded read: a line (a CSV record's
  physical line, a JSON Lines line) longer than `max_line_bytes` ends the read with InputError as
  soon as that much was read without a newline, and so does a CSV field that long (an unclosed
  quote); more than `max_columns` columns is refused before any row is read (compliance/io_limits.py:
  SDP_MAX_LINE_BYTES, SDP_MAX_COLUMNS).
- A value holding a NUL character quarantines its row: PostgreSQL text cannot store one.
- A value or column name that a spreadsheet would run as a formula (first character = + - @, tab
  or CR) gets a leading apostrophe, OWASP's advice against CSV injection. It is neutralised when it
  is read, so data_records and every export hold the safe form whatever the route; signed numbers
  and phone numbers (-12.5, +44 20 7946 0958) cannot call anything and are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.buffers import string_buffers
from compliance.io_limits import ReadLimits

NUL_REASON = "NUL character in a value (PostgreSQL text cannot hold it)"
FORMULA_PREFIX = "'"
# A formula trigger first, unless the whole value is a signed number or a phone number.
_FORMULA = r"(?s)^(?:[=@\t\r]|[+-](?:[0-9 ().,/+-]*[^0-9 ().,/+-]))"
_SIGNED_NUMBER = r"^[+-][0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+$"
_TRIGGER_BYTES = np.frombuffer(b"=+-@\t\r", np.uint8)


class InputError(ValueError):
    """The whole file cannot be read; the message is one line and safe to log."""


def bounded_lines(handle: IO, file_name: str, limits: ReadLimits) -> Iterator:
    """The lines of a binary or text handle, each read with at most `max_line_bytes` (+1) in
    memory; InputError at the first longer line."""
    limit = limits.max_line_bytes
    number = 0
    while line := handle.readline(limit + 1):
        number += 1
        if len(line) > limit and line[-1:] not in ("\n", b"\n"):
            raise InputError(f"{file_name}: line {number} is longer than {limit} bytes (SDP_MAX_LINE_BYTES); "
                             "refused without reading it whole")  # fmt: skip
        yield line


def check_columns(file_name: str, names: list[str], limits: ReadLimits) -> list[str]:
    """The column names the platform uses: at most `max_columns`, formula triggers neutralised,
    no duplicates. Raises InputError."""
    if len(names) > limits.max_columns:
        raise InputError(f"{file_name}: more than {limits.max_columns} columns (SDP_MAX_COLUMNS)")
    safe = neutralise(pa.array(names, pa.string())).to_pylist() if names else []
    duplicates = sorted({n for n in safe if safe.count(n) > 1})
    if duplicates:
        raise InputError(f"{file_name}: duplicate column name(s): {', '.join(duplicates)}")
    return safe


def widest_record(batch: pa.RecordBatch) -> int:
    """Bytes of the batch's longest record (its values' lengths added up), vectorised."""
    total = None
    for column in batch.columns:
        if pa.types.is_string(column.type):
            length = pc.fill_null(pc.binary_length(column), 0)
            total = length if total is None else pc.add(total, length)
    return 0 if total is None or len(total) == 0 else pc.max(total).as_py()


def neutralise(values: pa.Array) -> pa.Array:
    """String values a spreadsheet would evaluate, with FORMULA_PREFIX in front (vectorised; the
    anchored pattern fails at the first character of almost every value)."""
    if not _may_start_a_formula(values):
        return values
    formula = pc.match_substring_regex(values, _FORMULA)
    if not pc.any(formula).as_py():
        return values
    formula = pc.and_not(formula, pc.match_substring_regex(values, _SIGNED_NUMBER))
    return pc.if_else(formula, pc.binary_join_element_wise(FORMULA_PREFIX, values, ""), values)


def _may_start_a_formula(values: pa.Array) -> bool:
    """Whether any value starts with a trigger byte: a look at the first bytes only, so the usual
    batch skips the pattern (a null's slot has no bytes)."""
    offsets, data = string_buffers(values)
    starts = offsets[:-1][offsets[1:] > offsets[:-1]]
    return bool(np.isin(data[starts], _TRIGGER_BYTES).any())


def _may_hold_nul(values: pa.Array) -> bool:
    offsets, data = string_buffers(values)
    return bool((data[offsets[0] : offsets[-1]] == 0).any())


def guard_batch(batch: pa.RecordBatch, rows: np.ndarray) -> tuple[pa.RecordBatch, np.ndarray, list[int]]:
    """The batch without its rows holding a NUL character (their file row numbers are returned to
    quarantine) and with formula triggers neutralised in every string column."""
    nul = None
    for column in batch.columns:
        if pa.types.is_string(column.type) and _may_hold_nul(column):
            has = pc.fill_null(pc.match_substring(column, "\x00"), False)
            nul = has if nul is None else pc.or_(nul, has)
    dropped: list[int] = []
    if nul is not None:
        keep = pc.invert(nul)
        dropped = rows[np.asarray(nul.to_numpy(zero_copy_only=False), dtype=bool)].tolist()
        batch, rows = batch.filter(keep), rows[np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)]
    arrays = [neutralise(c) if pa.types.is_string(c.type) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names), rows, dropped
