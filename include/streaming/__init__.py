"""The stream route: a DAG task publishes a file's rows to Kafka (`producer.publish_file`) and the
always-on stream consumer service (`python -m include.streaming.consumer`) runs the compliance
core on micro-batches and writes rows, violations and its offsets to PostgreSQL in one transaction.

This module stays import-light (no Kafka client): the stack manager imports it for health checks.
"""

from __future__ import annotations

import time
from pathlib import Path

from include.settings import Settings

# The consumer touches its heartbeat file at least once per poll (a poll waits at most
# SDP_STREAM_BATCH_WAIT_MS), so an older file means it is stuck or gone.
HEARTBEAT_MAX_AGE_S = 30.0


def heartbeat_path(s: Settings) -> Path:
    return s.state_dir / "run" / "stream-consumer.heartbeat"


def heartbeat_fresh(s: Settings, *, since: float | None = None) -> bool:
    """True when the consumer touched its heartbeat within HEARTBEAT_MAX_AGE_S (and after
    `since`, a process start time, so a file left by an earlier run does not count)."""
    try:
        mtime = heartbeat_path(s).stat().st_mtime
    except FileNotFoundError:
        return False
    return time.time() - mtime <= HEARTBEAT_MAX_AGE_S and (since is None or mtime >= since)
