"""`make up` from nothing, against the real processes: Airflow healthy, the printed login works
for the UI and the REST API, the results schema exists, the broker round-trips a message; `up`
again starts nothing; `down` leaves no process; `up` again resumes with the data intact. Then the
supervisor: services killed with SIGKILL come back and are counted, a service that keeps failing
at start is given up (FATAL), and `down` stops everything even with the state files deleted."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psutil
import psycopg
import pytest

from include.portal.config import load_portal_config
from include.portal.processors import stream_status
from include.settings import load_settings
from include.stack.manager import ServiceStatus, Stack, StackError
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

    # down: no process of the stack is left (checked by pid and in /proc), state kept.
    all_pids = [pid for pids in pids_before.values() for pid in pids]
    assert len(fresh_stack.down(log=lambda _m: None)) == len(pids_before)
    assert not [pid for pid in all_pids if psutil.pid_exists(pid) and _not_zombie(pid)]
    assert _stack_processes(settings.state_dir) == []
    assert (settings.state_dir / "postgres" / "data" / "PG_VERSION").exists()

    # up again: resumes with data intact.
    fresh_stack.up(log=lambda _m: None)
    with psycopg.connect(settings.database_url) as conn:
        marker = conn.execute("SELECT count(*) FROM system_audit_log WHERE object_id = 'marker'").fetchone()[
            0
        ]
    assert marker == 1


def test_killed_services_are_restarted(fresh_stack: Stack) -> None:
    """SIGKILL to the stream consumer and the Airflow triggerer: the supervisor starts each again
    (new pid, running and ready), counts the restart and reports the signal; the rest is
    untouched. The portal's processor status shows the consumer's supervisor state."""
    fresh_stack.up(log=lambda _m: None)
    victims = ("stream-consumer", "airflow-triggerer")
    # Past their minimum uptime first: a kill before it is a failed start, not a crash.
    before = _wait_status(fresh_stack, lambda rows: all(rows[n].state == "RUNNING" for n in victims))
    assert all(before[name].state == "RUNNING" and before[name].restarts == 0 for name in victims)
    for name in victims:
        os.kill(before[name].pid, signal.SIGKILL)
    after = _wait_status(
        fresh_stack,
        # RUNNING: up past its minimum uptime (Airflow's health alone may still count the old run).
        lambda rows: all(
            rows[n].state == "RUNNING" and rows[n].ready and rows[n].pid != before[n].pid for n in victims
        ),
    )
    for name in victims:
        assert (after[name].state, after[name].restarts, after[name].last_exit) == ("RUNNING", 1, "SIGKILL")
    for name, row in before.items():
        if name not in victims:
            assert (after[name].pid, after[name].restarts) == (row.pid, 0), name
    supervised = stream_status(load_portal_config(fresh_stack.ctx.settings))["consumer_supervisor"]
    assert (supervised["state"], supervised["restarts"], supervised["last_exit"]) == ("RUNNING", 1, "SIGKILL")


def test_down_without_state_files(fresh_stack: Stack) -> None:
    """With run/ deleted (pid files, the supervisor's socket and config), `down` finds the stack's
    processes in /proc and stops every one of them."""
    state_dir = fresh_stack.ctx.settings.state_dir
    running = _stack_processes(state_dir)
    assert len(running) > len(fresh_stack.services)
    # The running services still write into run/ (a pid file, a heartbeat) while it is removed, so
    # one pass may find a new file ("Directory not empty"): retry until a pass leaves nothing.
    for _ in range(50):
        shutil.rmtree(state_dir / "run", ignore_errors=True)
        if not (state_dir / "run").exists():
            break
        time.sleep(0.1)
    stopped = fresh_stack.down(log=lambda _m: None)
    # The stream consumer may be between two runs: it exits when its heartbeat folder vanishes.
    assert set(stopped) >= {s.name for s in fresh_stack.services} - {"stream-consumer"}
    assert _stack_processes(state_dir) == []
    assert not [p.pid for p in running if p.is_running() and _not_zombie(p.pid)]


def test_gives_up_after_fast_failures() -> None:
    """A service that exits at once on every start (the consumer, given a vault key too short to
    use) is retried with backoff, then given up: `up` says so and `status` shows FATAL."""
    env = isolated_stack_env("fatal-stack-", SDP_VAULT_KEY="too-short")
    state_dir = Path(env["SDP_STATE_DIR"])
    stack = Stack(load_settings(env), ["stream-consumer"])
    try:
        with pytest.raises(
            StackError, match=r"stream-consumer exited during start, given up after 3 retries"
        ):
            stack.up(log=lambda _m: None)
        (row,) = stack.status()
        assert (row.state, row.pid, row.restarts, row.last_exit) == ("FATAL", None, 3, "exit 1")
        assert "too-short" not in (state_dir / "logs" / "stream-consumer.log").read_text()
    finally:
        stack.down(log=lambda _m: None)
        assert _stack_processes(state_dir) == []
        shutil.rmtree(state_dir, ignore_errors=True)


def _wait_status(stack: Stack, done, timeout: float = 300) -> dict[str, ServiceStatus]:
    deadline = time.monotonic() + timeout
    rows = {row.name: row for row in stack.status()}
    while not done(rows) and time.monotonic() < deadline:
        time.sleep(2)
        rows = {row.name: row for row in stack.status()}
    return rows


def _stack_processes(state_dir: Path) -> list[psutil.Process]:
    """Processes that name the state folder in their command line, environment or open standard
    streams, read from /proc independently of the stack's own lookup; never this test process
    or its ancestors."""
    needle = str(state_dir).encode()
    spare = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    out = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        pid = int(proc_dir.name)
        if pid in spare or not _not_zombie(pid):
            continue
        texts = []
        for name in ("cmdline", "environ"):
            try:
                texts.append((proc_dir / name).read_bytes())
            except OSError:
                continue
        for fd in ("0", "1", "2"):
            try:
                texts.append(os.readlink(proc_dir / "fd" / fd).encode())
            except OSError:
                continue
        if any(needle + b"/" in text or needle + b"\0" in text or text.endswith(needle) for text in texts):
            try:
                out.append(psutil.Process(pid))
            except psutil.NoSuchProcess:
                continue
    return out


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
