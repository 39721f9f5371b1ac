"""What every engine job (spark_jobs/, flink_jobs/) shares: the staged-output layout they write
(read back by include/staging.py), and the small helpers of a job run. Engine jobs import only
the core (Spark executors and Flink workers get nothing else), which is why this lives here.

A job writes records/violations (Parquet), vault (Parquet, the encrypted originals of reversible
tokens, when SDP_VAULT_KEY is set), quarantine.parquet, then manifest.json last (with the job's
wrapped data key under "vault"); bad input writes error.json {reason} and exits EXIT_BAD_INPUT.

The shape of a job, whatever the engine: `EngineJob.start` on the client (check the keys, stage the
input with `stage_rows`, decide the file's classification from its first batch), the engine's own
processing, where each worker builds its pipeline from the client's `FileDecisions`, then
`EngineJob.finish` (quarantine, manifest last); `run_job` turns errors into exit codes and prints the
log line.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Generic, Self, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from compliance.anonymize.tokenize import Tokenizer, TokenKey, TokenKeyError
from compliance.columns import ColumnClass
from compliance.io import Chunk, FileReader, InputError, QuarantinedRow
from compliance.io_batches import concat_batches
from compliance.launcher_watch import exit_with_launcher
from compliance.pipeline import ANONYMIZE_METHODS, DOMAINS, CompliancePipeline
from compliance.vault import MasterKey, VaultEncryptor, VaultKeyError, WrappedKey

ROW_COLUMN = "_row"  # 0-based data row of the input file
RECORDS = "records.parquet"
VIOLATIONS = "violations.parquet"
QUARANTINE = "quarantine.parquet"
VAULT = "vault.parquet"
MANIFEST = "manifest.json"
ERROR = "error.json"
WORK_DIR = "_work"  # the job's own scratch space inside its staging folder
EXIT_BAD_INPUT = 2


def with_row(batch: pa.RecordBatch, rows: np.ndarray) -> pa.RecordBatch:
    """`batch` with the file-level row numbers in front, as `_row`."""
    return pa.RecordBatch.from_arrays(
        [pa.array(rows, pa.int64()), *batch.columns], names=[ROW_COLUMN, *batch.schema.names]
    )


def job_arguments(
    prog: str,
    description: str,
    default_anonymize: str,
    anonymize_methods: tuple[str, ...] = ANONYMIZE_METHODS,
) -> argparse.ArgumentParser:
    """The arguments every engine job takes (include.ingest.engine_arguments passes them); each job
    adds its own (--k, tuning) before parsing."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--input", required=True, type=Path, help="CSV, JSON Lines or Parquet file")
    parser.add_argument("--staging-dir", required=True, type=Path, help="this job's staging folder")
    parser.add_argument("--anonymize", choices=anonymize_methods, default=default_anonymize)
    parser.add_argument("--domain", choices=DOMAINS, default="auto")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (retention)")
    parser.add_argument("--job-key", default="", help="label of this run, recorded in the manifest")
    return parser


@dataclass
class StagedInput:
    """What the job's client read from the input file before the engine runs: FileReader's findings
    and the first batch (it fixes the file's decisions). Each job adds where it staged the rows."""

    format: str
    columns: list[str]
    rows: int
    quarantined: list[QuarantinedRow]
    first_batch: pa.RecordBatch
    sha256: str

    @property
    def records_seen(self) -> int:
        return self.rows + len(self.quarantined)

    @classmethod
    def from_reader(cls, reader: FileReader, source: Path, first: pa.RecordBatch | None, **where) -> Self:
        """What `reader` learned reading `source` to its end; `where` are the subclass's own fields.
        A file whose rows were all quarantined keeps its header's columns and stages no rows."""
        if first is None:
            first = _header_batch(reader.columns)
        return cls(
            format=reader.format,
            columns=list(first.schema.names),
            rows=reader.rows_read,
            quarantined=list(reader.quarantined),
            first_batch=first,
            sha256=file_sha256(source),
            **where,
        )


def _header_batch(columns: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], pa.string()) for _ in columns], names=columns)


def read_for_staging(reader: FileReader, source: Path) -> Iterator[tuple[Chunk, pa.RecordBatch]]:
    """Each chunk of `reader` with its batch and `_row` in front (what the job stages); refuses an
    input that already has a `_row` column. Raises InputError."""
    for chunk in reader:
        if ROW_COLUMN in chunk.batch.schema.names:
            raise InputError(f"{source.name}: column name {ROW_COLUMN!r} is reserved")
        yield chunk, with_row(chunk.batch, chunk.rows)


