"""Hybrid route: one file through the compliance core on Apache Flink (PyFlink DataStream API),
written as a staged output (include/staging.py). Run with the Flink venv:

    .venv-flink/bin/python flink_jobs/compliance_hybrid.py --input FILE --staging-dir DIR \\
        --anonymize {none,tokenize} --domain auto|... [--as-of DATE] [--job-key KEY] [--parallelism N] \\
        [--jobmanager HOST:PORT]

Where it runs: an in-process mini cluster by default (Flink's JVM is a child of this process, the
Python workers are children of that JVM: one process per parallel subtask, so they really use N
cores). With `--jobmanager HOST:PORT` or SDP_FLINK_REST_URL=http://HOST:PORT the job is submitted
to that cluster's REST endpoint instead; the core is shipped with the job (`add_python_file` of a
folder holding a copy of the `compliance` package: Flink puts that folder itself on the workers'
PYTHONPATH, and unpacked files let the C extensions load). The cluster must see DIR at the same
path (shared staging storage, as for Spark executors), run a Python with the Flink venv's packages
(its `python.executable`), and have SDP_TOKEN_KEY and SDP_VAULT_KEY in the TaskManagers'
environment. Beam logs a Python worker's environment (the keys with it) at INFO/WARN when it
closes one: the cluster's log4j configuration must set the logger
org.apache.beam.runners.fnexecution.control.DefaultJobBundleFactory to OFF (this job does that
itself for its mini cluster).

Design:
- Pre-processing on this client, as in the Spark job: `compliance.io.FileReader` owns row numbering
  and quarantine; its first batch classifies the columns exactly as `sdp scan` does
  (CompliancePipeline.prepare), and the workers adopt that classification (`prepare_from`), so
  violations and tokens equal the other routes'. The rows are re-cut into bounded Arrow batches
  (BATCH_ROWS) in one uncompressed Arrow IPC file under DIR/_work/ that workers memory-map.
- The Flink job: a bounded NumberSequenceSource of batch indices, rebalanced over the `detect`
  operator (a ProcessFunction): it maps its batch, runs the core on it (detection, rules,
  anonymization: one pass, as the other routes), writes the batch's violations and splits the rows
  into two lanes. Rows with a violation take the urgent lane: written (anonymized) at once. The
  others travel on by reference (the batch's index and their positions in it; a side output) to
  the `batched lane`, keyed by LANE_KEYS_PER_SUBTASK * parallelism keys, buffered in Flink keyed
  state and written per FLUSH_ROWS rows, taken from the staged input (anonymization changes only
  cells with a violation, so these rows are written as they are), the remainder when the input
  ends (an event-time timer at the end of time fires on the final watermark of the bounded
  stream). Both operators emit one small summary per part file, collected by this client.
- Part files have deterministic names (batch index, lane key + flush number) and are written to a
  hidden temporary name then renamed, so readers (pyarrow.dataset skips dot-files) never see half a
  file. DIR is cleared at the start: a retry after a kill never sees half a previous attempt.
  Flink's own restart strategy is off: the orchestrator's task retry is the retry.
- The tokenization key reaches workers only through the environment (SDP_TOKEN_KEY); no function
  captures it, so it is never part of the job graph or argv. So does the vault's master key
  (SDP_VAULT_KEY): the job graph carries the job's data key only wrapped, and the urgent lane
  writes the encrypted originals of reversible tokens as vault part files (DIR/vault.parquet/).
- Each detect summary says whether its worker had every C extension of the client's core loaded
  and whether its core was a copy shipped with the job rather than the client's own folder
  (details.worker_core, `native_batches=` in the log line): a worker that could not load an
  extension runs the Python fallback (same results, slower).
- Post-processing checks the lane counts, writes quarantine.parquet, then manifest.json last. Bad
  input writes error.json {reason} and exits 2.
"""

# ruff: noqa: E402 (the environment must be set up before pyflink and the core are imported)
from __future__ import annotations

