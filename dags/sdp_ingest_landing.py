"""
### Ingest: landing zone (event-driven)

Drop a CSV, JSON Lines or Parquet file into `$SDP_DATA_DIR/landing/`. The triggerer's
`LandingZoneTrigger` claims it as soon as its size has been stable for `SDP_FILE_STABLE_SECONDS`
(names ending in `.tmp`/`.part` or starting with `.` are ignored until renamed) and starts a run.
Each claimed file is registered, classified and routed, processed by the compliance core on
its engine, validated with Great Expectations, loaded into PostgreSQL in one transaction, and
archived (or quarantined with a reason). Files that land together are mapped in parallel.

A run of more than `SDP_GROUP_MIN_FILES` files (a large drop) takes its small files (the stream
route by size) in groups of at most `SDP_GROUP_FILES`: one `ingest_small_files` task per group runs
the same steps for each of its files and logs one line per file; the other files keep their own
`ingest_file` task group, each step visible.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import Asset, AssetWatcher, dag, get_current_context, task

from include.ingest_dag import DEFAULT_OPTIONS, TAGS, deadline_alert, default_args, ingest_file
from include.settings import settings
from include.triggers import LandingZoneTrigger

DAG_ID = "sdp_ingest_landing"
_s = settings()

landing_zone = Asset(
    name="sdp_landing_zone",
    uri=f"file://{_s.landing_dir}",
    watchers=[
        AssetWatcher(
            name="sdp_landing_watcher",
            trigger=LandingZoneTrigger(
                directory=str(_s.landing_dir),
                inbox=str(_s.inbox_dir),
                poll_seconds=_s.landing_poll_seconds,
                stable_seconds=_s.file_stable_seconds,
                max_waiting=_s.run_max_files,
            ),
        )
    ],
)


@task
def claimed_files() -> list[str]:
    """The files this run owns: those its asset events announced, plus any file another run's
    events announced but did not take (the scheduler may fold events into an earlier run), at most
    SDP_RUN_MAX_FILES. Each is moved into a folder of this run: the rename is atomic, so no two
    runs get the same file; files left waiting are announced again by the trigger."""
    from include.triggers import take_for_run

    context = get_current_context()
    announced = [
        payload["path"]
        for asset_events in context["triggering_asset_events"].values()
        for event in asset_events
        if (payload := (event.extra or {}).get("payload") or {}).get("path")
    ]
    return take_for_run(announced, inbox=_s.inbox_dir, run_id=context["run_id"], max_files=_s.run_max_files)


@task
def small_file_groups(paths: list[str]) -> list[list[str]]:
    """Groups of small files, one task each (none for a run of SDP_GROUP_MIN_FILES or fewer)."""
    from include import ingest_group

    return ingest_group.small_file_groups(paths)


@task
def files_on_their_own(paths: list[str], groups: list[list[str]]) -> list[str]:
    """The claimed files no group took: one task group each, every step visible."""
    from include import ingest_group

    return ingest_group.outside_groups(paths, groups)


@task
def ingest_small_files(paths: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """Register, route, publish, wait, stage, validate, load and finalize each file of a group
    (include/ingest_group.py). A retry resumes the group. Returns the outcome of each file; when a
    file was not loaded the task fails after the others are done, its summary in XCom `outcomes`."""
    from airflow.sdk.exceptions import AirflowFailException

    from include import ingest
    from include.ingest_group import UNFINISHED, ingest_group, not_loaded

    try:
        ingest.check_options(options)
    except ValueError as exc:  # a run's contradictory options: the files are left untouched
        raise AirflowFailException(str(exc)) from exc
    ti = get_current_context()["ti"]
    actor = f"{ti.dag_id}/{ti.run_id}/{ti.task_id}[{ti.map_index}]"
    summary = ingest_group(paths, options=options, actor=actor, dag_id=ti.dag_id, run_id=ti.run_id)
    failed = not_loaded(summary)
    if not failed:
        return summary
    ti.xcom_push(key="outcomes", value=summary)
    message = f"{len(failed)} of {len(paths)} files not loaded: {summary['outcomes']}"
    if any(f["outcome"] == UNFINISHED for f in failed):
        raise RuntimeError(message)  # retried: the next try finalizes them
    raise AirflowFailException(message)


@dag(
    dag_id=DAG_ID,
    schedule=[landing_zone],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=4,
    max_active_tasks=2 * _s.ingest_parallel_files,
    default_args=default_args(),
    tags=[*TAGS, "event-driven"],
    doc_md=__doc__,
    deadline=deadline_alert(DAG_ID),
)
def sdp_ingest_landing() -> None:
    claimed = claimed_files()
    groups = small_file_groups(claimed)
    ingest_file.partial(options=DEFAULT_OPTIONS).expand(path=files_on_their_own(claimed, groups))
    ingest_small_files.partial(options=DEFAULT_OPTIONS).expand(paths=groups)


sdp_ingest_landing()
