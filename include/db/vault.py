"""Storing vault entries (compliance/vault.py) in PostgreSQL, inside the caller's transaction: the
batch loader stores a staged set's entries with its records, the stream consumer a micro-batch's
with its rows. The job's data key goes into vault_data_keys (wrapped), the entries into
identity_vault keyed by token; a token already stored keeps its first entry."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql

from compliance.buffers import string_buffers
from compliance.vault import VAULT_SCHEMA, WrappedKey
from include.db.sql import load_sql

_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False)
_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


class VaultEntriesError(ValueError):
    """Staged vault entries that do not belong to the job's data key or are incomplete."""


def bytea_hex(values: pa.Array) -> pa.Array:
    """A binary array as PostgreSQL's bytea hex text (`\\x0a1b...`), vectorised over the bytes."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    count = len(values)
    if count == 0:
        return pa.array([], pa.string())
    offsets, data = string_buffers(values.cast(pa.binary()))
    offsets = offsets.astype(np.int64)
    lengths = np.diff(offsets)
    data = data[offsets[0] : offsets[-1]]
    out_offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(2 + 2 * lengths, out=out_offsets[1:])
    out = np.empty(int(out_offsets[-1]), dtype=np.uint8)
    starts = out_offsets[:-1]
    out[starts] = ord("\\")
    out[starts + 1] = ord("x")
    row = np.repeat(np.arange(count), lengths)
    position = starts[row] + 2 + 2 * (np.arange(data.size) - (offsets[row] - offsets[0]))
    out[position] = _HEX_DIGITS[data >> 4]
    out[position + 1] = _HEX_DIGITS[data & 15]
    validity = values.buffers()[0] if values.null_count else None
    if validity is not None and values.offset:
        validity = pa.py_buffer(
            np.packbits(values.is_valid().to_numpy(zero_copy_only=False), bitorder="little")
        )
    buffers = [validity, pa.py_buffer(out_offsets.astype(np.int32)), pa.py_buffer(out)]
    return pa.Array.from_buffers(pa.string(), count, buffers, null_count=values.null_count)


def vault_csv(batch: pa.RecordBatch | pa.Table) -> pa.Buffer:
    """Vault entries (VAULT_SCHEMA columns) as headerless CSV for COPY into staged_vault."""
    arrays = []
    for field in VAULT_SCHEMA:
        column = batch.column(field.name)
        arrays.append(bytea_hex(column) if pa.types.is_binary(field.type) else column.cast(pa.string()))
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(pa.table(arrays, names=VAULT_SCHEMA.names), sink, _CSV_OPTIONS)
    return sink.getvalue()


def copy_vault_entries(cur: psycopg.Cursor, batches: Iterable[pa.RecordBatch | pa.Table]) -> None:
    """Create the transaction's staged_vault table and COPY the entries into it."""
    cur.execute(load_sql("vault_create_staged"))
    statement = sql.SQL(load_sql("load_copy_staged")).format(table=sql.Identifier("staged_vault"))
    with cur.copy(statement) as copy:
        for batch in batches:
            if batch.num_rows:
                copy.write(vault_csv(batch))


def check_vault_entries(cur: psycopg.Cursor, wrapped_key: WrappedKey) -> int:
    """The number of staged entries; VaultEntriesError when one is not under `wrapped_key` or
    lacks a part."""
    entries, other_keys, incomplete = cur.execute(
        load_sql("vault_check_staged"), {"key_id": wrapped_key.key_id}
    ).fetchone()
    if other_keys or incomplete:
        raise VaultEntriesError(
            f"{other_keys} vault entries are not under the job's data key {wrapped_key.key_id}, "
            f"{incomplete} are incomplete"
        )
    return entries


def insert_vault_entries(cur: psycopg.Cursor, wrapped_key: WrappedKey, file_id: int | None) -> int:
    """Store the data key and the staged entries; returns how many tokens were new. Drops
    staged_vault, so another job's entries can follow in the same transaction."""
    cur.execute(
        load_sql("vault_insert_data_key"),
        {
            "key_id": wrapped_key.key_id,
            "master_key_id": wrapped_key.master_key_id,
            "wrapped_key": wrapped_key.wrapped,
        },
    )
    cur.execute(load_sql("vault_insert_entries"), {"file_id": file_id})
    inserted = cur.rowcount
    cur.execute(load_sql("vault_drop_staged"))
    return inserted


def store_vault_entries(
    cur: psycopg.Cursor,
    batches: Iterable[pa.RecordBatch | pa.Table],
    wrapped_key: WrappedKey,
    file_id: int | None,
) -> int:
    """copy + check + insert in the caller's transaction; returns how many tokens were new."""
    copy_vault_entries(cur, batches)
    check_vault_entries(cur, wrapped_key)
    return insert_vault_entries(cur, wrapped_key, file_id)
