"""Pipeline helpers that are not covered through the scan tests: ZIP generalisation, token reuse,\nbatches on worker threads."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycanon import anonymity

from compliance.anonymize.generalize import generalize_zip, safe_harbor_floor
from compliance.anonymize.tokenize import TOKEN_REGEX, Tokenizer, TokenKey
from compliance.detection.residual import residual_identifiers
from compliance.generator import write_dataset
from compliance.io import Chunk
from compliance.pipeline import THREADS_ENV, CompliancePipeline, default_threads
from compliance.rules import Rule, RuleContext, empty_violations
from compliance.scan import scan_file


def _generalize_zip_by_regex(values: pa.Array) -> pa.Array:
    """The definition: strip non-digits, keep 3 digits + "**" when 5 or more remain, else null."""
    digits = pc.replace_substring_regex(values, pattern=r"[^0-9]", replacement="")
    prefix = pc.utf8_slice_codeunits(digits, 0, 3)
    valid = pc.greater_equal(pc.utf8_length(digits), 5)
    return pc.if_else(valid, pc.binary_join_element_wise(prefix, "**", ""), pa.scalar(None, pa.string()))


def test_generalize_zip_examples() -> None:
    values = pa.array(["02139-4307", "02139", " 9021 ", "ZIP_CODE_k1_abc23def45", "١٢٣٤٥", "", None])
    assert generalize_zip(values).to_pylist() == ["021**", "021**", None, "123**", None, None, None]
    assert generalize_zip(pa.chunked_array([["90210"], ["1234"]])).to_pylist() == ["902**", None]
    assert generalize_zip(pa.array([], pa.string())).to_pylist() == []


def test_safe_harbor_floor_keeps_tokens_and_three_zip_digits() -> None:
    token = Tokenizer(TokenKey("k1", b"pipeline-test-key-0123456789")).token("ZIP_CODE", "02139")
    assert re.search(r"(?:\d\D*){4}", token)  # its digest holds digits of its own: never floored
    values = pa.array(["0213*", "02139", "021**", "*****", "N/A", token, None])
    assert safe_harbor_floor(values, "ZIP_CODE").to_pylist() == [
        "021**", "021**", "021**", "*****", "N/A", token, None
    ]  # fmt: skip
    dates = pa.array(["1984-03-15", "1984-1990", token.replace("ZIP_CODE", "DATE_OF_BIRTH")])
    assert safe_harbor_floor(dates, "DATE_OF_BIRTH").to_pylist() == ["1984", *dates.to_pylist()[1:]]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet="0123456789 -é中aZ*\u0663", max_size=14)), max_size=40),
    st.integers(0, 40),
)
def test_generalize_zip_equals_the_regex_definition(values, start) -> None:
    array = pa.array(values, pa.string()).slice(min(start, len(values)))
    assert generalize_zip(array).equals(_generalize_zip_by_regex(array))


def test_tokenized_columns_reuse_the_detectors_distinct_values_and_keep_their_tokens() -> None:
    """Tokens made from the detector's dictionary of trimmed values (or per row, for a column without
    repeats) equal those of tokenize_array on the raw column."""
    rows = 10_000
    ssns = [f" 123-45-{1000 + i % 50} " if i % 7 else None for i in range(rows)]
    emails = [f"user{i}@example.com" if i % 3 == 0 else None for i in range(rows)]
    batch = pa.record_batch(
        {
            "patient_id": pa.array([f"P{i:07d}" for i in range(rows)]),
            "ssn": pa.array(ssns, pa.string()),
            "email": pa.array(emails, pa.string()),
        }
    )
    tokenizer = Tokenizer(TokenKey("k1", b"pipeline-test-key-0123456789"))
    pipeline = CompliancePipeline(domain="healthcare", anonymize="tokenize", tokenizer=tokenizer)
    result = pipeline.process(batch)
    assert pipeline.anonymized_columns() == {"patient_id": "tokenize", "ssn": "tokenize", "email": "tokenize"}
    for name, id_type in (("patient_id", "MRN"), ("ssn", "SSN"), ("email", "EMAIL")):
        assert result.batch.column(name).equals(tokenizer.tokenize_array(batch.column(name), id_type))
    detector = pipeline._detector
    assert detector.distinct_values("patient_id", batch.column("patient_id")) == (True, None)
    known, encoded = detector.distinct_values("ssn", batch.column("ssn"))
    assert known and len(encoded.dictionary) == 50
    assert detector.distinct_values("ssn", pa.array(ssns, pa.string())) == (False, None)  # other buffers


# -- k-anonymity of quasi-identifier columns that hold tokens -------------------------------------
def test_k_anonymity_keeps_tokens_whole_and_generalises_only_values(tmp_path: Path) -> None:
    """A ZIP / birth-date column holding tokens (written upstream) and an e-mail (tokenized by its own
    type): every token is published whole, every value generalised (never both), k holds with a
    token read as "*", and the residual check of validation finds nothing."""
    tokenizer = Tokenizer(TokenKey("k1", b"pipeline-test-key-0123456789"))
    rows = 400
    patients = [f"P{i:06d}" for i in range(rows)]
    zips = [f"021{i % 50:02d}" for i in range(rows)]
    zips = [tokenizer.token("ZIP_CODE", z) if i % 4 == 0 else z for i, z in enumerate(zips)]
    zips[5] = "jane.roe@example.org"
    dobs = [f"19{50 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(rows)]
    dobs = [tokenizer.token("DATE_OF_BIRTH", d) if i % 5 == 0 else d for i, d in enumerate(dobs)]
    diagnoses = [("J45", "E11", "I10")[i % 3] for i in range(rows)]
    source, output = tmp_path / "in.csv", tmp_path / "out.parquet"
    table = pa.table({"patient_id": patients, "zip": zips, "dob": dobs, "diagnosis": diagnoses})
    pcsv.write_csv(table, source)

    summary = scan_file(
        source,
        violations_out=tmp_path / "violations.jsonl",
        output=output,
        anonymize="k_anonymity",
        tokenizer=tokenizer,
        as_of=SCAN_AS_OF,
        threads=1,
    )
    assert summary.k_anonymity["quasi_identifiers"] == {"zip": "zip", "dob": "date"}
    out = pq.read_table(output)
    position = {tokenizer.token("MRN", p): i for i, p in enumerate(patients)}
    source_rows = [position[token] for token in out.column("patient_id").to_pylist()]
    email_token = tokenizer.token("EMAIL", zips[5])
    for name, raw in (("zip", zips), ("dob", dobs)):
        published = out.column(name).to_pylist()
        tokens = 0
        for row, value in zip(source_rows, published, strict=True):
            if re.fullmatch(TOKEN_REGEX, raw[row]):
                assert value == raw[row]
                tokens += 1
            elif raw[row] == zips[5]:
                assert value == email_token  # tokenized by its own type, then left alone
            else:  # generalised, no finer than Safe Harbor (a 4-digit ZIP prefix is not nulled)
                form = r"021\*\*|\*" if name == "zip" else r"\d{4}(?:-\d{4})?|\*"
                assert re.fullmatch(form, value), value
        assert tokens >= 50  # most token rows are kept (the rest are suppressed, within budget)
    quasi = ["zip", "dob"]
    published = out.select(quasi).to_pandas()
    published = published.mask(published.map(lambda v: bool(re.fullmatch(TOKEN_REGEX, str(v)))), "*")
    assert anonymity.k_anonymity(published.fillna("<null>"), quasi) >= summary.k_anonymity["k"]
    assert residual_identifiers(out) == {}


# -- worker threads (process_all / scan_file(threads=...)) ------------------------------------------
SCAN_AS_OF = dt.date(2025, 1, 1)


@pytest.mark.parametrize(
    ("domain", "anonymize", "suffix"),
    [
        ("healthcare", "tokenize", ".parquet"),
        ("mixed", "k_anonymity", ".csv"),
        ("financial", "none", ".jsonl"),
    ],
)
def test_threads_give_the_same_output_and_violations_in_the_same_order(
    tmp_path: Path, domain: str, anonymize: str, suffix: str
) -> None:
    source = tmp_path / f"in{suffix}"
    write_dataset(domain, 6_000, source, seed=11, as_of=SCAN_AS_OF)
    tokenizer = Tokenizer(TokenKey("k1", b"pipeline-test-key-0123456789"))
    outputs = {}
    for threads in (1, 3):
        out, violations = tmp_path / f"out{threads}.parquet", tmp_path / f"v{threads}.jsonl"
        summary = scan_file(
            source,
            output=out if anonymize != "none" else None,
            violations_out=violations,
            anonymize=anonymize,
            tokenizer=tokenizer,
            as_of=SCAN_AS_OF,
            batch_rows=500,  # 12 batches: several in flight on every worker
            threads=threads,
        )
        assert summary.records_in == 6_000 and summary.violations > 0
        outputs[threads] = (
            out.read_bytes() if anonymize != "none" else b"",
            violations.read_bytes(),
            summary.by_type,
            summary.records_suppressed,
        )
    assert outputs[1] == outputs[3]


class _FailsOnBatch(Rule):
    """A custom rule that breaks on one batch: its error must reach the caller, not hang a worker."""

    name = "test.fails"
    regulation = "HIPAA"

    def __init__(self, row_offset: int) -> None:
        self.row_offset = row_offset

    def evaluate(self, ctx: RuleContext) -> pa.Table:
        if ctx.batch.num_rows and ctx.batch.column(0)[0].as_py() == str(self.row_offset + 1):
            raise RuntimeError("rule broke on purpose")
        return empty_violations()


def _chunks(rows: int, size: int) -> list[Chunk]:
    ids = np.arange(rows)
    return [
        Chunk(
            pa.record_batch({"patient_id": pa.array([str(i + 1) for i in ids[s : s + size]])}),
            ids[s : s + size],
        )
        for s in range(0, rows, size)
    ]


def test_a_worker_error_reaches_the_caller_and_later_batches_are_not_yielded() -> None:
    pipeline = CompliancePipeline(domain="healthcare", anonymize="none", rules=[_FailsOnBatch(600)])
    seen = []
    with pytest.raises(RuntimeError, match="on purpose"):
        for chunk, _ in pipeline.process_all(_chunks(2_000, 100), threads=2):
            seen.append(int(chunk.rows[0]))
    assert seen == list(range(0, 600, 100))


def test_process_all_yields_every_chunk_once_in_order_with_its_rows() -> None:
    pipeline = CompliancePipeline(domain="healthcare", anonymize="none")
    chunks = _chunks(1_050, 100)
    results = list(pipeline.process_all(iter(chunks), threads=4))
    assert [c for c, _ in results] == chunks
    assert all(np.array_equal(r.rows, c.rows) for c, r in results)
    assert list(pipeline.process_all([], threads=2)) == []


def test_fork_needs_a_prepared_pipeline_and_keeps_its_decisions() -> None:
    pipeline = CompliancePipeline(domain="auto", anonymize="none")
    with pytest.raises(RuntimeError, match="prepared"):
        pipeline.fork()
    pipeline.process(_chunks(10, 10)[0].batch)
    twin = pipeline.fork()
    assert (twin.domain, twin.classes, twin.policy, twin.plan) == (
        pipeline.domain,
        pipeline.classes,
        pipeline.policy,
        pipeline.plan,
    )
    assert twin._detector is not pipeline._detector


@pytest.mark.parametrize(("raw", "expected"), [("3", 3), (" 1 ", 1)])
def test_threads_setting(monkeypatch: pytest.MonkeyPatch, raw: str, expected: int) -> None:
    monkeypatch.setenv(THREADS_ENV, raw)
    assert default_threads() == expected


@pytest.mark.parametrize("raw", ["0", "two", "-1"])
def test_threads_setting_rejects_nonsense(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(THREADS_ENV, raw)
    with pytest.raises(ValueError, match=THREADS_ENV):
        default_threads()


def test_threads_default_to_the_usable_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert default_threads() == max(1, min(8, len(os.sched_getaffinity(0))))
