"""Column classification: header synonyms, roles, quasi-identifiers, value-based typing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.columns import ColumnRole
from compliance.detection import Detector
from compliance.detection.arrays import as_strings, containing, starting_with
from compliance.detection.headers import gps_pairs, normalize_header
from compliance.generator import generate
from compliance.vocabulary import IdType

DETECTOR = Detector()


def classify_one(header: str, values: list | None = None):
    values = values if values is not None else ["x"]
    return DETECTOR.classify(pa.record_batch({header: pa.array(values)}))[0]


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("dateOfBirth", "date_of_birth"), ("Date-Of Birth", "date_of_birth"), ("DOB", "dob"), ("E-mail", "e_mail"),
     ("IPAddress", "ip_address"), ("Patient Name", "patient_name"), ("ZIPCode", "zip_code"), ("cc#", "cc_number"), ("Chart #", "chart_number")],
)  # fmt: skip
def test_normalize_header(raw: str, normalized: str) -> None:
    assert normalize_header(raw) == normalized


@pytest.mark.parametrize(
    ("header", "id_type"),
    [("SSN", IdType.SSN), ("social_security_number", IdType.SSN), ("patientSSN", IdType.SSN),
     ("first_name", IdType.PERSON_NAME), ("LastName", IdType.PERSON_NAME), ("full_name", IdType.PERSON_NAME),
     ("patient_name", IdType.PERSON_NAME), ("dob", IdType.DATE_OF_BIRTH), ("birth_date", IdType.DATE_OF_BIRTH),
     ("Date of Birth", IdType.DATE_OF_BIRTH), ("card_number", IdType.CREDIT_CARD), ("PAN", IdType.CREDIT_CARD),
     ("cc_number", IdType.CREDIT_CARD), ("cvv2", IdType.CARD_CVV), ("security_code", IdType.CARD_CVV),
     ("IBAN", IdType.IBAN), ("acct_no", IdType.BANK_ACCOUNT), ("routing_number", IdType.BANK_ACCOUNT),
     ("e_mail", IdType.EMAIL), ("EmailAddress", IdType.EMAIL), ("mobile", IdType.PHONE), ("tel", IdType.PHONE),
     ("home_phone", IdType.PHONE), ("client_ip", IdType.IP_ADDRESS), ("ip", IdType.IP_ADDRESS),
     ("website", IdType.URL), ("street_address", IdType.STREET_ADDRESS), ("Address", IdType.STREET_ADDRESS),
     ("billing_address", IdType.STREET_ADDRESS), ("postal_code", IdType.ZIP_CODE), ("zipcode", IdType.ZIP_CODE),
     ("medical_record_number", IdType.MRN), ("MRN", IdType.MRN), ("npi", IdType.NPI),
     ("insurance_id", IdType.HEALTH_PLAN_ID), ("member_id", IdType.HEALTH_PLAN_ID),
     ("dl_number", IdType.DRIVER_LICENSE), ("driver_license", IdType.DRIVER_LICENSE),
     ("passport_no", IdType.PASSPORT), ("VIN", IdType.VIN), ("imei", IdType.DEVICE_ID),
     ("mac_address", IdType.DEVICE_ID), ("idfa", IdType.DEVICE_ID), ("gps", IdType.GPS_COORDINATES)],
)  # fmt: skip
def test_header_synonyms(header: str, id_type: IdType) -> None:
    # A "gps"/"location" header is ambiguous on its own: it needs coordinate-looking values.
    column = classify_one(header, ["40.712776,-74.005974"] if id_type is IdType.GPS_COORDINATES else None)
    assert column.role is ColumnRole.IDENTIFIER
    assert column.id_type is id_type


@pytest.mark.parametrize(
    ("header", "role", "quasi_kind"),
    [("notes", ColumnRole.FREE_TEXT, None), ("clinical_notes", ColumnRole.FREE_TEXT, None),
     ("memo", ColumnRole.FREE_TEXT, None), ("Comments", ColumnRole.FREE_TEXT, None),
     ("description", ColumnRole.FREE_TEXT, None), ("free_text", ColumnRole.FREE_TEXT, None),
     ("consent", ColumnRole.CONSENT, None), ("gdpr_consent", ColumnRole.CONSENT, None),
     ("opt_in", ColumnRole.CONSENT, None), ("marketing_consent", ColumnRole.CONSENT, None),
     ("record_date", ColumnRole.RECORD_DATE, None), ("created_at", ColumnRole.RECORD_DATE, None),
     ("visit_date", ColumnRole.RECORD_DATE, None), ("transaction_date", ColumnRole.RECORD_DATE, None),
     ("event_time", ColumnRole.RECORD_DATE, None), ("timestamp", ColumnRole.RECORD_DATE, None),
     ("age", ColumnRole.QUASI_IDENTIFIER, "age"), ("gender", ColumnRole.QUASI_IDENTIFIER, "gender"),
     ("sex", ColumnRole.QUASI_IDENTIFIER, "gender"), ("city", ColumnRole.QUASI_IDENTIFIER, "city"),
     ("ethnicity", ColumnRole.QUASI_IDENTIFIER, "category"), ("marital_status", ColumnRole.QUASI_IDENTIFIER, "category"),
     ("occupation", ColumnRole.QUASI_IDENTIFIER, "category"), ("amount", ColumnRole.OTHER, None),
     ("diagnosis_code", ColumnRole.OTHER, None), ("product_name", ColumnRole.OTHER, None)],
)  # fmt: skip
def test_roles_and_quasi_kinds(header: str, role: ColumnRole, quasi_kind: str | None) -> None:
    column = classify_one(header)
    assert (column.role, column.quasi_kind) == (role, quasi_kind)


def test_zip_and_dob_are_identifiers_with_quasi_kind() -> None:
    assert classify_one("zip", ["02134"]).quasi_kind == "zip"
    assert classify_one("dob", ["1980-01-01"]).quasi_kind == "date"


def test_value_based_classification_of_oddly_named_columns() -> None:
    batch = pa.record_batch(
        {
            "col_7": [
                "4111 1111 1111 1111",
                "5555555555554444",
                "378282246310005",
                "6011111111111117",
                "n/a",
            ],
            "contact": ["jane@example.com", "bob@example.org", "x@y.io", "amy@z.net", "z@z.co"],
            "field_3": [
                "(212) 555-0199",
                "+44 20 7946 0958",
                "415-555-2671",
                "+1 646 555 0123",
                "312-555-0100",
            ],
            "c4": ["123-45-6789", "234-56-7890", "345-67-8901", "456-78-9012", "567-89-0123"],
            "c5": ["192.168.0.1", "10.0.0.2", "8.8.8.8", "2001:db8::1", "172.16.5.4"],
            "c6": ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"] * 2
            + ["FR1420041010050500013M02606"],
            "c7": ["123456789", "987654321", "555555555", "123123123", "111111111"],
            "remarks_x": ["The patient reported mild pain after the procedure today"] * 5,
        }
    )
    classes = {c.field: c for c in DETECTOR.classify(batch)}
    assert classes["col_7"].id_type is IdType.CREDIT_CARD
    assert classes["col_7"].evidence == "values"
    assert classes["contact"].id_type is IdType.EMAIL
    assert classes["field_3"].id_type is IdType.PHONE
    assert classes["c4"].id_type is IdType.SSN
    assert classes["c5"].id_type is IdType.IP_ADDRESS
    assert classes["c6"].id_type is IdType.IBAN
    # Bare 9-digit numbers may be anything: not an SSN without a header saying so.
    assert classes["c7"].role is ColumnRole.OTHER
    assert classes["remarks_x"].role is ColumnRole.FREE_TEXT
    found = DETECTOR.detect(batch)
    assert sorted(found.filter(pa.compute.equal(found["field"], "col_7"))["row"].to_pylist()) == [0, 1, 2, 3]


def test_values_override_a_misleading_header() -> None:
    column = classify_one("phone", ["jane@example.com", "bob@example.org", "x@y.io"])
    assert column.id_type is IdType.EMAIL
    assert column.evidence == "values"


def test_ambiguous_location_header_needs_coordinates() -> None:
    assert classify_one("location", ["Paris", "Berlin", "Rome"]).role is ColumnRole.OTHER
    assert classify_one("location", ["48.8566,2.3522", "52.52,13.405"]).id_type is IdType.GPS_COORDINATES


def test_header_alone_types_no_value() -> None:
    """A header never makes a value its type; placeholders are no finding, and a value the type
    does not validate is reported as unrecognised (fail closed)."""
    batch = pa.record_batch({"ssn": ["unknown", "666-12-3456"], "email": ["none", "n/a"]})
    assert DETECTOR.classify(batch)[0].id_type is IdType.SSN
    assert DETECTOR.detect(batch).to_pylist() == [
        {"row": 1, "field": "ssn", "type": "UNRECOGNISED_SENSITIVE"}
    ]


def test_version_strings_are_not_ip_addresses() -> None:
    batch = pa.record_batch({"version": ["1.2.3.4", "10.0.0.1"], "app_version": ["1.2.3.4", "2.0.1.7"]})
    assert [c.role for c in DETECTOR.classify(batch)] == [ColumnRole.NOT_IDENTIFIER] * 2
    assert DETECTOR.detect(batch).num_rows == 0


def test_gps_pairs_by_shared_name() -> None:
    fields = ["pickup_lat", "pickup_lng", "dropoff_latitude", "dropoff_longitude", "lat", "lon", "lat_lon"]
    assert gps_pairs(fields) == {
        "pickup_lat": "pickup_lng",
        "dropoff_latitude": "dropoff_longitude",
        "lat": "lon",
    }
    batch = pa.record_batch({"lat": [40.712776], "lon": [-74.005974], "name": ["x"]})
    classes = DETECTOR.classify(batch)
    assert [c.id_type for c in classes[:2]] == [IdType.GPS_COORDINATES, IdType.GPS_COORDINATES]


def test_classes_keep_schema_order() -> None:
    batch = pa.record_batch({"b_notes": ["x"], "a_ssn": ["123-45-6789"], "zz": [1]})
    assert [c.field for c in DETECTOR.classify(batch)] == ["b_notes", "a_ssn", "zz"]


def _type_by_all_evidence(sample: pa.Array):
    """The definition: every by-values recognizer's evidence, the largest share >= 0.8 wins, the
    first in registry order on a tie."""
    best, best_rate = None, 0.8
    for recognizer in DETECTOR.recognizers:
        if recognizer.by_values:
            rate = float(np.mean(recognizer.evidence(sample))) if len(sample) else 0.0
            if rate >= best_rate and (best is None or rate > best_rate):
                best, best_rate = recognizer, rate
    return best


@pytest.mark.parametrize(
    "values",
    [
        ["(212) 555-0199", "+44 20 7946 0958", "212-555-0123", "PHONE_k1_abc", "N/A"],
        ["(212) 555-0199", "+1 415 555 2671", "(646) 555-0100", "(718) 555-0199", "+33 1 42 68 53 00"],
        ["123-45-6789", "234-56-7890", "345-67-8901", "456-78-9012", "SSN_k1_abc"],
        ["123-45-6789", "234-56-7890", "345-67-8901", "456-78-9012", "567-89-0123"],
        ["101.52", "265.91", "124.65", "7.46", "18.42"],
        ["a@b.com", "c@d.org", "e@f.net", "g@h.io", "(212) 555-0199"],
    ],
)
def test_type_by_values_skips_costly_evidence_without_changing_the_answer(values) -> None:
    """Costly evidence (phone numbers through phonenumbers) is skipped when its ceiling is below the
    threshold, and a header-named type's own evidence when no other type qualifies."""
    sample = pa.array(values)
    expected = _type_by_all_evidence(sample)
    assert DETECTOR._type_by_values(sample) is expected
    phone = next(r for r in DETECTOR.recognizers if r.id_type is IdType.PHONE)
    assert float(np.mean(phone.evidence(sample))) <= phone.evidence_ceiling(sample)
    for named in DETECTOR.recognizers:
        rival = DETECTOR._type_by_values(sample, rival_of=named)
        # What the caller does with the answer: keep `named` unless another type is proven.
        assert (rival if rival is not None and rival is not named else named) is (
            expected if expected is not None and expected is not named else named
        )


