"""Round 9 (payments, devices, contacts): card codes, IBANs, bank accounts, device ids, phones and
e-mails in the forms payment and telemetry exports write them, and the numbers that only look like
them (merchant ids, transaction numbers, timestamps, XML namespaces). Values are made up here."""

from __future__ import annotations

import pyarrow as pa
import pytest

from compliance.columns import ColumnRole
from compliance.detection import Detector
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import found_in as _found
from tests.unit.detection_helpers import scrubbed as _scrubbed


def test_card_codes_by_long_name_cid_json_key_and_moto_order(detector: Detector) -> None:
    texts = [
        "checkout fails for 4539 1488 0343 6467 / card verification value 318",
        "Amex on file, CID 7741",
        '{"number": "5425233430109903", "exp": "04/29", "cvv": "902"}',
        '{"billing": {"security_code": "3317"}}',
        "MOTO order: 4539-1488-0343-6467 11/27 455 taken by phone",
        "phone order 4539148803436467, exp 11/2027, 4410 ok",
    ]
    assert _scrubbed(detector, texts) == [
        "checkout fails for <CREDIT_CARD> / card verification value <CARD_CVV>",
        "Amex on file, CID <CARD_CVV>",
        '{"number": "<CREDIT_CARD>", "exp": "04/29", "cvv": "<CARD_CVV>"}',
        '{"billing": {"security_code": "<CARD_CVV>"}}',
        "MOTO order: <CREDIT_CARD> 11/27 <CARD_CVV> taken by phone",
        "phone order <CREDIT_CARD>, exp 11/2027, <CARD_CVV> ok",
    ]


def test_no_card_code_without_a_card_or_its_word(detector: Detector) -> None:
    texts = [
        "invoice 20250301 due 11/27 455 items",  # no card before the date
        "cid 4410 callback",  # lower case: a caller id
        "order 1234 5678 9012 3456 11/27 455",  # Luhn-invalid run
    ]
    assert IdType.CARD_CVV not in _found(detector, texts)


def test_cards_need_a_real_issuer_range(detector: Detector) -> None:
    # Luhn-valid, but 69, 66 and 63 start no card brand's range (Maestro is 5018/5020/5038/5893/
    # 6304/6759/6761-6763).
    assert IdType.CREDIT_CARD not in _found(detector, ["id 691234567890128", "id 663300000000009"])
    # A Maestro UK number and a Discover 65 number stay cards.
    assert _found(detector, ["card 6759 6498 2643 8453", "card 6500 0000 0000 0002"])[IdType.CREDIT_CARD] == [
        0,
        1,
    ]


def test_bare_runs_under_reference_keys_are_no_cards(detector: Detector) -> None:
    texts = [
        '{"merchant_id": "371449635398431", "amount": 12.5}',
        "terminal_id=4539148803436467",
        "crash report, txn 4539148803436467",
    ]
    assert IdType.CREDIT_CARD not in _found(detector, texts)
    # Grouped, or after a card word, a card stays a card whatever the key.
    kept = ['{"merchant_id": "4539 1488 0343 6467"}', "card 4539148803436467 for txn 12"]
    assert _found(detector, kept)[IdType.CREDIT_CARD] == [0, 1]


def test_ibans_glued_to_tags_after_is_and_before_a_capitalised_word(detector: Detector) -> None:
    texts = [
        ":86:166?00GUTSCHRIFT?30COBADEFFXXX?31DE44500105175407324931?32Jana Beispiel",
        "Hi, my IBAN is gb82west12345698765432, thanks",
        "STANDING ORDER -> GB82 WEST 1234 5698 7654 32 WEEKLY",
        "to DE44 5001 0517 5407 3249 31 RENT",
    ]
    assert _scrubbed(detector, texts) == [
        ":86:166?00GUTSCHRIFT?30COBADEFFXXX?31<IBAN>?32<PERSON_NAME>",
        "Hi, my IBAN is <IBAN>, thanks",
        "STANDING ORDER -> <IBAN> WEEKLY",
        "to <IBAN> RENT",
    ]


def test_iban_look_alikes_stay(detector: Detector) -> None:
    # The mod-97 check still decides: one changed digit is no IBAN.
    texts = ["?31DE44500105175407324932?32", "GB82 WEST 1234 5698 7654 33 WEEKLY"]
    assert IdType.IBAN not in _found(detector, texts)


