"""Formats the round-6 probe found leaking (issue 11): US routing numbers and the account after them,
zero-padded IPv4 addresses, payment handles, person and contact headers that must fail closed, and
licence plates after their word; each with the decoys beside it left alone."""

from __future__ import annotations

import pyarrow as pa

from compliance.anonymize.tokenize import coarsen_ip
from compliance.columns import ColumnRole
from compliance.detection import Detector
from compliance.detection.recognizers.financial import aba_routing_valid
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import found_in as _found
from tests.unit.detection_helpers import scrubbed as _scrubbed


def test_aba_checksum() -> None:
    values = pa.array(["021000021", "011000015", "121000358", "123456789", "021000022", "9210000210", None])
    assert aba_routing_valid(values).tolist() == [True, True, True, False, False, False, False]


def test_routing_numbers_and_the_account_after_them(detector: Detector) -> None:
    texts = [
        "wire sent, routing 021000021 acct 4839201173",
        "RTN: 011000015 for payroll",
        "ABA# 121000358, checking 2201944830",
        "Routing no. 026009593; account 00123456789",
        "order 123456789 shipped",  # no keyword
        "routing 123456789 rejected",  # fails the checksum
        "transfer to savings",
    ]
    assert _found(detector, texts).get(IdType.BANK_ACCOUNT) == [0, 1, 2, 3]
    assert _scrubbed(detector, texts[:3]) == [
        "wire sent, routing <BANK_ACCOUNT>",
        "RTN: <BANK_ACCOUNT> for payroll",
        "ABA# <BANK_ACCOUNT>",
    ]


def test_zero_padded_ipv4(detector: Detector) -> None:
    texts = [
        "login from 010.001.002.003 blocked",
        "src=192.168.001.010 port 22",
        "version 1.2.3.4 deployed",
        "meeting 01.02.2023 ok",
        "ref 01.02.03.04",  # a two-digit pad is no address's
    ]
    assert _found(detector, texts).get(IdType.IP_ADDRESS) == [0, 1]
    batch = pa.RecordBatch.from_pydict({"client_ip": ["010.001.002.003", "192.168.001.010"]})
    found = detector.detect(batch)
    assert set(found["type"].to_pylist()) == {"IP_ADDRESS"}


def test_coarsen_ip_reads_padded_octets() -> None:
    values = pa.array(["010.001.002.003", "192.168.001.010", "10.0.0.1", "300.001.002.003", "0123x"])
    coarse = coarsen_ip(values, lambda rest: pc_upper(rest))
    assert coarse.to_pylist() == ["10.1.2.0/24", "192.168.1.0/24", "10.0.0.0/24", "300.001.002.003", "0123X"]


def pc_upper(values: pa.Array) -> pa.Array:
    """A stand-in tokenizer that shows which originals it was given."""
    return pa.compute.utf8_upper(values)


def test_payment_handles_in_text(detector: Detector) -> None:
    texts = [
        "pay me on venmo @jane-doe-12 thx",
        "sent via cash.app/$JaneDoe yesterday",
        "send it to $JaneDoe on Cash App",
        "refund to paypal.me/janedoe please",
        "UPI janedoe@okhdfcbank ref 99",
        "paid to 9876543210@ybl via GPay",
        "paid $25.00 on Cash App",  # an amount, not a cashtag
        "PayPal $USD 20.00 fee",  # a currency
        "see paypal.me for details",
        "cash app outage today",
        "mail jane.doe@example.com",  # an e-mail address, not a UPI id
        "ping me@home later",  # no UPI handle and no UPI word
    ]
    found = _found(detector, texts)
    assert found.get(IdType.URL) == [0, 1, 2, 3, 4, 5]
    assert found.get(IdType.EMAIL) == [10]
    assert _scrubbed(detector, texts[:3]) == [
        "pay me on venmo <URL> thx",
        "sent via <URL> yesterday",
        "send it to <URL> on Cash App",
    ]


def test_payment_handle_columns_fail_closed(detector: Detector) -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "venmo": ["jane doe 12", "mike"],
            "cash_app_handle": ["JaneD", "jdoe"],
            "zelle": ["jane d", "cafe"],
            "paypal": ["janedoe", "xyz"],
            "revolut": ["janed22", "rev"],
            "upi_id": ["janedoe@okhdfcbank", "9876543210@ybl"],
            "payment_method": ["paypal", "venmo"],  # names the app, not a person's account
        }
    )
    classes = {c.field: c.role for c in detector.classify(batch)}
    assert {field for field, role in classes.items() if role is ColumnRole.SENSITIVE} == set(
        batch.schema.names
    ) - {"payment_method"}
    flagged = {(row["field"], row["row"]) for row in detector.detect(batch).to_pylist()}
    assert flagged == {(field, row) for field in batch.schema.names[:-1] for row in (0, 1)}


def test_person_and_contact_headers_fail_closed(detector: Detector) -> None:
    values = ["see front desk", "ask mum"]  # nothing a detector types
    sensitive = [
        "guardian1_name", "guardian_2_name", "legal_first", "legal_last", "legal_name", "caller",
        "caller_info", "caller_details", "contact_details", "patient_details", "student_id", "upn",
        "parent2_email", "Employee No",
    ]  # fmt: skip
    kept = ["order_details", "product_info", "build_id", "order_id", "customer_id"]
    batch = pa.RecordBatch.from_pydict({field: values for field in sensitive + kept})
    classes = {c.field: c for c in detector.classify(batch)}
    assert [
        f for f in sensitive if classes[f].role not in (ColumnRole.SENSITIVE, ColumnRole.IDENTIFIER)
    ] == []
    assert [f for f in kept if classes[f].role in (ColumnRole.SENSITIVE, ColumnRole.IDENTIFIER)] == []
    flagged = {(row["field"], row["row"]) for row in detector.detect(batch).to_pylist()}
    assert flagged == {(field, row) for field in sensitive for row in (0, 1)}


def test_licence_plates_after_their_word(detector: Detector) -> None:
    texts = [
        "car plate ABC-1234 seen at gate",
        "reg KX19 ABC parked",
        "license plate 7ABC123 towed",
        "Kennzeichen B-MW 1234 geblitzt",
        "PLATE ABC-1234 SEEN AT GATE",
        "ABC-1234 and KX19 ABC",  # no word
        "Reg E 1005.11 dispute",  # a regulation's section
        "plate of food",
        "registered 2019 ABC",
        "plate 3 of 5",
    ]
    assert _found(detector, texts).get(IdType.VIN) == [0, 1, 2, 3, 4]
    assert _scrubbed(detector, texts[1:2]) == ["reg <VIN> parked"]
