"""An engine job stops once the caller of its engine's launcher is killed (compliance/launcher_watch.py).

Real processes stand in for the chain Airflow task -> spark-submit JVM -> Python job: a caller starts
an engine process, which starts the job and waits for it, as the JVM's PythonRunner does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compliance.launcher_watch import EXIT_WITH_LAUNCHER_ENV

JOB = """
import time
from compliance.launcher_watch import exit_with_launcher
exit_with_launcher(poll_seconds=0.05)
time.sleep(60)
"""
ENGINE = """
import subprocess, sys
job = subprocess.Popen([sys.executable, "-c", sys.argv[1]])
open(sys.argv[2], "w").write(str(job.pid))
sys.exit(job.wait())
"""
CALLER = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2], sys.argv[3]])
time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_chain(tmp_path: Path, watch: bool) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, EXIT_WITH_LAUNCHER_ENV: "1" if watch else "0"}
    job_pid_file = tmp_path / "job.pid"
    caller = subprocess.Popen([sys.executable, "-c", CALLER, ENGINE, JOB, str(job_pid_file)], env=env)
    deadline = time.monotonic() + 30
    while not (job_pid_file.exists() and job_pid_file.read_text()):
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    time.sleep(1.0)  # the job imported the module and started its watch
    return caller, int(job_pid_file.read_text())


@pytest.mark.parametrize("watch", [True, False])
def test_the_job_follows_a_killed_caller_only_when_asked(tmp_path: Path, watch: bool) -> None:
    caller, job = start_chain(tmp_path, watch)
    try:
        assert alive(job)
        caller.kill()
        caller.wait()
        deadline = time.monotonic() + 10
        while alive(job) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive(job) is not watch
    finally:
        if alive(job):
            os.kill(job, signal.SIGKILL)
