"""Replacing identifiers in JSON text so that it stays JSON: the typed leaves of a column's
documents (json_members.py) are replaced whole, and the free-text spans of a document are fitted to
its tokens: a span inside a string is replaced there (escaped), a number it touches becomes a quoted
token. A document written as a string inside a cell (json_nested.py) has its tokens placed in the
cell's text, and a replacement there is escaped once more per string it is inside."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import to_mask
from compliance.detection.json_nested import Inner, nested_tokens, snapped
from compliance.detection.text import as_json_values, span_texts, splice
from compliance.vocabulary import IdType

ReplaceMany = Callable[[IdType, pa.Array], pa.Array]

_JSON_NUMBER = r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$"
_CONTROL = r"[\x00-\x1f]"
# How a span is replaced: as in any text (today's rule for JSON values), inside a JSON string
# (escaped), or in place of a whole number or literal (a JSON string, unless itself a number).
# A mode plus NESTED times n: the same, in a document written as a string n strings deep.
TEXT, IN_STRING, BARE = 0, 1, 2
NESTED = 3


@dataclass
class Documents:
    """The JSON documents of one array of texts (positions `rows`), their tokens and the leaves
    their keys type (member spans, in bytes)."""

    rows: np.ndarray
    texts: dict[int, str]  # row -> its text
    member_row: np.ndarray
    member_start: np.ndarray
    member_end: np.ndarray
    member_mode: np.ndarray
    member_text: list[str]
    member_type: list[IdType]
    findings: dict[IdType, np.ndarray]
    # row -> the documents written as strings in it (json_nested.py), parents first; `cells`: the
    # rows that are no document themselves, only such a string.
    nested: dict[int, list[Inner]] = field(default_factory=dict)
    cells: set[int] = field(default_factory=set)

    def tokens(self, row: int) -> np.ndarray:
        """(content start, content end, is a string, depth, inner document or -1) of a row's tokens."""
        return nested_tokens(self.texts[row], row not in self.cells, self.nested.get(row, []))

    def pieces(
        self, row: np.ndarray, start: np.ndarray, end: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Free-text spans (sorted, disjoint per row) fitted to the documents: (row, start, end, span
        index, mode) of each piece, sorted. A span in a document becomes its parts inside string
        contents and the whole numbers it touches; parts inside a leaf replaced whole are dropped."""
        in_document = np.isin(row, self.rows)
        outside = np.flatnonzero(~in_document)  # spans in other texts stay as they are
        parts = [
            np.stack([row[outside], start[outside], end[outside], outside, np.full(outside.size, TEXT)], 1)
        ]
        members: dict[int, list[tuple[int, int]]] = {}
        for r, s, e in zip(
            self.member_row.tolist(), self.member_start.tolist(), self.member_end.tolist(), strict=True
        ):
            members.setdefault(r, []).append((s, e))
        out: list[tuple[int, int, int, int, int]] = []
        last: dict[int, int] = {}
        tables: dict[int, np.ndarray] = {}
        for index in np.flatnonzero(in_document).tolist():
            r, s, e = int(row[index]), int(start[index]), int(end[index])
            if any(ms <= s and e <= me for ms, me in members.get(r, ())):
                continue  # inside a leaf replaced whole (most spans of a typed document)
            if r not in tables:
                tables[r] = self.tokens(r)
            tokens = tables[r]
            first = int(np.searchsorted(tokens[:, 1], s, side="right"))
            after = int(np.searchsorted(tokens[:, 0], e, side="left"))
            for ts, te, is_string, depth, inner in tokens[first:after].tolist():
                # Inside a string: the part of its content the span covers; else the whole token.
                piece = (max(s, ts), min(e, te), IN_STRING) if is_string else (ts, te, BARE)
                if inner >= 0:  # in a document written as a string: whole characters of it
                    piece = (*snapped(self.nested[r][inner], piece[0], piece[1]), piece[2] + NESTED * depth)
                if piece[0] >= piece[1] or piece[0] < last.get(r, 0):
                    continue  # empty, or a number an earlier span has taken already
                if any(ms < piece[1] and piece[0] < me for ms, me in members.get(r, ())):
                    continue  # inside a leaf replaced whole
                out.append((r, piece[0], piece[1], index, piece[2]))
                last[r] = piece[1]
        parts.append(np.array(out, dtype=np.int64).reshape(-1, 5))
        table = np.concatenate(parts).astype(np.int64, copy=False)
        table = table[np.lexsort((table[:, 1], table[:, 0]))]
        return tuple(table[:, i] for i in range(5))  # type: ignore[return-value]


def scrub(
    strings: pa.Array,
    documents: Documents,
    spans: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    span_types: list[IdType],
    json_value: np.ndarray,
    replace_many: ReplaceMany,
) -> pa.Array:
    """`strings` with the free-text spans (row, start, end, kind: sorted, disjoint; `span_types` and
    `json_value` by kind) and the typed leaves of `documents` replaced, every document kept valid."""
    row, start, end, kind = spans
    p_row, p_start, p_end, p_span, p_mode = documents.pieces(row, start, end)
    kept = np.unique(p_span)
    free_texts = span_texts(strings, row[kept], start[kept], end[kept])
    types = [span_types[k] for k in kind[kept].tolist()] + documents.member_type
    texts = pa.concat_arrays([free_texts, pa.array(documents.member_text, pa.string())])
    replacements = _replacements(texts, types, replace_many)
    free = replacements.slice(0, kept.size).take(pa.array(np.searchsorted(kept, p_span)))
    # Spans outside the documents: JSON values keep the document valid as they do in any text.
    as_value = (p_mode == TEXT) & json_value[kind[p_span]]
    if as_value.any():
        fixed = as_json_values(strings, p_row[as_value], p_start[as_value], free.filter(pa.array(as_value)))
        free = pc.replace_with_mask(free, pa.array(as_value), fixed)
    row = np.concatenate([p_row, documents.member_row])
    start = np.concatenate([p_start, documents.member_start])
    end = np.concatenate([p_end, documents.member_end])
    mode = np.concatenate([p_mode, documents.member_mode])
    if row.size == 0:
        return strings
    out = _in_json(pa.concat_arrays([free, replacements.slice(kept.size)]), mode)
    order = np.lexsort((start, row))
    changed, rebuilt = splice(strings, row[order], start[order], end[order], out.take(pa.array(order)))
    mask = np.zeros(len(strings), dtype=bool)
    mask[changed] = True
    return pc.replace_with_mask(strings, pa.array(mask), rebuilt)


def _replacements(texts: pa.Array, types: list[IdType], replace_many: ReplaceMany) -> pa.Array:
    """One replace_many call per type, its results put back in `texts` order."""
    by_type: dict[IdType, list[int]] = {}
    for index, id_type in enumerate(types):
        by_type.setdefault(id_type, []).append(index)
    parts, where = [], []
    for id_type, positions in by_type.items():
        chosen = texts.take(pa.array(positions, pa.int64()))
        replaced = replace_many(id_type, chosen)
        if isinstance(replaced, pa.ChunkedArray):
            replaced = replaced.combine_chunks()
        if not isinstance(replaced, pa.Array) or len(replaced) != len(chosen):
            raise TypeError("replace_many(type, texts) must return an Arrow array with one value per text")
        parts.append(pc.fill_null(replaced.cast(pa.string()), ""))
        where.extend(positions)
    if not parts:
        return pa.array([], pa.string())
    inverse = np.empty(len(where), dtype=np.int64)
    inverse[np.asarray(where, dtype=np.int64)] = np.arange(len(where))
    return pa.concat_arrays(parts).take(pa.array(inverse))


def _in_json(replacements: pa.Array, mode: np.ndarray) -> pa.Array:
    """Each replacement as its place in a document needs: escaped inside a string, a JSON string in
    place of a number or literal (a number stays one), as it is elsewhere (TEXT); then escaped once
    more per string its document is written in (mode // NESTED)."""
    if not (mode != TEXT).any():
        return replacements
    escaped = _escaped(replacements)
    number = to_mask(pc.match_substring_regex(replacements, _JSON_NUMBER))
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    bare = pc.if_else(pa.array(number), replacements, quoted)
    in_string = pa.array(mode % NESTED == IN_STRING)
    text = pa.array(mode == TEXT)
    out = pc.if_else(text, replacements, pc.if_else(in_string, escaped, bare))
    depth = mode // NESTED
    for level in range(1, int(depth.max()) + 1):
        out = pc.if_else(pa.array(depth >= level), _escaped(out), out)
    return out


def _escaped(texts: pa.Array) -> pa.Array:
    """Each text as a JSON string's content."""
    escaped = pc.replace_substring(pc.replace_substring(texts, "\\", "\\\\"), '"', '\\"')
    control = to_mask(pc.match_substring_regex(escaped, _CONTROL))
    if control.any():
        fixed = [json.dumps(t, ensure_ascii=False)[1:-1] for t in texts.filter(pa.array(control)).to_pylist()]
        escaped = pc.replace_with_mask(escaped, pa.array(control), pa.array(fixed, pa.string()))
    return escaped
