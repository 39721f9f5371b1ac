"""Identifiers in JSON text by their keys: nested JSON values (JSON Lines objects, Parquet structs and
lists) reach the detector as compact JSON text, where a leaf's key says what its value is, as a
column header does ("cvv": "624", "idfa": "0684A87D-...", "birthDate": "1975-04-03").

A text that starts with "{" or "[" and parses is walked token by token: each leaf (a string or a
number) gets its key, its parent's key (the column's name for the top level) and, in a FHIR-style
{"system": ..., "value": ...} pair, the system's last word. The key is read as a header is
(headers.py and the recognizers' names()): the system word, then parent and key joined
("card_number", "billing_security_code"), then the key alone. A leaf whose key names a type is that
type when its recognizer validates it; any other value of it that is not blank fails closed, typed
as a sensitive column's value is (Detector._fail_closed). Leaves whose key says nothing are left
to the free-text scan of the whole text.

Scrubbing replaces each such leaf whole, and fits the free-text spans of a document to its tokens:
a span inside a string is replaced there (escaped), a number it touches becomes a quoted token, so
the scrubbed text still parses. Texts that are not JSON pay one look at their first byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.buffers import string_buffers
from compliance.detection import headers
from compliance.detection.arrays import to_mask
from compliance.detection.recognizers import Recognizer
from compliance.detection.scanner import TextScanner
from compliance.detection.text import as_json_values, span_texts, splice
from compliance.vocabulary import IdType

# A value of a sensitive attribute typed on its own: (value positions, type) per type found.
TypeValues = Callable[[pa.Array, Recognizer | None], list[tuple[np.ndarray, IdType]]]
ReplaceMany = Callable[[IdType, pa.Array], pa.Array]

# One JSON token (the document parsed already, so the tokens cover it but for whitespace): a string
# (group 1: its content), a number (2), a literal (3) or punctuation (4).
_TOKEN = re.compile(
    r'[ \t\n\r]*(?:"((?:[^"\\]|\\.)*)"|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)|'
    r"(true|false|null|NaN|-?Infinity)|([{}\[\]:,]))"
)
_JSON_NUMBER = r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$"
_OPENERS = (ord("{"), ord("["))
_CONTROL = r"[\x00-\x1f]"
# Bounds of the caches: key readings, and arrays whose documents a batch keeps.
_MAX_KEYS = 16_384
_MAX_ARRAYS = 256
# How a span is replaced: as in any text (today's rule for JSON values), inside a JSON string
# (escaped), or in place of a whole number or literal (a JSON string, unless itself a number).
TEXT, IN_STRING, BARE = 0, 1, 2


class Named(NamedTuple):
    """What a key names: a recognizer's type (`limit`: a latitude or longitude half), or with no
    recognizer a sensitive attribute whose values are typed one by one."""

    recognizer: Recognizer | None
    limit: float | None = None


_STOP = Named(None, -1.0)  # the key says the value is no identifier (a version, a record date...)


def json_rows(values: pa.Array) -> np.ndarray:
    """Positions of the values that may hold a JSON object or array: their first byte is "{", "[" or
    whitespace (then checked past it). One numpy look per value: the cost of non-JSON text."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    offsets, data = string_buffers(values)
    if data.size == 0:
        return np.zeros(0, dtype=np.int64)
    first = data[np.minimum(offsets[:-1], data.size - 1)]
    maybe = (offsets[1:] > offsets[:-1]) & ((first == _OPENERS[0]) | (first == _OPENERS[1]) | (first <= 0x20))
    if values.null_count:
        maybe &= to_mask(values.is_valid())
    rows = np.flatnonzero(maybe)
    spaced = rows[first[rows] <= 0x20]
    if spaced.size:  # rare: look past the whitespace
        texts = values.take(pa.array(spaced)).to_pylist()
        drop = [r for r, t in zip(spaced.tolist(), texts, strict=True) if t.lstrip()[:1] not in ("{", "[")]
        rows = np.setdiff1d(rows, np.asarray(drop, dtype=np.int64))
    return rows


