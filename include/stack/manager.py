"""Start, stop and inspect the local stack. State, pid files and logs live under SDP_STATE_DIR."""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil

from include.settings import Settings
from include.stack import process
from include.stack.context import AIRFLOW_ADMIN, StackContext
from include.stack.services import Service, by_name


class StackError(RuntimeError):
    """A one-line, user-facing problem (taken port, failed start)."""


@dataclass
class ServiceStatus:
    name: str
    enabled: bool
    pid: int | None
    port: int | None
    ready: bool
    rss_bytes: int
    pss_bytes: int


class Stack:
    def __init__(self, settings: Settings, services: list[str] | None = None) -> None:
        self.ctx = StackContext(settings)
        self.services = by_name(services)

    def _enabled(self) -> list[Service]:
        return [s for s in self.services if s.enabled(self.ctx)]

    def up(self, *, log=print) -> dict[str, str]:
        """Start what is not running; returns {service: 'started' | 'running'}."""
        self.ctx.state.mkdir(parents=True, exist_ok=True)
        self.ctx.ensure_secrets()
        outcome = {}
        for service in self._enabled():
            pid_file = self.ctx.pid_file(service.name)
            if process.running(pid_file):
                outcome[service.name] = "running"
            else:
                port = service.port(self.ctx)
                if port and process.port_in_use(port):
                    raise StackError(
                        f"port {port} needed by {service.name} is taken; set {service.port_variable} "
                        "to a free port"
                    )
                if service.prepare:
                    service.prepare(self.ctx)
                process.start(
                    service.command(self.ctx),
                    pid_file=pid_file,
                    log_file=self.ctx.log_file(service.name),
                    env=service.env(self.ctx),
                    cwd=self.ctx.root,
                    user=service.user(self.ctx),
                )
                outcome[service.name] = "started"
            log(f"{service.name:<22} {outcome[service.name]}")
            if service.blocking:
                self._settle(service)
        for service in self._enabled():
            if not service.blocking:
                self._settle(service)
        return outcome

    def _settle(self, service: Service) -> None:
        self._wait_ready(service)
        if service.after_ready:
            service.after_ready(self.ctx)

    def _wait_ready(self, service: Service) -> None:
        pid_file = self.ctx.pid_file(service.name)
        deadline = time.monotonic() + service.start_timeout
        last_error = ""
        while time.monotonic() < deadline:
            if not process.running(pid_file):
                raise StackError(f"{service.name} exited during start; see {self.ctx.log_file(service.name)}")
            try:
                if service.ready(self.ctx):
                    return
            except Exception as exc:  # a probe fails in many ways while the service starts
                last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            time.sleep(0.5)
        raise StackError(
            f"{service.name} not ready after {service.start_timeout:.0f} s ({last_error}); "
            f"see {self.ctx.log_file(service.name)}"
        )

    def down(self, *, log=print) -> list[str]:
        stopped = []
        for service in reversed(self.services):
            if process.stop(self.ctx.pid_file(service.name), sig=service.stop_signal):
                stopped.append(service.name)
                log(f"{service.name:<22} stopped")
        return stopped

    def pids(self) -> dict[str, list[int]]:
        """Every live pid of every service (leaders and their process groups)."""
        out = {}
        for service in self.services:
            proc = process.running(self.ctx.pid_file(service.name))
            if proc:
                out[service.name] = [p.pid for p in process.tree(proc)]
        return out

    def status(self) -> list[ServiceStatus]:
        rows = []
        for service in self.services:
            enabled = service.enabled(self.ctx)
            proc = process.running(self.ctx.pid_file(service.name)) if enabled else None
            rss = pss = 0
            if proc:
                for member in process.tree(proc):
                    try:
                        info = member.memory_full_info()
                        rss += info.rss
                        pss += getattr(info, "pss", info.rss)
                    except psutil.Error:
                        continue
            ready = False
            if proc:
                try:
                    ready = bool(service.ready(self.ctx))
                except Exception:
                    ready = False
            rows.append(
                ServiceStatus(
                    service.name, enabled, proc.pid if proc else None, service.port(self.ctx) or None,
                    ready, rss, pss,
                )
            )  # fmt: skip
        return rows

    def login(self) -> tuple[str, str]:
        return AIRFLOW_ADMIN, self.ctx.secret("airflow_admin.password")
