"""The batch API every engine calls: Arrow batch in -> anonymized batch + violations out.

    pipeline = CompliancePipeline(domain="auto", anonymize="tokenize", tokenizer=Tokenizer(key))
    for chunk in FileReader(path):                      # bounded batches, file-level row numbers
        result = pipeline.process(chunk.batch, chunk.rows)
        ...                                             # write result.batch, result.violations

The first batch fixes the file's column classification, domain, policy and per-column
anonymization plan, so every batch of a file (and every engine) gets the same decisions.

k-anonymity is a global property of the whole file, so it is not done per batch: with
anonymize="k_anonymity" the per-batch pass tokenizes direct identifiers and leaves the
quasi-identifier columns for `KAnonymityPass` (compliance/scan.py runs it in two passes; the Spark
job collects the quasi-identifier columns on the driver and joins the result back).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.anonymize.tokenize import Tokenizer, coarsen_gps, coarsen_ip
from compliance.buffers import string_buffers
from compliance.columns import ColumnClass, ColumnRole
from compliance.detection import Detector, disabled_recognizers
from compliance.policy import Policy, load_policy
from compliance.rules import RuleEngine, detect_domain
from compliance.vault import VAULT_SCHEMA, VaultEncryptor
from compliance.vocabulary import IDENTIFIER_TYPES, Domain, IdType

ANONYMIZE_METHODS = ("none", "tokenize", "k_anonymity")
_IDENTIFIER_TYPE_VALUES = pa.array(sorted(t.value for t in IDENTIFIER_TYPES), pa.string())
DOMAINS = ("auto", *(d.value for d in Domain))
# Worker threads of CompliancePipeline.process_all (sdp scan); unset: one per CPU this process may use (at most 8).
THREADS_ENV = "SDP_CORE_THREADS"


def default_threads() -> int:
    """SDP_CORE_THREADS, else the CPUs this process may run on (at most 8: batches are the unit)."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if raw:
        try:
            threads = int(raw)
        except ValueError:
            raise ValueError(f"{THREADS_ENV} must be a whole number, got {raw!r}") from None
        if threads < 1:
            raise ValueError(f"{THREADS_ENV} must be at least 1, got {threads}")
        return threads
    return max(1, min(8, len(os.sched_getaffinity(0))))


class RowBatch(Protocol):
    """What process_all reads: compliance.io.Chunk or any batch with its file-level row numbers."""

    batch: pa.RecordBatch
    rows: np.ndarray


@dataclass
class BatchResult:
    batch: pa.RecordBatch  # same columns as the input; anonymized unless anonymize="none"
    rows: np.ndarray  # file-level 0-based data-row number of each record
    violations: pa.Table  # VIOLATION_KEYS columns, file-level rows
    # Encrypted originals of the reversible types' tokens in `batch` (VAULT_SCHEMA, one per token);
    # empty when the pipeline has no vault encryptor.
    vault: pa.Table = field(default_factory=VAULT_SCHEMA.empty_table)


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


