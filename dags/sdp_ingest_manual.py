"""
### Ingest: manual run

Trigger from the Airflow UI ("Trigger" button) and fill in the form: a file path or a glob
(relative paths are taken under `$SDP_DATA_DIR`), the route (auto/batch/stream/hybrid), the
anonymization method, k for k-anonymity, the data domain, and *dry run* (classify and scan,
load nothing, leave the file where it is). *Reprocess* replaces the rows of a file that was
loaded before (atomically) instead of recording a duplicate.

*Release columns* (optional): once every file is loaded, release differentially private counts
per group of these comma-separated columns over the domain's loaded records (the domain must be
chosen: it is the dataset whose epsilon budget the release spends; `sdp release` does the same
from a shell). The released table is stored in `dp_releases` (the task returns its id).
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Param, dag, get_current_context, task

from include.ingest_dag import TAGS, deadline_alert, default_args, ingest_file
from include.settings import settings

DAG_ID = "sdp_ingest_manual"
_s = settings()


@task
def resolve_files() -> list[str]:
    """Expand the path/glob; an empty match fails the run with a clear message."""
    import glob
    from pathlib import Path

    pattern = get_current_context()["params"]["path"]
    base = Path(pattern) if Path(pattern).is_absolute() else _s.data_dir / pattern
    matches = sorted(p for p in glob.glob(str(base), recursive=True) if Path(p).is_file())
    if not matches:
        raise ValueError(f"no file matches {pattern!r} (relative paths are under {_s.data_dir})")
    return matches


@task
def run_options() -> dict:
    params = get_current_context()["params"]
    return {key: params[key] for key in ("route", "anonymize", "k", "domain", "dry_run", "reprocess")}


@task
def release_aggregates() -> dict | None:
    """The DP release the form asked for, after the loads; nothing when no columns were given."""
    params = get_current_context()["params"]
    columns = tuple(c.strip() for c in params["release_group_by"].split(",") if c.strip())
    if not columns or params["dry_run"]:
        return None
    if params["domain"] == "auto":
        raise ValueError("a release needs a domain (the dataset whose budget it spends), not auto")
    import psycopg

    from include.db.audit import actor_from_context
    from include.subjects.releases import ReleaseRequest, release

    context = get_current_context()
    actor = actor_from_context(DAG_ID, context["run_id"], context["ti"].task_id)
    request = ReleaseRequest(params["domain"], float(params["release_epsilon"]), columns)
    with psycopg.connect(_s.database_url) as conn:
        result = release(conn, request, actor=actor)
    # Ids and counts only: task logs and XComs never hold values from the files, even noisy ones.
    return {
        "release_id": result.release_id,
        "groups": len(result.rows),
        "spent_epsilon": result.spent_epsilon,
    }


@dag(
    dag_id=DAG_ID,
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_tasks=2 * _s.ingest_parallel_files,
    default_args=default_args(),
    tags=[*TAGS, "manual"],
    doc_md=__doc__,
    deadline=deadline_alert(DAG_ID),
    params={
        "path": Param(
            "landing/*.csv", type="string", description="File path or glob (under SDP_DATA_DIR if relative)"
        ),
        "route": Param("auto", enum=["auto", "batch", "stream", "hybrid"], description="Route override"),
        "anonymize": Param(
            "default",
            enum=["default", "none", "tokenize", "k_anonymity"],
            description="default: per route (batch -> k_anonymity, others -> tokenize)",
        ),
        "k": Param(0, type="integer", minimum=0, description="k for k-anonymity (0 = the domain policy's k)"),
        "domain": Param("auto", enum=["auto", "healthcare", "financial", "location", "mixed"]),
        "dry_run": Param(False, type="boolean", description="Classify and scan; load nothing"),
        "reprocess": Param(False, type="boolean", description="Replace the rows of an already loaded file"),
        "release_group_by": Param(
            "", type="string", description="After loading: DP counts per these columns (empty = no release)"
        ),
        "release_epsilon": Param(
            1.0, type="number", exclusiveMinimum=0, description="Epsilon the release spends"
        ),
    },
)
def sdp_ingest_manual() -> None:
    loaded = ingest_file.partial(options=run_options()).expand(path=resolve_files())
    loaded >> release_aggregates()


sdp_ingest_manual()
