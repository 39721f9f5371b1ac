"""Docker healthcheck of the stream-consumer service: exit 0 when healthy, 1 otherwise.

Healthy means the consumer process is running and the broker it reads from answers a metadata
request. Uses only the stdlib and confluent-kafka, both in the platform image.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CONSUMER_MODULE = b"include.streaming.consumer"
BROKER_TIMEOUT_S = 5.0


def consumer_running(proc: Path = Path("/proc")) -> bool:
    """True if some process was started as `python -m include.streaming.consumer`."""
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        if CONSUMER_MODULE in argv:
            return True
    return False


def broker_reachable(bootstrap_servers: str) -> bool:
    from confluent_kafka.admin import AdminClient

    try:
        AdminClient({"bootstrap.servers": bootstrap_servers}).list_topics(timeout=BROKER_TIMEOUT_S)
    except Exception as exc:  # KafkaException on timeout; anything else is unhealthy too
        print(f"broker {bootstrap_servers} unreachable: {exc}", file=sys.stderr)
        return False
    return True


def main() -> int:
    if not consumer_running():
        print("stream consumer process not running", file=sys.stderr)
        return 1
    return 0 if broker_reachable(os.environ["KAFKA_BOOTSTRAP_SERVERS"]) else 1


if __name__ == "__main__":
    sys.exit(main())
