"""Round 12 (columns whose header or values were not recognised): people named by their role
towards the record ("Manager", "PCP": a name column when its values are names), a pharmacy
claim's "Cardholder ID", a person's tax reference, a headerless column of plain names, and a
column of values of many kinds (mixed.py). Values are made up here."""

from __future__ import annotations

import pyarrow as pa
import pytest

from compliance.columns import ColumnRole
from compliance.detection import Detector
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
