"""A text pattern's long list of words cut down to those a batch of texts holds, for RE2.

pyarrow compiles a regex anew on every kernel call, and the ~10,000 given names of the untitled
person-name pattern take 20-120 ms to compile (count, extract and find each compile it), several
times per batch. A listed word that ends no space-delimited token of the texts cannot match in them,
so the pattern with only the words they hold (a few hundred) finds exactly the same matches, and
compiles in a millisecond or two.

This holds for a list of letters-only words preceded by `\\b` and followed by a space in every
match (TextPattern.words_before_space says so): a listed word then matches only as the whole letter
run ending a token, or as a part of that run starting where an ASCII letter meets another letter
(RE2's \\b is ASCII); for runs with other letters every tail is kept.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

# A long list of plain words as the scanner finds them (text.py's _WORD_LIST), preceded by \b.
_BOUNDED_LIST = re.compile(
    r"\\b(?:\(\?P<\w+>)?\(\?:((?:[^\\()|\[\]{}.*+?^$]+\|){63,}[^\\()|\[\]{}.*+?^$]+)\)"
)
# What stands for a list none of whose words is in the texts: a class no character is in.
_NOTHING = r"[^\x00-\x{10FFFF}]"


class ListedWords:
    """The long word list of one pattern, to be cut down per batch of texts."""

    def __init__(self, pattern: str) -> None:
        found = list(_BOUNDED_LIST.finditer(pattern))
        if len(found) != 1:
            raise ValueError("words_before_space needs exactly one long word list after \\b in the pattern")
        if re.search(r"\(\?[a-zA-Z-]*i", pattern[: found[0].start()]):
            raise ValueError("words_before_space needs a list that is matched case-sensitively")
        words = found[0].group(1).split("|")
        self._values = pa.array(words, pa.string())
        # Letters as RE2 reads them (\pL), the runs held() cuts the tokens into.
        if (
            not all(word.isalpha() for word in words)
            or not pc.all(pc.match_substring_regex(self._values, r"^\pL+$")).as_py()
        ):
            raise ValueError("words_before_space needs a list of letters-only words")
        self._before, self._after = pattern[: found[0].start(1)], pattern[found[0].end(1) :]
        self._order = {word: index for index, word in enumerate(words)}

    def pattern_for(self, texts: pa.Array) -> str:
        """The pattern with only the listed words that may match in `texts` (in list order)."""
        held = self.held(texts)
        listed = "|".join(held) if held else _NOTHING
        return self._before + listed + self._after

    def held(self, texts: pa.Array) -> list[str]:
        """The listed words that end a space-delimited token of `texts`, or a tail of one that
        starts at an ASCII-word boundary inside it (a superset of those that can match)."""
        if len(texts) == texts.null_count:
            return []
        tokens = pc.unique(pc.list_flatten(pc.split_pattern(texts, " ")))
        runs = pc.unique(pc.extract_regex(tokens, r"(?P<run>\pL+)$").field("run"))
        runs = runs.filter(pc.is_valid(runs))
        held = runs.filter(pc.is_in(runs, value_set=self._values)).to_pylist()
        other = runs.filter(pc.invert(pc.string_is_ascii(runs))).to_pylist()
        tails = {run[start:] for run in other for start in range(1, len(run))}
        held = set(held) | {tail for tail in tails if tail in self._order}
        return sorted(held, key=self._order.__getitem__)