def test_bank_accounts_after_their_words(detector: Detector) -> None:
    texts = [
        "refund to a/c no. 30456712 today",
        "My A/C 5512098743 at the bank",
        "Kontonummer 0532013000 bitte",
        "pay into account 61203948 please",
        "sort code 12-34-56, account 87654321, ref X",
        "rekeningnummer 417164300",
    ]
    assert _scrubbed(detector, texts) == [
        "refund to a/c no. <BANK_ACCOUNT> today",
        "My A/C <BANK_ACCOUNT> at the bank",
        "Kontonummer <BANK_ACCOUNT> bitte",
        "pay into account <BANK_ACCOUNT> please",
        "sort code <BANK_ACCOUNT>, account <BANK_ACCOUNT>, ref X",
        "rekeningnummer <BANK_ACCOUNT>",
    ]


def test_account_decoys_stay(detector: Detector) -> None:
    texts = [
        "account 3 of 5 closed",
        "ask your account manager",
        "account 125000.00 credited",
        "account balance 2,500",
        "Konto 12",
    ]
    assert IdType.BANK_ACCOUNT not in _found(detector, texts)


@pytest.mark.parametrize("header", ["Kontonummer", "account_no", "accountNumber", "acct"])
def test_account_number_headers(detector: Detector, header: str) -> None:
    batch = pa.record_batch({header: ["30456712", "5512098743", "0532013000"]})
    (column,) = detector.classify(batch)
    assert (column.role, column.id_type) == (ColumnRole.IDENTIFIER, IdType.BANK_ACCOUNT)


@pytest.mark.parametrize("header", ["imeisv", "imei_sv", "IMEISV"])
def test_imeisv_columns(detector: Detector, header: str) -> None:
    batch = pa.record_batch({header: ["3520990017614823", "0126780045112301"]})
    (column,) = detector.classify(batch)
    assert column.id_type is IdType.DEVICE_ID
    found = detector.detect(batch)
    assert sorted(found.column("row").to_pylist()) == [0, 1]


def test_device_ids_in_text(detector: Detector) -> None:
    texts = [
        "IMEISV 3520990017614823 on attach",
        "ue imeisv=0126780045112301",
        "roamed to AP mac 0024.1234.5678 ch 11",
        "my phone's IMEI is 490154203237518, please block",
        '{"idfa": "6D92078A-8246-4BA4-AE5B-76104861E7DC"}',
    ]
    assert _scrubbed(detector, texts) == [
        "IMEISV <DEVICE_ID> on attach",
        "ue imeisv=<DEVICE_ID>",
        "roamed to AP mac <DEVICE_ID> ch 11",
        "my phone's IMEI is <DEVICE_ID>, please block",
        '{"idfa": "<DEVICE_ID>"}',
    ]


def test_device_decoys_stay(detector: Detector) -> None:
    texts = ["build 3520990017614823 released", "firmware 10.0.1904 mac OS", "IMEI is 490154203237519"]
    assert IdType.DEVICE_ID not in _found(detector, texts)


def test_brazilian_and_indian_phones(detector: Detector) -> None:
    texts = [
        "whatsapp (21) 3251-7788",
        "pode ligar no (11) 98765-4321 à noite",
        "reach me on (21) 99876-5432 tonight",
        "send money 098765 43210",
        "whatsapp 447911123456",
    ]
    assert _scrubbed(detector, texts) == [
        "whatsapp <PHONE>",
        "pode ligar no <PHONE> à noite",
        "reach me on <PHONE> tonight",
        "send money <PHONE>",
        "whatsapp <PHONE>",
    ]


def test_dates_and_times_are_no_phones(detector: Detector) -> None:
    texts = ["03.09.2025 18:12", "Aufnahme am 14.02.2024 07:45 Uhr", "2024-02-14 07:45", "(11) 1234-5678 qty"]
    assert IdType.PHONE not in _found(detector, texts)
    batch = pa.record_batch({"Aufnahme": ["03.09.2025 18:12", "14.02.2024 07:45"]})
    assert detector.detect(batch).num_rows == 0


