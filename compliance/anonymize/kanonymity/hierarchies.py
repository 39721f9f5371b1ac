"""The generalisation hierarchies of k-anonymity: what each published equivalence class shows for a
quasi-identifier, by kind, and its information loss (normalised certainty penalty)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.anonymize.kanonymity.encoding import NUMERIC_KINDS, Dimension

MAX_SET_VALUES = 8  # larger categorical sets are published as "*": long lists help nobody


@dataclass(frozen=True)
class Classes:
    """One QI's view of the published equivalence classes (Mondrian's final segments)."""

    sorted_codes: np.ndarray  # the QI's code at each position of its row order, sorted by (segment, code)
    seg: np.ndarray  # the segment of each position
    final: np.ndarray  # the final segments, in order
    low: np.ndarray  # per final segment: its lowest code
    high: np.ndarray  # per final segment: its highest code

    @classmethod
    def of(
        cls, sorted_codes: np.ndarray, seg: np.ndarray, final: np.ndarray, start: np.ndarray, size: np.ndarray
    ) -> Classes:
        """From the segments' starts and sizes in the sorted order."""
        low = sorted_codes[start[final]]
        high = sorted_codes[start[final] + size[final] - 1]
        return cls(sorted_codes, seg, final, low, high)


def generalise(dim: Dimension, classes: Classes) -> tuple[pa.Array, np.ndarray]:
    """Published string and NCP per final segment, from the segment's lowest and highest code.

    age: "34", "30-39" (within one decade), else the partition range "25-47"; number: "3.5" or
    "[1, 9]"; date: "1984-03-15" -> "1984-03" -> "1984" -> "1984-1990"; zip: common prefix padded with
    "*" ("021**"); gender/category/city: the value, a set "{F,M}", or "*" (whole domain or more than
    MAX_SET_VALUES). All null stays null; null mixed with values is "*". A class holding tokens
    publishes "*" (the tokens themselves are put back whole per row: k_anonymize's _publish).
    """
    low, high = classes.low, classes.high
    if dim.kind in NUMERIC_KINDS:
        text, loss = _generalise_numbers(dim, low, high)
    elif dim.kind == "date":
        text, loss = _generalise_dates(dim, low, high)
    elif dim.kind == "zip":
        text, loss = _generalise_zips(dim, low, high)
    else:
        text, loss = _generalise_categories(dim, classes)
    all_null, mixed = high == 0, (low == 0) & (high > 0)
    text = pc.if_else(pa.array(mixed), pa.scalar("*"), text)
    text = pc.if_else(pa.array(all_null), pa.scalar(None, pa.string()), text)
    loss = np.where(mixed, 1.0, np.where(all_null, 0.0, loss))
    if dim.withheld is not None:
        # Tokens reveal nothing of their values, no more than "*": the class is one class.
        holds_tokens = high == dim.withheld
        text = pc.if_else(pa.array(holds_tokens), pa.scalar("*"), text)
        loss = np.where(holds_tokens, 1.0, loss)
    return text, np.clip(loss, 0.0, 1.0)


def _format_numbers(values: np.ndarray) -> pa.Array:
    integral = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2**53)
    as_int = pa.array(np.where(integral, values, 0).astype(np.int64)).cast(pa.string())
    return pc.if_else(pa.array(integral), as_int, pa.array(values).cast(pa.string()))


def _ratio(width: np.ndarray, scale: float) -> np.ndarray:
    return width / scale if scale > 0 else np.zeros(len(width))


