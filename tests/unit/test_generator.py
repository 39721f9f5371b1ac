"""The synthetic data generator: determinism, formats, bounded batches and label correctness.

Labels are checked with validators written here from the public specs (SSA, ISO 13616, Luhn, NPI,
ISO 3779, phonenumbers), independent of the detection package: every labelled cell must validate
and every unlabelled candidate cell (decoys, tokens, masked values) must not.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple, TypeVar

import phonenumbers
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq
import pytest

from compliance.anonymize.tokenize import TOKEN_REGEX
from compliance.generator import (
    DOMAIN_COLUMNS,
    ColumnSpec,
    GeneratedData,
    GpsColumns,
    IdColumn,
    RecordDateColumn,
    TextColumn,
    generate,
    json_lines,
    write_dataset,
)
from compliance.policy import load_policy
from compliance.vocabulary import VIOLATION_KEYS, Domain, IdType, Regulation, Severity

AS_OF = date(2025, 6, 1)
ROWS = 3000
BATCH = 1000
ColumnT = TypeVar("ColumnT", bound=ColumnSpec)


# --- validators from the public specs ----------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def ssn_ok(value: str) -> bool:
    m = re.fullmatch(r"(\d{3})-(\d{2})-(\d{4})|(\d{3})(\d{2})(\d{4})", value)
    if not m:
        return False
    area, group, serial = (g for g in m.groups() if g is not None)
    bad_area = area in ("000", "666") or area >= "900"
    return not (bad_area or group == "00" or serial == "0000" or value.replace("-", "") == "078051120")


CARD_PREFIXES = (
    r"4\d{15}",
    r"5[1-5]\d{14}",
    r"2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)\d{12}",
    r"3[47]\d{13}",
    r"6011\d{12}",
    r"65\d{14}",
    r"35(?:2[89]|[3-8]\d)\d{12}",
)


def card_ok(value: str) -> bool:
    if not re.fullmatch(r"\d[\d -]{11,22}\d", value):
        return False
    digits = re.sub(r"[ -]", "", value)
    return any(re.fullmatch(p, digits) for p in CARD_PREFIXES) and luhn_ok(digits)


IBAN_LENGTHS = {"GB": 22, "DE": 22, "FR": 27, "ES": 24, "NL": 18, "IT": 27, "BE": 16}


def iban_ok(value: str) -> bool:
    compact = value.replace(" ", "")
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", compact) or IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def npi_ok(value: str) -> bool:
    return bool(re.fullmatch(r"[12]\d{9}", value)) and luhn_ok("80840" + value)


VIN_VALUES = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9],
        strict=True,
    )
)
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_ok(value: str) -> bool:
    if not re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", value):
        return False
    total = sum(
        (int(c) if c.isdigit() else VIN_VALUES[c]) * w for c, w in zip(value, VIN_WEIGHTS, strict=True)
    )
    return value[8] == ("X" if total % 11 == 10 else str(total % 11))


def phone_ok(value: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, "US"))
    except phonenumbers.NumberParseException:
        return False


def ip_ok(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def dob_ok(value: str) -> bool:
    try:
        born = date.fromisoformat(value)
    except ValueError:
        return False
    return AS_OF - timedelta(days=365 * 100 + 25) <= born < AS_OF


def device_ok(value: str) -> bool:
    uuid = re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)
    mac = re.fullmatch(r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}", value.lower())
    imei = re.fullmatch(r"\d{15}", value) and luhn_ok(value)
    return bool(uuid or mac or imei)


STREET_SUFFIXES = r"(?:St|Ave|Rd|Blvd|Ln|Way|Street|Avenue|Road|Court|Place)"
VALIDATORS = {
    IdType.SSN: ssn_ok,
    IdType.CREDIT_CARD: card_ok,
    IdType.IBAN: iban_ok,
    IdType.NPI: npi_ok,
    IdType.VIN: vin_ok,
    IdType.PHONE: phone_ok,
    IdType.IP_ADDRESS: ip_ok,
    IdType.DATE_OF_BIRTH: dob_ok,
    IdType.DEVICE_ID: device_ok,
    IdType.EMAIL: lambda v: bool(re.fullmatch(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", v)),
    IdType.PERSON_NAME: lambda v: bool(re.fullmatch(r"[A-Z][A-Za-z'-]+(?: [A-Z][A-Za-z'-]+)+", v)),
    IdType.STREET_ADDRESS: lambda v: bool(re.fullmatch(rf"\d{{1,5}} [A-Z][A-Za-z'-]+ {STREET_SUFFIXES}", v)),
    IdType.ZIP_CODE: lambda v: bool(re.fullmatch(r"\d{5}(?:-\d{4})?", v)),
    IdType.MRN: lambda v: bool(re.fullmatch(r"MRN-\d{7}|\d{8}", v)),
    IdType.BANK_ACCOUNT: lambda v: bool(re.fullmatch(r"\d{10}|\d{12}", v)),
    IdType.CARD_CVV: lambda v: bool(re.fullmatch(r"\d{3,4}", v)),
    IdType.PASSPORT: lambda v: bool(re.fullmatch(r"[A-Z]\d{8}|[1-9]\d{8}", v)),
}

# Identifiers embedded in free text: candidate pattern, then the validator of the type.
TEXT_PATTERNS = {
    IdType.EMAIL: (r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", VALIDATORS[IdType.EMAIL]),
    IdType.SSN: (r"\b\d{3}-\d{2}-\d{4}\b", ssn_ok),
    IdType.CREDIT_CARD: (r"\b\d(?:[ -]?\d){12,18}\b", card_ok),
    IdType.IBAN: (r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4})+\b", iban_ok),
    IdType.MRN: (r"MRN: (\d{7})\b", lambda v: True),
    IdType.DATE_OF_BIRTH: (r"DOB: (\d{4}-\d{2}-\d{2})", dob_ok),
    IdType.IP_ADDRESS: (r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b[0-9a-f]{4}(?::[0-9a-f]{4}){7}\b", ip_ok),
}


def text_types(text: str) -> set[IdType]:
    """Identifier types validly embedded in a free-text value."""
    found = {t for t, (pattern, ok) in TEXT_PATTERNS.items() if any(ok(m) for m in re.findall(pattern, text))}
    # The digit groups of a valid IBAN are no card number, even when four of them pass Luhn.
    iban_pattern, _ = TEXT_PATTERNS[IdType.IBAN]
    without_ibans = re.sub(iban_pattern, lambda m: " " if iban_ok(m.group()) else m.group(), text)
    card_pattern, _ = TEXT_PATTERNS[IdType.CREDIT_CARD]
    if not any(card_ok(m) for m in re.findall(card_pattern, without_ibans)):
        found.discard(IdType.CREDIT_CARD)
    # STRICT_GROUPING: valid numbers written in their usual groups. The default leniency (VALID) also
    # takes digit runs such as "2019-074421" of the order-number decoy "ORD-2019-074421"; and a
    # 7-digit match without area code ("MRN: 3104608") is a local number, not an identifier.
    matcher = phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.STRICT_GROUPING)
    if any(len(re.sub(r"\D", "", m.raw_string)) >= 10 for m in matcher):
        found.add(IdType.PHONE)
    return found


def decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text else 0


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=list(Domain))
def generated(request: pytest.FixtureRequest) -> tuple[str, list[GeneratedData]]:
    domain = request.param
    return domain, list(generate(domain, ROWS, seed=7, as_of=AS_OF, batch_size=BATCH))


def _table_and_labels(batches: list[GeneratedData]) -> tuple[list[dict], pa.Table]:
    table = pa.concat_tables([b.table for b in batches])
    labels = pa.concat_tables([b.labels for b in batches])
    return table.to_pylist(), labels


def _labelled(labels: pa.Table) -> dict[tuple[str, IdType], set[int]]:
    out: dict[tuple[str, IdType], set[int]] = {}
    for row, field, type_ in zip(
        *(labels.column(k).to_pylist() for k in ("row", "field", "type")), strict=True
    ):
        out.setdefault((field, IdType(type_)), set()).add(row)
    return out


class LabelledRows(NamedTuple):
    domain: str
    table: list[dict]
    labelled: dict[tuple[str, IdType], set[int]]  # (field, type) -> the rows labelled so


@pytest.fixture(scope="module")
def labelled_rows(generated: tuple[str, list[GeneratedData]]) -> LabelledRows:
    """A domain's generated rows with the rows each (field, type) label marks (read-only: shared)."""
    domain, batches = generated
    table, labels = _table_and_labels(batches)
    return LabelledRows(domain, table, _labelled(labels))


