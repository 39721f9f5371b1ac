"""Round 10 (red-team free text): a PNR's card form of payment, cards typed with double spaces,
lower-case IBANs after an account word, national ids after another language's "is", SSNs a few
words after their word, and birth verbs of several languages. Values are made up here."""

from __future__ import annotations

from tests.unit.detection_helpers import scrub_found_test

# (text, what it becomes): each class the red team found, with the look-alikes that stay.
CASES = [
    # a pnr form of payment hides card and code
    ("FP CCAX5562976969560812/0729*CV392", "FP CCAX<CREDIT_CARD>/0729*CV<CARD_CVV>"),
    (
        "FP CCVI6759285362201542060/0628*CV500",
        "FP CCVI<CREDIT_CARD>/0628*CV<CARD_CVV>",
    ),  # 19-digit Maestro under a Visa code
    (
        "FP CCVI6759285362201542061/0628*CV500",
        "FP CCVI6759285362201542061/0628*CV500",
    ),  # Luhn-invalid: no card, no code
    ("FLT BA7074 27JUN 0729", "FLT BA7074 27JUN 0729"),
    # card groups two spaces apart
    ("sorry typo, its 6207  1643 3668 7241", "sorry typo, its <CREDIT_CARD>"),
    ("sorry typo, its 3717  1163 7727 002", "sorry typo, its <CREDIT_CARD>"),  # Amex in fours
    ("order 6207  1643 3668 7242", "order 6207  1643 3668 7242"),  # Luhn-invalid
    # lower case iban after an account word
    ("mi cuenta es es97 9207 7436 5132 8401 3335", "mi cuenta es <IBAN>"),
    ("mon rib : fr18 9896 5059 54zk h4lo tjjp e88", "mon rib : <IBAN>"),
    (
        "Bitte auf mein Konto überweisen: de10 4524 6614 3565 7854 61",
        "Bitte auf mein Konto überweisen: <IBAN>",
    ),
    ("account es 1234 5678 9012 3456 7890", "account es 1234 5678 9012 3456 7890"),  # mod 97 fails
    # national ids after other languages is
    ("mi DNI es 61530565E", "mi DNI es <NATIONAL_ID>"),
    ("mi DNI es 61530565A", "mi DNI es 61530565A"),  # wrong letter
    ("mon numéro de sécu 1 61 07 33 081 595 44", "mon numéro de sécu <NATIONAL_ID>"),
    ("mon numero de secu 1 61 07 33 081 595 45", "mon numero de secu 1 61 07 33 081 595 45"),  # wrong key
    # ssn a few words after its word
    ("the last agent asked for my SSN so here 499134474", "the last agent asked for my SSN so here <SSN>"),
    ("my social is 879 57 6848", "my social is <SSN>"),
    ("my social is 493136618", "my social is <SSN>"),
    ("SSN not provided. order 493136618", "SSN not provided. order 493136618"),  # a sentence between
    ("my social is 666 12 3456", "my social is 666 12 3456"),  # never issued
    # birth verbs of several languages
    ("nací el 1991-05-31", "nací el <DATE_OF_BIRTH>"),
    ("nací el November 19, 1967", "nací el <DATE_OF_BIRTH>"),
    ("nasceu em 12/12/1970", "nasceu em <DATE_OF_BIRTH>"),
    ("née le 12.12.1970", "née le <DATE_OF_BIRTH>"),
    ("nata il 12/12/1970", "nata il <DATE_OF_BIRTH>"),
    ("nací el 2091-05-31", "nací el 2091-05-31"),  # not in the past
]


test_red_team_free_text = scrub_found_test(CASES)
