"""National identifiers of countries other than the US (NATIONAL_ID): each format's check, column
detection by header and by values, free text after a keyword, and the decoys that must not count."""

from __future__ import annotations

import pyarrow as pa
import pytest

from compliance.anonymize.tokenize import Tokenizer, TokenKey
from compliance.columns import ColumnRole
from compliance.detection import Detector
from compliance.detection.recognizers.foreign_id_checks import valid_formats
from compliance.policy import load_policy
from compliance.vocabulary import Domain, IdType

DETECTOR = Detector()

# Valid numbers (published examples or computed by hand from the definitions), in usual notations.
VALID = {
    "nhs": ("943 476 5919", "9434765919", "943-476-5919", "401 023 2137"),
    "nino": ("AB123456C", "AB 12 34 56 C", "ab123456c", "JG103759A"),
    "sin": ("046 454 286", "046-454-286", "130692544"),
    "nir": ("2 95 10 99 126 111 93", "295109912611193", "186022A21532523", "1 84 12 76 451 089 46"),
    "dni": ("12345678Z", "X1234567L", "Y-1234567-X", "00000023T"),
    "codice_fiscale": ("RCCMNL83S18D969H", "RSSMRA85T10A562S", "MRTMTT91D08F205J"),
    "bsn": ("111222333", "1112.22.333", "123456782"),
    "steuer_id": ("36574261809", "36 574 261 809", "65929970489", "26954371827"),
    "aadhaar": ("234123412346", "2341 2341 2346"),
    "cpf": ("123.456.789-09", "12345678909", "529.982.247-25"),
    "tfn": ("123 456 782", "123456782"),
    "tfn_short": ("123 456 77", "12345677"),
    "personnummer": ("880320-0016", "19880320-0016", "811228-9874"),
    "belgian": ("85.07.30-033.28", "85073003328"),
}
# One character off each (a typo), or a shape a rule of the format excludes.
INVALID = {
    "nhs": ("943 476 5918", "0000000000", "123 456 7890"),
    "nino": ("AB123456E", "BG123456C", "DA123456A", "QQ123456C"),
    "sin": ("046 454 287", "000000000", "846 454 282"),
    "nir": ("295109912611199", "2 95 13 99 126 111 93", "5 95 10 99 126 111 93"),
    "dni": ("12345678A", "X1234567A", "1234567Z"),
    "codice_fiscale": ("RCCMNL83S18D969A", "RCCMNL83Z18D969H"),
    "bsn": ("111222334", "000000000"),
    "steuer_id": ("36574261808", "01234567890", "11234567891", "11123456789"),
    "aadhaar": ("234123412345", "123412341234"),
    "cpf": ("123.456.789-00", "111.111.111-11"),
    "tfn": ("123 456 781",),
    "personnummer": ("880320-0017", "881320-0016"),
    "belgian": ("85.07.30-033.29", "85.13.30-033.28"),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_each_format_accepts_valid_numbers(name: str) -> None:
    assert valid_formats(pa.array(VALID[name]), (name,)).all(), name


@pytest.mark.parametrize("name", sorted(INVALID))
def test_each_format_rejects_wrong_checks(name: str) -> None:
    assert not valid_formats(pa.array(INVALID[name]), (name,)).any(), name


def test_validators_take_nulls_and_odd_values() -> None:
    values = pa.array([None, "", "  ", "N/A", "943 476 5919", "ORD-2024-000123", "écrit"])
    assert valid_formats(values).tolist() == [False, False, False, False, True, False, False]


def _column_types(header: str, values: list[str | None]) -> tuple[ColumnRole, IdType | None, set[str]]:
    batch = pa.record_batch({header: pa.array(values, pa.string())})
    (column,) = DETECTOR.classify(batch)
    found = DETECTOR.detect(batch, [column])
    return column.role, column.id_type, set(found.column("type").to_pylist())


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("nhs_number", ["943 476 5919", "4010232137"]),
        ("NINO", ["AB123456C", "JG 10 37 59 A"]),
        ("ni_number", ["AB123456C"]),
        ("social_insurance_number", ["046 454 286"]),
        ("SIN", ["130692544"]),
        ("nir", ["2 95 10 99 126 111 93"]),
        ("insee", ["186022A21532523"]),
        ("DNI", ["12345678Z"]),
        ("nie", ["X1234567L"]),
        ("codice_fiscale", ["RSSMRA85T10A562S"]),
        ("bsn", ["111222333"]),
        ("burgerservicenummer", ["1112.22.333"]),
        ("Steuer-ID", ["36574261809"]),
        ("steuerid", ["65929970489"]),
        ("aadhaar", ["2341 2341 2346"]),
        ("cpf", ["529.982.247-25"]),
        ("tfn", ["123 456 782"]),
        ("personnummer", ["880320-0016"]),
        ("national_id", ["12345678Z", "AB123456C", "295109912611193"]),
        ("citizenId", ["RSSMRA85T10A562S"]),
    ],
)
def test_headers_name_the_type(header: str, values: list[str]) -> None:
    role, id_type, found = _column_types(header, values)
    assert (role, id_type, found) == (ColumnRole.IDENTIFIER, IdType.NATIONAL_ID, {"NATIONAL_ID"})


