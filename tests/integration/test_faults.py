"""Fault campaign: each component of the platform killed with SIGKILL while a file is in flight,
on a private full stack (PostgreSQL, the broker, the stream consumer, Airflow) under its
supervisor. The supervisor restarts the killed service; Airflow retries the killed task. After
that, whatever the component, the file must end `loaded` or `quarantined` with a reason, with:

- rows in data_records = rows in the file - its quarantined rows (- the rows k-anonymity
  suppressed, on the batch route; none at all when the file is quarantined),
- no (file_id, row_number) twice,
- no orphan staging folder (of a job that is not the file's, or a killed run's scratch space),
- the raw file in raw/ or quarantine/ only (nothing left in landing/ or inbox/).

Files are a few thousand rows, dropped into the landing zone as a user does; their size picks
the route (stream < 300 kB <= hybrid < 600 kB <= batch). Cases that take minutes (a Spark run
retried, PostgreSQL or the broker restarted under everything) are marked `chaos`: `make chaos`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from compliance.generator import write_dataset
from include.settings import Settings, load_settings
from include.stack.manager import Stack
from tests.conftest import isolated_stack_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STREAM_MAX_BYTES = 300_000
BATCH_MIN_BYTES = 600_000
# Rows of a healthcare file of each route (about 240 bytes a row).
ROWS = {"stream": 1000, "hybrid": 2000, "batch": 3000}
# A stream job whose messages the broker lost is failed by its wait after this long, and the
# retry republishes it (include/ingest_dag.py ProcessStream).
STREAM_WAIT_TIMEOUT_SECONDS = 45
FINAL = ("loaded", "quarantined")
SETTLE_SECONDS = 480


@pytest.fixture(scope="module")
def platform() -> Iterator[tuple[Settings, Stack]]:
    env = isolated_stack_env(
        "faults-",
        SDP_FILE_STABLE_SECONDS="1",
        SDP_LANDING_POLL_SECONDS="1",
        SDP_STREAM_MAX_BYTES=str(STREAM_MAX_BYTES),
        SDP_BATCH_MIN_BYTES=str(BATCH_MIN_BYTES),
        SDP_STREAM_BATCH_WAIT_MS="200",
        # Small micro-batches: a stream file is several transactions, so a kill lands inside it.
        SDP_STREAM_BATCH_RECORDS="100",
        SDP_STREAM_WAIT_TIMEOUT_SECONDS=str(STREAM_WAIT_TIMEOUT_SECONDS),
        # A killed task is retried: the default 30 s wait before the retry is only idle time here.
        SDP_TASK_RETRY_DELAY_SECONDS="5",
    )
    state_dir = Path(env["SDP_STATE_DIR"])
    settings = load_settings(env)
    stack = Stack(settings)
    with pytest.MonkeyPatch.context() as patch:
        # A task whose worker died with the scheduler is failed (and retried) after this long
        # without a heartbeat, instead of Airflow's default 300 s. The stack passes the test
        # process's AIRFLOW__* variables on to Airflow.
        patch.setenv("AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT", "45")
        stack.up(log=lambda _m: None)
        try:
            yield settings, stack
        finally:
            stack.down(log=lambda _m: None)
    if not os.environ.get("SDP_TEST_KEEP_STATE"):
        shutil.rmtree(state_dir, ignore_errors=True)


# -- helpers ------------------------------------------------------------------------------------
def query(url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(url, connect_timeout=10) as conn:
        return conn.execute(sql, params).fetchall()


def airflow_db(settings: Settings) -> str:
    return settings.airflow_database_url.replace("postgresql+psycopg2", "postgresql")


def make_file(tmp_path: Path, route: str, seed: int) -> tuple[Path, str, int]:
    """A healthcare CSV sized for `route`; returns (path, sha256, data rows)."""
    from include.db.files import sha256_of

    path = tmp_path / f"fault-{route}-{seed}.csv"
    write_dataset("healthcare", ROWS[route], path, seed=seed)
    size = path.stat().st_size
    expected = {"stream": size < STREAM_MAX_BYTES, "hybrid": STREAM_MAX_BYTES <= size < BATCH_MIN_BYTES,
                "batch": size >= BATCH_MIN_BYTES}  # fmt: skip
    assert expected[route], (route, size)
    return path, sha256_of(path), ROWS[route]


def drop(settings: Settings, source: Path) -> None:
    """Copy beside the landing zone, then rename in: what a careful uploader does."""
    temporary = settings.landing_dir / f".{source.name}.part"
    shutil.copyfile(source, temporary)
    os.rename(temporary, settings.landing_dir / source.name)


def wait_for(what: str, check: Callable[[], object], timeout: float = 240, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(psycopg.OperationalError):
            if found := check():
                return found
        time.sleep(every)
    raise AssertionError(f"{what}: not seen within {timeout} s")


def gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def command_line(proc: psutil.Process) -> str:
    """The command line as one string (setproctitle pads Airflow's titles with empty strings)."""
    try:
        return " ".join(arg for arg in proc.cmdline() if arg)
    except psutil.Error:
        return ""


def processes(match: Callable[[str], bool]) -> list[psutil.Process]:
    return [p for p in psutil.process_iter() if match(command_line(p))]


def running_task(settings: Settings, task: str) -> str | None:
    """The id of the running try of ingest_file.`task` (one file is in flight at a time)."""
    rows = query(airflow_db(settings), "SELECT id::text FROM task_instance WHERE task_id = %s AND state = 'running'",
                 f"ingest_file.{task}")  # fmt: skip
    return rows[0][0] if rows else None


def task_state(settings: Settings, task: str) -> list[str]:
    return [s for (s,) in query(airflow_db(settings), "SELECT state FROM task_instance WHERE task_id = %s",
                                f"ingest_file.{task}")]  # fmt: skip


def task_runner(settings: Settings, task: str) -> psutil.Process | None:
    """The `airflow worker -- <ti id>` process running ingest_file.`task`."""
    ti = running_task(settings, task)
    found = processes(lambda cmd: cmd == f"airflow worker -- {ti}") if ti else []
    return found[0] if found else None


def service_pid(stack: Stack, name: str) -> int:
    (row,) = [r for r in stack.status() if r.name == name]
    assert row.pid, f"{name} is not running"
    return row.pid


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def wait_restarted(stack: Stack, name: str, old_pid: int) -> None:
    """The supervisor has started `name` again (a new pid, past its minimum uptime)."""

    def restarted() -> bool:
        (row,) = [r for r in stack.status() if r.name == name]
        return row.pid not in (None, old_pid) and row.state == "RUNNING" and row.restarts >= 1

    wait_for(f"{name} restarted", restarted, timeout=240, every=2)


@contextlib.contextmanager
def consumer_stopped(stack: Stack) -> Iterator[None]:
    """The stream consumer stopped, so a stream file waits published but not consumed; started
    again after (unless the block did). Stopped for good rather than paused: a consumer frozen
    past its session timeout is fenced by the broker and exits when it resumes."""
    consumer = Stack(stack.ctx.settings, ["stream-consumer"])
    consumer.down(log=lambda _m: None)
    try:
        yield
    finally:
        consumer.up(log=lambda _m: None)


def start_paused_consumer(stack: Stack) -> int:
    """Start the stopped consumer and freeze it (SIGSTOP) as soon as it is ready; its pid."""
    Stack(stack.ctx.settings, ["stream-consumer"]).up(log=lambda _m: None)
    pid = service_pid(stack, "stream-consumer")
    os.kill(pid, signal.SIGSTOP)
    return pid


def stream_progress(settings: Settings, sha: str) -> tuple[int, int | None] | None:
    rows = query(settings.database_url, "SELECT s.rows_loaded + s.rows_quarantined, s.rows_total FROM "
                 "stream_file_state s JOIN data_files f ON f.id = s.file_id WHERE f.sha256 = %s "
                 "ORDER BY s.job_id DESC LIMIT 1", sha)  # fmt: skip
    return rows[0] if rows else None


def step_until_partly_consumed(settings: Settings, pid: int, sha: str, rows: int) -> int:
    """Let the paused consumer run in short steps until part of the file is committed; it is
    left stopped. Returns the committed row count."""
    for _ in range(1000):
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.02)
        os.kill(pid, signal.SIGSTOP)
        progress = stream_progress(settings, sha)
        if progress and 0 < progress[0] < rows:
            return progress[0]
        assert not progress or progress[0] < rows, "the whole file was consumed in one step"
    raise AssertionError("the consumer committed nothing of the file")


