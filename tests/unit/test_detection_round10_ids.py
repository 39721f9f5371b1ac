"""Round 10 (numbers a word names): national numbers of countries without a rule here after a word
that names one, card numbers of legacy or regional issuer ranges after a card word, and IBANs whose
length is off after the word IBAN or an account word. Values are made up here."""

from __future__ import annotations

from compliance.detection import Detector
from tests.unit.detection_helpers import scrubbed


def test_a_word_that_names_a_national_number_fails_closed_on_any_country(detector: Detector) -> None:
    texts = [
        "Patient born 1990, national id 511000198812019098 verified",  # China, 18 digits
        "national id 756.2801.6543.78",  # Swiss AHV
        "personas kods 151029-11203 ok",  # Latvia
        "PESEL 44051401359",  # Poland
        "national id ZZ 28 21 25 T",  # a NINO of a prefix HMRC never allocates
    ]
    assert scrubbed(detector, texts) == [
        "Patient born 1990, national id <NATIONAL_ID> verified",
        "national id <NATIONAL_ID>",
        "personas kods <NATIONAL_ID> ok",
        "PESEL <NATIONAL_ID>",
        "national id <NATIONAL_ID>",
    ]


def test_named_numbers_that_are_no_person_s_stay(detector: Detector) -> None:
    texts = [
        "SSN on file 000-00-0000 is a placeholder",  # one digit repeated
        "national id card issued 2019-03-01",  # a date
        "SSN 666-12-3456 is a decoy",  # the US shape is the SSN rules' to decide
        "national id 12345",  # shorter than any national number
    ]
    assert scrubbed(detector, texts) == texts


def test_card_words_take_any_luhn_valid_run(detector: Detector) -> None:
    texts = [
        "paid with card 213132493860336",  # JCB's legacy 15-digit 2131 range
        "Kreditkarte 3506868978658022",
        "paid with card 639014575448",  # an old 12-digit Maestro
        "gift card 1234567890123",  # Luhn-invalid
    ]
    assert scrubbed(detector, texts) == [
        "paid with card <CREDIT_CARD>",
        "Kreditkarte <CREDIT_CARD>",
        "paid with card <CREDIT_CARD>",
        "gift card 1234567890123",
    ]


def test_an_iban_a_word_names_needs_its_check_not_its_country_s_length(detector: Detector) -> None:
    texts = [
        "IBAN: GB33HZUW4934658375299 / BIC unknown",  # 21 characters where GB has 22; mod 97 holds
        "Konto GB16QGIT8238368182625",
        "ref GB16QGIT8238368182625",  # no word: the registered length is required
    ]
    assert scrubbed(detector, texts) == [
        "IBAN: <IBAN> / BIC unknown",
        "Konto <IBAN>",
        "ref GB16QGIT8238368182625",
    ]
