"""Every setting of the platform, read from the environment with a local default, in one place.

Nothing else reads SDP_* / KAFKA_* variables: import `settings()` instead. The exceptions are
the keys, read where they are used because the core must work without this package: the
tokenization key (SDP_TOKEN_KEY / SDP_TOKEN_KEY_ID, `compliance.anonymize.tokenize`) and the
vault's master key (SDP_VAULT_KEY, `compliance.vault`; `sdp vault rotate` also reads the new key
from the variable its --new-key-env names). Neither is ever printed: `describe()` leaves them out. Passwords inside URLs are masked by `describe()`.
The readers' limits (SDP_MAX_LINE_BYTES, SDP_MAX_COLUMNS) are parsed by the core too, for the same
reason (`compliance.io_limits.ReadLimits`); `Settings.read_limits` parses the same variables.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path

from compliance.io_limits import ReadLimits

REPO_ROOT = Path(__file__).resolve().parent.parent
# All local state (databases, broker log, Airflow home, data zones) lives under one ignored folder.
DEFAULT_STATE_DIR = REPO_ROOT / ".local"
# JVMs that live for one file (the Spark driver, PyFlink's gateway with its mini cluster): start-up
# dominates, so the client compiler only and a serial GC. Measured on a loaded 2-core machine: an
# empty spark-submit job (with no web UI) 18-22 s -> 9-12 s launch to stop; the hybrid job on a 100k-row
# file 20-25 s -> 15 s, on a 1M-row file 38-44 s -> 34-37 s.
SHORT_LIVED_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
# spark-submit options of the batch route's job, for every launcher (DAG, tests, benchmarks): the
# driver only schedules Python tasks (the rows never enter the JVM); nobody reaches a per-file web UI.
SPARK_SUBMIT_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.extraJavaOptions": SHORT_LIVED_JVM_OPTIONS,
}


def spark_conf_args() -> list[str]:
    """SPARK_SUBMIT_CONF as spark-submit arguments (--conf key=value ...)."""
    return [part for key, value in SPARK_SUBMIT_CONF.items() for part in ("--conf", f"{key}={value}")]


class _Env:
    """Typed reads of one environment mapping; empty values mean "use the default"."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def str(self, name: str, default: str = "") -> str:
        value = self.environ.get(name, "").strip()
        return value or default

    def int(self, name: str, default: int) -> int:
        raw = self.str(name, str(default))
        try:
            return int(raw)
        except ValueError as exc:
            raise ValueError(f"{name} must be an integer, got {raw!r}") from exc

    def names(self, name: str) -> tuple[str, ...]:
        """A comma-separated list; blanks around and between items are dropped."""
        return tuple(item.strip() for item in self.str(name).split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    data_dir: Path
    # Empty means "the local stack's own embedded PostgreSQL" (its URL is then derived below).
    database_url_override: str
    postgres_port: int
    kafka_bootstrap_override: str
    kafka_port: int
    airflow_host: str
    airflow_port: int
    airflow_log_port: int
    airflow_database_url_override: str
    batch_min_bytes: int
    stream_max_bytes: int
    deadline_seconds: int
    task_retry_delay_seconds: int
    file_stable_seconds: float
    landing_poll_seconds: float
    ingest_parallel_files: int
    run_max_files: int
    group_min_files: int
    group_files: int
    group_journal_days: int
    spark_driver_memory: str
    validation_sample_rows: int
    urgent_max_bytes: int
    # Airflow connection ids alerts are sent through; each connection's conn_type picks the notifier.
    alert_connections: tuple[str, ...]
    # Recipients of the smtp-connection notifier.
    alert_email_to: tuple[str, ...]
    kafka_raw_retention_ms: int
    kafka_raw_partitions: int
    stream_consumer_group: str
    stream_consumer_instance: str
    stream_consumer_processes: int
    stream_batch_records: int
    stream_batch_wait_ms: int
    stream_wait_timeout_seconds: int
    stream_purge_interval_ms: int
    # The SDP_* / KAFKA_* variables these settings were read from, so processes started on their
    # behalf (the local stack, tests) see exactly the same settings.
    environ: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    # -- derived -----------------------------------------------------------------------------
    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def inbox_dir(self) -> Path:
        """Files claimed from the landing zone, waiting for or in processing."""
        return self.data_dir / "inbox"

    @property
    def history_dir(self) -> Path:
        """landing/history/YYYY-MM-DD/: partitions processed by the daily (backfillable) DAG."""
        return self.landing_dir / "history"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / "staging"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def read_limits(self) -> ReadLimits:
        """The readers' limits against hostile input (longest line, most columns)."""
        return ReadLimits.from_env(self.environ)

    @property
    def embedded_postgres(self) -> bool:
        return not self.database_url_override

    @property
    def embedded_kafka(self) -> bool:
        return not self.kafka_bootstrap_override

    @property
    def secrets_dir(self) -> Path:
        """Generated local secrets (passwords, token key); mode 0700, files 0600."""
        return self.state_dir / "secrets"

    def local_secret(self, name: str) -> str:
        """A secret generated by the local stack (`make up`); empty when not generated yet."""
        path = self.secrets_dir / name
        return path.read_text().strip() if path.exists() else ""

    def _embedded_url(self, role: str, database: str, driver: str = "postgresql") -> str:
        password = self.local_secret(f"{role}.password")
        return f"{driver}://{role}:{password}@127.0.0.1:{self.postgres_port}/{database}"

    @property
    def database_url(self) -> str:
        """The pipeline writer's connection URL (results database)."""
        return self.database_url_override or self._embedded_url("sdp_writer", "sdp")

    @property
    def reader_database_url(self) -> str:
        """Read-only reporting role; with an external database, the same URL as the writer."""
        return self.database_url_override or self._embedded_url("sdp_reader", "sdp")

    @property
    def analyst_database_url(self) -> str:
        """Analyst role: tokenized rows and aggregates, never the vault."""
        return self.database_url_override or self._embedded_url("sdp_analyst", "sdp")

    @property
    def vault_admin_database_url(self) -> str:
        """Vault administrator: the only role besides the owner that reads the vault."""
        return self.database_url_override or self._embedded_url("sdp_vault_admin", "sdp")

    @property
    def airflow_database_url(self) -> str:
        """Airflow's metadata DB: its own database in the embedded server, else SQLite."""
        if self.airflow_database_url_override:
            return self.airflow_database_url_override
        if self.embedded_postgres:
            return self._embedded_url("airflow", "airflow", driver="postgresql+psycopg2")
        return f"sqlite:///{self.state_dir / 'airflow' / 'airflow.db'}"

    @property
    def kafka_bootstrap_servers(self) -> str:
        return self.kafka_bootstrap_override or f"127.0.0.1:{self.kafka_port}"

    @property
    def airflow_url(self) -> str:
        return f"http://{self.airflow_host}:{self.airflow_port}"

    def describe(self) -> dict[str, str]:
        """Settings for logs and `status`: secrets masked."""
        out = {}
        for f in fields(self):
            if f.name == "environ":  # may hold SDP_TOKEN_KEY and SDP_VAULT_KEY
                continue
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = ",".join(value)
            out[f.name] = _mask_url(str(value))
        out["database_url"] = _mask_url(self.database_url)
        out["airflow_database_url"] = _mask_url(self.airflow_database_url)
        out["kafka_bootstrap_servers"] = self.kafka_bootstrap_servers
        return out


def _mask_url(value: str) -> str:
    """Hide the password of a URL like scheme://user:password@host/db."""
    if "://" in value and "@" in value:
        scheme, rest = value.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from an environment mapping (default: os.environ). Tests pass their own."""
    env = _Env(os.environ if environ is None else environ)
    state_dir = Path(env.str("SDP_STATE_DIR", str(DEFAULT_STATE_DIR))).resolve()
    return Settings(
        state_dir=state_dir,
        data_dir=Path(env.str("SDP_DATA_DIR", str(state_dir / "data"))).resolve(),
        database_url_override=env.str("SDP_DATABASE_URL"),
        postgres_port=env.int("SDP_POSTGRES_PORT", 5433),
        kafka_bootstrap_override=env.str("KAFKA_BOOTSTRAP_SERVERS"),
        kafka_port=env.int("SDP_KAFKA_PORT", 9092),
        airflow_host=env.str("SDP_AIRFLOW_HOST", "127.0.0.1"),
        airflow_port=env.int("SDP_AIRFLOW_PORT", 8080),
        # The scheduler's task-log server; the triggerer's uses the next port.
        airflow_log_port=env.int("SDP_AIRFLOW_LOG_PORT", 8793),
        airflow_database_url_override=env.str("SDP_AIRFLOW_DATABASE_URL"),
        batch_min_bytes=env.int("SDP_BATCH_MIN_BYTES", 50 * 1024 * 1024),
        stream_max_bytes=env.int("SDP_STREAM_MAX_BYTES", 5 * 1024 * 1024),
        deadline_seconds=env.int("SDP_DEADLINE_SECONDS", 1800),
        # How long Airflow waits before it retries a failed ingest task (one retry per task).
        task_retry_delay_seconds=max(env.int("SDP_TASK_RETRY_DELAY_SECONDS", 30), 0),
        # A landed file is picked up once its size and mtime have not changed for this long, so
        # half-written files are never read (uploads may also use a .tmp / .part name).
        file_stable_seconds=float(env.int("SDP_FILE_STABLE_SECONDS", 2)),
        landing_poll_seconds=float(env.int("SDP_LANDING_POLL_SECONDS", 2)),
        ingest_parallel_files=env.int("SDP_INGEST_PARALLEL_FILES", 2),
        # The most files one landing run maps (below Airflow's max_map_length, 1024): a drop of
        # thousands of files is taken in runs of this many, the rest wait in the landing zone.
        run_max_files=max(env.int("SDP_RUN_MAX_FILES", 500), 1),
        # A landing run that claims more than this many files takes its small ones (stream route
        # by size) in groups, one task per group instead of ten per file (include/ingest_group.py);
        # smaller runs keep one task group per file, each step visible in the UI.
        group_min_files=env.int("SDP_GROUP_MIN_FILES", 20),
        # The most files one group task takes (benchmarks/drop_bench.py measured the default).
        group_files=max(env.int("SDP_GROUP_FILES", 50), 1),
        # A group's retry journal (staging/groups/) is deleted this many days after its last line:
        # long after any retry of its task, short enough that the folder does not grow forever.
        group_journal_days=max(env.int("SDP_GROUP_JOURNAL_DAYS", 7), 1),
        # The batch job's JVM (local mode: driver and executor in one). Spark's 1g default leaves
        # ~430 MB for execution and the cache of the core's output: a 1M-row file failed with
        # UNABLE_TO_ACQUIRE_MEMORY in the count that fills the cache, on both tries.
        spark_driver_memory=env.str("SDP_SPARK_DRIVER_MEMORY", "3g"),
        # GX's per-value expectations read at most this many evenly spaced rows of each staged table:
        # enough to catch an anonymizer that mishandles a column, which it does on many rows; a lone
        # raw value is the residual-identifier check's, which reads every row (include/validation/run.py).
        validation_sample_rows=max(env.int("SDP_VALIDATION_SAMPLE_ROWS", 100_000), 1),
        urgent_max_bytes=env.int("SDP_URGENT_MAX_BYTES", 1024 * 1024),
        alert_connections=env.names("SDP_ALERT_CONNECTIONS"),
        alert_email_to=env.names("SDP_ALERT_EMAIL_TO"),
        kafka_raw_retention_ms=env.int("SDP_KAFKA_RAW_RETENTION_MS", 3_600_000),
        # Partitions of each sdp.raw.<domain> topic: how many stream consumers can share a domain.
        kafka_raw_partitions=env.int("SDP_KAFKA_RAW_PARTITIONS", 3),
        # The stream consumer's group; its offsets are stored in PostgreSQL (stream_offsets).
        stream_consumer_group=env.str("SDP_STREAM_CONSUMER_GROUP", "sdp-stream-consumer"),
        # Static group membership: a restarted consumer with the same id takes its partitions back
        # at once instead of after a rebalance. Unique per running consumer (one per host here).
        stream_consumer_instance=env.str("SDP_STREAM_CONSUMER_INSTANCE", f"{socket.gethostname()}-stream"),
        # Group members the consumer service runs, one process each (static ids <instance>-<n>
        # when more than one): a host with cores to spare consumes the partitions in parallel.
        stream_consumer_processes=max(env.int("SDP_STREAM_CONSUMER_PROCESSES", 1), 1),
        # A micro-batch takes at most this many messages: what is already fetched once the first
        # one arrived (small batches at low load, full ones under backlog). The wait is the longest
        # wait for a batch's first message, and how often an idle consumer looks for new ones.
        # 25k, not 10k: the core pays a fixed cost per batch (stream_bench, 300k rows: core 4.1 ->
        # 3.2 s, 12.0k -> 13.4k records/s committed).
        stream_batch_records=env.int("SDP_STREAM_BATCH_RECORDS", 25_000),
        stream_batch_wait_ms=env.int("SDP_STREAM_BATCH_WAIT_MS", 200),
        # The DAG waits (deferred, no worker slot) this long for the consumer to finish a file,
        # e.g. while the consumer service is down, before the run gives up and quarantines it.
        stream_wait_timeout_seconds=env.int("SDP_STREAM_WAIT_TIMEOUT_SECONDS", 6 * 3600),
        # Raw messages whose rows are committed in PostgreSQL are deleted from the broker (Kafka
        # DeleteRecords) at most this often; 0 leaves them to the topics' retention.
        stream_purge_interval_ms=env.int("SDP_STREAM_PURGE_INTERVAL_MS", 1000),
        environ={k: v for k, v in env.environ.items() if k.startswith(("SDP_", "KAFKA_"))},
    )


@cache
def settings() -> Settings:
    """The process's settings, read once from os.environ."""
    return load_settings()
