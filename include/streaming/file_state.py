"""Job bookkeeping of the stream route in PostgreSQL (table stream_file_state, keyed by job_id),
the half of the exactly-once store that says what each job has stored; every function works in
the caller's micro-batch transaction (include/streaming/transaction.py).

Classification is fixed per job by the producer (file-start message), so every micro-batch makes
the decisions `sdp scan` makes on the whole file. The first file-start of a newer job of a file
replaces the file's earlier results in its transaction (as the batch loader's reprocess does);
messages of the older job that arrive later are ignored. A job is complete when its loaded +
quarantined rows reach the count of its file-end message: the job and file are then closed and
audited in the same transaction.
"""

from __future__ import annotations

import psycopg
from confluent_kafka import Message
from psycopg.types.json import Jsonb

from compliance.columns import ColumnClass
from compliance.vocabulary import Domain
from include.db.audit import AuditAction, audit
from include.db.files import FileStatus, JobStatus, finish_job, set_file_status
from include.db.sql import load_sql
from include.staging import ROW_COLUMN
from include.streaming.consumer_config import ACTOR, log
from include.streaming.decode import json_object
from include.streaming.model import BatchStats, FileState, JobWork, Rejected
from include.streaming.producer import STREAM_ANONYMIZE
from include.streaming.status import supersede_older_stream_jobs
from include.streaming.topics import DEAD_LETTER_TOPIC, column_class, column_json

_AUDIT_OBJECT = "data_processing_job"
# (file_id, job_id, row, reason) of a quarantine row; the ids and row only when known
QuarantineEntry = tuple[int | None, int | None, int | None, str]


def lock_files(cur: psycopg.Cursor, file_ids: set[int]) -> None:
    """Hold the batch's files (FOR KEY SHARE) against a concurrent load on another route."""
    cur.execute(load_sql("stream_lock_files"), {"file_ids": sorted(file_ids)})


def apply_starts(
    cur: psycopg.Cursor, starts: list[tuple[int, int | None, Message]], rejected: list[Rejected]
) -> int:
    """Store the classification of newly announced jobs; a job newer than the file's last one
    replaces that job's results. Returns how many start messages of replaced jobs were ignored."""
    ignored = 0
    for file_id, job_id, message in sorted(starts, key=lambda start: start[1] or 0):
        start, reason = json_object(message)
        if start is not None:
            try:
                columns = [column_class(c) for c in start["columns"]]
                domain, anonymize = Domain(start["domain"]).value, start["anonymize"]
                if anonymize not in STREAM_ANONYMIZE:
                    raise ValueError(anonymize)
            except (KeyError, TypeError, ValueError):
                reason = "file-start value lacks a valid columns / domain / anonymize"
        if reason is None and job_id is None:
            reason = "file-start names no existing job of its file"
        if reason is None:
            params = {"job_id": job_id, "file_id": file_id}
            exists, newest = cur.execute(load_sql("stream_start_check"), params).fetchone()
            if not exists:
                reason = "file-start names no existing job of its file"
            elif newest is not None and job_id < newest:
                # A newer job's results count: record this job as superseded, so its rows are
                # recognised and ignored (not dead-lettered as rows of an unknown job).
                _upsert_state(cur, file_id, job_id, domain, anonymize, columns, message)
                supersede_older_stream_jobs(cur, file_id, newest)
                ignored += 1
                continue
        if reason:
            rejected.append(Rejected(message, reason))
            continue
        if _upsert_state(cur, file_id, job_id, domain, anonymize, columns, message):
            _replace_earlier_results(cur, file_id, job_id)
    return ignored


def _upsert_state(
    cur: psycopg.Cursor,
    file_id: int,
    job_id: int,
    domain: str,
    anonymize: str,
    columns: list[ColumnClass],
    message: Message,
) -> bool:
    """Record a job's file-start (its classification); True when the job's state is new."""
    params = {"file_id": file_id, "job_id": job_id, "domain": domain, "anonymize": anonymize,
              "columns": Jsonb([column_json(c) for c in columns]), "partition": message.partition()}  # fmt: skip
    return cur.execute(load_sql("stream_state_upsert"), params).fetchone()[0]