@dataclass
class CompliancePipeline:
    domain: str = "auto"
    anonymize: str = "tokenize"
    tokenizer: Tokenizer | None = None
    policy_path: str | Path | None = None
    as_of: dt.date | None = None
    rules: list = field(default_factory=list)  # extra Rule instances registered on the engine
    k: int | None = None  # overrides the policy's k for k-anonymity (a run parameter)
    # With one (the engine has SDP_VAULT_KEY), tokens of the policy's reversible types also yield
    # vault entries: BatchResult.vault, or take_vault_entries() after anonymize_batch.
    vault: VaultEncryptor | None = None

    classes: list[ColumnClass] = field(init=False, default_factory=list)
    policy: Policy | None = field(init=False, default=None)
    plan: list[ColumnPlan] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if self.anonymize not in ANONYMIZE_METHODS:
            raise ValueError(
                f"anonymize must be one of {', '.join(ANONYMIZE_METHODS)}, got {self.anonymize!r}"
            )
        if self.domain not in DOMAINS:
            raise ValueError(f"domain must be one of {', '.join(DOMAINS)}, got {self.domain!r}")
        if self.k is not None and self.k < 2 and self.k != 0:
            raise ValueError(f"k must be at least 2, got {self.k}")
        if self.anonymize != "none" and self.tokenizer is None:
            raise ValueError(f"anonymize={self.anonymize} needs a tokenizer (set SDP_TOKEN_KEY)")
        self._disabled = disabled_recognizers()
        self._detector = Detector(disabled=self._disabled)
        self._engine: RuleEngine | None = None
        self._vault_parts: list[tuple[str, pa.Array, pa.Array]] = []  # (type, originals, tokens)

    @property
    def prepared(self) -> bool:
        return self._engine is not None

    def prepare(self, first_batch: pa.RecordBatch) -> None:
        """Classify columns, resolve the domain and policy, and plan anonymization."""
        self.prepare_from(self._detector.classify(first_batch))

    def prepare_from(
        self, classes: list[ColumnClass], domain: str | None = None, policy: Policy | None = None
    ) -> None:
        """Adopt a classification made elsewhere (a Spark driver, from the file's first batch), so
        every partition of a file makes the same decisions as one process would. `policy`: one
        already loaded for this domain (else it is read from the policy file)."""
        self.classes = list(classes)
        if domain is not None:
            self.domain = domain
        if self.domain == "auto":
            self.domain = detect_domain(self.classes)
        self.policy = policy or load_policy(self.domain, self.policy_path)
        if self.k:
            self.policy = dataclasses.replace(self.policy, k=self.k)
        if self.policy.gps_precision != 3:
            self._detector = Detector(gps_precision=self.policy.gps_precision, disabled=self._disabled)
        self._engine = RuleEngine.for_domain(self.domain, self.policy)
        for rule in self.rules:
            self._engine.add_rule(rule)
        self.plan = self._plan()

    def process(self, batch: pa.RecordBatch, rows: np.ndarray | None = None) -> BatchResult:
        if not self.prepared:
            self.prepare(batch)
        if rows is None:
            rows = np.arange(batch.num_rows, dtype=np.int64)
        batch = _as_strings(batch)
        findings = self._detector.detect(batch, self.classes)
        local = self._engine.evaluate(batch, findings, self.classes, row_offset=0, as_of=self.as_of)
        file_rows = pa.array(np.asarray(rows, dtype=np.int64)[local.column("row").to_numpy()], pa.int64())
        violations = local.set_column(0, "row", file_rows)
        anonymized = self.anonymize_batch(batch, local)
        return BatchResult(
            anonymized, np.asarray(rows, dtype=np.int64), violations, self.take_vault_entries()
        )

    def process_all(
        self, chunks: Iterable[RowBatch], threads: int = 1
    ) -> Iterator[tuple[RowBatch, BatchResult]]:
        """process() every chunk, on `threads` worker threads, yielding (chunk, result) in input order.

        Most of the core's time is spent in Arrow kernels and the C extensions, which release the GIL,
        so batches processed side by side use several cores inside one process. The first chunk
        prepares this pipeline here (it fixes the file's decisions); each worker runs a fork() of it,
        so per-batch state is never shared. At most 2 x threads chunks are in flight, so
        memory stays bounded by the batch size, as in the sequential loop.
        """
        if threads <= 1:
            for chunk in chunks:
                yield chunk, self.process(chunk.batch, chunk.rows)
            return
        chunks = iter(chunks)
        head = list(itertools.islice(chunks, 2))
        if len(head) < 2:  # one batch: no worker to start
            for chunk in head:
                yield chunk, self.process(chunk.batch, chunk.rows)
            return
        if not self.prepared:
            self.prepare(head[0].batch)
        chunks = itertools.chain(head, chunks)
        local = threading.local()

        def work(chunk: RowBatch) -> BatchResult:
            pipeline = getattr(local, "pipeline", None)
            if pipeline is None:
                pipeline = local.pipeline = self.fork()
            return pipeline.process(chunk.batch, chunk.rows)

        pending: deque[tuple[RowBatch, Future[BatchResult]]] = deque()
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sdp-core") as pool:
            try:
                for chunk in chunks:
                    pending.append((chunk, pool.submit(work, chunk)))
                    if len(pending) >= 2 * threads:
                        done, future = pending.popleft()
                        yield done, future.result()
                while pending:
                    done, future = pending.popleft()
                    yield done, future.result()
            finally:  # an error, or the caller stopped early: drop what has not started
                for _, future in pending:
                    future.cancel()

    def fork(self) -> CompliancePipeline:
        """A prepared pipeline with this one's decisions (classes, domain, policy, rules, tokenizer)
        and its own per-batch state, for another thread."""
        if not self.prepared:
            raise RuntimeError("fork() needs a prepared pipeline (process or prepare a batch first)")
        twin = CompliancePipeline(
            domain=self.domain,
            anonymize=self.anonymize,
            tokenizer=self.tokenizer,
            policy_path=self.policy_path,
            as_of=self.as_of,
            rules=self.rules,
            k=self.k,
            vault=self.vault,
        )
        twin.prepare_from(self.classes, policy=self.policy)
        return twin

    # -- the vault --------------------------------------------------------------------------------
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

    # -- anonymization ----------------------------------------------------------------------------
    def quasi_identifiers(self) -> dict[str, str]:
        """Columns used for k-anonymity: {column: kind}, as the policy lists kinds or names."""
        wanted = set(self.policy.quasi_identifiers)
        return {
            c.field: c.quasi_kind
            for c in self.classes
            if c.quasi_kind and (c.quasi_kind in wanted or c.field in wanted)
        }

    def sensitive_attribute(self) -> str | None:
        wanted = {s.lower() for s in self.policy.sensitive_attributes}
        return next((c.field for c in self.classes if c.field.lower() in wanted), None)

    def k_anonymity_columns(self) -> list[str]:
        """What the file-level k-anonymity pass needs: the quasi-identifiers and the sensitive attribute."""
        names = list(self.quasi_identifiers())
        sensitive = self.sensitive_attribute()
        if sensitive and sensitive not in names:
            names.append(sensitive)
        return names

    def k_anonymize(self, table: pa.Table):
        """k-anonymity over the whole file's k_anonymity_columns() with this policy's k, l and
        suppression budget (l-diversity only when the policy sets l and a sensitive column exists)."""
        from compliance.anonymize.kanonymity import k_anonymize

        sensitive = self.sensitive_attribute()
        policy = self.policy
        result = k_anonymize(
            table,
            self.quasi_identifiers(),
            policy.k,
            sensitive=sensitive if policy.l else None,
            l=policy.l if sensitive else None,
            max_suppression=policy.max_suppression,
        )
        # k-anonymity may keep a ZIP or a birth date whole where enough rows share it; both are
        # identifiers all the same (HIPAA Safe Harbor), so they are published no finer than the
        # policy's generalisation. Coarser only merges classes: k and l still hold.
        quasi = self.quasi_identifiers()
        for column in self.classes:
            if column.field in quasi and column.id_type in SAFE_HARBOR_TYPES:
                position = result.table.schema.get_field_index(column.field)
                floored = safe_harbor_floor(result.table.column(position).combine_chunks(), column.id_type)
                result.table = result.table.set_column(position, column.field, floored)
        return result

    def _plan(self) -> list[ColumnPlan]:
        quasi = self.quasi_identifiers() if self.anonymize == "k_anonymity" else {}
        plan = []
        for column in self.classes:
            if column.field in quasi:
                plan.append(ColumnPlan(column.field, "k_anonymity", column.id_type))
            elif column.role == ColumnRole.IDENTIFIER and column.id_type:
                method = self.policy.label_for(column.id_type).anonymizer
                plan.append(ColumnPlan(column.field, method, column.id_type))
            elif column.role == ColumnRole.SENSITIVE:
                plan.append(ColumnPlan(column.field, "tokenize"))  # each cell by its own type
            elif column.role == ColumnRole.NOT_IDENTIFIER:
                plan.append(ColumnPlan(column.field, "keep"))
            else:  # free text and every other column: the identifiers found inside a value
                plan.append(ColumnPlan(column.field, "scrub_text"))
        return plan

    def anonymized_columns(self) -> dict[str, str]:
        return (
            {p.field: p.method for p in self.plan if p.method != "keep"} if self.anonymize != "none" else {}
        )

    def anonymize_batch(
        self, batch: pa.RecordBatch, violations: pa.Table, rows: np.ndarray | None = None
    ) -> pa.RecordBatch:
        """The file's anonymization plan applied to the cells of `batch` (string columns, in the
        classified order) that have an identifier violation: a cell without one keeps its value, so
        every changed field has a violation and every violation's field is changed. `violations`
        index `batch` by row position, or by the file-level row numbers `rows` of its records
        (engines that anonymize apart from detection: the hybrid job's lanes). Unchanged when the
        run asked for no anonymization."""
        if self.anonymize == "none":
            return batch
        cells = flagged_cells(violations, rows, self._strength)
        arrays = []
        for index, step in enumerate(self.plan):
            column = batch.column(index)
            flagged = cells.get(step.field)
            arrays.append(column if flagged is None else self._apply_cells(step, column, *flagged))
        return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)

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
        known, encoded = self._detector.distinct_values(step.field, values)
        return self.tokenizer.tokenize_array(
            encoded if encoded is not None else values,
            step.id_type,
            keep_last4=keep_last4,
            mostly_distinct=known and encoded is None and values.null_count <= len(values) // 8,
        )

    def _truncate(self, step: ColumnPlan, values: pa.Array) -> pa.Array:
        return self._tokenize(step, values, keep_last4=True)

    def _scrub(self, _step: ColumnPlan, values: pa.Array) -> pa.Array:
        # All matched texts of a type are tokenized in one call: same tokens as Tokenizer.token.
        def tokenize(id_type: IdType, texts: pa.Array) -> pa.Array:
            tokens = self.tokenizer.tokenize_array(texts, str(id_type))
            if self._reversible(str(id_type)):
                self._keep_for_vault(str(id_type), texts, tokens)
            return tokens

        return self._detector.scrub_text(values, tokenize)

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


