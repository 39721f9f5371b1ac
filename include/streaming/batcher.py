"""Micro-batches from the Kafka consumer, and a micro-batch sorted by message kind.

Micro-batches adapt to the load: the consumer waits for one message, then takes whatever else is
already fetched (up to SDP_STREAM_BATCH_RECORDS). At low load batches are small and prompt; under
load messages queue up while a batch is written, so the next batch is bigger. An idle consumer
pauses fetching between looks (every SDP_STREAM_BATCH_WAIT_MS): a broker that answers empty
fetches at once would otherwise keep the client's fetch loop busy.
"""

from __future__ import annotations

import contextlib

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from include.streaming.decode import as_int, decoded_headers
from include.streaming.model import BatchStats, Rejected, SortedBatch
from include.streaming.topics import (
    HEADER_FILE_ID,
    HEADER_JOB_ID,
    HEADER_KIND,
    KIND_FILE_START,
    KIND_QUARANTINED,
    KIND_ROW,
    KINDS,
)

# After a pause, how long an idle consumer fetches before pausing again: many broker round trips.
_IDLE_PROBE_S = 0.02


class MicroBatcher:
    """Adaptive micro-batches from a consumer: wait for one message, then take what is already
    fetched (no waiting), up to `limit`.

    A broker that answers a fetch at the end of a partition at once, instead of holding it for
    fetch.wait.max.ms (noida-db does), keeps librdkafka's fetch loop and itself busy whenever a
    partition is read to its end. So fetching stops where nothing is to be had:
    - while a batch is processed, the partitions it read to their end are paused (their local
      queue is empty, so a pause drops nothing) and resumed before the next wait;
    - after a wait that found nothing, with every assigned partition read to its end, the
      consumer is idle: its partitions are paused for `wait_s`, then fetched from for `probe_s`,
      and so on until a message comes.
    A partition with unread messages is never paused: a pause drops its fetch in flight, and a
    large one could be dropped again and again. On resume a metadata request wakes librdkafka's
    broker thread, which otherwise sleeps up to a second after a pause before it fetches again."""

    def __init__(self, consumer: Consumer, limit: int, wait_s: float, probe_s: float = _IDLE_PROBE_S) -> None:
        self.consumer, self.limit, self.wait_s, self.probe_s = consumer, max(limit, 1), wait_s, probe_s
        self.idle = False
        # The next offset to read per (topic, partition), as far as known: set on assignment and
        # rewind by the caller, moved on by every batch returned.
        self.positions: dict[tuple[str, int], int] = {}
        self._drained: list[TopicPartition] = []  # paused while the last batch is processed

    def next_batch(self) -> list[Message]:
        self._resume(self._drained)
        self._drained = []
        if self.idle and self._read_to_end():
            first = self._paused_wait() or self.consumer.consume(1, self.probe_s)
        else:
            first = self.consumer.consume(1, self.wait_s)
        self.idle = not first
        batch = first if not first or self.limit == 1 else first + self.consumer.consume(self.limit - 1, 0)
        for message in batch:
            if not message.error():
                self.positions[(message.topic(), message.partition())] = message.offset() + 1
        if batch:
            self._drained = [p for p in self.consumer.assignment() if self._at_end(p)]
            if self._drained:
                self.consumer.pause(self._drained)
        return batch

    def lag(self, partition: TopicPartition) -> int | None:
        """Messages left to read on the partition by the cached watermarks (from the last fetch
        response, no broker round trip); None while they are unknown."""
        low, high = self.consumer.get_watermark_offsets(partition, cached=True)
        if high < 0:
            return None
        position = self.positions.get((partition.topic, partition.partition), -1)
        return high - (position if position >= 0 else max(low, 0))

    def _at_end(self, partition: TopicPartition) -> bool:
        """True when nothing is left to read on the partition; False while that is unknown."""
        lag = self.lag(partition)
        return lag is not None and lag <= 0

    def _read_to_end(self) -> bool:
        return all(self._at_end(partition) for partition in self.consumer.assignment())

    def _paused_wait(self) -> list[Message]:
        """Wait `wait_s` with fetching paused (rebalance callbacks still run), then resume. A
        message fetched just before the pause may still be returned."""
        assigned = self.consumer.assignment()
        if not assigned:
            return self.consumer.consume(1, self.wait_s)
        self.consumer.pause(assigned)
        try:
            return self.consumer.consume(1, self.wait_s)
        finally:
            self._resume(assigned)

    def _resume(self, partitions: list[TopicPartition]) -> None:
        """Resume those of `partitions` still assigned (a rebalance may have moved some)."""
        if not partitions:
            return
        assigned = {(p.topic, p.partition) for p in self.consumer.assignment()}
        partitions = [p for p in partitions if (p.topic, p.partition) in assigned]
        if partitions:
            self.consumer.resume(partitions)
            # If the broker is away, the fetcher wakes up by itself later.
            with contextlib.suppress(KafkaException):
                self.consumer.list_topics(partitions[0].topic, timeout=self.wait_s)


def sort_messages(
    messages: list[Message], stats: BatchStats, rejected: list[Rejected]
) -> tuple[SortedBatch, list[Message]]:
    """A micro-batch by kind, and the messages that carry a consumer error; records each
    partition's offsets in `stats` and rejects messages without valid headers.

    The per-message work is kept to a few calls: messages are grouped by their header list (all
    rows of a job carry the same one) and headers are decoded once per group."""
    offsets = stats.offsets
    groups: dict[tuple, list[Message]] = {}
    errors = []
    for message in messages:
        if message.error():
            errors.append(message)
            continue
        key = (message.topic(), message.partition())
        position = offsets.get(key)
        offsets[key] = (message.offset() if position is None else position[0], message.offset() + 1)
        headers = message.headers()
        group_key = tuple(headers) if headers else ()
        group = groups.get(group_key)
        if group is None:
            groups[group_key] = [message]
        else:
            group.append(message)
    stats.messages += sum(len(group) for group in groups.values())
    out = SortedBatch()
    for group_key, group in groups.items():
        headers = decoded_headers(group_key)
        kind, file_id = headers.get(HEADER_KIND), as_int(headers.get(HEADER_FILE_ID))
        job_id = as_int(headers.get(HEADER_JOB_ID))
        if kind not in KINDS or file_id is None:
            reason = f"missing or unknown {HEADER_KIND} / {HEADER_FILE_ID} header"
            rejected += [Rejected(message, reason) for message in group]
        elif kind == KIND_ROW:
            out.rows[(file_id, job_id)] += group
        else:
            target = {KIND_FILE_START: out.starts, KIND_QUARANTINED: out.quarantined}.get(kind, out.ends)
            target += [(file_id, job_id, message) for message in group]
    return out, errors
