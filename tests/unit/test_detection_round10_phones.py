"""Round 10 (phones of many countries): numbers after a phone keyword in the notations of countries
the first regions tried do not cover, country codes in brackets, glued extensions, and a contact list
of "name / number" values under a header that says nothing. Values are made up here."""

from __future__ import annotations

import pyarrow as pa

from compliance.columns import ColumnRole
from compliance.detection import Detector
from tests.unit.detection_helpers import scrubbed


def test_numbers_after_a_phone_keyword_in_other_countries_notations(detector: Detector) -> None:
    texts = [
        "tel: (351) 931 133 995",  # Portugal, its country code in brackets
        "WhatsApp (+57) 302 893 34 82",  # Colombia
        "Call back on 8 (316) 631-89-16 after 5pm",  # Russia: trunk 8, bracketed area code
        "Mobile (06)72/211-0328 (wife)",  # Hungary
        "tel: 758.121.9143x192",  # an extension glued to the number
        "left vm at 617-728-8451",
        "rappeler au 06 12 34 56 78 svp",
    ]
    assert scrubbed(detector, texts) == [
        "tel: (<PHONE>",
        "WhatsApp (<PHONE>",
        "Call back on <PHONE> after 5pm",
        "Mobile (<PHONE> (wife)",
        "tel: <PHONE>",
        "left vm at <PHONE>",
        "rappeler au <PHONE> svp",
    ]


def test_a_phone_keyword_does_not_take_another_number(detector: Detector) -> None:
    """Shape alone counts only after a word that names nothing but a phone, and not when a nearer
    word names the number otherwise."""
    texts = [
        "phone order 0000 2299 3871 ok",  # no country validates it, and "order" names it
        "phone: IMEI 490154203237518",  # a 15-digit run is an IMEI's length
        "mobile app version 10.2.3",
    ]
    assert scrubbed(detector, texts)[0] == texts[0]
    assert "<PHONE>" not in scrubbed(detector, texts[1:2])[0]
    assert scrubbed(detector, texts)[2] == texts[2]


def test_short_values_of_names_and_numbers_under_a_meaningless_header_fail_closed(detector: Detector) -> None:
    """A contact list ("misc": "Name / number") whose numbers no keyword marks and many of which no
    region tried validates: the column is typed value by value, so none stays raw."""
    people = ["José Matias / (351) 969141777", "Sondre Tangen / 67414501", "Rudolf Süßebier / 08904234138"]
    values = [people[i % 3] for i in range(120)]
    refs = [f"CLM-2023-{3251194 + i}" for i in range(120)]  # reference digits beside letters: not phones
    batch = pa.record_batch({"misc": values, "claim_ref": refs})
    classes = detector.classify(batch)
    assert [c.role for c in classes] == [ColumnRole.SENSITIVE, ColumnRole.OTHER]
    found = detector.detect(batch, classes).to_pylist()
    assert {f["row"] for f in found if f["field"] == "misc"} == set(range(120))
    assert not [f for f in found if f["field"] == "claim_ref"]


def test_a_number_said_of_one_s_own_is_a_phone(detector: Detector) -> None:
    """Chats and notes give a phone as "my number", "new number", "neue Nr": a possessive or "new"
    before the word, so "order number" stays."""
    texts = [
        "number changed -> 2015176019",
        "neue nr 015123605651",
        "nouveau num 0612798246",
        "new number 06 12 58 31 52",
        "my number is 2 0 1 5 3 3 5 6 8 8",  # digits spaced one by one
        "order number 0612798246",
        "my order no 0612798246",
    ]
    assert scrubbed(detector, texts) == [
        "number changed -> <PHONE>",
        "neue nr <PHONE>",
        "nouveau num <PHONE>",
        "new number <PHONE>",
        "my number is <PHONE>",
        "order number 0612798246",
        "my order no 0612798246",
    ]


def test_call_detail_record_parties_and_message_ids(detector: Detector) -> None:
    """The parties of a call name phones ("b_party_number"), whatever notation their values use; an
    e-mail's Message-ID is a random key in an address's shape, not the sender's address."""
    batch = pa.record_batch(
        {
            "b_party_number": ["917410737319", "4915123191687", "612 43 19 46"] * 20,
            "Message-ID": [
                "<1c06f3a9e2b44d7f@mail.example.eu>",
                "<9f2e.77ab@relay.example.org>",
                "<x@y.example>",
            ]
            * 20,
        }
    )
    classes = detector.classify(batch)
    assert classes[0].id_type is not None and classes[0].id_type.value == "PHONE"
    assert classes[1].role == ColumnRole.NOT_IDENTIFIER
