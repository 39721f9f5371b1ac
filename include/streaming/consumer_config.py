"""Settings of the stream consumer: its Kafka client configuration, its logging, and the actor
its audit rows name."""

from __future__ import annotations

import logging

from include.settings import Settings

ACTOR = "stream-consumer"

# Every module of the consumer logs under this one name: log parsers (tests/integration/
# test_streaming.py, benchmarks/stream_bench.py) match "sdp.streaming.consumer:".
log = logging.getLogger("sdp.streaming.consumer")


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def consumer_config(s: Settings) -> dict[str, object]:
    return {
        "bootstrap.servers": s.kafka_bootstrap_servers,
        "group.id": s.stream_consumer_group,
        # Static membership: a consumer restarted after a crash rejoins under the same id and
        # gets its partitions back at once (without it, the broker keeps the dead member's
        # partitions until a rebalance gives up on it); a second process with the same id fences
        # the first.
        "group.instance.id": s.stream_consumer_instance,
        # Offsets live in PostgreSQL, committed with the rows they produced.
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        # A consumer that is gone for good loses its partitions to the others after this long
        # (the default 45 s is long for a stream meant to be prompt; 6 s also suits noida-db).
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 2000,
        "isolation.level": "read_committed",
        # noida-db ignores fetch.max.bytes and answers a fetch with a partition's whole backlog
        # (450 MB for a 1M-row file); a real Kafka broker never sends more than fetch.max.bytes.
        "receive.message.max.bytes": 1 << 30,
        # Fetch a partition only when fewer messages than this wait locally (default 100,000). A
        # broker that answers a fetch at the end of the log at once (noida-db) would otherwise be
        # asked again and again for a partition whose whole backlog is already here. (Values
        # under ~10 stall librdkafka 2.16 after pause/resume: measured.)
        "queued.min.messages": 1000,
        # ...and look again this soon after the local queue was over it (default 1 s, all latency).
        "fetch.queue.backoff.ms": 10,
        # With a real broker, each such fetch brings up to this much per partition.
        "max.partition.fetch.bytes": 8 << 20,
    }
