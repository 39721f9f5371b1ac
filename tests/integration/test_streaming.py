"""The stream route against the real broker and PostgreSQL, with the consumer as a real service
process (`python -m include.streaming.consumer`): a published file lands exactly once with the
violations and tokens `sdp scan` gives; a consumer killed with SIGKILL mid-file and restarted
still loads every row exactly once; poison messages are dead-lettered and quarantined while the
stream goes on; a second job of a file replaces the first one's results exactly once. The
adaptive micro-batching and idle pausing are tested as units on a fake consumer."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psutil
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.generator import write_dataset
from compliance.scan import scan_file
from include.db.files import register_file, set_file_status, sha256_of, start_job
from include.db.loader import load_staged
from include.settings import REPO_ROOT, Settings
from include.stack.context import StackContext
from include.streaming import heartbeat_fresh
from include.streaming.batcher import MicroBatcher
from include.streaming.copy_encoding import payload_json, token_keys
from include.streaming.producer import publish_file
from include.streaming.purge import ConsumedPurger
from include.streaming.status import file_progress
from include.streaming.topics import (
    DEAD_LETTER_TOPIC,
    HEADER_DLQ_REASON,
    HEADER_DLQ_SOURCE,
    HEADER_FILE_ID,
    HEADER_JOB_ID,
    HEADER_KIND,
    KIND_ROW,
    raw_topic,
    raw_topics,
)
from tests.conftest import STREAM_TEST_INSTANCE
from tests.integration.test_loader import write_staged

pytestmark = pytest.mark.integration

TOKEN_KEY = "stream-test-key-0123456789abcdef"
ROWS = 5000


class ConsumerProcess:
    """The consumer service as a subprocess with its own log file."""

    def __init__(self, env: dict[str, str], log_file: Path) -> None:
        self.env, self.log_file = env, log_file
        self.proc: subprocess.Popen | None = None

    def start(self) -> ConsumerProcess:
        self.started = time.time()
        with open(self.log_file, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "include.streaming.consumer"],
                env=self.env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def stop(self) -> int:
        """SIGTERM: finish the batch, leave the group, exit 0."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_file.read_text()


@contextlib.contextmanager
def consumer_service(services: Settings, token_key: str, log_file: Path) -> Iterator[ConsumerProcess]:
    """The consumer service with `token_key` and a short batch wait, started for a test and stopped
    (SIGTERM) after it; its log's tail printed, which pytest shows when the test failed."""
    env = StackContext(services).pipeline_env()
    env.update(SDP_TOKEN_KEY=token_key, SDP_TOKEN_KEY_ID="k1", SDP_STREAM_BATCH_WAIT_MS="100",
               SDP_STREAM_CONSUMER_INSTANCE=STREAM_TEST_INSTANCE)  # fmt: skip
    process = ConsumerProcess(env, log_file).start()
    try:
        yield process
    finally:
        if process.proc.poll() is None:
            process.stop()
        print(process.log()[-4000:])


@pytest.fixture(scope="module")
def stream_env(services: Settings) -> dict[str, str]:
    env = StackContext(services).pipeline_env()
    # Small micro-batches, so a 5k-row file spans several transactions and a kill lands mid-file.
    env.update(SDP_TOKEN_KEY=TOKEN_KEY, SDP_TOKEN_KEY_ID="k1", SDP_STREAM_BATCH_RECORDS="500",
               SDP_STREAM_BATCH_WAIT_MS="200",
               SDP_STREAM_CONSUMER_INSTANCE=STREAM_TEST_INSTANCE)  # fmt: skip
    return env


@pytest.fixture
def consumer(stream_env: dict[str, str], tmp_path: Path):
    process = ConsumerProcess(stream_env, tmp_path / "consumer.log")
    yield process
    if process.proc and process.proc.poll() is None:
        process.kill()
    if process.log_file.exists():
        print(process.log()[-6000:])  # shown by pytest when the test failed


