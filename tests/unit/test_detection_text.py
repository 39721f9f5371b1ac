"""Identifiers embedded in free text: detection per (row, type), scrubbing, and robustness."""

from __future__ import annotations

import itertools
import re
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.detection import Detector, per_value
from compliance.detection import text as text_module
from compliance.detection.recognizers import Recognizer
from compliance.detection.scanner import TextScanner
from compliance.vocabulary import IdType

DETECTOR = Detector()
TOKENIZER = Tokenizer(TokenKey("k1", b"scrub-test-key-0123456789"))


def text_types(note: str | None) -> set[str]:
    found = DETECTOR.detect(pa.record_batch({"notes": pa.array([note], pa.string())}))
    assert set(found.column("field").to_pylist()) <= {"notes"}
    return set(found.column("type").to_pylist())


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("SSN 123-45-6789 on file", {IdType.SSN}),
        ("paid with 4111 1111 1111 1111 yesterday", {IdType.CREDIT_CARD}),
        ("amex 3782-822463-10005", {IdType.CREDIT_CARD}),
        ("wire to GB82 WEST 1234 5698 7654 32 today", {IdType.IBAN}),
        ("compact DE89370400440532013000.", {IdType.IBAN}),
        ("write to jane.doe@example.com please", {IdType.EMAIL}),
        ("call (212) 555-0199 after 5", {IdType.PHONE}),
        ("mobile +44 20 7946 0958", {IdType.PHONE}),
        ("login from 192.168.10.4 flagged", {IdType.IP_ADDRESS}),
        ("see https://example.com/records/5.", {IdType.URL}),
        ("MRN: 1234567 admitted", {IdType.MRN}),
        ("DOB: 03/05/1980, allergic", {IdType.DATE_OF_BIRTH}),
        ("born on 1975-12-25 in Ohio", {IdType.DATE_OF_BIRTH}),
        ("Patient: John Smith reports pain", {IdType.PERSON_NAME}),
        ("seen by Dr. Jane Doe", {IdType.PERSON_NAME}),
        ("lives at 42 Elm Street since May", {IdType.STREET_ADDRESS}),
        ("ZIP 02134 on form", {IdType.ZIP_CODE}),
        ("Springfield, IL 62704", {IdType.ZIP_CODE}),
        ("car VIN 1HGCM82633A004352 towed", {IdType.VIN}),
        ("NPI: 1234567893", {IdType.NPI}),
        ("router 00:1A:2B:3C:4D:5E reset", {IdType.DEVICE_ID}),
        ("IMEI 490154203237518", {IdType.DEVICE_ID}),
        ("found at 40.712776, -74.005974", {IdType.GPS_COORDINATES}),
        ("passport no. X12345678", {IdType.PASSPORT}),
        ("member id: W123456789", {IdType.HEALTH_PLAN_ID}),
        ("driver's license D1234567", {IdType.DRIVER_LICENSE}),
        ("account number: 12345678", {IdType.BANK_ACCOUNT}),
        ("cvv 123", {IdType.CARD_CVV}),
        ("Patient DOB 03-14-1985 seen today", {IdType.DATE_OF_BIRTH}),
        ("date of birth March 3rd 1971", {IdType.DATE_OF_BIRTH}),
        ("born 3rd of March, 1971", {IdType.DATE_OF_BIRTH}),
        ("Pt called re refill; DOB 6/9/60", {IdType.DATE_OF_BIRTH}),
        ("cellulare 347 123 4567 dopo le 18", {IdType.PHONE}),
        ("Movil 612 345 678 por la tarde", {IdType.PHONE}),
        ("Telefon: 030 23125456", {IdType.PHONE}),
        ("W-7 filed, ITIN 948-70-7818", {IdType.SSN}),
        ("Medicare 1EG4-TE5-MK73 verified", {IdType.HEALTH_PLAN_ID}),
        ("MBI: 1EG4TE5MK73", {IdType.HEALTH_PLAN_ID}),
        ("prescriber DEA AB3783835", {IdType.NPI}),
        ("Mailed to PO Box 368 last week", {IdType.STREET_ADDRESS}),
        ("Pt Name: PERRY, JUAN seen", {IdType.PERSON_NAME}),
        ('{"firstName": "Amanda", "email": "a.c@example.com"}', {IdType.PERSON_NAME, IdType.EMAIL}),
        (
            "PID|1||4871367^^^HOSP^MR||JACKSON^KELSEY||19910405|M|||55 Elm Rd^^Salem^MA^01970||"
            "(978)745-9012||||||523456789|",
            {
                IdType.MRN,
                IdType.PERSON_NAME,
                IdType.DATE_OF_BIRTH,
                IdType.STREET_ADDRESS,
                IdType.PHONE,
                IdType.SSN,
            },
        ),
    ],
)
def test_embedded_identifiers(note: str, expected: set[IdType]) -> None:
    assert text_types(note) == {t.value for t in expected}


