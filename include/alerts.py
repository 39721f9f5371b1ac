"""Alert callbacks: deadline misses (run in the triggerer) and task failures. Each writes a
pipeline_alerts row (+ an audit row) and a log line, and calls the configured notifier."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from typing import Any

from include.settings import settings

log = logging.getLogger("sdp.alerts")


def _ids(context: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    dag_run = context.get("dag_run")
    if isinstance(dag_run, dict):  # deadline callbacks get the run as its REST API JSON
        return dag_run.get("dag_id"), dag_run.get("dag_run_id") or dag_run.get("run_id"), None
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(dag_run, "dag_id", None) or context.get("dag_id") or getattr(ti, "dag_id", None)
    run_id = getattr(dag_run, "run_id", None) or context.get("run_id") or getattr(ti, "run_id", None)
    task_id = getattr(ti, "task_id", None)
    return dag_id, run_id, task_id


def raise_alert(kind: str, message: str, *, dag_id: str | None, run_id: str | None, task_id: str | None,
                details: dict | None = None) -> None:  # fmt: skip
    from include.db.audit import record_alert

    record_alert(settings().database_url, kind=kind, message=message, dag_id=dag_id, run_id=run_id,
                 task_id=task_id, details=details or {})  # fmt: skip
    log.warning("ALERT %s dag=%s run=%s task=%s: %s", kind, dag_id, run_id, task_id, message)
    notify(kind, message, dag_id=dag_id, run_id=run_id, task_id=task_id)


def notify(kind: str, message: str, **ids: str | None) -> None:
    """POST the alert to SDP_ALERT_WEBHOOK_URL (Slack-compatible `text` field) when configured."""
    url = settings().alert_webhook_url
    if not url:
        return
    body = json.dumps({"text": f"[SDP {kind}] {message}", "kind": kind, **ids}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10):
            pass
    except OSError as exc:  # an unreachable webhook must not fail the pipeline
        log.warning("alert webhook failed: %s", type(exc).__name__)


async def deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """AsyncCallback of the ingest DAGs' DeadlineAlert: runs in the triggerer while the run goes on."""
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
