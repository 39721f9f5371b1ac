"""The official checks of national identifiers of countries other than the US, one function each,
and `valid_formats`, which applies them by shape and length (recognizers/foreign_ids.py reads them
in columns and text): UK NHS number (mod 11) and National Insurance number (prefix rules), Canadian
SIN (Luhn), French NIR (key 97 - n mod 97, Corsica 2A/2B), Spanish DNI/NIE (mod 23 letter) and NSS,
Italian codice fiscale (check letter), Dutch BSN (11-proef), German Steuer-ID (ISO 7064 MOD 11,10),
Indian Aadhaar (Verhoeff) and PAN, Brazilian CPF (two mod-11 digits), Australian TFN and Medicare
(weighted mod 11 / mod 10), Swedish personnummer (date + Luhn), Belgian national number (mod 97);
and those of intl_id_checks.py (Korea, Japan, China, Taiwan, Russia, Ukraine, Bulgaria, Israel, Iran,
Greece, Turkey, Mexico, Thailand, Portugal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import (
    as_int,
    iso7064_mod11_10_valid,
    lengths,
    luhn_valid,
    matches,
    right_aligned_codes,
    strip_chars,
    verhoeff_valid,
    weighted_sum,
)
from compliance.detection.recognizers import intl_id_checks as intl


def _digits(codes: np.ndarray) -> np.ndarray:
    return codes.astype(np.int16) - ord("0")


def _not_repeated(digits: np.ndarray) -> np.ndarray:
    """Rows that are not one digit repeated (000000000 passes most weighted checks)."""
    return (digits != digits[:, :1]).any(axis=1)


def _nhs(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    check = (11 - weighted_sum(digits[:, :9], (10, 9, 8, 7, 6, 5, 4, 3, 2)) % 11) % 11
    return (check != 10) & (check == digits[:, 9]) & _not_repeated(digits)


# Prefixes HMRC never allocates (the letter rules are in the shape).
_NINO_BAD_PREFIXES = np.array(
    [ord(p[0]) * 256 + ord(p[1]) for p in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")]
)


def _nino(codes: np.ndarray) -> np.ndarray:
    prefix = codes[:, 0].astype(np.int64) * 256 + codes[:, 1]
    return ~np.isin(prefix, _NINO_BAD_PREFIXES)


def _sin(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    # A first digit 8 is a business number, not a person's.
    return luhn_valid(digits) & (digits[:, 0] != 8) & _not_repeated(digits)


def _nir(codes: np.ndarray) -> np.ndarray:
    codes = codes.copy()
    corsica = codes[:, 5] == ord("2")
    for letter, department in ((b"A", b"19"), (b"B", b"18")):  # 2A/2B count as 19/18 in the key
        where = corsica & (codes[:, 6] == letter[0])
        codes[where, 5], codes[where, 6] = department[0], department[1]
    digits = _digits(codes)
    key = digits[:, 13] * 10 + digits[:, 14]
    return 97 - as_int(digits[:, :13]) % 97 == key


_DNI_LETTERS = np.frombuffer(b"TRWAGMYFPDXBNJZSQVHLCKE", dtype=np.uint8)


def _dni(codes: np.ndarray) -> np.ndarray:
    codes = codes.copy()
    for letter, digit in ((b"X", b"0"), (b"Y", b"1"), (b"Z", b"2")):  # NIE: X/Y/Z read as 0/1/2
        codes[codes[:, 0] == letter[0], 0] = digit[0]
    return _DNI_LETTERS[as_int(_digits(codes[:, :8])) % 23] == codes[:, 8]


# Codice fiscale: the value of a character at an odd (1st, 3rd...) position; digits count as A..J.
_CF_ODD = np.array(
    [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23],
    dtype=np.int16,
)


def _codice_fiscale(codes: np.ndarray) -> np.ndarray:
    body = codes[:, :15].astype(np.int16)
    value = np.where(body >= ord("A"), body - ord("A"), body - ord("0"))
    total = _CF_ODD[value[:, 0::2]].sum(axis=1) + value[:, 1::2].sum(axis=1)
    return total % 26 == codes[:, 15].astype(np.int16) - ord("A")


def _bsn(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    return (weighted_sum(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1)) % 11 == 0) & digits.any(axis=1)


def _steuer_id(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    head = digits[:, :10]
    counts = (head[:, :, None] == np.arange(10)).sum(axis=1)
    # Of the first ten digits exactly one occurs twice or three times, never three in a row.
    repeated = ((counts > 1).sum(axis=1) == 1) & (counts.max(axis=1) <= 3)
    triple = ((head[:, :-2] == head[:, 1:-1]) & (head[:, 1:-1] == head[:, 2:])).any(axis=1)
    return (digits[:, 0] != 0) & repeated & ~triple & iso7064_mod11_10_valid(digits)


def _aadhaar(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    palindrome = (digits == digits[:, ::-1]).all(axis=1)
    return (digits[:, 0] >= 2) & verhoeff_valid(digits) & ~palindrome


def _cpf(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    first = weighted_sum(digits[:, :9], tuple(range(10, 1, -1))) * 10 % 11 % 10
    second = weighted_sum(digits[:, :10], tuple(range(11, 1, -1))) * 10 % 11 % 10
    return (first == digits[:, 9]) & (second == digits[:, 10]) & _not_repeated(digits)


def _tfn(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    return (weighted_sum(digits, (1, 4, 3, 7, 5, 8, 6, 9, 10)) % 11 == 0) & digits.any(axis=1)


def _tfn_short(codes: np.ndarray) -> np.ndarray:  # the older 8-digit TFN
    digits = _digits(codes)
    return (weighted_sum(digits, (10, 7, 8, 4, 6, 3, 5, 1)) % 11 == 0) & digits.any(axis=1)


def _personnummer(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)  # YYMMDDNNNC: the last ten digits (a 12-digit form has the century first)
    month, day = digits[:, 2] * 10 + digits[:, 3], digits[:, 4] * 10 + digits[:, 5]
    # Day + 60: a coordination number (samordningsnummer), same check.
    day_ok = ((day >= 1) & (day <= 31)) | ((day >= 61) & (day <= 91))
    return (month >= 1) & (month <= 12) & day_ok & luhn_valid(digits)


def _belgian(codes: np.ndarray) -> np.ndarray:
    digits = _digits(codes)
    body, key = as_int(digits[:, :9]), digits[:, 9] * 10 + digits[:, 10]
    month = digits[:, 2] * 10 + digits[:, 3]  # + 20 or + 40: a "bis" number of a foreign resident
    month_ok = (month % 20 <= 12) & (month <= 52)
    # Born from 2000 on, the key is computed over 2 followed by the nine digits.
    return month_ok & ((97 - body % 97 == key) | (97 - (2_000_000_000 + body) % 97 == key))


def _spanish_nss(codes: np.ndarray) -> np.ndarray:
    """The Spanish social-security number (NUSS/NAF): province, eight digits, and the remainder mod
    97 of the province followed by the number (without its leading zero when under 10^7)."""
    digits = _digits(codes)
    province, number = as_int(digits[:, :2]), as_int(digits[:, 2:10])
    body = np.where(number < 10_000_000, province * 10_000_000, province * 100_000_000) + number
    return (body % 97 == as_int(digits[:, 10:])) & (province >= 1) & _not_repeated(digits)


def _indian_pan(codes: np.ndarray) -> np.ndarray:
    """India's PAN has no check character: its shape (the fourth letter the holder's kind) is all."""
    return np.ones(len(codes), dtype=bool)


def _medicare_au(codes: np.ndarray) -> np.ndarray:
    """An Australian Medicare card number: eight digits weighted 1,3,7,9,1,3,7,9, their sum mod 10 the
    ninth, then the issue number (and the person's position on the card, perhaps)."""
    digits = _digits(codes)  # width 11: a 10-digit number has a padding 0 first
    padded = (digits[:, 0] == 0)[:, None]
    body = np.where(padded, digits[:, 1:10], digits[:, 0:9])
    weighted = (body[:, :8] * np.array([1, 3, 7, 9, 1, 3, 7, 9])).sum(axis=1)
    return (weighted % 10 == body[:, 8]) & (body[:, 0] >= 2) & (body[:, 0] <= 6)


@dataclass(frozen=True)
class _Format:
    """One country's identifier: its shape (full match over the upper-cased value), how many
    characters it has without separators, and its check over those characters (an (n, width) byte
    matrix). `evidence`: a shape distinctive enough to type a column with no telling header."""

    shape: str
    sizes: tuple[int, ...]
    width: int
    check: Callable[[np.ndarray], np.ndarray]
    evidence: str | None = None


OMOCODE = "[0-9LMNPQRSTUV]"  # a digit of a codice fiscale, or the letter standing for it (omocodia)
_CF_SHAPE = rf"[A-Z]{{6}}{OMOCODE}{{2}}[ABCDEHLMPRST]{OMOCODE}{{2}}[A-Z]{OMOCODE}{{3}}[A-Z]"
_NINO_SHAPE = r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]"
_NIR_SHAPE = r"[1-478] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}"
# India's PAN: three letters, the holder's kind (P a person, C a company...), a letter, four digits, a letter.
_PAN_SHAPE = r"[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]"
_DNI_SHAPE = r"(?:\d{8}|[XYZ][ -]?\d{7})[ -]?[A-Z]"
_CURP_SHAPE = r"[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z]\d"
# Mexico's RFC: three (a company) or four letters, the date, three characters (homoclave).
_RFC_SHAPE = r"[A-Z&]{3,4}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[A-Z0-9]{3}"

