"""Round 11: person names and street addresses in non-Latin scripts (Cyrillic, Greek, Hebrew,
Arabic and Persian, Devanagari, Thai, Chinese, Japanese, Korean) under native or meaningless headers
and in free text, and the look-alikes of the same scripts that must stay."""

from __future__ import annotations

import pyarrow as pa
import pytest

from compliance.columns import ColumnRole
from compliance.detection import Detector
from compliance.detection.headers import normalize_header
from compliance.vocabulary import IdType
from tests.unit.detection_helpers import scrub_found_test, scrubbed


def _class(detector: Detector, header: str, values: list[str]):
    return detector.classify(pa.record_batch({header: pa.array(values)}))[0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ФИО", "фио"),
        ("Имя клиента", "имя_клиента"),
        ("Ονοματεπώνυμο", "ονοματεπωνυμο"),
        ("ΔΙΕΥΘΥΝΣΗ", "διευθυνση"),
        ("שם מלא", "שם_מלא"),
        ("氏名", "氏名"),
        ("주소", "주소"),
        ("Teléfono", "telefono"),  # Latin headers read as before
        ("Fødselsdato", "fodselsdato"),
    ],
)
def test_headers_keep_the_letters_of_other_scripts(header: str, expected: str) -> None:
    assert normalize_header(header) == expected


_ANY = ["x1", "x2", "x3", "x4", "x5"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        *(
            (header, IdType.PERSON_NAME)
            for header in (
                "ФИО", "Фамилия", "Имя", "Отчество", "ПІБ", "Прізвище", "Ім'я", "Име", "Ονοματεπώνυμο", "Επώνυμο",
                "שם מלא", "שם משפחה", "الاسم", "اسم العائلة", "نام خانوادگی", "नाम", "氏名", "姓名", "お名前",
                "患者氏名", "성명", "이름", "고객명", "ชื่อ", "ชื่อ-นามสกุล",
            )
        ),
        *(
            (header, IdType.STREET_ADDRESS)
            for header in ("Адрес", "Адрес доставки", "Адреса", "Διεύθυνση", "כתובת", "العنوان", "نشانی", "पता",
                           "住所", "地址", "收货地址", "주소", "ที่อยู่")
        ),
        # A thing's name, an e-mail or IP address: not a person's name or a street.
        *(
            (header, None)
            for header in ("Имя файла", "Название товара", "商品名", "会社名", "상품명", "ชื่อสินค้า",
                           "Адрес электронной почты", "メールアドレス", "IP地址", "이메일 주소")
        ),
    ],
)  # fmt: skip
def test_native_headers_name_their_type(detector: Detector, header: str, expected: IdType | None) -> None:
    assert _class(detector, header, _ANY).id_type == expected


@pytest.mark.parametrize(
    "header",
    ["Телефон", "Моб. тел", "СНИЛС", "ИНН", "Τηλέφωνο", "ΑΜΚΑ", "טלפון", 'ת"ז', "رقم الهوية", "کد ملی", "फ़ोन",
     "आधार", "電話番号", "マイナンバー", "身份证号", "전화번호", "주민등록번호", "โทรศัพท์", "เลขบัตรประชาชน"],
)  # fmt: skip
def test_native_phone_and_id_headers_fail_closed(detector: Detector, header: str) -> None:
    # Typed by the header (a phone or national-id column) or, without a recognizer's word for it,
    # a sensitive column: either way its values are anonymized.
    column = _class(detector, header, ["abc", "def", "ghi"])
    assert column.role is ColumnRole.SENSITIVE or column.id_type in (IdType.PHONE, IdType.NATIONAL_ID)


