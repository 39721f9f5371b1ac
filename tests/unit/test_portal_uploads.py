"""Upload names, atomic writes and data-folder paths of the compliance portal (include/portal)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from include.portal.metrics import histogram_buckets
from include.portal.uploads import UploadRejected, resolve_data_file, safe_file_name, write_atomically


@pytest.mark.parametrize(
    "name",
    ["../x.csv", "a/b.csv", "a\\b.csv", "/etc/x.csv", ".hidden.csv", "~x.csv", "_x.csv", "x\x01.csv",
     "x\x00.csv", "..csv", "notes.xlsx", "", None, "###.csv"],
)  # fmt: skip
def test_unsafe_names_are_refused(name: str | None) -> None:
    with pytest.raises(UploadRejected):
        safe_file_name(name)


def test_safe_names_keep_their_meaning() -> None:
    assert safe_file_name("patients.csv") == "patients.csv"
    assert safe_file_name("Patients 2026 (v2).JSONL") == "Patients_2026__v2_.JSONL"
    assert safe_file_name("données.parquet") == "donn_es.parquet"


def test_write_is_atomic_private_and_never_replaces(tmp_path: Path) -> None:
    first = write_atomically([b"a,b\n", b"1,2\n"], tmp_path, "x.csv", max_bytes=100)
    second = write_atomically([b"a,b\n"], tmp_path, "x.csv", max_bytes=100)
    assert first == tmp_path / "x.csv" and first.read_bytes() == b"a,b\n1,2\n"
    assert second != first and second.name.endswith("-x.csv") and second.read_bytes() == b"a,b\n"
    assert os.stat(first).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name])  # no temp left


def test_write_past_the_limit_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(UploadRejected) as refused:
        write_atomically([b"x" * 60, b"x" * 60], tmp_path, "big.csv", max_bytes=100)
    assert refused.value.status_code == 413
    with pytest.raises(UploadRejected):
        write_atomically([], tmp_path, "empty.csv", max_bytes=100)
    assert list(tmp_path.iterdir()) == []


def test_data_paths_stay_inside_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "landing").mkdir(parents=True)
    (data / "landing" / "a.csv").write_text("x")
    (tmp_path / "outside.csv").write_text("x")
    (data / "link.csv").symlink_to(tmp_path / "outside.csv")
    assert resolve_data_file(data, "landing/a.csv") == (data / "landing" / "a.csv").resolve()
    for path in ("../outside.csv", "/etc/passwd", "landing/*.csv", "link.csv", "landing/../../outside.csv"):
        with pytest.raises(UploadRejected):
            resolve_data_file(data, path)
    with pytest.raises(UploadRejected) as missing:
        resolve_data_file(data, "landing/none.csv")
    assert missing.value.status_code == 404


def test_histogram_buckets_are_cumulative() -> None:
    buckets, total = histogram_buckets([0.5, 3, 3, 100], (1, 5, 10))
    assert buckets == [("1", 1), ("5", 3), ("10", 3), ("+Inf", 4)] and total == 106.5
