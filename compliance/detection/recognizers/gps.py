"""A person's position: GPS coordinates as a decimal pair, in degrees-minutes-seconds, WKT,
GeoJSON, keyed pairs in text, and the two halves of a latitude/longitude column pair."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.coordinates import positions_as_pairs
from compliance.detection.arrays import (
    containing,
    matches,
    share_starting_with,
    to_mask,
)
from compliance.detection.headers import ANY_PREFIX
from compliance.detection.hints import TextHint
from compliance.detection.recognizers import url_params
from compliance.detection.recognizers.base import (
    DIGITS,
    Recognizer,
    TextPattern,
)
from compliance.vocabulary import IdType

_LAT_KEY = r"(?i:lat|latitude)"
_LON_KEY = r"(?i:lon|lng|long|longitude)"
_DECIMAL = r"[-+]?\d{1,3}\.\d+"
# A degree, minute and second position in text ("40°26'46\"N 79°58'56\"W"), hemisphere after each half.
_DMS_HALF = r"\d{1,3}°\s?\d{1,2}['′]\s?\d{1,2}(?:\.\d+)?(?:\"|″|'')\s?"


def _half(value: bool, name: str) -> str:
    """One coordinate of a pair as group `name`, and as the scrubbed value `v` when `value`."""
    group = rf"(?P<{name}>{_DECIMAL})"
    return f"(?P<v>{group})" if value else group


class GpsRecognizer(Recognizer):
    id_type = IdType.GPS_COORDINATES
    header = ANY_PREFIX + (
        r"(?:gps|gps_coordinates|gps_location|coordinates|coords|coord|lat_lon|lat_lng|lat_long|latlon|latlng|"
        r"latitude_longitude|location|geo|geolocation|geo_location|position|geopoint|geo_point|geo_coordinates|"
        # GIS exports: a point geometry as WKT (values validate or the header names nothing).
        r"geom|geometry|the_geom|wkt|geom_wkt|wkt_geom|geometry_wkt|point|point_geom|shape)"
        r"(?:_dms|_dd|_deg|_degrees|_wgs84|_wkt)?"
    )
    by_values = True
    header_needs_values = True
    PAIR = r"^\(?\s*(?P<lat>[-+]?\d{1,2}(?:\.\d+)?)\s*[,;/ ]\s*(?P<lon>[-+]?\d{1,3}(?:\.\d+)?)\s*\)?$"
    text_pattern = r"(?:^|[^\d.])(?P<v>[-+]?\d{1,2}\.\d+\s*,\s*[-+]?\d{1,3}\.\d+)\b"
    text_hint = TextHint(shapes=("decimal_comma",))
    # A position as JSON keys (a nested "loc" object: {"lat": "42.3601", "lng": "-71.0589"}), either
    # order, numbers quoted or not, other keys between them.
    context_patterns = (
        *url_params.GPS_PARAMS,  # round 12: "/api/nearby?lat=23.748964&lng=82.359320"
        # WKT in text or in a column no header names: "POINT(-71.0589 42.3601)" (longitude first).
        TextPattern(
            rf"\b(?i:POINT)\s*(?:(?i:Z|M|ZM)\s*)?\(\s*(?P<v>(?P<lon>{_DECIMAL})\s+(?P<lat>{_DECIMAL}))",
            TextHint(keywords=("point",), requires=("digit",)),
            "validate_json_pair",
        ),
        # GeoJSON: "coordinates": [-71.0589, 42.3601] (longitude first); as the key forms below, one
        # span per half, so a replacement keeps the document valid (json_value).
        *(
            TextPattern(
                rf'"coordinates"\s*:\s*\[\s*{_half(lon, "lon")}\s*,\s*{_half(not lon, "lat")}',
                TextHint(keywords=("coordinates",), requires=("digit",)),
                "validate_json_pair",
                json_value=True,
            )
            for lon in (True, False)
        ),
        # Keyed in a log line: "lat=-13.997317 lon=-24.077511", "lat: 39.755896, lng: -101.424505";
        # one span per half, so the keys stay.
        *(
            TextPattern(
                rf"\b{_LAT_KEY}\s*[=:]\s*{_half(value, 'lat')}\s*[,;]?\s*{_LON_KEY}\s*[=:]\s*{_half(not value, 'lon')}",
                TextHint(keywords=("lat",), requires=("digit",)),
                "validate_json_pair",
            )
            for value in (True, False)
        ),
        # An unkeyed pair after a place word ("at 3.9748 -50.19223", "@ 40.7128 -74.0060", "near",
        # "location", "geo 40.19,-92.96519"): the word makes a pair of decimals a position even when a
        # device wrote one half short, so long as the other is precise (validate_placed_pair).
        TextPattern(
            r"(?:(?i:\bat|\bnear|\blocation|\bloc|\bpos(?:ition)?|\bgeo)\s*[:=]?|@)\s*"
            r"(?P<v>(?P<lat>[-+]?\d{1,2}\.\d{2,})(?:\s+|\s*,\s*)(?P<lon>[-+]?\d{1,3}\.\d{2,}))\b",
            TextHint(shapes=("at",), keywords=("at", "near", "loc", "pos", "geo"), requires=("digit",)),
            "validate_placed_pair",
        ),
        # Degrees, minutes and seconds: "40°26'46\"N 79°58'56\"W" (non-ASCII: the C pass always keeps it).
        TextPattern(
            rf"(?P<v>{_DMS_HALF}[NSns][,\s]\s?{_DMS_HALF}[EWew])\b",
            TextHint(),
            "validate_dms",
        ),
        *(
            TextPattern(
                rf'"{first_key}"\s*:\s*"?{_half(value_first, first)}"?\s*,(?:\s*"[^"]*"\s*:\s*[^,{{}}]*,)*?'
                rf'\s*"{second_key}"\s*:\s*"?{_half(not value_first, second)}',
                TextHint(keywords=hint, requires=("digit",)),
                "validate_json_pair",
                json_value=True,
            )
            for first, first_key, second, second_key, hint in (
                ("lat", _LAT_KEY, "lon", _LON_KEY, ("lat",)),
                ("lon", _LON_KEY, "lat", _LAT_KEY, ("lon", "lng")),
            )
            for value_first in (True, False)
        ),
    )

    def validate_placed_pair(self, found: pa.StructArray) -> np.ndarray:
        # Both halves in range with two decimals or more, one of them with four (about 10 m).
        lat, lon = found.field("lat"), found.field("lon")
        fine = matches(lat, r"\.\d{4,}$") | matches(lon, r"\.\d{4,}$")
        return fine & self._in_range(lat, 90.0) & self._in_range(lon, 180.0)

    @staticmethod
    def _in_range(values: pa.Array, limit: float) -> np.ndarray:
        number = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        return np.abs(number) <= limit

    def validate_dms(self, found: pa.StructArray) -> np.ndarray:
        return self.validate(found.field("v"))

    def validate_json_pair(self, found: pa.StructArray) -> np.ndarray:
        return self.validate_pair(found.field("lat"), found.field("lon"))

    def validate(self, values: pa.Array) -> np.ndarray:
        # GIS exports: POINT(lon lat); maps and devices: 42°21'36.3"N 71°03'32.0"W.
        if containing(values, b"(").any() or pc.any(pc.match_substring(values, "°")).as_py():
            values = positions_as_pairs(values)
        parts = pc.extract_regex(values, self.PAIR)
        if parts.null_count == len(parts):
            return np.zeros(len(values), dtype=bool)
        return to_mask(pc.is_valid(parts)) & self.validate_pair(parts.field("lat"), parts.field("lon"))

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_starting_with(values, b"(+- \t\n\f\r" + DIGITS, min_bytes=3)

    def published(self, values: pa.Array) -> np.ndarray:
        # A coarse position (fewer decimals than gps_precision), as coordinate or "lat,lon" pair.
        coarse = rf"[-+]?\d{{1,3}}(?:\.\d{{0,{max(self.gps_precision - 1, 0)}}})?"
        return matches(values, rf"^\(?\s*{coarse}(?:\s*[,;/ ]\s*{coarse})?\s*\)?$")

    def validate_half(self, values: pa.Array, limit: float) -> np.ndarray:
        """A precise latitude (`limit` 90) or longitude (180) given in a column of its own."""
        return self._half(values, limit)

    def validate_pair(self, latitude: pa.Array, longitude: pa.Array) -> np.ndarray:
        """Precise positions: both halves in range with at least `gps_precision` decimals."""
        return self._half(latitude, 90.0) & self._half(longitude, 180.0)

    def _half(self, values: pa.Array, limit: float) -> np.ndarray:
        numeric = matches(values, rf"^[-+]?\d{{1,3}}\.\d{{{self.gps_precision},}}$")
        if self.gps_precision == 0:
            numeric |= matches(values, r"^[-+]?\d{1,3}$")
        number = pc.cast(pc.if_else(numeric, values, "nan"), pa.float64()).to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            return numeric & (np.abs(number) <= limit)
