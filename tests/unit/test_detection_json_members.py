"""Nested JSON values (JSON Lines objects, Parquet structs and lists) are typed leaf by leaf from
their keys, as a column is from its header: a leaf whose key names a sensitive attribute is
anonymized even when its value alone is ambiguous ("cvv": "624"), and every scrubbed cell is still
valid JSON. The cases are written by hand, not drawn from the project's generator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from compliance.detection import Detector
from compliance.detection.json_leaves import json_rows
from compliance.detection.scanner import per_value

ROOT = Path(__file__).resolve().parents[2]


def run(detector: Detector, values: list[str | None], field: str = "payload") -> tuple[dict, list]:
    """(row -> types found, scrubbed values with each finding as <TYPE>) of one column."""
    batch = pa.RecordBatch.from_arrays([pa.array(values, pa.string())], names=[field])
    found: dict[int, set[str]] = {}
    for row in detector.detect(batch).to_pylist():
        found.setdefault(row["row"], set()).add(row["type"])
    out = detector.scrub_text(
        batch.column(0), per_value(lambda id_type, text: f"<{id_type.value}>"), field=field
    )
    return found, out.to_pylist()


def leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


CASES = [
    # (column value, raw values that must not survive, a type that must be found)
    (
        '{"card":{"number":"4111111111111111","exp":"11/28","cvv":"624"}}',
        ["4111111111111111", "624"],
        "CARD_CVV",
    ),
    ('{"card":{"cvc":158,"brand":"visa"}}', ["158"], "CARD_CVV"),
    ('{"billing":{"security_code":"931","country":"US"}}', ["931"], "CARD_CVV"),
    (
        '{"devices":[{"idfa":"0684A87D-7824-40FF-9978-B104B8A5C4B7","wifi_mac":"a4:5e:60:d1:22:9f"}]}',
        ["0684A87D-7824-40FF-9978-B104B8A5C4B7", "a4:5e:60:d1:22:9f"],
        "DEVICE_ID",
    ),
    ('{"telecom":[{"system":"phone","value":"617.555.0100","use":"home"}]}', ["617.555.0100"], "PHONE"),
    ('{"telecom":[{"system":"email","value":"ann.smith@example.org"}]}', ["ann.smith@example.org"], "EMAIL"),
    ('{"identifier":[{"system":"http://hospital.example.org/mrn","value":"A12345"}]}', ["A12345"], None),
    ('{"resourceType":"Patient","birthDate":"1975-04-03"}', ["1975-04-03"], "DATE_OF_BIRTH"),
    (
        '{"address":[{"line":["12 Elm St"],"city":"Cambridge","postalCode":"02139"}]}',
        ["12 Elm St", "02139"],
        None,
    ),
    ('{"name":[{"family":"Smith","given":["Ann"]}]}', ["Smith", "Ann"], None),
    ('{"patient":{"ssn":"423-52-2671"}}', ["423-52-2671"], "SSN"),
]


@pytest.mark.parametrize(("value", "raw", "id_type"), CASES)
def test_a_leaf_named_by_its_key_is_anonymized_and_the_cell_stays_json(
    detector: Detector, value: str, raw: list[str], id_type: str | None
) -> None:
    found, out = run(detector, [value])
    assert 0 in found, "the cell must get a violation"
    if id_type is not None:
        assert id_type in found[0]
    document = json.loads(out[0])  # still valid JSON
    left = [str(leaf) for leaf in leaves(document)]
    for value_ in raw:
        assert value_ not in left and value_ not in out[0]


def test_a_named_key_whose_value_does_not_validate_fails_closed(detector: Detector) -> None:
    found, out = run(detector, ['{"card":{"cvv":"x9z"}}', '{"patient":{"ssn":"12-AB"}}'])
    assert found == {0: {"UNRECOGNISED_SENSITIVE"}, 1: {"UNRECOGNISED_SENSITIVE"}}
    assert json.loads(out[0]) == {"card": {"cvv": "<UNRECOGNISED_SENSITIVE>"}}
    assert json.loads(out[1]) == {"patient": {"ssn": "<UNRECOGNISED_SENSITIVE>"}}


def test_blank_and_placeholder_leaves_stay(detector: Detector) -> None:
    values = ['{"cvv":""}', '{"cvv":"N/A"}', '{"ssn":"***-**-6789"}', '{"cvv":null,"ssn":false}']
    found, out = run(detector, values)
    assert found == {}
    assert out == values


def test_the_column_name_is_the_parent_of_the_top_level_keys(detector: Detector) -> None:
    # Column "card" holding {"number": ...}: "card_number" names the card, so a number that is not a
    # valid card still fails closed.
    found, out = run(detector, ['{"number":"4111 1111 1111 1112","exp":"11/28"}'], field="card")
    assert found == {0: {"UNRECOGNISED_SENSITIVE"}}
    assert json.loads(out[0]) == {"number": "<UNRECOGNISED_SENSITIVE>", "exp": "11/28"}


def test_decoys_stay_unchanged(detector: Detector) -> None:
    values = [
        '{"version":"2.14.1","sku":"AB-123","qty":3}',
        '{"id":"A12345","type":"order","status":"shipped"}',
        '{"id":123456789,"count":42}',
        '{"font":{"family":"Roboto","size":12}}',
        '[{"code":"8480-6","display":"Systolic blood pressure","value":120}]',
        '{"meta":{"versionId":"7","lastUpdated":"2024-01-02T10:00:00Z"}}',
    ]
    found, out = run(detector, values)
    assert found == {}
    assert out == values


def test_an_id_key_alone_does_not_fail_closed(detector: Detector) -> None:
    found, _ = run(detector, ['{"id":"zz-91"}', '{"items":[{"id":"q7"}]}'])
    assert found == {}


def test_number_replacements_inside_json_are_quoted(detector: Detector) -> None:
    values = [
        '{"number":4111111111111111}',  # a card as a JSON integer, found by the free-text scan
        '{"type":"Point","coordinates":[-71.0589,42.3601]}',  # a GeoJSON position
        '{"postalCode":2139}',  # a ZIP code that lost its leading zero
        '{"lat":42.360081,"lng":-71.058884}',
    ]
    found, out = run(detector, values)
    assert found[0] == {"CREDIT_CARD"} and "GPS_COORDINATES" in found[1]
    assert found[2] == {"ZIP_CODE"} and "GPS_COORDINATES" in found[3]
    for before, after in zip(values, out, strict=True):
        document = json.loads(after)
        assert after != before
        assert all(not isinstance(leaf, (int, float)) or isinstance(leaf, bool) for leaf in leaves(document))
    assert json.loads(out[0]) == {"number": "<CREDIT_CARD>"}
    assert len(json.loads(out[1])["coordinates"]) == 2  # the array keeps its shape


def test_free_text_inside_json_strings_is_escaped_and_kept_valid(detector: Detector) -> None:
    values = [
        '{"note":"call 617-555-0100 or mail a.b@example.com","tags":["x"]}',
        '{"memo":"Zoë \\"quoted\\" 617-555-0100"}',  # escapes and non-ASCII before the span
        '{"a":"üñí","cvv":"624","b":"\\u00e9"}',
    ]
    _, out = run(detector, values)
    documents = [json.loads(v) for v in out]
    assert "617-555-0100" not in out[0] and "a.b@example.com" not in out[0]
    assert documents[0]["tags"] == ["x"]
    assert documents[1]["memo"].startswith('Zoë "quoted" ') and "617-555-0100" not in out[1]
    assert documents[2] == {"a": "üñí", "cvv": "<CARD_CVV>", "b": "é"}


def test_replacements_with_quotes_are_escaped(detector: Detector) -> None:
    batch = pa.array(['{"cvv":"624","n":4111111111111111}'])
    out = detector.scrub_text(batch, per_value(lambda id_type, text: 'a"b\\c\n'))
    assert json.loads(out[0].as_py()) == {"cvv": 'a"b\\c\n', "n": 'a"b\\c\n'}


def test_text_that_is_not_json_is_scanned_as_before(detector: Detector) -> None:
    values = ["call 617-555-0100", "{not json 624", "[1, 2", " cvv 624", None, ""]
    found, out = run(detector, values)
    assert found[0] == {"PHONE"} and 1 not in found and 2 not in found
    assert out[1:] == values[1:] or out[3] != values[3]
    assert json_rows(pa.array(values)).tolist() == [1, 2]


def test_json_rows_prefilter() -> None:
    values = pa.array(['{"a":1}', "  [1]", "\n{}", "x{", None, "", "[", " x"])
    assert json_rows(values).tolist() == [0, 1, 2, 6]


def test_findings_and_changes_agree_per_cell(detector: Detector) -> None:
    """Every changed cell has a finding and every finding's cell changed (the audit's rule)."""
    values = [value for value, _, _ in CASES] + [
        '{"version":"2.14.1","sku":"AB-123","qty":3}',
        '{"number":4111111111111111}',
        "plain 617-555-0100",
        '{"user":{"email":"x@y.org","name":"Ann Smith"},"n":1}',
    ]
    found, out = run(detector, values)
    changed = {i for i, (a, b) in enumerate(zip(values, out, strict=True)) if a != b}
    assert changed == set(found)


def test_repetitive_json_column_on_distinct_values(detector: Detector) -> None:
    """A column that repeats itself is detected and scrubbed per distinct value: the same result."""
    values = ['{"card":{"cvv":"624"}}', '{"sku":"AB-123"}'] * 5000
    found, out = run(detector, values)
    assert set(found) == set(range(0, 10000, 2)) and all(t == {"CARD_CVV"} for t in found.values())
    assert out[0] == '{"card":{"cvv":"<CARD_CVV>"}}' and out[1] == values[1]


# --- end to end: sdp scan on JSON Lines and on Parquet with a struct column ---------------------


def _sdp(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(cwd),
        "SDP_TOKEN_KEY": "json-members-test-key-0123456789",
        # This checkout's package, not whichever one the environment has installed.
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "compliance.cli", "scan", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


ROWS = [
    {"order": "o-1", "card": {"number": "4111111111111111", "exp": "11/28", "cvv": "624"}},
    {"order": "o-2", "card": {"number": "5500005555555559", "exp": "01/27", "cvc": 158}},
    {"order": "o-3", "billing": {"security_code": "931", "country": "US"}},
    {"order": "o-4", "devices": [{"idfa": "0684A87D-7824-40FF-9978-B104B8A5C4B7", "model": "iPhone 13"}]},
    {
        "order": "o-5",
        "resource": {
            "telecom": [{"system": "phone", "value": "617.555.0100"}],
            "identifier": [{"system": "http://hospital.example.org/mrn", "value": "A12345"}],
            "birthDate": "1975-04-03",
            "address": [{"line": ["12 Elm St"], "postalCode": "02139"}],
            "name": [{"family": "Smith", "given": ["Ann"]}],
        },
    },
    {"order": "o-6", "meta": {"version": "2.14.1", "sku": "AB-123", "qty": 3}},
]
RAW = ["624", "158", "931", "0684A87D-7824-40FF-9978-B104B8A5C4B7", "617.555.0100", "A12345", "1975-04-03",
       "12 Elm St", "02139", "Smith", "4111111111111111", "5500005555555559"]  # fmt: skip


def _check_output(cells: list[dict], violations: list[dict]) -> None:
    flagged = {(v["row"], v["field"]) for v in violations}
    for row, cell in enumerate(cells):
        for name, value in cell.items():
            if name == "order" or value is None:
                continue
            document = json.loads(value) if isinstance(value, str) else value  # valid JSON text
            texts = {str(leaf) for leaf in leaves(document)}
            assert not texts & set(RAW), (row, name, value)
            assert ((row, name) in flagged) == (name != "meta"), (row, name)
    assert cells[5]["meta"] is not None and json.loads(cells[5]["meta"]) == ROWS[5]["meta"]


def test_sdp_scan_jsonl_with_nested_objects(tmp_path: Path) -> None:
    data = tmp_path / "orders.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    out, violations = tmp_path / "clean.jsonl", tmp_path / "v.jsonl"
    result = _sdp(str(data), "--violations", str(violations), "--output", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    cells = [json.loads(line) for line in out.read_text().splitlines()]
    _check_output(cells, [json.loads(line) for line in violations.read_text().splitlines()])


def test_sdp_scan_parquet_with_a_struct_column(tmp_path: Path) -> None:
    data = tmp_path / "orders.parquet"
    card = pa.struct([("number", pa.string()), ("exp", pa.string()), ("cvv", pa.string())])
    table = pa.table(
        {
            "order": ["o-1", "o-2", "o-3"],
            "card": pa.array(
                [
                    {"number": "4111111111111111", "exp": "11/28", "cvv": "624"},
                    {"number": "5500005555555559", "exp": "01/27", "cvv": "158"},
                    None,
                ],
                card,
            ),
            "devices": pa.array(
                [[{"idfa": "0684A87D-7824-40FF-9978-B104B8A5C4B7"}], [], None],
                pa.list_(pa.struct([("idfa", pa.string())])),
            ),
        }
    )
    pq.write_table(table, data)
    out, violations = tmp_path / "clean.parquet", tmp_path / "v.jsonl"
    result = _sdp(str(data), "--violations", str(violations), "--output", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    found = [json.loads(line) for line in violations.read_text().splitlines()]
    flagged = {(v["row"], v["field"], v["type"]) for v in found}
    assert {(0, "card", "CARD_CVV"), (1, "card", "CARD_CVV"), (0, "devices", "DEVICE_ID")} <= flagged
    for row, cell in enumerate(pq.read_table(out).to_pylist()):
        for name in ("card", "devices"):
            if cell[name] is None:
                continue
            document = json.loads(cell[name]) if isinstance(cell[name], str) else cell[name]
            assert not {str(leaf) for leaf in leaves(document)} & set(RAW), (row, name, cell[name])


def test_a_leaf_failing_closed_takes_the_type_its_key_gives_the_free_text_scan(detector: Detector) -> None:
    """ "dea" is a sensitive key with no recognizer of its own; the DEA number after it is typed by
    the free-text pattern that reads the key as context, and reported as that type alone."""
    found, out = run(detector, ['{"dea":"BR1234563"}'])
    assert found == {0: {"NPI"}}
    assert json.loads(out[0]) == {"dea": "<NPI>"}


def test_a_key_given_twice_and_deep_nesting(detector: Detector) -> None:
    """json.loads keeps one value of a repeated key; both are in the text, and both are typed."""
    deep = '{"a":' * 40 + '{"cvv":"624"}' + "}" * 40
    found, out = run(detector, ['{"cvv":"1","cvv":"624"}', deep])
    assert set(found) == {0, 1}
    assert "624" not in out[0] and "624" not in out[1]
    json.loads(out[0]), json.loads(out[1])


def test_a_document_type_names_its_sibling_number(detector: Detector) -> None:
    """An I-9 or KYC record says what a number is in a sibling member, as FHIR's system does."""
    values = [
        '{"listB":{"type":"Driver\'s License","number":"M7267174","state":"CA"}}',
        '{"documents":[{"docType":"US Passport","number":"C68923375"}]}',
        '{"type":"order","id":"A12345"}',
    ]
    _, out = run(detector, values)
    assert out == [
        '{"listB":{"type":"Driver\'s License","number":"<DRIVER_LICENSE>","state":"CA"}}',
        '{"documents":[{"docType":"US Passport","number":"<PASSPORT>"}]}',
        '{"type":"order","id":"A12345"}',
    ]
