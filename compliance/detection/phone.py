"""Phone-number validation: a vectorised fast path built from the `phonenumbers` metadata.

`phonenumbers` costs ~20 us per value, too slow for every cell. Its metadata is turned once into two
lookup tables: which NANP area codes are in service, and which national-number lengths each
country calling code allows. A value is then decided by numpy indexing; only national-format
numbers outside NANP (e.g. "020 7946 0958") go through `phonenumbers` itself, once per distinct value.
"""

from __future__ import annotations

import functools

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import (
    UNDECIDED,
    as_int,
    compact_digits,
    matches,
    native_check,
    right_aligned_codes,
    to_mask,
    validate_where,
)

# Separators and the characters a formatted number may contain.
PHONE_SHAPE = r"^(?:\+|00)?[\d\s().\-/]{6,24}$"
EXTENSION = r"(?i)\s*(?:ext\.?|x|#)\s*\d{1,6}$"
# Digit groups that read as something else than a phone number: a date (03.12.1984, 12/03/84,
# 2024-03-05), the 3-2-4 groups of a US social security number, a ZIP+4, an IPv4 address, a
# reference numbered by year ("2024-14359"); a date and time; a Cisco-dotted MAC.
NOT_A_PHONE = (
    r"^(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})|\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{3}[- ]\d{2}[- ]\d{4}|"
    r"\d{5}-\d{4}|\d{1,3}(?:\.\d{1,3}){3}|(?:19|20)\d{2}-\d{3,6})$|"
    # A date with a four-digit year, then a time or more groups ("03.09.2025 18:12" read up to "18").
    r"^(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d{2}|(?:19|20)\d{2}[./-]\d{1,2}[./-]\d{1,2})(?:[ T]|$)|"
    # Three dotted groups of four: a MAC address in Cisco's notation ("0024.1234.5678").
    r"^\d{4}\.\d{4}\.\d{4}$"
)
# 3-3-4 digit groups with the area code in brackets, or starting with a 1 (which no NANP area code
# does): "(197) 340-0365" and "194-700-4951" are invalid NANP numbers, not numbers of another country
# that happen to have ten digits (an Italian mobile "379 135 2932" is not in this notation).
NANP_NOTATION = r"^(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|1\d{2}[ .-])\d{3}[ .-]\d{4}$"
# The trunk prefix some countries write in brackets after the country code: +44 (0)20 7946 0958.
TRUNK_IN_BRACKETS = "(0)"
# Regions tried for national-format numbers that are not NANP, most common first.
NATIONAL_REGIONS = ("GB", "DE", "FR", "IN", "AU", "IT", "ES", "NL", "BR", "MX", "JP", "IE", "ZA", "NG", "PH")
# For a number a phone keyword marks, the countries of the exports and patients we see, after those:
# the keyword has already said "phone", so any of them validating it is enough.
KEYWORD_REGIONS = (
    *NATIONAL_REGIONS,
    "PT", "AT", "CH", "BE", "LU", "DK", "NO", "SE", "FI", "IS", "PL", "CZ", "SK", "HU", "RO", "BG",
    "GR", "TR", "RU", "UA", "IL", "AE", "SA", "EG", "MA", "KE", "GH", "CN", "HK", "TW", "KR", "SG",
    "MY", "TH", "VN", "ID", "PK", "BD", "NZ", "AR", "CL", "CO", "PE",
)  # fmt: skip
# For the national numbers of a column a header (or its values) types as phones, the countries whose
# numbers NATIONAL_REGIONS misses, tried once per distinct value still invalid: the trunk 8 of Russia
# ("8 919 586 56 76"), 11-digit Chinese mobiles, Israeli, Turkish, Korean, Thai, Greek... numbers, a
# Mexican 2-digit area code in brackets, nine digits in threes (Portugal, Poland).
COLUMN_REGIONS = (
    "RU",
    "CN",
    "TR",
    "KR",
    "TW",
    "TH",
    "IL",
    "GR",
    "UA",
    "SA",
    "AE",
    "IR",
    "PT",
    "PL",
    "BG",
    "EG",
)
_COLUMN_NATIONAL = r"^(?:\(?0|8[ (-]|1[3-9]\d{9}$|\(\d{2}\)|\d{3}[ -]\d{3}[ -]\d{3}$)"
_MAX_DIGITS = 15  # E.164


