"""One recognizer per identifier type, kept in a registry (adding a type touches this file only).

A recognizer combines three kinds of evidence:
- `header`: a regex over the normalised column header (headers.normalize_header);
- `validate`: a vectorised validator of the values of a column of its type (checksums, ranges);
- `text_pattern`: how the identifier appears embedded in free text. It is written in the common
  subset of RE2 (pyarrow) and Python `re`, with the identifier in group `v`; groups before it are
  context ("MRN:", "DOB") that is kept when the identifier is scrubbed.
A header alone never makes a finding: every reported value passes `validate` (or `validate_text`).
Registry order is priority: the first recognizer whose header rule matches names the column, so
"email_address" is EMAIL before STREET_ADDRESS sees "address".
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.anonymize.tokenize import TOKEN_REGEX
from compliance.detection import phone
from compliance.detection.arrays import (
    UNDECIDED,
    as_int,
    compact_digits,
    containing,
    digits_of,
    lengths,
    luhn_valid,
    matches,
    mod97_remainder,
    native_check,
    right_aligned_codes,
    share_containing,
    share_starting_with,
    starting_with,
    strip_chars,
    to_mask,
    validate_where,
)
from compliance.detection.headers import ANY_PREFIX, ID_SUFFIX
from compliance.detection.hints import TextHint
from compliance.vocabulary import IdType


@dataclass(frozen=True)
class TextPattern:
    """One more way an identifier appears in free text, beside a recognizer's `text_pattern`: most
    often a keyword-context form ("SSN 423 52 2671") whose value alone would be too ambiguous.
    `check` names the recognizer method that validates its matches (one struct per match)."""

    regex: str
    hint: TextHint | None = None
    check: str = "validate_text"


class Recognizer(ABC):
    id_type: ClassVar[IdType]
    # Full-match regex over the normalised header; None: never named by header.
    header: ClassVar[str | None] = None
    # May classify a column whose header says nothing (e.g. "col_7"), from its values alone.
    by_values: ClassVar[bool] = False
    text_pattern: ClassVar[str | None] = None
    # A necessary condition of text_pattern, checked in C before any RE2 pass (hints.py); None: none.
    text_hint: ClassVar[TextHint | None] = None
    # The header is ambiguous ("location" may hold city names): it names the type only if some
    # sampled values validate.
    header_needs_values: ClassVar[bool] = False
    # Integer-typed columns lose leading zeros: left-pad their string form to this width.
    integer_width: ClassVar[int] = 0
    # Further free-text forms, e.g. keyword context that lets an ambiguous shape count.
    context_patterns: ClassVar[tuple[TextPattern, ...]] = ()

    def __init__(self, *, gps_precision: int = 3) -> None:
        self.gps_precision = gps_precision
        self.header_rule = re.compile(self.header) if self.header else None

    def names(self, normalized_header: str) -> bool:
        """Whether the (normalised) header names this type."""
        return self.header_rule is not None and self.header_rule.fullmatch(normalized_header) is not None

    @abstractmethod
    def validate(self, values: pa.Array) -> np.ndarray:
        """Which values of a column of this type are real identifiers (trimmed strings, nulls allowed)."""

    def evidence(self, values: pa.Array) -> np.ndarray:
        """Which sample values prove the type on their own, for columns with uninformative headers."""
        return self.validate(values)

    def evidence_ceiling(self, values: pa.Array) -> float:
        """An upper bound of the share of `values` that `evidence` accepts. Recognizers with costly
        evidence bound it cheaply, so classification skips them when they cannot reach its threshold."""
        return 1.0

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        """Which matches of `text_pattern` (one struct per match, a field per group) are identifiers."""
        return self.validate(found.field("v"))

    def text_patterns(self) -> tuple[TextPattern, ...]:
        """Every free-text form of this type: `text_pattern` first, then `context_patterns`."""
        primary = (TextPattern(self.text_pattern, self.text_hint),) if self.text_pattern else ()
        return primary + self.context_patterns

    def published(self, values: pa.Array) -> np.ndarray:
        """Which values of a column of this type are in a published (anonymized) form that carries
        no identifier: a generalised ZIP or date, a coarse position. They get no violation and are
        not "unrecognised" either. Masks, tokens and placeholders are handled for every type."""
        return np.zeros(len(values), dtype=bool)


REGISTRY: list[type[Recognizer]] = []


def register(cls: type[Recognizer]) -> type[Recognizer]:
    REGISTRY.append(cls)
    return cls


_DIGITS = b"0123456789"
_HEX = b"0123456789ABCDEFabcdef"
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _has_space(values: pa.Array) -> np.ndarray:
    """Which values may hold an ASCII whitespace (RE2's \\s) byte."""
    return containing(values, b" \t\n\f\r")


def _has_digit(values: pa.Array) -> np.ndarray:
    return matches(values, r"\d")


def _context_group(found: pa.StructArray, name: str) -> np.ndarray:
    return to_mask(pc.greater(pc.utf8_length(found.field(name)), 0))


# --- government and financial ----------------------------------------------------------------------


@register
class SsnRecognizer(Recognizer):
    id_type = IdType.SSN
    header = (
        ANY_PREFIX
        + (
            r"(?:ssn|ssns|social_security|social_security_number|social_security_no|social_security_num|"
            r"social_sec_number|social_sec_no|ss_number|ss_no|soc_sec_no|soc_sec_number)"
        )
        + ID_SUFFIX
    )
    by_values = True
    text_pattern = r"\b(?P<v>\d{3}-\d{2}-\d{4})\b"
    text_hint = TextHint(shapes=("ssn",))
    # Nine undelimited or space-separated digits are an SSN only right after a keyword ("patient SSN
    # 894100958 verified", "SSN 423 52 2671", "social security no: 423-52-2671"); SSA rules still apply.
    context_patterns = (
        TextPattern(
            r"(?i:\b(?:ssn|ss#|ss\s*no\.?|soc(?:ial)?\.?\s*sec(?:urity)?\.?(?:\s*(?:number|num|no\.?|#))?))"
            r"[^\w\n]{0,4}(?:(?i:is|was|of|on\s+file|number|no)[^\w\n]{1,4}){0,2}"
            r"(?P<v>\d{3}[- ]?\d{2}[- ]?\d{4})\b",
            TextHint(keywords=("ssn", "ss", "soc")),
        ),
    )
    integer_width = 9
    # Valid by structure but never issued: SSA advertising samples (078-05-1120 from a 1938 wallet).
    NEVER_ISSUED: ClassVar[tuple[int, ...]] = (78051120, 219099999)

    def validate(self, values: pa.Array) -> np.ndarray:
        numbers = native_check("ssn", values)  # the nine digits when shaped like below
        if numbers is not None:
            return (numbers >= 0) & self._issued(numbers)
        shaped = matches(values, r"^\d{3}[- ]?\d{2}[- ]?\d{4}$")
        return validate_where(values, shaped, self._ssa_rules)

    def evidence(self, values: pa.Array) -> np.ndarray:
        # Nine bare digits may be anything; the dashed form is what marks an SSN.
        return self.validate(values) & matches(values, r"^\d{3}-\d{2}-\d{4}$")

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_starting_with(values, _DIGITS, min_bytes=11, max_bytes=11)

    def _ssa_rules(self, values: pa.Array) -> np.ndarray:
        return self._issued(as_int(compact_digits(values, 9, 11)[0]))

    def _issued(self, number: np.ndarray) -> np.ndarray:
        area, group, serial = number // 1_000_000, number // 10_000 % 100, number % 10_000
        issued = ~np.isin(number, self.NEVER_ISSUED)
        return (area != 0) & (area != 666) & (area < 900) & (group != 0) & (serial != 0) & issued


@register
class CreditCardRecognizer(Recognizer):
    id_type = IdType.CREDIT_CARD
    header = ANY_PREFIX + (
        r"(?:card_number|card_no|card_num|cc|cc_number|cc_num|cc_no|ccn|pan|card_pan|credit_card|"
        r"creditcard|credit_card_number|debit_card|debit_card_number|payment_card|primary_account_number)"
    )
    by_values = True
    # `other`: what makes the digits another identifier: an IBAN's country, check digits and groups
    # ("FR39 5215 3676 1623 9581 9053 506" holds a Luhn-valid run of four groups), a "+" (a phone
    # number in E.164), or an account keyword ("acct #6229318099237958").
    text_pattern = (
        r"(?P<other>\b[A-Z]{2}\d{2}[ -](?:[A-Z0-9]{4}[ -])*|\+|"
        r"(?i:\b(?:acct|account|routing|aba)\b\.?\s*(?:number|no\.?|num|#)?\s*[:#]?\s*))?"
        r"\b(?P<v>\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{3})?|\d{4}[ -]\d{6}[ -]\d{4,5}|\d{13,19})\b"
    )
    text_hint = TextHint(shapes=("card_digits",))
    # (first, last prefix, prefix digits, allowed lengths) per brand.
    BRANDS: ClassVar[tuple[tuple[int, int, int, tuple[int, ...]], ...]] = (
        (4, 4, 1, (13, 16, 19)),  # Visa
        (51, 55, 2, (16,)),  # Mastercard
        (2221, 2720, 4, (16,)),  # Mastercard 2-series
        (34, 34, 2, (15,)),  # Amex
        (37, 37, 2, (15,)),
        (6011, 6011, 4, (16, 17, 18, 19)),  # Discover
        (644, 649, 3, (16, 17, 18, 19)),
        (65, 65, 2, (16, 17, 18, 19)),
        (3528, 3589, 4, (16, 17, 18, 19)),  # JCB
        (300, 305, 3, (14, 15, 16, 17, 18, 19)),  # Diners Club
        (3095, 3095, 4, (14, 15, 16, 17, 18, 19)),
        (36, 36, 2, (14, 15, 16, 17, 18, 19)),
        (38, 39, 2, (14, 15, 16, 17, 18, 19)),
        (62, 62, 2, (16, 17, 18, 19)),  # UnionPay (incl. Discover co-brand 622126-622925)
        (50, 50, 2, tuple(range(12, 20))),  # Maestro
        (56, 69, 2, tuple(range(12, 20))),
    )

    def validate(self, values: pa.Array) -> np.ndarray:
        found = native_check("card", values)  # leading six digits * 100 + length, when shaped and Luhn-valid
        if found is not None:
            index = np.flatnonzero(found >= 0)
            valid = np.zeros(len(values), dtype=bool)
            valid[index] = self._brand(found[index] // 100, found[index] % 100)
            return valid
        shaped = matches(values, r"^\d(?:[ -]?\d){11,18}$")
        return validate_where(values, shaped, self._check)

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_starting_with(values, _DIGITS, min_bytes=12, max_bytes=37)

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        return self.validate(found.field("v")) & ~_context_group(found, "other")

    def _check(self, values: pa.Array) -> np.ndarray:
        digits, length = compact_digits(values, 19, 40)
        # The six leading digits (the issuer prefix) start at column 19 - length.
        start = np.clip(19 - length, 0, 13)[:, None] + np.arange(6)
        leading = as_int(np.take_along_axis(digits, start, axis=1))
        return self._brand(leading, length) & luhn_valid(digits)

    def _brand(self, leading: np.ndarray, length: np.ndarray) -> np.ndarray:
        """Whether the six leading digits and the length fit some brand."""
        brand = np.zeros(len(leading), dtype=bool)
        for first, last, size, allowed in self.BRANDS:
            prefix = leading // 10 ** (6 - size)
            brand |= (prefix >= first) & (prefix <= last) & np.isin(length, allowed)
        return brand


@register
class CardCvvRecognizer(Recognizer):
    id_type = IdType.CARD_CVV
    header = ANY_PREFIX + (
        r"(?:cvv|cvv2|cvc|cvc2|cvn|csc|cid|card_security_code|security_code|card_verification"
        r"(?:_value|_code|_number)?|cvv_code|cvv_number)"
    )
    text_pattern = r"(?i:\b(?:cvv2?|cvc2?|card security code|security code))\s*[:#]?\s*(?P<v>\d{3,4})\b"
    text_hint = TextHint(keywords=("cvv", "cvc", "security code"))
    integer_width = 3

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(values, r"^\d{3,4}$")


def _length_by_country_code(lengths: dict[str, int]) -> np.ndarray:
    """IBAN length per country, indexed as native_check("iban") codes countries (AA = 0 .. ZZ = 675);
    0 for no such country."""
    table = np.zeros(26 * 26, dtype=np.int64)
    for country, length in lengths.items():
        table[(ord(country[0]) - ord("A")) * 26 + ord(country[1]) - ord("A")] = length
    return table


@register
class IbanRecognizer(Recognizer):
    id_type = IdType.IBAN
    header = ANY_PREFIX + r"(?:iban|iban_number|iban_code|international_bank_account_number)"
    by_values = True
    text_pattern = r"\b(?P<v>[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)\b"
    text_hint = TextHint(shapes=("caps_digits",))
    context_patterns = (
        TextPattern(
            r"(?i:\biban)[^\w\n]{0,4}(?P<v>(?i:[a-z]{2}\d{2}(?:[ -]?[a-z0-9]){11,30}))\b",
            TextHint(keywords=("iban",)),
        ),
    )
    # ISO 13616 registry: country -> IBAN length.
    LENGTHS: ClassVar[dict[str, int]] = {
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
        "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
        "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
        "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
        "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
        "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
        "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
        "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
        "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
        "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
    }  # fmt: skip
    _LENGTH_BY_CODE: ClassVar[np.ndarray] = _length_by_country_code(LENGTHS)

    def validate(self, values: pa.Array) -> np.ndarray:
        # (country letters as 0..675) * 64 + length, when shaped and mod 97 holds
        found = native_check("iban", values)
        if found is None:
            return self._validate_compact(values)
        country, length = np.divmod(np.maximum(found, 0), 64)
        valid = (found >= 0) & (self._LENGTH_BY_CODE[country] == length)
        undecided = np.flatnonzero(found == UNDECIDED)
        if undecided.size:
            valid[undecided] = self._validate_compact(values.take(pa.array(undecided)))
        return valid

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        # A word after the IBAN may read as its last group ("ES46 0182 ... 3340 OTP sent"): an
        # invalid match is checked again without its last group (the span keeps the word: it is
        # scrubbed with the IBAN).
        value = found.field("v")
        valid = self.validate(value)
        for tail in (r" [A-Za-z0-9]{1,4}$", r"(?: [A-Za-z]+)+$"):  # its last group; trailing words
            retry = np.flatnonzero(~valid & matches(value, tail))
            if retry.size:
                valid[retry] = self.validate(
                    pc.replace_substring_regex(value.take(pa.array(retry)), tail, "")
                )
        return valid

    def evidence_ceiling(self, values: pa.Array) -> float:
        # Spaces and dashes are dropped and case mapped (even from non-ASCII) before the shape check.
        return share_starting_with(values, _LETTERS + b" -", non_ascii=True, min_bytes=15)

    def _validate_compact(self, values: pa.Array) -> np.ndarray:
        compact = pc.utf8_upper(strip_chars(values, r"[ -]"))
        shaped = matches(compact, r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
        return validate_where(compact, shaped, self._check)

    def _check(self, compact: pa.Array) -> np.ndarray:
        countries = pa.array(list(self.LENGTHS))
        expected = np.array([*self.LENGTHS.values(), 0])
        position = pc.fill_null(pc.index_in(pc.utf8_slice_codeunits(compact, 0, 2), value_set=countries), -1)
        length_ok = expected[position.to_numpy()] == lengths(compact)
        rearranged = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(compact, 4), pc.utf8_slice_codeunits(compact, 0, 4), ""
        )
        return length_ok & (mod97_remainder(right_aligned_codes(rearranged, 34)) == 1)


@register
class BankAccountRecognizer(Recognizer):
    id_type = IdType.BANK_ACCOUNT
    header = ANY_PREFIX + (
        r"(?:account_number|account_no|account_num|acct|acct_no|acct_num|acct_number|bank_account|"
        r"bank_account_number|bank_acct|bank_acct_no|routing|routing_number|routing_no|aba|aba_number|"
        r"aba_routing_number|sort_code|bsb|bsb_number)"
    )
    text_pattern = (
        r"(?i:\b(?:bank\s+)?(?:account|acct)\.?\s*(?:number|no\.?|num|#)|\bacct\.?|\brouting(?:\s+number)?|"
        r"\baba)\s*[:#]?\s*(?P<v>\d[\d -]{2,20}\d)\b"
    )
    text_hint = TextHint(keywords=("account", "acct", "routing", "aba"))

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(strip_chars(values, r"[ -]"), r"^\d{4,17}$")


# --- contact ---------------------------------------------------------------------------------------


@register
class EmailRecognizer(Recognizer):
    id_type = IdType.EMAIL
    header = ANY_PREFIX + r"(?:e_?mail|mail|email_address|e_mail_address|email_addr|mail_address)" + ID_SUFFIX
    by_values = True
    _LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    _ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
    ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}"
    text_pattern = r"(?P<v>\b[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,63})\b"
    text_hint = TextHint(shapes=("at",))

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(values, rf"^{self.ADDRESS}$") & (lengths(values) <= 254)

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_containing(values, b"@")


# Words after which a run of digit groups is read as a phone number, up to three words apart
# ("call back on 020 7946 0958", "Reached by phone at 617.728.8451", "mobile: +44 7700 900123").
# A relative or emergency contact is most often given with a number: "Son (713) 607-0358".
_PHONE_KEYWORDS = (
    "phone", "ph", "tel", "telephone", "mobile", "mob", "cell", "cellphone", "fax", "call", "called",
    "calling", "callback", "contact", "reach", "reached", "text", "sms", "otp", "whatsapp", "landline",
    "hotline", "helpline", "voicemail", "dial", "dialed", "rang", "ring", "emergency", "son", "daughter",
    "wife", "husband", "spouse", "partner", "mother", "father", "mom", "dad", "brother", "sister",
    "guardian", "caregiver", "neighbor", "neighbour",
)  # fmt: skip
# What may stand between a phone keyword and its number (a few words: "call back on", "by phone at",
# "Son ("): no digit or "+" (the number starts there), and no full stop, closing bracket, semicolon or
# line break, so the keyword of one sentence never reaches a number of the next ("(billing
# contact). Quote 2025-..."). Greedy, it stops where the number starts; an opening bracket it takes
# is why the number may start "617) 728-8451".
_GAP = r"[^\d+.;)\n]"
_PHONE_NOTATION = (
    r"(?:(?:\+\d{1,3}|\b00\d{1,3}|\b1)[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}(?:[ .\-/]?\d{1,5}){0,5}"
)


@register
class PhoneRecognizer(Recognizer):
    id_type = IdType.PHONE
    header = (
        ANY_PREFIX
        + (
            r"(?:phone|telephone|tel|mobile|cell|cellphone|cell_phone|mobile_phone|fax|msisdn|"
            r"contact_number|phone_number|mobile_number|telephone_number|tel_number|landline)"
        )
        + ID_SUFFIX
    )
    by_values = True
    # International (+44 20 7946 0958, 0049 30 ...) and NANP (617.728.8451, (617) 728-8451) notations.
    # `pre`: an IBAN's country, check digits and groups, or a digit group, before the number: the
    # "0044 0532 ..." of "DE89 3704 0044 0532 0130 00" is part of the IBAN, and a "00" group after
    # other digit groups is part of a longer number ("1-617-728-8451" keeps its NANP reading).
    text_pattern = (
        r"(?P<pre>\b[A-Z]{2}\d{2}[ -](?:[A-Z0-9]{4}[ -])*|\d[ .-])?"
        r"(?P<v>(?:\+\d{1,3}[ .-]?|\b00[1-9]\d{0,2}[ .-])(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}\b|"
        r"(?:\(\d{3}\)\s?|\b\d{3}[-. ])\d{3}[-. ]\d{4}\b)"
    )
    text_hint = TextHint(shapes=("phone",))
    context_patterns = (
        # National notations with a trunk 0 (020 7946 0958, 030 12345678, 06 12 34 56 78, (02) 9876 5432):
        # valid in one of phone.NATIONAL_REGIONS by `phonenumbers`, and not shaped like a date.
        TextPattern(
            r"(?P<pre>\d[ .\-/]|\b[A-Z]{4} |(?i:\b(?:licen[cs]e|dl|passport|acct|account|ssn|member|policy|claim|"
            r"order|invoice|ref|reference|id|no|number)\b\.?)\s*[:#]?\s*)?"
            r"(?P<v>(?:\(0\d{1,4}\)[ .\-/]?|\b0\d{1,4}[ .\-/])(?:\d{5,8}|\d{2,5}(?:[ .\-]\d{2,5}){1,4}))\b",
            TextHint(shapes=("zero_group",)),
            "validate_national_text",
        ),
        # Any notation, bare digits included, right after a phone keyword (up to three words apart).
        TextPattern(
            rf"(?i:\b(?:{'|'.join(_PHONE_KEYWORDS)})\b)\.?{_GAP}{{0,30}}"
            rf"(?P<v>\d{{3}}\)\s?\d{{3}}[-. ]\d{{4}}|{_PHONE_NOTATION})\b",
            TextHint(keywords=_PHONE_KEYWORDS),
            "validate_context",
        ),
    )

    def validate(self, values: pa.Array) -> np.ndarray:
        # In a phone column a number that is possible by its numbering plan counts, even when
        # `phonenumbers` does not know it as assigned.
        return phone.valid_phones(values, possible=True)

    def evidence(self, values: pa.Array) -> np.ndarray:
        # Bare 10-digit strings may be any number; formatted ones are checked by phonenumbers itself.
        index = np.flatnonzero(self._formatted(values))
        out = np.zeros(len(values), dtype=bool)
        out[index] = phone.phonenumbers_valid(values.take(pa.array(index)).to_pylist())
        return out

    def evidence_ceiling(self, values: pa.Array) -> float:
        # A bound read on the bytes (PHONE_SHAPE's first character and length); the two regexes of the
        # exact share only when it leaves the type a chance (classification asks for 0.8 and up).
        shaped = share_starting_with(values, b"+0123456789 \t\n\v\f\r().-/", min_bytes=6, max_bytes=26)
        if shaped < 0.5:
            return shaped
        return float(np.mean(self._formatted(values))) if len(values) else 0.0

    @staticmethod
    def _formatted(values: pa.Array) -> np.ndarray:
        return matches(values, r"^\+|[\s().-]") & matches(values, phone.PHONE_SHAPE)

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        value = found.field("v")
        valid = phone.valid_phones(value, national_formats=False)
        # Not in an IBAN (a `pre` longer than a digit and a separator), no "00" group after other
        # digit groups, and "00" numbers of 13 digits at most (E.164 allows 15 with the country
        # code, but none of the countries tried more than 13): "0063 3559 1646 0923" is a reference.
        suspect = valid & (_context_group(found, "pre") | starting_with(value, b"0"))
        if suspect.any():
            index = np.flatnonzero(suspect)
            some, before = value.take(pa.array(index)), found.field("pre").take(pa.array(index))
            length = pc.fill_null(pc.utf8_length(before), 0).to_numpy(zero_copy_only=False)
            zero = starting_with(some, b"0")
            too_long = zero & ((lengths(strip_chars(some, r"\D")) > 15) | matches(some, phone.NOT_A_PHONE))
            valid[index] = (length <= 2) & ~(zero & (length > 0)) & ~too_long
        return valid

    def validate_national_text(self, found: pa.StructArray) -> np.ndarray:
        # Not a group inside a longer run of groups (a card number, an IBAN's "GB29 NWBK 6016 ...") nor
        # another identifier's number ("driver's license 078 107 860"): `pre` holds what precedes it.
        # `phonenumbers` (per distinct value) only for what passes the cheap checks.
        value = found.field("v")
        digits = lengths(strip_chars(value, r"\D"))
        alone = ~_context_group(found, "pre") & (digits >= 9)
        shaped = validate_where(value, alone, lambda some: ~matches(some, phone.NOT_A_PHONE))
        return validate_where(value, shaped, phone.valid_phones)

    def validate_context(self, found: pa.StructArray) -> np.ndarray:
        value = found.field("v")
        digits = lengths(strip_chars(value, r"\D"))
        sized = (digits >= 7) & (digits <= 15)
        shaped = validate_where(value, sized, lambda some: ~matches(some, phone.NOT_A_PHONE))
        valid = validate_where(value, shaped, phone.valid_phones)
        # A keyword also lets a national number without trunk 0 count ("mobile 98765 43210").
        other_country = shaped & ~valid & ~matches(value, phone.NANP_NOTATION)
        return valid | validate_where(value, other_country, phone.valid_in_regions)


@register
class IpAddressRecognizer(Recognizer):
    id_type = IdType.IP_ADDRESS
    header = (
        ANY_PREFIX
        + (
            r"(?:ip|ip_address|ip_addr|ipaddress|ipaddr|ipv4|ipv6|ip_v4|ip_v6|remote_addr|remote_address|"
            r"client_address|source_address|src_addr|dst_addr|dest_addr|host_address|ip_addresses)"
        )
        + ID_SUFFIX
    )
    by_values = True
    _OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
    text_pattern = (
        r"(?P<neg>(?i:\bv|\bver\.?\s*|\bversion\s*|\brelease\s*|\bbuild\s*|\bfirmware\s*|\bfw\s*|"
        r"\bsoftware\s*|\bkernel\s*|\bbios\s*)|\d\.)?"
        rf"\b(?P<v>{IPV4}|[0-9A-Fa-f]{{1,4}}(?::[0-9A-Fa-f]{{0,4}}){{2,7}})\b"
    )
    text_hint = TextHint(shapes=("dotted_quad", "hex_colons"))

    def validate(self, values: pa.Array) -> np.ndarray:
        valid = matches(values, rf"^{self.IPV4}$")
        maybe_v6 = matches(values, r"^[0-9A-Fa-f:.]{2,45}(?:%\w+)?$") & matches(values, ":.*:")
        return valid | validate_where(values, maybe_v6, self._ipv6)

    def evidence_ceiling(self, values: pa.Array) -> float:
        return min(share_starting_with(values, _HEX + b":.", min_bytes=2), share_containing(values, b".:"))

    def published(self, values: pa.Array) -> np.ndarray:
        # What the coarsen anonymizer publishes: the /24 network of an IPv4 address, the /48 of an
        # IPv6 one, in CIDR notation.
        return matches(values, rf"^{self._OCTET}(?:\.{self._OCTET}){{2}}\.0/24$|^[0-9A-Fa-f:]+::/48$")

    @staticmethod
    def _ipv6(values: pa.Array) -> np.ndarray:
        def parses(text: str) -> bool:
            try:
                return isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
            except ValueError:
                return False

        return np.array([parses(text) for text in values.to_pylist()], dtype=bool)

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        return self.validate(found.field("v")) & ~_context_group(found, "neg")


@register
class UrlRecognizer(Recognizer):
    id_type = IdType.URL
    header = (
        ANY_PREFIX
        + (
            r"(?:url|uri|website|web_site|homepage|home_page|link|web_address|web_page|webpage|"
            r"profile_url|profile_link|social_media|linkedin|facebook|twitter)"
        )
        + ID_SUFFIX
    )
    by_values = True
    text_pattern = r"(?P<v>\b(?i:(?:https?|ftp)://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)\]])"
    text_hint = TextHint(keywords=("http", "ftp", "www."))

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(
            values,
            r"^(?i:(?:https?|ftp)://[^\s/?#@]+(?:@[^\s/?#]+)?(?:[/?#]\S*)?|www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/?#:]\S*)?)$",
        )

    def evidence_ceiling(self, values: pa.Array) -> float:
        # Case-insensitive: non-ASCII letters that fold to ASCII ones count too.
        return share_starting_with(values, b"hHfFwW", non_ascii=True, min_bytes=5)


# --- people and places -----------------------------------------------------------------------------


@register
class PersonNameRecognizer(Recognizer):
    id_type = IdType.PERSON_NAME
    # Qualified names ("patient_first_name", "cardholder_name", "pcp_name") or bare "name", and the
    # people a column can name by role ("cardholder", "referring_md", "requester"); not "product_name".
    header = (
        r"(?:[a-z0-9]+_)*(?:first|last|full|given|family|middle|maiden|sur|fore|display|legal|preferred|"
        r"patient|customer|client|person|member|subscriber|guarantor|contact|employee|cardholder|card_holder|"
        r"account_holder|holder|beneficiary|insured|applicant|owner|emergency_contact|parent|guardian|"
        r"spouse|mother|father|physician|doctor|provider|nurse|student|passenger|recipient|sender|"
        r"payee|payer|pcp|referring|attending|ordering|rendering|treating|prescriber|prescribing|surgeon|"
        r"therapist|caregiver|kin|next_of_kin|relative|requester|requestor|assignee|reporter|author|agent|"
        r"rep|representative|manager|supervisor|signer|witness|driver|tenant|guest|visitor|candidate|"
        r"traveler|traveller|buyer|seller|shipper|consignee)_?names?|names?|surname|forename|given_names?|"
        r"patient|customer|cardholder|card_holder|account_holder|requester|requestor|assignee|"
        r"(?:[a-z0-9]+_)*(?:pcp|referring|attending|ordering|rendering|treating|primary_care)_"
        r"(?:md|dr|doctor|physician|provider|clinician)|physician|doctor|attending|next_of_kin"
    )
    text_pattern = (
        r"(?:(?i:\b(?:patient|patient name|name|pt))\s*:|\b(?:Mr|Mrs|Ms|Miss|Mx)\.?|\b(?:Dr|Prof)\.)"
        r"\s*(?P<v>(?:(?:van|von|de|der|den|het|'t|te|op|die|di|da|del|della|du|le|la|ter|ten|zu|zur|al|el|"
        r"bin|ben|dos|das|do) ){0,2}"
        r"(?:[A-ZÀ-ÖØ-Þ](?:[a-zß-öø-ÿ]|['’][A-ZÀ-ÖØ-Þ])[A-Za-zÀ-ÖØ-öø-ÿ'’-]*|[A-ZÀ-ÖØ-Þ]{2,}\b)"
        r"(?: (?:[A-ZÀ-ÖØ-Þ](?:[a-zß-öø-ÿ]|['’][A-ZÀ-ÖØ-Þ])[A-Za-zÀ-ÖØ-öø-ÿ'’-]*|[A-ZÀ-ÖØ-Þ]{2,}\b)){0,2})"
    )
    text_hint = TextHint(keywords=("patient", "name", "pt"), exact=("Mr", "Ms", "Miss", "Mx", "Dr.", "Prof."))
    # Notes typed in lower case ("referred by dr. evans", "name: geoffrey williams"): a title with
    # its full stop, or a name label, then one or two words, the first not a common word.
    context_patterns = (
        TextPattern(
            r"(?:(?i:\b(?:patient|patient name|name|pt))\s*:|\b(?:mr|mrs|ms|miss|mx|dr|prof)\.)\s*"
            r"(?P<v>[a-zß-öø-ÿ][a-zß-öø-ÿ'-]+(?: [a-zß-öø-ÿ][a-zß-öø-ÿ'-]+)?)",
            TextHint(keywords=("patient", "name", "pt", "mr", "mrs", "ms", "miss", "mx", "dr", "prof")),
            "validate_lower_case",
        ),
    )
    _COMMON_WORDS = (
        "a", "an", "the", "to", "for", "at", "in", "on", "of", "with", "and", "or", "is", "was", "will",
        "has", "had", "not", "no", "none", "n", "na", "unknown", "see", "per", "re", "about", "office",
        "on-call", "oncall", "pending", "tbd", "same", "self",
    )  # fmt: skip

    def validate(self, values: pa.Array) -> np.ndarray:
        found = native_check("name", values)  # ASCII names decided in C, UNDECIDED for the others
        if found is None:
            return self._validate_unicode(values)
        valid = found == 1
        undecided = np.flatnonzero(found == UNDECIDED)
        if undecided.size:
            valid[undecided] = self._validate_unicode(values.take(pa.array(undecided)))
        return valid

    @staticmethod
    def _validate_unicode(values: pa.Array) -> np.ndarray:
        # A name may start with an apostrophe ("'s Gravensande, Jennifer").
        return matches(values, r"^['’]?\pL[\pL\pM'’. ,-]*$") & (lengths(values) >= 2)

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        # The context word is the evidence; a capitalised word after "Patient:" is a name.
        return np.ones(len(found), dtype=bool)

    def validate_lower_case(self, found: pa.StructArray) -> np.ndarray:
        first = pc.utf8_split_whitespace(found.field("v"), max_splits=1)
        first_word = pc.list_element(first, 0)
        return ~to_mask(pc.is_in(first_word, value_set=pa.array(self._COMMON_WORDS)))


_STREET_SUFFIX = (
    r"(?i:street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|terrace|ter|"
    r"way|circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|plaza|plz|loop|alley|aly|crossing|xing|"
    r"row|run|path|pike|point|ridge|route|rte|walk|heights|hts|hill|hills|park|grove|gardens|gdns|"
    r"crescent|cres|close|mews|estate|expressway|expy|freeway|fwy|turnpike|tpke|center|ctr|common|"
    r"commons|bypass|byp|causeway|cswy|junction|jct|landing|lndg|manor|mnr|meadows|mdws|mission|msn|"
    r"port|prairie|ranch|shores|springs|station|sta|summit|smt|track|trace|trce|union|valley|vly|"
    r"view|vw|village|vlg|ville|vista|vis|well|wells|crest|creek|cove|cv|falls|ferry|forest|ford|fork|"
    r"forks|fort|ft|garden|gateway|glen|green|harbor|hbr|haven|island|isle|key|knoll|lake|lakes|"
    r"light|lock|lodge|mall|mill|mills|motorway|neck|orchard|oval|pass|pines|plains|radial|ramp|"
    r"rapids|rest|shoal|skyway|spur|stream|throughway|tunnel|underpass|wall|ways)"
)
_STREET_SUFFIXES = tuple(_STREET_SUFFIX.removeprefix("(?i:").removesuffix(")").split("|"))
# The street's words hold no full stop, but for an initial or a saint ("N.", "St."), so a match
# cannot run over a sentence's end ("500 mg BID. Pt ...").
STREET_ADDRESS = (
    rf"\d{{1,6}}[A-Za-z]?(?:\s+[NSEW]\.?)?(?:\s+(?:[A-Za-z][A-Za-z0-9'-]*|\d+(?:st|nd|rd|th)|[A-Z]\.|St\.|Mt\.|Ft\.)){{1,4}}?"
    rf"\s+{_STREET_SUFFIX}\.?\b"
)
# Words that end a clause, not a street's name: a match holding one is a sentence ("follow up in 3
# weeks with Dr Smith", "take 2 tablets at night").
_NOT_STREET_WORDS = (
    "with", "in", "at", "to", "for", "on", "by", "of", "and", "or", "then", "than", "after", "before",
    "every", "per", "mg", "ml", "mcg", "units", "tablets", "tabs", "pills", "doses", "times", "x",
    "day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours", "minutes",
    "visits", "patient", "pt", "was", "is", "are", "has", "had", "no", "not",
)  # fmt: skip


@register
class StreetAddressRecognizer(Recognizer):
    id_type = IdType.STREET_ADDRESS
    # Not "mac_address", "ip_address", "email_address": those belong to later recognizers.
    header = (
        r"(?!(?:[a-z0-9]+_)*(?:mac|ip|ipv4|ipv6|email|e_mail|mail|web|url|wallet)_addr)"
        + ANY_PREFIX
        + (
            r"(?:address|addr|street|street_address|street_addr|street_name|address_line_?\d?|addr_line_?\d?|"
            r"address_\d|full_address|residence|residential_address|mailing_address|home_address)"
        )
    )
    by_values = True
    text_pattern = rf"\b(?P<v>{STREET_ADDRESS})"
    text_hint = TextHint(whole_words=_STREET_SUFFIXES, requires=("digit",))

    def validate(self, values: pa.Array) -> np.ndarray:
        # In an address column also accept non-US forms: "10 Downing Street", "Hauptstraße 5", "PO Box 12",
        # "22/02, Mitra Chowk", and a street type first without a number ("rue de la Paix").
        us_style = self.evidence(values)
        other = (
            r"^\d{1,6}(?:/\d{1,6})?[A-Za-z]?[ ,]+\pL[\pL'’.-]+|^\pL[\pL\pM .'-]*\pL\.?,?\s+\d{1,5}[A-Za-z]?\b|"
            r"(?i)^p\.?\s*o\.?\s*box\s+\d+"
        )
        street_first = (
            r"(?i)^(?:rue|avenue|av\.?|boulevard|bd|chemin|place|all[ée]e|impasse|route|quai|cours|via|viale|"
            r"piazza|corso|calle|avenida|plaza|paseo|carrer|camino|rua|travessa)\s+\pL"
        )
        # Each form holds a digit and starts with one or has a space: others (tokens, "N/A") skip the regex.
        maybe = (
            ~us_style & containing(values, _DIGITS) & (starting_with(values, _DIGITS) | _has_space(values))
        )
        named_first = ~us_style & ~maybe & _has_space(values)
        return (
            us_style
            | validate_where(values, maybe, lambda rest: matches(rest, other))
            | validate_where(values, named_first, lambda rest: matches(rest, street_first))
        )

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        words = pc.utf8_lower(found.field("v"))
        clause = r"\s(?:" + "|".join(_NOT_STREET_WORDS) + r")\s"
        return self.validate(found.field("v")) & ~matches(words, clause)

    def evidence(self, values: pa.Array) -> np.ndarray:
        return matches(values, rf"^{STREET_ADDRESS}")

    def evidence_ceiling(self, values: pa.Array) -> float:
        # A house number first, a space before the street suffix.
        shaped = starting_with(values, _DIGITS, min_bytes=4) & _has_space(values)
        return float(np.mean(shaped)) if len(values) else 1.0


US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "DC",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
        "AA",
        "AE",
        "AP",
    ]
)


