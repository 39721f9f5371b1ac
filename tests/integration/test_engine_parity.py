"""One core, three engines: the same generated file forced through the batch route (spark-submit),
the hybrid route (PyFlink) and the stream route (Kafka + the consumer service, into PostgreSQL)
gives identical violations (row, field, type, regulation, severity, rule), identical tokens for
every direct identifier, and vault entries for the same reversible tokens. Each engine is the real thing; the stream route's output is read back
from PostgreSQL through the same staged export the DAG validates."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from compliance.generator import write_dataset
from compliance.vault import MasterKey, WrappedKey, decrypt_value
from include.db.files import register_file, set_file_status, sha256_of, start_job
from include.hybrid import hybrid_command
from include.ingest import engine_arguments
from include.settings import REPO_ROOT, Settings, spark_conf_args
from include.stack.context import StackContext
from include.staging import RECORDS, ROW_COLUMN, VAULT, VIOLATIONS, StagedManifest
from include.ticket import FileTicket
from tests.conftest import STREAM_TEST_INSTANCE
from tests.integration.staged_output import VIOLATION_FIELDS
from tests.integration.test_streaming import ConsumerProcess

pytestmark = pytest.mark.integration

TOKEN_KEY = "parity-test-key-0123456789abcdef"
ROWS = 4000
VENV_BIN = Path(sys.executable).parent


def _ticket(settings: Settings, source: Path, engine: str, staging: Path) -> FileTicket:
    """A registered file and an open job, as the DAG's register and route steps leave them."""
    digest = sha256_of(source)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        record = register_file(conn, str(source), digest, source.stat().st_size, "csv")
        job_id = start_job(conn, record.id, engine, f"test: engine parity ({engine})")
        set_file_status(conn, record.id, "processing")
    return FileTicket(
        path=str(source), name=source.name, sha256=digest, size_bytes=source.stat().st_size,
        file_id=record.id, duplicate=False, reprocess=True, job_id=job_id, route=None, engine=engine,
        domain="auto", anonymize="tokenize", staging_dir=str(staging),
    )  # fmt: skip


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=REPO_ROOT)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    assert TOKEN_KEY not in done.stdout + done.stderr


# The engines' token key; `extra_env` of the runners below goes to the engine's environment only
# (spark-submit's, the Flink job's, the stream consumer's), never to this process.
KEYS = {"SDP_TOKEN_KEY": TOKEN_KEY, "SDP_TOKEN_KEY_ID": "k1"}


