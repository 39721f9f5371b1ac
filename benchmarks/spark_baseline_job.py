"""Native-Spark baseline of the batch route: what plain Spark SQL pays to find the same kinds of
identifiers in the same columns, with no Python workers, no validation and no anonymization.

    spark-submit --master local[*] benchmarks/spark_baseline_job.py --input FILE.csv --output DIR

Reads the CSV with every column as a string (as the core reads it), flags `rlike` matches of SSN,
email, phone and card-number patterns in the columns ssn / email / phone / notes (those present),
and writes the rows plus one boolean flag per (column, pattern) as Parquet. The patterns are plain
Java regexes of the same shapes the core detects; there is no checksum (Luhn) or context check, so
this is a floor for the batch job, not an equivalent of it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

PATTERNS = {
    "ssn": r"\b\d{3}-\d{2}-\d{4}\b",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "phone": r"(?:\+?1[ .-]?)?\(?\b\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}\b",
    "card": r"\b(?:\d[ -]?){12,18}\d\b",
}
SCANNED_COLUMNS = ("ssn", "email", "phone", "notes")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="spark_baseline_job", description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, type=Path, help="CSV file with a header row")
    parser.add_argument("--output", required=True, type=Path, help="Parquet output folder (replaced)")
    return parser.parse_args(argv)


def run(spark: SparkSession, source: Path, output: Path) -> tuple[int, int]:
    """Flag the pattern matches and write them; returns (rows written, flag columns)."""
    frame = (
        spark.read.option("header", "true")
        .option("inferSchema", "false")  # every column a string
        .option("escape", '"')  # RFC 4180 quoting, as the generator writes it
        .csv(str(source))
    )
    flags = [
        F.col(f"`{column}`").rlike(pattern).alias(f"_{column}_{kind}")
        for column in SCANNED_COLUMNS
        if column in frame.columns
        for kind, pattern in PATTERNS.items()
    ]
    if not flags:
        raise SystemExit(f"spark_baseline_job: none of {SCANNED_COLUMNS} is a column of {source.name}")
    frame.select("*", *flags).write.mode("overwrite").parquet(str(output))
    rows = spark.read.parquet(str(output)).count()  # from the Parquet footers: no rescan
    return rows, len(flags)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    spark = SparkSession.builder.appName("sdp-spark-baseline").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        rows, flags = run(spark, args.input, args.output)
    finally:
        spark.stop()
    print(
        f"sdp-spark-baseline file={args.input.name} rows={rows} flags={flags} "
        f"total_s={time.perf_counter() - started:.2f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
