"""DAG integrity: every DAG file imports cleanly, carries the metadata operators rely on, and
parses without heavy imports (the dag-processor re-parses dags/ continually)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from include.settings import REPO_ROOT

DAGS_DIR = REPO_ROOT / "dags"
# Modules that must only be imported inside tasks: each costs seconds or hundreds of MB.
HEAVY_MODULES = ("great_expectations", "pyspark", "pandas", "pyflink", "confluent_kafka", "faker",
                 "compliance.detection", "compliance.anonymize.kanonymity", "opendp")  # fmt: skip


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory):
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow-home")))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS_DIR))


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    files = {Path(dag.fileloc).name for dag in dagbag.dags.values()}
    assert files == {p.name for p in DAGS_DIR.glob("*.py")}, "every DAG file defines a DAG"


def test_expected_dags(dagbag) -> None:
    assert {"sdp_ingest_landing", "sdp_ingest_history", "sdp_ingest_manual", "sdp_retention"} <= set(
        dagbag.dag_ids
    )


def test_dag_metadata(dagbag) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md and len(dag.doc_md.strip()) > 50, f"{dag_id}: doc_md"
        assert dag.tags, f"{dag_id}: tags"
        assert dag.owner and dag.owner != "airflow", f"{dag_id}: owner"
        assert dag.deadline, f"{dag_id}: deadline alert"
        for task in dag.tasks:
            if task.task_id.endswith("finalize"):
                continue  # runs once after everything else; a retry would move the file twice
            assert task.retries >= 1, f"{dag_id}.{task.task_id}: retries"
            assert task.on_failure_callback, f"{dag_id}.{task.task_id}: on_failure_callback"


def test_history_dag_is_backfillable(dagbag) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    # Backfill only works for time-based schedules; one data interval = one day's partition.
    assert isinstance(dagbag.dags["sdp_ingest_history"].timetable, CronDataIntervalTimetable)


def test_manual_dag_params_form(dagbag) -> None:
    params = dagbag.dags["sdp_ingest_manual"].params
    assert {"path", "route", "anonymize", "k", "domain", "dry_run", "reprocess"} <= set(params.keys())
    assert {"release_group_by", "release_epsilon"} <= set(params.keys())


def test_manual_dag_releases_after_every_file_is_ingested(dagbag) -> None:
    dag = dagbag.dags["sdp_ingest_manual"]
    release = dag.get_task("release_aggregates")
    # Downstream of the whole ingest group: its last task (finalize) of every mapped file.
    assert "ingest_file.finalize" in release.upstream_task_ids
    assert dag.params["release_group_by"] == ""  # no release unless asked for


def test_landing_dag_maps_small_files_in_groups_and_the_rest_per_file(dagbag) -> None:
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    dag = dagbag.dags["sdp_ingest_landing"]
    group = dag.get_task("ingest_small_files")
    assert isinstance(group, MappedOperator) and group.upstream_task_ids == {"small_file_groups"}
    assert dag.get_task("small_file_groups").upstream_task_ids == {"claimed_files"}
    own = dag.get_task("files_on_their_own")
    assert own.upstream_task_ids == {"claimed_files", "small_file_groups"}
    register = dag.get_task("ingest_file.register")
    assert register.get_closest_mapped_task_group() is not None  # one task group per file
    assert "files_on_their_own" in register.upstream_task_ids
    assert group.retries >= 1, "a group task resumes its files when retried"


def test_split_groups_small_files_only_in_a_large_run(tmp_path: Path) -> None:
    from include.ingest_group import outside_groups, small_file_groups
    from include.settings import load_settings

    s = load_settings({"SDP_STATE_DIR": str(tmp_path), "SDP_STREAM_MAX_BYTES": "100", "SDP_GROUP_MIN_FILES": "20",
                       "SDP_GROUP_FILES": "10"})  # fmt: skip
    small = [tmp_path / f"small-{i:02d}.csv" for i in range(22)]
    for path in small:
        path.write_text("a,b\n1,2\n")
    large = [tmp_path / "large-1.csv", tmp_path / "large-2.csv"]
    for path in large:
        path.write_text("a,b\n" + "1,2\n" * 100)
    link = tmp_path / "link.csv"
    link.symlink_to(large[0])  # a link is never followed: register refuses it, in a group as alone
    gone = str(tmp_path / "gone.csv")
    paths = [str(p) for p in [large[0], *small, link, large[1]]] + [gone]

    groups = small_file_groups(paths, s)
    assert groups == [paths[1:11], paths[11:21], [*paths[21:24], gone]]
    assert outside_groups(paths, groups) == [str(large[0]), str(large[1])]
    assert small_file_groups(paths[:20], s) == [], "a run of SDP_GROUP_MIN_FILES files keeps every file alone"
    assert outside_groups(paths[:20], []) == paths[:20]


def test_retention_dag_runs_daily_without_catch_up(dagbag) -> None:
    from airflow.sdk import CronTriggerTimetable

    dag = dagbag.dags["sdp_retention"]
    assert isinstance(dag.timetable, CronTriggerTimetable) and dag.timetable.expression == "0 3 * * *"
    assert dag.catchup is False
    assert [task.task_id for task in dag.tasks] == ["purge_expired_files"]


@pytest.mark.parametrize("dag_file", sorted(p.name for p in DAGS_DIR.glob("*.py")))
def test_parse_has_no_heavy_imports(dag_file: str, tmp_path: Path) -> None:
    """Deterministic stand-in for 'parsing stays fast': what a parse imports, not how long it takes."""
    code = (
        "import json, runpy, sys\n"
        f"runpy.run_path({str(DAGS_DIR / dag_file)!r})\n"
        f"print(json.dumps([m for m in {list(HEAVY_MODULES)!r} if m in sys.modules]))\n"
    )
    env = dict(os.environ, AIRFLOW_HOME=str(tmp_path), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO_ROOT
    )
    assert result.returncode == 0, result.stderr[-2000:]
    heavy = json.loads(result.stdout.strip().splitlines()[-1])
    assert heavy == [], f"{dag_file} imports {heavy} at parse time"


def test_batch_task_sizes_the_spark_jvm(dagbag) -> None:
    # Spark's 1g default fails a 1M-row file (UNABLE_TO_ACQUIRE_MEMORY while the core's output is cached).
    from include.settings import settings

    for dag_id in ("sdp_ingest_landing", "sdp_ingest_history", "sdp_ingest_manual"):
        batch = dagbag.dags[dag_id].get_task("ingest_file.process_batch")
        assert batch._driver_memory == settings().spark_driver_memory == "3g", dag_id
