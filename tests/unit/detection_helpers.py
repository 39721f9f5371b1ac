"""What the probe-format tests ask of a detector: which texts hold which types, and a text with each
found value replaced by its type's name."""

from __future__ import annotations

import pyarrow as pa

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
