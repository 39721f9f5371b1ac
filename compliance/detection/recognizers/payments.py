"""The parties of bank payment messages: SWIFT MT (103, 101, 202 COV) fields 50K/50F (ordering
customer) and 59/59F (beneficiary), and ISO 20022 (pain.001, pacs.008, camt) party elements.

As in HL7 (hl7_fields.py), the position is the evidence and it fails closed: the line after an
:50K: account is the customer's name in any script or case ("ΦΙΛΑΡΕΤΗ ΚΟΝΙΑΡΗ"), the lines after it
the address, a <Dbtr><Nm> the debtor's name. Tags, references (:20:, <EndToEndId>), BICs, amounts,
currencies and value dates stay. Accounts are the IBAN and account recognizers'. Each tuple is
spliced into the context patterns of its type (segments.py).
"""

from __future__ import annotations

from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import TextPattern

_CHECK = "validate_record_field"
# A line of an MT field's content: a new field starts with ":", the block's end with "-".
_LINE = r"[^:\r\n-][^\r\n]*"
_NL = r"\r?\n"
# The name line: the account line, when there is one, starts with "/".
_NAME_LINE = r"[^:/\r\n-][^\r\n]*"
# Option K (and no option): an optional "/account" line, then up to 4 lines: name, address lines.
# A field's tag starts its line ("13:59:27" is a time).
_TAG = r"(?:^|[\r\n]|\{4:)"
_UNSTRUCTURED = (
    (_TAG + ":50K:", TextHint(exact=("50K",))),
    (_TAG + ":59:", TextHint(whole_words=("59",))),
)
# Option F: a party identifier line, then numbered lines: 1/ name, 2/ address, 3/ country/town,
# 4/ birth date, 5/ country/place of birth, 6/ country/issuer/customer id, 7/ country/national id.
_STRUCTURED = _TAG + r":(?:50F|59F):[^\r\n]*(?:\r?\n[^:\r\n-][^\r\n]*)*?"
_STRUCTURED_HINT = TextHint(exact=("50F", "59F"))
_COUNTRY = "[A-Z]{2}/"


def _unstructured(*, address: bool) -> tuple[TextPattern, ...]:
    """The name line after the account of an option K or plain 59 field, or (`address`) the up to 3
    address lines after it, as one value: a street pattern that runs from one line into the next
    must not outlast it and leave the rest of the address raw."""
    value = rf"{_LINE}(?:{_NL}{_LINE}){{0,2}}" if address else _NAME_LINE
    return tuple(
        TextPattern(
            rf"{tag}(?:/[^\r\n]*{_NL})?" + (rf"[^\r\n]*{_NL}" if address else "") + rf"(?P<v>{value})",
            hint,
            _CHECK,
        )
        for tag, hint in _UNSTRUCTURED
    )


def _structured(
    number: int, value: str = r"[^\r\n]+", *, before: str = "", repeats: int = 1
) -> tuple[TextPattern, ...]:
    """Line `number`/ of an option F field after its `before` part (its first `repeats` occurrences)."""
    return tuple(
        TextPattern(
            rf"{_STRUCTURED}(?:{_NL}{number}/[^\r\n]*){{{k}}}{_NL}{number}/{before}(?P<v>{value})",
            _STRUCTURED_HINT,
            _CHECK,
        )
        for k in range(repeats)
    )


# ISO 20022: a party (PartyIdentification: Nm, PstlAdr, Id) of a payment, perhaps in a namespace.
_NS = r"(?:[A-Za-z][\w.-]*:)?"
_PARTY = rf"<{_NS}(?:Dbtr|Cdtr|UltmtDbtr|UltmtCdtr|InitgPty|Invcr|Invcee)>\s*(?:<{_NS}Pty>\s*)?"
_PARTY_HINT = TextHint(exact=("Dbtr", "Cdtr", "UltmtDbtr", "UltmtCdtr", "InitgPty", "Invcr", "Invcee"))
_ELEMENT = rf"<{_NS}[A-Za-z]+>[^<]*</{_NS}[A-Za-z]+>"
_TEXT = r"[^<]+"


