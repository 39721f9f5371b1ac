"""Round 10 (numbers a word names): national numbers of countries without a rule here after a word
that names one, card numbers of legacy or regional issuer ranges after a card word, and IBANs whose
length is off after the word IBAN or an account word. Values are made up here."""

from __future__ import annotations

from tests.unit.detection_helpers import scrub_found_test, scrub_stays_test

FOUND = [
    # A word that names a national number fails closed on any country's number.
    ("Patient born 1990, national id 511000198812019098 verified", "national id <NATIONAL_ID> verified"),
    ("national id 756.2801.6543.78", "national id <NATIONAL_ID>"),  # Swiss AHV
    ("personas kods 151029-11203 ok", "personas kods <NATIONAL_ID> ok"),  # Latvia
    ("PESEL 44051401359", "PESEL <NATIONAL_ID>"),  # Poland
    ("national id ZZ 28 21 25 T", "national id <NATIONAL_ID>"),  # a NINO prefix HMRC never allocates
    ("Tax ref 5979396578 verified against payslip", "Tax ref <NATIONAL_ID> verified against payslip"),  # UTR
    ("Tax ref 227403812 verified", "Tax ref <NATIONAL_ID> verified"),  # a BSN in the US SSN shape
    # "SSN" in a form for any country: a number that cannot be a US SSN by its shape.
    ("ID/SSN on file: 19080261738", "ID/SSN on file: <NATIONAL_ID>"),
    ("SSN on file: 12345678Z", "SSN on file: <NATIONAL_ID>"),
    # A card word takes any Luhn-valid run of 12 to 19 digits.
    ("paid with card 213132493860336", "paid with card <CREDIT_CARD>"),  # JCB's legacy 2131 range
    ("Kreditkarte 3506868978658022", "Kreditkarte <CREDIT_CARD>"),
    ("paid with card 639014575448", "paid with card <CREDIT_CARD>"),  # an old 12-digit Maestro
    # An IBAN a word names needs its check, not its country's registered length (GB has 22).
    ("IBAN: GB33HZUW4934658375299 / BIC unknown", "IBAN: <IBAN> / BIC unknown"),
    ("Konto GB16QGIT8238368182625", "Konto <IBAN>"),
    # An SSR DOCS number field is the document by its position, letters only or not.
    (
        "SSR DOCS BA HK1/P/USA/CJHRKCPHF/USA/13FEB64/F/06FEB32/MAILLOT/ALICE",
        "SSR DOCS BA HK1/P/USA/<PASSPORT>/USA/<DATE_OF_BIRTH>/F/06FEB32/<PERSON_NAME>",
    ),
]
STAYS = [
    "SSN on file 000-00-0000 is a placeholder",  # one digit repeated
    "national id card issued 2019-03-01",  # a date
    "SSN 666-12-3456 is a decoy",  # the US shape is the SSN rules' to decide
    "national id 12345",  # shorter than any national number
    "gift card 1234567890123",  # Luhn-invalid
    "ref GB16QGIT8238368182625",  # no word: the registered length is required
    "passport expired yesterday",
    "SSN last 4 6789",  # too short for any national number
    "SSN: 2019-03-01",  # in free text a passport number needs a digit
]


test_a_number_its_word_names_is_found = scrub_found_test(FOUND, ending=True)


test_a_named_number_that_is_no_person_s_stays = scrub_stays_test(STAYS)