def _new_file(tmp_path: Path, name: str, domain: str, rows: int, seed: int) -> Path:
    path = tmp_path / name
    write_dataset(domain, rows, path, seed=seed)
    return path


def _register(database_url: str, path: Path) -> tuple[int, int]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        record = register_file(conn, path, sha256_of(path), path.stat().st_size, "csv")
        job_id = start_job(conn, record.id, "stream", "test: stream route")
        set_file_status(conn, record.id, "processing")
    return record.id, job_id


def _publish(services: Settings, path: Path, rows: int, domain: str = "auto") -> tuple[int, int]:
    file_id, job_id = _register(services.database_url, path)
    announced = publish_file(
        path,
        file_id=file_id,
        job_id=job_id,
        domain=domain,
        bootstrap=services.kafka_bootstrap_servers,
        s=services,
    )
    assert announced == rows
    return file_id, job_id


def _query(database_url: str, statement: str, *params: object) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(statement, params).fetchall()


def _wait_for(predicate, timeout: float, consumer: ConsumerProcess, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        assert consumer.proc.poll() is None, (
            f"consumer exited while waiting for {what}:\n{consumer.log()[-3000:]}"
        )
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}:\n{consumer.log()[-3000:]}")


def _stored_offsets(database_url: str, topic: str) -> dict[int, int]:
    rows = _query(database_url, "SELECT partition, next_offset FROM stream_offsets WHERE topic = %s", topic)
    return dict(rows)


def _watermarks(services: Settings, topic: str) -> dict[int, tuple[int, int]]:
    """(low, high) watermark per partition: the first offset still stored and the end."""
    client = Consumer({"bootstrap.servers": services.kafka_bootstrap_servers, "group.id": "test-watermarks"})
    try:
        partitions = client.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: client.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in partitions}
    finally:
        client.close()


def _end_offsets(services: Settings, topic: str) -> dict[int, int]:
    return {partition: high for partition, (_low, high) in _watermarks(services, topic).items()}


def _file_loaded(database_url: str, file_id: int) -> bool:
    return _query(database_url, "SELECT status FROM data_files WHERE id = %s", file_id)[0][0] == "loaded"


def _scan(path: Path, tmp_path: Path) -> tuple[set[tuple[int, str, str]], list[dict]]:
    """Violations (row, field, type) and tokenized rows of `sdp scan` on the same file."""
    violations, output = tmp_path / f"{path.stem}.violations.jsonl", tmp_path / f"{path.stem}.out.parquet"
    tokenizer = Tokenizer(TokenKey("k1", TOKEN_KEY.encode()))
    scan_file(path, violations_out=violations, output=output, anonymize="tokenize", tokenizer=tokenizer)
    found = {(v["row"], v["field"], v["type"]) for v in map(json.loads, violations.read_text().splitlines())}
    return found, pq.read_table(output).to_pylist()


def _assert_token_keys(database_url: str, file_id: int) -> None:
    """Every stream row carries its token keys, those PostgreSQL finds in its payload (migration
    0014), so it is indexed by the column and not by the payload expression."""
    wrong = _query(database_url, "SELECT count(*) FROM data_records WHERE file_id = %s "
                                 "AND token_keys IS DISTINCT FROM sdp_token_keys(payload)", file_id)  # fmt: skip
    assert wrong == [(0,)]


def _assert_exactly_once(database_url: str, file_id: int, path: Path, tmp_path: Path) -> None:
    rows = _query(database_url, "SELECT count(*), count(DISTINCT row_number), min(row_number), max(row_number) "
                                "FROM data_records WHERE file_id = %s", file_id)[0]  # fmt: skip
    assert rows == (ROWS, ROWS, 0, ROWS - 1)
    stored = _query(database_url, "SELECT row_number, field, violation_type FROM data_compliance_violations "
                                  "WHERE file_id = %s", file_id)  # fmt: skip
    expected, scanned_rows = _scan(path, tmp_path)
    assert len(stored) == len(set(stored)) == len(expected)
    assert set(stored) == expected
    payloads = dict(
        _query(database_url, "SELECT row_number, payload FROM data_records WHERE file_id = %s", file_id)
    )
    assert [payloads[row] for row in range(ROWS)] == scanned_rows  # same tokens as `sdp scan`
    _assert_token_keys(database_url, file_id)
    job = _query(database_url, "SELECT j.status, j.engine, j.records_in, j.records_loaded, j.records_quarantined, "
                               "j.violations, j.records_per_second > 0 FROM data_processing_jobs j "
                               "WHERE j.file_id = %s", file_id)  # fmt: skip
    assert job == [("succeeded", "stream", ROWS, ROWS, 0, len(expected), True)]


