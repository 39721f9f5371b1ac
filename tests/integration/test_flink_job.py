"""The hybrid (PyFlink) job run the way the DAG runs it (include.hybrid.hybrid_command: the Flink venv,
an in-process mini cluster with one Python worker per subtask), compared with the single-process
reference `compliance.scan.scan_file`: same violations, same tokens, FileReader's quarantine, lanes
that add up, a load into PostgreSQL; a kill -9 mid-run followed by a retry loads every row exactly
once; bad input -> exit 2 + error.json."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from compliance.detection.blanks import BLANK_OR_TOKEN
from compliance.generator import write_dataset
from compliance.io import FileReader
from include.db.files import register_file, sha256_of, start_job
from include.db.loader import load_staged
from include.hybrid import hybrid_command
from include.settings import load_settings
from include.staging import MANIFEST, QUARANTINE, RECORDS, ROW_COLUMN, StagedManifest
from tests.integration.staged_output import (
    assert_job_succeeded,
    scan_reference,
    staged_records,
    staged_violations,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKEN_KEY = "flink-job-test-key-0123456789"
AS_OF = dt.date(2025, 6, 30)
ROWS = 5000
RAGGED_ROWS = (10, 1234, 4321)
CRASH_ROWS = 200_000
JOB_TIMEOUT_S = 600


def job_command(input_path: Path, staging: Path, anonymize: str, *extra: str) -> tuple[list[str], dict]:
    args = ["--input", str(input_path), "--staging-dir", str(staging), "--anonymize", anonymize,
            "--domain", "auto", "--as-of", AS_OF.isoformat(), "--job-key", "test", *extra]  # fmt: skip
    argv, env = hybrid_command(args, load_settings({}))
    env.update(SDP_TOKEN_KEY=TOKEN_KEY, SDP_TOKEN_KEY_ID="k1")
    env.pop("SDP_FLINK_REST_URL", None)  # the test's own mini cluster
    env["FLINK_LOG_DIR"] = str(staging.parent / f"{staging.name}-flink-logs")  # its JVM's log, checked
    return argv, env


def run_job(input_path: Path, staging: Path, anonymize: str, *extra: str) -> subprocess.CompletedProcess:
    argv, env = job_command(input_path, staging, anonymize, *extra)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=JOB_TIMEOUT_S, check=False)
    assert TOKEN_KEY not in done.stdout + done.stderr, "the token key leaked into the job output"
    return done


def flink_logs(staging: Path) -> str:
    """The mini cluster's own log of the job's run (Flink, Beam and Python worker messages)."""
    return "".join(p.read_text(errors="replace") for p in Path(f"{staging}-flink-logs").glob("*.log"))


def assert_succeeded(done: subprocess.CompletedProcess) -> str:
    return assert_job_succeeded(done, "flink", "hybrid")


def new_file_and_job(database_url: str, path: Path) -> tuple[int, int]:
    """data_files + data_processing_jobs rows as the DAG's register/route steps open them."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        # A unique path per test run; the SHA-256 is the file's (the loader checks it).
        record = register_file(conn, f"/landing/{uuid.uuid4().hex[:8]}-{path.name}", sha256_of(path),
                               path.stat().st_size, "csv")  # fmt: skip
        job_id = start_job(
            conn, record.id, "flink", "test: hybrid route", "test", f"run-{uuid.uuid4().hex[:8]}"
        )
    return record.id, job_id


def loaded_rows(database_url: str, file_id: int) -> tuple[int, int, int, int]:
    """(records, distinct row numbers, min row, max row) of the file in data_records."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT count(*), count(DISTINCT row_number), min(row_number), max(row_number)"
            " FROM data_records WHERE file_id = %s",
            (file_id,),
        ).fetchone()


def processes_in_group(pgid: int) -> list[str]:
    """Live (not zombie) processes of a process group: pid and command name."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # exited while we looked
            continue
        name_end = text.rindex(")")
        state, _ppid, group = text[name_end + 2 :].split()[:3]
        if int(group) == pgid and state != "Z":
            found.append(f"{stat.parent.name} {text[text.index('(') + 1 : name_end]}")
    return found


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("flink-job")