def _replace_earlier_results(cur: psycopg.Cursor, file_id: int, job_id: int) -> None:
    """A new job of the file: drop the file's results of earlier jobs (any route) in this
    transaction, and retire the earlier stream jobs."""
    params = {"file_id": file_id, "job_id": job_id}
    cur.execute(load_sql("load_delete_file_results"), params)
    deleted = cur.rowcount
    replaced = supersede_older_stream_jobs(cur, file_id, job_id)
    if replaced or deleted:
        log.info("file_id=%d: job %d replaces the earlier results (stream jobs %s)",
                 file_id, job_id, replaced or "-")  # fmt: skip


def latest_states(cur: psycopg.Cursor, file_ids: set[int]) -> dict[int, FileState]:
    """The newest job's state of each file."""
    if not file_ids:
        return {}
    rows = cur.execute(load_sql("stream_state_select"), {"file_ids": sorted(file_ids)}).fetchall()
    latest: dict[int, FileState] = {}
    for job_id, file_id, domain, anonymize, columns, total, completed, republished, superseded in rows:
        if file_id not in latest or job_id > latest[file_id].job_id:
            latest[file_id] = FileState(job_id, file_id, domain, anonymize, [column_class(c) for c in columns],
                                        total, completed, republished, superseded)  # fmt: skip
    return latest


def apply_ends(
    cur: psycopg.Cursor,
    ends: list[tuple[int, int | None, Message]],
    latest: dict[int, FileState],
    rejected: list[Rejected],
) -> int:
    ignored = 0
    for file_id, job_id, message in ends:
        state, missing = owner(latest, file_id, job_id, "file-end")
        end, reason = json_object(message)
        total = end.get("rows_total") if end is not None else None
        if reason is None and (not isinstance(total, int) or isinstance(total, bool) or total < 0):
            reason = "file-end value lacks a valid rows_total"
        if reason is None and state is None and not missing:
            ignored += 1
            continue
        reason = reason or missing
        if reason:
            rejected.append(Rejected(message, reason, state))
            continue
        if state.rows_total is None:
            cur.execute(load_sql("stream_state_set_total"), {"job_id": state.job_id, "rows_total": total})
            state.rows_total = total
    return ignored


def quarantine_entries(
    quarantined: list[tuple[int, int | None, Message]],
    latest: dict[int, FileState],
    rejected: list[Rejected],
    stats: BatchStats,
) -> list[QuarantineEntry]:
    """(file_id, job_id, row, reason) of the reader's quarantined rows and of rejected messages."""
    entries = []
    for file_id, job_id, message in quarantined:
        state, missing = owner(latest, file_id, job_id, "quarantined row")
        value, reason = json_object(message)
        row = value.get(ROW_COLUMN) if value is not None else None
        why = value.get("reason") if value is not None else None
        if reason is None and (type(row) is not int or row < 0 or not isinstance(why, str)):
            reason = f"quarantined-row value lacks a valid {ROW_COLUMN} / reason"
        if reason is None and state is None and not missing:
            stats.ignored += 1
            continue
        reason = reason or missing
        if reason:
            rejected.append(Rejected(message, reason, state))
        else:
            entries.append((state.file_id, state.job_id, row, why))
    for item in rejected:
        where = f"{item.message.topic()}[{item.message.partition()}]@{item.message.offset()}"
        reason = f"dead-lettered stream message {where}: {item.reason}"
        file_id, job_id = (item.file.file_id, item.file.job_id) if item.file else (None, None)
        entries.append((file_id, job_id, item.row if item.file else None, reason))
    return entries


