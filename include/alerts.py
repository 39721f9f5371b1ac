"""Alert callbacks: deadline misses (run in the triggerer) and task failures. Each writes a
pipeline_alerts row (+ an audit row) and a log line, and sends the alert through the Airflow
notifiers of the connections named in SDP_ALERT_CONNECTIONS.

A connection's conn_type picks its notifier (see NOTIFIER_FACTORIES). Connections are looked up
when an alert is raised, so one added in the UI or as AIRFLOW_CONN_* works without a restart.
Notifications carry the alert's kind, ids and message only: never row values."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from include.settings import Settings, settings

if TYPE_CHECKING:
    from airflow.sdk.bases.notifier import BaseNotifier

log = logging.getLogger("sdp.alerts")

# Bounds a hung webhook so a task's failure callback cannot hang with it.
NOTIFY_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Alert:
    kind: str
    message: str
    dag_id: str | None
    run_id: str | None
    task_id: str | None

    @property
    def subject(self) -> str:
        return f"[SDP {self.kind}] {self.dag_id}"

    @property
    def text(self) -> str:
        return f"[SDP {self.kind}] dag={self.dag_id} run={self.run_id} task={self.task_id}: {self.message}"

    def as_json(self) -> dict[str, str | None]:
        return asdict(self)


class AlertConfigError(ValueError):
    """An alert connection that cannot be used as configured (logged, never raised to the pipeline)."""


def _smtp(conn_id: str, alert: Alert, config: Settings) -> BaseNotifier:
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    if not config.alert_email_to:
        raise AlertConfigError(
            f"alert connection {conn_id!r} is an smtp connection but SDP_ALERT_EMAIL_TO is empty"
        )
    # The sender comes from the connection's `from_email` extra.
    return SmtpNotifier(
        smtp_conn_id=conn_id,
        to=list(config.alert_email_to),
        subject=alert.subject,
        html_content=f"<pre>{html.escape(alert.text)}</pre>",
    )


def _slack_webhook(conn_id: str, alert: Alert, config: Settings) -> BaseNotifier:
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

    return SlackWebhookNotifier(
        slack_webhook_conn_id=conn_id, text=alert.text, timeout=NOTIFY_TIMEOUT_SECONDS
    )


def _http(conn_id: str, alert: Alert, config: Settings) -> BaseNotifier:
    from airflow.providers.http.notifications.http import HttpNotifier

    # The connection's host holds the whole URL (e.g. https://hooks.example.com/sdp).
    return HttpNotifier(
        http_conn_id=conn_id,
        json=alert.as_json(),
        extra_options={"timeout": NOTIFY_TIMEOUT_SECONDS},
    )


NOTIFIER_FACTORIES: dict[str, Callable[[str, Alert, Settings], BaseNotifier]] = {
    "smtp": _smtp,
    "slackwebhook": _slack_webhook,
    "http": _http,
}


def notify(alert: Alert) -> list[str]:
    """Send `alert` through every configured connection; returns the ids it was sent through.
    A connection that is missing, misconfigured or failing is logged and skipped."""
    from airflow.sdk import BaseHook

    config = settings()
    sent = []
    for conn_id in config.alert_connections:
        try:
            conn_type = BaseHook.get_connection(conn_id).conn_type
            factory = NOTIFIER_FACTORIES.get(conn_type or "")
            if factory is None:
                raise AlertConfigError(
                    f"alert connection {conn_id!r} has conn_type {conn_type!r}; "
                    f"notifiers exist for {', '.join(sorted(NOTIFIER_FACTORIES))}"
                )
            # notify() rather than calling the notifier: calling it renders the fields as Jinja
            # templates, and run ids of manual runs are user input.
            factory(conn_id, alert, config).notify({})
        except AlertConfigError as exc:
            log.warning("%s", exc)
        except Exception as exc:  # a failing notifier must not fail the pipeline
            # The type only: exception messages can quote URLs with tokens or server replies.
            log.warning("alert notifier %r failed: %s", conn_id, type(exc).__name__)
        else:
            sent.append(conn_id)
    return sent


def raise_alert(kind: str, message: str, *, dag_id: str | None, run_id: str | None, task_id: str | None,
                details: dict | None = None) -> None:  # fmt: skip
    """Log, record and notify one alert. Notifiers are called even when the row cannot be written
    (the database being down is worth a notification); the write's error is then raised."""
    from include.db.audit import record_alert

    alert = Alert(kind=kind, message=message, dag_id=dag_id, run_id=run_id, task_id=task_id)
    log.warning("ALERT %s dag=%s run=%s task=%s: %s", kind, dag_id, run_id, task_id, message)
    try:
        record_alert(settings().database_url, kind=kind, message=message, dag_id=dag_id, run_id=run_id,
                     task_id=task_id, details=details or {})  # fmt: skip
    finally:
        notify(alert)


def _ids(context: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    dag_run = context.get("dag_run")
    if isinstance(dag_run, dict):  # deadline callbacks get the run as its REST API JSON
        return dag_run.get("dag_id"), dag_run.get("dag_run_id") or dag_run.get("run_id"), None
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(dag_run, "dag_id", None) or context.get("dag_id") or getattr(ti, "dag_id", None)
    run_id = getattr(dag_run, "run_id", None) or context.get("run_id") or getattr(ti, "run_id", None)
    task_id = getattr(ti, "task_id", None)
    return dag_id, run_id, task_id


async def deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """AsyncCallback of the ingest DAGs' DeadlineAlert: runs in the triggerer while the run goes on.
    The database write and the notifiers block, so they run in a worker thread, off the event loop."""
    context = context or {}
    dag_id, run_id, _ = _ids(context)
    dag_id = dag_id or kwargs.get("dag_id")
    seconds = kwargs.get("seconds")
    message = f"run {run_id} of {dag_id} is still not finished {seconds} s after it was queued"
    await asyncio.to_thread(
        raise_alert, "deadline_missed", message, dag_id=dag_id, run_id=run_id, task_id=None,
        details={"deadline_seconds": seconds},
    )  # fmt: skip


def task_failed(context: dict[str, Any]) -> None:
    """on_failure_callback of every ingest task."""
    dag_id, run_id, task_id = _ids(context)
    exception = context.get("exception")
    # Only the exception type: messages can quote data.
    reason = type(exception).__name__ if exception else "unknown error"
    try:
        raise_alert("task_failed", f"task {task_id} failed ({reason})", dag_id=dag_id, run_id=run_id,
                    task_id=task_id, details={"exception": reason})  # fmt: skip
    except Exception:  # the callback must never mask the task's own failure
        log.exception("could not record the task failure alert")
