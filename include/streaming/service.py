"""The consumer service loop: one member of the consumer group, from Kafka micro-batches to the
transactions of include/streaming/transaction.py.

The consumer resumes from the offsets stored in PostgreSQL (offsets.py): on assignment, and after
a batch that was not committed (a stale batch, PostgreSQL or the broker away), it seeks back to
them. A malformed message goes to the dead-letter topic (raw value kept there only as long as the
raw topics keep it) and gets a quarantine row whose reason never quotes it; the consumer keeps
going.

Health: the heartbeat file ($SDP_STATE_DIR/run/stream-consumer.heartbeat) is touched on every
poll. SIGTERM / SIGINT: the current batch finishes, the consumer leaves its group, exit 0.
Logs carry counts, partitions, offsets and rates, never values.
"""

from __future__ import annotations

import time
from dataclasses import replace

import psycopg
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition

from compliance.anonymize.tokenize import Tokenizer
from compliance.vault import MasterKey
from include.settings import Settings, settings
from include.streaming import heartbeat_path
from include.streaming.batcher import MicroBatcher, sort_messages
from include.streaming.consumer_config import consumer_config, log
from include.streaming.model import BatchStats, Rejected
from include.streaming.offsets import OffsetStore, StaleBatch
from include.streaming.producer import DeliveryCountingProducer, PublishError
from include.streaming.purge import ConsumedPurger
from include.streaming.topics import (
    DEAD_LETTER_TOPIC,
    HEADER_DLQ_REASON,
    HEADER_DLQ_SOURCE,
    ensure_topics,
    raw_topics,
)
from include.streaming.transaction import BatchWriter
from include.streaming.warm_up import warm_up_core

_RETRY_DELAYS_S = (1, 2, 5, 10, 30)