@register
class ZipCodeRecognizer(Recognizer):
    id_type = IdType.ZIP_CODE
    header = (
        ANY_PREFIX
        + (
            r"(?:zip|zipcode|zip_code|zip5|zip4|zip_plus_4|zip_plus4|postal_code|postalcode|postcode|post_code|"
            r"postal|plz)"
        )
        + ID_SUFFIX
    )
    # After a keyword, a state ("Boston, MA 02118"), or a lower-case state after a comma ("east
    # tiffany, id 83520" in a note written in lower case).
    text_pattern = (
        r"(?:(?i:\bzip(?:\s*code)?|\bpostal\s*code)\s*[:#]?\s*|\b(?P<st>[A-Z]{2})\s+|,\s*(?P<lst>[a-z]{2})\s+)"
        r"(?P<v>\d{5}(?:-\d{4})?)\b"
    )
    text_hint = TextHint(shapes=("caps_zip",), keywords=("zip", "postal"))
    # Any country's postcode after a keyword: "postal code EH8W 7PH", "postcode 264220".
    context_patterns = (
        TextPattern(
            r"(?i:\bzip(?:\s*code)?|\bpostal\s*code|\bpost\s*code|\bpostcode)\s*[:#]?\s*"
            r"(?P<v>[A-Za-z0-9]{2,6}(?:[ -][A-Za-z0-9]{3,4})?)\b",
            TextHint(keywords=("zip", "postal", "postcode", "post")),
            "validate_postcode_text",
        ),
    )
    integer_width = 5

    def validate(self, values: pa.Array) -> np.ndarray:
        found = native_check("zip", values)  # 1 when one of the US, Canadian or UK shapes below matches
        if found is not None:
            valid = found == 1
            return valid | validate_where(values, ~valid, self._other_countries)
        us = matches(values, r"^\d{5}(?:-?\d{4})?$") & ~matches(values, r"^00000")
        canada = matches(values, r"^[ABCEGHJ-NPRSTVXYabceghj-nprstvxy]\d[A-Za-z] ?\d[A-Za-z]\d$")
        uk = matches(values, r"^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$")
        return us | canada | uk | self._other_countries(values)

    @staticmethod
    def _other_countries(values: pa.Array) -> np.ndarray:
        """Postcodes of other countries, where a header says postcode: 4 digits (AU, AT, BE, CH, DK, NL,
        NO...), 6 (IN, CN, RU, SG), NL 1234 AB, PL 12-345, PT 1234-567, BR 12345-678, JP 123-4567."""
        return validate_where(
            values,
            containing(values, _DIGITS),
            lambda some: matches(
                some,
                r"^(?:[1-9]\d{3}|\d{6}|[1-9]\d{3} ?[A-Za-z]{2}|\d{2}-\d{3}|\d{4}-\d{3}|\d{5}-\d{3}|\d{3}-\d{4})$",
            ),
        )

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        # A US ZIP code after a keyword or a real state abbreviation.
        states = pa.array(sorted(US_STATES))
        state_ok = to_mask(pc.is_in(found.field("st"), value_set=states))
        lower_ok = to_mask(pc.is_in(pc.utf8_upper(found.field("lst")), value_set=states))
        keyword = ~_context_group(found, "st") & ~_context_group(found, "lst")
        return self.validate(found.field("v")) & (state_ok | lower_ok | keyword)

    def validate_postcode_text(self, found: pa.StructArray) -> np.ndarray:
        value = found.field("v")
        return self.validate(value) & _has_digit(value)


