"""Formats found leaking by hand-written probe files (pharmacy JSONL with nested objects, UK payroll
CSV, support chats, camelCase Parquet; round 4, issue 11: Spanish, French, German and Italian exports
with native headers, a US payroll with names Faker does not know, a call-centre transcript, a FHIR
Patient's identifier list, grid-cell columns): each is detected, and its decoys are left alone."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest

from compliance.columns import ColumnRole
from compliance.detection import Detector
from compliance.detection.headers import normalize_header, without_ordinal
from compliance.detection.recognizers.foreign_id_checks import valid_formats
from compliance.detection.recognizers.people import PersonNameRecognizer
from compliance.detection.scanner import TextScanner
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import found_in as _found
from tests.unit.detection_helpers import scrubbed as _scrubbed


def test_nested_json_keys_and_titles(detector: Detector) -> None:
    prescriber = '{"name":"Dr. Priya Raman","npi":"1245319599","dea":"BR1234563"}'
    # The key names a person's name: the whole value is replaced, as a "name" column's would be.
    assert _scrubbed(detector, [prescriber]) == ['{"name":"<PERSON_NAME>","npi":"<NPI>","dea":"<NPI>"}']
    found = _found(detector, ['{"mrn":"A7731002","member id":"XQH884512093","dob":"1958-07-22"}'])
    assert found[IdType.MRN] == [0] and found[IdType.DATE_OF_BIRTH] == [0]


def test_headers_with_plural_marker_or_glued_number() -> None:
    assert normalize_header("Forename(s)") == "forename"
    assert normalize_header("Address(es)") == "address"
    assert without_ordinal(normalize_header("zipCode5")) == "zip_code"
    assert without_ordinal("sha256") is None


def test_classified_by_header_variants(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "Forename(s)": ["Pieter", "Siobhán"],
            "zipCode5": pa.array([2118, 10018], pa.int32()),
            "Sort Code / Account": ["20-00-00 / 55779911", "93-11-52 / 12345678"],
            "phone2": ["(617) 252-3870", "212-736-5000"],
        }
    )
    types = {c.field: c.id_type for c in detector.classify(batch)}
    assert types == {
        "Forename(s)": IdType.PERSON_NAME,
        "zipCode5": IdType.ZIP_CODE,
        "Sort Code / Account": IdType.BANK_ACCOUNT,
        "phone2": IdType.PHONE,
    }
    found = detector.detect(batch)
    assert found.num_rows == 8


def test_sort_code_in_text(detector: Detector) -> None:
    found = _found(detector, ["Paid to sort code 40-47-84 / 70872490", "sort by code 12"])
    assert found.get(IdType.BANK_ACCOUNT) == [0]


def test_obfuscated_emails(detector: Detector) -> None:
    texts = [
        "my email is jessica.alvarez(at)gmail.com thanks",
        "write to jane [at] web [dot] de",
        "john dot doe at gmail dot com",
        "meet at noon (at) the desk",
        "we arrived at Boston dot",
    ]
    assert _found(detector, texts).get(IdType.EMAIL) == [0, 1, 2]


def test_ndc_codes_are_not_phones(detector: Detector) -> None:
    found = _found(detector, ["NDC 0378-3952-77 dispensed", "ndc 68180-0513-01", "call 020 7946 0018"])
    assert found.get(IdType.PHONE) == [2]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("spoke with Maria Gonzalez-Ruiz's daughter", "Maria Gonzalez-Ruiz"),
        ("per Dr. note, patient Alice Wong may take with food", "Alice Wong"),
        ("Wife Linda Chen picked up", "Linda Chen"),
        ("Mother: Carmen de la Fuente, 312", "Carmen de la Fuente"),
        ("Name on card Michael J. Donovan", "Michael J. Donovan"),
        ("Kevin O'Brien called", "Kevin O'Brien"),
        ("Called Harold McAllister re fasting labs", "Harold McAllister"),
        ("María José Gutiérrez came in", "María José Gutiérrez"),
        ("Emergency: Sophie van der Berg", "Sophie van der Berg"),
        # A doctor with initials, or after the words that bring one in ("Dr" alone is also a street).
        ("Seen by Dr. A. Patel.", "A. Patel"),
        ("PCP Dr Lee", "Lee"),
        ("paged Dr J Ewing overnight", "J Ewing"),
        # Round 5: any capitalised pair after words that announce a person, no list needed.
        ("Spoke with daughter Imani Boone, cell 617", "Imani Boone"),
        ("Contact: Oluwaseun Adeyemi (spouse) at home", "Oluwaseun Adeyemi"),
        ("Chiamaka Taylor is a 54 y/o admitted for chest pain", "Chiamaka Taylor"),
        ("customer: it's Ngozi Washington. agent: thanks", "Ngozi Washington"),
        ("Patient Zainab Smith reports SOB", "Zainab Smith"),
        ("agent: account updated for Kwabena Vallée. New", "Kwabena Vallée"),
        ("Spoke with Yetunde Hall (joint holder) re: card", "Yetunde Hall"),
        ("FPS CREDIT FROM SHARON DAWSON SORT", "SHARON DAWSON"),
        ("FPS CREDIT FROM DAWN GREEN SORT", "DAWN GREEN"),
        ("Émile Navarro a appelé", "Émile Navarro"),
    ],
)
def test_names_in_text_without_title(detector: Detector, text: str, name: str) -> None:
    assert _scrubbed(detector, [text]) == [text.replace(name, "<PERSON_NAME>")]


@pytest.mark.parametrize(
    "text",
    [
        "ship to 12 Franklin Street",
        "transferred to Jackson Memorial on Friday",
        "Will Call pickup at Victoria Station",
        "Grace Period ends in May Update",
        "Version 5.12.0 fixes order ORD-2024-000981 for $89.99",
        "lives on Elm Dr Springfield",
        # Round 5: words that announce a person, before no name.
        "Patient Portal Access granted",
        "spoke with The Clinic about billing",
        "TRANSFER FROM SAVINGS ACCOUNT",
        "it's Monday Morning again",
        "Église Saint-Pierre closed",
    ],
)
def test_capitalised_words_that_are_no_name(detector: Detector, text: str) -> None:
    assert IdType.PERSON_NAME not in _found(detector, [text])


def test_name_pattern_hint_never_misses() -> None:
    """Scanning with and without the C prefilter gives the same names."""
    texts = pa.array(["Called Renée Müller today", "Ask for Tom Becker", "no names here", "Órla said hi"])
    scanner = TextScanner(Detector().recognizers)
    hinted = scanner.find(texts)
    scanner._hints = type("NoHints", (), {"candidate_types": staticmethod(lambda strings: None)})()
    scanner.forget_batch()
    plain = scanner.find(texts)
    assert hinted.keys() == plain.keys()
    assert all(np.array_equal(hinted[k], plain[k]) for k in hinted)
    assert hinted[IdType.PERSON_NAME].tolist() == [0, 1]


def test_free_text_role_for_numbered_notes(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict({"notes2": ["Called Tom Becker"]})
    assert detector.classify(batch)[0].role is ColumnRole.FREE_TEXT


def test_degree_notations_read_as_decimal_pairs() -> None:
    from compliance.coordinates import positions_as_pairs

    values = pa.array(
        ['42°21\'36.3"N 71°03\'32.0"W', "42.3601° N, 71.0589° W", "51°30′26″N 0°07′39″W", "40° 42' N, 74° 0' W",
         "POINT(-71.06 42.36)", "Room 12", None]
    )  # fmt: skip
    assert positions_as_pairs(values).to_pylist() == [
        "42.3601,-71.0589", "42.3601,-71.0589", "51.5072,-0.1275", "40.70,-74.00", "42.36,-71.06", "Room 12", None,
    ]  # fmt: skip


def test_a_position_in_degrees_minutes_seconds_is_detected_and_coarsened(tmp_path) -> None:
    """Found by a device-pings probe: a `position_dms` column left raw (the location rule re-read
    precision on the raw text and dropped the violation), geohash / H3 / user columns loaded raw."""
    import json

    import pyarrow.csv as pcsv

    from compliance.anonymize.tokenize import Tokenizer, TokenKey
    from compliance.scan import scan_file

    source, output, violations = tmp_path / "pings.csv", tmp_path / "out.csv", tmp_path / "v.jsonl"
    table = pa.table(
        {
            "ping_id": ["p1", "p2"],
            "position_dms": ["42°21'36.3\"N 71°03'32.0\"W", "40°42'46.0\"N 74°00'21.5\"W"],
            "col7": ["51.5074° N, 0.1278° W", "48.8584° N, 2.2945° E"],
            "geohash": ["drt2yzr7q", "dr5regw3p"],
            "user": ["jdoe42", "msmith"],
        }
    )
    pcsv.write_csv(table, source)
    scan_file(
        source, violations_out=violations, output=output, domain="location", threads=1,
        tokenizer=Tokenizer(TokenKey("k1", b"probe-test-key-0123456789abcdef")),
    )  # fmt: skip
    found = {(v["row"], v["field"], v["type"]) for v in map(json.loads, violations.read_text().splitlines())}
    for row in (0, 1):
        assert (row, "position_dms", "GPS_COORDINATES") in found
        assert (row, "col7", "GPS_COORDINATES") in found
        assert (row, "geohash", "UNRECOGNISED_SENSITIVE") in found
        assert (row, "user", "UNRECOGNISED_SENSITIVE") in found
    out = pcsv.read_csv(output).to_pydict()
    assert out["position_dms"] == ["42.36,-71.06", "40.71,-74.01"]
    assert out["col7"] == ["51.51,-0.13", "48.86,2.29"]
    for column in ("geohash", "user"):
        assert not set(out[column]) & set(table.column(column).to_pylist())


# --- probe round 4 (issue 11) ---


def test_headers_fold_accents() -> None:
    assert normalize_header("Teléfono") == "telefono"
    assert normalize_header("Móvil") == "movil"
    assert normalize_header("Straße") == "strasse"
    assert normalize_header("Nº Seguridad Social") == "no_seguridad_social"
    assert normalize_header("N° sécurité sociale") == "n_securite_sociale"
    assert normalize_header("Téléphone portable") == "telephone_portable"


# Header -> (two values, the type the header must give): native headers of the round-4 probes.
NATIVE_HEADERS = {
    "Nombre": (["Víctor", "Ruy"], IdType.PERSON_NAME),
    "Apellidos": (["Solana Sans", "Santamaría Criado"], IdType.PERSON_NAME),
    "Fecha de nacimiento": (["01/01/1973", "02/06/1981"], IdType.DATE_OF_BIRTH),
    "Nº Historia": (["HC-181854", "HC-110339"], IdType.MRN),
    "Nº Seguridad Social": (["025388228110", "39 81644941 96"], IdType.NATIONAL_ID),
    "Teléfono": (["934 70 61 36", "956 85 15 16"], IdType.PHONE),
    "Móvil": (["601 854 794", "+34 631 920 923"], IdType.PHONE),
    "Dirección": (["Pasaje Marcio Cifuentes 9", "Calle Mayor 12"], IdType.STREET_ADDRESS),
    "Código postal": (["47926", "35198"], IdType.ZIP_CODE),
    "Prénom": (["Anaïs", "Charles"], IdType.PERSON_NAME),
    "Date de naissance": (["28/07/1970", "24/01/2002"], IdType.DATE_OF_BIRTH),
    "Téléphone fixe": (["0493236215", "+33 1 31 27 47 17"], IdType.PHONE),
    "Geburtsdatum": (["02.11.1954", "10.02.1977"], IdType.DATE_OF_BIRTH),
    "Straße": (["Eberthallee 94", "Reisingplatz 111"], IdType.STREET_ADDRESS),
    "Handynummer": (["0170 2376358", "01706802304"], IdType.PHONE),
    "Cognome": (["Vecoli", "Foà"], IdType.PERSON_NAME),
    "CAP": (["30015", "13823"], IdType.ZIP_CODE),
    "Employee": (["Ngozi Washington-Hayes", "DeShawn Whitaker"], IdType.PERSON_NAME),
}


def test_native_headers_type_their_columns(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict({header: values for header, (values, _) in NATIVE_HEADERS.items()})
    assert {c.field: c.id_type for c in detector.classify(batch)} == {
        header: id_type for header, (_, id_type) in NATIVE_HEADERS.items()
    }


def test_spanish_social_security_number() -> None:
    # Province, eight digits, (province + number) mod 97; the number's leading zero dropped under 10^7.
    valid = valid_formats(pa.array(["281234567840", "28/12345678/40", "39 81644941 96", "080123456774"]))
    assert valid.tolist() == [True, True, True, True]
    wrong = valid_formats(pa.array(["281234567841", "001234567840"]), ("spanish_nss",))
    assert wrong.tolist() == [False, False]


def test_cell_id_columns_fail_closed_not_phone(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "h3_cell": ["8a2a1072b59ffff", "8a2a1072b5b7fff"],
            "cell_id": ["310-410-2311-40993", "310-410-2311-40994"],
            "cell": ["(617) 252-3870", "212-736-5000"],
        }
    )
    classes = {c.field: c for c in detector.classify(batch)}
    assert classes["h3_cell"].role is ColumnRole.SENSITIVE and classes["h3_cell"].id_type is None
    assert classes["cell_id"].role is ColumnRole.SENSITIVE and classes["cell_id"].id_type is None
    assert classes["cell"].id_type is IdType.PHONE


def test_fhir_identifier_list_fails_closed(detector: Detector) -> None:
    cell = (
        '[{"system":"urn:oid:2.16.840.1.113883.19.5","value":"2533914"},'
        '{"system":"http://hl7.org/fhir/sid/us-ssn","value":"168474505"}]'
    )
    batch = pa.RecordBatch.from_pydict({"identifier": [cell]})
    assert detector.classify(batch)[0].role is ColumnRole.SENSITIVE
    found = detector.detect(batch)
    assert found.num_rows >= 1 and set(found.column("field").to_pylist()) == {"identifier"}


def test_keywords_and_titles_of_other_languages(detector: Detector) -> None:
    texts = [
        "Llamar al móvil 612 345 678 por la tarde.",  # 0: a number without trunk 0, after "móvil"
        "MÓVIL 612 345 678",  # 1
        "Paciente nacido el 24/09/1983, acude por dolor lumbar.",  # 2
        "Mitarbeiterin geb. 02.11.1954 in Köln",  # 3
        "Personne à prévenir : M. Émile Navarro",  # 4
        "Rückfrage bei Frau Dörte Mälzer",  # 5
        "hi, my name is Oluwaseun Adeyemi and I need help",  # 6
        "Called Darnell Whitaker re W-4 update; per LaToya McAllister in HR",  # 7
    ]
    found = _found(detector, texts)
    assert found[IdType.PHONE] == [0, 1]
    assert found[IdType.DATE_OF_BIRTH] == [2, 3]
    assert found[IdType.PERSON_NAME] == [4, 5, 6, 7]
    assert _scrubbed(detector, texts[7:]) == ["Called <PERSON_NAME> re W-4 update; per <PERSON_NAME> in HR"]


def test_european_street_addresses_in_text(detector: Detector) -> None:
    texts = [
        "Neue Anschrift ab 1.4.: Gaby-Heinrich-Allee 15, 32218 Wolfenbüttel",
        "Domicilié 12 bis rue de la Paix, 75002 Paris.",
        "Vive en Calle Mayor, 12 desde enero",
        "Nieuw adres: Kerkstraat 12",
        "Richiamare, abita in Via Giuseppe Verdi 7",
    ]
    assert _scrubbed(detector, texts) == [
        "Neue Anschrift ab 1.4.: <STREET_ADDRESS>",
        "Domicilié <STREET_ADDRESS>.",
        "Vive en <STREET_ADDRESS> desde enero",
        "Nieuw adres: <STREET_ADDRESS>",
        "Richiamare, abita in <STREET_ADDRESS>",
    ]


def test_decoys_stay(detector: Detector) -> None:
    decoys = [
        "Spring 2024 offering 3 items",
        "sent via FedEx 2 days ago",
        "took place 3 times last week",
        "Fraud alert raised on 3 cards",
        "Sig. of 2 providers required",
        "Williams Johnson Davis 12",
    ]
    assert _found(detector, decoys) == {}


def test_given_name_hint_keeps_shortest_prefixes(detector: Detector) -> None:
    hint = PersonNameRecognizer.untitled_pattern.hint
    assert hint is not None
    words = hint.exact
    # One prefix stands for "Anna" and "Annabelle", one for "Darnell" and "Darla".
    assert "Anna" not in words and any("Anna".startswith(word) for word in words)
    assert "Darnell" not in words and any("Darnell".startswith(word) for word in words)
    assert not any(b.startswith(a) for a, b in itertools.pairwise(words))
    # A name with a non-ASCII second letter has no keyword; its text is probed all the same.
    assert _found(detector, ["Contactar con su hija Máxima Vélez", "ask Jürgen Becker"]) == {
        IdType.PERSON_NAME: [0, 1]
    }
