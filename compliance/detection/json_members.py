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

A string leaf, or a whole cell, holding an escaped JSON text is read the same way as a document of
its own below the string's key (json_nested.py), a few strings deep.

Scrubbing (json_rewrite.py) replaces each such leaf whole, and fits the free-text spans of a
document to its tokens: a span inside a string is replaced there (escaped), a number it touches
becomes a quoted token, so the scrubbed text still parses. Texts that are not JSON pay one look at
their first byte.
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
from compliance.detection.json_leaves import Leaf, Names, byte_offsets, json_rows, located_leaves, names_of
from compliance.detection.json_nested import Inner, cell_document, escaped_strings, inner_documents
from compliance.detection.json_rewrite import BARE, IN_STRING, NESTED, Documents, scrub
from compliance.detection.recognizers import Recognizer
from compliance.detection.recognizers.name_headers import names_a_thing
from compliance.detection.recognizers.name_scripts import native_thing_header
from compliance.detection.scanner import TextScanner
from compliance.vocabulary import IdType

__all__ = ["Documents", "JsonMembers", "Named", "scrub"]

# A value of a sensitive attribute typed on its own: (value positions, type) per type found.
TypeValues = Callable[[pa.Array, Recognizer | None], list[tuple[np.ndarray, IdType]]]

# Bounds of the caches: key readings, and arrays whose documents a batch keeps.
_MAX_KEYS = 16_384
_MAX_ARRAYS = 256


class Named(NamedTuple):
    """What a key names: a recognizer's type (`limit`: a latitude or longitude half), or with no
    recognizer a sensitive attribute whose values are typed one by one."""

    recognizer: Recognizer | None
    limit: float | None = None


