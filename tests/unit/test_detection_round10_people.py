"""Person-name and travel-document forms the round-10 red team found raw (airline PNR dumps, a
German Excel export, a mailbox export, tenant screening notes, support chats), and the look-alikes
that must stay."""

from __future__ import annotations

import pyarrow as pa
import pytest

from compliance.columns import ColumnRole
from compliance.detection import Detector
from compliance.detection.recognizers.people import PersonNameRecognizer
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import scrub_found_test, scrubbed


def _class(detector: Detector, header: str, values: list[str]):
    return detector.classify(pa.record_batch({header: pa.array(values)}))[0]


_PAX = [
    "DEBRUIJN/MASON MSTR",
    "BOLZMANN/TELSE MS",
    "LABB/VICTOIRE MSTR",
    "HENRY/GILBERT MRS",
    "JONES/TERESA",
] * 4
_LISTED = ["Blin, Gabriel", "Perez, Clarisa", "Weller, Heribert", "Yates, Amy", "de Gruson, Sebastiaan"] * 4


@pytest.mark.parametrize(("header", "values"), [("PAX", _PAX), ("col7", _PAX), ("col3", _LISTED)])
def test_a_column_of_names_in_a_name_only_form_is_typed_by_its_values(
    detector: Detector, header: str, values: list[str]
) -> None:
    column = _class(detector, header, values)
    assert (column.role, column.id_type) == (ColumnRole.IDENTIFIER, IdType.PERSON_NAME)
    assert column.evidence == "values"


@pytest.mark.parametrize(
    "values",
    [
        ["LHR/JFK", "EUR/USD", "CDG/AMS", "TCP/IP", "N/A"] * 4,  # routes, pairs: no title, no given name
        ["Boston, MA", "Springfield, Illinois", "Austin, Texas", "Main Street, Kevin", "Leeds, UK"] * 4,
    ],
)
def test_look_alikes_of_those_forms_are_not_names(detector: Detector, values: list[str]) -> None:
    assert _class(detector, "col7", values).id_type != IdType.PERSON_NAME


@pytest.mark.parametrize("header", ["Kunde (Name)", "pax_name", "Passagier Name", "Name Mieter"])
def test_role_words_of_other_languages_with_a_name_word_name_a_person(
    detector: Detector, header: str
) -> None:
    assert _class(detector, header, _LISTED).id_type == IdType.PERSON_NAME


@pytest.mark.parametrize("header", ["DOCS_NO", "doc_no", "Travel Document Number", "document_number"])
def test_travel_document_headers_name_a_passport(detector: Detector, header: str) -> None:
    column = _class(detector, header, ["J41077786", "N49394196", "247536532", "16AQ79921"] * 5)
    assert column.id_type == IdType.PASSPORT


def test_a_surname_first_name_whose_surname_is_an_organisation_word_is_a_name() -> None:
    # "Company, Dominga" in a customer column is a person listed surname first, not a firm.
    valid = PersonNameRecognizer().validate(pa.array(["Company, Dominga", "Acme Company, Inc"]))
    assert valid.tolist() == [True, False]


_ROUND10_NAMES_IN_TEXT = [
    ('"de Gruson, Sebastiaan" <sg@web.de>', '"<PERSON_NAME>" <<EMAIL>>'),
    ('"\'s Gravensande, Josephine" <jg@x.nl>', '"<PERSON_NAME>" <<EMAIL>>'),
    ('"Bruijne van der Veen, Meike" <meike.veen@x.io>', '"<PERSON_NAME>" <<EMAIL>>'),
    ("Sterre van 't Erve <sterre_erve@o.nl>", "<PERSON_NAME> <<EMAIL>>"),
    ("Victor die Bont <victor93@yahoo.co.uk>", "<PERSON_NAME> <<EMAIL>>"),
    ("Jo Torres <jo45@orange.fr>", "<PERSON_NAME> <<EMAIL>>"),
    ("Miguel House <miguel.house@outlook.com>", "<PERSON_NAME> <<EMAIL>>"),
    ("From: Georgia Hayes [mailto:gh@x.com]", "From: <PERSON_NAME> [mailto:<EMAIL>]"),
    (
        "Best regards,\nIvy Pieters van der Maes\nHead of Facilities",
        "Best regards,\n<PERSON_NAME>\nHead of Facilities",
    ),
    (
        "Employer reference received. Guarantor: Jack Cornelisz.",
        "Employer reference received. Guarantor: <PERSON_NAME>.",
    ),
    (
        "Previous landlord Lee Edwards confirms tenancy",
        "Previous landlord <PERSON_NAME> confirms tenancy",
    ),
    ("Lieferung an Nachbar Robin Scholl", "Lieferung an Nachbar <PERSON_NAME>"),
    ("Hallo, hier ist Anna Weber", "Hallo, hier ist <PERSON_NAME>"),
    ("Bonjour, je suis Marie Dubois", "Bonjour, je suis <PERSON_NAME>"),
    ("hola soy Lucía Gómez", "hola soy <PERSON_NAME>"),
    ("hola soy Íñigo Nuñez", "hola soy <PERSON_NAME>"),
    ("hola soy Cecilio Plaza", "hola soy <PERSON_NAME>"),
]
test_round10_names_in_text = scrub_found_test(_ROUND10_NAMES_IN_TEXT)


@pytest.mark.parametrize(
    "text",
    [
        "Google Calendar <calendar-notification@google.com>",
        "Customer Service <customer.service@acme.com>",
        "Kind regards,\nCustomer Support Team\n",
        "Hallo, hier ist Ihre Bestellung",
        "hier ist Ihr Kundenservice Team",
        "Heute hat Anna die Katze gefüttert",
        "Landlord Property Services confirmed",
    ],
)
def test_round10_look_alikes_stay(detector: Detector, text: str) -> None:
    assert "<PERSON_NAME>" not in scrubbed(detector, [text])[0]
