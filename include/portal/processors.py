"""Whether each route's processor can take work now: real network checks with short timeouts."""

from __future__ import annotations

import json
import shutil
import socket
import time
import urllib.error
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import Any

from include.portal.config import PortalConfig
from include.stack.supervision import program_state
from include.streaming import HEARTBEAT_MAX_AGE_S, member_heartbeats


def tcp_reachable(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    address = address.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = address.rpartition(":")
    if not host:
        return address, default_port
    return host.strip("[]"), int(port)


def batch_status(spark_master: str, config: PortalConfig) -> dict[str, Any]:
    """The batch route's Spark: a standalone master must accept TCP connections; local mode needs
    spark-submit on this machine."""
    if not spark_master or spark_master.startswith("local"):
        submit = shutil.which("spark-submit")
        return {
            "pipeline": "batch",
            "engine": "spark",
            "mode": "local",
            "available": submit is not None,
            "detail": "spark-submit found" if submit else "spark-submit not found",
        }
    host, port = _host_port(spark_master, 7077)
    up = tcp_reachable(host, port, config.probe_timeout_s)
    return {
        "pipeline": "batch",
        "engine": "spark",
        "mode": "cluster",
        "master": f"{host}:{port}",
        "available": up,
        "detail": "master reachable" if up else "master not reachable",
    }


def stream_status(config: PortalConfig) -> dict[str, Any]:
    """The stream route: the broker accepts connections and every consumer member's heartbeat is
    fresh."""
    s = config.settings
    brokers = [_host_port(b.strip(), 9092) for b in s.kafka_bootstrap_servers.split(",") if b.strip()]
    broker_up = any(tcp_reachable(h, p, config.probe_timeout_s) for h, p in brokers)
    ages = []
    for path in member_heartbeats(s):
        try:
            ages.append(round(time.time() - path.stat().st_mtime, 1))
        except FileNotFoundError:
            ages.append(None)
    consumer_up = bool(ages) and all(a is not None and a <= HEARTBEAT_MAX_AGE_S for a in ages)
    # The local stack's supervisor, when it runs the consumer: is it being restarted, or given up?
    supervised = program_state(s, "stream-consumer", timeout=config.probe_timeout_s)
    detail = (
        "broker reachable, consumer alive"
        if broker_up and consumer_up
        else ("broker not reachable" if not broker_up else "consumer heartbeat missing or stale")
    )
    if supervised:
        detail += f"; supervisor: consumer {supervised.state}, {supervised.restarts} restart(s)"
        detail += f", last exit {supervised.last_exit}" if supervised.last_exit else ""
    return {
        "pipeline": "stream",
        "engine": "stream",
        "available": broker_up and consumer_up,
        "broker_reachable": broker_up,
        "consumer_alive": consumer_up,
        "consumer_heartbeat_age_s": ages,
        "consumer_supervisor": asdict(supervised) if supervised else None,
        "detail": detail,
    }


def hybrid_status(config: PortalConfig, flink_venv: Path) -> dict[str, Any]:
    """The hybrid route: the Flink cluster's REST API answers, or (without a cluster) the PyFlink
    venv that runs a mini cluster per job is installed."""
    if config.flink_rest_url:
        url = config.flink_rest_url.rstrip("/") + "/overview"
        try:
            with urllib.request.urlopen(url, timeout=config.probe_timeout_s) as response:
                overview = json.loads(response.read())
            return {
                "pipeline": "hybrid",
                "engine": "flink",
                "mode": "cluster",
                "available": True,
                "taskmanagers": overview.get("taskmanagers"),
                "slots_available": overview.get("slots-available"),
                "detail": "Flink REST API answers",
            }
        except (OSError, urllib.error.URLError, ValueError):
            return {
                "pipeline": "hybrid",
                "engine": "flink",
                "mode": "cluster",
                "available": False,
                "detail": "Flink REST API not reachable",
            }
    python = flink_venv / "bin" / "python"
    installed = python.exists()
    return {
        "pipeline": "hybrid",
        "engine": "flink",
        "mode": "mini-cluster",
        "available": installed,
        "detail": "PyFlink venv present" if installed else "PyFlink venv missing (run make setup)",
    }
