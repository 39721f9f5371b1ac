"""Audit log, alerts and validation results against a real PostgreSQL; and the rule that the
loader and the file registry put only counts, names, reasons, paths and hashes in audit details."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest
from psycopg.rows import dict_row

from include.db.audit import (
    SYSTEM_ACTOR,
    AlertKind,
    AuditAction,
    actor_from_context,
    audit,
    record_alert,
    record_validation,
)
from include.db.files import (
    JOB_METRICS,
    FileStatus,
    finish_job,
    register_file,
    set_file_status,
    sha256_of,
    start_job,
)
from include.db.loader import load_staged
from include.db.migrate import apply_migrations
from include.staging import RECORDS
from tests.integration.test_loader import new_file, new_job, new_sha256, write_staged

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def db(database_url: str) -> str:
    apply_migrations(database_url)
    return database_url


def audit_rows(db: str, object_type: str, object_id: int | str) -> list[dict]:
    with psycopg.connect(db, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT * FROM system_audit_log WHERE object_type = %s AND object_id = %s ORDER BY id",
            (object_type, str(object_id)),
        ).fetchall()


def test_actor_from_context() -> None:
    assert actor_from_context("ingest", "manual__2025-01-01T00:00:00+00:00", "load") == (
        "ingest/manual__2025-01-01T00:00:00+00:00/load"
    )
    assert actor_from_context("ingest", "run1") == "ingest/run1"
    with pytest.raises(ValueError):
        actor_from_context("ingest", "", "load")
    with pytest.raises(ValueError):
        actor_from_context("ingest", "run/1", "load")


def test_audit_writes_a_row_and_checks_the_action(db: str) -> None:
    object_id = f"audit-{uuid.uuid4()}"
    actor = actor_from_context("ingest", "run-audit-1", "classify")
    audit_id = audit(
        db,
        actor=actor,
        action="classified",
        object_type="file",
        object_id=object_id,
        details={"domain": "healthcare", "columns": 12, "path": Path("/landing/a.csv")},
    )
    [row] = audit_rows(db, "file", object_id)
    assert row["id"] == audit_id
    assert (row["actor"], row["action"]) == ("ingest/run-audit-1/classify", "classified")
    assert row["details"] == {"domain": "healthcare", "columns": 12, "path": "/landing/a.csv"}
    with pytest.raises(ValueError):
        audit(db, actor=actor, action="deleted", object_type="file", object_id=object_id, details={})
    assert len(audit_rows(db, "file", object_id)) == 1


def test_audit_on_a_connection_rolls_back_with_the_caller(db: str) -> None:
    rolled_back, kept = f"rb-{uuid.uuid4()}", f"kept-{uuid.uuid4()}"
    with psycopg.connect(db) as conn:
        with pytest.raises(RuntimeError), conn.transaction():
            audit(
                conn,
                actor="t",
                action=AuditAction.ARCHIVED,
                object_type="file",
                object_id=rolled_back,
                details={},
            )
            raise RuntimeError("caller failed after auditing")
        audit(conn, actor="t", action=AuditAction.ARCHIVED, object_type="file", object_id=kept, details={})
    assert audit_rows(db, "file", rolled_back) == []
    assert len(audit_rows(db, "file", kept)) == 1


def test_record_alert_writes_the_alert_and_its_audit_row(db: str) -> None:
    alert_id = record_alert(
        db, AlertKind.DEADLINE_MISSED, "run exceeded 30 min", "ingest", "run-alert-1", None, {"minutes": 30}
    )
    with psycopg.connect(db, row_factory=dict_row) as conn:
        alert = conn.execute("SELECT * FROM pipeline_alerts WHERE id = %s", (alert_id,)).fetchone()
    assert (alert["kind"], alert["dag_id"], alert["run_id"], alert["task_id"]) == (
        "deadline_missed",
        "ingest",
        "run-alert-1",
        None,
    )
    assert (alert["message"], alert["details"]) == ("run exceeded 30 min", {"minutes": 30})
    [row] = audit_rows(db, "pipeline_alert", alert_id)
    assert (row["actor"], row["action"], row["details"]) == (
        "ingest/run-alert-1",
        "alert",
        {"kind": "deadline_missed"},
    )

    task_alert = record_alert(db, "task_failed", "load failed", "ingest", "run-alert-1", "load")
    assert audit_rows(db, "pipeline_alert", task_alert)[0]["actor"] == "ingest/run-alert-1/load"
    assert (
        audit_rows(db, "pipeline_alert", record_alert(db, "task_failed", "x", None, None, None))[0]["actor"]
        == SYSTEM_ACTOR
    )
    with pytest.raises(ValueError):
        record_alert(db, "disk_full", "no such kind", "ingest", "run-alert-1", None)


def test_record_validation_stores_the_summary(db: str) -> None:
    file = new_file(db, new_sha256())
    job = new_job(db, file.id)
    summary = {"suite": "healthcare", "failures": [{"expectation": "expect_column_values_to_match_regex", "column": "ssn", "unexpected_count": 3}]}  # fmt: skip
    with psycopg.connect(db) as conn:
        result_id = record_validation(
            conn, file.id, job, False, summary, suite="healthcare", evaluated=14, failed=1
        )
    with psycopg.connect(db, row_factory=dict_row) as conn:
        stored = conn.execute("SELECT * FROM data_validation_results WHERE id = %s", (result_id,)).fetchone()
    assert (stored["file_id"], stored["job_id"], stored["suite"], stored["success"]) == (
        file.id,
        job,
        "healthcare",
        False,
    )
    assert (stored["evaluated"], stored["failed"], stored["summary"]) == (14, 1, summary)
    assert stored["validated_at"] is not None
    validated = [r for r in audit_rows(db, "data_file", file.id) if r["action"] == "validated"]
    assert [r["details"] for r in validated] == [
        {
            "validation_id": result_id,
            "job_id": job,
            "suite": "healthcare",
            "success": False,
            "evaluated": 14,
            "failed": 1,
        }
    ]


def test_files_registry_statuses_and_job_metrics(db: str, tmp_path: Path) -> None:
    landed = tmp_path / "payments.csv"
    landed.write_bytes(f"name,card,{uuid.uuid4()}\n".encode() + b"x,4111111111111111,\n" * 300_000)
    sha = sha256_of(landed)
    assert sha == hashlib.sha256(landed.read_bytes()).hexdigest()
    with psycopg.connect(db) as conn:
        first = register_file(conn, landed, sha.upper(), landed.stat().st_size, "csv")
        again = register_file(conn, tmp_path / "renamed.csv", sha, landed.stat().st_size, "csv")
        assert (first.is_new, first.status, again.is_new, again.id) == (
            True,
            FileStatus.LANDED,
            False,
            first.id,
        )
        with pytest.raises(ValueError):
            register_file(conn, landed, "not-a-hash", 1, "csv")
        set_file_status(conn, first.id, "processing")
        set_file_status(conn, first.id, FileStatus.FAILED, domain="financial", row_count=300_000)
        set_file_status(conn, first.id, FileStatus.LANDED)
        with pytest.raises(ValueError):
            set_file_status(conn, first.id, "lost")
        with pytest.raises(LookupError):
            set_file_status(conn, -1, "landed")
        job = start_job(conn, first.id, "spark", "size >= 50 MiB", "ingest", "run-files-1")
        finish_job(conn, job, "running", {"pre_processing_s": 1.5})
        finish_job(conn, job, "failed", {"records_in": 300_000})
        with pytest.raises(ValueError, match="unknown job metrics"):
            finish_job(conn, job, "failed", {"rows": 1})
        stored_file = conn.execute(
            "SELECT status, domain, row_count FROM data_files WHERE id = %s", (first.id,)
        ).fetchone()
        stored_job = conn.execute(
            "SELECT status, engine, route_reason, pre_processing_s, records_in, finished_at IS NOT NULL "
            "FROM data_processing_jobs WHERE id = %s",
            (job,),
        ).fetchone()
    assert stored_file == ("landed", "financial", 300_000)
    assert stored_job == ("failed", "spark", "size >= 50 MiB", 1.5, 300_000, True)
    assert "records_loaded" in JOB_METRICS


# What the loader's audit details may hold: counts, ids, hashes, paths.
ALLOWED_DETAIL_KEYS = {
    "file_id": int,
    "sha256": str,
    "staged_dir": str,
    "records_loaded": int,
    "violations_loaded": int,
    "quarantined": int,
    "vault_entries": int,  # a count: the entries themselves are in identity_vault, encrypted
    "reprocessed": bool,
    "seconds": float,
}


def test_loader_audit_rows_are_atomic_and_hold_no_personal_data(db: str, tmp_path: Path) -> None:
    raw_values = ["123-45-6789", "jane.doe@example.com", "Jane Doe"]
    landed = tmp_path / "landing" / "patients.csv"
    landed.parent.mkdir()
    landed.write_text(f"name,ssn,email,{uuid.uuid4()}\n" + ",".join(raw_values) + "\n" * 5)
    sha = sha256_of(landed)
    staged = tmp_path / "staged"
    write_staged(staged, sha, records_in=5, quarantined=())
    with psycopg.connect(db) as conn:
        file = register_file(conn, landed, sha, landed.stat().st_size, "csv")
        jobs = [start_job(conn, file.id, "local", "test", "ingest", f"run-pii-{i}") for i in range(4)]
    assert audit_rows(db, "data_file", file.id) == []  # registering leaves the sensing audit to the caller

    # A load that fails writes no audit row either: it rolls back with the load.
    bad = tmp_path / "bad"
    write_staged(
        bad, sha, records_in=5, quarantined=(), violations=[(9, "email", "EMAIL", "GDPR", "low", "r")]
    )
    with pytest.raises(ValueError):
        load_staged(db, bad, file_id=file.id, job_id=jobs[0], actor="ingest/run-pii-0/load")
    assert audit_rows(db, "data_processing_job", jobs[0]) == []

    load_staged(db, staged, file_id=file.id, job_id=jobs[1], actor="ingest/run-pii-1/load")
    assert load_staged(db, staged, file_id=file.id, job_id=jobs[2], actor="ingest/run-pii-2/load").duplicate
    assert load_staged(db, staged, file_id=file.id, job_id=jobs[3]).duplicate  # no actor: caller audits
    rows = [row for job in jobs for row in audit_rows(db, "data_processing_job", job)]
    assert [(r["object_id"], r["action"], r["actor"]) for r in rows] == [
        (str(jobs[1]), "loaded", "ingest/run-pii-1/load"),
        (str(jobs[2]), "duplicate", "ingest/run-pii-2/load"),
    ]
    assert rows[0]["details"]["records_loaded"] == 5

    staged_rows = pq.read_table(staged / RECORDS).to_pylist()
    staged_values = {v for row in staged_rows for v in row.values() if isinstance(v, str) and v}
    allowed_strings = {sha, str(staged)}
    for row in rows:
        details = row["details"]
        assert set(details) <= set(ALLOWED_DETAIL_KEYS), row
        for key, value in details.items():
            assert isinstance(value, ALLOWED_DETAIL_KEYS[key]), (key, value)
            if isinstance(value, str):
                assert value in allowed_strings, (key, value)
        text = json.dumps(details)
        assert not [v for v in [*raw_values, *staged_values] if v in text]
