"""Writers of the core's outputs: JSON Lines (vectorised) and a streaming CSV / JSON Lines /
Parquet batch writer. Values are written as the readers produced them, so a value a spreadsheet
would run as a formula is already neutralised (compliance/io_guards.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from compliance.buffers import string_buffers

_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_OTHER_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def _json_values(values: pa.Array) -> pa.Array:
    """JSON text of each value of an Arrow array (null -> null), vectorised."""
    kind = values.type
    if pa.types.is_large_string(kind):  # the lines are joined as (32-bit offset) strings
        values, kind = values.cast(pa.string()), pa.string()
    if pa.types.is_string(kind):
        if len(values) > _DICTIONARY_PROBE_ROWS and _repeats_itself(values):
            # Violations are a handful of distinct fields, types and rules: escape those once.
            encoded = pc.dictionary_encode(values)
            return _json_values(encoded.dictionary).take(encoded.indices)
        if pc.any(pc.match_substring_regex(values, _OTHER_CONTROL)).as_py():
            # Rare control characters: let json encode those values (slow path on a rare input).
            return pa.array(
                [None if v is None else json.dumps(v, ensure_ascii=False) for v in values.to_pylist()]
            )
        for raw, escaped in _JSON_ESCAPES:
            values = pc.replace_substring(values, raw, escaped)
        return pc.binary_join_element_wise('"', values, '"', "")
    if pa.types.is_timestamp(kind):
        return pc.binary_join_element_wise('"', pc.strftime(values, "%Y-%m-%dT%H:%M:%S"), '"', "")
    if pa.types.is_date(kind):
        return pc.binary_join_element_wise('"', pc.cast(values, pa.string()), '"', "")
    if pa.types.is_floating(kind):
        values = pc.if_else(pc.is_finite(values), values, None)  # NaN/inf are not JSON
    return pc.cast(values, pa.string())


def json_lines(table: pa.Table | pa.RecordBatch) -> bytes:
    """The table as JSON Lines (one object per row, keys in column order), vectorised."""
    if table.num_rows == 0:
        return b""
    if table.num_columns == 0:
        return b"{}\n" * table.num_rows
    pieces: list[str | pa.Array] = []
    for i, (name, column) in enumerate(zip(table.column_names, table.columns, strict=True)):
        pieces.append(("{" if i == 0 else ",") + json.dumps(name) + ":")
        pieces.append(
            pc.fill_null(
                _json_values(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column),
                "null",
            )
        )
    pieces.append("}\n")
    return _back_to_back(pc.binary_join_element_wise(*pieces, ""))


def _back_to_back(strings: pa.Array) -> bytes:
    """The bytes of every value of a string array without nulls, one after the other: a slice of its
    data buffer (joining them into one Python string first cost more than making the lines)."""
    offsets, data = string_buffers(strings)
    return data[offsets[0] : offsets[-1]].tobytes()


def write_table_stream(path: Path, fmt: str):
    """A writer with `.write(batch)` / `.close()` for CSV, JSON Lines or Parquet output."""
    return _BatchWriter(path, fmt)


# Rows of the first batch probed per column, and the share of distinct values up to which a column
# is dictionary-encoded in Parquet. Tokens and other unique values only pay for building a dictionary
# the writer then drops (~20% of the write time); repetitive columns keep the smaller file.
_DICTIONARY_PROBE_ROWS = 4096
_DICTIONARY_MAX_DISTINCT = 0.25


def _repeats_itself(column: pa.Array) -> bool:
    """Whether the column's first rows repeat themselves enough for a dictionary to pay off."""
    probe = column.slice(0, _DICTIONARY_PROBE_ROWS)
    return bool(len(probe)) and pc.count_distinct(probe).as_py() <= _DICTIONARY_MAX_DISTINCT * len(probe)


def _repetitive_columns(batch: pa.RecordBatch) -> list[str]:
    """Columns worth a Parquet dictionary."""
    return [
        name
        for name, column in zip(batch.schema.names, batch.columns, strict=True)
        if not pa.types.is_nested(column.type) and _repeats_itself(column)
    ]


class _BatchWriter:
    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.format = Path(path), fmt
        self._writer = None
        self._handle: io.BufferedWriter | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if self.format == "parquet":
            if self._writer is None:
                self._writer = pq.ParquetWriter(
                    self.path, batch.schema, use_dictionary=_repetitive_columns(batch)
                )
            self._writer.write_batch(batch)
        elif self.format == "csv":
            if self._writer is None:
                self._writer = pa_csv.CSVWriter(self.path, batch.schema)
            self._writer.write_batch(batch)
        else:
            if self._handle is None:
                self._handle = open(self.path, "wb")  # noqa: SIM115 - closed in close()
            self._handle.write(json_lines(batch))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._handle is not None:
            self._handle.close()
        if self._writer is None and self._handle is None:
            self.path.write_text("")

    def __enter__(self) -> _BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
