"""Single-process throughput and memory of the compliance core (`scan_file`), against the I/O floor.

The floor is what any engine pays just to read the CSV (every column as a string, as the core
reads it) and write it back as Parquet; the scans are printed as a share of that floor. Peak RSS of
scan + tokenize is measured in a fresh process per file size, so it must stay flat as rows grow:
the core streams bounded batches.

    .venv/bin/python benchmarks/core_bench.py [--rows N | --quick] [--repeat R] [--no-rss]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from common import (
    BENCH_TOKEN_KEY,
    Result,
    add_results_argument,
    best_of,
    dataset,
    publish,
    read_csv_as_strings,
)

from compliance.anonymize.tokenize import KEY_ENV, Tokenizer, TokenKey
from compliance.scan import scan_file

DOMAIN = "healthcare"
QUICK_ROWS = 100_000


def io_floor(path: Path, out: Path) -> int:
    """Read the whole CSV with every column as a string, write it as Parquet; rows read."""
    table = read_csv_as_strings(path)
    pq.write_table(table, out)
    return table.num_rows


def scan_only(path: Path) -> int:
    return scan_file(path, output=None).records_in


def scan_tokenize(path: Path, out: Path) -> int:
    tokenizer = Tokenizer(TokenKey.from_env())
    return scan_file(path, output=out, anonymize="tokenize", tokenizer=tokenizer).records_in


def peak_rss_child(path: Path) -> None:
    """Run scan + tokenize once and print this process's peak RSS (it is a fresh process)."""
    with tempfile.TemporaryDirectory(prefix="sdp-bench-") as scratch:
        rows = scan_tokenize(path, Path(scratch) / "out.parquet")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"rows": rows, "max_rss_mib": peak_kib / 1024}))


def peak_rss(path: Path) -> float:
    completed = subprocess.run(
        [sys.executable, __file__, "--rss-child", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, KEY_ENV: BENCH_TOKEN_KEY},
    )
    return float(json.loads(completed.stdout.strip().splitlines()[-1])["max_rss_mib"])


def run(rows: int, repeat: int, rss_factor: int) -> list[Result]:
    path, _ = dataset(DOMAIN, rows)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="sdp-bench-") as scratch:
        out = Path(scratch) / "out.parquet"
        floor_s, _ = best_of(repeat, lambda: io_floor(path, out))
        scan_s, scanned = best_of(repeat, lambda: scan_only(path))
        tokenize_s, _ = best_of(repeat, lambda: scan_tokenize(path, out))
    if scanned != rows:
        raise SystemExit(f"core_bench: scan read {scanned} rows of {rows}")
    floor = rows / floor_s
    label = f"{rows:,} {DOMAIN} CSV rows"
    results.append(Result("core", f"I/O floor: read_csv + write Parquet, {label}", floor, "rows/s"))
    for name, seconds in (("scan only", scan_s), ("scan + tokenize -> Parquet", tokenize_s)):
        speed = rows / seconds
        results.append(
            Result(
                "core", f"{name}, {label}", speed, "rows/s", "I/O floor", speed / floor, f"{seconds:.1f} s"
            )
        )
    if rss_factor > 1:
        big_rows = rows * rss_factor
        big_path, _ = dataset(DOMAIN, big_rows)
        small_rss, big_rss = peak_rss(path), peak_rss(big_path)
        results.append(Result("core", f"peak RSS scan + tokenize, {rows:,} rows", small_rss, "MiB"))
        results.append(
            Result(
                "core",
                f"peak RSS scan + tokenize, {big_rows:,} rows",
                big_rss,
                "MiB",
                f"{rows:,} rows",
                big_rss / small_rss,
                f"{rss_factor}x the rows",
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the timed file (default 1M)")
    parser.add_argument("--quick", action="store_true", help=f"smoke run on {QUICK_ROWS:,} rows")
    parser.add_argument("--repeat", type=int, default=2, help="timings are the best of this many runs")
    parser.add_argument(
        "--rss-factor", type=int, default=5, help="peak RSS of ROWS vs ROWS x this many rows (default 5)"
    )
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS subprocesses")
    parser.add_argument("--rss-child", type=Path, help=argparse.SUPPRESS)
    add_results_argument(parser)
    args = parser.parse_args()
    if args.rss_child:
        peak_rss_child(args.rss_child)
        return
    os.environ[KEY_ENV] = BENCH_TOKEN_KEY
    rows = QUICK_ROWS if args.quick else args.rows
    publish(run(rows, args.repeat, 1 if args.no_rss else args.rss_factor), args.results)


if __name__ == "__main__":
    main()
