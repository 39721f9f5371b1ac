"""The official checks of national identifiers of countries whose numbers foreign_id_checks.py did
not know, from their public definitions, one function each over an (n, width) byte matrix of the
value without separators (right-aligned, upper-cased): Korean resident registration number, Japanese
My Number, Chinese resident identity number, Taiwanese national id, Russian SNILS and INN, Ukrainian
RNOKPP, Bulgarian EGN, Israeli Teudat Zehut, Iranian code meli, Greek AMKA and AFM, Turkish TC
Kimlik, Mexican CURP, Thai national id, Portuguese NIF. foreign_id_checks.FORMATS applies them by
shape and length.
"""

from __future__ import annotations

import numpy as np

from compliance.detection.arrays import as_int, luhn_valid, weighted_sum


def _digits(codes: np.ndarray) -> np.ndarray:
    return codes.astype(np.int16) - ord("0")


def _not_repeated(digits: np.ndarray) -> np.ndarray:
    return (digits != digits[:, :1]).any(axis=1)


def _two(digits: np.ndarray, at: int) -> np.ndarray:
    return digits[:, at] * 10 + digits[:, at + 1]


def _month_day(digits: np.ndarray, at: int) -> np.ndarray:
    """Whether digits at..at+3 are a month (01-12) and a day (01-31)."""
    month, day = _two(digits, at), _two(digits, at + 2)
    return (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)


def korean_rrn(codes: np.ndarray) -> np.ndarray:
    """YYMMDD, a sex/century digit, five digits and a check: (11 - sum(d * 2..9,2..5) mod 11) mod 10.
    Numbers issued since October 2020 have no check; the date and the sex digit still hold."""
    digits = _digits(codes)
    check = (11 - weighted_sum(digits[:, :12], (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)) % 11) % 10
    return _month_day(digits, 2) & (digits[:, 6] >= 1) & (check == digits[:, 12])


def japanese_my_number(codes: np.ndarray) -> np.ndarray:
    """Eleven digits and a check: weights n+1 (n <= 6) or n-5 from the right; 11 - sum mod 11, 0 if <= 1."""
    digits = _digits(codes)
    remainder = weighted_sum(digits[:, :11], (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)) % 11
    check = np.where(remainder <= 1, 0, 11 - remainder)
    return (check == digits[:, 11]) & _not_repeated(digits)


_CN_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def chinese_resident_id(codes: np.ndarray) -> np.ndarray:
    """Region (6), birth date YYYYMMDD, sequence (3), ISO 7064 MOD 11-2 check character (0-9, X)."""
    digits = _digits(codes[:, :17])
    total = weighted_sum(digits, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2))
    year = as_int(digits[:, 6:10])
    return (_CN_CHECK[total % 11] == codes[:, 17]) & (year >= 1900) & (year <= 2099) & _month_day(digits, 10)


# The two-digit value of a Taiwanese id's first letter (its place of first registration).
_TW_LETTER = np.zeros(256, dtype=np.int16)
for _letter, _value in zip(
    b"ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True
):  # the official order: I, O, W, Z were added later
    _TW_LETTER[_letter] = _value


def taiwan_id(codes: np.ndarray) -> np.ndarray:
    """A letter (10-35), sex digit 1/2 (8/9 for residents), seven digits and a check: the letter's
    tens + 9 x its units + 8..1 x the digits + the check, a multiple of 10."""
    letter = _TW_LETTER[codes[:, 0]]
    digits = _digits(codes[:, 1:])
    total = letter // 10 + 9 * (letter % 10) + weighted_sum(digits, (8, 7, 6, 5, 4, 3, 2, 1, 1))
    return (letter > 0) & np.isin(digits[:, 0], (1, 2, 8, 9)) & (total % 10 == 0)


def russian_snils(codes: np.ndarray) -> np.ndarray:
    """Nine digits weighted 9..1; the sum (under 100), 0 (100, 101) or its remainder mod 101 (0 for
    100) is the two-digit check."""
    digits = _digits(codes)
    total = weighted_sum(digits[:, :9], (9, 8, 7, 6, 5, 4, 3, 2, 1))
    check = np.where(total < 100, total, total % 101 % 100)
    return (check == _two(digits, 9)) & _not_repeated(digits)


def _inn_digit(digits: np.ndarray, weights: tuple[int, ...]) -> np.ndarray:
    return weighted_sum(digits, weights) % 11 % 10