def test_published_file_is_loaded_once_with_the_scan_results(services, consumer, tmp_path):
    path = _new_file(tmp_path, "patients.csv", "healthcare", ROWS, seed=11)
    file_id, job_id = _publish(services, path, ROWS)
    consumer.start()
    _wait_for(lambda: _file_loaded(services.database_url, file_id), 60, consumer, "the file to load")
    _assert_exactly_once(services.database_url, file_id, path, tmp_path)
    assert heartbeat_fresh(services)

    # Every message of the topic (file-start and file-end on each partition too) is consumed, and
    # the stored offsets say so.
    topic = raw_topic("healthcare")
    _wait_for(lambda: _stored_offsets(services.database_url, topic) == _end_offsets(services, topic), 30,
              consumer, "the stored offsets to reach the end of the topic")  # fmt: skip
    # Raw rows are personal data: once committed (and caught up), the consumer deletes them.
    _wait_for(lambda: {p: low for p, (low, _high) in _watermarks(services, topic).items()}
              == _stored_offsets(services.database_url, topic), 30, consumer,
              "the committed raw messages to be deleted from the topic")  # fmt: skip
    audits = _query(services.database_url, "SELECT details FROM system_audit_log WHERE action = 'loaded' "
                                           "AND object_type = 'data_processing_job' AND object_id = %s", str(job_id))  # fmt: skip
    assert len(audits) == 1 and audits[0][0]["records_loaded"] == ROWS
    assert consumer.stop() == 0
    assert "stream consumer stopped" in consumer.log()


def test_consumer_killed_mid_file_resumes_exactly_once(services, consumer, tmp_path):
    path = _new_file(tmp_path, "claims.csv", "healthcare", ROWS, seed=12)
    file_id, _ = _publish(services, path, ROWS)
    consumer.start()

    def partly_loaded() -> bool:
        return (
            _query(services.database_url, "SELECT count(*) FROM data_records WHERE file_id = %s", file_id)[0][
                0
            ]
            > 0
        )

    _wait_for(partly_loaded, 60, consumer, "the first rows")
    consumer.kill()  # SIGKILL: no cleanup, possibly inside a transaction
    loaded = _query(services.database_url, "SELECT count(*) FROM data_records WHERE file_id = %s", file_id)[
        0
    ][0]
    assert 0 < loaded < ROWS, "the kill should land mid-file"
    assert not _file_loaded(services.database_url, file_id)

    consumer.start()
    _wait_for(
        lambda: _file_loaded(services.database_url, file_id), 60, consumer, "the file to load after restart"
    )
    _assert_exactly_once(services.database_url, file_id, path, tmp_path)
    assert consumer.stop() == 0


def _dead_letters(bootstrap: str, expected: int) -> list:
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-dlq-{uuid.uuid4()}",
                       "auto.offset.reset": "earliest", "session.timeout.ms": 6000})  # fmt: skip
    reader.subscribe([DEAD_LETTER_TOPIC])
    found, deadline = [], time.monotonic() + 20
    try:
        while len(found) < expected and time.monotonic() < deadline:
            found += [m for m in reader.consume(100, 0.5) if not m.error()]
    finally:
        reader.close()
    return found


