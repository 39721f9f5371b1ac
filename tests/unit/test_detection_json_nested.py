"""JSON written inside a JSON string (a log's escaped request_body, an API log's payload, a FHIR
resource stored as a string, a CSV cell holding an escaped JSON text) is read with its own keys: a
name only its key says is a name is anonymized in place, the cell and every inner string still parse,
and the violation is the column's. Written by hand, not drawn from the project's generator; the
names are made up so that no given-name list knows them (only the key says they are names)."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from compliance.detection import Detector
from compliance.detection.json_leaves import json_rows
from compliance.detection.scanner import per_value

NAME, EMAIL, PHONE, SSN, DOB = "<PERSON_NAME>", "<EMAIL>", "<PHONE>", "<SSN>", "<DATE_OF_BIRTH>"


def s(value: object, **dumps: object) -> str:
    """A JSON text (as a producer writes it: ensure_ascii by default)."""
    return json.dumps(value, **dumps)  # type: ignore[arg-type]


def run(detector: Detector, values: list[str], field: str = "payload") -> tuple[dict, list]:
    """(row -> (field, type) pairs found, scrubbed values with each finding as <TYPE>)."""
    batch = pa.RecordBatch.from_arrays([pa.array(values, pa.string())], names=[field])
    found: dict[int, set[tuple[str, str]]] = {}
    for row in detector.detect(batch).to_pylist():
        found.setdefault(row["row"], set()).add((row["field"], row["type"]))
    out = detector.scrub_text(
        batch.column(0), per_value(lambda id_type, text: f"<{id_type.value}>"), field=field
    )
    return found, out.to_pylist()


def decoded(value: object) -> object:
    """`value` with every string that holds a JSON text parsed, recursively (raises if one holding
    an object or array does not parse: the escaping went wrong)."""
    if isinstance(value, dict):
        return {k: decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decoded(v) for v in value]
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        return decoded(json.loads(value))
    return value


def parsed(cell: str) -> object:
    """A cell parsed: JSON, or a JSON string's content without its quotes."""
    try:
        return json.loads(cell)
    except ValueError:
        return json.loads(f'"{cell}"')


PATIENT = {"resourceType": "Patient", "active": True}
USER = {"displayName": "Quiyo Zowen", "email": "q.zowen@example.org", "id": "u-17", "sku": "SKU-1000"}

# (cell, expected scrubbed cell, types found)
CASES = [
    pytest.param(
        s({"http": {"status": 201}, "request_body": s(USER)}),
        s({"http": {"status": 201}, "request_body": s({**USER, "displayName": NAME, "email": EMAIL})}),
        {"PERSON_NAME", "EMAIL"},
        id="escaped-json-in-a-jsonl-field",
    ),
    pytest.param(
        s(s({"displayName": "Bexlan Tavel", "version": "1.2.3"})),
        s(s({"displayName": NAME, "version": "1.2.3"})),
        {"PERSON_NAME"},
        id="csv-cell-a-json-string-holding-json",
    ),
    pytest.param(
        s(s({"displayName": "Bexlan Tavel", "version": "1.2.3"}))[1:-1],
        s(s({"displayName": NAME, "version": "1.2.3"}))[1:-1],
        {"PERSON_NAME"},
        id="csv-cell-escaped-json-without-quotes",
    ),
    pytest.param(
        s(
            {
                "source": "crm",
                "message": s({"event": "sync", "payload": s({"contact": {"name": "Nokwen Darin"}})}),
            }
        ),
        s({"source": "crm", "message": s({"event": "sync", "payload": s({"contact": {"name": NAME}})})}),
        {"PERSON_NAME"},
        id="double-nesting",
    ),
    pytest.param(
        s({"l1": s({"l2": s({"l3": s({"full_name": "Ostmar Quilan", "sku": "A-1"})})})}),
        s({"l1": s({"l2": s({"l3": s({"full_name": NAME, "sku": "A-1"})})})}),
        {"PERSON_NAME"},
        id="three-strings-deep",
    ),
    pytest.param(
        s({"users": s([{"full_name": "Kazo Velrin", "id": 1}, {"full_name": "Talwen Yodre", "id": 2}])}),
        s({"users": s([{"full_name": NAME, "id": 1}, {"full_name": NAME, "id": 2}])}),
        {"PERSON_NAME"},
        id="array-of-objects-in-a-string",
    ),
    pytest.param(
        s({"payload": s({"user": {"full_name": "Émile Zorvan", "ssn": "423-52-2671", "dob": "1975-04-03"}})}),
        s({"payload": s({"user": {"full_name": NAME, "ssn": SSN, "dob": DOB}})}),
        {"PERSON_NAME", "SSN", "DATE_OF_BIRTH"},
        id="unicode-escape-in-the-inner-text",
    ),
    pytest.param(
        s({"payload": s({"user": {"full_name": "Émile Zorvan"}}, ensure_ascii=False)}, ensure_ascii=False),
        s({"payload": s({"user": {"full_name": NAME}})}),
        {"PERSON_NAME"},
        id="unicode-written-as-is",
    ),
    pytest.param(
        s(
            {
                "meta": "x",
                "resource": s(
                    {**PATIENT, "name": [{"family": "Drequi", "given": ["Lanos"]}], "birthDate": "1961-02-03"}
                ),
            }
        ),
        s(
            {
                "meta": "x",
                "resource": s({**PATIENT, "name": [{"family": NAME, "given": [NAME]}], "birthDate": DOB}),
            }
        ),
        {"PERSON_NAME", "DATE_OF_BIRTH"},
        id="fhir-resource-as-a-string",
    ),
    pytest.param(
        s({"request_body": s({"phone": 6175550199, "qty": 2})}),
        s({"request_body": s({"phone": PHONE, "qty": 2})}),
        {"PHONE"},
        id="inner-number-becomes-a-quoted-token",
    ),
    pytest.param(
        s({"request_body": s({"note": "call +1 617 555 0199 or mail q.zowen@example.org", "sku": "S-9"})}),
        s({"request_body": s({"note": f"call {PHONE} or mail {EMAIL}", "sku": "S-9"})}),
        {"PHONE", "EMAIL"},
        id="values-found-by-their-shape",
    ),
    pytest.param(
        s({"request_body": s({"customer": {"name": "Quiyo Zowen"}, "product": {"name": "Widget Pro"}})}),
        s({"request_body": s({"customer": {"name": NAME}, "product": {"name": "Widget Pro"}})}),
        {"PERSON_NAME"},
        id="name-under-a-person-parent-not-under-a-product",
    ),
]

