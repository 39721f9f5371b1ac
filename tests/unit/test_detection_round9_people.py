"""Person-name forms found leaking by the round-9 red team (payment and HR headers, HL7 XPN columns,
SEPA narratives, receipts, quoted display names, Irish surnames, HR and court cues, CJK names) and
the placeholders and organisations that a person column holds without naming anyone."""

from __future__ import annotations

import pyarrow as pa
import pytest

from compliance.columns import ColumnRole
from compliance.detection import Detector
from compliance.detection.headers import expanded_readings
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import scrubbed as _scrubbed

_PEOPLE = ["Lindqvist, Maja", "Tomasz Wójcik", "Aoife Brennan", "Henk de Graaf", "Yaw Mensah"] * 4


def _class(detector: Detector, header: str, values: list[str] = _PEOPLE):
    return detector.classify(pa.record_batch({header: pa.array(values)}))[0]


@pytest.mark.parametrize(
    "header",
    [
        "Counterparty",
        "Counterparty Name",
        "Ordering Customer",
        "Ultimate Debtor",
        "Account Name",
        "Name on Card",
        "Remitter Name",
        "Sender",
        "Recipient",
        "author",
        "EE_NM",
        "achternaam_partner",
        "nachname_ehepartner",
        "first_name_partner",
    ],
)
def test_people_by_role_or_qualified_name_part_are_name_columns(detector: Detector, header: str) -> None:
    column = _class(detector, header)
    assert (column.role, column.id_type) == (ColumnRole.IDENTIFIER, IdType.PERSON_NAME)


@pytest.mark.parametrize(
    "header",
    [
        "file_name",
        "product_name",
        "company_name",
        "merchant_name",
        "bank_name",
        "hospital_name",
        "drug_name",
        "device_name",
        "host_name",
        "user_agent",
        "plan_name",
        "Beneficiary Bank",
    ],
)
def test_things_names_stay_out(detector: Detector, header: str) -> None:
    assert _class(detector, header, ["Alpha", "Northwind Traders", "libssl"] * 4).id_type is None


def test_employee_abbreviation_is_spelled_out() -> None:
    assert "employee_name" in expanded_readings("ee_nm")


def test_hl7_xpn_values_type_a_column_whatever_its_header(detector: Detector) -> None:
    values = ["NAKAMURA^HIRO^T", "OKONKWO^CHIDI^A", "LUNDGREN^SÖREN^", "PARK^JI-HOON^K"] * 5
    batch = pa.record_batch({"field_4": pa.array(values), "field_5": pa.array(["A^1", "B^2"] * 10)})
    named, coded = detector.classify(batch)
    assert named.id_type is IdType.PERSON_NAME
    assert coded.id_type is not IdType.PERSON_NAME
    found = detector.detect(batch, [named, coded])
    assert found.filter(pa.compute.equal(found["field"], "field_4")).num_rows == len(values)


def test_placeholders_and_organisations_in_person_columns(detector: Detector) -> None:
    guarantor = ["SELF", "Same as patient", "SPOUSE", "Brennan, Aoife", "N/A"]
    payee = ["SAINT JUDE REGIONAL HOSPITAL", "NORTHLAB DIAGNOSTICS INC", "WALGREENS PHARMACY #0912", "Yaw Mensah",
             "Acme Billing LLC", "Dr. Osei c/o Hope Clinic", "ZQX-77 unknown"]  # fmt: skip
    batch = pa.record_batch({"guarantor": pa.array([*guarantor, None, None]), "payee": pa.array(payee)})
    found = detector.detect(batch).to_pylist()
    assert [(f["row"], f["field"]) for f in found if f["field"] == "guarantor"] == [(3, "guarantor")]
    payee_rows = {f["row"]: f["type"] for f in found if f["field"] == "payee"}
    assert payee_rows == {
        3: IdType.PERSON_NAME.value,
        5: IdType.PERSON_NAME.value,  # a person beside an organisation is still reported
        6: IdType.UNRECOGNISED_SENSITIVE.value,  # anything else fails closed
    }


def test_receipt_thanks_its_cardholder(detector: Detector) -> None:
    texts = ["TERMINAL 7\nTHANK YOU MARGARET OYELARAN", "THANK YOU FOR SHOPPING WITH US", "THANKS AGAIN"]
    assert _scrubbed(detector, texts) == [
        "TERMINAL 7\nTHANK YOU <PERSON_NAME>",
        "THANK YOU FOR SHOPPING WITH US",
        "THANKS AGAIN",
    ]


def test_sepa_counterparty_subfield_and_hyphenated_given_names(detector: Detector) -> None:
    texts = [
        ":86:166?00GUTSCHRIFT?20EREF+X1?32Wolfgang Petersen",
        ":86:166?00GUTSCHRIFT?20EREF+X2?32Hans-Jürgen Kowalke?33",
        ":86:177?00LASTSCHRIFT?32STADTWERKE GMBH",
        "Angehörige: Ehemann Karl-Heinz Dröge, bitte anrufen",
        "Rückruf an Marie-Luise Fendt",
        "Klaus-P. Ortmann hat angerufen",
        "Rolls-Royce Motors service",
        "Baden-Württemberg Landesbank",
    ]
    assert _scrubbed(detector, texts) == [
        ":86:166?00GUTSCHRIFT?20EREF+X1?32<PERSON_NAME>",
        ":86:166?00GUTSCHRIFT?20EREF+X2?32<PERSON_NAME>?33",
        ":86:177?00LASTSCHRIFT?32STADTWERKE GMBH",
        "Angehörige: Ehemann <PERSON_NAME>, bitte anrufen",
        "Rückruf an <PERSON_NAME>",
        "<PERSON_NAME> hat angerufen",
        "Rolls-Royce Motors service",
        "Baden-Württemberg Landesbank",
    ]


