"""`sdp` subcommands for data-subject requests (registered by include/cli.py).

    sdp erase --subject-token SSN_k1_... --reason "ticket DSR-42"
    sdp release --dataset healthcare --group-by zip,diagnosis --epsilon 0.5
    sdp release --dataset financial --group-by merchant --mean amount --bounds 0 10000 --epsilon 1

Both work on the results database as the pipeline writer (SDP_DATABASE_URL or the local stack)
and print counts or the released table only, never a token or a value of a record.
"""

from __future__ import annotations

import argparse
import getpass
import math

import psycopg

from compliance.cli import Handler, UserError


def register(commands: argparse._SubParsersAction) -> dict[str, Handler]:
    erase = commands.add_parser("erase", help="erase a data subject from the results database")
    erase.add_argument("--subject-token", required=True, help="one of the subject's tokens")
    erase.add_argument("--reason", required=True, help="why (a ticket reference; stored in the audit log)")

    release = commands.add_parser("release", help="release DP counts or means per quasi-identifier group")
    release.add_argument("--dataset", required=True, help="the domain whose loaded records are released")
    release.add_argument("--file-id", type=int, action="append", default=None, help="only these files")
    release.add_argument(
        "--group-by", required=True, help="comma list of columns, e.g. the quasi-identifiers age,zip"
    )
    release.add_argument("--mean", default=None, metavar="COLUMN", help="release the mean of this column")
    release.add_argument("--bounds", type=float, nargs=2, metavar=("LOWER", "UPPER"), default=None)
    release.add_argument("--epsilon", type=float, required=True, help="privacy budget this release spends")
    return {"erase": cmd_erase, "release": cmd_release}


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def cmd_erase(args: argparse.Namespace) -> int:
    from include.settings import settings
    from include.subjects.erasure import ErasureError, erase_subject, token_key_secret

    config = settings()
    try:
        key = token_key_secret(config.local_secret("token.key"))
        with psycopg.connect(config.database_url) as conn:
            result = erase_subject(conn, args.subject_token, key=key, actor=_actor(), reason=args.reason)
    except ErasureError as exc:
        raise UserError(str(exc)) from None
    except psycopg.OperationalError:
        raise UserError("cannot connect to the results database (is the stack up?)") from None
    print(
        f"erased: {result.records} records, {result.violations} violations, "
        f"{result.vault_entries} vault entries in {len(result.files)} files "
        f"(audit row {result.audit_id}, subject hash {result.subject_hash[:16]}...)"
    )
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from include.settings import settings
    from include.subjects.releases import ReleaseError, ReleaseRequest, release

    if args.mean and not args.bounds:
        raise UserError("--mean needs --bounds LOWER UPPER (public bounds of the column)")
    if not math.isfinite(args.epsilon) or args.epsilon <= 0:
        raise UserError("--epsilon must be a positive number")
    group_by = tuple(c.strip() for c in args.group_by.split(",") if c.strip())
    request = ReleaseRequest(
        dataset=args.dataset,
        epsilon=args.epsilon,
        group_by=group_by,
        mean_column=args.mean,
        bounds=tuple(args.bounds) if args.bounds else None,
        file_ids=tuple(args.file_id) if args.file_id else None,
    )
    try:
        with psycopg.connect(settings().database_url) as conn:
            result = release(conn, request, actor=_actor())
    except ReleaseError as exc:
        raise UserError(str(exc)) from None
    except psycopg.OperationalError:
        raise UserError("cannot connect to the results database (is the stack up?)") from None
    print(result.as_text())
    return 0
