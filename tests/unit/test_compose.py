"""docker-compose.yaml, validated without a Docker engine: the Compose JSON schema plus the
stack's own rules (pinned images, healthchecks, start order, volumes, ports, environment names).

Environment names are read from the code at test time, never copied here, so a renamed setting
fails this test instead of silently leaving the stack on a name nobody reads.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yaml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
SCHEMA_ENV_VAR = "SDP_COMPOSE_SCHEMA"
# Every module that reads SDP_* / KAFKA_* variables (include/settings.py says so).
CODE_ENV_SOURCES = (
    REPO_ROOT / "include" / "settings.py",
    REPO_ROOT / "compliance" / "anonymize" / "tokenize.py",
    REPO_ROOT / "compliance" / "vault.py",
    REPO_ROOT / "flink_jobs" / "compliance_hybrid.py",  # may not import include.settings
    REPO_ROOT / "include" / "portal" / "config.py",  # the compliance portal's own settings
)
ENV_NAME = re.compile(r"(SDP|KAFKA)_[A-Z0-9_]+")
# Policy of the stack (not a copy of the code): what a process running pipeline code needs.
REQUIRED_PIPELINE_ENV = frozenset(
    {"SDP_DATA_DIR", "SDP_DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "SDP_TOKEN_KEY", "SDP_VAULT_KEY"}
)
PIPELINE_SERVICES = frozenset(
    {
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "stream-consumer",
        "spark-worker",
        "flink-taskmanager",
    }
)
DATA_VOLUME = "sdp-data"
# Start-order edges that matter: (service, dependency, condition).
REQUIRED_EDGES = (
    ("sdp-migrate", "postgres", "service_healthy"),
    ("airflow-init", "postgres", "service_healthy"),
    ("airflow-scheduler", "airflow-init", "service_completed_successfully"),
    ("airflow-scheduler", "sdp-migrate", "service_completed_successfully"),
    ("airflow-scheduler", "kafka", "service_healthy"),
    ("airflow-apiserver", "airflow-init", "service_completed_successfully"),
    ("airflow-dag-processor", "airflow-init", "service_completed_successfully"),
    ("airflow-triggerer", "airflow-init", "service_completed_successfully"),
    ("stream-consumer", "kafka", "service_healthy"),
    ("stream-consumer", "sdp-migrate", "service_completed_successfully"),
    ("spark-worker", "spark-master", "service_healthy"),
    ("flink-taskmanager", "flink-jobmanager", "service_healthy"),
)
LONG_RUNNING_RESTART = {"always", "unless-stopped", "on-failure"}
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|SECRET_KEY|FERNET_KEY|TOKEN_KEY)$")
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}; $$ is a literal $.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
# Some projects tag releases with a leading v (prom/prometheus:v3.5.0).
VERSION_TAG = re.compile(r"v?\d+\.\d+")


# -- loading -----------------------------------------------------------------------------------
@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the "- NAME=value" form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


def project_services() -> dict[str, dict[str, Any]]:
    """Services running images built from this repository, i.e. running the project's code."""
    return {name: svc for name, svc in services().items() if "build" in svc}


def all_strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in all_strings(key) + all_strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in all_strings(item)]
    return []


def interpolations() -> list[tuple[str, str, str]]:
    """(name, operator, argument) of every ${...} in the compose file."""
    return [m.groups("") for s in all_strings(compose()) for m in INTERPOLATION.finditer(s)]


def env_example() -> dict[str, str]:
    assert ENV_EXAMPLE.is_file(), f"{ENV_EXAMPLE} is missing: it documents every variable compose needs"
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution (the subset this file uses), applied to parsed values."""
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match.groups("")
        value = env.get(name)
        if op in (":-", "-") and (value is None or (op == ":-" and value == "")):
            return arg
        if op in (":?", "?") and (value is None or (op == ":?" and value == "")):
            raise AssertionError(f"compose would refuse to start: {name}: {arg}")
        return value or ""

    return INTERPOLATION.sub(substitute, node).replace("$$", "$")


def filled_env() -> dict[str, str]:
    """.env.example as a user fills it in: every required secret given a value."""
    env = env_example()
    for name, op, _ in interpolations():
        if op.endswith("?") and not env.get(name):
            env[name] = f"test-{name.lower()}-0123456789abcdef"
    return env


@cache
def code_env_names() -> frozenset[str]:
    """SDP_* / KAFKA_* names in the code's string literals: what the code can read."""
    assert CODE_ENV_SOURCES[0].is_file(), f"{CODE_ENV_SOURCES[0]} is missing"
    names = set()
    for source in CODE_ENV_SOURCES:
        if source.is_file():  # a source that does not exist yet reads nothing
            for node in ast.walk(ast.parse(source.read_text())):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and ENV_NAME.fullmatch(node.value)
                ):
                    names.add(node.value)
    return frozenset(names)