def insert_quarantine(
    cur: psycopg.Cursor, entries: list[QuarantineEntry]
) -> list[tuple[int | None, int | None]]:
    """Returns (job_id, row) of each new quarantine row; job_id only for rows of a job."""
    if not entries:
        return []
    file_ids, job_ids, rows, reasons = (list(column) for column in zip(*entries, strict=True))
    params = {"file_ids": file_ids, "job_ids": job_ids, "rows": rows, "reasons": reasons}
    inserted = cur.execute(load_sql("stream_insert_quarantine"), params).fetchall()
    # Only rows of a file count towards its completeness.
    return [(job_id if row is not None else None, row) for job_id, row in inserted]


def audit_rejected(cur: psycopg.Cursor, rejected: list[Rejected]) -> None:
    for item in rejected:
        message = item.message
        audit(
            cur.connection, actor=ACTOR, action=AuditAction.QUARANTINED, object_type="data_file",
            object_id=item.file.file_id if item.file else None,
            details={"reason": item.reason, "topic": message.topic(), "partition": message.partition(),
                     "offset": message.offset(), "dead_letter_topic": DEAD_LETTER_TOPIC, "row": item.row},
        )  # fmt: skip


def complete_if_done(cur: psycopg.Cursor, job_id: int, group: str) -> bool:
    """Close the job and the file once every announced row is loaded or quarantined."""
    done = cur.execute(load_sql("stream_state_complete"), {"job_id": job_id}).fetchone()
    if done is None:
        return False
    file_id, domain, total, loaded, quarantined, violations, pre_s, pure_s, post_s, elapsed = done
    elapsed = float(elapsed or 0)
    busy = pre_s + pure_s + post_s
    seconds = elapsed if elapsed > 0 else busy
    metrics = {
        "records_in": total,
        "records_loaded": loaded,
        "records_quarantined": quarantined,
        "violations": violations,
        "pre_processing_s": pre_s,
        "pure_processing_s": pure_s,
        "post_processing_s": post_s,
        # End to end: first batch of the job to the batch that completed it.
        "records_per_second": total / seconds if seconds > 0 else None,
    }
    conn = cur.connection
    finish_job(conn, job_id, JobStatus.SUCCEEDED, metrics)
    set_file_status(conn, file_id, FileStatus.LOADED, domain=domain, row_count=total)
    details = {"file_id": file_id, "engine": "stream", "consumer_group": group,
               "elapsed_s": round(elapsed, 3)} | {k: v for k, v in metrics.items() if k != "records_per_second"}  # fmt: skip
    audit(conn, actor=ACTOR, action=AuditAction.LOADED, object_type=_AUDIT_OBJECT, object_id=job_id,
          details=details)  # fmt: skip
    log.info("file_id=%d job_id=%d complete: %d rows (%d loaded, %d quarantined), %d violations, %.1f s",
             file_id, job_id, total, loaded, quarantined, violations, elapsed)  # fmt: skip
    return True


def owner(
    latest: dict[int, FileState], file_id: int, job_id: int | None, what: str
) -> tuple[FileState | None, str | None]:
    """The state a message of (file, job) counts towards, or why it cannot (None, reason), or
    (None, None) when the message belongs to a job a newer one replaced, on any route (it is
    ignored). A message without a job header counts towards the file's newest job."""
    state = latest.get(file_id)
    if state is None:
        return None, f"{what} of a file without a file-start message"
    if job_id is None or job_id == state.job_id:
        return (None, None) if state.superseded else (state, None)
    if job_id < state.job_id:
        return None, None
    return None, f"{what} of a job without a file-start message"


def add_work(cur: psycopg.Cursor, work: dict[int, JobWork], stats: BatchStats) -> None:
    """Add a batch's counts to its jobs' states."""
    for job_id, counts in sorted(work.items()):  # one lock order for every member
        cur.execute(load_sql("stream_state_add"), {"job_id": job_id, **counts.__dict__})
        stats.rows_loaded += counts.rows_loaded
        stats.violations += counts.violations
