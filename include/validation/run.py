"""Validate one staged folder (include/staging.py) with Great Expectations before it is loaded.

Each table's suite runs in two parts. Expectations about the table as a whole (its columns, its
row count) read no values and run on the whole table, handed to pandas without a copy. Per-value
expectations (token formats, coarse positions, vocabularies, ranges) run on an evenly spaced sample
of at most `sample_rows` rows: on a 1M-row file they were most of the validation's time, since GX
runs them value by value in Python. What must hold for every row is checked completely elsewhere:
the residual-identifier check (reconcile.py) runs every detector over every value; the loader
checks every row number and violation key (include/db/loader.py) and PostgreSQL's constraints
check the vocabularies. A file smaller than the sample is checked whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds

from include.settings import settings
from include.staging import MANIFEST, QUARANTINE, QUARANTINE_SCHEMA, RECORDS, VIOLATIONS, StagedManifest
from include.validation.reconcile import CUSTOM_CHECKS, StagedTables
from include.validation.report import ValidationReport, build_report, entry_from_gx
from include.validation.suites import build_quarantine_suite, build_suite, build_violations_suite

# BASIC gives the counts; a zero sample size keeps GX from even collecting unexpected values.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}
# Expectation types that read a table's schema only, and the one that reads its size only: they run
# on frames holding nothing else (see _shape_frames).
SCHEMA_EXPECTATIONS = frozenset({"expect_column_to_exist", "expect_table_columns_to_match_set"})
SIZE_EXPECTATIONS = frozenset({"expect_table_row_count_to_equal"})
WHOLE_TABLE_EXPECTATIONS = SCHEMA_EXPECTATIONS | SIZE_EXPECTATIONS


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


def evenly_spaced(table: pa.Table, rows: int) -> pa.Table:
    """At most `rows` rows of `table`, spread over the whole of it (every k-th row): a defect in one
    part of a file (one Spark partition, one input batch) is not missed by taking only its head."""
    if table.num_rows <= rows:
        return table
    step = -(-table.num_rows // max(rows, 1))
    indices = np.arange(0, table.num_rows, step)
    # Taken batch by batch: a take over the whole chunked table concatenated its string columns first
    # (1M records: 0.5-0.9 s -> 0.15-0.2 s).
    parts, start = [], 0
    for batch in table.to_batches():
        first, end = np.searchsorted(indices, [start, start + batch.num_rows])
        if end > first:
            parts.append(batch.take(pa.array(indices[first:end] - start)))
        start += batch.num_rows
    return pa.Table.from_batches(parts, schema=table.schema)


def _split(suite: Any) -> tuple[Any, Any, Any]:
    """(schema part, size part, per-value part) of one suite, as three suites."""
    import great_expectations as gx

    def part(kind: str, keep: Callable[[str], bool]) -> Any:
        expectations = [e for e in suite.expectations if keep(e.expectation_type)]
        return gx.ExpectationSuite(name=f"{suite.name}.{kind}", expectations=expectations)

    return (
        part("schema", SCHEMA_EXPECTATIONS.__contains__),
        part("size", SIZE_EXPECTATIONS.__contains__),
        part("values", lambda kind: kind not in WHOLE_TABLE_EXPECTATIONS),
    )


def _shape_frames(data: pa.Table) -> tuple[Any, Any]:
    """(the table's columns with no rows, its rows with no columns) as DataFrames. GX fingerprints
    every batch by hashing its whole DataFrame (under 1 GB): on a 1M-row file that hashing was ~11 s
    of the validation, for expectations that never read a value."""
    import pandas as pd

    return data.schema.empty_table().to_pandas(), pd.DataFrame(index=pd.RangeIndex(data.num_rows))


def validate_staged(staged_dir: Path, *, sample_rows: int | None = None) -> ValidationReport:
    """Run the domain's records suite, the violations and quarantine suites and the cross-table
    checks on one staged folder; per-value expectations on at most `sample_rows` rows of each table
    (default: SDP_VALIDATION_SAMPLE_ROWS; see the module's docstring). Raises FileNotFoundError when
    a staged file is missing."""
    import great_expectations as gx

    started = time.perf_counter()
    sample_rows = sample_rows or settings().validation_sample_rows
    manifest, tables = read_staged(staged_dir)
    runs = {
        "records": (build_suite(manifest.domain, manifest), tables.records),
        "violations": (build_violations_suite(manifest), tables.violations),
        "quarantine": (build_quarantine_suite(manifest), tables.quarantine),
    }
    context = _ephemeral_context()
    source = context.data_sources.add_pandas("staged")
    entries: list[dict[str, Any]] = []
    checked: dict[str, int] = {}
    for table, (suite, data) in runs.items():
        sample = evenly_spaced(data, sample_rows)
        checked[table] = sample.num_rows
        if sample is data:  # one run of the whole suite: a second costs a small file more than it saves
            frames = [(suite, data.to_pandas())]
        else:
            schema, size, values = _split(suite)
            columns_only, rows_only = _shape_frames(data)
            frames = [(schema, columns_only), (size, rows_only), (values, sample.to_pandas())]
        for part, frame in frames:
            if not part.expectations:
                continue
            batch = source.add_dataframe_asset(part.name).add_batch_definition_whole_dataframe(part.name)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{part.name}.run", data=batch, suite=context.suites.add(part))
            )
            result = definition.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
            entries.extend(entry_from_gx(table, item) for item in result.results)
    entries.extend(check(manifest, tables) for check in CUSTOM_CHECKS)
    extra = {
        "domain": manifest.domain,
        "engine": manifest.engine,
        "sha256": manifest.sha256,
        "rows": {"records": tables.records.num_rows, "violations": tables.violations.num_rows},
        # Rows the per-value expectations read, per table (all of them below the sample size).
        "rows_checked_per_value": checked,
        "validate_s": round(time.perf_counter() - started, 3),
    }
    return build_report(runs["records"][0].name, entries, extra)
