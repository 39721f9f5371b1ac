"""An engine job that stops when whoever launched its engine dies (kill -9 of an Airflow worker).

Stdlib only: the DAG files import the setting's name at parse time.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

# Set (to 1) by a launcher that cannot tie the job's life to its own (Airflow's spark-submit task).
EXIT_WITH_LAUNCHER_ENV = "SDP_EXIT_WITH_LAUNCHER"
EXIT_LAUNCHER_GONE = 3


def exit_with_launcher(poll_seconds: float = 1.0) -> bool:
    """With SDP_EXIT_WITH_LAUNCHER=1, stop this job soon after whoever launched its engine dies.

    The job's parent is the engine's launcher process (spark-submit's JVM) and that process's parent
    is the launcher's caller (the Airflow task process). A kill -9 of the caller re-parents the JVM,
    which would then finish the job while the task's retry runs it again into the same staging
    folder. A daemon thread polls the JVM's parent and exits the job (the JVM follows) once it
    changed. True when the watch started."""
    if os.environ.get(EXIT_WITH_LAUNCHER_ENV) != "1":
        return False
    engine = os.getppid()
    caller = _parent_pid(engine)
    if caller is None or caller <= 1:  # the caller died while this job was starting
        _stop(caller)

    def watch() -> None:
        while _parent_pid(engine) == caller:
            time.sleep(poll_seconds)
        _stop(caller)

    threading.Thread(target=watch, name="sdp-exit-with-launcher", daemon=True).start()
    return True


def _stop(caller: int | None) -> None:
    print(f"engine job: its launcher's caller (pid {caller}) is gone; stopping", file=sys.stderr, flush=True)
    os._exit(EXIT_LAUNCHER_GONE)


def _parent_pid(pid: int) -> int | None:
    """The parent of `pid` from /proc (None when the process is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # after "pid (comm) state"
