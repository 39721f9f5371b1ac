"""Batch route: one file through the compliance core on Spark, written as a staged output
(include/staging.py). Run with

    spark-submit --master local[*] spark_jobs/compliance_batch.py --input FILE --staging-dir DIR \\
        --anonymize {none,tokenize,k_anonymity} --domain auto|... [--as-of DATE] [--job-key KEY]

DIR is this job's staging folder ($SDP_DATA_DIR/staging/<sha256>/<job-key>/); --job-key only
labels the run in the manifest and the log line.

Design:
- Pre-processing runs on the driver with `compliance.io.FileReader`, before Spark starts: it owns
  row numbering and quarantine (ragged rows, bad bytes, bad JSON), so every route agrees on them. The
  rows are streamed (bounded memory) into Parquet parts with `_row` under DIR/_work/ on the shared
  staging storage, which executors then read in parallel splits. Parsing is cheap next to detection,
  so this single sequential pass is not the bottleneck; the driver never holds the file.
- Executors get the driver's `compliance` package as a tar.gz the job builds
  (`SparkContext.addArchive`): each executor unpacks it as `compliance/` in its Spark files
  directory, which PySpark puts on its workers' sys.path ahead of site-packages. Unpacked, not
  imported from a zip, so the C extensions (*.so) load and the package reads its policy YAML;
  executors only need pyarrow, numpy and the core's small pure dependencies in their Python, the
  same version as the driver's (PYSPARK_PYTHON). Each task reports whether every C extension
  loaded and where its core came from (`CoreReport`): the manifest's details.executor_core,
  `native_tasks=` in the log line.
- The driver classifies the columns from the file's first batch (exactly as `compliance.scan` does)
  and broadcasts classes + domain + as-of date; each task builds one CompliancePipeline with
  `prepare_from`, so all partitions make the same decisions as the single-process reference.
- One `mapInArrow` pass emits records, violations and vault entries in a union schema (`_kind` says
  which), cached so the core runs once; two passes would run detection twice.
- The tokenization key reaches executors only through the environment: SDP_TOKEN_KEY is copied into
  `spark.executorEnv.SDP_TOKEN_KEY` (Spark redacts it: its name matches spark.redaction.regex).
  Likewise SDP_VAULT_KEY (the redaction pattern is extended to match it): the driver makes the
  job's data key and broadcasts it only wrapped; each task unwraps it with the master key.
- k-anonymity is global: the quasi-identifier (+ sensitive) columns and `_row` are collected to the
  driver as Arrow, generalised by `k_anonymize`, and broadcast-joined back on `_row`; suppressed rows
  drop out of the inner join.
- Post-processing writes records/violations (Spark directories), quarantine.parquet, then
  manifest.json last. Bad input writes error.json {reason} and exits 2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark import SparkFiles, StorageLevel
from pyspark.accumulators import AccumulatorParam
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BinaryType, LongType, StringType, StructField, StructType

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
from compliance.vault import VAULT_KEY_ENV, VAULT_SCHEMA
from compliance.vocabulary import VIOLATION_KEYS

LOG_PREFIX = "sdp-spark route=batch"
KIND = "_kind"
RECORD, VIOLATION, VAULT_ENTRY = "r", "v", "k"
# Violation and vault columns in the union schema, prefixed so they never collide with a data column.
VIOLATION_COLUMNS = tuple(f"_v_{key}" for key in VIOLATION_KEYS if key != "row")
VAULT_COLUMNS = tuple(f"_k_{name}" for name in VAULT_SCHEMA.names)
# Spark's default redaction pattern plus the vault key's name (SDP_VAULT_KEY matches none of it).
REDACTION_REGEX = r"(?i)secret|password|token|access[.]?key|vault"
INPUT_ROW_GROUP = 16_384  # rows per Parquet row group of the staged input: the unit Spark splits on


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
        lambda schema: pq.ParquetWriter(folder / "part-0.parquet", schema),
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
def union_schema(columns: list[str]) -> StructType:
    fields = [StructField(KIND, StringType(), False), StructField(ROW_COLUMN, LongType(), False)]
    fields += [StructField(name, StringType(), True) for name in columns]
    fields += [StructField(name, StringType(), True) for name in VIOLATION_COLUMNS]
    fields += [
        StructField(name, BinaryType() if pa.types.is_binary(kind.type) else StringType(), True)
        for name, kind in zip(VAULT_COLUMNS, VAULT_SCHEMA, strict=True)
    ]
    return StructType(fields)


class CoreReport(AccumulatorParam):
    """Per-task facts summed on the driver: tasks, tasks that ran with every C extension loaded
    ("native"), tasks whose core was the job's archive ("shipped": not so in local mode when the
    driver's working directory holds the package), and the tasks' wall and CPU time in the core
    ("seconds", "cpu_seconds": the gap is time the Python worker waited, on the JVM's side of the
    Arrow exchange or for a core)."""

    def zero(self, value: dict) -> dict:
        return {}

    def addInPlace(self, value1: dict, value2: dict) -> dict:
        for key, amount in value2.items():
            value1[key] = value1.get(key, 0) + amount
        return value1


def task_report(extensions: list[str], seconds: float, cpu_seconds: float) -> dict:
    """This executor task's CoreReport entry. `extensions`: the driver's core_extensions(); one that
    fails to import here (as from a zip) leaves its step on the Python fallback (same results, slower)."""
    shipped = Path(SparkFiles.getRootDirectory()).resolve() in Path(compliance.__file__).resolve().parents
    native = all(name in sys.modules for name in extensions)
    return {
        "tasks": 1,
        "native": int(native),
        "shipped": int(shipped),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }


def make_processor(
    decisions, columns: list[str], report, extensions: list[str]
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The mapInArrow function. `decisions` is a broadcast of the driver's FileDecisions; `report`
    a CoreReport accumulator; `extensions` the driver's core_extensions()."""

    def process_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        started, cpu_started = time.perf_counter(), time.process_time()  # a worker runs one task at a time
        pipeline = decisions.value.pipeline()
        for batch in batches:
            if batch.num_rows == 0:
                continue
            rows = batch.column(ROW_COLUMN).to_numpy()
            data = pa.RecordBatch.from_arrays([batch.column(name) for name in columns], names=columns)
            result = pipeline.process(data, rows)
            yield _union_part(RECORD, batch.column(ROW_COLUMN), result.batch.columns, [], batch.num_rows)
            found = result.violations
            if found.num_rows:
                yield _union_part(
                    VIOLATION,
                    found.column("row").combine_chunks(),
                    [pa.nulls(found.num_rows, pa.string())] * len(columns),
                    [found.column(key).combine_chunks().cast(pa.string()) for key in VIOLATION_KEYS[1:]],
                    found.num_rows,
                )
            entries = result.vault
            if entries.num_rows:
                yield _union_part(
                    VAULT_ENTRY,
                    pa.nulls(entries.num_rows, pa.int64()).fill_null(-1),
                    [pa.nulls(entries.num_rows, pa.string())] * len(columns),
                    [],
                    entries.num_rows,
                    [entries.column(name).combine_chunks() for name in VAULT_SCHEMA.names],
                )
        report.add(task_report(extensions, time.perf_counter() - started, time.process_time() - cpu_started))

    return process_partition