# Columns under a meaningless header: names in another script are typed by their values (True);
# products and firms of the same scripts are not (False).
_SCRIPT_COLUMNS = [
    (["Сазонов Арсений Дмитриевич", "Мишин Радим Харитонович", "Ганна Колесниченко", "Иванова Мария"], True),
    (["Γεώργιος Παπαδόπουλος", "Ελένη Δελή", "Ευριπίδης Γιατρομανωλάκης", "Μαρία Ιωάννου"], True),
    (["משה כהן", "יוגב יעקבי", "שרה לוי", "עומרי עבדאללה"], True),
    (["محمد أحمد", "وادع آل سعود", "مريم گلپایگانی", "فاطمة الزهراني"], True),
    (["राहुल जैन", "प्रिया शर्मा", "अमित गुप्ता", "मोहना रोद्रिगुएस"], True),
    (["木村 陽一", "山田太郎", "李欣", "沈文欽"], True),
    (["홍정훈", "박영길", "김민준", "이서연"], True),
    (["ชิดชนก เยาวธนโชค", "สมชาย ใจดี", "นายพุทธิพงษ์ ดัตพันธุ์", "กะดิรัตน์ บุนยะศัพท์"], True),
    (["ноутбук", "смартфон", "Бытовая техника", "Детские товары", "Кофемашина"], False),
    (["Κινητό τηλέφωνο", "Φορητός υπολογιστής", "Ηλεκτρικές συσκευές", "Παιδικά είδη"], False),
    (["מחשב נייד", "טלפון חכם", "מוצרי חשמל", "צעצועים"], False),
    (["حاسوب محمول", "هاتف ذكي", "أجهزة منزلية", "ألعاب أطفال"], False),
    (["智能手机", "笔记本电脑", "家用电器", "儿童用品"], False),
    (["스마트폰", "노트북", "가전제품", "유아용품"], False),
    (["有限会社佐藤水産", "浦华众城网络有限公司", "发聯科技", "(주) 코리아항공"], False),
]


@pytest.mark.parametrize(("values", "names"), _SCRIPT_COLUMNS)
def test_a_column_in_another_script_is_typed_by_its_values(
    detector: Detector, values: list[str], names: bool
) -> None:
    column = _class(detector, "col_3", values * 5)
    assert ((column.id_type, column.evidence) == (IdType.PERSON_NAME, "values")) is names


@pytest.mark.parametrize(
    "values",
    [
        ["г. Москва, ул. Ленина, д. 5, кв. 7", "с. Арсеньев, пр. Центральный, д. 5/4 к. 150, 806360"],
        ["Βερίνου 66, 39150 Άρτα", "Οδός Ερμού 15, Αθήνα"],
        ["רחוב הרצל 12, תל אביב", "שד גאולים 69, רימונים, 4391500"],
        ["滋賀県横浜市鶴見区幸手7丁目16番1号", "〒105-0011 東京都港区芝公園4丁目2番8号"],
        ["北京市朝阳区建国路88号", "706 草屯民治路2段10號8樓"],
        ["세종특별자치시 종로구 선릉074길 924-41", "서울특별시 강남구 테헤란로 123"],
        ["170/6 ถ.ประจันตะเสน อำเภอเกษตรสมบูรณ์ เลย 53910", "99 ซอยสุขุมวิท 21 แขวงคลองเตยเหนือ เขตวัฒนา 10110"],
        ["31/706 त्रिवेदी, धारवाड-439150", "12/4 गांधी नगर, जयपुर-302001"],
    ],
)
def test_a_column_of_addresses_in_another_script_is_typed_by_its_values(
    detector: Detector, values: list[str]
) -> None:
    assert _class(detector, "field7", values * 10).id_type == IdType.STREET_ADDRESS


