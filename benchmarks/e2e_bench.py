"""End to end per route: landed->loaded of one 100k- and one 1M-row file on each route (batch,
stream, hybrid) through Airflow on a private stack, next to `sdp scan` on the same file.

A fresh private stack (PostgreSQL, the broker, the stream consumer, Airflow; state in
.local/bench/e2e-stack, free ports, removed at the start, and at the end when every file loaded)
runs every file. A file's route is forced as the portal's upload with a route override does it:
the file is renamed (atomic) into $SDP_DATA_DIR/uploads/ and the manual DAG sdp_ingest_manual is
triggered over the REST API with conf {path, route, anonymize} (default tokenize on every route,
the anonymization `sdp scan` is given). The rename is "landed"; "loaded" is the first poll (every 0.25 s) that sees
data_files.status = 'loaded'; "done" is the end of the run's finalize task (raw file archived).
On the stream route the consumer marks the file loaded when its last rows commit, before the
export and validation; on batch and hybrid the load task does, after validation.

The split comes from Airflow's task_instance rows of the run (the metadata DB):
  pre        resolve_files + run_options + register + route (hash, profile, route, open the job)
  engine     the route's engine: process_batch (spark-submit) | process_hybrid (PyFlink) |
             process_stream (publish, deferred until the consumer committed every row, then the
             export of the rows for validation)
  validation validate (Great Expectations)
  load       load (COPY + one transaction; on the stream route only reads the manifest)
  archive    finalize (raw file into raw/)
  other      the rest of landed->done: trigger, scheduling and queueing gaps between tasks, the
             no-op engine tasks of the other routes (every file passes through the whole chain),
             and any failed try of a task with the retry delay after it (task_instance_history)
and the job's own pre/pure/post timers (data_processing_jobs) are printed with each run.

`sdp scan --anonymize <same method>` runs as a whole process on the same file in the same run
(stack up and idle). Each route gets its own file (same generator, another seed), since a
file's SHA-256 is loaded once. Files are generated once and cached under .local/bench/.

    .venv/bin/python benchmarks/e2e_bench.py [--quick] [--routes batch,stream,hybrid]
        [--rows 100000,1000000] [--anonymize tokenize] [--timeout S] [--keep-stack] [--results FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from common import (
    BENCH_TOKEN_KEY,
    CACHE_DIR,
    SEED,
    VENV_BIN,
    Result,
    add_results_argument,
    dataset,
    publish,
    text_table,
)
from stack import FINAL_STATUSES, POLL_SECONDS, admin_client, airflow_db, drop, private_stack

from include.db.files import sha256_of
from include.routing import DEFAULT_ANONYMIZE, ROUTES
from include.settings import Settings

STACK_DIR = CACHE_DIR / "e2e-stack"
DAG_ID = "sdp_ingest_manual"
DOMAIN = "healthcare"
DEFAULT_ROWS = (100_000, 1_000_000)
QUICK_ROWS = (100_000,)
WARMUP_ROWS = 1_000
# Stop a run that takes longer (the hybrid route on 1M rows may).
DEFAULT_TIMEOUT_S = 25 * 60
DAG_WAIT_S = 300.0
SCAN_GOAL_RATIO = 2.0
BATCH_GOAL_RATE = 100_000

GROUP = "ingest_file."
PRE_TASKS = ("resolve_files", "run_options", f"{GROUP}register", f"{GROUP}route")
ENGINE_TASKS = {
    "batch": (f"{GROUP}process_batch",),
    "hybrid": (f"{GROUP}process_hybrid",),
    "stream": (f"{GROUP}process_stream",),
}
CHAIN_TASKS = tuple(t for route in ROUTES for t in ENGINE_TASKS[route])
SPLIT = ("pre", "engine", "validation", "load", "archive", "other")
# The seed of each route's file: fixed per route, so the cache serves every run.
ROUTE_SEED = {route: SEED + 1 + index for index, route in enumerate(ROUTES)}


@dataclass
class TaskRun:
    task_id: str
    start: float | None
    end: float | None
    state: str
    tries: int
    final: bool = True  # the task's last try; earlier (failed) tries come from task_instance_history

    @property
    def seconds(self) -> float:
        return 0.0 if self.start is None or self.end is None else self.end - self.start


@dataclass
class FileRun:
    """One file through one route, and what PostgreSQL and Airflow say about it."""

    route: str
    rows: int
    anonymize: str
    landed: float = 0.0
    run_id: str = ""
    loaded_at: float | None = None
    status: str = ""
    dag_state: str = ""
    timed_out: bool = False
    tasks: list[TaskRun] = field(default_factory=list)  # every try of every task
    job: dict = field(default_factory=dict)
    scan_s: float | None = None
    load_average: float | None = None  # the machine's 1-minute load average, mean over the run

    @property
    def loaded_s(self) -> float | None:
        return None if self.loaded_at is None or self.status != "loaded" else self.loaded_at - self.landed

    @property
    def done_at(self) -> float | None:
        return next((t.end for t in self.tasks if t.task_id == f"{GROUP}finalize" and t.end), None)

    @property
    def done_s(self) -> float | None:
        return None if self.done_at is None else self.done_at - self.landed

    @property
    def final_tasks(self) -> list[TaskRun]:
        return [t for t in self.tasks if t.final]

    def _sum(self, task_ids: tuple[str, ...]) -> float:
        return sum(t.seconds for t in self.final_tasks if t.task_id in task_ids)

    def split(self) -> dict[str, float]:
        """Seconds per part of landed->done (they add up to it). A task's failed tries and the
        retry delay after them count in `other`."""
        engine = [t for t in self.final_tasks if t.task_id in ENGINE_TASKS[self.route] and t.start and t.end]
        parts = {
            "pre": self._sum(PRE_TASKS),
            # A window, not a sum: process_stream's deferral is the consumer's work.
            "engine": max(t.end for t in engine) - min(t.start for t in engine) if engine else 0.0,
            "validation": self._sum((f"{GROUP}validate",)),
            "load": self._sum((f"{GROUP}load",)),
            "archive": self._sum((f"{GROUP}finalize",)),
        }
        total = self.done_s if self.done_s is not None else (time.time() - self.landed)
        parts["other"] = total - sum(parts.values())
        return parts

    def noop_seconds(self) -> float:
        """The other routes' engine tasks: each does nothing but costs a task start."""
        own = ENGINE_TASKS[self.route]
        return sum(t.seconds for t in self.final_tasks if t.task_id in CHAIN_TASKS and t.task_id not in own)

    def retried_seconds(self) -> float:
        """Time spent in tries that failed and were retried."""
        return sum(t.seconds for t in self.tasks if not t.final)


