"""Identifiers in JSON text by their keys: nested JSON values (JSON Lines objects, Parquet structs and
lists) reach the detector as compact JSON text, where a leaf's key says what its value is, as a
column header does ("cvv": "624", "idfa": "0684A87D-...", "birthDate": "1975-04-03").

A text that starts with "{" or "[" and parses is walked (json_leaves.py: each leaf with its key, its
parent's key and the word of a sibling that says what it is). The key is read as a header is
(headers.py and the recognizers' names()): the sibling's (system) word, then parent and key joined
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
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection import headers
from compliance.detection.arrays import to_mask
from compliance.detection.json_leaves import (
    Leaf,
    Names,
    byte_offsets,
    json_rows,
    located_leaves,
    names_of,
    token_table,
)
from compliance.detection.recognizers import Recognizer
from compliance.detection.scanner import TextScanner
from compliance.detection.text import as_json_values, span_texts, splice
from compliance.vocabulary import IdType

# A value of a sensitive attribute typed on its own: (value positions, type) per type found.
TypeValues = Callable[[pa.Array, Recognizer | None], list[tuple[np.ndarray, IdType]]]
ReplaceMany = Callable[[IdType, pa.Array], pa.Array]

_JSON_NUMBER = r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$"
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


def _objects(items: list[IdType]) -> np.ndarray:
    """An object array of the enum members themselves (np.array would store their str)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


