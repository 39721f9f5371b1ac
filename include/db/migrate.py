"""Apply the results-database migrations (include/sql/migrations/NNNN_name.sql) in order.

Idempotent: applied versions are recorded in `schema_migrations` with a checksum, so running it
again applies only new files, and an applied file that was edited afterwards is an error (fix
forward with a new migration). Each migration runs in its own transaction under an advisory lock,
so two processes starting at once (make up + a test) cannot apply the same file twice.

    python -m include.db.migrate [--url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "sql" / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Arbitrary constant: the advisory lock that serialises migrators on one database.
_LOCK_ID = 0x5D9_0001
# Checksums of earlier texts of a migration that differ from today's in comments only (a reworded
# comment must not make databases migrated before refuse to start): version -> checksums.
COMMENT_ONLY_EDITS: dict[int, tuple[str, ...]] = {
    1: ("7ff37c213ab11ac59825610776772ba4cecbce7b800947bb10df1b9dbbba447f",),
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def matches(self, recorded: str) -> bool:
        """Whether `recorded` (schema_migrations.checksum) is this file's text or an earlier text of
        it whose edit changed comments only."""
        return recorded == self.checksum or recorded in COMMENT_ONLY_EDITS.get(self.version, ())


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name must look like 0001_name.sql: {path.name}")
        migrations.append(Migration(int(match[1]), match[2], path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration version in {directory}")
    return migrations


def apply_migrations(url: str, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply pending migrations; returns the versions applied by this call."""
    applied_now = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version    integer PRIMARY KEY,
                   name       text        NOT NULL,
                   checksum   char(64)    NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        for migration in discover(directory):
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                row = conn.execute(
                    "SELECT checksum FROM schema_migrations WHERE version = %s", (migration.version,)
                ).fetchone()
                if row:
                    if not migration.matches(row[0]):
                        raise RuntimeError(
                            f"migration {migration.version:04d}_{migration.name} was edited after it was "
                            "applied; add a new migration instead"
                        )
                    continue
                conn.execute(migration.sql)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
                applied_now.append(migration.version)
                log.info("applied migration %04d_%s", migration.version, migration.name)
    return applied_now


def schema_version(url: str) -> int | None:
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None:
            return None
        return conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    from include.settings import settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="database URL (default: the pipeline's SDP_DATABASE_URL)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    url = args.url or settings().database_url
    try:
        applied = apply_migrations(url)
    except (psycopg.Error, RuntimeError, ValueError) as exc:
        print(f"migrate: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    print(f"migrate: schema version {schema_version(url)} ({len(applied)} applied now)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
