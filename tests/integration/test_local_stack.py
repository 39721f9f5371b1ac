"""`make up` from nothing, against the real processes: Airflow healthy, the printed login works
for the UI and the REST API, the results schema exists, the broker round-trips a message; `up`
again starts nothing; `down` leaves no process; `up` again resumes with the data intact."""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psutil
import psycopg
import pytest

from include.settings import load_settings
from include.stack.manager import Stack, StackError
from include.stack.services import airflow_health
from tests.conftest import isolated_stack_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RESULT_TABLES = {
    "data_files",
    "data_processing_jobs",
    "data_records",
    "data_compliance_violations",
    "data_quarantine",
    "system_audit_log",
    "pipeline_alerts",
}


@pytest.fixture(scope="module")
def fresh_stack():
    env = isolated_stack_env("fresh-stack-")
    state_dir = Path(env["SDP_STATE_DIR"])
    settings = load_settings(env)
    stack = Stack(settings)
    yield stack
    stack.down(log=lambda _m: None)
    shutil.rmtree(state_dir, ignore_errors=True)


def _post_json(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, {}


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


def test_stack_lifecycle(fresh_stack: Stack) -> None:
    settings = fresh_stack.ctx.settings
    started = time.monotonic()
    outcome = fresh_stack.up(log=lambda _m: None)
    healthy_after = time.monotonic() - started
    assert set(outcome.values()) == {"started"}
    health = airflow_health(fresh_stack.ctx)
    assert {c: health[c]["status"] for c in ("metadatabase", "scheduler", "triggerer", "dag_processor")} == {
        "metadatabase": "healthy",
        "scheduler": "healthy",
        "triggerer": "healthy",
        "dag_processor": "healthy",
    }
    print(f"\nmake up from nothing -> Airflow health all healthy in {healthy_after:.1f} s")

    # The printed login works against the REST API (token) and the UI (login page + token).
    user, password = fresh_stack.login()
    assert password and len(password) >= 20
    status, body = _post_json(f"{settings.airflow_url}/auth/token", {"username": user, "password": password})
    assert status == 201 or status == 200, status
    token = body["access_token"]
    status, payload = _get(f"{settings.airflow_url}/api/v2/dags", token)
    assert status == 200 and "dags" in json.loads(payload)
    assert _get(f"{settings.airflow_url}/api/v2/dags")[0] == 401
    bad_status, _ = _post_json(f"{settings.airflow_url}/auth/token", {"username": user, "password": "wrong"})
    assert bad_status in (401, 403)
    status, page = _get(f"{settings.airflow_url}/auth/login")
    assert status == 200 and b"<html" in page.lower()

    # The results schema exists with its recorded version; the reader role can read, not write.
    with psycopg.connect(settings.database_url) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert tables >= RESULT_TABLES | {"schema_migrations"}
        version = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
        assert version >= 1
        conn.execute(
            "INSERT INTO system_audit_log (actor, action, object_type, object_id) VALUES (%s, %s, %s, %s)",
            ("test", "persisted", "test", "marker"),
        )
    with psycopg.connect(settings.reader_database_url) as conn:
        assert conn.execute("SELECT count(*) FROM data_files").fetchone()[0] == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO system_audit_log (actor, action, object_type) VALUES ('x', 'y', 'z')")

    _kafka_round_trip(settings.kafka_bootstrap_servers)

    # up again: nothing new.
    pids_before = fresh_stack.pids()
    assert set(fresh_stack.up(log=lambda _m: None).values()) == {"running"}
    assert {k: v[0] for k, v in fresh_stack.pids().items()} == {k: v[0] for k, v in pids_before.items()}

    # A taken port is a one-line error naming the port and the variable.
    other = Stack(
        load_settings(
            {
                "SDP_STATE_DIR": str(settings.state_dir / "other-state"),
                "SDP_POSTGRES_PORT": str(settings.postgres_port),
            }
        ),
        ["postgres"],
    )
    with pytest.raises(StackError, match=rf"port {settings.postgres_port} .*SDP_POSTGRES_PORT"):
        other.up(log=lambda _m: None)

    # down: no process of the stack is left (checked by pid), state kept.
    all_pids = [pid for pids in pids_before.values() for pid in pids]
    assert len(fresh_stack.down(log=lambda _m: None)) == len(pids_before)
    assert not [pid for pid in all_pids if psutil.pid_exists(pid) and _not_zombie(pid)]
    assert (settings.state_dir / "postgres" / "data" / "PG_VERSION").exists()

    # up again: resumes with data intact.
    fresh_stack.up(log=lambda _m: None)
    with psycopg.connect(settings.database_url) as conn:
        marker = conn.execute("SELECT count(*) FROM system_audit_log WHERE object_id = 'marker'").fetchone()[
            0
        ]
    assert marker == 1


def _not_zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _kafka_round_trip(bootstrap: str) -> None:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"stack-check-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)]).values():
        future.result(timeout=10)
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, key=b"k", value=b"round-trip")
    assert producer.flush(10) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"g-{topic}",
            "auto.offset.reset": "earliest",
            # The Kafka-protocol brokers used locally need an explicit, short session timeout.
            "session.timeout.ms": 6000,
        }
    )
    consumer.subscribe([topic])
    deadline = time.monotonic() + 30
    received = None
    while time.monotonic() < deadline and received is None:
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            received = message.value()
    consumer.close()
    assert received == b"round-trip"