# --- health ----------------------------------------------------------------------------------------


@register
class DateOfBirthRecognizer(Recognizer):
    id_type = IdType.DATE_OF_BIRTH
    header = ANY_PREFIX + (
        r"(?:dob|d_o_b|birth_date|birthdate|date_of_birth|birthday|bday|birth_dt|dob_date|born|born_on|"
        r"birth|date_birth|dt_of_birth|birth_day)"
    )
    _DATE = (
        r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}\.\d{1,2}\.\d{4}|"
        r"(?i:[a-z]{3,9})\.? \d{1,2},? \d{4}|\d{1,2} (?i:[a-z]{3,9})\.? \d{4}"
    )
    text_pattern = (
        r"(?i:\bdob\b|\bd\.o\.b\.?|\bdate of birth|\bborn(?:\s+on)?|\bbirth\s*date|\bbirthday)"
        rf"\s*[:#-]?\s*(?P<v>{_DATE})"
    )
    text_hint = TextHint(keywords=("dob", "d.o.b", "date of birth", "born", "birth"))
    FORMATS = (
        "%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y", "%m-%d-%Y", "%d-%m-%Y", "%Y%m%d",
        "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%m/%d/%y",
    )  # fmt: skip
    MAX_AGE_YEARS = 120
    # A parse must consume the whole value, and no FORMATS field or separator (nor any month name)
    # reads these characters: values holding one (tokens, masked values) skip the 15 attempts.
    UNPARSEABLE = r"[_*]"
    DATE_BIAS = 1_000_000  # native_check("date") adds it to the days since 1970 (see native/id_checks.c)

    def validate(self, values: pa.Array) -> np.ndarray:
        # ISO dates (most of a column) are read in C: days since 1970 + DATE_BIAS; NO_MATCH for values
        # no format reads; UNDECIDED for the rest, which strptime reads.
        found = native_check("date", values)
        if found is None:
            parsed = self._parse(values)
        else:
            decided = found >= 0
            parsed = np.where(decided, (found - self.DATE_BIAS) * 86400, np.iinfo(np.int64).min)
            undecided = np.flatnonzero(found == UNDECIDED)
            if undecided.size:
                parsed[undecided] = self._parse(values.take(pa.array(undecided)))
        today = dt.date.today()
        latest = (today - dt.date(1970, 1, 1)).days * 86400
        earliest = (
            dt.date(today.year - self.MAX_AGE_YEARS, today.month, 1) - dt.date(1970, 1, 1)
        ).days * 86400
        return (parsed >= earliest) & (parsed <= latest)

    def published(self, values: pa.Array) -> np.ndarray:
        # Safe Harbor keeps the year; k-anonymity may publish a range of years.
        return matches(values, r"^(?:1[89]|20)\d{2}(?:\s*-\s*(?:1[89]|20)\d{2})?$")

    def _parse(self, values: pa.Array) -> np.ndarray:
        """Seconds since 1970 of each value read with the first of FORMATS that fits it; int64 min
        for nulls and values no format reads."""
        # Timestamps ("1980-05-03T00:00:00", "1980-05-03 00:00:00") count by their date part.
        text = pc.if_else(
            matches(values, r"^\d{4}-\d{2}-\d{2}[T ]"), pc.utf8_slice_codeunits(values, 0, 10), values
        )
        parsed = np.full(len(values), np.iinfo(np.int64).min, dtype=np.int64)
        pending = matches(text, r"\d{2}") & ~matches(text, self.UNPARSEABLE)
        # A format reads only values holding its literal separator (or a month name's letters): each
        # value is tried with the few formats of its shape, not all fifteen.
        shape = {sep: containing(text, sep.encode()) for sep in "/.-"}
        shape["letters"] = containing(text, _LETTERS)
        shape["digits"] = ~(shape["/"] | shape["."] | shape["-"] | shape["letters"])
        for pattern in self.FORMATS:
            if not pending.any():
                break
            index = np.flatnonzero(pending & shape[self._shape_of(pattern)])
            if index.size == 0:
                continue
            candidates = text.take(pa.array(index))
            if "%b" in pattern or "%B" in pattern:  # "Mar. 5 1980" -> "Mar 5 1980"
                candidates = pc.replace_substring_regex(candidates, r"\.(?: |$)", " ")
            seconds = pc.strptime(candidates, format=pattern, unit="s", error_is_null=True)
            ok = to_mask(pc.is_valid(seconds))
            parsed[index[ok]] = seconds.filter(pa.array(ok)).cast(pa.int64()).to_numpy()
            pending[index[ok]] = False
        return parsed

    @staticmethod
    def _shape_of(pattern: str) -> str:
        if "%b" in pattern or "%B" in pattern:
            return "letters"
        return next((sep for sep in "/.-" if sep in pattern), "digits")


