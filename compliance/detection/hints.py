"""Necessary conditions of the free-text patterns, checked for all types in one C pass per text.

Each recognizer may declare a `TextHint`: shapes (native/text_hints.c names them) and keywords
(at a word start, ASCII) of which its `text_pattern` cannot match without one. The scanner then runs
a type's RE2 passes only on the texts whose hint holds. A hint may say "maybe" too often, never
too rarely, so results equal a scan without hints (tests/unit/test_detection_text.py compares them).
Without the extension (not built, or `compliance` imported from a zip) `candidate_types` returns
None and the scanner probes every type with RE2 as before.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from compliance.buffers import string_buffers

try:
    from compliance.detection import _text_hints
except ImportError:  # not built, or imported from a zip (Spark executors): RE2 probes every type
    _text_hints = None

# Bit i of a shape set is SHAPES[i]; the order is native/text_hints.c's enum.
SHAPES = (
    "ssn",  # \d{3}-\d{2}-\d{4}
    "card_digits",  # 13 or more digits in one run of [0-9 -]
    "caps_digits",  # [A-Z]{2}\d{2}
    "at",  # @
    "phone",  # \+\d | 00\d | \d{3}[-. )]\d{4}
    "dotted_quad",  # \d+(?:\.\d+){3}
    "hex_colons",  # [0-9A-Fa-f]:[0-9A-Fa-f]{0,4}:
    "hex_run15",  # [0-9A-Fa-f:-]{15}
    "upper_run17",  # [A-Z0-9]{17}
    "decimal_comma",  # \d\.\d and a comma
    "digit",  # \d
    "caps_zip",  # [A-Z]{2}\s+\d{5} or ,\s*[a-z]{2}\s+\d{5}
    "zero_group",  # \b0\d{1,4}\)?[ .\-/)]\d{2}
)
_ALWAYS = 1 << 31
_EXACT_CASE, _WHOLE_WORD = 1, 2


@dataclass(frozen=True)
class TextHint:
    r"""A text can match the pattern only if it has one of `shapes`, or one of the keywords starting
    at a word start: `keywords` (any case), `exact` (this case), `whole_words` (any case, the whole
    word), and all of `requires` (shapes). Keywords must start with a word character, whole words
    be word characters only (ASCII \w)."""

    shapes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    whole_words: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()


def _shape_bits(names: Sequence[str]) -> int:
    return sum(1 << SHAPES.index(name) for name in names)


class HintTable:
    """The hints of a scanner's types (in its order; None: every text may hold the type), packed
    once for the C pass."""

    @staticmethod
    @functools.cache
    def of(hints: tuple[TextHint | None, ...]) -> HintTable:
        """The table of `hints`, packed once per process (a table is read-only once built)."""
        return HintTable(hints)

    def __init__(self, hints: Sequence[TextHint | None]) -> None:
        self.size = len(hints)
        any_of, required, words, owners, flags = [], [], [], [], []
        for index, hint in enumerate(hints):
            if hint is None:
                any_of.append(_ALWAYS)
                required.append(0)
                continue
            any_of.append(_shape_bits(hint.shapes))
            required.append(_shape_bits(hint.requires))
            for group, flag in (
                (hint.keywords, 0),
                (hint.exact, _EXACT_CASE),
                (hint.whole_words, _WHOLE_WORD),
            ):
                for word in group:
                    if not word[:1].isalnum() or not word.isascii():
                        raise ValueError(
                            f"a hint keyword must be ASCII and start with a letter or digit: {word!r}"
                        )
                    if flag & _WHOLE_WORD and not re.fullmatch(r"\w+", word, re.ASCII):
                        raise ValueError(f"a whole-word hint must be word characters only: {word!r}")
                    words.append(word if flag & _EXACT_CASE else word.lower())
                    owners.append(index)
                    flags.append(flag)
        encoded = [word.encode() for word in words]
        self._args = (
            np.array(any_of, dtype=np.uint32).tobytes(),
            np.array(required, dtype=np.uint32).tobytes(),
            b"".join(encoded),
            np.concatenate([[0], np.cumsum([len(w) for w in encoded], dtype=np.int64)])
            .astype(np.int64)
            .tobytes(),
            np.array(owners, dtype=np.int32).tobytes(),
            np.array(flags, dtype=np.uint8).tobytes(),
        )

    def candidate_types(self, strings: pa.Array) -> np.ndarray | None:
        """(n, types) bool: whether each text may hold each type (False for nulls); None without
        the extension or for other than a plain string array."""
        if _text_hints is None or self.size == 0 or not pa.types.is_string(strings.type):
            return None
        offsets, data = string_buffers(strings)
        packed = _text_hints.candidates(data, offsets.astype(np.int64), *self._args)
        matrix = np.frombuffer(packed, dtype=np.bool_).reshape(len(strings), self.size)
        if strings.null_count:
            matrix = matrix & np.asarray(strings.is_valid())[:, None]
        return matrix
