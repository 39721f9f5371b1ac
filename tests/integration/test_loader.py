"""The PostgreSQL loader against a real server: load, duplicate, atomic reprocess, reconciliation
failures rolled back, concurrent loads, payload shape, and the 200k-row load speed."""

from __future__ import annotations

import base64
import hashlib
import random
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from include.db.files import FileRecord, register_file, start_job
from include.db.loader import LoadResult, StagedSetError, load_staged
from include.db.migrate import apply_migrations
from include.db.sql import load_sql
from include.db.token_digests import digest_keys
from include.staging import (
    QUARANTINE,
    RECORDS,
    ROW_COLUMN,
    VIOLATIONS,
    StagedManifest,
    remove_staged,
    write_staged_output,
)
from tests.integration.refused_commit import commit_refused_for_file
from tests.integration.staged_output import quarantine_table, violations_table

pytestmark = pytest.mark.integration

# Values that CSV quoting, NULL handling and JSON must carry through unchanged.
TRICKY_VALUES = [
    'a "quoted", value',
    "line\nbreak",
    "",
    "back\\slash",
    "ünïcødé ✓",
    "  padded  ",
    "\\N",
    "tab\tbell\x07",
    '{"k": 1}',
    "\\u0041",
]


def new_sha256() -> str:
    return hashlib.sha256(uuid.uuid4().bytes).hexdigest()


def record_value(column: str, row: int, variant: str) -> str | None:
    if column == "notes" and row % 7 == 3:
        return None
    if column == "notes":
        return TRICKY_VALUES[row % len(TRICKY_VALUES)]
    return f"tok_{variant}_{column}_{row:06d}"


def write_staged(
    folder: Path,
    sha256: str,
    *,
    records_in: int = 20,
    quarantined: tuple[int, ...] = (3, 7),
    suppressed: tuple[int, ...] = (),
    columns: tuple[str, ...] = ("patient_name", "email", "notes"),
    variant: str = "a",
    violations: list[tuple] | None = None,
) -> StagedManifest:
    """A staged set like an engine writes it: every staged row gets an EMAIL violation and every
    third row an SSN one in notes, unless `violations` is given."""
    skipped = set(quarantined) | set(suppressed)
    rows = [r for r in range(records_in) if r not in skipped]
    table = {ROW_COLUMN: pa.array(rows, pa.int64())}
    for column in columns:
        table[column] = pa.array([record_value(column, r, variant) for r in rows], pa.string())
    if violations is None:
        violations = [(r, "email", "EMAIL", "GDPR", "medium", "gdpr.email") for r in rows]
        violations += [(r, "notes", "SSN", "HIPAA", "high", "hipaa.ssn") for r in rows if r % 3 == 0]
    quarantine = quarantine_table([{"row": r, "reason": "unparseable row"} for r in quarantined])
    manifest = StagedManifest(
        source_path=f"/landing/{sha256[:8]}.csv",
        sha256=sha256,
        format="csv",
        domain="healthcare",
        engine="local",
        anonymize="tokenize",
        records_in=records_in,
        records_staged=len(rows),
        records_quarantined=len(quarantined),
        records_suppressed=len(suppressed),
        violations=len(violations),
        pre_processing_s=0.5,
        pure_processing_s=2.0,
        post_processing_s=0.25,
    )
    write_staged_output(folder, pa.table(table), violations_table(violations), quarantine, manifest)
    return manifest


@pytest.fixture(scope="module")
def db(database_url: str) -> str:
    # The server may predate this suite's newest migrations (a stack left running by `make up`).
    apply_migrations(database_url)
    return database_url


def new_file(db: str, sha256: str) -> FileRecord:
    with psycopg.connect(db) as conn:
        return register_file(conn, f"/landing/{sha256[:8]}.csv", sha256, 1234, "csv")


def new_job(db: str, file_id: int) -> int:
    with psycopg.connect(db) as conn:
        return start_job(conn, file_id, "local", "test", "dag", f"run-{uuid.uuid4().hex[:8]}")


def file_counts(db: str, file_id: int) -> tuple[int, int, int]:
    """(records, violations, quarantine rows) of a file, read in one snapshot."""
    with psycopg.connect(db) as conn:
        return conn.execute(
            """SELECT (SELECT count(*) FROM data_records WHERE file_id = %(f)s),
                      (SELECT count(*) FROM data_compliance_violations WHERE file_id = %(f)s),
                      (SELECT count(*) FROM data_quarantine WHERE file_id = %(f)s)""",
            {"f": file_id},
        ).fetchone()