@register
class MrnRecognizer(Recognizer):
    id_type = IdType.MRN
    header = ANY_PREFIX + (
        r"(?:mrn|medical_record|medical_record_number|medical_record_no|medical_record_num|medical_record_id|"
        r"med_rec_no|med_rec_num|med_rec_number|patient_id|patient_number|patient_no|chart_number|chart_no|"
        r"chart_id|health_record_number|health_record_id|ehr_id|emr_id|hospital_number|hospital_no|"
        r"unit_number)"
    )
    text_pattern = (
        r"(?i:\bmrn|\bmedical\s+record(?:\s+(?:number|no\.?|num|#))?|\bchart\s*(?:number|no\.?|#))"
        r"\s*[:#]?\s*(?P<v>[A-Za-z0-9][A-Za-z0-9-]{5,13})\b"
    )
    text_hint = TextHint(keywords=("mrn", "medical", "chart"))

    def validate(self, values: pa.Array) -> np.ndarray:
        found = native_check("mrn", values)  # 1 when shaped like below
        if found is not None:
            return found == 1
        return matches(values, r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){5,11}$") & _has_digit(values)


@register
class NpiRecognizer(Recognizer):
    id_type = IdType.NPI
    header = (
        ANY_PREFIX + r"(?:npi|npi_number|npi_no|npi_id|national_provider_id|national_provider_identifier)"
    )
    by_values = True
    text_pattern = r"(?i:\bnpi)\s*(?:number|no\.?|#)?\s*[:#]?\s*(?P<v>\d{10})\b"
    text_hint = TextHint(keywords=("npi",))

    def validate(self, values: pa.Array) -> np.ndarray:
        found = native_check("npi", values)  # 1 when shaped like below and the check digit holds
        if found is not None:
            return found == 1
        shaped = matches(values, r"^[12]\d{9}$")
        # The check digit covers the card-issuer prefix 80840 (ISO 7812 health industry).
        return validate_where(
            values,
            shaped,
            lambda npi: luhn_valid(digits_of(pc.binary_join_element_wise("80840", npi, ""), 15)),
        )

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_starting_with(values, b"12", min_bytes=10, max_bytes=10)