FORMATS: dict[str, _Format] = {
    "nhs": _Format(r"^\d{3}[ -]?\d{3}[ -]?\d{4}$", (10,), 10, _nhs),
    "nino": _Format(f"^{_NINO_SHAPE}$", (9,), 9, _nino, evidence=f"^{_NINO_SHAPE}$"),
    "sin": _Format(r"^\d{3}[ -]?\d{3}[ -]?\d{3}$", (9,), 9, _sin),
    "nir": _Format(f"^{_NIR_SHAPE}$", (15,), 15, _nir, evidence=f"^{_NIR_SHAPE}$"),
    "dni": _Format(f"^{_DNI_SHAPE}$", (9,), 9, _dni, evidence=f"^{_DNI_SHAPE}$"),
    "codice_fiscale": _Format(f"^{_CF_SHAPE}$", (16,), 16, _codice_fiscale, evidence=f"^{_CF_SHAPE}$"),
    "bsn": _Format(r"^(?:\d{4}\.?\d{2}\.?\d{3}|\d{3}[ .-]?\d{3}[ .-]?\d{3}|\d{8})$", (8, 9), 9, _bsn),
    "steuer_id": _Format(
        r"^\d{2} ?\d{3} ?\d{3} ?\d{3}$", (11,), 11, _steuer_id, evidence=r"^\d{2} ?\d{3} ?\d{3} ?\d{3}$"
    ),
    "aadhaar": _Format(
        r"^[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}$", (12,), 12, _aadhaar, evidence=r"^[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}$"
    ),
    "cpf": _Format(
        r"^\d{3}\.?\d{3}\.?\d{3}[-.]?\d{2}$", (11,), 11, _cpf, evidence=r"^\d{3}\.\d{3}\.\d{3}-\d{2}$"
    ),
    "tfn": _Format(r"^\d{3}[ -]?\d{3}[ -]?\d{3}$", (9,), 9, _tfn),
    "tfn_short": _Format(r"^\d{3}[ -]?\d{3}[ -]?\d{2}$", (8,), 8, _tfn_short),
    "personnummer": _Format(
        r"^(?:1[89]|20)?\d{6}[-+]?\d{4}$",
        (10, 12),
        10,
        _personnummer,
        evidence=r"^(?:1[89]|20)?\d{6}[-+]\d{4}$",
    ),
    "indian_pan": _Format(rf"^{_PAN_SHAPE}$", (10,), 10, _indian_pan, evidence=rf"^{_PAN_SHAPE}$"),
    "medicare_au": _Format(r"^[2-6]\d{3} ?\d{5} ?\d(?:[ /-]?\d)?$", (10, 11), 11, _medicare_au),
    "spanish_nss": _Format(r"^\d{2}[ /-]?\d{8}[ /-]?\d{2}$", (12,), 12, _spanish_nss),
    "belgian": _Format(
        r"^\d{2}\.?\d{2}\.?\d{2}[-. ]?\d{3}\.?\d{2}$",
        (11,),
        11,
        _belgian,
        evidence=r"^\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}$",
    ),
    # Round 11. Evidence (a column with no telling header) only for the shapes that mark the type:
    # dashed or lettered layouts, or two check digits; bare 9-12 digit numbers with one check digit
    # count after a header or keyword only.
    "korean_rrn": _Format(r"^\d{6}-?[1-8]\d{6}$", (13,), 13, intl.korean_rrn, evidence=r"^\d{6}-[1-8]\d{6}$"),
    "japanese_my_number": _Format(r"^\d{4}[ -]?\d{4}[ -]?\d{4}$", (12,), 12, intl.japanese_my_number),
    "chinese_resident_id": _Format(
        r"^\d{17}[\dX]$", (18,), 18, intl.chinese_resident_id, evidence=r"^\d{17}[\dX]$"
    ),
    "taiwan_id": _Format(r"^[A-Z][1289]\d{8}$", (10,), 10, intl.taiwan_id, evidence=r"^[A-Z][1289]\d{8}$"),
    "russian_snils": _Format(
        r"^\d{3}[ -]?\d{3}[ -]?\d{3}[ -]?\d{2}$",
        (11,),
        11,
        intl.russian_snils,
        evidence=r"^\d{3}-\d{3}-\d{3}[ -]\d{2}$",
    ),
    "russian_inn": _Format(r"^(?:\d{10}|\d{12})$", (10, 12), 12, intl.russian_inn, evidence=r"^\d{12}$"),
    "ukrainian_rnokpp": _Format(r"^\d{10}$", (10,), 10, intl.ukrainian_rnokpp),
    "bulgarian_egn": _Format(r"^\d{10}$", (10,), 10, intl.bulgarian_egn),
    "israeli_tz": _Format(r"^\d{8,9}$", (8, 9), 9, intl.israeli_tz),
    "iranian_code_meli": _Format(r"^\d{3}-?\d{6}-?\d$", (10,), 10, intl.iranian_code_meli),
    # A birth date and Luhn: 0.4 % of random 11-digit numbers pass.
    "greek_amka": _Format(r"^\d{11}$", (11,), 11, intl.greek_amka, evidence=r"^\d{11}$"),
    "greek_afm": _Format(r"^\d{9}$", (9,), 9, intl.greek_afm),
    "turkish_tc_kimlik": _Format(
        r"^[1-9]\d{10}$", (11,), 11, intl.turkish_tc_kimlik, evidence=r"^[1-9]\d{10}$"
    ),
    "mexican_curp": _Format(f"^{_CURP_SHAPE}$", (18,), 18, intl.mexican_curp, evidence=f"^{_CURP_SHAPE}$"),
    "mexican_rfc": _Format(f"^{_RFC_SHAPE}$", (12, 13), 13, intl.shape_only, evidence=f"^{_RFC_SHAPE}$"),
    "thai_id": _Format(
        r"^[1-8][ -]?\d{4}[ -]?\d{5}[ -]?\d{2}[ -]?\d$",
        (13,),
        13,
        intl.thai_id,
        evidence=r"^[1-8](?:-\d{4}-\d{5}-\d{2}-|\d{11})\d$",
    ),
    "portuguese_nif": _Format(r"^\d{3}[ -]?\d{3}[ -]?\d{3}$", (9,), 9, intl.portuguese_nif),
}
# Bare 9-12 digits with one check digit pass for a tenth of any numbers: in a column typed value by
# value (`national_id` beside phones) they would take a phone's place, so only their own names
# apply them (a national-id column's values they do not prove are anonymized all the same).
NAMED_ONLY = frozenset(
    ("japanese_my_number", "russian_inn", "ukrainian_rnokpp", "bulgarian_egn", "israeli_tz", "iranian_code_meli",
     "greek_afm", "portuguese_nif")
)  # fmt: skip
_EVERY_FORMAT = tuple(name for name in FORMATS if name not in NAMED_ONLY)
_SEPARATORS = r"[ .+/-]"


def valid_formats(
    values: pa.Array, names: tuple[str, ...] = _EVERY_FORMAT, *, evidence: bool = False
) -> np.ndarray:
    """Which values are a valid identifier of one of the formats `names` (with `evidence`: in a
    shape that marks the type on its own). Each format sees only the values of its length."""
    out = np.zeros(len(values), dtype=bool)
    if len(values) == 0:
        return out
    upper = pc.ascii_upper(values)
    compact = strip_chars(upper, _SEPARATORS)
    size = lengths(compact)
    for name in names:
        form = FORMATS[name]
        shape = form.evidence if evidence else form.shape
        if shape is None:
            continue
        index = np.flatnonzero(np.isin(size, form.sizes) & ~out)
        if index.size == 0:
            continue
        taken = pa.array(index)
        shaped = matches(upper.take(taken), shape)
        if not shaped.any():
            continue
        index = index[shaped]
        codes = right_aligned_codes(compact.take(pa.array(index)), form.width)
        out[index[form.check(codes)]] = True
    return out
