"""`sdp generate` and `sdp scan` as a user runs them: real files, real exit codes, one-line
errors, no tracebacks, and the violation format of docs/architecture.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from compliance.anonymize.tokenize import TOKEN_REGEX
from compliance.detection.blanks import BLANK_OR_TOKEN
from compliance.vocabulary import VIOLATION_KEYS, IdType, Regulation, Severity

KEY = "test-key-0123456789abcdef"
AS_OF = "2026-06-01"


def sdp(*args: str, cwd: Path, key: str | None = KEY, **settings: str) -> subprocess.CompletedProcess:
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(cwd), **settings}
    if key:
        env["SDP_TOKEN_KEY"] = key
    return subprocess.run([sys.executable, "-m", "compliance.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def assert_user_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], result.stderr


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_generate_then_scan_matches_labels(workdir: Path, fmt: str) -> None:
    data, labels = workdir / f"mixed.{fmt}", workdir / f"labels-{fmt}.jsonl"
    result = sdp("generate", "--domain", "mixed", "--rows", "3000", "--out", str(data), "--seed", "11",
                 "--labels", str(labels), "--as-of", AS_OF, cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    violations, output = workdir / f"v-{fmt}.jsonl", workdir / f"clean-{fmt}.parquet"
    result = sdp("scan", str(data), "--violations", str(violations), "--output", str(output), "--anonymize",
                 "tokenize", "--as-of", AS_OF, cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "3000 rows" in result.stderr

    found = read_jsonl(violations)
    assert found and all(list(v) == list(VIOLATION_KEYS) for v in found)
    assert {v["type"] for v in found} <= {t.value for t in IdType}
    assert {v["regulation"] for v in found} <= {r.value for r in Regulation}
    assert {v["severity"] for v in found} <= {s.value for s in Severity}
    assert len({(v["row"], v["field"], v["type"]) for v in found}) == len(found), "one per (row, field, type)"

    truth = {(v["row"], v["field"], v["type"]) for v in read_jsonl(labels)}
    got = {(v["row"], v["field"], v["type"]) for v in found}
    for kind in {k[2] for k in truth | got}:
        t = {k for k in truth if k[2] == kind}
        g = {k for k in got if k[2] == kind}
        recall = len(t & g) / len(t) if t else 1.0
        precision = len(t & g) / len(g) if g else 1.0
        assert recall >= 0.995 and precision >= 0.995, (kind, recall, precision)

    # The anonymized copy: same rows, identifier columns tokenized (placeholders such as "N/A"
    # carry no identifier and are kept), no raw SSN/email left.
    table = pq.read_table(output)
    assert table.num_rows == 3000
    emails = [v for v in table.column("email").to_pylist() if v]
    assert emails and all(__import__("re").match(BLANK_OR_TOKEN, v) for v in emails)
    assert not any("@" in (v or "") for v in table.column("notes").to_pylist())


def test_tokens_are_stable_across_formats(workdir: Path) -> None:
    by_format = {}
    for fmt in ("csv", "parquet"):
        path = workdir / f"clean-{fmt}.parquet"
        if not path.exists():
            pytest.fail("depends on test_generate_then_scan_matches_labels")
        by_format[fmt] = pq.read_table(path).column("ssn").to_pylist()
    assert by_format["csv"] == by_format["parquet"]


def test_k_anonymity_output(workdir: Path) -> None:
    data = workdir / "health.csv"
    assert sdp("generate", "--domain", "healthcare", "--rows", "4000", "--out", str(data), "--seed", "3",
               cwd=workdir).returncode == 0  # fmt: skip
    out, summary = workdir / "kanon.parquet", workdir / "summary.json"
    result = sdp("scan", str(data), "--violations", str(workdir / "kv.jsonl"), "--output", str(out),
                 "--anonymize", "k_anonymity", "--summary", str(summary), cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    stats = json.loads(summary.read_text())
    kanon = stats["k_anonymity"]
    assert kanon["applied"] and kanon["k"] >= 2
    table = pq.read_table(out).to_pandas()
    assert len(table) == 4000 - kanon["suppressed"]
    quasi = list(kanon["quasi_identifiers"])
    assert quasi
    # A token in a quasi-identifier column (a value of another type, tokenized) is withheld: it
    # counts as "*" in its equivalence class.
    tokens = table[quasi].apply(
        lambda column: column.astype("string").str.fullmatch(TOKEN_REGEX).fillna(False)
    )
    published = table[quasi].mask(tokens, "*")
    assert published.groupby(quasi, dropna=False).size().min() >= kanon["k"]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("missing.csv", None, "no such file"),
        ("empty.csv", b"", "empty file"),
        ("header.csv", b"name,ssn\n", "no data rows"),
        ("binary.csv", bytes(range(256)) * 4, "binary file"),
        ("data.xlsx", b"PK\x03\x04" + b"\x00" * 64, "binary file"),
        ("readme.md", b"just some words without structure\n", "unknown format"),
        ("bad.parquet", b"not parquet at all\n", "not a Parquet file"),
        ("utf16.csv", "name,email\nJosé,j@example.org\n".encode("utf-16"), "UTF-16 text (byte-order mark)"),
        ("utf16le.csv", "name,email\nJosé,j@example.org\n".encode("utf-16-le"), "looks like UTF-16"),
        ("utf32.csv", "name,email\nJosé,j@example.org\n".encode("utf-32"), "UTF-32 text"),
        ("latin1.csv", b"name,city\n" + "Zoë,Köln\n".encode("latin-1") * 20, "not UTF-8 text"),
    ],
)
def test_bad_files_are_one_line_errors(
    workdir: Path, name: str, content: bytes | None, fragment: str
) -> None:
    path = workdir / name
    if content is not None:
        path.write_bytes(content)
    result = sdp("scan", str(path), "--violations", str(workdir / "v.jsonl"), cwd=workdir)
    assert_user_error(result, fragment)


def test_bad_rows_are_quarantined_and_the_rest_processed(workdir: Path) -> None:
    path = workdir / "ragged.csv"
    path.write_bytes(
        b"name,ssn,email\n"
        b"Ann Lee,123-45-6789,ann@example.org\n"
        b"only-one-field\n"
        b"Bob \xff\xfe Roe,234-56-7890,bob@example.org\n"
        b"Cy Doe,345-67-8901,cy@example.org,extra\n"
        b"Di Poe,456-78-9012,di@example.org\n"
    )
    violations, quarantine = workdir / "rv.jsonl", workdir / "rq.jsonl"
    result = sdp(
        "scan", str(path), "--violations", str(violations), "--quarantine", str(quarantine), cwd=workdir
    )
    assert result.returncode == 0, result.stderr
    reasons = {q["row"]: q["reason"] for q in read_jsonl(quarantine)}
    assert set(reasons) == {1, 2, 3}
    assert "ragged" in reasons[1] and "UTF-8" in reasons[2] and "ragged" in reasons[3]
    assert all("\xff" not in r and "Bob" not in r for r in reasons.values())
    rows = Counter(v["row"] for v in read_jsonl(violations))
    assert set(rows) == {0, 4}, "violations keep the input's row numbers around quarantined rows"


def test_invalid_json_lines_are_quarantined(workdir: Path) -> None:
    path = workdir / "events.jsonl"
    path.write_text('{"email": "a@example.org"}\n{broken\n[1, 2]\n{"email": "b@example.org"}\n')
    violations, quarantine = workdir / "jv.jsonl", workdir / "jq.jsonl"
    result = sdp(
        "scan", str(path), "--violations", str(violations), "--quarantine", str(quarantine), cwd=workdir
    )
    assert result.returncode == 0, result.stderr
    assert [q["row"] for q in read_jsonl(quarantine)] == [1, 2]
    assert sorted(v["row"] for v in read_jsonl(violations) if v["type"] == "EMAIL") == [0, 3]


def test_missing_token_key_is_a_user_error(workdir: Path) -> None:
    data = workdir / "small.csv"
    data.write_text("email\na@example.org\n")
    result = sdp("scan", str(data), "--violations", str(workdir / "k.jsonl"), "--output",
                 str(workdir / "k.parquet"), cwd=workdir, key=None)  # fmt: skip
    assert_user_error(result, "SDP_TOKEN_KEY")


def test_key_never_printed(workdir: Path) -> None:
    data = workdir / "small2.csv"
    data.write_text("email,ssn\na@example.org,123-45-6789\n")
    result = sdp("scan", str(data), "--violations", str(workdir / "k2.jsonl"), "--output",
                 str(workdir / "k2.csv"), cwd=workdir)  # fmt: skip
    assert result.returncode == 0
    everything = (
        result.stdout + result.stderr + (workdir / "k2.csv").read_text() + (workdir / "k2.jsonl").read_text()
    )
    assert KEY not in everything
    assert "123-45-6789" not in (workdir / "k2.csv").read_text()


def test_bad_arguments_exit_2(workdir: Path) -> None:
    result = sdp("scan", "x.csv", "--violations", "v.jsonl", "--anonymize", "bogus", cwd=workdir)
    assert result.returncode == 2
    result = sdp("generate", "--domain", "nope", "--rows", "5", "--out", "x.csv", cwd=workdir)
    assert result.returncode == 2
    result = sdp("scan", str(workdir / "header.csv"), "--violations", str(workdir / "no-such-dir" / "v.jsonl"),
                 cwd=workdir)  # fmt: skip
    assert_user_error(result, "does not exist")


def test_threads_option_and_setting(workdir: Path) -> None:
    data = workdir / "threads.csv"
    data.write_text("email,ssn\n" + "".join(f"u{i}@example.org,123-45-{6000 + i}\n" for i in range(40)))
    outputs = []
    for threads in ("1", "3"):
        violations = workdir / f"t{threads}.jsonl"
        result = sdp("scan", str(data), "--violations", str(violations), "--batch-rows", "7", "--threads", threads,
                     cwd=workdir)  # fmt: skip
        assert result.returncode == 0, result.stderr
        outputs.append(violations.read_bytes())
    assert outputs[0] == outputs[1] and len(read_jsonl(violations)) == 80
    result = sdp("scan", str(data), "--violations", str(violations), "--threads", "0", cwd=workdir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    result = sdp("scan", str(data), "--violations", str(violations), cwd=workdir, SDP_CORE_THREADS="two")
    assert_user_error(result, "SDP_CORE_THREADS must be a whole number")


def test_scan_does_not_import_pandas(workdir: Path) -> None:
    """pandas costs ~0.4 s of every `sdp scan`'s start-up and the core never uses it; code that
    does convert to pandas afterwards still can."""
    data = workdir / "no-pandas.csv"
    data.write_text("patient_id,email\n1,jane.doe@example.com\n")
    script = (
        "import sys\n"
        "from compliance.cli import main\n"
        f"code = main(['scan', {str(data)!r}, '--violations', {str(workdir / 'np.jsonl')!r},"
        f" '--output', {str(workdir / 'np.parquet')!r}])\n"
        "assert code == 0 and 'pandas' not in sys.modules, code\n"
        "import pyarrow as pa\n"
        "assert pa.table({'a': [1]}).to_pandas().shape == (1, 1)\n"
    )
    env = {**os.environ, "SDP_TOKEN_KEY": KEY}
    result = subprocess.run([sys.executable, "-c", script], cwd=workdir, env=env, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
