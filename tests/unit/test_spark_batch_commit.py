"""The batch job's driver side (spark_jobs/compliance_batch.py) without Spark: only the attempt the
action returned for each partition reaches the staged set (a failed or speculative attempt's files
never do), the row groups are split over tasks, and the k-anonymity rewrite joins on `_row`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from include.staging import RECORDS, ROW_COLUMN, VAULT, VIOLATIONS
from spark_jobs.compliance_batch import (
    commit_parts,
    generalise_batch,
    output_schemas,
    select_attempts,
    task_units,
)


def write_attempt(folder: Path, partition: int, rows: list[int], *, vault: bool = False) -> dict:
    """An attempt folder as a task leaves it, and the summary that task would return."""
    folder.mkdir(parents=True)
    schemas = output_schemas(["name"], vault)
    records = pa.table(
        [pa.array(rows, pa.int64()), pa.array([f"{folder.name}:{row}" for row in rows])],
        schema=schemas[RECORDS],
    )
    pq.write_table(records, folder / RECORDS)
    for name in (VIOLATIONS, VAULT) if vault else (VIOLATIONS,):
        pq.write_table(schemas[name].empty_table(), folder / name)
    counts = {RECORDS: len(rows), VIOLATIONS: 0, VAULT: 0}
    return {"partition": partition, "folder": str(folder), "counts": counts, "report": {}}


def test_select_attempts_orders_by_partition() -> None:
    first, second = {"partition": 0}, {"partition": 1}
    assert select_attempts([second, first], 2) == [first, second]


@pytest.mark.parametrize("partitions", [[0], [0, 0, 1], [0, 2]], ids=["missing", "twice", "unknown"])
def test_select_attempts_refuses_an_incomplete_or_doubled_run(partitions: list[int]) -> None:
    with pytest.raises(RuntimeError):
        select_attempts([{"partition": p} for p in partitions], 2)


def test_commit_stages_only_the_returned_attempts(tmp_path: Path) -> None:
    attempts = tmp_path / "_work" / "attempts"
    failed = write_attempt(attempts / "part-00000-attempt-0-1", 0, [0, 1, 2])  # raised after writing
    retried = write_attempt(attempts / "part-00000-attempt-1-3", 0, [0, 1, 2])
    first = write_attempt(attempts / "part-00001-attempt-0-2", 1, [3, 4])
    write_attempt(attempts / "part-00001-attempt-1-4", 1, [3, 4])  # a speculative copy that lost

    chosen = select_attempts([first, retried], 2)  # what collect() returned
    assert commit_parts(chosen, tmp_path) == 5

    records = ds.dataset(tmp_path / RECORDS, format="parquet").to_table().sort_by(ROW_COLUMN)
    assert records.column(ROW_COLUMN).to_pylist() == [0, 1, 2, 3, 4]
    assert set(records.column("name").to_pylist()) == {
        *(f"part-00000-attempt-1-3:{row}" for row in (0, 1, 2)),
        *(f"part-00001-attempt-0-2:{row}" for row in (3, 4)),
    }
    for name in (RECORDS, VIOLATIONS):
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == [
            "part-00000.parquet",
            "part-00001.parquet",
        ]
    assert not (tmp_path / VAULT).exists()  # no vault key: no vault part
    assert (Path(failed["folder"]) / RECORDS).exists()  # left in _work/, never read


def test_commit_with_a_records_rewrite(tmp_path: Path) -> None:
    chosen = [write_attempt(tmp_path / "_work" / "a", 0, [0, 1, 2], vault=True)]

    def keep_even(source: Path, target: Path) -> int:
        table = pq.read_table(source)
        table = table.filter(pa.compute.equal(pa.compute.bit_wise_and(table.column(ROW_COLUMN), 1), 0))
        pq.write_table(table, target)
        return table.num_rows

    assert commit_parts(chosen, tmp_path, keep_even) == 2
    assert pq.read_table(tmp_path / RECORDS / "part-00000.parquet").column(ROW_COLUMN).to_pylist() == [0, 2]
    assert (tmp_path / VAULT / "part-00000.parquet").exists()


def test_generalise_batch_joins_on_row_and_drops_suppressed() -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            ROW_COLUMN: pa.array([3, 1, 0, 2, 9], pa.int64()),
            "zip": ["z3", "z1", "z0", "z2", "z9"],
            "other": ["o3", "o1", "o0", "o2", "o9"],
        }
    )
    kept = np.array([0, 2, 3, 7])  # rows 1 and 9 suppressed; row 7 is another part's
    values = {"zip": pa.array(["g0", "g2", "g3", "g7"])}

    out = generalise_batch(batch, kept, values)

    assert out.schema == batch.schema
    assert out.to_pydict() == {ROW_COLUMN: [3, 0, 2], "zip": ["g3", "g0", "g2"], "other": ["o3", "o0", "o2"]}
    assert generalise_batch(batch, np.array([], np.int64), {"zip": pa.array([], pa.string())}).num_rows == 0


def test_task_units_split_row_groups_into_contiguous_runs(tmp_path: Path) -> None:
    path = tmp_path / "input.parquet"
    pq.write_table(pa.table({ROW_COLUMN: pa.array(range(50), pa.int64())}), path, row_group_size=10)
    assert task_units(path, 2) == [[0, 1], [2, 3, 4]]
    assert task_units(path, 8) == [[0], [1], [2], [3], [4]]
    empty = tmp_path / "empty.parquet"
    with pq.ParquetWriter(empty, pa.schema([(ROW_COLUMN, pa.int64())])):
        pass
    assert task_units(empty, 2) == [[]]  # one task still writes the parts' schemas