@register
class HealthPlanIdRecognizer(Recognizer):
    id_type = IdType.HEALTH_PLAN_ID
    header = ANY_PREFIX + (
        r"(?:member_id|member_number|member_no|health_plan_id|health_plan_number|health_plan_beneficiary_number|"
        r"plan_member_id|insurance_id|insurance_number|insurance_no|insurance_member_id|policy_number|policy_no|"
        r"policy_id|subscriber_id|subscriber_number|beneficiary_id|beneficiary_number|medicare_id|"
        r"medicare_number|medicaid_id|medicaid_number|mbi|hicn|insured_id)"
    )
    text_pattern = (
        r"(?i:\bmember\s*id|\bhealth\s*plan\s*(?:id|number|no\.?)|\binsurance\s*(?:id|number|no\.?)|"
        r"\bpolicy\s*(?:number|no\.?|#)|\bsubscriber\s*id|\bmedicare\s*(?:id|number)|\bmedicaid\s*(?:id|number))"
        r"\s*[:#]?\s*(?P<v>[A-Za-z0-9][A-Za-z0-9-]{4,19})\b"
    )
    text_hint = TextHint(
        keywords=("member", "health", "insurance", "policy", "subscriber", "medicare", "medicaid")
    )

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(values, r"^[A-Za-z0-9][A-Za-z0-9-]{4,19}$") & _has_digit(values)