_NANP_TEST_EXCHANGES = (234, 555, 212, 345, 456, 567, 678, 789, 890, 901, 322, 268, 242)
# Area codes looked up so far, and which of them are valid: filled lazily, ~0.15 ms per code.
_nanp_decided = np.zeros(1000, dtype=bool)
_nanp_valid = np.zeros(1000, dtype=bool)


def nanp_area_codes(areas: np.ndarray | None = None) -> np.ndarray:
    """bool[1000]: area codes that `phonenumbers` accepts for some exchange (US, Canada, Caribbean).

    Only the codes in `areas` (every code when None) are guaranteed decided: asking `phonenumbers`
    about all 800 codes costs ~0.13 s per process, while a file uses the few hundred that exist.
    """
    wanted = np.zeros(1000, dtype=bool)
    if areas is None:
        wanted[200:] = True
    else:
        wanted[np.asarray(areas, dtype=np.int64)] = True
    for area in np.flatnonzero(wanted & ~_nanp_decided).tolist():
        _nanp_valid[area] = area >= 200 and any(
            phonenumbers.is_valid_number(
                phonenumbers.PhoneNumber(country_code=1, national_number=int(f"{area}{exchange}4567"))
            )
            for exchange in _NANP_TEST_EXCHANGES
        )
        _nanp_decided[area] = True
    return _nanp_valid


# Country calling code x national-number length allowed by some of its regions: filled lazily, per
# calling code asked for (reading every region's metadata costs ~0.1 s per process).
_national_decided = np.zeros(1000, dtype=bool)
_national_lengths = np.zeros((1000, 16), dtype=bool)


def national_lengths(codes: np.ndarray | None = None) -> np.ndarray:
    """bool[1000, 16]: country calling code x national-number length allowed by some of its regions.
    Only the codes in `codes` (every code when None) are guaranteed decided."""
    wanted = np.zeros(1000, dtype=bool)
    if codes is None:
        wanted[:] = True
    else:
        wanted[np.asarray(codes, dtype=np.int64)] = True
    for code in np.flatnonzero(wanted & ~_national_decided).tolist():
        row = np.zeros(16, dtype=bool)
        for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
            metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
            if metadata is None or metadata.general_desc is None:
                continue
            for length in metadata.general_desc.possible_length or ():
                if 0 < length < 16:
                    row[length] = True
        _national_lengths[code] = row  # before the flag: a thread that sees it decided reads it whole
        _national_decided[code] = True
    return _national_lengths


