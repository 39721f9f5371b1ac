"""Retention: purge the records and violations of files held longer than their domain policy's
`retention_days`, with one audit row per purged file (the daily DAG sdp_retention runs it).

The clock starts at the file's `landed_at`, when the platform received the data: storage
limitation is about how long we keep what we were given, and landed_at exists for every file of
every domain, whereas record dates are per-domain columns, often generalized or tokenized, and
records already past retention when they arrive are reported by the core as RETENTION_EXCEEDED.

The data_files row stays (its id, hash and status are bookkeeping, not personal data), so the
same content landing again is still recognised, and jobs, quarantine reasons and validation
summaries keep their references. Vault entries of the purged tokens that no remaining record
holds go too. Each file is purged in its own transaction under the same row lock as a load, so a
purge never mixes with a reprocess of the file. Running it again purges nothing more.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import psycopg

from compliance.policy import load_policy
from compliance.vocabulary import Domain
from include.db.audit import AuditAction, audit
from include.db.sql import load_sql

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgedFile:
    file_id: int
    domain: str
    records: int
    violations: int
    vault_entries: int
    audit_id: int


def purge_expired(
    conn: psycopg.Connection,
    *,
    actor: str,
    now: dt.datetime | None = None,
    domains: tuple[str, ...] | None = None,
) -> list[PurgedFile]:
    """Purge every file past its domain's retention as of `now` (default: the current time)."""
    now = now or dt.datetime.now(dt.UTC)
    purged = []
    for domain in domains or tuple(d.value for d in Domain):
        policy = load_policy(domain)
        cutoff = now - dt.timedelta(days=policy.retention_days)
        due = conn.execute(load_sql("subject_retention_due_files"), {"domain": domain, "cutoff": cutoff})
        for file_id, _ in due.fetchall():
            purged.append(_purge_file(conn, file_id, domain, policy.retention_days, policy.version,
                                      cutoff, actor))  # fmt: skip
    return purged


def _purge_file(
    conn: psycopg.Connection,
    file_id: int,
    domain: str,
    retention_days: int,
    policy_version: int,
    cutoff: dt.datetime,
    actor: str,
) -> PurgedFile:
    keys = {"file_id": file_id}
    with conn.transaction():
        landed_at = conn.execute(load_sql("subject_retention_lock_file"), keys).fetchone()[0]
        conn.execute(load_sql("subject_erase_index_only"))
        conn.execute(load_sql("subject_retention_collect_digests"), keys)
        records = conn.execute(load_sql("subject_retention_delete_records"), keys).rowcount
        violations = conn.execute(load_sql("subject_retention_delete_violations"), keys).rowcount
        vault_entries = conn.execute(load_sql("subject_retention_delete_vault"), keys).rowcount
        audit_id = audit(
            conn,
            actor=actor,
            action=AuditAction.PURGED,
            object_type="data_file",
            object_id=file_id,
            details={
                "domain": domain,
                "policy_version": policy_version,
                "retention_days": retention_days,
                "basis": "landed_at",
                "landed_at": landed_at.isoformat(),
                "cutoff": cutoff.isoformat(),
                "records": records,
                "violations": violations,
                "vault_entries": vault_entries,
            },
        )
    log.info(
        "retention: file %s (%s) purged: %s records, %s violations", file_id, domain, records, violations
    )
    return PurgedFile(file_id, domain, records, violations, vault_entries, audit_id)
