import datetime as dt
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycanon import anonymity

from compliance.anonymize.kanonymity import k_anonymize
from compliance.anonymize.tokenize import TOKEN_REGEX, Tokenizer, TokenKey, is_token

QI = {"age": "age", "zip": "zip", "dob": "date", "gender": "gender"}
NULL = "<null>"  # pandas groupby (inside pycanon) drops NaN keys; null is a value of its own here


def _frame(table: pa.Table):
    frame = table.to_pandas().astype(object)
    return frame.where(frame.notna(), NULL)


def _class_sizes(table: pa.Table, columns: list[str]):
    return _frame(table).groupby(columns).size()


rows = st.fixed_dictionaries(
    {
        "age": st.one_of(st.none(), st.integers(0, 100)),
        "zip": st.one_of(st.none(), st.sampled_from(["02139", "02141", "02142", "10001", "10002", "94110"])),
        "dob": st.one_of(st.none(), st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)).map(str)),
        "gender": st.one_of(st.none(), st.sampled_from(["F", "M", "X"])),
        "diagnosis": st.sampled_from(["flu", "asthma", "diabetes", "covid"]),
    }
)


def _table(records: list[dict]) -> pa.Table:
    schema = pa.schema(
        [("id", pa.int64()), ("age", pa.int64()), ("zip", pa.string()), ("dob", pa.string()),
         ("gender", pa.string()), ("diagnosis", pa.string())]
    )  # fmt: skip
    return pa.Table.from_pylist([{"id": i, **r} for i, r in enumerate(records)], schema=schema)


def _check_result(table: pa.Table, result, k: int, max_suppression: float) -> None:
    n = table.num_rows
    kept, suppressed = result.kept_rows, result.suppressed_rows
    assert len(suppressed) <= np.floor(max_suppression * n + 1e-9)
    assert sorted([*kept.tolist(), *suppressed.tolist()]) == list(range(n))
    assert np.all(np.diff(kept) > 0)
    out = result.table
    assert out.column_names == table.column_names
    assert out.num_rows == len(kept)
    # Non-QI columns are the input's kept rows, in input order.
    assert out.column("id").to_pylist() == kept.tolist()
    assert out.column("diagnosis").equals(table.column("diagnosis").take(pa.array(kept)))
    for name in QI:
        assert pa.types.is_string(out.schema.field(name).type)
    assert 0.0 <= result.information_loss <= 1.0
    if out.num_rows:
        assert anonymity.k_anonymity(_frame(out), list(QI)) >= k
        assert result.equivalence_classes == len(_class_sizes(out, list(QI)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, min_size=10, max_size=250), st.integers(2, 6), st.sampled_from([0.0, 0.05, 0.2]))
def test_every_output_is_k_anonymous(records, k, max_suppression):
    table = _table(records)
    result = k_anonymize(table, QI, k, max_suppression=max_suppression)
    _check_result(table, result, k, max_suppression)
    assert result.k == k and result.l is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, min_size=20, max_size=250), st.integers(2, 5), st.integers(2, 3))
def test_l_diverse_when_asked(records, k, l):  # noqa: E741
    table = _table(records)
    if len({r["diagnosis"] for r in records}) < l:
        with pytest.raises(ValueError, match="diverse"):
            k_anonymize(table, QI, k, sensitive="diagnosis", l=l)
        return
    result = k_anonymize(table, QI, k, sensitive="diagnosis", l=l)
    _check_result(table, result, k, 0.05)
    assert anonymity.l_diversity(_frame(result.table), list(QI), ["diagnosis"]) >= l
    assert result.l == l