def test_poison_messages_are_dead_lettered_and_the_stream_goes_on(services, consumer, tmp_path):
    # Quarantine rows of earlier tests on the shared database (test_stream_offsets dead-letters
    # hand-made messages) are not this test's.
    ((since,),) = _query(services.database_url, "SELECT coalesce(max(id), 0) FROM data_quarantine")
    first = _new_file(tmp_path, "accounts.csv", "financial", 300, seed=13)
    first_id, first_job = _publish(services, first, 300, "financial")
    topic = raw_topic("financial")
    row_headers = [(HEADER_KIND, KIND_ROW.encode()), (HEADER_FILE_ID, str(first_id).encode())]
    poison = [
        (b"not json at all", None, []),  # no headers: not even a file is known
        (b'{"name": "Ann"}', f"{first_id}:bad".encode(), row_headers),  # row without _row
        (b"[1, 2, 3]", f"{first_id}:7".encode(), row_headers),  # not an object
    ]
    producer = Producer({"bootstrap.servers": services.kafka_bootstrap_servers})
    for value, key, headers in poison:
        producer.produce(topic, value=value, key=key, headers=headers)
    assert producer.flush(10) == 0
    second = _new_file(tmp_path, "payments.csv", "financial", 300, seed=14)
    second_id, _ = _publish(services, second, 300, "financial")

    consumer.start()
    _wait_for(
        lambda: _file_loaded(services.database_url, second_id), 60, consumer, "the file after the poison"
    )
    assert _file_loaded(services.database_url, first_id)
    for file_id in (first_id, second_id):
        count = _query(services.database_url, "SELECT count(*) FROM data_records WHERE file_id = %s", file_id)
        assert count == [(300,)]

    dead = _dead_letters(services.kafka_bootstrap_servers, len(poison))
    ours = [m for m in dead if dict(m.headers() or []).get(HEADER_DLQ_SOURCE, b"").startswith(topic.encode())]
    assert sorted(m.value() for m in ours) == sorted(value for value, _, _ in poison)
    assert all(dict(m.headers())[HEADER_DLQ_REASON] for m in ours)

    quarantine = _query(services.database_url, "SELECT file_id, job_id, row_number, reason FROM data_quarantine "
                                                "WHERE reason LIKE 'dead-lettered stream message%%' AND id > %s",
                       since)  # fmt: skip
    assert len(quarantine) == len(poison)
    by_file = {(f, j, r) for f, j, r, _ in quarantine if f is not None}
    assert by_file == {(first_id, first_job, None), (first_id, first_job, 7)}  # row from the key
    reasons = " ".join(reason for *_, reason in quarantine)
    assert "header" in reasons and "missing or invalid _row" in reasons and "not an object" in reasons
    assert "Ann" not in reasons and "not json at all" not in reasons  # reasons never quote the message
    assert consumer.stop() == 0


def _publish_job(services: Settings, path: Path, file_id: int, job_id: int, rows: int) -> None:
    announced = publish_file(path, file_id=file_id, job_id=job_id, domain="auto",
                             bootstrap=services.kafka_bootstrap_servers, s=services)  # fmt: skip
    assert announced == rows


def _new_job(database_url: str, file_id: int) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        return start_job(conn, file_id, "stream", "test: reprocess")


def _job_complete(database_url: str, job_id: int) -> bool:
    with psycopg.connect(database_url) as conn:
        progress = file_progress(conn, job_id)
    return progress is not None and progress.completed


