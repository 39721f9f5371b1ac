import base64
import hmac
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.anonymize import tokenize
from compliance.anonymize.tokenize import (
    TOKEN_REGEX,
    Tokenizer,
    TokenKey,
    TokenKeyError,
    coarsen_gps,
    normalize_values,
)
from compliance.buffers import trim_whitespace

SECRET = b"unit-test-secret-0123456789abcdef"
KEY = TokenKey("k1", SECRET)
REPO = Path(__file__).resolve().parents[2]
FLINK_PYTHON = REPO / ".venv-flink" / "bin" / "python"


def test_token_is_the_documented_hmac_sha256():
    digest = hmac.digest(SECRET, b"k1\x1fEMAIL\x1fa@b.com", "sha256")[:15]
    expected = "EMAIL_k1_" + base64.b32encode(digest).decode().lower()
    assert Tokenizer(KEY).token("EMAIL", "a@b.com") == expected


def test_deterministic_across_instances_and_between_scalar_and_array():
    values = pa.array(["123-45-6789", "987-65-4321", None, "123-45-6789"])
    first = Tokenizer(KEY).tokenize_array(values, "SSN")
    second = Tokenizer(TokenKey("k1", SECRET)).tokenize_array(values, "SSN")
    assert first.equals(second)
    assert first[0].as_py() == first[3].as_py() == Tokenizer(KEY).token("SSN", "123-45-6789")
    assert first[2].as_py() is None
    assert first[0].as_py() != first[1].as_py()


_CHILD = (
    "import sys; from compliance.anonymize.tokenize import TokenKey, Tokenizer; "
    "print(Tokenizer(TokenKey.from_env()).token('CREDIT_CARD', '4111 1111 1111 1111', keep_last4=True))"
)


