"""Managed processes: one pid file and one log file each; stop by recorded pid, never by name."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class PidRecord:
    pid: int
    # psutil create_time guards against a recycled pid: a different process with the same pid
    # is not ours and is never signalled.
    create_time: float
    command: list[str]

    def process(self) -> psutil.Process | None:
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > 1.0 or proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except psutil.Error:
            return None


def read_pid(pid_file: Path) -> PidRecord | None:
    try:
        data = json.loads(pid_file.read_text())
        return PidRecord(int(data["pid"]), float(data["create_time"]), list(data["command"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running(pid_file: Path) -> psutil.Process | None:
    record = read_pid(pid_file)
    return record.process() if record else None


def as_user(user: str | None) -> dict:
    """subprocess kwargs to run as `user` with that user's own group only: keeping root's group
    would deny access through group-only permission bits (e.g. a 0701 pytest tmp dir)."""
    if not user:
        return {}
    import pwd

    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def start(
    command: list[str],
    *,
    pid_file: Path,
    log_file: Path,
    env: dict[str, str],
    cwd: Path,
    user: str | None = None,
) -> int:
    """Start a detached process (own session, so its whole process group can be stopped)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        log.write(f"\n--- started {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
        log.flush()
        proc = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
            **as_user(user),
        )
    create_time = psutil.Process(proc.pid).create_time()
    pid_file.write_text(json.dumps({"pid": proc.pid, "create_time": create_time, "command": command}))
    return proc.pid


def stop(pid_file: Path, *, sig: int = signal.SIGTERM, timeout: float = 30.0) -> bool:
    """Stop the recorded process and its process group; returns True if something was stopped."""
    record = read_pid(pid_file)
    proc = record.process() if record else None
    if proc is None:
        pid_file.unlink(missing_ok=True)
        return False
    members = _group_members(proc)
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        proc.send_signal(sig)
    _, alive = psutil.wait_procs(members, timeout=timeout)
    for leftover in alive:
        with contextlib.suppress(psutil.Error):
            leftover.kill()
    psutil.wait_procs(alive, timeout=5)
    pid_file.unlink(missing_ok=True)
    return True


def _group_members(proc: psutil.Process) -> list[psutil.Process]:
    """The leader, its descendants, and anything else in its process group (daemonised workers)."""
    members = {proc.pid: proc}
    try:
        for child in proc.children(recursive=True):
            members[child.pid] = child
        pgid = os.getpgid(proc.pid)
        for other in psutil.process_iter():
            try:
                if os.getpgid(other.pid) == pgid:
                    members[other.pid] = other
            except (ProcessLookupError, PermissionError):
                continue
    except psutil.Error:
        pass
    return list(members.values())


def tree(proc: psutil.Process) -> list[psutil.Process]:
    return _group_members(proc)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, timeout: float, interval: float = 0.5, what: str) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # readiness probes fail in many ways while a service starts
            last_error = exc
        time.sleep(interval)
    detail = f" (last error: {str(last_error).splitlines()[0]})" if last_error else ""
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s{detail}")
