"""The always-on stream consumer service: Kafka micro-batches -> compliance core -> PostgreSQL.

    python -m include.streaming.consumer

Exactly-once: each micro-batch's rows, violations, vault entries (with SDP_VAULT_KEY: the
encrypted originals of reversible tokens, under a data key per job), quarantine rows, job
bookkeeping and the offsets it consumed are written in ONE PostgreSQL transaction, and the consumer resumes from the
offsets stored there (table stream_offsets), never from Kafka's committed offsets. Killed at any
moment, it either committed a batch with its offsets or nothing of it. A consumer that lost its
partitions in a rebalance finds the stored offsets moved on (they are locked and compared in the
transaction) and discards its batch. So a row can only arrive twice when its job was published
twice (a retried DAG task): the consumer sees that job's file-start twice on one partition, and
only such a job's rows go through `ON CONFLICT DO NOTHING`; every other batch is COPY'd straight
into the results tables.

Bookkeeping is per job (stream_file_state, keyed by job_id). Classification is fixed per job by
the producer (file-start message), so every micro-batch makes the decisions `sdp scan` makes on
the whole file. The first file-start of a newer job of a file replaces the file's earlier results
in its transaction (as the batch loader's reprocess does); messages of the older job that arrive
later are ignored. A job is complete when its loaded + quarantined rows reach the count of its
file-end message: the job and file are then closed and audited in the same transaction.

Micro-batches adapt to the load: the consumer waits for one message, then takes whatever else is
already fetched (up to SDP_STREAM_BATCH_RECORDS). At low load batches are small and prompt; under
load messages queue up while a batch is written, so the next batch is bigger. An idle consumer
pauses fetching between looks (every SDP_STREAM_BATCH_WAIT_MS): a broker that answers empty
fetches at once would otherwise keep the client's fetch loop busy.

A malformed message goes to the dead-letter topic (raw value kept there only as long as the raw
topics keep it) and gets a quarantine row whose reason never quotes it; the consumer keeps going.
The dead-letter produce is flushed before the commit, so a crash in between can dead-letter a
message twice but never loses it; its quarantine row is written once.

Health: the heartbeat file ($SDP_STATE_DIR/run/stream-consumer.heartbeat) is touched on every
poll. SIGTERM / SIGINT: the current batch finishes, the consumer leaves its group, exit 0.
Logs carry counts, partitions, offsets and rates, never values.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import multiprocessing
import multiprocessing.connection
import signal
import sys
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Message, TopicPartition
from psycopg import sql
from psycopg.types.json import Jsonb

from compliance.anonymize.tokenize import Tokenizer, TokenKey, TokenKeyError
from compliance.columns import ColumnClass
from compliance.pipeline import BatchResult, CompliancePipeline
from compliance.vault import MasterKey, VaultEncryptor, VaultKeyError
from compliance.vocabulary import VIOLATION_KEYS, Domain
from include.db.audit import AuditAction, audit
from include.db.files import FileStatus, JobStatus, finish_job, set_file_status
from include.db.sql import load_sql
from include.db.vault import store_vault_entries
from include.settings import Settings, settings
from include.staging import ROW_COLUMN
from include.streaming import heartbeat_path
from include.streaming.producer import STREAM_ANONYMIZE, DeliveryCountingProducer, PublishError
from include.streaming.purge import ConsumedPurger
from include.streaming.status import supersede_older_stream_jobs
from include.streaming.topics import (
    DEAD_LETTER_TOPIC,
    HEADER_DLQ_REASON,
    HEADER_DLQ_SOURCE,
    HEADER_FILE_ID,
    HEADER_JOB_ID,
    HEADER_KIND,
    KIND_FILE_START,
    KIND_QUARANTINED,
    KIND_ROW,
    KINDS,
    column_class,
    column_json,
    ensure_topics,
    raw_topics,
)

ACTOR = "stream-consumer"
_AUDIT_OBJECT = "data_processing_job"
_PIPELINES_CACHED = 64  # jobs whose prepared pipeline is kept between batches
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False)
_RETRY_DELAYS_S = (1, 2, 5, 10, 30)
# After a pause, how long an idle consumer fetches before pausing again: many broker round trips.
_IDLE_PROBE_S = 0.02
_RECORD_COLUMNS = ("file_id", "job_id", "row_number", "payload")
_VIOLATION_COLUMNS = ("file_id", "job_id", "row_number", "field", "violation_type", "regulation",
                      "severity", "rule")  # fmt: skip
# What JSON must escape in a string; control characters other than these three are rare enough
# for json.dumps.
_JSON_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'
_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_CONTROL_CHARACTER = r"[\x00-\x1f]"

log = logging.getLogger("sdp.streaming.consumer")


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


@dataclass
class FileState:
    """A row of stream_file_state: what the consumer knows about one job of a streamed file."""

    job_id: int
    file_id: int
    domain: str
    anonymize: str
    columns: list[ColumnClass]
    rows_total: int | None
    completed: bool
    republished: bool  # published twice: its rows may already be stored
    superseded: bool = False  # a newer job of the file loaded on another route: ignore the rest

    @property
    def may_repeat(self) -> bool:
        return self.republished or self.completed


@dataclass
class Rejected:
    """A message for the dead-letter topic. `file` / `row` are set only when known for sure."""

    message: Message
    reason: str
    file: FileState | None = None
    row: int | None = None


@dataclass
class _JobWork:
    rows_loaded: int = 0
    rows_quarantined: int = 0
    violations: int = 0
    pre_processing_s: float = 0.0
    pure_processing_s: float = 0.0
    post_processing_s: float = 0.0


@dataclass
class BatchStats:
    messages: int = 0
    rows_loaded: int = 0
    violations: int = 0
    quarantined: int = 0
    dead_lettered: int = 0
    ignored: int = 0  # messages of a job a newer job of the same file replaced
    jobs_completed: list[int] = field(default_factory=list)
    offsets: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)  # first, next


@dataclass
class _Sorted:
    """A micro-batch's messages by kind; keys are (file_id, job_id) with job_id None when the
    message does not say."""

    starts: list[tuple[int, int | None, Message]] = field(default_factory=list)
    ends: list[tuple[int, int | None, Message]] = field(default_factory=list)
    rows: dict[tuple[int, int | None], list[Message]] = field(default_factory=lambda: defaultdict(list))
    quarantined: list[tuple[int, int | None, Message]] = field(default_factory=list)


class StaleBatch(Exception):
    """The stored offsets of some partitions do not continue where this batch starts."""


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


# Made-up values of public test formats (a Luhn test card, the ISO 13616 example IBAN, example.com,
# 555 numbers): enough for every detector, validator and rule set to run once.
_WARM_UP_ROWS = {
    "patient_name": ["Jane Example", "John Sample"],
    "ssn": ["123-45-6789", "219-09-9999"],
    "email": ["jane@example.com", "john@example.org"],
    "phone": ["(212) 555-0100", "+1 415 555 0199"],
    "date_of_birth": ["1980-04-01", "1975-12-31"],
    "card_number": ["4111 1111 1111 1111", "5500-0000-0000-0004"],
    "iban": ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"],
    "latitude": ["40.712776", "51.5074"],
    "longitude": ["-74.005974", "-0.1278"],
    "ip_address": ["192.0.2.10", "2001:db8::1"],
    "zip": ["10001", "94105"],
    "consent": ["yes", "no"],
    "notes": ["Call 212-555-0100 or mail jane@example.com; SSN 123-45-6789, MRN 00123456.", ""],
}


def warm_up_core(tokenizer: Tokenizer | None) -> float:
    """Run the core once on a tiny made-up batch of every domain, so the first real micro-batch
    does not pay for first-use work (pattern compilation, lookup tables: ~110 ms measured) in its
    latency. Returns the seconds spent."""
    started = time.perf_counter()
    batch = pa.RecordBatch.from_pydict(_WARM_UP_ROWS)
    rows = np.arange(batch.num_rows, dtype=np.int64)
    for domain in Domain:
        anonymize = "tokenize" if tokenizer is not None else "none"
        pipeline = CompliancePipeline(domain=domain.value, anonymize=anonymize, tokenizer=tokenizer)
        pipeline.prepare(batch)
        pipeline.process(batch, rows)
    seconds = time.perf_counter() - started
    log.info("compliance core warmed up in %.2f s", seconds)
    return seconds


def _decoded_headers(headers: tuple) -> dict[str, str]:
    out = {}
    for name, value in headers:
        try:
            out[name] = value.decode() if value is not None else ""
        except UnicodeDecodeError:
            out[name] = ""
    return out


def _as_int(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() else None


def _key_row(message: Message, file_id: int) -> int | None:
    """The row number a message's key claims ("<file_id>:<row>"), when it is one."""
    key = message.key() or b""
    prefix, _, row = key.partition(b":")
    return int(row) if prefix == str(file_id).encode() and row.isdigit() else None


