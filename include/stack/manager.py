"""Start, stop and inspect the local stack. State, pid files and logs live under SDP_STATE_DIR; a
supervisor (include/stack/supervision.py) runs the services and restarts those that exit."""

from __future__ import annotations

import contextlib
import signal
import time
from dataclasses import dataclass

import psutil

from include.settings import Settings
from include.stack import process
from include.stack.context import AIRFLOW_ADMIN, StackContext
from include.stack.services import SERVICES, Service, by_name
from include.stack.supervision import ACTIVE, START_RETRIES, SUPERVISOR, Supervisor, history


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
    # The supervisor's view: its state name (UNSUPERVISED: running without one), automatic
    # restarts since `up`, how the last run ended, and since when the state holds (epoch seconds).
    state: str = "STOPPED"
    restarts: int = 0
    last_exit: str = ""
    since: float | None = None


def _is(proc: psutil.Process, command: list[str]) -> bool:
    try:
        return proc.cmdline() == command
    except psutil.Error:
        return False


def _leader(procs: list[psutil.Process]) -> int | None:
    """The process among `procs` whose parent is not one of them."""
    pids = {p.pid for p in procs}
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            if proc.ppid() not in pids:
                return proc.pid
    return None


class Stack:
    def __init__(self, settings: Settings, services: list[str] | None = None) -> None:
        self.ctx = StackContext(settings)
        self.services = by_name(services)
        self.supervisor = Supervisor(self.ctx, [s for s in SERVICES if s.enabled(self.ctx)])

    def _enabled(self) -> list[Service]:
        return [s for s in self.services if s.enabled(self.ctx)]

    def up(self, *, log=print) -> dict[str, str]:
        """Start what is not running; returns {service: 'started' | 'running'}."""
        self.ctx.state.mkdir(parents=True, exist_ok=True)
        self.ctx.ensure_secrets()
        if not self.supervisor.reachable():
            # What runs without the supervisor (it was killed, or an older stack started it) is
            # stopped, so that everything `up` leaves running is supervised.
            for name in self._sweep({SUPERVISOR, process.ORPHANED, *(s.name for s in self.services)}):
                log(f"{name:<22} was running unsupervised: stopped")
        info = self.supervisor.info()
        todo = [s for s in self._enabled() if info.get(s.name, {}).get("statename") not in ACTIVE]
        to_start = {s.name for s in todo}
        for service in todo:
            port = service.port(self.ctx)
            if port and process.port_in_use(port):
                raise StackError(
                    f"port {port} needed by {service.name} is taken; set {service.port_variable} "
                    "to a free port"
                )
        if todo:
            self.supervisor.ensure_running(log=log)
        outcome = {}
        for service in self._enabled():
            if service.name in to_start:
                if service.prepare:
                    service.prepare(self.ctx)
                self.supervisor.start(service.name)
                outcome[service.name] = "started"
            else:
                outcome[service.name] = "running"
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
        deadline = time.monotonic() + service.start_timeout
        last_error = ""
        log_file = self.ctx.log_file(service.name)
        while time.monotonic() < deadline:
            state = self.supervisor.info().get(service.name, {}).get("statename", "not supervised")
            if state == "FATAL":
                _, last_exit = history(self.supervisor.log_file).get(service.name, (0, ""))
                raise StackError(
                    f"{service.name} exited during start, given up after {START_RETRIES} retries "
                    f"(last exit: {last_exit or 'unknown'}); see {log_file}"
                )
            if state not in ACTIVE:
                raise StackError(f"{service.name} is {state} during start; see {log_file}")
            try:
                if service.ready(self.ctx):
                    return
            except Exception as exc:  # a probe fails in many ways while the service starts
                last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            time.sleep(0.5)
        raise StackError(
            f"{service.name} not ready after {service.start_timeout:.0f} s ({last_error}); see {log_file}"
        )

    def down(self, *, log=print) -> list[str]:
        """Stop the services through the supervisor (and the supervisor once it runs nothing),
        then whatever of them /proc still shows: this also works when run/ was deleted."""
        stopped = []
        info = self.supervisor.info()
        for service in reversed(self.services):
            if info.get(service.name, {}).get("statename") in ACTIVE:
                self.supervisor.stop(service.name)
                stopped.append(service.name)
                log(f"{service.name:<22} stopped")
        # Once it runs nothing, the supervisor goes too, in the sweep: while it lives, its session
        # still holds the orphaned workers of killed services.
        idle = not any(row["statename"] in ACTIVE for row in self.supervisor.info().values())
        owners = {s.name for s in self.services} | ({SUPERVISOR, process.ORPHANED} if idle else set())
        for name in self._sweep(owners):
            if name not in stopped:
                stopped.append(name)
                log(f"{name:<22} stopped (found in /proc)")
        return stopped

    def _sweep(self, owners: set[str]) -> list[str]:
        """Stop the processes of `owners` found from /proc or pid files; returns the services
        that had some. The supervisor goes first, as it would restart the others: SIGTERM when
        it runs nothing, else SIGKILL (on SIGTERM it would stop them all at once, PostgreSQL
        before Airflow). Then the services in reverse order, then orphans (workers of killed
        services, which ignore SIGTERM without their leader) with 5 s to go."""
        commands = self.supervisor.commands()
        found = process.find(self.ctx.state, commands=commands, owners=owners)
        info = self.supervisor.info(timeout=2)
        idle = bool(info) and not any(row["statename"] in ACTIVE for row in info.values())
        daemon = [p for p in found.get(SUPERVISOR, []) if _is(p, self.supervisor.command())]
        process.terminate(daemon, sig=signal.SIGTERM if idle else signal.SIGKILL, timeout=30)
        self.supervisor.pid_file.unlink(missing_ok=True)
        left = process.find(self.ctx.state, commands=commands, owners=owners)
        swept = []
        for service in reversed(self.services):
            if service.name not in owners:
                continue
            by_pid = process.stop(self.ctx.pid_file(service.name), sig=service.stop_signal)
            process.terminate(left.get(service.name, []), sig=service.stop_signal)
            if by_pid or service.name in found:
                swept.append(service.name)
        strays = [p for p in found.get(SUPERVISOR, []) if p not in daemon]
        strays += left.get(SUPERVISOR, []) + left.get(process.ORPHANED, [])
        process.terminate(strays, timeout=5)
        return swept

    def pids(self) -> dict[str, list[int]]:
        """Every live pid of every running service (leaders and their process groups)."""
        out = {}
        info = self.supervisor.info()
        for service in self.services:
            pid = info.get(service.name, {}).get("pid")
            if pid:
                with contextlib.suppress(psutil.Error):
                    out[service.name] = [p.pid for p in process.tree(psutil.Process(pid))]
        return out

    def status(self) -> list[ServiceStatus]:
        states = self.supervisor.states()
        # Without a supervisor, whatever still runs is found from /proc.
        loose = {} if states else process.find(self.ctx.state, commands=self.supervisor.commands())
        rows = []
        for service in self.services:
            enabled = service.enabled(self.ctx)
            state = states.get(service.name)
            pid = state.pid if state else _leader(loose.get(service.name, []))
            proc = None
            if enabled and pid:
                try:
                    proc = psutil.Process(pid)
                except psutil.Error:
                    proc = None
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
                    state=state.state if state else ("UNSUPERVISED" if proc else "STOPPED"),
                    restarts=state.restarts if state else 0,
                    last_exit=state.last_exit if state else "",
                    since=state.since if state else None,
                )
            )  # fmt: skip
        return rows

    def supervisor_pid(self) -> int | None:
        """The supervisor's pid when it answers."""
        if not self.supervisor.reachable():
            return None
        proc = process.running(self.supervisor.pid_file)
        return proc.pid if proc else None

    def login(self) -> tuple[str, str]:
        return AIRFLOW_ADMIN, self.ctx.secret("airflow_admin.password")
