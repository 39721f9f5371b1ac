"""The stream route's export of a job from PostgreSQL (include/ingest_stream.py) reads back exactly
what was stored: COPY's text and CSV formats escape backslashes, quotes, commas and line breaks,
which the reader must undo, and a NULL must stay distinct from an empty string."""

from __future__ import annotations

import hashlib
import json
import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from include import ingest_stream
from include.db.files import register_file, start_job
from include.db.migrate import apply_migrations
from include.staging import QUARANTINE_SCHEMA, VIOLATIONS_SCHEMA
from include.ticket import FileTicket

pytestmark = pytest.mark.integration

# Values COPY must escape (backslash, tab, line breaks, quotes, the CSV delimiter), JSON escapes,
# non-ASCII text, and an empty string beside a null.
HOSTILE = [
    'back\\slash "quoted" and \\\\ two',
    "tab\there, newline\nthere\r\nand a\u0001control",
    "comma, \"quote\", 'single' ; semicolon",
    "Zoë Ørsted — 東京 🙂",
    "",
    None,
]
FIELDS = ["plain", 'with "quotes", commas', "line\nbreak", "back\\slash"]


@pytest.fixture(scope="module")
def db(database_url: str) -> str:
    apply_migrations(database_url)
    return database_url


def test_export_reads_back_exactly_what_the_consumer_stored(db: str) -> None:
    sha256 = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    with psycopg.connect(db) as conn:
        file_id = register_file(conn, f"/landing/{sha256[:8]}.csv", sha256, 1, "csv").id
        job_id = start_job(conn, file_id, "stream", "test", "dag", f"run-{sha256[:8]}")
        rotations = [(HOSTILE[i:] + HOSTILE[:i])[: len(FIELDS)] for i in range(len(HOSTILE))]
        payloads = [dict(zip(FIELDS, values, strict=True)) for values in rotations]
        for row, payload in enumerate(payloads):
            conn.execute(
                "INSERT INTO data_records (file_id, job_id, row_number, payload) VALUES (%s, %s, %s, %s)",
                (file_id, job_id, row, Jsonb(payload)),
            )
        violations = [
            (row, field, "SSN", "HIPAA", "high", "hipaa.ssn") for row in range(6) for field in FIELDS
        ]
        for violation in violations:
            conn.execute(
                "INSERT INTO data_compliance_violations (file_id, job_id, row_number, field, violation_type,"
                " regulation, severity, rule) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (file_id, job_id, *violation),
            )
        reasons = [HOSTILE[0], HOSTILE[1], ""]
        for row, reason in enumerate(reasons, start=10):
            conn.execute(
                "INSERT INTO data_quarantine (file_id, job_id, row_number, reason) VALUES (%s, %s, %s, %s)",
                (file_id, job_id, row, reason),
            )
        ticket = FileTicket(
            path="/landing/x.csv", name="x.csv", sha256=sha256, size_bytes=1, file_id=file_id,
            duplicate=False, job_id=job_id,
        )  # fmt: skip
        records = ingest_stream._export_records(conn, ticket, FIELDS)
        exported_violations = ingest_stream._export(
            conn, "stream_export_violations", ticket, VIOLATIONS_SCHEMA
        )
        quarantine = ingest_stream._export(conn, "stream_export_quarantine", ticket, QUARANTINE_SCHEMA)
        conn.rollback()

    assert records.to_pylist() == [{"_row": row, **payload} for row, payload in enumerate(payloads)]
    got = [tuple(v.values()) for v in exported_violations.to_pylist()]
    assert sorted(got) == sorted(violations)
    assert quarantine.to_pylist() == [
        {"row": row, "reason": reason} for row, reason in enumerate(reasons, start=10)
    ]
    assert json.dumps(records.to_pylist())  # plain values, nothing left escaped twice
