"""Audit rows of data-subject requests (erasure, releases, retention) in system_audit_log.

The details hold counts, ids, hashes, epsilons and reasons, never a token or a value. Rows are
written on the caller's connection, inside its transaction, so an audit row commits with the
change it proves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from functools import partial
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from include.db.sql import load_sql

_dumps = partial(json.dumps, default=str, sort_keys=True)


class SubjectAction(StrEnum):
    ERASED = "erased"
    RELEASED = "released"
    PURGED = "purged"


def audit_subject_action(
    conn: psycopg.Connection,
    *,
    actor: str,
    action: SubjectAction,
    object_type: str,
    object_id: str | int | None,
    details: Mapping[str, Any],
) -> int:
    """Append one audit row in the caller's transaction; returns its id."""
    params = {
        "actor": actor,
        "action": SubjectAction(action).value,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "details": Jsonb(dict(details), dumps=_dumps),
    }
    return conn.execute(load_sql("audit_insert"), params).fetchone()[0]
