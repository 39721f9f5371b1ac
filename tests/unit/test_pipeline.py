"""Pipeline helpers that are not covered through the scan tests: ZIP generalisation."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.pipeline import generalize_zip


def _generalize_zip_by_regex(values: pa.Array) -> pa.Array:
    """The definition: strip non-digits, keep 3 digits + "**" when 5 or more remain, else null."""
    digits = pc.replace_substring_regex(values, pattern=r"[^0-9]", replacement="")
    prefix = pc.utf8_slice_codeunits(digits, 0, 3)
    valid = pc.greater_equal(pc.utf8_length(digits), 5)
    return pc.if_else(valid, pc.binary_join_element_wise(prefix, "**", ""), pa.scalar(None, pa.string()))


def test_generalize_zip_examples() -> None:
    values = pa.array(["02139-4307", "02139", " 9021 ", "ZIP_CODE_k1_abc23def45", "١٢٣٤٥", "", None])
    assert generalize_zip(values).to_pylist() == ["021**", "021**", None, "123**", None, None, None]
    assert generalize_zip(pa.chunked_array([["90210"], ["1234"]])).to_pylist() == ["902**", None]
    assert generalize_zip(pa.array([], pa.string())).to_pylist() == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet="0123456789 -é中aZ*\u0663", max_size=14)), max_size=40),
    st.integers(0, 40),
)
def test_generalize_zip_equals_the_regex_definition(values, start) -> None:
    array = pa.array(values, pa.string()).slice(min(start, len(values)))
    assert generalize_zip(array).equals(_generalize_zip_by_regex(array))
