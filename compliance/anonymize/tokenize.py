"""Keyed, deterministic tokenization of direct identifiers (HMAC-SHA256), and GPS coarsening.

A token is `<TYPE>_<keyid>_<digest>` where digest is the first 120 bits of
HMAC-SHA256(secret, keyid 0x1f TYPE 0x1f normalised value), base32 (RFC 4648, lower case, no padding).
The same key, type and value give the same token in every file, process and engine (Spark, Flink, the
stream consumer), so tokenized columns still join; the key id in the token lets keys rotate without
ambiguity. 120 bits keep the birthday-collision probability below 1e-17 even for 10^9 distinct values.
Cards may keep their last 4 digits for display (PCI DSS 3.4 truncation): `..._<digest>_4242`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.buffers import string_buffers, trim_whitespace
from compliance.coordinates import positions_as_pairs
from compliance.vocabulary import IdType

try:  # C batch HMAC (native/hmac_batch.c), built when the project is installed
    from compliance.anonymize import _hmac_batch
except ImportError:  # not built, or imported from a zip (Spark executors): the hashlib loop below
    _hmac_batch = None

KEY_ENV = "SDP_TOKEN_KEY"
KEY_ID_ENV = "SDP_TOKEN_KEY_ID"
DEFAULT_KEY_ID = "k1"
MIN_KEY_BYTES = 16

DIGEST_BYTES = 15  # 120 bits -> 24 base32 characters
DIGEST_CHARS = DIGEST_BYTES * 8 // 5
_KEY_ID_PATTERN = r"[A-Za-z0-9]{1,16}"  # no "_": the token stays splittable even when TYPE contains "_"
_TYPE_PATTERN = r"[A-Z][A-Z0-9_]*"

TOKEN_REGEX = rf"^{_TYPE_PATTERN}_{_KEY_ID_PATTERN}_[a-z2-7]{{{DIGEST_CHARS}}}(?:_[0-9]{{4}})?$"
"""Matches one whole token (anchored), with or without the kept last 4 card digits."""


def is_token(values: pa.Array) -> np.ndarray:
    """Which values (text, as they are: not trimmed) are one whole token; null is not a token."""
    if len(values) == 0 or not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return np.zeros(len(values), dtype=bool)
    found = pc.fill_null(pc.match_substring_regex(values, TOKEN_REGEX), False)
    return found.to_numpy(zero_copy_only=False)


_SEPARATOR = b"\x1f"

# Formatting that must not change a token: separators people type inside the identifier. Single
# ASCII characters, removed from the UTF-8 bytes in one numpy pass (no multi-byte character holds
# an ASCII byte), ~5x cheaper than a literal replacement pass per separator.
_CARD_LIKE_SEPARATORS = (" ", "\t", "-")
_STRIP_SEPARATORS: dict[str, tuple[str, ...]] = {
    IdType.CREDIT_CARD: _CARD_LIKE_SEPARATORS,
    IdType.SSN: _CARD_LIKE_SEPARATORS,
    IdType.IBAN: _CARD_LIKE_SEPARATORS,
    IdType.BANK_ACCOUNT: _CARD_LIKE_SEPARATORS,
    IdType.PHONE: (*_CARD_LIKE_SEPARATORS, "(", ")", "."),
    # "943 476 5919" / "9434765919", "123.456.789-09", "AB 12 34 56 C", "850101-1234".
    IdType.NATIONAL_ID: (*_CARD_LIKE_SEPARATORS, ".", "/"),
}
assert all(len(c) == 1 and c.isascii() for chars in _STRIP_SEPARATORS.values() for c in chars)
_UPPER_CASE = frozenset({IdType.IBAN, IdType.NATIONAL_ID})
_LOWER_CASE = frozenset({IdType.EMAIL})


class TokenKeyError(ValueError):
    """The tokenization key is missing or unusable. Messages never contain key material."""


@dataclass(frozen=True, repr=False)
class TokenKey:
    key_id: str
    secret: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.key_id, str) or not re.fullmatch(_KEY_ID_PATTERN, self.key_id):
            raise TokenKeyError("token key id must be 1-16 letters or digits")
        if not isinstance(self.secret, bytes) or len(self.secret) < MIN_KEY_BYTES:
            raise TokenKeyError(f"token key must be at least {MIN_KEY_BYTES} bytes")

    def __repr__(self) -> str:
        return f"TokenKey(key_id={self.key_id!r}, secret=<redacted>)"

    __str__ = __repr__

    @classmethod
    def from_env(cls) -> TokenKey:
        """The key from SDP_TOKEN_KEY (utf-8) and its id from SDP_TOKEN_KEY_ID (default "k1")."""
        raw = os.environ.get(KEY_ENV)
        if not raw:
            raise TokenKeyError(f"{KEY_ENV} is not set: tokenization needs a secret key")
        secret = raw.encode("utf-8")
        if len(secret) < MIN_KEY_BYTES:
            raise TokenKeyError(f"{KEY_ENV} is shorter than {MIN_KEY_BYTES} bytes")
        key_id = os.environ.get(KEY_ID_ENV) or DEFAULT_KEY_ID
        if not re.fullmatch(_KEY_ID_PATTERN, key_id):
            raise TokenKeyError(f"{KEY_ID_ENV} must be 1-16 letters or digits")
        return cls(key_id=key_id, secret=secret)


def normalize_values(values: pa.Array, id_type: str) -> pa.Array:
    """The canonical form that is hashed, so formatting never changes a token."""
    text = values if pa.types.is_string(values.type) else values.cast(pa.string())
    text = trim_whitespace(text)
    separators = _STRIP_SEPARATORS.get(id_type)
    if separators:
        text = without_ascii(text, "".join(separators))
    if id_type in _LOWER_CASE:
        text = pc.utf8_lower(text)
    elif id_type in _UPPER_CASE:
        text = pc.utf8_upper(text)
    return text


def without_ascii(text: pa.Array, chars: str) -> pa.Array:
    """`text` (a string array) with every occurrence of the ASCII characters `chars` removed."""
    size = len(text)
    if size == 0 or text.buffers()[2] is None:
        return text
    offsets, data = string_buffers(text)
    data = data[offsets[0] : offsets[-1]]
    removed = np.zeros(256, dtype=bool)
    removed[np.frombuffer(chars.encode("ascii"), np.uint8)] = True
    drop = removed[data]
    if not drop.any():
        return text
    kept_before = np.zeros(data.size + 1, dtype=np.int64)
    np.cumsum(~drop, out=kept_before[1:])
    new_offsets = kept_before[offsets - offsets[0]].astype(np.int32)
    validity = None
    if text.null_count:
        validity = pa.py_buffer(
            np.packbits(text.is_valid().to_numpy(zero_copy_only=False), bitorder="little")
        )
    buffers = [validity, pa.py_buffer(new_offsets), pa.py_buffer(data[~drop])]
    return pa.Array.from_buffers(pa.string(), size, buffers, null_count=text.null_count)


def _base32(digests: np.ndarray) -> np.ndarray:
    """(n, 5*g) uint8 -> (n, 8*g) uint8 base32 characters (RFC 4648, lower case), vectorised."""
    groups = digests.reshape(len(digests), -1, 5)
    b0, b1, b2, b3, b4 = (groups[:, :, i] for i in range(5))
    symbols = np.empty((*groups.shape[:2], 8), dtype=np.uint8)
    symbols[:, :, 0] = b0 >> 3
    symbols[:, :, 1] = ((b0 & 7) << 2) | (b1 >> 6)
    symbols[:, :, 2] = (b1 >> 1) & 31
    symbols[:, :, 3] = ((b1 & 1) << 4) | (b2 >> 4)
    symbols[:, :, 4] = ((b2 & 15) << 1) | (b3 >> 7)
    symbols[:, :, 5] = (b3 >> 2) & 31
    symbols[:, :, 6] = ((b3 & 3) << 3) | (b4 >> 5)
    symbols[:, :, 7] = b4 & 31
    symbols = symbols.reshape(len(digests), -1)
    # 0-25 -> "a".."z", 26-31 -> "2".."7"
    return symbols + np.where(symbols < 26, np.uint8(ord("a")), np.uint8(ord("2") - 26))


def _spread(strings: pa.Array, valid: np.ndarray) -> pa.Array:
    """A string array with the values of `strings` (no nulls) in order at the rows where `valid`,
    nulls elsewhere, sharing the data buffer of `strings`."""
    if len(strings) == 0:
        return pa.nulls(valid.size, pa.string())
    offsets, _ = string_buffers(strings)
    rank = np.zeros(valid.size + 1, dtype=np.int64)
    np.cumsum(valid, out=rank[1:])
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    buffers = [bitmap, pa.py_buffer(offsets[rank]), strings.buffers()[2]]
    return pa.Array.from_buffers(pa.string(), valid.size, buffers, null_count=int(valid.size - rank[-1]))


def _fixed_width_strings(chars: np.ndarray) -> pa.Array:
    """A (n, width) uint8 matrix of ASCII characters as an Arrow string array, zero-copy."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(chars)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