# -- one file ----------------------------------------------------------------------------------------
def wait_for_dag(client: httpx.Client) -> None:
    """The dag-processor has to have parsed the manual DAG before it can be triggered."""
    deadline = time.monotonic() + DAG_WAIT_S
    while time.monotonic() < deadline:
        answer = client.get(f"/api/v2/dags/{DAG_ID}")
        if answer.status_code == 200 and not answer.json().get("is_paused"):
            return
        time.sleep(2)
    raise SystemExit(f"e2e_bench: {DAG_ID} not available after {DAG_WAIT_S:.0f} s")


_JOB_SQL = """
SELECT f.status, j.engine, j.records_in, j.records_loaded, j.records_quarantined, j.violations,
       j.pre_processing_s, j.pure_processing_s, j.post_processing_s
FROM data_files f
LEFT JOIN LATERAL (SELECT * FROM data_processing_jobs WHERE file_id = f.id ORDER BY id DESC LIMIT 1) j ON true
WHERE f.sha256 = %s
"""
_JOB_KEYS = ("engine", "records_in", "records_loaded", "records_quarantined", "violations",
             "pre_processing_s", "pure_processing_s", "post_processing_s")  # fmt: skip


# Every try of every task of the run: the current one (task_instance) and the earlier ones.
_TASKS_SQL = """
SELECT task_id, extract(epoch FROM start_date)::float8, extract(epoch FROM end_date)::float8,
       coalesce(state, 'none'), try_number, true
FROM task_instance WHERE dag_id = %(dag)s AND run_id = %(run)s
UNION ALL
SELECT h.task_id, extract(epoch FROM h.start_date)::float8, extract(epoch FROM h.end_date)::float8,
       coalesce(h.state, 'none'), h.try_number, false
FROM task_instance_history h
JOIN task_instance t USING (dag_id, run_id, task_id, map_index)
WHERE h.dag_id = %(dag)s AND h.run_id = %(run)s AND h.try_number < t.try_number
ORDER BY 2 NULLS LAST
"""


