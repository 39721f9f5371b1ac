"""A stream job's progress as the consumer committed it (table stream_file_state), for the DAG:
a task or an Airflow trigger polls it until the job is complete.

Import-light on purpose (psycopg only, no Kafka client): the triggerer imports it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg

from include.db.sql import load_sql


@dataclass(frozen=True)
class StreamProgress:
    job_id: int
    file_id: int
    domain: str
    anonymize: str
    columns: list[dict]  # the producer's classification (include.streaming.topics.column_json)
    rows_total: int | None  # known once the file-end message is consumed
    rows_loaded: int
    rows_quarantined: int
    violations: int
    completed: bool
    superseded_by: int | None  # a newer job of the file replaced this one: it never completes
    republished: bool  # the job's messages were published more than once
    pre_processing_s: float  # decoding messages
    pure_processing_s: float  # the compliance core
    post_processing_s: float  # writing to PostgreSQL
    started_at: dt.datetime  # when the consumer saw the job's first file-start message
    completed_at: dt.datetime | None

    @property
    def elapsed_s(self) -> float | None:
        """First file-start consumed -> the transaction that completed the job."""
        return None if self.completed_at is None else (self.completed_at - self.started_at).total_seconds()

    def counts(self) -> dict[str, int | float | bool | None]:
        """The JSON-serialisable part (a trigger event's payload)."""
        return {
            "job_id": self.job_id,
            "file_id": self.file_id,
            "rows_total": self.rows_total,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "violations": self.violations,
            "completed": self.completed,
            "superseded_by": self.superseded_by,
            "pre_processing_s": self.pre_processing_s,
            "pure_processing_s": self.pure_processing_s,
            "post_processing_s": self.post_processing_s,
            "elapsed_s": self.elapsed_s,
        }


def _progress(row: tuple | None) -> StreamProgress | None:
    return None if row is None else StreamProgress(*row)


def file_progress(conn: psycopg.Connection, job_id: int) -> StreamProgress | None:
    """The job's progress, or None while the consumer has not seen its file-start message."""
    return _progress(conn.execute(load_sql("stream_progress"), {"job_id": job_id}).fetchone())


async def afile_progress(conn: psycopg.AsyncConnection | str, job_id: int) -> StreamProgress | None:
    """file_progress for async callers (an Airflow trigger): on an open AsyncConnection, or on a
    connection string (a connection is opened for the call and closed)."""
    if isinstance(conn, str):
        async with await psycopg.AsyncConnection.connect(conn, autocommit=True) as owned:
            return await afile_progress(owned, job_id)
    cursor = await conn.execute(load_sql("stream_progress"), {"job_id": job_id})
    return _progress(await cursor.fetchone())


def supersede_older_stream_jobs(cur: psycopg.Cursor, file_id: int, job_id: int) -> list[int]:
    """Job `job_id`'s results replace the file's (any route): the file's older stream jobs stop
    counting, so the consumer ignores their later messages, and those still running are marked
    failed (their DAG runs' waits fail as superseded). Call it in the transaction that replaces
    the results; returns the jobs superseded now."""
    replaced = cur.execute(
        load_sql("stream_state_supersede"), {"file_id": file_id, "job_id": job_id}
    ).fetchall()
    for old_job, unfinished in replaced:
        if unfinished:
            cur.execute(load_sql("stream_job_superseded"), {"job_id": old_job})
    return [old_job for old_job, _ in replaced]
