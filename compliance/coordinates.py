"""Positions written as WKT points or in degrees/minutes/seconds, shared by the GPS detector and
the coarsening anonymizer.

GIS exports write a position as `POINT(lon lat)` (longitude first); maps and devices as
`42°21'36.3"N 71°03'32.0"W` or `42.3601° N, 71.0589° W`. Both sides read them as the decimal
"lat,lon" pair the rest of the core uses, so such a column is detected, coarsened and validated
like any other pair column.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NUMBER = r"[-+]?\d{1,3}(?:\.\d+)?"
WKT_POINT = rf"^\s*(?i:POINT)\s*(?:(?i:Z|M|ZM)\s*)?\(\s*(?P<lon>{_NUMBER})\s+(?P<lat>{_NUMBER})(?:\s+{_NUMBER}){{0,2}}\s*\)\s*$"


def wkt_points_as_pairs(values: pa.Array) -> pa.Array:
    """`POINT(lon lat)` -> "lat,lon"; other values unchanged."""
    return pc.replace_substring_regex(values, WKT_POINT, r"\2,\1")


# One half: degrees, then optional minutes and seconds, then the hemisphere letter.
_DMS_HALF = (
    r"(?P<{a}d>\d{{1,3}}(?:\.\d+)?)\s*°\s*(?:(?P<{a}m>\d{{1,2}}(?:\.\d+)?)\s*['′’]\s*)?"
    r"(?:(?P<{a}s>\d{{1,2}}(?:\.\d+)?)\s*(?:\"|″|''|”)\s*)?(?P<{a}h>[{h}])"
)
DMS_PAIR = (
    r"^\s*"
    + _DMS_HALF.format(a="lat", h="NSns")
    + r"\s*[,;/]?\s*"
    + _DMS_HALF.format(a="lon", h="EWew")
    + r"\s*$"
)
# Decimals written out: a second is ~31 m, so seconds keep 4 decimals, minutes 2, degrees alone 0.
_DMS_DECIMALS = {"s": 4, "m": 2, "d": 0}


def _dms_half(parts: pa.StructArray, axis: str) -> tuple[np.ndarray, np.ndarray]:
    """Signed decimal degrees of one half, and how many decimals its written precision is worth."""

    def number(field: str) -> np.ndarray:
        text = parts.field(f"{axis}{field}")
        text = pc.if_else(pc.greater(pc.utf8_length(text), 0), text, "0")
        return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)

    def given(field: str) -> np.ndarray:
        return pc.fill_null(pc.greater(pc.utf8_length(parts.field(f"{axis}{field}")), 0), False).to_numpy(
            zero_copy_only=False
        )

    value = number("d") + number("m") / 60 + number("s") / 3600
    south_or_west = pc.is_in(pc.utf8_upper(parts.field(f"{axis}h")), pa.array(["S", "W"])).to_numpy(
        zero_copy_only=False
    )
    decimals = np.where(given("s"), _DMS_DECIMALS["s"], np.where(given("m"), _DMS_DECIMALS["m"], 0))
    # A decimal degree written with a hemisphere ("42.3601° N") keeps its own decimals.
    degrees = parts.field(f"{axis}d")
    own = pc.fill_null(pc.utf8_length(pc.replace_substring_regex(degrees, r"^\d+\.?", "")), 0)
    decimals = np.maximum(decimals, own.to_numpy(zero_copy_only=False))
    return np.where(south_or_west, -value, value), decimals


def dms_as_pairs(values: pa.Array) -> pa.Array:
    """`42°21'36.3"N 71°03'32.0"W` -> "42.3601,-71.0589" (as many decimals as the written precision
    is worth); other values unchanged."""
    matched = pc.fill_null(pc.match_substring_regex(values, DMS_PAIR), False)
    if not pc.any(matched).as_py():
        return values
    index = pa.array(np.flatnonzero(matched.to_numpy(zero_copy_only=False)))
    parts = pc.extract_regex(values.take(index), DMS_PAIR)
    halves = [_dms_half(parts, axis) for axis in ("lat", "lon")]
    pairs = [
        f"{lat:.{lat_dp}f},{lon:.{lon_dp}f}"
        for lat, lat_dp, lon, lon_dp in zip(
            halves[0][0], halves[0][1], halves[1][0], halves[1][1], strict=True
        )
    ]
    out = values.to_pylist()
    for position, pair in zip(index.to_pylist(), pairs, strict=True):
        out[position] = pair
    return pa.array(out, pa.string())


def positions_as_pairs(values: pa.Array) -> pa.Array:
    """WKT points and degree notations as decimal "lat,lon" pairs; other values unchanged."""
    return dms_as_pairs(wkt_points_as_pairs(values))
