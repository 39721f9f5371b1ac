"""Quasi-identifier columns as ordinal codes, the input of the Mondrian search: each Arrow column is
dictionary-encoded once, and only its distinct values are parsed (numbers, dates, ZIP codes, text)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.anonymize.tokenize import is_token

NUMERIC_KINDS = frozenset({"age", "number"})
CATEGORICAL_KINDS = frozenset({"gender", "category", "city"})
QUASI_KINDS = NUMERIC_KINDS | CATEGORICAL_KINDS | {"zip", "date"}

_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_US_ZIP_PLUS4 = r"^[0-9]{5}-?[0-9]{4}$"
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")


@dataclass
class Dimension:
    """One QI column as ordinal codes: 0 = null, 1..m = rank of the distinct value, and m + 1 =
    `withheld` when some cells hold a token.

    A token is a direct identifier this platform already anonymized (a ZIP tokenized upstream, an
    e-mail found in a ZIP column): it must be published whole, and it tells a linkage attacker
    nothing of the value it replaced, no more than "*" does. So all tokens of a column share one
    code of their own, above every value: the search keeps them apart from values where it can,
    and a class holding tokens publishes "*" on its other rows (see hierarchies.generalise)."""

    column: str
    kind: str
    codes: np.ndarray  # int64 per row
    coordinates: np.ndarray  # float64 per code: the value (numeric, date as days) or the rank
    labels: pa.Array | None  # string per code - 1, for zip and categorical kinds
    withheld: int | None = None  # the code of the cells that hold a token, if any

    @property
    def value_count(self) -> int:
        """Distinct values in the column: codes 1..value_count (null and tokens excluded)."""
        return len(self.coordinates) - 1 - (self.withheld is not None)

    @property
    def scale(self) -> float:
        """Spread of the column, which normalises widths so QIs of different units compare."""
        present = self.coordinates[1 : 1 + self.value_count]
        return float(present[-1] - present[0]) if len(present) > 1 else 0.0

    def widths(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """Normalised width of code ranges; a range mixing null or tokens with values is maximal
        (published "*"), one of tokens only is 0 (they are published as they are)."""
        scale = self.scale
        spread = self.coordinates[high] - self.coordinates[low]
        width = spread / scale if scale > 0 else np.zeros(len(low))
        width = np.where((low == 0) & (high > 0), 1.0, np.where(high == 0, 0.0, width))
        if self.withheld is None:
            return width
        return np.where(low == self.withheld, 0.0, np.where(high == self.withheld, 1.0, width))


def dictionary(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(index per row, -1 for null; distinct values): every later parse runs on distinct values only."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    encoded = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return indices, encoded.dictionary


def _as_text(values: pa.Array) -> pa.Array:
    text = values if pa.types.is_string(values.type) else values.cast(pa.string())
    text = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _parse_numbers(values: pa.Array) -> np.ndarray:
    """float64 per value, NaN for null or anything that is not a number."""
    if (
        pa.types.is_integer(values.type)
        or pa.types.is_floating(values.type)
        or pa.types.is_decimal(values.type)
    ):
        numbers = values.cast(pa.float64())
    else:
        text = _as_text(values)
        valid = pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
        numbers = pc.if_else(valid, text, pa.scalar(None, pa.string())).cast(pa.float64())
    out = numbers.to_numpy(zero_copy_only=False).astype(np.float64)
    out[~np.isfinite(out)] = np.nan
    return out


def _parse_days(values: pa.Array) -> np.ndarray:
    """Days since 1970-01-01 per value (ISO or US m/d/Y text, date or timestamp types), NaN if not a date."""
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        dates = values.cast(pa.date32())
    else:
        text = pc.utf8_slice_codeunits(_as_text(values), 0, 10)
        parsed = [pc.strptime(text, format=fmt, unit="s", error_is_null=True) for fmt in _DATE_FORMATS]
        dates = pc.coalesce(*parsed).cast(pa.date32())
    return dates.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.float64)


def _normalise_zip(values: pa.Array) -> pa.Array:
    if pa.types.is_integer(values.type):
        return pc.utf8_lpad(values.cast(pa.string()), width=5, padding="0")
    text = pc.utf8_upper(_as_text(values))
    text = pc.replace_substring_regex(text, pattern=r"[^\x20-\x7E]", replacement="?")  # byte = character
    zip_plus4 = pc.fill_null(pc.match_substring_regex(text, _US_ZIP_PLUS4), False)
    return pc.if_else(zip_plus4, pc.utf8_slice_codeunits(text, 0, 5), text)


def encode(column: pa.ChunkedArray, name: str, kind: str) -> Dimension:
    indices, distinct = dictionary(column)
    tokens = _tokens(distinct)
    if kind in NUMERIC_KINDS or kind == "date":
        values = _parse_numbers(distinct) if kind in NUMERIC_KINDS else _parse_days(distinct)
        present = np.unique(values[~np.isnan(values)])
        entry_codes = np.where(np.isnan(values), 0, np.searchsorted(present, values) + 1)
        coordinates = np.concatenate([[0.0], present])
        labels = None
    else:
        text = _normalise_zip(distinct) if kind == "zip" else _as_text(distinct)
        text = pc.if_else(pa.array(tokens), pa.scalar(None, pa.string()), text)  # no label of a value
        entry_indices, labels = dictionary(text)
        order = pc.array_sort_indices(labels).to_numpy()
        labels = labels.take(pa.array(order))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        entry_codes = np.append(rank + 1, 0)[entry_indices]  # index -1 (null, or a token) -> 0
        coordinates = np.arange(len(order) + 1, dtype=np.float64)
    withheld = None
    if tokens.any():
        withheld = len(coordinates)
        entry_codes = np.where(tokens, withheld, entry_codes)
        # Never read for a class holding tokens (generalise publishes "*"); kept inside the domain.
        coordinates = np.append(coordinates, coordinates[-1])
        if labels is not None:
            labels = pa.concat_arrays([labels, pa.array(["*"], pa.string())])
    entry_codes = np.append(entry_codes.astype(np.int64), 0)  # index -1 (null row) -> code 0
    return Dimension(name, kind, entry_codes[indices], coordinates, labels, withheld)


def _tokens(distinct: pa.Array) -> np.ndarray:
    """Which distinct values are tokens (surrounding spaces aside)."""
    if not (pa.types.is_string(distinct.type) or pa.types.is_large_string(distinct.type)):
        return np.zeros(len(distinct), dtype=bool)
    return is_token(pc.utf8_trim_whitespace(distinct))


def encode_sensitive(column: pa.ChunkedArray) -> np.ndarray:
    indices, distinct = dictionary(column)
    return np.where(indices < 0, len(distinct), indices)  # null is one more sensitive value


def codes_with_null(values: pa.Array) -> np.ndarray:
    indices, _ = dictionary(values)
    return indices
