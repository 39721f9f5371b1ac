"""The C hints of the free-text scanner (native/text_hints.c): never miss a match, change no result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.columns import ColumnRole
from compliance.detection import Detector, hints, per_value
from compliance.detection.hints import HintTable, TextHint
from compliance.detection.scanner import TextScanner
from compliance.generator import generate
from compliance.vocabulary import IdType

from .test_detection_text import ANY_TEXT, FRAGMENTS, NOTES


def setup_module() -> None:
    # These tests compare the C path with the Python one: `make setup` builds the extension
    # (`pip install -e .`, needs gcc), as it does the tokenizer's (tests/unit/test_tokenize.py).
    assert hints._text_hints is not None, "pip install -e . builds native/text_hints.c (gcc)"


SCANNER = TextScanner(Detector().recognizers)
# Texts built to sit on the edges of the shapes: digit runs with separators, capitals, hex, keywords.
SHAPE_TEXT = st.text(alphabet="0123456789-.,: +@()/ABFZabfxé\t\n_", max_size=80)
KEYWORD_TEXT = st.lists(
    st.sampled_from(
        ["DOB", "d.o.b.", "Born on", "MRN", "mrn:", "NPI#", "Mr", "Mrs.", "Dr.", "dr", "PT:", "name :",
         "St.", "street", "Ave", "streets", "_st", "www.", "HTTP://", "ftp://", "zip", "Postal code",
         "CVV2", "security code", "acct.", "ABA", "dl#", "Member ID", "passport", "IMEI", "4", " ", "-",
         "12", "123", "1234", "12345", "03/05/1980", "1980-03-05", "May 5, 1980", "1234567893", "Jane Doe",
         "W123456789", "café", "x", "K", "ſ"]
    ),
    max_size=14,
).map(" ".join)  # fmt: skip


@contextmanager
def hints_off() -> Iterator[None]:
    """Run the scanner as it runs without the extension: RE2 probes every type."""
    native = hints._text_hints
    hints._text_hints = None
    try:
        yield
    finally:
        hints._text_hints = native


def missed_matches(texts: list[str | None]) -> list[tuple[IdType, str]]:
    """(type, text) pairs where RE2 finds the type's pattern but its hint says no."""
    array = pa.array(texts, pa.string())
    maybe = SCANNER._hints.candidate_types(array)
    assert maybe is not None and maybe.shape == (len(texts), len(SCANNER.types))
    missed = []
    for index, text_type in enumerate(SCANNER.types):
        count = pc.fill_null(pc.count_substring_regex(array, text_type.pattern), 0).to_numpy()
        missed += [(text_type.id_type, texts[row]) for row in np.flatnonzero((count > 0) & ~maybe[:, index])]
    return missed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(ANY_TEXT, NOTES, SHAPE_TEXT, KEYWORD_TEXT), max_size=10))
def test_a_hint_holds_wherever_the_pattern_matches(texts: list[str | None]) -> None:
    assert missed_matches(texts) == []


# One text per context keyword or shape alternative of the text patterns.
CONTEXTS = [
    "cvv: 123", "CVC2 1234", "card security code 123", "bank account no. 12345678", "Acct 1234 5678",
    "routing number 021000021", "ABA: 021000021", "Patient: Jane Doe", "patient name: Jane Doe", "pt: Jane",
    "Name : Jane Doe", "Mr Jane Doe", "Mrs. Jane", "Ms Jane", "Miss Jane", "Mx Jane", "Dr. Jane", "Prof. Jane",
    "12 Main St.", "12 Main Street, x", "zip: 02134", "Postal code 02134", "ZIP code 02134", "IL\t62704",
    "DOB 1980-03-05", "d.o.b. 03/05/1980", "Date of birth: May 5, 1980", "born on 5 May 1980",
    "Born 03.05.1980", "birth date 1980-03-05", "Birthday: 03/05/80", "MRN 1234567", "Medical record #A12345",
    "chart no. 1234567", "NPI 1234567893", "npi number: 1234567893", "member id W123456789",
    "health plan no. 123456", "insurance number X123456", "policy # 12345", "subscriber id 12345",
    "medicare id 1EG4TE5MK73", "Medicaid number 12345", "driver's license D1234567", "Driving licence AB12",
    "DL# D1234567", "passport no. X12345678", "Passport # 123456", "IMEI: 490154203237518",
    "00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "1HGCM82633A004352", "fe80::1:2", "1:2:3", "10.0.0.1",
    "ver 1.2.3.4", "http://x.io", "HTTPS://x.io/a", "ftp://x", "www.x.org", "a@b.co", "+1 212 555 0199",
    "0044 20 7946 0958", "(212) 555-0199", "212.555.0199", "4111-1111-1111-1111", "3782 822463 10005",
    "4111111111111", "DE89 3704 0044 0532 0130 00", "40.7, -74.0", "x 1.5,2.5",
]  # fmt: skip


