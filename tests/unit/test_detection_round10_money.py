"""Round 10 (red-team free text): a PNR's card form of payment, cards typed with double spaces,
lower-case IBANs after an account word, national ids after another language's "is", SSNs a few
words after their word, and birth verbs of several languages. Values are made up here."""

from __future__ import annotations

from compliance.detection import Detector
from tests.unit.detection_helpers import scrubbed


def test_a_pnr_form_of_payment_hides_card_and_code(detector: Detector) -> None:
    texts = [
        "FP CCAX5562976969560812/0729*CV392",
        "FP CCVI6759285362201542060/0628*CV500",  # 19-digit Maestro under a Visa code
        "FP CCVI6759285362201542061/0628*CV500",  # Luhn-invalid: no card, no code
        "FLT BA7074 27JUN 0729",
    ]
    assert scrubbed(detector, texts) == [
        "FP CCAX<CREDIT_CARD>/0729*CV<CARD_CVV>",
        "FP CCVI<CREDIT_CARD>/0628*CV<CARD_CVV>",
        "FP CCVI6759285362201542061/0628*CV500",
        "FLT BA7074 27JUN 0729",
    ]


def test_card_groups_two_spaces_apart(detector: Detector) -> None:
    texts = [
        "sorry typo, its 6207  1643 3668 7241",
        "sorry typo, its 3717  1163 7727 002",  # Amex in fours
        "order 6207  1643 3668 7242",  # Luhn-invalid
    ]
    assert scrubbed(detector, texts) == [
        "sorry typo, its <CREDIT_CARD>",
        "sorry typo, its <CREDIT_CARD>",
        "order 6207  1643 3668 7242",
    ]


def test_lower_case_iban_after_an_account_word(detector: Detector) -> None:
    texts = [
        "mi cuenta es es97 9207 7436 5132 8401 3335",
        "mon rib : fr18 9896 5059 54zk h4lo tjjp e88",
        "Bitte auf mein Konto überweisen: de10 4524 6614 3565 7854 61",
        "account es 1234 5678 9012 3456 7890",  # mod 97 fails
    ]
    assert scrubbed(detector, texts) == [
        "mi cuenta es <IBAN>",
        "mon rib : <IBAN>",
        "Bitte auf mein Konto überweisen: <IBAN>",
        "account es 1234 5678 9012 3456 7890",
    ]


def test_national_ids_after_other_languages_is(detector: Detector) -> None:
    texts = [
        "mi DNI es 61530565E",
        "mi DNI es 61530565A",  # wrong letter
        "mon numéro de sécu 1 61 07 33 081 595 44",
        "mon numero de secu 1 61 07 33 081 595 45",  # wrong key
    ]
    assert scrubbed(detector, texts) == [
        "mi DNI es <NATIONAL_ID>",
        "mi DNI es 61530565A",
        "mon numéro de sécu <NATIONAL_ID>",
        "mon numero de secu 1 61 07 33 081 595 45",
    ]


def test_ssn_a_few_words_after_its_word(detector: Detector) -> None:
    texts = [
        "the last agent asked for my SSN so here 499134474",
        "my social is 879 57 6848",
        "my social is 493136618",
        "SSN not provided. order 493136618",  # a sentence between
        "my social is 666 12 3456",  # never issued
    ]
    assert scrubbed(detector, texts) == [
        "the last agent asked for my SSN so here <SSN>",
        "my social is <SSN>",
        "my social is <SSN>",
        "SSN not provided. order 493136618",
        "my social is 666 12 3456",
    ]


def test_birth_verbs_of_several_languages(detector: Detector) -> None:
    texts = [
        "nací el 1991-05-31",
        "nací el November 19, 1967",
        "nasceu em 12/12/1970",
        "née le 12.12.1970",
        "nata il 12/12/1970",
        "nací el 2091-05-31",  # not in the past
    ]
    assert scrubbed(detector, texts) == [
        "nací el <DATE_OF_BIRTH>",
        "nací el <DATE_OF_BIRTH>",
        "nasceu em <DATE_OF_BIRTH>",
        "née le <DATE_OF_BIRTH>",
        "nata il <DATE_OF_BIRTH>",
        "nací el 2091-05-31",
    ]
