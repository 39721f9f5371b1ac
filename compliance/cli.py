"""The `sdp` command: the compliance core on one file, without Airflow.

    sdp generate --domain healthcare --rows 10000 --out patients.csv --seed 7 --labels truth.jsonl
    sdp scan patients.csv --violations violations.jsonl --output clean.parquet --anonymize tokenize

Exit codes: 0 success, 2 user error (bad arguments, unreadable input, missing token key),
1 unexpected internal error. Messages are one line and never contain raw values.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.abc
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from compliance.vocabulary import Domain

EXIT_USER_ERROR = 2
log = logging.getLogger("sdp")


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from exc
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {number}")
    return number


def _rate(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from exc
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"must be within [0, 1]: {number}")
    return number


def _arrow_without_pandas() -> None:
    """Spare the command pyarrow's import of pandas (~0.4 s of a scan's start-up).

    pyarrow imports pandas the first time it builds an array, only to ask whether the input is a
    pandas object; the core never hands it one. That first probe is made while pandas cannot be
    imported, so pyarrow goes on without it; converting to or from pandas still imports it (those
    calls check again).
    """
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    blocker = _NoPandas()
    sys.meta_path.insert(0, blocker)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(blocker)


class _NoPandas(importlib.abc.MetaPathFinder):
    """An import finder under which `import pandas` fails."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas":
            raise ModuleNotFoundError("pandas is not imported by `sdp`", name=name)


