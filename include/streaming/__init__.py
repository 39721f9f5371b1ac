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


def heartbeat_path(s: Settings, member: int | None = None) -> Path:
    """The heartbeat file of the consumer service, or of one member process when it runs several
    (SDP_STREAM_CONSUMER_PROCESSES)."""
    name = "stream-consumer" if member is None else f"stream-consumer-{member}"
    return s.state_dir / "run" / f"{name}.heartbeat"


def member_heartbeats(s: Settings) -> list[Path]:
    """Every heartbeat file the running service touches: one per member process."""
    if s.stream_consumer_processes == 1:
        return [heartbeat_path(s)]
    return [heartbeat_path(s, member) for member in range(s.stream_consumer_processes)]


def heartbeat_fresh(s: Settings, *, since: float | None = None) -> bool:
    """True when every member of the consumer touched its heartbeat within HEARTBEAT_MAX_AGE_S
    (and after `since`, a process start time, so a file left by an earlier run does not count)."""
    for path in member_heartbeats(s):
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return False
        if time.time() - mtime > HEARTBEAT_MAX_AGE_S or (since is not None and mtime < since):
            return False
    return True
