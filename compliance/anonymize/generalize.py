"""Generalisation of single identifier values, HIPAA Safe Harbor style: a ZIP code to its 3-digit
prefix, a date to its year; and the floor the k-anonymity pass applies to what it publishes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.anonymize.tokenize import is_token
from compliance.buffers import string_buffers
from compliance.vocabulary import IdType


def generalize_zip(values: pa.Array) -> pa.Array:
    """US ZIP -> 3-digit prefix ("02139-4307" -> "021**"), HIPAA Safe Harbor style; null below 5 digits.

    Digits are found on the UTF-8 byte buffer with numpy (an ASCII digit byte is never part of a
    multi-byte character): ~10x cheaper than a regex pass that strips the non-digits.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = values if pa.types.is_string(values.type) else values.cast(pa.string())
    size = len(text)
    if size == 0:
        return pa.array([], pa.string())
    offsets, data = string_buffers(text)
    is_digit = (data >= ord("0")) & (data <= ord("9"))
    digits_before = np.concatenate([[0], np.cumsum(is_digit, dtype=np.int64)])
    first = digits_before[offsets[:-1]]
    valid = (digits_before[offsets[1:]] - first >= 5) & text.is_valid().to_numpy(zero_copy_only=False)
    chars = np.full((size, 5), ord("*"), dtype=np.uint8)
    rows = np.flatnonzero(valid)
    chars[rows, :3] = data[np.flatnonzero(is_digit)[first[rows, None] + np.arange(3)]]
    buffers = [
        pa.py_buffer(np.packbits(valid, bitorder="little")),
        pa.py_buffer(np.arange(0, 5 * size + 1, 5, dtype=np.int32)),
        pa.py_buffer(chars),
    ]
    return pa.Array.from_buffers(pa.string(), size, buffers, null_count=size - rows.size)


def generalize_date_to_year(values: pa.Array) -> pa.Array:
    """A date -> its year ("1984-03-12" -> "1984"); values without a 4-digit year become null."""
    year = pc.extract_regex(values, pattern=r"(?P<year>(?:18|19|20)\d{2})")
    return pc.struct_field(year, [0])


def _zip_floor(values: pa.Array) -> pa.Array:
    """A published ZIP with more than 3 digits left (a whole ZIP, "0213*") -> its Safe Harbor form."""
    text = values.cast(pa.string())
    finer = pc.fill_null(pc.match_substring_regex(text, r"(?:\d[^\d]*){4}"), False)
    # The first 3 digits + "**", as generalize_zip gives for a whole ZIP; it would null a 4-digit prefix.
    prefix = pc.replace_substring_regex(text, r"(?s)^[^\d]*(\d)[^\d]*(\d)[^\d]*(\d).*$", r"\1\2\3**")
    return pc.if_else(finer, prefix, text)


def _date_floor(values: pa.Array) -> pa.Array:
    """A published day or month ("1984-03-15", "1984-03") -> its year; ranges of years stay."""
    return pc.replace_substring_regex(values.cast(pa.string()), r"^(\d{4})-\d{2}(?:-\d{2})?$", r"\1")


_SAFE_HARBOR_FLOOR: dict[IdType, Callable[[pa.Array], pa.Array]] = {
    IdType.ZIP_CODE: _zip_floor,
    IdType.DATE_OF_BIRTH: _date_floor,
}
SAFE_HARBOR_TYPES = frozenset(_SAFE_HARBOR_FLOOR)


def safe_harbor_floor(values: pa.Array, id_type: str) -> pa.Array:
    """Published ZIP codes and birth dates no finer than HIPAA Safe Harbor allows (3 ZIP digits, the
    year): what the k-anonymity pass applies on top of its own generalisation. A token is kept
    whole: it holds none of the value's digits (its base32 digest may hold some of its own)."""
    text = values.cast(pa.string())
    return pc.if_else(pa.array(is_token(text)), text, _SAFE_HARBOR_FLOOR[IdType(id_type)](text))
