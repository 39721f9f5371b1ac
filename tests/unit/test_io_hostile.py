"""The readers on hostile input (README "Hostile input"): limits refuse a file early with a reason,
values PostgreSQL cannot store quarantine their row, formula cells are neutralised, odd Parquet
columns are either text or refused; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.io import FileReader, InputError
from compliance.io_guards import FORMULA_PREFIX, neutralise
from compliance.io_limits import ReadLimits

SMALL = ReadLimits(max_line_bytes=1000, max_columns=50)


def read(path: Path, limits: ReadLimits = SMALL) -> tuple[list[dict], FileReader]:
    reader = FileReader(path, limits=limits)
    rows = [row for chunk in reader for row in chunk.batch.to_pylist()]
    return rows, reader


def refused(path: Path, limits: ReadLimits = SMALL) -> str:
    with pytest.raises(InputError) as caught:
        read(path, limits)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(path.name)
    return message


@pytest.mark.parametrize("where", ["header", "first row", "after many rows"])
def test_a_line_past_the_limit_is_refused_while_streaming(tmp_path: Path, where: str) -> None:
    path = tmp_path / "long.csv"
    long = "x" * 5000
    if where == "header":
        path.write_text(f"a,{long}\n1,2\n")
    elif where == "first row":
        path.write_text(f"a,b\n1,{long}\n")
    else:  # past pyarrow's first block: the fast path hands over to the exact reader
        path.write_text("a,b\n" + "1,2\n" * 100_000 + f"3,{long}\n")
    assert "longer than 1000 bytes (SDP_MAX_LINE_BYTES)" in refused(path)


def test_jsonl_line_and_unclosed_quote_past_the_limit(tmp_path: Path) -> None:
    jsonl = tmp_path / "long.jsonl"
    jsonl.write_text('{"a": 1}\n' + json.dumps({"a": "y" * 5000}) + "\n")
    assert "line 2 is longer than 1000 bytes" in refused(jsonl)
    quote = tmp_path / "quote.csv"  # every line is short, but the quoted field never ends
    quote.write_text('a,b\n1,"open\n' + "more text\n" * 500)
    assert "SDP_MAX_LINE_BYTES" in refused(quote)


def test_the_limit_comes_from_the_environment() -> None:
    assert ReadLimits.from_env({}) == ReadLimits()
    assert ReadLimits.from_env({"SDP_MAX_LINE_BYTES": "4096", "SDP_MAX_COLUMNS": "9"}) == ReadLimits(4096, 9)
    with pytest.raises(ValueError, match="SDP_MAX_COLUMNS"):
        ReadLimits.from_env({"SDP_MAX_COLUMNS": "0"})


def test_too_many_columns_in_every_format(tmp_path: Path) -> None:
    names = [f"c{i}" for i in range(60)]
    csv_path = tmp_path / "wide.csv"
    csv_path.write_text(",".join(names) + "\n" + ",".join("1" * 60) + "\n")
    jsonl = tmp_path / "wide.jsonl"
    jsonl.write_text("".join(json.dumps({name: 1}) + "\n" for name in names))
    parquet = tmp_path / "wide.parquet"
    pq.write_table(pa.table({name: ["1"] for name in names}), parquet)
    for path in (csv_path, jsonl, parquet):
        assert "more than 50 columns (SDP_MAX_COLUMNS)" in refused(path)


def test_header_only_and_duplicate_headers(tmp_path: Path) -> None:
    header_only = tmp_path / "header.csv"
    header_only.write_text("name,ssn\n")
    assert "no data rows (header only" in refused(header_only)
    duplicate = tmp_path / "dup.csv"
    duplicate.write_text("ssn,name,ssn\n1,2,3\n")
    assert "duplicate column name(s): ssn" in refused(duplicate)
    parquet = tmp_path / "dup.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array(["1"]), pa.array(["2"])], names=["a", "a"]), parquet)
    assert "duplicate column name(s): a" in refused(parquet)


def test_nul_bytes_refuse_a_file_at_its_head_and_quarantine_a_row_later(tmp_path: Path) -> None:
    head = tmp_path / "nul.csv"
    head.write_bytes(b"a,b\n1,x\x00y\n")
    assert "NUL byte at offset 7: binary file" in refused(head)
    later = tmp_path / "later.csv"
    later.write_bytes(b"a,b\n" + b"1,2\n" * 20_000 + b"3,x\x00y\n4,5\n")
    rows, reader = read(later)
    assert len(rows) == 20_001 and [(q.row, q.reason) for q in reader.quarantined] == [
        (20_000, "NUL character in a value (PostgreSQL text cannot hold it)")
    ]
    escaped = tmp_path / "nul.jsonl"  # valid JSON, but PostgreSQL jsonb cannot hold \u0000
    escaped.write_text('{"a": "x\\u0000y"}\n{"a": "ok"}\n')
    rows, reader = read(escaped)
    assert rows == [{"a": "ok"}] and [q.row for q in reader.quarantined] == [0]


def test_mixed_encodings(tmp_path: Path) -> None:
    mostly_utf8 = tmp_path / "mixed.csv"
    lines = ["name,city"] + [f"n{i},Zürich" for i in range(30)]
    mostly_utf8.write_bytes("\n".join(lines).encode() + b"\nn30,M\xfcnchen\n")
    rows, reader = read(mostly_utf8)
    assert len(rows) == 30 and [(q.row, q.reason) for q in reader.quarantined] == [
        (30, "invalid UTF-8 bytes in row")
    ]
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("\n".join(lines).encode("latin-1"))
    assert "not UTF-8 text" in refused(latin1)
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("\n".join(lines).encode("utf-16"))
    assert "UTF-16" in refused(utf16)


def test_formula_cells_load_neutralised(tmp_path: Path) -> None:
    path = tmp_path / "formulas.csv"
    path.write_text(
        "=HYPERLINK(1),note,amount,phone\n"
        "\"=cmd|' /C calc'!A0\",+SUM(A1),-12.50,+44 20 7946 0958\n"
        '@SUM(1),"-2+3+cmd|x",-1.5e-3,"\tx"\n'
        "plain,- dash note,+1 (857) 555-0114,-\n"
    )
    rows, reader = read(path)
    assert reader.columns[0] == "'=HYPERLINK(1)"
    assert [list(r.values()) for r in rows] == [
        ["'=cmd|' /C calc'!A0", "'+SUM(A1)", "-12.50", "+44 20 7946 0958"],
        ["'@SUM(1)", "'-2+3+cmd|x", "-1.5e-3", "'\tx"],
        ["plain", "'- dash note", "+1 (857) 555-0114", "-"],
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=20))
def test_no_value_leaves_the_reader_as_a_live_formula(values: list[str | None]) -> None:
    safe = neutralise(pa.array(values, pa.string())).to_pylist()
    for before, after in zip(values, safe, strict=True):
        assert after in (before, None if before is None else FORMULA_PREFIX + before)
        if after and after[0] in "=@\t\r":
            pytest.fail(f"live formula {after!r}")
        if after and after[0] in "+-":  # left alone only when nothing in it can be called
            assert set(after[1:]) <= set("0123456789 ().,/+-eE"), after
    assert neutralise(pa.array(safe, pa.string())).to_pylist() == safe, "neutralising twice changes nothing"


def test_parquet_nested_columns_are_json_text_binary_ones_are_refused(tmp_path: Path) -> None:
    nested = tmp_path / "nested.parquet"
    table = pa.table(
        {
            "tags": pa.array([["a", "b"], None]),
            "address": pa.array([{"city": "Lyon", "zip": "69001"}, {"city": None, "zip": "1"}]),
            "text_bytes": pa.array([b"ok", b"fine"], pa.binary()),
        }
    )
    pq.write_table(table, nested)
    rows, _ = read(nested)
    assert rows == [
        {"tags": '["a","b"]', "address": '{"city":"Lyon","zip":"69001"}', "text_bytes": "ok"},
        {"tags": None, "address": '{"city":null,"zip":"1"}', "text_bytes": "fine"},
    ]
    # A map is an object, its keys the context of its values; a map with a key twice keeps its pairs.
    maps = tmp_path / "maps.parquet"
    pairs = pa.map_(pa.string(), pa.string())
    pq.write_table(
        pa.table({"m": pa.array([[("mother", "Ana Garcia")], [("k", "1"), ("k", "2")]], pairs)}), maps
    )
    assert [row["m"] for row in read(maps)[0]] == ['{"mother":"Ana Garcia"}', '[["k","1"],["k","2"]]']
    binary = tmp_path / "binary.parquet"
    pq.write_table(pa.table({"id": ["1", "2"], "photo": pa.array([b"\x89PNG\xff\x00", b"\xff"], pa.binary())}),
                   binary)  # fmt: skip
    assert "column 'photo' holds binary data that is not UTF-8 text" in refused(binary)
    nested_binary = tmp_path / "nested_binary.parquet"
    pq.write_table(pa.table({"blobs": pa.array([[b"\xff\xfe"]], pa.list_(pa.binary()))}), nested_binary)
    assert "column 'blobs' holds binary data" in refused(nested_binary)