def _population(n: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    days = rng.integers(-10_000, 15_000, n).astype("int32")
    return pa.table(
        {
            "id": np.arange(n),
            "age": rng.integers(18, 90, n),
            "zip": [f"{z:05d}" for z in rng.integers(2100, 2400, n)],
            "dob": pa.array(days).cast(pa.date32()).cast(pa.string()),
            "gender": rng.choice(["F", "M"], n),
            "diagnosis": rng.choice(["flu", "asthma", "diabetes", "covid", "hiv"], n),
        }
    )


def test_larger_table_with_l_diversity_keeps_detail():
    table = _population(5000)
    result = k_anonymize(table, QI, 5, sensitive="diagnosis", l=3)
    _check_result(table, result, 5, 0.05)
    assert anonymity.l_diversity(_frame(result.table), list(QI), ["diagnosis"]) >= 3
    # Mondrian splits down to small classes: far from one big generalised class.
    assert result.equivalence_classes > 5000 / 20
    assert result.information_loss < 0.5


def test_generalisation_formats():
    table = pa.table(
        {
            "age": [31, 32, 33, 34, 35, 36, 51, 52, 53, 51, 52, 53],
            "zip": ["02139", "02141", "02142", "02139", "02141", "02142"] + ["02139"] * 6,
            "dob": ["1984-03-01", "1984-03-02", "1984-03-20", "1984-03-05", "1984-03-06", "1984-03-09"]
            + ["1950-01-01"] * 6,
            "gender": ["F", "M", "F", "M", "F", "M"] + ["F"] * 6,
        }
    )
    result = k_anonymize(table, QI, 3)
    out = result.table.to_pylist()
    # The median cut separates the two groups; the second cannot be cut again (ties on 52) for k=3.
    assert out[6:] == [{"age": "50-59", "zip": "02139", "dob": "1950-01-01", "gender": "F"}] * 6
    assert all(row["age"] == "30-39" for row in out[:6])  # within one decade: the decade
    assert all(row["zip"] in {"021**", "0214*", "02139", "02141", "02142"} for row in out[:6])
    assert all(row["dob"] == "1984-03" for row in out[:6])
    assert {row["gender"] for row in out[:6]} <= {"{F,M}", "F", "M"}
    assert result.equivalence_classes >= 2


def test_numbers_years_and_categories():
    table = pa.table(
        {
            "income": [1.5, 2.0, 9.0, 10.0],
            "visit": ["2001-05-01", "2003-01-01", "2001-06-01", "2001-07-01"],
            "city": ["Boston", "Austin", "Denver", "Boston"],
        }
    )
    result = k_anonymize(table, {"income": "number", "visit": "date", "city": "city"}, 2)
    rows = result.table.to_pylist()
    assert rows[0]["income"] == "[1.5, 2]" and rows[2]["income"] == "[9, 10]"
    assert rows[0]["visit"] == "2001-2003" and rows[2]["visit"] == "2001"
    assert rows[0]["city"] == "{Austin,Boston}" and rows[2]["city"] == "{Boston,Denver}"


def test_outlier_is_suppressed_within_budget():
    ages = [30, 31, 32, 33, 34, 35, 30, 31, 32, 97]
    table = pa.table({"age": ages, "zip": ["02139"] * 10})
    result = k_anonymize(table, {"age": "age", "zip": "zip"}, 3, max_suppression=0.1)
    assert result.suppressed_rows.tolist() == [9]
    assert set(result.table.column("age").to_pylist()) == {"30-39"}
    no_budget = k_anonymize(table, {"age": "age", "zip": "zip"}, 3, max_suppression=0.0)
    assert len(no_budget.suppressed_rows) == 0
    assert any(age.endswith("-97") for age in no_budget.table.column("age").to_pylist())  # partition range
    assert no_budget.information_loss > result.information_loss


def test_nulls_are_a_value_of_their_own():
    table = pa.table({"age": [None] * 4 + [40] * 4, "gender": ["F", "M"] * 4})
    result = k_anonymize(table, {"age": "age", "gender": "gender"}, 2)
    ages = result.table.column("age").to_pylist()
    assert ages == [None] * 4 + ["40"] * 4
    assert result.information_loss == 0.0


def test_whole_table_suppressed_only_when_allowed():
    table = pa.table({"age": [30, 40]})
    result = k_anonymize(table, {"age": "age"}, 3, max_suppression=1.0)
    assert result.table.num_rows == 0 and result.suppressed_rows.tolist() == [0, 1]
    assert result.information_loss == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 1}, "k must be"),
        ({"k": 5}, "fewer than k"),
        ({"k": 2, "quasi_identifiers": {"nope": "age"}}, "not in the table"),
        ({"k": 2, "quasi_identifiers": {"age": "shoe_size"}}, "unknown quasi-identifier kinds"),
        ({"k": 2, "l": 2}, "needs the sensitive column"),
        ({"k": 2, "l": 2, "sensitive": "nope"}, "not in the table"),
        ({"k": 2, "l": 3, "sensitive": "diagnosis"}, "distinct values"),
        ({"k": 2, "max_suppression": 1.5}, "max_suppression"),
    ],
)
def test_bad_input_raises_a_clear_error(kwargs, message):
    table = pa.table({"age": [30, 31, 32, 33], "diagnosis": ["flu", "flu", "covid", "covid"]})
    arguments = {"quasi_identifiers": {"age": "age"}, **kwargs}
    with pytest.raises(ValueError, match=message):
        k_anonymize(table, arguments.pop("quasi_identifiers"), **arguments)


def test_empty_table():
    table = pa.table({"age": pa.array([], pa.int64())})
    result = k_anonymize(table, {"age": "age"}, 2)
    assert result.table.num_rows == 0 and result.information_loss == 0.0


