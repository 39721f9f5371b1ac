"""A job's processed rows -> PostgreSQL: Arrow -> CSV buffers for COPY, payloads as JSON text
built with Arrow kernels, and the COPY (or, for a job that may repeat rows, the conflict-skipping
insert). Each row carries the keys of its token digests (token_keys, as the batch loader stores
them): a row without them would be indexed by the payload expression sdp_token_keys(payload), which
made the write the stream's costliest step (migration 0014)."""

from __future__ import annotations

import json

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from psycopg import sql

from compliance.pipeline import BatchResult
from compliance.vocabulary import VIOLATION_KEYS
from include.db.sql import load_sql
from include.db.token_digests import array_literals, record_token_keys
from include.streaming.model import FileState

_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False)
_RECORD_COLUMNS = ("file_id", "job_id", "row_number", "payload", "token_keys")
_VIOLATION_COLUMNS = ("file_id", "job_id", "row_number", "field", "violation_type", "regulation",
                      "severity", "rule")  # fmt: skip
# What JSON must escape in a string; control characters other than these three are rare enough
# for json.dumps.
_JSON_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'
_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_CONTROL_CHARACTER = r"[\x00-\x1f]"


def _json_strings(column: pa.Array) -> pa.Array:
    """Each value as a JSON string literal (`null` for nulls), vectorised: values needing no
    escape (most) are only quoted; the rare other control characters go through json.dumps."""
    text = column.cast(pa.string())
    if pc.any(pc.match_substring_regex(text, _JSON_NEEDS_ESCAPE)).as_py():
        for plain, escaped in _JSON_ESCAPES:
            text = pc.replace_substring(text, plain, escaped)
        control = pc.match_substring_regex(text, _CONTROL_CHARACTER)
        if pc.any(control).as_py():
            original = column.cast(pa.string()).to_pylist()
            values = text.to_pylist()
            for index in np.flatnonzero(control.fill_null(False).to_numpy(zero_copy_only=False)):
                values[index] = json.dumps(original[index])[1:-1]
            text = pa.array(values, pa.string())
    return pc.fill_null(pc.binary_join_element_wise('"', text, '"', ""), "null")


def payload_json(batch: pa.RecordBatch) -> pa.Array:
    """Each row as the JSON text of its payload object ({"column": "value" | null, ...}), built
    with Arrow kernels; PostgreSQL parses it into jsonb during COPY."""
    if batch.num_columns == 0:
        return pa.array(["{}"] * batch.num_rows, pa.string())
    parts: list = []
    for index, name in enumerate(batch.schema.names):
        parts += [("{" if index == 0 else ",") + json.dumps(name) + ":", _json_strings(batch.column(index))]
    return pc.binary_join_element_wise(*parts, "}", "")


def token_keys(batch: pa.RecordBatch) -> pa.Array:
    """Each row's token keys as a bigint[] literal, the values the loader computes for the same
    payload (its values as text, as payload_json writes them, and its keys)."""
    columns = [column.cast(pa.string()) for column in batch.columns]
    if not columns:
        return pa.array(["{}"] * batch.num_rows, pa.string())
    return array_literals(record_token_keys(columns, batch.schema.names))


def _csv(arrays: list[pa.Array], names: tuple[str, ...]) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(pa.RecordBatch.from_arrays(arrays, names=list(names)), sink, _CSV_OPTIONS)
    return sink.getvalue()


def _constant(value: int, length: int) -> pa.Array:
    return pa.array(np.full(length, value, dtype=np.int64))


def encode_result(state: FileState, result: BatchResult) -> tuple[pa.Buffer, pa.Buffer | None]:
    """COPY data (CSV) of one job's processed rows and of their violations (None if none), in the
    column order of _RECORD_COLUMNS / _VIOLATION_COLUMNS."""
    rows = result.batch.num_rows
    records = [_constant(state.file_id, rows), _constant(state.job_id, rows), pa.array(result.rows, pa.int64()),
               payload_json(result.batch), token_keys(result.batch)]  # fmt: skip
    violations = result.violations
    if not violations.num_rows:
        return _csv(records, _RECORD_COLUMNS), None
    count = violations.num_rows
    columns = [violations.column(key).combine_chunks() for key in VIOLATION_KEYS]
    found = [_constant(state.file_id, count), _constant(state.job_id, count), *columns]
    return _csv(records, _RECORD_COLUMNS), _csv(found, _VIOLATION_COLUMNS)


def _copy(cur: psycopg.Cursor, table: str, columns: tuple[str, ...], data: pa.Buffer) -> None:
    statement = sql.SQL(load_sql("stream_copy")).format(
        table=sql.Identifier(table), columns=sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cur.copy(statement) as copy:
        copy.write(data)


def write_result(cur: psycopg.Cursor, state: FileState, result: BatchResult) -> tuple[int, int]:
    """Store one job's processed rows and violations; returns (rows inserted, violations inserted).

    The offsets protocol delivers each message once, so rows are COPY'd straight into the results
    tables; only a job published twice can repeat rows, and its batches skip what is stored."""
    records, violations = encode_result(state, result)
    if not state.may_repeat:
        _copy(cur, "data_records", _RECORD_COLUMNS, records)
        if violations is not None:
            _copy(cur, "data_compliance_violations", _VIOLATION_COLUMNS, violations)
        return result.batch.num_rows, result.violations.num_rows
    cur.execute(load_sql("stream_create_conflict_tables"))
    _copy(cur, "stream_rows", _RECORD_COLUMNS, records)
    if violations is not None:
        _copy(cur, "stream_violations", _VIOLATION_COLUMNS, violations)
    loaded, found = cur.execute(load_sql("stream_insert_conflicting")).fetchone()
    cur.execute(load_sql("stream_drop_temp"))
    return loaded, found
