"""A few reusable read-only connections (psycopg has no pool without the psycopg_pool package):
opening a connection costs a SCRAM handshake, several milliseconds per request."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.rows import dict_row


class ReaderConnections:
    def __init__(self, url: str, *, keep: int = 4, connect_timeout: int = 5) -> None:
        self._url = url
        self._idle: queue.LifoQueue[psycopg.Connection] = queue.LifoQueue(maxsize=keep)
        self._connect_timeout = connect_timeout

    def _open(self) -> psycopg.Connection:
        conn = psycopg.connect(
            self._url, autocommit=True, row_factory=dict_row, connect_timeout=self._connect_timeout
        )
        # A reporting query never needs long; a stuck one must not hold a server thread.
        conn.execute("SET statement_timeout = '30s'")
        conn.execute("SET default_transaction_read_only = on")
        return conn

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._open()
        healthy = False
        try:
            yield conn
            healthy = True
        finally:
            if (
                healthy
                and not conn.closed
                and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            ):
                try:
                    self._idle.put_nowait(conn)
                except queue.Full:
                    conn.close()
            else:
                conn.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
