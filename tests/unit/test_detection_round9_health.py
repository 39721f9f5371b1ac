"""Round 9 (health): health-plan and national-id headers in other word orders and languages, value
typing of NPI/MBI and birth-date columns, birth dates, subscriber ids, MRNs and FHIR NPIs in text,
positions and street addresses in text; with the decoys that must stay."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from compliance.columns import ColumnRole
from compliance.detection import Detector
from compliance.detection.recognizers.health import _kvnr_valid
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import scrubbed as _scrubbed


def _type_of(detector: Detector, header: str, values: list[str]) -> IdType | None:
    return detector.classify(pa.record_batch({header: pa.array(values)}))[0].id_type


def _luhn_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char) * (2 if index % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return str((10 - total % 10) % 10)


def _npi(body9: str) -> str:
    return body9 + _luhn_digit("80840" + body9)


def _kvnr(letter: str, digits8: str) -> str:
    number = f"{ord(letter) - ord('A') + 1:02d}" + digits8
    total = sum((int(c) * w) // 10 + (int(c) * w) % 10 for c, w in zip(number, [1, 2] * 5, strict=True))
    return letter + digits8 + str(total % 10)


def test_health_plan_headers_in_other_languages(detector: Detector) -> None:
    for header, value in (
        ("Versichertennr", _kvnr("K", "48120397")),
        ("Krankenversichertennummer", _kvnr("M", "10293847")),
        ("numero_poliza", "ES-55120931-08"),
        ("N° police", "AXA-7781203"),
        ("numero_polizza", "IT99812034"),
        ("polisnummer", "NL4471203"),
        ("carte_sante", "4532-118-906-KT"),
        ("tarjeta_sanitaria", "BBBB123456789012"),
        ("id_adherent", "M78120344"),
        ("subscriber_no", "W12345678"),
        ("MBR_NBR", "XJ4471203"),
    ):
        assert _type_of(detector, header, [value]) is IdType.HEALTH_PLAN_ID, header
    # Plan codes, group numbers and a policy's type are not a person's number.
    for header in ("plan_code", "group_number", "policy_type", "policy"):
        assert _type_of(detector, header, ["PPO-GOLD-2"]) is not IdType.HEALTH_PLAN_ID, header


def test_national_id_headers_in_other_word_orders(detector: Detector) -> None:
    values = ["2 84 05 69 123 045 44", "046 454 286", "111222333", "12345678Z", "QQ123456C"]
    for header in (
        "id_national",
        "identifiant_national",
        "numero_national",
        "nationale_id",
        "Documento Nacional de Identidad",
        "Personalausweisnummer",
        "identiteitsnummer",
        "carta_identita",
    ):
        assert _type_of(detector, header, values) is IdType.NATIONAL_ID, header


def test_kvnr_check_digit() -> None:
    good = _kvnr("T", "78027382")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert _kvnr_valid(pa.array([good, bad, "T78027382", None])).tolist() == [True, False, False, False]


def test_npi_and_mbi_columns_by_values(detector: Detector) -> None:
    npis = [_npi(f"{n:09d}") for n in range(123456780, 123456880, 7)]
    mbis = ["1EG4TE5MK73", "9WX8QC9QE72", "2YT7AF6PK40", "3RA4YR4FG38", "7RT4W72JM56"]
    assert _type_of(detector, "field_7", npis) is IdType.NPI
    assert _type_of(detector, "col5", mbis * 3) is IdType.HEALTH_PLAN_ID
    mixed = pa.record_batch({"field_7": pa.array(npis[:5] + mbis)})
    found = detector.detect(mixed).to_pylist()
    assert {row["type"] for row in found} == {"NPI", "HEALTH_PLAN_ID"}
    assert len(found) == 10
    # Ten-digit numbers that fail the NPI check and codes with a forbidden MBI letter stay untyped.
    assert _type_of(detector, "field_7", [str(1234567890 + 11 * n) for n in range(20)]) is None
    assert _type_of(detector, "col5", ["1SG4TE5MK73", "1EG4TE5ML73"] * 5) is None


def test_birth_date_column_by_values_needs_a_population_spread(detector: Detector) -> None:
    rng = np.random.default_rng(7)
    births = [
        (dt.date(1935, 1, 1) + dt.timedelta(days=int(d))).strftime("%Y%m%d")
        for d in rng.integers(0, 25_000, 100)
    ]
    events = [
        (dt.date(2022, 1, 1) + dt.timedelta(days=int(d))).strftime("%Y%m%d")
        for d in rng.integers(0, 1_000, 100)
    ]
    assert _type_of(detector, "col3", births) is IdType.DATE_OF_BIRTH
    assert _type_of(detector, "col11", events) is None


def test_birth_dates_in_text(detector: Detector) -> None:
    texts = [
        "Admit note.  DOB: 19870412\nAdmit Dx: J45.909",
        '{"status":"x","birthDate":"19560730","gender":"F"}',
        "Front desk corrected DOB to March 3rd, 1961 per ID",
        "DOB changed to 11/23/1990 after call",
        "dob updated to 1975-06-02",
        "DOB was 4 July 1944",
    ]
    assert _scrubbed(detector, texts) == [
        "Admit note.  DOB: <DATE_OF_BIRTH>\nAdmit Dx: J45.909",
        '{"status":"x","birthDate":"<DATE_OF_BIRTH>","gender":"F"}',
        "Front desk corrected DOB to <DATE_OF_BIRTH> per ID",
        "DOB changed to <DATE_OF_BIRTH> after call",
        "dob updated to <DATE_OF_BIRTH>",
        "DOB was <DATE_OF_BIRTH>",
    ]
    # No calendar day, a future day, and an event timestamp without a birth keyword stay.
    decoys = ["DOB: 19870231", "DOB: 20991231", "admitted 20240412 0830", "visit 2024-04-12 08:30"]
    assert _scrubbed(detector, decoys) == decoys


def test_plan_ids_mrns_and_npis_in_text(detector: Detector) -> None:
    npi = _npi("174589974")
    texts = [
        "Adj CO-45; sub id QWE448812093 pt resp",
        "subscriber # ZX99812034 on file",
        "mbr id HMO77120934",
        "policy # AXA-55120931",
        "Order ORD1; Med Rec # 71203344. Ref",
        "medical record no: 00998877",
        f'{{"reference":"Practitioner/{npi}","display":"Dr. X"}}',
        f"Versichertennummer {_kvnr('A', '12345678')} liegt vor",
    ]
    assert _scrubbed(detector, texts) == [
        "Adj CO-45; sub id <HEALTH_PLAN_ID> pt resp",
        "subscriber # <HEALTH_PLAN_ID> on file",
        "mbr id <HEALTH_PLAN_ID>",
        "policy # <HEALTH_PLAN_ID>",
        "Order ORD1; Med Rec # <MRN>. Ref",
        "medical record no: <MRN>",
        '{"reference":"Practitioner/<NPI>","display":"Dr. X"}',
        "Versichertennummer <HEALTH_PLAN_ID> liegt vor",
    ]
    decoys = [
        "med rec done 2024-03-01 by pharmacy",
        '{"reference":"Practitioner/1234567890"}',
        "ICD-10 E11.9, CPT 99213, Z79.4",
        "submitted 2024-03-01",
        "Versichertennummer T780273826",
    ]
    assert _scrubbed(detector, decoys) == decoys


def test_positions_in_text(detector: Detector) -> None:
    texts = [
        "geofence EXIT work radius=80m at 41.8781 -87.62980 (acc 9m)",
        "visit detected lat=51.507351 lon=-0.127758 dwell=12min",
        "lat: 35.689487, lng: 139.691706",
        "fix @ -33.8688 151.2093",
        "pin 48°51'29\"N 2°17'40\"E saved",
    ]
    assert _scrubbed(detector, texts) == [
        "geofence EXIT work radius=80m at <GPS_COORDINATES> (acc 9m)",
        "visit detected lat=<GPS_COORDINATES> lon=<GPS_COORDINATES> dwell=12min",
        "lat: <GPS_COORDINATES>, lng: <GPS_COORDINATES>",
        "fix @ <GPS_COORDINATES>",
        "pin <GPS_COORDINATES> saved",
    ]
    decoys = [
        "meeting at 10.30 12.45",
        "version 2.1.0 at 3.5 1.25",
        "lat=42.3 lon=-71.1",
        "at 95.1234 10.5",
        "BP 120.5 80.25 at rest",
    ]
    assert _scrubbed(detector, decoys) == decoys


def test_street_addresses_and_uk_postcodes_in_text(detector: Detector) -> None:
    texts = [
        "ship to 88 Lowry Walks Suite 311",
        "mail to 12 Perez Viaduct Unit 70 today",
        "ship to 4 Vance Rue",
        "ship to 903 Okafor Roads",
        "ship to 51 Hale Land, Leeds LS6 2AB, thanks",
        "send it to Studio 4\nMills Inlet, Glasgow G2 4PQ, not the old one",
        "Kindly deliver, Manchester M1 1AE",
    ]
    assert _scrubbed(detector, texts) == [
        "ship to <STREET_ADDRESS>",
        "mail to <STREET_ADDRESS> today",
        "ship to <STREET_ADDRESS>",
        "ship to <STREET_ADDRESS>",
        "ship to <STREET_ADDRESS>, thanks",
        "send it to <STREET_ADDRESS>, not the old one",
        "Kindly deliver, Manchester <ZIP_CODE>",
    ]
    decoys = [
        "take 2 tablets by mouth",
        "Room 402, bed 2",
        "Suite 12",
        "flush 10 cc via port",
        "moved 3 points up",
        "firmware 4.2.3.87 build",
        "amoxicillin 875 mg q12h x10d",
    ]
    assert _scrubbed(detector, decoys) == decoys


def test_an_unnamed_column_of_street_lines_is_typed(detector: Detector) -> None:
    values = ["1199 Ward Walks Suite 802", "399 Adams Bridge Unit 570", "577 Horton Roads", "12 Oak Close"]
    column = detector.classify(pa.record_batch({"col6": pa.array(values * 3)}))[0]
    assert column.role is ColumnRole.IDENTIFIER and column.id_type is IdType.STREET_ADDRESS
