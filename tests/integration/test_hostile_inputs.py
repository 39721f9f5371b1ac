"""The hostile-input corpus (README "Hostile input") dropped in one batch with two normal files, through
the real landing path: the landing trigger claims the batch, then each file goes through the DAG's
steps (include/ingest.py, the stream route's producer, the consumer service as a real process,
Great Expectations, PostgreSQL) in the order the task group runs them. Every hostile file ends with
its status and reason in PostgreSQL and the quarantine folder; the normal files load; the outside
file that links point at is never touched.

The 1 GB line is the same check with SDP_MAX_LINE_BYTES lowered to 64 KiB, so the file is small.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from compliance.generator import write_dataset
from compliance.io import InputError
from include import ingest, ingest_stream
from include.settings import Settings
from include.streaming.status import file_progress
from include.triggers import LandingZoneTrigger, take_for_run
from tests.conftest import keyed_settings
from tests.integration.test_streaming import ConsumerProcess, consumer_service

pytestmark = pytest.mark.integration

TOKEN_KEY = "hostile-test-key-0123456789abcdef"
LINE_LIMIT = 64 * 1024
ACTOR = "sdp_ingest_landing/hostile/step"
# Claimed name -> (data_files status, fragment of the file-level reason); None: loaded.
EXPECTED = {
    "patients.csv": ("loaded", None),
    "payments.jsonl": ("loaded", None),
    "one_long_line.csv": ("quarantined", "line 1 is longer than 65536 bytes (SDP_MAX_LINE_BYTES)"),
    "ten_thousand_columns.csv": ("quarantined", "more than 2048 columns (SDP_MAX_COLUMNS)"),
    "header_only.csv": ("quarantined", "no data rows (header only"),
    "duplicate_headers.csv": ("quarantined", "duplicate column name(s): ssn"),
    "nul_bytes.csv": ("quarantined", "NUL byte at offset"),
    "latin1.csv": ("quarantined", "not UTF-8 text"),
    "utf16.csv": ("quarantined", "UTF-16"),
    "mixed_rows.csv": ("loaded", None),
    "formulas.csv": ("loaded", None),
    "nested.parquet": ("loaded", None),
    "binary_column.parquet": ("quarantined", "column 'photo' holds binary data"),
    "__reboot__rm_-rf____.csv": ("loaded", None),
    "deleted_after_register.csv": ("failed", "the claimed file disappeared"),
}
# Entries refused before anything is read: no data_files row, a data_quarantine row without one.
REFUSED = {
    "symlink.csv": "a symbolic link",
    "hardlink.csv": "a hard link (2 names",
    "deleted_when_claimed.csv": "the claimed file is gone",
}


@pytest.fixture
def settings(services: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    # The readers take their limits from the environment, in this process as in a task's.
    monkeypatch.setenv("SDP_MAX_LINE_BYTES", str(LINE_LIMIT))
    return keyed_settings(services, tmp_path, monkeypatch, TOKEN_KEY)


@pytest.fixture
def consumer(services: Settings, tmp_path: Path) -> Iterator[ConsumerProcess]:
    with consumer_service(services, TOKEN_KEY, tmp_path / "consumer.log") as process:
        yield process


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def drop_corpus(landing: Path, outside: Path, scratch: Path) -> None:
    """The hostile files and two normal ones, written straight into the landing zone."""
    landing.mkdir(parents=True)
    write_dataset("healthcare", 200, landing / "patients.csv", seed=1)
    write_dataset("financial", 150, landing / "payments.jsonl", seed=2)
    write_dataset("healthcare", 60, scratch / "visits.csv", seed=3)
    visits = _lines(scratch / "visits.csv")
    (landing / "one_long_line.csv").write_bytes(b"x" * (3 * LINE_LIMIT))  # the 1 GB line, scaled down
    (landing / "ten_thousand_columns.csv").write_text(
        ",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" * 10_000) + "\n"
    )
    (landing / "header_only.csv").write_bytes(visits[0])
    (landing / "duplicate_headers.csv").write_text("ssn,name,ssn\n123-45-6789,Ann Lee,987-65-4321\n")
    (landing / "nul_bytes.csv").write_bytes(b"".join(visits[:5]).replace(b",", b",\x00", 3))
    text = b"".join(visits[:30]).decode()
    (landing / "latin1.csv").write_bytes(text.replace("a", "\u00e4").encode("latin-1"))
    (landing / "utf16.csv").write_bytes(text.encode("utf-16"))
    mixed = visits[:40]
    mixed[7] = mixed[7].replace(b",", b",M\xfcnchen ", 1)  # a Windows-1252 row among UTF-8 ones
    mixed[9] = mixed[9].replace(b",", b",Z\xfcrich ", 1)
    (landing / "mixed_rows.csv").write_bytes(b"".join(mixed))
    (landing / "formulas.csv").write_text(
        "id,note,amount,label\n"
        '1,"=HYPERLINK(""http://x.test"",""open"")",-12.50,plain\n'
        '2,+SUM(A1:A9),+3.5,"@cmd"\n'
        '3,"-2+3+cmd|\' /C calc\'!A0",-1e3,"\tinfo"\n'
    )
    pq.write_table(
        pa.table({"id": ["1", "2"], "tags": pa.array([["vip", "new"], None]),
                  "address": pa.array([{"city": "Lyon", "zip": "69001"}, {"city": "Nice", "zip": "06000"}])}),
        landing / "nested.parquet",
    )  # fmt: skip
    pq.write_table(pa.table({"id": ["1"], "photo": pa.array([b"\x89PNG\r\n\x1a\n\xff"], pa.binary())}),
                   landing / "binary_column.parquet")  # fmt: skip
    (landing / "$(reboot);rm -rf ~;\u202e.csv").write_bytes(b"".join(visits[:20]))
    (landing / "deleted_after_register.csv").write_bytes(b"".join(visits[:25]))
    (landing / "deleted_when_claimed.csv").write_bytes(b"".join(visits[:26]))
    (landing / "symlink.csv").symlink_to(outside)
    os.link(outside, landing / "hardlink.csv")


async def _claim_batch(trigger: LandingZoneTrigger, count: int, growing: Path) -> list[dict]:
    """Run the trigger until it claimed `count` entries, while `growing` keeps growing."""
    found: list[dict] = []
    stop = threading.Event()

    def grow() -> None:
        with open(growing, "a") as handle:
            while not stop.wait(0.05):
                handle.write("1,2\n")
                handle.flush()

    writer = threading.Thread(target=grow, daemon=True)
    writer.start()

    async def collect() -> None:
        async for event in trigger.run():
            found.append(event.payload)
            if len(found) == count:
                return

    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(collect(), 20)
    finally:
        stop.set()
        writer.join()
    return found


def _process(path: str, s: Settings, consumer: ConsumerProcess) -> dict:
    """The task group's steps for one file up to its stream publish; returns what later steps need."""
    try:
        ticket = ingest.register(path, actor=ACTOR, s=s)
    except ingest.RefusedEntry as exc:
        return {"refused": str(exc)}
    if Path(path).name.endswith("deleted_after_register.csv"):
        os.unlink(path)  # gone between two steps of its run
    try:
        ticket = ingest.classify_and_route(
            ticket, actor=ACTOR, dag_id="sdp_ingest_landing", run_id="hostile", s=s
        )
    except InputError as exc:
        return {"ticket": ticket, "outcome": _finalize(ticket, s, input_error=str(exc))}
    assert ticket.route == "stream", ticket.route_reason  # small files: the stream route
    try:
        ingest_stream.publish(ticket, s=s)
    except InputError as exc:
        ingest.record_input_error(ticket, str(exc))
        return {"ticket": ticket, "outcome": _finalize(ticket, s)}
    return {"ticket": ticket}


