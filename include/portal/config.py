"""Portal settings. Read here (not in include/settings.py) because only the portal uses them; each
has a default, so nothing needs setting for the local stack."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from include.settings import Settings, settings

DEFAULT_UPLOAD_MAX_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class PortalConfig:
    reader_database_url: str
    data_dir: Path
    landing_dir: Path
    # Uploads with a route override wait here for the manual DAG (the landing trigger would claim
    # them from the landing zone and route them automatically).
    uploads_dir: Path
    upload_max_bytes: int
    flink_rest_url: str
    # How long a processor check may wait for one answer.
    probe_timeout_s: float
    settings: Settings


def _reader_url(s: Settings, environ: Mapping[str, str]) -> str:
    """The read-only role's URL. Airflow's processes get the writer's URL as SDP_DATABASE_URL, which
    makes settings.reader_database_url fall back to it; the local stack's reader secret is preferred
    then, so the portal never reads with write rights when a reader exists."""
    explicit = environ.get("SDP_PORTAL_DATABASE_URL", "").strip()
    if explicit:
        return explicit
    reader_password = s.local_secret("sdp_reader.password")
    writer_url = s.database_url
    if reader_password and "@127.0.0.1:" in writer_url:
        return f"postgresql://sdp_reader:{reader_password}@127.0.0.1:{s.postgres_port}/sdp"
    return s.reader_database_url


def load_portal_config(s: Settings | None = None, environ: Mapping[str, str] | None = None) -> PortalConfig:
    s = s or settings()
    env = os.environ if environ is None else environ
    max_bytes = env.get("SDP_PORTAL_UPLOAD_MAX_BYTES", "").strip()
    return PortalConfig(
        reader_database_url=_reader_url(s, env),
        data_dir=s.data_dir,
        landing_dir=s.landing_dir,
        uploads_dir=s.data_dir / "uploads",
        upload_max_bytes=int(max_bytes) if max_bytes else DEFAULT_UPLOAD_MAX_BYTES,
        flink_rest_url=env.get("SDP_FLINK_REST_URL", "").strip(),
        probe_timeout_s=float(env.get("SDP_PORTAL_PROBE_TIMEOUT_S", "").strip() or 1.0),
        settings=s,
    )