def _union_part(
    kind: str,
    rows: pa.Array,
    data: list[pa.Array],
    violation: list[pa.Array],
    n: int,
    vault: list[pa.Array] | None = None,
):
    violation = violation or [pa.nulls(n, pa.string())] * len(VIOLATION_COLUMNS)
    vault = vault or [pa.nulls(n, field.type) for field in VAULT_SCHEMA]
    arrays = [pa.repeat(kind, n).cast(pa.string()), rows.cast(pa.int64()), *data, *violation, *vault]
    return pa.RecordBatch.from_arrays(arrays, schema=_arrow_union_schema(len(data)))


def _arrow_union_schema(data_columns: int) -> pa.Schema:
    # Field names are positional for mapInArrow; only types and order must match the Spark schema.
    names = [KIND, ROW_COLUMN, *(f"c{i}" for i in range(data_columns)), *VIOLATION_COLUMNS, *VAULT_COLUMNS]
    types = [pa.string(), pa.int64(), *[pa.string()] * (data_columns + len(VIOLATION_COLUMNS))]
    types += [field.type for field in VAULT_SCHEMA]
    return pa.schema(
        [pa.field(n, t, nullable=i >= 2) for i, (n, t) in enumerate(zip(names, types, strict=True))]
    )


# -- k-anonymity (driver) -----------------------------------------------------------------------------
def k_anonymity_pass(
    spark: SparkSession, records: DataFrame, pipeline: CompliancePipeline, columns: list[str]
) -> tuple[DataFrame, int, dict]:
    """Generalise the quasi-identifiers over the whole file; (records, suppressed count, stats)."""
    quasi = pipeline.quasi_identifiers()
    if not quasi:
        return records, 0, {"applied": False, "reason": "no quasi-identifier columns in this file"}
    sensitive = pipeline.sensitive_attribute()
    names = pipeline.k_anonymity_columns()
    table = records.select(_col(ROW_COLUMN), *(_col(n) for n in names)).toArrow()
    table = table.sort_by(ROW_COLUMN)  # file order, as the single-process pass sees it
    try:
        result = pipeline.k_anonymize(table)
    except ValueError as exc:  # e.g. fewer than k rows: the file cannot be published
        raise InputError(f"k-anonymity impossible for this file: {exc}") from exc
    generalised = pa.table(
        [result.table.column(ROW_COLUMN), *(result.table.column(n).cast(pa.string()) for n in quasi)],
        names=[ROW_COLUMN, *quasi],
    )
    schema = StructType(
        [StructField(ROW_COLUMN, LongType(), False), *(StructField(n, StringType(), True) for n in quasi)]
    )
    replacement = spark.createDataFrame(generalised, schema=schema)
    joined = records.drop(*quasi).join(F.broadcast(replacement), on=ROW_COLUMN, how="inner")
    stats = result.stats(quasi, sensitive)
    return joined.select(_col(ROW_COLUMN), *(_col(n) for n in columns)), len(result.suppressed_rows), stats