def _finalize(ticket, s: Settings, **kwargs) -> str:
    options = {"loaded": None, "validation_failure": None} | kwargs
    return ingest.finalize(ticket, actor=ACTOR, s=s, **options)


def _complete(s: Settings, ticket, consumer: ConsumerProcess) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with psycopg.connect(s.database_url) as conn:
            progress = file_progress(conn, ticket.job_id)
        if progress is not None and progress.completed:
            return
        assert consumer.proc.poll() is None, consumer.log()[-3000:]
        time.sleep(0.2)
    raise AssertionError(f"stream job of {ticket.name} not complete: {consumer.log()[-3000:]}")


def _load(s: Settings, ticket, consumer: ConsumerProcess) -> str:
    _complete(s, ticket, consumer)
    ingest_stream.stage(ticket, s=s)
    report = ingest.validate(ticket, actor=ACTOR, s=s)
    if not report.success:
        failure = {
            "success": False,
            "suite": report.suite,
            "failed": report.failed,
            "failures": report.failures,
        }
        return _finalize(ticket, s, validation_failure=failure)
    result = ingest.load(ticket, actor=ACTOR, s=s)
    return _finalize(
        ticket, s, loaded={"records_loaded": result.records_loaded, "duplicate": result.duplicate}
    )


def _query(s: Settings, sql: str, *params) -> list[tuple]:
    with psycopg.connect(s.database_url) as conn:
        return conn.execute(sql, params).fetchall()