@pytest.mark.parametrize("python", ["this venv", "flink venv"])
def test_deterministic_across_processes_and_engines(python):
    executable = sys.executable if python == "this venv" else str(FLINK_PYTHON)
    assert python != "flink venv" or FLINK_PYTHON.exists(), "make setup builds .venv-flink"
    env = {**os.environ, "SDP_TOKEN_KEY": SECRET.decode(), "SDP_TOKEN_KEY_ID": "k1", "PYTHONPATH": str(REPO)}
    child = subprocess.run([executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True)
    assert child.stdout.strip() == Tokenizer(KEY).token("CREDIT_CARD", "4111111111111111", keep_last4=True)


def test_different_keys_or_key_ids_give_different_tokens():
    value = "jane.doe@example.com"
    base = Tokenizer(KEY).token("EMAIL", value)
    other_secret = Tokenizer(TokenKey("k1", b"another-secret-0123456789")).token("EMAIL", value)
    rotated = Tokenizer(TokenKey("k2", SECRET)).token("EMAIL", value)
    assert len({base, other_secret, rotated}) == 3
    assert rotated.startswith("EMAIL_k2_")
    # The digest itself changes with the key id, not only the visible prefix.
    assert base.split("_")[-1] != rotated.split("_")[-1]


def test_type_is_part_of_the_token():
    tokenizer = Tokenizer(KEY)
    assert tokenizer.token("MRN", "12345").split("_")[-1] != tokenizer.token("NPI", "12345").split("_")[-1]


def test_format_matches_token_regex_with_and_without_last4():
    tokenizer = Tokenizer(KEY)
    plain = tokenizer.token("CREDIT_CARD", "4242 4242 4242 4242")
    truncated = tokenizer.token("CREDIT_CARD", "4242 4242 4242 4242", keep_last4=True)
    assert re.fullmatch(TOKEN_REGEX, plain)
    assert re.fullmatch(TOKEN_REGEX, truncated)
    assert truncated == plain + "_4242"
    assert re.fullmatch(TOKEN_REGEX, tokenizer.token("DATE_OF_BIRTH", "1984-03-15"))
    assert not re.fullmatch(TOKEN_REGEX, "4242 4242 4242 4242")
    assert not re.fullmatch(TOKEN_REGEX, "jane@example.com")
    assert not re.fullmatch(TOKEN_REGEX, plain + "x")


def test_last4_only_when_the_value_ends_in_four_digits():
    tokens = Tokenizer(KEY).tokenize_array(
        pa.array(["4111111111111111", "12a", None]), "CREDIT_CARD", keep_last4=True
    )
    assert tokens[0].as_py().endswith("_1111")
    assert re.fullmatch(TOKEN_REGEX, tokens[1].as_py()) and not tokens[1].as_py().endswith("_12a")
    assert tokens[2].as_py() is None


@pytest.mark.parametrize(
    ("id_type", "variants"),
    [
        ("CREDIT_CARD", ["4111 1111 1111 1111", "4111-1111-1111-1111", " 4111111111111111 "]),
        ("SSN", ["123-45-6789", "123 45 6789", "123456789"]),
        ("PHONE", ["(555) 123-4567", "555.123.4567", "555 123 4567", "5551234567"]),
        ("IBAN", ["DE89 3704 0044 0532 0130 00", "de89370400440532013000"]),
        ("EMAIL", ["Jane.Doe@Example.com", " jane.doe@example.com"]),
        ("PERSON_NAME", ["Jane Doe", "  Jane Doe "]),
    ],
)
def test_formatting_does_not_change_the_token(id_type, variants):
    tokens = Tokenizer(KEY).tokenize_array(pa.array(variants), id_type)
    assert len(set(tokens.to_pylist())) == 1


def test_different_names_stay_different():
    tokens = Tokenizer(KEY).tokenize_array(pa.array(["Jane Doe", "jane doe", "JaneDoe"]), "PERSON_NAME")
    assert len(set(tokens.to_pylist())) == 3


def test_accepts_chunked_dictionary_and_numeric_columns():
    tokenizer = Tokenizer(KEY)
    expected = tokenizer.token("MRN", "1001")
    chunked = pa.chunked_array([pa.array(["1001"]), pa.array([None, "1001"])])
    assert tokenizer.tokenize_array(chunked, "MRN").to_pylist() == [expected, None, expected]
    dictionary = pa.array(["1001", "1001"]).dictionary_encode()
    assert tokenizer.tokenize_array(dictionary, "MRN").to_pylist() == [expected, expected]
    assert tokenizer.tokenize_array(pa.array([1001]), "MRN").to_pylist() == [expected]


def test_rejects_types_that_would_break_the_format():
    with pytest.raises(ValueError, match="identifier type"):
        Tokenizer(KEY).token("email", "a@b.com")


def test_large_sample_is_collision_free():
    values = pa.array([f"patient-{i:07d}" for i in range(200_000)])
    tokens = Tokenizer(KEY).tokenize_array(values, "MRN")
    assert tokens.null_count == 0
    assert len(set(tokens.to_pylist())) == 200_000


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=300))
def test_tokens_are_deterministic_and_injective_on_normalised_values(values):
    array = pa.array(values, pa.string())
    first = Tokenizer(KEY).tokenize_array(array, "PASSPORT")
    again = Tokenizer(TokenKey("k1", SECRET)).tokenize_array(array, "PASSPORT")
    assert first.equals(again)
    assert all(re.fullmatch(TOKEN_REGEX, token) for token in first.to_pylist())
    normalised = normalize_values(array, "PASSPORT").to_pylist()
    token_of = dict(zip(normalised, first.to_pylist(), strict=True))
    assert len(set(token_of.values())) == len(token_of)  # distinct normalised values -> distinct tokens


