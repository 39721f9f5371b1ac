"""Decoding stream messages: headers, keys, JSON values, and a job's row messages -> an Arrow
batch of its columns. A bad message is described (never quoted) in a Rejected."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
from confluent_kafka import Message

from include.staging import ROW_COLUMN
from include.streaming.model import FileState, Rejected


def decoded_headers(headers: tuple) -> dict[str, str]:
    out = {}
    for name, value in headers:
        try:
            out[name] = value.decode() if value is not None else ""
        except UnicodeDecodeError:
            out[name] = ""
    return out


def as_int(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() else None


def key_row(message: Message, file_id: int) -> int | None:
    """The row number a message's key claims ("<file_id>:<row>"), when it is one."""
    key = message.key() or b""
    prefix, _, row = key.partition(b":")
    return int(row) if prefix == str(file_id).encode() and row.isdigit() else None


def json_object(message: Message) -> tuple[dict | None, str | None]:
    """The message value as a JSON object, or the reason it is not one (never quoting it)."""
    try:
        value = json.loads(message.value() or b"")
    except UnicodeDecodeError:
        return None, "value is not UTF-8"
    except ValueError:
        return None, "value is not valid JSON"
    if not isinstance(value, dict):
        return None, f"value is a JSON {type(value).__name__}, not an object"
    return value, None


def decode_rows(
    messages: list[Message], state: FileState
) -> tuple[pa.RecordBatch, np.ndarray, list[Rejected]]:
    """Row messages of one job -> a batch of its columns (strings) and the row numbers.

    Fast path: the values joined as JSON Lines and parsed by Arrow in one call. It is exact
    only when each message is one single-line object (then rows map 1:1 to messages); anything
    else takes the per-message path, which also says what is wrong with each bad message."""
    names = [column.field for column in state.columns]
    values = [message.value() or b"" for message in messages]
    if all(value[:1] == b"{" and b"\n" not in value for value in values):
        schema = pa.schema([(name, pa.string()) for name in names] + [(ROW_COLUMN, pa.int64())])
        buffer = b"\n".join(values)
        try:
            table = pa_json.read_json(
                pa.BufferReader(buffer),
                read_options=pa_json.ReadOptions(block_size=len(buffer) + 1),
                parse_options=pa_json.ParseOptions(
                    explicit_schema=schema, unexpected_field_behavior="ignore"
                ),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError):
            table = None
        if table is not None and table.num_rows == len(values):
            rows = table.column(ROW_COLUMN)
            low, high = pc.min_max(rows).values()
            if rows.null_count == 0 and low.as_py() >= 0 and _below_total(high.as_py(), state):
                arrays = [table.column(name).combine_chunks() for name in names]
                batch = pa.RecordBatch.from_arrays(arrays, schema=schema.remove(len(names)))
                return batch, rows.to_numpy(), []
    return _decode_rows_one_by_one(messages, names, state)


def _below_total(row: int, state: FileState) -> bool:
    return state.rows_total is None or row < state.rows_total


def _decode_rows_one_by_one(
    messages: list[Message], names: list[str], state: FileState
) -> tuple[pa.RecordBatch, np.ndarray, list[Rejected]]:
    columns: list[list[str | None]] = [[] for _ in names]
    rows: list[int] = []
    rejected = []
    for message in messages:
        obj, reason = json_object(message)
        if obj is not None:
            row = obj.get(ROW_COLUMN)
            cells = [obj.get(name) for name in names]
            if not isinstance(row, int) or isinstance(row, bool) or row < 0:
                reason = f"missing or invalid {ROW_COLUMN}"
            elif not _below_total(row, state):
                reason = f"{ROW_COLUMN} beyond the file's {state.rows_total} rows"
            elif any(cell is not None and not isinstance(cell, str) for cell in cells):
                reason = "a field value is not a string or null"
            else:
                for column, cell in zip(columns, cells, strict=True):
                    column.append(cell)
                rows.append(row)
                continue
        rejected.append(Rejected(message, reason, state, key_row(message, state.file_id)))
    arrays = [pa.array(column, type=pa.string()) for column in columns]
    batch = pa.RecordBatch.from_arrays(arrays, names=names)
    return batch, np.asarray(rows, dtype=np.int64), rejected
