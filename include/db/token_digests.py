"""The token digests of records, computed from Arrow data as PostgreSQL's sdp_token_digests(payload)
(migration 0009) finds them in the payload's JSON text, for the data_records.token_digests column
(migration 0012) the loader fills.

sdp_token_digests splits the payload text on "_" and keeps the first 24 characters of each piece
that starts with 24 of [a-z2-7]. In the payload's JSON text every key and value is a quoted string,
and neither the quote nor the backslash of a JSON escape is in that class, so a digest never spans
two strings or starts inside an escape: the digests of a payload are those found in each of its
keys and values alone, after one of their own "_". That is what is computed here, per column and
vectorised; the column holds them distinct and sorted (lookups use it as a set).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DIGEST_CHARS = 24
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


def record_token_digests(columns: Sequence[pa.Array], names: Sequence[str]) -> pa.ListArray:
    """Per row: the sorted distinct digests of its values (`columns`, strings) and of the keys
    (`names`, in every row's payload), as a list<string> array."""
    count = len(columns[0]) if columns else 0
    key_digests = text_digests(pa.array(list(names), pa.string()))[1].to_pylist()
    rows, digests = [], []
    for column in columns:
        found_rows, found = text_digests(column)
        rows.append(found_rows)
        digests.append(found)
    for digest in key_digests:
        rows.append(np.arange(count))
        digests.append(pa.array([digest] * count, pa.string()))
    if not any(len(r) for r in rows):
        return pa.ListArray.from_arrays(
            pa.array(np.zeros(count + 1, dtype=np.int32)), pa.array([], pa.string())
        )
    found = pa.table({"row": np.concatenate(rows), "digest": pa.concat_arrays(digests)})
    found = found.sort_by([("row", "ascending"), ("digest", "ascending")])
    row = found.column("row").to_numpy()
    digest = found.column("digest").combine_chunks()
    distinct = np.ones(len(row), dtype=bool)
    if len(row) > 1:
        same_row = row[1:] == row[:-1]
        same_digest = pc.equal(digest.slice(1), digest.slice(0, len(digest) - 1)).to_numpy(
            zero_copy_only=False
        )
        distinct[1:] = ~(same_row & same_digest)
    row, digest = row[distinct], digest.filter(pa.array(distinct))
    offsets = np.zeros(count + 1, dtype=np.int32)
    np.cumsum(np.bincount(row, minlength=count), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), digest)


def array_literals(digests: pa.ListArray) -> pa.Array:
    """PostgreSQL text[] literals ({a,b}) of digest lists, for COPY in CSV (digests need no quoting)."""
    joined = pc.binary_join(digests, ",")
    return pc.binary_join_element_wise("{", joined, "}", "")