def published_and_waiting(settings: Settings) -> bool:
    """The stream route's wait is deferred: the file's messages are all published."""
    return "deferred" in task_state(settings, "process_stream")


def wait_settled(settings: Settings, sha: str) -> str:
    """Until the file is final, its run is over and nothing waits in landing/ or inbox/."""

    def settled() -> str | None:
        status = query(settings.database_url, "SELECT status FROM data_files WHERE sha256 = %s", sha)
        runs = query(airflow_db(settings), "SELECT count(*) FROM dag_run WHERE dag_id LIKE 'sdp_ingest_%%' "
                     "AND state NOT IN ('success', 'failed')")  # fmt: skip
        left = [
            p
            for folder in (settings.landing_dir, settings.inbox_dir)
            for p in folder.rglob("*")
            if p.is_file()
        ]
        if status and status[0][0] in FINAL and runs == [(0,)] and not left:
            return status[0][0]
        return None

    return wait_for("file settled", settled, timeout=SETTLE_SECONDS, every=2)


def assert_consistent(settings: Settings, sha: str, rows_in_file: int) -> str:
    """The invariants every fault must leave intact; returns the file's final status."""
    status = wait_settled(settings, sha)
    db = settings.database_url
    ((file_id,),) = query(db, "SELECT id FROM data_files WHERE sha256 = %s", sha)
    records, distinct = query(db, "SELECT count(*), count(DISTINCT row_number) FROM data_records "
                              "WHERE file_id = %s", file_id)[0]  # fmt: skip
    assert records == distinct, "a (file_id, row_number) loaded twice"
    quarantined_rows = query(db, "SELECT count(DISTINCT row_number) FROM data_quarantine WHERE file_id = %s "
                             "AND row_number IS NOT NULL", file_id)[0][0]  # fmt: skip
    if status == "loaded":
        # Rows k-anonymity suppressed on the batch route, as the engine reported them.
        suppressed = query(db, "SELECT coalesce(max((a.details->>'records_suppressed')::int), 0) FROM "
                           "system_audit_log a JOIN data_processing_jobs j ON a.object_id = j.id::text WHERE "
                           "a.action = 'processed' AND j.file_id = %s AND j.status = 'succeeded'", file_id)[0][0]  # fmt: skip
        assert records == rows_in_file - quarantined_rows - suppressed
        archived = list(settings.raw_dir.rglob(f"{sha}-*"))
        assert len(archived) == 1, archived
    else:
        reasons = [r for (r,) in query(db, "SELECT reason FROM data_quarantine WHERE file_id = %s AND "
                                       "row_number IS NULL", file_id)]  # fmt: skip
        assert reasons and all(reasons), "a quarantined file without its reason"
        assert records == 0
        kept = list(settings.quarantine_dir.glob(f"{sha[:16]}-*/*"))
        assert {p.name for p in kept} >= {"REASON.txt"} and len(kept) == 2, kept
    assert list(settings.raw_dir.rglob(f"{sha}-*")) == ([] if status != "loaded" else archived)

    jobs = {str(j) for (j,) in query(db, "SELECT id FROM data_processing_jobs WHERE file_id = %s", file_id)}
    folder = settings.staging_dir / sha
    staged = {p.name for p in folder.iterdir()} if folder.exists() else set()
    assert staged <= jobs, f"staging folders of no job of the file: {staged - jobs}"
    scratch = [p for p in folder.rglob("*") if p.name in ("_work", "_temporary") or p.name.startswith(".tmp")]
    assert scratch == [], f"a killed run's scratch space is left: {scratch}"
    leftovers = [
        p for zone in (settings.landing_dir, settings.inbox_dir) for p in zone.rglob("*") if p.is_file()
    ]
    assert leftovers == []
    return status


