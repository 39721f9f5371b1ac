"""The rule engine: runs a domain's rules over a batch and returns one violation per (row, field, type)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.columns import ColumnClass
from compliance.policy import Policy, load_policy
from compliance.rules.base import FINDINGS_SCHEMA, VIOLATION_SCHEMA, Rule, RuleContext
from compliance.rules.gdpr_policy import MissingConsentRule, RetentionExceededRule
from compliance.rules.regulations import BUILTIN_RULE_SETS
from compliance.vocabulary import IDENTIFIER_TYPES, VIOLATION_KEYS, IdType, Regulation, Severity, Violation

_SEVERITY_ORDER = pa.array([s.value for s in Severity], pa.string())  # low .. critical
_VOCABULARY = pa.array([t.value for t in IdType], pa.string())
_REGULATIONS = pa.array([r.value for r in Regulation], pa.string())


class RuleEngine:
    """Holds a policy and an ordered list of rules; `evaluate` applies them to one batch.

    When several rules report the same (row, field, type), the higher severity wins, then the
    earlier rule (built-in rule sets come before rules added with `add_rule`).
    """

    def __init__(self, policy: Policy, rules: Iterable[Rule] = ()) -> None:
        self.policy = policy
        self._rules: list[Rule] = []
        for rule in rules:
            self.add_rule(rule)

    @classmethod
    def for_domain(cls, domain: str, policy: Policy | None = None) -> RuleEngine:
        """The built-in rule sets of the regulations the domain's policy maps identifiers to, plus the
        GDPR consent and retention rules."""
        policy = policy if policy is not None else load_policy(domain)
        if policy.domain != domain:
            raise ValueError(f"policy is for domain {policy.domain!r}, not {domain!r}")
        regulations = {
            label.regulation for id_type, label in policy.types.items() if id_type in IDENTIFIER_TYPES
        }
        rules: list[Rule] = [
            rule_set() for rule_set in BUILTIN_RULE_SETS if rule_set.regulation in regulations
        ]
        rules += [MissingConsentRule(), RetentionExceededRule()]
        return cls(policy, rules)

    @property
    def domain(self) -> str:
        return self.policy.domain

    @property
    def rules(self) -> list[Rule]:
        return list(self._rules)

    def add_rule(self, rule: Rule) -> None:
        if not isinstance(rule, Rule):
            raise TypeError(f"add_rule expects a Rule instance, got {type(rule).__name__}")
        if not rule.name or not rule.regulation:
            raise ValueError(f"{type(rule).__name__} must set a non-empty `name` and `regulation`")
        self._rules.append(rule)

    def evaluate(
        self,
        batch: pa.RecordBatch,
        findings: pa.Table,
        classes: list[ColumnClass],
        *,
        row_offset: int = 0,
        as_of: datetime.date | None = None,
    ) -> pa.Table:
        """Violations of `batch`, rows shifted by `row_offset` to file positions, sorted by
        (row, field, type), one per (row, field, type), columns in VIOLATION_KEYS order."""
        ctx = RuleContext(
            batch=batch,
            findings=_checked_findings(findings),
            classes=list(classes),
            policy=self.policy,
            domain=self.policy.domain,
            as_of=as_of if as_of is not None else datetime.datetime.now(datetime.UTC).date(),
        )
        tables = [_checked_violations(rule.evaluate(ctx), rule, batch.num_rows) for rule in self._rules]
        if not tables:
            return VIOLATION_SCHEMA.empty_table()
        rule_index = np.repeat(np.arange(len(tables), dtype=np.int32), [t.num_rows for t in tables])
        merged = pa.concat_tables(tables)
        unique = merged.take(pa.array(_best_per_key(merged, rule_index)))
        if row_offset:
            unique = unique.set_column(0, "row", pc.add(unique["row"], pa.scalar(row_offset, pa.int64())))
        return unique.combine_chunks()


def _best_per_key(merged: pa.Table, rule_index: np.ndarray) -> np.ndarray:
    """Positions of the winning violation of each (row, field, type), in (row, field, type) order:
    highest severity first, then lowest rule index. Sorts integer codes, not strings."""
    if merged.num_rows == 0:
        return np.empty(0, dtype=np.int64)
    rows = merged["row"].to_numpy()
    field_code = _sorted_codes(merged["field"])
    type_code = _sorted_codes(merged["type"])
    severity_rank = pc.index_in(merged["severity"], value_set=_SEVERITY_ORDER).to_numpy()
    fields, types = int(field_code.max()) + 1, int(type_code.max()) + 1
    severities, rules = len(_SEVERITY_ORDER), int(rule_index.max()) + 1
    if (int(rows.max()) + 1) * fields * types * severities * rules < 1 << 62:
        # One int64 per violation packs the whole sort order: one stable argsort instead of a
        # five-key lexsort (~20x faster on a batch).
        key = (rows * fields + field_code) * types + type_code
        packed = (key * severities + (severities - 1 - severity_rank)) * rules + rule_index
        order = np.argsort(packed, kind="stable")
        key = key[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        return order[first]
    order = np.lexsort((rule_index, -severity_rank, type_code, field_code, rows))
    rows, field_code, type_code = rows[order], field_code[order], type_code[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (
        (rows[1:] != rows[:-1]) | (field_code[1:] != field_code[:-1]) | (type_code[1:] != type_code[:-1])
    )
    return order[first]


def _sorted_codes(values: pa.ChunkedArray) -> np.ndarray:
    """Integer codes whose order is the strings' order (few distinct fields/types per batch)."""
    distinct = pa.array(sorted(pc.unique(values).to_pylist()), pa.string())
    return pc.index_in(values, value_set=distinct).to_numpy()


