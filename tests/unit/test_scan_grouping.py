"""scan_file hands the core batches of batch_rows rows cut across the reader's smaller batches
(wide CSV rows), and still writes the same bytes: one output row group per read batch, the file's
decisions taken on its first read batch (compliance/io_batches.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from compliance import io_batches
from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.generator import write_dataset
from compliance.io import FileReader
from compliance.pipeline import CompliancePipeline
from compliance.scan import scan_file

AS_OF = dt.date(2025, 1, 1)
BATCH_ROWS = 1_000  # CSV blocks of 128 KB: ~160 of these ~800-byte rows each


def _scan(source: Path, out: Path, violations: Path, threads: int) -> None:
    scan_file(
        source,
        output=out,
        violations_out=violations,
        anonymize="tokenize",
        tokenizer=Tokenizer(TokenKey("k1", b"grouping-test-key-0123456789")),
        as_of=AS_OF,
        batch_rows=BATCH_ROWS,
        threads=threads,
    )


def _one_per_read_batch(self: io_batches.Rebatcher) -> Iterator[io_batches.RowsBatch]:
    for chunk in self.chunks:
        self.sizes.append(chunk.batch.num_rows)
        yield io_batches.RowsBatch(chunk.batch, chunk.rows)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("grouping")
    write_dataset("healthcare", 3_000, folder / "narrow.csv", seed=5, as_of=AS_OF)
    table = pa_csv.read_csv(folder / "narrow.csv")
    remark = "Follow-up booked; patient reports feeling better after the change of diet. " * 7
    table = table.append_column("remarks", pa.array([remark] * table.num_rows))
    pa_csv.write_csv(table, folder / "in.csv")
    return folder / "in.csv"


def test_read_batches_are_smaller_than_batch_rows(source: Path) -> None:
    sizes = [chunk.batch.num_rows for chunk in FileReader(source, batch_rows=BATCH_ROWS)]
    assert len(sizes) > 10 and max(sizes) < BATCH_ROWS // 4  # else the tests below test nothing


@pytest.mark.parametrize("threads", [1, 2])
def test_batches_of_batch_rows_write_the_bytes_of_one_batch_per_read_batch(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    processed: list[int] = []
    prepared: list[int] = []
    process, prepare = CompliancePipeline.process, CompliancePipeline.prepare

    def recorded_process(self, batch, rows=None):
        processed.append(batch.num_rows)
        return process(self, batch, rows)

    def recorded_prepare(self, batch):
        prepared.append(batch.num_rows)
        return prepare(self, batch)

    monkeypatch.setattr(CompliancePipeline, "process", recorded_process)
    monkeypatch.setattr(CompliancePipeline, "prepare", recorded_prepare)
    _scan(source, tmp_path / "joined.parquet", tmp_path / "joined.jsonl", threads)
    read = [chunk.batch.num_rows for chunk in FileReader(source, batch_rows=BATCH_ROWS)]
    whole, rest = divmod(sum(read), BATCH_ROWS)
    assert processed == [BATCH_ROWS] * whole + ([rest] if rest else [])  # cut across read batches
    assert prepared == [read[0]]  # the file's decisions come from its first read batch

    # The reference: every read batch processed on its own (the scan before they were joined).
    monkeypatch.setattr(io_batches.Rebatcher, "__iter__", _one_per_read_batch)
    _scan(source, tmp_path / "alone.parquet", tmp_path / "alone.jsonl", threads)
    metadata = pq.ParquetFile(tmp_path / "joined.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == read
    assert (tmp_path / "joined.parquet").read_bytes() == (tmp_path / "alone.parquet").read_bytes()
    assert (tmp_path / "joined.jsonl").read_bytes() == (tmp_path / "alone.jsonl").read_bytes()
