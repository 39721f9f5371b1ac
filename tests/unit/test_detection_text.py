"""Identifiers embedded in free text: detection per (row, type), scrubbing, and robustness."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.detection import Detector
from compliance.vocabulary import IdType

DETECTOR = Detector()


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
        "SSN 123456789 without dashes is not trusted in text",
        "host 999.1.1.1 is no address, version 1.2.3.4 neither",
        "DOB: 2999-01-01 is in the future",
        "VIN 1HGCM82633A004353 has a wrong check digit",
        "NPI 1234567890 fails its check digit",
        "coarse 40.7, -74.0 only",
        "the patient reported mild pain after the procedure",
        "",
    ],
)
def test_decoys_in_text(note: str) -> None:
    assert text_types(note) == set()


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

    out = DETECTOR.scrub_text(values, replace)
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
    scrubbed = DETECTOR.scrub_text(values, lambda id_type, text: "[redacted]")
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
    out = DETECTOR.scrub_text(array, lambda id_type, text: "#")
    assert len(out) == len(values)
    assert out.null_count == array.null_count
