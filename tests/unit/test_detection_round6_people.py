"""Forms found leaking by the round-6 probe (issue 11: a pharmacy's refill notes, bank memos, mail
headers, HL7 visits, UK/IN/DE addresses): each is detected, and the decoys next to it are left alone."""

from __future__ import annotations

import json

import pyarrow as pa

from compliance.detection import Detector
from compliance.detection.scanner import per_value
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import found_in as _found
from tests.unit.detection_helpers import scrubbed as _scrubbed


def test_transfer_counterparties_are_people(detector: Detector) -> None:
    texts = [
        "Zelle from Jordan Lee 250.00",
        "Venmo to Maria Lopez - rent",
        "transfer from J. Okafor ref 22",
        "payment to Priya Natarajan for tutoring",
        "ZELLE FROM CHASE BANK 100.00",
        "ACH FROM IRS TREAS 310 TAX REF",
        "transfer to savings",
        "payment to Amazon Marketplace",
        "Payment to Chase Card",
        "deposit from Grace Community Church",
    ]
    assert _found(detector, texts).get(IdType.PERSON_NAME) == [0, 1, 2, 3]
    assert _scrubbed(detector, texts[2:3]) == ["transfer from <PERSON_NAME> ref 22"]


def test_letters_without_a_decomposition_are_folded(detector: Detector) -> None:
    # NFKD leaves dotless i, l with stroke, o with stroke as they are: "Irıs" read "Irs".
    texts = ["spoke with Irıs Yılmaz", "Ayşe Çelik picked up rx", "Łukasz Wiśniewski called"]
    assert _scrubbed(detector, texts) == [
        "spoke with <PERSON_NAME>",
        "<PERSON_NAME> picked up rx",
        "<PERSON_NAME> called",
    ]


def test_display_names_before_an_email(detector: Detector) -> None:
    texts = [
        "From: Jane Doe <jane.doe@x.org>",
        '"Doe, Jane" <jd@x.org> wrote',
        "cc Kwame Asante <kasante@clinic.org>",
        "Customer Support <support@x.com>",
        "Google Calendar <calendar-notification@google.com>",
    ]
    # "Kwame" is in no list of given names: the address spelling the name is the evidence.
    assert _scrubbed(detector, texts) == [
        "From: <PERSON_NAME> <<EMAIL>>",
        '"<PERSON_NAME>" <<EMAIL>> wrote',
        "cc <PERSON_NAME> <<EMAIL>>",
        "Customer Support <<EMAIL>>",
        "Google Calendar <<EMAIL>>",
    ]


def test_people_named_by_their_job(detector: Detector) -> None:
    texts = [
        "Driver Penny Payne delivered",
        "Nurse Okafor gave meds",
        "Dr Amaka Obi reviewed",
        "Pharmacist R. Singh verified",
        "Pharmacist M. Rose faxed the prescriber",
        "Caseworker Tom Baker visited home",
        "Nurse Station 4",
        "Driver Update available",
        "Pharmacist Notes",
        "Dr Pepper 12 oz",
        "12 Elm Dr Springfield",
        "RN BSN on duty",
        "Interpreter Spanish requested",
    ]
    assert _found(detector, texts).get(IdType.PERSON_NAME) == [0, 1, 2, 3, 4, 5]
    assert _scrubbed(detector, texts[3:5]) == [
        "Pharmacist <PERSON_NAME> verified",
        "Pharmacist <PERSON_NAME> faxed the prescriber",
    ]


def test_a_prescriber_column_names_a_person(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict(
        {"prescriber": ["Bailey, Nicholas", "Diaz, Joshua"], "prescribing_md": ["Ruth Thomas", "Joel Smith"]}
    )
    classes = {c.field: c.id_type for c in detector.classify(batch)}
    assert classes == {"prescriber": IdType.PERSON_NAME, "prescribing_md": IdType.PERSON_NAME}


def test_hl7_pv1_doctors(detector: Detector) -> None:
    # Attending (7), referring (8), consulting (9): XCN = NPI^FAMILY^GIVEN^MIDDLE^^PREFIX.
    segment = "PV1|1|I|W^389^1||||1245319599^SMITH^JOHN^A^^DR|1234567893^JONES^MARY|1111111111^LEE^KIM||MED"
    assert _scrubbed(detector, [segment]) == [
        "PV1|1|I|W^389^1||||<NPI>^<PERSON_NAME>|<NPI>^<PERSON_NAME>|1111111111^<PERSON_NAME>||MED"
    ]
    # A scrubbed segment holds nothing more.
    tokens = "PV1|1|I|W^389^1||||NPI_k1_aaaaaaaaaaaaaaaaaaaaaaaa^PERSON_NAME_k1_bbbbbbbbbbbbbbbbbbbbbbbb^^DR|"
    assert _found(detector, [tokens]) == {}


def test_uk_indian_and_german_address_lines(detector: Detector) -> None:
    texts = [
        "ship to 12 Kings Road, Leeds LS6 2AB",
        "Flat 4, MG Road, Bengaluru 560001",
        "wohnt Am Mühlenteich 12",
        "Adresse: An der Kirche 3, 10115 Berlin",
        "Bismarckring 14, 65183 Wiesbaden",
        "Theodor-Heuss-Ring 7",
        "Am Montag 12 Uhr",
        "Offering 3 options",
        "Unit 4, Ward B",
        "Model XR5 3AB",
        "Im Zimmer 12",
    ]
    assert _scrubbed(detector, texts) == [
        "ship to <STREET_ADDRESS>",
        "<STREET_ADDRESS>",
        "wohnt <STREET_ADDRESS>",
        "Adresse: <STREET_ADDRESS>",
        "<STREET_ADDRESS>",
        "<STREET_ADDRESS>",
        *texts[6:],
    ]


def test_positions_scrubbed_in_json_keep_it_json(detector: Detector) -> None:
    texts = [
        '{"id": 1, "lat": 52.520008, "lng": 13.404954, "acc": 5}',
        '{"loc": {"lng": "-71.058912", "acc": 5, "lat": "42.360123"}}',
        '{"type": "Point", "coordinates": [-122.41942, 37.77493]}',
    ]
    token = detector.scrub_text(pa.array(texts), per_value(lambda id_type, text: f"{id_type.value}_k1_x"))
    coarse = detector.scrub_text(pa.array(texts), per_value(lambda id_type, text: "52.52"))
    assert [json.loads(text) for text in token.to_pylist()] == [
        {"id": 1, "lat": "GPS_COORDINATES_k1_x", "lng": "GPS_COORDINATES_k1_x", "acc": 5},
        {"loc": {"lng": "GPS_COORDINATES_k1_x", "acc": 5, "lat": "GPS_COORDINATES_k1_x"}},
        {"type": "Point", "coordinates": ["GPS_COORDINATES_k1_x", "GPS_COORDINATES_k1_x"]},
    ]
    assert json.loads(coarse.to_pylist()[0]) == {"id": 1, "lat": 52.52, "lng": 52.52, "acc": 5}