def test_named_column_fails_closed_on_values_that_do_not_validate() -> None:
    _, id_type, found = _column_types("national_id", ["12345678Z", "AB123456C", "K-99812-Q", "N/A"])
    assert id_type is IdType.NATIONAL_ID
    assert found == {"NATIONAL_ID", "UNRECOGNISED_SENSITIVE"}


def test_us_headers_are_not_taken() -> None:
    assert _column_types("ssn", ["123-45-6789"])[1] is IdType.SSN
    assert _column_types("national_id", ["123-45-6789", "234-56-7890"])[1] is IdType.SSN
    assert _column_types("tax_id", ["12-3456789"])[0] is ColumnRole.SENSITIVE


@pytest.mark.parametrize(
    "values",
    [
        ["RSSMRA85T10A562S", "RCCMNL83S18D969H", "MRTMTT91D08F205J"],
        ["AB123456C", "JG103759A", "AB 12 34 56 C"],
        ["12345678Z", "X1234567L", "00000023T"],
        ["2 95 10 99 126 111 93", "186022A21532523", "1 84 12 76 451 089 46"],
        ["123.456.789-09", "529.982.247-25"],
    ],
)
def test_distinctive_values_type_a_column_without_header(values: list[str]) -> None:
    assert _column_types("col_7", values)[1] is IdType.NATIONAL_ID


@pytest.mark.parametrize(
    "values",
    [
        # A third proven by their own forms (a US SSN, a NINO, a DNI), the rest numbers of countries
        # without a rule here (Turkish, Romanian, Korean).
        ["123-45-6789", "AB123456C", "12345678Z", "10000000146", "1850512345678", "900101-1234567"],
        # Half of them written with dashes, half without.
        ["123-45-6789", "234-56-7890", "345-67-8901", "456789012", "567890123", "678901234"],
    ],
)
def test_a_headerless_column_of_national_numbers_fails_closed(values: list[str]) -> None:
    batch = pa.record_batch({"col_5": pa.array(values)})
    (column,) = DETECTOR.classify(batch)
    found = DETECTOR.detect(batch, [column])
    assert column.id_type is IdType.NATIONAL_ID
    assert sorted(set(found.column("row").to_pylist())) == list(range(len(values)))


@pytest.mark.parametrize(
    "values",
    [
        ["111222333", "123456782", "130692544"],  # nine bare digits: BSN, TFN or SIN? or nothing
        ["943 476 5919", "401 023 2137"],  # ten digits: NHS numbers, or phone numbers
        ["ORD-2024-000123", "ORD-2024-000124"],
        ["10000000146", "18505123456", "73620159482", "55193840027"],  # eleven digits, none proven
    ],
)
def test_ambiguous_values_alone_do_not_type_a_column(values: list[str]) -> None:
    assert _column_types("col_7", values)[1] is not IdType.NATIONAL_ID


