"""Round 11 (other scripts and countries): national numbers, passports, phones, birth dates, medical
records and health policies after the words of Russian, Ukrainian, Bulgarian, Japanese, Chinese,
Korean, Hebrew, Persian, Arabic, Greek, Thai, Hindi, Turkish and Portuguese, glued to CJK text too;
and the official checks of their numbers. Values are made up here."""

from __future__ import annotations

import pyarrow as pa
import pytest

from compliance.detection.recognizers import PhoneRecognizer
from compliance.detection.recognizers.foreign_id_checks import valid_formats
from tests.unit.detection_helpers import scrub_found_test, scrub_stays_test

FOUND = [
    # National numbers after their own words.
    ("Направлен из поликлиники №47. ИНН 166250211920, счёт", "ИНН <NATIONAL_ID>, счёт"),
    ("СНИЛС 112-233-445 95", "СНИЛС <NATIONAL_ID>"),
    ("РНОКПП 3498848188", "РНОКПП <NATIONAL_ID>"),
    ("Пациент Кириен Цветков Кодуков, ЕГН 6702041601, тел.", "ЕГН <NATIONAL_ID>, тел."),
    ("確認済み マイナンバー 399768380147", "マイナンバー <NATIONAL_ID>"),
    ("患者孟静，身份证号500103200210141549，住址", "身份证号<NATIONAL_ID>，住址"),
    ("病患，身分證字號X248886087，", "身分證字號<NATIONAL_ID>，"),
    ("주민등록번호 520705-2642610 본인 확인 완료", "주민등록번호 <NATIONAL_ID> 본인 확인 완료"),
    ("המטופלת דנה כהן ת.ז. 379156524 נולדה", "ת.ז. <NATIONAL_ID> נולדה"),
    ("بیمار، کد ملی 2630640485، تلفن", "کد ملی <NATIONAL_ID>، تلفن"),
    ("المريض محمد أحمد رقم الهوية 1342391479 تاريخ", "رقم الهوية <NATIONAL_ID> تاريخ"),
    ("Ασθενής, ΑΜΚΑ 01077466777, τηλ.", "ΑΜΚΑ <NATIONAL_ID>, τηλ."),
    ("ΑΦΜ 623626615", "ΑΦΜ <NATIONAL_ID>"),
    ("ผู้ป่วย สมชาย ใจดี เลขบัตรประชาชน 4-3237-94244-80-0 โทร", "เลขบัตรประชาชน <NATIONAL_ID> โทร"),
    ("Sigortalı Ceyhun, TC 40473478524, tel", "TC <NATIONAL_ID>, tel"),
    ("Colaborador Gustavo Pacheco, NIF 277172810, morada", "NIF <NATIONAL_ID>, morada"),
    ("CURP GALJ690218HMSRPN17 vigente", "CURP <NATIONAL_ID> vigente"),
    ("RFC GALJ770221XF8", "RFC <NATIONAL_ID>"),
    ("PID|1||8432280^^^HOSP^MR~43949115602^^^TR^NI||X", "~<NATIONAL_ID>^^^TR^NI||<PERSON_NAME>"),  # HL7 PID-3
    ("PID|1||MR6173222^^^HOSP^MR~2 58 03 52 336 756 95^^^FR^NI||X", "~<NATIONAL_ID>^^^FR^NI||<PERSON_NAME>"),
    ("<patient><nationalId>399768380147</nationalId>", "<nationalId><NATIONAL_ID></nationalId>"),
    # Passports.
    ("Направлен. паспорт 45 16 266917, счёт", "паспорт <PASSPORT>, счёт"),
    ("生年月日 1983/09/02、旅券番号 MZ2334741", "旅券番号 <PASSPORT>"),
    # Phones after a word that names one, glued to it too, and notations that name their country.
    ("Пациент, тел. 8 997 225 38 51. Жалобы", "тел. <PHONE>. Жалобы"),
    ("Позвонить дочери по номеру 8 967 886 20 54 до 18:00.", "по номеру <PHONE> до 18:00."),
    ("患者，电话13965605865，住址", "电话<PHONE>，住址"),
    ("请工作日送达，联系人 粟莹 13971253259", "联系人 粟莹 <PHONE>"),
    ("紧急联系人：张建国 手机 17704352792", "手机 <PHONE>"),
    ("O segurado, telemóvel 937 501 707. Testemunha", "telemóvel <PHONE>. Testemunha"),
    ("Alterou a morada; telemóvel 925 427 715", "telemóvel <PHONE>"),
    ("Türk^Gülsü|CHD^Child|Atatürk Cad.|0 (544) 166 38 92", "|<PHONE>"),
    ("Туров^Юлиан|SPO^Child|д. Верхнее|8 907 590 32 73", "|<PHONE>"),
    ("李帅\n15974658932\n新疆", "\n<PHONE>\n新疆"),
    # Birth dates after a birth word, and before one.
    ("Пациент Данила, 17.10.1940 г.р., тел.", "Данила, <DATE_OF_BIRTH>, тел."),
    ("患者 後藤桃子 様（1978/07/03生）電話", "様（<DATE_OF_BIRTH>電話"),
    ("生年月日 1983年11月21日、旅券", "生年月日 <DATE_OF_BIRTH>、旅券"),
    ("생년월일 1952년 7월 5일 확인", "생년월일 <DATE_OF_BIRTH> 확인"),
    ("המטופלת דנה כהן נולדה ב-23/10/1981 טל'", "נולדה ב-<DATE_OF_BIRTH> טל'"),
    ("وانا تاريخ الميلاد 15/11/1990 البريد", "تاريخ الميلاد <DATE_OF_BIRTH> البريد"),
    ("تاریخ تولد 1947/01/21 ایمیل", "تاریخ تولد <DATE_OF_BIRTH> ایمیل"),
    ("วันเกิด 02/03/2486 อีเมล", "วันเกิด <DATE_OF_BIRTH> อีเมล"),  # Buddhist era: 1943
    ("Dependente: Lúcia Faria, nascido em 25/02/1947", "nascido em <DATE_OF_BIRTH>"),
    ("Роден на 01.02.1989, имейл", "Роден на <DATE_OF_BIRTH>, имейл"),
    ("Hasta doğum tarihi 12.05.1980 idi", "doğum tarihi <DATE_OF_BIRTH> idi"),
    # Medical records and health policies.
    ("Пациент, № карты ИБ-2019-876926, поступил", "№ карты <MRN>, поступил"),
    ("診察券番号 00123456 を確認", "診察券番号 <MRN> を確認"),
    ("Полис ОМС 8626820819068048 действителен", "Полис ОМС <HEALTH_PLAN_ID> действителен"),
]
STAYS = [
    "JANコード 4909226242422 炊飯器",  # an EAN-13
    "Заказ № 123456789012 оплачен",  # an order number
    "HS 8471300000 ноутбук",  # an HS code
    "МКБ-10 E78.5, LOINC 2093-3",  # codes
    "Сумма 4 917,57 ₽",  # an amount
    "Дата визита 2024-02-19T02:35:38+02:00",  # a visit timestamp
    "来院日 2024/02/19 予約",  # a visit date
    "วันที่นัด 02/03/2567",  # an appointment date in the Buddhist era
    "TC 200 mg/dL",  # total cholesterol
    "TC 12345678901 rejected",  # fails the TC Kimlik check
    "电话会议 2024年3月",  # no number
    "订单号 13800000000000",  # a longer number than a mobile
]