def _columns(domain: str, kind: type[ColumnT]) -> list[ColumnT]:
    """The domain's column specs of one kind, in column order."""
    return [spec for spec in DOMAIN_COLUMNS[domain] if isinstance(spec, kind)]


# --- batches, labels and their semantics ------------------------------------------------------------


def test_batches_are_bounded_and_rows_counted(generated: tuple[str, list[GeneratedData]]) -> None:
    _, batches = generated
    assert [b.table.num_rows for b in batches] == [BATCH] * (ROWS // BATCH)
    for i, batch in enumerate(batches):
        rows = batch.labels.column("row").to_pylist()
        assert all(i * BATCH <= r < (i + 1) * BATCH for r in rows)
    assert list(generate("location", 2500, seed=1, as_of=AS_OF, batch_size=1000))[-1].table.num_rows == 500


def test_labels_are_valid_unique_and_sorted(generated: tuple[str, list[GeneratedData]]) -> None:
    domain, batches = generated
    table, labels = _table_and_labels(batches)
    policy = load_policy(domain)
    assert tuple(labels.column_names) == VIOLATION_KEYS
    records = labels.to_pylist()
    keys = [(r["row"], r["field"], r["type"]) for r in records]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    for record in records:
        rule = policy.label_for(IdType(record["type"]))
        assert (record["regulation"], record["severity"], record["rule"]) == (
            rule.regulation,
            rule.severity,
            rule.rule,
        )
        assert record["regulation"] in set(Regulation) and record["severity"] in set(Severity)
        assert record["field"] in table[0]
    # Each domain produces a realistic share of violating rows and every label kind it declares.
    policy_or_decoy = ("RETENTION_EXCEEDED", "UNRECOGNISED_SENSITIVE")
    assert 0.2 < len({r["row"] for r in records if r["type"] not in policy_or_decoy}) / ROWS < 0.45


def test_identifier_columns_labelled_exactly_when_the_value_validates(labelled_rows: LabelledRows) -> None:
    domain, table, labelled = labelled_rows
    for spec in _columns(domain, IdColumn):
        ok = VALIDATORS[spec.id_type]
        valid_rows = {i for i, row in enumerate(table) if row[spec.name] is not None and ok(row[spec.name])}
        assert valid_rows, spec.name
        assert labelled.get((spec.name, spec.id_type), set()) == valid_rows, spec.name


def test_decoys_are_labelled_unrecognised_and_placeholders_never(labelled_rows: LabelledRows) -> None:
    domain, table, labelled = labelled_rows
    for spec in _columns(domain, IdColumn):
        unlabelled = [
            row[spec.name]
            for i, row in enumerate(table)
            if i not in labelled.get((spec.name, spec.id_type), set()) and row[spec.name] is not None
        ]
        assert not any(VALIDATORS[spec.id_type](v) for v in unlabelled)
        # A decoy in a column named for an identifier is labelled UNRECOGNISED_SENSITIVE (fail
        # closed); tokens, "N/A" and masks are not.
        unrecognised = labelled.get((spec.name, IdType.UNRECOGNISED_SENSITIVE), set())
        for i in unrecognised:
            assert not re.fullmatch(TOKEN_REGEX, table[i][spec.name]) and table[i][spec.name] != "N/A"
        if spec.id_type is not IdType.CARD_CVV:  # a CVV has no placeholder: it is never kept
            tokens = [v for v in unlabelled if v.startswith(spec.id_type.value + "_")]
            assert tokens and all(re.fullmatch(TOKEN_REGEX, v) for v in tokens), spec.name
    decoy_checks = {
        "ssn": lambda v: re.fullmatch(r"(?:666|000|9\d\d)-\d\d-\d{4}|\d{3}-00-\d{4}|\d{3}-\d\d-0000", v),
        "card_number": lambda v: re.fullmatch(r"[45]\d{15}", v) and not luhn_ok(v),
        "iban": lambda v: re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9 ]+", v) and not iban_ok(v),
        "npi": lambda v: re.fullmatch(r"[12]\d{9}", v) and not npi_ok(v),
        "phone": lambda v: re.fullmatch(r"(?:\(1\d\d\) |1\d\d-)\d{3}-\d{4}", v),
    }
    columns = {spec.names[0] for spec in DOMAIN_COLUMNS[domain]}
    for name, is_decoy in decoy_checks.items():
        if name in columns:
            assert any(row[name] and is_decoy(row[name]) for row in table), name


