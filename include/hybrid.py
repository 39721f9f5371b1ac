"""How the platform launches the hybrid route's job (flink_jobs/compliance_hybrid.py): its argv and
its environment, for a BashOperator or a plain subprocess.

The job runs in the Flink venv (.venv-flink: apache-flink pins an older pyarrow/numpy than the
Airflow venv), so the environment is that venv's, not the caller's: its `bin` first on PATH (Flink's
Python workers are started by name from PATH), PYTHONPATH = the repository only (the Airflow venv's
packages must not leak in), JAVA_HOME when the caller has none. The tokenization key is passed
through the environment only, never in argv.

Where the job runs follows the settings' environment: SDP_FLINK_REST_URL=http://HOST:PORT submits
to a running Flink cluster (e.g. the compose stack's JobManager); unset, the job starts an
in-process mini cluster.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from include.settings import REPO_ROOT, SHORT_LIVED_JVM_OPTIONS, Settings

FLINK_VENV = REPO_ROOT / ".venv-flink"
HYBRID_JOB = REPO_ROOT / "flink_jobs" / "compliance_hybrid.py"
# Interpreter settings of the calling venv that would send the Flink venv's Python elsewhere.
_CALLER_PYTHON_VARIABLES = ("PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "__PYVENV_LAUNCHER__")


def hybrid_command(ticket_args: list[str], s: Settings) -> tuple[list[str], dict[str, str]]:
    """(argv, env) running the hybrid job with `ticket_args` (include.ingest.engine_arguments).

    `env` is the whole environment for the child: the caller's, the settings' SDP_* / KAFKA_*
    variables (SDP_TOKEN_KEY among them when set), and the Flink venv's interpreter settings."""
    flink_bin = FLINK_VENV / "bin"
    argv = [*_die_with_parent(), str(flink_bin / "python"), str(HYBRID_JOB), *ticket_args]
    env = {k: v for k, v in os.environ.items() if k not in _CALLER_PYTHON_VARIABLES}
    env.update(s.environ)
    env["PATH"] = os.pathsep.join([str(flink_bin), os.environ.get("PATH", os.defpath)])
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["VIRTUAL_ENV"] = str(FLINK_VENV)
    # The mini cluster's own log goes beside the stack's logs, not into the venv.
    log_dir = s.state_dir / "logs" / "flink"
    log_dir.mkdir(parents=True, exist_ok=True)
    env["FLINK_LOG_DIR"] = str(log_dir)
    # PyFlink adds JVM_ARGS to its gateway JVM's default options (FLINK_ENV_JAVA_OPTS would replace them).
    env.setdefault("JVM_ARGS", SHORT_LIVED_JVM_OPTIONS)
    java_home = env.get("JAVA_HOME") or _java_home()
    if java_home:
        env["JAVA_HOME"] = java_home
    return argv, env


def _die_with_parent() -> list[str]:
    """A job whose launcher (the task's worker) is killed would otherwise run on beside the task's
    retry and race it for the same staging folder: the kernel kills it with its parent. The PyFlink
    gateway JVM exits when the client's pipe closes."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def _java_home() -> str | None:
    """The JDK of the `java` on PATH (pyflink's gateway prefers JAVA_HOME, else PATH)."""
    java = shutil.which("java")
    return str(Path(java).resolve().parent.parent) if java else None
