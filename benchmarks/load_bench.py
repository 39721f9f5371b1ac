"""PostgreSQL load of one 1M-row file: where the time goes, against a plain COPY of the same rows.

The staged output of a generated healthcare CSV (the batch route's: compliance_batch.py on Spark,
tokenize, with a vault key so reversible tokens stage vault entries) is made once and cached under
.local/bench/. A private embedded PostgreSQL (the test setup's, on a free port, in a state folder of
its own) then holds one fresh database per measurement, migrated to the current schema:

- baseline: plain COPY of the same staged rows (records as positional text columns, violations,
  vault entries) into unindexed tables without constraints, in one transaction;
- load: include.db.loader.load_staged, the pipeline's own call, with its phase split (staged COPY,
  checks, records, violations, quarantine, vault);
- the same load on databases where one safeguard was dropped first, so the difference is what it
  costs (never done in the pipeline: the tables are shared by concurrent loads and the safeguards
  keep them right): the secondary indexes (token-key GIN, vault indexes), the per-statement job
  checks of records and violations (migration 0007), and the violations' unique key. Each is
  reported on the phases it touches, with the whole load's difference in the note.

    .venv/bin/python benchmarks/load_bench.py [--rows 1000000] [--no-split] [--results FILE]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pyarrow.dataset as ds
from psycopg import sql
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    AS_OF,
    CACHE_DIR,
    ROOT,
    Result,
    add_results_argument,
    dataset,
    publish,
    spark_submit_command,
)
from benchmarks.stack import private_stack
from include.db.files import register_file, start_job
from include.db.loader import LoadResult, _csv_chunks, load_staged, record_columns_sql
from include.db.migrate import apply_migrations
from include.db.vault import vault_csv
from include.settings import Settings
from include.stack.context import StackContext
from include.stack.services import admin_conninfo
from include.staging import RECORDS, ROW_COLUMN, VAULT, VIOLATIONS, VIOLATIONS_SCHEMA, StagedManifest

STACK_DIR = CACHE_DIR / "load-stack"
DOMAIN = "healthcare"
# Not a secret: the vault's master key of the bench's staged output only.
BENCH_VAULT_KEY = "benchmark-only-vault-key-not-a-secret"
_BATCH_ROWS = 50_000


def staged_output(rows: int) -> Path:
    """The batch route's staged folder for a generated file of `rows` rows, made once and cached."""
    folder = CACHE_DIR / f"load-staged-{DOMAIN}-{rows}"
    if (folder / "manifest.json").exists():
        return folder
    path, _ = dataset(DOMAIN, rows)
    shutil.rmtree(folder, ignore_errors=True)
    argv, env = spark_submit_command(
        ROOT / "spark_jobs" / "compliance_batch.py",
        ["--input", str(path), "--staging-dir", str(folder), "--anonymize", "tokenize",
         "--as-of", AS_OF.isoformat(), "--job-key", "load-bench"],
        "local[*]",
    )  # fmt: skip
    env["SDP_VAULT_KEY"] = BENCH_VAULT_KEY
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise SystemExit(f"load_bench: compliance_batch exited with {done.returncode}:\n{tail}")
    print(f"  staged {path.name} in {time.perf_counter() - started:.0f} s -> {folder}", file=sys.stderr)
    return folder


