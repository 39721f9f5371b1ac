"""No raw identifier reaches data_records, on every route, for an independent labelled corpus.

The corpus (tests/corpus) has a file of each domain with mixed contact columns and free-text notes,
and a label for every (row, field, type) a careful person would mark as an identifier. Each file
goes through the real engine of each route (spark-submit, PyFlink, the stream consumer) and the
DAG's own steps (include.ingest: register, classify_and_route, validate, load, finalize); then the
rows loaded into PostgreSQL are read back and checked against the labels and, once more, against
every detector (`residual_identifiers`).

Fault injection: with a recognizer disabled in the engine (SDP_DISABLE_RECOGNIZERS), raw values
stay in the engine's output; validation's `no_raw_identifiers` check must catch them and the file
must end quarantined with nothing in data_records (on the stream route: the rows the consumer had
already committed are retracted), and no report may quote a raw value.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest

from compliance.detection.residual import DISABLE_ENV, residual_identifiers
from compliance.io import FileReader
from compliance.policy import load_policy
from include import ingest
from include.settings import Settings, load_settings
from include.staging import StagedManifest
from include.ticket import FileTicket
from include.validation.report import ValidationReport
from tests.corpus.build import CorpusFile, build_corpus
from tests.integration.test_engine_parity import (
    TOKEN_KEY,
    run_batch,
    run_hybrid,
    run_stream,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS = 500  # per corpus file: enough of every label type, short engine runs
SEED = 7
# Route -> offset of the corpus seed. The file registry deduplicates by SHA-256, so each route
# (and the fault-injection run) gets corpus files of its own bytes: same builder, other rows.
ROUTES = {"batch": 0, "hybrid": 1, "stream": 2}
DISABLED_SEED_OFFSET = 10
FILES = ("healthcare_intake", "financial_ledger", "device_pings", "crm_export")
# The corpus's free-text columns: their labels are identifiers embedded in a note.
FREE_TEXT = frozenset({"notes", "memo", "comments"})
# The published form of a coarsened IP address: a network no narrower than these prefixes.
IP_PREFIX_MAX = {4: 24, 6: 48}
ACTOR = "test/raw-identifiers/step"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], dict[str, CorpusFile]]:
    """The corpus for a seed offset, built once per module (a build of 4 x 500 rows takes ~1 s)."""
    built: dict[int, dict[str, CorpusFile]] = {}

    def get(offset: int) -> dict[str, CorpusFile]:
        if offset not in built:
            out = tmp_path_factory.mktemp(f"corpus-{SEED + offset}")
            built[offset] = {f.name: f for f in build_corpus(out, rows=ROWS, seed=SEED + offset)}
        return built[offset]

    return get


@pytest.fixture
def settings(services: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    # The stream route's staged export plans with the key's tokenizer, in this process.
    monkeypatch.setenv("SDP_TOKEN_KEY", TOKEN_KEY)
    monkeypatch.setenv("SDP_TOKEN_KEY_ID", "k1")
    monkeypatch.delenv(DISABLE_ENV, raising=False)  # only ever set in an engine's environment
    # The session's database and broker, with data zones of this test's own.
    return load_settings({**services.environ, "SDP_DATA_DIR": str(tmp_path / "data")})


# --- steps -------------------------------------------------------------------------------------------


def routed_ticket(settings: Settings, source: CorpusFile, route: str) -> FileTicket:
    """The file landed in the inbox, registered and routed by the DAG's own steps."""
    settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    path = settings.inbox_dir / source.path.name
    path.write_bytes(source.path.read_bytes())
    ticket = ingest.register(str(path), actor=ACTOR, s=settings)
    assert not ticket.duplicate, "each test's corpus file is new to the registry"
    ticket = ingest.classify_and_route(
        ticket, actor=ACTOR, dag_id="test_raw_identifiers", run_id=f"{route}-{source.name}",
        route_override=route, anonymize="tokenize", s=settings,
    )  # fmt: skip
    assert (ticket.route, ticket.engine) == (
        route,
        {"batch": "spark", "hybrid": "flink", "stream": "stream"}[route],
    )
    return ticket


def run_engine(
    settings: Settings, ticket: FileTicket, log_dir: Path, extra_env: dict[str, str] | None = None
) -> None:
    """The route's real engine, as in the engine parity test; `extra_env` goes to the engine's
    environment only: this process, which classifies for the stream producer and stages the
    stream's output, never sees it."""
    if ticket.route == "batch":
        run_batch(settings, ticket, extra_env)
    elif ticket.route == "hybrid":
        run_hybrid(settings, ticket, extra_env)
    else:
        run_stream(settings, ticket, log_dir, extra_env)


def outcome_of(report: ValidationReport) -> dict:
    """What the DAG's validate task hands finalize when validation fails."""
    return {
        "success": report.success,
        "suite": report.suite,
        "failed": report.failed,
        "failures": report.failures,
    }


# --- reading back --------------------------------------------------------------------------------------