def code_defaults() -> dict[str, str]:
    """Literal defaults in include/settings.py: any call like read("SDP_KAFKA_PORT", 9092)."""
    defaults = {}
    for node in ast.walk(ast.parse(CODE_ENV_SOURCES[0].read_text())):
        if isinstance(node, ast.Call) and len(node.args) == 2:
            name, default = node.args
            literal = isinstance(name, ast.Constant) and isinstance(default, ast.Constant)
            if literal and isinstance(name.value, str) and ENV_NAME.fullmatch(name.value):
                defaults[name.value] = str(default.value)
    return defaults


def find_schema() -> Path:
    candidates = [REPO_ROOT.parent / "shared" / "schemas" / "compose-spec.json"]
    if os.environ.get(SCHEMA_ENV_VAR):
        candidates.append(Path(os.environ[SCHEMA_ENV_VAR]))
    for path in candidates:
        if path.is_file():
            return path
    pytest.fail(
        f"Compose JSON schema not found (looked at {', '.join(map(str, candidates))}): put shared/ "
        f"beside the repository or set {SCHEMA_ENV_VAR} to the path of compose-spec.json"
    )


def depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on") or {}
    assert isinstance(deps, dict), "use the long depends_on form, with a condition per dependency"
    return deps


def is_one_shot(service: dict[str, Any]) -> bool:
    return str(service.get("restart", "no")) == "no"


