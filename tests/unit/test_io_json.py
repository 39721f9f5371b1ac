"""json_lines (violation files, JSON Lines outputs): every line parses back to the row it came from,
on the plain path and on the path that escapes a repetitive column's distinct values once."""

from __future__ import annotations

import json

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.io import json_lines

TEXT = st.one_of(
    st.none(), st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
)


def parsed(table: pa.Table) -> list[dict]:
    data = json_lines(table)
    assert data.endswith(b"\n") and data.count(b"\n") == table.num_rows
    return [json.loads(line) for line in data.decode("utf-8").split("\n")[:-1]]


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=30), st.integers(1, 9000), st.integers(0, 20))
def test_lines_parse_back_to_the_rows(values: list[str | None], rows: int, start: int) -> None:
    # Cycling a few values over many rows takes the dictionary path; a slice tests array offsets.
    column = pa.array([values[i % len(values)] for i in range(rows + start)], pa.string()).slice(start)
    numbers = pa.array(range(rows), pa.int64())
    table = pa.table({"row": numbers, "text": column, 'odd "name"\n': column})
    expected = [{"row": i, "text": v, 'odd "name"\n': v} for i, v in enumerate(column.to_pylist())]
    assert parsed(table) == expected


def test_distinct_values_large_strings_and_no_columns() -> None:
    unique = pa.array([f'v{i}"\\' for i in range(5000)], pa.large_string())
    assert parsed(pa.table({"v": unique})) == [{"v": f'v{i}"\\'} for i in range(5000)]
    assert json_lines(pa.table({"v": pa.array([], pa.string())})) == b""
    assert json_lines(pa.table({"v": [1, 2]}).drop_columns(["v"])) == b"{}\n{}\n"