def no_stray_engines(settings: Settings) -> None:
    """No engine process of a killed try outlives the file. Only this stack's engines count (their
    arguments name its staging folder): the machine may run other stacks' jobs meanwhile."""
    staging = str(settings.staging_dir)
    strays = processes(
        lambda cmd: ("compliance_batch.py" in cmd or "compliance_hybrid.py" in cmd) and staging in cmd
    )
    assert strays == [], [command_line(p) for p in strays]


# -- one test per component ---------------------------------------------------------------------
def test_scheduler_killed(platform, tmp_path: Path) -> None:
    """The scheduler dies while the hybrid engine runs: the supervisor restarts it, the task its
    dead worker held is failed for lack of heartbeat and retried."""
    settings, stack = platform
    source, sha, rows = make_file(tmp_path, "hybrid", seed=201)
    drop(settings, source)
    wait_for("the Flink job running", lambda: processes(lambda cmd: "compliance_hybrid.py" in cmd))
    pid = service_pid(stack, "airflow-scheduler")
    kill(pid)
    wait_restarted(stack, "airflow-scheduler", pid)
    assert assert_consistent(settings, sha, rows) == "loaded"
    no_stray_engines(settings)


def test_triggerer_killed(platform, tmp_path: Path) -> None:
    """The triggerer dies while a stream file's wait is deferred on it: the restarted triggerer
    runs the trigger again and the wait completes."""
    settings, stack = platform
    source, sha, rows = make_file(tmp_path, "stream", seed=202)
    with consumer_stopped(stack):
        drop(settings, source)
        wait_for("the stream wait deferred", lambda: published_and_waiting(settings))
        pid = service_pid(stack, "airflow-triggerer")
        kill(pid)
    wait_restarted(stack, "airflow-triggerer", pid)
    assert assert_consistent(settings, sha, rows) == "loaded"


