"""Identifiers written with characters that look like ASCII (no-break and thin spaces, non-breaking
hyphens and dashes, zero-width characters, full-width forms) are read as if they were ASCII, and a
value with nothing found keeps its own characters. Values are made up here."""

from __future__ import annotations

import pyarrow as pa

from compliance.detection import Detector
from compliance.detection.confusables import Folding
from tests.unit.detection_helpers import scrub_found_test, scrub_stays_test

FOUND = [
    ("call me at 617\u00a0555\u00a01234 tomorrow", "call me at <PHONE> tomorrow"),
    ("phone: (617)\u2009555-1234", "phone: <PHONE>"),
    ("tel \uff10\uff19\uff10\uff0d\uff11\uff12\uff13\uff14\uff0d\uff15\uff16\uff17\uff18", "tel <PHONE>"),
    ("phone +\u0669\u0666\u0666 \u0665\u0660 \u0661\u0662\u0663 \u0664\u0665\u0666\u0667", "phone <PHONE>"),
    ("tel: \u06f0\u06f9\u06f1\u06f2 \u06f9\u06f8\u06f7 \u06f4\u06f9\u06f8\u06f1", "tel: <PHONE>"),
    ("email john.smith\u200b@example.com please", "email <EMAIL> please"),
    ("SSN: 123\u201345\u20136789", "SSN: <SSN>"),
    ("SSN 123\u201145\u20116789 verified", "SSN <SSN> verified"),
    ("card 4111\u00a01111\u00a01111\u00a01111", "card <CREDIT_CARD>"),
    ("IBAN DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000", "IBAN <IBAN>"),
    # The rest of a value keeps its own characters; an invisible one at a span's edge goes with it.
    (
        "Tel.\u00a0617\u00a0555\u00a01234\u3000\uff08\u81ea\u5b85\uff09",
        "Tel.\u00a0<PHONE>\u3000\uff08\u81ea\u5b85\uff09",
    ),
    ("Caf\u00e9 \u2014 SSN 123\u201145\u20116789\u200b \u2713", "Caf\u00e9 \u2014 SSN <SSN> \u2713"),
]
KEPT = [
    "Preis:\u00a012\u00a0\u20ac",  # nothing found: the no-break spaces stay
    "\uff21\uff22\uff23\u3000\u5546\u4e8b",  # full-width letters, nothing found
    "plain ASCII text 2024-01-05",
]


test_look_alike_characters_are_read_as_ascii = scrub_found_test(FOUND)


test_a_value_with_nothing_found_keeps_its_characters = scrub_stays_test(KEPT)


def test_folding_touches_only_the_values_that_hold_look_alikes() -> None:
    values = pa.array(["a\u00a0b", None, "plain", "caf\u00e9"])
    folding = Folding(values)
    assert folding.readable.to_pylist() == ["a b", None, "plain", "caf\u00e9"]
    assert folding.changed.tolist() == [True, False, False, False]
    ascii_only = pa.array(["x", "y"])
    assert Folding(ascii_only).readable is ascii_only and Folding(ascii_only).changed is None


def test_a_headerless_column_of_spaced_numbers_is_typed_like_its_ascii_form(detector: Detector) -> None:
    batch = pa.record_batch({"col_2": pa.array([f"{n:03d}\u201145\u20116789" for n in range(120, 140)])})
    (column,) = detector.classify(batch)
    assert column.id_type is not None and column.id_type.value == "SSN"
