"""Small files in groups (include/ingest_group.py) without a scheduler, against real PostgreSQL, the
broker, the stream consumer as a real process and Great Expectations: a group of small files
with a hostile one, a link and a second copy of a file ends with each file loaded, quarantined
or refused as its own task group would leave it; calling the group again (a retry) changes
nothing; a group killed mid-way resumes without loading anything twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from compliance.generator import write_dataset
from include import ingest, ingest_stream
from include.ingest_dag import DEFAULT_OPTIONS
from include.ingest_group import ingest_group
from include.settings import Settings
from tests.conftest import keyed_settings
from tests.integration.test_streaming import ConsumerProcess, consumer_service

pytestmark = pytest.mark.integration

TOKEN_KEY = "group-test-key-0123456789abcdef"
DAG_ID = "sdp_ingest_landing"
DOMAINS = ("healthcare", "financial", "location")
# What the database holds about the files, counted before and after a retry.
TABLES = ("data_files", "data_processing_jobs", "data_records", "data_compliance_violations", "data_quarantine",
          "data_validation_results", "system_audit_log", "stream_file_state", "pipeline_alerts")  # fmt: skip


@pytest.fixture
def settings(services: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return keyed_settings(services, tmp_path, monkeypatch, TOKEN_KEY)


@pytest.fixture
def consumer(services: Settings, tmp_path: Path) -> Iterator[ConsumerProcess]:
    with consumer_service(services, TOKEN_KEY, tmp_path / "consumer.log") as process:
        yield process


def claimed_files(s: Settings, run: str, count: int, seed: int) -> dict[str, int]:
    """`count` small generated files in a run's inbox folder; claimed path -> data rows."""
    folder = s.inbox_dir / run
    folder.mkdir(parents=True)
    files = {}
    for index in range(count):
        path = folder / f"f{index:02d}.csv"
        files[str(path)] = write_dataset(DOMAINS[index % 3], 5 + index, path, seed=seed + index)
    return files


def _query(s: Settings, sql: str, *params) -> list[tuple]:
    with psycopg.connect(s.database_url) as conn:
        return conn.execute(sql, params).fetchall()


