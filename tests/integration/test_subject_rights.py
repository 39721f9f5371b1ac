"""Data-subject rights against the real PostgreSQL of the `services` fixture: erasure across files
loaded by each route, DP releases with the budget ledger, retention, and the database roles."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from include.db.files import register_file, start_job
from include.db.loader import load_staged
from include.db.migrate import apply_migrations
from include.staging import ROW_COLUMN, StagedManifest, write_staged_output
from include.subjects.erasure import ErasureError, erase_subject, subject_hash, token_locations
from tests.integration.staged_output import quarantine_table, violations_table

pytestmark = pytest.mark.integration

KEY = TokenKey("k1", b"subject-rights-test-key-0123456789")
TOKENS = Tokenizer(KEY)
ROUTES = ("spark", "stream", "flink")


@pytest.fixture(scope="module")
def db(database_url: str) -> str:
    apply_migrations(database_url)
    return database_url


def unique_token(id_type: str) -> str:
    """A token nobody else in the session's database holds."""
    return TOKENS.token(id_type, uuid.uuid4().hex)


def load_file(db: str, tmp_path: Path, engine: str, rows: list[dict], violations: list[tuple], *,
              domain: str = "healthcare") -> int:  # fmt: skip
    """Stage `rows` (row numbers 0..n-1) like an engine of `engine` and load them with the real
    loader; returns the file id."""
    sha256 = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    folder = tmp_path / f"{engine}-{sha256[:8]}"
    folder.mkdir(parents=True)
    columns = list(rows[0])
    table = {ROW_COLUMN: pa.array(range(len(rows)), pa.int64())}
    table |= {c: pa.array([row[c] for row in rows], pa.string()) for c in columns}
    manifest = StagedManifest(
        source_path=f"/landing/{sha256[:8]}.csv",
        sha256=sha256,
        format="csv",
        domain=domain,
        engine=engine,
        anonymize="tokenize",
        records_in=len(rows),
        records_staged=len(rows),
        records_quarantined=0,
        records_suppressed=0,
        violations=len(violations),
        pre_processing_s=0.1,
        pure_processing_s=0.1,
        post_processing_s=0.1,
    )
    write_staged_output(folder, pa.table(table), violations_table(violations), quarantine_table([]), manifest)
    with psycopg.connect(db) as conn:
        file = register_file(conn, f"/landing/{sha256[:8]}.csv", sha256, 100, "csv")
        job = start_job(conn, file.id, engine, "test", "dag", f"run-{sha256[:8]}")
    load_staged(db, folder, file_id=file.id, job_id=job)
    return file.id


def add_vault_entries(db: str, tokens: list[str]) -> None:
    """Vault rows as the vault writes them (the ciphertext is irrelevant to erasure)."""
    key_id = f"dk-{uuid.uuid4().hex[:12]}"
    with psycopg.connect(db) as conn:
        conn.execute(
            "INSERT INTO vault_data_keys (key_id, master_key_id, wrapped_key) VALUES (%s, 'mk-test', %s)",
            (key_id, b"wrapped"),
        )
        for token in tokens:
            conn.execute(
                "INSERT INTO identity_vault (token, id_type, key_id, nonce, ciphertext) "
                "VALUES (%s, %s, %s, %s, %s)",
                (token, token.split("_k1_")[0], key_id, b"n" * 12, b"ciphertext"),
            )


def vault_tokens(db: str, tokens: list[str]) -> set[str]:
    with psycopg.connect(db) as conn:
        rows = conn.execute("SELECT token FROM identity_vault WHERE token = ANY(%s)", (tokens,)).fetchall()
    return {token for (token,) in rows}


def file_rows(db: str, file_id: int) -> tuple[list[int], list[int]]:
    """(record row numbers, violation row numbers) of a file."""
    with psycopg.connect(db) as conn:
        records = conn.execute(
            "SELECT row_number FROM data_records WHERE file_id = %s ORDER BY 1", (file_id,)
        ).fetchall()
        violations = conn.execute(
            "SELECT DISTINCT row_number FROM data_compliance_violations WHERE file_id = %s ORDER BY 1",
            (file_id,),
        ).fetchall()
    return [r for (r,) in records], [r for (r,) in violations]


def locations(db: str, token: str) -> list[tuple[str, str]]:
    with psycopg.connect(db) as conn:
        return token_locations(conn, token)


def erase(db: str, token: str, reason: str = "ticket DSR-1") -> object:
    with psycopg.connect(db) as conn:
        return erase_subject(conn, token, key=KEY.secret, actor="test-operator", reason=reason)