def russian_inn(codes: np.ndarray) -> np.ndarray:
    """A person's 12-digit INN (two check digits) or an organisation's 10-digit one (one)."""
    digits = _digits(codes)  # width 12: a 10-digit INN has two padding zeros first
    ten = (digits[:, 0] == 0) & (digits[:, 1] == 0)
    one = _inn_digit(digits[:, 2:11], (2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[:, 11]
    first = _inn_digit(digits[:, :10], (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[:, 10]
    second = _inn_digit(digits[:, :11], (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[:, 11]
    return np.where(ten, one, first & second) & _not_repeated(digits[:, 2:])


def ukrainian_rnokpp(codes: np.ndarray) -> np.ndarray:
    """Days since 1899-12-31 (5), sequence (4, the ninth digit the sex), check: sum(-1,5,7,9,4,6,10,5,7)
    mod 11 mod 10."""
    digits = _digits(codes)
    return (_inn_digit(digits[:, :9], (-1, 5, 7, 9, 4, 6, 10, 5, 7)) == digits[:, 9]) & _not_repeated(digits)


def bulgarian_egn(codes: np.ndarray) -> np.ndarray:
    """YYMMDD (month + 20 before 1900, + 40 from 2000), three digits, check: sum(2,4,8,5,10,9,7,3,6)
    mod 11, 10 read as 0."""
    digits = _digits(codes)
    month, day = _two(digits, 2) % 20, _two(digits, 4)
    check = weighted_sum(digits[:, :9], (2, 4, 8, 5, 10, 9, 7, 3, 6)) % 11 % 10
    return (
        (check == digits[:, 9])
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= 31)
        & (_two(digits, 2) <= 52)
    )


def israeli_tz(codes: np.ndarray) -> np.ndarray:
    """Nine digits (shorter ones padded with zeros), Luhn."""
    digits = _digits(codes)
    return luhn_valid(digits) & digits.any(axis=1) & _not_repeated(digits)


def iranian_code_meli(codes: np.ndarray) -> np.ndarray:
    """Nine digits weighted 10..2; remainder r mod 11: the check is r under 2, else 11 - r."""
    digits = _digits(codes)
    remainder = weighted_sum(digits[:, :9], (10, 9, 8, 7, 6, 5, 4, 3, 2)) % 11
    check = np.where(remainder < 2, remainder, 11 - remainder)
    return (check == digits[:, 9]) & _not_repeated(digits)


def greek_amka(codes: np.ndarray) -> np.ndarray:
    """DDMMYY of birth, four digits, a Luhn check."""
    digits = _digits(codes)
    day, month = _two(digits, 0), _two(digits, 2)
    return luhn_valid(digits) & (day >= 1) & (day <= 31) & (month >= 1) & (month <= 12)


def greek_afm(codes: np.ndarray) -> np.ndarray:
    """Eight digits weighted 256..2; the sum mod 11 mod 10 is the ninth."""
    digits = _digits(codes)
    total = weighted_sum(digits[:, :8], (256, 128, 64, 32, 16, 8, 4, 2))
    return (total % 11 % 10 == digits[:, 8]) & _not_repeated(digits)


def turkish_tc_kimlik(codes: np.ndarray) -> np.ndarray:
    """Eleven digits, the first not 0: d10 = (7 x odd places - even places) mod 10, d11 = sum(d1..d10)
    mod 10."""
    digits = _digits(codes)
    odd, even = digits[:, 0:9:2].sum(axis=1), digits[:, 1:8:2].sum(axis=1)
    tenth = (odd * 7 - even) % 10
    eleventh = digits[:, :10].sum(axis=1) % 10
    return (digits[:, 0] != 0) & (tenth == digits[:, 9]) & (eleventh == digits[:, 10])


# CURP characters' values: digits 0-9, then A-N 10-23, Ñ 24 (never written so here), O-Z 25-36.
_CURP_VALUE = np.zeros(256, dtype=np.int64)
_CURP_VALUE[ord("0") : ord("9") + 1] = np.arange(10)
_CURP_VALUE[ord("A") : ord("N") + 1] = np.arange(10, 24)
_CURP_VALUE[ord("O") : ord("Z") + 1] = np.arange(25, 37)


def mexican_curp(codes: np.ndarray) -> np.ndarray:
    """Four letters, YYMMDD, sex, state, three consonants, a character, and a check digit: 10 - the
    sum of the values times 18..2, mod 10."""
    total = (_CURP_VALUE[codes[:, :17]] * np.arange(18, 1, -1)).sum(axis=1)
    return ((10 - total % 10) % 10 == codes[:, 17].astype(np.int64) - ord("0")) & _month_day(
        _digits(codes[:, 4:10]), 2
    )


def thai_id(codes: np.ndarray) -> np.ndarray:
    """Twelve digits weighted 13..2 and a check: (11 - sum mod 11) mod 10; the first digit 1-8."""
    digits = _digits(codes)
    check = (11 - weighted_sum(digits[:, :12], tuple(range(13, 1, -1))) % 11) % 10
    return (check == digits[:, 12]) & (digits[:, 0] >= 1) & (digits[:, 0] <= 8)


def portuguese_nif(codes: np.ndarray) -> np.ndarray:
    """Eight digits weighted 9..2; remainder r mod 11: the check is 0 under 2, else 11 - r."""
    digits = _digits(codes)
    remainder = weighted_sum(digits[:, :8], (9, 8, 7, 6, 5, 4, 3, 2)) % 11
    check = np.where(remainder < 2, 0, 11 - remainder)
    return (check == digits[:, 8]) & (digits[:, 0] != 0) & (digits[:, 0] != 4) & _not_repeated(digits)


def shape_only(codes: np.ndarray) -> np.ndarray:
    """A format with no check character (Mexican RFC): its shape is all."""
    return np.ones(len(codes), dtype=bool)