def run_batch(settings: Settings, ticket: FileTicket, extra_env: dict[str, str] | None = None) -> None:
    env = {**os.environ, **StackContext(settings).pipeline_env(), **KEYS, **(extra_env or {}),
           "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # fmt: skip
    command = [str(VENV_BIN / "spark-submit"), "--master", "local[2]", *spark_conf_args(),
               str(REPO_ROOT / "spark_jobs" / "compliance_batch.py"), *engine_arguments(ticket)]  # fmt: skip
    _run(command, env)


def run_hybrid(settings: Settings, ticket: FileTicket, extra_env: dict[str, str] | None = None) -> None:
    argv, env = hybrid_command(engine_arguments(ticket), settings)
    # The stack passes its vault key to every pipeline process; hybrid_command only forwards this
    # process's settings, which do not hold it.
    vault_key = {"SDP_VAULT_KEY": StackContext(settings).vault_key}
    _run(argv, {**env, **vault_key, **KEYS, **(extra_env or {})})


def run_stream(
    settings: Settings, ticket: FileTicket, log_dir: Path, extra_env: dict[str, str] | None = None
) -> None:
    from include import ingest_stream
    from include.streaming.status import file_progress

    env = StackContext(settings).pipeline_env()
    env.update(KEYS, **(extra_env or {}), SDP_STREAM_CONSUMER_INSTANCE=STREAM_TEST_INSTANCE)
    consumer = ConsumerProcess(env, log_dir / "consumer.log").start()
    try:
        ingest_stream.publish(ticket, s=settings)
        deadline = time.monotonic() + 300
        while True:
            with psycopg.connect(settings.database_url) as conn:
                progress = file_progress(conn, ticket.job_id)
            if progress is not None and progress.completed:
                break
            assert consumer.proc.poll() is None, consumer.log()[-3000:]
            assert time.monotonic() < deadline, (
                f"stream job not complete: {progress}\n{consumer.log()[-3000:]}"
            )
            time.sleep(0.5)
        ingest_stream.stage(ticket, s=settings)
    finally:
        consumer.stop()


def staged(folder: Path) -> tuple[set[tuple], pa.Table, StagedManifest]:
    violations = ds.dataset(folder / VIOLATIONS, format="parquet").to_table()
    found = set(zip(*(violations.column(k).to_pylist() for k in VIOLATION_FIELDS), strict=True))
    assert len(found) == violations.num_rows, "one violation per (row, field, type)"
    records = ds.dataset(folder / RECORDS, format="parquet").to_table().sort_by(ROW_COLUMN)
    return found, records, StagedManifest.read(folder)


def test_batch_stream_and_hybrid_agree(
    services: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "SDP_TOKEN_KEY", TOKEN_KEY
    )  # the stream's staged export plans with the key's tokenizer
    source = tmp_path / "parity-mixed.csv"
    write_dataset("mixed", ROWS, source, seed=2024)
    outputs = {}
    for engine, run in (("spark", run_batch), ("flink", run_hybrid), ("stream", run_stream)):
        staging = tmp_path / f"staged-{engine}"
        ticket = _ticket(services, source, engine, staging)
        if engine == "stream":
            run(services, ticket, tmp_path)
        else:
            run(services, ticket)
        outputs[engine] = staged(staging)

    violations = {engine: found for engine, (found, _, _) in outputs.items()}
    assert len(violations["spark"]) > ROWS, "a mixed file has several violations per row"
    assert violations["spark"] == violations["flink"] == violations["stream"]

    manifests = {engine: manifest for engine, (_, _, manifest) in outputs.items()}
    assert {m.engine for m in manifests.values()} == {"spark", "flink", "stream"}
    plans = {engine: m.anonymized_columns for engine, m in manifests.items()}
    assert plans["spark"] == plans["flink"] == plans["stream"]
    tokenized = sorted(column for column, method in plans["spark"].items() if method == "tokenize")
    assert len(tokenized) >= 4, plans["spark"]

    records = {engine: table for engine, (_, table, _) in outputs.items()}
    rows = records["spark"].column(ROW_COLUMN).to_pylist()
    assert rows == list(range(ROWS))
    for engine in ("flink", "stream"):
        assert records[engine].column(ROW_COLUMN).to_pylist() == rows, engine
        for column in tokenized:
            assert (
                records[engine].column(column).to_pylist() == records["spark"].column(column).to_pylist()
            ), (
                engine,
                column,
            )
    # Every anonymized column agrees too (free text scrubbed, positions coarsened, ...).
    for column in plans["spark"]:
        values = {engine: records[engine].column(column).to_pylist() for engine in records}
        assert values["spark"] == values["flink"] == values["stream"], column

    # The vault: Spark and Flink stage entries for the same reversible tokens, each under its
    # job's data key; the stream consumer stored the same tokens in PostgreSQL.
    master = MasterKey.from_text(StackContext(services).pipeline_env()["SDP_VAULT_KEY"])
    vault_tokens = {}
    for engine in ("spark", "flink"):
        manifest = manifests[engine]
        entries = ds.dataset(tmp_path / f"staged-{engine}" / VAULT, format="parquet").to_table()
        assert manifest.vault["entries"] == entries.num_rows, engine
        assert set(entries.column("key_id").to_pylist()) == {manifest.vault["key_id"]}, engine
        data_key = WrappedKey.from_json(manifest.vault).unwrap(master)
        for row in entries.slice(0, 50).to_pylist():
            decrypt_value(data_key, row["token"], row["nonce"], row["ciphertext"])  # raises if not
        vault_tokens[engine] = set(entries.column("token").to_pylist())
    assert len(vault_tokens["spark"]) > ROWS // 2
    assert vault_tokens["spark"] == vault_tokens["flink"]
    with psycopg.connect(services.database_url) as conn:
        stored = {
            token
            for (token,) in conn.execute(
                "SELECT token FROM identity_vault WHERE token = ANY(%s)", (sorted(vault_tokens["spark"]),)
            )
        }
        by_stream = {
            token
            for (token,) in conn.execute(
                "SELECT v.token FROM identity_vault v JOIN data_files f ON f.id = v.file_id "
                "WHERE f.sha256 = %s",
                (manifests["stream"].sha256,),
            )
        }
    assert stored == vault_tokens["spark"]
    assert by_stream <= vault_tokens["spark"]


def test_a_subject_loaded_by_every_route_is_erased_everywhere(
    services: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One person (the same SSN) in three files, each loaded by a real engine of its own route:
    one erasure request removes them from all three, and no table holds their token afterwards."""
    import csv

    from include.db.loader import load_staged
    from include.subjects.erasure import erase_subject, token_locations

    monkeypatch.setenv("SDP_TOKEN_KEY", TOKEN_KEY)  # the stream's staged export plans with it
    ssn = "536-22-1234"
    tickets = {}
    for seed, (engine, run) in enumerate(
        (("spark", run_batch), ("flink", run_hybrid), ("stream", run_stream))
    ):
        generated = tmp_path / f"generated-{engine}.csv"
        write_dataset("healthcare", 300, generated, seed=300 + seed)
        with generated.open(newline="") as f:
            rows = list(csv.reader(f))
        rows[1 + 7][rows[0].index("ssn")] = ssn  # data row 7 (after the header)
        source = tmp_path / f"subject-{engine}.csv"
        with source.open("w", newline="") as f:
            csv.writer(f).writerows(rows)
        ticket = _ticket(services, source, engine, tmp_path / f"subject-staged-{engine}")
        if engine == "stream":
            run(services, ticket, tmp_path)  # the consumer loads as it goes
        else:
            run(services, ticket)
            load_staged(
                services.database_url, ticket.staging_dir, file_id=ticket.file_id, job_id=ticket.job_id
            )
        tickets[engine] = ticket

    with psycopg.connect(services.database_url) as conn:
        loaded = conn.execute(
            "SELECT file_id, payload->>'ssn' FROM data_records WHERE file_id = ANY(%s) AND row_number = 7",
            ([t.file_id for t in tickets.values()],),
        ).fetchall()
        tokens = {token for _, token in loaded}
        assert len(loaded) == 3 and len(tokens) == 1, "each route loaded the subject under the same token"
        (token,) = tokens
        assert token.startswith("SSN_k1_")
        assert ("data_records", "payload") in token_locations(conn, token)
        assert ("identity_vault", "token") in token_locations(conn, token)

        result = erase_subject(conn, token, key=TOKEN_KEY.encode(), actor="test-operator", reason="DSR-3")
        assert result.records == 3 and set(result.files) == {t.file_id for t in tickets.values()}
        assert result.violations >= 3 and result.vault_entries >= 1
        assert token_locations(conn, token) == []
        for ticket in tickets.values():
            (left,) = conn.execute(
                "SELECT count(*) FROM data_records WHERE file_id = %s", (ticket.file_id,)
            ).fetchone()
            assert left == 299, ticket.engine
