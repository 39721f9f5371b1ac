"""The file ticket: what travels between the tasks of one file (XCom). Its own module so the
ingest steps (include/ingest.py) and the stream route's steps (include/ingest_stream.py) both
import it without importing each other."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class FileTicket:
    """Ids and decisions of one file's run, no data."""

    path: str
    name: str
    sha256: str
    size_bytes: int
    file_id: int
    duplicate: bool
    reprocess: bool = False
    job_id: int | None = None
    route: str | None = None
    engine: str | None = None
    route_reason: str | None = None
    domain: str | None = None
    anonymize: str | None = None
    staging_dir: str | None = None
    dry_run: bool = False

    def to_dict(self) -> dict:
        return asdict(self)