@pytest.mark.parametrize(
    "note",
    [
        "SSN 666-12-3456 and 078-05-1120 are decoys",
        "card 4111 1111 1111 1112 fails Luhn",
        "IBAN GB82 WEST 1234 5698 7654 33 has a bad checksum",
        "order 123456789 without dashes and keyword is no SSN",
        "host 999.1.1.1 is no address, version 1.2.3.4 neither",
        "DOB: 2999-01-01 is in the future",
        "VIN 1HGCM82633A004353 has a wrong check digit",
        "NPI 1234567890 fails its check digit",
        "coarse 40.7, -74.0 only",
        "the patient reported mild pain after the procedure",
        "ITIN 912-34-5678 has a middle group the IRS never issues",
        "order 948-70-7818 is no ITIN without its keyword",
        "DEA AB1234567 fails its check digit; a good idea AB3783835",
        "Medicare Part B 2024 enrollment",
        "PID 4411 crashed and restarted",
        "shipped box 12 via the post office",
        "MSH|^~\\&|LAB|HOSP|||202501011200||ORU^R01|MSG00001|P|2.5",
        "",
    ],
)
def test_decoys_in_text(note: str) -> None:
    assert text_types(note) == set()


def test_unit_and_surname_first_forms_are_scrubbed_whole() -> None:
    values = pa.array(["Patient lives at 3441 Bishop Fork Apt 4B", "Pt Name: PERRY, JUAN DOB 10/23/1958"])
    out = DETECTOR.scrub_text(values, per_value(lambda id_type, text: f"<{id_type.value}>"))
    assert out.to_pylist() == [
        "Patient lives at <STREET_ADDRESS>",
        "Pt Name: <PERSON_NAME> DOB <DATE_OF_BIRTH>",
    ]


def test_several_types_in_one_cell_give_one_finding_per_type() -> None:
    note = "Patient: Ann Lee SSN 123-45-6789, alt 234-56-7890, email a@b.com and c@d.org, call 212-555-0199"
    batch = pa.record_batch({"notes": [note, None, "nothing here"]})
    found = DETECTOR.detect(batch).to_pylist()
    assert found == [
        {"row": 0, "field": "notes", "type": t} for t in sorted(["EMAIL", "PERSON_NAME", "PHONE", "SSN"])
    ]


def test_valid_identifier_after_a_decoy_is_found() -> None:
    assert text_types("old 666-12-3456 replaced by 123-45-6789") == {"SSN"}
    assert text_types("call (123) 555-0199 or (212) 555-0199") == {"PHONE"}


def test_scrub_text_replaces_each_identifier_and_keeps_context() -> None:
    values = pa.array(
        [
            "Patient: John Smith, SSN 123-45-6789, email j.s@example.com",
            None,
            "no identifiers here",
            "MRN: 7654321 card 4111-1111-1111-1111 decoy 666-12-3456",
        ]
    )
    seen: list[tuple[IdType, str]] = []

    def replace(id_type: IdType, text: str) -> str:
        seen.append((id_type, text))
        return f"<{id_type.value}>"

    out = DETECTOR.scrub_text(values, per_value(replace))
    assert out.to_pylist() == [
        "Patient: <PERSON_NAME>, SSN <SSN>, email <EMAIL>",
        None,
        "no identifiers here",
        "MRN: <MRN> card <CREDIT_CARD> decoy 666-12-3456",
    ]
    assert (IdType.SSN, "123-45-6789") in seen
    assert (IdType.CREDIT_CARD, "4111-1111-1111-1111") in seen


def test_scrubbed_text_has_no_findings_left() -> None:
    values = pa.array(["reach me at jane@example.com or 212-555-0199, VIN 1HGCM82633A004352"])
    scrubbed = DETECTOR.scrub_text(values, per_value(lambda id_type, text: "[redacted]"))
    assert DETECTOR.detect(pa.record_batch({"notes": scrubbed})).num_rows == 0