def _json_object(message: Message) -> tuple[dict | None, str | None]:
    """The message value as a JSON object, or the reason it is not one (never quoting it)."""
    try:
        value = json.loads(message.value() or b"")
    except UnicodeDecodeError:
        return None, "value is not UTF-8"
    except ValueError:
        return None, "value is not valid JSON"
    if not isinstance(value, dict):
        return None, f"value is a JSON {type(value).__name__}, not an object"
    return value, None


def decode_rows(
    messages: list[Message], state: FileState
) -> tuple[pa.RecordBatch, np.ndarray, list[Rejected]]:
    """Row messages of one job -> a batch of its columns (strings) and the row numbers.

    Fast path: the values joined as JSON Lines and parsed by Arrow in one call. It is exact
    only when each message is one single-line object (then rows map 1:1 to messages); anything
    else takes the per-message path, which also says what is wrong with each bad message."""
    names = [column.field for column in state.columns]
    values = [message.value() or b"" for message in messages]
    if all(value[:1] == b"{" and b"\n" not in value for value in values):
        schema = pa.schema([(name, pa.string()) for name in names] + [(ROW_COLUMN, pa.int64())])
        buffer = b"\n".join(values)
        try:
            table = pa_json.read_json(
                pa.BufferReader(buffer),
                read_options=pa_json.ReadOptions(block_size=len(buffer) + 1),
                parse_options=pa_json.ParseOptions(
                    explicit_schema=schema, unexpected_field_behavior="ignore"
                ),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError):
            table = None
        if table is not None and table.num_rows == len(values):
            rows = table.column(ROW_COLUMN)
            low, high = pc.min_max(rows).values()
            if rows.null_count == 0 and low.as_py() >= 0 and _below_total(high.as_py(), state):
                arrays = [table.column(name).combine_chunks() for name in names]
                batch = pa.RecordBatch.from_arrays(arrays, schema=schema.remove(len(names)))
                return batch, rows.to_numpy(), []
    return _decode_rows_one_by_one(messages, names, state)


