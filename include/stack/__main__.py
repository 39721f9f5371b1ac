"""python -m include.stack {up,down,status,logs} [service ...]"""

from __future__ import annotations

import argparse
import sys
import time

from include.settings import settings
from include.stack.manager import Stack, StackError
from include.stack.supervision import SUPERVISOR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m include.stack", description="Local stack manager")
    parser.add_argument("action", choices=["up", "down", "status", "logs", "airflow"])
    parser.add_argument("services", nargs="*", help="limit to these services (default: all)")
    parser.add_argument("--lines", type=int, default=40, help="logs: lines per service")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["airflow"]:
        # `python -m include.stack airflow <args>`: the Airflow CLI with the stack's environment.
        return run_airflow_cli(argv[1:])
    args = parser.parse_args(argv)
    s = settings()
    try:
        stack = Stack(s, args.services or None)
        if args.action == "up":
            started = time.monotonic()
            stack.up()
            user, password = stack.login()
            print(f"stack ready in {time.monotonic() - started:.1f} s")
            if any(svc.name.startswith("airflow") for svc in stack.services):
                print(f"Airflow UI:  {s.airflow_url}   login: {user} / {password}")
                print(f"Compliance portal: {s.airflow_url}/plugin/compliance")
            print(f"Results DB:  {s.describe()['database_url']}")
            print(f"Kafka:       {s.kafka_bootstrap_servers}")
            print(f"Landing zone: {s.landing_dir}")
        elif args.action == "down":
            stopped = stack.down()
            print(f"stopped {len(stopped)} service(s); state kept in {s.state_dir}")
        elif args.action == "status":
            print_status(stack)
        elif args.action == "logs":
            for name in [*(service.name for service in stack.services), SUPERVISOR]:
                path = stack.ctx.log_file(name)
                if path.exists():
                    print(f"==> {path} <==")
                    print("\n".join(path.read_text(errors="replace").splitlines()[-args.lines :]))
    except (StackError, ValueError, RuntimeError) as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    return 0


def print_status(stack: Stack) -> None:
    """One line per service: the supervisor's view (state, restarts, last exit, since when),
    then pid, port, readiness and memory."""
    total_rss = total_pss = 0
    print(
        f"{'service':<22} {'state':<12} {'pid':>8} {'restarts':>8} {'last exit':<10} {'since':>9} "
        f"{'port':>6} {'ready':>5} {'RSS MiB':>8} {'PSS MiB':>8}"
    )
    for row in stack.status():
        if not row.enabled:
            print(f"{row.name:<22} {'external (configured by env)'}")
            continue
        total_rss += row.rss_bytes
        total_pss += row.pss_bytes
        print(
            f"{row.name:<22} {row.state:<12} {row.pid or '-':>8} {row.restarts:>8} {row.last_exit or '-':<10} "
            f"{_age(row.since):>9} {row.port or '-':>6} {'yes' if row.ready else 'no':>5} "
            f"{row.rss_bytes / 2**20:>8.0f} {row.pss_bytes / 2**20:>8.0f}"
        )
    print(f"{'total':<22} {'':<12} {'':>8} {'':>8} {'':<10} {'':>9} {'':>6} {'':>5} "
          f"{total_rss / 2**20:>8.0f} {total_pss / 2**20:>8.0f}")  # fmt: skip
    pid = stack.supervisor_pid()
    where = f"pid {pid}, log {stack.supervisor.log_file}" if pid else "not running"
    print(f"supervisor: {where}")


def _age(since: float | None) -> str:
    """'42s', '3m05s', '2h10m', '3d04h': how long the state has held."""
    if not since:
        return "-"
    seconds = max(int(time.time() - since), 0)
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1)):
        if seconds >= size:
            return f"{seconds // size}{unit}{seconds % size // sub_size:02d}{sub}"
    return f"{seconds}s"


def run_airflow_cli(arguments: list[str]) -> int:
    import os

    from include.stack.context import StackContext

    ctx = StackContext(settings())
    env = ctx.airflow_env()
    binary = str(ctx.venv_bin / "airflow")
    os.execve(binary, [binary, *arguments], env)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