ANY_TEXT = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.text(alphabet="0123456789-. :/@+()xX", max_size=60),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=8), st.integers(1, 600)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ANY_TEXT, max_size=8))
def test_detect_and_scrub_never_raise(values: list[str | None]) -> None:
    array = pa.array(values, pa.string())
    for header in ("notes", "ssn", "phone", "dob", "gps", "col_x"):
        found = DETECTOR.detect(pa.record_batch({header: array}))
        assert found.num_rows <= len(values) * 21
    out = DETECTOR.scrub_text(array, per_value(lambda id_type, text: "#"))
    assert len(out) == len(values)
    assert out.null_count == array.null_count
    tokenized = DETECTOR.scrub_text(array, tokenize)
    assert len(tokenized) == len(values)
    assert tokenized.null_count == array.null_count


def tokenize(id_type: IdType, texts: pa.Array) -> pa.Array:
    return TOKENIZER.tokenize_array(texts, str(id_type))


def token(id_type: IdType, text: str) -> str:
    return TOKENIZER.token(str(id_type), text)


def test_batched_scrub_gives_the_per_value_tokens() -> None:
    notes = pa.array(
        [
            "Patient: Ann Lee, SSN 123-45-6789, email Ann.Lee@Example.com, call (212) 555-0199",
            "MRN: 7654321 card 4111-1111-1111-1111 and again 4111 1111 1111 1111",
            None,
            "wire GB82 WEST 1234 5698 7654 32, login 192.168.10.4, DOB: 03/05/1980",
            "nothing identifying",
        ]
    )
    batched = DETECTOR.scrub_text(notes, tokenize)
    assert batched.equals(DETECTOR.scrub_text(notes, per_value(token)))
    assert batched.to_pylist() == [
        f"Patient: {token(IdType.PERSON_NAME, 'Ann Lee')}, SSN {token(IdType.SSN, '123-45-6789')}, "
        f"email {token(IdType.EMAIL, 'Ann.Lee@Example.com')}, call {token(IdType.PHONE, '(212) 555-0199')}",
        f"MRN: {token(IdType.MRN, '7654321')} card {token(IdType.CREDIT_CARD, '4111-1111-1111-1111')} "
        f"and again {token(IdType.CREDIT_CARD, '4111 1111 1111 1111')}",
        None,
        f"wire {token(IdType.IBAN, 'GB82 WEST 1234 5698 7654 32')}, login {token(IdType.IP_ADDRESS, '192.168.10.4')}, "
        f"DOB: {token(IdType.DATE_OF_BIRTH, '03/05/1980')}",
        "nothing identifying",
    ]
    # Formatting does not change a token: both spellings of the card became the same token.
    assert token(IdType.CREDIT_CARD, "4111-1111-1111-1111") == token(
        IdType.CREDIT_CARD, "4111 1111 1111 1111"
    )


def test_replace_many_is_called_once_per_type_with_every_matched_text() -> None:
    notes = pa.array(
        [
            "SSN 123-45-6789 and SSN 234-56-7890, mail a@b.com",
            "SSN 345-67-8901; cc x@y.org",
            "old 666-12-3456 replaced by 456-78-9012",
            "SSN 123-45-6789 again",
        ]
    )
    calls: list[tuple[IdType, list[str]]] = []

    def replace_many(id_type: IdType, texts: pa.Array) -> pa.Array:
        calls.append((id_type, texts.to_pylist()))
        return pa.array([f"<{id_type.value}{i}>" for i in range(len(texts))])

    out = DETECTOR.scrub_text(notes, replace_many)
    by_type = dict(calls)
    assert len(calls) == len(by_type) == 2
    assert sorted(by_type[IdType.SSN]) == [
        "123-45-6789",
        "123-45-6789",
        "234-56-7890",
        "345-67-8901",
        "456-78-9012",
    ]
    assert sorted(by_type[IdType.EMAIL]) == ["a@b.com", "x@y.org"]
    # Each span got the replacement made for its own text.
    ssn_texts, emails = by_type[IdType.SSN], by_type[IdType.EMAIL]
    for row, (before, after) in enumerate(zip(notes.to_pylist(), out.to_pylist(), strict=True)):
        for texts, kind in ((ssn_texts, "SSN"), (emails, "EMAIL")):
            for index, text in enumerate(texts):
                if f"<{kind}{index}>" in after:
                    assert text in before, (row, text)
    assert out[2].as_py().startswith("old 666-12-3456 replaced by <SSN")


