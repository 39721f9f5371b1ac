"""Delete raw messages once their rows are committed in PostgreSQL.

A raw topic holds personal data in clear. Retention (SDP_KAFKA_RAW_RETENTION_MS) bounds how long
it stays there; the stream consumer also deletes (Kafka DeleteRecords) each partition's messages
below the offset it has committed in PostgreSQL, so a row normally leaves the broker seconds after
it is loaded (after a backlog is worked through, when the consumer is following a busy stream). Nothing is lost: the consumer only ever resumes from the offsets stored in
PostgreSQL, never below them. It also keeps a log-snapshotting broker (noida-db rewrites its
whole log after each change) from spending a core on rows that are already loaded.

Deletes are asynchronous and at most one request per SDP_STREAM_PURGE_INTERVAL_MS; a broker that
refuses them (no DELETE ACL) is logged once per reason and the consumer goes on.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future

from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

log = logging.getLogger("sdp.streaming.purge")


class ConsumedPurger:
    """Deletes records below committed offsets, coalescing commits between requests."""

    def __init__(self, bootstrap: str, interval_s: float) -> None:
        self._admin = AdminClient({"bootstrap.servers": bootstrap})
        self.interval_s = interval_s
        self._pending: dict[tuple[str, int], int] = {}
        self._purged: dict[tuple[str, int], int] = {}
        self._last_request = float("-inf")
        self._reported: set[str] = set()

    def committed(self, offsets: dict[tuple[str, int], int], *, caught_up: bool) -> None:
        """Note the next offsets just committed. When the consumer has caught up (no backlog
        left), sends the deletes noted so far, at most once per interval."""
        for key, offset in offsets.items():
            if offset > max(self._pending.get(key, -1), self._purged.get(key, -1)):
                self._pending[key] = offset
        if caught_up and self._pending and time.monotonic() - self._last_request >= self.interval_s:
            self.flush()

    def flush(self) -> None:
        """Send the pending deletes now (no waiting for the broker's answer)."""
        if not self._pending:
            return
        partitions = [
            TopicPartition(topic, partition, offset) for (topic, partition), offset in self._pending.items()
        ]
        self._purged.update(self._pending)
        self._pending = {}
        self._last_request = time.monotonic()
        try:
            futures = self._admin.delete_records(partitions)
        except (KafkaException, ValueError) as exc:
            self._report(f"request failed ({type(exc).__name__})")
            return
        for future in futures.values():
            future.add_done_callback(self._done)

    def _done(self, future: Future) -> None:  # called on the admin client's background thread
        error = future.exception()
        if error is not None:
            reason = error.args[0].str() if isinstance(error, KafkaException) else type(error).__name__
            self._report(reason)

    def _report(self, reason: str) -> None:
        if reason not in self._reported:
            self._reported.add(reason)
            log.warning("could not delete consumed raw messages (%s); retention still removes them", reason)
