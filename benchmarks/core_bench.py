"""Single-process throughput and memory of the compliance core (`scan_file`), against the I/O floor.

The floor is what any engine pays just to read the CSV (every column as a string, as the core
reads it) and write it back as Parquet, with pyarrow's own threads; the scans are printed as a share
of that floor. Each scan runs with one worker thread (the per-core figure) and with the default
worker threads (one per CPU: `sdp scan`'s default); the note gives wall and CPU seconds, so the rows
per CPU-second can be read off too. Peak RSS of scan + tokenize is measured in a fresh process per
file size, so it must stay flat as rows grow: the core streams bounded batches.

    .venv/bin/python benchmarks/core_bench.py [--rows N | --quick] [--repeat R] [--no-rss]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from common import (
    BENCH_TOKEN_KEY,
    Result,
    add_results_argument,
    corpus_dataset,
    dataset,
    publish,
    read_csv_as_strings,
)

from compliance.anonymize.tokenize import KEY_ENV, Tokenizer, TokenKey
from compliance.pipeline import default_threads
from compliance.scan import scan_file

DOMAIN = "healthcare"
QUICK_ROWS = 100_000


def io_floor(path: Path, out: Path) -> int:
    """Read the whole CSV with every column as a string, write it as Parquet; rows read."""
    table = read_csv_as_strings(path)
    pq.write_table(table, out)
    return table.num_rows


def scan_only(path: Path, threads: int | None = None) -> int:
    return scan_file(path, output=None, threads=threads).records_in


def scan_tokenize(path: Path, out: Path, threads: int | None = None) -> int:
    tokenizer = Tokenizer(TokenKey.from_env())
    return scan_file(path, output=out, anonymize="tokenize", tokenizer=tokenizer, threads=threads).records_in


def cpu_seconds() -> float:
    """CPU time of this process so far, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def fastest(repeat: int, run) -> tuple[float, float, int]:
    """(wall, CPU seconds, result) of the fastest of `repeat` runs (the least disturbed by other load)."""
    best = (float("inf"), 0.0, 0)
    for _ in range(max(repeat, 1)):
        cpu, started = cpu_seconds(), time.perf_counter()
        result = run()
        wall = time.perf_counter() - started
        if wall < best[0]:
            best = (wall, cpu_seconds() - cpu, result)
    return best


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


def sdp_scan(path: Path, scratch: Path) -> tuple[float, float]:
    """`sdp scan --anonymize tokenize` as a user runs it: a new process, start-up included; its (wall,
    CPU) seconds. CPU is the steadier figure on a shared machine (other load stretches the wall)."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "sdp"), "scan", str(path), "--violations", str(scratch / "v.jsonl"),
         "--output", str(scratch / "out.parquet"), "--anonymize", "tokenize"],
        check=True, capture_output=True, env={**os.environ, KEY_ENV: BENCH_TOKEN_KEY},
    )  # fmt: skip
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def whole_process(rows: int, repeat: int, files: dict[str, Path]) -> list[Result]:
    """`sdp scan` as a whole process on the generator's file and on the independent corpus's intake
    export (a contact column mixing e-mails and phones, free-text notes), each against its own I/O
    floor (in-process read_csv + Parquet write: no start-up, the best of `repeat` runs); the scan's
    figure is the median of `repeat` runs."""
    files = {**files, "healthcare_intake (independent corpus)": corpus_dataset("healthcare_intake", rows)}
    results = []
    with tempfile.TemporaryDirectory(prefix="sdp-bench-") as scratch:
        for name, path in files.items():
            floor_s, _, _ = fastest(repeat, lambda path=path: io_floor(path, Path(scratch) / "floor.parquet"))
            # The median of the runs: a whole process is long enough that other load hits every run.
            runs = [sdp_scan(path, Path(scratch)) for _ in range(max(repeat, 1))]
            scan_s, scan_cpu = (statistics.median(values) for values in zip(*runs, strict=True))
            speed, floor = rows / scan_s, rows / floor_s
            results.append(
                Result(
                    "core",
                    f"sdp scan --anonymize tokenize, whole process, {rows:,} rows {name}",
                    speed,
                    "rows/s",
                    "I/O floor",
                    speed / floor,
                    f"median of {len(runs)}: {scan_s:.1f} s wall, {scan_cpu:.1f} s CPU; "
                    f"floor {floor:,.0f} rows/s ({floor_s:.1f} s)",
                )
            )
    return results


def run(rows: int, repeat: int, rss_factor: int) -> list[Result]:
    path, _ = dataset(DOMAIN, rows)
    threads = default_threads()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="sdp-bench-") as scratch:
        out = Path(scratch) / "out.parquet"
        floor_s, floor_cpu, _ = fastest(repeat, lambda: io_floor(path, out))
        runs = [
            ("scan only, 1 thread", fastest(repeat, lambda: scan_only(path, 1))),
            ("scan + tokenize -> Parquet, 1 thread", fastest(repeat, lambda: scan_tokenize(path, out, 1))),
        ]
        if threads > 1:
            runs += [
                (f"scan only, {threads} threads", fastest(repeat, lambda: scan_only(path, threads))),
                (
                    f"scan + tokenize -> Parquet, {threads} threads",
                    fastest(repeat, lambda: scan_tokenize(path, out, threads)),
                ),
            ]
    label = f"{rows:,} {DOMAIN} CSV rows"
    floor = rows / floor_s
    results.append(
        Result(
            "core",
            f"I/O floor: read_csv + write Parquet, {label}",
            floor,
            "rows/s",
            note=f"{floor_s:.1f} s wall, {floor_cpu:.1f} s CPU",
        )
    )
    for name, (seconds, cpu, scanned) in runs:
        if scanned != rows:
            raise SystemExit(f"core_bench: {name} read {scanned} rows of {rows}")
        speed = rows / seconds
        note = f"{seconds:.1f} s wall, {cpu:.1f} s CPU = {rows / cpu:,.0f} rows per CPU-second"
        results.append(Result("core", f"{name}, {label}", speed, "rows/s", "I/O floor", speed / floor, note))
    results += whole_process(rows, repeat, {f"{DOMAIN} (generator)": path})
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