@pytest.fixture()
def subject_in_every_route(db: str, tmp_path: Path) -> dict:
    """A subject in a file of each route: their SSN token as a whole value in row 1 and inside the
    notes of row 3 (another person's record that names them); their email token (only in row 1)
    and a doctor's NPI token shared with row 0."""
    ssn = unique_token("SSN")
    email = unique_token("EMAIL")
    npi = unique_token("NPI")
    others = [unique_token("SSN") for _ in range(5)]
    files = {}
    for engine in ROUTES:
        rows = [
            {"ssn": others[0], "email": None, "npi": npi, "notes": "routine visit"},
            {"ssn": ssn, "email": email, "npi": npi, "notes": "follow-up"},
            {"ssn": others[1], "email": None, "npi": None, "notes": f"see also {others[2]}"},
            {"ssn": others[3], "email": None, "npi": None, "notes": f"relative of {ssn}, called twice"},
            {"ssn": others[4], "email": None, "npi": None, "notes": None},
        ]
        violations = [(r, "ssn", "SSN", "HIPAA", "high", "hipaa.safe_harbor.ssn") for r in range(5)]
        violations += [(1, "email", "EMAIL", "HIPAA", "medium", "hipaa.safe_harbor.email")]
        violations += [(3, "notes", "SSN", "HIPAA", "high", "hipaa.safe_harbor.ssn")]
        files[engine] = load_file(db, tmp_path, engine, rows, violations)
    with psycopg.connect(db) as conn:
        # As rows loaded before migration 0012 are (and rows of writers other than the pipeline's):
        # without the stored keys, found through the payload expression's index instead.
        conn.execute("UPDATE data_records SET token_keys = NULL WHERE file_id = %s", (files["stream"],))
    add_vault_entries(db, [ssn, email, npi, *others])
    with psycopg.connect(db) as conn:  # an earlier reveal, audited as the vault does
        conn.execute(
            "INSERT INTO system_audit_log (actor, action, object_type, object_id, details) "
            "VALUES ('auditor', 'vault_reveal', 'identity_vault', %s, '{\"reason\": \"DSR-1\"}')",
            (ssn,),
        )
    return {"ssn": ssn, "email": email, "npi": npi, "others": others, "files": files}


def test_erasure_removes_the_subject_from_files_of_every_route(db: str, subject_in_every_route: dict) -> None:
    subject = subject_in_every_route
    ssn, email, npi = subject["ssn"], subject["email"], subject["npi"]
    # The search over every table finds the token where it is, so its empty answer below means something.
    assert ("data_records", "payload") in locations(db, ssn)
    assert ("identity_vault", "token") in locations(db, ssn)

    result = erase(db, ssn)

    assert result.records == 2 * len(ROUTES)
    assert result.violations == 4 * len(ROUTES)  # row 1: ssn + email, row 3: ssn + notes
    # The SSN, the email, and row 3's own SSN: no remaining record holds them.
    assert result.vault_entries == 3
    assert set(result.files) == set(subject["files"].values())
    for file_id in subject["files"].values():
        assert file_rows(db, file_id) == ([0, 2, 4], [0, 2, 4])
    assert locations(db, ssn) == []
    assert locations(db, email) == []
    # The NPI is still in row 0 of each file: its vault entry stays, as do those of rows 0, 2, 4.
    others = subject["others"]
    assert vault_tokens(db, [npi, *others]) == {npi, others[0], others[1], others[2], others[4]}

    with psycopg.connect(db) as conn:
        actor, action, object_type, object_id, details = conn.execute(
            "SELECT actor, action, object_type, object_id, details FROM system_audit_log WHERE id = %s",
            (result.audit_id,),
        ).fetchone()
    assert (actor, action, object_type) == ("test-operator", "erased", "data_subject")
    assert object_id == subject_hash(ssn, KEY.secret) == details["subject_hash"]
    assert details["records"] == 6 and details["violations"] == 12 and details["vault_entries"] == 3
    assert sorted(details["files"]) == sorted(subject["files"].values())
    assert details["token_type"] == "SSN" and details["reason"] == "ticket DSR-1"
    assert details["audit_rows_pseudonymized"] == 1
    with psycopg.connect(db) as conn:
        reveals = conn.execute(
            "SELECT object_id FROM system_audit_log WHERE action = 'vault_reveal' AND object_id = %s",
            (subject_hash(ssn, KEY.secret),),
        ).fetchall()
    assert reveals == [(subject_hash(ssn, KEY.secret),)]