def job_row(db: str, job_id: int) -> dict:
    with psycopg.connect(db, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute("SELECT * FROM data_processing_jobs WHERE id = %s", (job_id,)).fetchone()


def file_row(db: str, file_id: int) -> dict:
    with psycopg.connect(db, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute("SELECT * FROM data_files WHERE id = %s", (file_id,)).fetchone()


def test_load_then_same_file_again_is_a_duplicate(db: str, tmp_path: Path) -> None:
    sha = new_sha256()
    manifest = write_staged(tmp_path / "staged", sha)
    file = new_file(db, sha)
    job = new_job(db, file.id)

    result = load_staged(db, tmp_path / "staged", file_id=file.id, job_id=job)

    assert result == LoadResult(18, manifest.violations, 2, duplicate=False, seconds=result.seconds)
    assert file_counts(db, file.id) == (18, manifest.violations, 2)
    loaded_job = job_row(db, job)
    assert loaded_job["status"] == "succeeded"
    assert loaded_job["finished_at"] is not None
    assert (loaded_job["records_in"], loaded_job["records_loaded"], loaded_job["records_quarantined"]) == (
        20,
        18,
        2,
    )
    assert loaded_job["violations"] == manifest.violations
    assert (loaded_job["pre_processing_s"], loaded_job["pure_processing_s"]) == (0.5, 2.0)
    assert loaded_job["post_processing_s"] == 0.25
    assert loaded_job["records_per_second"] == pytest.approx(10.0)
    stored = file_row(db, file.id)
    assert (stored["status"], stored["domain"], stored["row_count"]) == ("loaded", "healthcare", 20)

    # Same content landing again: the registry returns the same file, the loader loads nothing.
    again = new_file(db, sha)
    assert (again.id, again.is_new) == (file.id, False)
    second_job = new_job(db, file.id)
    second = load_staged(db, tmp_path / "staged", file_id=file.id, job_id=second_job)
    assert (second.duplicate, second.records_loaded, second.violations_loaded) == (True, 0, 0)
    assert file_counts(db, file.id) == (18, manifest.violations, 2)
    assert job_row(db, second_job)["status"] == "duplicate"


def test_payload_holds_the_anonymized_row_without_row_column(db: str, tmp_path: Path) -> None:
    sha = new_sha256()
    write_staged(tmp_path / "staged", sha, records_in=40, quarantined=())
    file = new_file(db, sha)
    load_staged(db, tmp_path / "staged", file_id=file.id, job_id=new_job(db, file.id))

    expected = pq.read_table(tmp_path / "staged" / RECORDS).to_pylist()
    with psycopg.connect(db) as conn:
        stored = conn.execute(
            "SELECT row_number, payload FROM data_records WHERE file_id = %s ORDER BY row_number", (file.id,)
        ).fetchall()
    assert [row for row, _ in stored] == [r[ROW_COLUMN] for r in expected]
    for (_, payload), row in zip(stored, expected, strict=True):
        assert ROW_COLUMN not in payload
        assert payload == {k: v for k, v in row.items() if k != ROW_COLUMN}
    payload_notes = [payload["notes"] for _, payload in stored]
    assert None in payload_notes and "" in payload_notes  # NULL and empty string stay distinct
    assert set(TRICKY_VALUES) <= set(payload_notes)


# Values where a digest may or may not be: whole tokens, tokens in free text, near misses (23
# characters, a capital, a digit outside 2-7), runs of "_", escapes JSON adds, non-ASCII.
DIGEST = "abcdefghijklmnopqrstuvwx"
DIGEST_VALUES = [
    f"SSN_k1_{DIGEST}",
    f"PHONE_k1_{DIGEST[::-1]}_0042",
    f"call EMAIL_k1_{'234567' * 4} or PERSON_NAME_k1_{'a2' * 12}, then _{DIGEST}zzz_{DIGEST[:23]}",
    f"__{DIGEST}__{DIGEST.upper()}_{DIGEST[:10]}8{DIGEST[11:]}",
    f'"_{DIGEST}"\\_{DIGEST}\n_{DIGEST}\t\x07_{DIGEST[:-1]}ü_ü{DIGEST}',
    f"_{DIGEST}_{DIGEST}",
    f"no underscore {DIGEST}",
    "",
    None,
]


def test_stored_token_keys_are_those_of_the_payload(db: str, tmp_path: Path) -> None:
    """The loader's token_keys column (computed from the staged Arrow data) holds exactly the keys
    sdp_token_keys finds in the payload's JSON text, keys included."""
    sha = new_sha256()
    staged = tmp_path / "staged"
    rows = list(range(len(DIGEST_VALUES) ** 2))
    columns = {
        ROW_COLUMN: pa.array(rows, pa.int64()),
        "notes": pa.array([DIGEST_VALUES[r % len(DIGEST_VALUES)] for r in rows], pa.string()),
        "contact": pa.array([DIGEST_VALUES[r // len(DIGEST_VALUES)] for r in rows], pa.string()),
        f"key_{'q' * 24}": pa.array(["x"] * len(rows), pa.string()),
    }
    write_staged(staged, sha, records_in=len(rows), quarantined=(), violations=[])
    pq.write_table(pa.table(columns), staged / RECORDS)
    file = new_file(db, sha)
    load_staged(db, staged, file_id=file.id, job_id=new_job(db, file.id))

    with psycopg.connect(db) as conn:
        stored = conn.execute(
            """SELECT token_keys, sdp_token_keys(payload) FROM data_records
               WHERE file_id = %s ORDER BY row_number""",
            (file.id,),
        ).fetchall()
        name_key = conn.execute("SELECT sdp_digest_key(%s)", ("q" * 24,)).fetchone()[0]
    assert len(stored) == len(rows)
    assert [column for column, _ in stored] == [expression for _, expression in stored]
    assert all(name_key in column for column, _ in stored)
    assert any(len(column) >= 4 for column, _ in stored)


def test_digest_keys_are_postgresqls(db: str) -> None:
    """digest_keys (numpy) computes sdp_digest_key's values on real digests, and
    sdp_key_digest_prefix gives back the characters a key was read from."""
    rng = random.Random(15)
    digests = ["a" * 24, "7" * 24, DIGEST, DIGEST[::-1], "234567" * 4]
    digests += [base64.b32encode(rng.randbytes(15)).decode().lower() for _ in range(200)]
    with psycopg.connect(db) as conn:
        found = conn.execute(
            """SELECT sdp_digest_key(d), sdp_key_digest_prefix(sdp_digest_key(d))
               FROM unnest(%s::text[]) WITH ORDINALITY AS t (d, n) ORDER BY n""",
            (digests,),
        ).fetchall()
    assert digest_keys(pa.array(digests)).tolist() == [key for key, _ in found]
    assert [prefix for _, prefix in found] == [d[:12] for d in digests]


def test_migration_0014_backfills_the_keys_of_stored_digests(services, tmp_path: Path) -> None:
    """Rows stored under 0012 (with or without token_digests) keep being found after 0014: the
    stored digests become their keys, rows without them stay for the payload expression."""
    from psycopg import sql

    from include.db.migrate import MIGRATIONS_DIR
    from include.stack.context import StackContext
    from include.stack.services import admin_conninfo

    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.name < "0014":
            (earlier / path.name).write_text(path.read_text())
    name = f"keys_{uuid.uuid4().hex[:8]}"
    admin = admin_conninfo(StackContext(services))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER sdp_writer").format(sql.Identifier(name)))
    url = f"{services.database_url.rsplit('/', 1)[0]}/{name}"
    try:
        apply_migrations(url, earlier)
        file = new_file(url, new_sha256())
        job_id = new_job(url, file.id)
        with psycopg.connect(url) as conn:
            for row, value in enumerate(DIGEST_VALUES[:5]):
                conn.execute(
                    "INSERT INTO data_records (file_id, job_id, row_number, payload, token_digests) "
                    "SELECT %s, %s, %s, p, CASE WHEN %s THEN sdp_token_digests(p) END "
                    "FROM jsonb_build_object('notes', %s::text) AS p",
                    (file.id, job_id, row, row % 2 == 0, value),
                )
        apply_migrations(url)
        with psycopg.connect(url) as conn:
            stored = conn.execute(
                "SELECT row_number, token_keys, sdp_token_keys(payload) FROM data_records ORDER BY row_number"
            ).fetchall()
            columns = {r[0] for r in conn.execute("SELECT attname FROM pg_attribute "
                                                  "WHERE attrelid = 'data_records'::regclass AND attnum > 0")}  # fmt: skip
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    assert [keys for row, keys, _ in stored if row % 2] == [None, None]
    assert [keys for row, keys, _ in stored if row % 2 == 0] == [
        found for row, _, found in stored if row % 2 == 0
    ]
    assert all(len(found) >= 1 for _, _, found in stored)
    assert "token_keys" in columns and "token_digests" not in columns


def test_a_loaded_staging_folder_is_removed_and_nothing_outside_staging(db: str, tmp_path: Path) -> None:
    """What finalize does once the load committed: the job's folder goes, then its file's folder
    when no other job of the file stages there; a folder outside the staging root is refused."""
    root = tmp_path / "staging"
    sha = new_sha256()
    first, second = root / sha / "1", root / sha / "2"
    write_staged(first, sha)
    write_staged(second, sha)
    file = new_file(db, sha)
    assert not load_staged(db, first, file_id=file.id, job_id=new_job(db, file.id)).duplicate

    assert remove_staged(first, root) and not first.exists()
    assert (root / sha).is_dir(), "another job of the file still stages there"
    assert remove_staged(second, root) and not (root / sha).exists() and root.is_dir()
    assert not remove_staged(second, root)  # a retried finalize finds nothing to remove
    outside = tmp_path / "elsewhere" / "1"
    write_staged(outside, sha)
    with pytest.raises(ValueError, match="not a staging folder"):
        remove_staged(outside, root)
    with pytest.raises(ValueError, match="not a staging folder"):
        remove_staged(root, root)
    assert (outside / "manifest.json").exists()


def test_wide_rows_and_spark_part_directories_load(db: str, tmp_path: Path) -> None:
    """120 columns with names no identifier could hold, written as Spark-style part files."""
    sha = new_sha256()
    columns = tuple(
        f'column "{i:03d}" with spaces, quotes and a name longer than 63 bytes: ü' for i in range(120)
    )
    write_staged(tmp_path / "flat", sha, records_in=30, quarantined=(), columns=columns)
    staged = tmp_path / "staged"
    staged.mkdir()
    for part in (VIOLATIONS, QUARANTINE, "manifest.json"):
        (tmp_path / "flat" / part).rename(staged / part)
    records = pq.read_table(tmp_path / "flat" / RECORDS)
    (staged / RECORDS).mkdir()
    (staged / RECORDS / "_SUCCESS").write_text("")
    pq.write_table(records.slice(0, 10), staged / RECORDS / "part-00000.parquet")
    pq.write_table(records.slice(10), staged / RECORDS / "part-00001.parquet")

    file = new_file(db, sha)
    result = load_staged(db, staged, file_id=file.id, job_id=new_job(db, file.id))

    assert result.records_loaded == 30
    with psycopg.connect(db) as conn:
        payload = conn.execute(
            "SELECT payload FROM data_records WHERE file_id = %s AND row_number = 12", (file.id,)
        ).fetchone()[0]
    assert payload == {c: record_value(c, 12, "a") for c in columns}


def test_reprocess_replaces_the_results_atomically(db: str, tmp_path: Path) -> None:
    sha = new_sha256()
    old = write_staged(tmp_path / "old", sha, records_in=30_000, quarantined=(1, 2, 3), variant="old")
    new = write_staged(tmp_path / "new", sha, records_in=30_000, quarantined=(5,), suppressed=tuple(range(100, 5100)), variant="new")  # fmt: skip
    file = new_file(db, sha)
    load_staged(db, tmp_path / "old", file_id=file.id, job_id=new_job(db, file.id))
    old_counts = (old.records_staged, old.violations, 3)
    new_counts = (new.records_staged, new.violations, 1)
    assert file_counts(db, file.id) == old_counts

    # A reader polling during the replace must only ever see the complete old or new set.
    seen: set[tuple[int, int, int]] = set()
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            seen.add(file_counts(db, file.id))

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        result = load_staged(
            db, tmp_path / "new", file_id=file.id, job_id=new_job(db, file.id), reprocess=True
        )
    finally:
        done.set()
        reader.join()

    assert (result.duplicate, result.records_loaded) == (False, new.records_staged)
    assert file_counts(db, file.id) == new_counts
    assert seen <= {old_counts, new_counts}
    assert len(seen) >= 1
    with psycopg.connect(db) as conn:
        variants = conn.execute(
            "SELECT DISTINCT split_part(payload->>'email', '_', 2) FROM data_records WHERE file_id = %s",
            (file.id,),
        ).fetchall()
    assert variants == [("new",)]


def _bad_violation_count(folder: Path) -> None:
    manifest = StagedManifest.read(folder)
    replace(manifest, violations=manifest.violations + 1).write(folder)


def _duplicate_violation(folder: Path) -> None:
    table = pq.read_table(folder / VIOLATIONS)
    pq.write_table(pa.concat_tables([table, table.slice(0, 1)]), folder / VIOLATIONS)
    manifest = StagedManifest.read(folder)
    replace(manifest, violations=table.num_rows + 1).write(folder)


def _row_out_of_range(folder: Path) -> None:
    table = pq.read_table(folder / RECORDS)
    rows = table.column(ROW_COLUMN).to_pylist()
    rows[-1] = 20  # records_in is 20: valid rows are 0..19
    pq.write_table(table.set_column(0, ROW_COLUMN, pa.array(rows, pa.int64())), folder / RECORDS)


def _bad_severity(folder: Path) -> None:
    """Passes the staged checks, fails the results table's CHECK after the records went in."""
    table = pq.read_table(folder / VIOLATIONS)
    severities = table.column("severity").to_pylist()
    severities[-1] = "urgent"
    pq.write_table(table.set_column(4, "severity", pa.array(severities)), folder / VIOLATIONS)


def _staged_and_quarantined(folder: Path) -> None:
    pq.write_table(
        quarantine_table([{"row": 0, "reason": "x"}, {"row": 7, "reason": "y"}]), folder / QUARANTINE
    )


def _repeated_record_row(folder: Path) -> None:
    table = pq.read_table(folder / RECORDS)
    rows = table.column(ROW_COLUMN).to_pylist()
    rows[-1] = rows[0]
    pq.write_table(table.set_column(0, ROW_COLUMN, pa.array(rows, pa.int64())), folder / RECORDS)


def _repeated_quarantine_row(folder: Path) -> None:
    pq.write_table(
        quarantine_table([{"row": 3, "reason": "x"}, {"row": 3, "reason": "y"}]), folder / QUARANTINE
    )


def _manifest_does_not_add_up(folder: Path) -> None:
    manifest = StagedManifest.read(folder)
    replace(manifest, records_in=manifest.records_in + 1).write(folder)


def _missing_violations(folder: Path) -> None:
    (folder / VIOLATIONS).unlink()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_bad_violation_count, "violations: 19 staged, manifest says 20"),
        (_duplicate_violation, "violations_duplicate_keys: 1"),
        (_row_out_of_range, "records_out_of_range: 1"),
        (_repeated_record_row, "records_duplicate_rows: 1"),
        (_repeated_quarantine_row, "quarantine_duplicate_rows: 1"),
        (_bad_severity, "data_compliance_violations_severity_check"),
        (_staged_and_quarantined, "quarantined_and_staged: 1"),
        (_manifest_does_not_add_up, "manifest does not reconcile"),
        (_missing_violations, "violations.parquet is missing"),
    ],
)
def test_a_staged_set_that_does_not_reconcile_loads_nothing(
    db: str, tmp_path: Path, damage, message: str
) -> None:
    sha = new_sha256()
    staged = tmp_path / "staged"
    write_staged(staged, sha, violations=[(r, "email", "EMAIL", "GDPR", "low", "r") for r in range(20) if r not in (3, 7)] + [(3, "notes", "SSN", "HIPAA", "high", "r")])  # fmt: skip
    damage(staged)
    file = new_file(db, sha)
    job = new_job(db, file.id)

    with pytest.raises((StagedSetError, psycopg.errors.CheckViolation), match=message):
        load_staged(db, staged, file_id=file.id, job_id=job)

    assert file_counts(db, file.id) == (0, 0, 0)
    assert job_row(db, job)["status"] == "running"
    assert file_row(db, file.id)["status"] == "landed"
    # Nothing was left behind: a good staged set of the same file then loads normally.
    write_staged(tmp_path / "good", sha)
    assert not load_staged(db, tmp_path / "good", file_id=file.id, job_id=job).duplicate


def test_violations_of_a_row_in_other_fields_or_types_are_distinct(db: str, tmp_path: Path) -> None:
    """The staged check's violation key is the whole (row, field, type): one row may have a type in
    several fields and several types in one field."""
    sha = new_sha256()
    staged = tmp_path / "staged"
    found = [(0, "email", "EMAIL"), (0, "email", "PHONE"), (0, "notes", "EMAIL"), (1, "email", "EMAIL")]
    write_staged(staged, sha, violations=[(*key, "GDPR", "low", "r") for key in found])
    file = new_file(db, sha)
    assert load_staged(db, staged, file_id=file.id, job_id=new_job(db, file.id)).violations_loaded == len(
        found
    )


def test_staged_set_of_another_file_is_refused(db: str, tmp_path: Path) -> None:
    write_staged(tmp_path / "staged", new_sha256())
    file = new_file(db, new_sha256())
    with pytest.raises(StagedSetError, match="was staged for file sha256"):
        load_staged(db, tmp_path / "staged", file_id=file.id, job_id=new_job(db, file.id))
    assert file_counts(db, file.id) == (0, 0, 0)


def test_a_job_of_another_file_is_refused(db: str, tmp_path: Path) -> None:
    sha = new_sha256()
    write_staged(tmp_path / "staged", sha)
    file = new_file(db, sha)
    other_job = new_job(db, new_file(db, new_sha256()).id)
    with pytest.raises(ValueError, match=f"job {other_job} belongs to file"):
        load_staged(db, tmp_path / "staged", file_id=file.id, job_id=other_job)
    assert file_counts(db, file.id) == (0, 0, 0)
    # The schema enforces it too (migration 0007): a row's job must belong to the row's file.
    with psycopg.connect(db) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute(
            "INSERT INTO data_records (file_id, job_id, row_number, payload) VALUES (%s, %s, 0, '{}')",
            (file.id, other_job),
        )


def test_the_schema_checks_every_rows_job_per_statement(db: str) -> None:
    """Migration 0007 replaced the per-row foreign keys by per-statement checks: one bad row
    among good ones fails the whole COPY, a row cannot be moved to a job of another file, and a
    job its results reference can be neither deleted nor moved."""
    file = new_file(db, new_sha256())
    job = new_job(db, file.id)
    other_file = new_file(db, new_sha256())
    other_job = new_job(db, other_file.id)
    copy = "COPY data_compliance_violations (file_id, job_id, row_number, field, violation_type, regulation, "
    copy += "severity, rule) FROM STDIN"
    good = (file.id, job, 0, "ssn", "ssn", "HIPAA", "high", "hipaa_ssn")
    with psycopg.connect(db) as conn:
        with pytest.raises(psycopg.errors.ForeignKeyViolation), conn.cursor().copy(copy) as writer:
            writer.write_row(good)
            writer.write_row((file.id, other_job, 1, "ssn", "ssn", "HIPAA", "high", "hipaa_ssn"))
        conn.rollback()
        with conn.cursor().copy(copy) as writer:
            writer.write_row(good)
        conn.commit()
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute(
                "UPDATE data_compliance_violations SET job_id = %s WHERE job_id = %s", (other_job, job)
            )
        conn.rollback()
        for statement, params in (
            ("DELETE FROM data_processing_jobs WHERE id = %s", (job,)),
            ("UPDATE data_processing_jobs SET file_id = %s WHERE id = %s", (other_file.id, job)),
        ):
            with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"job {job} is still referenced"):
                conn.execute(statement, params)
            conn.rollback()
        # Other updates of a referenced job (its status, counts) are not affected.
        conn.execute("UPDATE data_processing_jobs SET status = status WHERE id = %s", (job,))
        conn.commit()
    assert file_counts(db, file.id) == (0, 1, 0)


def test_a_retried_load_of_the_same_job_keeps_it_succeeded(db: str, tmp_path: Path) -> None:
    sha = new_sha256()
    manifest = write_staged(tmp_path / "staged", sha)
    file = new_file(db, sha)
    job = new_job(db, file.id)
    assert not load_staged(db, tmp_path / "staged", file_id=file.id, job_id=job).duplicate
    assert load_staged(db, tmp_path / "staged", file_id=file.id, job_id=job).duplicate
    assert job_row(db, job)["status"] == "succeeded"
    assert file_counts(db, file.id) == (18, manifest.violations, 2)


def test_sql_statements_are_loaded_by_plain_name() -> None:
    assert load_sql("load_lock_file") is load_sql("load_lock_file")  # read once, cached
    assert "FOR NO KEY UPDATE" in load_sql("load_lock_file")
    with pytest.raises(ValueError):
        load_sql("../migrations/0001_results_schema")
    with pytest.raises(FileNotFoundError):
        load_sql("no_such_statement")


def test_concurrent_loads_of_one_file_store_one_set(db: str, tmp_path: Path) -> None:
    sha = new_sha256()
    manifest = write_staged(tmp_path / "staged", sha, records_in=20_000, quarantined=(9,))
    file = new_file(db, sha)
    jobs = [new_job(db, file.id), new_job(db, file.id)]
    start = threading.Barrier(2)
    results: dict[int, LoadResult | BaseException] = {}

    def load(job: int) -> None:
        start.wait()
        try:
            results[job] = load_staged(db, tmp_path / "staged", file_id=file.id, job_id=job)
        except BaseException as exc:
            results[job] = exc

    threads = [threading.Thread(target=load, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.duplicate for r in results.values()) == [False, True]
    assert file_counts(db, file.id) == (manifest.records_staged, manifest.violations, 1)
    statuses = sorted(job_row(db, job)["status"] for job in jobs)
    assert statuses == ["duplicate", "succeeded"]


def test_a_migration_whose_comments_were_reworded_is_still_accepted(db: str) -> None:
    """A database that recorded 0001 before its comments were reworded starts as before; any other
    edit of an applied migration is still refused."""
    from include.db.migrate import COMMENT_ONLY_EDITS

    earlier = COMMENT_ONLY_EDITS[1][0]
    with psycopg.connect(db, autocommit=True) as conn:
        today = conn.execute("SELECT checksum FROM schema_migrations WHERE version = 1").fetchone()[0]
        try:
            conn.execute("UPDATE schema_migrations SET checksum = %s WHERE version = 1", (earlier,))
            assert apply_migrations(db) == []
            conn.execute("UPDATE schema_migrations SET checksum = %s WHERE version = 1", ("0" * 64,))
            with pytest.raises(RuntimeError, match="0001_results_schema was edited after it was applied"):
                apply_migrations(db)
        finally:
            conn.execute("UPDATE schema_migrations SET checksum = %s WHERE version = 1", (today,))


def test_a_first_load_that_fails_to_commit_leaves_no_violations(db: str, tmp_path: Path) -> None:
    """A first load stores its violations on its second connection, which commits just before the
    load's transaction (include/db/beside.py). When the load's commit then fails (a deferred
    trigger refuses the file's status update at commit), those violations are deleted again, and
    the retry stores the whole set."""
    sha = new_sha256()
    manifest = write_staged(tmp_path / "staged", sha)
    file = new_file(db, sha)
    job = new_job(db, file.id)
    with (
        commit_refused_for_file(db, file.id),
        pytest.raises(psycopg.errors.RaiseException, match="refused at commit"),
    ):
        load_staged(db, tmp_path / "staged", file_id=file.id, job_id=job)
    assert file_counts(db, file.id) == (0, 0, 0)
    assert job_row(db, job)["status"] != "succeeded"

    result = load_staged(db, tmp_path / "staged", file_id=file.id, job_id=job)
    assert (result.records_loaded, result.violations_loaded) == (18, manifest.violations)
    assert file_counts(db, file.id) == (18, manifest.violations, 2)


def test_violations_left_without_records_are_replaced_by_the_next_load(db: str, tmp_path: Path) -> None:
    """Violations of a file with no records and no succeeded job (a load whose commit failed after
    its second connection's, and whose clean-up failed too) do not block or duplicate the next
    load: it replaces them in its own transaction."""
    sha = new_sha256()
    manifest = write_staged(tmp_path / "staged", sha)
    file = new_file(db, sha)
    crashed, job = new_job(db, file.id), new_job(db, file.id)
    with psycopg.connect(db) as conn:
        conn.execute(
            "INSERT INTO data_compliance_violations (file_id, job_id, row_number, field, violation_type, "
            "regulation, severity, rule) SELECT %s, %s, r, 'email', 'EMAIL', 'GDPR', 'medium', 'gdpr.email' "
            "FROM generate_series(0, 19) AS r",
            (file.id, crashed),
        )
    result = load_staged(db, tmp_path / "staged", file_id=file.id, job_id=job)
    assert (result.duplicate, result.violations_loaded) == (False, manifest.violations)
    assert file_counts(db, file.id) == (18, manifest.violations, 2)
    with psycopg.connect(db) as conn:
        jobs = conn.execute(
            "SELECT DISTINCT job_id FROM data_compliance_violations WHERE file_id = %s", (file.id,)
        ).fetchall()
    assert jobs == [(job,)]