Writer = TypeVar("Writer")  # an engine's writer of its staged input


def stage_rows(
    source: Path,
    open_writer: Callable[[pa.Schema], AbstractContextManager[Writer]],
    write: Callable[[Writer, pa.RecordBatch], None],
    *,
    header_only: bool = False,
) -> tuple[FileReader, pa.RecordBatch | None]:
    """Stream `source` through FileReader into the engine's staged input: `open_writer` is called with
    the schema of the first batch (`_row` in front), `write` with every batch. With `header_only`, a
    file whose rows were all quarantined still gets a writer, for the header's columns. Returns the
    reader, read to its end, and the first batch as read (None without rows). Raises InputError."""
    reader = FileReader(source)
    first: pa.RecordBatch | None = None
    with contextlib.ExitStack() as stack:
        writer = None
        for chunk, batch in read_for_staging(reader, source):
            if writer is None:
                first = chunk.batch
                writer = stack.enter_context(open_writer(batch.schema))
            write(writer, batch)
        if writer is None and header_only:
            header = with_row(_header_batch(reader.columns), np.zeros(0, dtype=np.int64))
            stack.enter_context(open_writer(header.schema))
    return reader, first


class EvenBatchWriter:
    """A staged input as an Arrow IPC file of batches of exactly `batch_rows` rows (the last: what is
    left), cut across the reader's chunks (stage_rows' writer; the hybrid job's stream elements). The
    CSV reader's chunks end where its byte blocks do (~34k rows of the generator's files), so cutting
    each chunk alone left a ~1.5k-row batch after every full one, each paying the core's fixed cost
    per batch."""

    def __init__(self, path: Path, schema: pa.Schema, batch_rows: int) -> None:
        self.writer = pa.ipc.new_file(str(path), schema)
        self.batch_rows = batch_rows
        self.batches = 0
        self._pending: list[pa.RecordBatch] = []
        self._count = 0

    def __enter__(self) -> EvenBatchWriter:
        return self

    def __exit__(self, error: type[BaseException] | None, *_: object) -> None:
        if self._count and error is None:
            self._emit(concat_batches(self._pending))
        self.writer.close()

    def write(self, batch: pa.RecordBatch) -> None:
        self._pending.append(batch)
        self._count += batch.num_rows
        if self._count < self.batch_rows:
            return
        joined = concat_batches(self._pending)
        offset = 0
        while self._count - offset >= self.batch_rows:
            self._emit(joined.slice(offset, self.batch_rows))
            offset += self.batch_rows
        self._count -= offset
        self._pending = [joined.slice(offset)] if self._count else []

    def _emit(self, batch: pa.RecordBatch) -> None:
        self.writer.write_batch(batch)
        self.batches += 1


@dataclass(frozen=True)
class FileDecisions:
    """What the job's client decided for the whole file from its first batch. Every worker adopts it,
    so all of them decide as one process would; no key in here (the vault's data key only wrapped).
    An engine may subclass it to carry its own settings to the workers."""

    classes: list[ColumnClass]
    domain: str
    anonymize: str
    as_of: dt.date
    vault: dict | None  # the job's wrapped data key (compliance.vault.WrappedKey.to_json)

    @classmethod
    def of(cls, pipeline: CompliancePipeline, vault: VaultEncryptor | None, **extra) -> Self:
        """The decisions of the client's prepared `pipeline`; `extra`: a subclass's fields."""
        wrapped = vault.wrapped_key.to_json() if vault is not None else None
        return cls(pipeline.classes, pipeline.domain, pipeline.anonymize, pipeline.as_of, wrapped, **extra)

    def pipeline(
        self, anonymize: str | None = None, policy_path: str | Path | None = None
    ) -> CompliancePipeline:
        """A worker's pipeline with the file's decisions, its keys from the worker's environment.
        `anonymize`: another method than the file's ("none": detection only); `policy_path`: where
        the worker finds the policy file, when not in the package."""
        anonymize = anonymize or self.anonymize
        tokenizer = Tokenizer(TokenKey.from_env()) if anonymize != "none" else None
        pipeline = CompliancePipeline(
            domain=self.domain,
            anonymize=anonymize,
            tokenizer=tokenizer,
            policy_path=policy_path,
            as_of=self.as_of,
            vault=worker_vault(self.vault) if anonymize != "none" else None,
        )
        pipeline.prepare_from(self.classes)
        return pipeline