# --- documents, vehicles, devices, places ----------------------------------------------------------


@register
class DriverLicenseRecognizer(Recognizer):
    id_type = IdType.DRIVER_LICENSE
    header = ANY_PREFIX + (
        r"(?:drivers?_licen[cs]e|driving_licen[cs]e|drivers?_licen[cs]e_(?:number|no|num|id)|"
        r"driving_licen[cs]e_(?:number|no|num)|dl|dl_number|dl_no|dl_num|dl_id|licen[cs]e_number|licen[cs]e_no)"
    )
    text_pattern = (
        r"(?i:\bdriver'?s?\s*licen[cs]e(?:\s*(?:number|no\.?|#))?|\bdriving\s*licen[cs]e|\bDL\b\s*(?:#|no\.?|number)?)"
        r"\s*[:#]?\s*(?P<v>\d{2,4}(?: \d{2,4}){1,4}|[A-Za-z0-9][A-Za-z0-9-]{3,19})\b"
    )
    text_hint = TextHint(keywords=("driver", "driving", "dl"))

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(values, r"^[A-Za-z0-9][A-Za-z0-9 *-]{3,19}$") & _has_digit(values)


@register
class PassportRecognizer(Recognizer):
    id_type = IdType.PASSPORT
    header = ANY_PREFIX + r"(?:passport|passport_number|passport_no|passport_num|passport_id)"
    text_pattern = r"(?i:\bpassport(?:\s*(?:number|no\.?|#))?)\s*[:#]?\s*(?P<v>[A-Za-z0-9]{6,9})\b"
    text_hint = TextHint(keywords=("passport",))

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(values, r"^[A-Za-z0-9]{6,9}$") & _has_digit(values)


