"""Round 11: the words of other scripts and languages that name a national number, a passport, a
phone, a birth date, a medical record or a health policy ("ИНН", "マイナンバー", "身份证号", "주민등록번호",
"ת.ז.", "کد ملی", "ΑΜΚΑ", "тел.", "电话", "生年月日", "г.р.", "№ карты", "Полис ОМС"), as free-text
patterns the recognizers add to their `context_patterns`, and header words for their `header` rules.

The keywords are spelt in every case they are written in (RE2 folds the case of Cyrillic and Greek,
Python's `re` in ASCII mode does not: the two engines must agree). A text holding one has a non-ASCII
byte, which the C hint pass (hints.py) always keeps a candidate: the patterns' hints only name the
ASCII keywords among them ("NIF", "TC"), so ASCII texts without those skip the RE2 passes.
Digits are ASCII here: Eastern-Arabic, Persian and full-width digits are folded before (confusables.py).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import to_mask
from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import TextPattern


def _cased(*words: str) -> str:
    """An alternation of `words` as written, lower-cased, capitalised and upper-cased (longest first);
    a dot is literal, a space any spaces."""
    spelt = {form for word in words for form in (word, word.lower(), word.capitalize(), word.upper())}
    ordered = sorted(spelt, key=len, reverse=True)
    return "|".join(form.replace(".", r"\.").replace(" ", r"\s*") for form in ordered)


def folded_header_words(*words: str) -> str:
    """`words` as headers.normalize_header would read them if it kept the letters of other scripts
    (accents folded as for Latin ones, Hangul recomposed, lower case, "_" between words): an
    alternation for a recognizer's `header` rule."""
    out = set()
    for word in words:
        text = unicodedata.normalize("NFKD", word)
        text = "".join(char for char in text if not unicodedata.combining(char))
        text = unicodedata.normalize("NFC", text).lower()
        out.add("_".join(part for part in text.replace(".", " ").split() if part))
    return "|".join(sorted(out, key=len, reverse=True))


# --- National numbers -------------------------------------------------------------------------
# Words that name a person's national (or tax) number; after one, any 6-20 digit number is that
# number whatever its country (fail closed, as foreign_ids._ID_WORDS): glued to it too (CJK).
NATIONAL_ID_WORDS = "|".join(
    (
        _cased("ИНН", "СНИЛС", "РНОКПП", "ІПН", "ИПН", "ЕГН", "ЛНЧ", "ИИН", "ЕДРПОУ"),
        "マイナンバー|個人番号|身份证号码|身份证号|身份证|公民身份号码|身分證字號|身分證號碼|身分證|統一證號|居留證號",
        "주민등록번호|주민번호|외국인등록번호",
        r"ת\.ז\.?|ת\"ז|ת״ז|תעודת\s+זהות|מספר\s+זהות",
        r"کد\s*ملی|شماره\s+ملی|رقم\s+الهوية(?:\s+الوطنية)?|الرقم\s+الوطني|رقم\s+الإقامة|السجل\s+المدني|رقم\s+الهويه",
        r"Α\.Μ\.Κ\.Α\.?|Α\.Φ\.Μ\.?|ΑΜΚΑ|ΑΦΜ|Α\.Δ\.Τ\.?|ΑΔΤ",
        "เลขประจำตัวประชาชน|เลขบัตรประชาชน|บัตรประชาชน|เลขประจำตัวผู้เสียภาษี",
        r"आधार(?:\s+(?:संख्या|नंबर|नम्बर))?|पैन(?:\s+(?:नंबर|कार्ड))?",
        r"NIF|N\.I\.F\.?|NIPC|[Cc]ontribuinte|T\.C\.\s*[Kk]imlik(?:\s+[Nn]o)?|TC\s+[Kk]imlik(?:\s+[Nn]o)?",
    )
)
# Between the word and the number: a colon, "№", "No", "номер", "번호"... or nothing (CJK).
_FILLER = r"[^\w\n]{0,4}(?:(?:№|No\.?|nº|n\.º|номер|번호|号码|番号|:)[^\w\n]{0,3})?"
_NAMED_VALUE = r"[A-Z]{0,3} ?\d[\dA-Z]{0,19}(?:[ ./-][A-Z]?\d[\dA-Z]{0,7}){0,7}"
NATIONAL_ID_PATTERNS = (
    TextPattern(
        rf"(?P<kw>{NATIONAL_ID_WORDS}){_FILLER}(?P<v>{_NAMED_VALUE})\b",
        TextHint(keywords=("nif", "n.i.f", "nipc", "contribuinte", "t.c", "tc kimlik")),
        "validate_named_number",
    ),
    # An XML element that names a national number ("<nationalId>399768380147</nationalId>", "<ssn>
    # 529.147.762-84</ssn>", "<個人番号>2184675680</個人番号>"): its content, fail closed.
    TextPattern(
        r"<(?P<kw>(?i:national_?id|national_?identifier|citizen_?id|ssn|nid|tax_?id)|個人番号|マイナンバー|身份证号)>"
        rf"\s*(?P<v>{_NAMED_VALUE})\b",
        TextHint(keywords=("national", "citizen", "ssn", "nid", "tax")),
        "validate_named_number",
    ),
    # "TC 54086838620": "TC" alone names many things, so the number must pass the TC Kimlik check.
    TextPattern(
        r"\b(?:TC|T\.C\.)(?:\s*(?:No|NO|no)\b\.?)?[^\w\n]{0,3}(?P<v>[1-9]\d{10})\b",
        TextHint(keywords=("tc", "t.c")),
        "validate_tc_kimlik",
    ),
    # A CURP delimits itself (18 characters in a fixed layout) and has a check digit; an RFC after its
    # keyword.
    TextPattern(
        r"\b(?P<v>[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z]\d)\b",
        TextHint(shapes=("caps_digits",)),
        "validate_curp",
    ),
    TextPattern(
        r"\b(?:RFC|R\.F\.C\.?)[^\w\n]{0,4}(?P<v>[A-Z&]{3,4}\d{6}[A-Z0-9]{3})\b",
        TextHint(keywords=("rfc", "r.f.c")),
        "validate_rfc",
    ),
)

