"""What a recognizer is, and the small checks that recognizers of several families share.

A recognizer combines three kinds of evidence:
- `header`: a regex over the normalised column header (headers.normalize_header);
- `validate`: a vectorised validator of the values of a column of its type (checksums, ranges);
- `text_pattern`: how the identifier appears embedded in free text. It is written in the common
  subset of RE2 (pyarrow) and Python `re`, with the identifier in group `v`; groups before it are
  context ("MRN:", "DOB") that is kept when the identifier is scrubbed.
A header alone never makes a finding: every reported value passes `validate` (or `validate_text`).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.anonymize.tokenize import TOKEN_REGEX
from compliance.detection.arrays import containing, matches, to_mask
from compliance.detection.hints import TextHint
from compliance.vocabulary import IdType


@dataclass(frozen=True)
class TextPattern:
    """One more way an identifier appears in free text, beside a recognizer's `text_pattern`: most
    often a keyword-context form ("SSN 423 52 2671") whose value alone would be too ambiguous.
    `check` names the recognizer method that validates its matches (one struct per match), or is a
    function of (recognizer, matches) for a pattern declared in a module of its own (url_params.py)."""

    regex: str
    hint: TextHint | None = None
    check: str | Callable[[Recognizer, pa.StructArray], np.ndarray] = "validate_text"
    # The value is a JSON value (a number, or a string's content): the scanner keeps its replacement
    # one (quoted unless a number), so a scrubbed document still parses.
    json_value: bool = False
    # The pattern's one long word list follows a \b and is followed by a space in every match (its
    # words letters only): RE2 then gets only the listed words each batch's texts hold (listed_words.py).
    words_before_space: bool = False


class Recognizer(ABC):
    id_type: ClassVar[IdType]
    # Full-match regex over the normalised header; None: never named by header.
    header: ClassVar[str | None] = None
    # May classify a column whose header says nothing (e.g. "col_7"), from its values alone.
    by_values: ClassVar[bool] = False
    text_pattern: ClassVar[str | None] = None
    # A necessary condition of text_pattern, checked in C before any RE2 pass (hints.py); None: none.
    text_hint: ClassVar[TextHint | None] = None
    # The header is ambiguous ("location" may hold city names): it names the type only if some
    # sampled values validate.
    header_needs_values: ClassVar[bool] = False
    # Full-match regex over the normalised header of a word that names the type only when at least
    # half the sampled values validate ("Manager", "PCP": a person by role, or a manager's id or a flag).
    header_with_values: ClassVar[str | None] = None
    # Integer-typed columns lose leading zeros: left-pad their string form to this width.
    integer_width: ClassVar[int] = 0
    # Further free-text forms, e.g. keyword context that lets an ambiguous shape count.
    context_patterns: ClassVar[tuple[TextPattern, ...]] = ()

    def __init__(self, *, gps_precision: int = 3) -> None:
        self.gps_precision = gps_precision
        self.header_rule = re.compile(self.header) if self.header else None
        self.header_with_values_rule = (
            re.compile(self.header_with_values) if self.header_with_values else None
        )

    def names(self, normalized_header: str) -> bool:
        """Whether the (normalised) header names this type."""
        return self.header_rule is not None and self.header_rule.fullmatch(normalized_header) is not None

    def names_with_values(self, normalized_header: str) -> bool:
        """Whether the (normalised) header names this type if the column's values validate."""
        rule = self.header_with_values_rule
        return rule is not None and rule.fullmatch(normalized_header) is not None

    def validate_by_role(self, values: pa.Array) -> np.ndarray:
        """Which values of a column `header_with_values` names prove the type: `validate`'s by default."""
        return self.validate(values)

    @abstractmethod
    def validate(self, values: pa.Array) -> np.ndarray:
        """Which values of a column of this type are real identifiers (trimmed strings, nulls allowed)."""

    def evidence(self, values: pa.Array) -> np.ndarray:
        """Which sample values prove the type on their own, for columns with uninformative headers."""
        return self.validate(values)

    def evidence_ceiling(self, values: pa.Array) -> float:
        """An upper bound of the share of `values` that `evidence` accepts. Recognizers with costly
        evidence bound it cheaply, so classification skips them when they cannot reach its threshold."""
        return 1.0

    def validate_text(self, found: pa.StructArray) -> np.ndarray:
        """Which matches of `text_pattern` (one struct per match, a field per group) are identifiers."""
        return self.validate(found.field("v"))

    def validate_value(self, found: pa.StructArray) -> np.ndarray:
        """Which matches are identifiers by their value alone: the pattern's position or tag is
        the only context (record formats), whatever context groups `validate_text` reads."""
        return self.validate(found.field("v"))

    def validate_record_field(self, found: pa.StructArray) -> np.ndarray:
        """Fail closed: whatever fills a record format's field of this type (an HL7 NK1-2 name, an
        MT103 :59: address line) is one, in any script or shape, unless it is blank, an HL7 null
        ('""') or a token of this platform (hl7_token_free)."""
        values = found.field("v")
        return matches(values, r'[^\s^~&\\"]') & hl7_token_free(values)

    def text_patterns(self) -> tuple[TextPattern, ...]:
        """Every free-text form of this type: `text_pattern` first, then `context_patterns`."""
        primary = (TextPattern(self.text_pattern, self.text_hint),) if self.text_pattern else ()
        return primary + self.context_patterns

    def published(self, values: pa.Array) -> np.ndarray:
        """Which values of a column of this type are in a published (anonymized) form that carries
        no identifier: a generalised ZIP or date, a coarse position. They get no violation and are
        not "unrecognised" either. Masks, tokens and placeholders are handled for every type."""
        return np.zeros(len(values), dtype=bool)


