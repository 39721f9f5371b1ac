"""`sdp` subcommands for the re-identification vault (registered by include/cli.py).

    sdp vault reveal TOKEN --reason "subject access request #123"   # the value on stdout only
    sdp vault rotate --new-key-env SDP_VAULT_NEW_KEY                 # re-wrap every data key
    sdp vault status                                                 # counts per master key and type

The master key is SDP_VAULT_KEY; the actor is SDP_ACTOR or the operating-system user; the database
is the pipeline's (include.settings). Messages never contain a value or key material.
"""

from __future__ import annotations

import argparse
import os

from compliance.cli import Handler, UserError
from compliance.vault import VAULT_KEY_ENV, MasterKey, VaultKeyError

DEFAULT_NEW_KEY_ENV = "SDP_VAULT_NEW_KEY"


def register(commands: argparse._SubParsersAction) -> dict[str, Handler]:
    vault = commands.add_parser(
        "vault", help="re-identification vault: reveal a token, rotate the master key"
    )
    actions = vault.add_subparsers(dest="vault_command", required=True)

    reveal = actions.add_parser(
        "reveal", help="print the original value of a token (audited; needs SDP_VAULT_KEY and a reason)"
    )
    reveal.add_argument("token", help="a token as it appears in the loaded records")
    reveal.add_argument("--reason", required=True, help="why the value is needed (stored in the audit log)")

    rotate = actions.add_parser(
        "rotate", help=f"re-wrap every data key from {VAULT_KEY_ENV} to a new master key (audited)"
    )
    rotate.add_argument(
        "--new-key-env",
        default=DEFAULT_NEW_KEY_ENV,
        metavar="NAME",
        help=f"the environment variable holding the new master key (default {DEFAULT_NEW_KEY_ENV})",
    )

    actions.add_parser("status", help="data keys and entries per master key and identifier type")
    return {"vault": cmd_vault}


def cmd_vault(args: argparse.Namespace) -> int:
    from include.settings import settings
    from include.subjects import vault

    url = settings().database_url
    try:
        if args.vault_command == "reveal":
            value = vault.reveal(url, args.token, args.reason, vault.default_actor())
            print(value)
            return 0
        if args.vault_command == "rotate":
            if args.new_key_env == VAULT_KEY_ENV:
                raise UserError(f"--new-key-env must name another variable than {VAULT_KEY_ENV}")
            old = MasterKey.from_env()
            new = MasterKey.from_env(name=args.new_key_env)
            result = vault.rotate(url, old, new, vault.default_actor())
            print(
                f"sdp vault rotate: {result.rewrapped} data keys re-wrapped from master key "
                f"{result.old_master_key_id} to {result.new_master_key_id}"
                + (f" ({result.already_new} were already)" if result.already_new else "")
                + f". Now set {VAULT_KEY_ENV} to the value of {args.new_key_env} everywhere the "
                "pipeline runs (for the local stack: .local/secrets/vault.key) and restart it: "
                "the old key no longer opens the vault."
            )
            return 0
        for row in vault.status(url):
            print(
                f"master_key_id={row['master_key_id']} id_type={row['id_type'] or '-'} "
                f"data_keys={row['data_keys']} entries={row['entries']}"
            )
        current = os.environ.get(VAULT_KEY_ENV, "").strip()
        if current:
            print(f"{VAULT_KEY_ENV} is master key {MasterKey.from_env().key_id}")
        return 0
    except (VaultKeyError, vault.RevealRefused) as exc:
        raise UserError(str(exc)) from None