@dataclass
class _Leaf:
    start: int  # the token's characters [start, end): quotes included for a string
    end: int
    string: bool
    text: str
    key: str | None
    parent: str | None
    # The parent is a key of the document (not the column's name, the top level's parent).
    nested: bool
    system: str | None = None


@dataclass
class _Frame:
    is_object: bool
    key: str | None
    parent: str | None
    nested: bool  # `parent` is a key of the document
    keyed: bool  # `key` is a key of the document (not the column's name)
    expecting_key: bool = False
    pending: str | None = None
    members: dict[str, int] = field(default_factory=dict)  # key -> leaf index (direct leaves)


def _walk(text: str, root: str | None) -> tuple[list[_Leaf], list[tuple[int, int, bool]]] | None:
    """The leaves of a JSON document (None when it is not an object or array that parses), and every
    string, number and literal token as (start, end, is a string), in characters."""
    try:
        if not isinstance(json.loads(text), (dict, list)):
            return None
    except (ValueError, RecursionError):
        return None
    leaves: list[_Leaf] = []
    tokens: list[tuple[int, int, bool]] = []
    stack: list[_Frame] = []
    for match in _TOKEN.finditer(text):
        punctuation = match.group(4)
        if punctuation is not None:
            if punctuation in "{[":
                names = _names(stack[-1]) if stack else (root, None, False, False)
                stack.append(_Frame(punctuation == "{", *names, expecting_key=punctuation == "{"))
            elif punctuation in "}]":
                frame = stack.pop()
                if frame.is_object:
                    _pair_system(frame, leaves)
            elif punctuation == "," and stack and stack[-1].is_object:
                stack[-1].expecting_key = True
            continue
        if not stack:
            return None  # cannot happen for a parsed object or array
        top = stack[-1]
        content = match.group(1)
        if content is not None:
            start, end = match.start(1) - 1, match.end(1) + 1
            tokens.append((start, end, True))
            decoded = json.loads(f'"{content}"') if "\\" in content else content
            if top.is_object and top.expecting_key:
                top.pending, top.expecting_key = decoded, False
                continue
            leaf = _Leaf(start, end, True, decoded, *_names(top)[:3])
        else:
            group = 2 if match.group(2) is not None else 3
            start, end = match.span(group)
            tokens.append((start, end, False))
            if group == 3:
                continue  # true, false, null: no identifier
            leaf = _Leaf(start, end, False, match.group(2), *_names(top)[:3])
        if top.is_object and top.pending is not None:
            top.members[top.pending] = len(leaves)
        leaves.append(leaf)
    return leaves, tokens


def _names(top: _Frame) -> tuple[str | None, str | None, bool, bool]:
    """(key, parent key, whether each is a key of the document) of a value in `top`: an array's
    elements take the array's names; the top level's keys have the column's name above them."""
    if top.is_object:
        return top.pending, top.key, top.keyed, True
    return top.key, top.parent, top.nested, top.keyed


def _pair_system(frame: _Frame, leaves: list[_Leaf]) -> None:
    """A FHIR-style {"system": "...phone" | ".../mrn", "value": ...}: the system names the value."""
    system, value = frame.members.get("system"), frame.members.get("value")
    if system is not None and value is not None and leaves[system].string:
        leaves[value].system = leaves[system].text


def _byte_span(item: tuple[int, np.ndarray | None, _Leaf]) -> tuple[int, int]:
    """The bytes a leaf's replacement covers: a string's content, a number whole."""
    _, offsets, leaf = item
    start, end = (leaf.start + 1, leaf.end - 1) if leaf.string else (leaf.start, leaf.end)
    return (int(offsets[start]), int(offsets[end])) if offsets is not None else (start, end)


def _byte_offsets(text: str) -> np.ndarray | None:
    """Byte offset of each character position of `text` (None when ASCII: the same numbers)."""
    if text.isascii():
        return None
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    size = 1 + (points >= 0x80).astype(np.int64) + (points >= 0x800) + (points >= 0x10000)
    return np.concatenate([[0], np.cumsum(size)])