def _below_total(row: int, state: FileState) -> bool:
    return state.rows_total is None or row < state.rows_total


def _decode_rows_one_by_one(
    messages: list[Message], names: list[str], state: FileState
) -> tuple[pa.RecordBatch, np.ndarray, list[Rejected]]:
    columns: list[list[str | None]] = [[] for _ in names]
    rows: list[int] = []
    rejected = []
    for message in messages:
        obj, reason = _json_object(message)
        if obj is not None:
            row = obj.get(ROW_COLUMN)
            cells = [obj.get(name) for name in names]
            if not isinstance(row, int) or isinstance(row, bool) or row < 0:
                reason = f"missing or invalid {ROW_COLUMN}"
            elif not _below_total(row, state):
                reason = f"{ROW_COLUMN} beyond the file's {state.rows_total} rows"
            elif any(cell is not None and not isinstance(cell, str) for cell in cells):
                reason = "a field value is not a string or null"
            else:
                for column, cell in zip(columns, cells, strict=True):
                    column.append(cell)
                rows.append(row)
                continue
        rejected.append(Rejected(message, reason, state, _key_row(message, state.file_id)))
    arrays = [pa.array(column, type=pa.string()) for column in columns]
    batch = pa.RecordBatch.from_arrays(arrays, names=names)
    return batch, np.asarray(rows, dtype=np.int64), rejected


def _json_strings(column: pa.Array) -> pa.Array:
    """Each value as a JSON string literal (`null` for nulls), vectorised: values needing no
    escape (most) are only quoted; the rare other control characters go through json.dumps."""
    text = column.cast(pa.string())
    if pc.any(pc.match_substring_regex(text, _JSON_NEEDS_ESCAPE)).as_py():
        for plain, escaped in _JSON_ESCAPES:
            text = pc.replace_substring(text, plain, escaped)
        control = pc.match_substring_regex(text, _CONTROL_CHARACTER)
        if pc.any(control).as_py():
            original = column.cast(pa.string()).to_pylist()
            values = text.to_pylist()
            for index in np.flatnonzero(control.fill_null(False).to_numpy(zero_copy_only=False)):
                values[index] = json.dumps(original[index])[1:-1]
            text = pa.array(values, pa.string())
    return pc.fill_null(pc.binary_join_element_wise('"', text, '"', ""), "null")


def payload_json(batch: pa.RecordBatch) -> pa.Array:
    """Each row as the JSON text of its payload object ({"column": "value" | null, ...}), built
    with Arrow kernels; PostgreSQL parses it into jsonb during COPY."""
    if batch.num_columns == 0:
        return pa.array(["{}"] * batch.num_rows, pa.string())
    parts: list = []
    for index, name in enumerate(batch.schema.names):
        parts += [("{" if index == 0 else ",") + json.dumps(name) + ":", _json_strings(batch.column(index))]
    return pc.binary_join_element_wise(*parts, "}", "")


def _csv(arrays: list[pa.Array], names: tuple[str, ...]) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(pa.RecordBatch.from_arrays(arrays, names=list(names)), sink, _CSV_OPTIONS)
    return sink.getvalue()


