"""The rule engine's combinations of (field, type, regulation, severity, rule): the pipeline's later
stages (anonymization, the violation lines of `sdp scan`, its counts) read them instead of hashing
the strings again, and must get exactly what the strings give."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from compliance import scan
from compliance.anonymization import flagged_cells
from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.generator import generate
from compliance.io import json_lines
from compliance.pipeline import CompliancePipeline
from compliance.rules import codes

AS_OF = dt.date(2025, 1, 1)


def _results(domain: str) -> list:
    table = pa.concat_tables(part.table for part in generate(domain, 3_000, seed=3, as_of=AS_OF))
    tokenizer = Tokenizer(TokenKey("k1", b"combinations-test-key-0123456789"))
    pipeline = CompliancePipeline(anonymize="tokenize", tokenizer=tokenizer, as_of=AS_OF)
    batches = table.to_batches(max_chunksize=1_000)
    return [pipeline.process(batch, np.arange(1_000) + 1_000 * i) for i, batch in enumerate(batches)]


@pytest.fixture(params=["dense", "sorted"])
def numbering(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Combinations numbered through the bitmap, and through np.unique (many possible codes)."""
    if request.param == "sorted":
        monkeypatch.setattr(codes, "_MAX_DENSE_CODES", 0)
    return request.param


@pytest.mark.parametrize("domain", ["healthcare", "mixed"])
def test_combinations_are_the_violations_strings(numbering: str, domain: str) -> None:
    for result in _results(domain):
        combinations = result.combinations
        assert combinations.index.size == result.violations.num_rows > 0
        assert combinations.table.take(pa.array(combinations.index)).equals(
            result.violations.drop_columns(["row"])
        )
        assert combinations.table.group_by(combinations.table.column_names).aggregate([]).num_rows == (
            combinations.table.num_rows
        )


@pytest.mark.parametrize("domain", ["healthcare", "mixed"])
def test_later_stages_read_the_same_from_combinations(numbering: str, domain: str) -> None:
    strength = {"drop": 0, "tokenize": 1, "truncate_last4": 2}
    for result in _results(domain):
        violations, combinations = result.violations, result.combinations
        # flagged cells (positions are the file rows here: one batch from row 0 is not assumed)
        rows = result.rows
        by_strings = flagged_cells(violations, rows, lambda t: strength.get(t[:3].lower(), len(t)))
        by_codes = flagged_cells(
            violations, rows, lambda t: strength.get(t[:3].lower(), len(t)), combinations
        )
        assert by_strings.keys() == by_codes.keys() and by_codes
        for name, (positions, kinds) in by_strings.items():
            assert np.array_equal(by_codes[name][0], positions)
            assert by_codes[name][1].tolist() == kinds.tolist()
        # violation lines
        handle = io.BytesIO()
        scan._write_violations(handle, violations, combinations)
        assert handle.getvalue() == json_lines(violations.select(list(scan.VIOLATION_KEYS)))
        # counts per regulation and type
        coded: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
        plain: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
        scan._count_violations(*coded, violations, combinations)
        scan._count_violations(*plain, violations, None)
        assert coded == plain


def test_violation_lines_in_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _results("healthcare")[0]
    monkeypatch.setattr(scan, "_VIOLATION_SLICE", 7)
    handle = io.BytesIO()
    scan._write_violations(handle, result.violations, result.combinations)
    assert handle.getvalue() == json_lines(result.violations)
    with pytest.raises(ValueError, match="do not match"):
        scan._write_violations(handle, result.violations.slice(1), result.combinations)


def test_flagged_cells_skip_policy_types_numbered_first() -> None:
    # A combination that is not an identifier (a missing consent) numbered before identifier ones.
    labels = [
        ("consent", "MISSING_CONSENT", "GDPR", "medium", "gdpr.missing_consent"),
        ("notes", "SSN", "HIPAA", "high", "hipaa.ssn"),
        ("notes", "EMAIL", "GDPR", "low", "gdpr.email"),
        ("contact", "PHONE", "HIPAA", "high", "hipaa.phone"),
    ]
    table = pa.table({key: [label[i] for label in labels] for i, key in enumerate(scan.VIOLATION_KEYS[1:])})
    index = np.array([0, 1, 2, 0, 3, 2, 1, 0])
    rows = np.array([0, 0, 0, 1, 1, 2, 3, 3])
    violations = pa.table(
        {"row": rows, **{name: table.column(name).take(index) for name in table.column_names}}
    )
    combinations = codes.Combinations(index, table)
    strength = {"SSN": 0, "EMAIL": 1, "PHONE": 1}.__getitem__
    by_codes = flagged_cells(violations, None, strength, combinations)
    assert {name: (p.tolist(), k.tolist()) for name, (p, k) in by_codes.items()} == {
        "notes": ([0, 2, 3], ["SSN", "EMAIL", "SSN"]),
        "contact": ([1], ["PHONE"]),
    }
    assert by_codes.keys() == flagged_cells(violations, None, strength).keys()
