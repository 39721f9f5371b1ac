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

Scrubbing needs every span (text.py finds them per type); overlaps are resolved with numpy and
replacements are asked for once per type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import to_mask
from compliance.detection.confusables import Folding
from compliance.detection.hints import HintTable
from compliance.detection.recognizers import Recognizer
from compliance.detection.text import (
    FirstMatches,
    TextType,
    as_json_values,
    only_rows,
    rows_of,
    span_texts,
    splice,
    stacked,
)
from compliance.vocabulary import IdType

ReplaceMany = Callable[[IdType, pa.Array], pa.Array]
"""replace_many(type, texts) -> one replacement string per text (same length, same order)."""


# Share of a column's candidate rows in which a type must match to get a pass of its own ("hot").
_HOT_SHARE = 0.05


@dataclass
class _Prefiltered:
    """A text column's candidate rows (positions in the column) and their values (`subset`); per
    group of types with a match: its positions in `subset`, their values (None: not gathered, see
    values()) and the group's types. Per-type match counts are computed on first use and kept."""

    candidates: np.ndarray
    subset: pa.Array
    hot: set[TextType]
    groups: list[tuple[np.ndarray, pa.Array, list[TextType]]] = field(default_factory=list)
    counts: dict[int, np.ndarray] = field(default_factory=dict)
    # Per type: positions in its group with a match, and their first_matches (find() leaves them).
    firsts: dict[int, FirstMatches] = field(default_factory=dict)
    _ascii: np.ndarray | None = None

    def ascii_text(self) -> np.ndarray:
        """Whether each text of `subset` is ASCII (one pass, shared by the types' spans)."""
        if self._ascii is None:
            self._ascii = to_mask(pc.string_is_ascii(self.subset))
        return self._ascii

    def count(self, text_type: TextType, where: np.ndarray, group_values: pa.Array | None) -> np.ndarray:
        """text_type.count(group_values) for the group holding `text_type` (one group per type)."""
        key = id(text_type)
        if key not in self.counts:
            if group_values is None:  # counted over the subset with the other rows masked out
                count = text_type.count(only_rows(self.subset, where))[where]
            else:
                count = text_type.count(group_values)
            self.keep(text_type, count)
        return self.counts[key]

    def values(
        self, where: np.ndarray, group_values: pa.Array | None, rows: np.ndarray | None = None
    ) -> pa.Array:
        """The values of a group (`rows`: only those positions of it), gathered when not kept."""
        if group_values is not None:
            return group_values if rows is None else rows_of(group_values, rows)
        return rows_of(self.subset, where if rows is None else where[rows])

    def keep(self, text_type: TextType, count: np.ndarray) -> None:
        """Store a type's counts and update whether it is hot: matched in enough candidates that a
        pass of its own is cheaper than the union pass plus the group passes it would trigger."""
        self.counts[id(text_type)] = count
        if np.count_nonzero(count) >= _HOT_SHARE * self.candidates.size:
            self.hot.add(text_type)
        else:
            self.hot.discard(text_type)


class ExtraSpans(Protocol):
    """Spans found otherwise than by the text patterns (xml_members.XmlLeaves): full-array rows,
    byte offsets, sorted by (row, start), disjoint."""

    row: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def outside(self, row: np.ndarray, start: np.ndarray, end: np.ndarray) -> ExtraSpans:
        """These spans without those overlapping any of (row, start, end)."""

    def replacements(self, replace_many: ReplaceMany) -> pa.Array:
        """The replacement of each span, in order."""