import os
import sys
from pathlib import Path

# Before pyflink starts its JVM: the JVM and the Python workers it spawns inherit this environment.
# Workers must find this venv's Python (pyflink) first and the repository's `compliance` package.
REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def _put_first(variable: str, entry: Path) -> None:
    entries = [e for e in os.environ.get(variable, "").split(os.pathsep) if e and e != str(entry)]
    os.environ[variable] = os.pathsep.join([str(entry), *entries])


_put_first("PATH", VENV_BIN)
_put_first("PYTHONPATH", REPO_ROOT)
# PyFlink runs a mini cluster's Python functions inside this client process by default ("loopback"):
# one interpreter and one GIL for all subtasks. Process mode gives each subtask its own worker.
os.environ.setdefault("_python_worker_execution_mode", "process")

import argparse
import shutil
from dataclasses import dataclass
from urllib.parse import urlparse

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyflink
from pyflink.common import Configuration, Types, WatermarkStrategy
from pyflink.datastream import OutputTag, StreamExecutionEnvironment
from pyflink.datastream.connectors.number_seq import NumberSequenceSource
from pyflink.datastream.functions import KeyedProcessFunction, ProcessFunction, RuntimeContext
from pyflink.datastream.state import ListStateDescriptor, ValueStateDescriptor

import compliance
from compliance.engine_job import (
    RECORDS,
    ROW_COLUMN,
    VAULT,
    VIOLATIONS,
    WORK_DIR,
    EngineJob,
    EvenBatchWriter,
    FileDecisions,
    StagedInput,
    core_extensions,
    job_arguments,
    run_job,
    stage_rows,
)
from compliance.rules.base import VIOLATION_SCHEMA
from compliance.vault import VAULT_SCHEMA

LOG_PREFIX = "sdp-flink route=hybrid"
INPUT_FILE = "input.arrow"
REST_URL_ENV = "SDP_FLINK_REST_URL"
CORE_PACKAGE = Path(compliance.__file__).resolve().parent
BEAM_ENVIRONMENT_LOGGER = "org.apache.beam.runners.fnexecution.control.DefaultJobBundleFactory"

# k-anonymity is a whole-file pass: it belongs to the batch route, not to this per-record one.
ANONYMIZE_METHODS = ("none", "tokenize")
# Rows per stream element. The core pays a fixed cost per batch (a few hundred Arrow kernel calls):
# 100k rows took 5.0 s in 4,096-row batches and 2.1 s in 16k-50k ones; a 1M-row file still gives
# each of 2 subtasks ~15 elements to share.
BATCH_ROWS = 32_768
FLUSH_ROWS = 32_768  # the batched lane anonymizes and writes (at least) this many rows at a time
BUNDLE_ELEMENTS = 1  # stream elements per Python bundle (see flink_environment)
LANE_KEYS_PER_SUBTASK = 2  # more keys than subtasks: hashing then spreads the batched lane evenly
URGENT, BATCHED = "urgent", "batched"
END_OF_TIME = 2**63 - 2  # an event-time timer here fires on the final watermark of a bounded stream

# (lane, part file name, rows, violations, vault entries, native, shipped): one per part file
# written, collected by the client; native: the detecting worker had every C extension loaded;
# shipped: its `compliance` package was not the client's folder (0 for the batched lane).
SUMMARY_TYPE = Types.TUPLE(
    [Types.STRING(), Types.STRING(), Types.LONG(), Types.LONG(), Types.LONG(), Types.INT(), Types.INT()]
)


def payload_type():
    """Rows of a staged batch by reference (to_reference). A new object per use: a type once used in
    the graph holds its Java peer, which cannot be pickled into a function."""
    return Types.PRIMITIVE_ARRAY(Types.BYTE())


# (lane key, rows, reference): rows without violations on their way to the batched lane.
BATCHED_LANE = OutputTag(BATCHED, Types.TUPLE([Types.INT(), Types.LONG(), payload_type()]))