@pytest.fixture(scope="module")
def mixed_csv(workdir: Path) -> Path:
    """A generated mixed-domain file with three ragged rows (FileReader quarantines them)."""
    clean = workdir / "mixed-clean.csv"
    write_dataset("mixed", ROWS, clean, seed=11, as_of=AS_OF)
    lines = clean.read_text(encoding="utf-8").splitlines()
    first, second, third = (row + 1 for row in RAGGED_ROWS)  # + the header line
    lines[first] += ",extra"  # one field too many
    lines[second] = lines[second].split(",", 1)[0]  # one field
    lines[third] = "only,two"
    path = workdir / "mixed.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(workdir: Path, mixed_csv: Path) -> dict:
    """`sdp scan`'s violations and tokenized records for the mixed file."""
    reader = FileReader(mixed_csv)
    rows = [row for chunk in reader for row in chunk.rows.tolist()]
    return {
        **scan_reference(mixed_csv, workdir, TOKEN_KEY, AS_OF),
        "rows": rows,
        "quarantined": reader.quarantined,
    }


def test_tokenize_matches_sdp_scan_and_loads_into_postgres(
    workdir: Path, mixed_csv: Path, reference: dict, database_url: str
) -> None:
    staging = workdir / "tokenize"
    # Small stream elements and flushes: many batches, both lanes, count and end-of-input flushes.
    log = assert_succeeded(
        run_job(
            mixed_csv, staging, "tokenize", "--parallelism", "2", "--batch-rows", "400", "--flush-rows", "300"
        )
    )

    violations = staged_violations(staging)
    assert violations == reference["violations"]
    assert len(violations) > ROWS // 2  # the generated file is full of identifiers

    manifest = StagedManifest.read(staging)
    summary = reference["summary"]
    assert (manifest.engine, manifest.domain, manifest.anonymize) == ("flink", summary.domain, "tokenize")
    assert manifest.anonymized_columns == summary.anonymized_columns
    assert manifest.columns == summary.columns
    assert (manifest.records_in, manifest.records_staged, manifest.records_quarantined) == (ROWS, ROWS - 3, 3)
    assert manifest.violations == len(violations)
    assert manifest.pure_processing_s > 0

    # Lanes: urgent = the rows with a violation, batched = the rest; together every staged row.
    details = manifest.details
    lanes = details["lanes"]
    assert lanes["urgent"] == len({v[0] for v in violations})
    assert lanes["urgent"] > 0 and lanes["batched"] > 0
    assert lanes["urgent"] + lanes["batched"] == manifest.records_staged
    assert details["parallelism"] == 2 and details["batches"] == -(-(ROWS - 3) // 400)
    assert details["part_files"]["batched"] > details["parallelism"] * 2  # count flushes happened
    assert f"urgent={lanes['urgent']} batched={lanes['batched']}" in log
    logs = flink_logs(staging)
    assert "detect+urgent-lane" in logs and "batched-lane" in logs  # the operators really ran in Flink
    assert TOKEN_KEY not in logs, "the token key leaked into Flink's log"

    quarantine = pq.read_table(staging / QUARANTINE)
    assert quarantine.column("row").to_pylist() == list(RAGGED_ROWS)
    assert quarantine.column("reason").to_pylist() == [q.reason for q in reference["quarantined"]]

    records = staged_records(staging)
    assert records.column(ROW_COLUMN).to_pylist() == reference["rows"]
    tokenized = [c for c, method in manifest.anonymized_columns.items() if method == "tokenize"]
    assert tokenized
    for name in tokenized:
        assert pc.all(pc.match_substring_regex(records.column(name), BLANK_OR_TOKEN)).as_py(), name
    # Every column of every row, urgent or batched lane: the reference's anonymized file.
    assert records.drop_columns([ROW_COLUMN]).equals(reference["records"], check_metadata=False)
    assert not list(staging.glob("_work")) and not list(staging.rglob(".*.tmp"))

    file_id, job_id = new_file_and_job(database_url, mixed_csv)
    result = load_staged(database_url, staging, file_id=file_id, job_id=job_id)
    assert (result.records_loaded, result.violations_loaded, result.quarantined) == (
        ROWS - 3,
        len(violations),
        3,
    )
    assert loaded_rows(database_url, file_id) == (ROWS - 3, ROWS - 3, 0, ROWS - 1)


def test_a_tab_file_stages_as_its_comma_twin(workdir: Path, mixed_csv: Path, reference: dict) -> None:
    """A tab-delimited dump is split into its columns on the hybrid route: the comma file's
    violations, columns and quarantined (ragged) rows."""
    tab = workdir / "mixed_tab.csv"
    with (
        open(mixed_csv, newline="", encoding="utf-8") as source,
        open(tab, "w", newline="", encoding="utf-8") as target,
    ):
        csv.writer(target, delimiter="\t").writerows(csv.reader(source))
    staging = workdir / "tab"
    assert_succeeded(run_job(tab, staging, "tokenize"))

    assert staged_violations(staging) == reference["violations"]
    manifest = StagedManifest.read(staging)
    assert manifest.columns == reference["summary"].columns
    assert (manifest.records_in, manifest.records_staged, manifest.records_quarantined) == (ROWS, ROWS - 3, 3)
    assert pq.read_table(staging / QUARANTINE).column("row").to_pylist() == list(RAGGED_ROWS)


def test_kill_mid_run_then_retry_loads_every_row_once(workdir: Path, database_url: str) -> None:
    source = workdir / "healthcare-large.csv"
    write_dataset("healthcare", CRASH_ROWS, source, seed=3, as_of=AS_OF)
    staging = workdir / "crash"
    argv, env = job_command(source, staging, "tokenize", "--parallelism", "2")

    # Its own session: the job, Flink's JVM and the JVM's Python workers share one process group.
    errors = (workdir / "crash-stderr.txt").open("w")
    job = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
    try:
        wait_until(
            lambda: any((staging / RECORDS).glob("*.parquet")) or job.poll() is not None,
            JOB_TIMEOUT_S,
            "the first part file",
        )
        assert job.poll() is None, (workdir / "crash-stderr.txt").read_text()[-4000:]
        assert len(processes_in_group(job.pid)) >= 3, processes_in_group(job.pid)  # client, JVM, workers
        os.killpg(job.pid, signal.SIGKILL)
    finally:
        job.wait(timeout=60)
        errors.close()
    wait_until(lambda: not processes_in_group(job.pid), 60, "every process of the killed job to exit")
    assert not (staging / MANIFEST).exists(), "the job was killed mid-run: no completeness signal"
    partial = len(list((staging / RECORDS).glob("*.parquet")))
    assert partial >= 1

    # The task retry: same arguments, same staging folder.
    assert_succeeded(run_job(source, staging, "tokenize", "--parallelism", "2"))
    manifest = StagedManifest.read(staging)
    assert manifest.records_staged == CRASH_ROWS
    assert manifest.details["lanes"]["urgent"] + manifest.details["lanes"]["batched"] == CRASH_ROWS

    file_id, job_id = new_file_and_job(database_url, source)
    result = load_staged(database_url, staging, file_id=file_id, job_id=job_id)
    assert result.records_loaded == CRASH_ROWS
    assert loaded_rows(database_url, file_id) == (CRASH_ROWS, CRASH_ROWS, 0, CRASH_ROWS - 1)


def test_empty_file_writes_error_and_exits_2(workdir: Path) -> None:
    path = workdir / "empty.csv"
    path.write_bytes(b"")
    staging = workdir / "bad"

    done = run_job(path, staging, "tokenize")

    assert done.returncode == 2, done.stderr[-4000:]
    error = json.loads((staging / "error.json").read_text())
    assert set(error) == {"reason"} and "empty" in error["reason"]
    assert not (staging / MANIFEST).exists()
    message = [line for line in done.stderr.splitlines() if line.startswith("sdp-flink ")]
    assert len(message) == 1 and "bad input" in message[0]