def text_types(note: str) -> set[str]:
    found = DETECTOR.detect(pa.record_batch({"notes": pa.array([note], pa.string())}))
    return set(found.column("type").to_pylist())


@pytest.mark.parametrize(
    "note",
    [
        "Patient NHS no: 943 476 5919 registered with the GP.",
        "NHS number 9434765919",
        "NI number AB 12 34 56 C on file",
        "NINO: AB123456C",
        "National Insurance no. JG103759A checked",
        "employee AB123456C started in May",
        "social insurance number: 130 692 544",
        "NIR : 2 95 10 99 126 111 93",
        "numéro de sécurité sociale 186022A21532523",
        "DNI 12345678Z",
        "NIE X1234567L caducado",
        "codice fiscale RCCMNL83S18D969H",
        "C.F. RSSMRA85T10A562S",
        "cliente RSSMRA85T10A562S verificato",
        "BSN 111222333",
        "burgerservicenummer: 1112.22.333",
        "Steuer-ID 36 574 261 809 hinterlegt",
        "Steuer-IdNr. 65929970489",
        "Aadhaar 2341 2341 2346",
        "aadhar no. 234123412346",
        "CPF 123.456.789-09",
        "CPF: 52998224725",
        "TFN 123 456 782",
        "tax file number 123456782",
        "personnummer 880320-0016",
        "rijksregisternummer 85.07.30-033.28",
        "national ID: 12345678Z",
        "citizen id 2 95 10 99 126 111 93",
    ],
)
def test_text_after_keyword(note: str) -> None:
    assert IdType.NATIONAL_ID.value in text_types(note)


@pytest.mark.parametrize(
    "note",
    [
        "NHS no: 943 476 5918",  # check digit off
        "NINO AB123456E",
        "DNI 12345678A",
        "codice fiscale RCCMNL83S18D969A",
        "BSN 111222334",
        "Steuer-ID 36574261808",
        "Aadhaar 2341 2341 2345",
        "CPF 123.456.789-00",
        "TFN 123 456 781",
        "personnummer 880320-0017",
        "NIR 2 95 10 99 126 111 99",
        # valid numbers without their keyword: order and ticket numbers look the same
        "Order 111222333 shipped",
        "Invoice 123.456.789-09 paid",
        "Reference 36574261809 closed",
        "Batch 2 95 10 99 126 111 93 exported",
        "Ref 12345678Z",
        "since 046 454 286 the case is open",
        # dates and phones
        "visit 1985-07-30, callback 2025-01-02",
        "call +44 20 7946 0958",
        "Ticket #12345 closed",
        "SKU AB-1234-XL backordered",
    ],
)
def test_text_decoys(note: str) -> None:
    assert IdType.NATIONAL_ID.value not in text_types(note)


def test_scrubbing_keeps_the_keyword_and_tokenizes_the_number() -> None:
    tokenizer = Tokenizer(TokenKey("k1", b"national-id-test-key-012345"))
    notes = pa.array(["NIR : 2 95 10 99 126 111 93 et BSN 111222333.", "BSN 111222334", None])
    DETECTOR.detect(pa.record_batch({"notes": notes}))
    scrubbed = DETECTOR.scrub_text(notes, lambda t, texts: tokenizer.tokenize_array(texts, t)).to_pylist()
    assert scrubbed[0].startswith("NIR : NATIONAL_ID_k1_") and " et BSN NATIONAL_ID_k1_" in scrubbed[0]
    assert "2 95 10" not in scrubbed[0] and "111222333" not in scrubbed[0]
    assert scrubbed[1:] == ["BSN 111222334", None]


@pytest.mark.parametrize("domain", list(Domain))
def test_every_policy_tokenizes_national_ids_under_gdpr(domain: Domain) -> None:
    rule = load_policy(domain).types[IdType.NATIONAL_ID]
    assert (rule.regulation, rule.anonymizer, rule.reversible) == ("GDPR", "tokenize", True)
