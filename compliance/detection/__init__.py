"""Identifier detection over Arrow record batches: classify columns once, then find identifiers per batch.

classify() (classify.py) decides what each column is from its header (normalised, with synonyms) and a sample of
its values; detect() applies the per-type validators to identifier columns and the free-text
scanner to notes-like columns. Everything runs on whole Arrow arrays (RE2 via pyarrow.compute,
checksums in numpy); Python touches only candidates that the vectorised steps cannot settle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.columns import ColumnClass, ColumnRole
from compliance.detection import blanks, headers
from compliance.detection import phone as phone_numbers
from compliance.detection.arrays import as_strings, to_mask
from compliance.detection.classify import ColumnClassifier, padded
from compliance.detection.confusables import Folding, folded_values
from compliance.detection.json_members import JsonMembers
from compliance.detection.json_members import scrub as scrub_json
from compliance.detection.mixed import is_mixed, whole_value_recognizers
from compliance.detection.recognizers import (
    REGISTRY,
    CreditCardRecognizer,
    PersonNameRecognizer,
    PhoneRecognizer,
    Recognizer,
)
from compliance.detection.scanner import ReplaceMany, TextScanner, per_value
from compliance.detection.xml_members import XmlLeaves, xml_leaves
from compliance.vocabulary import IdType

__all__ = ["FINDINGS_SCHEMA", "Detector", "ReplaceMany", "per_value"]

FINDINGS_SCHEMA = pa.schema([("row", pa.int64()), ("field", pa.string()), ("type", pa.string())])

# Rows probed to decide whether validating distinct values only is worth a dictionary encoding.
_PROBE_ROWS = 4096


class Detector(ColumnClassifier):
    def __init__(
        self, *, gps_precision: int = 3, sample_size: int = 1000, disabled: Iterable[IdType] = ()
    ) -> None:
        """`disabled`: identifier types whose recognizer is left out (fault injection: the residual
        check of the validation must then catch what it would have found)."""
        self.gps_precision = gps_precision
        off = set(disabled)
        super().__init__(
            [cls(gps_precision=gps_precision) for cls in REGISTRY if cls.id_type not in off], sample_size
        )
        self._text = TextScanner(self.recognizers)
        # Columns that are not free text (a "company" column of "Charo González Méndez S.A.T.") are
        # searched without names that have no title: they name firms and places as often; nor is a
        # cell holding only a number a phone there (an "invoice_no" column).
        self._other_recognizers = [
            type(r)(gps_precision=gps_precision, free_text=False)
            if isinstance(r, (PersonNameRecognizer, PhoneRecognizer))
            else r
            for r in self.recognizers
        ]
        self._other_text = TextScanner(self._other_recognizers)
        # The card recognizer (None when disabled) and the scanner of reference columns (_scanner_for).
        cards = self._by_type.get(IdType.CREDIT_CARD)
        self._cards = cards if isinstance(cards, CreditCardRecognizer) else None
        self._reference_text: TextScanner | None = None
        self._mixed_text: TextScanner | None = None
        self._mixed_fields: set[str] = set()  # the file's columns detect() found mixed (mixed.py)
        # field -> (column, its trimmed values' dictionary encoding or None when the column does not
        # repeat itself), as the last detect() made them: tokenizing the same column reuses them.
        self._distinct: dict[str, tuple[pa.Array, pa.DictionaryArray | None]] = {}
        # The text columns the last detect() searched, with their dictionary encoding or None:
        # scrub_text() of the same array (usually the column itself: nothing to trim) reuses it.
        self._searched: list[tuple[pa.Array, pa.DictionaryArray | None, TextScanner, str]] = []
        # Leaves of JSON text typed by their keys (json_members.py), failed closed as _fail_closed does.
        self._json = JsonMembers(self.recognizers, self._value_types)

    # --- detection ---------------------------------------------------------------------------------

    def classify(self, batch: pa.RecordBatch) -> list[ColumnClass]:
        self._mixed_fields = set()  # a new file
        return super().classify(batch)

    def detect(self, batch: pa.RecordBatch, classes: list[ColumnClass] | None = None) -> pa.Table:
        """Findings (row, field, type) of this batch; unique per (row, field, type), sorted.

        An identifier column reports the values its type validates; every other value that is not
        blank (blanks.py) or in a published form of the type is typed on its own: by the free-text
        patterns, as a possible phone number in a phone or contact column, else as
        UNRECOGNISED_SENSITIVE (fail closed). A SENSITIVE column is typed value by value the same
        way. Free text and every other column but NOT_IDENTIFIER ones are searched for embedded
        identifiers. Each column of a latitude/longitude pair reports its own precise values.
        """
        if classes is None:
            classes = self.classify(batch)
        names = set(batch.schema.names)
        limits = _gps_limits([c.field for c in classes if c.id_type is IdType.GPS_COORDINATES])
        found = _Findings()
        self._distinct = {}
        self._searched = []
        self._text.forget_batch()
        self._other_text.forget_batch()
        self._json.forget_batch()
        for column_class in classes:
            field = column_class.field
            if field not in names or column_class.role is ColumnRole.NOT_IDENTIFIER:
                continue
            column = batch.column(field)
            if column_class.id_type is not None and column_class.id_type not in self._by_type:
                column_class = ColumnClass(field, ColumnRole.OTHER)  # its recognizer is disabled
            if column_class.role is ColumnRole.IDENTIFIER and column_class.id_type is not None:
                self._detect_identifier(field, column, column_class.id_type, limits.get(field), found)
            elif column_class.role is ColumnRole.SENSITIVE:
                strings = as_strings(column)
                self._fail_closed(field, strings, np.flatnonzero(strings.is_valid()), None, found)
            else:
                strings = as_strings(column)
                encoded = _encoded_if_repetitive(strings)
                scanner = self._scanner_for(column_class)
                self._searched.append((strings, encoded, scanner, field))

                def find(values: pa.Array, scanner: TextScanner = scanner, field: str = field) -> dict:
                    values = folded_values(values)
                    found = _union(scanner.find(values), self._json.find(values, field, scanner))
                    xml = self._xml_leaves(values)
                    return found if xml is None else _union(found, xml.findings())

                typed = _on_distinct(strings, find, encoded)
                if column_class.role is not ColumnRole.FREE_TEXT and is_mixed(typed, strings):
                    # Values of many kinds, one a row: whole values are typed too (mixed.py).
                    scanner = self._mixed_scanner()
                    self._searched[-1] = (strings, encoded, scanner, field)
                    self._mixed_fields.add(field)
                    typed = _on_distinct(
                        strings, lambda values, scanner=scanner: find(values, scanner), encoded
                    )
                for id_type, rows in typed.items():
                    found.add(rows, field, id_type)
        return found.table()

    def _mixed_scanner(self) -> TextScanner:
        """The scanner of a column of values of many kinds: free text's (what scrub_text uses when it does
        not know the array), and whole values."""
        if self._mixed_text is None:  # made when first needed: few files have such a column
            extra = whole_value_recognizers(self.gps_precision)
            # Not free text's "a number alone in a note is a phone": a whole value's own type
            # (an SSN's nine digits) comes first there.
            usual = [
                PhoneRecognizer(gps_precision=self.gps_precision, free_text=False)
                if isinstance(r, PhoneRecognizer)
                else r
                for r in self.recognizers
            ]
            self._mixed_text = TextScanner([*usual, *extra])
        self._mixed_text.forget_batch()
        return self._mixed_text

    def _scanner_for(self, column_class: ColumnClass) -> TextScanner:
        """Free text, a reference column ("txn_id": a bare Luhn-valid run is that reference, not a
        card), or any other column."""
        if column_class.role is ColumnRole.FREE_TEXT:
            return self._text
        if self._cards is None or not self._cards.REFERENCE_HEADER.fullmatch(
            headers.normalize_header(column_class.field)
        ):
            return self._other_text
        if self._reference_text is None:  # made when first needed: few files have such a column
            self._reference_text = TextScanner(
                [
                    CreditCardRecognizer(gps_precision=self.gps_precision, reference_column=True)
                    if r is self._cards
                    else r
                    for r in self._other_recognizers
                ]
            )
        self._reference_text.forget_batch()
        return self._reference_text

    def _detect_identifier(
        self, field: str, column: pa.Array, id_type: IdType, limit: float | None, found: _Findings
    ) -> None:
        """The values of a column of one identifier type: those its recognizer validates, then the
        rest fail closed."""
        recognizer = self._by_type[id_type]
        trimmed = as_strings(column)
        if limit is not None:  # one half of a position
            strings = trimmed
            valid = _as_rows(recognizer.validate_half(trimmed, limit))
        else:
            strings = padded(trimmed, column, recognizer)
            encoded = _encoded_if_repetitive(strings)
            if strings is trimmed and pa.types.is_string(column.type):
                self._distinct[field] = (column, encoded)
            valid = _on_distinct(strings, lambda values: {id_type: recognizer.validate(values)}, encoded)[
                id_type
            ]
        found.add(valid, field, id_type)
        rest = np.array(strings.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        rest[valid] = False
        if rest.any():
            self._fail_closed(field, strings, np.flatnonzero(rest), recognizer, found)

    def _fail_closed(
        self, field: str, strings: pa.Array, rows: np.ndarray, recognizer: Recognizer | None, found: _Findings
    ) -> None:
        """Type each value at `rows` of a sensitive column that its own type did not validate."""
        values = folded_values(_rows_of(strings, rows))
        keep = ~blanks.blank(values)
        if recognizer is not None:
            keep &= ~recognizer.published(values)
        if not keep.all():
            rows, values = rows[keep], values.filter(pa.array(keep))
        if rows.size == 0:
            return
        typed = np.zeros(rows.size, dtype=bool)
        texts = self._other_text.find(values)  # typed as a value, not read as free text
        for id_type, hit in texts.items():
            found.add(rows[hit], field, id_type)
            typed[hit] = True
        if recognizer is None or recognizer.id_type is IdType.PHONE:
            # Contact and phone columns: a number that is valid in one of the regions tried, or that
            # its numbering plan allows, is a phone number, alone or beside an e-mail address.
            unknown = np.ones(rows.size, dtype=bool)
            unknown[texts.get(IdType.PHONE, np.zeros(0, dtype=np.int64))] = False  # found already
            ask = np.flatnonzero(unknown)
            phones = ask[phone_numbers.numbers_in(_rows_of(values, ask))]
            found.add(rows[phones], field, IdType.PHONE)
            typed[phones] = True
        found.add(rows[~typed], field, IdType.UNRECOGNISED_SENSITIVE)

    def _xml_leaves(self, values: pa.Array) -> XmlLeaves | None:
        return xml_leaves(values, self._json.kind_of_key, self._value_types)

    def _value_types(
        self, values: pa.Array, recognizer: Recognizer | None
    ) -> list[tuple[np.ndarray, IdType]]:
        """(positions, type) of the values of a sensitive attribute that `recognizer` (None: no
        one type) did not validate, typed as _fail_closed types a sensitive column's."""
        found = _Findings()
        self._fail_closed("", values, np.arange(len(values)), recognizer, found)
        return [(rows, IdType(t)) for rows, t in zip(found.rows, found.types, strict=True)]

    def distinct_values(self, field: str, column: pa.Array) -> tuple[bool, pa.DictionaryArray | None]:
        """(known, encoding): whether the last detect() saw exactly `column` (same buffers) as the
        identifier column `field`, and then the dictionary encoding of its trimmed values it made,
        or None when the column hardly repeats itself (encoding it would not pay off)."""
        seen = self._distinct.get(field)
        if seen is None or not _same_array(seen[0], column):
            return False, None
        return True, seen[1]

    def scrub_text(
        self, values: pa.Array, replace_many: ReplaceMany, *, field: str | None = None
    ) -> pa.Array:
        """Replace each identifier found in free text; nulls kept, the rest of the text too.

        replace_many(type, texts) gets every matched text of one type at once and returns one
        replacement per text (the pipeline tokenizes them; `per_value` adapts a one-value callback).
        A column that repeats itself (templated notes) is scrubbed once per distinct value.
        JSON objects and arrays also get the leaves their keys type replaced (`field`: the column's
        name, the key of the top level; by default the one detect() searched this array under),
        and stay valid JSON.
        """
        strings = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        strings = strings if pa.types.is_string(strings.type) else strings.cast(pa.string())
        known = next((seen for seen in self._searched if _same_array(seen[0], strings)), None)
        encoded = known[1] if known is not None else _encoded_if_repetitive(strings)
        scanner = known[2] if known is not None else self._text
        if known is None and field in self._mixed_fields:  # another array of a mixed column
            scanner = self._mixed_scanner()
        if field is None and known is not None:
            field = known[3]
        if encoded is None:
            return self._scrub(strings, scanner, replace_many, field)
        scrubbed = self._scrub(encoded.dictionary, scanner, replace_many, field)
        return strings if scrubbed is encoded.dictionary else scrubbed.take(encoded.indices)

    def _scrub(
        self,
        strings: pa.Array,
        scanner: TextScanner,
        replace_many: ReplaceMany,
        field: str | None,
        read_xml: bool = True,
    ) -> pa.Array:
        """Scrub the folded text (confusables.py), replacing what is found in the values' own,
        and the leaves of XML cells that their tags type and no text span covers (xml_members.py)."""
        xml = self._xml_leaves(strings) if read_xml else None
        folding = Folding(strings)
        documents = self._json.documents(folding.readable, field, scanner)
        if documents is None:  # no JSON object or array: the free-text scrub alone
            return scanner.scrub(folding.readable, replace_many, folding, xml)
        if xml is not None:  # JSON and XML cells in one column: the XML leaves first, whole
            return self._scrub(xml.scrub(strings, replace_many), scanner, replace_many, field, read_xml=False)
        kinds = [text_type.id_type for text_type in scanner.types]
        scrubbed = scrub_json(
            folding.readable,
            documents,
            scanner.spans(folding.readable),
            kinds,
            scanner.json_value,
            replace_many,
        )
        if folding.changed is None:
            return scrubbed
        # A JSON document's spans are not mapped back: one with an identifier is written folded.
        untouched = folding.changed & to_mask(pc.equal(scrubbed, folding.readable))
        if not untouched.any():
            return scrubbed
        return pc.replace_with_mask(scrubbed, pa.array(untouched), strings.filter(pa.array(untouched)))


