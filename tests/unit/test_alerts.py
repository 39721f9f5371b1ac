"""Alert callbacks: the run's ids from both context shapes, which notifier each configured
connection gets, and that no notifier or database problem reaches the pipeline. Notifiers are
replaced by recorders here; tests/integration/test_alert_notifiers.py sends for real."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from types import SimpleNamespace

import pytest
from airflow.providers.http.notifications.http import HttpNotifier
from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier
from airflow.providers.smtp.notifications.smtp import SmtpNotifier

import include.alerts as alerts
from include.alerts import NOTIFIER_FACTORIES, Alert, _ids, notify
from include.settings import load_settings

ALERT = Alert(kind="task_failed", message="task t failed (ValueError)", dag_id="d", run_id="r", task_id="t")


class RecordingNotifier:
    """Stands in for a provider notifier; records where and with what it was called."""

    def __init__(self, sent: list, conn_id: str, alert: Alert, fail: Exception | None = None) -> None:
        self.sent, self.conn_id, self.alert, self.fail = sent, conn_id, alert, fail

    def notify(self, context: dict) -> None:
        if self.fail:
            raise self.fail
        self.sent.append((self.conn_id, self.alert, threading.get_ident()))


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list:
    """Recording notifiers for http and slackwebhook connections; records are (conn_id, alert, thread)."""
    records: list = []
    recorder = {"http": lambda conn_id, alert, config: RecordingNotifier(records, conn_id, alert)}
    recorder["slackwebhook"] = recorder["http"]
    monkeypatch.setattr(alerts, "NOTIFIER_FACTORIES", {**NOTIFIER_FACTORIES, **recorder})
    return records


def configure(monkeypatch: pytest.MonkeyPatch, connections: dict[str, dict], **env: str) -> None:
    """Airflow connections as AIRFLOW_CONN_* variables, and the alert settings naming them."""
    for conn_id, conn in connections.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    config = load_settings({"SDP_ALERT_CONNECTIONS": ",".join(connections), **env})
    monkeypatch.setattr(alerts, "settings", lambda: config)


def test_deadline_context_carries_the_run_as_json() -> None:
    context = {
        "dag_run": {"dag_id": "sdp_ingest_landing", "dag_run_id": "manual__1"},
        "deadline": {"id": "x"},
    }
    assert _ids(context) == ("sdp_ingest_landing", "manual__1", None)


def test_task_context_carries_objects() -> None:
    ti = SimpleNamespace(dag_id="d", run_id="r", task_id="ingest_file.load")
    assert _ids({"ti": ti, "dag_run": SimpleNamespace(dag_id="d", run_id="r")}) == (
        "d",
        "r",
        "ingest_file.load",
    )


def test_alert_settings_are_comma_lists() -> None:
    config = load_settings(
        {"SDP_ALERT_CONNECTIONS": " smtp_alerts, ,slack_alerts ", "SDP_ALERT_EMAIL_TO": "a@x"}
    )
    assert config.alert_connections == ("smtp_alerts", "slack_alerts")
    assert config.alert_email_to == ("a@x",)
    assert load_settings({}).alert_connections == ()
    assert config.describe()["alert_connections"] == "smtp_alerts,slack_alerts"


def test_no_connections_configured_sends_nothing(monkeypatch: pytest.MonkeyPatch, sent: list) -> None:
    configure(monkeypatch, {})
    assert notify(ALERT) == []
    assert sent == []


def test_unknown_conn_type_is_logged_and_the_others_still_notified(
    monkeypatch: pytest.MonkeyPatch, sent: list, caplog: pytest.LogCaptureFixture
) -> None:
    configure(
        monkeypatch,
        {
            "sdp_alert_a": {"conn_type": "http", "host": "http://a.invalid"},
            "sdp_alert_pg": {"conn_type": "postgres", "host": "db.invalid"},
            "sdp_alert_b": {"conn_type": "slackwebhook", "password": "T0/B0/X"},
        },
    )
    with caplog.at_level(logging.WARNING, logger="sdp.alerts"):
        assert notify(ALERT) == ["sdp_alert_a", "sdp_alert_b"]
    assert [conn_id for conn_id, _, _ in sent] == ["sdp_alert_a", "sdp_alert_b"]
    assert "'sdp_alert_pg' has conn_type 'postgres'" in caplog.text
    assert "http, slackwebhook, smtp" in caplog.text


def test_missing_connection_is_logged_and_the_others_still_notified(
    monkeypatch: pytest.MonkeyPatch, sent: list, caplog: pytest.LogCaptureFixture
) -> None:
    configure(monkeypatch, {"sdp_alert_a": {"conn_type": "http", "host": "http://a.invalid"}})
    config = load_settings({"SDP_ALERT_CONNECTIONS": "sdp_alert_never_defined,sdp_alert_a"})
    monkeypatch.setattr(alerts, "settings", lambda: config)
    with caplog.at_level(logging.WARNING, logger="sdp.alerts"):
        assert notify(ALERT) == ["sdp_alert_a"]
    assert "'sdp_alert_never_defined' failed: AirflowNotFoundException" in caplog.text


def test_failing_notifier_logs_its_exception_type_only(
    monkeypatch: pytest.MonkeyPatch, sent: list, caplog: pytest.LogCaptureFixture
) -> None:
    def failing(conn_id: str, alert: Alert, config: object) -> RecordingNotifier:
        return RecordingNotifier(sent, conn_id, alert, fail=ConnectionError("https://hooks/T0/B0/secret"))

    monkeypatch.setitem(alerts.NOTIFIER_FACTORIES, "smtp", failing)
    configure(
        monkeypatch,
        {
            "sdp_alert_mail": {"conn_type": "smtp", "host": "mail.invalid"},
            "sdp_alert_a": {"conn_type": "http"},
        },
    )
    with caplog.at_level(logging.WARNING, logger="sdp.alerts"):
        assert notify(ALERT) == ["sdp_alert_a"]
    assert "'sdp_alert_mail' failed: ConnectionError" in caplog.text
    assert "secret" not in caplog.text


def test_smtp_connection_without_recipients_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, sent: list, caplog: pytest.LogCaptureFixture
) -> None:
    configure(monkeypatch, {"sdp_alert_mail": {"conn_type": "smtp", "host": "mail.invalid"}})
    with caplog.at_level(logging.WARNING, logger="sdp.alerts"):
        assert notify(ALERT) == []
    assert "'sdp_alert_mail' is an smtp connection but SDP_ALERT_EMAIL_TO is empty" in caplog.text


def test_each_conn_type_gets_its_provider_notifier_with_the_alert_only() -> None:
    config = load_settings({"SDP_ALERT_EMAIL_TO": "ops@example.test,oncall@example.test"})

    http = NOTIFIER_FACTORIES["http"]("hook", ALERT, config)
    assert isinstance(http, HttpNotifier)
    assert (http.http_conn_id, http.method) == ("hook", "POST")
    assert http.json == {
        "kind": "task_failed",
        "message": ALERT.message,
        "dag_id": "d",
        "run_id": "r",
        "task_id": "t",
    }

    slack = NOTIFIER_FACTORIES["slackwebhook"]("slack", ALERT, config)
    assert isinstance(slack, SlackWebhookNotifier)
    assert (slack.slack_webhook_conn_id, slack.text) == ("slack", ALERT.text)

    smtp = NOTIFIER_FACTORIES["smtp"]("mail", ALERT, config)
    assert isinstance(smtp, SmtpNotifier)
    assert (smtp.smtp_conn_id, smtp.to, smtp.subject) == (
        "mail",
        ["ops@example.test", "oncall@example.test"],
        "[SDP task_failed] d",
    )


def test_notifiers_are_called_even_when_the_alert_row_cannot_be_written(
    monkeypatch: pytest.MonkeyPatch, sent: list
) -> None:
    def database_down(*args: object, **kwargs: object) -> int:
        raise OSError("connection refused")

    monkeypatch.setattr("include.db.audit.record_alert", database_down)
    configure(monkeypatch, {"sdp_alert_a": {"conn_type": "http", "host": "http://a.invalid"}})
    with pytest.raises(OSError):
        alerts.raise_alert("deadline_missed", "late", dag_id="d", run_id="r", task_id=None)
    assert [(conn_id, alert.kind) for conn_id, alert, _ in sent] == [("sdp_alert_a", "deadline_missed")]


def test_task_failure_callback_never_raises(monkeypatch: pytest.MonkeyPatch, sent: list) -> None:
    def database_down(*args: object, **kwargs: object) -> int:
        raise OSError("connection refused")

    monkeypatch.setattr("include.db.audit.record_alert", database_down)
    configure(monkeypatch, {"sdp_alert_a": {"conn_type": "http", "host": "http://a.invalid"}})
    ti = SimpleNamespace(dag_id="d", run_id="r", task_id="ingest_file.load")
    alerts.task_failed({"ti": ti, "exception": ValueError("a row value: 4111 1111 1111 1111")})
    [(_, alert, _)] = sent
    assert alert == Alert(
        "task_failed", "task ingest_file.load failed (ValueError)", "d", "r", "ingest_file.load"
    )


def test_deadline_callback_notifies_off_the_event_loop(monkeypatch: pytest.MonkeyPatch, sent: list) -> None:
    recorded: list = []
    monkeypatch.setattr("include.db.audit.record_alert", lambda *args, **kwargs: recorded.append(kwargs) or 1)
    configure(monkeypatch, {"sdp_alert_a": {"conn_type": "http", "host": "http://a.invalid"}})
    context = {"dag_run": {"dag_id": "sdp_ingest_landing", "dag_run_id": "manual__1"}}

    async def run() -> int:
        await alerts.deadline_missed(context=context, dag_id="sdp_ingest_landing", seconds=60)
        return threading.get_ident()

    loop_thread = asyncio.run(run())
    [(_, alert, notifier_thread)] = sent
    assert notifier_thread != loop_thread
    assert (alert.kind, alert.dag_id, alert.run_id, alert.task_id) == (
        "deadline_missed",
        "sdp_ingest_landing",
        "manual__1",
        None,
    )
    assert recorded[0]["details"] == {"deadline_seconds": 60}
