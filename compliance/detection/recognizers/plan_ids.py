"""Health-plan numbers in clinical notes that no "member id" or "policy #" keyword announces:
- an Australian Medicare card number after "Medicare" ("AU visitor, Medicare card 3018 76867 8"),
  with its check digit (first eight digits weighted 1,3,7,9,1,3,7,9, mod 10, is the ninth);
- the id of a secondary (primary, tertiary) coverage after an insurance word earlier in the same
  note ("Medicare MBI ... on file; secondary 019A8539401"): the rank alone is no keyword
  ("secondary diagnosis I10", "primary care 2 visits" stay), so the note must speak of coverage first.
HealthPlanIdRecognizer takes these through segments.RECORD_HEALTH_PLAN_ID (health.py is at its size limit).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from compliance.detection.arrays import lengths, matches, strip_chars
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import Recognizer, TextPattern
from compliance.detection.recognizers.foreign_id_checks import valid_formats

# A card number: 10 digits (4-5-1 on the card), perhaps its issue number (IRN) after it.
_AU_MEDICARE = r"[2-6]\d{3} ?\d{5} ?\d(?:[ /-]\d)?"
# Words of coverage that may come before a rank in the note.
_COVERAGE = (
    r"(?i:\b(?:medicare|medicaid|mbi|insurance|insurer|insured|coverage|payer|payor|health\s*plan|"
    r"policy|member\s*id|subscriber|tricare|bcbs|blue\s*cross|aetna|cigna|humana|anthem|kaiser|"
    r"unitedhealthcare|united\s*healthcare|ohip|nhs)\b)"
)
# The rank and the words it may take before its id: "secondary", "secondary ins #", "primary payer id:".
_RANK = (
    r"\b(?P<kw>(?i:secondary|primary|tertiary))"
    r"(?:\s+(?i:ins(?:urance)?\.?|coverage|payer|payor|plan|policy|carrier|member|subscriber|id|no\.?|number|#))*"
)
# An id: letters then digits, at least six digits in all (validated), no dashes (phones, dates).
_PLAN_ID = r"[A-Za-z]{0,4}\d[A-Za-z0-9]{5,18}"


def _au_medicare(_recognizer: Recognizer, found: pa.StructArray) -> np.ndarray:
    return valid_formats(found.field("v"), ("medicare_au",))


def _ranked_plan_id(_recognizer: Recognizer, found: pa.StructArray) -> np.ndarray:
    value = found.field("v")
    digits = lengths(strip_chars(value, r"\D"))
    # A compact date (yyyymmdd) is no plan id.
    return (digits >= 6) & ~matches(value, r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")


PLAN_CONTEXT = (
    TextPattern(
        r"(?i:\bmedicare)(?:\s+(?i:card|number|no\.?|#|card\s+(?:number|no\.?|#)))?\s*[:#]?\s*"
        rf"(?P<v>{_AU_MEDICARE})\b",
        TextHint(keywords=("medicare",)),
        _au_medicare,
    ),
    TextPattern(
        rf"{_COVERAGE}(?s:.){{0,300}}?{_RANK}\s*[:#]?\s*(?P<v>{_PLAN_ID})\b",
        TextHint(keywords=("secondary", "primary", "tertiary"), requires=("digit",)),
        _ranked_plan_id,
    ),
    # The next rank of a list ("BCBS primary W649881245, secondary XYZ908335268"): the first rank's
    # id is the context (the pattern above took the note's coverage word with the first id).
    TextPattern(
        rf"\b(?i:secondary|primary|tertiary)\s*[:#]?\s*{_PLAN_ID}\b[^\n]{{0,40}}?{_RANK}\s*[:#]?\s*(?P<v>{_PLAN_ID})\b",
        TextHint(keywords=("secondary", "primary", "tertiary"), requires=("digit",)),
        _ranked_plan_id,
    ),
)
