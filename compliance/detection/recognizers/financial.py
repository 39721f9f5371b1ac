"""Payment and bank identifiers: card number, card security code, IBAN, bank account."""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import (
    UNDECIDED,
    as_int,
    compact_digits,
    digits_of,
    lengths,
    luhn_valid,
    matches,
    mod97_remainder,
    native_check,
    right_aligned_codes,
    share_starting_with,
    strip_chars,
    validate_where,
    weighted_sum,
)
from compliance.detection.headers import ANY_PREFIX
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import DIGITS, LETTERS, Recognizer, TextPattern, context_group
from compliance.vocabulary import IdType

# Keys of non-personal references that payment exports give digit runs: "merchant_id", "txn_no",
# "TerminalID", "trace number", "rrn".
_REFERENCE_KEY = (
    r"(?:merchant|terminal|txn|transaction|trans|order|invoice|trace|batch|reference|ref|confirmation|"
    r"settlement|gateway|acquirer)[_ -]?(?:id|no|nr|num|number|nbr|ref|code)\b|\b(?:rrn|stan|arn|mid|tid)\b"
)
# A transaction named in prose ("..., txn 4662535775486349"): its number follows without a key sign.
_TRANSACTION_WORD = r"\b(?:txn|transaction)(?:\s*(?:id|no\.?|number|#))?\s*[:#]?\s*"


# IATA form of payment by card: CC + brand code (VI, CA, AX, DC, JC, TP, DS...) + PAN, then
# "/MMYY" and perhaps "*CV" + the security code; no word boundary before the PAN.
_FOP_CARD = r"(?:\bFP\s*|\b)CC[A-Z]{2}(?P<v>\d{12,19})\b"
_FOP_HINT = ("CC", "FP")

_CARD_WORDS = (
    "card", "visa", "mastercard", "amex", "discover", "jcb", "maestro", "karte", "kreditkarte", "carte",
    "tarjeta", "cartao", "carta",
)  # fmt: skip


