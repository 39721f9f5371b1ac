"""Managed processes: pid files, detached starts, stops by recorded pid, and finding a stack's
processes from /proc when its pid files are gone (by command line and log file, never by name)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import psutil

# The owner, in `find`, of a stack's process whose service leaders are all gone.
ORPHANED = "(orphaned)"


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
    write_pid(pid_file, proc.pid, command)
    return proc.pid


def write_pid(pid_file: Path, pid: int, command: list[str]) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    create_time = psutil.Process(pid).create_time()
    pid_file.write_text(json.dumps({"pid": pid, "create_time": create_time, "command": command}))


def drop_privileges(user: str | None) -> None:
    """Become `user` with its own group only (what `as_user` does for Popen, for a process that
    execs the service itself)."""
    if not user:
        return
    import pwd

    entry = pwd.getpwnam(user)
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)


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
    _wait_or_kill(members, timeout)
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


def find(
    state: Path, *, commands: Iterable[tuple[str, list[str]]], owners: Collection[str] | None = None
) -> dict[str, list[psutil.Process]]:
    """The live processes of the stack in `state`, by owner, from /proc alone (no pid file).

    A process is the stack's when its command line is exactly one of `commands` (owner: the name
    paired with it; each names the state folder: the supervisor's config, a launcher's argument,
    PostgreSQL's data folder) or its standard output is one of the stack's log files,
    `state`/logs/<owner>.log: every service writes there and its children inherit it, while
    Airflow retitles its processes (setproctitle overwrites the environment too). Descendants
    and the members of the process group or session such a process leads come along, and so does
    the session of a logging process whose session leader (the supervisor) is dead. Each process
    goes to the owner of its nearest such ancestor, else of its group or session leader, else to
    ORPHANED. This process and its ancestors are never returned. `owners` keeps only those."""
    spare = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    logs = state / "logs"
    by_command = {tuple(command): owner for owner, command in commands}
    procs: dict[int, psutil.Process] = {}
    table: dict[int, tuple[int, int, int]] = {}  # pid -> (ppid, pgid, sid)
    anchors: dict[int, tuple[str, bool]] = {}  # pid -> (owner, found by its log)
    for proc in psutil.process_iter(["ppid", "cmdline"]):
        try:
            table[proc.pid] = (proc.info["ppid"], os.getpgid(proc.pid), os.getsid(proc.pid))
        except OSError:
            continue
        procs[proc.pid] = proc
        owner = by_command.get(tuple(proc.info["cmdline"] or ()))
        if owner:
            anchors[proc.pid] = (owner, False)
        elif owner := _log_owner(proc.pid, logs):
            anchors[proc.pid] = (owner, True)
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    reached: set[int] = set()
    for pid, (_, logging) in anchors.items():
        sid = table[pid][2]
        members = [pid, *(p for p, (_, pgid, s) in table.items() if pid in (pgid, s))]
        if logging and sid not in table:
            members += [p for p, (_, _, s) in table.items() if s == sid]
        while members:
            member = members.pop()
            if member not in reached:
                reached.add(member)
                members.extend(children.get(member, ()))
    out: dict[str, list[psutil.Process]] = {}
    for pid in sorted(reached - spare):
        owner = _nearest_owner(pid, table, anchors)
        if owners is None or owner in owners:
            out.setdefault(owner, []).append(procs[pid])
    return out


def _log_owner(pid: int, logs: Path) -> str | None:
    """<name> when the process's stdout or stderr is `logs`/<name>.log."""
    for fd in (1, 2):
        try:
            target = Path(os.readlink(f"/proc/{pid}/fd/{fd}").removesuffix(" (deleted)"))
        except OSError:
            continue
        if target.parent == logs and target.suffix == ".log":
            return target.stem
    return None


def orphaned_group(leader: int, session: int) -> list[psutil.Process]:
    """What is left in `session` of the process group of `leader` once `leader` is gone (a killed
    service's workers). Linux hands out no pid while a group of that id lives, so with no process
    of that pid the group's members are the dead leader's; the session keeps an old pid file from
    naming some later group of that id."""
    if psutil.pid_exists(leader):
        return []
    members = []
    for proc in psutil.process_iter():
        with contextlib.suppress(OSError):
            if os.getpgid(proc.pid) == leader and os.getsid(proc.pid) == session:
                members.append(proc)
    return members


def _nearest_owner(pid: int, table: Mapping[int, tuple[int, int, int]], anchors: Mapping[int, tuple]) -> str:
    """The owner of the closest anchor among the ancestors, else of the group or session leader
    (a PostgreSQL backend belongs to postgres, not to the supervisor whose session it shares),
    else ORPHANED."""
    seen = set()
    current = pid
    while current in table and current not in seen:
        if current in anchors:
            return anchors[current][0]
        seen.add(current)
        current = table[current][0]
    for leader in table[pid][1:]:
        if leader in anchors:
            return anchors[leader][0]
    return ORPHANED


def terminate(procs: list[psutil.Process], *, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    """Signal each process, wait, then SIGKILL what is left (psutil checks each pid is still the
    same process before signalling it)."""
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)
    _wait_or_kill(procs, timeout)


def _wait_or_kill(procs: list[psutil.Process], timeout: float) -> None:
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for leftover in alive:
        with contextlib.suppress(psutil.Error):
            leftover.kill()
    psutil.wait_procs(alive, timeout=5)


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


def free_port_pair() -> int:
    """Two consecutive free ports (Airflow's scheduler and triggerer log servers take port and port + 1)."""
    for _ in range(50):
        port = free_port()
        if port < 65535 and not port_in_use(port + 1):
            return port
    raise RuntimeError("no two consecutive free ports")


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