def job_vault(anonymize: str) -> VaultEncryptor | None:
    """The job's vault encryptor (a fresh data key wrapped by SDP_VAULT_KEY's master key), or None
    when nothing is tokenized or no vault key is set. Raises VaultKeyError for an unusable key."""
    if anonymize == "none":
        return None
    master = MasterKey.optional_from_env()
    return VaultEncryptor.new(master) if master is not None else None


def worker_vault(wrapped_key: dict | None) -> VaultEncryptor | None:
    """On an engine worker: the job's encryptor from its wrapped data key (the job's manifest
    entry), unwrapped with SDP_VAULT_KEY of the worker's environment."""
    if not wrapped_key:
        return None
    return VaultEncryptor.for_workers(WrappedKey.from_json(wrapped_key), MasterKey.from_env())


def vault_manifest(vault: VaultEncryptor | None, entries: int) -> dict:
    """The manifest's "vault" entry: the wrapped data key and how many entries were staged."""
    return {} if vault is None else {**vault.wrapped_key.to_json(), "entries": entries}


StagedT = TypeVar("StagedT", bound=StagedInput)


@dataclass
class EngineJob(Generic[StagedT]):
    """One run of an engine job on its client (the Spark driver, the Flink client): what every engine
    does before and after its own processing."""

    args: argparse.Namespace
    staging: Path  # the job's staging folder
    staged: StagedT
    pipeline: CompliancePipeline  # prepared: the file's decisions
    vault: VaultEncryptor | None
    clock: StepClock

    @classmethod
    def start(
        cls,
        args: argparse.Namespace,
        staging: Path,
        stage: Callable[[], StagedT],
        k: int | None = None,
        alongside: BackgroundStep | None = None,
    ) -> EngineJob[StagedT]:
        """Pre-processing: check the keys (fail fast), stage the input (`stage`), and decide the file's
        classification, domain and policy from its first batch, as `sdp scan` does. `alongside`
        (the engine's own start) runs on a thread from the key check on, so it overlaps staging;
        the caller takes its result. Raises InputError, TokenKeyError, VaultKeyError."""
        clock = StepClock()
        tokenizer = Tokenizer(TokenKey.from_env()) if args.anonymize != "none" else None  # fail fast
        vault = job_vault(args.anonymize)
        if alongside is not None:
            alongside.begin()
        try:
            staged = stage()
            pipeline = CompliancePipeline(
                domain=args.domain,
                anonymize=args.anonymize,
                tokenizer=tokenizer,
                as_of=args.as_of or dt.date.today(),
                k=k,
            )
            pipeline.prepare(staged.first_batch)
        except BaseException:
            if alongside is not None:
                alongside.join()  # e.g. bad input: the engine has started before the job ends
            raise
        clock.charge("pre_processing_s")
        return cls(args, staging, staged, pipeline, vault, clock)

    def finish(
        self,
        *,
        engine: str,
        violations: int,
        details: dict,
        suppressed: int = 0,
        vault_entries: int = 0,
    ) -> dict:
        """Post-processing after the engine wrote records, violations and vault parts:
        quarantine.parquet, the work folder removed, then manifest.json last. Returns the manifest."""
        write_quarantine(self.staging / QUARANTINE, self.staged.quarantined)
        shutil.rmtree(self.staging / WORK_DIR, ignore_errors=True)
        self.clock.charge("post_processing_s")
        manifest = self._manifest(engine, violations, suppressed, details, vault_entries)
        write_json_atomic(self.staging / MANIFEST, manifest)
        return manifest

    def _manifest(
        self, engine: str, violations: int, suppressed: int, details: dict, vault_entries: int
    ) -> dict:
        """The manifest.json every job writes last (include/staging.py reads it): counts, timings, the
        file's decisions (the pipeline has the run's as_of), and the engine's own `details`."""
        args, staged, pipeline, spent = self.args, self.staged, self.pipeline, self.clock.spent
        return {
            "source_path": str(args.input),
            "sha256": staged.sha256,
            "format": staged.format,
            "domain": pipeline.domain,
            "engine": engine,
            "anonymize": args.anonymize,
            "records_in": staged.records_seen,
            "records_staged": staged.rows - suppressed,
            "records_quarantined": len(staged.quarantined),
            "records_suppressed": suppressed,
            "violations": violations,
            **{
                f"{step}_processing_s": round(spent[f"{step}_processing_s"], 3)
                for step in ("pre", "pure", "post")
            },
            "columns": [c.summary() for c in pipeline.classes],
            "anonymized_columns": pipeline.anonymized_columns(),
            "vault": vault_manifest(self.vault, vault_entries),
            "details": {"job_key": args.job_key, "as_of": pipeline.as_of.isoformat(), **details},
        }