class CreditCardRecognizer(Recognizer):
    id_type = IdType.CREDIT_CARD
    header = ANY_PREFIX + (
        r"(?:card_number|card_no|card_num|cc|cc_number|cc_num|cc_no|ccn|pan|card_pan|credit_card|"
        r"creditcard|credit_card_number|debit_card|debit_card_number|payment_card|primary_account_number)"
    )
    by_values = True
    # `other`: what makes the digits another identifier: an IBAN's country, check digits and groups
    # ("FR39 5215 3676 1623 9581 9053 506" holds a Luhn-valid run of four groups), a "+" (a phone
    # number in E.164), or an account keyword ("acct #6229318099237958"). `ref`: the key of a
    # non-personal reference ("merchant_id": "379455999659369", "txn_no=4612..."): a bare Luhn-valid
    # run there is that reference; a grouped number stays a card whatever its key.
    text_pattern = (
        r"(?P<other>\b[A-Z]{2}\d{2}[ -](?:[A-Z0-9]{4}[ -])*|\+|"
        r"(?i:\b(?:acct|account|routing|aba)\b\.?\s*(?:number|no\.?|num|#)?\s*[:#]?\s*))?"
        rf"(?P<ref>(?i:\b{_REFERENCE_KEY})\"?\s*[:=]\s*\"?|(?i:{_TRANSACTION_WORD}))?"
        # Groups may be two spaces apart, as typed ("6207  1643 3668 7241").
        # Amex and Diners in fours too ("3717 1163 7727 002", "3620 5831 6244 35").
        r"\b(?P<v>\d{4}(?: ?[ -]\d{4}){3}(?: ?[ -]\d{3})?|3[47]\d{2}(?: ?[ -]\d{4}){2} ?[ -]\d{3}|3[0689]\d{2}(?: ?[ -]\d{4}){2} ?[ -]\d{2}|"
        r"\d{4} ?[ -]\d{6} ?[ -]\d{4,5}|\d{13,19})\b"
    )
    text_hint = TextHint(shapes=("card_digits",))
    # After a card word a Luhn-valid run of 12 to 19 digits is that card, whatever its issuer prefix:
    # legacy and regional ranges (JCB's 15-digit 1800 / 2131, old Maestro 639...) stay no raw PAN.
    context_patterns = (
        TextPattern(
            r"(?i:\b(?:card|credit\s*card|debit\s*card|visa|mastercard|amex|discover|jcb|maestro|karte|"
            r"kreditkarte|carte|tarjeta|cartao|cartão|carta)\b)[^\d\n;]{0,20}"
            r"\b(?P<v>\d{4}(?:[ -]?\d{2,6}){2,4}|\d{12,19})\b",
            TextHint(keywords=_CARD_WORDS),
            "validate_after_keyword",
        ),
        # An airline PNR's form of payment: "CC", the brand's two-letter code and the PAN glued
        # together ("FP CCAX5562976969560812/0729*CV392"); the code is not always the PAN's brand.
        TextPattern(_FOP_CARD, TextHint(exact=_FOP_HINT), "validate_after_keyword"),
    )
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
        # Maestro: the IINs Mastercard still issues under it (5018, 5020, 5038, 5893, 6304, 6759,
        # 6761-6763), not all of 50 and 56-69: a 15-digit merchant id "6920..." is no card.
        (5018, 5018, 4, tuple(range(12, 20))),
        (5020, 5020, 4, tuple(range(12, 20))),
        (5038, 5038, 4, tuple(range(12, 20))),
        (5893, 5893, 4, tuple(range(12, 20))),
        (6304, 6304, 4, tuple(range(12, 20))),
        (6759, 6759, 4, tuple(range(12, 20))),
        (6761, 6763, 4, tuple(range(12, 20))),
    )

    # A column whose header names such a reference ("txn_id", "merchant_no"): its bare runs are that
    # reference (~4% of random 16-digit ids pass Luhn and a brand's prefix).
    REFERENCE_HEADER: ClassVar[re.Pattern[str]] = re.compile(rf"{ANY_PREFIX}(?:{_REFERENCE_KEY})")

    def __init__(self, *, gps_precision: int = 3, reference_column: bool = False) -> None:
        """`reference_column`: the texts are the values of a reference column (REFERENCE_HEADER)."""
        super().__init__(gps_precision=gps_precision)
        self.reference_column = reference_column

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
        return share_starting_with(values, DIGITS, min_bytes=12, max_bytes=37)

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        value = found.field("v")
        reference = (self.reference_column | context_group(found, "ref")) & ~matches(value, r"[ -]")
        # Groups two spaces apart are read as one space apart (the validator's shape).
        value = pc.replace_substring(value, "  ", " ")
        return self.validate(value) & ~context_group(found, "other") & ~reference

    def validate_after_keyword(self, found: pa.StructArray) -> np.ndarray:
        value = found.field("v")
        valid = self.validate(value)
        shaped = ~valid & matches(value, r"^\d(?:[ -]?\d){11,18}$")
        return valid | validate_where(value, shaped, lambda some: luhn_valid(compact_digits(some, 19, 40)[0]))

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


_CARD = CreditCardRecognizer()


class CardCvvRecognizer(Recognizer):
    id_type = IdType.CARD_CVV
    header = ANY_PREFIX + (
        r"(?:cvv|cvv2|cvc|cvc2|cvn|csc|cid|card_security_code|security_code|card_verification"
        r"(?:_value|_code|_number)?|cvv_code|cvv_number)"
    )
    # A JSON or key=value key too ("cvv": "624", cvc2=123, "security_code": "931"), and the long
    # names ("card verification value 675", "card verification code").
    text_pattern = (
        r"(?i:\b(?:cvv2?|cvc2?|cvn|(?:card[ _-]?)?security[ _-]?code|card[ _-]?verification[ _-]?(?:value|code|number)))"
        r"\"?\s*[:#=]?\s*\"?(?P<v>\d{3,4})\b"
    )
    text_hint = TextHint(keywords=("cvv", "cvc", "cvn", "security", "card"))
    context_patterns = (
        # American Express prints a four-digit CID ("CID 2315"), and some forms call any card's code
        # so ("CID 380"); capitals only: "cid" is also a caller or client id.
        TextPattern(r"\bCID\"?\s*[:#=]?\s*\"?(?P<v>\d{3,4})\b", TextHint(exact=("CID",)), "validate_value"),
        # Mail and telephone orders write card, expiry and code one after the other:
        # "6538-2621-6739-4869 02/30 897", "4111111111111111, exp 12/27, 123".
        TextPattern(
            r"\b(?P<card>\d(?:[ -]?\d){12,18})[\s,;/]+"
            r"(?i:(?:exp(?:iry|ires|iration)?(?:\s*date)?\.?)\s*[:#]?\s*)?(?:0[1-9]|1[0-2])\s*/\s*(?:20)?\d{2}"
            r"[\s,;/]+(?P<v>\d{3,4})\b",
            TextHint(shapes=("card_digits",)),
            "validate_after_card",
        ),
        TextPattern(
            _FOP_CARD.replace("(?P<v>", "(?P<card>") + r"/\d{4}\*CV(?P<v>\d{3,4})\b",
            TextHint(exact=_FOP_HINT),
            "validate_after_fop_card",
        ),
    )
    integer_width = 3

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(values, r"^\d{3,4}$")

    def validate_after_card(self, found: pa.StructArray) -> np.ndarray:
        # The code of a card only: the run before the expiry must be a card number.
        return self.validate(found.field("v")) & _CARD.validate(found.field("card"))

    def validate_after_fop_card(self, found: pa.StructArray) -> np.ndarray:
        # The card code names a card: a Luhn-valid run is enough, as after a card word.
        card = pa.StructArray.from_arrays([found.field("card")], names=["v"])
        return self.validate(found.field("v")) & _CARD.validate_after_keyword(card)


