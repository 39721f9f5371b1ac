"""Erasure of a data subject (GDPR art. 17) from the results database, by one of their tokens.

The subject's records are the rows whose payload holds the token, as a whole field value or
inside free text, in any file loaded by any route. They are deleted, not nulled: a row emptied of
its payload still says that a subject existed in that file at that row, and nothing downstream
needs the row (job counts keep what was loaded, the audit row says what was erased). With them go
their violation rows, the vault entry of the token, and the vault entries of the other tokens of
those rows that no remaining record holds (the subject's other identifiers; a token shared with
another record still re-identifies that one). Earlier audit rows that name an erased vault entry
by its token (reveals) get the token's keyed hash instead.

All of it happens in one transaction with one audit row (object_type `data_subject`) whose
object_id is a keyed hash of the token (HMAC-SHA256 with the tokenization key): whoever holds the
key and the token can find the proof, nobody else can tell whose erasure it was. Details hold the
counts per table, the files touched, actor and reason, never the token. Running it again finds
nothing and writes a second audit row with zero counts.

Lookups go through the GIN indexes on the keys of the digests of the tokens of each payload
(migrations 0009, 0014), so an erasure costs index probes, not a scan of the records.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from compliance.anonymize.tokenize import KEY_ENV, TOKEN_REGEX
from include.db.audit import AuditAction, audit
from include.db.sql import load_sql

_TOKEN = re.compile(TOKEN_REGEX)
_PARTS = re.compile(r"^([A-Z][A-Z0-9_]*)_[A-Za-z0-9]{1,16}_([a-z2-7]{24})(?:_[0-9]{4})?$")
_MAX_REASON_CHARS = 200
_HASH_CONTEXT = b"sdp-erasure\x1f"


class ErasureError(ValueError):
    """The request cannot be carried out as given; nothing was erased. Never quotes the token."""


@dataclass(frozen=True)
class ErasureResult:
    subject_hash: str
    records: int
    violations: int
    vault_entries: int
    files: tuple[int, ...] = field(default_factory=tuple)
    audit_id: int = 0


def token_digest(token: str) -> str:
    """The 24-character digest of a token; raises ErasureError when `token` is not shaped like one."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise ErasureError("not a token: expected TYPE_keyid_<24 base32 characters>[_dddd]")
    return _PARTS.match(token)[2]


def subject_hash(token: str, key: bytes) -> str:
    """Keyed hash of a token for audit rows (hex HMAC-SHA256 under the tokenization key)."""
    return hmac.new(key, _HASH_CONTEXT + token.encode("ascii"), hashlib.sha256).hexdigest()


def token_key_secret(local_secret: str = "") -> bytes:
    """The tokenization key: SDP_TOKEN_KEY, else the local stack's generated key (`local_secret`)."""
    secret = os.environ.get(KEY_ENV) or local_secret
    if not secret:
        raise ErasureError(f"{KEY_ENV} is not set (the audit row needs the tokenization key)")
    return secret.encode("utf-8")


def erase_subject(
    conn: psycopg.Connection, token: str, *, key: bytes, actor: str, reason: str
) -> ErasureResult:
    """Erase every record, violation and vault entry linked to `token`, in one transaction on
    `conn`, with its audit row. Idempotent: a second call erases nothing and audits zeros."""
    digest = token_digest(token)
    reason = reason.strip()
    if not reason or len(reason) > _MAX_REASON_CHARS:
        raise ErasureError(f"give a reason of 1 to {_MAX_REASON_CHARS} characters (a ticket reference)")
    if digest in reason:
        raise ErasureError("the reason must not contain the token: it is stored in the audit log")
    if not actor:
        raise ErasureError("an actor is required")
    hashed = subject_hash(token, key)
    params = {"token": token, "digest": digest}
    with conn.transaction():
        conn.execute(load_sql("subject_lock_erasure"), params)
        conn.execute(load_sql("subject_erase_index_only"))
        erased = conn.execute(load_sql("subject_erase_records"), params).fetchall()
        file_ids = [file_id for file_id, _, _ in erased]
        row_numbers = [row_number for _, row_number, _ in erased]
        violations = conn.execute(
            load_sql("subject_erase_violations"), {"file_ids": file_ids, "row_numbers": row_numbers}
        ).rowcount
        digests = sorted({d for _, _, found in erased for d in found} | {digest})
        vault_tokens = [
            found
            for (found,) in conn.execute(
                load_sql("subject_erase_vault"), {"token": token, "digests": digests}
            ).fetchall()
        ]
        vault_entries = len(vault_tokens)
        pseudonymized = sorted(set(vault_tokens) | {token})
        audit_rows = conn.execute(
            load_sql("subject_erase_audit_tokens"),
            {"tokens": pseudonymized, "hashes": [subject_hash(t, key) for t in pseudonymized]},
        ).rowcount
        files = tuple(sorted(set(file_ids)))
        details = {
            "subject_hash": hashed,
            "hash": "hmac-sha256(token key)",
            "token_type": _PARTS.match(token)[1],
            "records": len(erased),
            "violations": violations,
            "vault_entries": vault_entries,
            "audit_rows_pseudonymized": audit_rows,
            "files": list(files),
            "reason": reason,
        }
        audit_id = audit(
            conn,
            actor=actor,
            action=AuditAction.ERASED,
            object_type="data_subject",
            object_id=hashed,
            details=details,
        )
    return ErasureResult(hashed, len(erased), violations, vault_entries, files, audit_id)


def token_locations(conn: psycopg.Connection, token: str) -> list[tuple[str, str]]:
    """(table, column) pairs of the results schema where `token` still occurs anywhere in a
    text, jsonb or array column. A full scan of every table: for verification, not for requests."""
    found = []
    for table, column, _ in conn.execute(load_sql("subject_token_locations")).fetchall():
        query = sql.SQL(load_sql("subject_token_in_column")).format(
            table=sql.Identifier(table), column=sql.Identifier(column)
        )
        if conn.execute(query, {"token": token}).fetchone():
            found.append((table, column))
    return found