def _address(tag: str, repeats: int = 1) -> tuple[TextPattern, ...]:
    """Element `tag` of a party's postal address (its first `repeats` occurrences)."""
    return tuple(
        TextPattern(
            rf"{_PARTY}(?:<{_NS}Nm>[^<]*</{_NS}Nm>\s*)?<{_NS}PstlAdr>(?:\s*{_ELEMENT})*?"
            rf"(?:\s*<{_NS}{tag}>[^<]*</{_NS}{tag}>){{{k}}}\s*<{_NS}{tag}>(?P<v>{_TEXT})",
            _PARTY_HINT,
            _CHECK,
        )
        for k in range(repeats)
    )


# A private person's id (PersonIdentification): its birth date and place, then "Othr" ids.
_BIRTH = rf"<{_NS}DtAndPlcOfBirth>(?:[^<]|</?{_NS}(?:BirthDt|PrvcOfBirth|CityOfBirth|CtryOfBirth)>)*</{_NS}DtAndPlcOfBirth>"
_OTHER = rf"<{_NS}Othr>(?:[^<]|</?{_NS}(?:Id|SchmeNm|Cd|Prtry|Issr)>)*</{_NS}Othr>"


def _private_id(repeats: int = 2) -> tuple[TextPattern, ...]:
    return tuple(
        TextPattern(
            rf"<{_NS}PrvtId>\s*(?:{_BIRTH}\s*)?(?:{_OTHER}\s*){{{k}}}<{_NS}Othr>\s*<{_NS}Id>(?P<v>{_TEXT})",
            TextHint(exact=("PrvtId",)),
            _CHECK,
        )
        for k in range(repeats)
    )


PAYMENT_NAME = (
    *_unstructured(address=False),
    *_structured(1, repeats=2),
    TextPattern(rf"{_PARTY}<{_NS}Nm>(?P<v>{_TEXT})", _PARTY_HINT, _CHECK),
)
PAYMENT_STREET = (
    *_unstructured(address=True),
    *_structured(2, repeats=2),
    # 3/ country/town (a post code too, as written), 5/ country/place of birth.
    *_structured(3, before=_COUNTRY),
    *_structured(5, before=_COUNTRY),
    *(
        pattern
        for tag in ("StrtNm", "BldgNb", "BldgNm", "Flr", "PstBx", "Room", "TwnNm", "TwnLctnNm", "DstrctNm")
        for pattern in _address(tag)
    ),
    *_address("AdrLine", repeats=3),
    TextPattern(rf"<{_NS}CityOfBirth>(?P<v>{_TEXT})", TextHint(exact=("CityOfBirth",)), _CHECK),
)
PAYMENT_ZIP = _address("PstCd")
PAYMENT_DOB = (
    *_structured(4, r"\d{8}"),
    TextPattern(rf"<{_NS}BirthDt>(?P<v>\d{{4}}-\d{{2}}-\d{{2}})", TextHint(exact=("BirthDt",)), _CHECK),
)
PAYMENT_NATIONAL_ID = (
    # 6/ country/issuer/id, 7/ country/id; a party identifier line "NIDN/DE/..." (SOSE social
    # security, TXID tax id, ARNU alien registration, CUST and EMPL customer and employee numbers).
    *_structured(6, before=_COUNTRY + r"[^/\r\n]*/"),
    *_structured(7, before=_COUNTRY),
    TextPattern(
        _TAG + r":(?:50F|59F):(?:NIDN|SOSE|TXID|ARNU|CUST|EMPL)/[A-Z]{2}/(?P<v>[^\r\n]+)",
        _STRUCTURED_HINT,
        _CHECK,
    ),
    *_private_id(),
)
PAYMENT_PASSPORT = (
    TextPattern(_TAG + r":(?:50F|59F):CCPT/[A-Z]{2}/(?P<v>[^\r\n]+)", _STRUCTURED_HINT, _CHECK),
)
PAYMENT_DRIVER_LICENSE = (
    TextPattern(_TAG + r":(?:50F|59F):DRLC/[A-Z]{2}/[^/\r\n]*/(?P<v>[^\r\n]+)", _STRUCTURED_HINT, _CHECK),
)