def kill_runner_mid_job(settings: Settings, task: str, job_script: str, after_seconds: float = 0.0) -> None:
    """Kill -9 the task runner of ingest_file.`task` once its engine job (`job_script`) has run for
    `after_seconds`, then wait until the orphaned job is gone: it must not race the retry for the
    staging folder."""

    def runner_with_job() -> psutil.Process | None:
        runner = task_runner(settings, task)
        children = runner.children(recursive=True) if runner else []
        return runner if any(job_script in command_line(c) for c in children) else None

    runner = wait_for(f"the {task} runner with its engine job", runner_with_job)
    job = next(c for c in runner.children(recursive=True) if job_script in command_line(c))
    time.sleep(max(0.0, job.create_time() + after_seconds - time.time()))
    kill(runner.pid)
    wait_for(f"the orphaned {job_script} gone", lambda: gone(job), timeout=30)


def test_task_worker_killed(platform, tmp_path: Path) -> None:
    """The task runner process of the hybrid engine task dies mid-file: the Flink job dies with it
    (setpriv --pdeathsig), Airflow fails the try and the retry runs the job again from nothing."""
    settings, _stack = platform
    source, sha, rows = make_file(tmp_path, "hybrid", seed=203)
    drop(settings, source)
    kill_runner_mid_job(settings, "process_hybrid", "compliance_hybrid.py")
    assert assert_consistent(settings, sha, rows) == "loaded"
    no_stray_engines(settings)


@pytest.mark.chaos
def test_batch_task_worker_killed(platform, tmp_path: Path) -> None:
    """The task runner of the batch engine task dies mid-file: the orphaned Spark job stops by
    itself (SDP_EXIT_WITH_LAUNCHER), Airflow fails the try and the retry submits the job again."""
    settings, _stack = platform
    source, sha, rows = make_file(tmp_path, "batch", seed=209)
    drop(settings, source)
    # Mid-file, not while the job starts (a job orphaned before its watch began stops at once).
    kill_runner_mid_job(settings, "process_batch", "compliance_batch.py", after_seconds=5)
    assert assert_consistent(settings, sha, rows) == "loaded"
    no_stray_engines(settings)


def test_flink_job_killed(platform, tmp_path: Path) -> None:
    """The PyFlink client (with its mini-cluster JVM) dies mid-file: the task fails, its retry
    runs the job again from nothing."""
    settings, _ = platform
    source, sha, rows = make_file(tmp_path, "hybrid", seed=204)
    drop(settings, source)

    def client_with_cluster() -> psutil.Process | None:
        for proc in processes(lambda cmd: "compliance_hybrid.py" in cmd and "--staging-dir" in cmd):
            with contextlib.suppress(psutil.Error):
                if any("java" in command_line(c) for c in proc.children(recursive=True)):
                    return proc
        return None

    kill(wait_for("the Flink job with its mini-cluster", client_with_cluster).pid)
    assert assert_consistent(settings, sha, rows) == "loaded"
    no_stray_engines(settings)