# --- Passports --------------------------------------------------------------------------------
PASSPORT_WORDS = "|".join(
    (
        _cased(
            "паспорт", "паспорта", "паспорт РФ", "паспорт гражданина РФ", "загранпаспорт", "паспорт серии"
        ),
        "旅券番号|旅券|パスポート番号|パスポート|护照号码|护照号|护照|護照號碼|護照|여권번호|여권",
        r"דרכון|מספר\s+דרכון|گذرنامه|شماره\s+گذرنامه|جواز\s+السفر|رقم\s+الجواز|جواز",
        _cased("διαβατήριο", "αρ. διαβατηρίου"),
        r"[Pp]asaporte|[Pp]assaporte|[Pp]asaport(?:\s+[Nn]o)?|หนังสือเดินทาง|पासपोर्ट",
    )
)
PASSPORT_PATTERNS = (
    TextPattern(
        rf"(?P<kw>{PASSPORT_WORDS})[^\w\n]{{0,4}}(?:(?:серия|№|No\.?|番号|:)[^\w\n]{{0,3}})?"
        r"(?P<v>\d{2} ?\d{2} ?(?:№ ?)?\d{6}|[A-Z]{1,2} ?\d{6,8})\b",
        TextHint(keywords=("pasaport", "passaport")),
        "validate_record_field",
    ),
)

# --- Phones -----------------------------------------------------------------------------------
# Words that name a phone and nothing else: after one a number's shape is enough (PhoneRecognizer).
PHONE_WORDS = "|".join(
    (
        _cased("тел", "телефон", "телефона", "телефону", "моб", "мобильный", "сот", "сотовый", "тел/факс"),
        "номеру|номер телефона|по номеру|Номер телефона",
        "電話番号|電話|携帯電話|携帯番号|携帯|ＴＥＬ|电话号码|电话|手机号码|手机号|手机|联系电话|联系方式|联系人|電話號碼|手機",
        "전화번호|전화|휴대폰|핸드폰|연락처",
        _cased("τηλ", "τηλέφωνο", "κινητό"),
        r"טלפון|טל'|טל׳|נייד|هاتف|الهاتف|جوال|الجوال|تلفن\s+همراه|تلفن|موبایل|شماره\s+تماس|تماس",
        "โทรศัพท์|โทร|มือถือ|เบอร์โทร|फोन|मोबाइल",
        r"telem[óo]vel|Telem[óo]vel|TELEM[ÓO]VEL|[Tt]elefonu|[Cc]ep\s+[Tt]el(?:efonu)?",
    )
)
PHONE_ONLY = rf"^(?:{PHONE_WORDS})$"
# Words that, between a phone word and a number, say the number is something else ("智慧型手機 發票號碼
# AB-72575402": a smartphone's invoice number).
OTHER_NUMBER = (
    "發票|发票|订单|訂單|注文|주문|заказ|Заказ|сч[её]т|Сч[её]т|договор|IMEI|imei|ИНН|СНИЛС|番号|編號|编号"
)

