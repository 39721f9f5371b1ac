"""Hybrid route throughput: the same generated healthcare CSV through the Flink job
(flink_jobs/compliance_hybrid.py, tokenize, launched as the DAG launches it: include.hybrid) and the
Spark batch job (spark-submit --master local[2] spark_jobs/compliance_batch.py --anonymize tokenize),
in the same run and interleaved, so both see the same background load. Wall time covers each whole
command (JVM, mini cluster / Spark session and Python workers included); the jobs' own manifests
give the pre/pure/post split. Both jobs use two cores (Flink parallelism 2, Spark local[2]).

    .venv/bin/python benchmarks/flink_bench.py [--rows N] [--repeat R] [--results FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from common import (
    AS_OF,
    BENCH_TOKEN_KEY,
    CACHE_DIR,
    ROOT,
    Result,
    add_results_argument,
    dataset,
    publish,
    spark_submit_command,
)

from compliance.anonymize.tokenize import KEY_ENV
from include.hybrid import hybrid_command
from include.settings import load_settings

DOMAIN = "healthcare"
CORES = 2
TIMERS = ("pre_processing_s", "pure_processing_s", "post_processing_s")


def job_arguments(path: Path, staging: Path) -> list[str]:
    return ["--input", str(path), "--staging-dir", str(staging), "--anonymize", "tokenize",
            "--as-of", AS_OF.isoformat(), "--job-key", "bench"]  # fmt: skip


def timed(name: str, argv: list[str], env: dict[str, str], staging: Path) -> tuple[float, dict]:
    """Run one job to completion; (wall seconds, its manifest)."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise SystemExit(f"flink_bench: the {name} job exited with {done.returncode}:\n{tail}")
    return elapsed, json.loads((staging / "manifest.json").read_text())


def run_flink(path: Path, staging: Path) -> tuple[float, dict]:
    argv, env = hybrid_command(job_arguments(path, staging), load_settings({}))
    env[KEY_ENV] = BENCH_TOKEN_KEY
    env.pop("SDP_FLINK_REST_URL", None)  # the in-process mini cluster: same machine as Spark's local[2]
    return timed("flink", [*argv, "--parallelism", str(CORES)], env, staging)


def run_spark(path: Path, staging: Path) -> tuple[float, dict]:
    script = ROOT / "spark_jobs" / "compliance_batch.py"
    argv, env = spark_submit_command(script, job_arguments(path, staging), f"local[{CORES}]")
    return timed("spark", argv, env, staging)


def split(manifest: dict) -> str:
    return "pre/pure/post " + "/".join(f"{manifest[k]:.1f}" for k in TIMERS) + " s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the healthcare CSV (default 1M)")
    parser.add_argument("--repeat", type=int, default=1, help="timings are the best of this many runs")
    add_results_argument(parser)
    args = parser.parse_args()

    path, _ = dataset(DOMAIN, args.rows)
    best = {"flink": float("inf"), "spark": float("inf")}
    manifests: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="flink-bench-", dir=CACHE_DIR) as scratch:
        for _ in range(max(args.repeat, 1)):  # interleaved, so both see the same background load
            for name, run in (("flink", run_flink), ("spark", run_spark)):
                seconds, manifest = run(path, Path(scratch) / name)
                if manifest["records_staged"] != args.rows:
                    raise SystemExit(
                        f"flink_bench: {name} staged {manifest['records_staged']} of {args.rows} rows"
                    )
                best[name] = min(best[name], seconds)
                manifests[name] = manifest
    if manifests["flink"]["violations"] != manifests["spark"]["violations"]:
        raise SystemExit("flink_bench: the two routes found different violation counts")

    label = f"{args.rows:,} {DOMAIN} CSV rows, tokenize, {CORES} cores"
    flink, spark = manifests["flink"], manifests["spark"]
    lanes = flink["details"]["lanes"]
    baseline = "spark batch route"
    results = [
        Result("flink", f"spark batch route, wall, {label}", best["spark"], "s", note=split(spark)),
        Result(
            "flink",
            f"flink hybrid route, wall, {label}",
            best["flink"],
            "s",
            baseline,
            best["flink"] / best["spark"],
            split(flink),
        ),
        Result("flink", f"spark batch route, {label}", args.rows / best["spark"], "rows/s"),
        Result(
            "flink",
            f"flink hybrid route, {label}",
            args.rows / best["flink"],
            "rows/s",
            baseline,
            best["spark"] / best["flink"],
            f"lanes urgent/batched {lanes['urgent']:,}/{lanes['batched']:,}",
        ),
        Result(
            "flink",
            f"flink hybrid route, pure processing only, {label}",
            args.rows / flink["pure_processing_s"],
            "rows/s",
            "spark pure",
            spark["pure_processing_s"] / flink["pure_processing_s"],
            f"{flink['violations']:,} violations (equal counts)",
        ),
    ]
    publish(results, args.results)


if __name__ == "__main__":
    main()