def test_reprocess_replaces_the_earlier_job_exactly_once(services, consumer, tmp_path):
    """A second job of the same file (published twice, as a retried publish task does) replaces
    the first job's rows, violations and quarantine rows; a late message of the first job is
    ignored."""
    url = services.database_url
    path = _new_file(tmp_path, "encounters.csv", "healthcare", ROWS, seed=15)
    file_id, first_job = _publish(services, path, ROWS)
    consumer.start()
    _wait_for(lambda: _job_complete(url, first_job), 60, consumer, "the first job")
    with psycopg.connect(url, autocommit=True) as conn:  # a stale quarantine row of the first job
        conn.execute("INSERT INTO data_quarantine (file_id, job_id, row_number, reason) VALUES (%s, %s, 0, 'x')",
                     (file_id, first_job))  # fmt: skip

    second_job = _new_job(url, file_id)
    _publish_job(services, path, file_id, second_job, ROWS)
    _publish_job(services, path, file_id, second_job, ROWS)  # the publish task retried
    _wait_for(lambda: _job_complete(url, second_job), 60, consumer, "the second job")

    # A row of the first job arriving late changes nothing and is not dead-lettered.
    topic = raw_topic("healthcare")
    late = Producer({"bootstrap.servers": services.kafka_bootstrap_servers})
    headers = [(HEADER_KIND, KIND_ROW.encode()), (HEADER_FILE_ID, str(file_id).encode()),
               (HEADER_JOB_ID, str(first_job).encode())]  # fmt: skip
    delivered = []
    late.produce(topic, value=b'{"_row": 1, "patient_name": "Late Row"}', key=f"{file_id}:1".encode(),
                 headers=headers, on_delivery=lambda err, msg: delivered.append((err, msg.partition(), msg.offset())))  # fmt: skip
    assert late.flush(10) == 0
    ((error, partition, offset),) = delivered
    assert error is None
    # Consumed = its own partition's stored offset is past it (the batch that read it committed).
    _wait_for(lambda: _stored_offsets(url, topic).get(partition, 0) > offset, 30, consumer,
              f"the late message (partition {partition}, offset {offset}) to be consumed")  # fmt: skip

    _assert_records_of(url, file_id, second_job, path, tmp_path)
    assert _query(url, "SELECT count(*) FROM data_quarantine WHERE file_id = %s", file_id) == [(0,)]
    jobs = _query(url, "SELECT id, status, records_loaded FROM data_processing_jobs WHERE file_id = %s "
                       "ORDER BY id", file_id)  # fmt: skip
    assert jobs == [(first_job, "succeeded", ROWS), (second_job, "succeeded", ROWS)]
    with psycopg.connect(url) as conn:
        first, second = file_progress(conn, first_job), file_progress(conn, second_job)
    assert first.superseded_by == second_job and second.superseded_by is None
    assert second.republished and second.rows_loaded == ROWS and second.rows_total == ROWS
    assert consumer.stop() == 0


def _assert_records_of(database_url: str, file_id: int, job_id: int, path: Path, tmp_path: Path) -> None:
    """The file's rows and violations are exactly the scan's, once, all of `job_id`."""
    rows = _query(database_url, "SELECT count(*), count(DISTINCT row_number), min(job_id), max(job_id) "
                                "FROM data_records WHERE file_id = %s", file_id)[0]  # fmt: skip
    assert rows == (ROWS, ROWS, job_id, job_id)
    stored = _query(database_url, "SELECT row_number, field, violation_type, job_id "
                                  "FROM data_compliance_violations WHERE file_id = %s", file_id)  # fmt: skip
    expected, scanned_rows = _scan(path, tmp_path)
    assert len(stored) == len(expected) and {(r, f, t) for r, f, t, _ in stored} == expected
    assert {job for *_, job in stored} == {job_id}
    payloads = dict(
        _query(database_url, "SELECT row_number, payload FROM data_records WHERE file_id = %s", file_id)
    )
    assert [payloads[row] for row in range(ROWS)] == scanned_rows
    _assert_token_keys(database_url, file_id)


class _FakeMessage:
    def __init__(self, offset: int) -> None:
        self._offset = offset

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return "t"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset


