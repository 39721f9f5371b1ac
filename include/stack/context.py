"""Paths, secrets and environments shared by the services of the local stack."""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from include.settings import REPO_ROOT, Settings

# The OS user that runs PostgreSQL when the stack runs as root (postgres refuses to run as root).
POSTGRES_OS_USER = "sdp_postgres"
AIRFLOW_ADMIN = "admin"
# The stack's Airflow users, one per role of the compliance portal (plugins/): user -> Airflow role
# of the simple auth manager. viewer: reports and aggregates; analyst: tokenized records too;
# admin: uploads, processing and the vault. Each user's password is a generated secret.
AIRFLOW_USERS = {"viewer": "viewer", "analyst": "user", AIRFLOW_ADMIN: "admin"}

# Secrets the stack generates once (kept across make down / up); each a file of mode 0600.
_GENERATED_SECRETS = (
    "postgres.password",
    "sdp_writer.password",
    "sdp_reader.password",
    "sdp_analyst.password",
    "sdp_vault_admin.password",
    "airflow.password",
    "airflow_admin.password",
    "airflow_viewer.password",
    "airflow_analyst.password",
    "airflow_jwt_secret",
    "airflow_api_secret_key",
    "token.key",
    "vault.key",
)


@dataclass
class StackContext:
    settings: Settings

    @property
    def root(self) -> Path:
        return REPO_ROOT

    @property
    def state(self) -> Path:
        return self.settings.state_dir

    def pid_file(self, service: str) -> Path:
        return self.state / "run" / f"{service}.pid"

    def log_file(self, service: str) -> Path:
        return self.state / "logs" / f"{service}.log"

    @property
    def venv_bin(self) -> Path:
        return Path(sys.executable).parent

    @property
    def airflow_home(self) -> Path:
        return self.state / "airflow"

    @property
    def running_as_root(self) -> bool:
        return os.geteuid() == 0

    # -- secrets -------------------------------------------------------------------------------
    def ensure_secrets(self) -> None:
        directory = self.settings.secrets_dir
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        for name in _GENERATED_SECRETS:
            path = directory / name
            if not path.exists():
                path.touch(mode=0o600)
                path.write_text(secrets.token_urlsafe(32))

    def secret(self, name: str) -> str:
        return self.settings.local_secret(name)

    @property
    def token_key(self) -> str:
        """SDP_TOKEN_KEY when the operator set one, else the stack's generated key."""
        return self.settings.environ.get("SDP_TOKEN_KEY") or self.secret("token.key")

    @property
    def vault_key(self) -> str:
        """SDP_VAULT_KEY (the vault's master key) when the operator set one, else the stack's."""
        return self.settings.environ.get("SDP_VAULT_KEY") or self.secret("vault.key")

    def airflow_password(self, user: str) -> str:
        return self.secret(f"airflow_{user}.password")

    # -- environments --------------------------------------------------------------------------
    @cached_property
    def base_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{self.venv_bin}{os.pathsep}{env.get('PATH', '')}"
        return env

    def pipeline_env(self) -> dict[str, str]:
        """What every process running pipeline code sees: resolved settings, never defaults
        recomputed elsewhere."""
        s = self.settings
        env = dict(self.base_env)
        env.update(s.environ)
        env.update(
            SDP_STATE_DIR=str(s.state_dir),
            SDP_DATA_DIR=str(s.data_dir),
            SDP_DATABASE_URL=s.database_url,
            # Resolved too: with SDP_DATABASE_URL set, a child would otherwise think PostgreSQL is
            # external and fall back to SQLite for Airflow's metadata.
            SDP_AIRFLOW_DATABASE_URL=s.airflow_database_url,
            KAFKA_BOOTSTRAP_SERVERS=s.kafka_bootstrap_servers,
            SDP_TOKEN_KEY=self.token_key,
            SDP_VAULT_KEY=self.vault_key,
            # Spark binds to the loopback interface; the machine's hostname may not resolve.
            SPARK_LOCAL_IP="127.0.0.1",
            # Spark's Python workers run the core: the same interpreter as the driver.
            PYSPARK_PYTHON=str(self.venv_bin / "python"),
            PYTHONUNBUFFERED="1",
        )
        return env

    def airflow_env(self) -> dict[str, str]:
        s = self.settings
        env = self.pipeline_env()
        api_url = s.airflow_url
        env.update(
            AIRFLOW_HOME=str(self.airflow_home),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.root / "dags"),
            AIRFLOW__CORE__PLUGINS_FOLDER=str(self.root / "plugins"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            # The ingest DAGs run as soon as files land; nobody has to unpause them first.
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            # The default (32) forks 32 workers on a 2-core machine.
            AIRFLOW__CORE__PARALLELISM="4",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{api_url}/execution/",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=",".join(
                f"{user}:{role}" for user, role in AIRFLOW_USERS.items()
            ),
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(self.airflow_passwords_file),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=s.airflow_database_url,
            AIRFLOW__API__HOST=s.airflow_host,
            AIRFLOW__API__PORT=str(s.airflow_port),
            AIRFLOW__API__BASE_URL=api_url,
            AIRFLOW__API__WORKERS="1",
            AIRFLOW__API__SECRET_KEY=self.secret("airflow_api_secret_key"),
            AIRFLOW__API_AUTH__JWT_SECRET=self.secret("airflow_jwt_secret"),
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(s.airflow_log_port),
            AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(s.airflow_log_port + 1),
            # New DAG files appear within 30 s instead of the default 300 s.
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="30",
        )
        # The scheduler sleeps this long when a loop found nothing to do (Airflow's default 1 s): a
        # file's tasks run one after another, so each hand-over waited up to that long.
        env.setdefault("AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME", "0.25")
        # A task whose worker died (with the scheduler, or killed) is failed and retried after this
        # long without a heartbeat instead of Airflow's 300 s; live tasks heartbeat every few seconds.
        env.setdefault("AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT", "90")
        # Connections: local defaults unless the operator exported their own (a real Spark master).
        connections = {
            "AIRFLOW_CONN_SPARK_DEFAULT": {"conn_type": "spark", "host": "local[*]"},
            "AIRFLOW_CONN_FS_DEFAULT": {"conn_type": "fs", "extra": {"path": str(s.landing_dir)}},
            "AIRFLOW_CONN_KAFKA_DEFAULT": {
                "conn_type": "kafka",
                "extra": {"bootstrap.servers": s.kafka_bootstrap_servers},
            },
        }
        for name, value in connections.items():
            env.setdefault(name, json.dumps(value))
        return env

    @property
    def airflow_passwords_file(self) -> Path:
        """The simple auth manager's users and passwords: with the other secrets, 0600 in a 0700 dir."""
        return self.settings.secrets_dir / "airflow_passwords.json"

    def write_airflow_admin_password(self) -> str:
        """Write every stack user's password for the simple auth manager; returns the admin's."""
        path = self.airflow_passwords_file
        path.touch(mode=0o600)
        path.write_text(json.dumps({user: self.airflow_password(user) for user in AIRFLOW_USERS}))
        return self.airflow_password(AIRFLOW_ADMIN)
