"""A column of values of many kinds (a "value" or "data" column: an IBAN, a product, an e-mail, an
SSN, a MAC address, a date... one per row; docs/detection.md, "Typing a value on its own").

Such a column has no one type, so it is searched like any other column; but a value that fills its
cell alone is a value, not a number in a sentence: in a column where identifiers of several types
are most of what is found, forms too ambiguous to type in text are typed when they are the whole
value and their type's rules validate them: nine digits (bare or spaced) by the SSA's rules, a MAC
address in Cisco's dotted form or as twelve hex digits, and the national numbers whose shape
alone is distinctive (a spaced NINO "CR 99 13 51 B"). A column of order numbers is not mixed: its
nine digits stay.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from compliance.detection.arrays import lengths, matches
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import TextPattern
from compliance.detection.recognizers.devices import DeviceIdRecognizer
from compliance.detection.recognizers.foreign_ids import NationalIdRecognizer
from compliance.detection.recognizers.national_ids import SsnRecognizer
from compliance.vocabulary import IdType

# A mixed column: identifiers of at least this many types, each in at least _TYPE_ROWS of its rows
# (and _TYPE_SHARE of them), found in at least _FOUND_SHARE of its values, which are short.
_TYPES = 3
_TYPE_ROWS = 3
_TYPE_SHARE = 0.01
_FOUND_SHARE = 0.2
_SHORT = 64  # bytes: the median value; longer values are notes
# The types whose being found says the column holds values of many kinds (not names alone: a
# column of names and companies is a list of parties).
_KINDS = frozenset(
    {
        IdType.EMAIL, IdType.PHONE, IdType.CREDIT_CARD, IdType.IBAN, IdType.IP_ADDRESS, IdType.SSN,
        IdType.NATIONAL_ID, IdType.DEVICE_ID, IdType.STREET_ADDRESS, IdType.PERSON_NAME,
        IdType.DATE_OF_BIRTH, IdType.PASSPORT, IdType.BANK_ACCOUNT, IdType.HEALTH_PLAN_ID, IdType.MRN,
    }
)  # fmt: skip
_NO_HINT: TextHint | None = None


def is_mixed(found: dict[IdType, np.ndarray], strings: pa.Array) -> bool:
    """Whether a column whose `found` rows per type (row indices) the scanner found is mixed."""
    present = np.asarray(strings.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    count = int(present.sum())
    if count == 0:
        return False
    floor = max(_TYPE_ROWS, _TYPE_SHARE * count)
    kinds = [rows for id_type, rows in found.items() if id_type in _KINDS and rows.size >= floor]
    if len(kinds) < _TYPES:
        return False
    rows = np.unique(np.concatenate(kinds))
    if rows.size < _FOUND_SHARE * count:
        return False
    sizes = lengths(strings)[present]
    return float(np.median(sizes)) <= _SHORT


class MixedSsn(SsnRecognizer):
    """Nine digits, bare or spaced 3-2-4 ("026101863", "033 24 9866"), that the SSA could issue."""

    def text_patterns(self) -> tuple[TextPattern, ...]:
        return (TextPattern(r"^(?P<v>\d{3}(?: \d{2} |\d{2})\d{4})$", _NO_HINT, "validate_value"),)


class MixedMac(DeviceIdRecognizer):
    """A MAC address in Cisco's dotted form ("e04c.8a86.5f57") or as twelve hex digits with a
    letter ("e04c8a865f57", "04FBDE4C33AA")."""

    def text_patterns(self) -> tuple[TextPattern, ...]:
        return (
            TextPattern(
                r"^(?P<v>[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12})$",
                _NO_HINT,
                "validate_mac",
            ),
        )

    def validate_mac(self, found: pa.StructArray) -> np.ndarray:
        values = found.field("v")
        # One case throughout, a hex letter and a digit: not a word or a decimal number.
        one_case = matches(values, r"^[0-9a-f.]+$") | matches(values, r"^[0-9A-F.]+$")
        return one_case & matches(values, r"[A-Fa-f]") & matches(values, r"\d")


class MixedNationalId(NationalIdRecognizer):
    """A national number whose shape alone is distinctive (a spaced NINO, a codice fiscale, a PAN)."""

    def text_patterns(self) -> tuple[TextPattern, ...]:
        return (
            TextPattern(r"^(?P<v>[A-Za-z0-9][A-Za-z0-9 .\-/]{7,22}[A-Za-z0-9])$", _NO_HINT, "validate_shape"),
        )

    def validate_shape(self, found: pa.StructArray) -> np.ndarray:
        return np.asarray(self.evidence(found.field("v")), dtype=bool)


def whole_value_recognizers(gps_precision: int) -> list:
    """The recognizers of the whole values of a mixed column, beside a column's usual ones."""
    return [cls(gps_precision=gps_precision) for cls in (MixedSsn, MixedMac, MixedNationalId)]
