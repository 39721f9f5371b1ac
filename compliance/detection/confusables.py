"""Characters that look like the ASCII ones identifiers are written with, folded to them before
the text patterns read a value: a phone number pasted from a web page ("617<NBSP>555<NBSP>1234"), an
SSN with non-breaking hyphens from a word processor, a Japanese form's full-width digits
("０９０－１２３４－５６７８"), a Persian phone number in its own digits, an e-mail address with a zero-width space inside. The patterns are ASCII,
so without this such an identifier is left raw.

Folding is for reading only: the spans found in the folded text are mapped back to the value's own
bytes, so what is written keeps its characters around each replacement (Folding.to_source)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.buffers import string_buffers
from compliance.detection.arrays import to_mask

_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"  # soft hyphen, zero-width spaces and joiners
_DIGIT_ZEROS = (0x0660, 0x06F0, 0x0966, 0x0E50)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"
_FOLD = str.maketrans(
    {
        **dict.fromkeys(_SPACES, " "),
        **dict.fromkeys(_INVISIBLE, ""),
        **dict.fromkeys(_DASHES, "-"),
        # Full-width forms of ASCII ("＠", "０".."９", "Ａ".."Ｚ", "（", "＋", "－"): U+FF01..U+FF5E.
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},
        # Other scripts' decimal digits: Arabic-Indic, Persian, Devanagari, Thai ("۰۹۱۲ ۹۸۷ ۴۹۸۱").
        **{chr(zero + digit): str(digit) for zero in _DIGIT_ZEROS for digit in range(10)},
    }
)
_ANY = (
    "["
    + _SPACES
    + _INVISIBLE
    + _DASHES
    + "\uff01-\uff5e"
    + "".join(f"{chr(zero)}-{chr(zero + 9)}" for zero in _DIGIT_ZEROS)
    + "]"
)


class Folding:
    """`values` and their folded text (`readable`), with the rows that differ (`changed`)."""

    def __init__(self, values: pa.Array) -> None:
        self.original = values
        self.readable = values
        self.changed: np.ndarray | None = None
        self._bounds: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if len(values) == 0 or not pa.types.is_string(values.type):
            return
        _, data = string_buffers(values)
        if not (data >= 0x80).any():  # ASCII only: nothing to fold
            return
        changed = to_mask(pc.match_substring_regex(values, _ANY))
        if not changed.any():
            return
        self.changed = changed
        self._rows = np.flatnonzero(changed)
        self._texts = values.take(pa.array(self._rows)).to_pylist()
        folds = pa.array([text.translate(_FOLD) for text in self._texts], pa.string())
        self.readable = pc.replace_with_mask(values, pa.array(changed), folds)

    def to_source(
        self, rows: np.ndarray, start: np.ndarray, end: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Byte spans [start, end) of `readable[rows]` as spans of the original values: a span
        takes the invisible characters at its edges with it."""
        if self.changed is None:
            return start, end
        start, end = start.copy(), end.copy()
        for at in np.flatnonzero(self.changed[rows]).tolist():
            folded_at, source_at = self._boundaries(int(rows[at]))
            start[at] = source_at[np.searchsorted(folded_at, start[at], side="left")]
            end[at] = source_at[np.searchsorted(folded_at, end[at], side="right") - 1]
        return start, end

    def _boundaries(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """(folded byte offset, original byte offset) of each character boundary of a changed row."""
        if row not in self._bounds:
            text = self._texts[int(np.searchsorted(self._rows, row))]
            source = np.cumsum([0] + [len(c.encode()) for c in text])
            folded = np.cumsum([0] + [len(c.translate(_FOLD).encode()) for c in text])
            self._bounds[row] = (folded, source)
        return self._bounds[row]


def folded_values(values: pa.Array) -> pa.Array:
    """`values` with confusable characters folded to ASCII, for callers that only read them."""
    return Folding(values).readable
