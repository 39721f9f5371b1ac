"""The token digests of records, computed from Arrow data as PostgreSQL's sdp_token_digests(payload)
(migration 0009) finds them in the payload's JSON text, and their bigint keys, for the
data_records.token_keys column (migration 0014) the loader and the stream consumer fill.

sdp_token_digests splits the payload text on "_" and keeps the first 24 characters of each piece
that starts with 24 of [a-z2-7]. In the payload's JSON text every key and value is a quoted string,
and neither the quote nor the backslash of a JSON escape is in that class, so a digest never spans
two strings or starts inside an escape: the digests of a payload are those found in each of its
keys and values alone, after one of their own "_". That is what is computed here, per column and
vectorised; the column holds their keys distinct and sorted (lookups use it as a set).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DIGEST_CHARS = 24
# A digest's key (migration 0014): its first 12 base32 characters, 60 bits.
KEY_CHARS = 12
_CANDIDATE = "_[a-z2-7]{24}"
_PIECE = "^[a-z2-7]{24}"
# sdp_token_digest(token) (migration 0009): a whole token ends in _<digest>[_dddd].
_TOKEN_DIGEST = "_(?P<digest>[a-z2-7]{24})(?:_[0-9]{4})?$"


def text_digests(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(index into `values`, digest) of every digest in a string array, in order."""
    hits = np.flatnonzero(
        pc.match_substring_regex(values, _CANDIDATE).fill_null(False).to_numpy(zero_copy_only=False)
    )
    if not hits.size:
        return hits, pa.array([], pa.string())
    pieces = pc.split_pattern(values.take(pa.array(hits)), "_")
    flat = pieces.flatten()
    parents = pc.list_parent_indices(pieces).to_numpy()
    # The piece before a value's first "_" follows no "_" of its own.
    starts = pieces.offsets.to_numpy()[:-1] - pieces.offsets[0].as_py()
    after_separator = np.ones(len(flat), dtype=bool)
    after_separator[starts] = False
    keep = after_separator & pc.match_substring_regex(flat, _PIECE).to_numpy(zero_copy_only=False)
    digests = pc.utf8_slice_codeunits(flat.filter(pa.array(keep)), 0, DIGEST_CHARS)
    return hits[parents[keep]], digests


def token_digest(tokens: pa.Array) -> pa.Array:
    """The digest of each whole token, as PostgreSQL's sdp_token_digest(token) returns it (null for
    a value not shaped like a token), for the identity_vault.token_digest column (migration 0013).
    A match must end the value and has one of two fixed lengths that cannot both match, so the
    first match found is the only one, whichever regular expression engine looks."""
    return pc.struct_field(pc.extract_regex(tokens.cast(pa.string()), _TOKEN_DIGEST), [0])


def digest_keys(digests: pa.Array) -> np.ndarray:
    """The key of each digest (int64), as PostgreSQL's sdp_digest_key(digest) computes it (migration
    0014): its first KEY_CHARS base32 characters read as one integer, a character being worth
    (its code - 24) mod 73 ('a'..'z' -> 0..25, '2'..'7' -> 26..31). Digests are ASCII and at least
    KEY_CHARS long, so the characters are the bytes at each value's offset."""
    digests = digests.cast(pa.string())
    if not len(digests):
        return np.zeros(0, dtype=np.int64)
    start = digests.offset
    offsets = np.frombuffer(digests.buffers()[1], dtype=np.int32)[start : start + len(digests)]
    data = np.frombuffer(digests.buffers()[2], dtype=np.uint8)
    chars = data[offsets[:, None] + np.arange(KEY_CHARS)].astype(np.int64)
    values = (chars - 24) % 73
    return (values << (5 * np.arange(KEY_CHARS - 1, -1, -1, dtype=np.int64))).sum(axis=1)


def record_token_keys(columns: Sequence[pa.Array], names: Sequence[str]) -> pa.ListArray:
    """Per row: the sorted distinct keys of the digests of its values (`columns`, strings) and of
    the keys (`names`, in every row's payload), as a list<int64> array: what sdp_token_keys(payload)
    returns for the payload built from them (migration 0014)."""
    count = len(columns[0]) if columns else 0
    name_keys = digest_keys(text_digests(pa.array(list(names), pa.string()))[1])
    rows, keys = [], []
    for column in columns:
        found_rows, found = text_digests(column)
        rows.append(found_rows)
        keys.append(digest_keys(found))
    for key in name_keys:
        rows.append(np.arange(count))
        keys.append(np.full(count, key, dtype=np.int64))
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    order = np.lexsort((key, row))
    row, key = row[order], key[order]
    distinct = np.ones(len(row), dtype=bool)
    distinct[1:] = (row[1:] != row[:-1]) | (key[1:] != key[:-1])
    row, key = row[distinct], key[distinct]
    offsets = np.zeros(count + 1, dtype=np.int32)
    np.cumsum(np.bincount(row, minlength=count), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(key, pa.int64()))


def array_literals(keys: pa.ListArray) -> pa.Array:
    """PostgreSQL bigint[] literals ({1,2}) of key lists, for COPY in CSV (integers need no quoting)."""
    joined = pc.binary_join(pc.cast(keys, pa.list_(pa.string())), ",")
    return pc.binary_join_element_wise("{", joined, "}", "")