class _FakeConsumer:
    """Records the calls MicroBatcher makes; serves the messages produced to partition t[0]
    unless paused, and reports the partition's end as its cached high watermark."""

    def __init__(self, produced: int) -> None:
        self.end, self.next, self.paused, self.calls = produced, 0, False, []

    def consume(self, count: int, timeout: float) -> list[_FakeMessage]:
        self.calls.append(("consume", count, timeout, self.paused))
        if self.paused:
            return []
        taken = [_FakeMessage(offset) for offset in range(self.next, min(self.next + count, self.end))]
        self.next += len(taken)
        return taken

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition("t", 0)]

    def get_watermark_offsets(self, _partition: TopicPartition, cached: bool) -> tuple[int, int]:
        assert cached  # never a broker round trip per poll
        return 0, self.end

    def pause(self, _partitions: list) -> None:
        self.paused = True
        self.calls.append(("pause",))

    def resume(self, _partitions: list) -> None:
        self.paused = False
        self.calls.append(("resume",))

    def list_topics(self, topic: str, timeout: float) -> None:
        self.calls.append(("metadata", topic))


def test_batches_take_what_is_fetched_without_waiting_for_more():
    fake = _FakeConsumer(produced=25)
    batcher = MicroBatcher(fake, limit=10, wait_s=0.5)
    assert [len(batcher.next_batch()) for _ in range(3)] == [10, 10, 5]
    # Wait only for the first message of a batch; the rest is what is already there.
    assert fake.calls[:2] == [("consume", 1, 0.5, False), ("consume", 9, 0, False)]
    assert fake.calls[-2:] == [("consume", 9, 0, False), ("pause",)] and not batcher.idle
    assert batcher.positions == {("t", 0): 25}


def test_a_partition_read_to_its_end_is_paused_while_the_batch_is_processed():
    """No fetch loop against the end of the log while a batch is processed; the next wait
    fetches again, woken by a metadata request."""
    fake = _FakeConsumer(produced=4)
    batcher = MicroBatcher(fake, limit=10, wait_s=0.5)
    assert len(batcher.next_batch()) == 4
    assert fake.calls[-1] == ("pause",) and fake.paused
    fake.end, fake.calls = 6, []
    assert [m.offset() for m in batcher.next_batch()] == [4, 5]
    assert fake.calls[:3] == [("resume",), ("metadata", "t"), ("consume", 1, 0.5, False)]
    # Behind the end (more produced than a batch takes), the partition keeps fetching.
    fake.end, fake.calls = 30, []
    assert len(batcher.next_batch()) == 10
    assert ("pause",) not in fake.calls[2:] and not fake.paused


def test_an_idle_consumer_pauses_fetching_between_short_probes():
    fake = _FakeConsumer(produced=0)
    batcher = MicroBatcher(fake, limit=10, wait_s=0.5, probe_s=0.05)
    assert batcher.next_batch() == [] and batcher.idle
    fake.calls.clear()
    for _ in range(3):
        assert batcher.next_batch() == []
    cycle = [
        ("pause",),
        ("consume", 1, 0.5, True),
        ("resume",),
        ("metadata", "t"),
        ("consume", 1, 0.05, False),
    ]
    assert fake.calls == cycle * 3  # unpaused, it only ever waits a probe
    fake.end = 3
    assert [m.offset() for m in batcher.next_batch()] == [0, 1, 2] and not batcher.idle


def test_a_consumer_behind_the_end_never_pauses():
    """A pause drops a fetch in flight: with unread messages known, the consumer keeps waiting."""
    fake = _FakeConsumer(produced=5)
    fake.consume = lambda count, timeout: fake.calls.append(("consume", count, timeout, fake.paused)) or []
    batcher = MicroBatcher(fake, limit=10, wait_s=0.5)
    batcher.positions[("t", 0)] = 2
    for _ in range(3):
        assert batcher.next_batch() == []
    assert fake.calls == [("consume", 1, 0.5, False)] * 3 and batcher.idle


def test_payload_json_is_the_rows_json_whatever_the_characters():
    values = [
        "plain",
        'quote " and \\ backslash',
        "new\nline\ttab\rcr",
        "bell \x07 and \x1f",
        None,
        "é ☃ 𝄞",
        "",
    ]
    batch = pa.RecordBatch.from_arrays(
        [pa.array(values), pa.array(["x"] * len(values))], names=['we"ird', "b"]
    )
    parsed = [json.loads(text) for text in payload_json(batch).to_pylist()]
    assert parsed == [{'we"ird': value, "b": "x"} for value in values]


