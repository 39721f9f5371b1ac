"""
### Ingest: history partitions (daily, backfillable)

Processes the files under `$SDP_DATA_DIR/landing/history/YYYY-MM-DD/` for the run's data
interval: one partition per day. Reprocess a range of days with

    airflow backfill create --dag-id sdp_ingest_history --from-date 2026-01-01 --to-date 2026-01-03

Each day's files go through the same task group as the landing-zone DAG. Files already loaded
(same SHA-256) are recorded as duplicates and load nothing.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import CronDataIntervalTimetable, dag, get_current_context, task

from include.ingest_dag import DEFAULT_OPTIONS, TAGS, deadline_alert, default_args, ingest_file
from include.settings import settings

DAG_ID = "sdp_ingest_history"
_s = settings()


@task
def partition_files() -> list[str]:
    """The files of this run's day, oldest name first; an absent folder is an empty day."""
    from include.triggers import is_candidate

    context = get_current_context()
    day = context["data_interval_start"].date().isoformat()
    folder = _s.history_dir / day
    if not folder.is_dir():
        return []
    return sorted(str(p) for p in folder.iterdir() if p.is_file() and is_candidate(p))


@dag(
    dag_id=DAG_ID,
    # A data-interval timetable: each run owns [day, day + 1), the partition it processes.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1),
    # History is processed on request (backfill), not by catching up every day since start_date.
    catchup=False,
    max_active_runs=3,
    max_active_tasks=2 * _s.ingest_parallel_files,
    default_args=default_args(),
    tags=[*TAGS, "history", "backfill"],
    doc_md=__doc__,
    deadline=deadline_alert(DAG_ID),
)
def sdp_ingest_history() -> None:
    ingest_file.partial(options=DEFAULT_OPTIONS).expand(path=partition_files())


sdp_ingest_history()
