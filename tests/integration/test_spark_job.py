"""The Spark batch job through a real spark-submit (local[2]), compared with the single-process
reference `compliance.scan.scan_file` on the same file: same violations, same tokens, k-anonymous
output whose counts reconcile, FileReader's quarantine and row numbers, and bad input -> exit 2."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from pycanon import anonymity

from compliance.anonymize.tokenize import TOKEN_REGEX
from compliance.detection.blanks import BLANK_OR_TOKEN
from compliance.generator import write_dataset
from compliance.io import FileReader
from compliance.policy import load_policy
from include.settings import spark_conf_args
from include.staging import MANIFEST, QUARANTINE, RECORDS, ROW_COLUMN, StagedManifest
from include.validation import validate_staged
from spark_jobs.compliance_batch import FAIL_FIRST_ATTEMPT_ENV
from tests.integration.staged_output import (
    assert_job_succeeded,
    scan_reference,
    staged_records,
    staged_violations,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
JOB = REPO / "spark_jobs" / "compliance_batch.py"
TOKEN_KEY = "spark-job-test-key-0123456789"
AS_OF = dt.date(2025, 6, 30)
ROWS = 3000


def submit(
    input_path: Path, staging: Path, anonymize: str, master: str = "local[2]", **extra_env: str
) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYSPARK_PYTHON": str(VENV_BIN / "python"),
        "PYSPARK_DRIVER_PYTHON": str(VENV_BIN / "python"),
        "SDP_TOKEN_KEY": TOKEN_KEY,
        "SDP_TOKEN_KEY_ID": "k1",
        **extra_env,
    }
    command = [
        str(VENV_BIN / "spark-submit"),
        "--master",
        master,
        *spark_conf_args(),
        str(JOB),
        "--input",
        str(input_path),
        "--staging-dir",
        str(staging),
        "--anonymize",
        anonymize,
        "--domain",
        "auto",
        "--as-of",
        AS_OF.isoformat(),
        "--job-key",
        "test",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=420, check=False)
    assert TOKEN_KEY not in done.stdout + done.stderr, "the token key leaked into the job output"
    return done


def assert_succeeded(done: subprocess.CompletedProcess) -> None:
    assert_job_succeeded(done, "spark", "batch")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spark-job")


@pytest.fixture(scope="module")
def healthcare_csv(workdir: Path) -> Path:
    path = workdir / "healthcare.csv"
    write_dataset("healthcare", ROWS, path, seed=7, as_of=AS_OF)
    return path


@pytest.fixture(scope="module")
def reference(workdir: Path, healthcare_csv: Path) -> dict:
    """scan_file's violations and tokenized records for the healthcare file."""
    return scan_reference(healthcare_csv, workdir, TOKEN_KEY, AS_OF)


def test_tokenize_matches_single_process_scan(workdir: Path, healthcare_csv: Path, reference: dict) -> None:
    staging = workdir / "tokenize"
    assert_succeeded(submit(healthcare_csv, staging, "tokenize"))

    violations = staged_violations(staging)
    assert violations == reference["violations"]
    assert len(violations) > ROWS // 2  # the generated file is full of identifiers

    manifest = StagedManifest.read(staging)
    summary = reference["summary"]
    assert (manifest.engine, manifest.domain, manifest.anonymize) == ("spark", summary.domain, "tokenize")
    assert manifest.anonymized_columns == summary.anonymized_columns
    assert manifest.columns == summary.columns
    assert (manifest.records_in, manifest.records_staged, manifest.records_quarantined) == (ROWS, ROWS, 0)
    assert manifest.violations == len(violations)
    assert manifest.pure_processing_s > 0 and manifest.details["partitions"] >= 1

    records = staged_records(staging)
    assert records.column(ROW_COLUMN).to_pylist() == list(range(ROWS))
    expected = reference["records"]
    tokenized = [c for c, method in manifest.anonymized_columns.items() if method == "tokenize"]
    assert tokenized
    for name in tokenized:
        values = records.column(name)
        assert pa.compute.all(pa.compute.match_substring_regex(values, BLANK_OR_TOKEN)).as_py()
        assert values.to_pylist() == expected.column(name).to_pylist(), name
    # Every other column too: the whole anonymized file is the reference's.
    assert records.drop_columns([ROW_COLUMN]).equals(expected, check_metadata=False)