def test_token_keys_are_postgresqls_whatever_the_characters(services):
    """The consumer's token keys of a payload are what sdp_token_keys finds in the jsonb PostgreSQL
    parses from the payload JSON: tokens whole or in text, near misses, escapes, a key's digest."""
    digest = "abcdefghijklmnopqrstuvwx"
    values = [f"SSN_k1_{digest}", f"call PHONE_k1_{digest[::-1]}_0042 or _{'234567' * 4}",
              f"__{digest.upper()}_{digest[:23]}", f'"_{digest}"\\_{digest}\n\x07_{digest}ü', "", None]  # fmt: skip
    batch = pa.RecordBatch.from_arrays(
        [pa.array(values), pa.array(values[::-1]), pa.array(["x"] * len(values))],
        names=["notes", 'we"ird', f"key_{'q' * 24}"],
    )
    rows = list(zip(payload_json(batch).to_pylist(), token_keys(batch).to_pylist(), strict=True))
    with psycopg.connect(services.database_url) as conn:
        found = conn.execute(
            """SELECT keys::bigint[] = sdp_token_keys(payload::jsonb), cardinality(keys::bigint[])
               FROM unnest(%s::text[], %s::text[]) AS t (payload, keys)""",
            ([payload for payload, _ in rows], [keys for _, keys in rows]),
        ).fetchall()
    assert [same for same, _ in found] == [True] * len(values)
    assert max(count for _, count in found) >= 3


def test_a_load_on_another_route_fences_the_files_waiting_stream_job(services, consumer, tmp_path):
    """A batch reprocess loads while the stream job's messages still wait (consumer down): when
    they arrive they are ignored, the stream job fails as superseded, the file keeps the batch
    job's results only, and nothing is dead-lettered or quarantined."""
    url = services.database_url
    path = _new_file(tmp_path, "admissions.csv", "healthcare", ROWS, seed=17)
    file_id, stream_job = _publish(services, path, ROWS)
    with psycopg.connect(url, autocommit=True) as conn:
        batch_job = start_job(conn, file_id, "spark", "test: batch reprocess")
    write_staged(tmp_path / "staged", sha256_of(path), records_in=ROWS, quarantined=())
    load_staged(url, tmp_path / "staged", file_id=file_id, job_id=batch_job, reprocess=True)

    consumer.start()
    topic = raw_topic("healthcare")
    _wait_for(lambda: _stored_offsets(url, topic) == _end_offsets(services, topic), 60, consumer,
              "the stream job's messages to be consumed")  # fmt: skip
    by_job = "SELECT job_id, count(*) FROM data_records WHERE file_id = %s GROUP BY job_id"
    assert _query(url, by_job, file_id) == [(batch_job, ROWS)]
    assert _query(url, "SELECT count(*) FROM data_quarantine WHERE file_id = %s", file_id) == [(0,)]
    with psycopg.connect(url) as conn:
        progress = file_progress(conn, stream_job)
    assert progress.superseded_by == batch_job and not progress.completed and progress.rows_loaded == 0
    statuses = dict(_query(url, "SELECT id, status FROM data_processing_jobs WHERE file_id = %s", file_id))
    assert statuses == {stream_job: "failed", batch_job: "succeeded"}
    log = consumer.log()
    assert "WARNING sdp.streaming.consumer: dead-lettered" not in log
    # Every message of the job was ignored: its rows and the file-start / file-end of each partition.
    ignored = sum(int(count) for count in re.findall(r"(\d+) of replaced jobs ignored", log))
    assert ignored == ROWS + 2 * len(_end_offsets(services, topic))
    assert consumer.stop() == 0