def test_overlapping_spans_earlier_then_longer_then_registry_order() -> None:
    notes = pa.array(["cvv 123-45-6789", "MRN: 123-45-6789", "acct 123-45-6789 x"])
    out = DETECTOR.scrub_text(notes, per_value(lambda id_type, text: f"<{id_type.value}>"))
    # Same start: the longer SSN beats the 3-digit CVV; same span: SSN comes first in the registry.
    assert out.to_pylist() == ["cvv <SSN>", "MRN: <SSN>", "acct <SSN> x"]


def test_non_ascii_text_is_cut_at_the_right_bytes() -> None:
    notes = pa.array(
        [
            "Café — SSN 123-45-6789 ✓ naïve a@b.com",
            "ünïcode only",
            "😀 212-555-0199😀",
            "é40.712776, -74.005974",
        ]
    )
    out = DETECTOR.scrub_text(notes, per_value(lambda id_type, text: f"<{id_type.value}>"))
    # The last one: pyarrow 16's find_substring_regex would start the match inside "é" (Latin-1).
    assert out.to_pylist() == [
        "Café — SSN <SSN> ✓ naïve <EMAIL>",
        "ünïcode only",
        "😀 <PHONE>😀",
        "é<GPS_COORDINATES>",
    ]


def test_sliced_chunked_and_non_string_input() -> None:
    notes = pa.array(["x", "SSN 123-45-6789", None, "call 212-555-0199"]).slice(1)
    chunked = pa.chunked_array([notes.slice(0, 1), notes.slice(1)])
    replace = per_value(lambda id_type, text: "#")
    assert DETECTOR.scrub_text(chunked, replace).to_pylist() == ["SSN #", None, "call #"]
    assert DETECTOR.scrub_text(pa.array([1, None, 2]), replace).to_pylist() == ["1", None, "2"]
    assert DETECTOR.scrub_text(pa.array([], pa.string()), replace).to_pylist() == []


def test_untouched_column_is_returned_without_copy() -> None:
    notes = pa.array(["no identifiers", None, "still none"])
    assert DETECTOR.scrub_text(notes, tokenize) is notes
    repeated = pa.array(["plain template text", "another template"] * 5000)
    assert DETECTOR.scrub_text(repeated, tokenize) is repeated


def test_repetitive_column_is_scrubbed_per_distinct_value_with_the_same_result() -> None:
    templates = [
        "Follow-up booked. MRN: 1234567 linked.",
        "Callback 212-555-0199 confirmed.",
        "Routine visit.",
        None,
    ]
    notes = pa.array([templates[i % 4] for i in range(10_000)] + ["SSN 123-45-6789 once"])
    calls: list[int] = []

    def counting(id_type: IdType, texts: pa.Array) -> pa.Array:
        calls.append(len(texts))
        return tokenize(id_type, texts)

    out = DETECTOR.scrub_text(notes, counting).to_pylist()
    assert sum(calls) == 3  # one MRN, one phone, one SSN: distinct values only
    expected = [
        f"Follow-up booked. MRN: {token(IdType.MRN, '1234567')} linked.",
        f"Callback {token(IdType.PHONE, '212-555-0199')} confirmed.",
        "Routine visit.",
        None,
    ]
    assert out[:8] == expected * 2
    assert out[-1] == f"SSN {token(IdType.SSN, '123-45-6789')} once"
    assert out.count(None) == 2500


def test_a_replace_many_that_breaks_the_contract_is_an_error() -> None:
    notes = pa.array(["SSN 123-45-6789"])
    with pytest.raises(TypeError, match="one value per text"):
        DETECTOR.scrub_text(notes, lambda id_type, text: "#")
    with pytest.raises(TypeError, match="one value per text"):
        DETECTOR.scrub_text(notes, lambda id_type, texts: pa.array(["a", "b"]))


class _SuffixedCode(Recognizer):
    """A pattern that goes on matching after `v`: its spans come from the Python engine."""

    id_type = IdType.MRN
    text_pattern: ClassVar[str] = r"\b(?P<v>[a-z]{2}-\d{2})-x\b"

    def validate(self, values: pa.Array) -> np.ndarray:
        return np.ones(len(values), dtype=bool)


