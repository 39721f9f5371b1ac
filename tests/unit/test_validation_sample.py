"""The per-value expectations' sample: every k-th row of the whole table, whatever its chunks."""

from __future__ import annotations

import pyarrow as pa

from include.validation.run import evenly_spaced

SCHEMA = pa.schema({"row": pa.int64(), "text": pa.string()})


def _chunked(sizes: list[int]) -> pa.Table:
    batches, start = [], 0
    for size in sizes:
        rows = list(range(start, start + size))
        batches.append(pa.record_batch([rows, [f"v{r}" for r in rows]], schema=SCHEMA))
        start += size
    return pa.Table.from_batches(batches)


def test_every_kth_row_across_uneven_chunks() -> None:
    table = _chunked([7, 1, 0, 13, 5, 30])  # 56 rows; chunk borders fall between sampled rows
    sample = evenly_spaced(table, 10)
    assert sample.column("row").to_pylist() == list(range(0, 56, 6))
    assert sample.column("text").to_pylist() == [f"v{r}" for r in range(0, 56, 6)]
    assert sample.schema == table.schema


def test_a_table_within_the_sample_size_is_returned_whole() -> None:
    table = _chunked([3, 4])
    assert evenly_spaced(table, 7) is table
