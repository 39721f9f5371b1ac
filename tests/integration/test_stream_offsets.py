"""The stream consumer's exactly-once store against a real PostgreSQL, without a broker: micro-batches
of hand-made Kafka messages go through BatchWriter (the consumer's transaction) and OffsetStore.
Offsets are committed with the rows, a replayed batch is refused with nothing stored twice, a
transaction that fails leaves neither rows nor offsets, a republished job's rows are stored once,
and a job completes when its loaded + quarantined rows reach its file-end count."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from confluent_kafka import Message

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.columns import ColumnClass, ColumnRole
from compliance.vocabulary import IdType
from include.db.files import register_file, set_file_status, sha256_of, start_job
from include.settings import Settings
from include.stack.manager import Stack
from include.staging import ROW_COLUMN
from include.streaming.batcher import sort_messages
from include.streaming.model import BatchStats, Rejected
from include.streaming.offsets import OffsetStore, StaleBatch
from include.streaming.topics import (
    HEADER_FILE_ID,
    HEADER_JOB_ID,
    HEADER_KIND,
    KIND_FILE_END,
    KIND_FILE_START,
    KIND_ROW,
    column_json,
    raw_topic,
)
from include.streaming.transaction import BatchWriter

pytestmark = pytest.mark.integration

TOPIC = raw_topic("healthcare")
COLUMNS = [
    ColumnClass(field="email", role=ColumnRole.IDENTIFIER, id_type=IdType.EMAIL),
    ColumnClass(field="visit", role=ColumnRole.NOT_IDENTIFIER),
]
EMAILS = ["jane@example.com", "john@example.org", "max@example.net"]


@pytest.fixture(scope="module")
def db(test_settings: Settings) -> Iterator[str]:
    """PostgreSQL alone (migrated by the stack), stopped at the end if this module started it."""
    stack = Stack(test_settings, ["postgres"])
    outcome = stack.up(log=lambda _msg: None)
    yield test_settings.database_url
    if outcome.get("postgres") == "started":
        stack.down(log=lambda _msg: None)


class Job:
    """A registered file with a stream job, and the messages its producer would publish."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        # Unique content: a file with the same checksum would be registered as the same file.
        self.visits = [f"{uuid.uuid4().hex}-{n}" for n in range(len(EMAILS))]
        path = tmp_path / "visits.csv"
        path.write_text(
            "email,visit\n" + "".join(f"{e},{v}\n" for e, v in zip(EMAILS, self.visits, strict=True))
        )
        with psycopg.connect(url, autocommit=True) as conn:
            self.file_id = register_file(conn, path, sha256_of(path), path.stat().st_size, "csv").id
            self.job_id = start_job(conn, self.file_id, "stream", "test: offsets store")
            set_file_status(conn, self.file_id, "processing")

    def _message(self, kind: str, key: str, value: bytes, offset: int) -> Message:
        headers = [(HEADER_KIND, kind.encode()), (HEADER_FILE_ID, str(self.file_id).encode()),
                   (HEADER_JOB_ID, str(self.job_id).encode())]  # fmt: skip
        return Message(
            topic=TOPIC, partition=0, offset=offset, key=key.encode(), value=value, headers=headers
        )

    def start(self, offset: int) -> Message:
        value = {
            "columns": [column_json(c) for c in COLUMNS],
            "domain": "healthcare",
            "anonymize": "tokenize",
        }
        return self._message(KIND_FILE_START, f"{self.file_id}:start", json.dumps(value).encode(), offset)

    def row(self, row: int, offset: int, value: bytes | None = None) -> Message:
        value = (
            value or json.dumps({"email": EMAILS[row], "visit": self.visits[row], ROW_COLUMN: row}).encode()
        )
        return self._message(KIND_ROW, f"{self.file_id}:{row}", value, offset)

    def end(self, offset: int) -> Message:
        return self._message(KIND_FILE_END, f"{self.file_id}:end", b'{"rows_total": 3}', offset)


