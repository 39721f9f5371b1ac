"""Government-issued identifiers of a person: SSN, driver's licence, passport."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa

from compliance.detection.arrays import (
    as_int,
    compact_digits,
    matches,
    native_check,
    share_starting_with,
    validate_where,
)
from compliance.detection.headers import ANY_PREFIX, ID_SUFFIX
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import (
    DIGITS,
    HL7_PID_HINT,
    Recognizer,
    TextPattern,
    has_digit,
    hl7_pid_field,
)
from compliance.detection.recognizers.native_words import PASSPORT_HEADERS, PASSPORT_PATTERNS
from compliance.detection.recognizers.segments import (
    PNR_PASSPORT,
    RECORD_DRIVER_LICENSE,
    RECORD_PASSPORT,
    RECORD_SSN,
    X12_SSN,
)
from compliance.vocabulary import IdType


class SsnRecognizer(Recognizer):
    id_type = IdType.SSN
    # Not another country's social security ("Nº Seguridad Social", "Previdência Social"): foreign_ids.py.
    header = (
        r"(?!(?:[a-z0-9]+_)*(?:seguridad|seguranca|previdencia|securite|sicurezza)_social)"
        + ANY_PREFIX
        + (
            r"(?:ssn|ssns|social_security|social_security_number|social_security_no|social_security_num|"
            r"social_sec_number|social_sec_no|ss_number|ss_no|soc_sec_no|soc_sec_number|social|soc_sec|ss)"
        )
        + ID_SUFFIX
    )
    by_values = True
    text_pattern = r"\b(?P<v>\d{3}-\d{2}-\d{4})\b"
    text_hint = TextHint(shapes=("ssn",))
    context_patterns = (
        *X12_SSN,
        *RECORD_SSN,
        # An ITIN (the IRS's SSN for those who cannot have one: 9XX-7X-XXXX) right after its keyword;
        # alone the 9XX shape is an invalid SSN, a decoy.
        TextPattern(
            r"(?i:\bitins?\b)[^\w\n]{0,4}(?:(?i:is|was|of|on\s+file|number|no)[^\w\n]{1,4}){0,2}"
            r"(?P<v>9\d{2}[- ]?\d{2}[- ]?\d{4})\b",
            TextHint(keywords=("itin",)),
            "validate_itin",
        ),
        TextPattern(hl7_pid_field(19, r"\d{3}-?\d{2}-?\d{4}\b"), HL7_PID_HINT),
        # Nine undelimited or space-separated digits are an SSN only right after a keyword ("patient SSN
        # 894100958 verified", "SSN 423 52 2671", "social security no: 423-52-2671"); SSA rules still apply.
        TextPattern(
            # "Social: 536228725" too, the EHR's short label for it.
            r"(?i:\b(?:ssn|ss#|ss\s*no\.?|social\s*[:#]|soc(?:ial)?\.?\s*sec(?:urity)?\.?(?:\s*(?:number|num|no\.?|#))?))"
            r"[^\w\n]{0,4}(?:(?i:is|was|of|on\s+file|number|no)[^\w\n]{1,4}){0,2}"
            r"(?P<v>\d{3}[- ]?\d{2}[- ]?\d{4})\b",
            TextHint(keywords=("ssn", "ss", "soc")),
        ),
        # Said in chat, the keyword a few words before the number ("asked for my SSN so here
        # 499134474") or "social" for the SSN ("my social is 355 32 4224"): words only between
        # them, no digit or sentence end, and the SSA rules.
        TextPattern(
            r"(?i:\b(?:ssns?|social\s+security(?:\s+(?:number|num|no))?)\b[^\d\n.;]{1,30}?\b|"
            r"\bsocial\s+(?:is|was|number|no)\b[^\w\n]{0,4})(?P<v>\d{3}[- ]?\d{2}[- ]?\d{4})\b",
            TextHint(keywords=("ssn", "social")),
        ),
    )
    integer_width = 9
    # Valid by structure but never issued: SSA advertising samples (078-05-1120 from a 1938 wallet).
    NEVER_ISSUED: ClassVar[tuple[int, ...]] = (78051120, 219099999)

    def validate(self, values: pa.Array) -> np.ndarray:
        numbers = native_check("ssn", values)  # the nine digits when shaped like below
        if numbers is not None:
            return (numbers >= 0) & self._issued(numbers)
        shaped = matches(values, r"^\d{3}[- ]?\d{2}[- ]?\d{4}$")
        return validate_where(values, shaped, self._ssa_rules)

    def validate_itin(self, found: pa.StructArray) -> np.ndarray:
        # IRS ranges of the middle group: 50-65, 70-88, 90-92, 94-99.
        group = as_int(compact_digits(found.field("v"), 9, 11)[0]) // 10_000 % 100
        return (
            ((group >= 50) & (group <= 65))
            | ((group >= 70) & (group <= 88))
            | np.isin(group, (90, 91, 92, 94, 95, 96, 97, 98, 99))
        )

    def evidence(self, values: pa.Array) -> np.ndarray:
        # Nine bare digits may be anything; the dashed form is what marks an SSN.
        return self.validate(values) & matches(values, r"^\d{3}-\d{2}-\d{4}$")

    def evidence_ceiling(self, values: pa.Array) -> float:
        return share_starting_with(values, DIGITS, min_bytes=11, max_bytes=11)

    def _ssa_rules(self, values: pa.Array) -> np.ndarray:
        return self._issued(as_int(compact_digits(values, 9, 11)[0]))

    def _issued(self, number: np.ndarray) -> np.ndarray:
        area, group, serial = number // 1_000_000, number // 10_000 % 100, number % 10_000
        issued = ~np.isin(number, self.NEVER_ISSUED)
        return (area != 0) & (area != 666) & (area < 900) & (group != 0) & (serial != 0) & issued


class DriverLicenseRecognizer(Recognizer):
    id_type = IdType.DRIVER_LICENSE
    header = ANY_PREFIX + (
        r"(?:drivers?_licen[cs]e|driving_licen[cs]e|drivers?_licen[cs]e_(?:number|no|num|id)|"
        r"driving_licen[cs]e_(?:number|no|num)|dl|dl_number|dl_no|dl_num|dl_id|licen[cs]e_number|licen[cs]e_no)"
    )
    text_pattern = (
        r"(?i:\bdriver'?s?\s*licen[cs]e(?:\s*(?:number|no\.?|#))?|\bdriving\s*licen[cs]e|\bDL\b\s*(?:#|no\.?|number)?)"
        r"\s*[:#]?\s*(?P<v>\d{2,4}(?: \d{2,4}){1,4}|[A-Za-z0-9][A-Za-z0-9-]{3,19})\b"
    )
    text_hint = TextHint(keywords=("driver", "driving", "dl"))
    context_patterns = RECORD_DRIVER_LICENSE

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(values, r"^[A-Za-z0-9][A-Za-z0-9 *-]{3,19}$") & has_digit(values)


class PassportRecognizer(Recognizer):
    id_type = IdType.PASSPORT
    # An airline's DOCS element (SSR DOCS) is the travel document, mostly the passport: "DOCS_NO".
    header = ANY_PREFIX + (
        r"(?:passport|passport_number|passport_no|passport_num|passport_id|docs|docs_no|docs_number|doc_no|"
        r"doc_number|document_no|document_number|travel_doc|travel_doc_no|travel_document|"
        rf"travel_document_no|travel_document_number|id_document_no|id_document_number|{PASSPORT_HEADERS})"
    )
    text_pattern = r"(?i:\bpassport(?:\s*(?:number|no\.?|#))?)\s*[:#]?\s*(?P<v>[A-Za-z0-9]{6,9})\b"
    text_hint = TextHint(keywords=("passport",))
    context_patterns = (*PNR_PASSPORT, *RECORD_PASSPORT, *PASSPORT_PATTERNS)

    def validate(self, values: pa.Array) -> np.ndarray:
        return matches(values, r"^[A-Za-z0-9]{6,9}$") & has_digit(values)