# Free text whose letters the cell's text escapes ("\u00c9mile"): read unescaped, at every depth.
NOTE = {"note": "spoke with Dr. Émile Zorvan about the bill, mail zoe.b@example.org", "sku": "É-1"}
NOTE_OUT = {"note": f"spoke with Dr. {NAME} about the bill, mail {EMAIL}", "sku": "É-1"}
CASES += [
    pytest.param(s(NOTE), s(NOTE_OUT), {"PERSON_NAME", "EMAIL"}, id="escaped-letters-in-free-text"),
    pytest.param(
        s({"rb": s(NOTE)}), s({"rb": s(NOTE_OUT)}), {"PERSON_NAME", "EMAIL"}, id="escaped-letters-one-deep"
    ),
    pytest.param(
        s({"rb": s({"inner": s(NOTE)})}),
        s({"rb": s({"inner": s(NOTE_OUT)})}),
        {"PERSON_NAME", "EMAIL"},
        id="escaped-letters-two-deep",
    ),
]

# Cells whose inner JSON says nothing sensitive: unchanged, no violation.
DECOYS = [
    s({"request_body": s({"id": "u-17", "sku": "SKU-1000", "version": "1.2.3", "status": "ok"})}),
    s({"items": s([{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}])}),
    s(s({"id": 42, "version": "2024.1", "tags": ["a", "b"]})),
    s({"config": s({"font": {"family": "Helvetica"}, "product": {"name": "Widget Pro"}})}),
    s({"body": "[not json] {neither}"}),
    '"{not json either"',
]


@pytest.mark.parametrize(("cell", "expected", "types"), CASES)
def test_json_inside_a_json_string_is_read_with_its_own_keys(
    detector: Detector, cell: str, expected: str, types: set[str]
) -> None:
    found, out = run(detector, [cell])
    assert out == [expected]
    assert found[0] == {("payload", t) for t in types}, "violations are the outer column's"
    decoded(parsed(out[0]))  # the cell and every string in it still parse


@pytest.mark.parametrize("cell", DECOYS)
def test_inner_keys_that_name_nothing_stay_unchanged(detector: Detector, cell: str) -> None:
    found, out = run(detector, [cell])
    assert out == [cell]
    assert found == {}


INVALID = [
    # (cell: the inner text does not parse, expected: scanned as text, as before)
    (
        s({"request_body": '{"displayName": "Quiyo Zowen", "email": "q.zowen@example.org", '}),
        s({"request_body": f'{{"displayName": "Quiyo Zowen", "email": "{EMAIL}", '}),
    ),
    (
        s({"request_body": "[1, 2,"}),
        s({"request_body": "[1, 2,"}),
    ),
    ('{\\"email\\": \\"q.zowen@example.org\\"', '{\\"email\\": \\"' + EMAIL + '\\"'),
]


@pytest.mark.parametrize(("cell", "expected"), INVALID)
def test_inner_text_that_does_not_parse_is_scanned_as_text(
    detector: Detector, cell: str, expected: str
) -> None:
    _, out = run(detector, [cell, s(USER)])
    assert out[0] == expected
    assert json.loads(out[1])["displayName"] == NAME, "the other rows are read as before"


def test_replacements_are_escaped_once_per_string_they_are_inside(detector: Detector) -> None:
    """A token holding a quote and a backslash keeps both levels valid and decodes to itself."""
    cell = s(
        {"message": s({"payload": s({"contact": {"name": "Nokwen Darin", "mail": "n.darin@example.org"}})})}
    )
    batch = pa.RecordBatch.from_arrays([pa.array([cell])], names=["payload"])
    detector.detect(batch)
    out = detector.scrub_text(batch.column(0), per_value(lambda t, text: f'"{t.value}\\{len(text)}\n'))
    inner = decoded(json.loads(out[0].as_py()))
    assert inner == {
        "message": {"payload": {"contact": {"name": '"PERSON_NAME\\12\n', "mail": '"EMAIL\\19\n'}}}
    }


def test_rows_pass_the_prefilter_only_when_they_may_hold_json() -> None:
    values = pa.array(['{"a": 1}', '"{\\"a\\": 1}"', '"plain"', "text", '"[1]"', None, '""'])
    assert json_rows(values).tolist() == [0]
    assert json_rows(values, quoted=True).tolist() == [0, 1, 4]
