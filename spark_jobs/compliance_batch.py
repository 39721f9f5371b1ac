"""Batch route: one file through the compliance core on Spark, written as a staged output
(include/staging.py). Run with

    spark-submit --master local[*] spark_jobs/compliance_batch.py --input FILE --staging-dir DIR \\
        --anonymize {none,tokenize,k_anonymity} --domain auto|... [--as-of DATE] [--job-key KEY]

DIR is this job's staging folder ($SDP_DATA_DIR/staging/<sha256>/<job-key>/); --job-key only
labels the run in the manifest and the log line.

Design: Spark schedules the Python work (placement, retries), the data never enters the JVM. Turning
Arrow batches into JVM rows and back (input, a union schema of records + violations + vault entries,
its cache, the Parquet writers) cost several times the core's own time, so each task reads and
writes Parquet itself with pyarrow.
- Pre-processing runs on the driver with `compliance.io.FileReader`: it owns row numbering and
  quarantine (ragged rows, bad bytes, bad JSON), so every route agrees on them. The rows are
  streamed (bounded memory) into one Parquet file with `_row` under DIR/_work/ on the shared
  staging storage, which executors reach; the driver never holds the file. Meanwhile a thread
  (`start_spark`) starts the session, ships the core and warms one Python worker per core, so
  Spark's fixed start overlaps staging instead of following it.
- Executors get the driver's `compliance` package as a tar.gz the job builds
  (`SparkContext.addArchive`): each executor unpacks it as `compliance/` in its Spark files
  directory, which PySpark puts on its workers' sys.path ahead of site-packages. Unpacked, not
  imported from a zip, so the C extensions (*.so) load and the package reads its policy YAML;
  executors only need pyarrow, numpy and the core's small pure dependencies in their Python, the
  same version as the driver's (PYSPARK_PYTHON). Each task reports whether every C extension
  loaded and where its core came from (`task_report`): the manifest's details.executor_core,
  `native_tasks=` in the log line.
- The driver classifies the columns from the file's first batch (exactly as `compliance.scan` does)
  and broadcasts classes + domain + as-of date; each task builds one CompliancePipeline with
  `prepare_from`, so all partitions make the same decisions as the single-process reference.
- The staged input's row groups are split into contiguous runs, one per task (default parallelism
  tasks at most): a small RDD of those runs. A task reads its run with pyarrow, runs the core and
  writes records / violations / vault Parquet files into its own attempt folder under _work/
  (application, partition, task attempt id), then returns one summary (folder, counts, core report).
- Commit on the driver: the action returns one summary per partition, from a successful attempt;
  only those attempts' files move into records/, violations/, vault/ (part-<partition>.parquet).
  A failed or speculative attempt's folder is never read and goes with _work/.
- The tokenization key reaches executors only through the environment: SDP_TOKEN_KEY is copied into
  `spark.executorEnv.SDP_TOKEN_KEY` (Spark redacts it: its name matches spark.redaction.regex).
  Likewise SDP_VAULT_KEY (the redaction pattern is extended to match it): the driver makes the
  job's data key and broadcasts it only wrapped; each task unwraps it with the master key.
- k-anonymity is global: after the tasks, the driver reads the quasi-identifier (+ sensitive)
  columns and `_row` of the records parts, generalises them with `k_anonymize`, and rewrites each
  records part batch by batch while committing it; suppressed rows drop out.
- Post-processing commits the parts, writes quarantine.parquet, then manifest.json last. Bad input
  writes error.json {reason} and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tarfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pyspark import SparkFiles, TaskContext
from pyspark.errors import PySparkRuntimeError
from pyspark.sql import SparkSession

import compliance
from compliance.anonymize.tokenize import KEY_ENV, KEY_ID_ENV
from compliance.engine_job import (
    ERROR,
    MANIFEST,
    RECORDS,
    ROW_COLUMN,
    VAULT,
    VIOLATIONS,
    WORK_DIR,
    BackgroundStep,
    EngineJob,
    FileDecisions,
    StagedInput,
    core_extensions,
    job_arguments,
    run_job,
    stage_rows,
)
from compliance.io import DEFAULT_BATCH_ROWS, InputError
from compliance.pipeline import CompliancePipeline
from compliance.rules.base import VIOLATION_SCHEMA
from compliance.vault import VAULT_KEY_ENV, VAULT_SCHEMA

LOG_PREFIX = "sdp-spark route=batch"
# Spark's default redaction pattern plus the vault key's name (SDP_VAULT_KEY matches none of it).
REDACTION_REGEX = r"(?i)secret|password|token|access[.]?key|vault"
INPUT_PART = "part-0.parquet"  # the staged input, under _work/input/
INPUT_ROW_GROUP = 16_384  # rows per Parquet row group of the staged input: the unit tasks split on
ATTEMPTS_DIR = "attempts"  # under _work/: a folder per application, in it one per task attempt
OUTPUTS = (RECORDS, VIOLATIONS, VAULT)  # what a task writes, each committed as a folder of parts
# Tests only: the partition whose first attempt fails after writing its files (a retried task).
FAIL_FIRST_ATTEMPT_ENV = "SDP_SPARK_TEST_FAIL_FIRST_ATTEMPT"


# -- arguments ----------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = job_arguments("compliance_batch", __doc__.splitlines()[0], default_anonymize="k_anonymity")
    parser.add_argument(
        "--k", type=int, default=None, help="k for k-anonymity (default: the domain policy's)"
    )
    return parser.parse_args(argv)


# -- pre-processing (driver) --------------------------------------------------------------------------
@dataclass
class StagedParquet(StagedInput):
    """The input file as Parquet parts with `_row` under `folder`."""

    folder: Path


def stage_input(source: Path, folder: Path) -> StagedParquet:
    """Stream the file through FileReader into folder/part-*.parquet (the header's columns and no
    rows when every row was quarantined). Raises InputError."""
    folder.mkdir(parents=True, exist_ok=True)
    reader, first = stage_rows(
        source,
        lambda schema: pq.ParquetWriter(folder / INPUT_PART, schema),
        lambda writer, batch: writer.write_batch(batch, row_group_size=INPUT_ROW_GROUP),
        header_only=True,
    )
    return StagedParquet.from_reader(reader, source, first, folder=folder)


def build_core_archive(folder: Path) -> Path:
    """The driver's `compliance` package as a tar.gz for executors: its sources, policy files and
    built C extensions at the archive's root (no caches)."""
    package = Path(compliance.__file__).resolve().parent
    target = folder / "compliance.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.add(path, str(path.relative_to(package)), recursive=False)
    return target


