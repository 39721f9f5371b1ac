"""Alert callbacks find the run in both context shapes Airflow gives them."""

from __future__ import annotations

from types import SimpleNamespace

from include.alerts import _ids


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
