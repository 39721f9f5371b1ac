"""The vault part of a batch load, on a connection of its own beside the load's transaction.

Storing a 1M-row file's ~1.3M vault entries takes about 12 s of server CPU (mostly the vault's
four indexes), and ran after the records and violations in the load's one transaction, on one
core while the other idled. It now runs from the start of the load on a second connection (a
second server process), and commits just before the load's transaction does:

- either part failing before that point rolls both back: nothing is stored;
- the load's commit failing after the vault part's (a lost connection, a server stopping) would
  leave encrypted entries for records that were never stored; they are deleted again right away
  (by the job's data key, which is the load's own), and if even that fails, the load's retry
  stores the same tokens and keeps them.

The vault's reference check skips the file row the load holds (migration 0015), so the two
connections never wait for each other. A lock timeout bounds any wait this reasoning missed: the
load then fails with PostgreSQL's error and is retried, rather than hanging.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg

from include.db.sql import load_sql

log = logging.getLogger(__name__)

# Generous: the vault part may rightly wait for another load that stores the same tokens.
_LOCK_TIMEOUT = "10min"


class VaultBeside:
    """Runs `store(cursor) -> new entries` (the loader's vault part, under the job's data key
    `key_id`) on a connection of its own from construction. `stored()` waits for it, `commit()`
    makes it durable, `close()` ends it: rolled back unless committed, its entries deleted again
    when committed but the load itself was not."""

    def __init__(
        self, database_url: str, store: Callable[[psycopg.Cursor], int], *, key_id: str, file_id: int
    ) -> None:
        self.key_id = key_id
        self.file_id = file_id
        self.seconds = 0.0
        self._conn: psycopg.Connection | None = None
        self._committed = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sdp-vault-load")
        self._future: Future[int] = self._pool.submit(self._run, database_url, store)

    def _run(self, database_url: str, store: Callable[[psycopg.Cursor], int]) -> int:
        started = time.perf_counter()
        try:
            self._conn = psycopg.connect(database_url)
            with self._conn.cursor() as cur:
                cur.execute(load_sql("vault_beside_settings"), {"lock_timeout": _LOCK_TIMEOUT})
                return store(cur)
        finally:
            self.seconds = time.perf_counter() - started

    def stored(self) -> int:
        """Wait for the vault part; the new entries it stored (uncommitted). Raises its error."""
        return self._future.result()

    def commit(self) -> None:
        assert self._conn is not None
        self._conn.commit()
        self._committed = True

    def close(self, *, load_committed: bool) -> None:
        try:
            self._future.exception()  # wait: the connection is the worker's until it returns
        finally:
            self._pool.shutdown()
        if self._conn is None:
            return
        try:
            if self._committed and not load_committed:
                self._delete_entries()
        finally:
            self._conn.close()  # rolls back what was not committed

    def _delete_entries(self) -> None:
        assert self._conn is not None
        try:
            with self._conn.transaction():
                self._conn.execute(
                    load_sql("vault_delete_job_entries"),
                    {"key_id": self.key_id, "file_id": self.file_id},
                )
        except psycopg.Error as exc:
            log.warning(
                "the load of file %s failed after its vault entries were committed, and deleting them "
                "failed too (%s); the load's retry keeps them",
                self.file_id,
                type(exc).__name__,
            )
