"""A load whose own commit fails after its second connection committed (include/db/beside.py):
a deferred constraint trigger refuses the file's status update at commit time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql


@contextmanager
def commit_refused_for_file(database_url: str, file_id: int) -> Iterator[None]:
    """While open, every transaction that updates the data_files row `file_id` fails at commit."""
    name = sql.Identifier(f"refuse_commit_{file_id}")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """CREATE FUNCTION pg_temp.refuse_commit() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN RAISE EXCEPTION 'refused at commit (test)'; END $$"""
        )
        conn.execute(
            sql.SQL(
                "CREATE CONSTRAINT TRIGGER {} AFTER UPDATE ON data_files "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.id = {}) "
                "EXECUTE FUNCTION pg_temp.refuse_commit()"
            ).format(name, sql.Literal(file_id))
        )
        try:
            yield
        finally:
            conn.execute(sql.SQL("DROP TRIGGER {} ON data_files").format(name))