def test_key_never_appears_in_repr_str_or_errors(monkeypatch):
    secret = "super-secret-value-0123456789"
    key = TokenKey("k1", secret.encode())
    tokenizer = Tokenizer(key)
    for text in (repr(key), str(key), repr(tokenizer), str(tokenizer), f"{key}", f"{key!r}"):
        assert secret not in text
        assert "redacted" in text or "Tokenizer" in text

    monkeypatch.delenv("SDP_TOKEN_KEY", raising=False)
    with pytest.raises(TokenKeyError, match="SDP_TOKEN_KEY is not set") as unset:
        TokenKey.from_env()
    assert "\n" not in str(unset.value)

    short = "tooshort-7"
    monkeypatch.setenv("SDP_TOKEN_KEY", short)
    with pytest.raises(TokenKeyError, match="shorter than 16 bytes") as too_short:
        TokenKey.from_env()
    assert short not in str(too_short.value)
    with pytest.raises(TokenKeyError) as direct:
        TokenKey("k1", short.encode())
    assert short not in str(direct.value)

    monkeypatch.setenv("SDP_TOKEN_KEY", secret)
    monkeypatch.setenv("SDP_TOKEN_KEY_ID", "bad_id")
    with pytest.raises(TokenKeyError) as bad_id:
        TokenKey.from_env()
    assert secret not in str(bad_id.value)
    with pytest.raises(ValueError) as bad_type:
        tokenizer.token("not a type", "x")
    assert secret not in str(bad_type.value)


def test_from_env_reads_key_and_default_key_id(monkeypatch):
    monkeypatch.setenv("SDP_TOKEN_KEY", SECRET.decode())
    monkeypatch.delenv("SDP_TOKEN_KEY_ID", raising=False)
    key = TokenKey.from_env()
    assert key.key_id == "k1" and key.secret == SECRET
    monkeypatch.setenv("SDP_TOKEN_KEY_ID", "k7")
    assert TokenKey.from_env().key_id == "k7"


def test_coarsen_gps_reads_wkt_points_longitude_first():
    text = pa.array(["POINT(-74.005974 40.712776)", "point z (2.352222 48.856613 35)"])
    assert coarsen_gps(text).to_pylist() == ["40.71,-74.01", "48.86,2.35"]


def test_coarsen_gps_numbers_and_text():
    assert coarsen_gps(pa.array([40.712776, -74.005974, None])).to_pylist() == [40.71, -74.01, None]
    assert coarsen_gps(pa.array([40.712776]), decimals=1).to_pylist() == [40.7]
    text = pa.array(["40.712776,-74.005974", " 51.5072 ; -0.1276 ", "48.8566", "not a place", "", None])
    assert coarsen_gps(text).to_pylist() == ["40.71,-74.01", "51.51,-0.13", "48.86", None, None, None]


_SCALAR_TYPES = ["CREDIT_CARD", "SSN", "PHONE", "IBAN", "EMAIL", "PERSON_NAME"]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(max_codepoint=127), max_size=25),
        st.text(max_size=25),
        st.from_regex(r"[0-9 \-]{0,20}", fullmatch=True),  # card-like: exercises the kept last 4
    ),
    st.sampled_from(_SCALAR_TYPES),
    st.booleans(),
)
def test_scalar_and_array_paths_agree(value, id_type, keep_last4):
    tokenizer = Tokenizer(KEY)
    from_array = tokenizer.tokenize_array(pa.array([value]), id_type, keep_last4=keep_last4)[0].as_py()
    assert tokenizer.token(id_type, value, keep_last4=keep_last4) == from_array


_TEXT = st.one_of(
    st.text(max_size=90),  # non-ASCII, and longer than one SHA-256 block
    st.text(alphabet=st.characters(max_codepoint=127), max_size=20),
    st.just(""),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(_TEXT, st.none()), max_size=60), st.integers(0, 5))
