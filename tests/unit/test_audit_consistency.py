"""The audit trail and the anonymized output agree, on every domain and both corpora: every field an
anonymizer changed has an identifier violation for that (row, field), and every identifier
violation's field was changed. Policy violations (consent, retention) change no value.

With k-anonymity the quasi-identifier columns are generalised by a file-level pass, not per
violation: per batch they keep their values (but for cells of another type, which are anonymized
at once), and the pass publishes ZIP codes and birth dates no finer than Safe Harbor.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from compliance.anonymize.tokenize import TOKEN_REGEX, Tokenizer, TokenKey
from compliance.detection.residual import residual_identifiers
from compliance.io import FileReader
from compliance.pipeline import CompliancePipeline
from compliance.vocabulary import IDENTIFIER_TYPES
from tests.corpus.evaluate import GENERATOR_AS_OF, LabelledFile, corpus_files, generator_files

pytestmark = pytest.mark.slow

TOKENIZER = Tokenizer(TokenKey("k1", b"audit-consistency-test-key-0123"))
IDENTIFIERS = {t.value for t in IDENTIFIER_TYPES}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[LabelledFile]:
    folder = tmp_path_factory.mktemp("audit")
    return generator_files(folder, rows=4000) + corpus_files(folder, rows=1000, seed=11)


def _cells(batch: pa.RecordBatch, result: pa.RecordBatch, rows: np.ndarray) -> set[tuple[int, str]]:
    """(file row, field) of every cell whose value the anonymization changed."""
    changed = set()
    for name in batch.schema.names:
        before, after = batch.column(name).to_pylist(), result.column(name).to_pylist()
        changed |= {
            (int(rows[i]), name) for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b
        }
    return changed


def _flagged(violations: pa.Table) -> set[tuple[int, str]]:
    kept = [(r, f) for r, f, t in zip(*(violations.column(k).to_pylist() for k in ("row", "field", "type")),
                                      strict=True) if t in IDENTIFIERS]  # fmt: skip
    return set(kept)


def _process(item: LabelledFile, anonymize: str):
    pipeline = CompliancePipeline(
        domain=item.domain, anonymize=anonymize, tokenizer=TOKENIZER, as_of=GENERATOR_AS_OF
    )
    for chunk in FileReader(item.path):
        strings = pa.RecordBatch.from_arrays(
            [c if pa.types.is_string(c.type) else c.cast(pa.string()) for c in chunk.batch.columns],
            names=chunk.batch.schema.names,
        )
        yield pipeline, strings, chunk.rows, pipeline.process(chunk.batch, chunk.rows)


def test_every_changed_field_has_a_violation_and_every_violation_is_changed(files) -> None:
    problems = []
    for item in files:
        for _, batch, rows, result in _process(item, "tokenize"):
            changed, flagged = _cells(batch, result.batch, rows), _flagged(result.violations)
            if changed - flagged:
                problems.append((item.name, "changed without violation", sorted(changed - flagged)[:3]))
            if flagged - changed:
                problems.append((item.name, "violation left unchanged", sorted(flagged - changed)[:3]))
    assert not problems, problems


def test_every_detector_finds_nothing_in_the_anonymized_output(files) -> None:
    """What validation's residual check runs: no pattern may read an identifier again in the output,
    tokens and the text around them included ("Dr. PERSON_NAME_k1_..." is no name)."""
    problems = {}
    for item in files:
        batches = [result.batch for _, _, _, result in _process(item, "tokenize")]
        left = residual_identifiers(pa.Table.from_batches(batches), gps_precision=3)
        if left:
            problems[item.name] = left
    assert not problems, problems


def test_residual_check_counts_the_same_on_worker_threads(files) -> None:
    """Validation runs the residual check on several threads (a Detector each, one classification):
    the counts of a raw file, read back in many small batches, are those of one thread."""
    item = files[0]
    raw = pa.Table.from_batches([batch for _, batch, _, _ in _process(item, "tokenize")])
    alone = residual_identifiers(raw, batch_rows=97)
    assert alone  # a raw file holds identifiers
    assert residual_identifiers(raw, batch_rows=97, threads=2) == alone


def test_k_anonymity_batches_leave_only_quasi_identifiers_for_the_file_pass(files) -> None:
    problems = []
    for item in files:
        for pipeline, batch, rows, result in _process(item, "k_anonymity"):
            quasi = set(pipeline.quasi_identifiers())
            own = {c.field: c.id_type and c.id_type.value for c in pipeline.classes}
            changed = _cells(batch, result.batch, rows)
            types: dict[tuple[int, str], set[str]] = {}
            for r, f, t in zip(*(result.violations.column(k).to_pylist() for k in ("row", "field", "type")),
                               strict=True):  # fmt: skip
                if t in IDENTIFIERS:
                    types.setdefault((r, f), set()).add(t)
            # A quasi-identifier column's own type waits for the file-level pass; anything else is
            # anonymized in the batch.
            due = {cell for cell, kinds in types.items() if cell[1] not in quasi or kinds != {own[cell[1]]}}
            if changed - set(types):
                problems.append((item.name, "changed without violation", sorted(changed - set(types))[:3]))
            if due - changed:
                problems.append((item.name, "violation left unchanged", sorted(due - changed)[:3]))
    assert not problems, problems


def test_k_anonymity_publishes_zip_and_birth_date_no_finer_than_safe_harbor(files) -> None:
    generated = next(f for f in files if f.name == "generated-healthcare")
    pipeline, parts = None, []
    for pipeline, _, _, result in _process(generated, "k_anonymity"):
        parts.append(result.batch.select(pipeline.k_anonymity_columns()))
    result = pipeline.k_anonymize(pa.Table.from_batches(parts))
    # Tokens (a value of another type in the column) are published whole; the rest is generalised.
    zips = [v for v in result.table.column("zip").to_pylist() if v and not re.fullmatch(TOKEN_REGEX, v)]
    dates = [v for v in result.table.column("dob").to_pylist() if v and not re.fullmatch(TOKEN_REGEX, v)]
    assert zips and all(len(re.sub(r"\D", "", v)) <= 3 for v in zips), zips[:5]
    assert dates and all(re.fullmatch(r"\*|\d{4}|\d{4}-\d{4}", v) for v in dates), dates[:5]
