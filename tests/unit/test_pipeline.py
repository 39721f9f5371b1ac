"""Pipeline helpers that are not covered through the scan tests: ZIP generalisation, token reuse."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.pipeline import CompliancePipeline, generalize_zip


def _generalize_zip_by_regex(values: pa.Array) -> pa.Array:
    """The definition: strip non-digits, keep 3 digits + "**" when 5 or more remain, else null."""
    digits = pc.replace_substring_regex(values, pattern=r"[^0-9]", replacement="")
    prefix = pc.utf8_slice_codeunits(digits, 0, 3)
    valid = pc.greater_equal(pc.utf8_length(digits), 5)
    return pc.if_else(valid, pc.binary_join_element_wise(prefix, "**", ""), pa.scalar(None, pa.string()))


def test_generalize_zip_examples() -> None:
    values = pa.array(["02139-4307", "02139", " 9021 ", "ZIP_CODE_k1_abc23def45", "١٢٣٤٥", "", None])
    assert generalize_zip(values).to_pylist() == ["021**", "021**", None, "123**", None, None, None]
    assert generalize_zip(pa.chunked_array([["90210"], ["1234"]])).to_pylist() == ["902**", None]
    assert generalize_zip(pa.array([], pa.string())).to_pylist() == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet="0123456789 -é中aZ*\u0663", max_size=14)), max_size=40),
    st.integers(0, 40),
)
def test_generalize_zip_equals_the_regex_definition(values, start) -> None:
    array = pa.array(values, pa.string()).slice(min(start, len(values)))
    assert generalize_zip(array).equals(_generalize_zip_by_regex(array))


def test_tokenized_columns_reuse_the_detectors_distinct_values_and_keep_their_tokens() -> None:
    """Tokens made from the detector's dictionary of trimmed values (or per row, for a column without
    repeats) equal those of tokenize_array on the raw column."""
    rows = 10_000
    ssns = [f" 123-45-{1000 + i % 50} " if i % 7 else None for i in range(rows)]
    emails = [f"user{i}@example.com" if i % 3 == 0 else None for i in range(rows)]
    batch = pa.record_batch(
        {
            "patient_id": pa.array([f"P{i:07d}" for i in range(rows)]),
            "ssn": pa.array(ssns, pa.string()),
            "email": pa.array(emails, pa.string()),
        }
    )
    tokenizer = Tokenizer(TokenKey("k1", b"pipeline-test-key-0123456789"))
    pipeline = CompliancePipeline(domain="healthcare", anonymize="tokenize", tokenizer=tokenizer)
    result = pipeline.process(batch)
    assert pipeline.anonymized_columns() == {"patient_id": "tokenize", "ssn": "tokenize", "email": "tokenize"}
    for name, id_type in (("patient_id", "MRN"), ("ssn", "SSN"), ("email", "EMAIL")):
        assert result.batch.column(name).equals(tokenizer.tokenize_array(batch.column(name), id_type))
    detector = pipeline._detector
    assert detector.distinct_values("patient_id", batch.column("patient_id")) == (True, None)
    known, encoded = detector.distinct_values("ssn", batch.column("ssn"))
    assert known and len(encoded.dictionary) == 50
    assert detector.distinct_values("ssn", pa.array(ssns, pa.string())) == (False, None)  # other buffers
