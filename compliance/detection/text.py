"""Free-text patterns: one text pattern of a recognizer compiled for RE2 and Python, where its
validating matches are, and texts rebuilt with spans replaced (scanner.py decides which rows each
pattern sees).

Spans: RE2 counts a type's matches per row; a row with one match takes its span from
`extract_regex` (the match ends where group `v` ends) and where its text occurs in the row (a C
search when it occurs once, else `find_substring_regex`), and only rows holding a type twice or
more are scanned in Python. The strings are rebuilt from the Arrow byte buffers in one C pass
(numpy without the extension).

Long word lists (the ~10,000 given names) cost both engines: Python compiles a pattern only when
its slow path first needs it and gets the list grouped by first letters (same matches), and RE2
counts only the texts that a widened form of the pattern matches (a superset of its matches).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.buffers import string_buffers
from compliance.detection.arrays import to_mask
from compliance.detection.listed_words import ListedWords
from compliance.detection.recognizers import Recognizer, TextPattern

try:  # C match starts and text rebuilding (native/text_hints.c); without it RE2 and numpy do them
    from compliance.detection import _text_hints as _native
except ImportError:
    _native = None


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_NAMED_GROUP_NAME = re.compile(r"\(\?P<(\w+)>")
# Groups wrapped around a text pattern: its whole match, and the text before the match.
_WHOLE = "whole"
_BEFORE = "before"


def _without_groups(pattern: str) -> str:
    """RE2 rejects a group name used twice in one pattern; the union only needs to match."""
    return _NAMED_GROUP.sub("(?:", pattern)


class FirstMatches(NamedTuple):
    """What find() learnt about the texts of one type with a match: their positions (sorted), their
    first match (TextType.first_matches) and whether that match validates."""

    positions: np.ndarray
    matches: pa.StructArray
    valid: np.ndarray


class TextType:
    """One text pattern of a recognizer, compiled for both engines."""

    def __init__(self, recognizer: Recognizer, pattern: TextPattern) -> None:
        self.recognizer = recognizer
        self.id_type = recognizer.id_type
        self.pattern = pattern.regex
        self.hint = pattern.hint
        check = pattern.check
        self._check = (
            getattr(recognizer, check) if isinstance(check, str) else functools.partial(check, recognizer)
        )
        # The value is a JSON value (a number, or a string's content): replacements must keep the document valid.
        self.json_value = pattern.json_value
        self.plain = _without_groups(self.pattern)
        # The names of its groups in pattern order (as re's groupindex lists them), read off the
        # text: compiling ~240 patterns in Python costs ~0.5 s and only the slow path needs them.
        self.groups = _NAMED_GROUP_NAME.findall(self.pattern)
        self._python: re.Pattern[str] | None = None
        # What a text must match for the pattern to match in it: its long word lists widened to
        # "a word of their letters" (None without such a list). A few small RE2 passes' worth;
        # the ~10,000 given names are costly for RE2 on texts with many capitalised words.
        self.necessary = _widened(self.pattern)
        # A pattern whose match can go on past `v` has its spans found in Python. For the others, the
        # match start comes from find_substring_regex on ASCII text; pyarrow < 17 runs that kernel
        # byte-wise (Latin-1), so other text gets it from a lazy prefix group instead (~3x slower).
        vectorised = _value_ends_match(self.pattern)
        self.whole = f"(?P<{_WHOLE}>{self.pattern})" if vectorised else None
        self.prefixed = f"^(?P<{_BEFORE}>(?s:.)*?)(?P<{_WHOLE}>{self.pattern})" if vectorised else None
        # A long word list RE2 gets cut down to the words of the texts at hand (listed_words.py).
        self._listed = _listed_words(self.pattern) if pattern.words_before_space else None

    def _re2(self, texts: pa.Array, form: str) -> str:
        """The "pattern", "whole" or "prefixed" form of the pattern for an RE2 pass over `texts`."""
        if self._listed is None:
            return getattr(self, form)
        before, _, after = getattr(self, form).partition(self.pattern)
        return before + self._listed.pattern_for(texts) + after

    @property
    def python(self) -> re.Pattern[str]:
        """The pattern for Python's engine, compiled on first use (ASCII so \\b, \\d and \\w mean
        what they mean in RE2). Two threads may both compile it: either result is the same."""
        if self._python is None:
            self._python = re.compile(_factored(self.pattern), re.ASCII)
        return self._python

    def valid(self, found: pa.StructArray) -> np.ndarray:
        return np.asarray(self._check(found), dtype=bool)

    def python_matches(self, texts: Sequence[str]) -> list[list[re.Match[str]]]:
        """Every validating match of each text (Python engine: the slow path, for few rows).

        Matches of all texts are validated together so the vectorised validator runs once.
        """
        found = [list(self.python.finditer(text)) for text in texts]
        flat = [match for matches in found for match in matches]
        if not flat:
            return found
        rows = [{name: (match.group(name) or "") for name in self.groups} for match in flat]
        ok = iter(self.valid(pa.array(rows, type=pa.struct([(name, pa.string()) for name in self.groups]))))
        return [[match for match in matches if next(ok)] for matches in found]

    def count(self, texts: pa.Array) -> np.ndarray:
        """Matches of the pattern (valid or not) in each text."""
        if self.necessary is None or not pa.types.is_string(texts.type) or len(texts) == 0:
            return self._count(texts)
        maybe = np.flatnonzero(to_mask(pc.match_substring_regex(texts, self.necessary)))
        count = np.zeros(len(texts), dtype=np.int64)
        if maybe.size:
            count[maybe] = self._count(only_rows(texts, maybe))[maybe]
        return count

    def _count(self, texts: pa.Array) -> np.ndarray:
        return (
            pc.fill_null(pc.count_substring_regex(texts, self._re2(texts, "pattern")), 0)
            .to_numpy(zero_copy_only=False)
            .astype(np.int64, copy=False)
        )

    def first_matches(self, texts: pa.Array) -> pa.StructArray:
        """The first match in each text (null where none): a field per group, and `whole` when the
        spans of single matches are vectorised, so `spans` can reuse it."""
        return pc.extract_regex(texts, self._re2(texts, "whole" if self.whole else "pattern"))

    def spans(
        self,
        texts: pa.Array,
        count: np.ndarray | None = None,
        first: FirstMatches | None = None,
        ascii_text: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, start byte, end byte) of group `v` in every validating match in `texts`; `count`
        may pass self.count(texts), `first` what find() learnt of the same texts and `ascii_text`
        whether each text is ASCII."""
        if count is None:
            count = self.count(texts)
        if self.whole is None:
            return self._python_spans(texts, np.flatnonzero(count > 0))
        once = np.flatnonzero(count == 1)
        if ascii_text is None:
            ascii_text = to_mask(pc.string_is_ascii(texts))
        ascii_text = ascii_text[once]
        known, known_other = None, None
        if first is not None:
            at = np.searchsorted(first.positions, once[ascii_text])
            known = (rows_of(first.matches, at), first.valid[at])
            at = np.searchsorted(first.positions, once[~ascii_text])
            known_other = (rows_of(first.matches, at), first.valid[at])
        return stacked(
            [
                self._single_spans(texts, once[ascii_text], ascii_only=True, known=known),
                self._single_spans(texts, once[~ascii_text], ascii_only=False, known=known_other),
                self._python_spans(texts, np.flatnonzero(count > 1)),
            ]
        )

    def _single_spans(
        self,
        texts: pa.Array,
        rows: np.ndarray,
        *,
        ascii_only: bool,
        known: tuple[pa.StructArray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Spans of rows holding exactly one match: RE2 gives where the match starts and its text
        (`known`: first_matches of those rows and their validity, when find() has them)."""
        if rows.size == 0:
            return _no_spans()
        single = rows_of(texts, rows)
        found, valid = known if known is not None else (None, None)
        if ascii_only:
            found = found if found is not None else pc.extract_regex(single, self._re2(single, "whole"))
            start = self._match_starts(single, found.field(_WHOLE))
        elif found is not None and _native is not None:
            # The match find() extracted: where its text occurs once, that is where it starts (a C
            # byte search); elsewhere the prefix group says (an RE2 pass over those texts only).
            start = self._match_starts(single, found.field(_WHOLE), ascii_only=False)
        else:
            found = pc.extract_regex(single, self._re2(single, "prefixed"))
            start = _byte_lengths(found.field(_BEFORE))
        end = start.astype(np.int64) + _byte_lengths(found.field(_WHOLE))
        size = _byte_lengths(found.field("v"))
        if valid is None:
            groups = pa.StructArray.from_arrays(
                [found.field(name) for name in self.groups], names=self.groups
            )
            valid = self.valid(groups)
        ok = valid & (size > 0)
        return rows[ok], (end - size)[ok], end[ok]

    def _match_starts(self, single: pa.Array, whole: pa.Array, *, ascii_only: bool = True) -> np.ndarray:
        """Byte position of the one match of each text in `single`, whose text is `whole`: where
        that text occurs only once, its position (C, no RE2 pass); elsewhere find_substring_regex
        (ASCII texts) or the length of the prefix group (others: see __init__)."""
        if _native is None:
            starts = pc.find_substring_regex(single, self._re2(single, "pattern"))
            return starts.to_numpy(zero_copy_only=False)
        offsets, data = _buffers(single)
        whole_offsets, whole_data = _buffers(whole)
        start = np.frombuffer(_native.only_occurrence(data, offsets, whole_data, whole_offsets), np.int64)
        unsure = np.flatnonzero(start < 0)
        if unsure.size:
            start = start.copy()
            texts = rows_of(single, unsure)
            start[unsure] = (
                pc.find_substring_regex(texts, self._re2(texts, "pattern")).to_numpy(zero_copy_only=False)
                if ascii_only
                else _byte_lengths(pc.extract_regex(texts, self._re2(texts, "prefixed")).field(_BEFORE))
            )
        return start

    def _python_spans(self, texts: pa.Array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if rows.size == 0:
            return _no_spans()
        values = texts.take(pa.array(rows)).to_pylist()
        found: list[tuple[int, int, int]] = []
        for row, text, matches in zip(rows.tolist(), values, self.python_matches(values), strict=True):
            for match in matches:
                start, end = match.span("v")
                if start >= end:
                    continue
                if not text.isascii():  # Python counts characters, Arrow buffers count bytes
                    start, end = len(text[:start].encode()), len(text[:end].encode())
                found.append((row, start, end))
        table = np.array(found, dtype=np.int64).reshape(-1, 3)
        return table[:, 0], table[:, 1], table[:, 2]


# A group of many plain-word alternatives ("(?:Aachal|Aada|...)"): no character that means more than itself.
_WORD_LIST = re.compile(r"\(\?:((?:[^\\()|\[\]{}.*+?^$]+\|){63,}[^\\()|\[\]{}.*+?^$]+)\)")


def _factored(pattern: str) -> str:
    """`pattern` with each long list of plain words grouped by their first letters, for Python.

    Python's engine tries every alternative in turn at every position (~10,000 given names: ~1 ms
    a text); grouped, it tries one branch per first letter. Only words with the same first letter
    can match at one position and their order is kept, so every match is the same. Lists under a
    case-insensitive flag are left alone (there "A" and "a" would be different branches that match
    the same text).
    """
    parts, done = [], 0
    for found in _WORD_LIST.finditer(pattern):
        if _flagged_at(pattern, found.start()):
            continue
        parts += [pattern[done : found.start()], "(?:", _by_first_letter(found.group(1).split("|"), 2), ")"]
        done = found.end()
    return "".join(parts) + pattern[done:] if parts else pattern


def _by_first_letter(words: list[str], depth: int) -> str:
    """An alternation matching what "|".join(words) matches, in the same order, grouped by letter.
    Words of different first letters never match at the same position, so their order among each
    other does not matter; an empty word (one word the start of another) matches wherever they do,
    so a list holding one is left as it is."""
    if depth == 0 or len(words) < 8 or "" in words:
        return "|".join(words)
    rests: dict[str, list[str]] = {}
    for word in words:
        rests.setdefault(word[:1], []).append(word[1:])
    return "|".join(
        first + (rest[0] if len(rest) == 1 else f"(?:{_by_first_letter(rest, depth - 1)})")
        for first, rest in rests.items()
    )


def _widened(pattern: str) -> str | None:
    """`pattern` (for RE2, without group names) with each long list of plain words replaced by a
    word of their first letters then of their other letters: it matches wherever `pattern` does
    (each listed word is such a word), and more. None when `pattern` has no such list."""
    parts, done = [], 0
    for found in _WORD_LIST.finditer(pattern):
        if _flagged_at(pattern, found.start()):
            continue
        words = found.group(1).split("|")
        first, rest = (
            _letters(word[0] for word in words),
            _letters(char for word in words for char in word[1:]),
        )
        parts += [pattern[done : found.start()], f"(?:{first}{rest}*)"]
        done = found.end()
    return _without_groups("".join(parts) + pattern[done:]) if parts else None


def _letters(chars: Iterator[str]) -> str:
    """A character class of `chars` (escaped where a class needs it)."""
    return "[" + "".join("\\" + char if char in "\\[]^-" else char for char in sorted(set(chars))) + "]"


def _flagged_at(pattern: str, position: int) -> bool:
    """Whether a flag that changes what a plain word matches applies at `position`: any global
    flag, or a case-insensitive group ("(?i:") still open there."""
    if _GLOBAL_FLAGS.match(pattern):  # any global flag: "i", or "x" where a space means nothing
        return True
    open_groups: list[bool] = []
    for index, char in _syntax(pattern):
        if index >= position:
            break
        if char == "(":
            open_groups.append(_SCOPED_FLAGS.match(pattern, index) is not None)
        elif char == ")" and open_groups:
            open_groups.pop()
    return any(open_groups)


_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")
_SCOPED_FLAGS = re.compile(r"\(\?[a-zA-Z-]*i[a-zA-Z-]*:")


def _syntax(pattern: str, index: int = 0) -> Iterator[tuple[int, str]]:
    """(position, character) of the characters of `pattern` from `index` on, escapes and the
    insides of character classes left out."""
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            index += 1
            index += pattern.startswith("^", index)
            index += pattern.startswith("]", index)  # a "]" first in a class is a member
            continue
        else:
            yield index, char
        index += 1


def _no_spans() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.zeros(0, dtype=np.int64) for _ in range(3))


def stacked(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Concatenate (row, start, end, ...) array tuples field by field, as int64."""
    return tuple(np.concatenate([part[i] for part in parts]).astype(np.int64) for i in range(len(parts[0])))


@functools.cache  # read-only once built: every Detector of a process shares it
def _listed_words(pattern: str) -> ListedWords:
    return ListedWords(pattern)


@functools.cache  # a pure function of the pattern: every Detector of a process asks it again
def _value_ends_match(pattern: str) -> bool:
    r"""Whether group `v` ends every match it takes part in: it sits at the top level and only \b or $
    follow it. Parentheses are counted outside escapes and character classes."""
    start = pattern.find("(?P<v>")
    if start < 0:
        return False
    end, depth = len(pattern), 0
    for index, char in _syntax(pattern, start):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                end = index
                break
    return re.fullmatch(r"(?:\\b|\$)*", pattern[end + 1 :]) is not None


def splice(
    strings: pa.Array, row: np.ndarray, start: np.ndarray, end: np.ndarray, replacements: pa.Array
) -> tuple[np.ndarray, pa.Array]:
    """(rows that change, their new values): each span [start, end) of `strings[row]` replaced.

    Spans are sorted by (row, start) and disjoint. Each changed row is a sequence of pieces, text
    before a span then its replacement, and a tail: copied piece by piece in C, else gathered from
    one byte buffer with numpy.
    """
    offsets, data = _buffers(strings)
    replacement_offsets, replacement_data = _buffers(replacements)
    changed, first = np.unique(row, return_index=True)
    if _native is not None:
        joined, value_offsets = _native.splice(
            data,
            offsets,
            *(np.ascontiguousarray(a, dtype=np.int64) for a in (row, start, end)),
            replacement_data,
            replacement_offsets,
        )
        buffers = [None, pa.py_buffer(value_offsets), pa.py_buffer(joined)]
        return changed, pa.Array.from_buffers(pa.string(), changed.size, buffers)
    spans, rows = row.size, changed.size
    last = np.append(first[1:], spans) - 1
    starts_row = np.ones(spans, dtype=bool)
    starts_row[1:] = row[1:] != row[:-1]
    previous_end = np.where(starts_row, 0, np.roll(end, 1))
    gap = 2 * np.arange(spans) + np.searchsorted(changed, row)
    tail = 2 * last + 2 + np.arange(rows)
    piece_start = np.empty(2 * spans + rows, dtype=np.int64)
    piece_size = np.empty(2 * spans + rows, dtype=np.int64)
    piece_start[gap] = offsets[row] + previous_end
    piece_size[gap] = start - previous_end
    piece_start[gap + 1] = data.size + replacement_offsets[:-1]
    piece_size[gap + 1] = np.diff(replacement_offsets)
    piece_start[tail] = offsets[changed] + end[last]
    piece_size[tail] = offsets[changed + 1] - offsets[changed] - end[last]
    pieces_per_row = 2 * (last - first + 1) + 1
    source = np.concatenate([data, replacement_data])
    return changed, _concat_pieces(source, piece_start, piece_size, pieces_per_row)


_JSON_NUMBER = r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$"


def as_json_values(strings: pa.Array, row: np.ndarray, start: np.ndarray, replacements: pa.Array) -> pa.Array:
    """`replacements` of spans that are JSON values, so the document stays valid: inside a string
    (a quote before the span) escaped, elsewhere a number as it is and anything else quoted
    (a token put where "lat": 52.520008 was would break the document)."""
    offsets, data = _buffers(strings)
    at = offsets[row] + start - 1
    quoted = (start > 0) & (data[np.maximum(at, 0)] == ord('"'))
    escaped = pc.replace_substring(pc.replace_substring(replacements, "\\", "\\\\"), '"', '\\"')
    number = to_mask(pc.match_substring_regex(replacements, _JSON_NUMBER))
    wrapped = pc.binary_join_element_wise('"', escaped, '"', "")
    return pc.if_else(pa.array(quoted), escaped, pc.if_else(pa.array(number), replacements, wrapped))


def span_texts(strings: pa.Array, row: np.ndarray, start: np.ndarray, end: np.ndarray) -> pa.Array:
    """The text of each span [start, end) of `strings[row]` (bytes), as a string array."""
    offsets, data = _buffers(strings)
    return _concat_pieces(data, offsets[row] + start, end - start)


def _concat_pieces(
    source: np.ndarray, starts: np.ndarray, sizes: np.ndarray, pieces_per_value: np.ndarray | None = None
) -> pa.Array:
    """A string array whose value i joins its next pieces_per_value[i] byte ranges (default 1) of `source`."""
    sizes = sizes.astype(np.int64, copy=False)
    ends = np.cumsum(sizes)
    if ends.size and ends[-1] > np.iinfo(np.int32).max:
        raise OverflowError("scrubbed text of one batch exceeds 2 GiB; use smaller batches")
    # Source position of every output byte: +1 inside a piece, a jump where a non-empty piece
    # starts; one cumulative sum instead of an arange plus a repeat per byte.
    step = np.ones(int(ends[-1]) if ends.size else 0, dtype=np.int64)
    filled = sizes > 0
    first, at = np.asarray(starts, dtype=np.int64)[filled], (ends - sizes)[filled]
    if first.size:
        step[at[0]] = first[0]
        step[at[1:]] = first[1:] - (first[:-1] + sizes[filled][:-1] - 1)
    index = np.cumsum(step)
    piece_offsets = np.concatenate([[0], ends])
    if pieces_per_value is None:
        value_offsets = piece_offsets
    else:
        value_offsets = piece_offsets[np.concatenate([[0], np.cumsum(pieces_per_value)])]
    count = value_offsets.size - 1
    buffers = [None, pa.py_buffer(value_offsets.astype(np.int32)), pa.py_buffer(source[index])]
    return pa.Array.from_buffers(pa.string(), count, buffers)


def _buffers(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(n + 1 offsets as int64, data bytes without a copy) of a string array; offsets index into the data."""
    offsets, data = string_buffers(strings)
    return offsets.astype(np.int64), data


def only_rows(values: pa.Array, rows: np.ndarray) -> pa.Array:
    """`values` (a string array) with every row but `rows` (sorted, valid) null, sharing its buffers:
    a kernel then reads only those rows, and no row is copied."""
    valid = np.zeros(values.offset + len(values), dtype=bool)
    valid[values.offset + rows] = True
    _, offsets, data = values.buffers()
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.string(), len(values), [bitmap, offsets, data], offset=values.offset)


def rows_of(values: pa.Array, positions: np.ndarray) -> pa.Array:
    """values[positions] for sorted, distinct positions: `values` itself when they are all of it."""
    return values if positions.size == len(values) else values.take(pa.array(positions))


def _byte_lengths(strings: pa.Array) -> np.ndarray:
    return pc.fill_null(pc.binary_length(strings), 0).to_numpy(zero_copy_only=False).astype(np.int64)