def test_url_encoded_contacts_in_paths(detector: Detector) -> None:
    texts = [
        "/api/v2/password-reset?email=jane_roe%40example.org&locale=en-US",
        "GET /unsubscribe?e=J.ROE%40EXAMPLE.COM HTTP/1.1",
        "/api/v1/otp/send?phone=%2B14155552671",
        "/verify?mobile=447911123456&step=2",
    ]
    assert _scrubbed(detector, texts) == [
        "/api/v2/password-reset?email=<EMAIL>&locale=en-US",
        "GET /unsubscribe?e=<EMAIL> HTTP/1.1",
        "/api/v1/otp/send?phone=<PHONE>",
        "/verify?mobile=<PHONE>&step=2",
    ]


def test_url_encoded_decoys_stay(detector: Detector) -> None:
    texts = ["/search?q=100%25%40home", "/otp/send?phone=%2B1000", "/x?telemetry=12345678901234567"]
    assert not _found(detector, texts)


def test_xml_namespaces_are_no_personal_urls(detector: Detector) -> None:
    texts = [
        '<div xmlns="http://www.w3.org/1999/xhtml">hi</div>',
        '<x xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>',
    ]
    assert IdType.URL not in _found(detector, texts)
    assert _scrubbed(
        detector, ['<div xmlns="http://www.w3.org/1999/xhtml">see https://example.org/u/jroe</div>']
    ) == ['<div xmlns="http://www.w3.org/1999/xhtml">see <URL></div>']


def test_a_reference_column_keeps_its_luhn_valid_ids_and_still_yields_grouped_cards() -> None:
    """A column whose header names a transaction reference ("txn_id") holds ids, ~4% of which pass
    Luhn and a brand's prefix: they stay, unflagged, through the whole pipeline; a grouped card
    number in it, and the same bare run in free text after a card word, are still cards."""
    from compliance.anonymize.tokenize import Tokenizer, TokenKey
    from compliance.pipeline import CompliancePipeline

    batch = pa.record_batch(
        {
            "txn_id": ["4612588504351152", "4539 1488 0343 6467", "100234"],
            "memo": ["card 4612588504351152 declined", "refund", "ok"],
        }
    )
    pipeline = CompliancePipeline(
        domain="financial", tokenizer=Tokenizer(TokenKey("k1", b"reference-column-test-key-012345"))
    )
    result = pipeline.process(batch)
    flagged = {(r, f, t) for r, f, t in zip(*(result.violations.column(k).to_pylist() for k in ("row", "field", "type")), strict=True)}  # fmt: skip
    assert not [v for v in flagged if v[:2] == (0, "txn_id")]
    assert (1, "txn_id", "CREDIT_CARD") in flagged and (0, "memo", "CREDIT_CARD") in flagged
    out = result.batch.column("txn_id").to_pylist()
    assert out[0] == "4612588504351152" and out[2] == "100234"
    assert "4539" not in out[1]
    assert "4612588504351152" not in result.batch.column("memo").to_pylist()[0]


def test_a_version_under_a_key_is_no_ip_address(detector: Detector) -> None:
    """Inventory agents report versions shaped like IPv4 addresses under keys that say version."""
    texts = [
        '{"assets":{"agentVersion":"7.8.86.150","lastLoginIp":"83.2.3.4"}}',
        "app_build=10.2.0.1 from 192.168.1.20",
    ]
    assert _scrubbed(detector, texts) == [
        '{"assets":{"agentVersion":"7.8.86.150","lastLoginIp":"<IP_ADDRESS>"}}',
        "app_build=10.2.0.1 from <IP_ADDRESS>",
    ]


def test_a_column_of_emails_and_phones_under_a_meaningless_header_is_typed_value_by_value(
    detector: Detector,
) -> None:
    """A legacy extract's "col4" mixes e-mails, formatted and bare phone numbers: no type reaches
    the share that types a column, together they are most of it, so each value is typed on its own
    and the bare numbers are checked as phones instead of left raw."""
    values = [
        ["ana.ruiz@example.org", "(313) 457-4183", "3134574183", "+1 617 555 0142"][i % 4] for i in range(200)
    ]
    batch = pa.record_batch({"col4": values, "col9": [f"SKU-{i}" for i in range(200)]})
    classes = detector.classify(batch)
    assert [c.role for c in classes] == [ColumnRole.SENSITIVE, ColumnRole.OTHER]
    found = detector.detect(batch, classes).to_pylist()
    assert {(f["field"], f["type"]) for f in found} == {("col4", "EMAIL"), ("col4", "PHONE")}
    assert len(found) == 200