# Texts near every value-typed shape: digits and separators, hex, @, URLs, IBAN letters, non-ASCII
# letters that case-map to ASCII ("ſ" -> "S"), whitespace RE2's \s knows and one it does not (\v).
NEAR_SHAPES = st.text(alphabet="0123456789abcdefxABCDEFGWSTX@.:-+() /_wht\t\v\u017fé", max_size=24)
EVIDENCE_EDGES = [
    "123-45-6789", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32", " GB82WEST12345698765432", "a@b.co",
    "(212) 555-0199", "+44 20 7946 0958", "10.0.0.1", "::1", "fe80::1%eth0", "https://x.org/a", "WWW.x.org",
    "ſ1HGCM82633A004352", "1HGCM82633A004352", "12 Main St", "1 St", "1234567893", "00:1A:2B:3C:4D:5E",
    "001a.2b3c.4d5e", "40.7128, -74.0060", "(40.7128 -74.0060)", " 40.7128,-74.0060", "N/A", "", "é",
]  # fmt: skip


def _bounded_everywhere(sample: pa.Array) -> None:
    for recognizer in DETECTOR.recognizers:
        if recognizer.by_values:
            share = float(np.mean(recognizer.evidence(sample))) if len(sample) else 0.0
            assert share <= recognizer.evidence_ceiling(sample), (
                type(recognizer).__name__,
                sample.to_pylist(),
            )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(NEAR_SHAPES, st.sampled_from(EVIDENCE_EDGES)), max_size=12))
