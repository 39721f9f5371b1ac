"""How a file's anonymization is planned and applied: one ColumnPlan per column (decided once per
file from its classification and policy), then, per batch, the anonymizer of each flagged cell's own
type on exactly the cells that have an identifier violation. CompliancePipeline runs it after
detection and rules; the hybrid job's lanes run it apart from detection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.anonymize.generalize import generalize_date_to_year, generalize_zip
from compliance.anonymize.tokenize import Tokenizer, coarsen_gps, coarsen_ip
from compliance.columns import ColumnClass, ColumnRole
from compliance.detection import Detector
from compliance.policy import Policy
from compliance.rules.codes import Combinations
from compliance.vault import VAULT_SCHEMA, VaultEncryptor
from compliance.vocabulary import IDENTIFIER_TYPES, IdType

_IDENTIFIER_TYPE_VALUES = pa.array(sorted(t.value for t in IDENTIFIER_TYPES), pa.string())


@dataclass
class ColumnPlan:
    """How one column is anonymized (decided once per file). Only cells with a violation change:
    `scrub_text` replaces the identifiers found inside a text, every other method replaces the
    whole value, with the anonymizer of the cell's own type (the column's `method` for its type)."""

    field: str
    method: str  # keep | tokenize | truncate_last4 | drop | generalize | coarsen | scrub_text | k_anonymity
    id_type: str | None = None

    @property
    def whole_values(self) -> bool:
        return self.method not in ("keep", "scrub_text")


def plan_columns(classes: list[ColumnClass], policy: Policy, quasi: dict[str, str]) -> list[ColumnPlan]:
    """One step per column; `quasi`: the columns the file-level k-anonymity pass generalises."""
    plan = []
    for column in classes:
        if column.field in quasi:
            plan.append(ColumnPlan(column.field, "k_anonymity", column.id_type))
        elif column.role == ColumnRole.IDENTIFIER and column.id_type:
            method = policy.label_for(column.id_type).anonymizer
            plan.append(ColumnPlan(column.field, method, column.id_type))
        elif column.role == ColumnRole.SENSITIVE:
            plan.append(ColumnPlan(column.field, "tokenize"))  # each cell by its own type
        elif column.role == ColumnRole.NOT_IDENTIFIER:
            plan.append(ColumnPlan(column.field, "keep"))
        else:  # free text and every other column: the identifiers found inside a value
            plan.append(ColumnPlan(column.field, "scrub_text"))
    return plan


@dataclass
class CellAnonymizer:
    """A file's plan applied to batches. `detector` is the one that just ran detection on the batch:
    tokenization reuses the distinct values it found. With a `vault`, tokens of the policy's
    reversible types are kept with their originals until take_vault_entries()."""

    plan: list[ColumnPlan]
    policy: Policy
    tokenizer: Tokenizer
    detector: Detector
    vault: VaultEncryptor | None = None
    # (type, originals, tokens) of reversible types' tokens since take_vault_entries()
    _vault_parts: list[tuple[str, pa.Array, pa.Array]] = field(default_factory=list, init=False, repr=False)

    def anonymize_batch(
        self,
        batch: pa.RecordBatch,
        violations: pa.Table,
        rows: np.ndarray | None = None,
        combinations: Combinations | None = None,
    ) -> pa.RecordBatch:
        """`batch` with the plan applied to its flagged cells (see CompliancePipeline.anonymize_batch);
        `combinations`: those of `violations` when the rule engine gave them."""
        cells = flagged_cells(violations, rows, self._strength, combinations)
        arrays = []
        for index, step in enumerate(self.plan):
            column = batch.column(index)
            flagged = cells.get(step.field)
            arrays.append(column if flagged is None else self._apply_cells(step, column, *flagged))
        return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)

    def _reversible(self, id_type: str | None) -> bool:
        return self.vault is not None and id_type is not None and self.policy.label_for(id_type).reversible

    def _keep_for_vault(self, id_type: str, originals: pa.Array, tokens: pa.Array) -> None:
        """Remember the tokens a reversible type got in the output, with their original values."""
        if len(tokens):
            self._vault_parts.append((id_type, originals, tokens))

    def take_vault_entries(self) -> pa.Table:
        """The vault entries of what was anonymized since the last call (one per distinct token,
        encrypted; VAULT_SCHEMA), and forget them."""
        parts, self._vault_parts = self._vault_parts, []
        if not parts or self.vault is None:
            return VAULT_SCHEMA.empty_table()
        tokens = pa.chunked_array([tokens.cast(pa.string()) for _, _, tokens in parts], pa.string())
        originals = pa.chunked_array([values.cast(pa.string()) for _, values, _ in parts], pa.string())
        types = pa.chunked_array([pa.repeat(pa.scalar(t, pa.string()), len(v)) for t, _, v in parts])
        return self.vault.encrypt(types.combine_chunks(), tokens.combine_chunks(), originals.combine_chunks())

    def _strength(self, id_type: str) -> int:
        """Rank of a type's anonymizer when one cell holds several types: the most protective wins."""
        return _STRENGTH[self.policy.label_for(id_type).anonymizer]

    def _apply_cells(
        self, step: ColumnPlan, values: pa.Array, rows: np.ndarray, types: np.ndarray
    ) -> pa.Array:
        """`values` with the cells at `rows` (sorted) anonymized; `types` holds each cell's type."""
        if not step.whole_values:
            return self._apply(step, values) if step.method == "scrub_text" else values
        out = values
        # The column's own type first: anonymized column-wide (the path that reuses detection's
        # distinct values), then kept where the cell has no violation of it.
        kinds = sorted(set(types.tolist()), key=lambda kind: kind != step.id_type)
        for id_type in kinds:
            chosen = rows[types == id_type]
            if id_type == step.id_type:
                if step.method == "k_anonymity":
                    continue  # generalised with the whole file by the k-anonymity pass
                whole = self._apply(step, values)
                if step.method == "tokenize" and self._reversible(id_type):
                    taken = pa.array(chosen)
                    self._keep_for_vault(id_type, values.take(taken), whole.take(taken))
                if chosen.size == len(values) - values.null_count:
                    out = whole  # every value (nulls stay null)
                else:
                    mask = np.zeros(len(values), dtype=bool)
                    mask[chosen] = True
                    out = pc.if_else(pa.array(mask), whole, values)
                continue
            cell_step = ColumnPlan(step.field, self.policy.label_for(id_type).anonymizer, id_type)
            mask = np.zeros(len(values), dtype=bool)
            mask[chosen] = True
            originals = values.take(pa.array(chosen))
            replaced = self._apply(cell_step, originals)
            if cell_step.method == "tokenize" and self._reversible(id_type):
                self._keep_for_vault(id_type, originals, replaced)
            out = pc.replace_with_mask(out, pa.array(mask), replaced.cast(values.type))
        return out

    def _apply(self, step: ColumnPlan, values: pa.Array) -> pa.Array:
        method = _METHODS.get(step.method)
        if method is None:
            raise ValueError(f"unknown anonymizer {step.method!r} in policy {self.policy.domain}")
        return method(self, step, values)

    def _tokenize(self, step: ColumnPlan, values: pa.Array, *, keep_last4: bool = False) -> pa.Array:
        # The detector has just found this column's distinct values (or that it has few repeats):
        # tokens of its trimmed values are the same tokens, since normalisation trims first. Hashing
        # every row pays off only without many nulls (the dictionary path skips them).
        known, encoded = self.detector.distinct_values(step.field, values)
        return self.tokenizer.tokenize_array(
            encoded if encoded is not None else values,
            step.id_type,
            keep_last4=keep_last4,
            mostly_distinct=known and encoded is None and values.null_count <= len(values) // 8,
        )

    def _truncate(self, step: ColumnPlan, values: pa.Array) -> pa.Array:
        return self._tokenize(step, values, keep_last4=True)

    def _scrub(self, step: ColumnPlan, values: pa.Array) -> pa.Array:
        # All matched texts of a type are tokenized in one call: same tokens as Tokenizer.token.
        def tokenize(id_type: IdType, texts: pa.Array) -> pa.Array:
            tokens = self.tokenizer.tokenize_array(texts, str(id_type))
            if self._reversible(str(id_type)):
                self._keep_for_vault(str(id_type), texts, tokens)
            return tokens

        return self.detector.scrub_text(values, tokenize, field=step.field)

    def _generalize(self, step: ColumnPlan, values: pa.Array) -> pa.Array:
        if step.id_type == IdType.ZIP_CODE:
            return generalize_zip(values)
        if step.id_type == IdType.DATE_OF_BIRTH:
            return generalize_date_to_year(values)
        return self._tokenize(step, values)

    def _coarsen(self, step: ColumnPlan, values: pa.Array) -> pa.Array:
        if step.id_type == IdType.IP_ADDRESS:
            return coarsen_ip(values, lambda rest: self._tokenize(step, rest))
        return coarsen_gps(values).cast(pa.string())


