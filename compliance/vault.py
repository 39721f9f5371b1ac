"""Envelope encryption for the re-identification vault (pure: no database, no engine).

For identifier types whose policy says `reversible: true`, an engine stores, beside each token it
writes, the original value encrypted with AES-256-GCM (the token as associated data, so a
ciphertext cannot be moved to another token). Each job encrypts under a random data key of its own;
the data key is stored only wrapped (AES-256-GCM again, its key id as associated data) by the
master key. The master key is derived with HKDF-SHA256 from SDP_VAULT_KEY, a secret separate from
the tokenization key, and is identified by a short fingerprint. Rotating the master key re-wraps
the data keys and leaves every vault entry as it is.

    master = MasterKey.from_env()                       # VaultKeyError when missing or too short
    encryptor = VaultEncryptor.new(master)              # a fresh data key for this job
    entries = encryptor.encrypt(id_types, tokens, values)   # Arrow table, VAULT_SCHEMA
    value = decrypt_value(master.unwrap(key_id, wrapped), token, nonce, ciphertext)

Messages of VaultKeyError never contain key material, tokens' values or plaintext.
"""

from __future__ import annotations

import base64
import hmac
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from compliance.anonymize.tokenize import KEY_ENV as TOKEN_KEY_ENV

VAULT_KEY_ENV = "SDP_VAULT_KEY"
MIN_MASTER_KEY_BYTES = 16
DATA_KEY_BYTES = 32
NONCE_BYTES = 12
# HKDF `info` strings: fixed, so one SDP_VAULT_KEY always gives the same key and fingerprint.
_MASTER_INFO = b"sdp vault master key v1"
_FINGERPRINT_INFO = b"sdp vault master key fingerprint v1"
_WRAP_CONTEXT = b"sdp vault data key\x1f"

VAULT_SCHEMA = pa.schema(
    [
        pa.field("token", pa.string(), nullable=False),
        pa.field("id_type", pa.string(), nullable=False),
        pa.field("key_id", pa.string(), nullable=False),
        pa.field("nonce", pa.binary(), nullable=False),
        pa.field("ciphertext", pa.binary(), nullable=False),
    ]
)


class VaultKeyError(ValueError):
    """A vault key is missing, unusable or not the one that encrypted an entry. Messages never
    contain key material or values."""


def _hkdf(secret: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


@dataclass(frozen=True, repr=False)
class MasterKey:
    """The key that wraps data keys; `key_id` is a fingerprint that names it in vault_data_keys."""

    key_id: str
    secret: bytes

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r}, secret=<redacted>)"

    __str__ = __repr__

    @classmethod
    def from_text(cls, text: str, *, name: str = VAULT_KEY_ENV) -> MasterKey:
        """The master key derived from a secret text (e.g. `secrets.token_urlsafe(32)`); `name`
        says where the text came from, for the error message."""
        raw = (text or "").strip().encode("utf-8")
        if not raw:
            raise VaultKeyError(f"{name} is not set: the vault needs a master key")
        if len(raw) < MIN_MASTER_KEY_BYTES:
            raise VaultKeyError(f"{name} is shorter than {MIN_MASTER_KEY_BYTES} bytes")
        fingerprint = _hkdf(raw, _FINGERPRINT_INFO, 8).hex()
        return cls(key_id=f"m{fingerprint}", secret=_hkdf(raw, _MASTER_INFO, 32))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, name: str = VAULT_KEY_ENV) -> MasterKey:
        """The master key from SDP_VAULT_KEY (or the variable `name`). Raises VaultKeyError."""
        env = os.environ if environ is None else environ
        text = env.get(name, "")
        token_key = env.get(TOKEN_KEY_ENV, "")
        if text.strip() and hmac.compare_digest(text.strip().encode(), token_key.strip().encode()):
            raise VaultKeyError(
                f"{name} must differ from {TOKEN_KEY_ENV}: the vault key is a secret of its own"
            )
        return cls.from_text(text, name=name)

    @classmethod
    def optional_from_env(cls, environ: Mapping[str, str] | None = None) -> MasterKey | None:
        """The master key when SDP_VAULT_KEY is set (engines then write vault entries), else None;
        a set but unusable key still raises VaultKeyError."""
        env = os.environ if environ is None else environ
        return cls.from_env(env) if env.get(VAULT_KEY_ENV, "").strip() else None

    def wrap(self, data_key: DataKey) -> bytes:
        """nonce || AES-256-GCM(data key), bound to the data key's id."""
        nonce = os.urandom(NONCE_BYTES)
        aad = _WRAP_CONTEXT + data_key.key_id.encode("ascii")
        return nonce + AESGCM(self.secret).encrypt(nonce, data_key.secret, aad)

    def unwrap(self, key_id: str, wrapped: bytes) -> DataKey:
        """The data key `key_id` from its wrapped form; VaultKeyError with another master key."""
        wrapped = bytes(wrapped)
        aad = _WRAP_CONTEXT + key_id.encode("ascii")
        try:
            secret = AESGCM(self.secret).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
        except (InvalidTag, ValueError):
            raise VaultKeyError(
                f"data key {key_id} cannot be unwrapped with master key {self.key_id}: "
                "wrong master key or altered key"
            ) from None
        return DataKey(key_id=key_id, secret=secret)