class _Findings:
    """Row indices per (field, type) part, collected by detect() and sorted into one table."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.fields: list[str] = []
        self.types: list[str] = []

    def add(self, found: np.ndarray, field: str, id_type: IdType) -> None:
        """Add rows (indices, or a boolean mask) holding `id_type` in `field`; disjoint from the rows
        already added for the same (field, type)."""
        found = _as_rows(found)
        if found.size:
            self.rows.append(found.astype(np.int64, copy=False))
            self.fields.append(field)
            self.types.append(id_type.value)

    def table(self) -> pa.Table:
        return _findings(self.rows, self.fields, self.types)


def _union(first: dict[IdType, np.ndarray], second: dict[IdType, np.ndarray]) -> dict[IdType, np.ndarray]:
    """Rows per type of both (row indices or boolean masks of the same values)."""
    if not second:
        return first
    out = {k: _as_rows(v) for k, v in first.items()}
    for id_type, rows in second.items():
        out[id_type] = np.union1d(out[id_type], rows) if id_type in out else rows
    return out


def _gps_limits(fields: list[str]) -> dict[str, float]:
    """Range limit (90 latitude, 180 longitude) of each position column that holds one coordinate:
    a half of a latitude/longitude pair or a lone "latitude" column."""
    limits = {}
    # The fields are all GPS columns: "y"/"x" ones among them were proven a position by their values.
    for latitude, longitude in (headers.gps_pairs(fields) | headers.axis_pairs(fields)).items():
        limits[latitude], limits[longitude] = 90.0, 180.0
    for field in fields:
        if field not in limits:
            limit = headers.gps_half(headers.normalize_header(field))
            if limit is not None:
                limits[field] = limit
    return limits


def _rows_of(values: pa.Array, rows: np.ndarray) -> pa.Array:
    """values[rows] (sorted, distinct rows): `values` itself when rows are all of it."""
    return values if rows.size == len(values) else values.take(pa.array(rows))


def _on_distinct(
    strings: pa.Array,
    find: Callable[[pa.Array], dict[IdType, np.ndarray]],
    encoded: pa.DictionaryArray | bool | None = True,
) -> dict[IdType, np.ndarray]:
    """`find` (per type: a boolean mask or row indices) run once per distinct value when the column
    repeats itself (zip codes, names, dates, templated notes), mapped back to every row as indices.
    `encoded` may pass what _encoded_if_repetitive(strings) returned (True: not computed yet)."""
    if encoded is True:
        encoded = _encoded_if_repetitive(strings)
    if encoded is None:
        return {k: _as_rows(v) for k, v in find(strings).items()}
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    out = {}
    for id_type, found in find(encoded.dictionary).items():
        hit = np.zeros(len(encoded.dictionary) + 1, dtype=bool)  # the extra slot is for nulls (-1)
        hit[_as_rows(found)] = True
        out[id_type] = np.flatnonzero(hit[codes])
    return out


def _encoded_if_repetitive(strings: pa.Array) -> pa.DictionaryArray | None:
    return pc.dictionary_encode(strings) if _repetitive(strings) else None


def _same_array(first: pa.Array, second: pa.Array) -> bool:
    """Whether two arrays view the same buffers the same way (Arrow buffers are immutable, and the
    kept reference to `first` keeps its memory from being reused)."""
    if isinstance(first, pa.ChunkedArray) or isinstance(second, pa.ChunkedArray):
        return first is second
    return (
        first.type == second.type
        and len(first) == len(second)
        and first.offset == second.offset
        and [b and b.address for b in first.buffers()] == [b and b.address for b in second.buffers()]
    )


def _repetitive(strings: pa.Array) -> bool:
    """Whether the column repeats itself enough that working on its distinct values pays off."""
    size = len(strings)
    probe = strings.slice(0, min(size, _PROBE_ROWS))
    return size >= 2 * _PROBE_ROWS and pc.count_distinct(probe).as_py() <= len(probe) // 2


def _as_rows(found: np.ndarray) -> np.ndarray:
    return np.flatnonzero(found) if found.dtype == bool else found


def _findings(rows: list[np.ndarray], fields: list[str], types: list[str]) -> pa.Table:
    """Concatenate per-(field, type) row lists into the findings table, sorted by (row, field, type).

    Each part is one (field, type) pair, so the integer key row * parts + rank(field, type) is
    unique and orders everything without comparing strings per finding.
    """
    if not rows:
        return FINDINGS_SCHEMA.empty_table()
    parts = len(rows)
    rank = np.empty(parts, dtype=np.int64)
    rank[sorted(range(parts), key=lambda i: (fields[i], types[i]))] = np.arange(parts)
    part = np.repeat(np.arange(parts, dtype=np.int32), [r.size for r in rows])
    row = np.concatenate(rows)
    key = row * parts + rank[part]
    if int(key.max()) < max(16 * key.size, 1 << 20):
        # Keys are unique and dense enough: scatter into a slot per key, read back in key order
        # (faster than a sort up to ~24 slots per key; a batch with many parts has ~5-10).
        slot = np.full(int(key.max()) + 1, -1, dtype=np.int32)
        slot[key] = np.arange(key.size, dtype=np.int32)
        order = slot[slot >= 0]
    else:
        order = np.argsort(key, kind="stable")
    part = pa.array(part[order])
    return pa.table(
        {
            "row": pa.array(row[order], pa.int64()),
            "field": pc.take(pa.array(fields, pa.string()), part),
            "type": pc.take(pa.array(types, pa.string()), part),
        },
        schema=FINDINGS_SCHEMA,
    )