def run_file(settings: Settings, client: httpx.Client, path: Path, run: FileRun, timeout: float) -> FileRun:
    """Rename `path` into uploads/, trigger the manual DAG with the route, wait until done."""
    sha = sha256_of(path)
    uploads = settings.data_dir / "uploads"
    run.landed = drop(path, uploads)
    conf = {"path": f"uploads/{path.name}", "route": run.route, "anonymize": run.anonymize}
    answer = client.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": conf})
    if answer.status_code not in (200, 201):
        raise SystemExit(
            f"e2e_bench: triggering {DAG_ID} failed: HTTP {answer.status_code} {answer.text[:300]}"
        )
    run.run_id = answer.json()["dag_run_id"]
    load_samples = []
    with psycopg.connect(settings.database_url, autocommit=True) as conn, airflow_db(settings) as meta:
        meta.autocommit = True
        while True:
            now = time.time()
            load_samples.append(os.getloadavg()[0])
            row = conn.execute(_JOB_SQL, (sha,)).fetchone()
            if row and run.loaded_at is None and row[0] in FINAL_STATUSES:
                run.loaded_at, run.status = now, row[0]
            (dag_state,) = meta.execute(
                "SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", (DAG_ID, run.run_id)
            ).fetchone()
            if dag_state in ("success", "failed"):
                run.dag_state = dag_state
                break
            if now - run.landed > timeout:
                run.timed_out, run.dag_state = True, f"stopped after {timeout:.0f} s"
                # Mark the run failed: Airflow stops its running tasks; the next file starts clean.
                client.patch(f"/api/v2/dags/{DAG_ID}/dagRuns/{run.run_id}", json={"state": "failed"})
                break
            time.sleep(POLL_SECONDS)
        run.load_average = sum(load_samples) / len(load_samples)
        row = conn.execute(_JOB_SQL, (sha,)).fetchone()
        run.status = run.status or (row[0] if row else "not registered")
        run.job = dict(zip(_JOB_KEYS, row[1:], strict=True)) if row else {}
        run.tasks = [
            TaskRun(*values) for values in meta.execute(_TASKS_SQL, {"dag": DAG_ID, "run": run.run_id})
        ]
    with contextlib.suppress(OSError):  # a stopped run may leave it behind
        (uploads / path.name).unlink()
    return run


def scan_seconds(path: Path, anonymize: str) -> float:
    """Wall time of the whole `sdp scan` process on `path` (interpreter start included)."""
    with tempfile.TemporaryDirectory(prefix="e2e-scan-", dir=CACHE_DIR) as scratch:
        command = [str(VENV_BIN / "sdp"), "scan", str(path), "--anonymize", anonymize,
                   "--violations", f"{scratch}/violations.jsonl", "--output", f"{scratch}/anonymized.parquet"]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(command, env={**os.environ, "SDP_TOKEN_KEY": BENCH_TOKEN_KEY},
                              capture_output=True, text=True, check=False)  # fmt: skip
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"e2e_bench: sdp scan exited with {done.returncode}: {done.stderr.strip()[-500:]}")
    return elapsed


