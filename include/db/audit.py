"""The audit trail (system_audit_log), pipeline alerts and validation results in PostgreSQL.

What goes into `details`: counts, names (columns, suites, rules, expectation types), reasons,
paths, hashes and ids, never a cell value or anything else taken from a data row. The audit log
is readable by the reporting role, so it must stay free of personal data; callers keep to that
(the loader's audit rows are tested for it), `audit()` does not inspect the dict.
`object_type` names the table of the object (data_file, data_processing_job, pipeline_alert).

Functions take a psycopg connection or a URL. With a connection, the write joins the caller's
transaction (a savepoint if one is open) so an audit row commits or rolls back with the change
it describes; with a URL, it commits on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from functools import partial
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from include.db.sql import load_sql

# Actor of writes made outside an Airflow task context (CLI, tests, services without a run id).
SYSTEM_ACTOR = "sdp-pipeline"

ConnOrUrl = psycopg.Connection | str

# Paths and other plain objects in details are stored as their string form.
_dumps = partial(json.dumps, default=str, sort_keys=True)


class AuditAction(StrEnum):
    SENSED = "sensed"
    CLASSIFIED = "classified"
    ROUTED = "routed"
    PROCESSED = "processed"
    VALIDATED = "validated"
    LOADED = "loaded"
    ARCHIVED = "archived"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"
    # A file or claimed entry that ended without being loaded or quarantined (e.g. deleted while claimed).
    FAILED = "failed"
    ALERT = "alert"
    # Data-subject requests (include/subjects/).
    VAULT_REVEAL = "vault_reveal"
    VAULT_ROTATE = "vault_rotate"
    ERASED = "erased"
    RELEASED = "released"
    PURGED = "purged"


class AlertKind(StrEnum):
    """The kinds pipeline_alerts accepts (its CHECK constraint)."""

    DEADLINE_MISSED = "deadline_missed"
    TASK_FAILED = "task_failed"
    VALIDATION_FAILED = "validation_failed"


def actor_from_context(dag_id: str, run_id: str, task_id: str | None = None) -> str:
    """`dag_id/run_id/task_id` (or `dag_id/run_id` for DAG-level events such as deadlines)."""
    parts = [dag_id, run_id] if task_id is None else [dag_id, run_id, task_id]
    for part in parts:
        if not part or "/" in part:
            raise ValueError(f"actor parts must be non-empty and free of '/': {parts!r}")
    return "/".join(parts)


@contextmanager
def connection(conn_or_url: ConnOrUrl) -> Iterator[psycopg.Connection]:
    """The given connection, or a new one from a URL that commits and closes on exit."""
    if isinstance(conn_or_url, str):
        with psycopg.connect(conn_or_url) as conn:
            yield conn
    else:
        yield conn_or_url


def audit(
    conn_or_url: ConnOrUrl,
    *,
    actor: str,
    action: AuditAction | str,
    object_type: str,
    object_id: str | int | None,
    details: Mapping[str, Any],
) -> int:
    """Append one row to system_audit_log; returns its id. See the module docstring for `details`."""
    params = {
        "actor": actor,
        "action": AuditAction(action).value,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "details": Jsonb(dict(details), dumps=_dumps),
    }
    with connection(conn_or_url) as conn, conn.transaction():
        return conn.execute(load_sql("audit_insert"), params).fetchone()[0]


def record_alert(
    conn_or_url: ConnOrUrl,
    kind: AlertKind | str,
    message: str,
    dag_id: str | None,
    run_id: str | None,
    task_id: str | None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Write a pipeline_alerts row and its `alert` audit row together; returns the alert id."""
    kind = AlertKind(kind)
    actor = actor_from_context(dag_id, run_id, task_id) if dag_id and run_id else SYSTEM_ACTOR
    with connection(conn_or_url) as conn, conn.transaction():
        alert_id = conn.execute(
            load_sql("alert_insert"),
            {
                "kind": kind.value,
                "dag_id": dag_id,
                "run_id": run_id,
                "task_id": task_id,
                "message": message,
                "details": Jsonb(dict(details or {}), dumps=_dumps),
            },
        ).fetchone()[0]
        audit(
            conn,
            actor=actor,
            action=AuditAction.ALERT,
            object_type="pipeline_alert",
            object_id=alert_id,
            details={"kind": kind.value},
        )
    return alert_id


def record_validation(
    conn_or_url: ConnOrUrl,
    file_id: int,
    job_id: int | None,
    success: bool,
    summary: Mapping[str, Any],
    *,
    suite: str,
    evaluated: int,
    failed: int,
    actor: str = SYSTEM_ACTOR,
) -> int:
    """Store a validation summary (data_validation_results) with its `validated` audit row;
    returns the result id. `summary` must already be free of raw values (counts, names)."""
    with connection(conn_or_url) as conn, conn.transaction():
        result_id = conn.execute(
            load_sql("validation_insert"),
            {
                "file_id": file_id,
                "job_id": job_id,
                "suite": suite,
                "success": success,
                "evaluated": evaluated,
                "failed": failed,
                "summary": Jsonb(dict(summary), dumps=_dumps),
            },
        ).fetchone()[0]
        audit(
            conn,
            actor=actor,
            action=AuditAction.VALIDATED,
            object_type="data_file",
            object_id=file_id,
            details={
                "validation_id": result_id,
                "job_id": job_id,
                "suite": suite,
                "success": success,
                "evaluated": evaluated,
                "failed": failed,
            },
        )
    return result_id
