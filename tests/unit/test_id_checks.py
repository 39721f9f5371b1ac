"""The fused C checks (native/id_checks.c) give the same SSN, card, NPI, IBAN, ZIP code, MRN,
date-of-birth, phone and person-name validity as the regex + numpy (+ strptime) path the recognizers fall back to
without the extension."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.detection import arrays
from compliance.detection.recognizers import (
    CreditCardRecognizer,
    DateOfBirthRecognizer,
    IbanRecognizer,
    MrnRecognizer,
    NpiRecognizer,
    PersonNameRecognizer,
    PhoneRecognizer,
    Recognizer,
    SsnRecognizer,
    ZipCodeRecognizer,
)
from compliance.generator import generate


def setup_module() -> None:
    # These tests compare the C path with the Python one: `make setup` builds the extension
    # (`pip install -e .`, needs gcc), as it does the tokenizer's (tests/unit/test_tokenize.py).
    assert arrays._id_checks is not None, "pip install -e . builds native/id_checks.c (gcc)"


RECOGNIZERS = [
    SsnRecognizer(),
    CreditCardRecognizer(),
    NpiRecognizer(),
    IbanRecognizer(),
    ZipCodeRecognizer(),
    MrnRecognizer(),
    DateOfBirthRecognizer(),
    PhoneRecognizer(),
    PersonNameRecognizer(),
]
IDS = [type(r).__name__ for r in RECOGNIZERS]
# Values on the edges of the shapes: separators, lengths, letters, case, non-ASCII case mapping
# ("ı" and "ſ" upper-case to ASCII I and S).
EDGES = [
    "123-45-6789", "123456789", "123 45 6789", "123-456789", "12345-6789", "123--45-6789", "123-45-67890",
    "078-05-1120", "666-12-3456", "000-12-3456", "123-00-4567", "123-45-0000", "９２３-45-6789", "",
    "4111 1111 1111 1111", "4111  1111 1111 1111", "-4111111111111111", "4111111111111111-", "41111111111111111111",
    "378282246310005", "3782 822463 10005", "2221000000000009", "6011111111111117", "4111-1111 1111-1111",
    "1234567893", "2234567891", "1234567890", "123456789", "12345678931", "0234567893",
    "GB82 WEST 1234 5698 7654 32", "gb82west12345698765432", "GB82-WEST-1234-5698-7654-32", "GB82WEST12345698765433",
    "DE89370400440532013000", "XX82WEST12345698765432", "GB82 WEST 1234 5698 7654 3ı", "ſE89370400440532013000",
    "GB82WEST1234569876543212345678901234", "GB8", "AB12CDEFGHIJKLM", "é", None,
    # The public examples of tests/unit/test_detection_validators.py.
    "899-99-9999", "219-09-9999", "900-12-3456", "12-345-6789", "1234-56-789", "5555-5555-5555-4444",
    "3530111333300000", "30569309025904", "6200000000000005", "6759649826438453", "4012888888881881",
    "4111 1111 1111 1112", "5555555555554440", "378282246310006", "1234567812345670", "9111111111111111",
    "4111-1111", "2721000000000004", "DE89 3704 0044 0532 0130 00", "fr14 2004 1010 0505 0001 3m02 606",
    "GB82 WEST 1234 5698 7654 33", "DE89370400440532013001", "GB82WEST123456987654", "1245319599",
    # ZIP codes (US, Canada, UK) and MRNs.
    "02134", "00000", "00501", "02134-1234", "021341234", "02134-123", "0213-41234", "2134", "021345",
    "K1A 0B1", "k1a0b1", "D1A 0B1", "K1A  0B1", "K1A-0B1", "SW1A 1AA", "sw1a1aa", "M1 1AE", "B33 8TH",
    "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB", "SW1A1A", "1W1A 1AA", "SWA 1AA", "SW1A 1A1",
    "MRN-123456", "AB1234", "ab-12-cd-34", "-AB1234", "AB1234-", "AB--1234", "ABCDEF", "123456789012",
    "1234567890123", "A-B-C-D-E-1", "MRN 123456", "MRN1234é",
    # Dates of birth: ISO (with a time), impossible dates, other layouts strptime reads.
    "1980-05-03", "1980-05-03T00:00:00", "1980-05-03 12:00", "1980-05-03X", "1980-02-29", "1981-02-29",
    "2000-02-29", "1900-02-29", "1980-13-01", "1980-00-10", "1980-04-31", "1980-04-00", "0999-01-01",
    "2999-01-01", "1980-5-3", "05/03/1980", "March 5, 1980", "5 Mar. 1980", "19800503", "1980-05-03T",
    "**/**/1980", "1904-01-01", "1800-01-01", "2024-12-31", "3000-01-01", "1980_05_03", "N/A", "1a2b3c",
    # Phones: NANP and international forms, 00 prefix, extensions, misplaced +, lengths around 6 and 24.
    "(212) 555-0199", "212-555-0199", "+1 212-555-0199", "2125550199", "212.555.0199", "+44 20 7946 0958",
    "0044 20 7946 0958", "00 1 212 555 0199", "020 7946 0958", "212-555-0199 x123", "212-555-0199 ext. 12",
    "212-555-0199#5", "2125+550199", "++12125550199", "+1 (212) 555-0199 / 0198", "12345", "123456",
    "1234567890123456789012345", "00123456789012345678", "+12345678901234567", "(***) ***-0199", "+1 212 555 0199X",
    # Person names: ASCII and not, marks, punctuation, one letter.
    "Jane Doe", "O'Brien-Smith, J.", "J", "Jo", "Jane2", "'Jane", "José Álvarez", "Zoë", "Mária", "李 小龍",
    "Jane’s", "-Jane", "Jane_Doe", "Jane\x00Doe", "212-555-0199 x1\x00",
]  # fmt: skip
SHAPED_TEXT = st.text(alphabet="0123456789 -ABGDEWSTXabgwı\u017fé()+./#x',’\u0301", max_size=40)
ISO_DATES = st.tuples(
    st.integers(900, 3100), st.integers(0, 13), st.integers(0, 32), st.sampled_from(["", "T00:00", " 1", "x"])
).map(lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}{t[3]}")


@contextmanager
def native_off() -> Iterator[None]:
    """Validate as without the extension: regex + numpy."""
    native = arrays._id_checks
    arrays._id_checks = None
    try:
        yield
    finally:
        arrays._id_checks = native


def same_with_and_without(recognizer: Recognizer, values: pa.Array) -> np.ndarray:
    native = recognizer.validate(values)
    with native_off():
        fallback = recognizer.validate(values)
    assert native.dtype == bool and native.tolist() == fallback.tolist(), [
        (value, bool(n)) for value, n, f in zip(values.to_pylist(), native, fallback, strict=True) if n != f
    ]
    return native


@pytest.mark.parametrize("recognizer", RECOGNIZERS, ids=IDS)
def test_edge_values(recognizer: Recognizer) -> None:
    values = pa.array(EDGES, pa.string())
    assert same_with_and_without(recognizer, values).any()
    # Sliced arrays (an offset into the buffers) and empty ones.
    same_with_and_without(recognizer, values.slice(3, 20))
    same_with_and_without(recognizer, pa.array([], pa.string()))
    same_with_and_without(recognizer, pa.nulls(3, pa.string()))
    same_with_and_without(recognizer, pa.array([value for value in EDGES if value is not None], pa.string()))


@pytest.mark.parametrize("recognizer", RECOGNIZERS, ids=IDS)
@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), SHAPED_TEXT, ISO_DATES, st.sampled_from(EDGES)), max_size=30))
def test_any_strings(recognizer: Recognizer, texts: list[str | None]) -> None:
    same_with_and_without(recognizer, pa.array(texts, pa.string()))


@pytest.mark.parametrize("domain", ["healthcare", "financial", "location", "mixed"])
def test_generated_columns(domain: str) -> None:
    """Every column of generated data (with decoys), read by every fused recognizer."""
    table = next(generate(domain, 3000, seed=5, decoy_rate=0.3, as_of=dt.date(2025, 1, 1))).table
    for column in table.combine_chunks().columns:
        strings = arrays.as_strings(column)
        for recognizer in RECOGNIZERS:
            same_with_and_without(recognizer, strings)


def test_unknown_check_and_bad_offsets_raise() -> None:
    with pytest.raises(ValueError, match="unknown check"):
        arrays._id_checks.check("vin", b"", np.zeros(1, np.int64))
    with pytest.raises(ValueError, match="offsets"):
        arrays._id_checks.check("ssn", b"123", np.array([0, 5], np.int64))
