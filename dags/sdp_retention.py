"""
### Retention (daily)

Purges the records and violations of every loaded file held longer than its domain policy's
`retention_days` (counted from the file's `landed_at`), with the vault entries no remaining record
needs, and writes one `purged` audit row per file (`include/subjects/retention.py`). Files keep
their `data_files` row. Idempotent: a file already purged is not touched again.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, get_current_context, task

from include.ingest_dag import TAGS, deadline_alert, default_args

DAG_ID = "sdp_retention"


@task
def purge_expired_files() -> dict[str, int]:
    """Counts only (files, records, violations, vault entries): the logs never carry values."""
    import psycopg

    from include.db.audit import actor_from_context
    from include.settings import settings
    from include.subjects.retention import purge_expired

    context = get_current_context()
    actor = actor_from_context(DAG_ID, context["run_id"], context["ti"].task_id)
    with psycopg.connect(settings().database_url) as conn:
        purged = purge_expired(conn, actor=actor)
    return {
        "files": len(purged),
        "records": sum(p.records for p in purged),
        "violations": sum(p.violations for p in purged),
        "vault_entries": sum(p.vault_entries for p in purged),
    }


@dag(
    dag_id=DAG_ID,
    schedule="0 3 * * *",
    start_date=datetime(2026, 1, 1),
    # Each run purges everything due at that moment: missed days need no catching up.
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=[*TAGS, "retention", "data-subject-rights"],
    doc_md=__doc__,
    deadline=deadline_alert(DAG_ID),
)
def sdp_retention() -> None:
    purge_expired_files()


sdp_retention()