def test_hostile_batch_is_quarantined_with_reasons_and_the_rest_loads(settings: Settings, consumer, tmp_path):
    s = settings
    outside = tmp_path / "outside-secret.csv"
    outside.write_text("ssn\n123-45-6789\n")
    os.chmod(outside, 0o644)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    drop_corpus(s.landing_dir, outside, scratch)
    growing = s.landing_dir / "growing.csv"
    growing.write_text("a,b\n")
    dropped = len(EXPECTED) + len(REFUSED)

    trigger = LandingZoneTrigger(directory=str(s.landing_dir), inbox=str(s.inbox_dir), poll_seconds=0.1,
                                 stable_seconds=0.5)  # fmt: skip
    events = asyncio.run(_claim_batch(trigger, dropped, growing))
    assert sorted(e["name"] for e in events) == sorted([*EXPECTED, *REFUSED])
    assert [p.name for p in s.landing_dir.iterdir()] == ["growing.csv"], "a growing file is never claimed"
    renamed = next(e for e in events if "renamed_from" in e)
    assert renamed["renamed_from"] == ascii("$(reboot);rm -rf ~;\u202e.csv")

    paths = take_for_run([e["path"] for e in events], inbox=s.inbox_dir, run_id="hostile")
    assert len(paths) == dropped
    os.unlink(next(p for p in paths if p.endswith("deleted_when_claimed.csv")))

    started = {Path(p).name.split("-", 2)[2]: _process(p, s, consumer) for p in paths}
    outcome = {name: step.get("outcome") or _load(s, step["ticket"], consumer)
               for name, step in started.items() if "refused" not in step}  # fmt: skip
    assert consumer.proc.poll() is None, "the consumer keeps running"

    files = {
        name: _query(s, "SELECT id, status FROM data_files WHERE id = %s", started[name]["ticket"].file_id)[0]
        for name in EXPECTED
    }
    assert {name: status for name, (_, status) in files.items()} == {n: e[0] for n, e in EXPECTED.items()}
    assert {n: o for n, o in outcome.items()} == {
        n: {"loaded": "archived", "quarantined": "quarantined", "failed": "failed"}[e[0]]
        for n, e in EXPECTED.items()
    }
    for name, (status, fragment) in EXPECTED.items():
        file_id = files[name][0]
        reasons = [r for (r,) in _query(s, "SELECT reason FROM data_quarantine WHERE file_id = %s AND "
                                           "row_number IS NULL", file_id)]  # fmt: skip
        if fragment is None:
            assert reasons == [], (name, reasons)
            continue
        assert len(reasons) == 1 and fragment in reasons[0], (name, reasons)
        if status == "quarantined":
            sha = started[name]["ticket"].sha256
            (reason_file,) = s.quarantine_dir.glob(f"{sha[:16]}-*/REASON.txt")
            assert fragment in reason_file.read_text()
        assert _query(s, "SELECT count(*) FROM data_records WHERE file_id = %s", file_id) == [(0,)]
    (job,) = _query(
        s,
        "SELECT status FROM data_processing_jobs WHERE file_id = %s",
        files["deleted_after_register.csv"][0],
    )
    assert job == ("failed",)

    for name, fragment in REFUSED.items():
        rows = _query(
            s, "SELECT reason FROM data_quarantine WHERE file_id IS NULL AND reason LIKE %s", f"%-{name}: %"
        )
        assert len(rows) == 1 and fragment in rows[0][0], (name, rows)
    kept = {
        p.name.split("-", 2)[2]: p for p in s.quarantine_dir.glob("refused-*/*") if p.name != "REASON.txt"
    }
    assert sorted(kept) == ["hardlink.csv", "symlink.csv"], "moved as they are, the vanished one has nothing"
    assert kept["symlink.csv"].is_symlink() and os.stat(kept["hardlink.csv"]).st_nlink == 2
    assert outside.read_text() == "ssn\n123-45-6789\n" and os.stat(outside).st_mode & 0o777 == 0o644

    def payloads(name: str) -> list[dict]:
        sql = "SELECT payload FROM data_records WHERE file_id = %s ORDER BY row_number"
        return [p for (p,) in _query(s, sql, files[name][0])]

    assert len(payloads("patients.csv")) == 200 and len(payloads("payments.jsonl")) == 150
    assert len(payloads("__reboot__rm_-rf____.csv")) == 19
    assert len(payloads("mixed_rows.csv")) == 37
    bad_rows = _query(s, "SELECT row_number, reason FROM data_quarantine WHERE file_id = %s AND row_number IS NOT NULL "
                         "ORDER BY 1", files["mixed_rows.csv"][0])  # fmt: skip
    assert bad_rows == [(6, "invalid UTF-8 bytes in row"), (8, "invalid UTF-8 bytes in row")]
    formulas = [(p["note"], p["amount"], p["label"]) for p in payloads("formulas.csv")]
    assert formulas[0][0].startswith("'=HYPERLINK(") and formulas[0][1:] == ("-12.50", "plain")
    assert formulas[1:] == [("'+SUM(A1:A9)", "+3.5", "'@cmd"), ("'-2+3+cmd|' /C calc'!A0", "-1e3", "'\tinfo")]
    assert all(
        not str(v).startswith(("=", "@", "\t", "\r")) for p in payloads("formulas.csv") for v in p.values()
    )
    nested = payloads("nested.parquet")
    assert [json.loads(p["tags"]) if p.get("tags") else None for p in nested] == [["vip", "new"], None]
    # A nested address is JSON text in a column whose header names a sensitive attribute: tokenized whole.
    assert all(p["address"].startswith("UNRECOGNISED_SENSITIVE_k1_") for p in nested)
