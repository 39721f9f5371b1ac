"""Round 11, second pass over the red team's leaks: an East Slavic name known by its patronymic
with no keyword before it, XML tags and JSON keys in other scripts, a kana reading column, a JSON
key that names a person under a parent that says nothing. Values are made up here."""

from __future__ import annotations

import pyarrow as pa
import pytest

from compliance.detection import Detector
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import scrub_found_test, scrub_stays_test

FOUND = [
    (
        "Короленко Едуард Глібович відмовилася від госпіталізації.",
        "<PERSON_NAME> відмовилася від госпіталізації.",
    ),
    ("Дмитриева Александра Игоревна", "<PERSON_NAME>"),
    ("Иван Петрович звонил", "<PERSON_NAME> звонил"),
    (
        "<患者><氏名>Неделяна Илиева</氏名><生年月日>1987-02-12</生年月日></患者>",
        "<患者><氏名><PERSON_NAME></氏名><生年月日><DATE_OF_BIRTH></生年月日></患者>",
    ),
    ('{"المستلم": "صدّاح الحجار"}', '{"المستلم": "<PERSON_NAME>"}'),
    ('{"Παραλήπτης": "Γιώργος Παππάς"}', '{"Παραλήπτης": "<PERSON_NAME>"}'),
    # A key that names a person by itself does so under any parent; a generic one needs the parent's word.
    ('{"payment": {"holder": "नीरव चोपरा"}}', '{"payment": {"holder": "<PERSON_NAME>"}}'),
]
STAYS = [
    "Бытовая техника Иванович",
    "Москва и Санкт-Петербург",
    "<商品><名前>ノートPC</名前></商品>",
    '{"status": {"name": "active"}}',
    '{"product": {"holder": "Acme"}}',
    '{"fullUrl": "urn:uuid:c76a65e3-424c-46e8-a485-ad2223376458", "resource": {"id": "c76a65e3"}}',
]


test_found = scrub_found_test(FOUND)


test_stays = scrub_stays_test(STAYS)


@pytest.mark.parametrize("header", ["カナ", "氏名カナ", "수령인", "ผู้รับ"])
def test_reading_and_recipient_headers_name_a_person(detector: Detector, header: str) -> None:
    (column,) = detector.classify(pa.record_batch({header: pa.array(["ハセガワ マイ", "ヤマダ タロウ"])}))
    assert column.id_type is IdType.PERSON_NAME
