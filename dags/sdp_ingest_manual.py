"""
### Ingest: manual run

Trigger from the Airflow UI ("Trigger" button) and fill in the form: a file path or a glob
(relative paths are taken under `$SDP_DATA_DIR`), the route (auto/batch/stream/hybrid), the
anonymization method, k for k-anonymity, the data domain, and *dry run* (classify and scan,
load nothing, leave the file where it is). *Reprocess* replaces the rows of a file that was
loaded before (atomically) instead of recording a duplicate.
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
    },
)
def sdp_ingest_manual() -> None:
    ingest_file.partial(options=run_options()).expand(path=resolve_files())


sdp_ingest_manual()
