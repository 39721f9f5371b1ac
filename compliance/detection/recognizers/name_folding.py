"""How the person-name recognizer reads words: without accents, in title case, and which of their
starts the C prefilter looks for."""

from __future__ import annotations

import pkgutil
import re
import unicodedata

import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.recognizers.name_words import AMBIGUOUS_GIVEN

# Letters NFKD does not decompose into a base letter: without them "Irıs" would read "Irs", "Łukasz" "ukasz".
_UNDECOMPOSED = str.maketrans(
    {"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ß": "ss",
     "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ħ": "h", "Ħ": "H", "ŀ": "l", "Ŀ": "L"}
)  # fmt: skip


def ascii_folded(word: str) -> str:
    """`word` in ASCII letters: accents dropped, letters without a decomposition spelled out."""
    if word.isascii():  # NFKD leaves ASCII as it is: most words, ~10,000 given names at import
        return word
    return unicodedata.normalize("NFKD", word.translate(_UNDECOMPOSED)).encode("ascii", "ignore").decode()


def folded_title(words: pa.Array) -> pa.Array:
    """Each word without accents, in title case ("ÉMILE" -> "Emile", "o'brien" -> "O'Brien")."""
    plain = [None if word is None else ascii_folded(word) for word in words.to_pylist()]
    return pc.utf8_title(pa.array(plain, type=pa.string()))


def shortest_prefixes(words: set[str]) -> tuple[str, ...]:
    """The words none of the others starts ("Ann" stands for "Anna" and "Annabelle" too): the C
    prefilter matches a keyword as a word's start, so the shorter list passes the same texts and
    costs less per word (10,000 names share a few hundred two-letter buckets)."""
    kept: list[str] = []
    for word in sorted(words):
        if not kept or not word.startswith(kept[-1]):
            kept.append(word)
    return tuple(kept)


_ASCII_START = re.compile(r"[A-Za-z]+")


def hint_words(names: list[str]) -> set[str]:
    return {word for name in names if (word := _hint_word(name))}


def _hint_word(name: str) -> str | None:
    """What the C prefilter looks for of a given name: its ASCII start ("Jean" of "Jean-Pierre"); None
    for a name with a non-ASCII second letter ("Máxima", "Jürgen"): a text holding it has a non-ASCII
    byte, for which the C pass keeps every type a candidate."""
    start = _ASCII_START.match(name)[0]
    return start if len(start) >= 2 else None


def _given_names() -> list[str]:
    """The given names of compliance/detection/given_names.txt (scripts/build_given_names.py); read
    once per process."""
    data = pkgutil.get_data("compliance.detection", "given_names.txt")
    if not data:  # a package built without its data file would miss every untitled name: fail loudly
        raise RuntimeError("compliance/detection/given_names.txt is missing from the installed package")
    return data.decode("utf-8").split()


ALL_GIVEN = _given_names()
GIVEN = [name for name in ALL_GIVEN if name not in AMBIGUOUS_GIVEN]
# The same names compared without accents and in title case ("ÉMILE", "Emile" -> "Emile").
# With the names that are common words too: the patterns using it say where a name is ("FROM DAWN
# GREEN" on a payment), the list only confirms the first word.
GIVEN_FOLDED = pa.array(sorted({ascii_folded(name) for name in ALL_GIVEN}))
GIVEN_FOLDED_UNAMBIGUOUS = pa.array(sorted({ascii_folded(name) for name in GIVEN}))
