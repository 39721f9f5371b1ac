"""Identifiers of record formats whose fields are known by their position or tag, not by a keyword
in prose: X12 EDI (837/835 claims), an airline PNR's SSR DOCS and contact elements, vCard and LDIF.

As with HL7 segments (base.py), the position is the evidence: "NM1*IL*1*DOE*JOHN" is a person's
name because NM102 = 1 says a person, "DMG*D8*19610304" a birth date because DMG is the
demographics segment. Each tuple below is spliced into the context patterns of its type.
"""

from __future__ import annotations

from compliance.detection.hints import TextHint
from compliance.detection.recognizers import plan_ids, url_params
from compliance.detection.recognizers.base import TextPattern
from compliance.detection.recognizers.hl7_fields import (
    HL7_DOB,
    HL7_DRIVER_LICENSE,
    HL7_HEALTH_PLAN_ID,
    HL7_MRN,
    HL7_NAME,
    HL7_NATIONAL_ID,
    HL7_PASSPORT,
    HL7_PHONE,
    HL7_SSN,
    HL7_STREET,
)
from compliance.detection.recognizers.payments import (
    PAYMENT_DOB,
    PAYMENT_DRIVER_LICENSE,
    PAYMENT_NAME,
    PAYMENT_NATIONAL_ID,
    PAYMENT_PASSPORT,
    PAYMENT_STREET,
    PAYMENT_ZIP,
)

# X12: segments end with "~" (or a line break), elements are separated by "*".
_E = r"[^*~\n]*"
_NM1 = TextHint(exact=("NM1",))
_LETTER = "A-Za-zÀ-ÖØ-öø-ÿĀ-ž"
_NAME_PART = rf"[{_LETTER}][{_LETTER}' .-]*"


def _nm1_id(qualifier: str, value: str) -> str:
    """NM108 (id code qualifier) = `qualifier`, NM109 (the id) has the shape `value` (group v)."""
    return rf"\bNM1\*{_E}\*[12](?:\*{_E}){{5}}\*{qualifier}\*(?P<v>{value})\b"


# NM1 with entity type 1 (a person, 2 is an organisation): NM103 last, NM104 first name, each a whole
# element: the start of a token ("PERSON" of "PERSON_NAME_k1_...") is no name.
X12_NAME = (
    TextPattern(
        rf"\bNM1\*{_E}\*1\*(?P<v>{_NAME_PART}(?:\*{_NAME_PART})?)(?:[*~\n]|$)", _NM1, "validate_hl7_name"
    ),
)
# NM108 MI: member id; II: standard unique health identifier.
X12_MEMBER_ID = (TextPattern(_nm1_id("(?:MI|II)", r"[A-Za-z0-9][A-Za-z0-9-]{3,19}"), _NM1, "validate_value"),)
X12_NPI = (TextPattern(_nm1_id("XX", r"\d{10}"), _NM1, "validate_value"),)
# NM108 34 and REF*SY: a social security number.
X12_SSN = (
    TextPattern(_nm1_id("34", r"\d{3}-?\d{2}-?\d{4}"), _NM1, "validate_value"),
    TextPattern(r"\bREF\*SY\*(?P<v>\d{3}-?\d{2}-?\d{4})\b", TextHint(exact=("REF",)), "validate_value"),
)
X12_STREET = (
    TextPattern(r"\bN3\*(?P<v>[^*~\n]*\d[^*~\n]*)", TextHint(exact=("N3",)), "validate_hl7_address"),
)
X12_ZIP = (
    TextPattern(
        rf"\bN4\*{_E}\*[A-Z]{{2}}\*(?P<v>\d{{5}}(?:-?\d{{4}})?)\b",
        TextHint(exact=("N4",)),
        "validate_postcode_text",
    ),
)
X12_DOB = (TextPattern(r"\bDMG\*D8\*(?P<v>\d{8})\b", TextHint(exact=("DMG",)), "validate_value"),)
# PER: a contact's communication numbers, each after its qualifier (TE phone, CP cell, HP home, WP work).
X12_PHONE = (
    TextPattern(
        r"\bPER\*[^~\n]*?\*(?:TE|CP|HP|WP)\*(?P<v>\+?\d[\d() .-]{5,18}\d)",
        TextHint(exact=("PER",)),
        "validate_context",
    ),
)