def test_free_text_labels_match_embedded_identifiers(labelled_rows: LabelledRows) -> None:
    domain, table, labelled = labelled_rows
    for spec in _columns(domain, TextColumn):
        expected: dict[int, set[IdType]] = {}
        for (field, id_type), rows in labelled.items():
            if field == spec.name:
                for row in rows:
                    expected.setdefault(row, set()).add(id_type)
        assert expected and all(1 <= len(types) <= 2 for types in expected.values())
        for i, row in enumerate(table):
            assert text_types(row[spec.name]) == expected.get(i, set()), (i, row[spec.name])
        texts = [row[spec.name] for row in table]
        assert any(re.search(r"ORD-20\d\d-\d{6}", t) for t in texts)
        assert any(re.search(r"version \d\.\d\.\d", t) for t in texts)
        assert 60 <= sum(map(len, texts)) / len(texts) <= 160


def test_gps_label_on_both_fields_when_precise(labelled_rows: LabelledRows) -> None:
    domain, table, labelled = labelled_rows
    for spec in _columns(domain, GpsColumns):
        precise = set()
        for i, row in enumerate(table):
            lat, lon = row[spec.latitude], row[spec.longitude]
            assert (lat is None) == (lon is None)
            if lat is None:
                continue
            assert -90 <= lat <= 90 and -180 <= lon <= 180
            if decimals(lat) >= 4 and decimals(lon) >= 4:
                precise.add(i)
            else:
                assert decimals(lat) <= 2 and decimals(lon) <= 2
        # One violation on each of the two fields of a precise position.
        assert precise and labelled[(spec.latitude, IdType.GPS_COORDINATES)] == precise
        assert labelled[(spec.longitude, IdType.GPS_COORDINATES)] == precise


