"""Forms found leaking by the round-7 probe (issue 11: record formats whose fields are known by
position or tag: X12 claims, an airline PNR, vCard and LDIF): each is detected, and the decoys in
the same records (service dates, organisations, amounts, codes, versions) are left alone."""

from __future__ import annotations

import pyarrow as pa

from compliance.detection import Detector
from compliance.detection.recognizers.base import TextPattern
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import found_in as _found
from tests.unit.detection_helpers import scrubbed as _scrubbed


def test_x12_claim_segments(detector: Detector) -> None:
    claim = (
        "ST*837*0021*005010X222A1~NM1*85*2*RIVERSIDE MEDICAL GROUP*****XX*1245319599~"
        "NM1*IL*1*OKAFOR*AMAKA****MI*W392131900~N3*737 JEFFREY PRAIRIE~N4*SALEM*OR*97301~"
        "DMG*D8*19610304*F~REF*SY*423522671~PER*IC*JOHN DOE*TE*4045572686~"
        "CLM*48213377A*125.00***11:B:1*Y*A*Y*I~HI*ABK:J449~SV1*HC:99213*125*UN*1***1~DTP*472*D8*20260115~"
    )
    assert _scrubbed(detector, [claim]) == [
        "ST*837*0021*005010X222A1~NM1*85*2*RIVERSIDE MEDICAL GROUP*****XX*<NPI>~"
        "NM1*IL*1*<PERSON_NAME>****MI*<HEALTH_PLAN_ID>~N3*<STREET_ADDRESS>~N4*SALEM*OR*<ZIP_CODE>~"
        "DMG*D8*<DATE_OF_BIRTH>*F~REF*SY*<SSN>~PER*IC*JOHN DOE*TE*<PHONE>~"
        "CLM*48213377A*125.00***11:B:1*Y*A*Y*I~HI*ABK:J449~SV1*HC:99213*125*UN*1***1~DTP*472*D8*20260115~"
    ]
    # The position is evidence of the field, not of the value: each still passes its validator.
    texts = [
        "NM1*85*2*ACME CLINIC*****XX*1245319598~",  # NPI check digit wrong
        "REF*SY*000123456~",  # no SSN has area 000
        "DMG*D8*20991231*M~",  # a birth date in the future
        "NM1*85*2*ACME CLINIC*****XX*1245319599~",  # an organisation (NM102 = 2) is no person
    ]
    found = _found(detector, texts)
    assert IdType.NPI not in found or found[IdType.NPI] == [3]
    assert IdType.SSN not in found and IdType.DATE_OF_BIRTH not in found
    assert IdType.PERSON_NAME not in found


def test_pnr_docs_and_contacts(detector: Detector) -> None:
    texts = [
        "SSR DOCS UA HK1 P/USA/512345678/USA/04MAR61/M/23OCT30/SMITH/JOHN",
        "SRDOCS YY HK1/P/GBR/123456789/GBR/12JUL85/F/01JAN31/JONES/MARY ANN",
        "SSR CTCM UA HK1/16175550142",
        "SSR CTCE UA HK1/JDOE//EXAMPLE.ORG",
        "UA1234 BOS-SFO 12MAR",
        "RLOC ABC123 TKNE 0162345678901C1",
    ]
    assert _scrubbed(detector, texts[:2] + texts[3:]) == [
        "SSR DOCS UA HK1 P/USA/<PASSPORT>/USA/<DATE_OF_BIRTH>/M/23OCT30/<PERSON_NAME>",
        "SRDOCS YY HK1/P/GBR/<PASSPORT>/GBR/<DATE_OF_BIRTH>/F/01JAN31/<PERSON_NAME>",
        "SSR CTCE UA HK1/<EMAIL>",
        "UA1234 BOS-SFO 12MAR",
        "RLOC ABC123 TKNE 0162345678901C1",
    ]
    found = _found(detector, texts)
    assert found[IdType.PHONE] == [2]


def test_passenger_column_in_airline_form(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict({"passenger": ["SMITH/JOHN MR", "OKAFOR/AMAKA MS", "N/A", "DOE/JANE"]})
    flagged = {(row["row"], row["type"]) for row in detector.detect(batch).to_pylist()}
    assert flagged == {(0, "PERSON_NAME"), (1, "PERSON_NAME"), (3, "PERSON_NAME")}


def test_vcard_and_ldif(detector: Detector) -> None:
    vcard = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Holloway;Dana;;;\nFN:Dana Holloway\nORG:Acme Corp\n"
        "ADR;TYPE=home:;;330 John Landing Apt. 068;Salem;OR;97301;USA\nBDAY:1961-03-04\n"
        "REV:2026-10-12T10:22:00Z\nEND:VCARD"
    )
    ldif = (
        "dn: cn=Dana Holloway,ou=People,dc=example,dc=org\ncn: Dana Holloway\n"
        "postalAddress: 7211 Timothy Plaza Suite 354$Salem, OR 97301\nemployeeNumber: 48213"
    )
    out = _scrubbed(detector, [vcard, ldif])
    assert "ADR;TYPE=home:;;<STREET_ADDRESS>;Salem;OR;<ZIP_CODE>;USA" in out[0]
    assert "BDAY:<DATE_OF_BIRTH>" in out[0]
    assert "VERSION:3.0" in out[0] and "REV:2026-10-12T10:22:00Z" in out[0]
    assert "postalAddress: <STREET_ADDRESS>$" in out[1]
    assert "employeeNumber: 48213" in out[1]


def test_npi_after_a_phone_keyword_is_no_phone(detector: Detector) -> None:
    texts = [
        "called prescriber, NPI 1245319599 re refill",
        "called prescriber, NPI 1245319598 re refill",  # not an NPI: may be the phone dialled
        "called NPI office 404-557-2686",
    ]
    found = _found(detector, texts)
    assert found[IdType.NPI] == [0]
    assert 0 not in found.get(IdType.PHONE, [])
    assert 2 in found[IdType.PHONE]


def test_imsi_after_its_keyword(detector: Detector) -> None:
    texts = [
        "IMSI 310150123456789 attached",
        "subscriber imsi: 234150999888777",
        "IMSI attach 14:02 cell 4411",
    ]
    assert _scrubbed(detector, texts) == [
        "IMSI <DEVICE_ID> attached",
        "subscriber imsi: <DEVICE_ID>",
        "IMSI attach 14:02 cell 4411",
    ]


def test_json_value_is_a_text_pattern_field() -> None:
    assert TextPattern("x").json_value is False
    assert TextPattern("x", json_value=True).json_value is True
