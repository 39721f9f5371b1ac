"""The core must run in both environments: the Flink venv pins an older pyarrow/numpy (apache-beam),
so `sdp scan` there must give the same violations and tokens as in the Airflow venv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from include.settings import REPO_ROOT

FLINK_PYTHON = REPO_ROOT / ".venv-flink" / "bin" / "python"
pytestmark = pytest.mark.integration


def _scan(python: Path, source: Path, out: Path) -> tuple[str, object]:
    env = dict(os.environ, SDP_TOKEN_KEY="flink-venv-key-0123456789abcdef")
    result = subprocess.run(
        [str(python), "-m", "compliance.cli", "scan", str(source), "--violations", str(out / "v.jsonl"),
         "--output", str(out / "o.parquet"), "--anonymize", "tokenize", "--as-of", "2026-06-01",
         # Read batches of ~400 rows, joined into batches of 700 for the core (compliance/io_batches.py).
         "--batch-rows", "700"],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return (out / "v.jsonl").read_text(), pq.read_table(out / "o.parquet").to_pylist()


@pytest.mark.parametrize("domain", ["healthcare", "mixed"])
def test_same_results_in_both_venvs(domain: str, tmp_path: Path) -> None:
    assert FLINK_PYTHON.exists(), "make setup builds .venv-flink"
    version = subprocess.run([str(FLINK_PYTHON), "-c", "import pyarrow; print(pyarrow.__version__)"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert int(version.split(".")[0]) < 18, "the Flink venv really is the old-pyarrow environment"
    source = tmp_path / f"{domain}.csv"
    from compliance.generator import write_dataset

    write_dataset(domain, 2000, source, seed=5)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    airflow_side = _scan(Path(sys.executable), source, tmp_path / "a")
    flink_side = _scan(FLINK_PYTHON, source, tmp_path / "b")
    assert airflow_side[0] == flink_side[0], "identical violations JSONL"
    assert airflow_side[1] == flink_side[1], "identical anonymized rows (same tokens)"
