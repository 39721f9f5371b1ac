"""The vault's cryptography (compliance/vault.py), the pipeline's vault entries and the policy's
`reversible` / `dp_epsilon_budget` keys. Pure: no database."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.generator import write_dataset
from compliance.io import FileReader
from compliance.pipeline import CompliancePipeline
from compliance.policy import DEFAULT_DP_EPSILON_BUDGET, POLICY_DIR, load_policy
from compliance.vault import (
    VAULT_SCHEMA,
    MasterKey,
    VaultEncryptor,
    VaultKeyError,
    WrappedKey,
    decrypt_value,
    rewrap,
)
from compliance.vocabulary import Domain
from include.db.vault import bytea_hex

MASTER = MasterKey.from_text("vault-unit-test-master-key-0123456789")
OTHER = MasterKey.from_text("another-vault-master-key-9876543210")
TOKENIZER = Tokenizer(TokenKey("k1", b"vault-unit-test-token-key-0123"))


def _entries(encryptor: VaultEncryptor, values: list[str], id_type: str = "SSN") -> pa.Table:
    tokens = [TOKENIZER.token(id_type, v) for v in values]
    return encryptor.encrypt(
        pa.array([id_type] * len(values)), pa.array(tokens, pa.string()), pa.array(values, pa.string())
    )


def _decrypt_all(entries: pa.Table, wrapped: WrappedKey, master: MasterKey) -> dict[str, str]:
    data_key = wrapped.unwrap(master)
    return {
        row["token"]: decrypt_value(data_key, row["token"], row["nonce"], row["ciphertext"])
        for row in entries.to_pylist()
    }


# -- keys and entries -----------------------------------------------------------------------------------
def test_round_trip_one_entry_per_distinct_token() -> None:
    encryptor = VaultEncryptor.new(MASTER)
    values = ["123-45-6789", "987-65-4321", "123-45-6789", "123456789"]  # the last: same token as the first
    entries = _entries(encryptor, values)
    assert entries.schema == VAULT_SCHEMA
    assert entries.num_rows == 2
    assert set(entries.column("key_id").to_pylist()) == {encryptor.key_id}
    revealed = _decrypt_all(entries, encryptor.wrapped_key, MASTER)
    assert revealed == {TOKENIZER.token("SSN", "123-45-6789"): "123-45-6789",
                        TOKENIZER.token("SSN", "987-65-4321"): "987-65-4321"}  # fmt: skip


def test_ciphertext_and_wrapped_key_hold_no_plaintext() -> None:
    encryptor = VaultEncryptor.new(MASTER)
    value = "Jonathan Quincy Appleseed"
    entries = _entries(encryptor, [value], "PERSON_NAME")
    stored = entries.column("ciphertext")[0].as_py() + entries.column("nonce")[0].as_py()
    assert value.encode() not in stored
    assert b"Appleseed" not in stored
    wrapped = encryptor.wrapped_key
    assert MASTER.secret not in wrapped.wrapped
    assert "secret=<redacted>" in repr(MASTER)
    assert "vault-unit-test" not in repr(MASTER) + str(wrapped.to_json())


def test_wrong_master_key_cannot_unwrap() -> None:
    encryptor = VaultEncryptor.new(MASTER)
    entries = _entries(encryptor, ["111-22-3333"])
    with pytest.raises(VaultKeyError, match="wrapped by master key"):
        _decrypt_all(entries, encryptor.wrapped_key, OTHER)
    # Even told it is the right one, the other key's AES-GCM unwrap fails its tag.
    forged = WrappedKey(encryptor.key_id, OTHER.key_id, encryptor.wrapped_key.wrapped)
    with pytest.raises(VaultKeyError, match="cannot be unwrapped") as caught:
        forged.unwrap(OTHER)
    assert "111-22-3333" not in str(caught.value)


def test_entry_is_bound_to_its_token() -> None:
    encryptor = VaultEncryptor.new(MASTER)
    entries = _entries(encryptor, ["111-22-3333", "444-55-6666"]).to_pylist()
    data_key = encryptor.wrapped_key.unwrap(MASTER)
    first, second = entries
    with pytest.raises(VaultKeyError, match="cannot be decrypted") as caught:
        decrypt_value(data_key, second["token"], first["nonce"], first["ciphertext"])
    assert "111-22-3333" not in str(caught.value)


def test_rotation_rewraps_and_old_master_no_longer_opens() -> None:
    encryptor = VaultEncryptor.new(MASTER)
    entries = _entries(encryptor, ["222-33-4444"])
    rotated = rewrap(encryptor.wrapped_key, MASTER, OTHER)
    assert rotated.master_key_id == OTHER.key_id and rotated.key_id == encryptor.key_id
    assert rotated.wrapped != encryptor.wrapped_key.wrapped
    assert list(_decrypt_all(entries, rotated, OTHER).values()) == ["222-33-4444"]
    with pytest.raises(VaultKeyError):
        _decrypt_all(entries, rotated, MASTER)
    with pytest.raises(VaultKeyError):
        MASTER.unwrap(rotated.key_id, rotated.wrapped)


def test_master_key_from_environment() -> None:
    key = MasterKey.from_env({"SDP_VAULT_KEY": "vault-unit-test-master-key-0123456789"})
    assert key.key_id == MASTER.key_id and key.secret == MASTER.secret  # deterministic derivation
    assert MasterKey.optional_from_env({}) is None
    with pytest.raises(VaultKeyError, match="is not set"):
        MasterKey.from_env({})
    with pytest.raises(VaultKeyError, match="shorter than"):
        MasterKey.from_env({"SDP_VAULT_KEY": "short"})
    same = "one-secret-for-both-keys-0123456789"
    with pytest.raises(VaultKeyError, match="must differ from SDP_TOKEN_KEY") as caught:
        MasterKey.from_env({"SDP_VAULT_KEY": same, "SDP_TOKEN_KEY": same})
    assert same not in str(caught.value)


def test_wrapped_key_json_round_trip() -> None:
    wrapped = VaultEncryptor.new(MASTER).wrapped_key
    assert WrappedKey.from_json(wrapped.to_json()) == wrapped


def test_bytea_hex_matches_bytes_hex() -> None:
    values = [b"", b"\x00\xff", bytes(range(40)), b"abc"]
    array = pa.array(values, pa.binary()).slice(1)
    assert bytea_hex(array).to_pylist() == ["\\x" + v.hex() for v in values[1:]]


# -- the pipeline -----------------------------------------------------------------------------------------
TOKEN_PATTERN = re.compile(r"\b([A-Z][A-Z0-9_]*?)_k1_[a-z2-7]{24}(?:_\d{4})?")


@pytest.fixture(scope="module")
def mixed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vault") / "mixed.csv"
    write_dataset("mixed", 3000, path, seed=41)
    return path


def _run(path: Path, vault: VaultEncryptor | None) -> tuple[list[pa.RecordBatch], pa.Table]:
    pipeline = CompliancePipeline(domain="auto", tokenizer=TOKENIZER, vault=vault)
    batches, entries = [], []
    for chunk in FileReader(path, batch_rows=1000):
        result = pipeline.process(chunk.batch, chunk.rows)
        batches.append(result.batch)
        entries.append(result.vault)
    return batches, pa.concat_tables(entries)


def test_pipeline_vault_entries_are_exactly_the_reversible_tokens_of_the_output(mixed_file: Path) -> None:
    encryptor = VaultEncryptor.new(MASTER)
    batches, entries = _run(mixed_file, encryptor)
    policy = load_policy("mixed")
    reversible = policy.reversible_types
    in_output = set()
    for batch in batches:
        for column in batch.columns:
            for text in column.to_pylist():
                for match in TOKEN_PATTERN.finditer(text or ""):
                    if match.group(1) in reversible:
                        in_output.add(match.group(0))
    # The generator also writes values that are tokens already (pseudonymised upstream): kept as
    # they are, they have no original to store.
    in_input = {match.group(0) for match in TOKEN_PATTERN.finditer(mixed_file.read_text())}
    stored = set(entries.column("token").to_pylist())
    assert len(in_output - in_input) > 1000
    assert stored == in_output - in_input  # nothing missing, nothing that is not in the output
    assert set(entries.column("id_type").to_pylist()) <= reversible
    assert not {"UNRECOGNISED_SENSITIVE", "CREDIT_CARD", "URL"} & set(entries.column("id_type").to_pylist())
    # Each entry decrypts to a value whose token it is (free-text fragments included).
    data_key = encryptor.wrapped_key.unwrap(MASTER)
    for row in entries.slice(0, 300).to_pylist():
        value = decrypt_value(data_key, row["token"], row["nonce"], row["ciphertext"])
        assert TOKENIZER.token(row["id_type"], value) == row["token"]


def test_pipeline_without_vault_writes_no_entries_and_same_output(mixed_file: Path) -> None:
    without, entries = _run(mixed_file, None)
    with_vault, _ = _run(mixed_file, VaultEncryptor.new(MASTER))
    assert entries.num_rows == 0
    assert [b.to_pylist() for b in without] == [b.to_pylist() for b in with_vault]


# -- the policy ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("domain", [d.value for d in Domain])
def test_packaged_policies_name_reversible_types_and_a_budget(domain: str) -> None:
    policy = load_policy(domain)
    assert {"PERSON_NAME", "SSN", "MRN", "EMAIL", "PHONE", "IBAN"} <= policy.reversible_types
    assert "UNRECOGNISED_SENSITIVE" not in policy.reversible_types
    assert all(policy.types[t].anonymizer == "tokenize" for t in policy.reversible_types)
    assert policy.dp_epsilon_budget == 10.0


def _policy_file(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load((POLICY_DIR / "healthcare.yaml").read_text())
    change(raw)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_reversible_only_with_tokenize(tmp_path: Path) -> None:
    def card(raw: dict) -> None:
        raw["types"]["CREDIT_CARD"]["reversible"] = True

    with pytest.raises(
        ValueError, match=r"types.CREDIT_CARD.reversible.*only a type anonymized by 'tokenize'"
    ):
        load_policy("healthcare", _policy_file(tmp_path, card))


def test_reversible_must_be_a_boolean(tmp_path: Path) -> None:
    def text(raw: dict) -> None:
        raw["types"]["SSN"]["reversible"] = "yes"

    with pytest.raises(ValueError, match="must be true or false"):
        load_policy("healthcare", _policy_file(tmp_path, text))


def test_reversible_defaults_to_false_and_budget_to_default(tmp_path: Path) -> None:
    def strip(raw: dict) -> None:
        raw.pop("dp_epsilon_budget")
        for rule in raw["types"].values():
            rule.pop("reversible", None)

    policy = load_policy("healthcare", _policy_file(tmp_path, strip))
    assert policy.reversible_types == frozenset()
    assert policy.dp_epsilon_budget == DEFAULT_DP_EPSILON_BUDGET


@pytest.mark.parametrize("budget", [0, -1.5, True, "ten", float("inf")])
def test_dp_epsilon_budget_must_be_positive(tmp_path: Path, budget: object) -> None:
    def bad(raw: dict) -> None:
        raw["dp_epsilon_budget"] = budget

    with pytest.raises(ValueError, match="dp_epsilon_budget' must be a number > 0"):
        load_policy("healthcare", _policy_file(tmp_path, bad))
