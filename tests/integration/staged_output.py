"""Staged outputs in tests: the tables a test stages by hand, and an engine job's output read back in
the tests of both engines (spark_jobs/, flink_jobs/)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.scan import scan_file
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


def scan_reference(path: Path, workdir: Path, token_key: str, as_of: dt.date) -> dict:
    """`sdp scan`'s tokenized run of `path`, the single-process reference an engine job must match:
    its sorted violations, its records and its summary."""
    violations, output = workdir / "scan-violations.jsonl", workdir / "scan-records.parquet"
    summary = scan_file(
        path,
        violations_out=violations,
        output=output,
        anonymize="tokenize",
        tokenizer=Tokenizer(TokenKey(key_id="k1", secret=token_key.encode())),
        as_of=as_of,
    )
    return {"violations": jsonl_violations(violations), "records": pq.read_table(output), "summary": summary}


def assert_job_succeeded(done: subprocess.CompletedProcess, engine: str, route: str) -> str:
    """An engine job exited 0 and printed its one summary line (`sdp-<engine> route=<route> ...`)."""
    assert done.returncode == 0, done.stderr[-4000:]
    log = [line for line in done.stdout.splitlines() if line.startswith(f"sdp-{engine} ")]
    assert len(log) == 1 and f"route={route}" in log[0] and "records_per_s=" in log[0], done.stdout
    return log[0]
