"""Latency of the compliance portal's heaviest reads with 1M loaded records.

Starts a stack of its own (PostgreSQL, the broker, Airflow's api-server with the portal plugin) on
free ports, loads N records with their violations straight into the results tables with COPY (as
the loader would leave them: files, succeeded jobs, records, violations spread over 30 days), then
times GET /compliance/api/reports/summary and GET /compliance/api/jobs over HTTP with a viewer
token, and prints p50 / p95 / max per endpoint. The first request of each endpoint is reported
apart (it fills the portal's aggregate cache); the stack is stopped and its state removed.

    .venv/bin/python benchmarks/portal_bench.py [--records 1000000] [--requests 50] [--results FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from common import Result, add_results_argument, publish

from include.settings import DEFAULT_STATE_DIR, load_settings
from include.stack.manager import Stack
from include.stack.process import free_port

FILES = 40
REGULATION_TYPES = {
    "HIPAA": ["SSN", "MRN", "DATE_OF_BIRTH", "EMAIL", "PHONE"],
    "GDPR": ["EMAIL", "PHONE", "IBAN", "PERSON_NAME"],
    "PCI-DSS": ["CREDIT_CARD", "CARD_CVV"],
    "LOCATION": ["GPS_COORDINATES"],
}
SEVERITIES = ("low", "medium", "high", "critical")


def load(database_url: str, records: int, *, files: int = FILES, first: int = 0, seed: int = 7) -> None:
    rng = random.Random(seed + first)
    per_file = records // files
    now = dt.datetime.now(dt.UTC)
    pairs = [(reg, t) for reg, types in REGULATION_TYPES.items() for t in types]
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        for n in range(first, first + files):
            landed = now - dt.timedelta(days=n % 30, minutes=5)
            file_id = cur.execute(
                "INSERT INTO data_files (path, sha256, size_bytes, format, domain, row_count, status, landed_at) "
                "VALUES (%s, %s, %s, 'csv', 'healthcare', %s, 'loaded', %s) RETURNING id",
                (f"/bench/file_{n:03d}.csv", f"{n:064x}", per_file * 200, per_file, landed),
            ).fetchone()[0]
            violations_n = 0
            job_id = cur.execute(
                "INSERT INTO data_processing_jobs (file_id, engine, route_reason, status, started_at) "
                "VALUES (%s, %s, 'benchmark', 'running', %s) RETURNING id",
                (file_id, ("spark", "stream", "flink")[n % 3], landed),
            ).fetchone()[0]
            with cur.copy("COPY data_records (file_id, job_id, row_number, payload) FROM STDIN") as copy:
                for row in range(per_file):
                    payload = {"patient_id": f"tok_{rng.getrandbits(48):012x}", "age": rng.randint(18, 90)}
                    copy.write_row((file_id, job_id, row, json.dumps(payload)))
            with cur.copy(
                "COPY data_compliance_violations (file_id, job_id, row_number, field, violation_type, regulation,"
                " severity, rule, detected_at) FROM STDIN"
            ) as copy:
                for row in range(per_file):
                    for field_no in range(2):  # two violations per record on average
                        regulation, violation_type = pairs[(row + field_no * 7) % len(pairs)]
                        copy.write_row((file_id, job_id, row, f"field_{field_no}", violation_type, regulation,
                                        SEVERITIES[row % 4], "bench", landed))  # fmt: skip
                        violations_n += 1
            cur.execute(
                "UPDATE data_processing_jobs SET status = 'succeeded', records_in = %s, records_loaded = %s, "
                "records_quarantined = 0, violations = %s, records_per_second = 10000, finished_at = %s "
                "WHERE id = %s",
                (per_file, per_file, violations_n, landed + dt.timedelta(seconds=30), job_id),
            )
            conn.commit()
        cur.execute("ANALYZE")


def timed(client: httpx.Client, url: str, requests: int) -> tuple[float, list[float]]:
    def once() -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        return elapsed

    first = once()
    return first, [once() for _ in range(requests)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    add_results_argument(parser)
    args = parser.parse_args()
    results: list[Result] = []
    state_dir = Path(tempfile.mkdtemp(prefix="portal-bench-", dir=DEFAULT_STATE_DIR))
    settings = load_settings(
        {
            "SDP_STATE_DIR": str(state_dir),
            "SDP_POSTGRES_PORT": str(free_port()),
            "SDP_KAFKA_PORT": str(free_port()),
            "SDP_AIRFLOW_PORT": str(free_port()),
        }
    )
    stack = Stack(settings, ["postgres", "kafka", "airflow-api-server"])
    try:
        stack.up(log=lambda _m: None)
        started = time.perf_counter()
        load(settings.database_url, args.records)
        print(
            f"loaded {args.records:,} records, {2 * args.records:,} violations in {time.perf_counter() - started:.0f} s"
        )
        token = httpx.post(
            f"{settings.airflow_url}/auth/token",
            json={"username": "viewer", "password": stack.ctx.airflow_password("viewer")},
            timeout=30,
        ).json()["access_token"]
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            for path in ("/compliance/api/reports/summary", "/compliance/api/jobs"):
                first, samples = timed(client, f"{settings.airflow_url}{path}", args.requests)
                samples.sort()
                p95 = samples[max(0, round(0.95 * len(samples)) - 1)]
                print(f"GET {path}: first {first:.0f} ms; over {len(samples)} requests p50 "
                      f"{statistics.median(samples):.1f} ms, p95 {p95:.1f} ms, max {samples[-1]:.1f} ms")  # fmt: skip
                results.append(Result("portal", f"GET {path} p50, {args.records:,} records",
                                      statistics.median(samples), "ms",
                                      note=f"p95 {p95:.1f} ms, max {samples[-1]:.1f} ms, first {first:.0f} ms"))  # fmt: skip
            # New results: one more file's job. Only that file's violations are counted again.
            load(settings.database_url, args.records // FILES, files=1, first=FILES)
            after_new, _ = timed(client, f"{settings.airflow_url}/compliance/api/reports/summary", 0)
            print(f"GET /compliance/api/reports/summary right after a new {args.records // FILES:,}-record "
                  f"file: {after_new:.0f} ms")  # fmt: skip
            results.append(
                Result("portal", "GET /compliance/api/reports/summary after a new file", after_new, "ms")
            )
    finally:
        stack.down(log=lambda _m: None)
        shutil.rmtree(settings.state_dir, ignore_errors=True)
    publish(results, args.results)


if __name__ == "__main__":
    main()