def _vin_transliteration() -> np.ndarray:
    """ISO 3779 character values indexed by byte code (I, O, Q never occur)."""
    table = np.zeros(256, dtype=np.int64)
    table[np.frombuffer(b"0123456789", dtype=np.uint8)] = np.arange(10)
    for letters, start in (("ABCDEFGH", 1), ("JKLMN", 1), ("P", 7), ("R", 9), ("STUVWXYZ", 2)):
        table[np.frombuffer(letters.encode(), dtype=np.uint8)] = np.arange(start, start + len(letters))
    return table


@register
class VinRecognizer(Recognizer):
    id_type = IdType.VIN
    header = ANY_PREFIX + (
        r"(?:vin|vin_number|vin_no|vehicle_identification_number|vehicle_id_number|vehicle_vin|chassis_number)"
    )
    by_values = True
    text_pattern = r"\b(?P<v>[A-HJ-NPR-Z0-9]{17})\b"
    text_hint = TextHint(shapes=("upper_run17",))
    _WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2])
    _VALUE = _vin_transliteration()

    def validate(self, values: pa.Array) -> np.ndarray:
        # Many non-North-American VINs carry no check digit: a well-formed VIN in a VIN column counts.
        return matches(pc.utf8_upper(values), r"^[A-HJ-NPR-Z0-9]{17}$")

    def evidence(self, values: pa.Array) -> np.ndarray:
        upper = pc.utf8_upper(values)
        return validate_where(upper, self.validate(values) & matches(upper, "[A-Z]"), self._check_digit)

    def evidence_ceiling(self, values: pa.Array) -> float:
        # Upper-casing may turn a non-ASCII letter (two bytes) into an ASCII one: longer values count too.
        return share_starting_with(
            values,
            _DIGITS + _LETTERS,
            non_ascii=True,
            min_bytes=17,
            max_bytes=17 * 4,
        )

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        return self.evidence(found.field("v"))

    @classmethod
    def _check_digit(cls, values: pa.Array) -> np.ndarray:
        codes = right_aligned_codes(values, 17)
        remainder = (cls._VALUE[codes] * cls._WEIGHTS).sum(axis=1) % 11
        expected = np.where(remainder == 10, ord("X"), remainder + ord("0"))
        return codes[:, 8] == expected