_STOP = Named(None, -1.0)
# Keys that say what a value is only with their parent's word ("product": {"name": ...}).
_GENERIC_KEYS = frozenset(
    [
        "name",
        "names",
        "first",
        "last",
        "middle",
        "family",
        "given",
        "full",
        "display",
        "type",
        "id",
        "code",
        "value",
        "number",
        "no",
        "nr",
        "num",
        "label",
        "title",
        "key",
        "date",
        "address",
        "line",
        "line1",
        "line2",
        "city",
        "street",
        "zip",
        "postcode",
        "state",
        "region",
        "country",
        "location",
        "position",
        "lat",
        "lon",
        "latitude",
        "longitude",
        "phone",
        "email",
        "url",
        "link",
        "handle",
        "account",
        "card",
    ]
)  # the key says the value is no identifier (a version, a record date...)


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
    depth: np.ndarray  # the strings the leaf's document is written in (0: the cell is the document)


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
        candidates = json_rows(values, quoted=True)
        if candidates.size == 0:
            return None
        rows, texts, nested, cells = [], {}, {}, set()
        escaped: list[tuple[int, str, np.ndarray, int]] = []  # row, text, places, depth
        # The named leaves, column by column: row, byte span replaced, a string, text, what names it,
        # the strings its document is written in.
        leaves: tuple[list, list, list, list, list, list, list] = ([], [], [], [], [], [], [])
        for row, text in zip(candidates.tolist(), values.take(pa.array(candidates)).to_pylist(), strict=True):
            try:
                document = json.loads(text)
            except (ValueError, RecursionError):
                document = None
            if isinstance(document, (dict, list)):
                inners = inner_documents(document, text, field_name)
                self._add_leaves(leaves, row, document, text, field_name, None, 0)
                hosts = {int(inner.places[0]) for inner in inners}
                for found in escaped_strings(document, text, field_name, None, self._unnamed, hosts):
                    escaped.append((row, *found, 0))
            else:  # not JSON itself: perhaps an escaped JSON text ('"{\\"a\\": ...}"')
                cell = cell_document(text, field_name)
                if cell is None:
                    continue
                inners = inner_documents(cell.document, cell.text, cell.root, cell.places, 2, [cell])
                cells.add(row)
            rows.append(row)
            texts[row] = text
            if inners:
                nested[row] = inners
            hosts = {int(inner.places[0]) for inner in inners}
            for inner in inners:
                self._add_leaves(leaves, row, inner.document, inner.text, inner.root, inner, inner.depth)
                for found in escaped_strings(
                    inner.document, inner.text, inner.root, inner.places, self._unnamed, hosts
                ):
                    escaped.append((row, *found, inner.depth))
        if not rows:
            return None
        row, start, end, string, text_of, kind, depth = leaves
        named = _NamedLeaves(
            np.asarray(row, dtype=np.int64),
            np.asarray(start, dtype=np.int64),
            np.asarray(end, dtype=np.int64),
            np.asarray(string, dtype=bool),
            pa.array(text_of, pa.string()),
            kind,
            np.asarray(depth, dtype=np.int64),
        )
        documents = self._typed(values, np.asarray(rows, dtype=np.int64), texts, named, scanner)
        documents.nested, documents.cells = nested, cells
        if escaped:
            self._escaped_spans(documents, escaped, scanner)
        return documents

    @staticmethod
    def _escaped_spans(
        documents: Documents, escaped: list[tuple[int, str, np.ndarray, int]], scanner: TextScanner
    ) -> None:
        """Add the free-text matches of string leaves the cell's text has escaped letters in, found
        in their unescaped text (json_nested.escaped_strings), as members replaced whole."""
        found, start, end, kind = scanner.spans(pa.array([text for _, text, _, _ in escaped], pa.string()))
        if found.size == 0:
            return
        added: list[tuple[int, int, int, int, str, IdType]] = []
        for index, s, e, k in zip(found.tolist(), start.tolist(), end.tolist(), kind.tolist(), strict=True):
            row, text, places, depth = escaped[index]
            offsets = byte_offsets(text)
            first, last = (s, e) if offsets is None else np.searchsorted(offsets, (s, e)).tolist()
            id_type = scanner.types[k].id_type
            added.append(
                (
                    row,
                    int(places[first]),
                    int(places[last]),
                    IN_STRING + NESTED * depth,
                    text[first:last],
                    id_type,
                )
            )
            documents.findings[id_type] = np.union1d(
                documents.findings.get(id_type, np.zeros(0, np.int64)), [row]
            )
        row_, start_, end_, mode_, text_, type_ = zip(*added, strict=True)
        row = np.concatenate([documents.member_row, row_])
        start = np.concatenate([documents.member_start, start_])
        order = np.lexsort((start, row))
        documents.member_row, documents.member_start = row[order], start[order]
        documents.member_end = np.concatenate([documents.member_end, end_])[order]
        documents.member_mode = np.concatenate([documents.member_mode, mode_])[order]
        texts, types = documents.member_text + list(text_), documents.member_type + list(type_)
        documents.member_text = [texts[i] for i in order.tolist()]
        documents.member_type = [types[i] for i in order.tolist()]

    def _add_leaves(
        self,
        leaves: tuple[list, ...],
        row: int,
        document: object,
        text: str,
        root: str | None,
        inner: Inner | None,
        depth: int,
    ) -> None:
        """Append the leaves of `document` (`text` parsed) that their keys name, placed in the cell:
        `inner` the document written as a string there (None: the cell itself)."""
        found = located_leaves(document, text, root, self._named)
        if not found:
            return
        places = byte_offsets(text) if inner is None else inner.places
        rows, starts, ends, strings, texts, kinds, depths = leaves
        for leaf in found:
            start, end = (leaf.start + 1, leaf.end - 1) if leaf.string else (leaf.start, leaf.end)
            if places is not None:
                start, end = int(places[start]), int(places[end])
            rows.append(row)
            starts.append(start)
            ends.append(end)
            strings.append(leaf.string)
            texts.append(leaf.text)
            kinds.append(self._kind(leaf))
            depths.append(depth)

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
            np.where(leaves.string[order], IN_STRING, BARE) + NESTED * leaves.depth[order],
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
        # Spans grouped by row (stable, so the first match stays the scanner's first): each leaf
        # looks only at its own row's spans, not at every span of the batch.
        by_row = np.argsort(rows[row], kind="stable")
        row, start, end, kind = rows[row][by_row], start[by_row], end[by_row], kind[by_row]
        first = np.searchsorted(row, leaves.row[unknown], side="left")
        last = np.searchsorted(row, leaves.row[unknown], side="right")
        for at, (index, lo, hi) in enumerate(
            zip(unknown.tolist(), first.tolist(), last.tolist(), strict=True)
        ):
            inside = np.flatnonzero((start[lo:hi] < leaves.end[index]) & (end[lo:hi] > leaves.start[index]))
            if inside.size:
                out[at] = scanner.types[int(kind[lo + inside[0]])].id_type
        return out

    # --- what a key names --------------------------------------------------------------------------

    def kind_of_key(self, key: str, parent: str | None, qualified: bool) -> Named | None:
        """What `key` names below `parent` (xml_members.py reads an element's tag so)."""
        return self._kind_of_names((key, parent, qualified, None))

    def _named(self, names: Names) -> bool:
        return self._kind_of_names(names) is not None

    def _unnamed(self, names: Names) -> bool:
        return self._kind_of_names(names) is None

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
            if (
                nested
                and self._reading(above) in (None, _STOP)
                and (leaf in _GENERIC_KEYS or names_a_thing(above) or native_thing_header(above))
            ):
                # Qualified by a key that names nothing: "product_name", "font_family". A key that
                # names its type alone ("payment": {"holder": ...}) still does.
                return None
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