def _checked_findings(findings: pa.Table) -> pa.Table:
    missing = [name for name in FINDINGS_SCHEMA.names if name not in findings.schema.names]
    if missing:
        raise ValueError(f"findings table lacks column(s) {', '.join(missing)}")
    findings = findings.select(FINDINGS_SCHEMA.names).cast(FINDINGS_SCHEMA)
    unknown = findings.filter(pc.invert(pc.is_in(findings["type"], value_set=_VOCABULARY)))
    if unknown.num_rows:
        values = sorted(set(unknown["type"].to_pylist()), key=str)
        raise ValueError(f"findings hold type(s) outside the vocabulary: {values}")
    return findings


def _checked_violations(result: pa.Table | Iterable[Violation], rule: Rule, num_rows: int) -> pa.Table:
    """A rule's output as a VIOLATION_SCHEMA table, or a ValueError naming the rule."""
    if isinstance(result, pa.RecordBatch):
        result = pa.Table.from_batches([result])
    if isinstance(result, pa.Table):
        missing = [key for key in VIOLATION_KEYS if key not in result.schema.names]
        if missing:
            raise ValueError(f"rule {rule.name!r} returned a table without column(s) {', '.join(missing)}")
        table = result.select(list(VIOLATION_KEYS)).cast(VIOLATION_SCHEMA)
    else:
        table = pa.Table.from_pylist([v.to_dict() for v in result], schema=VIOLATION_SCHEMA)
    if table.num_rows == 0:
        return table
    for key, allowed in (("type", _VOCABULARY), ("regulation", _REGULATIONS), ("severity", _SEVERITY_ORDER)):
        bad = table.filter(pc.invert(pc.fill_null(pc.is_in(table[key], value_set=allowed), False)))
        if bad.num_rows:
            raise ValueError(
                f"rule {rule.name!r} returned invalid {key} value(s) {sorted(set(bad[key].to_pylist()), key=str)}"
            )
    rows = table["row"]
    if rows.null_count or pc.min(rows).as_py() < 0 or pc.max(rows).as_py() >= num_rows:
        raise ValueError(f"rule {rule.name!r} returned rows outside the batch (0..{num_rows - 1})")
    if table["field"].null_count or table["rule"].null_count:
        raise ValueError(f"rule {rule.name!r} returned violations without field or rule")
    return table