# -- tokens in quasi-identifier columns ---------------------------------------------------------------
TOKENIZER = Tokenizer(TokenKey("k1", b"kanonymity-test-key-0123456789"))
ZIPS = ["02139", "02141", "02142", "10001", "10002", "94110"]
ZIP_TOKENS = [TOKENIZER.token("ZIP_CODE", z) for z in ZIPS[:3]]
# Other types' tokens land in a QI column too (an e-mail found in a ZIP column), and a card's
# truncated token ends in digits of its own.
OTHER_TOKENS = [TOKENIZER.token("EMAIL", "jane@example.org"), TOKENIZER.token("CREDIT_CARD", "4111111111111111", keep_last4=True)]  # fmt: skip
DOB_TOKENS = [TOKENIZER.token("DATE_OF_BIRTH", d) for d in ("1984-03-15", "1950-01-01")]


def _stars_for_tokens(table: pa.Table, columns: list[str]) -> pa.Table:
    """The QI columns with every token read as "*": what a token tells a linkage attacker."""
    arrays = []
    for name in columns:
        values = table.column(name).combine_chunks().cast(pa.string())
        arrays.append(pc.if_else(pa.array(is_token(values)), pa.scalar("*"), values))
    return pa.table(arrays, names=columns)


token_rows = st.fixed_dictionaries(
    {
        "zip": st.one_of(
            st.none(),
            st.sampled_from(ZIPS),
            st.sampled_from(ZIP_TOKENS + OTHER_TOKENS),
            st.sampled_from(ZIP_TOKENS).map(lambda token: f" {token} "),
        ),
        "dob": st.one_of(
            st.none(),
            st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)).map(str),
            st.sampled_from(DOB_TOKENS),
        ),
        "gender": st.one_of(st.sampled_from(["F", "M", "X"]), st.sampled_from(OTHER_TOKENS)),
        "diagnosis": st.sampled_from(["flu", "asthma", "diabetes", "covid"]),
    }
)
TOKEN_QI = {"zip": "zip", "dob": "date", "gender": "gender"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(token_rows, min_size=10, max_size=250), st.integers(2, 6), st.sampled_from([0.0, 0.05]))
def test_tokens_are_published_whole_and_k_holds(records, k, max_suppression):
    schema = pa.schema([(name, pa.string()) for name in ("zip", "dob", "gender", "diagnosis")])
    table = pa.Table.from_pylist(records, schema=schema)
    result = k_anonymize(table, TOKEN_QI, k, max_suppression=max_suppression)
    kept = result.kept_rows
    assert len(result.suppressed_rows) <= np.floor(max_suppression * table.num_rows + 1e-9)
    for name in TOKEN_QI:
        before = table.column(name).take(pa.array(kept)).to_pylist()
        after = result.table.column(name).to_pylist()
        for raw, published in zip(before, after, strict=True):
            if raw is not None and re.fullmatch(TOKEN_REGEX, raw.strip()):
                assert published == raw.strip()  # the token, whole
            else:  # a value (or null) is generalised, never turned into anything token-like
                assert published is None or "_k1_" not in published.lower()
    if result.table.num_rows:
        published = _frame(_stars_for_tokens(result.table, list(TOKEN_QI)))
        assert anonymity.k_anonymity(published, list(TOKEN_QI)) >= k
        assert result.equivalence_classes == len(published.groupby(list(TOKEN_QI)).size())


def test_a_zip_column_of_tokens_and_values_keeps_tokens_and_generalises_values():
    zips = ["02139", "02141", "02142", "02143", "02144", "10001", "10002", "10003", "10004", "10005"]
    tokens = [TOKENIZER.token("ZIP_CODE", z) for z in zips[:4]]
    column = zips * 3 + tokens * 2 + [OTHER_TOKENS[0]] * 2 + [None] * 5
    table = pa.table({"zip": pa.array(column, pa.string())})
    result = k_anonymize(table, {"zip": "zip"}, 5, max_suppression=0.0)
    out = result.table.column("zip").to_pylist()
    assert out[30:40] == column[30:40] and out[40:] == [None] * 5  # tokens whole; nulls stay null
    # Values are generalised among values only: a prefix of their own, never "*" for a token's sake.
    for raw, published in zip(column[:30], out[:30], strict=True):
        assert re.fullmatch(r"\d{3}[\d*]{2}", published) and raw.startswith(published.rstrip("*"))
    # Tokens share one class (ten rows): read as "*", every published value covers >= 5 rows.
    published = _frame(_stars_for_tokens(result.table, ["zip"]))
    assert anonymity.k_anonymity(published, ["zip"]) >= 5
    assert result.equivalence_classes == len(set(out[:30])) + 2  # the values', the tokens', null
