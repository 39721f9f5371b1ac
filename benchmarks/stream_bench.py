"""Stream route benchmarks on a private PostgreSQL + broker (state in .local/bench/stream-stack,
wiped on every run, free ports), with the consumer service as a real process
(`python -m include.streaming.consumer`, default settings, tokenize).

Throughput: `--records` generated healthcare rows (14 columns) are published as one file, then a
consumer is started. Records/s into PostgreSQL = rows / (the job's stream_file_state.started_at,
i.e. the start of the transaction of the first batch consumed -> the moment polling every 0.1 s
first sees the job complete). Beside it, the compliance core alone (CompliancePipeline.process with
the same classification and tokenizer) on the same rows cut into batches of the consumer's median
batch size: the ratio says how much the stream adds around the core.

Latency: a paced producer offers `--rate` records/s for `--seconds` (the project's producer and
message protocol). Per record: produce time = just before produce(); its partition and offset come
from the delivery report; commit time = the consumer's log line for the batch holding that offset,
which is written right after the batch's transaction committed (the log timestamp, ms resolution).
p50 / p99 of commit - produce over every record.

Idle CPU: after the latency run, the consumer's and the broker's CPU time over `--idle-seconds`
with nothing to consume (psutil).

    .venv/bin/python benchmarks/stream_bench.py [--records N] [--seconds S] [--rate R]
        [--idle-seconds S] [--only throughput|latency] [--keep-stack] [--results FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psutil
import psycopg
import pyarrow as pa
from common import BENCH_TOKEN_KEY, CACHE_DIR, ROOT, Result, add_results_argument, dataset, publish

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.io import FileReader
from compliance.pipeline import CompliancePipeline
from compliance.vocabulary import Domain
from include.db.files import register_file, set_file_status, sha256_of, start_job
from include.settings import Settings, load_settings
from include.stack.context import StackContext
from include.stack.manager import Stack
from include.stack.process import free_port
from include.streaming.producer import DeliveryCountingProducer, announce_file, publish_file, row_value
from include.streaming.status import file_progress
from include.streaming.topics import KIND_FILE_END, KIND_ROW, ensure_topics

STACK_DIR = CACHE_DIR / "stream-stack"
DOMAIN = "healthcare"
THROUGHPUT_GOAL = 50_000  # records/s
LATENCY_GOAL_S = 0.250  # p99
POLL_S = 0.1
INSTANCE = f"bench-{uuid.uuid4().hex[:8]}"
TIMEOUT_S = 1800.0
# "2026-01-01 12:00:00,123 INFO sdp.streaming.consumer: batch: 812 messages, ... offsets t[0]:5-9 t[1]:..."
_BATCH_LINE = re.compile(
    r"^(\S+ \S+),(\d{3}) INFO sdp\.streaming\.consumer: batch: (\d+) messages.*offsets (.*)$"
)
_OFFSETS = re.compile(r"(\S+)\[(\d+)\]:(\d+)-(\d+)")


@contextmanager
def private_stack(keep: bool, partitions: int, processes: int) -> Iterator[Settings]:
    """PostgreSQL + the broker in a fresh STACK_DIR on free ports; topics of `partitions`
    partitions, consumer services of `processes` member processes."""
    env = {
        "SDP_KAFKA_RAW_PARTITIONS": str(partitions),
        "SDP_STREAM_CONSUMER_PROCESSES": str(processes),
        "SDP_STATE_DIR": str(STACK_DIR),
        "SDP_POSTGRES_PORT": str(free_port()),
        "SDP_KAFKA_PORT": str(free_port()),
        "SDP_TOKEN_KEY": BENCH_TOKEN_KEY,
    }
    settings = load_settings(env)
    stack = Stack(settings, ["postgres", "kafka"])
    quiet = lambda _message: None  # noqa: E731
    stack.down(log=quiet)  # what an interrupted run left behind (this folder's pids only)
    shutil.rmtree(STACK_DIR, ignore_errors=True)
    started = time.perf_counter()
    stack.up(log=quiet)
    ensure_topics(settings.kafka_bootstrap_servers, settings)
    print(f"  stack up in {time.perf_counter() - started:.0f} s ({STACK_DIR})", file=sys.stderr)
    try:
        yield settings
    finally:
        if keep:
            print(f"  stack left running: {' '.join(f'{k}={v}' for k, v in env.items() if 'PORT' in k)}",
                  file=sys.stderr)  # fmt: skip
        else:
            stack.down(log=quiet)


class ConsumerService:
    """The consumer service as a subprocess logging to a file of its own."""

    def __init__(self, settings: Settings, log_file: Path) -> None:
        self.env = StackContext(settings).pipeline_env()
        # One static member id for every consumer of the run: the next one takes the partitions of
        # the one before at once (a static member does not leave the group when it stops).
        self.env.update(SDP_TOKEN_KEY=BENCH_TOKEN_KEY, SDP_STREAM_CONSUMER_INSTANCE=INSTANCE)
        self.log_file = log_file
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> ConsumerService:
        with open(self.log_file, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "include.streaming.consumer"],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def __exit__(self, *_exc: object) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def processes(self) -> list[psutil.Process]:
        """The service process and its member processes."""
        service = psutil.Process(self.proc.pid)
        return [service, *service.children(recursive=True)]

    def alive(self) -> None:
        if self.proc.poll() is not None:
            tail = "\n".join(self.log_file.read_text().splitlines()[-20:])
            raise SystemExit(f"stream_bench: the consumer exited with {self.proc.returncode}:\n{tail}")

    def batches(self) -> list[tuple[float, int, list[tuple[str, int, int, int]]]]:
        """(epoch seconds after commit, messages, [(topic, partition, first, last offset)]) per batch."""
        out = []
        for line in self.log_file.read_text().splitlines():
            match = _BATCH_LINE.match(line)
            if match:
                stamp, millis, messages, offsets = match.groups()
                at = time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000
                ranges = [(t, int(p), int(a), int(b)) for t, p, a, b in _OFFSETS.findall(offsets)]
                out.append((at, int(messages), ranges))
        return out


def new_job(settings: Settings, path: Path) -> tuple[int, int]:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        record = register_file(conn, path, sha256_of(path), path.stat().st_size, "csv")
        job_id = start_job(conn, record.id, "stream", "stream_bench")
        set_file_status(conn, record.id, "processing")
    return record.id, job_id


def wait_complete(settings: Settings, job_id: int, consumer: ConsumerService) -> tuple[float, dict]:
    """Poll until the job is complete; (epoch seconds when seen, progress counts + started_at)."""
    deadline = time.monotonic() + TIMEOUT_S
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            progress = file_progress(conn, job_id)
            if progress is not None and progress.completed:
                return time.time(), progress.counts() | {"started_at": progress.started_at.timestamp()}
            consumer.alive()
            time.sleep(POLL_S)
    raise SystemExit(f"stream_bench: job {job_id} not complete after {TIMEOUT_S:.0f} s")


def core_rate(path: Path, batch_rows: int) -> float:
    """Rows/s of the compliance core alone (tokenize) on the file cut into `batch_rows` batches."""
    reader = FileReader(path)
    batches, rows = [], []
    for chunk in reader:
        batches.append(chunk.batch)
        rows.append(chunk.rows)
    table = pa.Table.from_batches(batches)
    numbers = np.concatenate(rows)
    pipeline = CompliancePipeline(domain="auto", anonymize="tokenize",
                                  tokenizer=Tokenizer(TokenKey("bench", BENCH_TOKEN_KEY.encode())))  # fmt: skip
    pipeline.prepare(table.slice(0, min(batch_rows, table.num_rows)).to_batches()[0])
    cut = [b for b in table.to_batches(max_chunksize=batch_rows) if b.num_rows]
    started, offset = time.perf_counter(), 0
    for batch in cut:
        pipeline.process(batch, numbers[offset : offset + batch.num_rows])
        offset += batch.num_rows
    return table.num_rows / (time.perf_counter() - started)


def run_throughput(settings: Settings, records: int, scratch: Path) -> list[Result]:
    path, _ = dataset(DOMAIN, records)
    file_id, job_id = new_job(settings, path)
    started = time.perf_counter()
    published = publish_file(path, file_id=file_id, job_id=job_id, domain=DOMAIN,
                             bootstrap=settings.kafka_bootstrap_servers, s=settings)  # fmt: skip
    publish_s = time.perf_counter() - started
    broker, database = broker_processes(settings), postgres_processes(settings)
    quiet_s = wait_quiet(broker)
    broker_before, database_before = cpu_seconds(broker), cpu_seconds(database)
    with ConsumerService(settings, scratch / "throughput-consumer.log") as consumer:
        seen, progress = wait_complete(settings, job_id, consumer)
        # Read while the consumer's backend still exists (its CPU goes with it).
        consumer_cpu = cpu_seconds(consumer.processes())
        database_cpu = cpu_seconds(postgres_processes(settings)) - database_before
        batches = consumer.batches()
    broker_cpu = cpu_seconds(broker) - broker_before
    seconds = seen - progress["started_at"]
    rate = published / seconds
    sizes = [messages for _, messages, _ in batches]
    median_batch = int(statistics.median(sizes))
    core = core_rate(path, median_batch)
    label = f"{published:,} {DOMAIN} records"
    split = "/".join(
        f"{progress[k]:.1f}" for k in ("pre_processing_s", "pure_processing_s", "post_processing_s")
    )
    return [
        Result("stream", f"publish (producer), {label}", published / publish_s, "records/s"),
        Result("stream", f"core alone, tokenize, batches of {median_batch:,}, {label}", core, "rows/s"),
        Result(
            "stream",
            f"consumed -> committed in PostgreSQL, {label}",
            rate,
            "records/s",
            "core alone",
            rate / core,
            f"{len(sizes)} batches; decode/core/write {split} s; broker CPU meanwhile "
            f"{broker_cpu:.1f} s (quiet after publishing in {quiet_s:.0f} s); goal {THROUGHPUT_GOAL:,}",
        ),
        Result("stream", f"violations committed, {label}", progress["violations"] / published, "per record"),
        Result(
            "stream",
            f"CPU per record: consumer {settings.stream_consumer_processes} process(es) + PostgreSQL, {label}",
            (consumer_cpu + database_cpu) / published * 1e6,
            "us",
            note=f"consumer {consumer_cpu:.1f} s (start-up included) + PostgreSQL {database_cpu:.1f} s; "
            f"broker {broker_cpu:.1f} s",
        ),
    ]


def paced_publish(
    settings: Settings, path: Path, rate: float, seconds: float
) -> tuple[int, dict[tuple[str, int, int], int], np.ndarray, float]:
    """Publish the file's rows at `rate`/s for `seconds` as one job; returns (job id,
    {(topic, partition, offset): row}, produce epoch seconds per row, the rate achieved)."""
    file_id, job_id = new_job(settings, path)
    delivered: dict[tuple[str, int, int], int] = {}

    def on_delivery(error: object, message: object) -> None:
        if error is None and message.key() and not message.key().endswith((b":start", b":end")):
            delivered[(message.topic(), message.partition(), message.offset())] = int(
                message.key().split(b":")[1]
            )

    producer = DeliveryCountingProducer(settings.kafka_bootstrap_servers, {"on_delivery": on_delivery})
    reader = FileReader(path)
    limit = int(rate * seconds)
    sent_at = np.zeros(limit)
    pipeline = CompliancePipeline(domain="auto", anonymize="none")
    topic, headers, sent = "", {}, 0
    started = time.perf_counter()
    for chunk in reader:
        if not topic:
            pipeline.prepare(chunk.batch)
            topic, headers = announce_file(producer, file_id, job_id, Domain(pipeline.domain).value,
                                           pipeline.classes, "tokenize")  # fmt: skip
            started = time.perf_counter()
        names = chunk.batch.schema.names
        columns = [chunk.batch.column(i).to_pylist() for i in range(chunk.batch.num_columns)]
        for row, values in zip(chunk.rows.tolist(), zip(*columns, strict=True), strict=True):
            if sent == limit:
                break
            delay = started + sent / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent_at[sent] = time.time()
            producer.send(topic, f"{file_id}:{row}", row_value(names, values, row), headers[KIND_ROW])
            sent += 1
        if sent == limit:
            break
    producer.to_every_partition(topic, f"{file_id}:end", {"rows_total": sent}, headers[KIND_FILE_END])
    offered = sent / (time.perf_counter() - started)
    producer.finish()
    return job_id, delivered, sent_at, offered


def run_latency(
    settings: Settings, rate: float, seconds: float, idle_seconds: float, scratch: Path
) -> list[Result]:
    path, _ = dataset(DOMAIN, int(rate * seconds))
    with ConsumerService(settings, scratch / "latency-consumer.log") as consumer:
        time.sleep(3)  # joined its group and idle, as in production
        job_id, delivered, sent_at, offered = paced_publish(settings, path, rate, seconds)
        wait_complete(settings, job_id, consumer)
        time.sleep(2)  # the consumer goes idle
        idle = idle_cpu(settings, consumer, idle_seconds)
        batches = consumer.batches()
    committed_at: dict[int, float] = {}
    for at, _messages, ranges in batches:
        for topic, partition, first, last in ranges:
            for offset in range(first, last + 1):
                row = delivered.get((topic, partition, offset))
                if row is not None:
                    committed_at[row] = at
    latency = np.array([committed_at[row] - sent_at[row] for row in sorted(committed_at)])
    p50, p99 = np.percentile(latency, 50), np.percentile(latency, 99)
    label = f"{rate:,.0f} records/s offered for {seconds:g} s"
    sizes = [m for at, m, _ in batches if at >= sent_at[0]]
    note = (f"{len(latency):,} records, offered {offered:,.0f}/s; {len(sizes)} batches, "
            f"median {statistics.median(sizes):.0f} / max {max(sizes)} messages")  # fmt: skip
    consumer_cpu, broker_cpu = idle
    return [
        Result("stream", f"produce->committed p50, {label}", p50 * 1000, "ms", note=note),
        Result(
            "stream",
            f"produce->committed p99, {label}",
            p99 * 1000,
            "ms",
            "goal 250 ms",
            p99 / LATENCY_GOAL_S,
        ),
        Result("stream", f"produce->committed max, {label}", latency.max() * 1000, "ms"),
        Result(
            "stream",
            f"idle consumer CPU over {idle_seconds:g} s",
            consumer_cpu,
            "%",
            note=f"broker (noida-db) {broker_cpu:.1f} % meanwhile",
        ),
    ]


def broker_processes(settings: Settings) -> list[psutil.Process]:
    return [psutil.Process(pid) for pid in Stack(settings, ["kafka"]).pids().get("kafka", [])]


def postgres_processes(settings: Settings) -> list[psutil.Process]:
    """The server and its backends at the time of the call (their CPU is the database's share)."""
    out = []
    for pid in Stack(settings, ["postgres"]).pids().get("postgres", []):
        with contextlib.suppress(psutil.NoSuchProcess):  # a backend that just exited
            out.append(psutil.Process(pid))
    return out


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += sum(process.cpu_times()[:2])
    return total


def wait_quiet(broker: list[psutil.Process], timeout_s: float = 600.0) -> float:
    """Wait until the broker used under 10 % of a core in each of three seconds in a row; returns
    the seconds waited.

    noida-db rewrites its whole log as one JSON snapshot a moment after a change: after a large
    publish that takes a core for seconds to minutes (longer as the topic grows). A real Kafka
    broker does nothing of the kind, so the consumer's throughput is measured once the snapshot of
    the publish is written; what the broker spends during consumption is reported beside it."""
    started, quiet = time.monotonic(), 0
    while quiet < 3 and time.monotonic() - started < timeout_s:
        before = cpu_seconds(broker)
        time.sleep(1.0)
        quiet = quiet + 1 if cpu_seconds(broker) - before < 0.1 else 0
    return time.monotonic() - started


def idle_cpu(settings: Settings, consumer: ConsumerService, seconds: float) -> tuple[float, float]:
    """CPU % (of one core) of the consumer process and of the broker over `seconds`."""
    processes = consumer.processes()
    broker = broker_processes(settings)
    before, before_broker, started = cpu_seconds(processes), cpu_seconds(broker), time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    return 100 * (cpu_seconds(processes) - before) / elapsed, 100 * (
        cpu_seconds(broker) - before_broker
    ) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records of the throughput run")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the fixed-load run")
    parser.add_argument("--rate", type=float, default=5000.0, help="offered records/s of the fixed-load run")
    parser.add_argument("--idle-seconds", type=float, default=20.0, help="idle CPU measured over this long")
    parser.add_argument("--only", choices=["throughput", "latency"], help="run one of the two")
    parser.add_argument("--keep-stack", action="store_true", help="leave the stack running")
    parser.add_argument("--processes", type=int, default=1, help="member processes of the consumer service")
    parser.add_argument("--partitions", type=int, default=3, help="partitions of each raw topic")
    add_results_argument(parser)
    args = parser.parse_args()
    load = os.getloadavg()
    results: list[Result] = []
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    scratch = CACHE_DIR / f"stream-bench-{dt.datetime.now():%Y%m%d-%H%M%S}"
    scratch.mkdir()
    with private_stack(args.keep_stack, args.partitions, args.processes) as settings:
        if args.only in (None, "throughput"):
            results += run_throughput(settings, args.records, scratch)
        if args.only in (None, "latency"):
            results += run_latency(settings, args.rate, args.seconds, args.idle_seconds, scratch)
    after = os.getloadavg()
    print(f"load average before {load[0]:.2f} {load[1]:.2f}, after {after[0]:.2f} {after[1]:.2f}; "
          f"consumer logs in {scratch}", file=sys.stderr)  # fmt: skip
    publish(results, args.results)


if __name__ == "__main__":
    main()