# -- pure processing (executors) ----------------------------------------------------------------------
def task_units(input_path: Path, parallelism: int) -> list[list[int]]:
    """The staged input's row groups in contiguous runs, one run per task: `parallelism` runs at most,
    at least one (then maybe empty: the task still writes its parts' schemas)."""
    groups = pq.ParquetFile(input_path).metadata.num_row_groups
    tasks = max(1, min(parallelism, groups))
    return [list(range(groups * i // tasks, groups * (i + 1) // tasks)) for i in range(tasks)]


def output_schemas(columns: list[str], vault: bool) -> dict[str, pa.Schema]:
    """The Parquet schema of each part a task writes (the staged layout's); no vault part without a
    vault key."""
    records = pa.schema(
        [pa.field(ROW_COLUMN, pa.int64(), nullable=False), *((n, pa.string()) for n in columns)]
    )
    schemas = {RECORDS: records, VIOLATIONS: VIOLATION_SCHEMA}
    return {**schemas, VAULT: VAULT_SCHEMA} if vault else schemas


def task_report(extensions: list[str], seconds: float, cpu_seconds: float) -> dict:
    """This executor task's core facts, summed on the driver: whether every C extension loaded here
    ("native"; one that fails to import, as from a zip, leaves its step on the Python fallback: same
    results, slower), whether the core was the job's archive ("shipped": not so in local mode when
    the driver's working directory holds the package), its wall and CPU seconds in the task.
    `extensions`: the driver's core_extensions()."""
    shipped = Path(SparkFiles.getRootDirectory()).resolve() in Path(compliance.__file__).resolve().parents
    native = all(name in sys.modules for name in extensions)
    return {
        "tasks": 1,
        "native": int(native),
        "shipped": int(shipped),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }


def make_task(
    decisions, input_path: Path, attempts: Path, columns: list[str], extensions: list[str]
) -> Callable[[int, Iterable[list[int]]], Iterator[dict]]:
    """The mapPartitionsWithIndex function: one partition holds one run of row groups. `decisions` is
    a broadcast of the driver's FileDecisions; `extensions` the driver's core_extensions()."""

    def run_task(partition: int, runs: Iterable[list[int]]) -> Iterator[dict]:
        started, cpu_started = time.perf_counter(), time.process_time()  # a worker runs one task at a time
        context = TaskContext.get()
        # taskAttemptId is unique in the application: a retry or a speculative copy never shares it.
        folder = (
            attempts / f"part-{partition:05d}-attempt-{context.attemptNumber()}-{context.taskAttemptId()}"
        )
        folder.mkdir(parents=True, exist_ok=True)
        groups = [group for run in runs for group in run]
        pipeline = decisions.value.pipeline()
        counts = dict.fromkeys(OUTPUTS, 0)
        with ExitStack() as stack:
            writers = {
                name: stack.enter_context(pq.ParquetWriter(folder / name, schema))
                for name, schema in output_schemas(columns, decisions.value.vault is not None).items()
            }
            for batch in _staged_batches(input_path, groups):
                for name, table in _task_outputs(pipeline, batch, columns).items():
                    if name in writers and table.num_rows:
                        writers[name].write_table(table.cast(writers[name].schema))
                        counts[name] += table.num_rows
        if os.environ.get(FAIL_FIRST_ATTEMPT_ENV) == str(partition) and context.attemptNumber() == 0:
            raise RuntimeError(f"{FAIL_FIRST_ATTEMPT_ENV}: partition {partition} fails its first attempt")
        report = task_report(extensions, time.perf_counter() - started, time.process_time() - cpu_started)
        yield {"partition": partition, "folder": str(folder), "counts": counts, "report": report}

    return run_task


def _staged_batches(input_path: Path, groups: list[int]) -> Iterator[pa.RecordBatch]:
    with pq.ParquetFile(input_path) as source:
        yield from source.iter_batches(batch_size=DEFAULT_BATCH_ROWS, row_groups=groups)


def _task_outputs(pipeline: CompliancePipeline, batch: pa.RecordBatch, columns: list[str]) -> dict:
    """One staged input batch through the core: {output: table} in the parts' column order."""
    rows = batch.column(ROW_COLUMN)
    data = pa.RecordBatch.from_arrays([batch.column(name) for name in columns], names=columns)
    result = pipeline.process(data, rows.to_numpy())
    records = pa.Table.from_arrays([rows, *result.batch.columns], names=[ROW_COLUMN, *columns])
    return {
        RECORDS: records,
        VIOLATIONS: result.violations.select(VIOLATION_SCHEMA.names),
        VAULT: result.vault.select(VAULT_SCHEMA.names),
    }


# -- commit and k-anonymity (driver) ------------------------------------------------------------------
def select_attempts(summaries: list[dict], tasks: int) -> list[dict]:
    """The one summary of each partition 0..tasks-1, in partition order: what the action returned,
    i.e. a successful attempt per partition (Spark drops failed attempts' and duplicate speculative
    results). Anything else (a partition missing or twice) is a broken run: RuntimeError."""
    chosen: dict[int, dict] = {}
    for summary in summaries:
        if summary["partition"] in chosen:
            raise RuntimeError(f"two results for partition {summary['partition']}")
        chosen[summary["partition"]] = summary
    if sorted(chosen) != list(range(tasks)):
        raise RuntimeError(f"results for partitions {sorted(chosen)}, expected 0..{tasks - 1}")
    return [chosen[partition] for partition in range(tasks)]


def commit_parts(
    chosen: list[dict], staging: Path, rewrite_records: Callable[[Path, Path], int] | None = None
) -> int:
    """Move the chosen attempts' files into staging/records|violations|vault as
    part-<partition>.parquet; no other file under _work/ is read. `rewrite_records` (k-anonymity)
    writes a records part from its attempt's file instead of moving it and returns its rows.
    Returns the records committed."""
    records = 0
    for summary in chosen:
        folder = Path(summary["folder"])
        for name in OUTPUTS:
            source, target = folder / name, staging / name / f"part-{summary['partition']:05d}.parquet"
            if not source.exists():  # no vault part without a vault key
                continue
            target.parent.mkdir(exist_ok=True)
            if name == RECORDS and rewrite_records is not None:
                records += rewrite_records(source, target)
                continue
            os.replace(source, target)
            records += summary["counts"][RECORDS] if name == RECORDS else 0
    return records


def k_anonymity_pass(
    pipeline: CompliancePipeline, parts: list[Path]
) -> tuple[Callable[[Path, Path], int] | None, int, dict]:
    """Generalise the quasi-identifiers over the whole file (the records `parts`, in file order);
    (the records rewrite for commit_parts or None, suppressed count, stats). Raises InputError."""
    quasi = pipeline.quasi_identifiers()
    if not quasi:
        return None, 0, {"applied": False, "reason": "no quasi-identifier columns in this file"}
    sensitive = pipeline.sensitive_attribute()
    columns = [ROW_COLUMN, *pipeline.k_anonymity_columns()]
    table = ds.dataset(parts, format="parquet").to_table(columns=columns)
    table = table.sort_by(ROW_COLUMN)  # file order, as the single-process pass sees it
    try:
        result = pipeline.k_anonymize(table)
    except ValueError as exc:  # e.g. fewer than k rows: the file cannot be published
        raise InputError(f"k-anonymity impossible for this file: {exc}") from exc
    published = result.table.sort_by(ROW_COLUMN)
    kept = published.column(ROW_COLUMN).to_numpy()
    values = {name: published.column(name).combine_chunks().cast(pa.string()) for name in quasi}

    def rewrite(source: Path, target: Path) -> int:
        written = 0
        with pq.ParquetFile(source) as part, pq.ParquetWriter(target, part.schema_arrow) as writer:
            for batch in part.iter_batches(batch_size=DEFAULT_BATCH_ROWS):
                generalised = generalise_batch(batch, kept, values)
                writer.write_batch(generalised)
                written += generalised.num_rows
        return written

    return rewrite, len(result.suppressed_rows), result.stats(quasi, sensitive)


def generalise_batch(batch: pa.RecordBatch, kept: np.ndarray, values: dict[str, pa.Array]) -> pa.RecordBatch:
    """`batch`'s rows whose `_row` is in `kept` (sorted), their `values` columns replaced by the
    published value of that row (values[name][i] belongs to kept[i]): a join on `_row` by position."""
    rows = batch.column(ROW_COLUMN).to_numpy()
    at = np.searchsorted(kept, rows)
    present = at < len(kept)
    present[present] = kept[at[present]] == rows[present]
    index = pa.array(at[present], pa.int64())
    mask = pa.array(present)
    arrays = [
        values[name].take(index) if name in values else batch.column(name).filter(mask)
        for name in batch.schema.names
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


# -- the job ------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict:
    """Process one file into args.staging_dir; returns the manifest written. Raises InputError."""
    staging: Path = args.staging_dir
    staging.mkdir(parents=True, exist_ok=True)
    for stale in (MANIFEST, ERROR):  # a retry must not leave an old completeness signal behind
        (staging / stale).unlink(missing_ok=True)
    work = staging / WORK_DIR
    for stale in (WORK_DIR, *OUTPUTS):  # a retry's parts and data key are new ones
        shutil.rmtree(staging / stale, ignore_errors=True)
    start = BackgroundStep(lambda: start_spark(work), "spark-start")
    job = EngineJob.start(args, staging, lambda: stage_input(args.input, work / "input"), args.k, start)
    spark = start.result()
    staged, driver, clock = job.staged, job.pipeline, job.clock
    clock.charge("spark_session_s")  # what the driver still waited for after staging
    context = spark.sparkContext
    extensions = core_extensions()
    decisions = context.broadcast(FileDecisions.of(driver, job.vault))
    input_path = staged.folder / INPUT_PART
    units = task_units(input_path, context.defaultParallelism)
    # Per application too: an orphaned earlier run of this job never writes into this run's folders.
    attempts = work / ATTEMPTS_DIR / context.applicationId
    task = make_task(decisions, input_path, attempts, staged.columns, extensions)
    summaries = context.parallelize(units, len(units)).mapPartitionsWithIndex(task).collect()
    chosen = select_attempts(summaries, len(units))
    counts = {name: sum(s["counts"][name] for s in chosen) for name in OUTPUTS}
    if counts[RECORDS] != staged.rows:
        raise RuntimeError(f"the core returned {counts[RECORDS]} records for {staged.rows} rows read")
    rewrite, suppressed, k_stats = None, 0, {}
    if args.anonymize == "k_anonymity":
        parts = [Path(s["folder"]) / RECORDS for s in chosen]
        rewrite, suppressed, k_stats = k_anonymity_pass(driver, parts)
    clock.charge("pure_processing_s")

    committed = commit_parts(chosen, staging, rewrite)
    if committed != staged.rows - suppressed:
        raise RuntimeError(f"{committed} records committed, {staged.rows - suppressed} expected")
    details = {
        "partitions": len(units),
        "spark_version": spark.version,
        "master": context.master,
        "spark_session_s": round(clock.spent["spark_session_s"], 3),
        "spark_start_s": round(start.seconds, 3),
        "k_anonymity": k_stats,
        "executor_core": _core_details([s["report"] for s in chosen], extensions),
    }
    return job.finish(
        engine="spark",
        violations=counts[VIOLATIONS],
        details=details,
        suppressed=suppressed,
        vault_entries=counts[VAULT],
    )


def start_spark(work: Path) -> SparkSession:
    """The session, the core archive and warm Python workers, made while the driver stages the input
    (EngineJob.start's `alongside`): the session's ~3 s JVM-side start and the workers' ~2-3 s start
    and imports used to follow staging. The job's tasks then reuse the warm workers
    (spark.python.worker.reuse), whose `compliance` comes from the archive where executors take it."""
    spark = _session()
    context = spark.sparkContext
    work.mkdir(parents=True, exist_ok=True)
    # Unpacked as `compliance/` beside the task's other Spark files: importable, .so files included.
    context.addArchive(f"{build_core_archive(work)}#compliance")
    parallelism = context.defaultParallelism
    context.parallelize(range(parallelism), parallelism).foreachPartition(_import_core)
    return spark


def _import_core(_: Iterable[int]) -> None:
    """A warm-up task: start a Python worker and import what every task needs."""
    for module in ("compliance.engine_job", "compliance.pipeline", "pyarrow.parquet"):
        importlib.import_module(module)


def _session() -> SparkSession:
    builder = SparkSession.builder.appName("sdp-compliance-batch")
    builder = builder.config("spark.redaction.regex", REDACTION_REGEX)
    builder = builder.config("spark.python.worker.reuse", "true")  # the warm-up's workers run the tasks
    for name in (KEY_ENV, KEY_ID_ENV, VAULT_KEY_ENV):
        if os.environ.get(name):
            builder = builder.config(f"spark.executorEnv.{name}", os.environ[name])
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _started_session() -> SparkSession | None:
    """The job's session, if one was started: SparkStart makes it on another thread, and
    getActiveSession() only sees the calling thread's."""
    try:
        return SparkSession.active()
    except PySparkRuntimeError:  # none started (e.g. a missing key failed the job first)
        return None


def _core_details(reports: list[dict], extensions: list[str]) -> dict:
    report = {
        key: sum(r[key] for r in reports) for key in ("tasks", "native", "shipped", "seconds", "cpu_seconds")
    }
    tasks = report["tasks"]
    per_task = {key: round(report[key] / max(tasks, 1), 3) for key in ("seconds", "cpu_seconds")}
    return {
        "tasks": tasks,
        "native_tasks": report["native"],
        "shipped_tasks": report["shipped"],
        "extensions": extensions,
        "mean_task_s": per_task["seconds"],
        "mean_task_cpu_s": per_task["cpu_seconds"],
        "max_task_s": round(max((r["seconds"] for r in reports), default=0.0), 3),  # the straggler
    }


def _log_fields(manifest: dict) -> str:
    details = manifest["details"]
    core = details["executor_core"]
    return (
        f"suppressed={manifest['records_suppressed']} violations={manifest['violations']} "
        f"partitions={details['partitions']} native_tasks={core['native_tasks']}/{core['tasks']}"
    )


def main(argv: list[str] | None = None) -> int:
    return run_job(run, parse_args(argv), LOG_PREFIX, _log_fields)


if __name__ == "__main__":
    code = main()
    active = _started_session()
    if active is not None:
        active.stop()
    sys.exit(code)
