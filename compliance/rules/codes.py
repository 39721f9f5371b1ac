"""Violations as integer codes: the rule engine's internal form.

The built-in rules label tens of thousands of findings per batch. Carrying the field, type and
(regulation, severity, rule) label of each violation as small integers, instead of strings, keeps
their work and the engine's merge in numpy; strings are built once, for the violations that win.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.policy import TypeRule
from compliance.rules.base import VIOLATION_SCHEMA, Rule, RuleContext
from compliance.vocabulary import VIOLATION_KEYS, IdType, Regulation, Severity

TYPE_VALUES = tuple(t.value for t in IdType)  # a type's code is its position here
TYPE_CODE = {value: code for code, value in enumerate(TYPE_VALUES)}
# Code -> position of the type's string in sorted order (violations sort by the strings).
TYPE_RANK = np.argsort(np.argsort(np.array(TYPE_VALUES, dtype=object))).astype(np.int64)
SEVERITY_RANK = {s.value: rank for rank, s in enumerate(Severity)}  # low .. critical
_REGULATIONS = frozenset(r.value for r in Regulation)
_TYPE_VOCABULARY = pa.array(TYPE_VALUES, pa.string())
NO_TYPE = len(TYPE_VALUES)  # a finding without a type: no rule labels it
NO_FIELD = -1  # a violation without a field: the engine rejects it


class InvalidLabelError(ValueError):
    """A label whose regulation or severity is not a vocabulary value."""


class CodedViolations(NamedTuple):
    """Batch-local rows, each with its field, type and label code (see ViolationCodes)."""

    rows: np.ndarray  # int64
    fields: np.ndarray  # int32, index into ViolationCodes.fields
    types: np.ndarray  # int32, index into TYPE_VALUES
    labels: np.ndarray  # int32, index into ViolationCodes.labels


class Combinations(NamedTuple):
    """A violations table grouped by (field, type, regulation, severity, rule): a batch has ~10
    violations per row but a few dozen such combinations. What the engine knows as codes, so later
    stages (anonymization, the violation lines) need not hash the strings again."""

    index: np.ndarray  # int64 per violation: its combination, a row of `table`
    table: pa.Table  # VIOLATION_KEYS without "row", one row per combination (no nulls)


# Combinations of a batch numbered densely through a bitmap up to this many possible codes.
_MAX_DENSE_CODES = 1 << 22


class ViolationCodes:
    """One batch's code book: interned field names and (regulation, severity, rule) labels, and the
    batch's findings in coded form. Labels are checked against the vocabulary once, when interned."""

    def __init__(self, findings: pa.Table) -> None:
        self.fields: list[str] = []
        self.labels: list[tuple[str, str, str]] = []
        self._field_code: dict[str, int] = {}
        self._label_code: dict[tuple[str, str, str], int] = {}
        types = pc.index_in(findings["type"], value_set=_TYPE_VOCABULARY)
        if types.null_count != findings["type"].null_count:  # a type outside the vocabulary
            unknown = findings.filter(pc.and_(pc.is_null(types), pc.is_valid(findings["type"])))
            values = sorted(set(unknown["type"].to_pylist()), key=str)
            raise ValueError(f"findings hold type(s) outside the vocabulary: {values}")
        if findings["row"].null_count:
            raise ValueError("findings hold null rows")
        self.findings = CodedViolations(
            findings["row"].to_numpy(),
            self._field_codes(findings["field"]),
            _int32(pc.fill_null(types, NO_TYPE)),
            np.zeros(findings.num_rows, dtype=np.int32),  # findings carry no label
        )

    def field(self, name: str) -> int:
        code = self._field_code.get(name)
        if code is None:
            code = self._field_code[name] = len(self.fields)
            self.fields.append(name)
        return code

    def label(self, regulation: str, severity: str, rule: str) -> int:
        """The code of a label; an InvalidLabelError when its regulation or severity is not a known value."""
        key = (regulation, severity, rule)
        code = self._label_code.get(key)
        if code is None:
            if regulation not in _REGULATIONS:
                raise InvalidLabelError(f"invalid regulation value(s) [{regulation!r}]")
            if severity not in SEVERITY_RANK:
                raise InvalidLabelError(f"invalid severity value(s) [{severity!r}]")
            code = self._label_code[key] = len(self.labels)
            self.labels.append(key)
        return code

    def label_findings(self, labels: Mapping[str, TypeRule]) -> CodedViolations:
        """The findings whose type is in `labels`, each with its type's label (label_findings, coded)."""
        label_of_type = np.full(NO_TYPE + 1, -1, dtype=np.int32)
        for id_type, label in labels.items():
            if id_type in TYPE_CODE:
                label_of_type[TYPE_CODE[id_type]] = self.label(label.regulation, label.severity, label.rule)
        found = self.findings
        label = label_of_type[found.types]
        owned = np.flatnonzero(label >= 0)
        return CodedViolations(found.rows[owned], found.fields[owned], found.types[owned], label[owned])

    def at(self, rows: np.ndarray, field: str, label: TypeRule, id_type: str) -> CodedViolations:
        """One violation per row in `rows` under `field`, all of one type and label (violations_at, coded)."""
        n = len(rows)
        return CodedViolations(
            np.asarray(rows, dtype=np.int64),
            np.full(n, self.field(field), dtype=np.int32),
            np.full(n, TYPE_CODE[id_type], dtype=np.int32),
            np.full(n, self.label(label.regulation, label.severity, label.rule), dtype=np.int32),
        )

    def encode(self, table: pa.Table) -> CodedViolations:
        """A checked VIOLATION_SCHEMA table (a custom rule's output) in coded form."""
        if table.num_rows == 0:
            return empty_coded()
        parts = [_dictionary(table[key]) for key in ("regulation", "severity", "rule")]
        combined = np.zeros(table.num_rows, dtype=np.int64)
        for dictionary, indices in parts:
            combined = combined * len(dictionary) + indices
        distinct, inverse = np.unique(combined, return_inverse=True)
        codes = []
        for value in distinct.tolist():
            key = []
            for dictionary, _ in reversed(parts):
                value, index = divmod(value, len(dictionary))
                key.append(dictionary[index])
            codes.append(self.label(*reversed(key)))
        return CodedViolations(
            table["row"].to_numpy(),
            self._field_codes(table["field"]),
            _int32(pc.index_in(table["type"], value_set=_TYPE_VOCABULARY)),
            np.asarray(codes, dtype=np.int32)[inverse.reshape(-1)],
        )

    def decode(self, coded: CodedViolations, row_offset: int = 0) -> pa.Table:
        """The VIOLATION_SCHEMA table of `coded`, rows shifted by `row_offset`."""
        labels = pa.array(coded.labels, pa.int32())

        def label_part(position: int) -> pa.Array:
            return pc.take(pa.array([label[position] for label in self.labels], pa.string()), labels)

        rows = coded.rows + row_offset if row_offset else coded.rows
        columns = {
            "row": pa.array(rows, pa.int64()),
            "field": pc.take(pa.array(self.fields, pa.string()), pa.array(coded.fields, pa.int32())),
            "type": pc.take(_TYPE_VOCABULARY, pa.array(coded.types, pa.int32())),
            "regulation": label_part(0),
            "severity": label_part(1),
            "rule": label_part(2),
        }
        return pa.table([columns[key] for key in VIOLATION_KEYS], schema=VIOLATION_SCHEMA)

    def combinations(self, coded: CodedViolations) -> Combinations:
        """The combination of each violation of `coded` (numbered in order of their codes) and
        their decoded table."""
        types, labels = NO_TYPE + 1, max(len(self.labels), 1)
        key = (coded.fields.astype(np.int64) * types + coded.types) * labels + coded.labels
        size = max(len(self.fields), 1) * types * labels
        if size <= _MAX_DENSE_CODES:
            present = np.zeros(size, dtype=bool)
            present[key] = True
            distinct = np.flatnonzero(present)
            number = np.cumsum(present) - 1
            index = number[key]
        else:
            distinct, index = np.unique(key, return_inverse=True)
            index = index.reshape(-1)
        label, rest = distinct % labels, distinct // labels
        each = CodedViolations(np.zeros(distinct.size, dtype=np.int64), rest // types, rest % types, label)
        table = self.decode(each).drop_columns(["row"])
        return Combinations(index.astype(np.int64, copy=False), table)

    def field_rank(self) -> np.ndarray:
        """Field code -> position of the field's name in sorted order."""
        rank = np.empty(len(self.fields), dtype=np.int64)
        rank[sorted(range(len(self.fields)), key=self.fields.__getitem__)] = np.arange(len(self.fields))
        return rank

    def severity_rank(self) -> np.ndarray:
        """Label code -> rank of its severity (0 = low .. 3 = critical)."""
        return np.array([SEVERITY_RANK[severity] for _, severity, _ in self.labels], dtype=np.int64)

    def _field_codes(self, values: pa.ChunkedArray | pa.Array) -> np.ndarray:
        dictionary, indices = _dictionary(values)
        codes = [self.field(name) for name in dictionary]
        return np.array([*codes, NO_FIELD], dtype=np.int32)[indices]


def empty_coded() -> CodedViolations:
    none = np.empty(0, dtype=np.int32)
    return CodedViolations(np.empty(0, dtype=np.int64), none, none, none)


def concat_coded(parts: list[CodedViolations]) -> CodedViolations:
    if not parts:
        return empty_coded()
    return CodedViolations(*(np.concatenate(column) for column in zip(*parts, strict=True)))


def _dictionary(values: pa.ChunkedArray | pa.Array) -> tuple[list, np.ndarray]:
    """Distinct non-null values and each row's index into them (len(distinct) for a null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)
    dictionary = encoded.dictionary.to_pylist()
    indices = pc.fill_null(encoded.indices, len(dictionary)) if encoded.null_count else encoded.indices
    return dictionary, indices.to_numpy().astype(np.int64, copy=False)


def _int32(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.to_numpy().astype(np.int32, copy=False)


class CodedRule(Rule):
    """A built-in rule that works on codes. The engine calls `coded_violations` directly; `evaluate`
    (what a caller outside the engine, or a subclass overriding it, sees) decodes them."""

    def evaluate(self, ctx: RuleContext) -> pa.Table:
        codes = ViolationCodes(ctx.findings)
        return codes.decode(self.coded_violations(ctx, codes))

    @abstractmethod
    def coded_violations(self, ctx: RuleContext, codes: ViolationCodes) -> CodedViolations:
        """Violations of this batch (batch-local rows), coded in `codes`."""
