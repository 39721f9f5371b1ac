"""The binary-file check counts odd characters on the bytes; it must count what a per-character
reading of the decoded text counts (replacement characters and control characters but tab/CR/LF)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.io import odd_characters


def odd_by_character(text: str) -> int:
    return sum(1 for ch in text if ch == "\ufffd" or (ch < " " and ch not in "\t\r\n"))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.binary(max_size=200), st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass")))
)
def test_odd_characters_counted_on_bytes_as_on_text(head: bytes) -> None:
    text = head.decode("utf-8", errors="replace")
    assert odd_characters(head, text) == odd_by_character(text)