class Store:
    """The consumer's side of the store for one consumer group, on a connection of its own."""

    def __init__(self, url: str, group: str | None = None) -> None:
        self.group = group or f"test-offsets-{uuid.uuid4().hex[:8]}"
        self.conn = psycopg.connect(url, autocommit=True)
        self.offsets = OffsetStore(self.group, [TOPIC])
        self.dead_lettered: list[Rejected] = []
        tokenizer = Tokenizer(TokenKey("k1", b"offsets-test-key-0123456789abcdef"))
        self.writer = BatchWriter(self.offsets, tokenizer, None, self.dead_lettered.extend)

    def write(self, messages: list[Message]) -> BatchStats:
        """What StreamConsumer.process does with a micro-batch."""
        stats, rejected = BatchStats(), []
        batch, errors = sort_messages(messages, stats, rejected)
        assert not errors
        self.writer.write(self.conn, batch, stats, rejected)
        return stats

    def stored(self) -> dict[tuple[str, int], int]:
        return self.offsets.stored(self.conn)


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    store = Store(db)
    yield store
    store.conn.close()


def _one(url: str, statement: str, *params: object) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchone()


def _records(url: str, file_id: int) -> tuple[int, int]:
    """(rows, distinct row numbers) stored for the file."""
    return _one(
        url, "SELECT count(*), count(DISTINCT row_number) FROM data_records WHERE file_id = %s", file_id
    )


def _job(url: str, job_id: int) -> tuple:
    return _one(url, "SELECT j.status, j.records_in, j.records_loaded, j.records_quarantined, f.status "
                     "FROM data_processing_jobs j JOIN data_files f ON f.id = j.file_id WHERE j.id = %s", job_id)  # fmt: skip


def test_offsets_are_committed_with_the_rows_and_the_job_completes(db, store, tmp_path):
    job = Job(db, tmp_path)
    stats = store.write([job.start(0), job.row(0, 1), job.row(1, 2)])
    assert stats.rows_loaded == 2 and stats.offsets == {(TOPIC, 0): (0, 3)} and stats.jobs_completed == []
    assert store.stored() == {(TOPIC, 0): 3}
    assert _records(db, job.file_id) == (2, 2)
    assert _job(db, job.job_id)[0] == "running"  # no file-end yet: the job stays open

    stats = store.write([job.row(2, 3), job.end(4)])
    assert stats.rows_loaded == 1 and stats.jobs_completed == [job.job_id]
    assert store.stored() == {(TOPIC, 0): 5}
    assert _records(db, job.file_id) == (3, 3)
    assert _job(db, job.job_id) == ("succeeded", 3, 3, 0, "loaded")
    violations = _one(db, "SELECT count(*) FROM data_compliance_violations WHERE job_id = %s", job.job_id)
    assert violations == (3,)  # one EMAIL per row
    state = _one(db, "SELECT rows_total, rows_loaded, completed_at IS NOT NULL FROM stream_file_state "
                     "WHERE job_id = %s", job.job_id)  # fmt: skip
    assert state == (3, 3, True)
    audits = _one(db, "SELECT count(*) FROM system_audit_log WHERE action = 'loaded' "
                      "AND object_type = 'data_processing_job' AND object_id = %s", str(job.job_id))  # fmt: skip
    assert audits == (1,)


def test_a_replayed_batch_is_refused_and_stores_nothing_twice(db, store, tmp_path):
    job = Job(db, tmp_path)
    batch = [job.start(0), job.row(0, 1), job.row(1, 2)]
    store.write(batch)
    # The same messages again, as a consumer that lost its partitions (or a restart that did not
    # rewind) would deliver them: another consumer of the group with the same stored offsets.
    other = Store(db, store.group)
    try:
        with pytest.raises(StaleBatch, match=r"stored 3 > batch start 0"):
            other.write(batch)
        with pytest.raises(StaleBatch):
            store.write(batch[1:])
    finally:
        other.conn.close()
    assert store.stored() == {(TOPIC, 0): 3}
    assert _records(db, job.file_id) == (2, 2)
    assert _one(db, "SELECT rows_loaded FROM stream_file_state WHERE job_id = %s", job.job_id) == (2,)


