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
from compliance.rules.codes import (
    NO_FIELD,
    TYPE_RANK,
    CodedRule,
    CodedViolations,
    Combinations,
    InvalidLabelError,
    ViolationCodes,
    concat_coded,
    empty_coded,
)
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
        return self._evaluate(batch, findings, classes, row_offset, as_of)[0]

    def evaluate_combined(
        self,
        batch: pa.RecordBatch,
        findings: pa.Table,
        classes: list[ColumnClass],
        as_of: datetime.date | None,
    ) -> tuple[pa.Table, Combinations]:
        """evaluate() (batch rows), and the (field, type, regulation, severity, rule) combination of
        each violation: what the pipeline's later stages read instead of the strings."""
        return self._evaluate(batch, findings, classes, 0, as_of)

    def _evaluate(
        self,
        batch: pa.RecordBatch,
        findings: pa.Table,
        classes: list[ColumnClass],
        row_offset: int,
        as_of: datetime.date | None,
    ) -> tuple[pa.Table, Combinations]:
        checked = _checked_findings(findings)
        codes = ViolationCodes(checked)
        ctx = RuleContext(
            batch=batch,
            findings=checked,
            classes=list(classes),
            policy=self.policy,
            domain=self.policy.domain,
            as_of=as_of if as_of is not None else datetime.datetime.now(datetime.UTC).date(),
        )
        parts = [_coded_violations(rule, ctx, codes) for rule in self._rules]
        if not parts:
            return VIOLATION_SCHEMA.empty_table(), codes.combinations(empty_coded())
        merged = concat_coded(parts)
        rule_index = np.repeat(np.arange(len(parts), dtype=np.int64), [len(p.rows) for p in parts])
        best = _best_per_key(
            merged.rows,
            codes.field_rank()[merged.fields],
            TYPE_RANK[merged.types],
            codes.severity_rank()[merged.labels],
            rule_index,
        )
        winners = CodedViolations(*(column[best] for column in merged))
        return codes.decode(winners, row_offset), codes.combinations(winners)


def _coded_violations(rule: Rule, ctx: RuleContext, codes: ViolationCodes) -> CodedViolations:
    """A rule's violations in coded form, checked like any rule's output; a ValueError names the rule.
    Built-in rules code their own (unless a subclass overrides `evaluate`); others are encoded."""
    if isinstance(rule, CodedRule) and type(rule).evaluate is CodedRule.evaluate:
        try:
            coded = rule.coded_violations(ctx, codes)
        except InvalidLabelError as error:
            raise ValueError(f"rule {rule.name!r} returned {error}") from None
    else:
        coded = codes.encode(_checked_violations(rule.evaluate(ctx), rule, ctx.batch.num_rows))
    if len(coded.rows) and (coded.rows.min() < 0 or coded.rows.max() >= ctx.batch.num_rows):
        raise ValueError(f"rule {rule.name!r} returned rows outside the batch (0..{ctx.batch.num_rows - 1})")
    if (coded.fields == NO_FIELD).any():
        raise ValueError(f"rule {rule.name!r} returned violations without field or rule")
    return coded


def _best_per_key(
    rows: np.ndarray,
    field_rank: np.ndarray,
    type_rank: np.ndarray,
    severity_rank: np.ndarray,
    rule_index: np.ndarray,
) -> np.ndarray:
    """Positions of the winning violation of each (row, field, type), in (row, field, type) order:
    highest severity first, then lowest rule index. Field and type ranks are the order of their
    strings, so integer keys sort like the strings would."""
    if rows.size == 0:
        return np.empty(0, dtype=np.int64)
    fields, types = int(field_rank.max()) + 1, int(type_rank.max()) + 1
    severities, rules = len(Severity), int(rule_index.max()) + 1
    if (int(rows.max()) + 1) * fields * types * severities * rules < 1 << 62:
        # One int64 per violation packs the whole sort order: one stable argsort instead of a
        # five-key lexsort (~20x faster on a batch).
        key = (rows * fields + field_rank) * types + type_rank
        packed = (key * severities + (severities - 1 - severity_rank)) * rules + rule_index
        order = np.argsort(packed, kind="stable")
        key = key[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        return order[first]
    order = np.lexsort((rule_index, -severity_rank, type_rank, field_rank, rows))
    rows, field_rank, type_rank = rows[order], field_rank[order], type_rank[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (
        (rows[1:] != rows[:-1]) | (field_rank[1:] != field_rank[:-1]) | (type_rank[1:] != type_rank[:-1])
    )
    return order[first]


def _checked_findings(findings: pa.Table) -> pa.Table:
    """The findings' columns, cast (ViolationCodes checks their types against the vocabulary)."""
    missing = [name for name in FINDINGS_SCHEMA.names if name not in findings.schema.names]
    if missing:
        raise ValueError(f"findings table lacks column(s) {', '.join(missing)}")
    findings = findings.select(FINDINGS_SCHEMA.names)
    return findings if findings.schema == FINDINGS_SCHEMA else findings.cast(FINDINGS_SCHEMA)


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
