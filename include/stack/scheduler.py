"""`airflow scheduler` with the ingest tasks' libraries imported first.

The LocalExecutor runs every task in a process forked from the scheduler (through its worker
processes), so whatever the scheduler has imported a task gets for free, shared copy-on-write.
Each file's validate task imported Great Expectations on its own (3.5-4 s of CPU per file, more
than validating a 100k-row file takes), and every task imported pyarrow, psycopg and the pipeline's
modules again. Importing them once here, before the executor forks its workers, removes that from
every task; the price is the scheduler's memory (~300 MB, shared by the forks).

Importing has no side effect in these modules (no threads, no connections), which is what makes
them safe to inherit across fork; the list is the task side of the ingest DAGs (ingest_dag.py).

    python -m include.stack.scheduler [airflow scheduler options]
"""

from __future__ import annotations

import importlib
import sys

# What the ingest tasks import inside their bodies (the DAG files themselves stay light).
TASK_MODULES = (
    "great_expectations",
    "include.alerts",
    "include.db.loader",
    "include.ingest",
    "include.ingest_stream",
    "include.validation",
)


def main() -> int | None:
    from airflow.__main__ import main as airflow_main

    for name in TASK_MODULES:
        importlib.import_module(name)
    sys.argv = ["airflow", "scheduler", *sys.argv[1:]]
    return airflow_main()


if __name__ == "__main__":
    sys.exit(main())
