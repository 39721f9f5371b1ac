"""Values that carry no identifier whatever their column says: empty cells, placeholders ("N/A",
"unknown", "REDACTED"), masks that keep at most a few digits ("***-**-6789", "XXXX-XXXX-XXXX-1234",
"021**") and tokens this platform wrote. Fail-closed detection reports every other value of a
sensitive column, so these are what it may leave alone.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.anonymize.tokenize import TOKEN_REGEX
from compliance.detection.arrays import matches, to_mask

_PLACEHOLDER_WORDS = (
    r"n/?a|n\.a\.?|na|none|null|nil|nan|unknown|unk|not\s+(?:provided|available|applicable|given|"
    r"recorded|on\s+file|known)|redacted|withheld|declined|refused|removed|masked|hidden|tbd|pending|"
    r"private|confidential|anonymi[sz]ed|self[ -]?pay|uninsured|-+|\?+|\.+|_+|/+|\*+|0+"
)
# One digit four times or more, whatever the separators: "000-00-0000", "999-99-9999", "(111) 111-1111".
_REPEATED = "|".join(rf"(?:{d}[\s().\-/]*){{4,}}" for d in "0123456789")
# RE2 and Python `re` syntax alike (validation suites use it with pandas, on untrimmed values).
PLACEHOLDER = rf"^\s*(?i:{_PLACEHOLDER_WORDS}|{_REPEATED})\s*$"
_SEPARATORS = r"[\s().\-/]*"
# Mask characters with at most 4 digits after them (a card's or SSN's last 4), or at most 3 before
# them (a Safe Harbor ZIP "021**").
MASKED = (
    rf"^{_SEPARATORS}(?:\d{{1,3}}{_SEPARATORS})?(?:[*Xx#•●]{_SEPARATORS}){{2,}}(?:\d{_SEPARATORS}){{0,4}}$"
)


# The same as one pattern (anchored alternatives), for checks outside the detector: a value with
# nothing in it, and one with nothing in it or a token.
BLANK = rf"(?:{PLACEHOLDER})|(?:{MASKED})"
BLANK_OR_TOKEN = rf"{BLANK}|(?:{TOKEN_REGEX})"


def blank(values: pa.Array) -> np.ndarray:
    """Which (trimmed) values hold no identifier: null, empty, a placeholder, a mask or a token."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    empty = ~to_mask(pc.greater(pc.utf8_length(values), 0))
    return empty | matches(values, BLANK_OR_TOKEN)
