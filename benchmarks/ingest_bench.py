"""Ingestion benchmarks: landed->loaded latency of small files on a running local stack, and the
batch route's throughput against a native-Spark baseline on the same file.

Latency: a private stack (PostgreSQL, the broker, the stream consumer, Airflow; state in
.local/bench/stack, free ports) is
started and warmed up with one file; then small generated files (mixed domains and formats) are
renamed into landing/ in two series: one at a time (each once the one before is loaded: an idle
platform), then `--gap` seconds apart (files overlap and queue for the cores). A file is loaded
when PostgreSQL shows data_files.status = 'loaded', observed by polling every 0.25 s: the loader's
own timestamps (data_files.updated_at, data_processing_jobs.finished_at) are both now() of the
load transaction, i.e. its start, not its commit. Small files take the stream route, whose
consumer marks a file loaded in the transaction that commits its last rows (validation and the
archive move follow). The engine tasks' time (Airflow's task_instance: process_*, publish/wait/stage
of the stream) and the job's own pre+pure+post timers are printed as shares of each latency.

Throughput: `spark-submit spark_jobs/compliance_batch.py --anonymize tokenize` on a generated
healthcare CSV, against `benchmarks/spark_baseline_job.py` (native rlike flags -> Parquet), with the
same Spark settings; wall time of each whole spark-submit, JVM start included.

    .venv/bin/python benchmarks/ingest_bench.py [--quick] [--only latency|batch] [--rows N]
        [--files N] [--file-rows N] [--gap S] [--repeat R] [--keep-stack]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from common import (
    AS_OF,
    CACHE_DIR,
    ROOT,
    Result,
    add_results_argument,
    dataset,
    publish,
    spark_submit_command,
)
from stack import FINAL_STATUSES, POLL_SECONDS, airflow_db, drop, private_stack

from compliance.generator import write_dataset
from include.db.files import sha256_of
from include.settings import Settings

STACK_DIR = CACHE_DIR / "stack"
LANDING_DAG_ID = "sdp_ingest_landing"
# The tasks that run a file's engine (all routes; the ones not taken are no-ops).
ENGINE_TASK_IDS = [f"ingest_file.{t}" for t in
                   ("process_batch", "process_hybrid", "process_stream")]  # fmt: skip
# Cycled over the dropped files: every domain, every input format.
SMALL_FILES = (("healthcare", "csv"), ("financial", "jsonl"), ("location", "parquet"), ("mixed", "csv"))
LATENCY_GOAL_S = 30.0
FILE_TIMEOUT_S = 900.0
QUICK_ROWS, QUICK_FILES = 100_000, 5
BATCH_DOMAIN = "healthcare"


# -- landed -> loaded latency ---------------------------------------------------------------------
@dataclass
class Landed:
    """One dropped file and what PostgreSQL says about it once it is final."""

    name: str
    sha256: str
    dropped_at: float = 0.0  # epoch seconds, right after the rename into landing/
    final_at: float | None = None  # epoch seconds when polling first saw a final status
    status: str = ""
    updated_at: float | None = None
    job_seconds: float | None = None  # the job's pre + pure + post timers
    run_id: str | None = None

    @property
    def latency(self) -> float | None:
        return None if self.final_at is None else self.final_at - self.dropped_at


def small_files(folder: Path, count: int, rows: int, nonce: int) -> list[Path]:
    """`count` generated files cycling over SMALL_FILES; `nonce` makes their bytes (SHA-256) new on
    every run, so the reused stack's database never sees them as duplicates."""
    files = []
    for index in range(count):
        domain, extension = SMALL_FILES[index % len(SMALL_FILES)]
        path = folder / f"bench-{nonce}-{index:02d}-{domain}.{extension}"
        write_dataset(domain, rows, path, seed=nonce * 1000 + index, as_of=AS_OF)
        files.append(path)
    return files


_STATUS_SQL = """
SELECT f.sha256, f.status, extract(epoch FROM f.updated_at)::float8,
       j.pre_processing_s + j.pure_processing_s + j.post_processing_s, j.run_id
FROM data_files f
LEFT JOIN LATERAL (SELECT * FROM data_processing_jobs WHERE file_id = f.id ORDER BY id DESC LIMIT 1) j ON true
WHERE f.sha256 = ANY(%s) AND f.status = ANY(%s)
"""


def poll(conn: psycopg.Connection, pending: dict[str, Landed]) -> None:
    """Mark the pending files PostgreSQL now shows as final (and drop them from `pending`)."""
    seen = time.time()
    for sha, status, updated_at, job_seconds, run_id in conn.execute(
        _STATUS_SQL, (list(pending), list(FINAL_STATUSES))
    ):
        landed = pending.pop(sha)
        landed.final_at, landed.status, landed.updated_at = seen, status, updated_at
        landed.job_seconds, landed.run_id = job_seconds, run_id