def test_a_semicolon_file_stages_as_its_comma_twin(
    workdir: Path, healthcare_csv: Path, reference: dict
) -> None:
    """A European spreadsheet export (';'-delimited) is split into its columns on the batch route:
    the same violations and anonymized records as the comma file it was written from."""
    semicolon = workdir / "healthcare_semicolon.csv"
    # pyarrow both ways, so an empty string stays quoted ("") and a null stays an empty field.
    header = next(csv.reader([healthcare_csv.read_text(encoding="utf-8").split("\n", 1)[0]]))
    table = pa_csv.read_csv(
        healthcare_csv,
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    pa_csv.write_csv(table, semicolon, pa_csv.WriteOptions(delimiter=";"))
    staging = workdir / "semicolon"
    # The driver imports this checkout's core (a worktree shares a virtualenv that installed another).
    assert_succeeded(submit(semicolon, staging, "tokenize", PYTHONPATH=str(REPO)))

    assert staged_violations(staging) == reference["violations"]
    manifest = StagedManifest.read(staging)
    assert manifest.columns == reference["summary"].columns
    assert (manifest.records_in, manifest.records_staged, manifest.records_quarantined) == (ROWS, ROWS, 0)
    records = staged_records(staging).drop_columns([ROW_COLUMN])
    assert records.equals(reference["records"], check_metadata=False)


def test_a_retried_task_attempt_stages_once(workdir: Path, healthcare_csv: Path, reference: dict) -> None:
    """Partition 0 fails its first attempt after writing its parts (a test-only hook); local[2,2]
    retries it. Only the successful attempt's files are staged: every row once, as the reference."""
    rows = healthcare_csv.read_text(encoding="utf-8").splitlines()
    path = workdir / "two-units.csv"  # more rows than one row group of the staged input: two tasks
    path.write_text("\n".join([rows[0], *rows[1:] * 7]) + "\n", encoding="utf-8")
    staging = workdir / "retried"

    done = submit(path, staging, "tokenize", "local[2,2]", **{FAIL_FIRST_ATTEMPT_ENV: "0"})

    assert_succeeded(done)
    assert f"{FAIL_FIRST_ATTEMPT_ENV}: partition 0 fails" in done.stdout + done.stderr  # it did fail
    manifest = StagedManifest.read(staging)
    assert manifest.details["partitions"] == 2 and manifest.records_staged == 7 * ROWS
    assert sorted(p.name for p in (staging / RECORDS).iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]
    records = staged_records(staging)
    assert records.column(ROW_COLUMN).to_pylist() == list(range(7 * ROWS))
    first = records.slice(0, ROWS).drop_columns([ROW_COLUMN])
    assert first.equals(reference["records"], check_metadata=False)  # the same rows: the same tokens
    violations = staged_violations(staging)
    assert len(set(violations)) == len(violations)  # no row's violations staged twice
    assert [v for v in violations if v[0] < ROWS] == reference["violations"]


def test_k_anonymity_output_is_k_anonymous_and_reconciles(
    workdir: Path, healthcare_csv: Path, reference: dict
) -> None:
    staging = workdir / "k_anonymity"
    assert_succeeded(submit(healthcare_csv, staging, "k_anonymity"))

    manifest = StagedManifest.read(staging)
    stats = manifest.details["k_anonymity"]
    assert stats["applied"] is True
    quasi = list(stats["quasi_identifiers"])
    assert quasi and stats["k"] == load_policy(manifest.domain).k

    records = staged_records(staging)
    assert records.num_rows == manifest.records_staged
    assert manifest.records_in == ROWS
    assert (
        manifest.records_in
        == manifest.records_staged + manifest.records_quarantined + manifest.records_suppressed
    )
    assert manifest.records_suppressed == stats["suppressed"]
    # A token in a QI column (the generator writes tokenized ZIPs and birth dates) is published whole
    # and withheld for the grouping: read as "*", every published combination covers >= k rows.
    frame = records.select(quasi).to_pandas()
    tokens = frame.map(lambda v: bool(re.fullmatch(TOKEN_REGEX, str(v))))
    assert tokens.any().all()  # every QI column holds some
    frame = frame.mask(tokens, "*").fillna("<null>")
    assert anonymity.k_anonymity(frame, quasi) >= stats["k"]
    # Validation accepts it (a broken token, "ZIP_CODE_K1_D*****", was a residual identifier).
    report = validate_staged(staging)
    assert report.success, report.failures
    # The QI columns were generalised (not left as raw dates), the other columns are the reference's.
    kept = records.column(ROW_COLUMN)
    expected = reference["records"].take(kept)
    assert records.column(quasi[0]).to_pylist() != expected.column(quasi[0]).to_pylist()
    for name in manifest.anonymized_columns:
        if name not in quasi:
            assert records.column(name).to_pylist() == expected.column(name).to_pylist(), name
    # Violations are reported for every row read, suppressed or not.
    assert staged_violations(staging) == reference["violations"]


def test_ragged_rows_are_quarantined_like_file_reader(workdir: Path, healthcare_csv: Path) -> None:
    lines = healthcare_csv.read_text(encoding="utf-8").splitlines()[:401]
    lines[11] += ",extra"  # data row 10: one field too many
    lines[51] = lines[51].split(",", 1)[0]  # data row 50: one field
    lines[301] = "only,two"  # data row 300
    path = workdir / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reader = FileReader(path)
    expected_rows = {
        row: values
        for chunk in reader
        for row, values in zip(chunk.rows.tolist(), chunk.batch.to_pylist(), strict=True)
    }
    assert [q.row for q in reader.quarantined] == [10, 50, 300]

    staging = workdir / "ragged"
    assert_succeeded(submit(path, staging, "none"))

    quarantine = pq.read_table(staging / QUARANTINE)
    assert quarantine.column("row").to_pylist() == [10, 50, 300]
    assert quarantine.column("reason").to_pylist() == [q.reason for q in reader.quarantined]
    manifest = StagedManifest.read(staging)
    assert (manifest.records_in, manifest.records_staged, manifest.records_quarantined) == (400, 397, 3)
    # anonymize=none stages the values as read: each `_row` carries that data row's values.
    records = staged_records(staging)
    staged = {row["_row"]: {k: v for k, v in row.items() if k != ROW_COLUMN} for row in records.to_pylist()}
    assert staged == expected_rows
    violation_rows = {v[0] for v in staged_violations(staging)}
    assert violation_rows and not violation_rows & {10, 50, 300} and violation_rows <= set(expected_rows)


def test_bad_input_writes_error_and_exits_2(workdir: Path) -> None:
    path = workdir / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 64)
    staging = workdir / "bad"

    done = submit(path, staging, "k_anonymity")

    assert done.returncode == 2, done.stderr[-4000:]
    error = json.loads((staging / "error.json").read_text())
    assert set(error) == {"reason"} and error["reason"]
    assert not (staging / MANIFEST).exists()
    # spark-submit merges the Python driver's stderr into its stdout.
    output = (done.stdout + done.stderr).splitlines()
    message = [line for line in output if line.startswith("sdp-spark ")]
    assert len(message) == 1 and "bad input" in message[0]