class _DashedCode(_SuffixedCode):
    id_type = IdType.NPI
    text_pattern: ClassVar[str] = r"\b(?P<v>\d{2}-x)\b"


def test_pattern_continuing_after_the_value_and_earliest_overlap() -> None:
    scanner = TextScanner([_SuffixedCode(), _DashedCode()])
    assert [t.whole is None for t in scanner.types] == [True, False]  # Python spans, then RE2 spans
    out = scanner.scrub(
        pa.array(["ab-12-x and cd-34-x", "12-x only", "ab-12-x 56-x", "ab-12-xy"]),
        per_value(lambda id_type, text: f"<{id_type.value}>"),
    )
    # "ab-12-x": the MRN span "ab-12" starts before the overlapping NPI span "12-x", so it wins.
    assert out.to_pylist() == ["<MRN>-x and <MRN>-x", "<NPI> only", "<MRN>-x <NPI>", "ab-12-xy"]


def reference_scrub(texts: list[str | None], replace) -> list[str | None]:
    """The slow definition: every validating Python match of every type, earliest then longest wins."""
    types = DETECTOR._text.types
    out = []
    for text in texts:
        if text is None:
            out.append(None)
            continue
        spans = []
        for text_type in types:
            for match in text_type.python_matches([text])[0]:
                start, end = match.span("v")
                spans.append((start, start - end, types.index(text_type), end, text_type.id_type))
        pieces, cursor = [], 0
        for start, _, _, end, id_type in sorted(spans):
            if start >= cursor:
                pieces += [text[cursor:start], replace(id_type, text[start:end])]
                cursor = end
        out.append("".join(pieces) + text[cursor:])
    return out


FRAGMENTS = [
    "SSN 123-45-6789", "234-56-7890", "666-12-3456", "4111 1111 1111 1111", "card 4111111111111111",
    "GB82 WEST 1234 5698 7654 32", "jane.doe@example.com", "(212) 555-0199", "+44 20 7946 0958",
    "192.168.10.4", "version 1.2.3.4", "https://example.com/é?x=1", "MRN: 1234567", "DOB: 03/05/1980",
    "Patient: John Smith", "Dr. Jane Doe", "42 Elm Street", "ZIP 02134", "IL 62704", "1HGCM82633A004352",
    "NPI: 1234567893", "00:1A:2B:3C:4D:5E", "IMEI 490154203237518", "40.712776, -74.005974",
    "passport no. X12345678", "member id: W123456789", "DL D1234567", "account number: 12345678", "cvv 123",
    "é", "漢字", "-", ".", ":", "12", "x",
]  # fmt: skip
SEPARATORS = ["", " ", ", ", "-", "é", "\n"]
NOTES = st.lists(
    st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(SEPARATORS)).map("".join), max_size=12
).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), NOTES), max_size=12))
def test_vectorised_scrub_equals_the_python_definition(texts: list[str | None]) -> None:
    def replace(id_type: IdType, text: str) -> str:
        return f"<{id_type.value}:{text}>"

    out = DETECTOR.scrub_text(pa.array(texts, pa.string()), per_value(replace))
    assert out.to_pylist() == reference_scrub(texts, replace)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), NOTES), max_size=12), st.integers(0, 3))
def test_c_match_starts_and_splice_equal_the_re2_and_numpy_path(texts: list[str | None], start: int) -> None:
    """native/text_hints.c's match starts and splice give the texts that find_substring_regex and
    the numpy gather give (sliced input too)."""
    assert text_module._native is not None, "pip install -e . builds native/text_hints.c (gcc)"
    texts = [*texts, "x123-45-6789 then 123-45-6789", "SSN 123-45-6789123-45-6789 123-45-6789"]
    values = pa.array(texts, pa.string()).slice(min(start, len(texts)))
    with_c = TextScanner(DETECTOR.recognizers).scrub(values, per_value(token))
    native, text_module._native = text_module._native, None
    try:
        assert TextScanner(DETECTOR.recognizers).scrub(values, per_value(token)).equals(with_c)
    finally:
        text_module._native = native


def test_only_occurrence_is_the_position_of_a_needle_found_exactly_once() -> None:
    texts = pa.array(["a 123 b", "123 123", "12123", "1111", "", "abc", "xyz"])
    needles = pa.array(["123", "123", "123", "11", "1", "", "yz"])
    text_offsets, text_data = text_module._buffers(texts)
    needle_offsets, needle_data = text_module._buffers(needles)
    found = text_module._native.only_occurrence(text_data, text_offsets, needle_data, needle_offsets)
    assert np.frombuffer(found, np.int64).tolist() == [2, -1, 2, -1, -1, -1, 1]


