"""The re-identification vault against a real PostgreSQL: staged vault entries loaded with their
records, entries from the stream consumer in its transaction, reveal (reason required, audited,
value never in the audit row), key rotation, and the vault closed to the reporting role."""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.generator import write_dataset
from compliance.vault import MasterKey, VaultEncryptor, VaultKeyError, decrypt_value
from include.db.audit import AuditAction
from include.db.loader import StagedSetError, load_staged
from include.db.migrate import apply_migrations
from include.db.vault import store_vault_entries
from include.settings import Settings
from include.stack.context import StackContext
from include.staging import VAULT, StagedManifest
from include.subjects import vault
from tests.conftest import STREAM_TEST_INSTANCE
from tests.integration.refused_commit import commit_refused_for_file
from tests.integration.test_loader import new_file, new_job, new_sha256, write_staged

pytestmark = pytest.mark.integration

NEW_MASTER = MasterKey.from_text("vault-integration-rotated-key-9876543210")
TOKENIZER = Tokenizer(TokenKey("k1", b"vault-integration-token-key-01"))


@pytest.fixture(scope="module")
def db(database_url: str) -> str:
    apply_migrations(database_url)
    return database_url


@pytest.fixture(scope="module")
def own_db(services: Settings) -> Iterator[str]:
    """A results database of this module's own: a rotation re-wraps EVERY data key of a database,
    and the session's shared one holds keys of other tests' master keys."""
    from psycopg import sql

    from include.stack.services import admin_conninfo

    name = f"sdp_vault_test_{uuid.uuid4().hex[:8]}"
    admin = admin_conninfo(StackContext(services))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER sdp_writer").format(sql.Identifier(name)))
    url = f"{services.database_url.rsplit('/', 1)[0]}/{name}"
    apply_migrations(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def master(services: Settings) -> MasterKey:
    """The stack's own master key (what the engines of the session use too), so every data key in
    the shared test database is wrapped by it and a rotation covers them all."""
    return MasterKey.from_text(StackContext(services).vault_key)


def _unique_values(count: int) -> list[str]:
    tag = uuid.uuid4().hex[:10]
    return [f"Person {tag} Number{i}" for i in range(count)]


def stage_with_vault(folder: Path, values: list[str], encryptor: VaultEncryptor) -> tuple[str, list[str]]:
    """A staged set (records, violations, quarantine) plus a vault part for `values`; returns the
    file's sha256 and the tokens."""
    sha256 = new_sha256()
    write_staged(folder, sha256)
    tokens = [TOKENIZER.token("PERSON_NAME", v) for v in values]
    entries = encryptor.encrypt(pa.array(["PERSON_NAME"] * len(values)), pa.array(tokens), pa.array(values))
    pq.write_table(entries, folder / VAULT)
    manifest = StagedManifest.read(folder)
    manifest.vault = {**encryptor.wrapped_key.to_json(), "entries": entries.num_rows}
    manifest.write(folder)
    return sha256, tokens


def _load(db: str, folder: Path, sha256: str):
    file = new_file(db, sha256)
    return file.id, load_staged(db, folder, file_id=file.id, job_id=new_job(db, file.id), actor="test")


def _vault_rows(db: str, tokens: list[str]) -> list[tuple]:
    with psycopg.connect(db) as conn:
        return conn.execute(
            "SELECT token, key_id, nonce, ciphertext, file_id FROM identity_vault WHERE token = ANY(%s)",
            (tokens,),
        ).fetchall()


def _reveal_audits(db: str, token: str) -> list[tuple]:
    with psycopg.connect(db) as conn:
        return conn.execute(
            "SELECT actor, action, details, details::text, at FROM system_audit_log "
            "WHERE object_type = 'identity_vault' AND object_id = %s ORDER BY id",
            (token,),
        ).fetchall()


def test_loader_stores_vault_entries_with_the_records(db: str, master: MasterKey, tmp_path: Path) -> None:
    values = _unique_values(25)
    encryptor = VaultEncryptor.new(master)
    sha256, tokens = stage_with_vault(tmp_path / "staged", values, encryptor)
    file_id, result = _load(db, tmp_path / "staged", sha256)
    assert (result.records_loaded, result.vault_entries) == (18, 25)

    rows = _vault_rows(db, tokens)
    assert len(rows) == 25
    assert {r[1] for r in rows} == {encryptor.key_id} and {r[4] for r in rows} == {file_id}
    # The stored bytes hold no value; the data key is stored only wrapped.
    for _token, _key, nonce, ciphertext, _file in rows:
        assert not any(v.encode() in bytes(nonce) + bytes(ciphertext) for v in values)
    with psycopg.connect(db) as conn:
        master_key_id, wrapped = conn.execute(
            "SELECT master_key_id, wrapped_key FROM vault_data_keys WHERE key_id = %s", (encryptor.key_id,)
        ).fetchone()
    assert master_key_id == master.key_id and len(bytes(wrapped)) == 12 + 32 + 16

    # The same tokens from another file keep their first entry (tokens are deterministic).
    again = VaultEncryptor.new(master)
    sha_again, _ = stage_with_vault(tmp_path / "again", values[:5], again)
    _other_file, second = _load(db, tmp_path / "again", sha_again)
    assert second.vault_entries == 0
    assert {r[4] for r in _vault_rows(db, tokens[:5])} == {file_id}

    assert vault.reveal(db, tokens[3], "subject access request 17", "alice", master) == values[3]


def test_reveal_requires_a_reason_and_audits_without_the_value(
    db: str, master: MasterKey, tmp_path: Path
) -> None:
    values = _unique_values(3)
    sha256, tokens = stage_with_vault(tmp_path / "staged", values, VaultEncryptor.new(master))
    _load(db, tmp_path / "staged", sha256)

    for reason in ("", "   ", None):
        with pytest.raises(vault.RevealRefused, match="reason is required"):
            vault.reveal(db, tokens[0], reason, "alice", master)
    assert _reveal_audits(db, tokens[0]) == []

    assert vault.reveal(db, f"  {tokens[0]} ", "fraud investigation 42", "alice", master) == values[0]
    (actor, action, details, text, at), = _reveal_audits(db, tokens[0])  # fmt: skip
    assert (actor, action) == ("alice", AuditAction.VAULT_REVEAL)
    assert details["reason"] == "fraud investigation 42" and details["id_type"] == "PERSON_NAME"
    assert at is not None
    assert values[0] not in text

    with pytest.raises(vault.RevealRefused, match="no vault entry"):
        vault.reveal(db, "PERSON_NAME_k1_" + "a" * 24, "lookup", "alice", master)


def test_vault_is_unreadable_without_the_master_key(db: str, master: MasterKey, tmp_path: Path) -> None:
    values = _unique_values(2)
    sha256, tokens = stage_with_vault(tmp_path / "staged", values, VaultEncryptor.new(master))
    _load(db, tmp_path / "staged", sha256)
    with pytest.raises(VaultKeyError) as caught:
        vault.reveal(db, tokens[0], "wrong key", "mallory", NEW_MASTER)
    assert values[0] not in str(caught.value)
    assert _reveal_audits(db, tokens[0]) == []  # nothing revealed, nothing audited as revealed


def test_reporting_role_cannot_read_the_vault(services: Settings, db: str) -> None:
    with psycopg.connect(services.reader_database_url) as conn:
        for table in ("identity_vault", "vault_data_keys"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT count(*) FROM {table}")
            conn.rollback()
        assert conn.execute("SELECT count(*) FROM data_records").fetchone()[0] >= 0


def test_loader_refuses_entries_under_another_data_key(db: str, master: MasterKey, tmp_path: Path) -> None:
    values = _unique_values(4)
    folder = tmp_path / "staged"
    sha256, tokens = stage_with_vault(folder, values, VaultEncryptor.new(master))
    manifest = StagedManifest.read(folder)
    manifest.vault = {**VaultEncryptor.new(master).wrapped_key.to_json(), "entries": 4}
    manifest.write(folder)
    file = new_file(db, sha256)
    with pytest.raises(StagedSetError, match="not under the job's data key"):
        load_staged(db, folder, file_id=file.id, job_id=new_job(db, file.id))
    assert _vault_rows(db, tokens) == []
    with psycopg.connect(db) as conn:
        count = conn.execute("SELECT count(*) FROM data_records WHERE file_id = %s", (file.id,)).fetchone()[0]
    assert count == 0  # the vault part's error rolls the load back: no records without their entries


def test_a_load_that_fails_to_commit_leaves_no_vault_entries(
    db: str, master: MasterKey, tmp_path: Path
) -> None:
    """The vault part commits on its own connection just before the load's transaction
    (include/db/beside.py). When the load's commit then fails (here a deferred trigger
    refuses the file's status update at commit), the entries it had committed are deleted again."""
    values = _unique_values(6)
    encryptor = VaultEncryptor.new(master)
    sha256, tokens = stage_with_vault(tmp_path / "staged", values, encryptor)
    file = new_file(db, sha256)
    job_id = new_job(db, file.id)
    with (
        commit_refused_for_file(db, file.id),
        pytest.raises(psycopg.errors.RaiseException, match="refused at commit"),
    ):
        load_staged(db, tmp_path / "staged", file_id=file.id, job_id=job_id)
    assert _vault_rows(db, tokens) == []
    with psycopg.connect(db) as conn:
        count = conn.execute("SELECT count(*) FROM data_records WHERE file_id = %s", (file.id,)).fetchone()[0]
    assert count == 0
    # The retry of the load stores both.
    result = load_staged(db, tmp_path / "staged", file_id=file.id, job_id=job_id)
    assert (result.records_loaded, result.vault_entries) == (18, 6)
    assert len(_vault_rows(db, tokens)) == 6


def test_a_token_staged_by_several_parts_is_stored_once(db: str, master: MasterKey, tmp_path: Path) -> None:
    """The hybrid route encrypts a value once per micro-batch: the job's vault part repeats the
    token with other nonces. One entry per token is stored, one that decrypts to the value; and a
    repeat under another data key is still refused, whichever copy would have been kept."""
    values = _unique_values(6)
    encryptor = VaultEncryptor.new(master)
    folder = tmp_path / "staged"
    sha256, tokens = stage_with_vault(folder, values, encryptor)
    again = encryptor.encrypt(pa.array(["PERSON_NAME"] * 3), pa.array(tokens[:3]), pa.array(values[:3]))
    entries = pa.concat_tables([pq.read_table(folder / VAULT), again])
    pq.write_table(entries, folder / VAULT)
    manifest = StagedManifest.read(folder)
    manifest.vault = {**manifest.vault, "entries": entries.num_rows}
    manifest.write(folder)

    _, result = _load(db, folder, sha256)
    assert result.vault_entries == 6
    stored = {token: (nonce, ciphertext) for token, _, nonce, ciphertext, _ in _vault_rows(db, tokens)}
    assert sorted(stored) == sorted(tokens)
    data_key = encryptor.wrapped_key.unwrap(master)
    for token, value in zip(tokens, values, strict=True):
        nonce, ciphertext = stored[token]
        assert decrypt_value(data_key, token, bytes(nonce), bytes(ciphertext)) == value

    other_values = _unique_values(3)
    folder = tmp_path / "other-key"
    sha256, other_tokens = stage_with_vault(folder, other_values, encryptor)
    foreign = VaultEncryptor.new(master).encrypt(
        pa.array(["PERSON_NAME"]), pa.array(other_tokens[:1]), pa.array(other_values[:1])
    )
    entries = pa.concat_tables([pq.read_table(folder / VAULT), foreign])
    pq.write_table(entries, folder / VAULT)
    manifest = StagedManifest.read(folder)
    manifest.vault = {**manifest.vault, "entries": entries.num_rows}
    manifest.write(folder)
    with pytest.raises(StagedSetError, match="1 vault entries are not under the job's data key"):
        _load(db, folder, sha256)
    assert _vault_rows(db, other_tokens) == []


def test_rotation_rewraps_data_keys_without_touching_entries(
    own_db: str, master: MasterKey, tmp_path: Path
) -> None:
    db = own_db
    values = _unique_values(3)
    sha256, tokens = stage_with_vault(tmp_path / "staged", values, VaultEncryptor.new(master))
    _load(db, tmp_path / "staged", sha256)
    before = sorted(_vault_rows(db, tokens))
    result = vault.rotate(db, master, NEW_MASTER, "key-custodian")
    assert result.rewrapped >= 1
    assert sorted(_vault_rows(db, tokens)) == before
    assert vault.reveal(db, tokens[1], "after rotation", "alice", NEW_MASTER) == values[1]
    with pytest.raises(VaultKeyError):
        vault.reveal(db, tokens[1], "old key", "alice", master)
    # Resumable: a second run finds everything wrapped by the new key already.
    again = vault.rotate(db, master, NEW_MASTER, "key-custodian")
    assert again.rewrapped == 0 and again.already_new >= 1
    with psycopg.connect(db) as conn:
        audited = conn.execute(
            "SELECT count(*) FROM system_audit_log WHERE action = %s AND actor = 'key-custodian'",
            (AuditAction.VAULT_ROTATE,),
        ).fetchone()[0]
    assert audited == 2
    # Back, so the module's next test finds the stack's key.
    vault.rotate(db, NEW_MASTER, master, "key-custodian")


def test_stream_consumer_stores_entries_in_its_transaction(
    services: Settings, db: str, master: MasterKey, tmp_path: Path
) -> None:
    from include.db.files import register_file, set_file_status, sha256_of, start_job
    from include.streaming.producer import publish_file
    from include.streaming.status import file_progress
    from tests.integration.test_streaming import ConsumerProcess

    context = StackContext(services)
    env = context.pipeline_env()
    env.update(SDP_TOKEN_KEY="vault-stream-token-key-0123456789", SDP_TOKEN_KEY_ID="k1",
               SDP_STREAM_CONSUMER_INSTANCE=STREAM_TEST_INSTANCE)  # fmt: skip
    assert MasterKey.from_text(env["SDP_VAULT_KEY"]).key_id == master.key_id
    path = tmp_path / "stream-vault.csv"
    write_dataset("healthcare", 300, path, seed=int(hashlib.sha256(uuid.uuid4().bytes).hexdigest()[:6], 16))
    with psycopg.connect(db, autocommit=True) as conn:
        record = register_file(conn, path, sha256_of(path), path.stat().st_size, "csv")
        job_id = start_job(conn, record.id, "stream", "test: vault")
        set_file_status(conn, record.id, "processing")
    consumer = ConsumerProcess(env, tmp_path / "consumer.log").start()
    try:
        publish_file(path, file_id=record.id, job_id=job_id, domain="auto",
                     bootstrap=services.kafka_bootstrap_servers, s=services)  # fmt: skip
        deadline = time.monotonic() + 240
        while True:
            with psycopg.connect(db) as conn:
                progress = file_progress(conn, job_id)
            if progress is not None and progress.completed:
                break
            assert consumer.proc.poll() is None, consumer.log()[-3000:]
            assert time.monotonic() < deadline, consumer.log()[-3000:]
            time.sleep(0.5)
    finally:
        consumer.stop()
    with psycopg.connect(db) as conn:
        entries = conn.execute(
            "SELECT v.token, v.id_type FROM identity_vault v JOIN vault_data_keys k USING (key_id) "
            "WHERE v.file_id = %s AND k.master_key_id = %s",
            (record.id, master.key_id),
        ).fetchall()
        payloads = "\n".join(
            row[0]
            for row in conn.execute("SELECT payload::text FROM data_records WHERE file_id = %s", (record.id,))
        )
    assert entries, "the healthcare file has reversible identifiers"
    assert all(token in payloads for token, _ in entries)
    token, id_type = entries[0]
    value = vault.reveal(db, token, "stream check", "alice", master)
    tokenizer = Tokenizer(TokenKey("k1", b"vault-stream-token-key-0123456789"))
    assert tokenizer.token(id_type, value) == token
    assert value not in consumer.log()


def test_sdp_vault_reveal_prints_only_the_value(
    services: Settings, own_db: str, master: MasterKey, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    from include.settings import REPO_ROOT

    values = _unique_values(2)
    sha256, tokens = stage_with_vault(tmp_path / "staged", values, VaultEncryptor.new(master))
    db = own_db
    _load(db, tmp_path / "staged", sha256)
    env = {
        **os.environ,
        **StackContext(services).pipeline_env(),
        "SDP_ACTOR": "cli-user",
        "SDP_DATABASE_URL": db,
    }

    def sdp(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "include.cli", "vault", *args], env=env,
                              capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)  # fmt: skip

    done = sdp("reveal", tokens[1], "--reason", "subject access request 99")
    assert (done.returncode, done.stdout) == (0, values[1] + "\n"), done.stderr
    assert values[1] not in done.stderr
    (actor, action, details, _text, _at), = _reveal_audits(db, tokens[1])  # fmt: skip
    assert (actor, action, details["reason"]) == (
        "cli-user",
        AuditAction.VAULT_REVEAL,
        "subject access request 99",
    )

    refused = sdp("reveal", tokens[0], "--reason", " ")
    assert refused.returncode == 2 and "reason is required" in refused.stderr and refused.stdout == ""
    assert sdp("reveal", tokens[0]).returncode == 2  # --reason is required by the parser too
    status = sdp("status")
    assert status.returncode == 0 and f"master_key_id={master.key_id}" in status.stdout
    assert all(v not in status.stdout for v in values)

    # Rotation from the command line: the new key from SDP_VAULT_NEW_KEY (--new-key-env's default), then back.
    new_key = "vault-integration-cli-rotated-key-0123456789"
    env["SDP_VAULT_NEW_KEY"] = new_key
    rotated = sdp("rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "Now set SDP_VAULT_KEY" in rotated.stdout and new_key not in rotated.stdout + rotated.stderr
    env["SDP_VAULT_KEY"], env["SDP_VAULT_NEW_KEY"] = new_key, StackContext(services).vault_key
    assert sdp("reveal", tokens[0], "--reason", "after rotation").stdout == values[0] + "\n"
    assert sdp("rotate").returncode == 0
    assert vault.reveal(db, tokens[0], "rotated back", "alice", master) == values[0]


# Tokens and token-like values: the column the writer fills must hold what sdp_token_digest finds.
DIGEST_TOKENS = [
    f"EMAIL_k1_{'a2' * 12}",
    f"SSN_k1_{'b7' * 12}_1234",
    f"NOTE_k1_{'c3' * 12}_12345",  # five digits: no digest
    f"PHONE_k1_{'d4' * 12}x",  # a 25th character: no digest
    f"MRN_k1_{'e5' * 11}e8",  # 8 is not base32: no digest
    f"NAME_k1_x{'f6' * 12}",  # 25 letters after the "_": no digest
    f"_{'g7' * 12}",
    f"ADDR_k1_{'h2' * 12}_{'i3' * 12}",
    f"ZIP_k1_{'J2' * 12}",  # upper case: no digest
    "not a token",
]


def test_vault_token_digest_column_is_sdp_token_digest(db: str, master: MasterKey) -> None:
    """identity_vault.token_digest (migration 0013), filled from Arrow by the vault writer or by the
    trigger for an entry inserted without it, equals sdp_token_digest(token) (what erasure and
    retention look entries up by)."""
    tag = uuid.uuid4().hex[:8]
    written = [f"{tag}w{token}" for token in DIGEST_TOKENS]
    by_hand = [f"{tag}h{token}" for token in DIGEST_TOKENS]
    encryptor = VaultEncryptor.new(master)
    entries = encryptor.encrypt(pa.array(["OTHER"] * len(written)), pa.array(written), pa.array(written))
    with psycopg.connect(db) as conn, conn.cursor() as cur:
        file = new_file(db, new_sha256())
        assert store_vault_entries(cur, [entries], encryptor.wrapped_key, file.id) == len(written)
        for token in by_hand:
            cur.execute(
                "INSERT INTO identity_vault (token, id_type, key_id, nonce, ciphertext) VALUES (%s, 'OTHER', %s, %s, %s)",
                (token, encryptor.wrapped_key.key_id, b"n" * 12, b"c"),
            )
        rows = cur.execute(
            "SELECT token, token_digest, sdp_token_digest(token) FROM identity_vault WHERE token = ANY(%s)",
            (written + by_hand,),
        ).fetchall()
    assert len(rows) == 2 * len(DIGEST_TOKENS)
    assert [(token, column) for token, column, _ in rows] == [
        (token, expression) for token, _, expression in rows
    ]
    assert sum(column is not None for _, column, _ in rows) == 2 * 4


def test_vault_references_are_checked_per_statement(db: str, master: MasterKey) -> None:
    """The vault's references (migration 0013, per statement instead of per row): an entry under an
    unknown data key or of an unknown file is refused, and a data key or file that entries
    reference can be neither deleted nor renumbered."""
    encryptor = VaultEncryptor.new(master)
    token = TOKENIZER.token("PERSON_NAME", _unique_values(1)[0])
    entries = encryptor.encrypt(pa.array(["PERSON_NAME"]), pa.array([token]), pa.array(["v"]))
    file = new_file(db, new_sha256())
    with psycopg.connect(db) as conn:
        with pytest.raises(
            psycopg.errors.ForeignKeyViolation,
            match=re.escape("references 0 data key(s) and 1 file(s) that do not exist"),
        ):
            store_vault_entries(conn.cursor(), [entries], encryptor.wrapped_key, file.id + 10_000_000)
        conn.rollback()
        with pytest.raises(
            psycopg.errors.ForeignKeyViolation,
            match=re.escape("references 1 data key(s) and 0 file(s) that do not exist"),
        ):
            conn.execute(
                "INSERT INTO identity_vault (token, id_type, key_id, nonce, ciphertext) VALUES (%s, 'X', %s, %s, %s)",
                (token, f"missing-{uuid.uuid4().hex}", b"n", b"c"),
            )
        conn.rollback()
        store_vault_entries(conn.cursor(), [entries], encryptor.wrapped_key, file.id)
        conn.commit()
        key_id = encryptor.wrapped_key.key_id
        for statement, params, message in [
            ("DELETE FROM vault_data_keys WHERE key_id = %s", (key_id,), "vault_data_keys key_id .* is still referenced"),
            ("UPDATE vault_data_keys SET key_id = key_id || 'x' WHERE key_id = %s", (key_id,), "vault_data_keys key_id .* is still referenced"),
            ("DELETE FROM data_files WHERE id = %s", (file.id,), "data_files id .* is still referenced by vault entries"),
            ("UPDATE data_files SET id = id + 10000000 WHERE id = %s", (file.id,), "data_files id .* is still referenced by vault entries"),
        ]:  # fmt: skip
            with pytest.raises(psycopg.errors.ForeignKeyViolation, match=message):
                conn.execute(statement, params)
            conn.rollback()
        # A rotation re-wraps the key without touching its id: allowed.
        conn.execute("UPDATE vault_data_keys SET rewrapped_at = now() WHERE key_id = %s", (key_id,))
        conn.rollback()


def test_tokens_a_concurrent_transaction_stores_keep_its_entries(db: str, master: MasterKey) -> None:
    """The vault writer inserts the tokens its snapshot lacks without ON CONFLICT: a token another
    transaction stores meanwhile makes it wait for that one (as ON CONFLICT did) and then store
    only the others, keeping the first entry of the shared token, in the same transaction."""
    values = _unique_values(4)
    tokens = [TOKENIZER.token("PERSON_NAME", value) for value in values]
    first, second = VaultEncryptor.new(master), VaultEncryptor.new(master)
    ids = pa.array(["PERSON_NAME"] * 2)
    shared = first.encrypt(ids, pa.array(tokens[:2]), pa.array(values[:2]))
    later = second.encrypt(pa.array(["PERSON_NAME"] * 4), pa.array(tokens), pa.array(values))
    file = new_file(db, new_sha256())
    with psycopg.connect(db) as holder, psycopg.connect(db) as writer:
        store_vault_entries(holder.cursor(), [shared], first.wrapped_key, file.id)
        result: list[int | BaseException] = []

        def store() -> None:
            try:
                result.append(store_vault_entries(writer.cursor(), [later], second.wrapped_key, file.id))
                writer.commit()
            except BaseException as exc:
                result.append(exc)

        thread = threading.Thread(target=store)
        thread.start()
        # The writer waits on the holder's uncommitted tokens (a lock wait, seen by the server).
        for _ in range(200):
            with psycopg.connect(db) as probe:
                waiting = probe.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
                    (writer.info.backend_pid,),
                ).fetchone()[0]
            if waiting or not thread.is_alive():
                break
            time.sleep(0.05)
        holder.commit()
        thread.join()
    assert result == [2]
    stored = {token: key_id for token, key_id, *_ in _vault_rows(db, tokens)}
    assert stored == {**dict.fromkeys(tokens[:2], first.wrapped_key.key_id),
                      **dict.fromkeys(tokens[2:], second.wrapped_key.key_id)}  # fmt: skip
