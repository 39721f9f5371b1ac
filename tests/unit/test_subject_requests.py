"""Pure logic of data-subject requests: token parsing and hashing for erasure, release checks and
the thresholded noisy counts (no database)."""

from __future__ import annotations

import re

import pytest

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from include.subjects.erasure import ErasureError, subject_hash, token_digest
from include.subjects.releases import ReleaseError, ReleaseRequest, _check, noisy_group_counts

TOKENS = Tokenizer(TokenKey("k1", b"unit-test-key-0123456789"))


@pytest.mark.parametrize(
    ("id_type", "value", "keep_last4"),
    [
        ("SSN", "123-45-6789", False),
        ("CREDIT_CARD", "4111 1111 1111 1111", True),
        ("EMAIL", "a@b.org", False),
    ],
)
def test_token_digest_is_the_24_characters_after_the_key_id(
    id_type: str, value: str, keep_last4: bool
) -> None:
    token = TOKENS.token(id_type, value, keep_last4=keep_last4)
    digest = token_digest(token)
    assert re.fullmatch(r"[a-z2-7]{24}", digest)
    assert token.startswith(f"{id_type}_k1_{digest}")


@pytest.mark.parametrize("bad", ["", "SSN", "SSN_k1_short", "ssn_k1_" + "a" * 24, "SSN_k1_" + "a" * 25, None])
def test_token_digest_refuses_what_is_not_a_token(bad) -> None:
    with pytest.raises(ErasureError) as raised:
        token_digest(bad)
    assert "not a token" in str(raised.value)


def test_subject_hash_is_keyed_and_stable() -> None:
    token = TOKENS.token("SSN", "123-45-6789")
    first = subject_hash(token, b"key-one-0123456789")
    assert first == subject_hash(token, b"key-one-0123456789")
    assert first != subject_hash(token, b"key-two-0123456789")
    assert token not in first and re.fullmatch(r"[0-9a-f]{64}", first)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (ReleaseRequest("nowhere", 1.0, ("city",)), "unknown dataset"),
        (ReleaseRequest("location", 0.0, ("city",)), "epsilon"),
        (ReleaseRequest("location", float("nan"), ("city",)), "epsilon"),
        (ReleaseRequest("location", 1.0, ()), "group by"),
        (ReleaseRequest("location", 1.0, ("city", "city")), "distinct"),
        (ReleaseRequest("location", 1.0, ("city",), mean_column="speed"), "bounds"),
        (ReleaseRequest("location", 1.0, ("city",), mean_column="speed", bounds=(5.0, 1.0)), "bounds"),
        (ReleaseRequest("location", 1.0, ("city",), mean_column="city", bounds=(0.0, 1.0)), "mean column"),
        (ReleaseRequest("location", 1.0, ("city",), delta=0.0), "delta"),
    ],
)
def test_release_requests_are_checked(request_: ReleaseRequest, message: str) -> None:
    with pytest.raises(ReleaseError, match=message):
        _check(request_)


def test_release_budget_comes_from_the_domain_policy() -> None:
    from compliance.policy import load_policy

    assert _check(ReleaseRequest("location", 1.0, ("city",))) == load_policy("location").dp_epsilon_budget


def test_noisy_counts_leave_out_groups_below_the_threshold() -> None:
    keys = ["big"] * 500 + ["small"] * 2
    counts, threshold = noisy_group_counts(keys, epsilon=1.0, delta=1e-7)
    # Threshold ~ 1 + ln(1/delta)/epsilon: a group of two cannot cross it (noise of scale 1).
    assert threshold >= 17
    assert set(counts) == {"big"} and abs(counts["big"] - 500) < 40


def test_smaller_epsilon_or_delta_needs_a_higher_threshold() -> None:
    _, base = noisy_group_counts(["a"], epsilon=1.0, delta=1e-6)
    _, less_epsilon = noisy_group_counts(["a"], epsilon=0.5, delta=1e-6)
    _, less_delta = noisy_group_counts(["a"], epsilon=1.0, delta=1e-9)
    assert less_epsilon > base and less_delta > base