Result = TypeVar("Result")


class BackgroundStep(Generic[Result]):
    """`make()` on a thread from begin() on; result() waits for it and returns its value or raises
    its error. For an engine's fixed start (a JVM, its workers), which needs nothing from staging."""

    def __init__(self, make: Callable[[], Result], name: str) -> None:
        self.seconds = 0.0  # the step's own wall time
        self._make = make
        self._value: Result | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def begin(self) -> None:
        self._thread.start()

    def join(self) -> None:
        if self._thread.ident is not None:
            self._thread.join()

    def result(self) -> Result:
        """The step's value (made here if begin() never ran); raises its error."""
        if self._thread.ident is None:
            self._run()
        else:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self._value = self._make()
        except BaseException as exc:  # handed to the caller's thread by result()
            self._error = exc
        self.seconds = time.perf_counter() - started


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class StepClock:
    """Seconds charged to named buckets (pre / pure / post processing, ...), in wall time."""

    def __init__(self) -> None:
        self.mark = time.perf_counter()
        self.spent: dict[str, float] = {}

    def charge(self, bucket: str) -> None:
        now = time.perf_counter()
        self.spent[bucket] = self.spent.get(bucket, 0.0) + now - self.mark
        self.mark = now


def write_quarantine(path: Path, rows: list[QuarantinedRow]) -> None:
    table = pa.table(
        {
            "row": pa.array([q.row for q in rows], pa.int64()),
            "reason": pa.array([q.reason for q in rows], pa.string()),
        }
    )
    pq.write_table(table, path)


def write_json_atomic(path: Path, data: dict) -> None:
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
    os.chmod(handle.name, 0o644)  # NamedTemporaryFile creates 0600; the DAG and loader read it
    os.replace(handle.name, path)


def log_line(prefix: str, args: argparse.Namespace, manifest: dict, engine_fields: str) -> str:
    """A job's one line on success: the file and its counts, the engine's own fields, the timings
    (records/s over pure processing and the pre/pure/post split)."""
    pre, pure, post = (manifest[f"{step}_processing_s"] for step in ("pre", "pure", "post"))
    rate = manifest["records_in"] / pure if pure > 0 else 0.0
    return (
        f"{prefix} file={args.input.name} job_key={args.job_key or '-'} "
        f"domain={manifest['domain']} anonymize={manifest['anonymize']} records_in={manifest['records_in']} "
        f"staged={manifest['records_staged']} quarantined={manifest['records_quarantined']} "
        f"{engine_fields} records_per_s={rate:.0f} pre_s={pre:.2f} pure_s={pure:.2f} post_s={post:.2f} "
        f"total_s={pre + pure + post:.2f}"
    )


def run_job(
    run: Callable[[argparse.Namespace], dict],
    args: argparse.Namespace,
    prefix: str,
    engine_fields: Callable[[dict], str],
) -> int:
    """Run an engine job: bad input -> error.json + one stderr line + EXIT_BAD_INPUT; a missing or
    bad key -> one line + 1; success -> the log line, with the engine's own `engine_fields` of the
    manifest. `prefix` starts every line (e.g. "sdp-spark route=batch")."""
    exit_with_launcher()
    try:
        manifest = run(args)
    except InputError as exc:
        reason = str(exc).splitlines()[0]
        args.staging_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(args.staging_dir / WORK_DIR, ignore_errors=True)
        write_json_atomic(args.staging_dir / ERROR, {"reason": reason})
        print(f"{prefix} file={args.input.name} bad input: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (TokenKeyError, VaultKeyError) as exc:
        print(f"{prefix}: {exc}", file=sys.stderr)
        return 1
    print(log_line(prefix, args, manifest, engine_fields(manifest)), flush=True)
    return 0


def core_extensions() -> list[str]:
    """Module names of the C extensions built into this process's `compliance` package (none when
    the optional build was skipped: the core then runs its Python fallbacks everywhere). An engine
    compares them with what its workers could import, to show the shipped core kept them."""
    package = Path(__file__).resolve().parent
    return sorted(
        {
            ".".join(("compliance", *path.relative_to(package).parent.parts, path.name.split(".")[0]))
            for suffix in EXTENSION_SUFFIXES
            for path in package.rglob(f"*{suffix}")
        }
    )
