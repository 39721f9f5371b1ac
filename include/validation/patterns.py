"""The regular expressions every validation suite shares, defined once.

Python `re` syntax: GX's pandas engine evaluates them with `Series.str.contains` (search, not
match), so whole-value forms are anchored with ^...$ and embedded identifiers use word boundaries.
"""

from __future__ import annotations

from compliance.vocabulary import IdType

# Raw identifiers that must not survive in free text (nor in quarantine reasons). Tokens never match:
# they contain no "@", no dashed digit groups, and their digest follows "_" (no word boundary).
RAW_IDENTIFIER_PATTERNS: dict[str, str] = {
    "ssn": r"\b\d{3}-\d{2}-\d{4}\b",
    "card_number": r"\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}\b",
    # From the "@" on: a literal first character lets `re` skip ahead, ~25x faster than matching the
    # local part too, and a bare "@host.tld" in a note is worth flagging anyway.
    "email": r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    "iban": r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b",
}

# An IPv4 address that still names one host (last octet not zeroed): a coarsened IP must not match.
PRECISE_IPV4 = r"\b(?:\d{1,3}\.){3}0*[1-9]\d{0,2}\b"

# Published forms of the generalisation hierarchies (compliance/anonymize/kanonymity/hierarchies.py),
# per quasi-identifier kind. Categorical kinds (gender, city, category) publish the value itself, a
# set or "*", so any text is a valid form and they have no entry. "*" = whole domain or null mixed in.
_DECIMAL = r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
GENERALISED_FORMS: dict[str, str] = {
    # "34", "30-39", "25-47"
    "age": r"^(?:\*|\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?)$",
    # "3.5", "[1, 9]"
    "number": rf"^(?:\*|{_DECIMAL}|\[{_DECIMAL}, {_DECIMAL}\])$",
    # "1984-03-15", "1984-03", "1984", "1984-1990": ISO forms only, so an unparsed raw date fails.
    "date": r"^(?:\*|\d{4}(?:-\d{2}){0,2}|\d{4}-\d{4})$",
    # "02139", "021**": a prefix then masks; a ZIP+4 is never published.
    "zip": r"^(?!\d{5}-?\d{4}$)[^*]*\**$",
}

# The kind a generalised column has when detection set no quasi_kind but knows its identifier type.
KIND_OF_TYPE: dict[str, str] = {IdType.ZIP_CODE: "zip", IdType.DATE_OF_BIRTH: "date"}


def coarse_coordinates_regex(max_decimals: int) -> str:
    """A coordinate or "lat,lon" pair with at most `max_decimals` decimals (the coarsen_gps forms)."""
    number = rf"[+-]?\d+(?:\.\d{{0,{max_decimals}}})?"
    return rf"^\s*{number}(?:\s*[,;\s]\s*{number})?\s*$"