def _generalise_numbers(dim: Dimension, low: np.ndarray, high: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    lo, hi = dim.coordinates[low], dim.coordinates[high]
    lo_text, hi_text = _format_numbers(lo), _format_numbers(hi)
    exact = pa.array(lo == hi)
    if dim.kind == "age":
        decade = np.floor(lo / 10) * 10
        in_decade = (
            (lo == np.round(lo)) & (hi == np.round(hi)) & (np.floor(hi / 10) * 10 == decade) & (lo != hi)
        )
        decade_text = pc.binary_join_element_wise(_format_numbers(decade), _format_numbers(decade + 9), "-")
        ranged = pc.if_else(
            pa.array(in_decade), decade_text, pc.binary_join_element_wise(lo_text, hi_text, "-")
        )
        width = np.where(in_decade, 9.0, hi - lo)
    else:
        ranged = pc.binary_join_element_wise("[", lo_text, ", ", hi_text, "]", "")
        width = hi - lo
    return pc.if_else(exact, lo_text, ranged), _ratio(width, dim.scale)


def _generalise_dates(dim: Dimension, low: np.ndarray, high: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    lo = dim.coordinates[low].astype("datetime64[D]")
    hi = dim.coordinates[high].astype("datetime64[D]")
    lo_month, hi_month = lo.astype("datetime64[M]"), hi.astype("datetime64[M]")
    lo_year, hi_year = lo.astype("datetime64[Y]"), hi.astype("datetime64[Y]")
    same_day, same_month, same_year = lo == hi, lo_month == hi_month, lo_year == hi_year

    def days(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (b.astype("datetime64[D]") - a.astype("datetime64[D]")).astype(np.float64)

    year_range = pc.binary_join_element_wise(
        pa.array(np.datetime_as_string(lo_year)), pa.array(np.datetime_as_string(hi_year)), "-"
    )
    text = pc.if_else(pa.array(same_year), pa.array(np.datetime_as_string(lo_year)), year_range)
    text = pc.if_else(pa.array(same_month), pa.array(np.datetime_as_string(lo_month)), text)
    text = pc.if_else(pa.array(same_day), pa.array(np.datetime_as_string(lo)), text)
    width = np.where(
        same_day,
        0.0,
        np.where(
            same_month,
            days(lo_month, lo_month + 1) - 1,
            np.where(same_year, days(lo_year, lo_year + 1) - 1, days(lo_year, hi_year + 1) - 1),
        ),
    )
    return text, _ratio(width, dim.scale)


def _generalise_zips(dim: Dimension, low: np.ndarray, high: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    labels = dim.labels.cast(pa.binary()).to_pylist() if dim.labels is not None else []
    width = max((len(v) for v in labels), default=1)
    matrix = np.frombuffer(b"".join(v.ljust(width, b"\0") for v in labels) or b"\0", np.uint8)
    matrix = np.vstack([np.zeros((1, width), np.uint8), matrix[: len(labels) * width].reshape(-1, width)])
    lengths = np.concatenate([[0], [len(v) for v in labels]]).astype(np.int64)
    a, b = matrix[low], matrix[high]
    prefix = np.cumprod(a == b, axis=1).sum(axis=1)
    length = np.maximum(lengths[low], lengths[high])
    columns = np.arange(width)
    chars = np.where(columns < prefix[:, None], a, np.uint8(ord("*")))
    offsets = np.concatenate([[0], np.cumsum(length)]).astype(np.int32)
    data = chars[columns < length[:, None]]
    text = pa.Array.from_buffers(pa.string(), len(low), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    masked = (length - np.minimum(prefix, length)).astype(np.float64)
    loss = np.where(length > 0, masked / np.maximum(length, 1), 0.0)
    return text, loss


def _generalise_categories(dim: Dimension, classes: Classes) -> tuple[pa.Array, np.ndarray]:
    seg, sorted_codes, final, low = classes.seg, classes.sorted_codes, classes.final, classes.low
    domain = dim.value_count
    if domain == 0:  # the column is all null (or tokens)
        return pa.nulls(len(low), pa.string()), np.zeros(len(low))
    # Distinct non-null codes per final segment: runs of equal (segment, code) in the sorted order.
    run_start = np.ones(len(seg), dtype=bool)
    run_start[1:] = (seg[1:] != seg[:-1]) | (sorted_codes[1:] != sorted_codes[:-1])
    runs = np.flatnonzero(run_start & (sorted_codes > 0))
    final_rank = np.full(int(seg[-1]) + 1 if len(seg) else 0, -1, dtype=np.int64)
    final_rank[final] = np.arange(len(final))
    runs = runs[final_rank[seg[runs]] >= 0]
    run_segment = final_rank[seg[runs]]
    set_size = np.bincount(run_segment, minlength=len(final))
    offsets = np.concatenate([[0], np.cumsum(set_size)]).astype(np.int32)
    members = dim.labels.take(pa.array(sorted_codes[runs] - 1, pa.int64()))
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), members), ",")
    text = pc.binary_join_element_wise("{", joined, "}", "")
    whole = (set_size >= domain) | (set_size > MAX_SET_VALUES)
    text = pc.if_else(pa.array(whole), pa.scalar("*"), text)
    text = pc.if_else(pa.array(set_size == 1), dim.labels.take(pa.array(np.maximum(low, 1) - 1)), text)
    loss = np.where(set_size <= 1, 0.0, np.where(whole, 1.0, (set_size - 1) / max(domain - 1, 1)))
    return text, loss
