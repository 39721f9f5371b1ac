"""The ingest task group, shared by every ingest DAG (landing zone, history backfill, manual).

One mapped task group instance per file, so many files run in parallel (bounded by the DAG's
max_active_tasks) and a bad file fails only its own map index:

    register -> route -> process_batch (spark-submit) -> process_hybrid (PyFlink)
                      -> process_stream (Kafka + consumer) -> validate -> load -> finalize (always)

Each engine task works only for the file's route and does nothing otherwise (see _runs_route);
a duplicate runs no engine and skips validate and load. process_stream publishes the file's rows,
is deferred (no worker slot) until the stream consumer has committed every one, then exports them
so the same validation runs on every route.

Tasks are thin: the logic is in include/ingest.py. Heavy imports happen inside the tasks.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from airflow.sdk import (
    AsyncCallback,
    BaseOperator,
    DeadlineAlert,
    DeadlineReference,
    get_current_context,
    task,
    task_group,
)

from include.settings import REPO_ROOT, SPARK_SUBMIT_CONF, settings

log = logging.getLogger("sdp.ingest")

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
        "retry_delay": timedelta(seconds=settings().task_retry_delay_seconds),
        "on_failure_callback": task_failed,
        # A task's priority grows with its upstream tasks, so a free slot goes to the file furthest
        # along: with hundreds of files in one run, files finish one after another instead of every
        # file waiting until all of them passed each step (the default, breadth first).
        "weight_rule": "upstream",
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
    from airflow.sdk.exceptions import AirflowFailException

    from include import ingest

    try:
        ingest.check_options(options)
    except ValueError as exc:  # a run's contradictory options: the file is left untouched
        raise AirflowFailException(str(exc)) from exc
    try:
        return ingest.register(path, actor=_actor(), reprocess=bool(options.get("reprocess"))).to_dict()
    except ingest.RefusedEntry as exc:  # a link, a vanished or growing file: recorded, never retried
        raise AirflowFailException(str(exc)) from exc


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
        return {"ticket": ticket_obj.to_dict(), "route": "", "engine_args": [], "hybrid_command": ""}
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
    args = ingest.engine_arguments(routed, k=int(options.get("k") or 0))
    hybrid = ingest.hybrid_shell_command(args) if routed.route == "hybrid" else ""
    return {"ticket": routed.to_dict(), "route": routed.route, "engine_args": args, "hybrid_command": hybrid}


def _runs_route(route: str, routed_to: str) -> bool:
    """Each engine task runs only for its route and is a no-op (success) otherwise.

    The engines sit in one chain rather than three branches: a @task.branch does not skip inside
    mapped task groups in Airflow 3.3 (apache/airflow#67265), and a join after skipped siblings
    (trigger rule none_failed_min_one_success) is marked upstream_failed for every file of the
    run as soon as one file's route step fails."""
    if routed_to != route:
        log.info("nothing to do: the file takes the %s route, not %s", routed_to or "no", route)
        return False
    return True


def _gated(operator_class: type, route: str) -> type:
    """`operator_class` that runs only when the templated `routed_to` is `route` (see _runs_route)."""

    class RouteGated(operator_class):
        template_fields = (*operator_class.template_fields, "routed_to")

        def __init__(self, *, routed_to: Any, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.routed_to = routed_to

        def execute(self, context: Any) -> Any:
            return super().execute(context) if _runs_route(route, self.routed_to) else None

    RouteGated.__name__ = RouteGated.__qualname__ = f"{route.title()}Route{operator_class.__name__}"
    return RouteGated


class ProcessStream(BaseOperator):
    """The stream route's engine: publish the file's rows to the Kafka topic, wait deferred (no
    worker slot) until the stream consumer has committed every announced row, then export the
    job's rows from PostgreSQL as the staged output, so the same validation runs on every route.

    One task rather than three: each task of the chain costs every file of every route a worker
    start and a scheduler hand-over, and the two no-op tasks this saves ran for batch and hybrid
    files too."""

    template_fields = ("ticket", "routed_to")

    def __init__(self, *, ticket: Any, routed_to: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ticket = ticket
        self.routed_to = routed_to

    def execute(self, context: Any) -> None:
        from include.triggers import StreamFileCompleteTrigger

        if not _runs_route("stream", self.routed_to):
            return
        if context["ti"].try_number > 1:
            self._republish_unfinished()
        else:
            self._publish()
        self.log.info("waiting for the stream consumer to commit %s (job %s)", self.ticket["name"],
                      self.ticket["job_id"])  # fmt: skip
        self.defer(
            trigger=StreamFileCompleteTrigger(job_id=int(self.ticket["job_id"])),
            method_name="complete",
            timeout=timedelta(seconds=settings().stream_wait_timeout_seconds),
        )

    def _publish(self) -> int:
        from airflow.sdk.exceptions import AirflowFailException

        from compliance.io import InputError
        from include import ingest, ingest_stream

        try:
            return ingest_stream.publish(_ticket(self.ticket))
        except InputError as exc:  # found past the routing sample (e.g. a line over the limit)
            ingest.record_input_error(_ticket(self.ticket), str(exc))
            raise AirflowFailException(str(exc)) from exc

    def _republish_unfinished(self) -> None:
        """A retry (the publish failed, the wait timed out, the export failed, or a worker died):
        the job's messages may be gone (a broker that lost its log when killed), so an unfinished
        job is published again. The consumer stores each row of a republished job once
        (include/streaming/file_state.py); a finished job goes straight to the export."""
        import psycopg

        from include.streaming.status import file_progress

        with psycopg.connect(settings().database_url) as conn:
            progress = file_progress(conn, int(self.ticket["job_id"]))
        if progress is not None and (progress.completed or progress.superseded_by):
            return
        rows = self._publish()
        self.log.info(
            "retry: stream job %s was unfinished; published its %d rows again", self.ticket["job_id"], rows
        )

    def complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from include import ingest_stream

        summary = ", ".join(f"{k}={v}" for k, v in sorted(event.items()))
        if event.get("status") != "complete":
            # A newer job of the same file (a reprocess) took over: this one will never complete.
            raise AirflowFailException(f"stream job {self.ticket['job_id']} did not complete: {summary}")
        self.log.info("stream complete: %s", summary)
        ingest_stream.stage(_ticket(self.ticket))
        return event


def _ticket(data: dict[str, Any]):
    from include import ingest

    return ingest.FileTicket(**data)


@task
def validate(ticket: dict[str, Any]) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from include import ingest

    if ticket["duplicate"]:  # no engine ran
        raise AirflowSkipException("duplicate: nothing was processed, nothing to validate")
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

    known = routed or (input_error or {}).get("ticket") or registered
    if not known:  # the run's options were refused before the file was touched (see register)
        return "not registered"
    ticket = ingest.FileTicket(**known)
    return ingest.finalize(ticket, actor=_actor(), loaded=loaded, validation_failure=validation_failure,
                           input_error=(input_error or {}).get("reason"))  # fmt: skip


@task_group(group_id="ingest_file")
def ingest_file(path: str, options: dict[str, Any]) -> None:
    registered = register(path, options)
    routed = route(registered, options)
    batch = _spark_submit(routed["engine_args"], routed["route"])
    hybrid = _flink_run(routed["hybrid_command"], routed["route"])
    stream = ProcessStream(task_id="process_stream", ticket=routed["ticket"], routed_to=routed["route"])
    checked = validate(routed["ticket"])
    loaded = load(routed["ticket"])
    outcome = finalize(registered, routed["ticket"], loaded, _failure(checked, "validation_failure"),
                       _failure(routed, "input_error"))  # fmt: skip
    batch >> hybrid >> stream >> checked >> loaded >> outcome


def _failure(output, key: str):
    """Failure details a task pushed under its own key before failing (none when it succeeded)."""
    from airflow.sdk import XComArg

    return XComArg(output.operator, key=key)


def _flink_run(command, routed_to):
    """The hybrid job in the Flink venv (the Airflow Flink provider is Kubernetes-only). The command
    carries no secret: SDP_TOKEN_KEY reaches the job through the worker's environment."""
    from airflow.providers.standard.operators.bash import BashOperator

    return _gated(BashOperator, "hybrid")(
        task_id="process_hybrid", bash_command=command, routed_to=routed_to, retries=1
    )


def _spark_submit(application_args, routed_to):
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    from compliance.launcher_watch import EXIT_WITH_LAUNCHER_ENV

    return _gated(SparkSubmitOperator, "batch")(
        task_id="process_batch",
        routed_to=routed_to,
        application=str(REPO_ROOT / "spark_jobs" / "compliance_batch.py"),
        conn_id="spark_default",
        application_args=application_args,
        name="sdp-compliance-batch",
        conf=SPARK_SUBMIT_CONF,
        driver_memory=settings().spark_driver_memory,
        # The job stops when this task's process dies (a killed worker), not racing the retry.
        env_vars={EXIT_WITH_LAUNCHER_ENV: "1"},
        # Spark retries are the task's retries; a bad file is not retried forever.
        retries=1,
    )