@dataclass
class _NamedLeaves:
    """The leaves whose keys name something, column by column."""

    row: np.ndarray
    start: np.ndarray  # bytes a replacement covers: a string's content, a number whole
    end: np.ndarray
    string: np.ndarray
    text: pa.Array
    kind: list[Named]


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
                tables[r] = token_table(self.texts[r])
            tokens = tables[r]
            first = int(np.searchsorted(tokens[:, 1], s, side="right"))
            after = int(np.searchsorted(tokens[:, 0], e, side="left"))
            for ts, te, is_string in tokens[first:after].tolist():
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
        rows, texts = [], {}
        # The named leaves, column by column: row, byte span replaced, a string, text, what names it.
        leaf_row: list[int] = []
        leaf_start: list[int] = []
        leaf_end: list[int] = []
        leaf_string: list[bool] = []
        leaf_text: list[str] = []
        leaf_kind: list[Named] = []
        named, kind_of = self._named, self._kind
        for row, text in zip(candidates.tolist(), values.take(pa.array(candidates)).to_pylist(), strict=True):
            try:
                document = json.loads(text)
            except (ValueError, RecursionError):
                continue
            if not isinstance(document, (dict, list)):
                continue
            rows.append(row)
            texts[row] = text
            found = located_leaves(document, text, field_name, named)
            if not found:
                continue
            offsets = byte_offsets(text)
            for leaf in found:
                start, end = (leaf.start + 1, leaf.end - 1) if leaf.string else (leaf.start, leaf.end)
                if offsets is not None:
                    start, end = int(offsets[start]), int(offsets[end])
                leaf_row.append(row)
                leaf_start.append(start)
                leaf_end.append(end)
                leaf_string.append(leaf.string)
                leaf_text.append(leaf.text)
                leaf_kind.append(kind_of(leaf))  # type: ignore[arg-type]
        if not rows:
            return None
        leaves = _NamedLeaves(
            np.asarray(leaf_row, dtype=np.int64),
            np.asarray(leaf_start, dtype=np.int64),
            np.asarray(leaf_end, dtype=np.int64),
            np.asarray(leaf_string, dtype=bool),
            pa.array(leaf_text, pa.string()),
            leaf_kind,
        )
        return self._typed(values, np.asarray(rows, dtype=np.int64), texts, leaves, scanner)

    def _typed(
        self,
        values: pa.Array,
        rows: np.ndarray,
        sources: dict[int, str],
        leaves: _NamedLeaves,
        scanner: TextScanner,
    ) -> Documents:
        """Validate the named leaves per type, fail the rest closed, and keep their spans."""
        count = leaves.row.size
        # Per leaf: its first type (the one its replacement is made as) and how many it has.
        types: list[IdType] = []
        first = np.full(count, -1, dtype=np.int64)
        how_many = np.zeros(count, dtype=np.int64)
        findings: dict[IdType, list[np.ndarray]] = {}

        def add(positions: np.ndarray, id_type: IdType) -> None:
            if positions.size == 0:
                return
            if id_type not in types:
                types.append(id_type)
            first[positions] = np.where(first[positions] < 0, types.index(id_type), first[positions])
            how_many[positions] += 1
            findings.setdefault(id_type, []).append(positions)

        groups: dict[Named, list[int]] = {}
        for index, named in enumerate(leaves.kind):
            groups.setdefault(named, []).append(index)
        texts = pc.utf8_trim_whitespace(leaves.text) if count else leaves.text
        for named, indices in groups.items():
            members = np.asarray(indices, dtype=np.int64)
            recognizer = named.recognizer
            group = texts.take(pa.array(members))
            if recognizer is not None and recognizer.integer_width:
                # A number that lost its leading zeros (a ZIP code 2139): padded as an integer column is.
                number = ~leaves.string[members] & to_mask(pc.match_substring_regex(group, r"^\d+$"))
                if number.any():
                    padded = pc.utf8_lpad(group, recognizer.integer_width, "0")
                    group = pc.if_else(pa.array(number), padded, group)
            valid = np.zeros(members.size, dtype=bool)
            if recognizer is not None:
                if named.limit is not None:
                    valid = np.asarray(recognizer.validate_half(group, named.limit), dtype=bool)  # type: ignore[attr-defined]
                else:
                    valid = np.asarray(recognizer.validate(group), dtype=bool)
                add(members[valid], recognizer.id_type)
                if recognizer.header_needs_values:
                    continue  # an ambiguous key ("location"): only the values it validates
            rest = np.flatnonzero(~valid)
            if rest.size:
                for positions, id_type in self.type_values(group.take(pa.array(rest)), recognizer):
                    add(members[rest[positions]], id_type)
        typed = np.flatnonzero(first >= 0)
        kind = _objects(types)[first[typed]] if typed.size else np.zeros(0, dtype=object)
        unknown = (kind == IdType.UNRECOGNISED_SENSITIVE) & (how_many[typed] == 1)
        if unknown.any():
            retyped = self._type_by_context(values, leaves, typed[unknown], scanner)
            kind[unknown] = retyped
            moved = typed[unknown][retyped != IdType.UNRECOGNISED_SENSITIVE]
            if moved.size:  # reported as the type found, not as unrecognised
                unrecognised = np.concatenate(findings.pop(IdType.UNRECOGNISED_SENSITIVE))
                findings[IdType.UNRECOGNISED_SENSITIVE] = [np.setdiff1d(unrecognised, moved)]
                for position, id_type in zip(
                    moved.tolist(),
                    kind[unknown][retyped != IdType.UNRECOGNISED_SENSITIVE].tolist(),
                    strict=True,
                ):
                    findings.setdefault(id_type, []).append(np.array([position], dtype=np.int64))
        order = typed[np.lexsort((leaves.start[typed], leaves.row[typed]))]
        position = np.empty(count, dtype=np.int64)
        position[typed] = np.arange(typed.size)
        return Documents(
            rows,
            sources,
            leaves.row[order],
            leaves.start[order],
            leaves.end[order],
            np.where(leaves.string[order], IN_STRING, BARE),
            leaves.text.take(pa.array(order)).to_pylist(),
            kind[position[order]].tolist(),
            {
                t: rows
                for t, parts in findings.items()
                if (rows := np.unique(leaves.row[np.concatenate(parts)])).size
            },
        )

    @staticmethod
    def _type_by_context(
        values: pa.Array, leaves: _NamedLeaves, unknown: np.ndarray, scanner: TextScanner
    ) -> np.ndarray:
        """The types of leaves that failed closed with no type: that of a free-text match inside
        the leaf when there is one (its key may be the context a pattern needs: "dea":
        "BR1234563", which the value alone lacks), else UNRECOGNISED_SENSITIVE."""
        out = np.empty(unknown.size, dtype=object)
        out.fill(IdType.UNRECOGNISED_SENSITIVE)  # np.full would store the enum's str
        rows = np.unique(leaves.row[unknown])
        row, start, end, kind = scanner.spans(values.take(pa.array(rows)))
        if row.size == 0:
            return out
        row = rows[row]
        for at, index in enumerate(unknown.tolist()):
            inside = np.flatnonzero(
                (row == leaves.row[index]) & (start < leaves.end[index]) & (end > leaves.start[index])
            )
            if inside.size:
                out[at] = scanner.types[int(kind[inside[0]])].id_type
        return out

    # --- what a key names --------------------------------------------------------------------------

    def kind_of_key(self, key: str, parent: str | None, qualified: bool) -> Named | None:
        """What `key` names below `parent` (xml_members.py reads an element's tag so)."""
        return self._kind_of_names((key, parent, qualified, None))

    def _named(self, names: Names) -> bool:
        return self._kind_of_names(names) is not None

    def _kind(self, leaf: Leaf) -> Named | None:
        """What the leaf's keys name (None: nothing, the free-text scan decides)."""
        return self._kind_of_names(names_of(leaf))

    def _kind_of_names(self, key: Names) -> Named | None:
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
