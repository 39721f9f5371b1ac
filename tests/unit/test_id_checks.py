"""The fused C checks (native/id_checks.c) give the same SSN, card, NPI and IBAN validity as the
regex + numpy path the recognizers fall back to without the extension."""

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
    IbanRecognizer,
    NpiRecognizer,
    Recognizer,
    SsnRecognizer,
)
from compliance.generator import generate


def setup_module() -> None:
    # These tests compare the C path with the Python one: `make setup` builds the extension
    # (`pip install -e .`, needs gcc), as it does the tokenizer's (tests/unit/test_tokenize.py).
    assert arrays._id_checks is not None, "pip install -e . builds native/id_checks.c (gcc)"


RECOGNIZERS = [SsnRecognizer(), CreditCardRecognizer(), NpiRecognizer(), IbanRecognizer()]
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
]  # fmt: skip
SHAPED_TEXT = st.text(alphabet="0123456789 -ABGDEWSTXabgwı\u017fé", max_size=40)


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


@pytest.mark.parametrize("recognizer", RECOGNIZERS, ids=IDS)
@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), SHAPED_TEXT, st.sampled_from(EDGES)), max_size=30))
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
