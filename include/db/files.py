"""The file registry (data_files) and processing jobs (data_processing_jobs).

A file is identified by its SHA-256: registering the same content twice, under any path, returns
the existing row (`is_new=False`), which is what makes the whole pipeline idempotent.
Functions take a connection and join its transaction (a savepoint if one is open), so a caller
can group several of them atomically; on a connection with no transaction open, each commits.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import psycopg

from include.db.sql import load_sql

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HASH_CHUNK_BYTES = 1 << 20


class FileStatus(StrEnum):
    """data_files.status (its CHECK constraint)."""

    LANDED = "landed"
    PROCESSING = "processing"
    LOADED = "loaded"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    FAILED = "failed"


# data_processing_jobs.engine of a job no engine ran (a duplicate, an unreadable file).
NO_ENGINE = "none"


class JobStatus(StrEnum):
    """data_processing_jobs.status (its CHECK constraint)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"
    DRY_RUN = "dry_run"


# The metrics finish_job accepts: the job table's measurement columns.
JOB_METRICS = frozenset(
    {
        "records_in",
        "records_loaded",
        "records_quarantined",
        "violations",
        "pre_processing_s",
        "pure_processing_s",
        "post_processing_s",
        "records_per_second",
    }
)


@dataclass(frozen=True)
class FileRecord:
    id: int
    status: FileStatus
    is_new: bool


def sha256_of(path: Path | str) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (landed files may be larger than memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _checked_sha256(sha256: str) -> str:
    value = sha256.strip().lower()
    if not _SHA256.match(value):
        raise ValueError(f"not a hex SHA-256: {sha256!r}")
    return value


def register_file(
    conn: psycopg.Connection,
    path: Path | str,
    sha256: str,
    size_bytes: int,
    fmt: str,
) -> FileRecord:
    """Register a landed file, idempotent by content hash (the caller audits the sensing)."""
    sha256 = _checked_sha256(sha256)
    params = {"path": str(path), "sha256": sha256, "size_bytes": size_bytes, "format": fmt}
    with conn.transaction():
        row = conn.execute(load_sql("file_insert"), params).fetchone()
        if row is None:
            file_id, status = conn.execute(load_sql("file_select_by_sha256"), params).fetchone()
            return FileRecord(file_id, FileStatus(status), is_new=False)
    return FileRecord(row[0], FileStatus(row[1]), is_new=True)


def set_file_status(
    conn: psycopg.Connection,
    file_id: int,
    status: FileStatus | str,
    domain: str | None = None,
    row_count: int | None = None,
) -> None:
    """Set a file's status; `domain` / `row_count` are updated only when given."""
    params = {
        "file_id": file_id,
        "status": FileStatus(status).value,
        "domain": domain,
        "row_count": row_count,
    }
    with conn.transaction():
        if conn.execute(load_sql("file_set_status"), params).rowcount != 1:
            raise LookupError(f"no data_files row with id {file_id}")


def start_job(
    conn: psycopg.Connection,
    file_id: int,
    engine: str,
    route_reason: str,
    dag_id: str | None = None,
    run_id: str | None = None,
) -> int:
    """Open a processing job (status running) for a file; returns the job id."""
    params = {
        "file_id": file_id,
        "engine": engine,
        "route_reason": route_reason,
        "dag_id": dag_id,
        "run_id": run_id,
    }
    with conn.transaction():
        return conn.execute(load_sql("job_insert"), params).fetchone()[0]


def finish_job(
    conn: psycopg.Connection,
    job_id: int,
    status: JobStatus | str,
    metrics: Mapping[str, float | int | None] | None = None,
) -> None:
    """Close a job with its status and metrics (keys from JOB_METRICS; absent ones stay as stored)."""
    metrics = dict(metrics or {})
    unknown = set(metrics) - JOB_METRICS
    if unknown:
        raise ValueError(f"unknown job metrics {sorted(unknown)}; expected some of {sorted(JOB_METRICS)}")
    params = dict.fromkeys(JOB_METRICS) | metrics | {"job_id": job_id, "status": JobStatus(status).value}
    with conn.transaction():
        if conn.execute(load_sql("job_finish"), params).rowcount != 1:
            raise LookupError(f"no data_processing_jobs row with id {job_id}")
