"""Load one staged set (include/staging.py) into PostgreSQL in one transaction.

The model is checks -> COPY -> insert: the staged Parquet is checked against the manifest (row
numbers and violation keys, with Arrow) and streamed as CSV (written by Arrow, no per-cell Python):
records and quarantine into temp tables, inserted from there into the results tables (the records'
jsonb payload is built in SQL), violations straight into theirs, together with the job and file
bookkeeping (and the audit row when an actor is given). Anything wrong rolls the whole
transaction back, so a file is either fully loaded or not at all. The staged vault entries
(encrypted originals of reversible tokens) with the job's wrapped data key, and a first load's
violations, are stored beside it, on a second connection whose transaction commits just before
the load's (include/db/beside.py).

Idempotency is by the file's SHA-256 (one data_files row per content): the file's load lock
serialises concurrent loads of one file, and a file that already has results is reported as a
duplicate unless `reprocess=True`, which replaces its results within the same transaction
(readers see the old set or the new one, never a mix).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.dataset as ds
from psycopg import sql

from compliance.vault import WrappedKey
from include.db.audit import AuditAction, audit
from include.db.beside import BesidePart, LoadBeside
from include.db.copy import copy_chunks
from include.db.files import FileStatus, JobStatus, finish_job, set_file_status
from include.db.sql import load_sql
from include.db.token_digests import array_literals, record_token_keys
from include.db.vault import VaultEntriesError, copy_vault_entries, insert_vault_entries
from include.staging import (
    QUARANTINE,
    QUARANTINE_SCHEMA,
    RECORDS,
    ROW_COLUMN,
    VAULT,
    VAULT_SCHEMA,
    VIOLATIONS,
    VIOLATIONS_SCHEMA,
    StagedManifest,
)
from include.streaming.status import supersede_older_stream_jobs

_COPY_BATCH_ROWS = 50_000
# Audit rows of a load describe the job (as the pipeline's other job steps do).
_AUDIT_OBJECT = "data_processing_job"
# jsonb_build_object takes at most 100 arguments: wider rows are built from several calls.
_JSONB_PAIRS_PER_CALL = 50
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False)
# One violation per (row, field, type): the results table's unique key, checked before the load.
_VIOLATION_KEYS = VIOLATIONS_SCHEMA.names[:3]
# The parts a load stores on its second connection (include/db/beside.py), by name.
_VAULT_PART = "vault"
_VIOLATIONS_PART = "violations"
# The staged records' last column: the keys of the row's token digests (include/db/token_digests.py).
TOKEN_KEYS_COLUMN = "token_keys"


class StagedSetError(ValueError):
    """The staged set is incomplete or does not reconcile with its manifest; nothing was loaded."""


@dataclass(frozen=True)
class LoadResult:
    records_loaded: int
    violations_loaded: int
    quarantined: int
    duplicate: bool
    seconds: float = 0.0
    vault_entries: int = 0  # tokens newly stored in the vault (one already stored keeps its entry)
    # Seconds per step of the load (checks, staged COPY, records, violations, quarantine, the wait
    # for the vault part, commit; and the vault part's own time, beside them): where a slow load
    # spends its time, for the log line and the load benchmark.
    phases: dict[str, float] = field(default_factory=dict, compare=False)


def load_staged(
    database_url: str,
    staged_dir: Path | str,
    *,
    file_id: int,
    job_id: int,
    reprocess: bool = False,
    actor: str | None = None,
) -> LoadResult:
    """Load a staged folder for `file_id` under `job_id`.

    A file that already has results is left untouched unless `reprocess`: the job is marked
    `duplicate` and `LoadResult(duplicate=True)` returned. Raises StagedSetError (nothing
    loaded) when the staged set does not reconcile. With an `actor`, the `loaded` / `duplicate`
    audit row is written inside the load's transaction; without, the caller audits.
    """
    started = time.perf_counter()
    staged_dir = Path(staged_dir)
    manifest = StagedManifest.read(staged_dir)
    _check_manifest(manifest)
    keys = {"file_id": file_id, "job_id": job_id}
    phases: dict[str, float] = {}
    beside: LoadBeside | None = None
    committed = False
    try:
        with psycopg.connect(database_url) as conn, conn.transaction():
            job_status = _lock_file_and_job(conn, manifest, staged_dir, keys)
            has_results = conn.execute(load_sql("load_file_has_results"), keys).fetchone()[0]
            if has_results and not reprocess:
                # A retried task whose job already loaded the file keeps its `succeeded` status.
                if job_status != JobStatus.SUCCEEDED:
                    finish_job(conn, job_id, JobStatus.DUPLICATE)
                if actor:
                    details = {"file_id": file_id, "sha256": manifest.sha256, "staged_dir": str(staged_dir)}
                    audit(conn, actor=actor, action=AuditAction.DUPLICATE, object_type=_AUDIT_OBJECT,
                          object_id=job_id, details=details)  # fmt: skip
                return LoadResult(0, 0, 0, duplicate=True, seconds=time.perf_counter() - started)

            # Earlier rows of the file to replace: a reprocess's, or violations left by a load
            # that failed to commit; their unique keys would make violations stored beside wait.
            replace_old = (
                has_results or conn.execute(load_sql("load_file_has_violations"), keys).fetchone()[0]
            )
            parts = _beside_parts(manifest, staged_dir, keys, violations=not replace_old)
            if parts:
                beside = LoadBeside(database_url, parts, file_id=file_id, job_id=job_id)
            with conn.cursor() as cur:
                result = _insert_results(
                    cur,
                    manifest,
                    staged_dir,
                    keys,
                    replace_old=replace_old,
                    violations=replace_old,
                    phases=phases,
                )
            with _timed(phases, "beside_wait"):
                stored = beside.stored() if beside else {}
            result = replace(
                result,
                violations_loaded=stored.get(_VIOLATIONS_PART, result.violations_loaded),
                vault_entries=stored.get(_VAULT_PART, 0),
            )
            _record_success(conn, manifest, job_id=job_id, file_id=file_id, result=result)
            result = replace(result, seconds=time.perf_counter() - started)
            if actor:
                details = {
                    "file_id": file_id,
                    "sha256": manifest.sha256,
                    "staged_dir": str(staged_dir),
                    "records_loaded": result.records_loaded,
                    "violations_loaded": result.violations_loaded,
                    "quarantined": result.quarantined,
                    "vault_entries": result.vault_entries,
                    "reprocessed": has_results,
                    "seconds": round(result.seconds, 3),
                }
                audit(conn, actor=actor, action=AuditAction.LOADED, object_type=_AUDIT_OBJECT,
                      object_id=job_id, details=details)  # fmt: skip
            if beside:
                beside.commit()  # first: a load committed without its other parts could not be undone
            committing = time.perf_counter()
        committed = True
        phases["commit"] = time.perf_counter() - committing
    finally:
        if beside:
            beside.close(load_committed=committed)
            phases.update(beside.seconds)
    return replace(result, seconds=time.perf_counter() - started, phases=phases)


def _beside_parts(
    manifest: StagedManifest, staged_dir: Path, keys: dict[str, int], *, violations: bool
) -> list[BesidePart]:
    """What the second connection stores: the vault part (when the job has a data key), then the
    violations when `violations` (a first load)."""
    parts = []
    if manifest.vault:
        parts.append(
            BesidePart(
                _VAULT_PART,
                partial(_store_vault, manifest=manifest, staged_dir=staged_dir, file_id=keys["file_id"]),
                undo="vault_delete_job_entries",
                undo_params={"key_id": WrappedKey.from_json(manifest.vault).key_id},
            )
        )
    if violations:
        parts.append(
            BesidePart(
                _VIOLATIONS_PART,
                partial(_copy_violations, staged_dir=staged_dir, keys=keys),
                undo="load_delete_job_violations",
                undo_params={},
            )
        )
    return parts


def _insert_results(
    cur: psycopg.Cursor,
    manifest: StagedManifest,
    staged_dir: Path,
    keys: dict[str, int],
    *,
    replace_old: bool,
    violations: bool,
    phases: dict[str, float],
) -> LoadResult:
    """Check the staged set, then store its records, quarantine rows and (when `violations`)
    violations in the load's transaction (replacing the file's earlier results when `replace_old`)."""
    cur.execute(load_sql("load_transaction_settings"))
    with _timed(phases, "check"):
        quarantined = _check_staged(manifest, staged_dir)
    with _timed(phases, "copy"):
        payload = _copy_staged(cur, staged_dir)
    if replace_old:
        cur.execute(load_sql("load_delete_file_results"), keys)
    # A stream job of the file still running (a reprocess while its messages wait) must not add its
    # rows after this load: the consumer ignores a superseded job.
    supersede_older_stream_jobs(cur, keys["file_id"], keys["job_id"])
    with _timed(phases, "records"):
        cur.execute(sql.SQL(load_sql("load_insert_records")).format(payload=payload), keys)
        records_loaded = cur.rowcount
    violations_loaded = 0
    if violations:
        with _timed(phases, "violations"):
            violations_loaded = _copy_violations(cur, staged_dir=staged_dir, keys=keys)
    with _timed(phases, "quarantine"):
        cur.execute(load_sql("load_insert_quarantine"), keys)
    return LoadResult(records_loaded, violations_loaded, quarantined, duplicate=False)


@contextmanager
def _timed(phases: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    phases[name] = phases.get(name, 0.0) + time.perf_counter() - started


def _lock_file_and_job(
    conn: psycopg.Connection, manifest: StagedManifest, staged_dir: Path, keys: dict[str, int]
) -> str:
    """Take the file's load lock (serialises loads of one file), then lock the file and job rows;
    returns the job status."""
    conn.execute(load_sql("load_lock_file_key"), keys)
    file = conn.execute(load_sql("load_lock_file"), keys).fetchone()
    if file is None:
        raise LookupError(f"no data_files row with id {keys['file_id']}")
    if file[0] != manifest.sha256:
        raise StagedSetError(
            f"{staged_dir} was staged for file sha256 {manifest.sha256}, not for file {keys['file_id']}"
        )
    job = conn.execute(load_sql("load_lock_job"), keys).fetchone()
    if job is None:
        raise LookupError(f"no data_processing_jobs row with id {keys['job_id']}")
    if job[0] != keys["file_id"]:
        raise ValueError(f"job {keys['job_id']} belongs to file {job[0]}, not to file {keys['file_id']}")
    return job[1]


def _record_success(
    conn: psycopg.Connection, manifest: StagedManifest, *, job_id: int, file_id: int, result: LoadResult
) -> None:
    """Job metrics (the engine's timings from the manifest) and the file's `loaded` status."""
    metrics = {
        "records_in": manifest.records_in,
        "records_loaded": result.records_loaded,
        "records_quarantined": result.quarantined,
        "violations": result.violations_loaded,
        "pre_processing_s": manifest.pre_processing_s,
        "pure_processing_s": manifest.pure_processing_s,
        "post_processing_s": manifest.post_processing_s,
        "records_per_second": manifest.records_per_second,
    }
    finish_job(conn, job_id, JobStatus.SUCCEEDED, metrics)
    set_file_status(conn, file_id, FileStatus.LOADED, domain=manifest.domain, row_count=manifest.records_in)


def _check_manifest(manifest: StagedManifest) -> None:
    accounted = manifest.records_staged + manifest.records_quarantined + manifest.records_suppressed
    if accounted != manifest.records_in:
        raise StagedSetError(
            f"manifest does not reconcile: staged {manifest.records_staged} + quarantined "
            f"{manifest.records_quarantined} + suppressed {manifest.records_suppressed} != "
            f"records_in {manifest.records_in}"
        )


def _copy_staged(cur: psycopg.Cursor, staged_dir: Path) -> sql.Composable:
    """COPY the staged records and quarantine into temp tables; returns the payload expression."""
    records = _dataset(staged_dir, RECORDS, [ROW_COLUMN])
    names = [name for name in records.schema.names if name != ROW_COLUMN]
    columns, payload = record_columns_sql(names)
    cur.execute(sql.SQL(load_sql("load_create_staged_records")).format(columns=columns))
    _copy(cur, "staged_records", _csv_chunks(records, [ROW_COLUMN, *names], keys_of=names))

    quarantine = _dataset(staged_dir, QUARANTINE, QUARANTINE_SCHEMA.names)
    cur.execute(load_sql("load_create_staged_quarantine"))
    _copy(cur, "staged_quarantine", _csv_chunks(quarantine, QUARANTINE_SCHEMA.names))
    return payload


def _copy_violations(cur: psycopg.Cursor, *, staged_dir: Path, keys: dict[str, int]) -> int:
    """COPY the staged violations straight into the results table, file and job ids as leading
    columns: _check_staged already checked them, so a temp table and INSERT .. SELECT would only
    copy them again (measured: 2.7M violations, temp COPY 5.5 s + insert 18.9 s)."""
    violations = _dataset(staged_dir, VIOLATIONS, VIOLATIONS_SCHEMA.names)
    chunks = _csv_chunks(violations, VIOLATIONS_SCHEMA.names, leading=(keys["file_id"], keys["job_id"]))
    copy_chunks(cur, load_sql("load_copy_violations"), chunks)
    return cur.rowcount


def _store_vault(cur: psycopg.Cursor, *, manifest: StagedManifest, staged_dir: Path, file_id: int) -> int:
    """The staged vault part and its data key (the manifest names one); returns new entries."""
    wrapped_key = WrappedKey.from_json(manifest.vault)
    entries = _dataset(staged_dir, VAULT, VAULT_SCHEMA.names)
    try:
        staged = copy_vault_entries(
            cur, entries.to_batches(columns=VAULT_SCHEMA.names, batch_size=_COPY_BATCH_ROWS), wrapped_key
        )
    except VaultEntriesError as exc:
        raise StagedSetError(f"{VAULT} in {staged_dir}: {exc}") from None
    expected = manifest.vault.get("entries", staged)
    if staged != expected:
        raise StagedSetError(f"{VAULT} in {staged_dir}: {staged} entries staged, manifest says {expected}")
    return insert_vault_entries(cur, wrapped_key, file_id)


def record_columns_sql(names: list[str]) -> tuple[sql.Composable, sql.Composable]:
    """For a temp table of records: its column definitions (`_row bigint`, then positional text
    columns c1..cN, so any column name fits) and the jsonb payload expression over them, keyed
    by the original names. Measured: building the payload in SQL costs the server no more
    than parsing JSON text serialized by the client, and saves the client's work."""
    positional = [sql.Identifier(f"c{i}") for i in range(1, len(names) + 1)]
    columns = [sql.SQL("{} bigint").format(sql.Identifier(ROW_COLUMN))]
    columns += [sql.SQL("{} text").format(column) for column in positional]
    pairs = [
        sql.SQL("{}, {}").format(sql.Literal(name), column)
        for name, column in zip(names, positional, strict=True)
    ]
    calls = [
        sql.SQL("jsonb_build_object({})").format(sql.SQL(", ").join(pairs[i : i + _JSONB_PAIRS_PER_CALL]))
        for i in range(0, len(pairs), _JSONB_PAIRS_PER_CALL)
    ]
    payload = sql.SQL(" || ").join(calls) if calls else sql.SQL("jsonb_build_object()")
    return sql.SQL(", ").join(columns), payload


def _dataset(staged_dir: Path, part: str, required: list[str]) -> ds.Dataset:
    """A staged part, one Parquet file or a directory of part files (Spark)."""
    path = staged_dir / part
    if not path.exists():
        raise StagedSetError(f"{part} is missing in {staged_dir}")
    dataset = ds.dataset(path, format="parquet")
    missing = [name for name in required if name not in dataset.schema.names]
    if missing:
        raise StagedSetError(f"{part} in {staged_dir} lacks columns {missing}")
    return dataset


def _csv_chunks(
    dataset: ds.Dataset,
    columns: list[str],
    *,
    keys_of: list[str] | None = None,
    leading: tuple[int, ...] = (),
) -> Iterator[pa.Buffer]:
    """The dataset as headerless CSV chunks: the first column (row number) as int64, the rest
    as text, as the temp tables expect. With `keys_of` (the payload's keys), a last column holds
    the keys of the row's token digests as a bigint[] literal; `leading` values (ids) go first in
    every row."""
    for batch in dataset.to_batches(columns=columns, batch_size=_COPY_BATCH_ROWS):
        if batch.num_rows:
            arrays = [pc.cast(batch.column(0), pa.int64())]
            arrays += [pc.cast(batch.column(i), pa.string()) for i in range(1, batch.num_columns)]
            names = columns
            if keys_of is not None:
                arrays.append(array_literals(record_token_keys(arrays[1:], keys_of)))
                names = [*columns, TOKEN_KEYS_COLUMN]
            if leading:
                ids = [pa.array(np.full(batch.num_rows, value, dtype=np.int64)) for value in leading]
                arrays, names = [*ids, *arrays], [f"_id{i}" for i in range(len(ids))] + list(names)
            sink = pa.BufferOutputStream()
            pa_csv.write_csv(pa.RecordBatch.from_arrays(arrays, names=names), sink, _CSV_OPTIONS)
            yield sink.getvalue()


def _copy(cur: psycopg.Cursor, table: str, chunks: Iterator[pa.Buffer]) -> None:
    copy_chunks(cur, sql.SQL(load_sql("load_copy_staged")).format(table=sql.Identifier(table)), chunks)


def _check_staged(manifest: StagedManifest, staged_dir: Path) -> int:
    """Reconcile the staged parts with the manifest before anything is sent; returns the number
    of quarantined rows. Only the row-number and violation-key columns are read (the same checks
    in SQL scanned the temp tables several times, the wide staged_records three times)."""
    records_in = manifest.records_in
    rows = _row_numbers(_dataset(staged_dir, RECORDS, [ROW_COLUMN]).to_table(columns=[ROW_COLUMN]))
    keys = _dataset(staged_dir, VIOLATIONS, VIOLATIONS_SCHEMA.names).to_table(columns=_VIOLATION_KEYS)
    keys = keys.set_column(0, _VIOLATION_KEYS[0], _row_numbers(keys))
    quarantine = _dataset(staged_dir, QUARANTINE, QUARANTINE_SCHEMA.names).to_table(columns=["row"])
    quarantined = _row_numbers(quarantine).drop_null()
    found = {
        "records": len(rows),
        # A null row number counts as a repeat and as out of range, as in SQL's count(DISTINCT).
        "records_duplicate_rows": len(rows) - _distinct(rows),
        "records_out_of_range": rows.null_count + _out_of_range(rows, records_in),
        "violations": keys.num_rows,
        "violations_duplicate_keys": _repeated_keys(keys, records_in),
        "violations_out_of_range": keys.column(0).null_count + _out_of_range(keys.column(0), records_in),
        "quarantined": len(quarantined),
        "quarantine_duplicate_rows": len(quarantined) - _distinct(quarantined),
        "quarantine_out_of_range": _out_of_range(quarantined, records_in),
        "quarantined_and_staged": _count_true(pc.is_in(quarantined, value_set=rows.combine_chunks())),
    }
    expected = {
        "records": manifest.records_staged,
        "violations": manifest.violations,
        "quarantined": manifest.records_quarantined,
    }
    problems = [
        f"{name}: {found[name]} staged, manifest says {count}"
        for name, count in expected.items()
        if found[name] != count
    ]
    problems += [f"{name}: {found[name]}" for name in found if name not in expected and found[name]]
    if problems:
        raise StagedSetError(f"staged set {staged_dir} does not reconcile: " + "; ".join(problems))
    return found["quarantined"]


def _repeated_keys(keys: pa.Table, records_in: int) -> int:
    """How many (row, field, type) keys occur more than once. Each key is packed into one int64
    (row, then the codes of field and type in their dictionaries; nulls get a code of their own)
    and the packed keys are sorted: several times faster than grouping by the three columns.
    Rows out of range are clipped to -1 or records_in first (so the packing cannot overflow):
    they may then count as repeats, in a staged set refused for them anyway."""
    if keys.num_rows == 0:
        return 0
    packed = np.clip(keys.column(0).fill_null(-1).to_numpy(), -1, records_in) + 1
    for column in keys.columns[1:]:
        encoded = pc.dictionary_encode(column).combine_chunks()
        width = len(encoded.dictionary) + 1
        codes = encoded.indices.fill_null(width - 1).to_numpy(zero_copy_only=False)
        packed = packed * width + codes
    _, counts = np.unique(packed, return_counts=True)
    return int(np.count_nonzero(counts > 1))


def _row_numbers(table: pa.Table) -> pa.ChunkedArray:
    """The first column as int64, as the temp tables store row numbers."""
    return pc.cast(table.column(0), pa.int64())


def _distinct(values: pa.ChunkedArray) -> int:
    return pc.count_distinct(values, mode="only_valid").as_py()


def _out_of_range(rows: pa.ChunkedArray, records_in: int) -> int:
    return _count_true(pc.or_(pc.less(rows, 0), pc.greater_equal(rows, records_in)))


def _count_true(mask: pa.Array | pa.ChunkedArray) -> int:
    return pc.sum(mask).as_py() or 0