def test_splice_rejects_spans_out_of_order_or_out_of_their_text() -> None:
    splice = text_module._native.splice
    data, offsets = b"abcdefgh", np.array([0, 4, 8], dtype=np.int64)
    replacements, replacement_offsets = b"XY", np.array([0, 1, 2], dtype=np.int64)

    def spans(rows: list[int], starts: list[int], ends: list[int]) -> tuple:
        return tuple(np.array(a, dtype=np.int64) for a in (rows, starts, ends))

    joined, value_offsets = splice(
        data, offsets, *spans([0, 1], [1, 0], [2, 4]), replacements, replacement_offsets
    )
    assert joined == b"aXcdY" and np.frombuffer(value_offsets, np.int32).tolist() == [0, 4, 5]
    for bad in (
        spans([1, 0], [0, 0], [1, 1]),  # rows out of order
        spans([0, 0], [1, 0], [3, 2]),  # overlapping / unsorted in a row
        spans([0, 2], [0, 0], [1, 1]),  # no such row
        spans([0, 1], [0, 3], [1, 5]),  # past the end of its text
        spans([0, 1], [2, 0], [1, 1]),  # start after end
    ):
        with pytest.raises(ValueError, match="spans"):
            splice(data, offsets, *bad, replacements, replacement_offsets)


def test_detection_then_scrubbing_of_the_same_text_share_passes_but_not_results() -> None:
    """find() and scrub() of equal text reuse one prefilter; other text gets its own."""
    scanner = TextScanner(Detector().recognizers)
    notes = pa.array(["SSN 123-45-6789 on file", "call (212) 555-0199", "nothing here", None])
    found = scanner.find(notes)
    scrubbed = scanner.scrub(pa.array(notes.to_pylist()), per_value(token))  # equal content, new buffers
    assert any(seen is notes for entries in scanner._prefilters.values() for seen, _ in entries)
    assert {k: v.tolist() for k, v in found.items()} == {IdType.SSN: [0], IdType.PHONE: [1]}
    assert scrubbed.equals(TextScanner(Detector().recognizers).scrub(notes, per_value(token)))
    other = pa.array(["nothing here", "mail jane.doe@example.com", "SSN 123-45-6789 on file"])
    assert {k: v.tolist() for k, v in scanner.find(other).items()} == {IdType.EMAIL: [1], IdType.SSN: [2]}


def test_types_learnt_as_frequent_change_the_passes_not_the_results() -> None:
    """A scanner that has learnt which types a column usually holds ("hot", counted on their own)
    finds and scrubs exactly what a fresh scanner does, also types it has not seen before."""
    usual = pa.array([f"SSN 123-45-{1000 + i} mail a{i}@example.com" for i in range(40)] + ["nothing"])
    later = pa.array(
        [
            "call (212) 555-0199",
            "SSN 123-45-6789 and 078-05-1120",
            "nothing",
            None,
            "MRN: 7654321 on file, SSN 219-09-9999 then 123-45-6789",
            "wire GB82 WEST 1234 5698 7654 32",
            "DOB: 03/05/1980 café 123-45-6789",
            "decoy SSN 000-45-6789 only",
        ]
    )
    learnt = TextScanner(Detector().recognizers)
    learnt.find(usual)
    assert {t.id_type for t in learnt._hot} == {IdType.SSN, IdType.EMAIL}

    def replace(id_type: IdType, text: str) -> str:
        return f"<{id_type.value}:{text}>"

    found = learnt.find(later)  # then scrub() reuses its first matches and their validity
    fresh = TextScanner(Detector().recognizers).find(later)
    assert {k: v.tolist() for k, v in found.items()} == {k: v.tolist() for k, v in fresh.items()}
    assert set(found) == {IdType.PHONE, IdType.SSN, IdType.MRN, IdType.IBAN, IdType.DATE_OF_BIRTH}
    assert learnt.scrub(later, per_value(replace)).to_pylist() == reference_scrub(later.to_pylist(), replace)
    assert {t.id_type for t in learnt._hot} == {
        IdType.SSN,
        IdType.PHONE,
        IdType.MRN,
        IdType.IBAN,
        IdType.DATE_OF_BIRTH,
    }


