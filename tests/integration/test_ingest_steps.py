"""The ingest steps without a scheduler, against real PostgreSQL and real Great Expectations:
a staged output that fails validation is never loaded, and its file ends in quarantine with the
GX summary as the reason."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.generator import write_dataset
from compliance.io import FileReader
from compliance.pipeline import CompliancePipeline
from include import ingest
from include.settings import Settings, load_settings
from include.staging import (
    MANIFEST,
    QUARANTINE_SCHEMA,
    RECORDS,
    ROW_COLUMN,
    StagedManifest,
    write_staged_output,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(services: Settings, tmp_path: Path) -> Settings:
    # The session's database and broker, with data zones of this test's own.
    return load_settings({**services.environ, "SDP_DATA_DIR": str(tmp_path / "data")})


def stage_with_core(path: Path, folder: Path) -> StagedManifest:
    """What an engine does, in-process: the core over the file, written in the staging format."""
    pipeline = CompliancePipeline(anonymize="tokenize", tokenizer=Tokenizer(TokenKey("k1", b"x" * 32)),
                                  as_of=dt.date.today())  # fmt: skip
    reader = FileReader(path)
    records, violations = [], []
    for chunk in reader:
        result = pipeline.process(chunk.batch, chunk.rows)
        records.append(result.batch.add_column(0, ROW_COLUMN, pa.array(result.rows, pa.int64())))
        violations.append(result.violations)
    folder.mkdir(parents=True)
    manifest = StagedManifest(
        source_path=str(path), sha256="", format=reader.format, domain=pipeline.domain, engine="spark",
        anonymize="tokenize", records_in=reader.records_seen, records_staged=reader.rows_read,
        records_quarantined=0, records_suppressed=0, violations=sum(v.num_rows for v in violations),
        pre_processing_s=0.1, pure_processing_s=0.2, post_processing_s=0.1,
        columns=[{"field": c.field, "role": str(c.role), "id_type": c.id_type and str(c.id_type),
                  "quasi_kind": c.quasi_kind, "evidence": c.evidence} for c in pipeline.classes],
        anonymized_columns=pipeline.anonymized_columns(),
    )  # fmt: skip
    write_staged_output(
        folder,
        pa.Table.from_batches(records),
        pa.concat_tables(violations),
        QUARANTINE_SCHEMA.empty_table(),
        manifest,
    )
    return manifest


def test_failed_validation_quarantines_the_file_and_loads_nothing(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "patients.csv"
    write_dataset("healthcare", 500, source, seed=42)
    settings.inbox_dir.mkdir(parents=True)
    path = settings.inbox_dir / "patients.csv"
    path.write_bytes(source.read_bytes())

    actor = "test/run/step"
    ticket = ingest.register(str(path), actor=actor, s=settings)
    ticket = ingest.classify_and_route(ticket, actor=actor, dag_id="test", run_id="run", s=settings)
    manifest = stage_with_core(path, Path(ticket.staging_dir))
    assert ingest.validate(ticket, actor=actor, s=settings).success

    # An engine bug leaves one raw SSN in the tokenized column.
    table = pq.read_table(Path(ticket.staging_dir) / RECORDS)
    ssn = table.column("ssn").to_pylist()
    index = next(i for i, v in enumerate(ssn) if v)
    ssn[index] = "123-45-6789"
    table = table.set_column(table.schema.get_field_index("ssn"), "ssn", pa.array(ssn, pa.string()))
    pq.write_table(table, Path(ticket.staging_dir) / RECORDS)

    report = ingest.validate(ticket, actor=actor, s=settings)
    assert not report.success and any(f.get("column") == "ssn" for f in report.failures)
    failure = {"success": False, "suite": report.suite, "failed": report.failed, "failures": report.failures}
    assert (
        ingest.finalize(ticket, actor=actor, loaded=None, validation_failure=failure, s=settings)
        == "quarantined"
    )

    with psycopg.connect(settings.database_url) as conn:
        assert conn.execute("SELECT status FROM data_files WHERE id = %s", (ticket.file_id,)).fetchone() == (
            "quarantined",
        )
        assert conn.execute(
            "SELECT count(*) FROM data_records WHERE file_id = %s", (ticket.file_id,)
        ).fetchone() == (0,)
        reasons = conn.execute(
            "SELECT reason FROM data_quarantine WHERE file_id = %s", (ticket.file_id,)
        ).fetchall()
        assert len(reasons) == 1 and "validation failed" in reasons[0][0] and "ssn" in reasons[0][0]
        stored = conn.execute(
            "SELECT success, summary FROM data_validation_results WHERE file_id = %s ORDER BY id",
            (ticket.file_id,),
        ).fetchall()
        assert [s for s, _ in stored] == [True, False]
        assert "123-45-6789" not in json.dumps(stored[1][1])
        actions = [a for (a,) in conn.execute("SELECT action FROM system_audit_log WHERE object_id IN (%s, %s)",
                                              (str(ticket.file_id), str(ticket.job_id)))]  # fmt: skip
        assert {"sensed", "classified", "routed", "processed", "validated", "quarantined"} <= set(actions)
    kept = list(settings.quarantine_dir.glob("*/patients.csv"))
    assert len(kept) == 1 and kept[0].read_bytes() == source.read_bytes(), "evidence kept, nothing deleted"
    assert "validation failed" in (kept[0].parent / "REASON.txt").read_text()
    assert (Path(ticket.staging_dir) / MANIFEST).exists(), "the staged evidence stays for review"
    assert manifest.records_staged == 500


def test_a_job_no_engine_ran_is_labelled_none(settings: Settings, tmp_path: Path) -> None:
    """Duplicates and unreadable files open a job row, but no engine did any work for them."""
    from compliance.io import InputError

    settings.inbox_dir.mkdir(parents=True)
    actor = "test/run/step"
    unreadable = settings.inbox_dir / "broken.parquet"
    unreadable.write_bytes(b"not a parquet file at all")
    ticket = ingest.register(str(unreadable), actor=actor, s=settings)
    with pytest.raises(InputError):
        ingest.classify_and_route(ticket, actor=actor, dag_id="test", run_id="run", s=settings)
    duplicate = ingest.register(str(unreadable), actor=actor, s=settings)
    duplicate.duplicate = True  # as if these bytes had been loaded before
    ingest.record_duplicate(duplicate, actor=actor, dag_id="test", run_id="run", s=settings)

    with psycopg.connect(settings.database_url) as conn:
        jobs = conn.execute(
            "SELECT engine, status, route_reason FROM data_processing_jobs WHERE id IN (%s, %s) ORDER BY id",
            (ticket.job_id, duplicate.job_id),
        ).fetchall()
    assert [(engine, status) for engine, status, _ in jobs] == [("none", "running"), ("none", "duplicate")]
    assert jobs[0][2].startswith("unreadable: ")
