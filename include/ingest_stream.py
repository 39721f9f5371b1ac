"""The stream route's steps on the DAG side (the consumer service itself is include/streaming/).

    publish -> (wait: include/triggers.StreamFileCompleteTrigger) -> stage -> validate -> finalize

The consumer writes rows and violations straight into PostgreSQL, micro-batch by micro-batch, so
there is no staged output to validate. `stage` exports the job's rows back from PostgreSQL into
the staged layout (include/staging.py) with a manifest built from the consumer's bookkeeping:
the same Great Expectations suite then checks every route's output. If validation fails, the
finalize step's quarantine retracts the job's rows (`retract`), so a stream file that fails
validation ends like a batch file that fails it: quarantined, nothing loaded.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json

from compliance.buffers import string_buffers
from include.db.sql import load_sql
from include.settings import Settings, settings
from include.staging import (
    QUARANTINE_SCHEMA,
    ROW_COLUMN,
    VIOLATIONS_SCHEMA,
    StagedManifest,
    write_staged_output,
)
from include.ticket import FileTicket

log = logging.getLogger("sdp.ingest.stream")


def publish(ticket: FileTicket, *, s: Settings | None = None) -> int:
    """Publish the file's rows to its domain topic; returns the announced data-row count."""
    from include.streaming.producer import publish_file

    s = s or settings()
    rows = publish_file(
        ticket.path, file_id=ticket.file_id, job_id=ticket.job_id, domain=ticket.domain,
        bootstrap=s.kafka_bootstrap_servers, anonymize=ticket.anonymize, s=s,
    )  # fmt: skip
    log.info("published %s: %d rows to the stream (job %s)", ticket.name, rows, ticket.job_id)
    return rows


def stage(ticket: FileTicket, *, s: Settings | None = None) -> StagedManifest:
    """Export the job's rows, violations and quarantine rows from PostgreSQL as a staged output."""
    from compliance.anonymize.tokenize import Tokenizer, TokenKey
    from compliance.columns import ColumnClass
    from compliance.pipeline import CompliancePipeline
    from include.streaming.status import file_progress
    from include.streaming.topics import column_class

    s = s or settings()
    folder = Path(ticket.staging_dir)
    shutil.rmtree(folder, ignore_errors=True)  # a retried task starts from nothing
    folder.mkdir(parents=True)
    with psycopg.connect(s.database_url) as conn:
        progress = file_progress(conn, ticket.job_id)
        if progress is None or not progress.completed:
            raise RuntimeError(f"stream job {ticket.job_id} of {ticket.name} is not complete")
        classes: list[ColumnClass] = [column_class(c) for c in progress.columns]
        names = [c.field for c in classes]
        records = _export_records(conn, ticket, names)
        violations = _export(conn, "stream_export_violations", ticket, VIOLATIONS_SCHEMA)
        quarantine = _export(conn, "stream_export_quarantine", ticket, QUARANTINE_SCHEMA)
    # The anonymization plan the consumer applied follows from the classification it was given.
    tokenizer = Tokenizer(TokenKey.from_env()) if progress.anonymize != "none" else None
    plan = CompliancePipeline(domain=progress.domain, anonymize=progress.anonymize, tokenizer=tokenizer)
    plan.prepare_from(classes, progress.domain)
    manifest = StagedManifest(
        source_path=ticket.path,
        sha256=ticket.sha256,
        format=Path(ticket.path).suffix.lstrip(".").lower() or "unknown",
        domain=progress.domain,
        engine="stream",
        anonymize=progress.anonymize,
        records_in=progress.rows_total,
        records_staged=records.num_rows,
        records_quarantined=quarantine.num_rows,
        records_suppressed=0,
        violations=violations.num_rows,
        pre_processing_s=progress.pre_processing_s,
        pure_processing_s=progress.pure_processing_s,
        post_processing_s=progress.post_processing_s,
        columns=[_column_entry(c) for c in classes],
        anonymized_columns=plan.anonymized_columns(),
        details={"exported_from": "postgresql", "job_id": ticket.job_id},
    )
    write_staged_output(folder, records, violations, quarantine, manifest)
    return manifest


def _column_entry(column) -> dict:
    """A column's classification as the Spark job writes it into its manifest."""
    id_type = column.id_type and str(column.id_type)
    return {
        "field": column.field,
        "role": str(column.role),
        "id_type": id_type,
        "quasi_kind": column.quasi_kind,
    }


def _export_records(conn: psycopg.Connection, ticket: FileTicket, names: list[str]) -> pa.Table:
    """data_records.payload (jsonb) of the job -> `_row` + the file's columns as strings."""
    schema = pa.schema([(name, pa.string()) for name in names])
    # "row<TAB>json" lines. jsonb's text holds no tab, line break or other control character (JSON
    # escapes them), so COPY's text format escapes nothing in it but the backslash, which it doubles.
    data = _copy_out(conn, "stream_export_records", ticket).replace(b"\\\\", b"\\")
    if not data:
        return pa.schema([(ROW_COLUMN, pa.int64()), *schema]).empty_table()
    lines = pa_csv.read_csv(
        pa.BufferReader(data),
        read_options=pa_csv.ReadOptions(column_names=[ROW_COLUMN, "payload"]),
        parse_options=pa_csv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False),
        convert_options=pa_csv.ConvertOptions(column_types={ROW_COLUMN: pa.int64(), "payload": pa.string()}),
    )
    parts = [_json_lines(chunk, schema) for chunk in lines.column("payload").chunks]
    return pa.concat_tables(parts).add_column(0, ROW_COLUMN, lines.column(ROW_COLUMN))


def _json_lines(payloads: pa.Array, schema: pa.Schema) -> pa.Table:
    """JSON object texts -> a table of `schema` (the texts, one per line, are JSON Lines)."""
    offsets, text = string_buffers(pc.binary_join_element_wise(payloads, "", "\n"))
    lines = pa.py_buffer(text[offsets[0] : offsets[-1]])
    table = pa_json.read_json(
        pa.BufferReader(lines),
        read_options=pa_json.ReadOptions(block_size=max(lines.size + 1, 1 << 20)),
        parse_options=pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error"),
    )
    return table.select(schema.names)


def _export(conn: psycopg.Connection, statement: str, ticket: FileTicket, schema: pa.Schema) -> pa.Table:
    """A COPY .. TO STDOUT (FORMAT csv) of the job's rows as a table of `schema` (SQL NULL, an
    unquoted empty field, stays null; an empty string is quoted)."""
    data = _copy_out(conn, statement, ticket)
    if not data:
        return schema.empty_table()
    return pa_csv.read_csv(
        pa.BufferReader(data),
        read_options=pa_csv.ReadOptions(column_names=schema.names),
        convert_options=pa_csv.ConvertOptions(
            column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False
        ),
    )


def _copy_out(conn: psycopg.Connection, statement: str, ticket: FileTicket) -> bytes:
    """What a COPY .. TO STDOUT statement of include/sql/ writes for the job: the server's text,
    no Python object per row (3M violations fetched as tuples took seconds)."""
    with conn.cursor() as cur, cur.copy(load_sql(statement), _keys(ticket)) as copy:
        return b"".join(bytes(chunk) for chunk in copy)


def _keys(ticket: FileTicket) -> dict[str, int]:
    return {"file_id": ticket.file_id, "job_id": ticket.job_id}


def retract(conn: psycopg.Connection, ticket: FileTicket) -> None:
    """Remove what the consumer loaded for this file (inside the caller's quarantine transaction)."""
    conn.execute(load_sql("load_delete_file_results"), {"file_id": ticket.file_id})