# -- reporting ---------------------------------------------------------------------------------------
def _cell(seconds: float | None, total: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds:.1f} ({100 * seconds / total:.0f}%)" if total else f"{seconds:.1f}"


def _fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else format(value, pattern)


def table(runs: list[FileRun]) -> str:
    header = ("route", "rows", "landed->loaded s", "landed->done s", "records/s", "sdp scan s", "ratio",
              *(f"{part} s (%)" for part in SPLIT), "load avg")  # fmt: skip
    lines = []
    for run in runs:
        loaded, done = run.loaded_s, run.done_s
        total = done if done is not None else time.time() - run.landed
        split = run.split()
        rate = run.rows / loaded if loaded else None
        ratio = loaded / run.scan_s if loaded and run.scan_s else None
        lines.append((
            run.route, f"{run.rows:,}", _fmt(loaded, ".1f") if not run.timed_out else f"> {total:.0f} (stopped)",
            _fmt(done, ".1f"), _fmt(rate, ",.0f"), _fmt(run.scan_s, ".1f"),
            f"{ratio:.1f}x" if ratio else "n/a", *(_cell(split[part], total) for part in SPLIT),
            _fmt(run.load_average, ".1f"),
        ))  # fmt: skip
    return text_table(header, lines, right=set(range(1, len(header))))


def timeline(run: FileRun) -> str:
    """Each task of the run: start after landed, duration, state (and tries when retried)."""
    job = run.job
    timers = "/".join(
        _fmt(job.get(k), ".1f") for k in ("pre_processing_s", "pure_processing_s", "post_processing_s")
    )
    head = (f"{run.route} {run.rows:,} rows ({run.run_id}): file {run.status}, run {run.dag_state}; "
            f"job {job.get('engine')} in={job.get('records_in')} loaded={job.get('records_loaded')} "
            f"quarantined={job.get('records_quarantined')} violations={job.get('violations')}, "
            f"timers pre/pure/post {timers} s; no-op engine tasks {run.noop_seconds():.1f} s; "
            f"failed tries {run.retried_seconds():.1f} s; "
            f"load average {_fmt(run.load_average, '.1f')}")  # fmt: skip
    rows = [
        f"    {t.task_id.removeprefix(GROUP):<16} +{_fmt(t.start and t.start - run.landed, '7.1f')} s  "
        f"{t.seconds:7.1f} s  {t.state}{f' (try {t.tries})' if t.tries > 1 else ''}"
        for t in run.tasks
    ]
    return "\n".join([f"  {head}", *rows])


def results(runs: list[FileRun]) -> list[Result]:
    out = []
    for run in runs:
        label = f"{run.rows:,} {DOMAIN} rows, {run.anonymize}"
        loaded = run.loaded_s
        split = run.split()
        note = "split " + " ".join(f"{part} {split[part]:.1f}" for part in SPLIT) + " s"
        note += f", load average {_fmt(run.load_average, '.1f')}"
        if run.retried_seconds():
            note += f"; failed tries {run.retried_seconds():.1f} s (in other)"
        if run.timed_out or loaded is None:
            note = f"{run.status}, run {run.dag_state}; {note}"
        goal = f"goal <= {SCAN_GOAL_RATIO:g}x sdp scan"
        out.append(
            Result("e2e", f"{run.route}: sdp scan on its file, whole process, {label}", run.scan_s, "s")
        )
        out.append(Result("e2e", f"{run.route}: landed->loaded, {label}", loaded, "s", "sdp scan",
                          loaded / run.scan_s if loaded and run.scan_s else None, f"{goal}; {note}"))  # fmt: skip
        if run.done_s is not None:
            out.append(Result("e2e", f"{run.route}: landed->done (archived), {label}", run.done_s, "s"))
        rate = run.rows / loaded if loaded else None
        scan_rate = run.rows / run.scan_s if run.scan_s else None
        rate_goal = f"goal >= {BATCH_GOAL_RATE:,} rows/s" if run.route == "batch" else ""
        out.append(Result("e2e", f"{run.route}: records/s landed->loaded, {label}", rate, "rows/s", "sdp scan",
                          rate / scan_rate if rate and scan_rate else None, rate_goal))  # fmt: skip
    return out


