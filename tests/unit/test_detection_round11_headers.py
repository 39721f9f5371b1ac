"""Round 11 (headers of more languages): the person a record is about named by role in insurance,
banking and travel exports ("Segurado", "Versicherter"), name headers of Turkish, Polish, Czech,
Nordic, Finnish, Hungarian, South Slavic and Romanian exports, and Latin letters that Unicode does
not decompose ("Adı Soyadı", "Właściciel"). Values are made up here."""

from __future__ import annotations

import pyarrow as pa
import pytest

from compliance.detection import Detector
from compliance.detection.headers import normalize_header
from compliance.vocabulary import IdType

NAMES = ["Luna Valente", "Marco Rossi", "Ana Souza"]
NAME_HEADERS = [
    "Segurado", "Tomador", "Titular", "Versicherter", "Versicherungsnehmer", "Assicurato", "Ubezpieczony",
    "Sigortalı", "Verzekerde", "Beneficiário", "Kunde", "Cliente", "Adı Soyadı", "Nazwisko",
    "Imię i nazwisko", "Příjmení", "Fornavn", "Efternamn", "Sukunimi", "Vezetéknév", "Prezime",
    "Nume și prenume",
]  # fmt: skip
NOT_NAME_HEADERS = ["Kundennummer", "Cliente ID", "Ad", "Titular IBAN"]


@pytest.mark.parametrize("header", NAME_HEADERS)
def test_the_header_names_a_person(detector: Detector, header: str) -> None:
    (column,) = detector.classify(pa.record_batch({header: pa.array(NAMES)}))
    assert column.id_type is IdType.PERSON_NAME


@pytest.mark.parametrize("header", NOT_NAME_HEADERS)
def test_a_number_or_another_word_is_no_name_header(detector: Detector, header: str) -> None:
    (column,) = detector.classify(pa.record_batch({header: pa.array(["K-1001", "K-1002", "K-1003"])}))
    assert column.id_type is not IdType.PERSON_NAME


@pytest.mark.parametrize(
    ("header", "normalized"),
    [("Adı Soyadı", "adi_soyadi"), ("Właściciel", "wlasciciel"), ("Fødselsdato", "fodselsdato"),
     ("Straße", "strasse"), ("Sønderborg", "sonderborg")],
)  # fmt: skip
def test_latin_letters_unicode_keeps_whole_are_spelled_in_ascii(header: str, normalized: str) -> None:
    assert normalize_header(header) == normalized