def test_stream_consumer_killed(platform, tmp_path: Path) -> None:
    """The consumer dies with part of a file committed: restarted, it resumes from the offsets
    stored with those rows, so every row is loaded once."""
    settings, stack = platform
    source, sha, rows = make_file(tmp_path, "stream", seed=205)
    with consumer_stopped(stack):
        drop(settings, source)
        wait_for("the stream wait deferred", lambda: published_and_waiting(settings))
        pid = start_paused_consumer(stack)
        step_until_partly_consumed(settings, pid, sha, rows)
        kill(pid)
    wait_restarted(stack, "stream-consumer", pid)
    assert assert_consistent(settings, sha, rows) == "loaded"


@pytest.mark.chaos
def test_spark_driver_killed(platform, tmp_path: Path) -> None:
    """The Spark driver JVM of the batch route dies mid-file: spark-submit fails, the task's
    retry submits the job again."""
    settings, _ = platform
    source, sha, rows = make_file(tmp_path, "batch", seed=206)
    drop(settings, source)

    def driver_with_python() -> psutil.Process | None:
        for proc in processes(
            lambda cmd: "org.apache.spark.deploy.SparkSubmit" in cmd and "compliance_batch" in cmd
        ):
            with contextlib.suppress(psutil.Error):
                if any("compliance_batch.py" in command_line(c) for c in proc.children(recursive=True)):
                    return proc
        return None

    kill(wait_for("the Spark driver with its Python side", driver_with_python).pid)
    assert assert_consistent(settings, sha, rows) in FINAL
    no_stray_engines(settings)


@pytest.mark.chaos
def test_postgres_killed(platform, tmp_path: Path) -> None:
    """PostgreSQL (the results and Airflow's metadata) dies while a file is processed: the
    supervisor restarts it (crash recovery), Airflow and the consumer reconnect, the file's tasks
    are retried."""
    settings, stack = platform
    source, sha, rows = make_file(tmp_path, "hybrid", seed=207)
    drop(settings, source)
    wait_for("the Flink job running", lambda: processes(lambda cmd: "compliance_hybrid.py" in cmd))
    pid = service_pid(stack, "postgres")
    kill(pid)
    wait_restarted(stack, "postgres", pid)
    assert assert_consistent(settings, sha, rows) in FINAL
    no_stray_engines(settings)


@pytest.mark.chaos
def test_broker_killed(platform, tmp_path: Path) -> None:
    """The broker dies with a stream file published and part of it consumed; it may come back
    without what it had not yet saved. The consumer clamps offsets past the log's end, the stream
    task's retry republishes the unfinished job."""
    settings, stack = platform
    source, sha, rows = make_file(tmp_path, "stream", seed=208)
    with consumer_stopped(stack):
        drop(settings, source)
        wait_for("the stream wait deferred", lambda: published_and_waiting(settings))
        consumer = start_paused_consumer(stack)
        step_until_partly_consumed(settings, consumer, sha, rows)
        pid = service_pid(stack, "kafka")
        kill(pid)
        os.kill(consumer, signal.SIGCONT)
    wait_restarted(stack, "kafka", pid)
    assert assert_consistent(settings, sha, rows) == "loaded"


def test_offsets_past_the_log_end_are_lowered(database_url: str) -> None:
    """What the consumer does when the broker came back without its latest messages: stored
    offsets past a partition's end are lowered to it, the others are left alone."""
    import uuid

    from include.streaming.offsets import OffsetStore

    store = OffsetStore(f"faults-{uuid.uuid4().hex[:8]}", ["sdp.raw.healthcare"])
    with psycopg.connect(database_url, autocommit=True) as conn:
        with conn.transaction(), conn.cursor() as cur:
            store.save(cur, {("sdp.raw.healthcare", 0): (0, 500), ("sdp.raw.healthcare", 1): (0, 300)})
        ends = {("sdp.raw.healthcare", 0): 400, ("sdp.raw.healthcare", 1): 350}
        assert store.clamp(conn, ends) == {("sdp.raw.healthcare", 0): 500}
        assert store.stored(conn) == {("sdp.raw.healthcare", 0): 400, ("sdp.raw.healthcare", 1): 300}
        assert store.clamp(conn, ends) == {}
