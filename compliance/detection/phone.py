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

from compliance.detection.arrays import as_int, compact_digits, matches, right_aligned_codes, to_mask

# Separators and the characters a formatted number may contain.
PHONE_SHAPE = r"^(?:\+|00)?[\d\s().\-/]{6,24}$"
EXTENSION = r"(?i)\s*(?:ext\.?|x|#)\s*\d{1,6}$"
# Regions tried for national-format numbers that are not NANP, most common first.
NATIONAL_REGIONS = ("GB", "DE", "FR", "IN", "AU", "IT", "ES", "NL", "BR", "MX", "JP", "IE", "ZA", "NG", "PH")
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


@functools.cache
def national_lengths() -> np.ndarray:
    """bool[1000, 16]: country calling code x national-number length allowed by some of its regions."""
    table = np.zeros((1000, 16), dtype=bool)
    for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        for region in regions:
            metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
            if metadata is None or metadata.general_desc is None:
                continue
            for length in metadata.general_desc.possible_length or ():
                if 0 < length < 16:
                    table[code, length] = True
    return table


def _fast_path(
    digits: np.ndarray, length: np.ndarray, international: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(valid, decided) from right-aligned digit rows; `international` marks numbers written with + or 00."""
    number = as_int(digits)
    national10 = number % 10_000_000_000
    area, exchange = national10 // 10_000_000, national10 // 1_000_000 % 10
    leading = number // 10 ** np.clip(length - 1, 0, 17)
    national_nanp = ~international & ((length == 10) | ((length == 11) & (leading == 1)))
    international_nanp = international & (length == 11) & (leading == 1)
    nanp = national_nanp | international_nanp
    valid = nanp & nanp_area_codes(area[nanp])[area] & (exchange >= 2)
    table = national_lengths()
    others = international & ~international_nanp
    for code_len in (1, 2, 3):
        code = number // 10 ** np.clip(length - code_len, 0, 17)
        national = np.clip(length - code_len, 0, 15)
        valid |= others & (length > code_len) & table[np.clip(code, 0, 999), national]
    out_of_range = (length > _MAX_DIGITS) | (length < 7)
    return valid & ~out_of_range, national_nanp | international | out_of_range


_ALLOWED = np.zeros(256, dtype=bool)
_ALLOWED[np.frombuffer(b"0123456789 ().-/+", dtype=np.uint8)] = True
_SPAN = 24


def _normalise(base: pa.Array, size: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(digits, digit count, international, shaped) of values without extension, `size` bytes long
    (at most _SPAN)."""
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
    return digits, count, international, shaped


def _slow_valid(text: str, regions: tuple[str | None, ...]) -> bool:
    for region in regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(text, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def valid_phones(values: pa.Array, *, national_formats: bool = True) -> np.ndarray:
    """Mask of valid phone numbers; `national_formats` lets non-NANP national numbers use phonenumbers."""
    has_extension = matches(values, r"(?i)(?:ext\.?|x|#)\s*\d{1,6}$")
    base = values
    if has_extension.any():
        base = pc.if_else(pa.array(has_extension), pc.replace_substring_regex(values, EXTENSION, ""), values)
    size = pc.fill_null(pc.binary_length(base), 0).to_numpy(zero_copy_only=False)
    valid = np.zeros(len(values), dtype=bool)
    # Only 6.._SPAN bytes can be phone-shaped: longer values (tokens, sentences) are settled here.
    sized = np.flatnonzero((size >= 6) & (size <= _SPAN))
    if sized.size == 0:
        return valid
    if sized.size < len(base):
        base = base.take(pa.array(sized))
    digits, count, international, shaped = _normalise(base, size[sized])
    ok, decided = _fast_path(digits, count, international)
    ok &= shaped
    # National numbers outside NANP have 8+ digits in the countries tried; shorter ones are local numbers.
    undecided = shaped & ~decided & (count >= 8)
    if national_formats and undecided.any():
        index = np.flatnonzero(undecided)
        candidates = base.take(pa.array(index))
        distinct = pc.unique(candidates)
        verdict = pa.array([_slow_valid(text, NATIONAL_REGIONS) for text in distinct.to_pylist()])
        position = pc.index_in(candidates, value_set=distinct)
        ok[index] = to_mask(pc.take(verdict, position))
    valid[sized] = ok
    return valid


def phonenumbers_valid(values: list[str]) -> np.ndarray:
    """Reference check with `phonenumbers` itself, used on a column sample to classify it."""
    # US national format or any number with its country code; other national formats are too
    # ambiguous to type a column without a header.
    return np.array([_slow_valid(text, ("US",)) for text in values], dtype=bool)
