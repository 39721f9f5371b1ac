"""Real clusters, for the day one machine is not enough: a Spark standalone master + worker and a
Flink standalone cluster (JobManager + TaskManager), each started from its venv's own distribution
in a folder of its own, with the platform pointed at them the documented way
(AIRFLOW_CONN_SPARK_DEFAULT=spark://..., SDP_FLINK_REST_URL). The batch route through the DAG's own
spark-submit command and the hybrid route's job stage the same records, violations, tokens and
vault tokens as local mode on the same file; the executors and the TaskManager's Python workers
ran the core shipped by the job, with its C extensions loaded; both clusters stop without leaving a
process behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import psutil
import pyarrow.dataset as ds
import pyspark
import pytest
import yaml

from compliance.generator import write_dataset
from include.hybrid import FLINK_VENV
from include.ingest import engine_arguments
from include.settings import Settings
from include.stack.context import StackContext
from include.stack.process import free_port, terminate, wait_for
from include.staging import VAULT, StagedManifest
from include.ticket import FileTicket
from tests.integration.test_engine_parity import KEYS, TOKEN_KEY, _run, run_batch, run_hybrid, staged

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS = 3000
VENV_BIN = Path(sys.executable).parent
READY_TIMEOUT_S = 180
FLINK_HOME = next((FLINK_VENV / "lib").glob("python3*/site-packages/pyflink"))
# Beam logs each Python worker's environment (the keys with it) from this logger: off on the cluster.
BEAM_ENVIRONMENT_LOGGER = "org.apache.beam.runners.fnexecution.control.DefaultJobBundleFactory"


def _json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@dataclass
class Cluster:
    """Processes started for one cluster, all of them working under `folder`."""

    folder: Path
    url: str  # what the platform is pointed at
    procs: list[subprocess.Popen] = field(default_factory=list)
    stop_command: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)

    def logs(self) -> str:
        """Every log the cluster wrote: daemons' logs and outputs, executors' stdout/stderr."""
        return "".join(
            path.read_text(errors="replace")
            for path in sorted(self.folder.rglob("*"))
            if path.is_file() and (path.suffix in (".log", ".out") or path.name in ("stdout", "stderr"))
        )

    def stop(self) -> None:
        if self.stop_command:
            subprocess.run(self.stop_command, env=self.env, capture_output=True, timeout=120, check=False)
        for proc in reversed(self.procs):  # the Spark worker (and its executors) before the master
            if proc.poll() is None:
                leader = psutil.Process(proc.pid)
                terminate([leader, *leader.children(recursive=True)])
            proc.wait(timeout=30)
        wait_for(lambda: not leftovers(self.folder), timeout=60, what="cluster processes gone")


def leftovers(folder: Path) -> list[str]:
    """Processes (from /proc) whose command line, working directory or environment names `folder`:
    every process of a cluster started here does (JVMs, executors, Python workers)."""
    marker = str(folder)
    found = []
    me = psutil.Process()
    callers = {me.pid, *(proc.pid for proc in me.parents())}
    for proc in psutil.process_iter():
        try:
            if proc.pid in callers or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            cmdline = " ".join(proc.cmdline())
            if marker in cmdline or marker in proc.cwd() or any(marker in v for v in proc.environ().values()):
                found.append(f"{proc.pid} {cmdline[:200]}")
        except psutil.Error:  # gone meanwhile, or not ours to read
            continue
    return found


def cluster_env(folder: Path, **extra: str) -> dict[str, str]:
    """This process's environment without anything that would hand the repository's core to a
    cluster process: the executors and TaskManagers must get it from the job."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(CLUSTER_DIR=str(folder), **extra)  # CLUSTER_DIR: what `leftovers` finds them by
    return env


