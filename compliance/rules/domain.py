"""Data-domain auto-detection from a file's column classification (names and identifier types)."""

from __future__ import annotations

import re

from compliance.columns import ColumnClass
from compliance.vocabulary import Domain, IdType

# Column-name words that point at a domain, matched as whole words of the snake/camel-split name.
_DOMAIN_WORDS: dict[Domain, re.Pattern[str]] = {
    Domain.HEALTHCARE: re.compile(
        r"(?:^|_)(?:mrn|npi|icd\d*|icd_?10|diagnos\w*|patient\w*|health\w*|medical|medication\w*|"
        r"prescription\w*|physician|clinic\w*|hospital\w*|admission|discharge\w*|procedure|"
        r"allerg\w*|symptom\w*|treatment\w*|insurer|payer)(?:_|$)"
    ),
    Domain.FINANCIAL: re.compile(
        r"(?:^|_)(?:card\w*|cc|pan|cvv\d?|cvc|iban|bic|swift|account\w*|acct|routing|amount|balance|"
        r"transaction\w*|txn|payment\w*|merchant\w*|currency|credit\w*|debit\w*|loan\w*|invoice\w*)(?:_|$)"
    ),
    Domain.LOCATION: re.compile(
        r"(?:^|_)(?:gps|lat|latitude|lon|lng|long|longitude|geo\w*|coord\w*|device\w*|imei|altitude|"
        r"heading|bearing|speed|trajectory|waypoint)(?:_|$)"
    ),
}
_DOMAIN_TYPES: dict[Domain, frozenset[IdType]] = {
    Domain.HEALTHCARE: frozenset({IdType.MRN, IdType.NPI, IdType.HEALTH_PLAN_ID}),
    Domain.FINANCIAL: frozenset({IdType.CREDIT_CARD, IdType.CARD_CVV, IdType.IBAN, IdType.BANK_ACCOUNT}),
    Domain.LOCATION: frozenset({IdType.GPS_COORDINATES, IdType.DEVICE_ID}),
}
# A domain with this many signal columns applies; a single stray column (a device id in a patient
# file) does not make a file mixed, unless no domain has more.
_STRONG_SIGNAL = 2


def detect_domain(classes: list[ColumnClass]) -> str:
    """healthcare, financial or location when exactly one domain's columns dominate; else mixed."""
    scores = {domain: 0 for domain in _DOMAIN_WORDS}
    for column in classes:
        name = _snake(column.field)
        for domain, words in _DOMAIN_WORDS.items():
            if column.id_type in _DOMAIN_TYPES[domain] or words.search(name):
                scores[domain] += 1
    applying = [domain for domain, score in scores.items() if score >= _STRONG_SIGNAL]
    if not applying:
        applying = [domain for domain, score in scores.items() if score > 0]
    return applying[0].value if len(applying) == 1 else Domain.MIXED.value


def _snake(name: str) -> str:
    """patientDOB / Patient-DOB / patient dob -> patient_dob."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")