def test_a_failed_transaction_leaves_neither_rows_nor_offsets(db, store, tmp_path):
    job = Job(db, tmp_path)
    seen_inside: list[int] = []

    def broker_away(_rejected: list[Rejected]) -> None:
        # Called inside the transaction, after the rows were written: they are there, uncommitted.
        seen_inside.append(store.conn.execute("SELECT count(*) FROM data_records WHERE file_id = %s",
                                              (job.file_id,)).fetchone()[0])  # fmt: skip
        raise RuntimeError("dead-letter topic unavailable")

    store.writer.dead_letter = broker_away
    batch = [job.start(0), job.row(0, 1), job.row(1, 2), job.row(2, 3), job.end(4)]
    with pytest.raises(RuntimeError):
        store.write(batch)
    assert seen_inside == [3]
    assert store.stored() == {}
    assert _records(db, job.file_id) == (0, 0)
    assert _one(db, "SELECT count(*) FROM stream_file_state WHERE job_id = %s", job.job_id) == (0,)
    assert _job(db, job.job_id)[0] == "running"

    # The consumer rewinds to the stored offsets (none) and writes the batch again: once.
    store.writer.dead_letter = store.dead_lettered.extend
    assert store.write(batch).jobs_completed == [job.job_id]
    assert store.stored() == {(TOPIC, 0): 5}
    assert _records(db, job.file_id) == (3, 3)


def test_a_republished_job_stores_each_row_once(db, store, tmp_path):
    job = Job(db, tmp_path)
    store.write([job.start(0), job.row(0, 1), job.row(1, 2)])
    # A retried producer task publishes the whole job again on the same partition.
    stats = store.write([job.start(3), job.row(0, 4), job.row(1, 5), job.row(2, 6), job.end(7)])
    assert stats.rows_loaded == 1 and stats.jobs_completed == [job.job_id]
    assert _records(db, job.file_id) == (3, 3)
    assert _one(db, "SELECT republished FROM stream_file_state WHERE job_id = %s", job.job_id) == (True,)
    assert _job(db, job.job_id) == ("succeeded", 3, 3, 0, "loaded")


def test_a_poison_row_is_dead_lettered_and_counts_towards_completion(db, store, tmp_path):
    job = Job(db, tmp_path)
    poison = job.row(2, 3, value=b"{not json")
    stats = store.write([job.start(0), job.row(0, 1), job.row(1, 2), poison, job.end(4)])
    assert [item.message.offset() for item in store.dead_lettered] == [3]
    assert stats.dead_lettered == 1 and stats.quarantined == 1 and stats.jobs_completed == [job.job_id]
    quarantined = _one(db, "SELECT row_number, reason FROM data_quarantine WHERE job_id = %s", job.job_id)
    assert quarantined[0] == 2 and "not valid JSON" in quarantined[1]
    assert _job(db, job.job_id) == ("succeeded", 3, 2, 1, "loaded")


def test_a_gap_before_the_batch_is_rewound_once_then_accepted(db, store):
    with store.conn.transaction(), store.conn.cursor() as cur:
        store.offsets.save(cur, {(TOPIC, 0): (0, 5)})
    assert store.stored() == {(TOPIC, 0): 5}
    positions = {(TOPIC, 0): (8, 9)}  # offsets 5-7 were not read
    with (
        store.conn.transaction(),
        store.conn.cursor() as cur,
        pytest.raises(StaleBatch, match=r"stored 5 < batch start 8"),
    ):
        store.offsets.check(cur, positions)
    # Read again from offset 5, the broker still starts at 8: those messages are gone (retention).
    with store.conn.transaction(), store.conn.cursor() as cur:
        store.offsets.check(cur, positions)
        store.offsets.save(cur, positions)
    assert store.stored() == {(TOPIC, 0): 9}
