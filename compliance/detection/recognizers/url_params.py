"""Identifiers in a URL's query string or a log line's key=value pairs, known by the parameter's
name: "/search?name=Ryan%20Dixon&dob=1980-09-23", "/api/nearby?lat=23.748964&lng=82.359320",
"profile update name=Lisa Gill address=6614 Frederick Ridges, ...".

The key is the evidence, as a record format's tag is (segments.py splices these tuples into their
types; gps.py takes GPS_PARAMS): a name or address parameter's value is that type whatever its
shape (fail closed) unless it is empty, a number, a placeholder or a token of this platform; a birth
date must read as a date of the past 120 years; a latitude or longitude must be precise and in range.
Values are percent-decoded ("+" as a space) before they are checked; the span replaced is the value
as written. Only the key's own words count: "sort=name", "ip_address=", "email_address=" stay.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

import numpy as np
import pyarrow as pa

from compliance.anonymize.tokenize import TOKEN_REGEX
from compliance.detection.arrays import matches
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import Recognizer, TextPattern

# A query parameter starts after "?", "&" or ";" (also "&amp;"); a log line's key after a space.
_QUERY = r"[?&;]"
_LOG = r"(?:^|[\s,;|])"
# A log line's value ends at the next "key=", a separator or the end of the text.
_LOG_END = r"(?:[ \t]+[A-Za-z_][A-Za-z0-9_.-]*=|[,;|\"\r\n]|$)"
_QUERY_VALUE = r"[^\s&#\"'<>=;]+"

_NAME_WORDS = (
    "full", "first", "last", "given", "family", "middle", "maiden", "display", "legal", "customer", "cust",
    "patient", "pt", "member", "holder", "cardholder", "card_holder", "account_holder", "contact", "guest",
    "passenger", "recipient", "applicant",
)  # fmt: skip
NAME_KEY = rf"(?i:(?:{'|'.join(_NAME_WORDS)})[_-]?name|name|[fl]name|surname|forename|customer|patient)"
DOB_KEY = r"(?i:dob|d_o_b|birth[_-]?date|date[_-]?of[_-]?birth|birth[_-]?day|bday|birth[_-]?dt|geburtsdatum)"
ADDRESS_KEY = (
    r"(?i:(?:home|street|billing|shipping|mailing|postal|delivery|residential|ship|bill)?[_-]?"
    r"(?:address|addr)(?:[_-]?(?:line)?[_-]?[12])?|street|line1)"
)
LAT_KEY = r"(?i:lat|latitude)"
LON_KEY = r"(?i:lng|lon|long|longitude)"

# Words that stand for no value ("name=null", "address=undefined").
_PLACEHOLDER = r"^(?i:null|none|nil|undefined|true|false|n/?a|unknown|asc|desc|\*)$"
_TOKEN = TOKEN_REGEX.removeprefix("^").removesuffix("$")


def url_decoded(values: pa.Array) -> pa.Array:
    """Each value percent-decoded, "+" read as a space (a form's encoding)."""
    return pa.array([None if v is None else unquote_plus(v) for v in values.to_pylist()], pa.string())


def _fail_closed(_recognizer: Recognizer, found: pa.StructArray) -> np.ndarray:
    """A name or address parameter's value: whatever it holds, unless it is no value at all."""
    value = url_decoded(found.field("v"))
    return (
        matches(value, r"\pL")
        & ~matches(value, _PLACEHOLDER)
        & ~matches(value, _TOKEN)
        & ~matches(value, r"^[\d\s.,+-]*$")
    )


def _birth_date(recognizer: Recognizer, found: pa.StructArray) -> np.ndarray:
    return np.asarray(recognizer.validate(url_decoded(found.field("v"))), dtype=bool)


def _latitude(recognizer: Recognizer, found: pa.StructArray) -> np.ndarray:
    return recognizer.validate_half(url_decoded(found.field("v")), 90.0)  # type: ignore[attr-defined]


def _longitude(recognizer: Recognizer, found: pa.StructArray) -> np.ndarray:
    return recognizer.validate_half(url_decoded(found.field("v")), 180.0)  # type: ignore[attr-defined]


def _hint(*keys: str) -> TextHint:
    return TextHint(keywords=keys)


_NAME_HINT = _hint(*_NAME_WORDS, "name", "fname", "lname", "surname", "forename")
# A log line's name: one to four words, each with a letter first ("name=Lisa Gill address=...").
_LOG_WORD = r"[^\s&#\"=,;|]+"
NAME_PARAMS = (
    TextPattern(rf"{_QUERY}{NAME_KEY}=(?P<v>{_QUERY_VALUE})", _NAME_HINT, _fail_closed),
    TextPattern(
        rf"{_LOG}{NAME_KEY}=(?P<v>[^\s\d&#\"=,;|+.-]{_LOG_WORD}?(?: {_LOG_WORD}){{0,3}}){_LOG_END}",
        _NAME_HINT,
        _fail_closed,
    ),
)

_DOB_HINT = _hint("dob", "d_o_b", "birth", "date", "bday", "geburtsdatum")
# ISO, numeric with "/", "-" or "." (perhaps encoded: "%2F"), or compact yyyymmdd.
_SEP = r"(?:[-./]|%2[FfDd])"
_DATE = rf"\d{{1,4}}{_SEP}\d{{1,2}}{_SEP}\d{{2,4}}|\d{{8}}"
DOB_PARAMS = (TextPattern(rf"(?:{_QUERY}|{_LOG}){DOB_KEY}=(?P<v>{_DATE})\b", _DOB_HINT, _birth_date),)

_DECIMAL = r"(?:[-+]|%2[Dd])?\d{1,3}\.\d+"
GPS_PARAMS = (
    TextPattern(rf"{_QUERY}{LAT_KEY}=(?P<v>{_DECIMAL})\b", _hint("lat"), _latitude),
    TextPattern(rf"{_QUERY}{LON_KEY}=(?P<v>{_DECIMAL})\b", _hint("lng", "lon"), _longitude),
)

_ADDRESS_HINT = _hint(
    "address", "addr", "street", "line1", "home", "billing", "shipping", "mailing", "postal", "delivery",
    "residential", "ship", "bill",
)  # fmt: skip
ADDRESS_PARAMS = (
    TextPattern(rf"{_QUERY}{ADDRESS_KEY}=(?P<v>{_QUERY_VALUE})", _ADDRESS_HINT, _fail_closed),
    # A log line's address runs to the next key or the end: "address=6614 Frederick Ridges, ..., ND 25831".
    TextPattern(
        rf"{_LOG}{ADDRESS_KEY}=(?P<v>[^\s&#\"=|][^&#\"=|\r\n]{{0,150}}?)(?:[ \t]+[A-Za-z_][A-Za-z0-9_.-]*=|[|\"\r\n]|$)",
        _ADDRESS_HINT,
        _fail_closed,
    ),
)