def test_missing_consent_and_retention(labelled_rows: LabelledRows) -> None:
    domain, table, labelled = labelled_rows
    identifier_rows = {
        r
        for (_, t), rows in labelled.items()
        if t not in (IdType.MISSING_CONSENT, IdType.RETENTION_EXCEEDED)
        for r in rows
    }
    negative = {
        i for i, row in enumerate(table) if (row["consent"] or "").lower() in ("", "no", "false", "withdrawn")
    }
    assert labelled[("consent", IdType.MISSING_CONSENT)] == identifier_rows & negative
    assert {row["consent"] for row in table} >= {
        "yes",
        "no",
        "true",
        "false",
        "granted",
        "withdrawn",
        "",
        None,
    }

    (spec,) = _columns(domain, RecordDateColumn)
    retention = timedelta(days=load_policy(domain).retention_days)
    expired = labelled[(spec.name, IdType.RETENTION_EXCEEDED)]
    for i, row in enumerate(table):
        when = row[spec.name]
        day = when.date() if isinstance(when, datetime) else when
        if i in expired:
            assert AS_OF - day > retention + timedelta(days=30)
        else:
            assert timedelta(0) <= AS_OF - day < retention - timedelta(days=29)
    assert 0.03 < len(expired) / ROWS < 0.15


