"""The token keys of include/db/token_digests.py: the arithmetic of a digest's key (checked against
an independent base32 decoding) and the per-row key lists of record_token_keys."""

from __future__ import annotations

import base64
import random

import pyarrow as pa

from include.db.token_digests import array_literals, digest_keys, record_token_keys


def reference_key(digest: str) -> int:
    """The first 12 base32 characters as a 60-bit integer, through the standard library: 16
    characters decode to 80 bits, of which the top 60 are the key."""
    return int.from_bytes(base64.b32decode(digest[:16].upper()), "big") >> 20


def test_keys_are_the_leading_base32_characters_as_an_integer() -> None:
    rng = random.Random(15)
    digests = ["a" * 24, "7" * 24, "b" + "a" * 23, "a" * 11 + "b" + "7" * 12, "234567" * 4]
    digests += [base64.b32encode(rng.randbytes(15)).decode().lower() for _ in range(500)]
    keys = digest_keys(pa.array(digests))
    assert keys.tolist() == [reference_key(d) for d in digests]
    assert keys[0] == 0 and keys[1] == 2**60 - 1 and keys[2] == 2**55 and keys[3] == 1


def test_keys_of_a_sliced_array_are_those_of_its_own_values() -> None:
    digests = pa.array(["c" * 24, "d" * 24, "e" * 24, "f" * 24])
    assert digest_keys(digests.slice(1, 2)).tolist() == [reference_key("d" * 24), reference_key("e" * 24)]
    assert digest_keys(pa.array([], pa.string())).tolist() == []


def test_record_keys_are_per_row_distinct_sorted_and_include_the_names() -> None:
    first, second, name = "b" * 24, "7" * 24, "q" * 24
    notes = pa.array([f"SSN_k1_{second} and _{first}", None, f"x_{first}_{first}", "none here"])
    contact = pa.array([f"EMAIL_k1_{first}", "", f"_{second[:23]}", None])
    keys = record_token_keys([notes, contact], ["notes", f"key_{name}"])
    expected_pairs = [
        sorted({reference_key(first), reference_key(second), reference_key(name)}),
        [reference_key(name)],
        sorted({reference_key(first), reference_key(name)}),
        [reference_key(name)],
    ]
    assert keys.to_pylist() == expected_pairs
    literals = array_literals(keys).to_pylist()
    assert literals[1] == "{" + str(reference_key(name)) + "}"
    assert literals[0] == "{" + ",".join(map(str, expected_pairs[0])) + "}"


def test_rows_without_digests_get_empty_lists() -> None:
    keys = record_token_keys([pa.array(["a", None, "_short"])], ["plain"])
    assert keys.to_pylist() == [[], [], []]
    assert array_literals(keys).to_pylist() == ["{}", "{}", "{}"]
    assert record_token_keys([], []).to_pylist() == []
