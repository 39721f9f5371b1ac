"""The `sdp` command as installed: the core's file commands (generate, scan) plus the platform's
commands that work on the results database (data-subject requests and releases).

Each platform command module exposes `register(commands) -> {name: handler}`: it adds its
subparsers and returns the handlers. Handlers raise compliance.cli.UserError for problems the
user can fix (one line, exit code 2) and never print raw values.
"""

from __future__ import annotations

import sys

from compliance import cli as core_cli


def _platform_commands() -> tuple[core_cli.CommandSet, ...]:
    # Imported here so `sdp scan` in an environment without the platform's packages still works.
    from include.subjects import commands, vault_commands

    return (commands.register, vault_commands.register)


def main(argv: list[str] | None = None) -> int:
    return core_cli.main(argv, extra_commands=_platform_commands())


if __name__ == "__main__":
    sys.exit(main())
