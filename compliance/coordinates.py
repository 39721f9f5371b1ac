"""Positions written as WKT points, shared by the GPS detector and the coarsening anonymizer.

GIS exports write a position as `POINT(lon lat)` (longitude first); both sides read it as the
"lat,lon" pair the rest of the core uses, so a WKT column is detected, coarsened and validated
like any other pair column.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

_NUMBER = r"[-+]?\d{1,3}(?:\.\d+)?"
WKT_POINT = rf"^\s*(?i:POINT)\s*(?:(?i:Z|M|ZM)\s*)?\(\s*(?P<lon>{_NUMBER})\s+(?P<lat>{_NUMBER})(?:\s+{_NUMBER}){{0,2}}\s*\)\s*$"


def wkt_points_as_pairs(values: pa.Array) -> pa.Array:
    """`POINT(lon lat)` -> "lat,lon"; other values unchanged."""
    return pc.replace_substring_regex(values, WKT_POINT, r"\2,\1")