# -- Spark standalone ---------------------------------------------------------------------------------
def start_spark_cluster(folder: Path, *, cores: int = 1, memory: str = "1536m") -> Cluster:
    """A master and one worker (`cores`, `memory`) from the venv's pyspark, on free ports."""
    folder.mkdir(parents=True, exist_ok=True)
    # SPARK_HOME set: spark-class's own lookup wants a `python3` with pyspark on PATH.
    env = cluster_env(folder, SPARK_HOME=str(Path(pyspark.__file__).parent), SPARK_LOCAL_IP="127.0.0.1",
                      SPARK_LOG_DIR=str(folder / "logs"))  # fmt: skip
    port, web = free_port(), free_port()
    cluster = Cluster(folder, f"spark://127.0.0.1:{port}", env=env)

    def launch(name: str, *args: str) -> None:
        with (folder / f"{name}.log").open("ab") as log:
            cluster.procs.append(
                subprocess.Popen([str(VENV_BIN / "spark-class"), *args], env=env, cwd=folder,
                                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            )  # fmt: skip

    try:
        launch("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
               "--port", str(port), "--webui-port", str(web))  # fmt: skip
        wait_for(lambda: _json(f"http://127.0.0.1:{web}/json")["status"] == "ALIVE",
                 timeout=READY_TIMEOUT_S, what="Spark master")  # fmt: skip
        launch("worker", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
               "--port", str(free_port()), "--webui-port", str(free_port()), "--cores", str(cores),
               "--memory", memory, "--work-dir", str(folder / "work"), cluster.url)  # fmt: skip
        wait_for(lambda: _json(f"http://127.0.0.1:{web}/json")["aliveworkers"] == 1,
                 timeout=READY_TIMEOUT_S, what="Spark worker")  # fmt: skip
    except BaseException:
        cluster.stop()
        raise
    return cluster


# -- Flink standalone ---------------------------------------------------------------------------------
def start_flink_cluster(folder: Path, *, slots: int = 2, **worker_env: str) -> Cluster:
    """pyflink's bin/start-cluster.sh with a configuration of its own (FLINK_CONF_DIR): one
    JobManager and one TaskManager of `slots` slots on free ports, the Flink venv's Python as
    `python.executable`, Beam's environment logger off. `worker_env`: the TaskManager's environment
    (the keys the job's workers read)."""
    conf = folder / "conf"
    shutil.copytree(FLINK_HOME / "conf", conf)
    config = yaml.safe_load((conf / "config.yaml").read_text())
    rest_port = free_port()
    config["jobmanager"].update(rpc={"address": "localhost", "port": free_port()},
                                memory={"process": {"size": "1024m"}})  # fmt: skip
    config["taskmanager"].update(numberOfTaskSlots=slots, memory={"process": {"size": "1600m"}})
    config["rest"] = {"address": "localhost", "port": rest_port}
    config["python"] = {"executable": str(FLINK_VENV / "bin" / "python")}
    config["io"] = {"tmp": {"dirs": str(folder / "tmp")}}
    (conf / "config.yaml").write_text(yaml.safe_dump(config))
    (conf / "masters").write_text(f"localhost:{rest_port}\n")
    (conf / "workers").write_text("localhost\n")
    with (conf / "log4j.properties").open("a") as log4j:
        log4j.write(f"\nlogger.beamenv.name = {BEAM_ENVIRONMENT_LOGGER}\nlogger.beamenv.level = OFF\n")
    for name in ("tmp", "logs"):  # flink-daemon.sh does not create its log folder
        (folder / name).mkdir()
    env = cluster_env(
        folder,
        FLINK_CONF_DIR=str(conf),
        FLINK_LOG_DIR=str(folder / "logs"),
        FLINK_PID_DIR=str(folder),
        PATH=os.pathsep.join([str(FLINK_VENV / "bin"), os.environ.get("PATH", os.defpath)]),
        **worker_env,
    )
    bin_dir = FLINK_HOME / "bin"
    cluster = Cluster(folder, f"http://localhost:{rest_port}", env=env,
                      stop_command=["bash", str(bin_dir / "stop-cluster.sh")])  # fmt: skip
    try:
        subprocess.run(["bash", str(bin_dir / "start-cluster.sh")], env=env, cwd=folder,
                       capture_output=True, timeout=120, check=True)  # fmt: skip
        wait_for(lambda: _json(f"{cluster.url}/overview")["slots-available"] == slots,
                 timeout=READY_TIMEOUT_S, what="Flink cluster")  # fmt: skip
    except BaseException:
        cluster.stop()
        raise
    return cluster


# -- fixtures -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def workdir(test_settings: Settings) -> Iterator[Path]:
    folder = test_settings.state_dir / "clusters"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    StackContext(test_settings).ensure_secrets()  # the vault's master key among them
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def ticket(workdir: Path) -> FileTicket:
    """A mixed file as the DAG's route step hands it to an engine (no database needed here)."""
    source = workdir / "clusters-mixed.csv"
    write_dataset("mixed", ROWS, source, seed=2025)
    return FileTicket(
        path=str(source), name=source.name, sha256="0" * 64, size_bytes=source.stat().st_size,
        file_id=1, duplicate=False, reprocess=True, job_id=1, route=None, engine="spark",
        domain="auto", anonymize="tokenize", staging_dir=str(workdir / "staged"),
    )  # fmt: skip


@pytest.fixture(scope="module")
def local(test_settings: Settings, ticket: FileTicket, workdir: Path) -> dict[str, Path]:
    """Both engines' staged output in local mode (local[2], the Flink mini cluster)."""
    outputs = {}
    for engine, run in (("spark", run_batch), ("flink", run_hybrid)):
        outputs[engine] = workdir / f"local-{engine}"
        run(test_settings, replace(ticket, engine=engine, staging_dir=str(outputs[engine])))
    return outputs


@pytest.fixture(scope="module")
def spark_cluster(workdir: Path) -> Iterator[Cluster]:
    cluster = start_spark_cluster(workdir / "spark")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def flink_cluster(test_settings: Settings, workdir: Path) -> Iterator[Cluster]:
    # The job's workers read the keys from their environment, which is the TaskManager's.
    vault_key = StackContext(test_settings).vault_key
    cluster = start_flink_cluster(workdir / "flink", **KEYS, SDP_VAULT_KEY=vault_key)
    yield cluster
    cluster.stop()


def dag_spark_submit(master: str, application_args: list[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The spark-submit command line the DAG's process_batch task runs, with the Spark connection
    set the documented way."""
    from include.ingest_dag import _spark_submit

    monkeypatch.setenv("AIRFLOW_CONN_SPARK_DEFAULT", json.dumps({"conn_type": "spark", "host": master}))
    operator = _spark_submit(application_args, "batch")
    return operator._get_hook()._build_spark_submit_command(operator.application)


def assert_same_output(cluster: Path, local: Path) -> StagedManifest:
    """Same violations, records (every column: tokens, scrubbed text, ...), plan and vault tokens."""
    (found, records, manifest), (expected, local_records, local_manifest) = staged(cluster), staged(local)
    assert len(found) > ROWS, "a mixed file has several violations per row"
    assert found == expected
    assert records.num_rows == ROWS
    assert records.equals(local_records)
    assert manifest.anonymized_columns == local_manifest.anonymized_columns
    tokens = [
        ds.dataset(folder / VAULT, format="parquet").to_table().column("token") for folder in (cluster, local)
    ]
    assert len(tokens[0]) > ROWS // 2 and set(tokens[0].to_pylist()) == set(tokens[1].to_pylist())
    return manifest


# -- tests --------------------------------------------------------------------------------------------
def test_batch_route_on_a_spark_standalone_cluster(
    test_settings: Settings, ticket: FileTicket, local: dict[str, Path], spark_cluster: Cluster,
    workdir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    staging = workdir / "cluster-spark"
    command = dag_spark_submit(spark_cluster.url, engine_arguments(replace(ticket, staging_dir=str(staging))),
                               monkeypatch)  # fmt: skip
    assert command[command.index("--master") + 1] == spark_cluster.url
    env = {**StackContext(test_settings).pipeline_env(), **KEYS,
           "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # fmt: skip
    _run(command, env)

    manifest = assert_same_output(staging, local["spark"])
    details = manifest.details
    assert details["master"] == spark_cluster.url
    core = details["executor_core"]
    assert core["extensions"], "the core is built with its C extensions (make setup)"
    assert core["tasks"] >= 1 and core["native_tasks"] == core["tasks"] == core["shipped_tasks"], core
    # The executor unpacked the job's archive in its own working folder, C extensions included.
    shipped = list((spark_cluster.folder / "work").glob("app-*/*/compliance"))
    assert shipped and all(list(path.rglob("*.so")) for path in shipped), shipped
    assert TOKEN_KEY not in spark_cluster.logs(), "the cluster logged the token key"


def test_hybrid_route_on_a_flink_standalone_cluster(
    test_settings: Settings, ticket: FileTicket, local: dict[str, Path], flink_cluster: Cluster,
    workdir: Path,
) -> None:  # fmt: skip
    staging = workdir / "cluster-flink"
    run_hybrid(test_settings, replace(ticket, engine="flink", staging_dir=str(staging)),
               {"SDP_FLINK_REST_URL": flink_cluster.url})  # fmt: skip

    manifest = assert_same_output(staging, local["flink"])
    details = manifest.details
    assert details["cluster"] == flink_cluster.url.removeprefix("http://")
    core = details["worker_core"]
    assert core["extensions"], "the core is built with its C extensions (make setup)"
    assert core["native_batches"] == core["shipped_batches"] == details["batches"] >= 1, core
    jobs = _json(f"{flink_cluster.url}/jobs/overview")["jobs"]
    assert [job["state"] for job in jobs] == ["FINISHED"]
    assert TOKEN_KEY not in flink_cluster.logs(), "the cluster logged the token key"


def test_clusters_stop_without_leftover_processes(spark_cluster: Cluster, flink_cluster: Cluster) -> None:
    for cluster in (spark_cluster, flink_cluster):
        cluster.stop()
        assert not leftovers(cluster.folder)
