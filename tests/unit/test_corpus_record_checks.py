"""The corpus label checker's reading of record formats (tests/unit/corpus_record_checks.py): each
position gives its type, and positions that name an organisation, a code or a validity date give none."""

from __future__ import annotations

import pytest

from tests.unit.corpus_record_checks import record_fields
from tests.unit.test_corpus_build import in_text

CLAIM = (
    "ST*837*0021*005010X222A1~NM1*PR*2*AETNA*****PI*60054~NM1*IL*1*OKAFOR*AMAKA****MI*W392131900~"
    "N3*737 JEFFREY PRAIRIE~N4*SALEM*OR*97301~DMG*D8*19610304*F~CLM*A37YH556*500***11:B:1*Y*A*Y*I~"
)
DOCS = "SSR DOCS UA HK1 P/USA/512345678/USA/04MAR61/M/23OCT30/SMITH/JOHN"
VCARD = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Holloway;Dana;;;\nORG:Acme Corp\n"
    "ADR;TYPE=home:;;330 John Landing Apt. 068;Salem;OR;97301;USA\nBDAY:1961-03-04\n"
    "REV:2026-10-12T10:22:00Z\nEND:VCARD"
)


# Each record format's positions, in record order: (type, value as the label gives it).
POSITIONS = {
    "x12": (
        CLAIM,
        [
            ("PERSON_NAME", "OKAFOR AMAKA"),
            ("HEALTH_PLAN_ID", "W392131900"),
            ("STREET_ADDRESS", "737 JEFFREY PRAIRIE"),
            ("ZIP_CODE", "97301"),
            ("DATE_OF_BIRTH", "19610304"),
        ],
    ),
    "pnr_docs": (
        DOCS,
        [("PASSPORT", "512345678"), ("DATE_OF_BIRTH", "1961-03-04"), ("PERSON_NAME", "SMITH JOHN")],
    ),
    "vcard": (
        VCARD,
        [
            ("PERSON_NAME", "Holloway Dana"),
            ("STREET_ADDRESS", "330 John Landing Apt. 068"),
            ("ZIP_CODE", "97301"),
            ("DATE_OF_BIRTH", "1961-03-04"),
        ],
    ),
}


@pytest.mark.parametrize("record_format", POSITIONS)
def test_record_positions(record_format: str) -> None:
    record, expected = POSITIONS[record_format]
    assert record_fields(record) == expected


def test_x12_payer_names_no_person() -> None:
    # The payer (entity type 2, id qualifier PI) and the claim line name no person.
    payer_only = "ST*837*0021*005010X222A1~NM1*PR*2*AETNA*****PI*60054~CLM*A37YH556*500~"
    assert record_fields(payer_only) == []
    for type_ in ("PERSON_NAME", "HEALTH_PLAN_ID", "DATE_OF_BIRTH", "ZIP_CODE"):
        assert in_text(type_, CLAIM, None) and not in_text(type_, payer_only, None), type_


def test_pnr_docs_expiry_is_no_birth_date() -> None:
    # The expiry date (23OCT30) is no birth date: a DOCS whose birth date is missing has none.
    assert not in_text("DATE_OF_BIRTH", "SSR DOCS UA HK1 P/USA/512345678/USA//M/23OCT30/SMITH/JOHN", None)


def test_vcard_birth_date_only_from_bday() -> None:
    assert in_text("DATE_OF_BIRTH", VCARD, None)
    assert not in_text("DATE_OF_BIRTH", VCARD.replace("BDAY:1961-03-04\n", ""), None)