def test_every_fragment_and_context_is_hinted_and_plain_prose_is_not() -> None:
    assert missed_matches(FRAGMENTS + CONTEXTS) == []
    matched = set()
    for text_type in SCANNER.types:
        count = pc.count_substring_regex(pa.array(CONTEXTS), text_type.pattern).to_numpy()
        matched |= {CONTEXTS[i] for i in np.flatnonzero(count)}
    assert matched == set(CONTEXTS)  # each context really is a match of some pattern
    prose = "Reviewed recent lab results together with the care team; no further action required."
    maybe = SCANNER._hints.candidate_types(pa.array([prose, None, "", "café"], pa.string()))
    assert not maybe[:3].any()
    assert maybe[3].all()  # any byte >= 0x80: every type stays a candidate


def test_hints_of_sliced_and_chunk_offset_arrays() -> None:
    array = pa.array(["x", "SSN 123-45-6789", "mail a@b.co", None, "nothing"], pa.string()).slice(1, 3)
    maybe = SCANNER._hints.candidate_types(array)
    column = {t.id_type: i for i, t in enumerate(SCANNER.types)}
    assert maybe[:, column[IdType.SSN]].tolist() == [True, False, False]
    assert maybe[:, column[IdType.EMAIL]].tolist() == [False, True, False]


def test_hint_keywords_are_checked() -> None:
    with pytest.raises(ValueError, match="must be ASCII"):
        HintTable([TextHint(keywords=(".dob",))])
    with pytest.raises(ValueError, match="word characters only"):
        HintTable([TextHint(whole_words=("st.",))])
    table = HintTable([TextHint(exact=("Mr",)), TextHint(whole_words=("st",), requires=("digit",)), None])
    maybe = table.candidate_types(pa.array(["Mr X", "mr x", "12 Main St.", "12 Main Stx", "Main St"]))
    assert maybe.tolist() == [
        [True, False, True],
        [False, False, True],
        [False, True, True],
        [False, False, True],
        [False, False, True],
    ]


@pytest.mark.parametrize("domain", ["healthcare", "financial", "location", "mixed"])
def test_scan_with_hints_equals_scan_without(domain: str) -> None:
    """Findings and scrubbed text of generated data (many decoys) do not depend on the hints."""
    batch = next(generate(domain, 3000, seed=11, decoy_rate=0.3, as_of=dt.date(2025, 1, 1))).table
    batch = batch.combine_chunks().to_batches()[0]

    def replace(id_type: IdType, text: str) -> str:
        return f"<{id_type.value}:{text}>"

    def scan() -> tuple[pa.Table, list[list[str | None]]]:
        detector = Detector()
        classes = detector.classify(batch)
        free_text = [c.field for c in classes if c.role is ColumnRole.FREE_TEXT]
        assert free_text
        scrubbed = [detector.scrub_text(batch.column(f), per_value(replace)).to_pylist() for f in free_text]
        return detector.detect(batch, classes), scrubbed

    found, scrubbed = scan()
    with hints_off():
        assert SCANNER._hints.candidate_types(pa.array(["x"])) is None
        found_without, scrubbed_without = scan()
    assert found.equals(found_without)
    assert scrubbed == scrubbed_without


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), NOTES, KEYWORD_TEXT), max_size=12))
def test_find_and_scrub_with_hints_equal_without(texts: list[str | None]) -> None:
    array = pa.array(texts, pa.string())

    def replace(id_type: IdType, text: str) -> str:
        return f"<{id_type.value}:{text}>"

    def run() -> tuple[dict[IdType, list[int]], list[str | None]]:
        scanner = TextScanner(Detector().recognizers)
        found = {k: v.tolist() for k, v in scanner.find(array).items()}
        return found, scanner.scrub(array, per_value(replace)).to_pylist()

    with_hints = run()
    with hints_off():
        assert run() == with_hints