def test_quoted_display_names(detector: Detector) -> None:
    texts = [
        'Invoice mailed to "June Albrecht" <accounts@example.org>',
        '"Support Desk" <help@example.org>',
    ]
    assert _scrubbed(detector, texts) == [
        'Invoice mailed to "<PERSON_NAME>" <<EMAIL>>',
        '"Support Desk" <<EMAIL>>',
    ]


def test_irish_surnames_with_a_separate_particle(detector: Detector) -> None:
    texts = [
        "Voicemail from pt's husband Ciarán Ó Briain re: results",
        "Patient: Ní Dhomhnaill, Saoirse.",
        "Seen with brother Declan Mac Giolla Phádraig",
    ]
    assert _scrubbed(detector, texts) == [
        "Voicemail from pt's husband <PERSON_NAME> re: results",
        "Patient: <PERSON_NAME>.",
        "Seen with brother <PERSON_NAME> Phádraig",
    ]


def test_cues_that_announce_a_person(detector: Detector) -> None:
    texts = [
        "Chaplain met with Faith Okoro at bedside",
        "Added beneficiary Summer Lindgren, 50%",
        "Spousal support for June Whitcombe, order 44",
        "Renata Kowalczyk, DOB 04/05/1977, seen today",
        "insulin dependent Diabetes Mellitus",
        "met with Quality Committee",
    ]
    assert _scrubbed(detector, texts) == [
        "Chaplain met with <PERSON_NAME> at bedside",
        "Added beneficiary <PERSON_NAME>, 50%",
        "Spousal support for <PERSON_NAME>, order 44",
        "<PERSON_NAME>, DOB <DATE_OF_BIRTH>, seen today",
        "insulin dependent Diabetes Mellitus",
        "met with Quality Committee",
    ]


def test_given_names_of_more_locales(detector: Detector) -> None:
    # Akan, Yoruba, Igbo and newer US names; common words that are names too still need context.
    texts = ["Kofi Boateng called", "Ngozi Eze left a message", "Tyrese Holloway picked up rx",
             "Destiny Awaits tour", "Precious Metals desk"]  # fmt: skip
    assert _scrubbed(detector, texts) == [
        "<PERSON_NAME> called",
        "<PERSON_NAME> left a message",
        "<PERSON_NAME> picked up rx",
        "Destiny Awaits tour",
        "Precious Metals desk",
    ]


def test_cjk_names_after_a_transfer_or_a_person_word(detector: Detector) -> None:
    texts = [
        "Wire to 花子 鈴木, charges OUR",
        "payment from 王小明 ref 7",
        "beneficiary 김지우",
        "東京 office visit",
    ]
    assert _scrubbed(detector, texts) == [
        "Wire to <PERSON_NAME>, charges OUR",
        "payment from <PERSON_NAME> ref 7",
        "beneficiary <PERSON_NAME>",
        "東京 office visit",
    ]


def test_json_name_parts(detector: Detector) -> None:
    texts = ['{"name": {"first": "Imogen", "middle": "R", "last": "van Achterberg"}, "first": "2024-01-02"}']
    assert _scrubbed(detector, texts) == [
        # The key-aware JSON pass: a middle initial under a name fails closed, as a name column's
        # value would; a top-level "first" holding a date is read by its key the same way.
        '{"name": {"first": "<PERSON_NAME>", "middle": "<UNRECOGNISED_SENSITIVE>", "last": "<PERSON_NAME>"}, '
        '"first": "<UNRECOGNISED_SENSITIVE>"}'
    ]


def test_sign_offs_assistants_and_month_surnames(detector: Detector) -> None:
    texts = [
        "Hi,\nplease call back.\nKind regards,\nMelanie Ward",
        "Thanks,\nGrace Hill",
        "Assistant: Robin Okafor, ro@example.org",
        "Child support for Harold May, case 9",
        "Best,\nThe Team",
        "Regards,\nCustomer Service",
    ]
    assert _scrubbed(detector, texts) == [
        "Hi,\nplease call back.\nKind regards,\n<PERSON_NAME>",
        "Thanks,\n<PERSON_NAME>",
        "Assistant: <PERSON_NAME>, <EMAIL>",
        "Child support for <PERSON_NAME>, case 9",
        "Best,\nThe Team",
        "Regards,\nCustomer Service",
    ]


def test_korean_hyphenated_given_names_and_preferred_names(detector: Detector) -> None:
    texts = ["Call from pt's wife Seo-yeon Hartley re: refill", '{"preferredName": "Bea", "id": 4}']
    assert _scrubbed(detector, texts) == [
        "Call from pt's wife <PERSON_NAME> re: refill",
        '{"preferredName": "<PERSON_NAME>", "id": 4}',
    ]


def test_surnames_that_are_relation_or_organisation_words(detector: Detector) -> None:
    batch = pa.record_batch({"Nom": pa.array(["Parent", "Company", "Lefebvre"])})
    assert detector.detect(batch)["row"].to_pylist() == [0, 1, 2]


def test_given_name_and_an_organisation_word_is_a_person(detector: Detector) -> None:
    batch = pa.record_batch(
        {"customer_name": pa.array(["Marisol Company", "Lena Bank", "HARBOR VIEW MEDICAL CENTER"])}
    )
    assert detector.detect(batch)["row"].to_pylist() == [0, 1]


def test_firms_named_after_relatives_are_no_context(detector: Detector) -> None:
    batch = pa.record_batch({"company": pa.array(["Gebrüder Hallbach AG & Co. KG", "Bruder Kessler GmbH"])})
    assert detector.detect(batch).num_rows == 0
