"""Staged outputs in tests: the tables a test stages by hand, and an engine job's output read back in
the tests of both engines (spark_jobs/, flink_jobs/)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from compliance.vocabulary import VIOLATION_KEYS
from include.staging import QUARANTINE_SCHEMA, RECORDS, ROW_COLUMN, VIOLATIONS, VIOLATIONS_SCHEMA

VIOLATION_FIELDS = tuple(VIOLATION_KEYS)


def violations_table(violations: list[tuple]) -> pa.Table:
    """Violations given as (row, field, type, regulation, severity, rule) tuples, as a staged table."""
    rows = [dict(zip(VIOLATIONS_SCHEMA.names, v, strict=True)) for v in violations]
    return pa.Table.from_pylist(rows, VIOLATIONS_SCHEMA)


def quarantine_table(rows: list[dict]) -> pa.Table:
    """Quarantine rows given as {"row": ..., "reason": ...}, as a staged table."""
    return pa.Table.from_pylist(rows, QUARANTINE_SCHEMA)


def staged_violations(staging: Path) -> list[tuple]:
    """The staged violations, sorted, checked to have the violation format's columns."""
    table = ds.dataset(staging / VIOLATIONS, format="parquet").to_table()
    assert table.schema.names == list(VIOLATION_FIELDS)
    assert table.schema.field("row").type == pa.int64()
    return sorted(zip(*(table.column(k).to_pylist() for k in VIOLATION_FIELDS), strict=True))


def staged_records(staging: Path) -> pa.Table:
    """The staged records by input row, checked to lead with the int64 `_row`."""
    table = ds.dataset(staging / RECORDS, format="parquet").to_table()
    assert table.schema.names[0] == ROW_COLUMN and table.schema.field(ROW_COLUMN).type == pa.int64()
    return table.sort_by(ROW_COLUMN)


def jsonl_violations(path: Path) -> list[tuple]:
    """`sdp scan`'s violations (the single-process reference), sorted like staged_violations."""
    with open(path, encoding="utf-8") as handle:
        return sorted(tuple(json.loads(line)[k] for k in VIOLATION_FIELDS) for line in handle)