def _members_env(services: Settings, stream_env: dict[str, str]) -> dict[str, str]:
    """A two-member service in a group of its own, starting where everything before it was
    consumed (static members of the shared group would wait out the broker's rebalance timeout
    for the stopped single member)."""
    group = f"test-members-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(services.database_url, autocommit=True) as conn:
        for topic in raw_topics():
            for partition, offset in _end_offsets(services, topic).items():
                conn.execute("INSERT INTO stream_offsets (consumer_group, topic, partition, next_offset) "
                             "VALUES (%s, %s, %s, %s)", (group, topic, partition, offset))  # fmt: skip
    return stream_env | {"SDP_STREAM_CONSUMER_GROUP": group, "SDP_STREAM_CONSUMER_PROCESSES": "2"}


def test_a_service_of_two_member_processes_loads_each_row_once(services, stream_env, tmp_path):
    """SDP_STREAM_CONSUMER_PROCESSES=2: two group members share the partitions, the file is loaded
    exactly once, both heartbeats are fresh, and SIGTERM stops both cleanly."""
    url = services.database_url
    service = ConsumerProcess(_members_env(services, stream_env), tmp_path / "members.log").start()
    try:
        path = _new_file(tmp_path, "visits.csv", "healthcare", ROWS, seed=18)
        file_id, _ = _publish(services, path, ROWS)
        _wait_for(lambda: _file_loaded(url, file_id), 60, service, "the file to load")
        _assert_exactly_once(url, file_id, path, tmp_path)
        members = replace(services, stream_consumer_processes=2)
        assert heartbeat_fresh(members)
        log = service.log()
        assigned = re.findall(r"assigned (.*)", log)
        healthcare = [set(re.findall(r"sdp\.raw\.healthcare\[(\d+)\]", line)) for line in assigned[-2:]]
        assert len(assigned) >= 2 and all(healthcare) and not healthcare[0] & healthcare[1]
        assert {f"member={STREAM_TEST_INSTANCE}-{n}" for n in (0, 1)} <= set(re.findall(r"member=\S+", log))
        assert service.stop() == 0
        assert service.log().count("stream consumer stopped") == 2
    finally:
        if service.proc.poll() is None:
            service.kill()


def test_a_member_that_dies_stops_the_service_for_a_restart(services, stream_env, tmp_path):
    service = ConsumerProcess(_members_env(services, stream_env), tmp_path / "members.log").start()
    try:
        members = replace(services, stream_consumer_processes=2)
        _wait_for(lambda: heartbeat_fresh(members, since=service.started), 60, service, "both members")
        children = [child for child in psutil.Process(service.proc.pid).children()
                    if "spawn_main" in " ".join(child.cmdline())]  # not multiprocessing's resource tracker  # fmt: skip
        assert len(children) == 2
        children[0].kill()
        assert service.proc.wait(timeout=60) == 1  # the supervisor (stack manager, Docker) restarts it
        assert "stopped by itself; stopping the others" in service.log()
        assert not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in children)
    finally:
        if service.proc.poll() is None:
            service.kill()


class _FakeAdmin:
    def __init__(self) -> None:
        self.requests: list[dict[tuple[str, int], int]] = []

    def delete_records(self, partitions: list[TopicPartition]) -> dict:
        self.requests.append({(p.topic, p.partition): p.offset for p in partitions})
        return {}


def test_the_purger_deletes_a_backlog_in_one_request_once_caught_up():
    purger = ConsumedPurger("127.0.0.1:1", interval_s=3600)
    purger._admin = admin = _FakeAdmin()
    purger.committed({("t", 0): 10}, caught_up=False)
    purger.committed({("t", 1): 7}, caught_up=False)
    assert admin.requests == []  # still working through a backlog
    purger.committed({("t", 0): 20}, caught_up=True)
    assert admin.requests == [{("t", 0): 20, ("t", 1): 7}]
    purger.committed({("t", 0): 25}, caught_up=True)
    assert len(admin.requests) == 1  # within the interval: kept for later
    purger.flush()  # what the idle consumer does
    assert admin.requests[-1] == {("t", 0): 25}
    purger.committed({("t", 0): 25}, caught_up=True)
    purger.flush()
    assert len(admin.requests) == 2  # nothing new, nothing sent
