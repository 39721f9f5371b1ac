"""Shared fixtures. Services are real: PostgreSQL and the Kafka-protocol broker are started by
`make test` (scripts/test.sh) in a state folder of their own; when pytest is run directly, the
`services` fixture starts them itself (and stops only what it started)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from include.settings import DEFAULT_STATE_DIR, Settings, load_settings

# The static group member id of every stream consumer a test session starts on the session's
# broker. A static member stays in the group after it stops, and the broker may wait up to the
# rebalance timeout for it before it assigns partitions to a member with another id; with one id
# per session, each new consumer takes the previous one's place at once.
STREAM_TEST_INSTANCE = f"test-{uuid.uuid4().hex[:12]}"


def new_state_dir(prefix: str) -> Path:
    """A state folder for a test stack. Under .local/ rather than pytest's tmp: PostgreSQL runs as
    its own OS user and must traverse the parents, which pytest keeps at mode 0700."""
    base = DEFAULT_STATE_DIR / "tests"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


def isolated_stack_env(prefix: str, **extra: str) -> dict[str, str]:
    """Settings for a whole stack of a test's own: a fresh state folder and free ports for every
    service, plus `extra` variables (SDP_* settings the test needs)."""
    from include.stack.process import free_port, free_port_pair

    return {
        "SDP_STATE_DIR": str(new_state_dir(prefix)),
        "SDP_POSTGRES_PORT": str(free_port()),
        "SDP_KAFKA_PORT": str(free_port()),
        "SDP_AIRFLOW_PORT": str(free_port()),
        "SDP_AIRFLOW_LOG_PORT": str(free_port_pair()),
        **extra,
    }


@pytest.fixture(scope="session")
def test_settings() -> Iterator[Settings]:
    owned = None
    if "SDP_STATE_DIR" not in os.environ:
        from include.stack.process import free_port

        owned = new_state_dir("session-")
        os.environ["SDP_STATE_DIR"] = str(owned)
        os.environ["SDP_POSTGRES_PORT"] = str(free_port())
        os.environ["SDP_KAFKA_PORT"] = str(free_port())
    yield load_settings()
    if owned:
        shutil.rmtree(owned, ignore_errors=True)


@pytest.fixture(scope="session")
def services(test_settings: Settings) -> Iterator[Settings]:
    """PostgreSQL (schema migrated) and the broker, up for the whole session."""
    from include.stack.manager import Stack

    stack = Stack(test_settings, ["postgres", "kafka"])
    outcome = stack.up(log=lambda _msg: None)
    yield test_settings
    if any(state == "started" for state in outcome.values()):
        stack.down(log=lambda _msg: None)


@pytest.fixture(scope="session")
def database_url(services: Settings) -> str:
    return services.database_url


@pytest.fixture(scope="session")
def kafka_bootstrap(services: Settings) -> str:
    return services.kafka_bootstrap_servers


def keyed_settings(
    services: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token_key: str
) -> Settings:
    """The session's services with data zones of the test's own, and `token_key` as this process's
    token key: the stream route's staged export plans with it in the test process, as in a task's."""
    monkeypatch.setenv("SDP_TOKEN_KEY", token_key)
    monkeypatch.setenv("SDP_TOKEN_KEY_ID", "k1")
    return load_settings({**services.environ, "SDP_DATA_DIR": str(tmp_path / "data")})