def test_non_ascii_spans_from_the_matches_detection_found() -> None:
    # detect() extracted each text's first match; scrubbing the same column reuses it to place the
    # spans of non-ASCII texts (a byte search; an RE2 pass where the match text occurs twice).
    from compliance.columns import ColumnClass, ColumnRole

    notes = pa.array(
        [
            "Café — SSN 123-45-6789 ✓",
            "é ref x123-45-6789 and 123-45-6789",  # the SSN's text occurs twice, matches once
            "😀 call 212-555-0199 😀",
            "naïve a@b.com",
            "Ünï Dr. Ana María Pérez saw the patient",
            "plain 234-56-7890",
        ]
        * 3
    )
    replace = per_value(lambda id_type, text: f"<{id_type.value}:{len(text)}>")
    detector = Detector()
    detector.detect(pa.record_batch([notes], names=["notes"]), [ColumnClass("notes", ColumnRole.FREE_TEXT)])
    assert detector._text._prefilters, "detect() kept its prefilter for scrubbing"
    after_detection = detector.scrub_text(notes, replace)
    assert after_detection.equals(Detector().scrub_text(notes, replace))
    assert after_detection[1].as_py() == "é ref x123-45-6789 and <SSN:11>"


def test_group_names_read_off_each_pattern_are_those_python_compiles() -> None:
    """The scanner names a pattern's groups without compiling it for Python (that waits for the
    slow path): the names, in order, must be those re would give, and every pattern must compile."""
    for text_type in TextScanner(DETECTOR.recognizers).types:
        assert text_type.groups == list(text_type.python.groupindex), text_type.pattern


def _all_matches(pattern: re.Pattern[str], texts: list[str]) -> list[list[tuple]]:
    return [[(m.span(), m.groupdict()) for m in pattern.finditer(text)] for text in texts]


def test_word_lists_grouped_by_letter_match_as_before() -> None:
    """Python's engine gets long word lists grouped by first letter (the given names: ~200x
    faster); every match, span and group must stay what the list as written gives, including a
    word that starts another ("Ann" before "Anna") and words that differ only in case."""
    words = ["Anna", "Ann", "Annabel", "An", "Bob", "bob", "Bobby", "Al-Amin", "Zoë", "Émile"]
    words += [f"W{i:03d}" for i in range(80)]
    pattern = r"\b(?P<v>(?:" + "|".join(words) + r")(?: [A-Z][a-z]+)?) (?P<last>[A-Z]\w+)\b"
    factored = text_module._factored(pattern)
    assert factored != pattern
    texts = [f"saw {word} Lee Smith and {word} Jones, {word}bel X" for word in words]
    texts += ["Annabel Lee Smith", "Anna Bell Annabel Rowe", "bob Marley Bobby Brown", "W017 Zed W01 Q"]
    assert _all_matches(re.compile(factored, re.ASCII), texts) == _all_matches(
        re.compile(pattern, re.ASCII), texts
    )
    # "Xb" fails on "Xbcd" below, then "X" (before "Xbc" in the list) must be the one that matches.
    tricky = ["Xb", "X", "Xbc", *(f"Xq{i}" for i in range(8)), *words]
    pattern = r"(?P<v>(?:" + "|".join(tricky) + r"))(?P<rest>bcd|d)"
    assert _all_matches(re.compile(text_module._factored(pattern)), ["Xbcd"]) == [
        [((0, 4), {"v": "X", "rest": "bcd"})]
    ]
    case_free = r"(?i:\b(?:" + "|".join(words) + r"))\b"
    assert text_module._factored(case_free) == case_free
    assert text_module._factored("(?x)" + pattern) == "(?x)" + pattern


def test_given_name_pattern_grouped_for_python_matches_as_written() -> None:
    """The real list (~10,000 given names): matches on texts naming many of them are unchanged."""
    types = [
        t for t in TextScanner(DETECTOR.recognizers).types if text_module._factored(t.pattern) != t.pattern
    ]
    assert types, "no pattern holds a long word list any more"
    for text_type in types:
        words = re.findall(r"[A-Z][a-z]+", text_type.pattern)[::37]
        texts = [
            f"seen by {a} {b} Miller; {b} O'Brien and {a} J. Smith-Jones"
            for a, b in itertools.pairwise(words)
        ]
        written = re.compile(text_type.pattern, re.ASCII)
        assert _all_matches(text_type.python, texts) == _all_matches(written, texts)