def volume_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of each mount, short or long syntax."""
    mounts = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, str):
            source, target = entry.split(":")[:2]
        else:
            source, target = entry.get("source", ""), entry["target"]
        mounts.append((source, target))
    return mounts


# -- tests -------------------------------------------------------------------------------------
def test_compose_file_validates_against_the_compose_schema() -> None:
    schema = json.loads(find_schema().read_text())
    document = interpolate(compose(), filled_env())
    # The spec names draft-07 without the trailing "#", which jsonschema does not recognise.
    validator_class = (
        jsonschema.Draft7Validator
        if "draft-07" in schema.get("$schema", "")
        else jsonschema.validators.validator_for(schema)
    )
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_images_are_pinned_to_exact_versions() -> None:
    bases = [(f"service {name}", svc["image"]) for name, svc in services().items() if "build" not in svc]
    for name, svc in project_services().items():
        dockerfile = REPO_ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"
        stages = set()
        for line in dockerfile.read_text().splitlines():
            words = line.split()
            if words[:1] == ["FROM"]:
                image = next(w for w in words[1:] if not w.startswith("--"))
                if image not in stages:
                    bases.append((f"{dockerfile.name}", image))
                if len(words) >= 4 and words[-2].upper() == "AS":
                    stages.add(words[-1])
            if words[:1] == ["COPY"] and (src := [w for w in words[1:] if w.startswith("--from=")]):
                image = src[0].removeprefix("--from=")
                if image not in stages:
                    bases.append((f"{dockerfile.name} COPY", image))
        assert re.fullmatch(r"[a-z0-9._/-]+:\d+\.\d+\.\d+", svc["image"]), f"{name}: tag the built image"
    for where, image in bases:
        name, _, tag = image.rpartition("/")[2].partition(":")
        assert tag, f"{where}: {image} has no tag"
        assert tag != "latest" and VERSION_TAG.match(tag), f"{where}: {image} is not an exact version"


def test_services_sharing_an_image_build_it_the_same_way() -> None:
    builds: dict[str, Any] = {}
    for name, svc in services().items():
        if "build" in svc:
            previous = builds.setdefault(svc["image"], svc["build"])
            assert previous == svc["build"], f"{name}: {svc['image']} is built two different ways"
    for name, svc in services().items():
        if "build" not in svc:
            assert svc["image"] not in builds, f"{name}: would pull {svc['image']}, which is built here"


def test_every_long_running_service_has_a_healthcheck() -> None:
    for name, svc in services().items():
        if is_one_shot(svc):
            continue
        assert str(svc["restart"]) in LONG_RUNNING_RESTART, f"{name}: unknown restart policy"
        check = svc.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name}: long-running, needs a healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck test must be CMD or CMD-SHELL"


def test_one_shot_jobs_gate_the_services_that_need_them() -> None:
    one_shots = {name for name, svc in services().items() if is_one_shot(svc)}
    assert one_shots == {"airflow-init", "sdp-migrate"}
    awaited = {
        dep
        for svc in services().values()
        for dep, spec in depends_on(svc).items()
        if spec.get("condition") == "service_completed_successfully"
    }
    assert one_shots <= awaited, f"nobody waits for {one_shots - awaited}"


def test_dependencies_wait_for_health_or_completion() -> None:
    for name, svc in services().items():
        for dep, spec in depends_on(svc).items():
            assert dep in services(), f"{name} depends on unknown service {dep}"
            want = "service_completed_successfully" if is_one_shot(services()[dep]) else "service_healthy"
            assert spec.get("condition") == want, f"{name} -> {dep}: condition must be {want}"
    for name, dep, condition in REQUIRED_EDGES:
        spec = depends_on(services()[name]).get(dep)
        assert spec and spec["condition"] == condition, f"{name} must wait for {dep} ({condition})"


def test_start_order_has_no_cycle() -> None:
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert state.get(name) != "open", f"dependency cycle: {' -> '.join((*path, name))}"
        if state.get(name) == "done":
            return
        state[name] = "open"
        for dep in depends_on(services()[name]):
            visit(dep, (*path, name))
        state[name] = "done"

    for name in services():
        visit(name, ())


def test_volumes_are_declared_and_bind_sources_exist() -> None:
    declared = set(compose().get("volumes") or {})
    used = set()
    for name, svc in services().items():
        for source, target in volume_mounts(svc):
            assert target.startswith("/"), f"{name}: mount target {target} must be absolute"
            if source.startswith((".", "/")):
                assert (REPO_ROOT / source).exists(), f"{name}: bind source {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
    assert declared == used, f"declared but unused volumes: {declared - used}"


def test_all_services_share_one_network() -> None:
    networks = set(compose().get("networks") or {})
    assert len(networks) == 1, "the stack uses one network"
    for name, svc in services().items():
        assert set(svc.get("networks") or []) == networks, f"{name}: must join {networks}"


def test_published_host_ports_are_unique() -> None:
    document = interpolate(compose(), filled_env())
    seen: dict[str, str] = {}
    for name, svc in document["services"].items():
        for port in svc.get("ports") or []:
            host = str(port).rsplit(":", 1)[0].split(":")[-1]
            assert host.isdigit(), f"{name}: publish {port} on an explicit host port"
            assert host not in seen, f"host port {host} published by {seen.get(host)} and {name}"
            seen[host] = name
    assert {"8080", "8081"} <= set(seen), "the Airflow UI (8080) and Flink REST (8081) are published"


def test_project_services_only_set_environment_names_the_code_reads() -> None:
    known = code_env_names()
    for name, svc in project_services().items():
        unknown = {var for var in environment(svc) if ENV_NAME.fullmatch(var)} - known
        assert not unknown, f"{name} sets {sorted(unknown)}, which no code reads (known: {sorted(known)})"
    prefixed = {var for var, _, _ in interpolations() if ENV_NAME.fullmatch(var)} | {
        var for var in env_example() if ENV_NAME.fullmatch(var)
    }
    assert prefixed <= known, f"SDP_*/KAFKA_* names the code never reads: {sorted(prefixed - known)}"


def test_pipeline_services_set_the_required_environment() -> None:
    assert code_env_names() >= REQUIRED_PIPELINE_ENV, "a required variable is no longer read by the code"
    for name in sorted(PIPELINE_SERVICES):
        env = environment(services()[name])
        missing = {var for var in REQUIRED_PIPELINE_ENV if not env.get(var)}
        assert not missing, f"{name} runs pipeline code but does not set {sorted(missing)}"


def test_data_zones_are_one_volume_at_one_path_everywhere() -> None:
    targets = {}
    for name, svc in services().items():
        for source, target in volume_mounts(svc):
            if source == DATA_VOLUME:
                targets[name] = target
    assert set(targets) >= PIPELINE_SERVICES, (
        f"not mounting {DATA_VOLUME}: {PIPELINE_SERVICES - set(targets)}"
    )
    assert len(set(targets.values())) == 1, f"{DATA_VOLUME} is mounted at several paths: {targets}"
    (path,) = set(targets.values())
    for name in targets:
        data_dir = environment(services()[name]).get("SDP_DATA_DIR")
        assert data_dir in (None, path), f"{name}: SDP_DATA_DIR={data_dir} but the zones are at {path}"
    fs_conn = json.loads(environment(services()["airflow-scheduler"])["AIRFLOW_CONN_FS_DEFAULT"])
    assert fs_conn["extra"]["path"] == path


def test_secrets_come_from_the_env_file() -> None:
    example = env_example()
    for name, svc in services().items():
        for var, value in environment(svc).items():
            if SECRET_NAME.search(var):
                match = INTERPOLATION.fullmatch(value)
                assert match and match.group(2) == ":?", f"{name}: {var} must be ${{NAME:?...}} from .env"
            for creds in re.findall(r"://[^:/@]+:([^@]+)@", value):
                assert INTERPOLATION.fullmatch(creds), f"{name}: {var} has a literal password in its URL"
    for var, op, _ in interpolations():
        assert var in example, f".env.example does not document {var}"
        if op == ":?":
            assert example[var] == "", f".env.example must not ship a value for the secret {var}"
    referenced = {var for var, _, _ in interpolations()}
    assert set(example) <= referenced, f".env.example lists unused names: {set(example) - referenced}"


def test_compose_defaults_agree_with_the_code_defaults() -> None:
    defaults = code_defaults()
    assert {"SDP_POSTGRES_PORT", "SDP_KAFKA_PORT", "SDP_AIRFLOW_PORT"} <= set(defaults), "defaults not found"
    for var, op, arg in interpolations():
        if op == ":-" and arg and var in defaults:
            assert arg == defaults[var], f"${{{var}}} defaults to {arg} here, {defaults[var]} in the code"


def test_airflow_settings() -> None:
    env = environment(services()["airflow-scheduler"])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__PARALLELISM"] == "4"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    api = services()["airflow-apiserver"]
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert any(str(p).endswith(":8080") for p in api["ports"])
    assert "/api/v2/monitor/health" in " ".join(api["healthcheck"]["test"])
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        assert environment(services()[name]) == env, f"{name}: Airflow components share one configuration"
    spark = json.loads(env["AIRFLOW_CONN_SPARK_DEFAULT"])
    assert f"{spark['host']}:{spark['port']}" == "spark://spark-master:7077"
    assert "7077" in services()["spark-master"]["command"]


def test_kafka_runs_kraft_and_advertises_the_pipeline_bootstrap_address() -> None:
    kafka = environment(services()["kafka"])
    assert set(kafka["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "ZOOKEEPER" not in " ".join(kafka)
    advertised = {url.split("://", 1)[1] for url in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")}
    for name in PIPELINE_SERVICES:
        assert environment(services()[name])["KAFKA_BOOTSTRAP_SERVERS"] in advertised, name


def test_commands_name_code_that_exists() -> None:
    for name, svc in services().items():
        command = svc.get("command") or []
        if command[:2] == ["python", "-m"]:
            module = REPO_ROOT.joinpath(*command[2].split("."))
            assert module.with_suffix(".py").is_file() or (module / "__main__.py").is_file(), (
                f"{name}: module {command[2]} does not exist"
            )
        for word in (svc.get("healthcheck") or {}).get("test", []):
            if word.startswith("/opt/sdp/"):
                assert (REPO_ROOT / word.removeprefix("/opt/sdp/")).is_file(), f"{name}: {word} missing"
    for svc in project_services().values():
        dockerfile = REPO_ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]
        for line in dockerfile.read_text().splitlines():
            words = line.split()
            if words[:1] == ["COPY"] and not any(w.startswith("--from=") for w in words):
                for source in [w for w in words[1:-1] if not w.startswith("--")]:
                    assert (REPO_ROOT / source).exists(), f"{dockerfile.name}: COPY {source} is missing"


# -- the consumer's healthcheck script ---------------------------------------------------------
def load_consumer_healthcheck() -> Any:
    path = REPO_ROOT / "docker" / "consumer_healthcheck.py"
    spec = importlib.util.spec_from_file_location("consumer_healthcheck", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("cmdline", "running"),
    [
        (b"python\0-m\0include.streaming.consumer\0", True),
        (b"python\0-m\0include.streaming.consumer_tools\0", False),
        (b"airflow\0scheduler\0", False),
    ],
)
def test_consumer_healthcheck_finds_the_consumer_process(
    tmp_path: Path, cmdline: bytes, running: bool
) -> None:
    check = load_consumer_healthcheck()
    (tmp_path / "self").mkdir()  # non-numeric /proc entries are skipped
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "cmdline").write_bytes(cmdline)
    (tmp_path / "43").mkdir()  # a process that ended: no cmdline left
    assert check.consumer_running(tmp_path) is running


def test_consumer_healthcheck_reports_an_unreachable_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    check = load_consumer_healthcheck()
    monkeypatch.setattr(check, "BROKER_TIMEOUT_S", 0.5)
    assert check.broker_reachable("127.0.0.1:1") is False
