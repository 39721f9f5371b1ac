"""Helpers of the portal tests: files dropped into the landing zone of the shared stack, and what
the pipeline recorded about them in PostgreSQL."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import psycopg

from include.db.files import sha256_of
from include.settings import Settings

FINAL = ("loaded", "quarantined", "duplicate", "failed")
# Generous for processing on a loaded 2-core machine; nothing asserts on durations.
PROCESSING_TIMEOUT_SECONDS = 300


def drop(settings: Settings, source: Path) -> None:
    """Copy beside the landing zone, then rename in: what a careful uploader does."""
    temporary = settings.landing_dir / f".{source.name}.part"
    shutil.copyfile(source, temporary)
    os.rename(temporary, settings.landing_dir / source.name)


def query(settings: Settings, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(sql, params).fetchall()


def wait_files(
    settings: Settings, shas: list[str], timeout: float = PROCESSING_TIMEOUT_SECONDS
) -> dict[str, str]:
    """{sha256: status} once every file has a final status."""
    deadline = time.monotonic() + timeout
    status: dict[str, str] = {}
    while time.monotonic() < deadline:
        status = dict(query(settings, "SELECT sha256, status FROM data_files WHERE sha256 = ANY(%s)", shas))
        if len(status) == len(shas) and all(s in FINAL for s in status.values()):
            return status
        time.sleep(2)
    raise AssertionError(f"files not final after {timeout} s: {status}; see {settings.state_dir / 'logs'}")


def file_row(settings: Settings, source: Path) -> tuple:
    """(file id, status, engine, route_reason, records_loaded, violations) of a processed file."""
    rows = query(
        settings,
        "SELECT f.id, f.status, j.engine, j.route_reason, j.records_loaded, j.violations FROM data_files f "
        "JOIN data_processing_jobs j ON j.file_id = f.id WHERE f.sha256 = %s ORDER BY j.id DESC LIMIT 1",
        sha256_of(source),
    )
    assert rows, source.name
    return rows[0]


def file_counts(settings: Settings, source: Path) -> tuple[int, int]:
    """(records loaded, violations) of a processed file's last job."""
    _, _, _, _, loaded, violations = file_row(settings, source)
    return loaded, violations
