"""Checks GX has no expectation for, because they span tables or read the manifest alone. They return
entries shaped like the GX ones (`table` "manifest", `expectation` = the check's name) for the same report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from compliance.anonymization import COLUMN_METHODS
from compliance.columns import ColumnRole
from compliance.detection.residual import residual_identifiers
from compliance.pipeline import default_threads
from compliance.policy import load_policy
from include.staging import ROW_COLUMN, StagedManifest


@dataclass(frozen=True)
class StagedTables:
    records: pa.Table
    violations: pa.Table
    quarantine: pa.Table


def _entry(check: str, success: bool, **details: Any) -> dict[str, Any]:
    return {"table": "manifest", "check": check, "expectation": check, "success": success, **details}


def quarantined_rows(quarantine: pa.Table, records_in: int) -> int:
    """Distinct input rows quarantined; a null `row` quarantines the whole file."""
    rows = quarantine.column("row")
    if rows.null_count:
        return records_in
    return len(pc.unique(rows))


def counts_reconcile(manifest: StagedManifest, tables: StagedTables) -> dict[str, Any]:
    """rows in = rows staged + rows quarantined + rows suppressed, for the manifest and for the files,
    and no row is both staged and quarantined (else the sum would hide a lost row)."""
    staged = tables.records.num_rows
    quarantined = quarantined_rows(tables.quarantine, manifest.records_in)
    overlap = 0
    if ROW_COLUMN in tables.records.column_names and tables.quarantine.num_rows:
        overlap = int(
            pc.sum(pc.is_in(tables.quarantine.column("row"), tables.records.column(ROW_COLUMN))).as_py() or 0
        )
    declared = manifest.records_staged + manifest.records_quarantined + manifest.records_suppressed
    actual = staged + quarantined + manifest.records_suppressed
    success = declared == actual == manifest.records_in and overlap == 0
    return _entry(
        "counts_reconcile",
        success,
        records_in=manifest.records_in,
        staged={"manifest": manifest.records_staged, "parquet": staged},
        quarantined={"manifest": manifest.records_quarantined, "parquet": quarantined},
        suppressed=manifest.records_suppressed,
        staged_and_quarantined=overlap,
    )


def identifiers_anonymized(manifest: StagedManifest, tables: StagedTables) -> dict[str, Any]:
    """Every identifier column went through an anonymizer, unless the run asked for none."""
    clear = []
    if manifest.anonymize != "none":
        clear = [
            str(column["field"])
            for column in manifest.columns
            if column.get("role") == ColumnRole.IDENTIFIER
            and column["field"] not in manifest.anonymized_columns
        ]
    return _entry("identifiers_anonymized", not clear, columns=sorted(clear))


def known_methods(manifest: StagedManifest, tables: StagedTables) -> dict[str, Any]:
    unknown = sorted(
        name for name, method in manifest.anonymized_columns.items() if method not in COLUMN_METHODS
    )
    return _entry("known_methods", not unknown, columns=unknown)


def no_raw_identifiers(manifest: StagedManifest, tables: StagedTables) -> dict[str, Any]:
    """Defence in depth: every detector, none disabled and in the pipeline's fail-closed mode,
    over every column of the anonymized records. Any identifier left fails validation, which
    quarantines the file. Reports columns, types and counts, never values. Skipped when the run
    asked for no anonymization."""
    if manifest.anonymize == "none":
        return _entry("no_raw_identifiers", True, skipped="the run asked for no anonymization")
    records = tables.records
    if ROW_COLUMN in records.column_names:
        records = records.drop_columns([ROW_COLUMN])
    policy = load_policy(manifest.domain)
    counts = residual_identifiers(records, gps_precision=policy.gps_precision, threads=default_threads())
    residual = [{"column": f, "type": t, "count": n} for (f, t), n in sorted(counts.items())]
    return _entry(
        "no_raw_identifiers", not residual, unexpected_count=sum(counts.values()), residual=residual
    )


CUSTOM_CHECKS: tuple[Callable[[StagedManifest, StagedTables], dict[str, Any]], ...] = (
    counts_reconcile,
    identifiers_anonymized,
    known_methods,
    no_raw_identifiers,
)
