"""Formats found leaking by the round-5 probe files (issue 11: an EHR discharge export with abbreviated
headers and a long narrative, a bank statement's memo lines, device pings as nested JSON, UK/CA/AU/IN
customers): each is detected, and the decoys next to it are left alone."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from compliance.columns import ColumnRole
from compliance.detection import Detector
from compliance.detection.headers import expanded_readings, normalize_header
from compliance.detection.recognizers.foreign_id_checks import valid_formats
from compliance.detection.scanner import TextScanner
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import found_in as _found
from tests.unit.detection_helpers import scrubbed as _scrubbed


def test_abbreviations_spelled_out() -> None:
    assert expanded_readings(normalize_header("PtFName")) == ("patient_first_name",)
    assert expanded_readings(normalize_header("PAT_BRTH_DT")) == ("patient_birth_date",)
    assert expanded_readings(normalize_header("MRN_NO")) == ("mrn_number", "mrn")
    assert expanded_readings(normalize_header("email")) == ()


def test_abbreviated_headers_name_their_type(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "MRN_NO": ["26339797", "41483118"],
            "PtFName": ["Chiamaka", "Kofi"],
            "PAT_LNAME": ["OKAFOR", "MENSAH"],
            "SUBSCR_NM": ["OKAFOR, CHIDI", "MENSAH, AMA"],
            "DOB_DT": ["04-03-1983", "19550807"],
            "MBR_ID": ["XJ967713344", "W942673933"],
            "PHN": ["6175550199", "2127365000"],
            "MBL": ["081228 75492", "07700 900123"],
            "NATL_ID": ["208 199 257", "ABCPD1234E"],
            "DOS": ["2025-03-12", "2025-04-01"],
            "CLM_NBR": ["343955628019", "343955628020"],
            "GRP_NBR": ["667281", "667282"],
            "PH": ["7.35", "7.41"],  # a lab result, not a phone
        }
    )
    classes = {c.field: c for c in detector.classify(batch)}
    assert {field: c.id_type for field, c in classes.items() if c.id_type} == {
        "MRN_NO": IdType.MRN,
        "PtFName": IdType.PERSON_NAME,
        "PAT_LNAME": IdType.PERSON_NAME,
        "SUBSCR_NM": IdType.PERSON_NAME,
        "DOB_DT": IdType.DATE_OF_BIRTH,
        "MBR_ID": IdType.HEALTH_PLAN_ID,
        "PHN": IdType.PHONE,
        "MBL": IdType.PHONE,
        "NATL_ID": IdType.NATIONAL_ID,
    }
    assert classes["DOS"].role is ColumnRole.RECORD_DATE
    assert {classes[field].role for field in ("CLM_NBR", "GRP_NBR", "PH")} == {ColumnRole.OTHER}


def test_nested_lat_lng_object(detector: Detector) -> None:
    texts = [
        '{"lat": "35.555148", "lng": "-82.053879", "acc_m": 13}',
        '{"lng": -71.0589, "accuracy": 5, "lat": 42.3601}',
        '{"lat": "35.5", "lng": "-82.0"}',  # coarse: published form
        '{"latency": 12.34567, "long": 1.23456}',
    ]
    assert _found(detector, texts).get(IdType.GPS_COORDINATES) == [0, 1]


def test_payment_counterparties_are_people(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict(
        {"payee": ["KOFI MENSAH", "ADEBAYO OGUNLESI"], "remitter": ["Imani Boone", "Aiko Tanaka"]}
    )
    classes = {c.field: c.id_type for c in detector.classify(batch)}
    assert classes == {"payee": IdType.PERSON_NAME, "remitter": IdType.PERSON_NAME}
    texts = [
        "chargeback; cardholder Zhang Wei called",
        "account holder Oluwaseun Adeyemi, joint",
        "cardholder Services team",
    ]
    assert _found(detector, texts).get(IdType.PERSON_NAME) == [0, 1]


def test_push_tokens_bssids_and_ssids_never_pass_raw(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "push_token": ["fcm:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx", "dGhpcyBpcyBhIHB1c2ggdG9rZW4"],
            "bssid": ["00:1A:2B:3C:4D:5E", "a4-5e-60-e4-1b-77"],
            "ssid": ["JohnsiPhone", "HOME-5E21"],
        }
    )
    classes = {c.field: c for c in detector.classify(batch)}
    assert classes["push_token"].id_type == IdType.DEVICE_ID
    assert classes["bssid"].id_type == IdType.DEVICE_ID
    assert classes["ssid"].role == ColumnRole.SENSITIVE


def test_month_abbreviated_between_dashes_is_a_birth_date(detector: Detector) -> None:
    # Oracle's DD-MON-YYYY, common in hospital exports; a visit date in that form is no DOB in text.
    batch = pa.RecordBatch.from_pydict({"dob": ["15-Mar-1990", "03-MAR-61", "1990-Mar-15", "15/Mar/1990"]})
    assert [c.id_type for c in detector.classify(batch)] == [IdType.DATE_OF_BIRTH]
    texts = ["34F T2DM. DOB: 15-Mar-1990.", "born 3-Mar-61 per pt", "appt 15-Mar-2025", "DOB 31-Foo-1990"]
    assert _found(detector, texts).get(IdType.DATE_OF_BIRTH) == [0, 1]


def test_insurance_and_surrogate_key_headers(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict(
        {"Ins_ID": ["ZGP123456789", "W123456789"], "PatientKey": ["P-0045521", "P-0045522"]}
    )
    classes = {c.field: c.id_type for c in detector.classify(batch)}
    assert classes == {"Ins_ID": IdType.HEALTH_PLAN_ID, "PatientKey": IdType.MRN}


def test_bracketed_trunk_zero_after_a_phone_word(detector: Detector) -> None:
    texts = ["home (0)20 7946 0958", "call (0)20 7946 0958 after 5", "office (0)3 week", "work order 2 of 3"]
    assert _found(detector, texts).get(IdType.PHONE) == [0, 1]
    assert _scrubbed(detector, texts[:1]) == ["home (<PHONE>"]


def test_patient_id_and_social_keywords_in_text(detector: Detector) -> None:
    texts = ["Pt ID 4471203 transferred", "patient no. 00452219", "patient id verified", "social: 536228725",
             "social worker 536228725"]  # fmt: skip
    found = _found(detector, texts)
    assert found.get(IdType.MRN) == [0, 1]
    assert found.get(IdType.SSN) == [3]


def test_messaging_account_columns_fail_closed(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict(
        {"reach_via": ["WeChat: jroe88", "@janeroe"], "signal": ["-67", "-71"]}
    )
    classes = {c.field: c.role for c in detector.classify(batch)}
    assert classes["reach_via"] == ColumnRole.SENSITIVE
    assert classes["signal"] != ColumnRole.SENSITIVE  # a radio's signal strength


def test_wkt_and_geojson_points(detector: Detector) -> None:
    # GIS exports write a position longitude first; a coarse point and a version string stay.
    texts = [
        "pickup at POINT(-0.12758 51.50722) then home",
        "POINT Z (13.40495 52.52001 34.0)",
        '{"type": "Point", "coordinates": [-122.41942, 37.77493]}',
        "POINT(12.5 41.9)",
        "build 1.2.3 POINT release",
        '{"coordinates": [200.12345, 95.12345]}',  # out of range
    ]
    assert _found(detector, texts).get(IdType.GPS_COORDINATES) == [0, 1, 2]
    assert _scrubbed(detector, texts[:1]) == ["pickup at POINT(<GPS_COORDINATES>) then home"]


def test_geometry_header_names_a_position(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "geom": ["POINT(-71.0589 42.3601)", "POINT(2.3522 48.8566)"],
            "shape": ["circle", "square"],  # a header that may name a geometry, values say not
        }
    )
    classes = {c.field: c.id_type for c in detector.classify(batch)}
    assert classes["geom"] == IdType.GPS_COORDINATES
    assert classes["shape"] is None


def test_context_name_hints_never_miss() -> None:
    """Scanning with and without the C prefilter gives the same names."""
    texts = pa.array(
        [
            "Spoke with daughter Imani Boone",
            "Kofi Mensah (spouse)",
            "Tariq Lee is a 54 y/o",
            "nothing",
            "Émile Roy",
        ]
    )
    scanner = TextScanner(Detector().recognizers)
    hinted = scanner.find(texts)
    scanner._hints = type("NoHints", (), {"candidate_types": staticmethod(lambda strings: None)})()
    scanner.forget_batch()
    plain = scanner.find(texts)
    assert hinted.keys() == plain.keys()
    assert all(np.array_equal(hinted[k], plain[k]) for k in hinted)
    assert hinted[IdType.PERSON_NAME].tolist() == [0, 1, 2, 4]


def test_health_ids_after_their_words(detector: Detector) -> None:
    found = _found(
        detector,
        ["MRN#: 26339797. Troponin neg", "Member XJ967713344 called", "member since 2019", "Auth #5677439"],
    )
    assert found.get(IdType.MRN) == [0]
    assert found.get(IdType.HEALTH_PLAN_ID) == [1]


def test_uk_bank_details_in_memos(detector: Detector) -> None:
    texts = [
        "FPS CREDIT SORT CODE 73-97-10 ACC 36323431",
        "Standing order 81-77-31 18501820 ref 63319",
        "ACC 12 amount 1,204.55",
        "Invoice INV-204411 paid 1,204.55",
    ]
    assert _found(detector, texts).get(IdType.BANK_ACCOUNT) == [0, 1]


def test_indian_pan_and_australian_medicare() -> None:
    values = pa.array(["ABCPD1234E", "ABCXD1234E", "2123 45670 1", "2123 45671 1", "2123456701"])
    assert valid_formats(values).tolist() == [True, False, True, False, True]


def test_indian_pan_after_its_keyword(detector: Detector) -> None:
    found = _found(detector, ["Verified. PAN KXPPM4480D. Alt", "PAN 4111111111111111", "KXPPM4480D alone"])
    assert found.get(IdType.NATIONAL_ID) == [0]


def test_two_digit_year_after_a_month_name(detector: Detector) -> None:
    texts = ["She was born on the 4th of March '42. ok", "DOB Mar 4 '61", "visit on the 4th of March '22"]
    assert _found(detector, texts).get(IdType.DATE_OF_BIRTH) == [0, 1]


def test_address_after_words_that_announce_it(detector: Detector) -> None:
    texts = [
        "re: address change to Flat 9, Davies Parkways, M4 2NN.",
        "moved to H.No. 51, Nazareth Road, Pune 304432. Thanks",
        "IP address is 10.0.0.1.",
        "address change to follow",
    ]
    assert _scrubbed(detector, texts)[:2] == [
        "re: address change to <STREET_ADDRESS>.",
        "moved to <STREET_ADDRESS>. Thanks",
    ]
    assert _found(detector, texts).get(IdType.STREET_ADDRESS) == [0, 1]


def test_cisco_mac_after_its_key(detector: Detector) -> None:
    found = _found(detector, ['{"mac": "a4b1.c2d3.e4f5", "ip": "2001:db8::1"}', "part 1234.5678.9012"])
    assert found.get(IdType.DEVICE_ID) == [0]


def test_australian_territory_postcodes(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict({"POSTCODE": ["0800", "0237", "2000", "0123"]})
    found = detector.detect(batch)
    assert sorted(found.filter(pa.compute.equal(found["type"], "ZIP_CODE"))["row"].to_pylist()) == [0, 1, 2]
