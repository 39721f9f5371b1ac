"""The parts of a batch load that run on a second connection, beside the load's transaction.

A 1M-row file's load is three large inserts, each single-threaded in the server: the records
(~20 s, most of it their GIN index), the violations (~10 s, their unique key and job check) and
the vault entries (~15 s, the vault's four indexes). In one transaction they ran one after the
other on one core while the other idled. The records stay in the load's transaction; the vault
part and, on a first load, the violations run from the start of the load on a second connection
(a second server process) whose transaction commits just before the load's does:

- either side failing before that point rolls both back: nothing is stored;
- the load's commit failing after the second connection's (a lost connection, a server stopping)
  would leave violations and encrypted entries of records never stored; they are deleted again
  right away (by the job, and by the job's own data key), under the file's load lock and only
  while the job has not succeeded (so never what a retry of the load stored meanwhile); if even
  that fails, the file has no records and the load's retry replaces them (include/db/loader.py).

Nothing on the second connection waits for the load's transaction: the load holds its file and
job rows FOR NO KEY UPDATE, which lets the foreign-key and job checks' FOR KEY SHARE through; the
violations of a first load have no earlier rows to conflict with, and the vault's reference check
skips locked file rows (migration 0015). A lock timeout bounds any wait this reasoning missed:
the load then fails with PostgreSQL's error and is retried, rather than hanging.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import psycopg

from include.db.sql import load_sql

log = logging.getLogger(__name__)

# Generous: the vault part may rightly wait for another load that stores the same tokens.
_LOCK_TIMEOUT = "10min"


@dataclass(frozen=True)
class BesidePart:
    """One part: `store(cursor) -> rows stored`, and the statement (a name in include/sql) that
    deletes what it stored, run with the load's keys and `undo_params`."""

    name: str
    store: Callable[[psycopg.Cursor], int]
    undo: str
    undo_params: dict[str, object]


class LoadBeside:
    """Runs `parts` one after the other on a connection of its own from construction. `stored()`
    waits for them, `commit()` makes them durable, `close()` ends the connection: rolled back
    unless committed, their rows deleted again when committed but the load itself was not."""

    def __init__(self, database_url: str, parts: Sequence[BesidePart], *, file_id: int, job_id: int) -> None:
        self.parts = tuple(parts)
        self.keys = {"file_id": file_id, "job_id": job_id}
        self.seconds: dict[str, float] = {}  # per part
        self._conn: psycopg.Connection | None = None
        self._committed = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sdp-load-beside")
        self._future: Future[dict[str, int]] = self._pool.submit(self._run, database_url)

    def _run(self, database_url: str) -> dict[str, int]:
        self._conn = psycopg.connect(database_url)
        stored = {}
        with self._conn.cursor() as cur:
            cur.execute(load_sql("beside_settings"), {"lock_timeout": _LOCK_TIMEOUT})
            for part in self.parts:
                started = time.perf_counter()
                try:
                    stored[part.name] = part.store(cur)
                finally:
                    self.seconds[part.name] = time.perf_counter() - started
        return stored

    def stored(self) -> dict[str, int]:
        """Wait for the parts; the rows each stored (uncommitted), by name. Raises their error."""
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
                self._undo()
        finally:
            self._conn.close()  # rolls back what was not committed

    def _undo(self) -> None:
        assert self._conn is not None
        try:
            with self._conn.transaction():
                self._conn.execute(load_sql("load_lock_file_key"), self.keys)
                if self._conn.execute(load_sql("load_job_succeeded"), self.keys).fetchone()[0]:
                    return  # a retry of the load stored the file meanwhile: its rows stay
                for part in self.parts:
                    self._conn.execute(load_sql(part.undo), self.keys | part.undo_params)
        except psycopg.Error as exc:
            log.warning(
                "the load of file %s failed after its %s were committed, and deleting them failed "
                "too (%s); the load's retry replaces them",
                self.keys["file_id"],
                " and ".join(part.name for part in self.parts),
                type(exc).__name__,
            )
