"""The stack's supervisor: one supervisord (the `supervisor` package) per state folder keeps every
started service running. A service that exits is started again at once; one that exits within its
`min_uptime` is retried after 1, 2, 3 s and given up (FATAL) after START_RETRIES retries.

`make up` starts the services through it in order (include/stack/manager.py), `make status` reads
its XML-RPC API (a unix socket in run/, mode 0700) and its log (restart counts, last exits), `make
down` stops them through it and then sweeps /proc for anything of the stack that is left.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import shlex
import signal
import socket
import tempfile
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from include.settings import Settings
from include.stack import process
from include.stack.context import StackContext
from include.stack.services import Service

START_RETRIES = 3
# States of a program that is supervised and meant to run: `up` leaves it alone, `down` stops it.
ACTIVE = frozenset({"STARTING", "RUNNING", "BACKOFF"})
# The daemon's name in run/, logs/ and as an owner in process.find.
SUPERVISOR = "supervisord"
_ALREADY_STARTED, _NOT_RUNNING = 60, 70  # supervisor.xmlrpc.Faults
_EVENT = re.compile(r"\b(spawned|exited|stopped|gave up): '?([\w.-]+?)'?(?: with pid| \(|\s|$)(.*)")


@dataclass(frozen=True)
class ProgramState:
    name: str
    # supervisord's: STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL, UNKNOWN.
    state: str
    pid: int | None
    restarts: int  # automatic restarts since the last start by `up`
    last_exit: str  # how the last run ended: "SIGKILL", "exit 1"; "" when it never ended
    since: float | None  # when the current state began (epoch seconds)


class Supervisor:
    def __init__(self, ctx: StackContext, services: list[Service]) -> None:
        self.ctx = ctx
        # Every enabled service of the registry: one daemon serves `up` of any subset.
        self.services = services

    @property
    def config_file(self) -> Path:
        return self.ctx.state / "run" / "supervisord.conf"

    @property
    def pid_file(self) -> Path:
        return self.ctx.pid_file(SUPERVISOR)

    @property
    def log_file(self) -> Path:
        return self.ctx.log_file(SUPERVISOR)

    @property
    def socket_path(self) -> Path:
        path = self.ctx.state / "run" / "supervisor.sock"
        if len(str(path)) < 100:
            return path
        # AF_UNIX paths stop at 108 bytes: a deep state folder gets a short name in /tmp.
        digest = hashlib.sha256(str(self.ctx.state).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"sdp-supervisor-{digest}.sock"

    def command(self) -> list[str]:
        python = str(self.ctx.venv_bin / "python")
        return [python, "-m", "supervisor.supervisord", "-c", str(self.config_file)]

    def launcher(self, service: Service) -> list[str]:
        """What the daemon runs for `service` (include/stack/launch.py); the state folder in its
        arguments names the stack until the service's log file does (process.find)."""
        python = str(self.ctx.venv_bin / "python")
        return [python, "-m", "include.stack.launch", service.name, str(self.ctx.state)]

    def commands(self) -> list[tuple[str, list[str]]]:
        """Command lines that name this stack by themselves (for process.find): the daemon's, the
        launchers', and the services' whose arguments hold the state folder (PostgreSQL, the
        broker)."""
        out = [(SUPERVISOR, self.command())]
        for service in self.services:
            out.append((service.name, self.launcher(service)))
            command = service.command(self.ctx)
            if any(str(self.ctx.state) in arg for arg in command):
                out.append((service.name, command))
        return out

    # -- the daemon ------------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """The daemon's environment: each service's launcher loads the caller's settings from it
        (the SDP_* / KAFKA_* variables the caller's settings were read from, paths resolved)."""
        s = self.ctx.settings
        env = {k: v for k, v in self.ctx.base_env.items() if not k.startswith(("SDP_", "KAFKA_"))}
        env.update(s.environ)
        env.update(SDP_STATE_DIR=str(s.state_dir), SDP_DATA_DIR=str(s.data_dir), PYTHONUNBUFFERED="1")
        return env

    def render(self) -> str:
        def value(text: object) -> str:  # supervisord expands %(name)s in values
            return str(text).replace("%", "%%")

        settings = sorted((k, v) for k, v in self.environment().items() if k.startswith(("SDP_", "KAFKA_")))
        # Only a digest: the settings may hold keys; it tells a daemon started with other settings.
        fingerprint = hashlib.sha256(repr(settings).encode()).hexdigest()[:16]
        lines = [
            f"; written by include/stack/supervision.py for settings {fingerprint}",
            # Only this OS user may talk to it (no HTTP password on top of the socket's mode).
            "[unix_http_server]",
            f"file={value(self.socket_path)}",
            "chmod=0700",
            "[supervisord]",
            # Root on purpose (the launcher drops PostgreSQL to its own user); unsaid, it logs a CRIT.
            *(["user=root"] if self.ctx.running_as_root else []),
            f"logfile={value(self.log_file)}",
            "logfile_maxbytes=5MB",
            "logfile_backups=1",
            f"pidfile={value(self.ctx.state / 'run' / 'supervisord.daemon.pid')}",
            "nodaemon=true",
            "silent=true",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        ]
        for service in self.services:
            lines += [
                f"[program:{service.name}]",
                f"command={value(shlex.join(self.launcher(service)))}",
                f"directory={value(self.ctx.root)}",
                "autostart=false",  # `up` starts them in order, each once the previous is ready
                "autorestart=true",
                f"startsecs={service.min_uptime}",
                f"startretries={START_RETRIES}",
                f"stopsignal={signal.Signals(service.stop_signal).name.removeprefix('SIG')}",
                "stopwaitsecs=30",
                # The whole process group (Airflow's workers, PostgreSQL's backends).
                "stopasgroup=true",
                "killasgroup=true",
                # The launcher writes the service's log file itself (nothing through the daemon).
                "redirect_stderr=true",
                "stdout_logfile=NONE",
            ]
        return "\n".join(lines) + "\n"

    def ensure_running(self, *, log=print) -> None:
        """Start the daemon unless it runs. One started with other settings is replaced when it
        supervises nothing; otherwise it is kept (what it runs keeps running) and said so."""
        config = self.render()
        if self.reachable():
            try:
                current = self.config_file.read_text()
            except OSError:
                current = ""
            if current == config:
                return
            if any(row["statename"] in ACTIVE for row in self.info().values()):
                log(f"{SUPERVISOR:<22} runs with other settings; `make down` first to apply them")
                return
            process.stop(self.pid_file, timeout=90)  # on SIGTERM it stops what it runs, then exits
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self.config_file.touch(mode=0o600)
        self.config_file.write_text(config)
        process.start(
            self.command(),
            pid_file=self.pid_file,
            log_file=self.log_file,
            env=self.environment(),
            cwd=self.ctx.root,
        )
        deadline = time.monotonic() + 30
        while not self.reachable():
            if not process.running(self.pid_file) or time.monotonic() > deadline:
                raise RuntimeError(f"{SUPERVISOR} did not start; see {self.log_file}")
            time.sleep(0.2)

    # -- its API ---------------------------------------------------------------------------------
    def call(self, method: str, *args: Any, timeout: float = 10.0) -> Any:
        transport = _UnixTransport(str(self.socket_path), timeout)
        with xmlrpc.client.ServerProxy("http://localhost", transport=transport) as proxy:
            return getattr(proxy.supervisor, method)(*args)

    def reachable(self) -> bool:
        try:
            return self.call("getState", timeout=2)["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def info(self, timeout: float = 5.0) -> dict[str, dict]:
        """getProcessInfo of every program; empty when the daemon does not answer."""
        try:
            return {row["name"]: row for row in self.call("getAllProcessInfo", timeout=timeout)}
        except (OSError, xmlrpc.client.Error):
            return {}

    def states(self, timeout: float = 5.0) -> dict[str, ProgramState]:
        out = {}
        past = history(self.log_file)
        for name, row in self.info(timeout).items():
            restarts, last_exit = past.get(name, (0, ""))
            state = row["statename"]
            since = row["start"] if state in ACTIVE else row["stop"]
            out[name] = ProgramState(name, state, row["pid"] or None, restarts, last_exit, since or None)
        return out

    def start(self, name: str) -> None:
        try:
            self.call("startProcess", name, False)
        except xmlrpc.client.Fault as fault:
            if fault.faultCode != _ALREADY_STARTED:
                raise RuntimeError(f"{SUPERVISOR} cannot start {name}: {fault.faultString}") from None

    def stop(self, name: str) -> None:
        """Stop one program and wait (its stop signal, SIGKILL to its group after 30 s)."""
        try:
            self.call("stopProcess", name, True, timeout=120)
        except xmlrpc.client.Fault as fault:
            if fault.faultCode != _NOT_RUNNING:
                raise RuntimeError(f"{SUPERVISOR} cannot stop {name}: {fault.faultString}") from None


def program_state(settings: Settings, name: str, timeout: float = 2.0) -> ProgramState | None:
    """One service's state from the supervisor of the stack in `settings.state_dir`; None when
    no supervisor answers (services run elsewhere, or the stack is down)."""
    return Supervisor(StackContext(settings), []).states(timeout).get(name)


def history(log_file: Path) -> dict[str, tuple[int, str]]:
    """Per program, since `up` last started it: automatic restarts, and how the last run ended.
    Read from supervisord's log, which has both: its API keeps no count and reports a signal as
    exit status -1. A start that follows an exit is a restart; one after a stop or FATAL is not."""
    try:
        text = log_file.read_text(errors="replace")
    except OSError:
        return {}
    restarts: dict[str, int] = {}
    last_exit: dict[str, str] = {}
    exited: set[str] = set()
    for line in text.splitlines():
        if "supervisord started with pid" in line:
            restarts.clear()
            last_exit.clear()
            exited.clear()
            continue
        match = _EVENT.search(line)
        if not match:
            continue
        event, name, detail = match.groups()
        if event == "spawned":
            if name in exited:
                restarts[name] = restarts.get(name, 0) + 1
                exited.discard(name)
            else:
                restarts[name] = 0
                last_exit.pop(name, None)
        elif event == "gave up":
            exited.discard(name)
        else:
            last_exit[name] = _how(detail)
            (exited.add if event == "exited" else exited.discard)(name)
    return {name: (count, last_exit.get(name, "")) for name, count in restarts.items()}


def _how(detail: str) -> str:
    """'terminated by SIGKILL; not expected)' -> 'SIGKILL'; 'exit status 1; ...' -> 'exit 1'."""
    detail = detail.split(";")[0].rstrip(")")
    if detail.startswith("terminated by "):
        return detail.removeprefix("terminated by ").replace(" (core dumped", " (core)")
    return detail.replace("exit status", "exit")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


class _UnixTransport(xmlrpc.client.Transport):
    """XML-RPC over the daemon's unix socket, with a timeout (supervisor's own transport has none)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__()
        self.socket_path, self.timeout = path, timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        if not self._connection[1]:
            self._connection = host, _UnixConnection(self.socket_path, self.timeout)
        return self._connection[1]
