"""Identifiers embedded in free text (notes, memo, comments): find them per row, or scrub them.

Cost model: one RE2 pass of the union of all text patterns over the column splits rows into
"nothing identifier-shaped" (most notes) and candidates. Each type's pattern then runs on the
candidates only, `extract_regex` pulls the first match per row, and the recognizer validates the
matches vectorised. Every RE2 pass costs about the same per byte, so the scanner learns which types
a column usually holds ("hot") and counts those directly; the others share one union pass and are
counted only on the rows it leaves. Only rows whose first match fails validation (a decoy before a real value) are
re-scanned in Python for their later matches. With the C extension (hints.py), one pass over the
bytes replaces the union and group passes: it tells per text which types' patterns may match, and
each type's RE2 passes run on those texts only (same results: a hint never misses a match).

Scrubbing needs every span: RE2 counts each type's matches per row; a row with one match takes its
span from `extract_regex` (the match ends where group `v` ends) and where its text occurs in the row
(a C search when it occurs once, else `find_substring_regex`), and only rows holding a type twice
or more are scanned in Python. Overlaps are resolved with numpy, the
strings rebuilt from the Arrow byte buffers in one C pass (numpy without the extension), and
replacements are asked for once per type.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.buffers import string_buffers
from compliance.detection.arrays import to_mask
from compliance.detection.hints import HintTable
from compliance.detection.recognizers import Recognizer, TextPattern
from compliance.vocabulary import IdType

try:  # C match starts and text rebuilding (native/text_hints.c); without it RE2 and numpy do them
    from compliance.detection import _text_hints as _native
except ImportError:
    _native = None

ReplaceMany = Callable[[IdType, pa.Array], pa.Array]
"""replace_many(type, texts) -> one replacement string per text (same length, same order)."""

_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
# Groups wrapped around a text pattern: its whole match, and the text before the match.
_WHOLE = "whole"
_BEFORE = "before"
# Share of a column's candidate rows in which a type must match to get a pass of its own ("hot").
_HOT_SHARE = 0.05


def _without_groups(pattern: str) -> str:
    """RE2 rejects a group name used twice in one pattern; the union only needs to match."""
    return _NAMED_GROUP.sub("(?:", pattern)


class _FirstMatches(NamedTuple):
    """What find() learnt about the texts of one type with a match: their positions (sorted), their
    first match (TextType.first_matches) and whether that match validates."""

    positions: np.ndarray
    matches: pa.StructArray
    valid: np.ndarray


class _TextType:
    """One text pattern of a recognizer, compiled for both engines."""

    def __init__(self, recognizer: Recognizer, pattern: TextPattern) -> None:
        self.recognizer = recognizer
        self.id_type = recognizer.id_type
        self.pattern = pattern.regex
        self.hint = pattern.hint
        self._check = getattr(recognizer, pattern.check)
        self.plain = _without_groups(self.pattern)
        # ASCII so \b, \d and \w mean what they mean in RE2.
        self.python = re.compile(self.pattern, re.ASCII)
        self.groups = list(self.python.groupindex)
        # A pattern whose match can go on past `v` has its spans found in Python. For the others, the
        # match start comes from find_substring_regex on ASCII text; pyarrow < 17 runs that kernel
        # byte-wise (Latin-1), so other text gets it from a lazy prefix group instead (~3x slower).
        vectorised = _value_ends_match(self.pattern)
        self.whole = f"(?P<{_WHOLE}>{self.pattern})" if vectorised else None
        self.prefixed = f"^(?P<{_BEFORE}>(?s:.)*?)(?P<{_WHOLE}>{self.pattern})" if vectorised else None

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
        return pc.fill_null(pc.count_substring_regex(texts, self.pattern), 0).to_numpy(zero_copy_only=False)

    def first_matches(self, texts: pa.Array) -> pa.StructArray:
        """The first match in each text (null where none): a field per group, and `whole` when the
        spans of single matches are vectorised, so `spans` can reuse it."""
        return pc.extract_regex(texts, self.whole or self.pattern)

    def spans(
        self,
        texts: pa.Array,
        count: np.ndarray | None = None,
        first: _FirstMatches | None = None,
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
        known = None
        if first is not None:
            at = np.searchsorted(first.positions, once[ascii_text])
            known = (_rows(first.matches, at), first.valid[at])
        return _stacked(
            [
                self._single_spans(texts, once[ascii_text], ascii_only=True, known=known),
                self._single_spans(texts, once[~ascii_text], ascii_only=False),
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
        single = _rows(texts, rows)
        found, valid = known if known is not None else (None, None)
        if ascii_only:
            found = found if found is not None else pc.extract_regex(single, self.whole)
            start = self._match_starts(single, found.field(_WHOLE))
        else:
            found = pc.extract_regex(single, self.prefixed)
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

    def _match_starts(self, single: pa.Array, whole: pa.Array) -> np.ndarray:
        """Byte position of the one match of each text in `single`, whose text is `whole`: where
        that text occurs only once, its position (C, no RE2 pass); elsewhere find_substring_regex."""
        if _native is None:
            return pc.find_substring_regex(single, self.pattern).to_numpy(zero_copy_only=False)
        offsets, data = _buffers(single)
        whole_offsets, whole_data = _buffers(whole)
        start = np.frombuffer(_native.only_occurrence(data, offsets, whole_data, whole_offsets), np.int64)
        unsure = np.flatnonzero(start < 0)
        if unsure.size:
            start = start.copy()
            start[unsure] = pc.find_substring_regex(_rows(single, unsure), self.pattern).to_numpy(
                zero_copy_only=False
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


@dataclass
class _Prefiltered:
    """A text column's candidate rows (positions in the column) and their values (`subset`); per
    group of types with a match: its positions in `subset`, their values and the group's types.
    Per-type match counts are computed on first use and kept."""

    candidates: np.ndarray
    subset: pa.Array
    hot: set[_TextType]
    groups: list[tuple[np.ndarray, pa.Array, list[_TextType]]] = field(default_factory=list)
    counts: dict[int, np.ndarray] = field(default_factory=dict)
    # Per type: positions in its group with a match, and their first_matches (find() leaves them).
    firsts: dict[int, _FirstMatches] = field(default_factory=dict)
    _ascii: np.ndarray | None = None

    def ascii_text(self) -> np.ndarray:
        """Whether each text of `subset` is ASCII (one pass, shared by the types' spans)."""
        if self._ascii is None:
            self._ascii = to_mask(pc.string_is_ascii(self.subset))
        return self._ascii

    def count(self, text_type: _TextType, group_values: pa.Array) -> np.ndarray:
        """text_type.count(group_values) for the group holding `text_type` (one group per type)."""
        key = id(text_type)
        if key not in self.counts:
            self.keep(text_type, text_type.count(group_values))
        return self.counts[key]

    def keep(self, text_type: _TextType, count: np.ndarray) -> None:
        """Store a type's counts and update whether it is hot: matched in enough candidates that a
        pass of its own is cheaper than the union pass plus the group passes it would trigger."""
        self.counts[id(text_type)] = count
        if np.count_nonzero(count) >= _HOT_SHARE * self.candidates.size:
            self.hot.add(text_type)
        else:
            self.hot.discard(text_type)


class TextScanner:
    def __init__(self, recognizers: Sequence[Recognizer]) -> None:
        self.types = [_TextType(r, pattern) for r in recognizers for pattern in r.text_patterns()]
        self.union = _union(self.types)
        # Types are probed in groups (~sqrt of their number): a group's union skips its types on
        # rows holding none of them, so each RE2 pass covers fewer rows.
        size = max(1, int(np.ceil(np.sqrt(len(self.types)))))
        chunks = [self.types[i : i + size] for i in range(0, len(self.types), size)]
        self.groups = [(_union(chunk), chunk) for chunk in chunks]
        self._hot: set[_TextType] = set()  # learnt from earlier columns/batches; only a speed hint
        self._hints = HintTable.of(tuple(t.hint for t in self.types))
        # The prefilters of the current batch's columns, by (length, bytes): see _prefilter.
        self._prefilters: dict[tuple[int, int], list[tuple[pa.Array, _Prefiltered]]] = {}

    def _prefilter(self, values: pa.Array) -> _Prefiltered:
        """The RE2 passes that find() and scrub() share, for `values`.

        A pipeline scans a text column twice (detection, then scrubbing), usually over equal text:
        the results of the current batch (forget_batch() drops them) are kept and reused when an
        array of equal content comes again (one memcmp instead of ~25 RE2 passes over the text).
        """
        key = (len(values), values.nbytes)
        for seen, result in self._prefilters.get(key, ()):
            if type(seen) is type(values) and seen.type == values.type and seen.equals(values):
                return result
        hinted = self._hints.candidate_types(values)
        if hinted is not None:
            candidates = np.flatnonzero(hinted.any(axis=1))
            result = _Prefiltered(candidates, _rows(values, candidates), self._hot)
            self._group_by_hints(result, hinted[candidates])
        else:
            candidates = self._candidates(values)
            result = _Prefiltered(candidates, _rows(values, candidates), self._hot)
            if candidates.size:
                self._group(result)
        self._prefilters.setdefault(key, []).append((values, result))
        return result

    def forget_batch(self) -> None:
        """Drop the kept prefilters: a new batch starts (they hold its columns)."""
        self._prefilters = {}

    def _group_by_hints(self, prefiltered: _Prefiltered, hinted: np.ndarray) -> None:
        """Fill `prefiltered.groups` from the C hints (`hinted`: candidates x types): a group per
        type, the candidates its hint holds for; its RE2 passes see only those."""
        for index, text_type in enumerate(self.types):
            where = np.flatnonzero(hinted[:, index])
            if where.size:
                prefiltered.groups.append((where, _rows(prefiltered.subset, where), [text_type]))

    def _candidates(self, values: pa.Array) -> np.ndarray:
        if len(values) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(to_mask(pc.match_substring_regex(values, self.union)))

    def _group(self, prefiltered: _Prefiltered) -> None:
        """Fill `prefiltered.groups`: each hot type counted on every candidate (a group of its own,
        its rows with a match); the cold types probed in groups, on the rows their union matches."""
        subset = prefiltered.subset
        hot = [t for t in self.types if t in prefiltered.hot]
        for text_type in hot:
            count = text_type.count(subset)
            where = np.flatnonzero(count > 0)
            prefiltered.keep(text_type, count[where])
            if where.size:
                prefiltered.groups.append((where, _rows(subset, where), [text_type]))
        cold = [t for t in self.types if t not in hot]
        if not cold:
            return
        if hot:
            rows = np.flatnonzero(to_mask(pc.match_substring_regex(subset, _union(cold))))
            cold_values = _rows(subset, rows)
            size = max(1, int(np.ceil(np.sqrt(len(cold)))))
            groups = [(_union(cold[i : i + size]), cold[i : i + size]) for i in range(0, len(cold), size)]
        else:  # the candidate pass was this union already
            rows, cold_values, groups = np.arange(len(subset)), subset, self.groups
        for union, chunk in groups if rows.size else []:
            where = np.flatnonzero(to_mask(pc.match_substring_regex(cold_values, union)))
            if where.size:
                prefiltered.groups.append((rows[where], _rows(cold_values, where), chunk))

    def find(self, values: pa.Array) -> dict[IdType, np.ndarray]:
        """Row indices (sorted, unique) holding at least one valid identifier, per type."""
        found: dict[IdType, np.ndarray] = {}
        prefiltered = self._prefilter(values)
        for where, group_values, chunk in prefiltered.groups:
            group_rows = prefiltered.candidates[where]
            for text_type in chunk:
                # Rows with a match (counted once, shared with scrub()), then their first match.
                counts = prefiltered.count(text_type, group_values)
                position = np.flatnonzero(counts > 0)
                if position.size == 0:
                    continue
                first = text_type.first_matches(_rows(group_values, position))
                matched = to_mask(pc.is_valid(first))
                rows = group_rows[position[matched]]
                ok = text_type.valid(first if matched.all() else first.filter(pa.array(matched)))
                valid = np.zeros(position.size, dtype=bool)
                valid[matched] = ok
                prefiltered.firsts[id(text_type)] = _FirstMatches(position, first, valid)
                hits = [rows[ok]]
                # The first match was a decoy: look at the later matches of the rows that have some
                # (the count is of non-overlapping matches, as Python's finditer sees them).
                retry = rows[~ok & (counts[position[matched]] > 1)]
                if retry.size:
                    later = text_type.python_matches(values.take(pa.array(retry)).to_pylist())
                    hits.append(retry[np.array([bool(m) for m in later], dtype=bool)])
                found_rows = np.concatenate(hits)
                if found_rows.size:
                    # A type may have several patterns: its rows are the union of theirs.
                    before = found.get(text_type.id_type)
                    found[text_type.id_type] = (
                        np.sort(found_rows) if before is None else np.union1d(before, found_rows)
                    )
        return found

    def scrub(self, values: pa.Array, replace_many: ReplaceMany) -> pa.Array:
        """Replace every valid identifier span by its replacement; earlier, then longer, spans win.

        `replace_many(type, texts)` is called at most once per type, with the matched texts of the
        whole column. Rows without identifiers keep their value; with none at all, the (string)
        input is returned as it is.
        """
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        strings = values if pa.types.is_string(values.type) else values.cast(pa.string())
        prefiltered = self._prefilter(strings)
        candidates, subset = prefiltered.candidates, prefiltered.subset
        if candidates.size == 0:
            return strings
        row, start, end, kind = _first_wins(*self._spans(prefiltered))
        if row.size == 0:
            return strings
        offsets, data = _buffers(subset)
        texts = _concat_pieces(data, offsets[row] + start, end - start)
        changed, rebuilt = _splice(subset, row, start, end, self._replacements(texts, kind, replace_many))
        mask = np.zeros(len(strings), dtype=bool)
        mask[candidates[changed]] = True
        return pc.replace_with_mask(strings, pa.array(mask), rebuilt)

    def _spans(self, prefiltered: _Prefiltered) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every valid identifier span of each candidate text (row in `prefiltered.subset`, start
        byte, end byte, index of its type)."""
        index_of = {id(text_type): index for index, text_type in enumerate(self.types)}
        parts: list[tuple[np.ndarray, ...]] = []
        for where, group, chunk in prefiltered.groups:
            for text_type in chunk:
                rows, start, end = text_type.spans(
                    group,
                    prefiltered.count(text_type, group),
                    prefiltered.firsts.get(id(text_type)),
                    prefiltered.ascii_text()[where],
                )
                parts.append((where[rows], start, end, np.full(rows.size, index_of[id(text_type)])))
        return _stacked(parts) if parts else tuple(np.zeros(0, dtype=np.int64) for _ in range(4))

    def _replacements(self, texts: pa.Array, kind: np.ndarray, replace_many: ReplaceMany) -> pa.Array:
        """The replacement of each span: one call of `replace_many` per type, put back in span order."""
        order = np.argsort(kind, kind="stable")
        kinds, first = np.unique(kind[order], return_index=True)
        bounds = [*first.tolist(), order.size]
        parts = []
        for position, type_index in enumerate(kinds.tolist()):
            chosen = texts.take(pa.array(order[bounds[position] : bounds[position + 1]]))
            out = replace_many(self.types[type_index].id_type, chosen)
            if isinstance(out, pa.ChunkedArray):
                out = out.combine_chunks()
            if not isinstance(out, pa.Array) or len(out) != len(chosen):
                raise TypeError(
                    "replace_many(type, texts) must return an Arrow array with one value per text"
                )
            parts.append(pc.fill_null(out.cast(pa.string()), ""))  # a null replacement deletes the span
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)
        return pa.concat_arrays(parts).take(pa.array(inverse))


def per_value(replace: Callable[[IdType, str], str]) -> ReplaceMany:
    """Adapt a one-value callback, replace(type, text) -> str, to the batch contract of `scrub`."""

    def replace_many(id_type: IdType, texts: pa.Array) -> pa.Array:
        return pa.array([replace(id_type, text) for text in texts.to_pylist()], pa.string())

    return replace_many


def _no_spans() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.zeros(0, dtype=np.int64) for _ in range(3))


def _stacked(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Concatenate (row, start, end, ...) array tuples field by field, as int64."""
    return tuple(np.concatenate([part[i] for part in parts]).astype(np.int64) for i in range(len(parts[0])))


def _union(types: Sequence[_TextType]) -> str:
    return "|".join(f"(?:{t.plain})" for t in types)


@functools.cache  # a pure function of the pattern: every Detector of a process asks it again
def _value_ends_match(pattern: str) -> bool:
    r"""Whether group `v` ends every match it takes part in: it sits at the top level and only \b or $
    follow it. Parentheses are counted outside escapes and character classes."""
    index = pattern.find("(?P<v>")
    if index < 0:
        return False
    depth = 0
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
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                break
        index += 1
    return re.fullmatch(r"(?:\\b|\$)*", pattern[index + 1 :]) is not None


def _first_wins(
    row: np.ndarray, start: np.ndarray, end: np.ndarray, kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Spans sorted by (row, start, longer first, type order), without those overlapping a kept one."""
    order = np.lexsort((kind, start - end, start, row))
    row, start, end, kind = row[order], start[order], end[order], kind[order]
    if row.size < 2:
        return row, start, end, kind
    # Furthest end of the earlier spans of the same row (row * width keeps rows apart in one maximum).
    width = int(end.max()) + 1
    reach = np.maximum.accumulate(row * width + end)
    overlaps = np.zeros(row.size, dtype=bool)
    overlaps[1:] = start[1:] < reach[:-1] - row[1:] * width
    if not overlaps.any():
        return row, start, end, kind
    keep = np.ones(row.size, dtype=bool)
    current, cursor = -1, 0
    # Who wins depends on who won before: sequential, but only over the rows with an overlap.
    for index in np.flatnonzero(np.isin(row, row[overlaps])).tolist():
        if row[index] != current:
            current, cursor = row[index], 0
        if start[index] < cursor:
            keep[index] = False
        else:
            cursor = end[index]
    return row[keep], start[keep], end[keep], kind[keep]


def _splice(
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


def _rows(values: pa.Array, positions: np.ndarray) -> pa.Array:
    """values[positions] for sorted, distinct positions: `values` itself when they are all of it."""
    return values if positions.size == len(values) else values.take(pa.array(positions))


def _byte_lengths(strings: pa.Array) -> np.ndarray:
    return pc.fill_null(pc.binary_length(strings), 0).to_numpy(zero_copy_only=False).astype(np.int64)
