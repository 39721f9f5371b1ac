"""End to end on the real platform: Airflow (api-server, scheduler, dag-processor, triggerer,
LocalExecutor), PostgreSQL, the Kafka-protocol broker and the stream consumer, spark-submit,
PyFlink, Great Expectations. Files are dropped into the landing zone exactly as a user would;
results are read back from PostgreSQL and the data zones.

One module-scoped stack on free ports, in a state folder of its own; stopped at the end. Its
routing thresholds are set from the sample files' sizes so each route gets its file: payments.jsonl
takes the batch route (Spark), patients.csv the hybrid route (Flink), the small files the stream.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from compliance.detection.blanks import BLANK
from compliance.generator import write_dataset
from compliance.scan import scan_file
from include.settings import Settings, load_settings
from include.stack.manager import Stack
from tests.conftest import isolated_stack_env
from tests.integration import at_rest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKEN_KEY = "e2e-token-key-0123456789abcdef"
DEADLINE_SECONDS = 25
FINAL = ("loaded", "quarantined", "duplicate", "failed")


ROUTE_OF = {
    "payments.jsonl": "batch",
    "patients.csv": "hybrid",
    "places.parquet": "stream",
    "ragged.csv": "stream",
}
ENGINE_OF = {"batch": "spark", "hybrid": "flink", "stream": "stream"}


@pytest.fixture(scope="module")
def platform(samples):
    sizes = {name: samples[name].stat().st_size for name in ROUTE_OF}
    stream_max = max(size for name, size in sizes.items() if ROUTE_OF[name] == "stream") + 1
    batch_min = sizes["payments.jsonl"]
    assert stream_max < sizes["patients.csv"] < batch_min, sizes
    env = isolated_stack_env(
        "e2e-",
        SDP_TOKEN_KEY=TOKEN_KEY,
        SDP_DEADLINE_SECONDS=str(DEADLINE_SECONDS),
        SDP_FILE_STABLE_SECONDS="1",
        SDP_LANDING_POLL_SECONDS="1",
        SDP_STREAM_MAX_BYTES=str(stream_max),
        SDP_BATCH_MIN_BYTES=str(batch_min),
        SDP_STREAM_BATCH_WAIT_MS="200",
    )
    state_dir = Path(env["SDP_STATE_DIR"])
    settings = load_settings(env)
    stack = Stack(settings, ["postgres", "kafka", "stream-consumer", "airflow-api-server", "airflow-scheduler",
                             "airflow-dag-processor", "airflow-triggerer"])  # fmt: skip
    stack.up(log=lambda _m: None)
    yield settings, stack
    stack.down(log=lambda _m: None)
    if not os.environ.get("SDP_TEST_KEEP_STATE"):  # set it to read the logs and data zones after a failure
        shutil.rmtree(state_dir, ignore_errors=True)


def query(settings: Settings, sql: str, *params) -> list[tuple]:
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(sql, params).fetchall()


def wait_files(settings: Settings, shas: list[str], timeout: float = 480) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    status: dict[str, str] = {}
    while time.monotonic() < deadline:
        status = dict(query(settings, "SELECT sha256, status FROM data_files WHERE sha256 = ANY(%s)", shas))
        settled = not [p for p in settings.inbox_dir.rglob("*") if p.is_file()]  # archived or quarantined
        if len(status) == len(set(shas)) and all(s in FINAL for s in status.values()) and settled:
            return status
        time.sleep(1)
    logs = settings.state_dir / "logs"
    raise AssertionError(f"files not final after {timeout} s: {status}; see {logs}")


def drop(settings: Settings, source: Path, name: str | None = None) -> None:
    """Copy beside the landing zone, then rename in: what a careful uploader does."""
    target = settings.landing_dir / (name or source.name)
    temporary = settings.landing_dir / f".{target.name}.part"
    shutil.copyfile(source, temporary)
    os.rename(temporary, target)


def sha(path: Path) -> str:
    from include.db.files import sha256_of

    return sha256_of(path)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("samples")
    files = {
        "patients.csv": ("healthcare", 3000),
        "payments.jsonl": ("financial", 2000),
        "places.parquet": ("location", 1500),
    }
    out = {}
    for name, (domain, rows) in files.items():
        out[name] = folder / name
        write_dataset(domain, rows, out[name], seed=len(name))
    (folder / "empty.csv").write_bytes(b"")
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 64)
    lines = out["patients.csv"].read_bytes().splitlines(keepends=True)[:201]
    lines[10] = b"only,three,fields\n"
    lines[20] = lines[20].replace(b",", b",\xff\xfe,", 1)
    (folder / "ragged.csv").write_bytes(b"".join(lines))
    # A whole file in the wrong encoding (a spreadsheet export in UTF-16): a file-level reason.
    (folder / "utf16.csv").write_bytes(b"".join(lines[:20]).decode().encode("utf-16"))
    out.update({n: folder / n for n in ("empty.csv", "binary.csv", "ragged.csv", "utf16.csv")})
    return out


GOOD = ("patients.csv", "payments.jsonl", "places.parquet")
BAD = {"empty.csv": "empty", "binary.csv": "binary", "utf16.csv": "UTF-16"}


def test_landing_zone_end_to_end(platform, samples) -> None:
    """Good and malformed files dropped at the same time: each good file loads through its route
    with the violations `sdp scan` finds; each malformed one is quarantined with its reason."""
    settings, _stack = platform
    names = [*GOOD, "ragged.csv", *BAD]
    for name in names:
        drop(settings, samples[name])
    shas = {name: sha(samples[name]) for name in names}
    status = wait_files(settings, list(shas.values()))
    assert {name: status[shas[name]] for name in names} == {
        **{name: "loaded" for name in (*GOOD, "ragged.csv")},
        **{name: "quarantined" for name in BAD},
    }

    for name in GOOD:
        route = ROUTE_OF[name]
        (file_id,) = query(settings, "SELECT id FROM data_files WHERE sha256 = %s", shas[name])[0]
        records = query(settings, "SELECT count(*), count(DISTINCT row_number) FROM data_records WHERE file_id = %s",
                        file_id)[0]  # fmt: skip
        loaded = {
            (r, f, t)
            for r, f, t in query(
                settings,
                "SELECT row_number, field, violation_type FROM data_compliance_violations WHERE file_id = %s",
                file_id,
            )
        }
        violations_path = samples[name].with_suffix(".violations.jsonl")
        reference = scan_file(samples[name], violations_out=violations_path, as_of=dt.date.today())
        expected = {
            (v["row"], v["field"], v["type"])
            for v in map(json.loads, violations_path.read_text().splitlines())
        }
        assert loaded == expected, name

        (job,) = query(settings, "SELECT engine, status, records_in, records_loaded, records_quarantined, violations, "
                       "pre_processing_s, pure_processing_s, post_processing_s, records_per_second, route_reason "
                       "FROM data_processing_jobs WHERE file_id = %s", file_id)  # fmt: skip
        (
            engine,
            job_status,
            records_in,
            records_loaded,
            quarantined,
            violations,
            pre,
            pure,
            post,
            rps,
            reason,
        ) = job
        assert (engine, job_status) == (ENGINE_OF[route], "succeeded"), name
        assert records_in == reference.records_in and violations == len(expected), name
        assert records[0] == records[1] == records_loaded
        if route == "batch":  # k-anonymity by default, which may suppress up to the policy's 5 %
            assert records_in * 0.95 <= records_loaded + quarantined <= records_in
        else:  # tokenization keeps every row
            assert records_loaded + quarantined == records_in
        assert min(pre, pure, post) >= 0 and rps > 0 and reason, name

        actions = {a for (a,) in query(settings, "SELECT action FROM system_audit_log WHERE object_id IN "
                                       "(SELECT id::text FROM data_files WHERE id = %s UNION SELECT id::text FROM "
                                       "data_processing_jobs WHERE file_id = %s)", file_id, file_id)}  # fmt: skip
        assert {
            "sensed",
            "classified",
            "routed",
            "processed",
            "validated",
            "loaded",
            "archived",
        } <= actions, name
        (route_details,) = query(settings, "SELECT details FROM system_audit_log WHERE action = 'routed' AND "
                                 "object_id IN (SELECT id::text FROM data_processing_jobs WHERE file_id = %s)",
                                 file_id)[0]  # fmt: skip
        assert route_details["route"] == route, name
        assert query(settings, "SELECT success FROM data_validation_results WHERE file_id = %s", file_id) == [
            (True,)
        ]

        archived = list((settings.raw_dir).rglob(f"{shas[name]}-*"))
        assert len(archived) == 1 and stat.S_IMODE(archived[0].stat().st_mode) == 0o600
        assert archived[0].read_bytes() == samples[name].read_bytes()

        # Anonymized payloads: direct identifiers are tokens from the same key as everywhere else
        # (placeholders such as "N/A" and masks hold no identifier and stay as they are; a value of
        # the column that no detector can type is tokenized as UNRECOGNISED_SENSITIVE).
        column, prefix = {"patients.csv": ("ssn", "SSN_k1_"), "payments.jsonl": ("email", "EMAIL_k1_"),
                          "places.parquet": ("device_id", "DEVICE_ID_k1_")}[name]  # fmt: skip
        payloads = [p for (p,) in query(settings, "SELECT payload->>%s FROM data_records WHERE file_id = %s AND "
                                        "payload->>%s IS NOT NULL LIMIT 50", column, file_id, column)]  # fmt: skip
        tokens = [p for p in payloads if not re.fullmatch(BLANK, p)]
        assert any(p.startswith(prefix) for p in tokens), name
        assert all(p.startswith((prefix, "UNRECOGNISED_SENSITIVE_k1_")) for p in tokens), name

    for name, fragment in BAD.items():
        (file_id,) = query(settings, "SELECT id FROM data_files WHERE sha256 = %s", shas[name])[0]
        reasons = query(
            settings, "SELECT row_number, reason FROM data_quarantine WHERE file_id = %s", file_id
        )
        assert reasons and reasons[0][0] is None and fragment in reasons[0][1], (name, reasons)
        assert query(settings, "SELECT count(*) FROM data_records WHERE file_id = %s", file_id) == [(0,)]
        reason_files = list(settings.quarantine_dir.glob(f"{shas[name][:16]}-*/REASON.txt"))
        assert len(reason_files) == 1 and fragment in reason_files[0].read_text()

    # Ragged rows are quarantined row by row (on the stream route) while the rest loads.
    (ragged_id,) = query(settings, "SELECT id FROM data_files WHERE sha256 = %s", shas["ragged.csv"])[0]
    quarantined_rows = query(settings, "SELECT row_number, reason FROM data_quarantine WHERE file_id = %s ORDER BY 1",
                             ragged_id)  # fmt: skip
    assert [r for r, _ in quarantined_rows] == [9, 19]
    assert query(settings, "SELECT count(*) FROM data_records WHERE file_id = %s", ragged_id) == [(198,)]

    # Nothing lost: every dropped file is in the raw archive or in quarantine; the inbox is empty.
    assert [p for p in settings.inbox_dir.rglob("*") if p.is_file()] == []
    assert list(settings.landing_dir.glob("*.*")) == []


def test_same_file_again_is_a_duplicate(platform, samples) -> None:
    settings, _ = platform
    digest = sha(samples["patients.csv"])
    before = query(settings, "SELECT count(*) FROM data_records")[0][0]
    drop(settings, samples["patients.csv"], "patients-again.csv")
    deadline = time.monotonic() + 300
    jobs: list[tuple] = []
    while time.monotonic() < deadline:
        jobs = query(settings, "SELECT status FROM data_processing_jobs WHERE file_id = (SELECT id FROM data_files "
                     "WHERE sha256 = %s) ORDER BY id", digest)  # fmt: skip
        if (
            len(jobs) == 2
            and jobs[1][0] != "running"
            and not [p for p in settings.inbox_dir.rglob("*") if p.is_file()]
        ):
            break
        time.sleep(1)
    assert [s for (s,) in jobs] == ["succeeded", "duplicate"]
    assert query(settings, "SELECT count(*) FROM data_records")[0][0] == before
    assert query(settings, "SELECT count(*) FROM data_files WHERE sha256 = %s", digest) == [(1,)]


def test_backfill_processes_each_day_once(platform, tmp_path: Path) -> None:
    settings, stack = platform
    days = ["2026-01-01", "2026-01-02", "2026-01-03"]
    shas = []
    for index, day in enumerate(days):
        folder = settings.history_dir / day
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"visits-{day}.csv"
        write_dataset("healthcare", 300, path, seed=100 + index)
        shas.append(sha(path))
    env = stack.ctx.airflow_env()
    result = subprocess.run(
        [sys.executable, "-m", "include.stack", "airflow", "backfill", "create", "--dag-id", "sdp_ingest_history",
         "--from-date", days[0], "--to-date", days[-1]],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    status = wait_files(settings, shas)
    assert set(status.values()) == {"loaded"}
    rows = query(settings, "SELECT f.sha256, count(j.id), min(j.dag_id) FROM data_files f JOIN data_processing_jobs j "
                 "ON j.file_id = f.id WHERE f.sha256 = ANY(%s) GROUP BY 1", shas)  # fmt: skip
    assert sorted(count for _, count, _ in rows) == [1, 1, 1]
    assert {dag for _, _, dag in rows} == {"sdp_ingest_history"}
    deadline = time.monotonic() + 120  # finalize archives right after the load
    while time.monotonic() < deadline and any(any((settings.history_dir / d).iterdir()) for d in days):
        time.sleep(1)
    for day in days:
        assert list((settings.history_dir / day).iterdir()) == [], "processed partitions are archived"


def _airflow_db(settings: Settings) -> str:
    return settings.airflow_database_url.replace("postgresql+psycopg2", "postgresql")


def _trigger_manual(stack: Stack, conf: dict) -> str:
    """A manual run, as the UI's form would start it; returns its run id."""
    run_id = f"manual__e2e_{time.monotonic_ns()}"
    result = subprocess.run(
        [sys.executable, "-m", "include.stack", "airflow", "dags", "trigger", "sdp_ingest_manual",
         "--run-id", run_id, "--conf", json.dumps(conf)],
        env=stack.ctx.airflow_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return run_id


def _wait_run(settings: Settings, run_id: str, timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        with psycopg.connect(_airflow_db(settings)) as conn:
            rows = conn.execute("SELECT state FROM dag_run WHERE run_id = %s", (run_id,)).fetchall()
        state = rows[0][0] if rows else None
        if state in ("success", "failed"):
            return state
        time.sleep(1)
    raise AssertionError(f"run {run_id} not finished after {timeout} s (state {state})")


def _task_states(settings: Settings, run_id: str) -> dict[str, str]:
    with psycopg.connect(_airflow_db(settings)) as conn:
        rows = conn.execute(
            "SELECT task_id, state FROM task_instance WHERE run_id = %s", (run_id,)
        ).fetchall()
    return {task: state for task, state in rows}


def test_stream_wait_is_deferred_and_a_run_held_past_its_deadline_raises_an_alert(
    platform, tmp_path: Path
) -> None:
    """With the consumer stopped, the stream route's wait sits deferred (no worker slot); held
    past the DAG's deadline, the run raises a deadline alert while it still waits; it completes
    once the consumer is back. Every other run that ended well past the deadline has its alert."""
    settings, _ = platform
    consumer = Stack(settings, ["stream-consumer"])
    consumer.down(log=lambda _m: None)
    source = tmp_path / "late-visits.csv"
    write_dataset("healthcare", 400, source, seed=77)
    digest = sha(source)
    try:
        drop(settings, source)
        deadline = time.monotonic() + 180
        waiting: dict[str, str] = {}
        while time.monotonic() < deadline:
            with psycopg.connect(_airflow_db(settings)) as conn:
                waiting = dict(conn.execute(
                    "SELECT run_id, state FROM task_instance WHERE dag_id = 'sdp_ingest_landing' "
                    "AND task_id = 'ingest_file.process_stream' AND state = 'deferred'"
                ).fetchall())  # fmt: skip
            if waiting:
                break
            time.sleep(1)
        assert waiting, "the stream wait was never deferred"
        assert query(settings, "SELECT status FROM data_files WHERE sha256 = %s", digest) == [("processing",)]
        (run_id,) = waiting
        deadline = time.monotonic() + DEADLINE_SECONDS + 120
        alerts: list[tuple] = []
        while time.monotonic() < deadline and not alerts:
            alerts = query(
                settings,
                "SELECT message FROM pipeline_alerts WHERE kind = 'deadline_missed' AND run_id = %s",
                run_id,
            )
            time.sleep(1)
        assert alerts, f"no deadline alert for {run_id}, held past its {DEADLINE_SECONDS} s deadline"
        assert "after it was queued" in alerts[0][0]
    finally:
        consumer.up(log=lambda _m: None)
    status = wait_files(settings, [digest])
    assert status == {digest: "loaded"}
    assert _wait_run(settings, run_id) == "success"
    assert _task_states(settings, run_id)["ingest_file.process_stream"] == "success"

    with psycopg.connect(_airflow_db(settings)) as conn:
        slow_runs = {
            run
            for run, seconds in conn.execute(
                "SELECT run_id, extract(epoch FROM end_date - queued_at) FROM dag_run "
                "WHERE dag_id LIKE 'sdp_ingest_%%' AND end_date IS NOT NULL"
            )
            if seconds and seconds > DEADLINE_SECONDS + 15  # a margin for the scheduler's check
        }
    deadline = time.monotonic() + 60  # the triggerer runs the callbacks
    alerted: set[str] = set()
    while time.monotonic() < deadline and not slow_runs <= alerted:
        rows = query(settings, "SELECT run_id FROM pipeline_alerts WHERE kind = 'deadline_missed'")
        alerted = {r for (r,) in rows}
        time.sleep(1)
    assert slow_runs <= alerted


def test_manual_dry_run_loads_nothing(platform, tmp_path: Path) -> None:
    settings, stack = platform
    folder = settings.data_dir / "manual"
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "dry-run-claims.csv"
    write_dataset("healthcare", 200, source, seed=91)  # small: the stream route, were it not a dry run
    content = source.read_bytes()
    run_id = _trigger_manual(stack, {"path": "manual/dry-run-claims.csv", "dry_run": True})
    assert _wait_run(settings, run_id) == "success"
    (file_id, status) = query(settings, "SELECT id, status FROM data_files WHERE sha256 = %s", sha(source))[0]
    jobs = query(
        settings, "SELECT engine, status, route_reason FROM data_processing_jobs WHERE file_id = %s", file_id
    )
    assert [(engine, job_status) for engine, job_status, _ in jobs] == [("flink", "dry_run")]
    assert "dry run" in jobs[0][2]
    assert query(settings, "SELECT count(*) FROM data_records WHERE file_id = %s", file_id) == [(0,)]
    assert query(settings, "SELECT count(*) FROM data_validation_results WHERE file_id = %s", file_id) == [
        (1,)
    ]
    assert source.read_bytes() == content, "a dry run leaves the file where it is"
    assert status != "loaded"


def test_manual_reprocess_replaces_rows(platform) -> None:
    """A file loaded by the hybrid route, then reprocessed through the stream: its rows are
    replaced atomically, every row once, all from the new job."""
    settings, stack = platform
    source = settings.data_dir / "manual" / "reprocess-visits.csv"
    source.parent.mkdir(parents=True, exist_ok=True)
    write_dataset("healthcare", 1000, source, seed=93)
    keep, digest = source.read_bytes(), sha(source)
    assert _wait_run(settings, _trigger_manual(stack, {"path": str(source), "route": "hybrid"})) == "success"
    source.write_bytes(keep)  # the first run archived it; the user drops the same bytes again
    run_id = _trigger_manual(stack, {"path": str(source), "route": "stream", "reprocess": True})
    assert _wait_run(settings, run_id) == "success"
    (file_id,) = query(settings, "SELECT id FROM data_files WHERE sha256 = %s", digest)[0]
    jobs = query(settings, "SELECT id, engine, status FROM data_processing_jobs WHERE file_id = %s ORDER BY id",
                 file_id)  # fmt: skip
    assert [(engine, status) for _, engine, status in jobs] == [
        ("flink", "succeeded"),
        ("stream", "succeeded"),
    ]
    newest = jobs[-1][0]
    rows = query(settings, "SELECT count(*), count(DISTINCT row_number), count(*) FILTER (WHERE job_id = %s) "
                 "FROM data_records WHERE file_id = %s", newest, file_id)[0]  # fmt: skip
    assert rows == (1000, 1000, 1000)
    (stale,) = query(settings, "SELECT count(*) FILTER (WHERE job_id <> %s) FROM data_compliance_violations "
                     "WHERE file_id = %s", newest, file_id)[0]  # fmt: skip
    assert stale == 0, "no violation of the earlier job is left"


# -- secrets and raw values at rest (last in the module: it reads what every test above wrote) ----

# Where raw values belong by design: the raw archive, quarantine, the engines' inputs (the broker's
# message bodies carry raw rows to the consumer), the database files (read through SQL below,
# where every table is checked) and the secrets themselves.
RAW_BY_DESIGN = ("data/raw", "data/quarantine", "data/manual", "kafka", "postgres", "secrets")


def test_no_secret_or_raw_value_at_rest_outside_the_raw_zones(platform, samples) -> None:
    """After every file above went through every route: no secret and no raw identifier in any log,
    staged output, XCom, rendered template, audit or alert row, error message or Kafka header;
    secrets and raw files are readable by the platform's user only."""
    settings, _ = platform
    state = settings.state_dir
    places: dict[str, bytes] = {}
    for path in state.rglob("*"):
        relative = path.relative_to(state).as_posix()
        if path.is_file() and not path.is_symlink() and not relative.startswith(RAW_BY_DESIGN):
            places[relative] = path.read_bytes()
    assert any(p.startswith("logs/") for p in places), sorted(places)[:20]
    airflow_url = settings.airflow_database_url.replace("postgresql+psycopg2://", "postgresql://")
    places.update(at_rest.database_text(airflow_url, "airflow"))
    places.update(at_rest.database_text(settings.database_url, "results"))
    places["kafka headers"] = b"\n".join(at_rest.kafka_headers(settings))

    raw = at_rest.raw_identifiers(samples[name] for name in GOOD)
    assert len(raw) > 500, "too few known raw values for the check to mean anything"
    secrets = at_rest.secrets(settings, {TOKEN_KEY})
    assert len(secrets) >= 10
    assert at_rest.leaks(places, raw) == {}, "raw identifiers outside the raw zones"
    assert at_rest.leaks(places, secrets) == {}, "secrets outside the secrets folder"

    # At rest: secrets and raw files are the platform user's only.
    assert stat.S_IMODE(settings.secrets_dir.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in settings.secrets_dir.iterdir()} == {0o600}
    raw_files = [p for p in settings.raw_dir.rglob("*") if p.is_file()]
    assert raw_files and {stat.S_IMODE(p.stat().st_mode) for p in raw_files} == {0o600}
    assert {stat.S_IMODE(p.stat().st_mode) for p in settings.raw_dir.rglob("*") if p.is_dir()} <= {0o700}