def test_erasure_is_idempotent_and_audits_every_run(db: str, subject_in_every_route: dict) -> None:
    ssn = subject_in_every_route["ssn"]
    first = erase(db, ssn)
    second = erase(db, ssn)

    assert first.records == 6
    assert (second.records, second.violations, second.vault_entries, second.files) == (0, 0, 0, ())
    assert second.audit_id > first.audit_id
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT details->>'records' FROM system_audit_log "
            "WHERE action = 'erased' AND object_id = %s ORDER BY id",
            (subject_hash(ssn, KEY.secret),),
        ).fetchall()
    assert rows == [("6",), ("0",)]
    assert locations(db, ssn) == []


def test_erasure_of_a_token_only_in_the_vault(db: str) -> None:
    token = unique_token("MRN")
    add_vault_entries(db, [token])

    result = erase(db, token)

    assert (result.records, result.vault_entries) == (0, 1)
    assert locations(db, token) == []


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("not-a-token", "ticket 1"),
        ("SSN_k1_tooshort", "ticket 1"),
        (TOKENS.token("SSN", "000-00-0001"), ""),
        (TOKENS.token("SSN", "000-00-0001"), "x" * 201),
        (TOKENS.token("SSN", "000-00-0001"), f"erase {TOKENS.token('SSN', '000-00-0001')}"),
    ],
)
def test_erasure_refuses_bad_requests_without_quoting_the_token(db: str, token: str, reason: str) -> None:
    with pytest.raises(ErasureError) as raised:
        erase(db, token, reason)
    assert token not in str(raised.value)


