"""Round 8 (issue 11): a transfer's counterparty written in capitals whose given name is in no list
("ZELLE FROM KEMI ADEYEMI") is a person all the same, fail closed; firms, public bodies and own
accounts after the same words stay."""

from __future__ import annotations

from compliance.detection import Detector
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import found_in as _found
from tests.unit.detection_helpers import scrubbed as _scrubbed


def test_counterparties_without_a_known_given_name_are_people(detector: Detector) -> None:
    texts = [
        "ZELLE FROM KEMI ADEYEMI",
        "FPS CREDIT FROM OLUWASEUN BAKARE",
        "VENMO TO TRAN THI MAI",
        "INTERAC E-TRANSFER FROM CHIAMAKA OBI 120.00",
        "BACS PAYMENT TO NGOZI OKAFOR REF 22",
        "Zelle from Kemi Adeyemi for rent",
        "WIRE TO TUNDE A BALOGUN",
    ]
    assert _scrubbed(detector, texts) == [
        "ZELLE FROM <PERSON_NAME>",
        "FPS CREDIT FROM <PERSON_NAME>",
        "VENMO TO <PERSON_NAME>",
        "INTERAC E-TRANSFER FROM <PERSON_NAME> 120.00",
        "BACS PAYMENT TO <PERSON_NAME> REF 22",
        "Zelle from <PERSON_NAME> for rent",
        "WIRE TO <PERSON_NAME>",
    ]


def test_the_name_ends_at_the_memo(detector: Detector) -> None:
    # The sort code after the name is no part of it, and stays for the rules of sort codes.
    texts = ["FPS CREDIT FROM OLUWASEUN BAKARE SORT CODE 12-34-56"]
    assert _scrubbed(detector, texts)[0].startswith("FPS CREDIT FROM <PERSON_NAME> SORT CODE ")


def test_firms_bodies_and_own_accounts_stay(detector: Detector) -> None:
    texts = [
        "ZELLE FROM CHASE BANK",
        "ACH FROM IRS TREAS 310",
        "transfer to savings",
        "payment to Amazon Marketplace",
        "ACH FROM ADP PAYROLL",
        "TRANSFER TO CHECKING 1234",
        "TRANSFER TO JOINT CHECKING 1234",
        "WIRE TO ACME HOLDINGS LLC",
        "ACH TO STATE FARM INSURANCE",
        "ACH FROM SOCIAL SECURITY",
        "Payment to Chase Card",
        "deposit from Grace Community Church",
        "Wire transfer to supplier for consulting services",
        "PAYMENT TO ORDER 48213",
        "ONLINE TRANSFER FROM SAVINGS ACCOUNT",
    ]
    assert IdType.PERSON_NAME not in _found(detector, texts)


def test_a_tokenized_x12_name_is_not_read_again(detector: Detector) -> None:
    # The residual check of the anonymized output read "PERSON" of the token as a person's name.
    claim = "NM1*IL*1*OKAFOR*AMAKA****MI*W392131900~N3*737 JEFFREY PRAIRIE~"
    tokenized = claim.replace("OKAFOR*AMAKA", "PERSON_NAME_k1_" + "a" * 24)
    texts = [claim, tokenized, "NM1*IL*1*DOE~", "NM1*QC*1*DOE"]
    assert _found(detector, texts).get(IdType.PERSON_NAME) == [0, 2, 3]
