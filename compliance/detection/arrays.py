"""Vectorised helpers over Arrow string arrays: casting, masks, digit matrices and checksums.

Checksums (Luhn, ISO 7064 mod-97, ISO 3779) run on numpy matrices of character codes, one row per
value, so validating a million card numbers is a handful of numpy operations instead of a Python
loop per cell.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.buffers import string_buffers, trim_whitespace

try:
    from compliance.detection import _id_checks
except ImportError:  # not built, or imported from a zip (Spark executors): regex + numpy checks
    _id_checks = None

# Results of native_check: the value does not have the shape (or is null); the C check leaves the
# value to the caller's Python path (an IBAN with a byte >= 0x80, where Unicode case mapping may
# matter; a date in another layout than ISO; a phone number with an extension; a non-ASCII name).
NO_MATCH, UNDECIDED = -1, -2


def as_strings(values: pa.Array | pa.ChunkedArray) -> pa.StringArray:
    """`values` as one trimmed utf8 array; nested types and invalid utf8 become all-null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    kind = values.type
    if pa.types.is_dictionary(kind):
        values = values.dictionary_decode()
        kind = values.type
    if pa.types.is_string(kind):
        strings = values
    elif pa.types.is_nested(kind) or pa.types.is_null(kind):
        return pa.nulls(len(values), pa.string())
    else:
        try:
            strings = values.cast(pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            return pa.nulls(len(values), pa.string())
    return trim_whitespace(strings)


def to_mask(result: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow result as a numpy mask with nulls read as False."""
    return pc.fill_null(result, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def matches(values: pa.Array, pattern: str) -> np.ndarray:
    """RE2 search of `pattern` in each value (anchor with ^...$ for a full match)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    return to_mask(pc.match_substring_regex(values, pattern))


def strip_chars(values: pa.Array, pattern: str) -> pa.Array:
    """Remove every match of `pattern` (separators such as spaces and dashes)."""
    return pc.replace_substring_regex(values, pattern, "")


def right_aligned_codes(values: pa.Array, width: int, fill: str = "0") -> np.ndarray:
    """(n, width) uint8 matrix of the byte codes of each value, right-aligned and left-padded with `fill`.

    Values longer than `width` keep their last `width` bytes; callers pass values already filtered
    to the expected shape. Right alignment makes Luhn and mod-97 independent of the length: leading
    zeros change neither checksum.
    """
    n = len(values)
    if n == 0:
        return np.zeros((0, width), dtype=np.uint8)
    values = pc.fill_null(values, "").cast(pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    offsets, data = string_buffers(values)
    if offsets[-1] == offsets[0]:
        return np.full((n, width), ord(fill), dtype=np.uint8)
    if np.all(np.diff(offsets) == width):  # all values exactly `width` long: a plain reshape
        return data[offsets[0] : offsets[-1]].reshape(n, width)
    positions = offsets[1:, None] + np.arange(-width, 0, dtype=np.int32)
    inside = positions >= offsets[:-1, None]
    np.maximum(positions, 0, out=positions)
    return np.where(inside, data[positions], np.uint8(ord(fill)))


def digits_of(values: pa.Array, width: int) -> np.ndarray:
    """Digit values (0-9) of digit-only strings, right-aligned with leading zeros."""
    return right_aligned_codes(values, width).astype(np.int16) - ord("0")


def compact_digits(
    values: pa.Array, width: int, span: int, codes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(digits, count): the digits of each value with separators dropped, right-aligned in `width`
    columns with leading zeros, and how many digits the value has. Only the last `span` (<= 62) bytes
    of a value are read, so callers bound the length first (a shape regex).

    A column usually has a few layouts ("ddd-dd-dddd", "ddddddddd"): rows are grouped by the bit
    mask of their digit positions and each layout is a fixed column selection. `codes` may pass
    right_aligned_codes(values, span, fill=" ") when the caller already has it.
    """
    if codes is None:
        codes = right_aligned_codes(values, span, fill=" ")
    is_digit = (codes >= ord("0")) & (codes <= ord("9"))
    count = is_digit.sum(axis=1)
    out = np.zeros((len(codes), width), dtype=np.int16)
    if len(codes) == 0:
        return out, count
    layout = is_digit.astype(np.int64) @ (np.int64(1) << np.arange(span, dtype=np.int64))
    if (layout == layout[0]).all():  # the usual case: one layout for the whole column
        first, inverse = np.zeros(1, dtype=np.int64), np.zeros(len(codes), dtype=np.int64)
    else:
        _, first, inverse = np.unique(layout, return_index=True, return_inverse=True)
    if len(first) <= 64:
        for number, row in enumerate(first):
            columns = np.flatnonzero(is_digit[row])[-width:]
            rows = np.flatnonzero(inverse == number)
            out[rows, width - len(columns) :] = codes[np.ix_(rows, columns)].astype(np.int16) - ord("0")
        return out, count
    rank_from_right = np.cumsum(is_digit[:, ::-1], axis=1, dtype=np.int16)[:, ::-1]
    target = width - rank_from_right
    rows, columns = np.nonzero(is_digit & (target >= 0))
    out[rows, target[rows, columns]] = codes[rows, columns].astype(np.int16) - ord("0")
    return out, count


def native_check(kind: str, values: pa.Array) -> np.ndarray | None:
    """One int64 per value from the fused C check `kind` ("ssn", "card", "npi", "iban", "zip", "mrn",
    "date", "phone", "name": shape and checksum in one pass, see native/id_checks.c), NO_MATCH for
    nulls; None without the extension or for other than a plain string array (callers then use their
    regex + numpy path)."""
    if _id_checks is None or not isinstance(values, pa.Array) or not pa.types.is_string(values.type):
        return None
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    offsets, data = string_buffers(values)
    found = np.frombuffer(_id_checks.check(kind, data, offsets.astype(np.int64)), dtype=np.int64)
    if values.null_count:
        found = np.where(values.is_valid().to_numpy(zero_copy_only=False), found, NO_MATCH)
    return found


@functools.cache
def _byte_table(chars: bytes, non_ascii: bool = False) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[np.frombuffer(chars, dtype=np.uint8)] = True
    table[0x80:] = non_ascii
    table.flags.writeable = False  # shared by every caller (cached)
    return table


def byte_shape(values: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """(data, offsets): the bytes of a plain string array and its n + 1 offsets into them, without
    copying; None for other arrays. Cheap shape bounds (first byte, byte length) are read off these."""
    if not isinstance(values, pa.Array) or not pa.types.is_string(values.type):
        return None
    offsets, data = string_buffers(values)
    return data, offsets


def starting_with(
    values: pa.Array, chars: bytes, *, non_ascii: bool = False, min_bytes: int = 1, max_bytes: int = 1 << 30
) -> np.ndarray:
    """Which values start with one of `chars` (or, with `non_ascii`, any byte >= 0x80) and are
    `min_bytes`..`max_bytes` long, read on the bytes (nulls may count, empty values never do); all True
    for other than a plain string array, so callers use it only to skip values that surely fail."""
    shape = byte_shape(values)
    if shape is None:
        return np.ones(len(values), dtype=bool)
    data, offsets = shape
    size = np.diff(offsets)
    fits = (size >= max(min_bytes, 1)) & (size <= max_bytes)
    fits[fits] = _byte_table(chars, non_ascii)[data[offsets[:-1][fits]]]
    return fits


def share_starting_with(values: pa.Array, chars: bytes, **bounds: int | bool) -> float:
    """An upper bound of the share of `values` that starting_with() accepts; 1.0 when empty."""
    return float(np.mean(starting_with(values, chars, **bounds))) if len(values) else 1.0


def containing(values: pa.Array, chars: bytes) -> np.ndarray:
    """Which values hold one of the ASCII `chars`, read on the bytes (nulls may count); all True for
    other than a plain string array, so callers use it only to skip values that surely lack them."""
    shape = byte_shape(values)
    if shape is None:
        return np.ones(len(values), dtype=bool)
    data, offsets = shape
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    hits = np.append(_byte_table(chars)[data[offsets[0] : offsets[-1]]], False)
    # reduceat of an empty value reads the next value's first byte: masked by the length test.
    return np.logical_or.reduceat(hits, offsets[:-1] - offsets[0]) & (np.diff(offsets) > 0)


def share_containing(values: pa.Array, chars: bytes) -> float:
    """An upper bound of the share of `values` holding one of the ASCII `chars`; 1.0 when empty."""
    return float(np.mean(containing(values, chars))) if len(values) else 1.0


def as_int(digits: np.ndarray) -> np.ndarray:
    """Right-aligned digit rows (at most 18 columns) as int64 numbers."""
    powers = 10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64)
    return digits.astype(np.int64) @ powers


def luhn_valid(digits: np.ndarray) -> np.ndarray:
    """Luhn (mod 10) check of right-aligned digit rows."""
    width = digits.shape[1]
    doubled = ((width - 1 - np.arange(width)) % 2) == 1
    weighted = np.where(doubled, digits * 2, digits)
    weighted = np.where(weighted > 9, weighted - 9, weighted)
    return (weighted.sum(axis=1) % 10) == 0


def mod97_remainder(codes: np.ndarray) -> np.ndarray:
    """ISO 7064 mod-97 of right-aligned alphanumeric rows (letters count as 10..35, two digits)."""
    remainder = np.zeros(codes.shape[0], dtype=np.int64)
    is_letter = codes >= ord("A")
    value = np.where(is_letter, codes.astype(np.int64) - ord("A") + 10, codes.astype(np.int64) - ord("0"))
    scale = np.where(is_letter, 100, 10)
    for column in range(codes.shape[1]):
        remainder = (remainder * scale[:, column] + value[:, column]) % 97
    return remainder


def leading_int(values: pa.Array, length: int) -> np.ndarray:
    """The first `length` characters of digit strings as integers (values must have them)."""
    head = pc.utf8_slice_codeunits(values, 0, length)
    return pc.cast(head, pa.int64()).to_numpy(zero_copy_only=False)


def lengths(values: pa.Array) -> np.ndarray:
    return pc.fill_null(pc.utf8_length(values), 0).to_numpy(zero_copy_only=False)


def scatter(mask_on_subset: np.ndarray, subset_index: np.ndarray, size: int) -> np.ndarray:
    """Full-length mask from a mask computed on `values.take(subset_index)`."""
    out = np.zeros(size, dtype=bool)
    out[subset_index[mask_on_subset]] = True
    return out


def validate_where(values: pa.Array, candidate: np.ndarray, check) -> np.ndarray:
    """Run the vectorised `check` only on candidate values (shape already matched)."""
    index = np.flatnonzero(candidate)
    if index.size == 0:
        return np.zeros(len(values), dtype=bool)
    if index.size == len(values):
        return np.asarray(check(values), dtype=bool)
    subset = values.take(pa.array(index))
    return scatter(np.asarray(check(subset), dtype=bool), index, len(values))


# Verhoeff's check (the dihedral group D5): MULTIPLY[a, b] is a*b in D5, PERMUTE[i] the permutation
# applied to the digit at position i from the right (it repeats every 8 positions).
_VERHOEFF_MULTIPLY = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ],
    dtype=np.int16,
)
_VERHOEFF_PERMUTE = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ],
    dtype=np.int16,
)


def verhoeff_valid(digits: np.ndarray) -> np.ndarray:
    """Verhoeff check of right-aligned digit rows (the check digit last)."""
    check = np.zeros(digits.shape[0], dtype=np.int16)
    for position in range(digits.shape[1]):
        digit = digits[:, digits.shape[1] - 1 - position]
        check = _VERHOEFF_MULTIPLY[check, _VERHOEFF_PERMUTE[position % 8, digit]]
    return check == 0


def iso7064_mod11_10_valid(digits: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11,10 (hybrid) check of digit rows, the check digit last."""
    product = np.full(digits.shape[0], 10, dtype=np.int16)
    for column in range(digits.shape[1] - 1):
        total = (digits[:, column] + product) % 10
        total[total == 0] = 10
        product = (2 * total) % 11
    return (11 - product) % 10 == digits[:, -1]


def weighted_sum(digits: np.ndarray, weights: tuple[int, ...]) -> np.ndarray:
    """Sum of the last len(weights) digits of each row times `weights` (the weighted-modulus checks)."""
    return digits[:, -len(weights) :].astype(np.int64) @ np.array(weights, dtype=np.int64)