# PNR SSR DOCS (APIS data): "DOCS UA HK1 P/USA/123456789/USA/04MAR61/M/23OCT30/SMITH/JOHN",
# i.e. doc type P (passport) / issuer / number / nationality / birth date / sex / expiry / names.
_DOCS = TextHint(exact=("DOCS", "SRDOCS"))
_DOCS_HEAD = r"\b(?:SR)?DOCS\b[^/\n]*/?P/[A-Z]{0,3}/"
_DDMONYY = r"\d{2}[A-Z]{3}\d{2}"
# The DOCS element's number field is the document by its position: some passports are letters only.
PNR_PASSPORT = (TextPattern(_DOCS_HEAD + r"(?P<v>[A-Z0-9]{5,15})/", _DOCS, "validate_record_field"),)
PNR_DOB = (
    TextPattern(_DOCS_HEAD + rf"[A-Z0-9]*/[A-Z]{{0,3}}/(?P<v>{_DDMONYY})/", _DOCS, "validate_ddmonyy"),
)
PNR_NAME = (
    TextPattern(
        _DOCS_HEAD
        + rf"[A-Z0-9]*/[A-Z]{{0,3}}/{_DDMONYY}/[MFU]I?/(?:{_DDMONYY})?/(?P<v>[A-Z][A-Z' -]*/[A-Z][A-Z' -]*)",
        _DOCS,
        "validate_hl7_name",
    ),
)
# SSR CTCM (mobile) and CTCE (e-mail, "@" written "//"): "CTCM UA HK1/16175550142".
PNR_PHONE = (
    TextPattern(
        r"\bCTC[MHB]\b[^/\n]*/(?P<v>\+?\d[\d -]{6,18}\d)", TextHint(exact=("CTC",)), "validate_context"
    ),
)
PNR_EMAIL = (
    TextPattern(
        r"\bCTCE\b[^/\n]*/(?P<v>[A-Za-z0-9._%+-]+//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})",
        TextHint(exact=("CTCE",)),
        "validate_pnr_email",
    ),
)

# vCard ADR: post-office box; extended; street; locality; region; postal code; country.
_ADR = r"\bADR(?:;[^:\n]*)?:"
VCARD_STREET = (
    TextPattern(
        _ADR + r"[^;\n]*;[^;\n]*;(?P<v>[^;\n]*\d[^;\n]*)", TextHint(exact=("ADR",)), "validate_hl7_address"
    ),
    # LDIF (RFC 4519) address attributes; "$" separates the lines of a postal address.
    TextPattern(
        r"(?i:\b(?:postalAddress|homePostalAddress|registeredAddress|street|streetAddress))\s*:\s*"
        r"(?P<v>[^$\n]*\d[^$\n]*)",
        TextHint(
            keywords=("postaladdress", "homepostaladdress", "registeredaddress", "street"),
            requires=("digit",),
        ),
        "validate_hl7_address",
    ),
)
VCARD_ZIP = (
    TextPattern(
        _ADR + r"(?:[^;\n]*;){5}(?P<v>[A-Za-z0-9][A-Za-z0-9 -]{2,9})\b",
        TextHint(exact=("ADR",)),
        "validate_postcode_text",
    ),
)

# HL7 v2 fields (hl7_fields.py) and payment message parties (payments.py), fail closed by position:
# one tuple per type, spliced into that type's context patterns.
# Round 12: URL query and log key=value parameters, known by their key (url_params.py), and health-plan
# ids known by the note's context (plan_ids.py): spliced here so the recognizers' modules (at their
# size limit) need no new line.
RECORD_NAME = HL7_NAME + PAYMENT_NAME + url_params.NAME_PARAMS
RECORD_STREET = HL7_STREET + PAYMENT_STREET + url_params.ADDRESS_PARAMS
RECORD_ZIP = PAYMENT_ZIP
RECORD_PHONE = HL7_PHONE
RECORD_DOB = HL7_DOB + PAYMENT_DOB + url_params.DOB_PARAMS
RECORD_SSN = HL7_SSN
RECORD_NATIONAL_ID = HL7_NATIONAL_ID + PAYMENT_NATIONAL_ID
RECORD_PASSPORT = HL7_PASSPORT + PAYMENT_PASSPORT
RECORD_DRIVER_LICENSE = HL7_DRIVER_LICENSE + PAYMENT_DRIVER_LICENSE
RECORD_HEALTH_PLAN_ID = HL7_HEALTH_PLAN_ID + plan_ids.PLAN_CONTEXT
RECORD_MRN = HL7_MRN