def _fast_path(
    number: np.ndarray, length: np.ndarray, international: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(valid, decided) from the numbers (their last 15 digits) and digit counts; `international` marks
    numbers written with + or 00."""
    national10 = number % 10_000_000_000
    area, exchange = national10 // 10_000_000, national10 // 1_000_000 % 10
    leading = number // 10 ** np.clip(length - 1, 0, 17)
    # A national 10-digit number written with a leading 0 is no NANP number (NANP area codes start with
    # 2-9) but another country's trunk prefix: left undecided, for `phonenumbers`.
    national_nanp = ~international & (((length == 10) & (leading >= 1)) | ((length == 11) & (leading == 1)))
    international_nanp = international & (length == 11) & (leading == 1)
    nanp = national_nanp | international_nanp
    valid = nanp & nanp_area_codes(area[nanp])[area] & (exchange >= 2)
    others = international & ~international_nanp
    for code_len in (1, 2, 3):
        code = np.clip(number // 10 ** np.clip(length - code_len, 0, 17), 0, 999)
        national = np.clip(length - code_len, 0, 15)
        asked = others & (length > code_len)
        valid |= asked & national_lengths(code[asked])[code, national]
    out_of_range = (length > _MAX_DIGITS) | (length < 7)
    return valid & ~out_of_range, national_nanp | international | out_of_range


_ALLOWED = np.zeros(256, dtype=bool)
_ALLOWED[np.frombuffer(b"0123456789 ().-/+", dtype=np.uint8)] = True
_SPAN = 24


def _without_extension(values: pa.Array, candidate: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """(values with any extension stripped, which had one), looking only at `candidate` values."""
    found = validate_where(values, candidate, lambda some: matches(some, r"(?i)(?:ext\.?|x|#)\s*\d{1,6}$"))
    if not found.any():
        return values, found
    return pc.if_else(pa.array(found), pc.replace_substring_regex(values, EXTENSION, ""), values), found


def _normalise(values: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(base, number, digit count, international, shaped): `base` is the values without extension;
    the rest describes it: the number of the last 15 digits, the digits counted without a leading 00
    (international call prefix), whether written with + or 00, whether phone-shaped."""
    values = _without_bracketed_trunk(values)
    packed = native_check("phone", values)  # one pass in C, see native/id_checks.c
    if packed is None:
        base = _without_extension(values, np.ones(len(values), dtype=bool))[0]
        return base, *_normalise_python(base)
    base, stripped = _without_extension(values, packed == UNDECIDED)
    if stripped.any():
        index = np.flatnonzero(stripped)
        packed = packed.copy()  # native_check's result may be a read-only view of the C result
        packed[index] = native_check("phone", base.take(pa.array(index)))
    shaped = packed >= 0  # UNDECIDED left: an x or # but no extension, so no phone number
    packed = np.maximum(packed, 0)
    return base, packed >> 6, (packed >> 1) & 31, (packed & 1).astype(bool), shaped


def _without_bracketed_trunk(values: pa.Array) -> pa.Array:
    """ "+44 (0)20 7946 0958" -> "+44 20 7946 0958": the bracketed trunk 0 is not dialled after a
    country code, so it is no digit of the number."""
    if len(values) == 0:
        return values
    found = pc.match_substring(values, TRUNK_IN_BRACKETS)
    if not pc.any(found).as_py():
        return values
    return pc.if_else(found, pc.replace_substring(values, TRUNK_IN_BRACKETS, ""), values)


def _normalise_python(base: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """_normalise's description of `base` without the extension, in numpy."""
    size = pc.fill_null(pc.binary_length(base), 0).to_numpy(zero_copy_only=False)
    valid = np.zeros(len(base), dtype=bool)
    number, count = np.zeros(len(base), dtype=np.int64), np.zeros(len(base), dtype=np.int64)
    international, shaped = valid.copy(), valid.copy()
    # Only 6.._SPAN bytes can be phone-shaped: longer values (tokens, sentences) are settled here.
    sized = np.flatnonzero((size >= 6) & (size <= _SPAN))
    if sized.size:
        subset = base.take(pa.array(sized)) if sized.size < len(base) else base
        number[sized], count[sized], international[sized], shaped[sized] = _normalise_sized(
            subset, size[sized]
        )
    return number, count, international, shaped


def _normalise_sized(
    base: pa.Array, size: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """_normalise of values `size` bytes long (6 to _SPAN)."""
    span = int(np.clip(size.max(initial=1), 2, _SPAN))
    codes = right_aligned_codes(base, span, fill=" ")
    rows = np.arange(len(codes))
    first = codes[rows, np.clip(span - size, 0, span - 1)]
    second = codes[rows, np.clip(span - size + 1, 0, span - 1)]
    plus = codes == ord("+")
    shaped = (size >= 6) & (size <= span) & _ALLOWED[codes].all(axis=1) & (plus.sum(axis=1) <= 1)
    shaped &= ~plus.any(axis=1) | (first == ord("+"))
    double_zero = (first == ord("0")) & (second == ord("0")) & shaped
    international = (first == ord("+")) | double_zero
    # Digits only of phone-shaped rows: the others are invalid whatever their digits (masked values
    # would also multiply the digit layouts compact_digits has to handle).
    index = np.flatnonzero(shaped)
    digits = np.zeros((len(codes), _MAX_DIGITS), dtype=np.int16)
    count = np.zeros(len(codes), dtype=np.int64)
    if index.size:
        digits[index], count[index] = compact_digits(base, _MAX_DIGITS, span, codes[index])
    count = np.where(double_zero, count - 2, count)  # "00" is the international call prefix
    return as_int(digits), count, international, shaped


# `phonenumbers` costs ~20-100 us per value and region, and the same numbers come back: detection
# and scrubbing of one column, the first match and the later ones of a text, the next batches.
@functools.lru_cache(maxsize=1 << 16)
def _slow_valid(text: str, regions: tuple[str | None, ...]) -> bool:
    for region in regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(text, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


@functools.lru_cache(maxsize=1 << 16)
def _possible_international(text: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(text, None))
    except phonenumbers.NumberParseException:
        return False


def possible_international(values: pa.Array) -> np.ndarray:
    """Which values written with "+" and a country code have a length that country's plan allows,
    assigned or not ("+1 (922) 792-3028": 922 is no area code yet, but nothing but a phone is written
    so), once per distinct value; an extension does not count."""
    base = _without_extension(values, np.ones(len(values), dtype=bool))[0]
    if len(base) == 0:
        return np.zeros(0, dtype=bool)
    distinct = pc.unique(base)
    verdict = pa.array([_possible_international(t) for t in distinct.to_pylist()], pa.bool_())
    return to_mask(pc.take(verdict, pc.index_in(base, value_set=distinct))) & matches(values, r"^\+")


def valid_phones(values: pa.Array, *, national_formats: bool = True, possible: bool = False) -> np.ndarray:
    """Mask of valid phone numbers; `national_formats` lets non-NANP national numbers use phonenumbers.
    `possible`: NANP numbers its plan makes possible count too, assigned or not (area code and
    exchange starting with 2-9): for columns a header names as phones, where shape and plan are
    evidence enough."""
    base, number, count, international, shaped = _normalise(values)
    ok, decided = np.zeros(len(values), dtype=bool), np.zeros(len(values), dtype=bool)
    index = np.flatnonzero(shaped)
    if index.size == 0:
        return ok
    ok[index], decided[index] = _fast_path(number[index], count[index], international[index])
    if possible:
        ok |= shaped & _nanp_possible(number, count)
    # National numbers outside NANP have 8+ digits in the countries tried; shorter ones are local numbers.
    undecided = shaped & ~decided & (count >= 8)
    if national_formats and undecided.any():
        index = np.flatnonzero(undecided)
        candidates = base.take(pa.array(index))
        distinct = pc.unique(candidates)
        verdict = pa.array([_slow_valid(text, NATIONAL_REGIONS) for text in distinct.to_pylist()])
        position = pc.index_in(candidates, value_set=distinct)
        ok[index] = to_mask(pc.take(verdict, position))
    return ok


def valid_in_column(values: pa.Array) -> np.ndarray:
    """valid_phones(possible=True) for a phone column's values, and what it leaves invalid that has
    a phone's shape (8-15 digits, not a date) read as a national number of COLUMN_REGIONS."""
    ok = valid_phones(values, possible=True)
    return ok | national_in_column(values, ~ok)


def national_in_column(values: pa.Array, candidate: np.ndarray) -> np.ndarray:
    """Which `candidate` values are a national number of COLUMN_REGIONS in a notation NANP never
    writes: a trunk 0 or Russia's 8, a bare Chinese mobile, a 2-digit area code, 3-3-3 digits
    ("123-926-7027" stays an invalid NANP number)."""
    ok = np.zeros(len(values), dtype=bool)
    rest = candidate & matches(values, _COLUMN_NATIONAL) & matches(values, PHONE_SHAPE)
    if rest.any():
        index = np.flatnonzero(rest)
        some = values.take(pa.array(index))
        digits = pc.utf8_length(pc.replace_substring_regex(some, r"\D", "")).to_numpy(zero_copy_only=False)
        shaped = (
            (digits >= 8) & (digits <= _MAX_DIGITS) & ~to_mask(pc.match_substring_regex(some, NOT_A_PHONE))
        )
        index, some = index[shaped], some.filter(pa.array(shaped))
        if index.size:
            ok[index] = valid_in_regions(some, COLUMN_REGIONS)
    return ok


def valid_in_regions(values: pa.Array, regions: tuple[str, ...] = NATIONAL_REGIONS) -> np.ndarray:
    """Which values `phonenumbers` reads as a valid number of one of `regions`, once per
    distinct value: for national numbers a keyword marks, whatever their length or first digit
    ("mobile 98765 43210" in India), or a notation names the country."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    distinct = pc.unique(values)
    verdict = pa.array([_slow_valid(text, regions) for text in distinct.to_pylist()], pa.bool_())
    return to_mask(pc.take(verdict, pc.index_in(values, value_set=distinct)))


# A run of digit groups that may be a phone number, anywhere in a value ("jane@x.org / 6158447222",
# "0103080962 (WhatsApp)").
_NUMBER_IN_VALUE = r"(?:\+\d|\(\d|\b\d)[\d ().\-/]{5,20}\d\b"


def numbers_in(values: pa.Array) -> np.ndarray:
    """Which values hold a phone number, alone or beside other text, for columns a header names as
    phones or contacts: a digit run of 7 to 15 digits that is valid (`phonenumbers`, the regions
    tried) or possible by its numbering plan, and not shaped like a date or another identifier."""
    found = np.zeros(len(values), dtype=bool)
    if len(values) == 0:
        return found
    first = pc.extract_regex(values, rf"(?P<n>{_NUMBER_IN_VALUE})").field("n")
    has = np.flatnonzero(to_mask(pc.is_valid(first)))
    if has.size == 0:
        return found
    candidates = first.take(pa.array(has))
    ok = _phone_number(candidates)
    found[has[ok]] = True
    # The first run was no phone number ("Order 12-3 ... 617-728-8451"): the later runs, in Python.
    import re

    pattern = re.compile(_NUMBER_IN_VALUE, re.ASCII)
    retry = has[~ok]
    if retry.size:  # only values with a second run
        several = pc.count_substring_regex(values.take(pa.array(retry)), _NUMBER_IN_VALUE)
        retry = retry[pc.fill_null(several, 0).to_numpy(zero_copy_only=False) > 1]
    if retry.size:
        texts = values.take(pa.array(retry)).to_pylist()
        later = [[m.group() for m in pattern.finditer(text)][1:] for text in texts]
        flat = [run for runs in later for run in runs]
        if flat:
            verdict = iter(_phone_number(pa.array(flat, pa.string())).tolist())
            found[retry] = [any([next(verdict) for _ in runs]) for runs in later]
    return found


def _phone_number(runs: pa.Array) -> np.ndarray:
    digits = pc.utf8_length(pc.replace_substring_regex(runs, r"\D", "")).to_numpy(zero_copy_only=False)
    shaped = (digits >= 7) & (digits <= _MAX_DIGITS) & ~to_mask(pc.match_substring_regex(runs, NOT_A_PHONE))
    ok = np.zeros(len(runs), dtype=bool)
    index = np.flatnonzero(shaped)
    if index.size:
        some = runs.take(pa.array(index))
        verdict = valid_phones(some, possible=True)
        rest = np.flatnonzero(~verdict & ~to_mask(pc.match_substring_regex(some, NANP_NOTATION)))
        if rest.size:
            verdict[rest] = valid_in_regions(some.take(pa.array(rest)))
        ok[index] = verdict
    return ok


def _nanp_possible(number: np.ndarray, count: np.ndarray) -> np.ndarray:
    """NANP numbers (10 digits, or 11 with the leading 1) whose area code and exchange start with 2-9."""
    national10 = number % 10_000_000_000
    area, exchange = national10 // 10_000_000 % 1000, national10 // 1_000_000 % 10
    leading = number // 10 ** np.clip(count - 1, 0, 17)
    return ((count == 10) | ((count == 11) & (leading == 1))) & (area >= 200) & (exchange >= 2)


def phonenumbers_valid(values: list[str]) -> np.ndarray:
    """Reference check with `phonenumbers` itself, used on a column sample to classify it."""
    # US national format or any number with its country code; other national formats are too
    # ambiguous to type a column without a header.
    return np.array([_slow_valid(text, ("US",)) for text in values], dtype=bool)
