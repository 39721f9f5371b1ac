"""The violations file of `sdp scan`: written per distinct (field, type, ...) combination, it must be
byte for byte what json_lines() writes for the whole table."""

import io

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import scan
from compliance.io import json_lines
from compliance.vocabulary import VIOLATION_KEYS

WORDS = st.text(alphabet='ab"\\\n\t\x01é\u2028_ ', max_size=6)


def _violations(rows: list[int], labels: list[tuple[str, ...]]) -> pa.Table:
    columns = {"row": pa.array(rows, pa.int64())}
    for index, key in enumerate(VIOLATION_KEYS[1:]):
        columns[key] = pa.array([label[index] for label in labels], pa.string())
    return pa.table(columns)


def _written(table: pa.Table) -> bytes:
    handle = io.BytesIO()
    scan._write_violations(handle, table)
    return handle.getvalue()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-5, 10**12), st.tuples(*[st.sampled_from(["SSN", "x"]) | WORDS] * 5)),
        max_size=40,
    )
)
def test_same_bytes_as_json_lines(entries):
    table = _violations([row for row, _ in entries], [label for _, label in entries])
    assert _written(table) == json_lines(table)


def test_slices_nulls_and_columns_out_of_order(monkeypatch: pytest.MonkeyPatch) -> None:
    labels = [("notes", "SSN", "HIPAA", "high", "r1"), ("notes", "EMAIL", "GDPR", "low", "r2")] * 5
    table = _violations(list(range(10)), labels)
    expected = json_lines(table)
    monkeypatch.setattr(scan, "_VIOLATION_SLICE", 3)
    assert _written(table) == expected
    reordered = table.select(list(reversed(table.column_names)))
    assert _written(reordered) == expected
    with_null = table.set_column(
        2, "type", pa.array([None, *table.column("type").to_pylist()[1:]], pa.string())
    )
    assert _written(with_null) == json_lines(with_null)
    assert _written(table.slice(0, 0)) == b""
