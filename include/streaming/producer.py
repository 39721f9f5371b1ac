"""Publish one file's rows to its domain topic (the stream route's DAG task).

The producer reads the file with the core's FileReader and classifies it from the first batch,
exactly as `sdp scan` does, and announces that classification in a file-start message on every
partition before any row: the consumer then makes the same decisions for every micro-batch of the
file whichever partition or consumer instance processes it. Rows the reader quarantined are
published too (kind `quarantined`, reason only), so every data row of the file is exactly one
message and the consumer can tell when the file is complete (protocol: include/streaming/topics.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path

from confluent_kafka import KafkaError, Producer

from compliance.columns import ColumnClass
from compliance.io import FileReader, InputError, QuarantinedRow
from compliance.pipeline import CompliancePipeline
from compliance.vocabulary import Domain
from include.settings import Settings, settings
from include.staging import ROW_COLUMN
from include.streaming.topics import (
    HEADER_DOMAIN,
    HEADER_FILE_ID,
    HEADER_JOB_ID,
    HEADER_KIND,
    KIND_FILE_END,
    KIND_FILE_START,
    KIND_QUARANTINED,
    KIND_ROW,
    KINDS,
    column_json,
    ensure_topics,
    raw_topic,
)

# Anonymization the stream route can do per micro-batch (k-anonymity needs the whole file).
STREAM_ANONYMIZE = ("none", "tokenize")
_FLUSH_TIMEOUT_S = 120.0
_PRODUCER_CONFIG = {
    # Retries never duplicate or reorder a partition's messages, so file-start stays first.
    "enable.idempotence": True,
    "linger.ms": 20,
    "queue.buffering.max.messages": 500_000,
    "queue.buffering.max.kbytes": 512 * 1024,
}

log = logging.getLogger("sdp.streaming.producer")


class PublishError(RuntimeError):
    """Some messages of the file were not acknowledged by the broker."""


def publish_file(
    path: str | Path,
    *,
    file_id: int,
    job_id: int,
    domain: str,
    bootstrap: str,
    anonymize: str = "tokenize",
    s: Settings | None = None,
) -> int:
    """Publish every data row of `path` to `sdp.raw.<domain>`; returns the file's data-row count
    (rows + quarantined rows), as announced in its file-end message. `domain="auto"` resolves the
    domain from the file. Raises compliance.io.InputError for unreadable files, PublishError when
    the broker did not acknowledge every message."""
    if anonymize not in STREAM_ANONYMIZE:
        raise ValueError(
            f"the stream route anonymizes with {' or '.join(STREAM_ANONYMIZE)}, not {anonymize!r}"
        )
    started = time.perf_counter()
    s = s or settings()
    ensure_topics(bootstrap, s)
    producer = DeliveryCountingProducer(bootstrap)
    reader = FileReader(path)
    pipeline = CompliancePipeline(domain=domain, anonymize="none")
    topic = ""
    headers: dict[str, list[tuple[str, bytes]]] = {}
    sent = 0  # reader-quarantined rows published so far
    for chunk in reader:
        if not pipeline.prepared:
            if ROW_COLUMN in reader.columns:
                raise InputError(
                    f"{Path(path).name}: column name {ROW_COLUMN!r} is reserved by the stream route"
                )
            pipeline.prepare(chunk.batch)
            topic, headers = announce_file(
                producer, file_id, job_id, pipeline.domain, pipeline.classes, anonymize
            )
        names = chunk.batch.schema.names
        columns = [chunk.batch.column(i).to_pylist() for i in range(chunk.batch.num_columns)]
        row_headers = headers[KIND_ROW]
        for row, values in zip(chunk.rows.tolist(), zip(*columns, strict=True), strict=True):
            producer.send(topic, f"{file_id}:{row}", row_value(names, values, row), row_headers)
        sent = _send_quarantined(producer, topic, file_id, reader.quarantined[sent:], headers, sent)
    if not topic:  # every row was quarantined: nothing to classify
        resolved = Domain.MIXED.value if domain == "auto" else domain
        topic, headers = announce_file(producer, file_id, job_id, resolved, [], anonymize)
        sent = _send_quarantined(producer, topic, file_id, reader.quarantined, headers, 0)
    rows_total = reader.records_seen
    producer.to_every_partition(topic, f"{file_id}:end", {"rows_total": rows_total}, headers[KIND_FILE_END])
    producer.finish()
    seconds = time.perf_counter() - started
    log.info(
        "published file_id=%d to %s: %d rows (%d quarantined by the reader) in %.2f s, %.0f rows/s",
        file_id, topic, rows_total, len(reader.quarantined), seconds, rows_total / seconds if seconds else 0,
    )  # fmt: skip
    return rows_total


def row_value(names: list[str], values: tuple, row: int) -> bytes:
    """A row message's value: the row's non-null values by column name, and its row number."""
    record = {name: value for name, value in zip(names, values, strict=True) if value is not None}
    record[ROW_COLUMN] = row
    return json.dumps(record).encode()


def announce_file(
    producer: DeliveryCountingProducer,
    file_id: int,
    job_id: int,
    domain: str,
    classes: list[ColumnClass],
    anonymize: str,
) -> tuple[str, dict[str, list[tuple[str, bytes]]]]:
    """Send the file-start message to every partition; returns the topic and the headers per kind
    (what every later message of the job carries)."""
    topic = raw_topic(domain)
    common = [(HEADER_FILE_ID, str(file_id).encode()), (HEADER_JOB_ID, str(job_id).encode()),
              (HEADER_DOMAIN, domain.encode())]  # fmt: skip
    headers = {kind: [(HEADER_KIND, kind.encode()), *common] for kind in KINDS}
    start = {"columns": [column_json(c) for c in classes], "domain": domain, "anonymize": anonymize}
    producer.to_every_partition(topic, f"{file_id}:start", start, headers[KIND_FILE_START])
    return topic, headers


def _send_quarantined(
    producer: DeliveryCountingProducer,
    topic: str,
    file_id: int,
    new_rows: list[QuarantinedRow],
    headers: dict[str, list[tuple[str, bytes]]],
    sent: int,
) -> int:
    """Publish rows the reader quarantined since the last call; returns the running total."""
    for entry in new_rows:
        value = json.dumps({ROW_COLUMN: entry.row, "reason": entry.reason}).encode()
        producer.send(topic, f"{file_id}:{entry.row}", value, headers[KIND_QUARANTINED])
    return sent + len(new_rows)


class DeliveryCountingProducer:
    """An idempotent producer that queues without per-message flushes and counts failed
    deliveries (one callback for all messages), so a lost message is never silent."""

    def __init__(self, bootstrap: str, config: Mapping[str, object] | None = None) -> None:
        self.failed = 0
        self.first_error: KafkaError | None = None
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "on_delivery": self._delivered,
                **_PRODUCER_CONFIG,
                **(config or {}),
            }
        )

    def _delivered(self, error: KafkaError | None, _message: object) -> None:
        if error is not None:
            self.failed += 1
            self.first_error = self.first_error or error

    def send(
        self,
        topic: str,
        key: str | bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        partition: int | None = None,
    ) -> None:
        kwargs = {} if partition is None else {"partition": partition}
        key = key.encode() if isinstance(key, str) else key
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, headers=headers, **kwargs)
                return
            except BufferError:  # local queue full: let deliveries drain it
                self._producer.poll(0.05)

    def to_every_partition(
        self, topic: str, key: str, payload: dict, headers: list[tuple[str, bytes]]
    ) -> None:
        value = json.dumps(payload).encode()
        partitions = self._producer.list_topics(topic, timeout=10).topics[topic].partitions
        for partition in sorted(partitions):
            self.send(topic, key, value, headers, partition=partition)

    def finish(self) -> None:
        """Wait for every queued message; PublishError when any was not acknowledged."""
        left = self._producer.flush(_FLUSH_TIMEOUT_S)
        failed, first_error = self.failed + left, self.first_error
        self.failed, self.first_error = 0, None
        if failed:
            detail = f" (first error: {first_error.str()})" if first_error else ""
            raise PublishError(f"{failed} message(s) not acknowledged by the broker{detail}")