def _counts(s: Settings) -> dict[str, int]:
    return {table: _query(s, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}


def _group(paths: list[str], s: Settings, run: str) -> dict:
    actor = f"{DAG_ID}/{run}/ingest_small_files[0]"
    return ingest_group(paths, options=DEFAULT_OPTIONS, actor=actor, dag_id=DAG_ID, run_id=run, s=s)


def _file_status(s: Settings, path: str | Path) -> tuple[int, str]:
    (row,) = _query(s, "SELECT id, status FROM data_files WHERE path = %s", str(path))
    return row


def test_a_group_loads_each_file_on_its_own_and_a_retry_changes_nothing(
    settings: Settings, consumer, tmp_path
):
    s = settings
    rows = claimed_files(s, "group-run", 28, seed=100)
    folder = s.inbox_dir / "group-run"
    # Bytes of its own: another test's header-only file in the shared database would make this one a
    # duplicate of it.
    header_only = folder / "group_header_only.csv"
    header = Path(next(iter(rows))).read_bytes().splitlines()[0]
    header_only.write_bytes(header + b",group_run_note\n")
    copy = folder / "f00-copy.csv"
    copy.write_bytes(Path(next(iter(rows))).read_bytes())
    outside = tmp_path / "outside.csv"
    outside.write_text("ssn\n123-45-6789\n")
    link = folder / "link.csv"
    link.symlink_to(outside)
    paths = [*list(rows)[:10], str(copy), str(header_only), str(link), *list(rows)[10:]]

    summary = _group(paths, s, "group-run")

    outcome = {Path(f["name"]).name: f["outcome"] for f in summary["by_file"]}
    assert outcome == {Path(p).name: "archived" for p in rows} | {
        "f00-copy.csv": "duplicate",
        "group_header_only.csv": "quarantined",
        "link.csv": "refused",
    }
    assert summary["files"] == 31 and summary["outcomes"] == {
        "archived": 28,
        "duplicate": 1,
        "quarantined": 1,
        "refused": 1,
    }
    assert consumer.proc.poll() is None, "the consumer keeps running"
    for path, count in rows.items():
        file_id, status = _file_status(s, path)
        assert status == "loaded", path
        assert _query(s, "SELECT count(*) FROM data_records WHERE file_id = %s", file_id) == [(count,)], path
        assert _query(s, "SELECT count(*) FROM data_quarantine WHERE file_id = %s", file_id) == [(0,)], path
    # The copy is the first file's bytes: nothing more loaded, its job says duplicate.
    first_id, _ = _file_status(s, folder / "f00.csv")
    jobs = _query(s, "SELECT status FROM data_processing_jobs WHERE file_id = %s ORDER BY id", first_id)
    assert jobs == [("succeeded",), ("duplicate",)]
    header_id, status = _file_status(s, header_only)
    assert status == "quarantined"
    (reason,) = _query(s, "SELECT reason FROM data_quarantine WHERE file_id = %s", header_id)
    assert "no data rows (header only" in reason[0]
    (reason_file,) = s.quarantine_dir.glob("*/group_header_only.csv")
    assert "no data rows (header only" in (reason_file.parent / "REASON.txt").read_text()
    refused = _query(
        s, "SELECT reason FROM data_quarantine WHERE file_id IS NULL AND reason LIKE %s", "link.csv:%"
    )
    assert len(refused) == 1 and "a symbolic link" in refused[0][0]
    assert sorted(p.name.split("-", 1)[1] for p in s.raw_dir.glob("*/*")) == sorted(
        [Path(p).name for p in rows] + ["f00-copy.csv"]
    )
    assert not folder.exists(), "the run folder goes with its last file"
    assert outside.read_text() == "ssn\n123-45-6789\n"

    before, files_before = (
        _counts(s),
        sorted(str(p) for p in s.data_dir.rglob("*") if "staging" not in p.parts),
    )
    again = _group(paths, s, "group-run")
    assert [(f["name"], f["outcome"]) for f in again["by_file"]] == [
        (f["name"], f["outcome"]) for f in summary["by_file"]
    ]
    assert all(f["earlier"] for f in again["by_file"]), "a retry finds every file final"
    assert _counts(s) == before
    assert sorted(str(p) for p in s.data_dir.rglob("*") if "staging" not in p.parts) == files_before


class Killed(BaseException):
    """The worker killed: nothing in the group catches it, as nothing survives a SIGKILL."""


def _killed_at(count: int, step, *, after: bool = False):
    """`step`, except that its `count`-th call is killed before it starts (or after it is done)."""
    calls = []

    def step_or_kill(*args, **kwargs):
        calls.append(1)
        if len(calls) == count and not after:
            raise Killed
        result = step(*args, **kwargs)
        if len(calls) == count:
            raise Killed
        return result

    return step_or_kill


def test_a_group_killed_mid_way_resumes_without_loading_twice(
    settings: Settings, consumer, monkeypatch: pytest.MonkeyPatch
):
    s = settings
    rows = claimed_files(s, "killed-run", 8, seed=500)
    paths = list(rows)

    # First try: killed once the fourth file's rows were sent, before the group recorded it: the
    # next try publishes that job again.
    with monkeypatch.context() as patch:
        patch.setattr(ingest_stream, "publish", _killed_at(4, ingest_stream.publish, after=True))
        with pytest.raises(Killed):
            _group(paths, s, "killed-run")
    # Second try: killed while validating the third file (two of them final).
    with monkeypatch.context() as patch:
        patch.setattr(ingest, "validate", _killed_at(3, ingest.validate))
        with pytest.raises(Killed):
            _group(paths, s, "killed-run")
    summary = _group(paths, s, "killed-run")

    assert [f["outcome"] for f in summary["by_file"]] == ["archived"] * 8
    assert [f["earlier"] for f in summary["by_file"]] == [True, True] + [False] * 6
    for path, count in rows.items():
        file_id, status = _file_status(s, path)
        assert status == "loaded", path
        assert _query(s, "SELECT count(*) FROM data_records WHERE file_id = %s", file_id) == [(count,)], path
        jobs = _query(s, "SELECT status FROM data_processing_jobs WHERE file_id = %s", file_id)
        assert jobs == [("succeeded",)], (path, jobs)  # resumed, never routed twice
    assert len(list(s.raw_dir.glob("*/*"))) == 8