def _col(name: str):
    """A column by its exact name, even with dots or spaces (JSON keys, CSV headers)."""
    return F.col("`" + name.replace("`", "``") + "`")


# -- the job ------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict:
    """Process one file into args.staging_dir; returns the manifest written. Raises InputError."""
    staging: Path = args.staging_dir
    staging.mkdir(parents=True, exist_ok=True)
    for stale in (MANIFEST, ERROR):  # a retry must not leave an old completeness signal behind
        (staging / stale).unlink(missing_ok=True)
    work = staging / WORK_DIR
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(staging / VAULT, ignore_errors=True)  # a retry's data key is a new one
    job = EngineJob.start(args, staging, lambda: stage_input(args.input, work / "input"), k=args.k)
    staged, driver, clock = job.staged, job.pipeline, job.clock

    spark = _session()
    clock.charge("spark_session_s")
    context = spark.sparkContext
    # Unpacked as `compliance/` beside the task's other Spark files: importable, .so files included.
    context.addArchive(f"{build_core_archive(work)}#compliance")
    extensions = core_extensions()
    report = context.accumulator({}, CoreReport())
    decisions = context.broadcast(FileDecisions.of(driver, job.vault))
    input_schema = StructType(
        [
            StructField(ROW_COLUMN, LongType(), False),
            *(StructField(n, StringType(), True) for n in staged.columns),
        ]
    )
    source = spark.read.schema(input_schema).parquet(str(staged.folder))
    processor = make_processor(decisions, staged.columns, report, extensions)
    processed = source.mapInArrow(processor, union_schema(staged.columns))
    processed = processed.persist(StorageLevel.MEMORY_AND_DISK_DESER)  # no serialisation of cached batches
    counts = dict(processed.groupBy(KIND).count().collect())  # runs the core once, filling the cache
    partitions = source.rdd.getNumPartitions()  # after the action: planning is warm by now
    if counts.get(RECORD, 0) != staged.rows:
        raise RuntimeError(f"the core returned {counts.get(RECORD, 0)} records for {staged.rows} rows read")
    records = processed.filter(F.col(KIND) == RECORD).select(
        _col(ROW_COLUMN), *(_col(n) for n in staged.columns)
    )
    suppressed, k_stats = 0, {}
    if args.anonymize == "k_anonymity":
        records, suppressed, k_stats = k_anonymity_pass(spark, records, driver, staged.columns)
    clock.charge("pure_processing_s")

    records.write.mode("overwrite").parquet(str(staging / RECORDS))
    processed.filter(F.col(KIND) == VIOLATION).select(
        F.col(ROW_COLUMN).alias("row"),
        *(F.col(f"_v_{key}").alias(key) for key in VIOLATION_KEYS[1:]),
    ).write.mode("overwrite").parquet(str(staging / VIOLATIONS))
    if job.vault is not None:
        processed.filter(F.col(KIND) == VAULT_ENTRY).select(
            *(
                F.col(column).alias(name)
                for column, name in zip(VAULT_COLUMNS, VAULT_SCHEMA.names, strict=True)
            )
        ).write.mode("overwrite").parquet(str(staging / VAULT))
    processed.unpersist()
    details = {
        "partitions": partitions,
        "spark_version": spark.version,
        "master": context.master,
        "spark_session_s": round(clock.spent["spark_session_s"], 3),
        "k_anonymity": k_stats,
        "executor_core": _core_details(report.value, extensions),
    }
    return job.finish(
        engine="spark",
        violations=counts.get(VIOLATION, 0),
        details=details,
        suppressed=suppressed,
        vault_entries=counts.get(VAULT_ENTRY, 0),
    )


def _session() -> SparkSession:
    builder = (
        SparkSession.builder.appName("sdp-compliance-batch")
        .config("spark.sql.caseSensitive", "true")  # "Email" and "email" are two columns
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(DEFAULT_BATCH_ROWS))
        .config("spark.sql.files.openCostInBytes", str(1 << 20))  # small files still split over cores
        # The cache lives for two writes right after it is built: compressing it only costs CPU.
        .config("spark.sql.inMemoryColumnarStorage.compressed", "false")
    )
    builder = builder.config("spark.redaction.regex", REDACTION_REGEX)
    for name in (KEY_ENV, KEY_ID_ENV, VAULT_KEY_ENV):
        if os.environ.get(name):
            builder = builder.config(f"spark.executorEnv.{name}", os.environ[name])
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _core_details(report: dict, extensions: list[str]) -> dict:
    tasks = report.get("tasks", 0)
    per_task = {key: round(report.get(key, 0.0) / max(tasks, 1), 3) for key in ("seconds", "cpu_seconds")}
    return {
        "tasks": tasks,
        "native_tasks": report.get("native", 0),
        "shipped_tasks": report.get("shipped", 0),
        "extensions": extensions,
        "mean_task_s": per_task["seconds"],
        "mean_task_cpu_s": per_task["cpu_seconds"],
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
    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    sys.exit(code)