def test_sdp_erase_prints_counts_only(db: str, subject_in_every_route: dict, monkeypatch, capsys) -> None:
    from include import cli
    from include.settings import settings

    settings.cache_clear()  # this session's database, whatever an earlier caller cached
    monkeypatch.setenv("SDP_TOKEN_KEY", KEY.secret.decode())
    ssn = subject_in_every_route["ssn"]

    code = cli.main(["erase", "--subject-token", ssn, "--reason", "ticket DSR-7"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("erased: 6 records, 12 violations, 3 vault entries in 3 files")
    assert ssn not in out + err
    assert locations(db, ssn) == []
    assert cli.main(["erase", "--subject-token", "SSN_k1_nope", "--reason", "x"]) == 2


# -- DP releases -------------------------------------------------------------------------------
def location_rows(groups: dict[str, int], speed: float = 50.0) -> list[dict]:
    return [
        {"city": city, "speed": str(speed), "device_id": unique_token("DEVICE_ID")}
        for city, size in groups.items()
        for _ in range(size)
    ]


def budget(db: str, dataset: str) -> tuple[float, float]:
    """(total, spent) of a dataset's ledger row, (0, 0) before its first release."""
    with psycopg.connect(db) as conn:
        row = conn.execute(
            "SELECT total_epsilon, spent_epsilon FROM dp_budgets WHERE dataset = %s", (dataset,)
        ).fetchone()
    return row or (0.0, 0.0)


def test_release_counts_per_group_is_noisy_thresholded_and_recorded(db: str, tmp_path: Path) -> None:
    from include.subjects.releases import ReleaseRequest, release

    prefix = uuid.uuid4().hex[:6]
    big, medium, alone = f"{prefix}-big", f"{prefix}-medium", f"{prefix}-alone"
    file_id = load_file(db, tmp_path, "stream", location_rows({big: 200, medium: 120, alone: 1}), [],
                        domain="location")  # fmt: skip
    _, spent_before = budget(db, "location")
    request = ReleaseRequest("location", 1.0, ("city",), file_ids=(file_id,))

    with psycopg.connect(db) as conn:
        result = release(conn, request, actor="test-analyst")

    released = {row[0]: row[1] for row in result.rows}
    # A group of one person is below the threshold; the others are there, with noise of scale 1.
    assert set(released) == {big, medium}
    assert abs(released[big] - 200) < 40 and abs(released[medium] - 120) < 40
    assert result.columns == ("city", "count")
    total, spent = budget(db, "location")
    assert total == 10.0 and spent == pytest.approx(spent_before + 1.0)
    with psycopg.connect(db) as conn:
        epsilon, delta, query, actor, stored = conn.execute(
            "SELECT epsilon, delta, query, actor, released FROM dp_releases WHERE id = %s",
            (result.release_id,),
        ).fetchone()
        audit_details = conn.execute(
            "SELECT details FROM system_audit_log WHERE action = 'released' AND object_id = %s",
            (str(result.release_id),),
        ).fetchone()[0]
    assert (epsilon, actor) == (1.0, "test-analyst") and 0 < delta < 1e-6
    assert query["group_by"] == ["city"] and query["statistic"] == "count" and query["threshold"] > 1
    assert sorted(r["city"] for r in stored) == sorted(released)
    assert audit_details["groups_released"] == 2 and audit_details["epsilon"] == 1.0
    assert big not in str(audit_details)  # the audit row describes the query, not the answer


def test_release_mean_per_group(db: str, tmp_path: Path) -> None:
    from include.subjects.releases import ReleaseRequest, release

    city = f"{uuid.uuid4().hex[:6]}-mean"
    file_id = load_file(db, tmp_path, "flink", location_rows({city: 300}, speed=40.0), [], domain="location")
    request = ReleaseRequest("location", 2.0, ("city",), mean_column="speed", bounds=(0.0, 100.0),
                             file_ids=(file_id,))  # fmt: skip

    with psycopg.connect(db) as conn:
        result = release(conn, request, actor="test-analyst")

    assert result.columns == ("city", "mean_speed")
    [(released_city, mean)] = result.rows
    assert released_city == city and abs(mean - 40.0) < 10


def test_release_over_budget_is_refused_and_concurrent_releases_cannot_overspend(
    db: str, tmp_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from include.subjects.releases import BudgetExhausted, ReleaseRequest, release

    city = f"{uuid.uuid4().hex[:6]}-budget"
    file_id = load_file(db, tmp_path, "spark", location_rows({city: 50}), [], domain="mixed")

    def spend(epsilon: float) -> object:
        with psycopg.connect(db) as conn:
            return release(conn, ReleaseRequest("mixed", epsilon, ("city",), file_ids=(file_id,)), actor="t")

    spend(0.5)  # creates the ledger row
    total, spent = budget(db, "mixed")
    if total - spent > 1.0:
        spend(total - spent - 1.0)
    assert budget(db, "mixed")[1] == pytest.approx(total - 1.0)

    # Two releases of 0.75 at once with 1.0 left: the row lock lets exactly one through.
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: _try(spend, 0.75), range(2)))
    assert sorted(type(o).__name__ for o in outcomes) == ["BudgetExhausted", "ReleaseResult"]
    assert budget(db, "mixed")[1] == pytest.approx(total - 0.25)

    with psycopg.connect(db) as conn:
        releases_before = conn.execute("SELECT count(*) FROM dp_releases WHERE dataset = 'mixed'").fetchone()[
            0
        ]
    with pytest.raises(BudgetExhausted, match=r"'mixed'.*needs epsilon=0.5 but only 0.25 of 10 is left"):
        spend(0.5)
    spend(0.25)  # exactly the rest still fits
    with pytest.raises(BudgetExhausted):
        spend(0.01)
    with psycopg.connect(db) as conn:
        releases_after = conn.execute("SELECT count(*) FROM dp_releases WHERE dataset = 'mixed'").fetchone()[
            0
        ]
    assert releases_after == releases_before + 1
    assert budget(db, "mixed")[1] == pytest.approx(total)


def _try(function, *args) -> object:
    try:
        return function(*args)
    except Exception as exc:
        return exc


def test_sdp_release_prints_the_released_table(db: str, tmp_path: Path, capsys) -> None:
    from include import cli
    from include.settings import settings

    settings.cache_clear()
    city = f"{uuid.uuid4().hex[:6]}-cli"
    file_id = load_file(db, tmp_path, "stream", location_rows({city: 100}), [], domain="location")

    code = cli.main(["release", "--dataset", "location", "--group-by", "city", "--file-id", str(file_id),
                     "--epsilon", "0.5"])  # fmt: skip

    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("release ") and "epsilon 0.5" in lines[0]
    assert lines[1] == "city\tcount" and lines[2].startswith(f"{city}\t")
    assert cli.main(["release", "--dataset", "nowhere", "--group-by", "city", "--epsilon", "1"]) == 2


# -- retention ---------------------------------------------------------------------------------
def test_retention_purges_files_past_their_policy_and_audits_each(db: str, tmp_path: Path) -> None:
    from compliance.policy import load_policy
    from include.subjects.retention import purge_expired

    old_only, shared = unique_token("IBAN"), unique_token("EMAIL")
    rows = [{"iban": old_only, "email": shared}, {"iban": unique_token("IBAN"), "email": None}]
    violations = [(0, "iban", "IBAN", "GDPR", "high", "gdpr.personal_data.iban")]
    old = load_file(db, tmp_path, "spark", rows, violations, domain="financial")
    recent = load_file(db, tmp_path, "stream", [{"iban": unique_token("IBAN"), "email": shared}], [],
                       domain="financial")  # fmt: skip
    add_vault_entries(db, [old_only, shared])
    retention_days = load_policy("financial").retention_days
    with psycopg.connect(db) as conn:
        conn.execute(
            "UPDATE data_files SET landed_at = now() - make_interval(days => %s) WHERE id = %s",
            (retention_days + 1, old),
        )

    with psycopg.connect(db) as conn:
        purged = {
            p.file_id: p for p in purge_expired(conn, actor="sdp_retention/test", domains=("financial",))
        }
        again = purge_expired(conn, actor="sdp_retention/test", domains=("financial",))

    assert old in purged and recent not in purged
    assert (purged[old].records, purged[old].violations, purged[old].vault_entries) == (2, 1, 1)
    assert file_rows(db, old) == ([], [])
    assert file_rows(db, recent) == ([0], [])
    assert vault_tokens(db, [old_only, shared]) == {shared}  # the recent file still holds the email
    assert old not in {p.file_id for p in again}
    with psycopg.connect(db) as conn:
        action, object_type, details = conn.execute(
            "SELECT action, object_type, details FROM system_audit_log WHERE id = %s", (purged[old].audit_id,)
        ).fetchone()
    assert (action, object_type) == ("purged", "data_file")
    assert details["records"] == 2 and details["retention_days"] == retention_days
    assert details["basis"] == "landed_at"


# -- roles -------------------------------------------------------------------------------------
def test_roles_reader_and_analyst_cannot_read_the_vault_vault_admin_can(services, db: str) -> None:
    if not services.embedded_postgres:
        pytest.skip("roles are created by the local stack's bootstrap")
    add_vault_entries(db, [unique_token("SSN")])
    urls = {
        "sdp_reader": services.reader_database_url,
        "sdp_analyst": services.analyst_database_url,
        "sdp_vault_admin": services.vault_admin_database_url,
    }
    readable = {}
    for role, url in urls.items():
        for table in ("identity_vault", "vault_data_keys", "data_records", "dp_budgets", "system_audit_log"):
            with psycopg.connect(url, autocommit=True) as conn:
                assert conn.execute("SELECT current_user").fetchone()[0] == role
                try:
                    conn.execute(f"SELECT count(*) FROM {table}").fetchone()
                    readable[role, table] = True
                except psycopg.errors.InsufficientPrivilege:
                    readable[role, table] = False
    assert readable == {
        ("sdp_reader", "identity_vault"): False,
        ("sdp_reader", "vault_data_keys"): False,
        ("sdp_reader", "data_records"): True,
        ("sdp_reader", "dp_budgets"): True,
        ("sdp_reader", "system_audit_log"): True,
        ("sdp_analyst", "identity_vault"): False,
        ("sdp_analyst", "vault_data_keys"): False,
        ("sdp_analyst", "data_records"): True,
        ("sdp_analyst", "dp_budgets"): True,
        ("sdp_analyst", "system_audit_log"): True,
        ("sdp_vault_admin", "identity_vault"): True,
        ("sdp_vault_admin", "vault_data_keys"): True,
        ("sdp_vault_admin", "data_records"): False,
        ("sdp_vault_admin", "dp_budgets"): False,
        ("sdp_vault_admin", "system_audit_log"): False,
    }


@pytest.mark.parametrize("role", ["sdp_reader", "sdp_analyst", "sdp_vault_admin"])
def test_roles_write_nothing(services, db: str, role: str) -> None:
    if not services.embedded_postgres:
        pytest.skip("roles are created by the local stack's bootstrap")
    url = {
        "sdp_reader": services.reader_database_url,
        "sdp_analyst": services.analyst_database_url,
        "sdp_vault_admin": services.vault_admin_database_url,
    }[role]
    for statement in (
        "DELETE FROM identity_vault",
        "DELETE FROM data_records",
        "UPDATE dp_budgets SET spent_epsilon = 0",
        "INSERT INTO system_audit_log (actor, action, object_type) VALUES ('x', 'x', 'x')",
    ):
        with (
            psycopg.connect(url, autocommit=True) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(statement)


def test_analyst_may_stage_temporary_tables(services, db: str) -> None:
    if not services.embedded_postgres:
        pytest.skip("roles are created by the local stack's bootstrap")
    with psycopg.connect(services.analyst_database_url) as conn:
        conn.execute("CREATE TEMP TABLE scratch AS SELECT file_id, count(*) FROM data_records GROUP BY 1")
    with (
        psycopg.connect(services.reader_database_url) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("CREATE TEMP TABLE scratch (x int)")