def test_evidence_ceilings_bound_the_evidence(texts: list[str]) -> None:
    """Classification skips a type whose ceiling is below the threshold: each ceiling must bound the
    share of values its evidence accepts (on any values, sliced arrays too)."""
    _bounded_everywhere(pa.array(texts, pa.string()))
    _bounded_everywhere(pa.array(["x", *texts], pa.string()).slice(1))
    for text in texts:
        _bounded_everywhere(pa.array([text], pa.string()))


@pytest.mark.parametrize("domain", ["healthcare", "financial", "location", "mixed"])
def test_evidence_ceilings_bound_generated_columns(domain: str) -> None:
    table = next(generate(domain, 1500, seed=3, decoy_rate=0.3, as_of=dt.date(2025, 1, 1))).table
    for column in table.combine_chunks().columns:
        _bounded_everywhere(as_strings(column))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), NEAR_SHAPES), max_size=12), st.integers(0, 3))
def test_byte_shape_helpers_match_python(texts: list[str | None], start: int) -> None:
    values = pa.array(texts, pa.string()).slice(min(start, len(texts)))
    present = [text or "" for text in values.to_pylist()]
    assert containing(values, b"@ \t").tolist() == [any(c in "@ \t" for c in text) for text in present]
    expected = [2 <= len(text.encode()) <= 5 and (text[0] in "0123(" or text[0] > "\x7f") for text in present]
    assert starting_with(values, b"0123(", non_ascii=True, min_bytes=2, max_bytes=5).tolist() == expected


