"""Round 12 (columns whose header or values were not recognised): people named by their role
towards the record ("Manager", "PCP": a name column when its values are names), a pharmacy
claim's "Cardholder ID", a person's tax reference, a headerless column of plain names, and a
column of values of many kinds (mixed.py). Values are made up here."""

from __future__ import annotations

import pyarrow as pa
import pytest

from compliance.columns import ColumnRole
from compliance.detection import Detector
from compliance.detection.scanner import per_value
from compliance.vocabulary import IdType

NAMES = ["Janet Stokes", "Joshua Carter", "Rhonda Williams", "Tony Ali", "Maria Lopez"]
ROLE_HEADERS = [
    "Manager", "Line Manager", "Supervisor", "Reports To", "Approver", "Approved By", "Team Lead",
    "Hiring Manager", "Attending", "Referring Physician", "PCP", "Primary Care Provider", "Provider",
    "Case Manager", "Recruiter",
]  # fmt: skip
CLINICIANS = ["James White NP", "Mary Jones, MD", "Dr. Lauren Patel NP", "Karen O'Neil, PA-C", "Dr. Sims"]


def classify(detector: Detector, header: str, values: list[str | None]):
    (column,) = detector.classify(pa.record_batch({header: pa.array(values, pa.string())}))
    return column


def types_by_row(detector: Detector, header: str, values: list[str | None]) -> dict[int, set[str]]:
    table = detector.detect(pa.record_batch({header: pa.array(values, pa.string())}))
    out: dict[int, set[str]] = {}
    for row, kind in zip(table.column("row").to_pylist(), table.column("type").to_pylist(), strict=True):
        out.setdefault(row, set()).add(kind)
    return out


@pytest.mark.parametrize("header", ROLE_HEADERS)
def test_a_person_named_by_role_is_a_name_column_when_its_values_are_names(
    detector: Detector, header: str
) -> None:
    column = classify(detector, header, NAMES)
    assert (column.role, column.id_type) == (ColumnRole.IDENTIFIER, IdType.PERSON_NAME)


@pytest.mark.parametrize("header", ["PCP", "Attending", "Referring Physician", "Provider"])
def test_clinicians_with_credentials_are_names(detector: Detector, header: str) -> None:
    assert classify(detector, header, CLINICIANS).id_type is IdType.PERSON_NAME
    found = types_by_row(detector, header, CLINICIANS)
    assert all(found.get(row) == {"PERSON_NAME"} for row in range(len(CLINICIANS))), found


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("Manager", ["Y", "N", "Y", "N"]),
        ("Is Manager", ["Yes", "No", "Yes", "No"]),
        ("Manager", ["E1042", "E1043", "E2001", "E2002"]),
        ("Provider", ["Aetna", "Blue Cross Blue Shield", "Cigna", "Kaiser Permanente"]),
        ("Provider", ["AWS", "GCP", "Azure", "Hetzner"]),
        ("Package Manager", ["npm", "pip", "yarn", "cargo"]),
        ("Coordinator", ["Active", "Inactive", "Pending", "Active"]),
        ("Reviewer", ["approved", "rejected", "approved", "pending"]),
    ],
)
def test_a_role_header_over_flags_ids_or_firms_is_no_name_column(
    detector: Detector, header: str, values: list[str]
) -> None:
    assert classify(detector, header, values).id_type is not IdType.PERSON_NAME


@pytest.mark.parametrize("header", ["CARDHOLDER_ID", "Cardholder ID", "cardholder_number"])
def test_a_pharmacy_claims_cardholder_id_is_a_health_plan_id(detector: Detector, header: str) -> None:
    column = classify(detector, header, ["750A3737801", "H82023571", "010A7446601", "ZGP756741"])
    assert column.id_type is IdType.HEALTH_PLAN_ID


@pytest.mark.parametrize(
    ("header", "id_type"),
    [("Cardholder Name", IdType.PERSON_NAME), ("Card Number", IdType.CREDIT_CARD)],
)
def test_cardholder_name_and_card_number_keep_their_types(
    detector: Detector, header: str, id_type: IdType
) -> None:
    values = ["Janet Stokes", "Tony Ali"] if id_type is IdType.PERSON_NAME else ["4111 1111 1111 1111"]
    assert classify(detector, header, values).id_type is id_type


TAX_REFS = ["MIJPO7415Q", "2123 45670 1", "9582653685", "OKNPG1151Y"]


@pytest.mark.parametrize("header", ["Tax Ref", "tax_reference", "UTR", "Tax Ref No"])
def test_a_tax_reference_is_typed_where_it_validates_and_fails_closed_elsewhere(
    detector: Detector, header: str
) -> None:
    assert classify(detector, header, TAX_REFS).id_type is IdType.NATIONAL_ID
    found = types_by_row(detector, header, TAX_REFS)
    # India's PAN by its shape, Australia's Medicare number by its check digit; a UK UTR has no
    # check this platform knows: tokenized all the same.
    assert found == {
        0: {"NATIONAL_ID"},
        1: {"NATIONAL_ID"},
        2: {"UNRECOGNISED_SENSITIVE"},
        3: {"NATIONAL_ID"},
    }