class StreamConsumer:
    """One member of the consumer group. `run()` polls until `stop()` (or SIGTERM)."""

    def __init__(
        self,
        s: Settings | None = None,
        tokenizer: Tokenizer | None = None,
        member: int | None = None,
        vault_key: MasterKey | None = None,
    ) -> None:
        self.s = s or settings()
        self.member = member  # index of this process when the service runs several members
        if member is not None:
            self.s = replace(self.s, stream_consumer_instance=f"{self.s.stream_consumer_instance}-{member}")
        self.tokenizer = tokenizer
        self.group = self.s.stream_consumer_group
        self.topics = raw_topics()
        self._stopping = False
        self.failed = False  # stopped by a fatal error: the process exits 1
        self._conn: psycopg.Connection | None = None
        self._consumer: Consumer | None = None
        self._dead_letters: DeliveryCountingProducer | None = None
        self._batcher: MicroBatcher | None = None
        self._purger: ConsumedPurger | None = None
        self._offsets = OffsetStore(self.group, self.topics)
        self._writer = BatchWriter(self._offsets, tokenizer, vault_key, self._dead_letter)

    # -- lifecycle --------------------------------------------------------------------------------
    def stop(self, *_args: object) -> None:
        self._stopping = True

    def run(self) -> None:
        beat = heartbeat_path(self.s, self.member)
        beat.parent.mkdir(parents=True, exist_ok=True)
        beat.touch()
        ensure_topics(self.s.kafka_bootstrap_servers, self.s)
        warm_up_core(self.tokenizer)
        self._connect()
        self._dead_letters = DeliveryCountingProducer(self.s.kafka_bootstrap_servers, {"linger.ms": 5})
        if self.s.stream_purge_interval_ms > 0:
            self._purger = ConsumedPurger(
                self.s.kafka_bootstrap_servers, self.s.stream_purge_interval_ms / 1000
            )
        self._consumer = Consumer(consumer_config(self.s))
        self._batcher = MicroBatcher(
            self._consumer, self.s.stream_batch_records, self.s.stream_batch_wait_ms / 1000
        )
        self._consumer.subscribe(self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke)
        log.info(
            "stream consumer started: group=%s member=%s topics=%s batch<=%d messages, idle look every %d ms",
            self.group, self.s.stream_consumer_instance, ",".join(self.topics), self.s.stream_batch_records,
            self.s.stream_batch_wait_ms,
        )  # fmt: skip
        try:
            while not self._stopping:
                beat.touch()
                messages = self._batcher.next_batch()
                if messages:
                    self._handle(messages)
                elif self._purger is not None:
                    self._purger.flush()  # what the last batches committed
        finally:
            # A static member does not leave the group on close: a restart under the same instance
            # id takes the partitions back at once; otherwise they move after session.timeout.ms.
            self._consumer.close()
            self._conn.close()
            log.info("stream consumer stopped")

    def _connect(self) -> None:
        for attempt, delay in enumerate((*_RETRY_DELAYS_S, None)):
            try:
                self._conn = psycopg.connect(self.s.database_url, autocommit=True)
                return
            except psycopg.OperationalError as exc:
                if delay is None or self._stopping:
                    raise
                log.warning("PostgreSQL unavailable (attempt %d: %s); retrying in %d s",
                            attempt + 1, str(exc).splitlines()[0], delay)  # fmt: skip
                time.sleep(delay)

    def _handle(self, messages: list[Message]) -> None:
        started = time.perf_counter()
        try:
            stats = self.process(messages)
        except StaleBatch as stale:
            log.warning("discarded a batch of %d messages: %s; rewinding", len(messages), stale)
            self._rewind()
            return
        except (psycopg.Error, PublishError, KafkaException) as exc:
            log.error("batch of %d messages not committed (%s: %s); rewinding to the stored offsets",
                      len(messages), type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")  # fmt: skip
            if self._conn.closed or self._conn.broken:
                self._connect()
            self._rewind()
            return
        seconds = time.perf_counter() - started
        offsets = " ".join(
            f"{t}[{p}]:{first}-{nxt - 1}" for (t, p), (first, nxt) in sorted(stats.offsets.items())
        )
        log.info(
            "batch: %d messages, %d rows loaded, %d violations, %d quarantined, %d dead-lettered, "
            "%d of replaced jobs ignored, jobs completed %s, %.3f s (%.0f messages/s); offsets %s",
            stats.messages, stats.rows_loaded, stats.violations, stats.quarantined, stats.dead_lettered,
            stats.ignored, stats.jobs_completed or "-", seconds, stats.messages / seconds if seconds else 0,
            offsets,
        )  # fmt: skip
        if self._purger is not None:
            committed = {key: nxt for key, (_first, nxt) in stats.offsets.items()}
            self._purger.committed(committed, caught_up=self._caught_up())

    def _caught_up(self) -> bool:
        """True when every assigned partition has at most one batch left to read. Deletes wait
        for that: a backlog is deleted in one request once it is worked through, because a broker
        that snapshots its whole log after each change (noida-db) would otherwise rewrite the
        rest of the backlog for every delete."""
        for partition in self._consumer.assignment():
            lag = self._batcher.lag(partition)
            if lag is not None and lag > self.s.stream_batch_records:
                return False
        return True

    # -- offsets ----------------------------------------------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        try:
            stored = self._offsets.stored(self._conn)
        except psycopg.Error as exc:
            # Start from the beginning: the first batch's offset check rewinds to the stored
            # offsets once PostgreSQL answers, so nothing is processed twice.
            log.warning("stored offsets unavailable (%s); starting from the earliest", type(exc).__name__)
            stored = {}
        stored = self._within_log(stored, partitions)
        for partition in partitions:
            partition.offset = stored.get((partition.topic, partition.partition), OFFSET_BEGINNING)
            self._batcher.positions[(partition.topic, partition.partition)] = partition.offset
        consumer.assign(partitions)
        log.info("assigned %s", " ".join(f"{p.topic}[{p.partition}]@{p.offset}" for p in partitions) or "-")

    def _within_log(
        self, stored: dict[tuple[str, int], int], partitions: list[TopicPartition]
    ) -> dict[tuple[str, int], int]:
        """`stored`, with offsets past the end of a partition's log lowered to that end (in
        PostgreSQL too: OffsetStore.clamp). A partition whose end the broker cannot tell now
        keeps its stored offset (the next rewind looks again)."""
        ends = {}
        for partition in partitions:
            key = (partition.topic, partition.partition)
            if key not in stored:
                continue
            try:
                _low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(*key), timeout=5, cached=False
                )
            except KafkaException:
                continue
            if high >= 0 and stored[key] > high:
                ends[key] = high
        if not ends:
            return stored
        try:
            self._offsets.clamp(self._conn, ends)
        except psycopg.Error as exc:  # the first batch's offset check rewinds again
            log.warning("stored offsets not lowered (%s)", type(exc).__name__)
            return stored
        return stored | ends

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("revoked %s", " ".join(f"{p.topic}[{p.partition}]" for p in partitions) or "-")

    def _rewind(self) -> None:
        """Seek every assigned partition back to its stored offset (drops fetched messages)."""
        for attempt, delay in enumerate((*_RETRY_DELAYS_S, None)):
            try:
                stored = self._offsets.stored(self._conn)
                break
            except psycopg.Error as exc:
                if delay is None or self._stopping:
                    raise
                log.warning("PostgreSQL unavailable while rewinding (attempt %d: %s); retrying in %d s",
                            attempt + 1, type(exc).__name__, delay)  # fmt: skip
                time.sleep(delay)
                if self._conn.closed or self._conn.broken:
                    self._connect()
        stored = self._within_log(stored, self._consumer.assignment())
        for partition in self._consumer.assignment():
            offset = stored.get((partition.topic, partition.partition), OFFSET_BEGINNING)
            self._consumer.seek(TopicPartition(partition.topic, partition.partition, offset))
            self._batcher.positions[(partition.topic, partition.partition)] = offset

    # -- one micro-batch --------------------------------------------------------------------------
    def process(self, messages: list[Message]) -> BatchStats:
        """Process and commit one micro-batch (one transaction), or raise with nothing committed."""
        stats = BatchStats()
        rejected: list[Rejected] = []
        batch, errors = sort_messages(messages, stats, rejected)
        for message in errors:
            # e.g. fenced by another consumer with our instance id, or by the broker after a stall
            # past the session timeout: librdkafka reports that as an error of code _FATAL whose
            # fatal() is False, and the consumer never gets partitions again. Exit; the
            # supervisor starts a fresh one.
            if message.error().fatal() or message.error().code() == KafkaError._FATAL:
                log.error("fatal consumer error: %s; stopping", message.error().str())
                self.failed = True
                self.stop()
            else:
                log.warning("consumer error: %s", message.error().str())
        if stats.offsets:
            self._writer.write(self._conn, batch, stats, rejected)
        return stats

    def _dead_letter(self, rejected: list[Rejected]) -> None:
        """Copy rejected messages to the dead-letter topic and wait for the broker's ack (before
        the transaction commits, so a rejected message is never lost)."""
        if not rejected:
            return
        for item in rejected:
            message = item.message
            source = f"{message.topic()}[{message.partition()}]@{message.offset()}"
            headers = [*(message.headers() or []), (HEADER_DLQ_REASON, item.reason.encode()),
                       (HEADER_DLQ_SOURCE, source.encode())]  # fmt: skip
            self._dead_letters.send(DEAD_LETTER_TOPIC, message.key(), message.value(), headers)
        self._dead_letters.finish()
        log.warning("dead-lettered %d message(s): %s", len(rejected),
                    "; ".join(sorted({item.reason for item in rejected})))  # fmt: skip