def raw_input(source: CorpusFile) -> tuple[pa.Table, dict[int, int]]:
    """The input as the core reads it (every value a string) and the table index of each data row."""
    reader = FileReader(source.path)
    chunks = list(reader)
    assert not reader.quarantined, f"{source.name}: the corpus has no unreadable rows"
    table = pa.Table.from_batches([chunk.batch for chunk in chunks])
    rows = [int(row) for chunk in chunks for row in chunk.rows]
    return table, {row: index for index, row in enumerate(rows)}


def loaded_payloads(settings: Settings, file_id: int) -> dict[int, dict]:
    with psycopg.connect(settings.database_url) as conn:
        found = conn.execute(
            "SELECT row_number, payload FROM data_records WHERE file_id = %s ORDER BY row_number", (file_id,)
        ).fetchall()
    return {int(row): payload for row, payload in found}


def as_text(value: object) -> str | None:
    return value if value is None or isinstance(value, str) else json.dumps(value)


def payload_table(payloads: dict[int, dict], columns: list[str]) -> pa.Table:
    """The loaded rows as strings, one column per input column (a value missing from a payload is null)."""
    rows = sorted(payloads)
    extra = sorted({key for payload in payloads.values() for key in payload} - set(columns))
    names = [*columns, *extra]
    return pa.table(
        {name: pa.array([as_text(payloads[r].get(name)) for r in rows], pa.string()) for name in names}
    )


def shape(value: str | None) -> str:
    """A value's shape for a failure message (digits -> 9, letters -> a/A), never the value itself."""
    if value is None:
        return "None"
    masked = re.sub(r"[a-z]", "a", re.sub(r"[A-Z]", "A", re.sub(r"[0-9]", "9", value)))
    return masked if len(masked) <= 48 else masked[:48] + "..."


def coarse_network(raw: str, loaded: str) -> bool:
    """Whether `loaded` is the published (coarsened) form of the IP address `raw`: a network that
    contains it and is no narrower than /24 (IPv4) or /48 (IPv6). Such a network holds the raw
    text when the address's host bits are zero (206.238.163.0 -> 206.238.163.0/24), yet it
    identifies no host."""
    import ipaddress

    try:
        network = ipaddress.ip_network(loaded, strict=True)
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return False
    return "/" in loaded and address in network and network.prefixlen <= IP_PREFIX_MAX[network.version]


def label_leaks(
    source: CorpusFile, raw: pa.Table, index: dict[int, int], payloads: dict[int, dict]
) -> list[str]:
    """Every label whose raw value the loaded row still shows, grouped by (field, type): a
    non-free-text cell must neither equal nor contain its raw value; a free-text cell with a
    labelled identifier must differ from the raw text."""
    leaks: Counter[tuple[str, str, str]] = Counter()
    examples: dict[tuple[str, str, str], str] = {}
    columns = {name: raw.column(name).to_pylist() for name in raw.column_names}
    for row, field, id_type in zip(
        *(source.labels.column(k).to_pylist() for k in ("row", "field", "type")), strict=True
    ):
        raw_value = columns[field][index[row]]
        assert raw_value is not None, f"{source.name}: label on an empty cell ({row}, {field}, {id_type})"
        if row not in payloads:
            key, loaded = (field, id_type, "row not loaded"), None
        else:
            loaded = as_text(payloads[row].get(field))
            if loaded is None:
                continue
            if field in FREE_TEXT:
                if loaded != raw_value:
                    continue
                key = (field, id_type, "free text loaded unchanged")
            elif loaded == raw_value:
                key = (field, id_type, "raw value loaded")
            elif raw_value in loaded and not (id_type == "IP_ADDRESS" and coarse_network(raw_value, loaded)):
                key = (field, id_type, "raw value inside the loaded value")
            else:
                continue
        leaks[key] += 1
        examples.setdefault(key, f"{shape(raw_value)} -> {shape(loaded)}")
    return [f"{field}/{id_type}: {n} x {what} (e.g. row shape {examples[(field, id_type, what)]})"
            for (field, id_type, what), n in sorted(leaks.items())]  # fmt: skip