class Tokenizer:
    """HMAC-SHA256 tokenizer. The HMAC inner/outer states are precomputed once from the key (RFC 2104),
    so each value costs two SHA-256 continuations instead of a full HMAC setup."""

    def __init__(self, key: TokenKey) -> None:
        block = key.secret if len(key.secret) <= 64 else hashlib.sha256(key.secret).digest()
        block = block.ljust(64, b"\0")
        self._key_id = key.key_id
        self._secret = key.secret
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self._inner_by_type: dict[str, hashlib._Hash] = {}

    def __repr__(self) -> str:
        return f"Tokenizer(key_id={self._key_id!r})"

    @property
    def key_id(self) -> str:
        return self._key_id

    def _inner_for(self, id_type: str) -> hashlib._Hash:
        """The inner HMAC state after the message prefix "keyid 0x1f TYPE 0x1f", cached per type."""
        inner = self._inner_by_type.get(id_type)
        if inner is None:
            inner = self._inner.copy()
            inner.update(_message_prefix(self._key_id, id_type))
            self._inner_by_type[id_type] = inner
        return inner

    def token(self, id_type: str, value: str, *, keep_last4: bool = False) -> str:
        """One token (~2 us). ASCII text takes a scalar path: Python's strip/lower/upper equal Arrow's
        on ASCII (the tests check both paths agree); anything else goes through the array path."""
        if not (isinstance(value, str) and value.isascii()):
            array = pa.array([value], pa.string())
            return self.tokenize_array(array, id_type, keep_last4=keep_last4)[0].as_py()
        id_type = _checked_type(id_type)
        text = value.strip()
        for separator in _STRIP_SEPARATORS.get(id_type, ()):
            text = text.replace(separator, "")
        if id_type in _LOWER_CASE:
            text = text.lower()
        elif id_type in _UPPER_CASE:
            text = text.upper()
        state = self._inner_for(id_type).copy()
        state.update(text.encode("ascii"))
        final = self._outer.copy()
        final.update(state.digest())
        digest = base64.b32encode(final.digest()[:DIGEST_BYTES]).decode("ascii").lower()
        token = f"{id_type}_{self._key_id}_{digest}"
        last4 = text[-4:]
        if keep_last4 and len(last4) == 4 and all(c in "0123456789" for c in last4):
            token = f"{token}_{last4}"
        return token

    def tokenize_array(
        self, values: pa.Array, id_type: str, *, keep_last4: bool = False, mostly_distinct: bool = False
    ) -> pa.Array:
        """Tokens for a column; nulls stay null. Each distinct value is hashed once, unless the caller
        knows the values hardly repeat (`mostly_distinct`): then hashing every row is cheaper than
        finding the distinct values first."""
        id_type = _checked_type(id_type)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if mostly_distinct and not pa.types.is_dictionary(values.type):
            if values.null_count == 0:
                return self._tokenize_distinct(normalize_values(values, id_type), id_type, keep_last4)
            # Only the non-null values are hashed; their tokens are spread back over the rows.
            present = values.drop_null()
            tokens = self._tokenize_distinct(normalize_values(present, id_type), id_type, keep_last4)
            return _spread(tokens, values.is_valid().to_numpy(zero_copy_only=False))
        encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values)
        distinct = normalize_values(encoded.dictionary, id_type)
        tokens = self._tokenize_distinct(distinct, id_type, keep_last4)
        return tokens.take(encoded.indices)

    def _tokenize_distinct(self, distinct: pa.Array, id_type: str, keep_last4: bool) -> pa.Array:
        tokens = _fixed_width_strings(self._token_chars(distinct, id_type, native=_hmac_batch is not None))
        if keep_last4:
            last4 = pc.utf8_slice_codeunits(distinct, start=-4)
            has_last4 = pc.and_(pc.equal(pc.utf8_length(last4), 4), pc.ascii_is_decimal(last4))
            with_last4 = pc.binary_join_element_wise(tokens, last4, "_")
            tokens = pc.if_else(pc.fill_null(has_last4, False), with_last4, tokens)
        return tokens

    def _token_chars(self, values: pa.Array, id_type: str, *, native: bool) -> np.ndarray:
        """(n, width) uint8: the token of each normalised value without the kept last 4 digits, as
        characters (a null hashes as ""). `native`: the C batch (HMAC and base32 in one call)."""
        prefix = f"{id_type}_{self._key_id}_".encode()
        binary = pc.fill_null(values, "").cast(pa.binary()) if values.null_count else values.cast(pa.binary())
        count = len(binary)
        if count == 0:
            return np.empty((0, len(prefix) + DIGEST_CHARS), dtype=np.uint8)
        if native:
            offsets, data = string_buffers(binary)
            message_prefix = _message_prefix(self._key_id, id_type)
            packed = _hmac_batch.tokens(
                self._secret, message_prefix, data, offsets.astype(np.int64), DIGEST_BYTES, prefix
            )
            return np.frombuffer(packed, dtype=np.uint8).reshape(count, len(prefix) + DIGEST_CHARS)
        inner_copy, outer_copy = self._inner_for(id_type).copy, self._outer.copy
        digests = []
        append = digests.append
        # hashlib has no batch API: the fallback loop is kept to C method calls (~0.7 us/value).
        for message in binary.to_pylist():
            state = inner_copy()
            state.update(message)
            final = outer_copy()
            final.update(state.digest())
            append(final.digest()[:DIGEST_BYTES])
        matrix = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(count, DIGEST_BYTES)
        chars = np.empty((count, len(prefix) + DIGEST_CHARS), dtype=np.uint8)
        chars[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
        chars[:, len(prefix) :] = _base32(matrix)
        return chars


def _message_prefix(key_id: str, id_type: str) -> bytes:
    """What the HMAC message starts with, before the normalised value: "keyid 0x1f TYPE 0x1f"."""
    return key_id.encode() + _SEPARATOR + id_type.encode() + _SEPARATOR


def _checked_type(id_type: str) -> str:
    id_type = str(id_type)
    if not re.fullmatch(_TYPE_PATTERN, id_type):
        raise ValueError(f"identifier type must match {_TYPE_PATTERN}, got {id_type!r}")
    return id_type


_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_COORDINATES = rf"^\s*(?P<lat>{_NUMBER})\s*(?:[,;\s]\s*(?P<lon>{_NUMBER})\s*)?$"


def coarsen_gps(values: pa.Array, decimals: int = 2) -> pa.Array:
    """Round coordinates (2 decimals ~ 1.1 km) so a location no longer points at one address.

    Numeric input gives float64; text input ("40.7128" or "40.7128,-74.0060") gives text with each
    coordinate rounded ("40.71,-74.01"). Anything that is not a coordinate becomes null.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        return pc.round(values.cast(pa.float64()), ndigits=decimals)
    text = values if pa.types.is_string(values.type) else values.cast(pa.string())
    parts = pc.extract_regex(positions_as_pairs(text), pattern=_COORDINATES)
    lat = pc.round(pc.struct_field(parts, [0]).cast(pa.float64()), ndigits=decimals).cast(pa.string())
    lon_text = pc.struct_field(parts, [1])
    has_lon = pc.greater(pc.utf8_length(lon_text), 0)
    lon_text = pc.if_else(has_lon, lon_text, pa.scalar(None, pa.string()))
    lon = pc.round(lon_text.cast(pa.float64()), ndigits=decimals).cast(pa.string())
    pair = pc.binary_join_element_wise(lat, lon, ",")
    return pc.if_else(pc.fill_null(has_lon, False), pair, lat)


_IPV4_HOST = (
    r"^\s*((?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){2})\.\d{1,3}\s*$"
)
# An octet's leading zeros ("010.001.002.003", as firewall logs pad them): dropped before the /24
# is taken, so a padded address is published as its network like any other.
_OCTET_PADDING = r"(^\s*|\.)0{1,2}(\d)"
_DOTTED_QUAD = r"^\s*\d{1,3}(?:\.\d{1,3}){3}\s*$"


def coarsen_ip(values: pa.Array, otherwise: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """An IP address -> its network in CIDR notation: the /24 of an IPv4 address ("192.168.7.41" ->
    "192.168.7.0/24", a padded "010.001.002.003" -> "10.1.2.0/24"), the /48 of an IPv6 one
    ("2001:db8:85a3::8a2e:370:7334" -> "2001:db8:85a3::/48"), neither of which names one host.
    Other values are replaced by `otherwise` (the tokenizer: fail closed)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = values if pa.types.is_string(values.type) else values.cast(pa.string())
    dotted = pc.fill_null(pc.match_substring_regex(text, _DOTTED_QUAD), False)
    unpadded = pc.if_else(dotted, pc.replace_substring_regex(text, _OCTET_PADDING, r"\1\2"), text)
    v4 = pc.fill_null(pc.match_substring_regex(unpadded, _IPV4_HOST), False)
    out = pc.if_else(v4, pc.replace_substring_regex(unpadded, _IPV4_HOST, r"\1.0/24"), text)
    rest = np.flatnonzero(~v4.to_numpy(zero_copy_only=False) & text.is_valid().to_numpy(zero_copy_only=False))
    if rest.size == 0:
        return out
    others = text.take(pa.array(rest))
    networks = [_ipv6_network(value) for value in others.to_pylist()]
    unknown = np.flatnonzero([n is None for n in networks])
    replaced = pa.array(networks, pa.string())
    if unknown.size:
        tokens = otherwise(others.take(pa.array(unknown)))
        mask = np.zeros(len(networks), dtype=bool)
        mask[unknown] = True
        replaced = pc.replace_with_mask(replaced, pa.array(mask), tokens.cast(pa.string()))
    mask = np.zeros(len(text), dtype=bool)
    mask[rest] = True
    return pc.replace_with_mask(out, pa.array(mask), replaced)


def _ipv6_network(value: str) -> str | None:
    import ipaddress

    try:
        address = ipaddress.IPv6Address(value.strip().split("%")[0])
    except ValueError:
        return None
    return str(ipaddress.IPv6Network((address, 48), strict=False))
