"""The re-identification vault in the results database: reveal a token's original value, rotate
the master key, count what is stored (compliance/vault.py does the cryptography).

Every reveal needs a reason and writes an audit row (who, when, which token, the reason, the
type) in the transaction that reads the entry; the value itself is returned to the caller only,
never logged, audited or put in an exception. Rotation re-wraps every data key from the old
master key to the new one in one transaction and leaves identity_vault untouched.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from compliance.vault import MasterKey, VaultKeyError, WrappedKey, decrypt_value, rewrap
from include.db.audit import AuditAction, ConnOrUrl, audit, connection
from include.db.sql import load_sql

ACTOR_ENV = "SDP_ACTOR"
_OBJECT_TOKEN = "identity_vault"
_OBJECT_KEYS = "vault_data_keys"
_MAX_REASON_CHARS = 1000


class RevealRefused(ValueError):
    """A reveal that may not happen (no reason, unknown token); the message quotes no value."""


@dataclass(frozen=True)
class RotationResult:
    rewrapped: int  # data keys moved from the old master key to the new one
    already_new: int  # data keys the new master key wrapped already (a rotation resumed)
    old_master_key_id: str
    new_master_key_id: str


def default_actor() -> str:
    """SDP_ACTOR, else the operating-system user running the command."""
    return os.environ.get(ACTOR_ENV, "").strip() or getpass.getuser()


def reveal(
    conn_or_url: ConnOrUrl, token: str, reason: str, actor: str, master: MasterKey | None = None
) -> str:
    """The original value behind `token`, for an `actor` with a `reason` (required, audited).

    `master`: the vault's master key (default: SDP_VAULT_KEY). Raises RevealRefused (no reason,
    no such token) or VaultKeyError (not the master key that wrapped the entry's data key); no
    audit row is written then."""
    reason = (reason or "").strip()
    if not reason:
        raise RevealRefused("a reason is required to reveal a token")
    if len(reason) > _MAX_REASON_CHARS:
        raise RevealRefused(f"the reason is longer than {_MAX_REASON_CHARS} characters")
    if not (actor or "").strip():
        raise RevealRefused("an actor is required to reveal a token")
    token = (token or "").strip()
    master = master or MasterKey.from_env()
    with connection(conn_or_url) as conn, conn.transaction():
        row = conn.execute(load_sql("vault_select_entry"), {"token": token}).fetchone()
        if row is None:
            raise RevealRefused("no vault entry for this token (not reversible, or erased)")
        id_type, key_id, nonce, ciphertext, master_key_id, wrapped = row
        data_key = WrappedKey(key_id, master_key_id, bytes(wrapped)).unwrap(master)
        value = decrypt_value(data_key, token, nonce, ciphertext)
        audit(
            conn,
            actor=actor.strip(),
            action=AuditAction.VAULT_REVEAL,
            object_type=_OBJECT_TOKEN,
            object_id=token,
            details={"reason": reason, "id_type": id_type, "key_id": key_id},
        )
    return value


def rotate(conn_or_url: ConnOrUrl, old: MasterKey, new: MasterKey, actor: str) -> RotationResult:
    """Re-wrap every data key from `old` to `new` in one transaction (rows of identity_vault are
    not touched), with one audit row. Keys already wrapped by `new` are left as they are, so an
    interrupted rotation can be run again; a key wrapped by neither stops it (VaultKeyError),
    with nothing changed."""
    if old.key_id == new.key_id:
        raise VaultKeyError("the new master key is the current one: nothing to rotate")
    rewrapped = already_new = 0
    with connection(conn_or_url) as conn, conn.transaction():
        for key_id, master_key_id, wrapped in conn.execute(load_sql("vault_lock_data_keys")).fetchall():
            if master_key_id == new.key_id:
                already_new += 1
                continue
            moved = rewrap(WrappedKey(key_id, master_key_id, bytes(wrapped)), old, new)
            conn.execute(
                load_sql("vault_rewrap_data_key"),
                {"key_id": key_id, "master_key_id": moved.master_key_id, "wrapped_key": moved.wrapped},
            )
            rewrapped += 1
        audit(
            conn,
            actor=actor,
            action=AuditAction.VAULT_ROTATE,
            object_type=_OBJECT_KEYS,
            object_id=new.key_id,
            details={
                "from_master_key_id": old.key_id,
                "to_master_key_id": new.key_id,
                "rewrapped": rewrapped,
                "already_new": already_new,
            },
        )
    return RotationResult(rewrapped, already_new, old.key_id, new.key_id)


def status(conn_or_url: ConnOrUrl) -> list[dict]:
    """Counts per master key and identifier type: data keys and entries (no tokens, no values)."""
    with connection(conn_or_url) as conn:
        rows = conn.execute(load_sql("vault_status")).fetchall()
    return [
        {"master_key_id": master, "id_type": id_type, "data_keys": keys, "entries": entries}
        for master, id_type, keys, entries in rows
    ]
