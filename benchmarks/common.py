"""Shared helpers of the benchmark scripts: cached datasets, best-of timing, one results table.

Every figure is printed next to a baseline measured in the same command, because the machine is
shared and noisy: absolute numbers drift from run to run, ratios much less.

Each bench appends its results as JSON lines to `--results FILE`; `python benchmarks/common.py
report FILE` prints them all as one table (what scripts/bench.sh shows at the end).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / ".local" / "bench"
SEED = 20_240_601
# A fixed "today" so the cached files and their labels are the same on every run.
AS_OF = dt.date(2025, 1, 1)
# Not a secret: a fixed key so tokenization runs exactly as in production, with a throwaway key.
BENCH_TOKEN_KEY = "benchmark-only-token-key-not-a-secret"
# The venv running the bench: its spark-submit and python are the batch route's.
VENV_BIN = Path(sys.executable).parent


def spark_submit_command(script: Path, arguments: list[str], master: str) -> tuple[list[str], dict[str, str]]:
    """argv and environment of a spark-submit run as the batch route launches it, bench key set."""
    from compliance.anonymize.tokenize import KEY_ENV
    from include.settings import spark_conf_args

    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": str(VENV_BIN / "python"),
        "PYSPARK_DRIVER_PYTHON": str(VENV_BIN / "python"),
        KEY_ENV: BENCH_TOKEN_KEY,
    }
    argv = [
        str(VENV_BIN / "spark-submit"), "--master", master,
        *spark_conf_args(),
        str(script), *arguments,
    ]  # fmt: skip
    return argv, env


@dataclass
class Result:
    bench: str
    measurement: str
    value: float | None
    unit: str
    baseline: str = ""
    ratio: float | None = None
    note: str = ""


def dataset(domain: str, rows: int, *, labels: bool = False, seed: int = SEED) -> tuple[Path, Path | None]:
    """A generated CSV (and its labels as Parquet), written once under .local/bench/ and reused.
    Another `seed` gives a file of the same shape with other bytes (another SHA-256)."""
    from compliance.generator import write_dataset

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    stem = f"{domain}-{rows}-seed{seed}-{AS_OF.isoformat()}"
    data, label_path = CACHE_DIR / f"{stem}.csv", CACHE_DIR / f"{stem}.labels.parquet"
    if not data.exists() or (labels and not label_path.exists()):
        started = time.perf_counter()
        write_dataset(domain, rows, data, labels_out=label_path if labels else None, seed=seed, as_of=AS_OF)
        print(f"  generated {data.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return data, label_path if labels else None


def corpus_dataset(name: str, rows: int) -> Path:
    """A file of the independent corpus (tests/corpus, e.g. "healthcare_intake": a mixed contact
    column, free-text notes), written once under .local/bench/ and reused."""
    sys.path.insert(0, str(ROOT))
    from tests.corpus.build import build_corpus

    folder = CACHE_DIR / f"corpus-{rows}-seed{SEED % 1000}"
    found = sorted(folder.glob(f"{name}.*"))
    if found:
        return found[0]
    started = time.perf_counter()
    (built,) = build_corpus(folder, rows=rows, seed=SEED % 1000, names=[name])
    print(
        f"  built {built.path.name} ({rows:,} rows) in {time.perf_counter() - started:.1f} s", file=sys.stderr
    )
    return built.path


def read_csv_as_strings(path: Path) -> pa.Table:
    """The whole CSV with every column as a string, as the core reads it (no type inference)."""
    with path.open(encoding="utf-8", newline="") as handle:
        names = next(csv.reader(handle))
    convert = pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    return pa_csv.read_csv(path, convert_options=convert)


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """Fastest wall time of `repeat` runs (the least disturbed by other load) and the last result."""
    best, result = float("inf"), None
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def add_results_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", type=Path, help="append the results as JSON lines to this file")


def publish(results: list[Result], path: Path | None) -> None:
    """Print `results` as a table and append them to `path` (JSON lines) when given."""
    print(format_table(results))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.writelines(json.dumps(asdict(r)) + "\n" for r in results)


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if float(value).is_integer() and abs(value) >= 10:
        return f"{int(value):,}"
    if unit == "%":
        return f"{value:.1f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}x" if value >= 0.095 else f"{value:.3f}x"


def format_table(results: list[Result]) -> str:
    header = ("bench", "measurement", "value", "unit", "vs", "ratio", "note")
    rows = [
        (
            r.bench,
            r.measurement,
            _number(r.value, r.unit),
            r.unit,
            r.baseline,
            _ratio(r.ratio) if r.baseline else "",
            r.note,
        )
        for r in results
    ]
    return text_table(header, rows, right={2, 5})


def text_table(header: tuple, rows: list[tuple], right: set[int]) -> str:
    """Columns padded to their widest cell; the columns numbered in `right` aligned right."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: tuple) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description="print the results of the benchmarks as one table")
    parser.add_argument("command", choices=["report"])
    parser.add_argument("results", type=Path)
    args = parser.parse_args()
    lines = args.results.read_text(encoding="utf-8").splitlines() if args.results.exists() else []
    print(format_table([Result(**json.loads(line)) for line in lines if line.strip()]))


if __name__ == "__main__":
    main()