@register
class DeviceIdRecognizer(Recognizer):
    id_type = IdType.DEVICE_ID
    header = (
        ANY_PREFIX
        + (
            r"(?:device_id|device_uuid|device_identifier|device_serial|device|imei|imei_number|meid|mac|"
            r"mac_address|mac_addr|macaddress|idfa|idfv|gaid|aaid|adid|advertising_id|ad_id|android_id|udid|"
            r"hardware_id|hw_id|device_fingerprint)"
        )
        + ID_SUFFIX
    )
    by_values = True
    MAC = r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}"
    text_pattern = rf"(?P<c>(?i:\bimei)\s*[:#]?\s*)?\b(?P<v>{MAC}|\d{{15}})\b"
    text_hint = TextHint(shapes=("hex_run15",))

    # A vendor's own device id ("dev-577970162956", "SN-4F9A2C11", "SN-FCECDABF"): one token of six
    # letters, digits and separators or more, with two digits or a run of six hex digits. Only where
    # a header says device.
    VENDOR_ID = r"^[A-Za-z0-9](?:[A-Za-z0-9._:/-]{4,62})[A-Za-z0-9]$"
    context_patterns = (
        TextPattern(
            r"(?i:\b(?:device|imei|meid|serial|s/n|sn|idfa|gaid|adid|advertising\s+id)"
            r"(?:\s*(?:id|no\.?|number|#))?)[\s:#=]{1,3}(?P<v>[A-Za-z0-9][A-Za-z0-9:._-]{6,62}[A-Za-z0-9])\b",
            TextHint(
                keywords=("device", "imei", "meid", "serial", "sn", "idfa", "gaid", "adid", "advertising")
            ),
            "validate_context",
        ),
    )

    def validate(self, values: pa.Array) -> np.ndarray:
        uuid = matches(
            values, r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
        )
        android = matches(values, r"^[0-9a-fA-F]{16}$")
        return self.evidence(values) | self._imei(values) | uuid | android | self._vendor_id(values)

    def _vendor_id(self, values: pa.Array) -> np.ndarray:
        shaped = matches(values, self.VENDOR_ID) & matches(values, r"(?:\d\D*){2}|[0-9A-Fa-f]{6}")
        return shaped & ~matches(values, TOKEN_REGEX)  # a token this platform wrote is no raw id

    def validate_context(self, found: pa.StructArray) -> np.ndarray:
        # After "device id" / "serial": any id with four digits or more, but not a model name
        # ("iPhone14,2") or a version ("10.0.19045"), which hold fewer digits or only dotted numbers.
        value = found.field("v")
        dotted_number = matches(value, r"^\d+(?:\.\d+)+$")
        return self.validate(value) & ~dotted_number

    def evidence(self, values: pa.Array) -> np.ndarray:
        return matches(values, rf"^(?:{self.MAC}|[0-9A-Fa-f]{{4}}\.[0-9A-Fa-f]{{4}}\.[0-9A-Fa-f]{{4}})$")

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_starting_with(values, _HEX, min_bytes=14, max_bytes=17)

    @staticmethod
    def _imei(values: pa.Array) -> np.ndarray:
        return validate_where(
            values, matches(values, r"^\d{15}$"), lambda imei: luhn_valid(digits_of(imei, 15))
        )

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        # A bare 15-digit number is only an IMEI when the text says so.
        value = found.field("v")
        return self.evidence(value) | (self._imei(value) & _context_group(found, "c"))


@register
class GpsRecognizer(Recognizer):
    id_type = IdType.GPS_COORDINATES
    header = ANY_PREFIX + (
        r"(?:gps|gps_coordinates|gps_location|coordinates|coords|coord|lat_lon|lat_lng|lat_long|latlon|latlng|"
        r"latitude_longitude|location|geo|geolocation|geo_location|position|geopoint|geo_point|geo_coordinates)"
    )
    by_values = True
    header_needs_values = True
    PAIR = r"^\(?\s*(?P<lat>[-+]?\d{1,2}(?:\.\d+)?)\s*[,;/ ]\s*(?P<lon>[-+]?\d{1,3}(?:\.\d+)?)\s*\)?$"
    text_pattern = r"(?:^|[^\d.])(?P<v>[-+]?\d{1,2}\.\d+\s*,\s*[-+]?\d{1,3}\.\d+)\b"
    text_hint = TextHint(shapes=("decimal_comma",))

    def validate(self, values: pa.Array) -> np.ndarray:
        parts = pc.extract_regex(values, self.PAIR)
        if parts.null_count == len(parts):
            return np.zeros(len(values), dtype=bool)
        return to_mask(pc.is_valid(parts)) & self.validate_pair(parts.field("lat"), parts.field("lon"))

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_starting_with(values, b"(+- \t\n\f\r" + _DIGITS, min_bytes=3)

    def published(self, values: pa.Array) -> np.ndarray:
        # A coarse position (fewer decimals than gps_precision), as coordinate or "lat,lon" pair.
        coarse = rf"[-+]?\d{{1,3}}(?:\.\d{{0,{max(self.gps_precision - 1, 0)}}})?"
        return matches(values, rf"^\(?\s*{coarse}(?:\s*[,;/ ]\s*{coarse})?\s*\)?$")

    def validate_half(self, values: pa.Array, limit: float) -> np.ndarray:
        """A precise latitude (`limit` 90) or longitude (180) given in a column of its own."""
        return self._half(values, limit)

    def validate_pair(self, latitude: pa.Array, longitude: pa.Array) -> np.ndarray:
        """Precise positions: both halves in range with at least `gps_precision` decimals."""
        return self._half(latitude, 90.0) & self._half(longitude, 180.0)

    def _half(self, values: pa.Array, limit: float) -> np.ndarray:
        numeric = matches(values, rf"^[-+]?\d{{1,3}}\.\d{{{self.gps_precision},}}$")
        if self.gps_precision == 0:
            numeric |= matches(values, r"^[-+]?\d{1,3}$")
        number = pc.cast(pc.if_else(numeric, values, "nan"), pa.float64()).to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            return numeric & (np.abs(number) <= limit)


RECOGNIZERS_BY_TYPE: dict[IdType, type[Recognizer]] = {cls.id_type: cls for cls in REGISTRY}