@pytest.mark.parametrize("header", ["Tax ID", "TIN"])
def test_tax_id_and_tin_still_fail_closed(detector: Detector, header: str) -> None:
    assert classify(detector, header, ["12-3456789", "98-7654321"]).role is ColumnRole.SENSITIVE


PLAIN_NAMES = [
    "Tony Ali", "Tyrone Williams", "Brett Conley", "Robert Gonzales", "Christopher Watson", "Clare Wilson",
    "Anne Johnson", "Jennifer Mitchell", "Daniel Wade", "Rachael Bell", None, None, "", "Bonnie Gonzalez",
]  # fmt: skip


@pytest.mark.parametrize("header", ["Q5", "col_7", "field12"])
def test_a_headerless_column_of_plain_names_is_typed_by_its_values(detector: Detector, header: str) -> None:
    column = classify(detector, header, PLAIN_NAMES)
    assert (column.id_type, column.evidence) == (IdType.PERSON_NAME, "values")


@pytest.mark.parametrize(
    "values",
    [
        ["Bose QC45", "Dyson V15 Detect", "Kindle Paperwhite", "Samsung Galaxy A54", "Fitbit Charge 6"],
        ["Miles, Hall and Miller", "Brooks, Clark and Welch", "Moore Ltd", "Deep and Sons", "Smith-Brown"],
        ["New Rebeccafurt", "Lake Kevinville", "Port Jessica", "East Jennaside", "North Brian"],
        ["Austin Street", "Victoria Road", "Jackson Avenue", "Madison Square", "Lincoln Park"],
        ["Strongly agree", "Neutral", "Disagree", "Agree", "Strongly disagree"],
    ],
)
def test_products_firms_places_and_answers_are_no_name_column(detector: Detector, values: list[str]) -> None:
    assert classify(detector, "Q7", values).id_type is not IdType.PERSON_NAME


MIXED = [
    "DE75 5219 1384 4547 6680 73", "#824545893", "gburton@icloud.com", "5174-2690-7656-3402", "F41.1",
    "747-33-7076", "Dyson V15 Detect", "85.209.10.61", "pending", "bcole@shaw.ca", "GB77 MIDL 9311 4110 1886 34",
    "092-75-4606", "ORD-2025-5503425", "mgarcia@protonmail.com", "4230 0484 6702 4652", "73.176.89.209",
    "Moore Ltd", "316-82-5778", "SKU-VA64-5209", "5454 4072 2870 7706", "116.255.140.85", "70,826.43",
    # The values no text pattern types alone.
    "CR 99 13 51 B", "026101863", "033 24 9866", "e04c.8a86.5f57", "e04c8a865f57", "04FBDE4C33AA",
    # ...and their look-alikes that stay: numbers the SSA never issues, hex that is a word or mixes cases.
    "666123456", "000 12 3456", "123400000", "deadbeefcafe", "Face0ff1ce12", "9787025184441",
]  # fmt: skip
MIXED_TYPED = {
    "CR 99 13 51 B": "NATIONAL_ID", "026101863": "SSN", "033 24 9866": "SSN", "e04c.8a86.5f57": "DEVICE_ID",
    "e04c8a865f57": "DEVICE_ID", "04FBDE4C33AA": "DEVICE_ID",
}  # fmt: skip
MIXED_KEPT = [
    "666123456",
    "000 12 3456",
    "123400000",
    "deadbeefcafe",
    "Face0ff1ce12",
    "9787025184441",
    "#824545893",
]


def test_a_mixed_columns_whole_values_are_typed(detector: Detector) -> None:
    found = types_by_row(detector, "value", MIXED)
    for value, kind in MIXED_TYPED.items():
        assert kind in found.get(MIXED.index(value), set()), value
    for value in MIXED_KEPT:
        assert MIXED.index(value) not in found, value


def test_a_mixed_column_is_scrubbed_as_it_was_detected(detector: Detector) -> None:
    column = pa.array(MIXED)
    detector.detect(pa.record_batch({"value": column}))
    out = detector.scrub_text(column, per_value(lambda id_type, text: f"<{id_type.value}>"))
    scrubbed = dict(zip(MIXED, out.to_pylist(), strict=True))
    assert {value: scrubbed[value] for value in MIXED_TYPED} == {k: f"<{v}>" for k, v in MIXED_TYPED.items()}
    assert all(scrubbed[value] == value for value in MIXED_KEPT)
    # Another array of the same column (the pipeline reads its own): the same scanner.
    again = detector.scrub_text(pa.array(list(MIXED)), per_value(lambda id_type, text: "X"), field="value")
    assert again.to_pylist()[MIXED.index("026101863")] == "X"


def test_nine_digits_in_a_column_of_order_numbers_stay(detector: Detector) -> None:
    orders = ["026101863", "311112186", "284960702", "145227781", "530016742", "402918273"]
    assert types_by_row(detector, "order_ref", orders) == {}
    # ...and twelve hex digits in a column of ids.
    assert types_by_row(detector, "build", ["e04c8a865f57", "a1b2c3d4e5f6", "0f9e8d7c6b5a"]) == {}
