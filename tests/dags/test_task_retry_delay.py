"""The ingest tasks' retry delay is a setting (SDP_TASK_RETRY_DELAY_SECONDS): the fault tests
shorten it; deployments keep 30 s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from include.settings import settings


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """settings() is read once per process: re-read it under the test's environment."""
    settings.cache_clear()
    yield
    settings.cache_clear()


def test_retry_delay_follows_the_setting(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    from include.ingest_dag import default_args

    monkeypatch.setenv("SDP_TASK_RETRY_DELAY_SECONDS", "7")
    assert default_args()["retry_delay"] == timedelta(seconds=7)


def test_retry_delay_defaults_to_30_seconds(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    from include.ingest_dag import default_args

    monkeypatch.delenv("SDP_TASK_RETRY_DELAY_SECONDS", raising=False)
    assert default_args()["retry_delay"] == timedelta(seconds=30)
