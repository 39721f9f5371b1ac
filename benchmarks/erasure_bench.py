"""Erasure speed with 1M loaded records, and what its index costs the loads.

Starts a private PostgreSQL (the test setup's: embedded, migrated, on a free port, in a state
folder of its own), COPYs 1M healthcare-shaped anonymized rows (tokens as whole values, some inside
free-text notes; one vault entry per SSN token), then measures:

- load: INSERT ... SELECT of the 1M rows from a COPYed temp table into data_records (what the
  loader does, without the token_keys column: the rows go through the payload expression's GIN
  index, migration 0014), with the token-key indexes and without them (baseline, same statement
  with the indexes dropped inside a rolled-back transaction);
- build of the payload expression's index over the 1M rows;
- erasure of one subject (3 records: two as a field value, one inside notes; their violations and
  vault entries) through include.subjects.erasure.erase_subject, median and max of --subjects runs.

    .venv/bin/python benchmarks/erasure_bench.py [--rows 1000000] [--subjects 20] [--results FILE]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import BENCH_TOKEN_KEY, CACHE_DIR, Result, add_results_argument, publish
from benchmarks.stack import private_stack
from include.subjects.erasure import erase_subject

STACK_DIR = CACHE_DIR / "erasure-stack"
_CHUNK_ROWS = 50_000
# The records' token-key indexes (migration 0014). The bench's rows are inserted without the
# token_keys column (as an older or foreign writer's), so the payload expression's index is the one
# they go through: what the insert, the build and the erasures below measure.
_DROP_RECORD_INDEXES = "DROP INDEX data_records_token_keys_idx, data_records_payload_token_keys_idx"
_PAYLOAD_INDEX = (
    "CREATE INDEX data_records_payload_token_keys_idx ON data_records USING gin (sdp_token_keys(payload)) "
    "WHERE token_keys IS NULL"
)
_DIAGNOSES = ["J44.9", "J45.909", "I10", "E11.9", "M54.5", "F32.9"]


def random_token(id_type: str, rng: random.Random) -> str:
    return f"{id_type}_k1_{base64.b32encode(rng.randbytes(15)).decode().lower()}"


def payload_rows(rows: int, subjects: dict[int, str], notes_rows: dict[int, str], rng: random.Random) -> Iterator[tuple[int, str, str]]:  # fmt: skip
    """(row_number, ssn token, payload json) of every row; subject tokens at the given rows."""
    for row in range(rows):
        ssn = subjects.get(row) or random_token("SSN", rng)
        note = "Routine visit; no further action required."
        if row in notes_rows:
            note = f"Relative of {notes_rows[row]} was informed by phone."
        elif row % 10 == 0:
            note = f"Reached at {random_token('PHONE', rng)} this morning."
        payload = {
            "record_id": str(row),
            "patient_name": random_token("PERSON_NAME", rng),
            "ssn": ssn,
            "email": random_token("EMAIL", rng) if row % 3 else None,
            "phone": random_token("PHONE", rng),
            "zip": f"{row % 900 + 100}**",
            "diagnosis": _DIAGNOSES[row % len(_DIAGNOSES)],
            "notes": note,
            "visit_date": f"20{row % 25:02d}",
            "amount": f"{(row % 5000) / 10:.2f}",
        }
        yield row, ssn, json.dumps(payload)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=20)
    parser.add_argument("--keep-stack", action="store_true", help="leave the PostgreSQL running")
    add_results_argument(parser)
    args = parser.parse_args()
    os.environ["SDP_TOKEN_KEY"] = BENCH_TOKEN_KEY
    with private_stack(STACK_DIR, args.keep_stack, fresh=True, services=["postgres"]) as settings:
        results = run(settings.database_url, args.rows, args.subjects)
    publish(results, args.results)


def run(url: str, rows: int, subject_count: int) -> list[Result]:
    rng = random.Random(7)
    # Each subject: their SSN as a field value in two rows (two files), and named in one row's notes.
    positions = rng.sample(range(rows), 3 * subject_count)
    subject_tokens = [random_token("SSN", rng) for _ in range(subject_count)]
    as_value = {positions[3 * i]: t for i, t in enumerate(subject_tokens)}
    as_value |= {positions[3 * i + 1]: t for i, t in enumerate(subject_tokens)}
    in_notes = {positions[3 * i + 2]: t for i, t in enumerate(subject_tokens)}

    with psycopg.connect(url, autocommit=True) as conn:
        file_ids = []
        for n in range(2):
            file_id = conn.execute(
                "INSERT INTO data_files (path, sha256, size_bytes, format, domain, status) "
                "VALUES (%s, md5(random()::text) || md5(random()::text), 0, 'csv', 'healthcare', 'loaded') "
                "RETURNING id",
                (f"/bench/erasure-{n}.csv",),
            ).fetchone()[0]
            job_id = conn.execute(
                "INSERT INTO data_processing_jobs (file_id, engine, route_reason, status) "
                "VALUES (%s, 'spark', 'bench', 'succeeded') RETURNING id",
                (file_id,),
            ).fetchone()[0]
            file_ids.append((file_id, job_id))
        conn.execute(
            "INSERT INTO vault_data_keys (key_id, master_key_id, wrapped_key) VALUES ('bench', 'mk', 'x')"
        )

        with conn.transaction():
            conn.execute(
                "CREATE TEMP TABLE staged (row_number bigint, ssn text, payload jsonb) ON COMMIT PRESERVE ROWS"
            )
            started = time.perf_counter()
            with conn.cursor().copy("COPY staged (row_number, ssn, payload) FROM STDIN") as copy:
                for row in payload_rows(rows, as_value, in_notes, rng):
                    copy.write_row(row)
            copy_s = time.perf_counter() - started
        print(f"  COPY {rows:,} rows into a temp table: {copy_s:.1f} s", file=sys.stderr)

        # The records are split over two files: row numbers below half in the first.
        half = rows // 2
        insert = (
            "INSERT INTO data_records (file_id, job_id, row_number, payload) "
            "SELECT CASE WHEN row_number < %(half)s THEN %(f0)s ELSE %(f1)s END, "
            "CASE WHEN row_number < %(half)s THEN %(j0)s ELSE %(j1)s END, row_number, payload FROM staged"
        )
        params = {
            "half": half,
            "f0": file_ids[0][0],
            "j0": file_ids[0][1],
            "f1": file_ids[1][0],
            "j1": file_ids[1][1],
        }
        try:
            with conn.transaction():
                conn.execute(_DROP_RECORD_INDEXES)
                started = time.perf_counter()
                conn.execute(insert, params)
                without_index_s = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
        started = time.perf_counter()
        conn.execute(insert, params)
        with_index_s = time.perf_counter() - started
        print(f"  insert without / with the digest index: {without_index_s:.1f} s / {with_index_s:.1f} s",
              file=sys.stderr)  # fmt: skip
        conn.execute(
            "INSERT INTO data_compliance_violations (file_id, job_id, row_number, field, violation_type, "
            "regulation, severity, rule) SELECT r.file_id, r.job_id, r.row_number, 'ssn', 'SSN', 'HIPAA', "
            "'high', 'hipaa.safe_harbor.ssn' FROM data_records AS r"
        )
        conn.execute(
            "INSERT INTO identity_vault (token, id_type, key_id, nonce, ciphertext) "
            "SELECT DISTINCT ssn, 'SSN', 'bench', '\\x00'::bytea, '\\x00'::bytea FROM staged"
        )
        try:
            with conn.transaction():
                conn.execute(_DROP_RECORD_INDEXES)
                started = time.perf_counter()
                conn.execute(_PAYLOAD_INDEX)
                build_s = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
        print(f"  index build over {rows:,} rows: {build_s:.1f} s", file=sys.stderr)
        conn.execute("ANALYZE")

        timings = []
        for token in subject_tokens:
            started = time.perf_counter()
            result = erase_subject(conn, token, key=BENCH_TOKEN_KEY.encode(), actor="bench", reason="bench")
            timings.append(time.perf_counter() - started)
            if result.records != 3 or result.vault_entries != 2:
                raise SystemExit(f"erasure_bench: expected 3 records and 2 vault entries, got {result}")
    median, worst = statistics.median(timings), max(timings)
    print(f"  erase one subject: median {median * 1000:.1f} ms, max {worst * 1000:.1f} ms", file=sys.stderr)
    per_row_us = (with_index_s - without_index_s) / rows * 1e6
    return [
        Result("erasure", "erase one subject (median)", round(median * 1000, 2), "ms",
               note=f"{rows:,} records; max {worst * 1000:.1f} ms over {len(timings)} subjects; goal <= 1000 ms"),
        Result("erasure", "insert 1M records with digest index", round(with_index_s, 2), "s",
               "without the index", round(with_index_s / without_index_s, 2) if without_index_s else None,
               note=f"{without_index_s:.2f} s without; +{per_row_us:.1f} us per record"),
        Result("erasure", "build digest index (migration 0009)", round(build_s, 2), "s",
               note=f"over {rows:,} existing records"),
    ]  # fmt: skip


class _Rollback(Exception):
    """Leaves a measuring transaction without keeping its changes."""


if __name__ == "__main__":
    main()
