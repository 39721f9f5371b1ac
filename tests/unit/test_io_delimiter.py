"""CSV delimiter detection (compliance/io_delimiter.py): ',' ';' tab and '|' files are split into their
columns by every reader, a file ragged under every delimiter is refused saying so, and `sdp scan`
anonymizes the identifiers of ';' and tab files as it does a comma file's."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from faker import Faker

from compliance.io import FileReader, InputError, detect_format
from compliance.io_delimiter import choose_delimiter
from tests.unit.test_cli import KEY, read_jsonl, sdp

# The checkout under test, not whichever one the virtualenv installed (a worktree shares it).
REPO = Path(__file__).resolve().parents[2]


def table(delimiter: str, rows: list[list[str]]) -> str:
    """Rows as CSV text with `delimiter`, quoted only where needed (as a spreadsheet writes them)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


PEOPLE = [
    ["id", "name", "email", "city"],
    ["1", "DOE, Jane", "jane@example.org", "Lyon"],
    ["2", "ROE, Rick", "rick@example.org", "Gent"],
    ["3", "POE, Ann", "ann@example.org", "Bonn"],
]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_candidate_is_detected_with_quoted_delimiters_in_values(delimiter: str) -> None:
    # Every name holds a ',' (quoted in the comma file): only the real delimiter fits the header.
    assert choose_delimiter(table(delimiter, PEOPLE)) == delimiter


def test_semicolon_with_commas_in_every_value_is_semicolon() -> None:
    text = "id;name;note\n1;CAMINO, Tadeo;a, b, c\n2;RUIZ, Ana;d, e, f\n"
    assert choose_delimiter(text) == ";"


def test_quoted_semicolons_do_not_split_a_comma_file() -> None:
    text = 'id,note\n1,"a;b;c"\n2,"d;e;f"\n3,"g;h;i"\n'
    assert choose_delimiter(text) == ","


def test_comma_wins_a_tie() -> None:
    # Both ',' and ';' split the header in two and every row alike.
    assert choose_delimiter("a,b;c\n1,2;3\n4,5;6\n") == ","


def test_single_column_and_header_only_files() -> None:
    assert choose_delimiter("email\na@example.org\nb@example.org\n") == ","
    assert choose_delimiter("name;email;phone\n") == ";"
    assert choose_delimiter("name,email\n") == ","


def test_a_few_ragged_rows_keep_the_delimiter() -> None:
    text = "a;b;c\n1;2;3\n4;5\n6;7;8\n9;10;11\n"
    assert choose_delimiter(text) == ";"


def test_ragged_under_every_candidate_is_refused_saying_so() -> None:
    text = "a,b,c\n1,2\n3\n4,5,6,7\n8;9\n"
    with pytest.raises(InputError, match="inconsistent field counts under every delimiter") as caught:
        choose_delimiter(text, file_name="bad.csv")
    message = str(caught.value)
    assert message.startswith("bad.csv") and "\n" not in message and "tab" in message


def test_a_sample_cut_short_ignores_its_partial_last_record() -> None:
    text = table(";", PEOPLE) + '4;"POE'  # a quoted value cut by the sample's end
    assert choose_delimiter(text, truncated=True) == ";"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_file_reader_splits_the_columns(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "people.csv"
    path.write_text(table(delimiter, PEOPLE), encoding="utf-8")
    reader = FileReader(path)
    rows = [row for chunk in reader for row in chunk.batch.to_pylist()]
    assert reader.delimiter == delimiter and reader.columns == PEOPLE[0]
    assert rows == [dict(zip(PEOPLE[0], row, strict=True)) for row in PEOPLE[1:]]


def test_a_file_without_extension_delimited_by_semicolon_is_csv(tmp_path: Path) -> None:
    path = tmp_path / "export"
    path.write_text(table(";", PEOPLE), encoding="utf-8")
    assert detect_format(path) == "csv"


def test_a_single_column_whose_values_hold_commas_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("note\n" + "".join(f"x{i},y\n" for i in range(5)), encoding="utf-8")
    reader = FileReader(path)
    assert [row["note"] for chunk in reader for row in chunk.batch.to_pylist()] == [
        f"x{i},y" for i in range(5)
    ]
    assert reader.quarantined == []


def test_every_row_ragged_is_quarantined_not_no_data_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyarrow skips every row and ends without a batch: the exact reader still quarantines each one.
    monkeypatch.setattr("compliance.io.sniff_delimiter", lambda _path, _limits: ",")
    path = tmp_path / "ragged.csv"
    path.write_text("name\n" + "".join(f"x{i},y\n" for i in range(5)), encoding="utf-8")
    reader = FileReader(path)
    assert [row for chunk in reader for row in chunk.batch.to_pylist()] == []
    assert [q.row for q in reader.quarantined] == [0, 1, 2, 3, 4]
    assert all("ragged" in q.reason for q in reader.quarantined)


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon.csv"), ("\t", "tab.csv")])
def test_scan_anonymizes_semicolon_and_tab_files(tmp_path: Path, delimiter: str, name: str) -> None:
    fake = Faker("en_US")
    Faker.seed(7)
    header = ["customer_name", "email", "ssn", "phone", "amount"]
    rows = [
        [f"{fake.last_name().upper()}, {fake.first_name()}", fake.email(), fake.ssn(), fake.phone_number(),
         f"{fake.pyint(1, 999)},{fake.pyint(10, 99)}"]  # a decimal comma, as a European export writes
        for _ in range(60)
    ]  # fmt: skip
    path = tmp_path / name
    path.write_text(table(delimiter, [header, *rows]), encoding="utf-8")
    output, violations = tmp_path / "out.csv", tmp_path / "v.jsonl"
    result = sdp("scan", str(path), "--violations", str(violations), "--output", str(output), "--anonymize",
                 "tokenize", cwd=tmp_path, key=KEY, PYTHONPATH=str(REPO))  # fmt: skip
    assert result.returncode == 0, result.stderr

    # The output is comma-delimited whatever the input's delimiter (README "CSV delimiters").
    with open(output, newline="", encoding="utf-8") as handle:
        out_rows = list(csv.DictReader(handle))
    assert list(out_rows[0]) == header and len(out_rows) == len(rows)
    flagged = {v["field"] for v in read_jsonl(violations)}
    assert {"email", "ssn", "phone"} <= flagged
    for original, cleaned in zip(rows, out_rows, strict=True):
        for column in ("email", "ssn", "phone"):
            assert original[header.index(column)] not in cleaned[column]
        assert cleaned["amount"] == original[4]
