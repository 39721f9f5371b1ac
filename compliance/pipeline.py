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
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa

from compliance.anonymization import CellAnonymizer, ColumnPlan, plan_columns
from compliance.anonymize.generalize import SAFE_HARBOR_TYPES, safe_harbor_floor
from compliance.anonymize.tokenize import Tokenizer
from compliance.columns import ColumnClass
from compliance.detection import Detector
from compliance.detection.residual import disabled_recognizers
from compliance.policy import Policy, load_policy
from compliance.rules import RuleEngine, detect_domain
from compliance.rules.codes import Combinations
from compliance.vault import VAULT_SCHEMA, VaultEncryptor
from compliance.vocabulary import Domain

ANONYMIZE_METHODS = ("none", "tokenize", "k_anonymity")
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
    # Each violation's (field, type, regulation, severity, rule) combination, as the rule engine
    # coded it (None when the violations come from elsewhere).
    combinations: Combinations | None = None


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
        self._cells: CellAnonymizer | None = None  # once prepared, unless anonymize="none"

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
        quasi = self.quasi_identifiers() if self.anonymize == "k_anonymity" else {}
        self.plan = plan_columns(self.classes, self.policy, quasi)
        if self.anonymize != "none":
            self._cells = CellAnonymizer(self.plan, self.policy, self.tokenizer, self._detector, self.vault)

    def process(self, batch: pa.RecordBatch, rows: np.ndarray | None = None) -> BatchResult:
        if not self.prepared:
            self.prepare(batch)
        if rows is None:
            rows = np.arange(batch.num_rows, dtype=np.int64)
        batch = _as_strings(batch)
        findings = self._detector.detect(batch, self.classes)
        local, combinations = self._engine.evaluate_combined(batch, findings, self.classes, self.as_of)
        file_rows = pa.array(np.asarray(rows, dtype=np.int64)[local.column("row").to_numpy()], pa.int64())
        violations = local.set_column(0, "row", file_rows)
        anonymized = self.anonymize_batch(batch, local, combinations=combinations)
        return BatchResult(
            anonymized, np.asarray(rows, dtype=np.int64), violations, self.take_vault_entries(), combinations
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

    # -- k-anonymity and anonymization -----------------------------------------------------------
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

    def anonymized_columns(self) -> dict[str, str]:
        return (
            {p.field: p.method for p in self.plan if p.method != "keep"} if self.anonymize != "none" else {}
        )

    def anonymize_batch(
        self,
        batch: pa.RecordBatch,
        violations: pa.Table,
        rows: np.ndarray | None = None,
        *,
        combinations: Combinations | None = None,
    ) -> pa.RecordBatch:
        """The file's anonymization plan applied to the cells of `batch` (string columns, in the
        classified order) that have an identifier violation: a cell without one keeps its value, so
        every changed field has a violation and every violation's field is changed. `violations`
        index `batch` by row position, or by the file-level row numbers `rows` of its records
        (engines that anonymize apart from detection: the hybrid job's lanes). `combinations`: the
        rule engine's coding of `violations` (RuleEngine.evaluate_combined), which spares decoding
        them again. Unchanged when the run asked for no anonymization."""
        if self.anonymize == "none":
            return batch
        return self._cells.anonymize_batch(batch, violations, rows, combinations)

    def take_vault_entries(self) -> pa.Table:
        """The vault entries of what was anonymized since the last call (one per distinct token,
        encrypted; VAULT_SCHEMA), and forget them."""
        return self._cells.take_vault_entries() if self._cells else VAULT_SCHEMA.empty_table()


def _as_strings(batch: pa.RecordBatch) -> pa.RecordBatch:
    if all(pa.types.is_string(t) for t in batch.schema.types):
        return batch
    arrays = [c if pa.types.is_string(c.type) else c.cast(pa.string()) for c in batch.columns]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)
