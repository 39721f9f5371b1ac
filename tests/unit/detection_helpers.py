"""What the probe-format tests ask of a detector: which texts hold which types, and a text with each
found value replaced by its type's name."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pytest

from compliance.detection import Detector
from compliance.detection.scanner import per_value
from compliance.vocabulary import IdType


def found_in(detector: Detector, texts: list[str]) -> dict[IdType, list[int]]:
    """Type -> the indexes of `texts` that hold it."""
    return {k: v.tolist() for k, v in detector._text.find(pa.array(texts)).items()}


def scrubbed(detector: Detector, texts: list[str]) -> list[str]:
    """`texts` with each found value replaced by `<TYPE>`."""
    return detector.scrub_text(
        pa.array(texts), per_value(lambda id_type, text: f"<{id_type.value}>")
    ).to_pylist()


def scrub_found_test(cases: list[tuple[str, str]], *, ending: bool = False) -> Callable[..., None]:
    """A test of a table of (text, expected) cases: each text scrubbed is `expected` (with `ending`,
    ends with it: the cases' lead-in is context the table does not repeat). Assign it to a
    module-level `test_...` name."""

    @pytest.mark.parametrize(("text", "expected"), cases)
    def test(detector: Detector, text: str, expected: str) -> None:
        out = scrubbed(detector, [text])[0]
        assert out.endswith(expected) if ending else out == expected, out

    return test


def scrub_stays_test(texts: list[str]) -> Callable[..., None]:
    """A test of a table of decoys: each text scrubbed is itself."""

    @pytest.mark.parametrize("text", texts)
    def test(detector: Detector, text: str) -> None:
        assert scrubbed(detector, [text]) == [text]

    return test
