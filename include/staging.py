"""The staged output of one processing job: what every engine (Spark, stream consumer, Flink)
writes and what validation and the PostgreSQL load read. One folder per file and job:

    $SDP_DATA_DIR/staging/<sha256>/<job-key>/
        records.parquet     `_row` (int64, 0-based data row of the input) + anonymized columns (string)
        violations.parquet  row, field, type, regulation, severity, rule (the violation record, docs/architecture.md)
        quarantine.parquet  row (int64, null = whole file), reason (no raw values)
        vault.parquet       token, id_type, key_id, nonce, ciphertext: the encrypted originals of
                            reversible tokens (compliance/vault.py); absent without SDP_VAULT_KEY
        manifest.json       StagedManifest below

Engines may write records/violations as a directory of Parquet part files (Spark) instead of
one file: readers use `pyarrow.dataset`, which accepts both. The manifest's `vault` holds the
job's data key, wrapped by the master key (never the key itself), and the number of entries.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# The layout's names are defined with the engine jobs' helpers (they may import only the core).
from compliance.engine_job import ERROR, MANIFEST, QUARANTINE, RECORDS, ROW_COLUMN, VAULT, VIOLATIONS
from compliance.rules.base import VIOLATION_SCHEMA
from compliance.vault import VAULT_SCHEMA

__all__ = [
    "ERROR",
    "MANIFEST",
    "QUARANTINE",
    "RECORDS",
    "ROW_COLUMN",
    "VAULT",
    "VAULT_SCHEMA",
    "VIOLATIONS",
    "StagedManifest",
    "remove_staged",
    "write_staged_output",
]


# The violation record (docs/architecture.md), as the core's rule engine emits it.
VIOLATIONS_SCHEMA = VIOLATION_SCHEMA
QUARANTINE_SCHEMA = pa.schema([("row", pa.int64()), ("reason", pa.string())])


@dataclass
class StagedManifest:
    source_path: str
    sha256: str
    format: str
    domain: str
    engine: str  # spark | stream | flink | local
    anonymize: str  # none | tokenize | k_anonymity
    records_in: int  # data rows in the input file (staged + quarantined + suppressed)
    records_staged: int
    records_quarantined: int
    records_suppressed: int  # removed by k-anonymity suppression
    violations: int
    pre_processing_s: float
    pure_processing_s: float
    post_processing_s: float
    # Column classification, for validation ("which columns must hold tokens") and the audit.
    columns: list[dict] = field(default_factory=list)
    anonymized_columns: dict[str, str] = field(default_factory=dict)  # column -> method
    details: dict = field(default_factory=dict)  # engine-specific (lanes, k-anonymity stats, ...)
    # key_id, master_key_id, wrapped_key (base64), entries; empty when the job wrote no vault part.
    vault: dict = field(default_factory=dict)

    @property
    def records_per_second(self) -> float:
        return self.records_in / self.pure_processing_s if self.pure_processing_s > 0 else 0.0

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / MANIFEST
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))
        tmp.replace(path)  # atomic: a reader never sees half a manifest
        return path

    @classmethod
    def read(cls, folder: Path) -> StagedManifest:
        data = json.loads((Path(folder) / MANIFEST).read_text())
        return cls(**data)


def write_staged_output(
    folder: Path, records: pa.Table, violations: pa.Table, quarantine: pa.Table, manifest: StagedManifest
) -> None:
    """Write a job's staged output as single Parquet files; the manifest last, as it describes the
    tables already there."""
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(records, folder / RECORDS)
    pq.write_table(violations, folder / VIOLATIONS)
    pq.write_table(quarantine, folder / QUARANTINE)
    manifest.write(folder)


def remove_staged(folder: Path | str, staging_root: Path) -> bool:
    """Delete a job's staging folder (and its file's folder once empty); returns whether it was
    there. Callers do so only once the folder's data is committed or refused for good. A folder
    outside `staging_root` is left alone (ValueError): this never deletes anything else."""
    folder, staging_root = Path(folder).resolve(), Path(staging_root).resolve()
    if staging_root not in folder.parents:
        raise ValueError(f"{folder} is not a staging folder under {staging_root}")
    existed = folder.exists()
    shutil.rmtree(folder, ignore_errors=True)
    if folder.parent != staging_root:
        with contextlib.suppress(OSError):  # another job of the same file still stages there
            folder.parent.rmdir()
    return existed
