"""Batches of exactly `batch_rows` rows for the core, written back in the reader's own batches.

The CSV reader cuts its batches by bytes (batch_rows x 128), so a file of wide rows comes in
batches well under batch_rows (27k rows of the corpus's intake sheet, 34k of the generator's, for
65,536), and every batch pays the core's fixed costs per column and per regex pass again.
`Rebatcher` hands the core batches of batch_rows rows cut across the read batches, and
`ReadBatchWriter` writes the processed rows back in the read batches' sizes, so an output file
(one Parquet row group per written batch) keeps the bytes it had when each read batch was processed
alone.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyarrow as pa

from compliance.io import Chunk


@dataclass
class RowsBatch:
    """Rows of the file for the core: a batch and each record's file-level row number."""

    batch: pa.RecordBatch
    rows: np.ndarray


class Preparable(Protocol):
    """What Rebatcher prepares on the first read batch (compliance.pipeline.CompliancePipeline)."""

    @property
    def prepared(self) -> bool: ...

    def prepare(self, first_batch: pa.RecordBatch) -> None: ...


class Rebatcher:
    """The rows of `chunks` in batches of `batch_rows` rows (the last: what is left; a change of
    schema ends a batch early). `pipeline` is prepared on the first read batch, so the file's
    decisions are those of its first read batch, as when read batches were processed alone.
    `sizes` holds the row count of every read batch taken so far, for ReadBatchWriter."""

    def __init__(self, chunks: Iterable[Chunk], pipeline: Preparable, batch_rows: int) -> None:
        self.chunks = chunks
        self.pipeline = pipeline
        self.batch_rows = batch_rows
        self.sizes: deque[int] = deque()

    def __iter__(self) -> Iterator[RowsBatch]:
        pending: list[RowsBatch] = []
        count = 0
        for chunk in self.chunks:
            if not self.pipeline.prepared:
                self.pipeline.prepare(chunk.batch)
            if pending and not chunk.batch.schema.equals(pending[0].batch.schema):
                yield _concat(pending)
                pending, count = [], 0
            self.sizes.append(chunk.batch.num_rows)
            pending.append(RowsBatch(chunk.batch, chunk.rows))
            count += chunk.batch.num_rows
            while count >= self.batch_rows:
                joined = _concat(pending)
                yield RowsBatch(joined.batch.slice(0, self.batch_rows), joined.rows[: self.batch_rows])
                count -= self.batch_rows
                rest = RowsBatch(joined.batch.slice(self.batch_rows), joined.rows[self.batch_rows :])
                pending = [rest] if count else []
        if pending:
            yield _concat(pending)


class BatchSink(Protocol):
    def write(self, batch: pa.RecordBatch) -> None: ...


class ReadBatchWriter:
    """Writes processed batches to `sink` cut back into the read batches' sizes (`sizes`, taken in
    order: Rebatcher.sizes). Processed batches must arrive in file order."""

    def __init__(self, sink: BatchSink, sizes: deque[int]) -> None:
        self.sink = sink
        self.sizes = sizes
        self._pending: list[pa.RecordBatch] = []
        self._count = 0

    def write(self, batch: pa.RecordBatch) -> None:
        self._pending.append(batch)
        self._count += batch.num_rows
        while self.sizes and self._count >= self.sizes[0]:
            size = self.sizes.popleft()
            joined = self._pending[0] if len(self._pending) == 1 else concat_batches(self._pending)
            self.sink.write(joined.slice(0, size))
            self._count -= size
            self._pending = [joined.slice(size)] if self._count else []


def concat_batches(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    """One batch of `batches` (same schema) in order: pa.concat_batches, which the Flink venv's
    pyarrow 16 lacks."""
    schema = batches[0].schema
    columns = [pa.concat_arrays([batch.column(i) for batch in batches]) for i in range(len(schema))]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _concat(parts: list[RowsBatch]) -> RowsBatch:
    if len(parts) == 1:
        return parts[0]
    return RowsBatch(
        concat_batches([part.batch for part in parts]), np.concatenate([part.rows for part in parts])
    )