def test_native_and_hashlib_tokens_are_identical(values, start):
    """The C batch (native/hmac_batch.c) and the hashlib loop give the same token bytes, also on a
    sliced array (non-zero offset) and with nulls, which hash as the empty string."""
    assert tokenize._hmac_batch is not None, "pip install -e . builds native/hmac_batch.c (gcc, libssl-dev)"
    array = pa.array(values, pa.string()).slice(min(start, len(values)))
    tokenizer = Tokenizer(KEY)
    native = tokenizer._token_chars(array, "PASSPORT", native=True)
    pure = tokenizer._token_chars(array, "PASSPORT", native=False)
    assert native.tobytes() == pure.tobytes()
    expected = [
        "PASSPORT_k1_"
        + base64.b32encode(hmac.digest(SECRET, b"k1\x1fPASSPORT\x1f" + (value or "").encode(), "sha256")[:15])
        .decode()
        .lower()
        for value in array.to_pylist()
    ]
    assert pure.tobytes() == "".join(expected).encode()


def test_tokens_without_the_extension_are_the_same(monkeypatch):
    values = pa.array(["4111 1111 1111 1111", "", "éè 12", None, "x" * 100, "4111-1111-1111-1111"])
    with_native = Tokenizer(KEY).tokenize_array(values, "CREDIT_CARD", keep_last4=True)
    monkeypatch.setattr(tokenize, "_hmac_batch", None)
    assert Tokenizer(KEY).tokenize_array(values, "CREDIT_CARD", keep_last4=True).equals(with_native)


def test_native_rejects_bad_arguments_without_showing_the_key():
    assert tokenize._hmac_batch is not None
    secret = b"native-secret-key-0123456789"
    good = np.array([0, 4], dtype=np.int64)
    for offsets in (
        np.array([0, 4, 2], dtype=np.int64),
        np.array([0, 99], dtype=np.int64),
        good[:1].astype(np.int32),
    ):
        with pytest.raises(ValueError, match="offsets") as error:
            tokenize._hmac_batch.tokens(secret, b"", b"abcd", offsets, 15, b"T_")
        assert secret.decode() not in str(error.value)
    for digest_bytes in (0, 14, 35):
        with pytest.raises(ValueError, match="digest_bytes"):
            tokenize._hmac_batch.tokens(secret, b"", b"abcd", good, digest_bytes, b"T_")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet=" \t-().a1é中\u00a0_", max_size=12)), max_size=30),
    st.integers(0, 30),
)
def test_separator_removal_equals_one_literal_replacement_per_separator(values, start):
    array = pa.array(values, pa.string()).slice(min(start, len(values)))
    expected = array
    for separator in " \t-().":
        expected = pc.replace_substring(expected, pattern=separator, replacement="")
    assert tokenize.without_ascii(array, " \t-().").equals(expected)


@pytest.mark.parametrize("keep_last4", [False, True])
def test_hashing_every_row_gives_the_tokens_of_the_dictionary_path(keep_last4):
    values = pa.array([" 4111-1111-1111-1111", None, "", "4111 1111 1111 1111", "éè 12", None, "x" * 70])
    for array in (values, values.slice(2)):
        per_row = Tokenizer(KEY).tokenize_array(
            array, "CREDIT_CARD", keep_last4=keep_last4, mostly_distinct=True
        )
        assert per_row.equals(Tokenizer(KEY).tokenize_array(array, "CREDIT_CARD", keep_last4=keep_last4))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet=" \t\x1f\x7fab1é\u00a0\u3000_", max_size=8)), max_size=30),
    st.integers(0, 30),
)
def test_trimming_skipped_only_when_nothing_to_trim(values, start):
    array = pa.array(values, pa.string()).slice(min(start, len(values)))
    assert trim_whitespace(array).equals(pc.utf8_trim_whitespace(array))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet=" -19aé", max_size=10)), max_size=30),
    st.integers(0, 30),
    st.booleans(),
)
def test_hashing_only_the_present_rows_keeps_nulls_in_place(values, start, keep_last4):
    array = pa.array(values, pa.string()).slice(min(start, len(values)))
    per_row = Tokenizer(KEY).tokenize_array(array, "CREDIT_CARD", keep_last4=keep_last4, mostly_distinct=True)
    assert per_row.null_count == array.null_count
    assert per_row.equals(Tokenizer(KEY).tokenize_array(array, "CREDIT_CARD", keep_last4=keep_last4))
