"""Great Expectations validation of staged outputs, with real GX on staged folders built here: tokens
from the real Tokenizer, quasi-identifiers from the real k-anonymizer, GPS from coarsen_gps."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from compliance.anonymize.generalize import safe_harbor_floor
from compliance.anonymize.kanonymity import k_anonymize
from compliance.anonymize.tokenize import Tokenizer, TokenKey, coarsen_gps
from compliance.columns import ColumnClass, ColumnRole
from compliance.vocabulary import Domain, IdType
from include.staging import (
    QUARANTINE,
    QUARANTINE_SCHEMA,
    RECORDS,
    ROW_COLUMN,
    VIOLATIONS,
    VIOLATIONS_SCHEMA,
    StagedManifest,
    write_staged_output,
)
from include.validation import ValidationReport, build_suite, validate_staged

pytestmark = pytest.mark.integration

ROWS = 240
QUARANTINED = (3, 17, 101)
RAW_SSN = "078-05-1120"
RAW_EMAIL = "jane.roe@example.org"

CLASSES = [
    ColumnClass("patient_name", ColumnRole.IDENTIFIER, IdType.PERSON_NAME),
    ColumnClass("ssn", ColumnRole.IDENTIFIER, IdType.SSN),
    ColumnClass("card_number", ColumnRole.IDENTIFIER, IdType.CREDIT_CARD),
    ColumnClass("cvv", ColumnRole.IDENTIFIER, IdType.CARD_CVV),
    ColumnClass("notes", ColumnRole.FREE_TEXT),
    ColumnClass("age", ColumnRole.QUASI_IDENTIFIER, quasi_kind="age"),
    ColumnClass("zip", ColumnRole.IDENTIFIER, IdType.ZIP_CODE, quasi_kind="zip"),
    ColumnClass("dob", ColumnRole.IDENTIFIER, IdType.DATE_OF_BIRTH, quasi_kind="date"),
    ColumnClass("latitude", ColumnRole.IDENTIFIER, IdType.GPS_COORDINATES, evidence="header+values"),
    ColumnClass("diagnosis", ColumnRole.OTHER),
]
METHODS = {
    "patient_name": "tokenize",
    "ssn": "tokenize",
    "card_number": "truncate_last4",
    "cvv": "drop",
    "notes": "tokenize",
    "age": "generalize",
    "zip": "generalize",
    "dob": "generalize",
    "latitude": "coarsen",
}


def _raw_input(rows: int) -> pa.Table:
    rng = np.random.default_rng(7)
    index = np.arange(rows)
    return pa.table(
        {
            "patient_name": [f"Patient {i}" for i in index],
            "ssn": [f"{100 + i % 800:03d}-{10 + i % 89:02d}-{1000 + i:04d}" for i in index],
            "card_number": [f"4111 1111 1111 {1000 + i % 9000:04d}" for i in index],
            "cvv": [f"{i % 1000:03d}" for i in index],
            "notes": [f"called back, email patient{i}@example.com" for i in index],
            "age": rng.integers(18, 90, rows),
            "zip": [f"021{i % 40:02d}" for i in index],
            "dob": [f"19{50 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in index],
            "latitude": np.round(40 + rng.random(rows), 5),
            "diagnosis": rng.choice(["J45", "E11", "I10"], rows),
        }
    )


def _anonymize(raw: pa.Table, tokenizer: Tokenizer) -> tuple[pa.Table, int]:
    """The staged records of `raw` (which carries `_row`): what an engine writes. Returns the table
    and the number of rows k-anonymity suppressed."""
    result = k_anonymize(raw, {"age": "age", "zip": "zip", "dob": "date"}, k=5)
    table = result.table
    emails = pc.extract_regex(table["notes"], r"(?P<email>\S+@\S+)").combine_chunks().field("email")
    notes = pc.binary_join_element_wise("called back, email ", tokenizer.tokenize_array(emails, "EMAIL"), "")
    columns = {
        ROW_COLUMN: table[ROW_COLUMN],
        "patient_name": tokenizer.tokenize_array(table["patient_name"], "PERSON_NAME"),
        "ssn": tokenizer.tokenize_array(table["ssn"], "SSN"),
        "card_number": tokenizer.tokenize_array(table["card_number"], "CREDIT_CARD", keep_last4=True),
        "cvv": pa.nulls(table.num_rows, pa.string()),
        "notes": notes,
        "age": table["age"],
        # As CompliancePipeline.k_anonymize publishes them: no finer than Safe Harbor.
        "zip": safe_harbor_floor(table["zip"].combine_chunks(), "ZIP_CODE"),
        "dob": safe_harbor_floor(table["dob"].combine_chunks(), "DATE_OF_BIRTH"),
        "latitude": coarsen_gps(table["latitude"]).cast(pa.string()),
        "diagnosis": table["diagnosis"],
    }
    return pa.table(columns), len(result.suppressed_rows)


def write_staged(folder: Path, *, domain: str = "healthcare", rows: int = ROWS) -> Path:
    tokenizer = Tokenizer(TokenKey("k1", b"validation-test-key-0123456789"))
    raw = _raw_input(rows)
    raw = raw.add_column(0, ROW_COLUMN, pa.array(np.arange(rows), pa.int64()))
    kept = pc.invert(pc.is_in(raw[ROW_COLUMN], pa.array(QUARANTINED, pa.int64())))
    records, suppressed = _anonymize(raw.filter(kept), tokenizer)
    staged_rows = records[ROW_COLUMN].to_numpy()
    violations = pa.table(
        {
            "row": pa.array(staged_rows, pa.int64()),
            "field": ["ssn"] * len(staged_rows),
            "type": ["SSN"] * len(staged_rows),
            "regulation": ["HIPAA"] * len(staged_rows),
            "severity": ["high"] * len(staged_rows),
            "rule": ["hipaa.safe_harbor.ssn"] * len(staged_rows),
        },
        schema=VIOLATIONS_SCHEMA,
    )
    quarantine = pa.table(
        {"row": pa.array(QUARANTINED, pa.int64()), "reason": ["unparseable row"] * len(QUARANTINED)},
        schema=QUARANTINE_SCHEMA,
    )
    manifest = StagedManifest(
        source_path=f"/landing/{domain}.csv",
        sha256="ab" * 32,
        format="csv",
        domain=domain,
        engine="local",
        anonymize="k_anonymity",
        records_in=rows,
        records_staged=records.num_rows,
        records_quarantined=len(QUARANTINED),
        records_suppressed=suppressed,
        violations=violations.num_rows,
        pre_processing_s=0.1,
        pure_processing_s=0.5,
        post_processing_s=0.1,
        columns=[asdict(cls) for cls in CLASSES],
        anonymized_columns=dict(METHODS),
    )
    write_staged_output(folder, records, violations, quarantine, manifest)
    return folder


def set_value(folder: Path, name: str, column: str, position: int, value: object) -> None:
    """Overwrite one cell of a staged Parquet file."""
    table = pq.read_table(folder / name)
    values = table[column].to_pylist()
    values[position] = value
    index = table.column_names.index(column)
    pq.write_table(
        table.set_column(index, column, pa.array(values, table.schema.field(column).type)), folder / name
    )


def edit_manifest(folder: Path, **changes: object) -> None:
    manifest = StagedManifest.read(folder)
    for key, value in changes.items():
        setattr(manifest, key, value)
    manifest.write(folder)


def failed_checks(report: ValidationReport) -> set[tuple[str, str, str | None]]:
    return {(entry["table"], entry["check"], entry.get("column")) for entry in report.failures}


@pytest.fixture
def staged(tmp_path: Path) -> Path:
    return write_staged(tmp_path / "staged")


@pytest.mark.parametrize("domain", list(Domain))
def test_good_staged_output_passes_every_domain_suite(tmp_path: Path, domain: str) -> None:
    report = validate_staged(write_staged(tmp_path / domain, domain=domain))

    assert report.failures == []
    assert report.success and report.failed == 0
    assert report.suite == f"staged_records.{domain}"
    assert report.evaluated == report.summary["evaluated"] > 40
    checks = {(entry["check"], entry.get("column")) for entry in report.summary["checks"]}
    assert {("token_format", "ssn"), ("token_format", "card_number"), ("no_raw_identifiers", None)} <= checks
    assert {("coarse_gps", "latitude"), ("generalised_form", "dob"), ("counts_reconcile", None)} <= checks
    assert ("token_format", "notes") not in checks  # free text keeps words around its tokens
    json.dumps(report.summary)


def test_raw_ssn_in_tokenized_column_fails_without_leaking_it(staged: Path) -> None:
    set_value(staged, RECORDS, "ssn", 5, RAW_SSN)

    report = validate_staged(staged)

    assert not report.success
    # The token format check and the residual detectors both see it.
    assert failed_checks(report) == {
        ("records", "token_format", "ssn"),
        ("manifest", "no_raw_identifiers", None),
    }
    assert report.failures[0]["unexpected_count"] == 1
    residual = next(entry for entry in report.failures if entry["check"] == "no_raw_identifiers")
    # 078-05-1120 was never issued: no SSN, but a value of an SSN column that nothing recognises.
    assert residual["residual"] == [{"column": "ssn", "type": "UNRECOGNISED_SENSITIVE", "count": 1}]
    stored = json.dumps(report.summary) + json.dumps(report.failures) + repr(report)
    assert RAW_SSN not in stored
    assert "partial_unexpected" not in stored


def test_raw_email_in_notes_fails(staged: Path) -> None:
    set_value(staged, RECORDS, "notes", 0, f"please write to {RAW_EMAIL} tomorrow")

    report = validate_staged(staged)

    assert failed_checks(report) == {("manifest", "no_raw_identifiers", None)}
    assert report.failures[0]["residual"] == [{"column": "notes", "type": "EMAIL", "count": 1}]
    assert RAW_EMAIL not in json.dumps(report.summary)


@pytest.mark.parametrize(
    ("text", "id_type"),
    [
        ("ssn 123-45-6789 on file", "SSN"),
        ("patient SSN 894100958 verified", "SSN"),
        ("paid with 4111-1111-1111-1111", "CREDIT_CARD"),
        ("paid with 4111111111111111.", "CREDIT_CARD"),
        ("refund to DE89 3704 0044 0532 0130 00", "IBAN"),
        ("call back on 617.728.8451", "PHONE"),
    ],
)
def test_raw_identifiers_in_notes_fail(staged: Path, text: str, id_type: str) -> None:
    set_value(staged, RECORDS, "notes", 1, text)

    report = validate_staged(staged)

    assert failed_checks(report) == {("manifest", "no_raw_identifiers", None)}
    assert report.failures[0]["residual"] == [{"column": "notes", "type": id_type, "count": 1}]


def test_decoys_left_in_notes_pass(staged: Path) -> None:
    """What no detector calls an identifier stays, and passes: a Luhn-invalid number, an invalid SSN."""
    set_value(staged, RECORDS, "notes", 1, "ref 4111 1111 1111 1112, ssn 078-05-1120 is a specimen")

    assert validate_staged(staged).success


def test_count_mismatch_fails(staged: Path) -> None:
    manifest = StagedManifest.read(staged)
    edit_manifest(staged, records_in=manifest.records_in + 1)

    report = validate_staged(staged)

    assert failed_checks(report) == {("manifest", "counts_reconcile", None)}
    (entry,) = report.failures
    assert entry["records_in"] == manifest.records_in + 1
    assert entry["staged"] == {"manifest": manifest.records_staged, "parquet": manifest.records_staged}


def test_lost_staged_row_fails_row_count_and_reconciliation(staged: Path) -> None:
    records = pq.read_table(staged / RECORDS)
    pq.write_table(records.slice(1), staged / RECORDS)

    report = validate_staged(staged)

    assert failed_checks(report) == {
        ("records", "records_staged", None),
        ("manifest", "counts_reconcile", None),
    }
    row_count = next(entry for entry in report.failures if entry["check"] == "records_staged")
    assert (row_count["value"], row_count["observed_value"]) == (records.num_rows, records.num_rows - 1)


def test_whole_table_checks_read_every_row_when_values_are_sampled(staged: Path) -> None:
    """The row count is a whole-table expectation: a lost row fails it whatever the sample size."""
    records = pq.read_table(staged / RECORDS)
    pq.write_table(records.slice(1), staged / RECORDS)

    report = validate_staged(staged, sample_rows=20)

    assert report.summary["rows_checked_per_value"]["records"] <= 20
    row_count = next(entry for entry in report.failures if entry["check"] == "records_staged")
    assert row_count["observed_value"] == records.num_rows - 1


def test_a_raw_value_the_sample_skips_is_caught_by_the_residual_check(staged: Path) -> None:
    """Per-value expectations read an evenly spaced sample (every 6th of ~237 rows here, so not the
    6th row); the residual-identifier check reads every row and still fails the file."""
    set_value(staged, RECORDS, "ssn", 5, RAW_SSN)

    report = validate_staged(staged, sample_rows=40)

    assert report.summary["rows_checked_per_value"]["records"] == 40
    assert failed_checks(report) == {("manifest", "no_raw_identifiers", None)}


def test_a_column_mishandled_late_in_the_file_fails_the_sampled_check(staged: Path) -> None:
    """An engine partition that wrote its part of a column raw: the sample is spread over the whole
    table, so it reaches the file's last rows (a head() would not)."""
    records = pq.read_table(staged / RECORDS)
    tail = range(records.num_rows - records.num_rows // 5, records.num_rows)
    values = records["ssn"].to_pylist()
    for position in tail:
        values[position] = f"ssn-{position:05d}"  # no token, and not an SSN any detector knows
    index = records.column_names.index("ssn")
    pq.write_table(records.set_column(index, "ssn", pa.array(values)), staged / RECORDS)

    report = validate_staged(staged, sample_rows=40)

    token_format = next(entry for entry in report.failures if entry["check"] == "token_format")
    assert token_format["column"] == "ssn"
    assert token_format["element_count"] == 40
    assert token_format["unexpected_count"] >= 5


def test_row_both_staged_and_quarantined_fails(staged: Path) -> None:
    first_staged = pq.read_table(staged / RECORDS)[ROW_COLUMN][0].as_py()
    set_value(staged, QUARANTINE, "row", 0, first_staged)

    report = validate_staged(staged)

    assert failed_checks(report) == {("manifest", "counts_reconcile", None)}
    assert report.failures[0]["staged_and_quarantined"] == 1


def test_whole_file_quarantine_reconciles(staged: Path) -> None:
    for name in (RECORDS, VIOLATIONS):
        pq.write_table(pq.read_table(staged / name).slice(0, 0), staged / name)
    whole_file = pa.table(
        {"row": pa.array([None], pa.int64()), "reason": ["not UTF-8"]}, schema=QUARANTINE_SCHEMA
    )
    pq.write_table(whole_file, staged / QUARANTINE)
    edit_manifest(staged, records_staged=0, records_quarantined=ROWS, records_suppressed=0, violations=0)

    report = validate_staged(staged)

    assert report.success, report.failures


def test_bad_violation_type_fails(staged: Path) -> None:
    set_value(staged, VIOLATIONS, "type", 2, "SOCIAL_SECURITY")

    report = validate_staged(staged)

    assert failed_checks(report) == {("violations", "vocabulary", "type")}
    assert "SOCIAL_SECURITY" not in json.dumps(report.summary)


def test_duplicate_violation_key_and_unknown_field_fail(staged: Path) -> None:
    violations = pq.read_table(staged / VIOLATIONS)
    pq.write_table(pa.concat_tables([violations, violations.slice(0, 1)]), staged / VIOLATIONS)
    set_value(staged, VIOLATIONS, "field", 3, "not_a_column")
    edit_manifest(staged, violations=violations.num_rows + 1)

    report = validate_staged(staged)

    assert failed_checks(report) == {
        ("violations", "one_per_key", None),
        ("violations", "field_in_input", "field"),
    }


def test_missing_required_column_fails(staged: Path) -> None:
    records = pq.read_table(staged / RECORDS)
    pq.write_table(records.drop_columns(["zip"]), staged / RECORDS)

    report = validate_staged(staged)

    failed = failed_checks(report)
    assert {("records", "required_column", "zip"), ("records", "column_set", None)} <= failed
    column_set = next(entry for entry in report.failures if entry["check"] == "column_set")
    assert column_set["missing_columns"] == ["zip"]
    # The value check on the missing column errors out instead of passing silently.
    generalised = next(entry for entry in report.failures if entry["check"] == "generalised_form")
    assert generalised["column"] == "zip" and "error" in generalised


def test_dropped_column_with_values_fails(staged: Path) -> None:
    set_value(staged, RECORDS, "cvv", 3, "123")

    report = validate_staged(staged)

    assert failed_checks(report) == {
        ("records", "dropped_is_null", "cvv"),
        ("manifest", "no_raw_identifiers", None),
    }
    assert "123" not in json.dumps(report.summary)


def test_undeclared_column_fails(staged: Path) -> None:
    records = pq.read_table(staged / RECORDS)
    pq.write_table(records.append_column("extra", pa.array(["x"] * records.num_rows)), staged / RECORDS)

    report = validate_staged(staged)

    assert failed_checks(report) == {("records", "column_set", None)}
    assert report.failures[0]["unexpected_columns"] == ["extra"]


def test_duplicate_and_out_of_range_rows_fail(staged: Path) -> None:
    set_value(staged, RECORDS, ROW_COLUMN, 1, pq.read_table(staged / RECORDS)[ROW_COLUMN][0].as_py())
    set_value(staged, RECORDS, ROW_COLUMN, 2, ROWS + 5)

    failed = failed_checks(validate_staged(staged))

    assert {("records", "row_unique", ROW_COLUMN), ("records", "row_in_input", ROW_COLUMN)} <= failed


def test_precise_gps_and_raw_date_fail(staged: Path) -> None:
    set_value(staged, RECORDS, "latitude", 0, "40.71284")
    set_value(staged, RECORDS, "dob", 1, "03/15/1984")

    failed = failed_checks(validate_staged(staged))

    assert failed == {
        ("records", "coarse_gps", "latitude"),
        ("records", "generalised_form", "dob"),
        ("manifest", "no_raw_identifiers", None),
    }


def test_identifier_column_left_in_clear_fails(staged: Path) -> None:
    methods = dict(METHODS)
    del methods["patient_name"]
    edit_manifest(staged, anonymized_columns=methods)

    report = validate_staged(staged)

    assert failed_checks(report) == {("manifest", "identifiers_anonymized", None)}
    assert report.failures[0]["columns"] == ["patient_name"]


def test_no_anonymization_requested_skips_value_checks(staged: Path) -> None:
    set_value(staged, RECORDS, "notes", 0, f"write to {RAW_EMAIL}")
    set_value(staged, RECORDS, "cvv", 0, "123")
    edit_manifest(staged, anonymize="none", anonymized_columns={})

    report = validate_staged(staged)

    assert report.success, report.failures
    records_checks = {entry["check"] for entry in report.summary["checks"] if entry["table"] == "records"}
    assert "token_format" not in records_checks
    residual = next(entry for entry in report.summary["checks"] if entry["check"] == "no_raw_identifiers")
    assert residual["success"]


def test_raw_identifier_in_quarantine_reason_fails(staged: Path) -> None:
    set_value(staged, QUARANTINE, "reason", 0, f"bad ssn {RAW_SSN}")

    report = validate_staged(staged)

    assert failed_checks(report) == {("quarantine", "no_raw_ssn", "reason")}
    assert RAW_SSN not in json.dumps(report.summary)


def test_spark_part_file_folders_are_read(staged: Path) -> None:
    records = pq.read_table(staged / RECORDS)
    (staged / RECORDS).unlink()
    (staged / RECORDS).mkdir()
    half = records.num_rows // 2
    pq.write_table(records.slice(0, half), staged / RECORDS / "part-00000.parquet")
    pq.write_table(records.slice(half), staged / RECORDS / "part-00001.parquet")

    assert validate_staged(staged).success


def test_missing_staged_file_raises(staged: Path) -> None:
    (staged / VIOLATIONS).unlink()

    with pytest.raises(FileNotFoundError, match=VIOLATIONS):
        validate_staged(staged)


def test_build_suite_is_per_domain_and_rejects_unknown_domains(staged: Path) -> None:
    manifest = StagedManifest.read(staged)

    suites = {domain: build_suite(domain, manifest) for domain in Domain}

    assert {suite.name for suite in suites.values()} == {f"staged_records.{domain}" for domain in Domain}
    token_checks = [
        e for e in suites[Domain.HEALTHCARE].expectations if e.meta.get("check") == "token_format"
    ]
    assert sorted(e.column for e in token_checks) == ["card_number", "patient_name", "ssn"]
    with pytest.raises(ValueError, match="unknown domain"):
        build_suite("retail", manifest)


def test_importing_the_package_does_not_import_gx() -> None:
    code = "import sys, include.validation; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "False"
