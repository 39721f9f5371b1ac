"""The rule interface: a rule turns one batch's findings (and its columns) into violations.

Rules return batch-local rows; the engine merges the rules' outputs, keeps one violation per
(row, field, type) and shifts rows to file positions.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.columns import ColumnClass, ColumnRole
from compliance.policy import Policy, TypeRule
from compliance.vocabulary import VIOLATION_KEYS, Violation

VIOLATION_SCHEMA = pa.schema(
    [("row", pa.int64())] + [(key, pa.string()) for key in VIOLATION_KEYS if key != "row"]
)
FINDINGS_SCHEMA = pa.schema([("row", pa.int64()), ("field", pa.string()), ("type", pa.string())])


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may look at for one batch. `as_of` is "today" for retention (injectable)."""

    batch: pa.RecordBatch
    findings: pa.Table  # row (int64, batch-local), field, type; unique per (row, field, type)
    classes: list[ColumnClass]
    policy: Policy
    domain: str
    as_of: datetime.date

    def columns_with_role(self, role: ColumnRole) -> list[str]:
        """Names of the batch's columns classified with `role`."""
        names = set(self.batch.schema.names)
        return [c.field for c in self.classes if c.role == role and c.field in names]

    def column(self, name: str) -> pa.Array:
        return self.batch.column(self.batch.schema.get_field_index(name))


class Rule(ABC):
    """A compliance rule. Subclass, set `name` and `regulation`, register with `engine.add_rule(rule)`."""

    name: str = ""
    regulation: str = ""

    @abstractmethod
    def evaluate(self, ctx: RuleContext) -> pa.Table | Iterable[Violation]:
        """Violations of this batch (batch-local rows), as a table with the VIOLATION_KEYS columns or
        as Violation objects (fine for rules that emit few)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, regulation={self.regulation!r})"


def empty_violations() -> pa.Table:
    return VIOLATION_SCHEMA.empty_table()


def violations_at(rows: np.ndarray, field: str, label: TypeRule, id_type: str) -> pa.Table:
    """One violation per row in `rows`, all under `field` with the same type and label."""
    n = len(rows)

    def repeated(value: str) -> pa.Array:
        return pa.repeat(pa.scalar(value, pa.string()), n)

    return pa.table(
        [
            pa.array(rows, pa.int64()),
            repeated(field),
            repeated(id_type),
            repeated(label.regulation),
            repeated(label.severity),
            repeated(label.rule),
        ],
        schema=VIOLATION_SCHEMA,
    )


def label_findings(findings: pa.Table, labels: Mapping[str, TypeRule]) -> pa.Table:
    """The findings whose type is in `labels`, with that type's regulation, severity and rule.

    A vectorised join against a small per-type lookup: no Python work per finding.
    """
    if not labels or findings.num_rows == 0:
        return empty_violations()
    types = list(labels)
    owned = findings.filter(pc.is_in(findings["type"], value_set=pa.array(types, pa.string())))
    position = pc.index_in(owned["type"], value_set=pa.array(types, pa.string()))

    def lookup(attr: str) -> pa.ChunkedArray:
        return pc.take(pa.array([getattr(labels[t], attr) for t in types], pa.string()), position)

    return pa.table(
        [
            owned["row"],
            owned["field"],
            owned["type"],
            lookup("regulation"),
            lookup("severity"),
            lookup("rule"),
        ],
        schema=VIOLATION_SCHEMA,
    )
