"""Settings: one module reads the environment; secrets never reach logs or status output."""

from __future__ import annotations

import json

from include.settings import load_settings


def test_settings_mask_secrets() -> None:
    settings = load_settings({"SDP_DATABASE_URL": "postgresql://u:s3cret@db.example:5432/sdp"})
    assert "s3cret" not in json.dumps(settings.describe())
    assert settings.database_url.endswith("@db.example:5432/sdp")


def test_describe_never_shows_the_token_key() -> None:
    settings = load_settings({"SDP_TOKEN_KEY": "super-secret-token-key-123"})
    assert "super-secret-token-key-123" not in json.dumps(settings.describe())
    assert settings.environ["SDP_TOKEN_KEY"] == "super-secret-token-key-123"


def test_defaults_and_derived_paths() -> None:
    settings = load_settings({"SDP_STATE_DIR": "/srv/sdp"})
    assert str(settings.data_dir) == "/srv/sdp/data"
    assert settings.landing_dir.name == "landing" and settings.history_dir.parent == settings.landing_dir
    assert settings.embedded_postgres and settings.embedded_kafka
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"


def test_external_services_switch_off_embedded_ones() -> None:
    settings = load_settings(
        {"SDP_DATABASE_URL": "postgresql://u:p@db/sdp", "KAFKA_BOOTSTRAP_SERVERS": "k1:9092"}
    )
    assert not settings.embedded_postgres and not settings.embedded_kafka
    assert settings.airflow_database_url.startswith("sqlite:///")


def test_bad_integer_names_the_variable() -> None:
    import pytest

    with pytest.raises(ValueError, match="SDP_POSTGRES_PORT"):
        load_settings({"SDP_POSTGRES_PORT": "fifty"})