def _length_by_country_code(lengths: dict[str, int]) -> np.ndarray:
    """IBAN length per country, indexed as native_check("iban") codes countries (AA = 0 .. ZZ = 675);
    0 for no such country."""
    table = np.zeros(26 * 26, dtype=np.int64)
    for country, length in lengths.items():
        table[(ord(country[0]) - ord("A")) * 26 + ord(country[1]) - ord("A")] = length
    return table


# ISO 13616 registry: country -> IBAN length.
_IBAN_LENGTHS: dict[str, int] = {
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


def _grouped_by_length() -> str:
    """A pattern of IBANs written in groups of four (space-separated), the number of groups and the
    last group's size fixed by each country's length (_IBAN_LENGTHS)."""
    by_length: dict[int, list[str]] = {}
    for country, length in _IBAN_LENGTHS.items():
        by_length.setdefault(length, []).append(country)
    forms = []
    for length, countries in sorted(by_length.items()):
        groups, rest = divmod(length - 4, 4)
        tail = f" [A-Z0-9]{{{rest}}}" if rest else ""
        forms.append(f"(?:{'|'.join(countries)})\\d{{2}}(?: [A-Z0-9]{{4}}){{{groups}}}{tail}")
    return rf"\b(?P<v>{'|'.join(forms)})\b"


class IbanRecognizer(Recognizer):
    id_type = IdType.IBAN
    header = ANY_PREFIX + r"(?:iban|iban_number|iban_code|international_bank_account_number)"
    by_values = True
    text_pattern = r"\b(?P<v>[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)\b"
    text_hint = TextHint(shapes=("caps_digits",))
    context_patterns = (
        # Any case after its word, also "IBAN is at24...", "IBAN number: de89...".
        # There a valid mod-97 check is enough, whatever the length the country registered: the
        # word says what it is, and a length off by a character is a typo of that person's IBAN.
        TextPattern(
            r"(?i:\biban(?:[^\w\n]{1,4}(?:is|number|no|nr|num)\b)?)[^\w\n]{0,4}"
            r"(?P<v>(?i:[a-z]{2}\d{2}(?:[ -]?[a-z0-9]){11,30}))\b",
            TextHint(keywords=("iban",)),
            "validate_after_keyword",
        ),
        # After an account word of a language ("Konto GB16QGIT...", "compte FR76 ..."), in capitals.
        TextPattern(
            r"(?i:\b(?:konto|kontonummer|account|acct|a/c|rekening|compte|cuenta|conto|bank\s+details))"
            r"[^\w\n]{0,4}(?P<v>[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]){11,30})\b",
            TextHint(
                keywords=("konto", "account", "acct", "a/c", "rekening", "compte", "cuenta", "conto", "bank")
            ),
            "validate_after_keyword",
        ),
        # Any case, a few words after an account word of a language ("mi cuenta es es97 9207 ...",
        # "mon rib : fr62 5784 ...", "Konto überweisen: de10 ..."): the country's length and mod 97
        # must hold, as without a word.
        TextPattern(
            r"(?i:\b(?:konto|kontonummer|account|acct|rekening|compte|cuenta|conto|rib)\b)[^\d\n.;]{0,24}?"
            r"\b(?P<v>(?i:[a-z]{2}\d{2}(?:[ -]?[a-z0-9]){11,30}))\b",
            TextHint(keywords=("konto", "account", "acct", "rekening", "compte", "cuenta", "conto", "rib")),
        ),
        # Glued to an MT940 :86: or SEPA subfield tag ("?31QA93UMVC...?32Name"): no word start.
        TextPattern(r"\?\d{2}(?P<v>[A-Z]{2}\d{2}[A-Z0-9]{11,30})\b", TextHint(shapes=("caps_digits",))),
        # Grouped by four with a capitalised word after it ("RO11 CQJV ... COLC MONTHLY"): the
        # country's registered length says how many groups it has, so the word is not read as one.
        TextPattern(_grouped_by_length(), TextHint(shapes=("caps_digits",))),
    )
    LENGTHS: ClassVar[dict[str, int]] = _IBAN_LENGTHS
    _LENGTH_BY_CODE: ClassVar[np.ndarray] = _length_by_country_code(LENGTHS)
    _COUNTRIES: ClassVar[pa.Array] = pa.array(list(LENGTHS))
    _EXPECTED_LENGTHS: ClassVar[np.ndarray] = np.array([*LENGTHS.values(), 0])  # 0: no such country

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

    def validate_after_keyword(self, found: pa.StructArray) -> np.ndarray:
        valid = self.validate_text(found)
        value = found.field("v")
        for tail in ("", r" [A-Za-z0-9]{1,4}$", r"(?: [A-Za-z]+)+$"):  # as validate_text retries
            retry = np.flatnonzero(~valid)
            if retry.size:
                some = value.take(pa.array(retry))
                valid[retry] = self._validate_compact(
                    pc.replace_substring_regex(some, tail, "") if tail else some, any_length=True
                )
        return valid

    def evidence_ceiling(self, values: pa.Array) -> float:
        # Spaces and dashes are dropped and case mapped (even from non-ASCII) before the shape check.
        return share_starting_with(values, LETTERS + b" -", non_ascii=True, min_bytes=15)

    def _validate_compact(self, values: pa.Array, *, any_length: bool = False) -> np.ndarray:
        compact = pc.utf8_upper(strip_chars(values, r"[ -]"))
        shaped = matches(compact, r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
        return validate_where(compact, shaped, lambda some: self._check(some, any_length=any_length))

    def _check(self, compact: pa.Array, *, any_length: bool = False) -> np.ndarray:
        country = pc.utf8_slice_codeunits(compact, 0, 2)
        position = pc.fill_null(pc.index_in(country, value_set=self._COUNTRIES), -1)
        length_ok = any_length | (self._EXPECTED_LENGTHS[position.to_numpy()] == lengths(compact))
        rearranged = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(compact, 4), pc.utf8_slice_codeunits(compact, 0, 4), ""
        )
        return length_ok & (mod97_remainder(right_aligned_codes(rearranged, 34)) == 1)


class BankAccountRecognizer(Recognizer):
    id_type = IdType.BANK_ACCOUNT
    header = ANY_PREFIX + (
        r"(?:account_number|account_no|account_num|acct|acct_no|acct_num|acct_number|bank_account|"
        r"bank_account_number|bank_acct|bank_acct_no|routing|routing_number|routing_no|aba|aba_number|"
        r"aba_routing_number|rtn|routing_transit_number|sort_code|bsb|bsb_number|"
        # Other languages' account-number headers (accents folded): "Kontonummer", "Konto-Nr.",
        # "Rekeningnummer", "Número de cuenta", "Numéro de compte", "Numero conto".
        r"kontonummer|konto_nr|konto_nummer|kto_nr|rekeningnummer|rekening_nummer|numero_de_cuenta|"
        r"numero_cuenta|numero_de_compte|numero_compte|no_de_compte|numero_conto|numero_di_conto|"
        r"bank_account_no|bank_acc|bank_acc_no|acc_no|acc_number|account|bank_details|bank_account_details|"
        # Both numbers in one column, as UK and Australian payroll exports keep them: "20-00-00 / 55779911".
        r"(?:sort_code|bsb|routing|routing_number|aba)_(?:and_)?(?:account|acct)(?:_(?:number|no|num))?)"
    )
    text_pattern = (
        r"(?i:\b(?:bank\s+)?(?:account|acct)\.?\s*(?:number|no\.?|num|#)|\bacct\.?|\bacc\b\.?)"
        r"\s*[:#]?\s*(?P<v>\d[\d -]{2,20}\d)\b"
    )
    text_hint = TextHint(keywords=("account", "acct", "acc"))
    # The words alone, or "a/c" and other languages' words, only before a run of 6-17 digits that is
    # no amount (`amount`: a decimal part after it): "a/c no. 8472888743", "A/C 1608305117",
    # "Kontonummer 957594424", "account 75249049", while "account 3 of 5" and "account 2500.00" stay.
    _WORDS = (
        r"(?i:\b(?:(?:bank\s+)?(?:account|acct|acc|a/c)(?:\.?\s*(?:number|no\.?|nr\.?|num|#))?|"
        r"kontonummer|konto(?:\s*-?\s*(?:nr\.?|nummer))?|kto\.?(?:\s*-?\s*nr\.?)?|rekeningnummer|"
        r"rekening(?:\s*(?:nr\.?|nummer))?|n(?:u|ú)mero\s+de\s+cuenta|cuenta|num(?:e|é)ro\s+de\s+compte|"
        r"n[°º]\s*de\s+compte|compte|numero\s+(?:di\s+)?conto|conto(?:\s+corrente)?)\b)"
    )
    _WORD_KEYWORDS = (
        "account",
        "acct",
        "acc",
        "a/c",
        "konto",
        "kto",
        "rekening",
        "cuenta",
        "compte",
        "conto",
    )
    # A UK sort code (the branch half of a bank account), alone or with its account number:
    # "sort code 20-00-00", "Sort code: 40-47-84 / 70872490", JSON "sort_code":"200000".
    context_patterns = (
        TextPattern(
            rf"{_WORDS}\.?\s*(?:is\s+)?[:#]?\s*(?P<v>\d{{6,17}})\b(?P<amount>[.,]\d)?",
            TextHint(keywords=_WORD_KEYWORDS),
            "validate_after_word",
        ),
        TextPattern(
            r"(?i:\bsort[\s_-]*code)\"?\s*[:#]?\s*\"?(?P<v>\d{2}[- ]?\d{2}[- ]?\d{2}(?:\s*/\s*\d{6,10})?)\b",
            TextHint(keywords=("sort",)),
        ),
        # UK bank details written as a pair, with or without their words: "20-00-00 55779911",
        # "sort code 20-00-00 acc 55779911": the dashed sort code and an 8-digit account number.
        TextPattern(
            r"\b(?P<v>\d{2}-\d{2}-\d{2}\s+(?:(?i:acc(?:ount)?|acct|a/c)\.?\s*(?:(?i:no|number)\.?\s*)?[:#]?\s*)?\d{8})\b",
            # Both numbers hold 14 digits in a run of digits, spaces and dashes, unless a word is between.
            TextHint(shapes=("card_digits",), keywords=("acc", "a/c")),
        ),
        # A US ABA routing number after its word ("routing 021000021", "RTN: 011000015", "ABA#
        # 121000358"), with the account number that follows it ("... acct 4839201173"): nine digits
        # that pass the 3-7-1 checksum, so an order number or a mistyped routing number stays.
        TextPattern(
            r"(?i:\b(?:routing|rtn|aba)(?:\s*(?:transit\s*)?(?:number|no\.?|num|#))?)\s*[:#]?\s*"
            r"(?P<v>\d{9}(?:[\s,;/]+(?i:(?:bank\s+)?(?:account|acct|acc|a/c|checking|savings)\.?\s*"
            r"(?:number|no\.?|num|#)?\s*[:#]?\s*)?\d{5,17})?)\b",
            TextHint(keywords=("routing", "rtn", "aba")),
            "validate_routing",
        ),
    )

    def validate(self, values: pa.Array) -> np.ndarray:
        # "/" joins a sort code and its account number ("20-00-00 / 55779911").
        return matches(strip_chars(values, r"[ /-]"), r"^\d{4,17}$")

    def validate_after_word(self, found: pa.StructArray) -> np.ndarray:
        return self.validate(found.field("v")) & ~context_group(found, "amount")

    def validate_routing(self, found: pa.StructArray) -> np.ndarray:
        return aba_routing_valid(pc.utf8_slice_codeunits(found.field("v"), 0, 9))


# The first two digits of an ABA routing number: Federal Reserve district 00-12 (00: the US
# government), thrifts 21-32, electronic 61-72, traveller's cheques 80.
_ABA_PREFIXES = np.isin(np.arange(100), [*range(13), *range(21, 33), *range(61, 73), 80])


def aba_routing_valid(values: pa.Array) -> np.ndarray:
    """Which values are nine-digit ABA routing numbers: a known prefix and the 3-7-1 checksum."""

    def check(numbers: pa.Array) -> np.ndarray:
        digits = digits_of(numbers, 9)
        checksum = weighted_sum(digits, (3, 7, 1, 3, 7, 1, 3, 7, 1)) % 10 == 0
        return checksum & _ABA_PREFIXES[digits[:, 0] * 10 + digits[:, 1]]

    return validate_where(values, matches(values, r"^\d{9}$"), check)
