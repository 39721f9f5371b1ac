"""`make demo`: drop generated sample files into the landing zone of the running local stack,
wait until the platform has processed them, and print what PostgreSQL now holds.

    python -m include.demo [--rows N] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zlib
from pathlib import Path

import psycopg

from include.db.files import sha256_of
from include.routing import ENGINE_OF_ROUTE
from include.settings import settings

ROUTE_OF_ENGINE = {engine: route for route, engine in ENGINE_OF_ROUTE.items()}
# (domain, format, size): one file per domain in the three input formats, sized so the router
# sends each to the route named (sizes follow the stack's thresholds, see the README's route table):
# "rows" = a fraction of --rows (small: stream), "hybrid" / "batch" = just past the threshold.
SAMPLES = (
    ("healthcare", "csv", 1.0),
    ("financial", "jsonl", 0.6),
    ("location", "parquet", 0.4),
    ("mixed", "csv", "hybrid"),
    ("healthcare", "csv", "batch"),
)
_PROBE_ROWS = 2_000
DONE = ("loaded", "quarantined", "duplicate", "failed")


def sample_rows(domain: str, fmt: str, size: float | str, rows: int, scratch: Path) -> int:
    """Rows for a sample: a fraction of `rows`, or enough to pass a route's size threshold."""
    from compliance.generator import write_dataset

    if not isinstance(size, str):
        return max(100, int(rows * size))
    s = settings()
    target = 1.1 * s.stream_max_bytes if size == "hybrid" else 1.05 * s.batch_min_bytes
    probe = scratch / f"probe.{fmt}"
    write_dataset(domain, _PROBE_ROWS, probe, seed=1)
    bytes_per_row = probe.stat().st_size / _PROBE_ROWS
    probe.unlink()
    return int(target / bytes_per_row) + 1


def drop_samples(rows: int, landing: Path) -> dict[str, str]:
    """Generate the samples beside the landing zone, then move each in with one rename."""
    from compliance.generator import write_dataset

    landing.mkdir(parents=True, exist_ok=True)
    dropped = {}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory(dir=landing.parent, prefix=".demo-") as scratch:
        for domain, fmt, size in SAMPLES:
            label = size if isinstance(size, str) else "small"
            name = f"demo-{domain}-{label}-{stamp}.{fmt}"
            staged = Path(scratch) / name
            count = sample_rows(domain, fmt, size, rows, Path(scratch))
            write_dataset(domain, count, staged, seed=zlib.crc32(name.encode()))
            dropped[sha256_of(staged)] = name
            staged.rename(landing / name)
            print(f"dropped {name}")
    return dropped


def wait_for(dropped: dict[str, str], timeout: float) -> dict[str, str]:
    url = settings().database_url
    deadline = time.monotonic() + timeout
    status: dict[str, str] = {}
    while time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT sha256, status FROM data_files WHERE sha256 = ANY(%s)", (list(dropped),)
            ).fetchall()
        status = {sha: state for sha, state in rows}
        done = sum(1 for sha in dropped if status.get(sha) in DONE)
        print(f"\rprocessed {done}/{len(dropped)} files ...", end="", flush=True)
        if done == len(dropped):
            print()
            return status
        time.sleep(2)
    print()
    return status


SUMMARY_SQL = """
SELECT f.path, f.status, j.engine, j.route_reason, j.records_in, j.records_loaded, j.records_quarantined,
       j.violations, j.records_per_second, f.id
FROM data_files f
LEFT JOIN LATERAL (
    SELECT * FROM data_processing_jobs j WHERE j.file_id = f.id ORDER BY j.id DESC LIMIT 1
) j ON true
WHERE f.sha256 = ANY(%s)
ORDER BY f.id
"""
BY_TYPE_SQL = """
SELECT regulation, violation_type, count(*) FROM data_compliance_violations
WHERE file_id = %s GROUP BY 1, 2 ORDER BY 1, 3 DESC
"""


def print_summary(dropped: dict[str, str]) -> None:
    s = settings()
    with psycopg.connect(s.reader_database_url) as conn:
        for (
            path,
            status,
            engine,
            reason,
            rows_in,
            loaded,
            quarantined,
            violations,
            rps,
            file_id,
        ) in conn.execute(SUMMARY_SQL, (list(dropped),)).fetchall():
            print(f"\n{Path(path).name}: {status}")
            print(f"  route: {ROUTE_OF_ENGINE.get(engine, engine)} on {engine} ({reason})")
            print(f"  rows in {rows_in}, loaded {loaded}, quarantined {quarantined}, violations {violations}, "
                  f"{(rps or 0):,.0f} records/s")  # fmt: skip
            by_regulation: dict[str, list[str]] = {}
            for regulation, kind, count in conn.execute(BY_TYPE_SQL, (file_id,)).fetchall():
                by_regulation.setdefault(regulation, []).append(f"{kind}={count}")
            for regulation, kinds in by_regulation.items():
                print(f"  {regulation:<9} {', '.join(kinds)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    s = settings()
    dropped = drop_samples(args.rows, s.landing_dir)
    status = wait_for(dropped, args.timeout)
    print_summary(dropped)
    from include.stack.context import AIRFLOW_ADMIN

    print(
        f"\nAirflow UI: {s.airflow_url}   login: {AIRFLOW_ADMIN} / {s.local_secret('airflow_admin.password')}"
    )
    print(
        f"Compliance portal: {s.airflow_url}/plugin/compliance   (API docs: {s.airflow_url}/compliance/docs; "
        "users viewer / analyst / admin, passwords in .local/secrets/airflow_<user>.password)"
    )
    print("The stack keeps running; `make down` stops it.")
    missing = [dropped[sha] for sha in dropped if status.get(sha) not in DONE]
    if missing:
        print(
            f"demo: not processed within {args.timeout:.0f} s: {', '.join(missing)} (see `make logs`)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
