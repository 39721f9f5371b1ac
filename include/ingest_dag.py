"""The ingest task group, shared by every ingest DAG (landing zone, history backfill, manual).

One mapped task group instance per file, so many files run in parallel (bounded by the DAG's
max_active_tasks) and a bad file fails only its own map index:

    register -> route -> needs_processing? -> process_batch (spark-submit) -> validate -> load
                                                                         \\-> finalize (always)

Tasks are thin: the logic is in include/ingest.py. Heavy imports happen inside the tasks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference, get_current_context, task, task_group

from include.settings import REPO_ROOT, settings

OWNER = "data-platform"
TAGS = ["sdp", "ingest", "compliance"]
# Run options: the manual DAG's Params form sets them; the other DAGs use these defaults.
DEFAULT_OPTIONS: dict[str, Any] = {
    "route": "auto",
    "anonymize": "default",  # per route: batch -> k_anonymity, stream/hybrid -> tokenize
    "k": 0,  # 0 = the domain policy's k
    "domain": "auto",
    "dry_run": False,
    "reprocess": False,
}


def default_args() -> dict[str, Any]:
    from include.alerts import task_failed

    return {
        "owner": OWNER,
        "retries": 1,
        "retry_delay": timedelta(seconds=30),
        "on_failure_callback": task_failed,
    }


def deadline_alert(dag_id: str) -> DeadlineAlert:
    seconds = settings().deadline_seconds
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(seconds=seconds),
        callback=AsyncCallback(
            "include.alerts.deadline_missed", kwargs={"dag_id": dag_id, "seconds": seconds}
        ),
    )


def _actor() -> str:
    context = get_current_context()
    ti = context["ti"]
    return f"{ti.dag_id}/{ti.run_id}/{ti.task_id}[{ti.map_index}]"


@task
def register(path: str, options: dict[str, Any]) -> dict[str, Any]:
    from include import ingest

    return ingest.register(path, actor=_actor(), reprocess=bool(options.get("reprocess"))).to_dict()


@task(multiple_outputs=True)
def route(ticket: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowFailException

    from compliance.io import InputError
    from include import ingest

    ticket_obj = ingest.FileTicket(**ticket)
    context = get_current_context()
    ti = context["ti"]
    if ticket_obj.duplicate:
        ingest.record_duplicate(ticket_obj, actor=_actor(), dag_id=ti.dag_id, run_id=ti.run_id)
        return {"ticket": ticket_obj.to_dict(), "spark_args": [], "process": False}
    anonymize = None if options.get("anonymize", "default") == "default" else options["anonymize"]
    try:
        routed = ingest.classify_and_route(
            ticket_obj, actor=_actor(), dag_id=ti.dag_id, run_id=ti.run_id,
            route_override=options.get("route", "auto"), domain=options.get("domain", "auto"),
            anonymize=anonymize, dry_run=bool(options.get("dry_run")),
        )  # fmt: skip
    except InputError as exc:
        # An unreadable file stays unreadable: fail now (no retry); finalize quarantines it with
        # this reason (the ticket carries the job opened for it).
        ti.xcom_push(key="input_error", value={"reason": str(exc), "ticket": ticket_obj.to_dict()})
        raise AirflowFailException(str(exc)) from exc
    args = ingest.spark_arguments(routed)
    if options.get("k"):
        args += ["--k", str(int(options["k"]))]
    return {"ticket": routed.to_dict(), "spark_args": args, "process": True}


@task.short_circuit(ignore_downstream_trigger_rules=False)
def needs_processing(process: bool) -> bool:
    return process


@task
def validate(ticket: dict[str, Any]) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowFailException

    from include import ingest

    report = ingest.validate(ingest.FileTicket(**ticket), actor=_actor())
    outcome = {
        "success": report.success,
        "suite": report.suite,
        "failed": report.failed,
        "failures": report.failures,
    }
    if not report.success:
        get_current_context()["ti"].xcom_push(key="validation_failure", value=outcome)
        raise AirflowFailException(
            f"validation failed: {report.failed} expectation(s) on suite {report.suite}"
        )
    return outcome


@task
def load(ticket: dict[str, Any]) -> dict[str, Any]:
    from include import ingest

    ticket_obj = ingest.FileTicket(**ticket)
    if ticket_obj.dry_run:
        return {"dry_run": True}
    result = ingest.load(ticket_obj, actor=_actor())
    return {"records_loaded": result.records_loaded, "violations": result.violations_loaded,
            "quarantined": result.quarantined, "duplicate": result.duplicate}  # fmt: skip


@task(trigger_rule="all_done", retries=0)
def finalize(registered: dict[str, Any] | None, routed: dict[str, Any] | None, loaded: dict[str, Any] | None,
             validation_failure: dict[str, Any] | None, input_error: dict[str, Any] | None) -> str:  # fmt: skip
    """Archive the raw file after a load (or a duplicate), else quarantine it with the reason."""
    from include import ingest

    ticket = ingest.FileTicket(**(routed or (input_error or {}).get("ticket") or registered))
    return ingest.finalize(ticket, actor=_actor(), loaded=loaded, validation_failure=validation_failure,
                           input_error=(input_error or {}).get("reason"))  # fmt: skip


@task_group(group_id="ingest_file")
def ingest_file(path: str, options: dict[str, Any]) -> None:
    registered = register(path, options)
    routed = route(registered, options)
    gate = needs_processing(routed["process"])
    process = _spark_submit(routed["spark_args"])
    checked = validate(routed["ticket"])
    loaded = load(routed["ticket"])
    outcome = finalize(registered, routed["ticket"], loaded, _failure(checked, "validation_failure"),
                       _failure(routed, "input_error"))  # fmt: skip
    gate >> process >> checked >> loaded >> outcome


def _failure(output, key: str):
    """Failure details a task pushed under its own key before failing (none when it succeeded)."""
    from airflow.sdk import XComArg

    return XComArg(output.operator, key=key)


def _spark_submit(application_args):
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    return SparkSubmitOperator(
        task_id="process_batch",
        application=str(REPO_ROOT / "spark_jobs" / "compliance_batch.py"),
        conn_id="spark_default",
        application_args=application_args,
        name="sdp-compliance-batch",
        conf={"spark.ui.showConsoleProgress": "false"},
        # Spark retries are the task's retries; a bad file is not retried forever.
        retries=1,
    )