_ROUND11_NAMES_IN_TEXT = [
    ("Пациент Иванов Иван Петрович обратился", "Пациент <PERSON_NAME> обратился"),
    ("Звонила пациентка Смирнова О. В., просит перезвонить", "Звонила пациентка <PERSON_NAME>, просит перезвонить"),
    ("Клиент тов. Казакова Антонина оплатил заказ", "Клиент тов. <PERSON_NAME> оплатил заказ"),
    ("г-н Петренко не явился", "г-н <PERSON_NAME> не явился"),
    ("Пацієнт пані Ганна Колесниченко звернулася", "Пацієнт пані <PERSON_NAME> звернулася"),
    ("Пациентът Др. Месак Муев се оплаква", "Пациентът Др. <PERSON_NAME> се оплаква"),
    ("Ο ασθενής Γεώργιος Παπαδόπουλος παραπονέθηκε", "Ο ασθενής <PERSON_NAME> παραπονέθηκε"),
    ("Ο κ. Παπαδάκης δεν ήρθε", "Ο κ. <PERSON_NAME> δεν ήρθε"),
    ("המטופל משה כהן התלונן", "המטופל <PERSON_NAME> התלונן"),
    ("מר כהן", "מר <PERSON_NAME>"),
    ("المريض محمد أحمد يشكو", "المريض <PERSON_NAME> يشكو"),
    ("المريض محمد بن علي بن جماز يشكو", "المريض <PERSON_NAME> يشكو"),
    ("العميل الدكتور فهد الخيل دفع الفاتورة", "العميل الدكتور <PERSON_NAME> دفع الفاتورة"),
    ("آقای علی رضایی نیامد", "آقای <PERSON_NAME> نیامد"),
    ("मरीज़ राहुल जैन को सिरदर्द है", "मरीज़ <PERSON_NAME> को सिरदर्द है"),
    ("श्रीमती प्रिया शर्मा ने फोन किया", "श्रीमती <PERSON_NAME> ने फोन किया"),
    ("นายสมชาย ใจดี ไม่มาตามนัด", "นาย<PERSON_NAME> ไม่มาตามนัด"),
    ("ผู้ป่วย ชิดชนก เยาวธนโชค มีอาการปวดหัว", "ผู้ป่วย <PERSON_NAME> มีอาการปวดหัว"),
    ("患者 山田 太郎 様より電話", "患者 <PERSON_NAME> 様より電話"),
    ("清水和也さんが来院されました", "<PERSON_NAME>さんが来院されました"),
    ("担当医 佐藤 先生に連絡", "担当医 <PERSON_NAME> 先生に連絡"),
    ("聂冬梅女士预约复诊", "<PERSON_NAME>女士预约复诊"),
    ("陳怡君先生來電", "<PERSON_NAME>先生來電"),
    ("客户 张伟，已付款", "客户 <PERSON_NAME>，已付款"),
    ("환자 김민준 님이 두통을 호소함", "환자 <PERSON_NAME> 님이 두통을 호소함"),
    ("박영길 씨가 전화함", "<PERSON_NAME> 씨가 전화함"),
]  # fmt: skip
test_round11_names_in_text = scrub_found_test(_ROUND11_NAMES_IN_TEXT)


_ROUND11_ADDRESSES_IN_TEXT = [
    ("Пациент проживает по адресу: г. Кежма, алл. Покровская, д. 7/8 к. 727, 268465",
     "Пациент проживает по <STREET_ADDRESS>"),
    ("Доставка: г. Москва, ул. Ленина, д. 5, кв. 7. Жалоб нет.", "Доставка: <STREET_ADDRESS>. Жалоб нет."),
    ("Адреса: вул. Шевченка, буд. 12, Київ, 01001", "Адреса: <STREET_ADDRESS>"),
    ("Κατοικεί στην Βερίνου 66, 39150 Άρτα", "Κατοικεί στην <STREET_ADDRESS>"),
    ("גר ברחוב הרצל 12, תל אביב", "גר ב<STREET_ADDRESS>"),
    ("يسكن في شارع الملك فهد 12", "يسكن في <STREET_ADDRESS>"),
    ("送付先 〒105-0011 東京都港区芝公園4丁目2番8号", "送付先 <STREET_ADDRESS>"),
    ("收货地址 北京市朝阳区建国路88号", "收货地址 <STREET_ADDRESS>"),
    ("배송지 서울특별시 강남구 테헤란로 123", "배송지 <STREET_ADDRESS>"),
    ("บ้านเลขที่ 170/6 ถ.ประจันตะเสน อำเภอเกษตรสมบูรณ์ เลย 53910", "บ้าน<STREET_ADDRESS>"),
    ("पता: 31/706 त्रिवेदी, धारवाड-439150", "पता: <STREET_ADDRESS>"),
]  # fmt: skip
test_round11_addresses_in_text = scrub_found_test(_ROUND11_ADDRESSES_IN_TEXT)


@pytest.mark.parametrize(
    "text",
    [
        "Заказ отправлен курьером",
        "Клиент Сбербанка оплатил заказ",
        "Жалоб нет, состояние удовлетворительное",
        "Η παραγγελία στάλθηκε",
        "ההזמנה נשלחה",
        "تم شحن الطلب",
        "注文は発送されました",
        "订单已发货",
        "고객님 주문 완료",
        "선생님 감사합니다",
        "จัดส่งสินค้าแล้ว",
        "คุณภาพสินค้าดี มาก",
        "ऑर्डर भेज दिया गया",
        "Адрес электронной почты: ivan@mail.ru",
    ],
)
def test_round11_look_alikes_stay(detector: Detector, text: str) -> None:
    out = scrubbed(detector, [text])[0]
    assert "<PERSON_NAME>" not in out and "<STREET_ADDRESS>" not in out