@dataclass
class Documents:
    """The JSON documents of one array of texts (positions `rows`), their tokens and the leaves
    their keys type (member spans, in bytes)."""

    rows: np.ndarray
    tokens: dict[int, np.ndarray]  # row -> (n, 3) content start, content end, is a string
    member_row: np.ndarray
    member_start: np.ndarray
    member_end: np.ndarray
    member_mode: np.ndarray
    member_text: list[str]
    member_type: list[IdType]
    findings: dict[IdType, np.ndarray]

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
        for index in np.flatnonzero(in_document).tolist():
            r, s, e = int(row[index]), int(start[index]), int(end[index])
            tokens = self.tokens[r]
            first = int(np.searchsorted(tokens[:, 1], s, side="right"))
            for ts, te, is_string in tokens[first:].tolist():
                if ts >= e:
                    break
                # Inside a string: the part of its content the span covers; else the whole token.
                piece = (max(s, ts), min(e, te), IN_STRING) if is_string else (ts, te, BARE)
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


class JsonMembers:
    """Key-aware detection of JSON text for one Detector (its recognizers and fail-closed typing)."""

    def __init__(self, recognizers: list[Recognizer], type_values: TypeValues) -> None:
        self.recognizers = recognizers
        self.type_values = type_values
        self._gps = next((r for r in recognizers if r.id_type is IdType.GPS_COORDINATES), None)
        self._readings: dict[str, Named | None] = {}
        self._kinds: dict[tuple[str | None, str | None, bool, str | None], Named | None] = {}
        # The documents of the current batch's arrays, by (length, bytes): see documents().
        self._seen: dict[tuple[int, int], list[tuple[pa.Array, str | None, Documents | None]]] = {}

    def forget_batch(self) -> None:
        self._seen = {}

    def find(
        self, values: pa.Array, field_name: str | None, scanner: TextScanner
    ) -> dict[IdType, np.ndarray]:
        """Positions of the values holding a leaf their keys type, per type."""
        documents = self.documents(values, field_name, scanner)
        return documents.findings if documents is not None else {}

    def documents(self, values: pa.Array, field_name: str | None, scanner: TextScanner) -> Documents | None:
        """The JSON documents of `values` (None without any), kept for the batch: scrubbing the same
        text again (detection, then anonymization) reuses them. `scanner`: the column's free-text
        scanner, whose matches type a leaf that fails closed (a DEA number after "dea")."""
        key = (len(values), values.nbytes)
        for seen, name, result in self._seen.get(key, ()):
            if name == field_name and seen.type == values.type and seen.equals(values):
                return result
        result = self._documents(values, field_name, scanner)
        if sum(len(kept) for kept in self._seen.values()) >= _MAX_ARRAYS:
            self._seen = {}  # scrub_text() called without detect(): keep only recent arrays
        self._seen.setdefault(key, []).append((values, field_name, result))
        return result

    def _documents(self, values: pa.Array, field_name: str | None, scanner: TextScanner) -> Documents | None:
        candidates = json_rows(values)
        if candidates.size == 0:
            return None
        rows, tokens = [], {}
        leaves: list[tuple[int, np.ndarray | None, _Leaf]] = []  # (row, byte offsets, leaf)
        for row, text in zip(candidates.tolist(), values.take(pa.array(candidates)).to_pylist(), strict=True):
            walked = _walk(text, field_name)
            if walked is None:
                continue
            found, spans = walked
            offsets = _byte_offsets(text)
            table = np.array(spans, dtype=np.int64).reshape(-1, 3)
            # Content of a string: inside its quotes.
            table[:, 0] += table[:, 2]
            table[:, 1] -= table[:, 2]
            if offsets is not None:
                table[:, :2] = offsets[table[:, :2]]
            rows.append(row)
            tokens[row] = table
            leaves.extend((row, offsets, leaf) for leaf in found if self._kind(leaf) is not None)
        if not rows:
            return None
        return self._typed(values, np.asarray(rows, dtype=np.int64), tokens, leaves, scanner)

    def _typed(
        self,
        values: pa.Array,
        rows: np.ndarray,
        tokens: dict[int, np.ndarray],
        leaves: list[tuple[int, np.ndarray | None, _Leaf]],
        scanner: TextScanner,
    ) -> Documents:
        """Validate the named leaves per type, fail the rest closed, and keep their spans."""
        groups: dict[Named, list[int]] = {}
        for index, (_, _, leaf) in enumerate(leaves):
            groups.setdefault(self._kind(leaf), []).append(index)  # type: ignore[arg-type]
        typed: dict[int, list[IdType]] = {}
        for named, members in groups.items():
            recognizer = named.recognizer
            texts = [leaves[i][2].text.strip() for i in members]
            if recognizer is not None and recognizer.integer_width:
                width = recognizer.integer_width
                texts = [
                    t.zfill(width) if not leaves[i][2].string and t.isdigit() else t
                    for i, t in zip(members, texts, strict=True)
                ]
            texts_array = pa.array(texts, pa.string())
            valid = np.zeros(len(members), dtype=bool)
            if recognizer is not None:
                if named.limit is not None:
                    valid = np.asarray(recognizer.validate_half(texts_array, named.limit), dtype=bool)  # type: ignore[attr-defined]
                else:
                    valid = np.asarray(recognizer.validate(texts_array), dtype=bool)
                for i in np.flatnonzero(valid).tolist():
                    typed.setdefault(members[i], []).append(recognizer.id_type)
                if recognizer.header_needs_values:
                    continue  # an ambiguous key ("location"): only the values it validates
            rest = np.flatnonzero(~valid)
            if rest.size == 0:
                continue
            for positions, id_type in self.type_values(texts_array.take(pa.array(rest)), recognizer):
                for i in positions.tolist():
                    typed.setdefault(members[int(rest[i])], []).append(id_type)
        spans = {index: _byte_span(leaves[index]) for index in typed}
        self._type_by_context(values, leaves, spans, typed, scanner)
        span_rows, starts, ends, modes, texts_out, types_out = [], [], [], [], [], []
        findings: dict[IdType, list[int]] = {}
        for index in sorted(typed, key=lambda i: (leaves[i][0], leaves[i][2].start)):
            row, _, leaf = leaves[index]
            start, end = spans[index]
            span_rows.append(row)
            starts.append(start)
            ends.append(end)
            modes.append(IN_STRING if leaf.string else BARE)
            texts_out.append(leaf.text)
            types_out.append(typed[index][0])
            for id_type in typed[index]:
                findings.setdefault(id_type, []).append(row)
        return Documents(
            rows,
            tokens,
            np.asarray(span_rows, dtype=np.int64),
            np.asarray(starts, dtype=np.int64),
            np.asarray(ends, dtype=np.int64),
            np.asarray(modes, dtype=np.int64),
            texts_out,
            types_out,
            {t: np.unique(np.asarray(r, dtype=np.int64)) for t, r in findings.items()},
        )

    @staticmethod
    def _type_by_context(
        values: pa.Array,
        leaves: list[tuple[int, np.ndarray | None, _Leaf]],
        spans: dict[int, tuple[int, int]],
        typed: dict[int, list[IdType]],
        scanner: TextScanner,
    ) -> None:
        """A leaf that failed closed takes the type of a free-text match inside it: its key may be
        the context a pattern needs ("dea": "BR1234563"), which the value alone lacks."""
        unknown = [i for i, types in typed.items() if types == [IdType.UNRECOGNISED_SENSITIVE]]
        if not unknown:
            return
        rows = np.unique(np.asarray([leaves[i][0] for i in unknown], dtype=np.int64))
        row, start, end, kind = scanner.spans(values.take(pa.array(rows)))
        if row.size == 0:
            return
        row = rows[row]
        for index in unknown:
            leaf_start, leaf_end = spans[index]
            inside = np.flatnonzero((row == leaves[index][0]) & (start < leaf_end) & (end > leaf_start))
            if inside.size:
                typed[index] = [scanner.types[int(kind[inside[0]])].id_type]

    # --- what a key names --------------------------------------------------------------------------

    def _kind(self, leaf: _Leaf) -> Named | None:
        """What the leaf's keys name (None: nothing, the free-text scan decides)."""
        key = (leaf.key, leaf.parent, leaf.nested, leaf.system)
        if key not in self._kinds:
            if len(self._kinds) >= _MAX_KEYS:  # keys may be data (a map keyed by ids): stay bounded
                self._kinds.clear()
            self._kinds[key] = self._kind_of(*key)
        return self._kinds[key]

    def _kind_of(self, key: str | None, parent: str | None, nested: bool, system: str | None) -> Named | None:
        """The system word of a FHIR pair, then parent and key joined, then the key alone; the key
        alone not below a key of the document that says nothing ("product": {"name": ...} is no
        person's name, while "name": {"family": ...} is one and "payload"'s top level may be)."""
        if system:
            # "phone", "http://hospital.example.org/mrn", "http://hl7.org/fhir/sid/us-ssn"
            word = re.split(r"[/:#|]", system.strip().rstrip("/#"))[-1]
            named = self._reading(headers.normalize_header(word))
            if named is not None and named is not _STOP:
                return named
        if not key:
            return None
        leaf = headers.normalize_header(key)
        above = headers.normalize_header(parent) if parent else ""
        if above and leaf:
            named = self._reading(f"{above}_{leaf}")
            if named is not None:
                return None if named is _STOP else named
            if nested and self._reading(above) in (None, _STOP):
                return None  # qualified by a key that names nothing: "product_name", "font_family"
        named = self._reading(leaf)
        return None if named is _STOP else named

    def _reading(self, name: str, spelled: bool = False) -> Named | None:
        """A normalised key read as _classify_column reads a header (without the values)."""
        if name in self._readings:
            return self._readings[name]
        result = self._read(name, spelled)
        if len(self._readings) >= _MAX_KEYS:
            self._readings.clear()
        self._readings[name] = result
        return result

    def _read(self, name: str, spelled: bool) -> Named | None:
        if not name:
            return None
        if (
            headers.NOT_IDENTIFIER.fullmatch(name)
            or headers.CONSENT.fullmatch(name)
            or headers.RECORD_DATE.fullmatch(name)
            or headers.quasi_kind(name)
        ):
            return _STOP
        limit = headers.gps_half(name)
        if limit is not None and self._gps is not None:
            return Named(self._gps, limit)
        sensitive = headers.SENSITIVE.fullmatch(name)
        bare = None if sensitive else headers.without_ordinal(name)
        named = next((r for r in self.recognizers if r.names(name) or (bare and r.names(bare))), None)
        if named is not None:
            return Named(named)
        if headers.FREE_TEXT.fullmatch(name) or (bare and headers.FREE_TEXT.fullmatch(bare)):
            return _STOP
        if not spelled:
            reading = headers.spelled_out(name, lambda text: any(r.names(text) for r in self.recognizers))
            if reading is not None:
                return self._read(reading, True)
        if sensitive or (bare and headers.SENSITIVE.fullmatch(bare)):
            return Named(None)
        return None


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
    place of a number or literal (a number stays one), as it is elsewhere (TEXT)."""
    if not (mode != TEXT).any():
        return replacements
    escaped = pc.replace_substring(pc.replace_substring(replacements, "\\", "\\\\"), '"', '\\"')
    control = to_mask(pc.match_substring_regex(escaped, _CONTROL))
    if control.any():
        fixed = [
            json.dumps(t, ensure_ascii=False)[1:-1]
            for t in replacements.filter(pa.array(control)).to_pylist()
        ]
        escaped = pc.replace_with_mask(escaped, pa.array(control), pa.array(fixed, pa.string()))
    number = to_mask(pc.match_substring_regex(replacements, _JSON_NUMBER))
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    bare = pc.if_else(pa.array(number), replacements, quoted)
    in_string = pa.array(mode == IN_STRING)
    text = pa.array(mode == TEXT)
    return pc.if_else(text, replacements, pc.if_else(in_string, escaped, bare))
