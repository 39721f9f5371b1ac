"""`python -m include.stack.launch SERVICE STATE_DIR`: what the supervisor runs to start a service.

It reads the settings from the environment the supervisor was given, stops what an earlier run of
the same service left behind (a killed Airflow component's log server still holds its port),
records the pid, points stdout and stderr at the service's log file (which also tells `make down`
the service's processes from /proc alone, see process.find) and execs the service in its own
place, so the pid the supervisor watches and signals is the service's.
"""

from __future__ import annotations

import os
import sys
import time

from include.settings import load_settings
from include.stack import process
from include.stack.context import StackContext
from include.stack.services import by_name


def main(argv: list[str] | None = None) -> int:
    name, state = sys.argv[1:] if argv is None else argv
    ctx = StackContext(load_settings())
    log_file = ctx.log_file(name)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for fd in (1, 2):
        os.dup2(log, fd)
    os.close(log)
    print(f"\n--- started {time.strftime('%Y-%m-%d %H:%M:%S')} ---", flush=True)
    if str(ctx.state) != state:  # the argument only names the stack in `ps`; the settings rule
        print(f"launch: the settings' state folder is {ctx.state}, not {state}", flush=True)
        return 2
    (service,) = by_name([name])
    command = service.command(ctx)
    # What still writes to the service's log, and the rest of the previous leader's process group.
    left = process.find(ctx.state, commands=(), owners={name}).get(name, [])
    previous = process.read_pid(ctx.pid_file(name))
    if previous:
        left += [p for p in process.orphaned_group(previous.pid, os.getsid(0)) if p not in left]
    if left:
        print(f"--- stopping {len(left)} process(es) left by the previous run ---", flush=True)
        process.terminate(left, sig=service.stop_signal, timeout=5)
    process.write_pid(ctx.pid_file(name), os.getpid(), command)
    process.drop_privileges(service.user(ctx))
    os.execve(command[0], command, service.env(ctx))
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