# --- tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("route", list(ROUTES))
def test_no_raw_labelled_identifier_is_loaded(
    route: str, name: str, settings: Settings, corpus: Callable[[int], dict[str, CorpusFile]], tmp_path: Path
) -> None:
    source = corpus(ROUTES[route])[name]
    raw, index = raw_input(source)
    assert source.labels.num_rows > 0

    ticket = routed_ticket(settings, source, route)
    run_engine(settings, ticket, tmp_path)
    report = ingest.validate(ticket, actor=ACTOR, s=settings)
    assert report.success, f"{route}/{name}: validation failed: {json.dumps(report.failures)}"
    loaded = ingest.load(ticket, actor=ACTOR, s=settings)
    outcome = {"records_loaded": loaded.records_loaded, "violations": loaded.violations_loaded,
               "quarantined": loaded.quarantined, "duplicate": loaded.duplicate}  # fmt: skip
    # finalize removes the staging folder of a committed load: read its manifest first.
    manifest = StagedManifest.read(Path(ticket.staging_dir))
    assert (
        ingest.finalize(ticket, actor=ACTOR, loaded=outcome, validation_failure=None, s=settings)
        == "archived"
    )
    assert not Path(ticket.staging_dir).exists(), "staging of a committed load is removed"

    assert manifest.records_staged == raw.num_rows == ROWS and manifest.records_quarantined == 0
    with psycopg.connect(settings.database_url) as conn:
        status, row_count = conn.execute(
            "SELECT status, row_count FROM data_files WHERE id = %s", (ticket.file_id,)
        ).fetchone()
        (records,) = conn.execute(
            "SELECT count(*) FROM data_records WHERE file_id = %s AND job_id = %s",
            (ticket.file_id, ticket.job_id),
        ).fetchone()
    assert status == "loaded" and row_count == ROWS
    assert records == manifest.records_staged == loaded.records_loaded

    payloads = loaded_payloads(settings, ticket.file_id)
    assert sorted(payloads) == sorted(index), "one loaded row per input row, by row number"
    leaks = label_leaks(source, raw, index, payloads)
    assert not leaks, f"{route}/{name}: raw labelled identifiers in data_records:\n" + "\n".join(leaks)

    policy = load_policy(manifest.domain)
    residual = residual_identifiers(
        payload_table(payloads, raw.column_names), gps_precision=policy.gps_precision
    )
    assert residual == {}, (
        f"{route}/{name}: identifiers left in data_records (column, type -> cells): {residual}"
    )


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_disabled_detector_is_caught_and_the_file_quarantined(
    route: str, settings: Settings, corpus: Callable[[int], dict[str, CorpusFile]], tmp_path: Path
) -> None:
    source = corpus(DISABLED_SEED_OFFSET + ROUTES[route])["healthcare_intake"]
    raw, _ = raw_input(source)
    emails = {m for column in raw.columns for v in column.to_pylist() if v for m in EMAIL.findall(v)}
    assert len(emails) > 20, "the clinic sheet has e-mail addresses in its contact column and notes"

    ticket = routed_ticket(settings, source, route)
    run_engine(settings, ticket, tmp_path, {DISABLE_ENV: "EMAIL"})
    if route == "stream":
        # The consumer committed the file's rows as they streamed, raw addresses among them.
        payloads = loaded_payloads(settings, ticket.file_id)
        assert len(payloads) == ROWS
        text = json.dumps(list(payloads.values()))
        assert any(email in text for email in emails), "the disabled recognizer left addresses in clear"

    report = ingest.validate(ticket, actor=ACTOR, s=settings)
    assert not report.success
    failure = next((f for f in report.failures if f.get("check") == "no_raw_identifiers"), None)
    assert failure is not None, report.failures
    assert failure["residual"] and {entry["type"] for entry in failure["residual"]} == {"EMAIL"}, failure
    assert all(entry["count"] > 0 and entry["column"] in raw.column_names for entry in failure["residual"])
    assert failure["unexpected_count"] == sum(entry["count"] for entry in failure["residual"])

    # The DAG: validate failed, so load is skipped and finalize quarantines.
    ended = ingest.finalize(
        ticket, actor=ACTOR, loaded=None, validation_failure=outcome_of(report), s=settings
    )
    assert ended == "quarantined"
    with psycopg.connect(settings.database_url) as conn:
        assert conn.execute("SELECT status FROM data_files WHERE id = %s", (ticket.file_id,)).fetchone() == (
            "quarantined",
        )
        assert conn.execute(
            "SELECT status FROM data_processing_jobs WHERE id = %s", (ticket.job_id,)
        ).fetchone() == ("quarantined",)
        for table in ("data_records", "data_compliance_violations"):
            assert conn.execute(
                f"SELECT count(*) FROM {table} WHERE file_id = %s", (ticket.file_id,)
            ).fetchone() == (0,), table
        (reason,) = conn.execute(
            "SELECT reason FROM data_quarantine WHERE file_id = %s AND row_number IS NULL", (ticket.file_id,)
        ).fetchone()
        stored = conn.execute(
            "SELECT summary FROM data_validation_results WHERE file_id = %s", (ticket.file_id,)
        ).fetchall()
        audit_rows = conn.execute(
            "SELECT details FROM system_audit_log WHERE object_id IN (%s, %s)",
            (str(ticket.file_id), str(ticket.job_id)),
        ).fetchall()
    assert "validation failed" in reason and "no_raw_identifiers" in reason
    kept = list(settings.quarantine_dir.glob(f"*/{source.path.name}"))
    assert len(kept) == 1 and kept[0].read_bytes() == source.path.read_bytes(), "evidence kept"

    # No report quotes a raw value: reports carry columns, types and counts only.
    reports = "\n".join([
        json.dumps(report.summary), json.dumps(report.failures), json.dumps([s for (s,) in stored]),
        reason, (kept[0].parent / "REASON.txt").read_text(), json.dumps([d for (d,) in audit_rows]),
    ])  # fmt: skip
    quoted = sorted(email for email in emails if email in reports)
    assert not quoted, f"{len(quoted)} raw e-mail address(es) in the validation report or quarantine records"