# --- Birth dates ------------------------------------------------------------------------------
BIRTH_WORDS = "|".join(
    (
        _cased(
            "дата рождения",
            "д.р.",
            "род.",
            "родился",
            "родилась",
            "рожд.",
            "роден на",
            "родена на",
            "роден",
            "родена",
            "народився",
            "народилася",
            "дата народження",
        ),
        "生年月日|出生日期|出生年月日|出生|生日|誕生日|생년월일|출생일|출생",
        _cased("γεννήθηκε", "ημερομηνία γέννησης", "ημ. γέννησης", "ημ/νία γέννησης"),
        r"נולדה|נולד|תאריך\s+לידה|ת\.\s*לידה|تاريخ\s+الميلاد|تاريخ\s+ميلاد|تاریخ\s+تولد|متولد",
        "जन्म तिथि|जन्मतिथि|जन्म|วันเกิด|เกิดวันที่|เกิด",
        r"[Nn]ascid[oa]\s+(?:em|a)|[Dd]ata\s+de\s+nascimento|[Dd]o[gğ]um\s+[Tt]arihi|DO[GĞ]UM\s+TAR[İI]H[İI]|"
        r"[Dd]o[gğ]umlu|[Uu]rodzon[ya](?:\s+dnia)?|[Dd]ata\s+urodzenia|[Nn]g[àa]y\s+sinh",
    )
)
_NATIVE_DATE = (
    r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}년\s?\d{1,2}월\s?\d{1,2}일|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}|"
    r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}"
)
BIRTH_PATTERNS = (
    TextPattern(
        rf"(?P<kw>{BIRTH_WORDS})[^\w\n]{{0,4}}(?:(?:em|a|dnia|on)\s+)?(?P<v>{_NATIVE_DATE})",
        TextHint(
            keywords=("nascid", "data de nascimento", "dogum", "urodzon", "data urodzenia", "ngay sinh")
        ),
        "validate_native",
    ),
    # The word after the date: "17.10.1940 г.р.", "（1978/07/03生）", "1985년생". The match ends with the
    # word (a pattern's match ends where its value does), so the word is scrubbed with the date.
    TextPattern(
        rf"(?P<v>(?:{_NATIVE_DATE})\s?(?:г\.\s?р\.?|года\s+рождения|г\.\s?рожд\.?|生まれ|生[）)]|년생|년\s출생))",
        TextHint(),
        "validate_native",
    ),
)

# --- Medical records and health policies ------------------------------------------------------
MRN_WORDS = "|".join(
    (
        _cased(
            "№ карты",
            "номер карты",
            "медкарта",
            "медкарты",
            "мед. карта",
            "амбулаторная карта",
            "карта пациента",
            "история болезни",
            "№ истории болезни",
            "и/б",
        ),
        "診察券番号|診察券|カルテ番号|患者番号|患者ID|病历号|病案号|住院号|门诊号|病歷號|병록번호|환자번호|차트번호",
        r"מספר\s+תיק|رقم\s+الملف\s+الطبي|شماره\s+پرونده|เลขที่ผู้ป่วย",
    )
)
MRN_PATTERNS = (
    TextPattern(
        rf"(?P<kw>{MRN_WORDS})[\s:：#№.]{{0,4}}(?:No\.?\s*)?"
        r"(?P<v>(?:[A-ZА-Я]{1,4}-?)?\d[\d-]{3,15}\d)\b",
        TextHint(),
        "validate_record_field",
    ),
)
HEALTH_PLAN_WORDS = "|".join(
    (
        _cased("полис ОМС", "полиса ОМС", "полис ДМС", "полис", "ОМС", "страховой полис"),
        "被保険者番号|保険者番号|保険証番号|医保卡号|社保卡号|医保号|건강보험증번호|건강보험번호",
    )
)
HEALTH_PLAN_PATTERNS = (
    TextPattern(
        rf"(?P<kw>{HEALTH_PLAN_WORDS})[^\w\n]{{0,4}}(?:(?:№|No\.?|:)[^\w\n]{{0,3}})?"
        r"(?P<v>\d{4} ?\d{4} ?\d{4} ?\d{4}|\d{6,16})\b",
        TextHint(),
        "validate_record_field",
    ),
)


_DATE_PARTS = re.compile(r"(\d{1,4})\D{1,3}(\d{1,2})\D{1,3}(\d{1,4})")
_THAI = re.compile("[\u0e00-\u0e7f]")


