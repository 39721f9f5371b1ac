"""Per-type value validation in identifier columns: published positives and decoys."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.detection import Detector
from compliance.vocabulary import IdType

DETECTOR = Detector()


def flagged(header: str, values: list, detector: Detector = DETECTOR) -> list[bool]:
    """Which values of a one-column batch named `header` are reported as the column's own type (the
    others of an identifier column are reported too, fail closed, under another type)."""
    batch = pa.record_batch({header: pa.array(values)})
    own = detector.classify(batch)[0].id_type
    found = detector.detect(batch)
    rows = {row for row, kind in zip(found.column("row").to_pylist(), found.column("type").to_pylist(), strict=True)
            if kind == own}  # fmt: skip
    return [row in rows for row in range(len(values))]


def reported(header: str, values: list) -> list[str | None]:
    """The type reported for each value of a one-column batch (None: nothing)."""
    found = DETECTOR.detect(pa.record_batch({header: pa.array(values)}))
    kinds = dict(zip(found.column("row").to_pylist(), found.column("type").to_pylist(), strict=True))
    return [kinds.get(row) for row in range(len(values))]


def column_type(header: str, values: list) -> IdType | None:
    return DETECTOR.classify(pa.record_batch({header: pa.array(values)}))[0].id_type


@pytest.mark.parametrize(
    ("header", "valid", "invalid"),
    [
        # SSA rules; 078-05-1120 (Woolworth wallet) and 219-09-9999 (SSA advertising) were never issued.
        ("ssn", ["123-45-6789", "123456789", "123 45 6789", "899-99-9999"],
         ["078-05-1120", "219-09-9999", "000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567",
          "123-45-0000", "12-345-6789", "1234-56-789"]),
        # Luhn + brand: Visa, Mastercard (51-55 and 2221-2720), Amex, Discover, JCB, Diners, UnionPay, Maestro.
        ("card_number", ["4111 1111 1111 1111", "5555-5555-5555-4444", "3782 822463 10005", "2221000000000009",
                         "6011111111111117", "3530111333300000", "30569309025904", "6200000000000005",
                         "6759649826438453", "4012888888881881"],
         ["4111 1111 1111 1112", "5555555555554440", "378282246310006", "1234567812345670", "9111111111111111",
          "4111-1111", "2721000000000004"]),
        ("cvv", ["123", "0123", "999"], ["12", "12345", "abc"]),
        # ISO 13616 examples, spaced or compact; then a broken checksum and a wrong country length.
        ("iban", ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "DE89 3704 0044 0532 0130 00",
                  "fr14 2004 1010 0505 0001 3m02 606"],
         ["GB82 WEST 1234 5698 7654 33", "DE89370400440532013001", "GB82WEST123456987654", "XX82WEST12345698765432"]),
        ("account_number", ["12345678", "0001-2345-6789", "021000021"], ["123", "ABCDEFGH", "12345678901234567890"]),
        ("email", ["jane.doe@example.com", "a+tag@mail.example.co.uk", "x_y@sub-domain.org"],
         ["jane@", "@example.com", "jane@example", "jane..doe@example.com", "a@b.c"]),
        ("ip_address", ["192.168.0.1", "8.8.8.8", "255.255.255.255", "2001:db8::1", "fe80::1ff:fe23:4567:890a"],
         ["999.1.1.1", "256.0.0.1", "1.2.3", "01.2.3.4", "2001:db8:::1", "00:1A:2B:3C:4D:5E", "12:30:45"]),
        ("website", ["https://example.com/path?q=1", "http://localhost:8080", "www.example.org", "ftp://files.x.net/a"],
         ["example", "https://", "mailto:jane@example.com", "www.", "just text"]),
        ("npi", ["1234567893", "1245319599"], ["1234567890", "0234567893", "123456789", "12345678931"]),
        # VIN column: well-formed 17 chars (many non-North-American VINs carry no check digit).
        ("vin", ["1HGCM82633A004352", "WVWZZZ1JZXW000001", "1hgcm82633a004352"],
         ["1HGCM82633A00435", "1HGCM82633A0043521", "1HGCM8263OA004352", "IHGCM82633A004352"]),
        # In a device column a vendor's own id counts too: four digits or more in one token.
        ("device_id", ["490154203237518", "00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "0012.3456.789a",
                       "6F9619FF-8B86-D011-B42D-00C04FC964FF", "9774d56d682e549c", "dev-577970162956",
                       "SN-4F9A2C11"],
         ["not-a-device", "12345", "ab-12"]),
        # US, Canada, UK, and where a header says postcode other countries' forms too (AU 2000,
        # IN 110001, NL 1012 AB, PL 00-950).
        ("zip", ["02134", "12345-6789", "K1A 0B6", "SW1A 1AA", "2000", "110001", "1012 AB", "00-950"],
         ["00000", "0123", "1234567", "ABCDE"]),
        ("mrn", ["MRN1234567", "00123456", "A1-234-567"], ["12345", "ABCDEFGHIJ", "1234567890123"]),
        ("member_id", ["XYZ123456789", "W123456789"], ["ABC", "NOTANID"]),
        ("drivers_license", ["D1234567", "A123-4567-8901"], ["ABCDEFG", "1"]),
        ("passport_number", ["X12345678", "123456789", "C03005988"], ["ABCDEFGHI", "12345", "1234567890"]),
        ("patient_name", ["John Smith", "José O'Neil-Garcia", "Dr. Jane Doe"], ["R2D2", "12345", "J", ""]),
        ("street_address", ["123 Main St", "4500 N. Lake Shore Drive Apt 5", "10 Downing Street", "Hauptstraße 5",
                            "PO Box 12"], ["n/a", "unknown", "Main Street"]),
    ],
)  # fmt: skip
def test_column_values_validate(header: str, valid: list[str], invalid: list[str]) -> None:
    result = flagged(header, valid + invalid)
    assert result[: len(valid)] == [True] * len(valid), header
    assert result[len(valid) :] == [False] * len(invalid), header
    # Fail closed: a value of the column that is not blank is reported all the same, under another
    # type when a detector knows it, else as UNRECOGNISED_SENSITIVE.
    blank = {"", "n/a", "unknown", "00000"}
    assert all(kind is not None for value, kind in zip(invalid, reported(header, invalid), strict=True)
               if value.lower() not in blank), header  # fmt: skip


def test_fail_closed_types_each_value_of_a_sensitive_column() -> None:
    values = ["jane.doe@example.org", "617.728.8451", "+44 20 7946 0958", "020 7946 0958", "N/A", "Jane Doe",
              "(617) 728-8451", "", None, "***-**-6789", "EMAIL_k1_abcdefghijklmnopqrstuvwx", "REDACTED"]  # fmt: skip
    assert reported("contact", values) == [
        "EMAIL", "PHONE", "PHONE", "PHONE", None, "UNRECOGNISED_SENSITIVE", "PHONE", None, None, None, None, None
    ]  # fmt: skip
    # A vendor's device id is a device id where the header says so; published forms are no finding.
    assert reported("device_id", ["dev-577970162956", "SN-4F9A2C11", "abc"]) == [
        "DEVICE_ID", "DEVICE_ID", "UNRECOGNISED_SENSITIVE"
    ]  # fmt: skip
    assert reported("dob", ["1984", "1980-1989", "1984-03-12"]) == [None, None, "DATE_OF_BIRTH"]
    assert reported("zip", ["021**", "02139"]) == [None, "ZIP_CODE"]


def test_phone_us_and_international_with_phonenumbers() -> None:
    # In a phone column a local number without area code ("555-0199") is a phone number too.
    valid = ["(212) 555-0199", "212-555-0199 x123", "+1 415 555 2671", "+44 20 7946 0958", "+49 30 901820",
             "0044 20 7946 0958", "020 7946 0958", "+33 1 42 68 53 00", "555-0199"]  # fmt: skip
    invalid = ["(123) 555-0199", "+1 212 555", "phone", "12", "+999 1234 5678"]
    assert flagged("phone", valid + invalid) == [True] * len(valid) + [False] * len(invalid)


def test_date_of_birth_is_a_past_date_within_120_years() -> None:
    today = dt.date.today()
    valid = ["1980-05-03", "05/03/1980", "25/12/1975", "March 5, 1980", "5 Mar 1980", "1980-05-03T00:00:00",
             str(today - dt.timedelta(days=1))]  # fmt: skip
    invalid = [str(today + dt.timedelta(days=30)), "1890-01-01", "2090-01-01", "not a date", "13/45/1980"]
    assert flagged("dob", valid + invalid) == [True] * len(valid) + [False] * len(invalid)


def test_two_digit_years_of_birth_are_in_the_past() -> None:
    # %Y alone would read "6/9/60" as the year 60, %y as 2060: a birth date is neither.
    valid = ["6/9/60", "12/31/99", "14/03/85", "29.02.60", "04/16/14", "3-14-85"]
    invalid = ["13/13/60", "6/9/6"]
    assert flagged("dob", valid + invalid) == [True] * len(valid) + [False] * len(invalid)


def test_date_columns_of_date_type_are_read_as_strings() -> None:
    values = [dt.date(1980, 5, 3), dt.date(2999, 1, 1), None]
    assert flagged("birth_date", values) == [True, False, False]


def test_integer_columns_get_their_leading_zeros_back() -> None:
    assert flagged("zip", [2134, 12345, 0]) == [True, True, False]
    assert flagged("ssn", [12345678, 123456789, 666123456]) == [True, True, False]
    assert reported("ssn", [666123456]) == ["UNRECOGNISED_SENSITIVE"]


def test_gps_pair_needs_precision_on_both_halves() -> None:
    batch = pa.record_batch(
        {
            "latitude": [40.712776, 40.7, 40.712, 91.12345, None, 12.3456],
            "longitude": [-74.005974, -74.0, -74.006, 10.12345, 1.2345, -190.12345],
        }
    )
    found = DETECTOR.detect(batch)
    gps = found.filter(pa.compute.equal(found.column("type"), "GPS_COORDINATES"))
    # Each column reports its own precise values: a pair gives a violation on both fields.
    assert sorted(zip(gps.column("row").to_pylist(), gps.column("field").to_pylist(), strict=True)) == [
        (0, "latitude"), (0, "longitude"), (2, "latitude"), (2, "longitude"), (3, "longitude"),
        (4, "longitude"), (5, "latitude"),
    ]  # fmt: skip
    # Out of range (91.12345, -190.12345): a position column's value that is no position, fail closed.
    unknown = found.filter(pa.compute.equal(found.column("type"), "UNRECOGNISED_SENSITIVE"))
    assert sorted(zip(unknown.column("row").to_pylist(), unknown.column("field").to_pylist(), strict=True)) == [
        (3, "latitude"), (5, "longitude"),
    ]  # fmt: skip
    coarse = Detector(gps_precision=4).detect(batch)
    precise = coarse.filter(pa.compute.equal(coarse.column("type"), "GPS_COORDINATES"))
    assert sorted(set(precise.column("row").to_pylist())) == [0, 3, 4, 5]


def test_gps_combined_column() -> None:
    values = ["40.712776,-74.005974", "(48.8566, 2.3522)", "40.7, -74.0", "Paris", "95.1234, 10.1234"]
    assert flagged("coordinates", values) == [True, True, False, False, False]


def test_findings_shape_and_order() -> None:
    batch = pa.record_batch(
        {"ssn": ["123-45-6789", None, "078-05-1120"], "email": ["a@b.com", "x", "c@d.org"]}
    )
    found = DETECTOR.detect(batch)
    assert found.schema.names == ["row", "field", "type"]
    assert found.schema.field("row").type == pa.int64()
    assert found.to_pylist() == [
        {"row": 0, "field": "email", "type": "EMAIL"},
        {"row": 0, "field": "ssn", "type": "SSN"},
        {"row": 1, "field": "email", "type": "UNRECOGNISED_SENSITIVE"},
        {"row": 2, "field": "email", "type": "EMAIL"},
        {"row": 2, "field": "ssn", "type": "UNRECOGNISED_SENSITIVE"},
    ]


def test_empty_and_all_null_batches() -> None:
    assert DETECTOR.detect(pa.record_batch({"ssn": pa.array([], pa.string())})).num_rows == 0
    assert DETECTOR.detect(pa.record_batch({"ssn": pa.nulls(3, pa.string())})).num_rows == 0
    assert DETECTOR.detect(pa.record_batch({"notes": pa.nulls(3)})).num_rows == 0


def test_nanp_area_codes_are_decided_lazily_and_equal_the_full_table() -> None:
    """Area codes are looked up in phonenumbers on first use; the table equals the eager build."""
    import numpy as np
    import phonenumbers

    from compliance.detection import phone

    assert phone.nanp_area_codes(np.array([212, 415, 100]))[[212, 415, 100]].tolist() == [True, True, False]
    expected = np.zeros(1000, dtype=bool)
    for area in range(200, 1000):
        expected[area] = any(
            phonenumbers.is_valid_number(
                phonenumbers.PhoneNumber(country_code=1, national_number=int(f"{area}{exchange}4567"))
            )
            for exchange in (234, 555, 212, 345, 456, 567, 678, 789, 890, 901, 322, 268, 242)
        )
    assert np.array_equal(phone.nanp_area_codes(), expected)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789-/., _*JanMrch", min_size=1, max_size=20))
def test_values_skipped_as_unparseable_parse_under_no_date_format(text: str) -> None:
    """DateOfBirthRecognizer skips values holding "_" or "*": no format can consume them."""
    import pyarrow.compute as pc

    from compliance.detection.recognizers import DateOfBirthRecognizer

    values = pa.array([text, text + "_", "*" + text])
    for pattern in DateOfBirthRecognizer.FORMATS:
        # Read back nulls only: a parsed year 0 ("0 21") has no Python datetime.
        parsed = pc.is_null(pc.strptime(values, format=pattern, unit="s", error_is_null=True)).to_pylist()
        assert parsed[1] and parsed[2]


def _checked(recognizer_type: IdType, check: str, values: list[str]) -> list[bool]:
    recognizer = next(r for r in DETECTOR.recognizers if r.id_type is recognizer_type)
    found = pa.StructArray.from_arrays([pa.array(values, pa.string())], names=["v"])
    return getattr(recognizer, check)(found).tolist()


def test_dea_number_check_digit_and_registrant_type() -> None:
    # AB3783835: 3+8+8 + 2*(7+3+3) = 45 -> 5; a wrong check digit, an unknown registrant letter (Z).
    assert _checked(IdType.NPI, "validate_dea", ["AB3783835", "ab3783835", "AB3783836", "ZB3783835"]) == [
        True, True, False, False,
    ]  # fmt: skip


def test_medicare_beneficiary_identifier_layout() -> None:
    # CMS layout: digit, letter (no S L O I B Z), alnum, digit, letter, alnum, digit, 2 letters, 2 digits.
    values = ["1EG4-TE5-MK73", "1EG4TE5MK73", "0EG4-TE5-MK73", "1SG4-TE5-MK73", "1EG4-TE5-MO73"]
    assert _checked(IdType.HEALTH_PLAN_ID, "validate_mbi", values) == [True, True, False, False, False]


def test_itin_middle_group_ranges() -> None:
    values = ["948-70-7818", "900-50-1234", "912-65-0001", "912-93-0001", "912-34-5678", "999-99-9999"]
    assert _checked(IdType.SSN, "validate_itin", values) == [True, True, True, False, False, True]