@dataclass(frozen=True, repr=False)
class DataKey:
    """A job's key for its vault entries (random; never stored unwrapped)."""

    key_id: str
    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != DATA_KEY_BYTES:
            raise VaultKeyError(f"a data key is {DATA_KEY_BYTES} bytes")

    def __repr__(self) -> str:
        return f"DataKey(key_id={self.key_id!r}, secret=<redacted>)"

    __str__ = __repr__

    @classmethod
    def generate(cls) -> DataKey:
        return cls(key_id=uuid.uuid4().hex, secret=os.urandom(DATA_KEY_BYTES))


@dataclass(frozen=True)
class WrappedKey:
    """A data key as it is stored and shipped (manifests, engine workers): wrapped, with the
    fingerprint of the master key that wrapped it."""

    key_id: str
    master_key_id: str
    wrapped: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "key_id": self.key_id,
            "master_key_id": self.master_key_id,
            "wrapped_key": base64.b64encode(self.wrapped).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> WrappedKey:
        return cls(data["key_id"], data["master_key_id"], base64.b64decode(data["wrapped_key"]))

    def unwrap(self, master: MasterKey) -> DataKey:
        if master.key_id != self.master_key_id:
            raise VaultKeyError(
                f"data key {self.key_id} is wrapped by master key {self.master_key_id}, "
                f"not by {master.key_id} ({VAULT_KEY_ENV} is not the key that wrapped it)"
            )
        return master.unwrap(self.key_id, self.wrapped)


def rewrap(wrapped: WrappedKey, old: MasterKey, new: MasterKey) -> WrappedKey:
    """`wrapped` re-wrapped from the `old` master key to the `new` one (the data key is unchanged)."""
    data_key = wrapped.unwrap(old)
    return WrappedKey(data_key.key_id, new.key_id, new.wrap(data_key))


class VaultEncryptor:
    """Encrypts vault entries under one data key; `wrapped_key` is what gets stored with them."""

    def __init__(self, data_key: DataKey, wrapped_key: WrappedKey) -> None:
        if data_key.key_id != wrapped_key.key_id:
            raise VaultKeyError("the wrapped key is not the data key's")
        self._cipher = AESGCM(data_key.secret)
        self.key_id = data_key.key_id
        self.wrapped_key = wrapped_key

    def __repr__(self) -> str:
        return f"VaultEncryptor(key_id={self.key_id!r})"

    @classmethod
    def new(cls, master: MasterKey) -> VaultEncryptor:
        """A fresh data key, wrapped by `master` (one per job)."""
        data_key = DataKey.generate()
        return cls(data_key, WrappedKey(data_key.key_id, master.key_id, master.wrap(data_key)))

    @classmethod
    def for_workers(cls, wrapped_key: WrappedKey, master: MasterKey) -> VaultEncryptor:
        """The job's encryptor on an engine worker: its wrapped data key unwrapped with the master
        key of the worker's environment (the unwrapped key never travels)."""
        return cls(wrapped_key.unwrap(master), wrapped_key)

    def encrypt(self, id_types: pa.Array, tokens: pa.Array, values: pa.Array) -> pa.Table:
        """One entry per distinct token (the first value seen for it; nulls skipped), VAULT_SCHEMA.
        Each value is encrypted with a random nonce, its token as associated data."""
        table = pa.table({"token": tokens, "id_type": id_types, "value": values})
        table = table.filter(pc.and_(pc.is_valid(table["token"]), pc.is_valid(table["value"])))
        if table.num_rows == 0:
            return VAULT_SCHEMA.empty_table()
        distinct = table.group_by("token", use_threads=False).aggregate(
            [("id_type", "first"), ("value", "first")]
        )
        token_list = distinct.column("token").to_pylist()
        value_list = distinct.column("value_first").to_pylist()
        count = len(token_list)
        randomness = os.urandom(NONCE_BYTES * count)
        nonces = [randomness[i : i + NONCE_BYTES] for i in range(0, NONCE_BYTES * count, NONCE_BYTES)]
        encrypt = self._cipher.encrypt
        ciphertexts = [
            encrypt(nonce, value.encode("utf-8"), token.encode("utf-8"))
            for nonce, token, value in zip(nonces, token_list, value_list, strict=True)
        ]
        return pa.table(
            [
                distinct.column("token"),
                distinct.column("id_type_first"),
                pa.array([self.key_id] * count, pa.string()),
                pa.array(nonces, pa.binary()),
                pa.array(ciphertexts, pa.binary()),
            ],
            schema=VAULT_SCHEMA,
        )


def decrypt_value(data_key: DataKey, token: str, nonce: bytes, ciphertext: bytes) -> str:
    """The original value of a vault entry; VaultKeyError when the key or the entry does not match."""
    try:
        plain = AESGCM(data_key.secret).decrypt(bytes(nonce), bytes(ciphertext), token.encode("utf-8"))
    except InvalidTag:
        raise VaultKeyError(
            f"vault entry cannot be decrypted with data key {data_key.key_id}: wrong key or altered entry"
        ) from None
    return plain.decode("utf-8")
