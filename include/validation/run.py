"""Validate one staged folder (include/staging.py) with Great Expectations before it is loaded."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from include.staging import MANIFEST, QUARANTINE, QUARANTINE_SCHEMA, RECORDS, VIOLATIONS, StagedManifest
from include.validation.reconcile import CUSTOM_CHECKS, StagedTables
from include.validation.report import ValidationReport, build_report, entry_from_gx
from include.validation.suites import build_quarantine_suite, build_suite, build_violations_suite

# BASIC gives the counts; a zero sample size keeps GX from even collecting unexpected values.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}


def _read(path: Path) -> pa.Table:
    """A Parquet file or a folder of part files (Spark writes those)."""
    if not path.exists():
        raise FileNotFoundError(f"staged output is incomplete: {path.name} is missing in {path.parent}")
    return ds.dataset(path, format="parquet").to_table()


def read_staged(staged_dir: Path) -> tuple[StagedManifest, StagedTables]:
    staged_dir = Path(staged_dir)
    if not (staged_dir / MANIFEST).exists():
        raise FileNotFoundError(f"{staged_dir} is not a staged output: {MANIFEST} is missing")
    manifest = StagedManifest.read(staged_dir)
    tables = StagedTables(
        records=_read(staged_dir / RECORDS),
        violations=_read(staged_dir / VIOLATIONS),
        quarantine=_read(staged_dir / QUARANTINE),
    )
    if not set(QUARANTINE_SCHEMA.names) <= set(tables.quarantine.column_names):
        raise ValueError(f"{staged_dir / QUARANTINE}: expected columns {QUARANTINE_SCHEMA.names}")
    return manifest, tables


def _ephemeral_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # task logs, not a terminal
    return context


def validate_staged(staged_dir: Path) -> ValidationReport:
    """Run the domain's records suite, the violations and quarantine suites and the cross-table
    checks on one staged folder. Raises FileNotFoundError when a staged file is missing."""
    import great_expectations as gx

    started = time.perf_counter()
    manifest, tables = read_staged(staged_dir)
    runs = {
        "records": (build_suite(manifest.domain, manifest), tables.records),
        "violations": (build_violations_suite(manifest), tables.violations),
        "quarantine": (build_quarantine_suite(manifest), tables.quarantine),
    }
    context = _ephemeral_context()
    source = context.data_sources.add_pandas("staged")
    entries: list[dict[str, Any]] = []
    for table, (suite, data) in runs.items():
        batch = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe(table)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{suite.name}.run", data=batch, suite=context.suites.add(suite))
        )
        result = definition.run(batch_parameters={"dataframe": data.to_pandas()}, result_format=RESULT_FORMAT)
        entries.extend(entry_from_gx(table, item) for item in result.results)
    entries.extend(check(manifest, tables) for check in CUSTOM_CHECKS)
    extra = {
        "domain": manifest.domain,
        "engine": manifest.engine,
        "sha256": manifest.sha256,
        "rows": {"records": tables.records.num_rows, "violations": tables.violations.num_rows},
        "validate_s": round(time.perf_counter() - started, 3),
    }
    return build_report(runs["records"][0].name, entries, extra)