def drop_and_wait(settings: Settings, files: list[Path], gap: float) -> list[Landed]:
    """Drop `files` `gap` seconds apart (0: all at once) while polling until each is final."""
    landed = [Landed(path.name, sha256_of(path)) for path in files]
    pending: dict[str, Landed] = {}
    started = time.monotonic()
    next_drop = 0
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        while next_drop < len(files) or pending:
            while next_drop < len(files) and time.monotonic() - started >= next_drop * gap:
                landed[next_drop].dropped_at = drop(files[next_drop], settings.landing_dir)
                pending[landed[next_drop].sha256] = landed[next_drop]
                next_drop += 1
            poll(conn, pending)
            if pending and time.time() - min(f.dropped_at for f in pending.values()) > FILE_TIMEOUT_S:
                names = ", ".join(f.name for f in pending.values())
                raise SystemExit(f"ingest_bench: not final after {FILE_TIMEOUT_S:.0f} s: {names}; see "
                                 f"{settings.state_dir / 'logs'} and the Airflow task logs")  # fmt: skip
            time.sleep(POLL_SECONDS)
    return landed


def airflow_timings(
    settings: Settings, run_ids: list[str]
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Per DAG run: when it was queued (epoch s), and per file (map index) the wall seconds of its
    engine tasks, summed."""
    with airflow_db(settings) as conn:
        queued = dict(
            conn.execute(
                "SELECT run_id, extract(epoch FROM queued_at)::float8 FROM dag_run "
                "WHERE dag_id = %s AND run_id = ANY(%s)",
                (LANDING_DAG_ID, run_ids),
            ).fetchall()
        )
        engine: dict[str, list[float]] = {}
        for run_id, seconds in conn.execute(
            "SELECT run_id, sum(extract(epoch FROM end_date - start_date))::float8 FROM task_instance "
            "WHERE dag_id = %s AND task_id = ANY(%s) AND run_id = ANY(%s) AND end_date IS NOT NULL "
            "GROUP BY run_id, map_index",
            (LANDING_DAG_ID, ENGINE_TASK_IDS, run_ids),
        ):
            engine.setdefault(run_id, []).append(seconds)
    return queued, engine


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _over(value: float | None, reference: float) -> float | None:
    return None if value is None else value / reference


def latency_results(settings: Settings, timed: list[Landed], label: str) -> list[Result]:
    loaded = [f for f in timed if f.status == "loaded"]
    latencies = [f.latency for f in loaded if f.latency is not None]
    queued, engine = airflow_timings(settings, [f.run_id for f in loaded if f.run_id])
    # A run's engine time belongs to one file only when that run processed one file.
    one_file_runs = [f for f in loaded if len(engine.get(f.run_id, [])) == 1]
    engine_seconds = [engine[f.run_id][0] for f in one_file_runs]
    engine_share = [engine[f.run_id][0] / f.latency for f in one_file_runs]
    job_seconds = [f.job_seconds for f in loaded if f.job_seconds is not None]
    job_share = [f.job_seconds / f.latency for f in loaded if f.job_seconds is not None]
    to_queued = [queued[f.run_id] - f.dropped_at for f in loaded if f.run_id in queued]
    db_stamp = [f.updated_at - f.dropped_at for f in loaded if f.updated_at is not None]
    not_loaded = [f"{f.name}: {f.status}" for f in timed if f.status != "loaded"]
    note = f"not loaded: {', '.join(not_loaded)}" if not_loaded else f"{len(loaded)}/{len(timed)} loaded"
    p50, worst = _median(latencies), max(latencies, default=None)
    goal = f"goal {LATENCY_GOAL_S:.0f} s"

    def share(values: list[float]) -> float | None:
        return None if not values else 100 * statistics.median(values)

    def seconds_note(values: list[float], what: str) -> str:
        return f"p50 {statistics.median(values):.1f} s {what}" if values else ""

    return [
        Result("ingest", f"landed->loaded p50, {label}", p50, "s", goal, _over(p50, LATENCY_GOAL_S), note),
        Result(
            "ingest",
            f"landed->loaded max, {label}",
            worst,
            "s",
            goal,
            _over(worst, LATENCY_GOAL_S),
            note=seconds_note(db_stamp, "by data_files.updated_at"),
        ),
        Result("ingest", f"landed->DAG run queued p50 (claim + schedule), {label}", _median(to_queued), "s"),
        Result(
            "ingest",
            f"engine tasks' share of latency p50, {label}",
            share(engine_share),
            "%",
            note=seconds_note(engine_seconds, f"in the engine tasks ({len(engine_seconds)} one-file runs)"),
        ),
        Result(
            "ingest",
            f"job pre+pure+post share of latency p50, {label}",
            share(job_share),
            "%",
            note=seconds_note(job_seconds, "in the job's own timers"),
        ),
    ]


def run_latency(files: int, rows: int, gap: float, keep: bool) -> tuple[list[Result], bool]:
    """Two series of `files` small files on one stack: one at a time (each dropped once the one
    before is loaded: the latency of an idle platform), then `gap` seconds apart (under load).
    Returns the results and whether every timed file was loaded."""
    nonce = int(time.time())
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ingest-latency-", dir=CACHE_DIR) as scratch:
        generated = small_files(Path(scratch), 2 * files + 1, rows, nonce)
        warmup_file, one_by_one, spaced = generated[0], generated[1 : files + 1], generated[files + 1 :]
        with private_stack(STACK_DIR, keep) as settings:
            (warmup,) = drop_and_wait(settings, [warmup_file], gap=0)
            print(f"  warm-up file {warmup.status} after {warmup.latency:.1f} s", file=sys.stderr)
            sequential = [drop_and_wait(settings, [path], gap=0)[0] for path in one_by_one]
            concurrent = drop_and_wait(settings, spaced, gap)
            mode = f"{gap:g} s apart" if gap > 0 else "all at once"
            results = [
                Result(
                    "ingest",
                    "landed->loaded, first file after stack start",
                    warmup.latency,
                    "s",
                    note=f"warm-up, in no p50 ({warmup.status})",
                ),
                *latency_results(settings, sequential, f"{files} x {rows} rows, one at a time"),
                *latency_results(settings, concurrent, f"{files} x {rows} rows, {mode}"),
            ]
    return results, all(f.status == "loaded" for f in [*sequential, *concurrent])


# -- batch route throughput -----------------------------------------------------------------------
def spark_submit(script: Path, arguments: list[str]) -> tuple[float, str]:
    """Run one spark-submit application as the batch route does; (wall seconds, stdout)."""
    command, env = spark_submit_command(script, arguments, "local[*]")
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise SystemExit(f"ingest_bench: {script.name} exited with {done.returncode}:\n{tail}")
    return elapsed, done.stdout


def run_batch(rows: int, repeat: int) -> list[Result]:
    path, _ = dataset(BATCH_DOMAIN, rows)
    best_ours, best_baseline, manifest = float("inf"), float("inf"), {}
    with tempfile.TemporaryDirectory(prefix="ingest-batch-", dir=CACHE_DIR) as scratch:
        staging, output = Path(scratch) / "staging", Path(scratch) / "baseline"
        for _ in range(max(repeat, 1)):  # interleaved, so both see the same background load
            seconds, stdout = spark_submit(
                ROOT / "benchmarks" / "spark_baseline_job.py", ["--input", str(path), "--output", str(output)]
            )
            best_baseline = min(best_baseline, seconds)
            if f" rows={rows} " not in stdout:
                raise SystemExit(f"ingest_bench: the baseline did not write {rows} rows: {stdout.strip()}")
            seconds, _ = spark_submit(
                ROOT / "spark_jobs" / "compliance_batch.py",
                ["--input", str(path), "--staging-dir", str(staging), "--anonymize", "tokenize",
                 "--as-of", AS_OF.isoformat(), "--job-key", "bench"],
            )  # fmt: skip
            best_ours = min(best_ours, seconds)
            manifest = json.loads((staging / "manifest.json").read_text())
            if manifest["records_in"] != rows:
                raise SystemExit(f"ingest_bench: the batch job read {manifest['records_in']} rows of {rows}")
    label = f"{rows:,} {BATCH_DOMAIN} CSV rows"
    baseline_name = "spark rlike baseline"
    timers = "/".join(
        f"{manifest[k]:.1f}" for k in ("pre_processing_s", "pure_processing_s", "post_processing_s")
    )
    ours_rate, baseline_rate = rows / best_ours, rows / best_baseline
    return [
        Result("ingest", f"batch baseline: spark rlike -> Parquet, wall, {label}", best_baseline, "s"),
        Result(
            "ingest",
            f"batch route: compliance_batch tokenize, wall, {label}",
            best_ours,
            "s",
            baseline_name,
            best_ours / best_baseline,
            f"job pre/pure/post {timers} s",
        ),
        Result("ingest", f"batch baseline: spark rlike -> Parquet, {label}", baseline_rate, "rows/s"),
        Result(
            "ingest",
            f"batch route: compliance_batch tokenize, {label}",
            ours_rate,
            "rows/s",
            baseline_name,
            ours_rate / baseline_rate,
            f"{manifest['violations']:,} violations",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK_ROWS:,} rows, {QUICK_FILES} files")  # fmt: skip
    parser.add_argument("--only", choices=["latency", "batch"], help="run one of the two benchmarks")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the batch file (default 1M)")
    parser.add_argument("--files", type=int, default=10, help="small files dropped (default 10)")
    parser.add_argument("--file-rows", type=int, default=500, help="rows per small file (default 500)")
    parser.add_argument("--gap", type=float, default=5.0, help="seconds between drops; 0 = all at once")
    parser.add_argument("--repeat", type=int, default=1, help="batch timings are the best of this many runs")
    parser.add_argument("--keep-stack", action="store_true", help="leave the latency stack running")
    add_results_argument(parser)
    args = parser.parse_args()
    rows, files = (QUICK_ROWS, QUICK_FILES) if args.quick else (args.rows, args.files)
    results: list[Result] = []
    all_loaded = True
    if args.only in (None, "latency"):
        latency, all_loaded = run_latency(files, args.file_rows, args.gap, args.keep_stack)
        results += latency
    if args.only in (None, "batch"):
        results += run_batch(rows, args.repeat)
    publish(results, args.results)
    if not all_loaded:
        raise SystemExit("ingest_bench: some files were not loaded (see the note in the table)")


if __name__ == "__main__":
    main()
