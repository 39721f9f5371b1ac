"""`sdp` subcommands for data-subject requests (registered by include/cli.py)."""

from __future__ import annotations

import argparse

from compliance.cli import Handler


def register(commands: argparse._SubParsersAction) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    return handlers
