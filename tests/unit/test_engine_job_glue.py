"""The engine jobs' shared glue (compliance/engine_job.py): the hybrid job's staged input in even
batches cut across the reader's chunks, and the engine start that runs beside staging."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pytest

from compliance.engine_job import BackgroundStep, EvenBatchWriter

SCHEMA = pa.schema([("n", pa.int64()), ("s", pa.string())])


def chunks(sizes: list[int]) -> list[pa.RecordBatch]:
    """Consecutive batches of `sizes` rows; column `n` numbers the rows across all of them."""
    batches, start = [], 0
    for size in sizes:
        values = list(range(start, start + size))
        batches.append(pa.RecordBatch.from_pydict({"n": values, "s": [str(v) for v in values]}, SCHEMA))
        start += size
    return batches


def staged(path: Path, sizes: list[int], batch_rows: int) -> tuple[int, list[pa.RecordBatch]]:
    read = chunks(sizes)
    with EvenBatchWriter(path, read[0].schema, batch_rows) as writer:
        for batch in read:
            writer.write(batch)
    reader = pa.ipc.open_file(pa.memory_map(str(path)))
    return writer.batches, [reader.get_batch(i) for i in range(reader.num_record_batches)]


@pytest.mark.parametrize("sizes", [[345, 345, 310], [100], [1000], [50] * 20, [999, 1, 1000, 0, 7]], ids=str)
def test_even_batches_cut_across_chunks_keep_every_row_in_order(tmp_path: Path, sizes: list[int]) -> None:
    count, written = staged(tmp_path / "input.arrow", sizes, batch_rows=200)
    rows = sum(sizes)
    assert count == len(written) == -(-rows // 200)
    assert [b.num_rows for b in written] == [200] * (rows // 200) + ([rows % 200] if rows % 200 else [])
    assert pa.Table.from_batches(written).column("n").to_pylist() == list(range(rows))


def test_a_failed_staging_writes_no_partial_last_batch(tmp_path: Path) -> None:
    path = tmp_path / "input.arrow"
    read = chunks([250, 30])
    with pytest.raises(RuntimeError), EvenBatchWriter(path, read[0].schema, 200) as writer:
        for batch in read:
            writer.write(batch)
        raise RuntimeError("bad input")
    assert writer.batches == 1


def test_background_step_runs_beside_the_caller_and_hands_back_its_value() -> None:
    release = threading.Event()
    step = BackgroundStep(lambda: release.wait(10) and "session", "test-start")
    step.begin()
    release.set()  # the caller's own work (staging) happens while the step runs
    assert step.result() == "session"
    assert step.seconds >= 0.0


def test_background_step_error_reaches_the_caller() -> None:
    def fail() -> str:
        raise OSError("no JVM")

    step = BackgroundStep(fail, "test-start")
    step.begin()
    step.join()
    with pytest.raises(OSError, match="no JVM"):
        step.result()


def test_background_step_never_begun_runs_on_result() -> None:
    assert BackgroundStep(lambda: 42, "test-start").result() == 42
