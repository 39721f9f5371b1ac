"""Many small files dropped into the landing zone at once (README "Hostile input"): the platform
takes them in runs of at most SDP_RUN_MAX_FILES while the rest wait in the landing zone, and keeps
loading. Reports files/minute (files final per minute, first drop to last final) and the
landed->loaded latency p50 / p99 of the loaded files during the drop.

A private stack (benchmarks/stack.py: PostgreSQL, broker, stream consumer, Airflow on free ports,
state in .local/bench/drop-stack) is started fresh; `--files` tiny CSV files (a few rows with an
e-mail and a phone number, unique bytes) are renamed into landing/ as fast as the disk allows; then
PostgreSQL is polled until every file is final or `--timeout` passes (files still waiting then are
reported, not failed: the measurement is the rate).

Runs of more than SDP_GROUP_MIN_FILES files take their small files in groups of SDP_GROUP_FILES,
one task each (include/ingest_group.py); `--group-min-files` / `--group-files` set them for the
stack (a very large `--group-min-files` measures the per-file task groups only).

    .venv/bin/python benchmarks/drop_bench.py [--files 10000] [--rows 3] [--timeout 1200] [--keep-stack]
        [--group-min-files 20] [--group-files 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import stack
from common import CACHE_DIR, Result, add_results_argument, publish
from stack import FINAL_STATUSES, private_stack

STACK_DIR = CACHE_DIR / "drop-stack"
POLL_SECONDS = 1.0


def tiny_files(folder: Path, count: int, rows: int, nonce: int) -> list[Path]:
    """`count` CSV files of `rows` rows each; `nonce` and the index make every file's bytes new."""
    files = []
    for index in range(count):
        path = folder / f"drop-{nonce}-{index:05d}.csv"
        lines = [f"{nonce}-{index}-{row},Person {row},user{index}x{row}@example.org,+1 617-555-{row:04d}\n"
                 for row in range(rows)]  # fmt: skip
        path.write_text("ref,name,email,phone\n" + "".join(lines))
        files.append(path)
    return files


def drop_all(files: list[Path], landing: Path) -> dict[str, float]:
    """Rename every file into landing/ (atomic each); name -> epoch time of its rename."""
    landing.mkdir(parents=True, exist_ok=True)
    dropped = {}
    for path in files:
        os.rename(path, landing / path.name)
        dropped[path.name] = time.time()
    return dropped


_FINAL_SQL = """
SELECT regexp_replace(path, '^.*/[0-9T]{15}-[0-9a-f]{8}-', ''), status, extract(epoch FROM updated_at)::float8
FROM data_files WHERE status = ANY(%s)
"""


def wait_final(settings, dropped: dict[str, float], timeout: float) -> dict[str, tuple[str, float]]:
    """name -> (final status, epoch time polling first saw it), until all are final or `timeout`."""
    final: dict[str, tuple[str, float]] = {}
    deadline = time.monotonic() + timeout
    reported = time.monotonic()
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        while len(final) < len(dropped) and time.monotonic() < deadline:
            seen = time.time()
            for name, status, _updated in conn.execute(_FINAL_SQL, (list(FINAL_STATUSES),)):
                if name in dropped and name not in final:
                    final[name] = (status, seen)
            if time.monotonic() - reported >= 60:
                reported = time.monotonic()
                print(f"  {len(final)}/{len(dropped)} final", file=sys.stderr)
            time.sleep(POLL_SECONDS)
    return final


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def with_stack_settings(extra: dict[str, str]) -> None:
    """private_stack reads its settings from a mapping of its own: add `extra` (SDP_* variables
    the services then see) to it."""
    read = stack.load_settings
    stack.load_settings = lambda environ: read({**environ, **extra})


def results(
    dropped: dict[str, float], final: dict[str, tuple[str, float]], elapsed: float, grouping: str
) -> list[Result]:
    loaded = [seen - dropped[name] for name, (status, seen) in final.items() if status == "loaded"]
    statuses: dict[str, int] = {}
    for status, _ in final.values():
        statuses[status] = statuses.get(status, 0) + 1
    waiting = len(dropped) - len(final)
    note = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) + (
        f", {waiting} not final yet" if waiting else ""
    )
    note = f"{note}; {grouping}; load average {os.getloadavg()[0]:.1f} at the end"
    rate = len(final) / (elapsed / 60) if elapsed else None
    label = f"{len(dropped)} files dropped at once"
    return [
        Result("drop", f"files/minute, {label}", rate, "files/min", "", None, note),
        Result("drop", f"landed->loaded p50, {label}", _percentile(loaded, 0.5), "s", "", None, note),
        Result("drop", f"landed->loaded p99, {label}", _percentile(loaded, 0.99), "s", "", None, note),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=3, help="data rows per file")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds to wait for the files")
    parser.add_argument("--keep-stack", action="store_true", help="leave the private stack running")
    parser.add_argument("--group-min-files", type=int, help="SDP_GROUP_MIN_FILES for the stack")
    parser.add_argument("--group-files", type=int, help="SDP_GROUP_FILES for the stack")
    add_results_argument(parser)
    args = parser.parse_args()
    grouping = {"SDP_GROUP_MIN_FILES": args.group_min_files, "SDP_GROUP_FILES": args.group_files}
    with_stack_settings({name: str(value) for name, value in grouping.items() if value is not None})
    grouping_note = ", ".join(f"{name}={value or 'default'}" for name, value in grouping.items())
    print(
        f"  load average {os.getloadavg()[0]:.1f} before the stack starts; {grouping_note}", file=sys.stderr
    )
    with (
        tempfile.TemporaryDirectory(prefix="sdp-drop-") as scratch,
        private_stack(STACK_DIR, args.keep_stack, fresh=True) as settings,
    ):
        files = tiny_files(Path(scratch), args.files, args.rows, nonce=time.time_ns())
        started = time.time()
        dropped = drop_all(files, settings.landing_dir)
        print(f"  dropped {len(files)} files in {time.time() - started:.1f} s", file=sys.stderr)
        final = wait_final(settings, dropped, args.timeout)
        last = max((seen for _, seen in final.values()), default=time.time())
        publish(results(dropped, final, last - started, grouping_note), args.results)


if __name__ == "__main__":
    main()