@pytest.mark.parametrize(
    ("header", "values", "id_type"),
    [("First", ["Gabrielle", "Brian"], IdType.PERSON_NAME), ("Last", ["Ryan", "Lewis"], IdType.PERSON_NAME),
     ("Guardian", ["Charles Brown", "Ann Lee"], IdType.PERSON_NAME),
     ("Spouse", ["Maria Garcia", "Tom Ward"], IdType.PERSON_NAME),
     ("Chart #", ["A5167985", "A3554776"], IdType.MRN), ("Chart", ["7015227", "7015228"], IdType.MRN),
     ("Social", ["414493279", "812 48 6359"], IdType.SSN), ("SS#", ["116487686", "209478755"], IdType.SSN),
     ("Member #", ["683858778", "683858779"], IdType.HEALTH_PLAN_ID),
     ("Holder", ["Robert Steele", "Ann Ng"], IdType.PERSON_NAME),
     ("serial", ["XG45384019", "KL11223344"], IdType.DEVICE_ID), ("imsi", ["310305269272659"], IdType.DEVICE_ID),
     ("iccid", ["8901602816520567187"], IdType.DEVICE_ID),
     ("geo", ["POINT(21.575272 16.682796)", "POINT (-71.058880 42.360082)"], IdType.GPS_COORDINATES),
     ("Subscriber Last", ["Jones", "Hoffman"], IdType.PERSON_NAME),
     ("Subscriber First", ["Clayton", "Kathleen"], IdType.PERSON_NAME),
     ("Dependent Name", ["Joseph Jones", "Rita Hoffman"], IdType.PERSON_NAME),
     ("Pt Name", ["JONES, CLAYTON", "HOFFMAN, KATHLEEN"], IdType.PERSON_NAME),
     ("Pt ID", ["7975252", "3214916"], IdType.MRN)],
)  # fmt: skip
def test_headers_of_real_exports(header: str, values: list[str], id_type: IdType) -> None:
    """Short export headers ("First", "Chart #", "Social") name their type; the values still validate."""
    column = classify_one(header, values)
    assert (column.role, column.id_type) == (ColumnRole.IDENTIFIER, id_type)


@pytest.mark.parametrize(
    ("header", "values"), [("SSN Last 4", ["2364", "4553"]), ("DEA #", ["AB9099602", "BJ6125341"])]
)
def test_partial_ssn_and_dea_columns_fail_closed(header: str, values: list[str]) -> None:
    assert classify_one(header, values).role is ColumnRole.SENSITIVE


@pytest.mark.parametrize("header", ["Product Name", "company_name", "visit_last", "account_last"])
def test_names_of_things_are_no_person_names(header: str) -> None:
    assert classify_one(header, ["Widget Pro", "Acme"]).id_type is not IdType.PERSON_NAME


def test_y_x_columns_are_a_position_only_when_their_values_are() -> None:
    precise = pa.record_batch({"y": ["42.360082", "38.622760"], "x": ["-71.058880", "-94.853748"]})
    assert [c.id_type for c in DETECTOR.classify(precise)] == [IdType.GPS_COORDINATES] * 2
    found = DETECTOR.detect(precise)
    assert sorted(set(found.column("type").to_pylist())) == ["GPS_COORDINATES"]
    pixels = pa.record_batch({"y": ["512.5", "20.75"], "x": ["100.5", "200.25"]})
    assert [c.id_type for c in DETECTOR.classify(pixels)] == [None, None]


@pytest.mark.parametrize("header", ["License Plate", "plate_number", "Vehicle Registration"])
def test_vehicle_plates_fail_closed(header: str) -> None:
    # No recognizer knows plate formats: the column is typed value by value and anonymized anyway.
    assert classify_one(header, ["HYZ 129", "7ABC123"]).role is ColumnRole.SENSITIVE
