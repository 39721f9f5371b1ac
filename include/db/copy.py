"""COPY .. FROM STDIN of data made chunk by chunk (CSV written by Arrow from staged Parquet).

The chunks are queued to a psycopg writer thread, so the client makes the next chunk while the
previous one is sent and parsed by the server: Arrow's CSV writer and the digest keys release the
GIL. Memory stays bounded: psycopg's queue holds at most 1,024 slices of 128 KiB.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
import pyarrow as pa
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter


def copy_chunks(
    cur: psycopg.Cursor, statement: str | sql.Composable, chunks: Iterable[pa.Buffer | bytes]
) -> None:
    """Run a COPY .. FROM STDIN statement, writing `chunks` as they are made."""
    with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        for chunk in chunks:
            copy.write(chunk)