def _constant(value: int, length: int) -> pa.Array:
    return pa.array(np.full(length, value, dtype=np.int64))


def encode_result(state: FileState, result: BatchResult) -> tuple[pa.Buffer, pa.Buffer | None]:
    """COPY data (CSV) of one job's processed rows and of their violations (None if none), in the
    column order of _RECORD_COLUMNS / _VIOLATION_COLUMNS."""
    rows = result.batch.num_rows
    records = [_constant(state.file_id, rows), _constant(state.job_id, rows), pa.array(result.rows, pa.int64()),
               payload_json(result.batch)]  # fmt: skip
    violations = result.violations
    if not violations.num_rows:
        return _csv(records, _RECORD_COLUMNS), None
    count = violations.num_rows
    columns = [violations.column(key).combine_chunks() for key in VIOLATION_KEYS]
    found = [_constant(state.file_id, count), _constant(state.job_id, count), *columns]
    return _csv(records, _RECORD_COLUMNS), _csv(found, _VIOLATION_COLUMNS)


def _copy(cur: psycopg.Cursor, table: str, columns: tuple[str, ...], data: pa.Buffer) -> None:
    statement = sql.SQL(load_sql("stream_copy")).format(
        table=sql.Identifier(table), columns=sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cur.copy(statement) as copy:
        copy.write(data)


def write_result(cur: psycopg.Cursor, state: FileState, result: BatchResult) -> tuple[int, int]:
    """Store one job's processed rows and violations; returns (rows inserted, violations inserted).

    The offsets protocol delivers each message once, so rows are COPY'd straight into the results
    tables; only a job published twice can repeat rows, and its batches skip what is stored."""
    records, violations = encode_result(state, result)
    if not state.may_repeat:
        _copy(cur, "data_records", _RECORD_COLUMNS, records)
        if violations is not None:
            _copy(cur, "data_compliance_violations", _VIOLATION_COLUMNS, violations)
        return result.batch.num_rows, result.violations.num_rows
    cur.execute(load_sql("stream_create_conflict_tables"))
    _copy(cur, "stream_rows", _RECORD_COLUMNS, records)
    if violations is not None:
        _copy(cur, "stream_violations", _VIOLATION_COLUMNS, violations)
    loaded, found = cur.execute(load_sql("stream_insert_conflicting")).fetchone()
    cur.execute(load_sql("stream_drop_temp"))
    return loaded, found


def sort_messages(
    messages: list[Message], stats: BatchStats, rejected: list[Rejected]
) -> tuple[_Sorted, list[Message]]:
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
    out = _Sorted()
    for group_key, group in groups.items():
        headers = _decoded_headers(group_key)
        kind, file_id = headers.get(HEADER_KIND), _as_int(headers.get(HEADER_FILE_ID))
        job_id = _as_int(headers.get(HEADER_JOB_ID))
        if kind not in KINDS or file_id is None:
            reason = f"missing or unknown {HEADER_KIND} / {HEADER_FILE_ID} header"
            rejected += [Rejected(message, reason) for message in group]
        elif kind == KIND_ROW:
            out.rows[(file_id, job_id)] += group
        else:
            target = {KIND_FILE_START: out.starts, KIND_QUARANTINED: out.quarantined}.get(kind, out.ends)
            target += [(file_id, job_id, message) for message in group]
    return out, errors


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
        self.vault_key = vault_key  # without one, no vault entries are written
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
        self._pipelines: OrderedDict[int, CompliancePipeline] = OrderedDict()
        # Gaps (stored offset < first offset read) already rewound once: a second time, the
        # messages in between are gone (retention), so the gap is accepted.
        self._rewound_gaps: set[tuple[str, int, int]] = set()

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
    def stored_offsets(self) -> dict[tuple[str, int], int]:
        rows = self._conn.execute(
            load_sql("stream_offsets_select"), {"group": self.group, "topics": self.topics}
        )
        return {(topic, partition): offset for topic, partition, offset in rows}

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        try:
            stored = self.stored_offsets()
        except psycopg.Error as exc:
            # Start from the beginning: the first batch's offset check rewinds to the stored
            # offsets once PostgreSQL answers, so nothing is processed twice.
            log.warning("stored offsets unavailable (%s); starting from the earliest", type(exc).__name__)
            stored = {}
        for partition in partitions:
            partition.offset = stored.get((partition.topic, partition.partition), OFFSET_BEGINNING)
            self._batcher.positions[(partition.topic, partition.partition)] = partition.offset
        consumer.assign(partitions)
        log.info("assigned %s", " ".join(f"{p.topic}[{p.partition}]@{p.offset}" for p in partitions) or "-")

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("revoked %s", " ".join(f"{p.topic}[{p.partition}]" for p in partitions) or "-")

    def _rewind(self) -> None:
        """Seek every assigned partition back to its stored offset (drops fetched messages)."""
        for attempt, delay in enumerate((*_RETRY_DELAYS_S, None)):
            try:
                stored = self.stored_offsets()
                break
            except psycopg.Error as exc:
                if delay is None or self._stopping:
                    raise
                log.warning("PostgreSQL unavailable while rewinding (attempt %d: %s); retrying in %d s",
                            attempt + 1, type(exc).__name__, delay)  # fmt: skip
                time.sleep(delay)
                if self._conn.closed or self._conn.broken:
                    self._connect()
        for partition in self._consumer.assignment():
            offset = stored.get((partition.topic, partition.partition), OFFSET_BEGINNING)
            self._consumer.seek(TopicPartition(partition.topic, partition.partition, offset))
            self._batcher.positions[(partition.topic, partition.partition)] = offset

    def _check_offsets(self, cur: psycopg.Cursor, positions: dict[tuple[str, int], tuple[int, int]]) -> None:
        keys = sorted(positions)
        rows = cur.execute(
            load_sql("stream_offsets_lock"),
            {"group": self.group, "topics": [t for t, _ in keys], "partitions": [p for _, p in keys]},
        ).fetchall()
        problems = []
        for topic, partition, stored in rows:
            first = positions[(topic, partition)][0]
            if stored > first:
                problems.append(f"{topic}[{partition}] stored {stored} > batch start {first}")
            elif stored < first and (topic, partition, stored) not in self._rewound_gaps:
                self._rewound_gaps.add((topic, partition, stored))
                problems.append(f"{topic}[{partition}] stored {stored} < batch start {first}")
            elif stored < first:
                log.warning("%s[%d]: offsets %d-%d are no longer in the topic (retention)",
                            topic, partition, stored, first - 1)  # fmt: skip
        if problems:
            raise StaleBatch("; ".join(problems))

    # -- one micro-batch --------------------------------------------------------------------------
    def process(self, messages: list[Message]) -> BatchStats:
        """Process and commit one micro-batch (one transaction), or raise with nothing committed."""
        stats = BatchStats()
        rejected: list[Rejected] = []
        batch, errors = sort_messages(messages, stats, rejected)
        for message in errors:
            if message.error().fatal():  # e.g. fenced by another consumer with our instance id
                log.error("fatal consumer error: %s; stopping", message.error().str())
                self.failed = True
                self.stop()
            else:
                log.warning("consumer error: %s", message.error().str())
        if not stats.offsets:
            return stats

        work: dict[int, _JobWork] = defaultdict(_JobWork)
        file_ids = {file_id for file_id, _ in batch.rows}
        file_ids |= {file_id for file_id, _, _ in [*batch.starts, *batch.ends, *batch.quarantined]}
        with self._conn.transaction(), self._conn.cursor() as cur:
            self._check_offsets(cur, stats.offsets)
            cur.execute(load_sql("stream_lock_files"), {"file_ids": sorted(file_ids)})
            stats.ignored += self._apply_starts(cur, batch.starts, rejected)
            latest = self._latest_states(cur, file_ids)
            stats.ignored += self._apply_ends(cur, batch.ends, latest, rejected)
            for (file_id, job_id), job_messages in batch.rows.items():
                state, reason = _owner(latest, file_id, job_id, "row")
                if state is not None:
                    rejected += self._process_rows(cur, state, job_messages, work[state.job_id])
                elif reason:
                    rejected += [Rejected(m, reason) for m in job_messages]
                else:
                    stats.ignored += len(job_messages)
            entries = self._quarantine_entries(batch.quarantined, latest, rejected, stats)
            self._dead_letter(rejected)
            for job_id, _row in self._insert_quarantine(cur, entries):
                if job_id is not None:
                    work[job_id].rows_quarantined += 1
                stats.quarantined += 1
            self._audit_rejected(cur, rejected)
            for job_id, counts in sorted(work.items()):  # one lock order for every member
                cur.execute(load_sql("stream_state_add"), {"job_id": job_id, **counts.__dict__})
                stats.rows_loaded += counts.rows_loaded
                stats.violations += counts.violations
            for state in sorted(latest.values(), key=lambda state: state.job_id):
                if self._complete_if_done(cur, state.job_id):
                    stats.jobs_completed.append(state.job_id)
            keys = sorted(stats.offsets)
            cur.execute(
                load_sql("stream_offsets_upsert"),
                {
                    "group": self.group,
                    "topics": [t for t, _ in keys],
                    "partitions": [p for _, p in keys],
                    "next_offsets": [stats.offsets[k][1] for k in keys],
                },
            )
        stats.dead_lettered = len(rejected)
        return stats

    def _apply_starts(
        self, cur: psycopg.Cursor, starts: list[tuple[int, int | None, Message]], rejected: list[Rejected]
    ) -> int:
        """Store the classification of newly announced jobs; a job newer than the file's last one
        replaces that job's results. Returns how many start messages of replaced jobs were ignored."""
        ignored = 0
        for file_id, job_id, message in sorted(starts, key=lambda start: start[1] or 0):
            start, reason = _json_object(message)
            if start is not None:
                try:
                    columns = [column_class(c) for c in start["columns"]]
                    domain, anonymize = Domain(start["domain"]).value, start["anonymize"]
                    if anonymize not in STREAM_ANONYMIZE:
                        raise ValueError(anonymize)
                except (KeyError, TypeError, ValueError):
                    reason = "file-start value lacks a valid columns / domain / anonymize"
            if reason is None and job_id is None:
                reason = "file-start names no existing job of its file"
            if reason is None:
                params = {"job_id": job_id, "file_id": file_id}
                exists, newest = cur.execute(load_sql("stream_start_check"), params).fetchone()
                if not exists:
                    reason = "file-start names no existing job of its file"
                elif newest is not None and job_id < newest:
                    # A newer job's results count: record this job as superseded, so its rows are
                    # recognised and ignored (not dead-lettered as rows of an unknown job).
                    self._upsert_state(cur, file_id, job_id, domain, anonymize, columns, message)
                    supersede_older_stream_jobs(cur, file_id, newest)
                    ignored += 1
                    continue
            if reason:
                rejected.append(Rejected(message, reason))
                continue
            if self._upsert_state(cur, file_id, job_id, domain, anonymize, columns, message):
                self._replace_earlier_results(cur, file_id, job_id)
        return ignored

    def _upsert_state(
        self,
        cur: psycopg.Cursor,
        file_id: int,
        job_id: int,
        domain: str,
        anonymize: str,
        columns: list[ColumnClass],
        message: Message,
    ) -> bool:
        """Record a job's file-start (its classification); True when the job's state is new."""
        params = {"file_id": file_id, "job_id": job_id, "domain": domain, "anonymize": anonymize,
                  "columns": Jsonb([column_json(c) for c in columns]), "partition": message.partition()}  # fmt: skip
        return cur.execute(load_sql("stream_state_upsert"), params).fetchone()[0]

    def _replace_earlier_results(self, cur: psycopg.Cursor, file_id: int, job_id: int) -> None:
        """A new job of the file: drop the file's results of earlier jobs (any route) in this
        transaction, and retire the earlier stream jobs."""
        params = {"file_id": file_id, "job_id": job_id}
        cur.execute(load_sql("load_delete_file_results"), params)
        deleted = cur.rowcount
        replaced = supersede_older_stream_jobs(cur, file_id, job_id)
        if replaced or deleted:
            log.info("file_id=%d: job %d replaces the earlier results (stream jobs %s)",
                     file_id, job_id, replaced or "-")  # fmt: skip

    def _latest_states(self, cur: psycopg.Cursor, file_ids: set[int]) -> dict[int, FileState]:
        """The newest job's state of each file."""
        if not file_ids:
            return {}
        rows = cur.execute(load_sql("stream_state_select"), {"file_ids": sorted(file_ids)}).fetchall()
        latest: dict[int, FileState] = {}
        for job_id, file_id, domain, anonymize, columns, total, completed, republished, superseded in rows:
            if file_id not in latest or job_id > latest[file_id].job_id:
                latest[file_id] = FileState(job_id, file_id, domain, anonymize, [column_class(c) for c in columns],
                                            total, completed, republished, superseded)  # fmt: skip
        return latest

    def _apply_ends(
        self,
        cur: psycopg.Cursor,
        ends: list[tuple[int, int | None, Message]],
        latest: dict[int, FileState],
        rejected: list[Rejected],
    ) -> int:
        ignored = 0
        for file_id, job_id, message in ends:
            state, missing = _owner(latest, file_id, job_id, "file-end")
            end, reason = _json_object(message)
            total = end.get("rows_total") if end is not None else None
            if reason is None and (not isinstance(total, int) or isinstance(total, bool) or total < 0):
                reason = "file-end value lacks a valid rows_total"
            if reason is None and state is None and not missing:
                ignored += 1
                continue
            reason = reason or missing
            if reason:
                rejected.append(Rejected(message, reason, state))
                continue
            if state.rows_total is None:
                cur.execute(load_sql("stream_state_set_total"), {"job_id": state.job_id, "rows_total": total})
                state.rows_total = total
        return ignored

    def _pipeline(self, state: FileState) -> CompliancePipeline:
        pipeline = self._pipelines.get(state.job_id)
        if pipeline is None:
            tokenizer = self.tokenizer if state.anonymize != "none" else None
            # A data key per job (and per cached pipeline): stored with the job's first entries.
            vault = VaultEncryptor.new(self.vault_key) if tokenizer and self.vault_key else None
            pipeline = CompliancePipeline(
                domain=state.domain, anonymize=state.anonymize, tokenizer=tokenizer, vault=vault
            )
            pipeline.prepare_from(state.columns, state.domain)
            self._pipelines[state.job_id] = pipeline
            while len(self._pipelines) > _PIPELINES_CACHED:
                self._pipelines.popitem(last=False)
        self._pipelines.move_to_end(state.job_id)
        return pipeline

    def _process_rows(
        self, cur: psycopg.Cursor, state: FileState, messages: list[Message], work: _JobWork
    ) -> list[Rejected]:
        clock = time.perf_counter()
        batch, rows, rejected = decode_rows(messages, state)
        now = time.perf_counter()
        work.pre_processing_s += now - clock
        if not batch.num_rows:
            return rejected
        bad = {id(r.message) for r in rejected}
        good = [m for m in messages if id(m) not in bad]
        pipeline = self._pipeline(state)
        try:
            result = pipeline.process(batch, rows)
        except Exception as exc:  # a bug must not stop the stream: these rows go to quarantine
            log.error(
                "file_id=%d job_id=%d: compliance core failed on %d rows (%s)",
                state.file_id,
                state.job_id,
                len(rows),
                type(exc).__name__,
            )
            reason = f"compliance core failed on this batch ({type(exc).__name__})"
            return rejected + [Rejected(m, reason, state, _key_row(m, state.file_id)) for m in good]
        clock, now = now, time.perf_counter()
        work.pure_processing_s += now - clock
        loaded, violations = write_result(cur, state, result)
        if result.vault.num_rows:
            store_vault_entries(cur, [result.vault], pipeline.vault.wrapped_key, state.file_id)
        work.rows_loaded += loaded
        work.violations += violations
        work.post_processing_s += time.perf_counter() - now
        return rejected

    def _quarantine_entries(
        self,
        quarantined: list[tuple[int, int | None, Message]],
        latest: dict[int, FileState],
        rejected: list[Rejected],
        stats: BatchStats,
    ) -> list[tuple[int | None, int | None, int | None, str]]:
        """(file_id, job_id, row, reason) of the reader's quarantined rows and of rejected messages."""
        entries = []
        for file_id, job_id, message in quarantined:
            state, missing = _owner(latest, file_id, job_id, "quarantined row")
            value, reason = _json_object(message)
            row = value.get(ROW_COLUMN) if value is not None else None
            why = value.get("reason") if value is not None else None
            if reason is None and (type(row) is not int or row < 0 or not isinstance(why, str)):
                reason = f"quarantined-row value lacks a valid {ROW_COLUMN} / reason"
            if reason is None and state is None and not missing:
                stats.ignored += 1
                continue
            reason = reason or missing
            if reason:
                rejected.append(Rejected(message, reason, state))
            else:
                entries.append((state.file_id, state.job_id, row, why))
        for item in rejected:
            where = f"{item.message.topic()}[{item.message.partition()}]@{item.message.offset()}"
            reason = f"dead-lettered stream message {where}: {item.reason}"
            file_id, job_id = (item.file.file_id, item.file.job_id) if item.file else (None, None)
            entries.append((file_id, job_id, item.row if item.file else None, reason))
        return entries

    def _insert_quarantine(
        self, cur: psycopg.Cursor, entries: list[tuple[int | None, int | None, int | None, str]]
    ) -> list[tuple[int | None, int | None]]:
        """Returns (job_id, row) of each new quarantine row; job_id only for rows of a job."""
        if not entries:
            return []
        file_ids, job_ids, rows, reasons = (list(column) for column in zip(*entries, strict=True))
        params = {"file_ids": file_ids, "job_ids": job_ids, "rows": rows, "reasons": reasons}
        inserted = cur.execute(load_sql("stream_insert_quarantine"), params).fetchall()
        # Only rows of a file count towards its completeness.
        return [(job_id if row is not None else None, row) for job_id, row in inserted]

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

    def _audit_rejected(self, cur: psycopg.Cursor, rejected: list[Rejected]) -> None:
        for item in rejected:
            message = item.message
            audit(
                cur.connection, actor=ACTOR, action=AuditAction.QUARANTINED, object_type="data_file",
                object_id=item.file.file_id if item.file else None,
                details={"reason": item.reason, "topic": message.topic(), "partition": message.partition(),
                         "offset": message.offset(), "dead_letter_topic": DEAD_LETTER_TOPIC, "row": item.row},
            )  # fmt: skip

    def _complete_if_done(self, cur: psycopg.Cursor, job_id: int) -> bool:
        """Close the job and the file once every announced row is loaded or quarantined."""
        done = cur.execute(load_sql("stream_state_complete"), {"job_id": job_id}).fetchone()
        if done is None:
            return False
        file_id, domain, total, loaded, quarantined, violations, pre_s, pure_s, post_s, elapsed = done
        elapsed = float(elapsed or 0)
        busy = pre_s + pure_s + post_s
        seconds = elapsed if elapsed > 0 else busy
        metrics = {
            "records_in": total,
            "records_loaded": loaded,
            "records_quarantined": quarantined,
            "violations": violations,
            "pre_processing_s": pre_s,
            "pure_processing_s": pure_s,
            "post_processing_s": post_s,
            # End to end: first batch of the job to the batch that completed it.
            "records_per_second": total / seconds if seconds > 0 else None,
        }
        conn = cur.connection
        finish_job(conn, job_id, JobStatus.SUCCEEDED, metrics)
        set_file_status(conn, file_id, FileStatus.LOADED, domain=domain, row_count=total)
        details = {"file_id": file_id, "engine": "stream", "consumer_group": self.group,
                   "elapsed_s": round(elapsed, 3)} | {k: v for k, v in metrics.items() if k != "records_per_second"}  # fmt: skip
        audit(conn, actor=ACTOR, action=AuditAction.LOADED, object_type=_AUDIT_OBJECT, object_id=job_id,
              details=details)  # fmt: skip
        log.info("file_id=%d job_id=%d complete: %d rows (%d loaded, %d quarantined), %d violations, %.1f s",
                 file_id, job_id, total, loaded, quarantined, violations, elapsed)  # fmt: skip
        return True


def _owner(
    latest: dict[int, FileState], file_id: int, job_id: int | None, what: str
) -> tuple[FileState | None, str | None]:
    """The state a message of (file, job) counts towards, or why it cannot (None, reason), or
    (None, None) when the message belongs to a job a newer one replaced, on any route (it is
    ignored). A message
    without a job header counts towards the file's newest job."""
    state = latest.get(file_id)
    if state is None:
        return None, f"{what} of a file without a file-start message"
    if job_id is None or job_id == state.job_id:
        return (None, None) if state.superseded else (state, None)
    if job_id < state.job_id:
        return None, None
    return None, f"{what} of a job without a file-start message"


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _run_consumer(tokenizer: Tokenizer, member: int | None = None) -> int:
    consumer = StreamConsumer(settings(), tokenizer, member, MasterKey.optional_from_env())
    signal.signal(signal.SIGTERM, consumer.stop)
    signal.signal(signal.SIGINT, consumer.stop)
    consumer.run()
    return 1 if consumer.failed else 0


def _member_process(member: int) -> None:
    """One member of a multi-process service (a spawned child: it reads the key itself)."""
    _configure_logging()
    sys.exit(_run_consumer(Tokenizer(TokenKey.from_env()), member))


def run_members(count: int) -> int:
    """Run `count` group members, one process each. SIGTERM / SIGINT stop them all (each finishes
    its batch); a member that exits by itself stops the others too, and the service exits 1 so
    that its supervisor (the stack manager, Docker) restarts it whole."""
    context = multiprocessing.get_context("spawn")
    members = [
        context.Process(target=_member_process, args=(member,), name=f"stream-consumer-{member}")
        for member in range(count)
    ]
    requested = False

    def stop(*_args: object) -> None:
        nonlocal requested
        requested = True
        for process in members:
            if process.is_alive():
                process.terminate()  # SIGTERM: the member finishes its batch and exits 0

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in members:
        process.start()
    multiprocessing.connection.wait([process.sentinel for process in members])
    if not requested:
        gone = [f"{p.name} (exit {p.exitcode})" for p in members if p.exitcode is not None]
        log.error("member %s stopped by itself; stopping the others", ", ".join(gone))
        stop()
        requested = False
    for process in members:
        process.join()
    return 0 if requested and all(process.exitcode == 0 for process in members) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    _configure_logging()
    try:
        tokenizer = Tokenizer(TokenKey.from_env())
        MasterKey.optional_from_env()  # an unusable SDP_VAULT_KEY stops the service at once
    except (TokenKeyError, VaultKeyError) as exc:
        print(f"stream-consumer: {exc}", file=sys.stderr)
        return 1
    count = settings().stream_consumer_processes
    return _run_consumer(tokenizer) if count == 1 else run_members(count)


if __name__ == "__main__":
    sys.exit(main())