test_a_number_its_native_word_names_is_found = scrub_found_test(FOUND, ending=True)


test_a_decoy_in_another_script_stays = scrub_stays_test(STAYS)


CHECKS = [
    ("korean_rrn", "520705-2642610", "520705-2642611"),
    ("japanese_my_number", "399768380147", "399768380148"),
    ("chinese_resident_id", "500103200210141549", "500103200210141548"),
    ("chinese_resident_id", "11010519491231002X", "110105194912310021"),
    ("taiwan_id", "A123456789", "A123456788"),
    ("russian_snils", "112-233-445 95", "112-233-445 96"),
    ("russian_inn", "7707083893", "7707083894"),
    ("ukrainian_rnokpp", "3498848188", "3498848189"),
    ("bulgarian_egn", "7523169263", "7523169264"),
    ("israeli_tz", "123456782", "123456783"),
    ("iranian_code_meli", "2630640485", "2630640486"),
    ("greek_amka", "01077466777", "01077466778"),
    ("greek_afm", "094014201", "094014202"),
    ("turkish_tc_kimlik", "10000000146", "10000000147"),
    ("mexican_curp", "GALJ690218HMSRPN17", "GALJ690218HMSRPN18"),
    ("thai_id", "1-1037-02071-81-1", "1-1037-02071-81-2"),
    ("portuguese_nif", "319661520", "319661521"),
]


@pytest.mark.parametrize(("name", "valid", "invalid"), CHECKS)
def test_the_official_check_of_each_country(name: str, valid: str, invalid: str) -> None:
    assert valid_formats(pa.array([valid, invalid]), (name,)).tolist() == [True, False]


PHONE_COLUMN = [
    ("8 919 586 56 76", True),  # Russia's trunk 8
    ("13974922453", True),  # a Chinese mobile
    ("0501009336", True),  # Israel
    ("0 (538) 801 49 19", True),  # Turkey
    ("(33) 1476 9833", True),  # Mexico, a 2-digit area code
    ("501-245-018", True),  # Poland
    ("123-926-7027", False),  # an invalid NANP number stays invalid
]


@pytest.mark.parametrize(("value", "expected"), PHONE_COLUMN)
def test_a_phone_column_reads_the_national_numbers_of_more_countries(value: str, expected: bool) -> None:
    assert PhoneRecognizer().validate(pa.array([value])).tolist() == [expected]


def test_a_headerless_column_of_national_phone_notations_is_typed_by_its_values() -> None:
    values = pa.array(["+7 (916) 350-22-90", "8 919 586 56 76", "0 (538) 801 49 19", "0893 323 155"] * 5)
    assert PhoneRecognizer().evidence(values).all()