def native_dates(found: pa.StructArray) -> pa.Array:
    """The dates of BIRTH_PATTERNS' matches as ISO yyyy-mm-dd (null when none): "1952년 7월 5일",
    "1941年4月14日", "17.10.1940 г.р.", "（1978/07/03生）"; a Buddhist-era year (2443 and later, the
    year + 543) is read as such after a Thai word ("วันเกิด 02/03/2486")."""
    keywords = found.field("kw").to_pylist() if found.type.get_field_index("kw") >= 0 else None
    out = []
    for index, value in enumerate(found.field("v").to_pylist()):
        parts = _DATE_PARTS.search(value or "")
        if parts is None:
            out.append(None)
            continue
        first, month, last = parts.groups()
        year, day = (first, last) if len(first) == 4 else (last, first)
        if len(year) != 4 or len(day) > 2:
            out.append(None)
            continue
        if int(month) > 12:  # month first ("10/23/1981")
            month, day = day, month
        number = int(year)
        if number >= 2443 and keywords is not None and _THAI.search(keywords[index] or ""):
            number -= 543
        out.append(f"{number:04d}-{int(month):02d}-{int(day):02d}")
    return pa.array(out, pa.string())


def _non_ascii(values: pa.Array) -> bool:
    return len(values) > 0 and not pc.all(pc.fill_null(pc.string_is_ascii(values), True)).as_py()


def cjk_dates(values: pa.Array) -> pa.Array:
    """ "1952년 7월 5일", "1941年4月14日" as "1952/7/5": the yyyy/m/d form DateOfBirthRecognizer reads."""
    if not _non_ascii(values):
        return values
    return pc.replace_substring_regex(
        values, r"^(\d{4})\s?[年년]\s?(\d{1,2})\s?[月월]\s?(\d{1,2})\s?[日일]?$", r"\1/\2/\3"
    )


def cyrillic_mrn(values: pa.Array) -> np.ndarray:
    """A Russian clinic's card number: Cyrillic letters (ИБ, МК: история болезни, медкарта), the year
    and a number ("ИБ-2019-876926")."""
    if not _non_ascii(values):
        return np.zeros(len(values), dtype=bool)
    return to_mask(pc.match_substring_regex(values, r"^[А-ЯЁ]{1,4}-?\d{2,4}-?\d{4,8}$"))


# --- Header words (headers.normalize_header keeps other scripts: "№ карты" -> "no_карты") ---------
NATIONAL_ID_HEADERS = folded_header_words(
    "ИНН",
    "СНИЛС",
    "РНОКПП",
    "ЕГН",
    "マイナンバー",
    "個人番号",
    "身份证号",
    "身份证号码",
    "身分證字號",
    "주민등록번호",
    "תעודת זהות",
    "ת.ז",
    "מספר זהות",
    "کد ملی",
    "رقم الهوية",
    "الرقم الوطني",
    "ΑΜΚΑ",
    "ΑΦΜ",
    "เลขประจำตัวประชาชน",
    "เลขบัตรประชาชน",
    "आधार",
    "TC Kimlik No",
    "Kimlik No",
)
PASSPORT_HEADERS = folded_header_words(
    "Паспорт",
    "旅券番号",
    "パスポート番号",
    "护照号码",
    "護照號碼",
    "여권번호",
    "דרכון",
    "گذرنامه",
    "رقم الجواز",
    "Διαβατήριο",
    "Pasaporte",
    "Passaporte",
    "Pasaport No",
)
PHONE_HEADERS = folded_header_words(
    "Телефон",
    "Тел",
    "Моб. телефон",
    "Мобильный",
    "電話番号",
    "電話",
    "携帯電話",
    "携帯番号",
    "电话",
    "电话号码",
    "手机",
    "手机号",
    "联系电话",
    "전화번호",
    "휴대폰",
    "연락처",
    "Τηλέφωνο",
    "Κινητό",
    "טלפון",
    "נייד",
    "هاتف",
    "جوال",
    "تلفن",
    "تلفن همراه",
    "موبایل",
    "โทรศัพท์",
    "เบอร์โทร",
    "फोन",
    "मोबाइल",
    "Cep Telefonu",
)
BIRTH_HEADERS = folded_header_words(
    "Дата рождения",
    "Дата народження",
    "生年月日",
    "出生日期",
    "생년월일",
    "Ημερομηνία γέννησης",
    "תאריך לידה",
    "تاريخ الميلاد",
    "تاریخ تولد",
    "วันเกิด",
    "जन्म तिथि",
    "Doğum Tarihi",
    "Data urodzenia",
)
MRN_HEADERS = folded_header_words(
    "No карты",
    "Номер карты",
    "Медкарта",
    "История болезни",
    "診察券番号",
    "カルテ番号",
    "患者番号",
    "病历号",
    "病案号",
    "병록번호",
    "환자번호",
)
HEALTH_PLAN_HEADERS = folded_header_words(
    "Полис ОМС",
    "Полис",
    "被保険者番号",
    "保険証番号",
    "医保卡号",
    "건강보험증번호",
)