# -- arguments ----------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = job_arguments(
        "compliance_hybrid",
        __doc__.splitlines()[0],
        default_anonymize="tokenize",
        anonymize_methods=ANONYMIZE_METHODS,
    )
    parser.add_argument("--parallelism", type=int, default=os.cpu_count() or 1, help="Flink parallelism")
    parser.add_argument(
        "--jobmanager",
        default=None,
        help=f"HOST:PORT of a Flink cluster's REST endpoint (default: ${REST_URL_ENV}, else a mini cluster)",
    )
    # The batch route's k-anonymity setting, accepted so both engines share one argument contract
    # (include.ingest.engine_arguments); per-record lanes never see the whole file, so no k applies.
    parser.add_argument("--k", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--batch-rows", type=int, default=BATCH_ROWS, help="rows per stream element")
    parser.add_argument("--flush-rows", type=int, default=FLUSH_ROWS, help="rows per batched-lane write")
    args = parser.parse_args(argv)
    for name in ("parallelism", "batch_rows", "flush_rows"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


# -- pre-processing (client) --------------------------------------------------------------------------
@dataclass
class StagedArrow(StagedInput):
    """The input file as one Arrow IPC file (`path`) of `batches` bounded batches with `_row`."""

    path: Path
    batches: int


def stage_input(source: Path, path: Path, batch_rows: int) -> StagedArrow:
    """Stream the file through FileReader into `path`, `batch_rows` rows per batch. Raises InputError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writers: list[EvenBatchWriter] = []

    def open_writer(schema: pa.Schema) -> EvenBatchWriter:
        writers.append(EvenBatchWriter(path, schema, batch_rows))
        return writers[0]

    reader, first = stage_rows(source, open_writer, EvenBatchWriter.write)
    batches = writers[0].batches if writers else 0
    return StagedArrow.from_reader(reader, source, first, path=path, batches=batches)


# -- pure processing (Flink workers) ------------------------------------------------------------------
@dataclass(frozen=True)
class Decisions(FileDecisions):
    """The client's decisions for the whole file, and where the subtasks find and put its rows."""

    columns: list[str]
    input_path: str
    staging_dir: str
    lane_keys: int
    flush_rows: int
    extensions: list[str]  # the client's core_extensions()
    client_core: str  # the client's `compliance` folder

    def records_schema(self) -> pa.Schema:
        return pa.schema([(ROW_COLUMN, pa.int64()), *((name, pa.string()) for name in self.columns)])


def staged_records(batch: pa.RecordBatch) -> pa.Table:
    return pa.Table.from_batches([batch])


def write_part(table: pa.Table, folder: Path, name: str) -> None:
    """Write under a hidden name, then rename: a reader never sees half a part file."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{name}.tmp"
    pq.write_table(table, temporary)
    os.replace(temporary, folder / name)


def to_reference(index: int, positions: np.ndarray) -> bytes:
    """Rows of staged batch `index` at `positions` as int32s, taken from the staged input at the flush:
    the rows themselves (~60% of a file) would travel Python -> JVM state -> Python."""
    return np.concatenate([[index], positions]).astype(np.int32).tobytes()


def from_reference(payload: bytes) -> tuple[int, pa.Array]:
    values = np.frombuffer(payload, dtype=np.int32)
    return int(values[0]), pa.array(values[1:])


class DetectAndSplit(ProcessFunction):
    """Detection, rules and anonymization on one staged batch; writes its violations, writes the
    urgent lane (rows with a violation, anonymized) at once and sends the other rows to the batched
    lane."""

    def __init__(self, decisions: Decisions) -> None:
        self.decisions = decisions

    def open(self, runtime_context: RuntimeContext) -> None:
        self.pipeline = self.decisions.pipeline()
        self.schema = self.decisions.records_schema()
        self.source = pa.ipc.open_file(pa.memory_map(self.decisions.input_path))
        self.staging = Path(self.decisions.staging_dir)

    def process_element(self, index: int, ctx: ProcessFunction.Context):
        batch = self.source.get_batch(index)
        rows = batch.column(0)
        data = pa.RecordBatch.from_arrays(batch.columns[1:], names=self.decisions.columns)
        # One pass, as the other routes run the core: detection and anonymization share the rule
        # engine's coding of the violations. Anonymization changes only cells with a violation, so
        # the rows without one are the same in `result.batch` and in `batch`.
        result = self.pipeline.process(data, rows.to_numpy())
        found = result.violations
        part = f"part-{index:06d}.parquet"
        if found.num_rows:
            write_part(found.cast(VIOLATION_SCHEMA), self.staging / VIOLATIONS, part)
        flagged = pc.is_in(rows, value_set=pc.unique(found.column("row").combine_chunks()))
        urgent = pa.RecordBatch.from_arrays([rows, *result.batch.columns], schema=self.schema).filter(flagged)
        written, entries = "", 0
        if urgent.num_rows:
            written = f"u-{part}"
            write_part(staged_records(urgent), self.staging / RECORDS, written)
            if result.vault.num_rows:
                write_part(result.vault, self.staging / VAULT, part)
                entries = result.vault.num_rows
        native = all(name in sys.modules for name in self.decisions.extensions)
        shipped = str(Path(compliance.__file__).resolve().parent) != self.decisions.client_core
        yield URGENT, written, urgent.num_rows, found.num_rows, entries, int(native), int(shipped)
        rest = np.flatnonzero(~flagged.to_numpy(zero_copy_only=False))
        if len(rest):
            yield BATCHED_LANE, (index % self.decisions.lane_keys, len(rest), to_reference(index, rest))


class BatchedLane(KeyedProcessFunction):
    """Buffers rows without violations (by reference) in keyed state; writes them `flush_rows` at a
    time, and what is left when the input ends."""

    def __init__(self, decisions: Decisions) -> None:
        self.decisions = decisions

    def open(self, runtime_context: RuntimeContext) -> None:
        self.schema = self.decisions.records_schema()
        self.source = pa.ipc.open_file(pa.memory_map(self.decisions.input_path))
        self.staging = Path(self.decisions.staging_dir)
        self.buffer = runtime_context.get_list_state(ListStateDescriptor("buffer", payload_type()))
        self.buffered = runtime_context.get_state(ValueStateDescriptor("buffered", Types.LONG()))
        self.flushes = runtime_context.get_state(ValueStateDescriptor("flushes", Types.INT()))

    def process_element(self, value: tuple, ctx: KeyedProcessFunction.Context):
        key, rows, payload = value
        buffered = self.buffered.value() or 0
        if buffered == 0:
            ctx.timer_service().register_event_time_timer(END_OF_TIME)
        self.buffer.add(payload)
        self.buffered.update(buffered + rows)
        if buffered + rows >= self.decisions.flush_rows:
            yield self._flush(key)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):
        if self.buffered.value():
            yield self._flush(ctx.get_current_key())

    def _flush(self, key: int) -> tuple[str, str, int, int, int, int, int]:
        references = [from_reference(payload) for payload in self.buffer.get()]
        records = pa.Table.from_batches([self.source.get_batch(i).take(rows) for i, rows in references])
        flush = self.flushes.value() or 0
        part = f"b-part-{key:03d}-{flush:05d}.parquet"
        batch = records.combine_chunks().to_batches()[0]
        # Rows without a violation: anonymization changes no cell of theirs (see anonymize_batch).
        write_part(staged_records(batch).cast(self.schema), self.staging / RECORDS, part)
        self.buffer.clear()
        self.buffered.update(0)
        self.flushes.update(flush + 1)
        return BATCHED, part, batch.num_rows, 0, 0, 0, 0


def build_job(env: StreamExecutionEnvironment, decisions: Decisions, batches: int):
    """The dataflow over `batches` staged batches; returns the stream of part summaries."""
    source = env.from_source(
        NumberSequenceSource(0, batches - 1), WatermarkStrategy.no_watermarks(), "staged-batches"
    )
    # The number source hands out contiguous ranges on request; rebalancing deals the batches out
    # round-robin, so a subtask whose worker starts late still gets its share.
    detected = (
        source.rebalance()
        .process(DetectAndSplit(decisions), output_type=SUMMARY_TYPE)
        .name("detect+urgent-lane")
    )
    flushed = (
        detected.get_side_output(BATCHED_LANE)
        .key_by(lambda element: element[0], key_type=Types.INT())
        .process(BatchedLane(decisions), output_type=SUMMARY_TYPE)
        .name("batched-lane")
    )
    return detected.union(flushed)


def flink_environment(
    parallelism: int, jobmanager: str | None, work: Path
) -> tuple[StreamExecutionEnvironment, str]:
    """A mini cluster in this process's JVM, or the REST endpoint of a running cluster (the core
    shipped from a copy under `work`)."""
    config = Configuration()
    config.set_string("restart-strategy.type", "none")  # a failed job fails the task; Airflow retries it
    # A Python operator hands its results downstream only when its bundle ends, and by default a
    # bundle holds up to 1,000 elements: all of a file's batches, so the batched lane started only
    # after the last detection. One batch per bundle lets the lanes work while detection goes on.
    config.set_string("python.fn-execution.bundle.size", str(BUNDLE_ELEMENTS))
    if not jobmanager:
        config.set_string("python.executable", sys.executable)
        env = StreamExecutionEnvironment.get_execution_environment(config)
        silence_worker_environment_logs()
        cluster = "mini-cluster"
    else:
        from pyflink.java_gateway import get_gateway

        host, port = rest_endpoint(jobmanager)
        gateway = get_gateway()
        remote = gateway.jvm.org.apache.flink.streaming.api.environment.StreamExecutionEnvironment
        no_jars = gateway.new_array(gateway.jvm.String, 0)
        env = StreamExecutionEnvironment(
            remote.createRemoteEnvironment(host, port, config._j_configuration, no_jars)
        )
        # Flink's Python operators live in flink-python, which a stock cluster keeps in opt/, not lib/.
        python_jar = next((Path(pyflink.__file__).parent / "opt").glob("flink-python-*.jar"))
        env.add_jars(python_jar.as_uri())
        # The cluster's workers get the core from the job itself, not from their own install. Flink
        # puts a shipped folder itself on PYTHONPATH: ship one that holds the package.
        core = work / "core"
        shutil.copytree(CORE_PACKAGE, core / "compliance", ignore=shutil.ignore_patterns("__pycache__"))
        env.add_python_file(str(core))
        cluster = f"{host}:{port}"
    env.set_parallelism(parallelism)
    return env, cluster


def silence_worker_environment_logs() -> None:
    """Beam's DefaultJobBundleFactory logs a Python worker's whole environment (SDP_TOKEN_KEY with it)
    when it closes one; the mini cluster runs in this JVM, so its log gets nothing from that class.
    A remote cluster needs the same in its log4j configuration (see the module docstring)."""
    from pyflink.java_gateway import get_gateway

    log4j = get_gateway().jvm.org.apache.logging.log4j
    log4j.core.config.Configurator.setLevel(BEAM_ENVIRONMENT_LOGGER, log4j.Level.OFF)


def rest_endpoint(value: str) -> tuple[str, int]:
    """HOST:PORT or http(s)://HOST:PORT -> (host, port); Flink's REST port 8081 by default."""
    parsed = urlparse(value if "://" in value else f"http://{value}")
    if not parsed.hostname:
        raise ValueError(f"not a Flink REST endpoint: {value!r} (expected HOST:PORT)")
    return parsed.hostname, parsed.port or 8081


# -- the job ------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict:
    """Process one file into args.staging_dir; returns the manifest written. Raises InputError."""
    staging: Path = args.staging_dir.resolve()
    shutil.rmtree(staging, ignore_errors=True)  # a retry starts from nothing, never from half a run
    staging.mkdir(parents=True)
    # Flink's JVM is not started beside staging (as the Spark job's session is): its gateway exits
    # when the client has not registered with it within 10 s, which a loaded machine can exceed.
    job = EngineJob.start(
        args, staging, lambda: stage_input(args.input, staging / WORK_DIR / INPUT_FILE, args.batch_rows)
    )
    staged, clock = job.staged, job.clock
    decisions = Decisions.of(
        job.pipeline,
        job.vault,
        columns=staged.columns,
        input_path=str(staged.path),
        staging_dir=str(staging),
        lane_keys=LANE_KEYS_PER_SUBTASK * args.parallelism,
        flush_rows=args.flush_rows,
        extensions=core_extensions(),
        client_core=str(CORE_PACKAGE),
    )
    env, cluster = flink_environment(
        args.parallelism, args.jobmanager or os.environ.get(REST_URL_ENV), staging / WORK_DIR
    )
    clock.charge("flink_environment_s")
    lanes, parts, violations, entries = {URGENT: 0, BATCHED: 0}, {URGENT: 0, BATCHED: 0}, 0, 0
    native_batches = shipped_batches = 0
    if staged.batches:
        summaries = build_job(env, decisions, staged.batches)
        with summaries.execute_and_collect(f"sdp-hybrid {args.input.name} {args.job_key}".strip()) as results:
            for lane, part, rows, found, vault_entries, native, shipped in results:
                lanes[lane] += rows
                native_batches += native
                shipped_batches += shipped
                parts[lane] += bool(part)
                violations += found
                entries += vault_entries
    if sum(lanes.values()) != staged.rows:
        raise RuntimeError(f"the Flink job staged {sum(lanes.values())} records for {staged.rows} rows read")
    clock.charge("pure_processing_s")

    schema = decisions.records_schema()
    if not any((staging / RECORDS).glob("*.parquet")):  # every row quarantined
        write_part(schema.empty_table(), staging / RECORDS, "part-empty.parquet")
    if not any((staging / VIOLATIONS).glob("*.parquet")):
        write_part(VIOLATION_SCHEMA.empty_table(), staging / VIOLATIONS, "part-empty.parquet")
    if job.vault is not None and not any((staging / VAULT).glob("*.parquet")):
        write_part(VAULT_SCHEMA.empty_table(), staging / VAULT, "part-empty.parquet")
    details = {
        "lanes": lanes,
        "part_files": parts,
        "parallelism": args.parallelism,
        "batches": staged.batches,
        "batch_rows": args.batch_rows,
        "flush_rows": args.flush_rows,
        "cluster": cluster,
        "flink_version": flink_version(),
        "flink_environment_s": round(clock.spent["flink_environment_s"], 3),
        "worker_core": {
            "native_batches": native_batches,
            "shipped_batches": shipped_batches,
            "extensions": decisions.extensions,
        },
    }
    return job.finish(engine="flink", violations=violations, details=details, vault_entries=entries)


def flink_version() -> str:
    from pyflink.version import __version__

    return __version__


def _log_fields(manifest: dict) -> str:
    details = manifest["details"]
    return (
        f"violations={manifest['violations']} urgent={details['lanes'][URGENT]} "
        f"batched={details['lanes'][BATCHED]} parallelism={details['parallelism']} "
        f"cluster={details['cluster']} native_batches={details['worker_core']['native_batches']}/"
        f"{details['batches']}"
    )


def main(argv: list[str] | None = None) -> int:
    return run_job(run, parse_args(argv), LOG_PREFIX, _log_fields)


if __name__ == "__main__":
    sys.exit(main())