# -- main --------------------------------------------------------------------------------------------
def _names(text: str) -> list[str]:
    routes = [r.strip() for r in text.split(",") if r.strip()]
    unknown = sorted(set(routes) - set(ROUTES))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown route(s) {', '.join(unknown)}; expected {', '.join(ROUTES)}"
        )
    return routes


def _counts(text: str) -> list[int]:
    return [int(n.replace("_", "")) for n in text.split(",") if n.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{', '.join(f'{n:,}' for n in QUICK_ROWS)} rows only"
    )
    parser.add_argument(
        "--routes", type=_names, default=list(ROUTES), help="comma-separated (default: all three)"
    )
    parser.add_argument("--rows", type=_counts, default=list(DEFAULT_ROWS),
                        help="comma-separated file sizes in rows (default 100000,1000000)")  # fmt: skip
    parser.add_argument("--anonymize", default="tokenize", choices=["default", "tokenize", "none", "k_anonymity"],
                        help="the runs' and sdp scan's method; default = per route (batch: k_anonymity)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="stop a run after S seconds")
    parser.add_argument("--keep-stack", action="store_true", help="leave the stack running afterwards")
    add_results_argument(parser)
    args = parser.parse_args()
    sizes = list(QUICK_ROWS) if args.quick else args.rows
    method = {r: DEFAULT_ANONYMIZE[r] if args.anonymize == "default" else args.anonymize for r in args.routes}
    files = {(r, n): dataset(DOMAIN, n, seed=ROUTE_SEED[r])[0] for n in sizes for r in args.routes}
    warmups = {r: dataset(DOMAIN, WARMUP_ROWS, seed=ROUTE_SEED[r])[0] for r in args.routes}
    runs: list[FileRun] = []
    with private_stack(STACK_DIR, args.keep_stack, fresh=True) as settings, admin_client(settings) as client:
        wait_for_dag(client)
        # First runs pay for imports, JVM and jar reads from a cold cache: one small file per route.
        for route, path in warmups.items():
            warm = run_file(settings, client, path, FileRun(route, WARMUP_ROWS, method[route]), args.timeout)
            print(f"  warm-up {route}: {warm.status} in {_fmt(warm.done_s, '.1f')} s", file=sys.stderr)
        for rows in sizes:
            for route in args.routes:
                path = files[(route, rows)]
                run = FileRun(route, rows, method[route], scan_s=scan_seconds(path, method[route]))
                print(
                    f"  {route} {rows:,} rows: sdp scan {run.scan_s:.1f} s; through the stack ...",
                    file=sys.stderr,
                )
                runs.append(run_file(settings, client, path, run, args.timeout))
                print(timeline(runs[-1]), file=sys.stderr)
    print(f"\nEnd to end per route ({DOMAIN} CSV; split = Airflow task times, % of landed->done)")
    print(table(runs))
    print()
    publish(results(runs), args.results)
    failed = [
        f"{r.route} {r.rows:,}: {r.status}, run {r.dag_state}"
        for r in runs
        if r.loaded_s is None or r.timed_out
    ]
    if failed:
        raise SystemExit(f"e2e_bench: not loaded in time: {'; '.join(failed)}; logs in {STACK_DIR / 'logs'}")
    if not args.keep_stack:  # ~10 GB of rows and WAL after the 1M-row files; kept when a run failed
        shutil.rmtree(STACK_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