class TextScanner:
    def __init__(self, recognizers: Sequence[Recognizer]) -> None:
        self.types = [TextType(r, pattern) for r in recognizers for pattern in r.text_patterns()]
        # Which types' values are JSON values, whose replacements must keep the document valid.
        self._json_value = np.array([text_type.json_value for text_type in self.types], dtype=bool)
        self.union = _union(self.types)
        # Types are probed in groups (~sqrt of their number): a group's union skips its types on
        # rows holding none of them, so each RE2 pass covers fewer rows.
        size = max(1, int(np.ceil(np.sqrt(len(self.types)))))
        chunks = [self.types[i : i + size] for i in range(0, len(self.types), size)]
        self.groups = [(_union(chunk), chunk) for chunk in chunks]
        self._hot: set[TextType] = set()  # learnt from earlier columns/batches; only a speed hint
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
            result = _Prefiltered(candidates, rows_of(values, candidates), self._hot)
            self._group_by_hints(result, hinted[candidates])
        else:
            candidates = self._candidates(values)
            result = _Prefiltered(candidates, rows_of(values, candidates), self._hot)
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
        # Only the columns of the types hinted somewhere are read (strided): a transposed copy of the
        # whole matrix cost ~15 ms a batch on a number column, where 2-3 of ~120 types are hinted.
        # Their values are not gathered: most types match none of their candidates, and their RE2
        # pass reads the subset with the other rows masked out (no copy).
        for index in np.flatnonzero(hinted.any(axis=0)).tolist():
            where = np.flatnonzero(hinted[:, index])
            prefiltered.groups.append((where, None, [self.types[index]]))

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
                prefiltered.groups.append((where, rows_of(subset, where), [text_type]))
        cold = [t for t in self.types if t not in hot]
        if not cold:
            return
        if hot:
            rows = np.flatnonzero(to_mask(pc.match_substring_regex(subset, _union(cold))))
            cold_values = rows_of(subset, rows)
            size = max(1, int(np.ceil(np.sqrt(len(cold)))))
            groups = [(_union(cold[i : i + size]), cold[i : i + size]) for i in range(0, len(cold), size)]
        else:  # the candidate pass was this union already
            rows, cold_values, groups = np.arange(len(subset)), subset, self.groups
        for union, chunk in groups if rows.size else []:
            where = np.flatnonzero(to_mask(pc.match_substring_regex(cold_values, union)))
            if where.size:
                prefiltered.groups.append((rows[where], rows_of(cold_values, where), chunk))

    def find(self, values: pa.Array) -> dict[IdType, np.ndarray]:
        """Row indices (sorted, unique) holding at least one valid identifier, per type."""
        found: dict[IdType, np.ndarray] = {}
        prefiltered = self._prefilter(values)
        for where, group_values, chunk in prefiltered.groups:
            group_rows = prefiltered.candidates[where]
            for text_type in chunk:
                # Rows with a match (counted once, shared with scrub()), then their first match.
                counts = prefiltered.count(text_type, where, group_values)
                position = np.flatnonzero(counts > 0)
                if position.size == 0:
                    continue
                first = text_type.first_matches(prefiltered.values(where, group_values, position))
                matched = to_mask(pc.is_valid(first))
                rows = group_rows[position[matched]]
                ok = text_type.valid(first if matched.all() else first.filter(pa.array(matched)))
                valid = np.zeros(position.size, dtype=bool)
                valid[matched] = ok
                prefiltered.firsts[id(text_type)] = FirstMatches(position, first, valid)
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

    def scrub(
        self,
        values: pa.Array,
        replace_many: ReplaceMany,
        source: Folding | None = None,
        extra: ExtraSpans | None = None,
    ) -> pa.Array:
        """Replace every valid identifier span by its replacement; earlier, then longer, spans win.

        `replace_many(type, texts)` is called at most once per type, with the matched texts of the
        whole column. Rows without identifiers keep their value; with none at all, the (string)
        input is returned as it is. With `source`, `values` is its folded text (`source.readable`):
        the spans found there are replaced in `source.original`, which is what is returned.
        `extra`: spans found otherwise (XML leaves typed by their tags), in the returned values'
        bytes, replaced where no span of the scan overlaps them.
        """
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        strings = values if pa.types.is_string(values.type) else values.cast(pa.string())
        base = strings if source is None else source.original
        row = start = end = np.zeros(0, dtype=np.int64)
        replacements = pa.array([], pa.string())
        prefiltered = self._prefilter(strings)
        candidates, subset = prefiltered.candidates, prefiltered.subset
        if candidates.size:
            row, start, end, kind = _first_wins(*self._spans(prefiltered))
        if row.size:
            texts = span_texts(subset, row, start, end)
            replacements = self._replacements(texts, kind, replace_many)
            json_value = self._json_value[kind]
            if json_value.any():
                json_replacements = as_json_values(
                    subset, row[json_value], start[json_value], replacements.filter(json_value)
                )
                replacements = pc.replace_with_mask(replacements, pa.array(json_value), json_replacements)
            row = candidates[row]
            if source is not None:
                start, end = source.to_source(row, start, end)
        if extra is not None and extra.row.size:
            extra = extra.outside(row, start, end)
            order = np.lexsort((np.concatenate([start, extra.start]), np.concatenate([row, extra.row])))
            row, start, end = (
                np.concatenate(pair)[order]
                for pair in ((row, extra.row), (start, extra.start), (end, extra.end))
            )
            replacements = pa.concat_arrays([replacements, extra.replacements(replace_many)]).take(
                pa.array(order)
            )
        if row.size == 0:
            return base
        changed, rebuilt = splice(base, row, start, end, replacements)
        mask = np.zeros(len(strings), dtype=bool)
        mask[changed] = True
        return pc.replace_with_mask(base, pa.array(mask), rebuilt)

    def spans(self, strings: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The spans scrub() replaces in `strings` (a string array): (row, start byte, end byte, kind)
        sorted by row and start, disjoint; `kind` indexes `self.types`."""
        prefiltered = self._prefilter(strings)
        if prefiltered.candidates.size == 0:
            return tuple(np.zeros(0, dtype=np.int64) for _ in range(4))  # type: ignore[return-value]
        row, start, end, kind = _first_wins(*self._spans(prefiltered))
        return prefiltered.candidates[row], start, end, kind

    @property
    def json_value(self) -> np.ndarray:
        """Per kind (index of `self.types`): whether its values are JSON values (see scrub)."""
        return self._json_value

    def _spans(self, prefiltered: _Prefiltered) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every valid identifier span of each candidate text (row in `prefiltered.subset`, start
        byte, end byte, index of its type)."""
        index_of = {id(text_type): index for index, text_type in enumerate(self.types)}
        parts: list[tuple[np.ndarray, ...]] = []
        for where, group_values, chunk in prefiltered.groups:
            group = None
            for text_type in chunk:
                count = prefiltered.count(text_type, where, group_values)
                if not count.any():
                    continue
                group = group if group is not None else prefiltered.values(where, group_values)
                rows, start, end = text_type.spans(
                    group,
                    count,
                    prefiltered.firsts.get(id(text_type)),
                    prefiltered.ascii_text()[where],
                )
                parts.append((where[rows], start, end, np.full(rows.size, index_of[id(text_type)])))
        return stacked(parts) if parts else tuple(np.zeros(0, dtype=np.int64) for _ in range(4))

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


def _union(types: Sequence[TextType]) -> str:
    return "|".join(f"(?:{t.plain})" for t in types)


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