class FreshDatabases:
    """One new database per measurement in the bench's server, migrated, owned by the writer role."""

    def __init__(self, settings: Settings) -> None:
        self.ctx = StackContext(settings)
        self.writer_url = settings.database_url
        self.count = 0

    def new(self, label: str) -> str:
        self.count += 1
        name = f"load_bench_{self.count}_{label}"
        with psycopg.connect(admin_conninfo(self.ctx), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER sdp_writer").format(sql.Identifier(name)))
        url = make_conninfo(self.writer_url, dbname=name)
        apply_migrations(url)
        return url


def plain_copy(url: str, staged: Path) -> dict[str, float]:
    """The baseline: COPY the staged rows as they are into unindexed tables, in one transaction."""
    records = ds.dataset(staged / RECORDS, format="parquet")
    names = [n for n in records.schema.names if n != ROW_COLUMN]
    columns, _ = record_columns_sql(names)
    phases = {}
    with psycopg.connect(url) as conn, conn.transaction(), conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE TABLE plain_records ({})").format(columns))
        cur.execute(
            "CREATE TABLE plain_violations (row_number bigint, field text, violation_type text, "
            "regulation text, severity text, rule text)"
        )
        cur.execute(
            "CREATE TABLE plain_vault (token text, id_type text, key_id text, nonce bytea, ciphertext bytea)"
        )
        parts = {
            "records": ("plain_records", _csv_chunks(records, [ROW_COLUMN, *names])),
            "violations": (
                "plain_violations",
                _csv_chunks(ds.dataset(staged / VIOLATIONS, format="parquet"), VIOLATIONS_SCHEMA.names),
            ),
            "vault": (
                "plain_vault",
                (
                    vault_csv(b)
                    for b in ds.dataset(staged / VAULT, format="parquet").to_batches(batch_size=_BATCH_ROWS)
                ),
            ),
        }
        for part, (table, chunks) in parts.items():
            started = time.perf_counter()
            with cur.copy(sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(sql.Identifier(table))) as copy:
                for chunk in chunks:
                    copy.write(chunk)
            phases[part] = time.perf_counter() - started
        started = time.perf_counter()
    phases["commit"] = time.perf_counter() - started
    return phases


def _drop_each(conn: psycopg.Connection, names_query: str, drop: str) -> list[str]:
    """Run `drop` (one {} for the name) for every name `names_query` returns; the names."""
    names = [name for (name,) in conn.execute(names_query).fetchall()]
    for name in names:
        conn.execute(sql.SQL(drop).format(sql.Identifier(name)))
    return names


def drop_secondary_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop every index of the results tables that backs no constraint."""
    return _drop_each(
        conn,
        """SELECT i.indexrelid::regclass::text FROM pg_index AS i
           WHERE i.indrelid IN ('data_records'::regclass, 'data_compliance_violations'::regclass,
                                'identity_vault'::regclass)
             AND NOT i.indisunique ORDER BY 1""",
        "DROP INDEX {}",
    )


def drop_job_checks(conn: psycopg.Connection) -> list[str]:
    """Drop the statement triggers that check inserted records' and violations' jobs."""
    triggers = [("data_records_job_check_insert", "data_records"),
                ("data_compliance_violations_job_check_insert", "data_compliance_violations")]  # fmt: skip
    for trigger, table in triggers:
        conn.execute(sql.SQL("DROP TRIGGER {} ON {}").format(sql.Identifier(trigger), sql.Identifier(table)))
    return [trigger for trigger, _ in triggers]


def drop_violations_unique_key(conn: psycopg.Connection) -> list[str]:
    """Drop the violations' unique (file, row, field, type) constraint."""
    return _drop_each(
        conn,
        "SELECT conname FROM pg_constraint WHERE conrelid = 'data_compliance_violations'::regclass "
        "AND contype = 'u'",
        "ALTER TABLE data_compliance_violations DROP CONSTRAINT {}",
    )


@dataclass(frozen=True)
class Safeguard:
    """Something the load maintains that a throwaway database can go without, to measure its cost."""

    label: str
    drop: Callable[[psycopg.Connection], list[str]]  # returns what it dropped
    phases: tuple[str, ...]  # the load phases it costs in


SAFEGUARDS = (
    Safeguard("secondary indexes", drop_secondary_indexes, ("records", "violations", "vault")),
    Safeguard("the per-statement job checks", drop_job_checks, ("records", "violations")),
    Safeguard("the violations' unique key", drop_violations_unique_key, ("violations",)),
)


def pipeline_load(url: str, staged: Path) -> tuple[float, LoadResult]:
    """load_staged as the pipeline calls it, for a new file and job; (wall seconds, result)."""
    manifest = StagedManifest.read(staged)
    with psycopg.connect(url) as conn:
        file = register_file(conn, manifest.source_path, manifest.sha256, 0, manifest.format)
        job_id = start_job(conn, file.id, "spark", "load bench", "load_bench", "run")
    started = time.perf_counter()
    result = load_staged(url, staged, file_id=file.id, job_id=job_id, actor="load_bench")
    elapsed = time.perf_counter() - started
    if result.records_loaded != manifest.records_staged or result.violations_loaded != manifest.violations:
        raise SystemExit(f"load_bench: the load stored {result}, the manifest says otherwise")
    return elapsed, result


def run(settings: Settings, staged: Path, rows: int, *, split: bool = True) -> list[Result]:
    databases = FreshDatabases(settings)
    manifest = StagedManifest.read(staged)
    baseline = plain_copy(databases.new("baseline"), staged)
    baseline_s = sum(baseline.values())
    print("  plain COPY: " + _split(baseline) + f" = {baseline_s:.1f} s", file=sys.stderr)
    load_s, load = pipeline_load(databases.new("load"), staged)
    print(f"  load_staged: {_split(load.phases)} = {load_s:.1f} s", file=sys.stderr)

    label = f"{rows:,} {DOMAIN} rows ({manifest.violations:,} violations, {manifest.vault.get('entries', 0):,} vault entries)"
    baseline_name = "plain COPY, no indexes"
    results = [
        Result("load", f"plain COPY of the staged rows, {label}", round(baseline_s, 2), "s",
               note=_split(baseline)),
        Result("load", f"load_staged, {label}", round(load_s, 2), "s", baseline_name,
               round(load_s / baseline_s, 2), note=_split(load.phases)),
    ]  # fmt: skip
    for part in ("records", "violations", "vault"):
        results.append(
            Result("load", f"  of which {part}", round(load.phases.get(part, 0.0), 2), "s",
                   f"plain COPY of {part}", round(load.phases.get(part, 0.0) / baseline[part], 2))
        )  # fmt: skip
    for safeguard in SAFEGUARDS if split else ():
        results.append(_safeguard_cost(databases, staged, safeguard, load_s, load))
    return results


def _safeguard_cost(
    databases: FreshDatabases, staged: Path, safeguard: Safeguard, load_s: float, load: LoadResult
) -> Result:
    """The load again on a database without `safeguard`: the phases' difference is its cost."""
    url = databases.new("without")
    with psycopg.connect(url, autocommit=True) as conn:
        dropped = safeguard.drop(conn)
    bare_s, bare = pipeline_load(url, staged)
    print(
        f"  load_staged without {', '.join(dropped)}: {_split(bare.phases)} = {bare_s:.1f} s", file=sys.stderr
    )
    cost = sum(load.phases.get(p, 0.0) - bare.phases.get(p, 0.0) for p in safeguard.phases)
    return Result(
        "load", f"  of which {safeguard.label}", round(cost, 2), "s",
        note=f"{' + '.join(safeguard.phases)} with and without {', '.join(dropped)}; "
             f"whole load {load_s:.1f} s vs {bare_s:.1f} s",
    )  # fmt: skip


def _split(phases: dict[str, float]) -> str:
    return " ".join(f"{name} {seconds:.1f}" for name, seconds in phases.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--stage-only", action="store_true", help="make the cached staged output and stop")
    parser.add_argument("--keep-stack", action="store_true", help="leave the PostgreSQL running")
    parser.add_argument(
        "--no-split", "--no-index-split", dest="no_split", action="store_true",
        help="skip the loads without a safeguard (secondary indexes, job checks, violations' unique key)",
    )  # fmt: skip
    add_results_argument(parser)
    args = parser.parse_args()
    staged = staged_output(args.rows)
    if args.stage_only:
        return
    with private_stack(STACK_DIR, args.keep_stack, fresh=True, services=["postgres"]) as settings:
        results = run(settings, staged, args.rows, split=not args.no_split)
    publish(results, args.results)


if __name__ == "__main__":
    main()
