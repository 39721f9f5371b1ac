"""A private local stack for the benchmarks that run files through Airflow (ingest_bench, e2e_bench):
PostgreSQL, the broker, the stream consumer and Airflow on free ports, state in a folder of the
bench's own under .local/bench/, so `make up`'s stack and other benches are never touched; the
database benches (load_bench, erasure_bench) start its PostgreSQL alone. Also the helpers the
Airflow benches share: dropping a file by atomic rename, the Airflow metadata DB and token.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from common import BENCH_TOKEN_KEY

from include.settings import Settings, load_settings
from include.stack.context import AIRFLOW_ADMIN, StackContext
from include.stack.manager import Stack
from include.stack.process import free_port, free_port_pair

STACK_SERVICES = [
    "postgres",
    "kafka",
    "stream-consumer",
    "airflow-api-server",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
]
# data_files statuses after which nothing more happens to a file.
FINAL_STATUSES = ("loaded", "quarantined", "duplicate", "failed")
POLL_SECONDS = 0.25


@contextmanager
def private_stack(
    state_dir: Path, keep: bool, *, fresh: bool = False, services: list[str] | None = None
) -> Iterator[Settings]:
    """The stack's `services` (all by default) in `state_dir` on free ports (never the default
    ones), stopped on exit unless `keep`. `fresh` starts from an empty state (no database rows of
    an earlier run)."""
    env = {
        "SDP_STATE_DIR": str(state_dir),
        "SDP_POSTGRES_PORT": str(free_port()),
        "SDP_KAFKA_PORT": str(free_port()),
        "SDP_AIRFLOW_PORT": str(free_port()),
        "SDP_AIRFLOW_LOG_PORT": str(free_port_pair()),
        "SDP_TOKEN_KEY": BENCH_TOKEN_KEY,
        "SDP_FILE_STABLE_SECONDS": "1",
        "SDP_LANDING_POLL_SECONDS": "1",
    }
    settings = load_settings(env)
    stack = Stack(settings, services or STACK_SERVICES)
    quiet = lambda _message: None  # noqa: E731
    # A stack an interrupted run left behind listens on other ports: stop it (this folder's pids only).
    stack.down(log=quiet)
    if fresh:
        shutil.rmtree(state_dir, ignore_errors=True)
    started = time.perf_counter()
    stack.up(log=quiet)
    print(f"  stack up in {time.perf_counter() - started:.0f} s ({state_dir})", file=sys.stderr)
    try:
        yield settings
    finally:
        if keep:
            ports = " ".join(f"{k}={v}" for k, v in env.items() if k.endswith("_PORT"))
            print(f"  stack left running: SDP_STATE_DIR={state_dir} {ports}", file=sys.stderr)
        else:
            stack.down(log=quiet)


def drop(source: Path, folder: Path) -> float:
    """Copy `source` into `folder` under a temporary name, then rename it in (atomic, so no reader
    sees half a file); returns the epoch time of the rename."""
    folder.mkdir(parents=True, exist_ok=True)
    target, temporary = folder / source.name, folder / f".{source.name}.part"
    shutil.copyfile(source, temporary)
    os.rename(temporary, target)
    return time.time()


def airflow_db(settings: Settings) -> psycopg.Connection:
    """A connection to the stack's Airflow metadata database (task_instance, dag_run)."""
    return psycopg.connect(settings.airflow_database_url.replace("postgresql+psycopg2", "postgresql"))


def admin_client(settings: Settings) -> httpx.Client:
    """An HTTP client on the stack's Airflow REST API, logged in as the stack's admin."""
    password = StackContext(settings).airflow_password(AIRFLOW_ADMIN)
    answer = httpx.post(
        f"{settings.airflow_url}/auth/token",
        json={"username": AIRFLOW_ADMIN, "password": password},
        timeout=30,
    )
    answer.raise_for_status()
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return httpx.Client(base_url=settings.airflow_url, headers=headers, timeout=30)