def _keep(_self: CellAnonymizer, _step: ColumnPlan, values: pa.Array) -> pa.Array:
    return values


def _drop(_self: CellAnonymizer, _step: ColumnPlan, values: pa.Array) -> pa.Array:
    return pa.nulls(len(values), pa.string())


_METHODS: dict[str, Callable[[CellAnonymizer, ColumnPlan, pa.Array], pa.Array]] = {
    "keep": _keep,
    "k_anonymity": _keep,  # generalised later by the file-level pass
    "drop": _drop,
    "tokenize": CellAnonymizer._tokenize,
    "truncate_last4": CellAnonymizer._truncate,
    "scrub_text": CellAnonymizer._scrub,
    "generalize": CellAnonymizer._generalize,
    "coarsen": CellAnonymizer._coarsen,
}
# Every per-column method a staged manifest may name (validation checks against this).
COLUMN_METHODS = frozenset(_METHODS)
# The anonymizers of the policy, most protective first: a cell holding several types gets the first.
_STRENGTH = {
    method: rank
    for rank, method in enumerate(("drop", "tokenize", "truncate_last4", "generalize", "coarsen", "keep"))
}


def flagged_cells(
    violations: pa.Table,
    rows: np.ndarray | None,
    strength: Callable[[str], int],
    combinations: Combinations | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per field, the cells an anonymizer must change: (positions in the batch, sorted; the type of
    each cell). Only identifier types count (a missing consent changes no value). `rows`: the
    file-level row number of each record when `violations` use those; a cell holding several types
    gets the one whose anonymizer ranks first by `strength`. `combinations`: the violations' own
    (from the rule engine), so fields and types are read from them instead of hashing each string."""
    if violations.num_rows == 0:
        return {}
    if combinations is not None:
        position, field_code, kind_code, field_names, kind_names = _coded_cells(violations, combinations)
    else:
        position, field_code, kind_code, field_names, kind_names = _encoded_cells(violations)
    if position.size == 0:
        return {}
    if rows is not None:
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        at = np.searchsorted(rows, position, sorter=order)
        at = order[np.clip(at, 0, max(rows.size - 1, 0))]
        if rows.size == 0 or not np.array_equal(rows[at], position):
            raise ValueError("violations name rows that are not in this batch")
        position = at
    ranks = np.array([strength(kind) for kind in kind_names], dtype=np.int64)
    # One int64 key per violation orders by (field, row, strongest type first): one argsort.
    cell = field_code * (int(position.max()) + 1) + position
    order = np.argsort(cell * len(_STRENGTH) + ranks[kind_code], kind="stable")
    cell, kind_code, field_code = cell[order], kind_code[order], field_code[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = cell[1:] != cell[:-1]
    chosen_position, chosen_kind, chosen_field = position[order][first], kind_code[first], field_code[first]
    bounds = np.searchsorted(chosen_field, np.arange(len(field_names) + 1))
    out = {}
    for code, name in enumerate(field_names):
        start, end = bounds[code], bounds[code + 1]
        if end > start:
            out[name] = (chosen_position[start:end], kind_names[chosen_kind[start:end]])
    return out


def _encoded_cells(violations: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
    """(row, field code, type code, field names, type names) of the identifier violations."""
    table = violations.select(["row", "field", "type"]).filter(
        pc.is_in(violations.column("type"), value_set=_IDENTIFIER_TYPE_VALUES)
    )
    fields = table.column("field").combine_chunks().dictionary_encode()
    kinds = table.column("type").combine_chunks().dictionary_encode()
    return (
        table.column("row").to_numpy(),
        fields.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        kinds.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        fields.dictionary.to_pylist(),
        np.array(kinds.dictionary.to_pylist(), dtype=object),
    )


def _coded_cells(
    violations: pa.Table, combinations: Combinations
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
    """_encoded_cells, read off the violations' combinations (a few dozen strings, not millions)."""
    if combinations.index.size != violations.num_rows:
        raise ValueError("combinations do not match the violations")
    kept = pc.is_in(combinations.table.column("type"), value_set=_IDENTIFIER_TYPE_VALUES)
    identifier = np.asarray(kept.to_numpy(zero_copy_only=False), dtype=bool)
    at = np.flatnonzero(identifier[combinations.index])
    combination = (np.cumsum(identifier) - 1)[combinations.index[at]]  # among the identifier ones
    table = combinations.table.filter(kept)
    fields = pc.dictionary_encode(table.column("field").combine_chunks())
    kinds = pc.dictionary_encode(table.column("type").combine_chunks())
    return (
        violations.column("row").to_numpy()[at],
        fields.indices.to_numpy(zero_copy_only=False).astype(np.int64)[combination],
        kinds.indices.to_numpy(zero_copy_only=False).astype(np.int64)[combination],
        fields.dictionary.to_pylist(),
        np.array(kinds.dictionary.to_pylist(), dtype=object),
    )