def test_rates_control_what_is_labelled() -> None:
    (clean,) = generate("healthcare", 500, seed=3, violation_rate=0.0, decoy_rate=0.0, as_of=AS_OF)
    assert set(clean.labels.column("type").to_pylist()) == {"RETENTION_EXCEEDED"}
    (dirty,) = generate("financial", 500, seed=3, violation_rate=1.0, as_of=AS_OF)
    rows_with_card = set(
        dirty.labels.filter(pa.compute.equal(dirty.labels["type"], "CREDIT_CARD"))["row"].to_pylist()
    )
    assert len(rows_with_card) > 400


def test_phones_are_real_numbers_never_fictional() -> None:
    (data,) = generate("healthcare", 2000, seed=11, violation_rate=1.0, decoy_rate=0.0, as_of=AS_OF)
    phones = [p for p in data.table.column("phone").to_pylist() if p and phone_ok(p)]
    assert len(phones) > 1500
    assert not any(re.search(r"555\D?01\d\d", p) for p in phones)
    assert any(p.startswith("+44") for p in phones) and any(p.startswith("+49") for p in phones)


# --- files --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_files_are_deterministic_and_readable(tmp_path: Path, ext: str) -> None:
    out_a, out_b, out_c = (tmp_path / f"{name}.{ext}" for name in "abc")
    labels_a, labels_b = tmp_path / "a.labels.jsonl", tmp_path / "b.labels.jsonl"
    rows = write_dataset("mixed", 1200, out_a, labels_out=labels_a, seed=5, as_of=AS_OF)
    write_dataset("mixed", 1200, out_b, labels_out=labels_b, seed=5, as_of=AS_OF)
    write_dataset("mixed", 1200, out_c, seed=6, as_of=AS_OF)
    assert rows == 1200
    assert out_a.read_bytes() == out_b.read_bytes() and labels_a.read_bytes() == labels_b.read_bytes()
    assert out_a.read_bytes() != out_c.read_bytes()
    expected_files = ["a.labels.jsonl", "b.labels.jsonl", *(f"{n}.{ext}" for n in "abc")]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected_files)  # no .part file left

    if ext == "csv":  # empty CSV fields are nulls ("N/A" too by default: not here)
        table = pa_csv.read_csv(
            out_a, convert_options=pa_csv.ConvertOptions(null_values=[""], strings_can_be_null=True)
        )
    else:
        table = {"jsonl": pa_json.read_json, "parquet": pq.read_table}[ext](str(out_a))
    expected = pa.concat_tables([b.table for b in generate("mixed", 1200, seed=5, as_of=AS_OF)])
    assert table.num_rows == 1200 and table.column_names == expected.column_names
    if ext == "parquet":
        assert table.equals(expected)
    else:
        for name in ("full_name", "email", "notes", "card_number"):
            assert table.column(name).to_pylist() == expected.column(name).to_pylist(), name
    labels = pa_json.read_json(str(labels_a))
    assert labels.column_names == list(VIOLATION_KEYS)
    assert labels.num_rows == sum(b.labels.num_rows for b in generate("mixed", 1200, seed=5, as_of=AS_OF))


def test_jsonl_escapes_and_zero_rows(tmp_path: Path) -> None:
    table = pa.table({"a": ['say "hi"\\\n\t', "\x01ctl", None], "b": [1.5, float("nan"), None]})
    lines = json_lines(table).decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"a": 'say "hi"\\\n\t', "b": 1.5},
        {"a": "\x01ctl", "b": None},
        {"a": None, "b": None},
    ]
    assert write_dataset("location", 0, tmp_path / "empty.csv", seed=1, as_of=AS_OF) == 0
    assert pa_csv.read_csv(tmp_path / "empty.csv").num_rows == 0


def test_bad_arguments_raise_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown domain"):
        generate("retail", 10)
    with pytest.raises(ValueError, match="rows"):
        generate("healthcare", -1)
    with pytest.raises(ValueError, match="violation_rate"):
        generate("healthcare", 10, violation_rate=1.5)
    with pytest.raises(ValueError, match="extension"):
        write_dataset("healthcare", 10, tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match="extension"):
        write_dataset("healthcare", 10, tmp_path / "x.csv", labels_out=tmp_path / "labels.xlsx")
    assert list(tmp_path.iterdir()) == []