def build_parser() -> argparse.ArgumentParser:
    from compliance.pipeline import ANONYMIZE_METHODS, DOMAINS

    parser = argparse.ArgumentParser(
        prog="sdp", description="Secure Data Pipeline: the compliance core on one file"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write a synthetic labelled data set")
    gen.add_argument("--domain", required=True, choices=[d.value for d in Domain])
    gen.add_argument("--rows", required=True, type=_positive)
    gen.add_argument("--out", required=True, type=Path, help="output file: .csv, .jsonl or .parquet")
    gen.add_argument("--seed", type=int, default=None, help="same seed (and --as-of) -> identical files")
    gen.add_argument("--labels", type=Path, default=None, help="ground-truth violations (JSON Lines)")
    gen.add_argument("--violation-rate", type=_rate, default=0.3, help="share of rows holding identifiers")
    gen.add_argument(
        "--decoy-rate", type=_rate, default=0.05, help="share of candidate cells that are decoys"
    )
    gen.add_argument(
        "--as-of", type=_date, default=None, help="reference date for record dates (default today)"
    )

    scan = commands.add_parser("scan", help="detect violations and anonymize one file")
    scan.add_argument("input", type=Path, help="CSV (header row), JSON Lines or Parquet")
    scan.add_argument("--violations", required=True, type=Path, help="violations out (JSON Lines)")
    scan.add_argument("--output", type=Path, default=None, help="anonymized copy: .csv, .jsonl or .parquet")
    scan.add_argument("--anonymize", choices=ANONYMIZE_METHODS, default="tokenize", help="with --output")
    scan.add_argument("--domain", choices=DOMAINS, default="auto")
    scan.add_argument(
        "--policy", type=Path, default=None, help="a policy YAML replacing the domain's packaged one"
    )
    scan.add_argument(
        "--quarantine", type=Path, default=None, help="quarantined rows and reasons (JSON Lines)"
    )
    scan.add_argument("--as-of", type=_date, default=None, help="'today' for retention rules (default today)")
    scan.add_argument("--k", type=_positive, default=None, help="k for k-anonymity (default: the policy's)")
    scan.add_argument("--batch-rows", type=_positive, default=65_536)
    scan.add_argument(
        "--threads",
        type=_positive,
        default=None,
        help="worker threads for the batches (default: SDP_CORE_THREADS, else one per CPU)",
    )
    scan.add_argument("--summary", type=Path, default=None, help="write the run summary as JSON")
    return parser


def cmd_generate(args: argparse.Namespace) -> int:
    from compliance.generator import write_dataset

    _check_writable(args.out)
    if args.labels:
        _check_writable(args.labels)
    rows = write_dataset(
        args.domain,
        args.rows,
        args.out,
        labels_out=args.labels,
        seed=args.seed,
        violation_rate=args.violation_rate,
        decoy_rate=args.decoy_rate,
        as_of=args.as_of,
    )
    print(
        f"sdp generate: {rows} {args.domain} rows -> {args.out}"
        + (f", labels -> {args.labels}" if args.labels else "")
    )
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from compliance.anonymize.tokenize import Tokenizer, TokenKey, TokenKeyError
    from compliance.io import InputError
    from compliance.scan import scan_file

    for path in (args.violations, args.output, args.quarantine, args.summary):
        if path:
            _check_writable(path)
    if args.output and args.output.resolve() == args.input.resolve():
        raise UserError("--output must not overwrite the input file")
    tokenizer = None
    if args.output and args.anonymize != "none":
        try:
            tokenizer = Tokenizer(TokenKey.from_env())
        except TokenKeyError as exc:
            raise UserError(str(exc)) from exc
    try:
        summary = scan_file(
            args.input,
            violations_out=args.violations,
            output=args.output,
            anonymize=args.anonymize,
            domain=args.domain,
            tokenizer=tokenizer,
            policy_path=args.policy,
            as_of=args.as_of,
            batch_rows=args.batch_rows,
            k=args.k,
            threads=args.threads,
        )
    except InputError as exc:
        raise UserError(str(exc)) from exc
    except ValueError as exc:  # policy files, k-anonymity infeasible, ...
        raise UserError(str(exc).splitlines()[0]) from exc
    if args.quarantine:
        with open(args.quarantine, "w", encoding="utf-8") as handle:
            for row in summary.quarantined:
                handle.write(json.dumps({"row": row.row, "reason": row.reason}) + "\n")
    if args.summary:
        args.summary.write_text(json.dumps(summary.to_dict(), indent=2))
    _print_summary(summary)
    return 0


def _print_summary(summary) -> None:
    out = sys.stderr
    print(
        f"sdp scan: {summary.path}: {summary.records_in} rows ({summary.format}, domain {summary.domain}), "
        f"{summary.violations} violations, {len(summary.quarantined)} quarantined"
        + (f", {summary.records_suppressed} suppressed by k-anonymity" if summary.records_suppressed else "")
        + f", {summary.records_per_second:,.0f} rows/s",
        file=out,
    )
    for regulation, count in summary.by_regulation.items():
        print(f"  {regulation:<9} {count}", file=out)
    if summary.by_type:
        print("  by type: " + ", ".join(f"{t}={n}" for t, n in summary.by_type.items()), file=out)
    reasons: dict[str, int] = {}
    for row in summary.quarantined:
        reasons[row.reason] = reasons.get(row.reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        print(f"  quarantined: {count} x {reason}", file=out)


def _check_writable(path: Path) -> None:
    parent = path.resolve().parent
    if not parent.is_dir():
        raise UserError(f"{path}: folder {parent} does not exist")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected a file path")


Handler = Callable[[argparse.Namespace], int]
# Adds subcommands to the parser's subparsers and returns their handlers by name.
CommandSet = Callable[[argparse._SubParsersAction], dict[str, Handler]]


def main(argv: list[str] | None = None, extra_commands: tuple[CommandSet, ...] = ()) -> int:
    """Run `sdp`. The platform (include/cli.py) passes `extra_commands` for the subcommands that
    need its database; the core itself knows only files."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _arrow_without_pandas()
    parser = build_parser()
    handlers: dict[str, Handler] = {"generate": cmd_generate, "scan": cmd_scan}
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for add in extra_commands:
        handlers.update(add(commands))
    args = parser.parse_args(argv)
    try:
        return handlers[args.command](args)
    except UserError as exc:
        print(f"sdp {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"sdp {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # The exception text may quote input values: only its type is printed unless asked.
        if os.environ.get("SDP_DEBUG"):
            raise
        print(
            f"sdp {args.command}: internal error ({type(exc).__name__}); rerun with SDP_DEBUG=1 for the traceback",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
