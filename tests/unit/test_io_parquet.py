"""Parquet output of the core: dictionary encoding only for columns that repeat themselves."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from compliance.io import write_table_stream


def test_parquet_dictionary_only_for_repetitive_columns(tmp_path: Path) -> None:
    rows = 10_000
    batch = pa.record_batch(
        {
            "token": [f"SSN_k1_{i:08d}" for i in range(rows)],
            "consent": ["yes", "no"] * (rows // 2),
            "amount": pa.array(range(rows), pa.int64()),
            "tags": pa.array([["a"]] * rows, pa.list_(pa.string())),
        }
    )
    out = tmp_path / "out.parquet"
    with write_table_stream(out, "parquet") as writer:
        writer.write(batch)
        writer.write(batch.slice(0, 10))
    assert pq.read_table(out).equals(pa.Table.from_batches([batch, batch.slice(0, 10)]))
    metadata = pq.ParquetFile(out).metadata.row_group(0)
    encodings = {metadata.column(i).path_in_schema: metadata.column(i).encodings for i in range(4)}
    dictionary = {name for name, used in encodings.items() if any("DICTIONARY" in e for e in used)}
    assert dictionary == {"consent"}