def test_counts_behind_the_word_list_prefilter_are_those_of_the_pattern() -> None:
    """A pattern with a long word list is counted only where its widened form (any word of the
    list's letters) matches: the counts must be what the pattern alone gives, on masked arrays too."""
    types = [t for t in TextScanner(DETECTOR.recognizers).types if t.necessary is not None]
    assert types
    texts = [
        "met John Smith today and Anna Bell",
        "Pt called about Medicaid renewal",
        "seen by Jürgen Müller and Émile Navarro, then Mary Ann O'Brien",
        "JOHN SMITH",
        "",
        None,
        "spoke with Maria Gonzalez-Ruiz's daughter; Abdul van der Berg",
    ] * 3
    values = pa.array(texts, pa.string())
    rows = np.array([2, 3, 6, 9, 13, 20])  # positions in `values`; the slice starts at 1
    masked = text_module.only_rows(values.slice(1), rows - 1)
    for text_type in types:
        assert np.array_equal(text_type.count(values), text_type._count(values))
        assert np.array_equal(text_type.count(masked)[rows - 1], text_type._count(values)[rows])
        assert text_type.count(values).any()


def test_word_list_cut_to_the_words_of_the_texts_matches_as_the_whole_list() -> None:
    """RE2 gets the given-name pattern with only the names the texts hold (compiling all ~10,000
    costs 20-120 ms a call): counts, first matches and match starts must be the whole pattern's,
    at word boundaries RE2 reads as ASCII ("ÉJohn", "xÉmile") and beside other separators too."""
    types = [t for t in TextScanner(DETECTOR.recognizers).types if t._listed is not None]
    assert types, "no pattern has its word list cut down any more"
    names = ["John", "Mary", "Ann", "Anna", "Émile", "José", "Jürgen", "Zoë", "Ngozi", "Abdul"]
    texts = [
        "met John Smith today and Anna Bell",
        "ÉJohn Smith, xÉmile Navarro, 5John Smith, _John Smith, (John Smith), x-John Smith",
        "John\tSmith, John  Smith, JohnSmith Lee, O'Mary Jones, Annabel Lee, Ann Lee",
        "seen by Jürgen Müller and Émile Navarro, then Mary Ann O'Brien; José García, Zoë Ng",
        "spoke with Maria Gonzalez-Ruiz's daughter; Abdul van der Berg",
        "Pt called about Medicaid renewal",
        "Ngozi",
        "",
        None,
    ]
    texts += [f"{a} {b} and {b}-{a} {a}é {b}" for a, b in itertools.pairwise(names)]
    values = pa.array(texts, pa.string())
    masked = text_module.only_rows(values, np.array([0, 1, 3, 6]))
    for text_type in types:
        for array in (values, masked, values.slice(2, 3), pa.array([None, "no names here"], pa.string())):
            reduced = text_type._listed.pattern_for(array)
            assert len(reduced) < len(text_type.pattern)
            for whole, cut in (
                (text_type.pattern, reduced),
                (text_type.whole, f"(?P<whole>{reduced})"),
            ):
                assert pc.count_substring_regex(array, cut).equals(pc.count_substring_regex(array, whole))
                assert pc.extract_regex(array, cut).equals(pc.extract_regex(array, whole))
                assert pc.find_substring_regex(array, cut).equals(pc.find_substring_regex(array, whole))
        assert text_type.count(values).any()


def test_a_word_list_is_cut_down_only_where_that_keeps_its_matches() -> None:
    """A list that is case-insensitive, holds other than letters or has no \\b before it could
    match where no token ends in one of its words: the scanner refuses to cut it down."""
    from compliance.detection.listed_words import ListedWords

    words = "|".join(f"W{chr(97 + i % 26) * (1 + i // 26)}" for i in range(70))
    assert "Wa" in ListedWords(rf"\b(?P<v>(?:{words})) [A-Z]\w+").pattern_for(pa.array(["x Wa Lee"]))
    for pattern in (
        rf"(?i:\b(?P<v>(?:{words})) [A-Z]\w+)",
        rf"\b(?P<v>(?:{words}|W-1)) [A-Z]\w+",
        rf"(?P<v>(?:{words})) [A-Z]\w+",
    ):
        with pytest.raises(ValueError, match="words_before_space"):
            ListedWords(pattern)