DIGITS = b"0123456789"
HEX = b"0123456789ABCDEFabcdef"
LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def has_space(values: pa.Array) -> np.ndarray:
    """Which values may hold an ASCII whitespace (RE2's \\s) byte."""
    return containing(values, b" \t\n\f\r")


def has_digit(values: pa.Array) -> np.ndarray:
    return matches(values, r"\d")


# An HL7 v2 PID segment in a text column ("PID|1||4871367^^^HOSP^MR||JACKSON^KELSEY||19910405|M|||..."):
# each field's position says what it is (3 patient id, 5 name, 7 birth date, 11 address, 13 phone,
# 19 SSN), so the segment's fields are found by counting the "|" after "PID". Segments end with a
# carriage return, a line feed or both: no field pattern crosses either.
HL7_PID_HINT = TextHint(keywords=("pid",))
# HL7 PV1 doctor fields (XCN: ID^FAMILY^GIVEN^...): attending 7, referring 8, consulting 9,
# admitting 17; found, as PID fields are, by counting the "|" after "PV1".
HL7_PV1_HINT = TextHint(keywords=("pv1",))
HL7_PV1_DOCTORS = (7, 8, 9, 17)


def hl7_field(segment: str, position: int, value: str, *, after_id: bool = False) -> str:
    """A text pattern of field `position` (1-based) of an HL7 `segment` whose start (`after_id`:
    whose second component) has the shape `value` (group v)."""
    skip = r"[^|^\r\n]*\^" if after_id else ""
    return rf"\b{segment}\|(?:[^|\r\n]*\|){{{position - 1}}}{skip}(?P<v>{value})"


def hl7_pid_field(position: int, value: str) -> str:
    """A text pattern of PID field `position` (1-based) whose start has the shape `value` (group v)."""
    return hl7_field("PID", position, value)


def hl7_token_free(values: pa.Array) -> np.ndarray:
    """Which HL7 field values hold no token of this platform as a component: a field it scrubbed
    ("STREET_ADDRESS_k1_...") is no identifier, though its digits may read as one."""
    return ~matches(values, r"(?:^|\^)" + TOKEN_REGEX.removeprefix("^").removesuffix("$") + r"(?:$|\^)")


def context_group(found: pa.StructArray, name: str) -> np.ndarray:
    return to_mask(pc.greater(pc.utf8_length(found.field(name)), 0))