def _keep(_self: CompliancePipeline, _step: ColumnPlan, values: pa.Array) -> pa.Array:
    return values


def _drop(_self: CompliancePipeline, _step: ColumnPlan, values: pa.Array) -> pa.Array:
    return pa.nulls(len(values), pa.string())


_METHODS: dict[str, Callable[[CompliancePipeline, ColumnPlan, pa.Array], pa.Array]] = {
    "keep": _keep,
    "k_anonymity": _keep,  # generalised later by the file-level pass
    "drop": _drop,
    "tokenize": CompliancePipeline._tokenize,
    "truncate_last4": CompliancePipeline._truncate,
    "scrub_text": CompliancePipeline._scrub,
    "generalize": CompliancePipeline._generalize,
    "coarsen": CompliancePipeline._coarsen,
}
# Every per-column method a staged manifest may name (validation checks against this).
COLUMN_METHODS = frozenset(_METHODS)
# The anonymizers of the policy, most protective first: a cell holding several types gets the first.
_STRENGTH = {
    method: rank
    for rank, method in enumerate(("drop", "tokenize", "truncate_last4", "generalize", "coarsen", "keep"))
}


def flagged_cells(
    violations: pa.Table, rows: np.ndarray | None, strength: Callable[[str], int]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per field, the cells an anonymizer must change: (positions in the batch, sorted; the type of
    each cell). Only identifier types count (a missing consent changes no value). `rows`: the
    file-level row number of each record when `violations` use those; a cell holding several types
    gets the one whose anonymizer ranks first by `strength`."""
    if violations.num_rows == 0:
        return {}
    table = violations.select(["row", "field", "type"]).filter(
        pc.is_in(violations.column("type"), value_set=_IDENTIFIER_TYPE_VALUES)
    )
    if table.num_rows == 0:
        return {}
    position = table.column("row").to_numpy()
    if rows is not None:
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        at = np.searchsorted(rows, position, sorter=order)
        at = order[np.clip(at, 0, max(rows.size - 1, 0))]
        if rows.size == 0 or not np.array_equal(rows[at], position):
            raise ValueError("violations name rows that are not in this batch")
        position = at
    fields = table.column("field").combine_chunks().dictionary_encode()
    kinds = table.column("type").combine_chunks().dictionary_encode()
    kind_names = np.array(kinds.dictionary.to_pylist(), dtype=object)
    kind_code = kinds.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    field_code = fields.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    ranks = np.array([strength(kind) for kind in kind_names], dtype=np.int64)
    # One int64 key per violation orders by (field, row, strongest type first): one argsort.
    cell = field_code * (int(position.max()) + 1) + position
    order = np.argsort(cell * len(_STRENGTH) + ranks[kind_code], kind="stable")
    cell, kind_code, field_code = cell[order], kind_code[order], field_code[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = cell[1:] != cell[:-1]
    chosen_position, chosen_kind, chosen_field = position[order][first], kind_code[first], field_code[first]
    bounds = np.searchsorted(chosen_field, np.arange(len(fields.dictionary) + 1))
    out = {}
    for code, name in enumerate(fields.dictionary.to_pylist()):
        start, end = bounds[code], bounds[code + 1]
        if end > start:
            out[name] = (chosen_position[start:end], kind_names[chosen_kind[start:end]])
    return out


def generalize_zip(values: pa.Array) -> pa.Array:
    """US ZIP -> 3-digit prefix ("02139-4307" -> "021**"), HIPAA Safe Harbor style; null below 5 digits.

    Digits are found on the UTF-8 byte buffer with numpy (an ASCII digit byte is never part of a
    multi-byte character): ~10x cheaper than a regex pass that strips the non-digits.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = values if pa.types.is_string(values.type) else values.cast(pa.string())
    size = len(text)
    if size == 0:
        return pa.array([], pa.string())
    offsets, data = string_buffers(text)
    is_digit = (data >= ord("0")) & (data <= ord("9"))
    digits_before = np.concatenate([[0], np.cumsum(is_digit, dtype=np.int64)])
    first = digits_before[offsets[:-1]]
    valid = (digits_before[offsets[1:]] - first >= 5) & text.is_valid().to_numpy(zero_copy_only=False)
    chars = np.full((size, 5), ord("*"), dtype=np.uint8)
    rows = np.flatnonzero(valid)
    chars[rows, :3] = data[np.flatnonzero(is_digit)[first[rows, None] + np.arange(3)]]
    buffers = [
        pa.py_buffer(np.packbits(valid, bitorder="little")),
        pa.py_buffer(np.arange(0, 5 * size + 1, 5, dtype=np.int32)),
        pa.py_buffer(chars),
    ]
    return pa.Array.from_buffers(pa.string(), size, buffers, null_count=size - rows.size)


def generalize_date_to_year(values: pa.Array) -> pa.Array:
    """A date -> its year ("1984-03-12" -> "1984"); values without a 4-digit year become null."""
    year = pc.extract_regex(values, pattern=r"(?P<year>(?:18|19|20)\d{2})")
    return pc.struct_field(year, [0])


def _zip_floor(values: pa.Array) -> pa.Array:
    """A published ZIP with more than 3 digits left (a whole ZIP, "0213*") -> its Safe Harbor form."""
    text = values.cast(pa.string())
    finer = pc.fill_null(pc.match_substring_regex(text, r"(?:\d[^\d]*){4}"), False)
    return pc.if_else(finer, generalize_zip(text), text)


def _date_floor(values: pa.Array) -> pa.Array:
    """A published day or month ("1984-03-15", "1984-03") -> its year; ranges of years stay."""
    return pc.replace_substring_regex(values.cast(pa.string()), r"^(\d{4})-\d{2}(?:-\d{2})?$", r"\1")


_SAFE_HARBOR_FLOOR: dict[IdType, Callable[[pa.Array], pa.Array]] = {
    IdType.ZIP_CODE: _zip_floor,
    IdType.DATE_OF_BIRTH: _date_floor,
}
SAFE_HARBOR_TYPES = frozenset(_SAFE_HARBOR_FLOOR)


def safe_harbor_floor(values: pa.Array, id_type: str) -> pa.Array:
    """Published ZIP codes and birth dates no finer than HIPAA Safe Harbor allows (3 ZIP digits, the
    year): what the k-anonymity pass applies on top of its own generalisation."""
    return _SAFE_HARBOR_FLOOR[IdType(id_type)](values)


def _as_strings(batch: pa.RecordBatch) -> pa.RecordBatch:
    if all(pa.types.is_string(t) for t in batch.schema.types):
        return batch
    arrays = [c if pa.types.is_string(c.type) else c.cast(pa.string()) for c in batch.columns]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)
