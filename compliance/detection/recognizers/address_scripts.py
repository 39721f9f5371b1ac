"""Street addresses in non-Latin scripts (round 11), used by location.py's recognizer: the header
words of an address column ("Адрес", "Διεύθυνση", "כתובת", "العنوان", "पता", "住所", "地址", "주소",
"ที่อยู่"), and the forms an address takes in text and in a column whatever its header:

- Russian, Ukrainian, Bulgarian: a street type, its name, the house number ("ул. Ленина, д. 5, кв. 7",
  "вул. Шевченка, буд. 12", "бул. Христо Ботев 12"), a locality and a postcode around it;
- Greek: "Οδός Ερμού 15", "Λεωφ. Κηφισίας 12", or a street, its number, a postcode and a town
  ("Βερίνου 66, 39150 Άρτα");
- Hebrew: "רחוב הרצל 12", "שד' רוטשילד 5", or a street and number, a town and a 7-digit postcode;
- Arabic and Persian: "شارع الملك فهد 12", "خیابان ولیعصر پلاک 5", a number, a street and a unit;
- Japanese: a prefecture or 〒 postcode, then a block ("東京都港区芝公園4丁目2番8号");
- Chinese: a road and its number ("北京市朝阳区建国路88号", "民治路2段10號8樓"), or a province and a postcode;
- Korean: a road name and building number ("서울특별시 강남구 테헤란로 123", "선릉074길 924-41");
- Thai: a house number, road, sub-district, district and postcode ("170/6 ถ.ประจันตะเสน ... 53910");
- Hindi: a house number, a locality and a 6-digit PIN ("31/706 त्रिवेदी, धारवाड-439150");
- in every one of them, whatever follows the word "address" up to the end of its clause.

Literal character ranges, so that RE2 and Python read the patterns alike. Non-ASCII text only: the C
prefilter passes every such text, and Latin-only text never pays for them.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pyarrow as pa

from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import TextPattern
from compliance.detection.recognizers.name_scripts import (
    ARABIC,
    ARABIC_MARKS,
    CYR,
    CYR_UPPER,
    DEVANAGARI,
    GREEK_LOWER,
    GREEK_UPPER,
    HAN,
    HANGUL,
    HEBREW,
    KANA,
    THAI,
)

_D = "0-9０-９"
_CYR_STREET = (
    "ул\\.|улица|улице|улицы|вул\\.|вулиця|вулиці|пр\\.|пр-т|проспект|просп\\.|пер\\.|переулок|пров\\.|"
    "провулок|б-р|бульвар|бул\\.|бульв\\.|ш\\.|шоссе|шосе|наб\\.|набережная|набережна|пл\\.|площадь|площа|"
    "майдан|туп\\.|тупик|проезд|пр-д|узвіз|парк|ж\\.к\\.|жк|алл\\.|аллея|алея|мкр\\.|микрорайон|мікрорайон|линия|лін\\.|"
    "дорога|тракт|спуск|кв-л|квартал"
)
_CYR_LOCALITY = "(?:г|с|п|пос|м|пгт|смт|дер|д|гр|село|клх|к|ст|ст-ца|х|аул|рп|нп)\\.?\\s?"
_CYR_NAME = f'[«"„]?[{CYR_UPPER}0-9][{CYR}0-9\'’ʼ -]{{0,40}}?[»"“]?'
_CYR_HOUSE = f"(?:,?\\s(?:д\\.|дом|буд\\.|№)\\s?|\\s)\\d{{1,4}}[{CYR}]?(?:/\\d{{1,4}})?"
_CYR_UNIT = f"(?:,?\\s(?:д\\.|дом|кв\\.|к\\.|корп\\.|стр\\.|ап\\.|ет\\.|вх\\.|оф\\.|бл\\.)\\s?\\d{{1,4}}[{CYR}]?(?:/\\d{{1,4}})?)"
CYRILLIC_ADDRESS = (
    f"(?:{_CYR_LOCALITY}[{CYR_UPPER}][{CYR}-]+(?: [{CYR_UPPER}][{CYR}-]+)?,\\s)?"
    f"(?:{_CYR_STREET})\\s?{_CYR_NAME}{_CYR_HOUSE}{_CYR_UNIT}{{0,3}}(?:,\\s\\d{{5,6}})?"
)
_GREEK_WORD = f"[{GREEK_UPPER}][{GREEK_LOWER}]+"
GREEK_ADDRESS = (
    f"(?:(?:Οδός|οδός|Οδ\\.|οδ\\.|Λεωφ\\.|Λεωφόρος|λεωφ\\.|Πλατεία|πλ\\.|Πάρ\\.|Πάροδος)\\s?{_GREEK_WORD}(?: {_GREEK_WORD}){{0,3}},?"
    f"\\s\\d{{1,4}}[{GREEK_LOWER}]?|(?:Πάρ\\. )?{_GREEK_WORD}(?: {_GREEK_WORD}){{0,3}}\\s\\d{{1,4}}(?:-\\d{{1,4}})?,\\s"
    f"(?:Τ\\.?Κ\\.?\\s?)?\\d{{3}}\\s?\\d{{2}}\\s{_GREEK_WORD}(?: {_GREEK_WORD})?)"
)
_HEB = f"[{HEBREW}][{HEBREW}'׳\"״-]*"
HEBREW_ADDRESS = (
    f"(?:(?:רחוב|רח['׳]|שדרות|שד['׳]?|דרך|סמטת|סמ['׳]|כיכר|שכונת)\\s(?:{_HEB}\\s){{1,3}}\\d{{1,4}}"
    f"(?:,\\s{_HEB}(?:\\s{_HEB}){{0,2}})?(?:,?\\s\\d{{5,7}})?|"
    f"(?:{_HEB}\\s){{1,3}}\\d{{1,4}}(?:\\s\\d{{1,4}})?,\\s[{HEBREW}()'׳\"״ -]{{2,30}}?,?\\s\\d{{7}})"
)
_AR = f"[{ARABIC}][{ARABIC}{ARABIC_MARKS}]*"
ARABIC_ADDRESS = (
    f"(?:(?:شارع|طريق|حي|ميدان|جادة|خیابان|کوچه|بلوار|میدان)\\s(?:{_AR}\\s){{1,4}}(?:رقم\\s|پلاک\\s)?\\d{{1,5}}|"
    f"(?:ص\\.\\s?ب|صندوق بريد)\\.?\\s?\\d{{1,6}}|"
    f"\\d{{1,5}}\\s(?:{_AR}\\s){{1,3}}?(?:خیابان|کوچه|بلوار|میدان|چهار راه|پل|بزرگراه|جاده|شارع|طريق)|"
    f"\\d{{1,5}}\\s{_AR}(?:\\s{_AR}){{0,3}}(?:\\s(?:سوئیت|واحد)\\s\\d{{1,5}})?(?:,\\s{_AR}(?:\\s{_AR}){{0,3}}){{2}}\\s\\d{{3,10}}|"
    f"\\d{{1,5}}\\s(?:{_AR}\\s){{1,4}}(?:واحد|پلاک|شقة|رقم)\\s\\d{{1,5}}(?:,\\s{_AR}(?:\\s{_AR}){{0,2}}){{0,3}}(?:\\s\\d{{5,10}})?)"
)
_PREFECTURE = f"(?:北海道|東京都|大阪府|京都府|[{HAN}]{{2,3}}県)"
_JA_BLOCK = (
    f"[{_D}]{{1,4}}(?:丁目(?:[{_D}]{{1,4}}(?:番地?(?:[{_D}]{{1,4}}号?)?|[-－][{_D}]{{1,4}})?)?|番地?(?:[{_D}]{{1,4}}号)?|"
    f"[-－][{_D}]{{1,4}}(?:[-－][{_D}]{{1,4}})?)"
)
JAPANESE_ADDRESS = (
    f"(?:〒\\s?[{_D}]{{3}}[-－]?[{_D}]{{4}}[ \u3000]?)?(?:{_PREFECTURE}|[{HAN}]{{1,4}}[市区町村郡])[{HAN}{KANA}]{{1,20}}?{_JA_BLOCK}"
    f"(?:[ \u3000][{HAN}{KANA}]{{1,15}}[{_D}]{{1,4}}(?:号室)?)?"
)
CHINESE_ADDRESS = (
    f"(?:\\d{{3,6}}\\s?)?(?:[{HAN}]{{2,3}}(?:省|自治区|市))?(?:[{HAN}]{{1,5}}(?:市|区|區|县|縣|镇|鎮|乡|鄉))*"
    f"[{HAN}0-9]{{1,10}}?(?:路|街|大道|道|巷|弄)(?:[0-9一二三四五六七八九十]{{1,3}}段)?(?:[0-9]{{1,4}}(?:巷|弄)){{0,2}}"
    f"[0-9]{{1,5}}(?:号|號)(?:之[0-9]{{1,2}})?(?:[0-9]{{1,3}}(?:楼|樓|室|层|層|F))?|"
    f"[{HAN}]{{2,3}}(?:省|市)[^\\s,，。]{{2,30}}\\s\\d{{6}}"
)
KOREAN_ADDRESS = (
    f"(?:[{HANGUL}]{{2,8}}(?:특별시|광역시|특별자치시|특별자치도|도|시) )?(?:[{HANGUL}]{{1,6}}(?:시|군|구) ){{0,2}}"
    f"(?:[{HANGUL}]{{1,6}}(?:읍|면|동) )?(?:(?:[{HANGUL}0-9]{{1,12}}?(?:로|길|거리)|[{HANGUL}]{{1,8}}\\d{{1,3}}가)(?: ?\\d{{1,4}}(?:번길|가길|길))? (?:지하 ?)?\\d{{1,5}}"
    f"(?:-\\d{{1,5}})?|[{HANGUL}]{{1,6}}동 \\d{{1,5}}(?:-\\d{{1,5}})?번지)(?:,? ?\\d{{1,4}}동)?(?: ?\\d{{1,5}}호)?"
)
THAI_ADDRESS = (
    f"(?:เลขที่ ?)?\\d{{1,5}}(?:/\\d{{1,5}})?(?: (?:หมู่(?:ที่)? ?\\d{{1,3}}|ม\\. ?\\d{{1,3}}))?"
    f"(?: [{THAI}.]+(?: \\d{{1,3}})?){{1,7}}? \\d{{5}}"
)
DEVANAGARI_ADDRESS = (
    f"(?:(?:मकान|म\\.) ?(?:नं\\.?|संख्या) ?)?\\d{{1,5}}(?:/\\d{{1,5}})?,?\\s(?:[{DEVANAGARI}]+,?\\s){{0,5}}?"
    f"[{DEVANAGARI}]+[-\\s]\\d{{6}}"
)
_THAI_ADDRESS_WORDS = re.compile("ถ\\.|ถนน|ซ\\.|ซอย|ต\\.|ตำบล|อ\\.|อำเภอ|จ\\.|จังหวัด|แขวง|เขต|หมู่|ม\\.")

# The word "address" in each language, then the clause after it: up to a line break, ";" or "。",
# or a full stop before a capital (not after a Cyrillic abbreviation: "ул. Ленина").
_ANNOUNCE = (
    "[Аа]дрес(?:у|а|ом|е|і|ою)?|[Пп]роживает по|[Пп]роживає за|Διεύθυνση|διεύθυνση|Δ/νση|כתובת|העניין|"
    "العنوان|عنوان|نشانی|آدرس|住所|所在地|送付先|お届け先|配送先|地址|住址|주소|배송지|ที่อยู่|पता"
)
_ABBREVIATION = (
    "(?:ул|д|г|кв|пр|пер|корп|стр|обл|с|п|пос|ш|наб|пл|буд|вул|просп|пров|м|бул|бл|вх|ет|ап|алл|мкр|клх|к|ст|х|"
    "туп|лін|οδ|Λεωφ|αρ|Πάρ)"
)
_CLAUSE = f"(?:[\\s,]{_ABBREVIATION}\\.\\s*|[^.;\\n。]|\\.(?:[^\\s]|\\s+[^\\s{CYR_UPPER}{GREEK_UPPER}A-Z]))"
ANNOUNCED_ADDRESS = (
    f"(?:{_ANNOUNCE})\\s*[:：-]?\\s*(?P<v>(?:{_ABBREVIATION}\\.\\s*|[^\\s:：])(?:{_CLAUSE}){{3,160}})"
)

_FORMS = (
    CYRILLIC_ADDRESS,
    GREEK_ADDRESS,
    HEBREW_ADDRESS,
    ARABIC_ADDRESS,
    JAPANESE_ADDRESS,
    CHINESE_ADDRESS,
    KOREAN_ADDRESS,
    DEVANAGARI_ADDRESS,
)
# No ASCII text can match (each form needs letters of its script): the C prefilter then keeps them
# off every ASCII text, and passes every other text, whose byte >= 0x80 it does not read further.
_HINT = TextHint()
SCRIPT_ADDRESS_PATTERNS = (
    *(TextPattern(f"(?P<v>{form})", _HINT, "validate_by_context") for form in _FORMS),
    TextPattern(f"(?P<v>{THAI_ADDRESS})", _HINT, "validate_thai_address"),
    TextPattern(ANNOUNCED_ADDRESS, _HINT, "validate_announced_script"),
)


@functools.cache
def _value_forms() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{form})" for form in (*_FORMS, THAI_ADDRESS)))


def thai_addresses(values: list[str]) -> np.ndarray:
    return np.array([bool(_THAI_ADDRESS_WORDS.search(value)) for value in values], dtype=bool)


def script_addresses(values: pa.Array) -> np.ndarray:
    """Which values hold an address in one of the forms above (a column of them under any header)."""
    forms = _value_forms()
    out = []
    for value in values.to_pylist():
        match = forms.search(value) if value else None
        out.append(
            match is not None and (not re.fullmatch(THAI_ADDRESS, match[0]) or thai_addresses([match[0]])[0])
        )
    return np.array(out, dtype=bool)


# --- headers ---------------------------------------------------------------------------------------

_ADDRESS_STARTS = (
    "адрес", "адреса", "улица", "вулиця", "место_жительства", "местожительств", "прописк", "місце_проживання",
    "διευθυνσ", "οδος", "κατοικια", "כתובת", "רחוב", "العنوان", "عنوان", "الشارع", "نشانی", "آدرس",
    "पता", "ठिकाना",
)  # fmt: skip
_ADDRESS_ANYWHERE = (
    "住所", "所在地", "送付先", "届け先", "配送先", "地址", "住址", "주소", "배송지", "ที่อยู่",
)  # fmt: skip
# An e-mail, web or IP address is no street ("Адрес электронной почты", "メールアドレス", "IP地址").
_NOT_ADDRESS = (
    "электрон", "почт", "email", "e_mail", "mail", "ip", "mac", "web", "url", "сайт", "ηλεκτρονικ", "email",
    "דוא", "מייל", "אימייל", "البريد", "الإلكتروني", "ایمیل", "ईमेल", "メール", "邮件", "郵件", "邮箱", "電子",
    "网址", "網址", "이메일", "메일", "อีเมล", "เว็บ",
)  # fmt: skip


@functools.cache
def _address_rules() -> tuple[re.Pattern[str], re.Pattern[str]]:
    from compliance.detection.headers import normalize_header

    def alternation(words: tuple[str, ...]) -> str:
        return "|".join(re.escape(normalize_header(word)) for word in words)

    named = re.compile(
        rf"(?:^|.*_)(?:{alternation(_ADDRESS_STARTS)})[^_]*(?:_.*)?|.*(?:{alternation(_ADDRESS_ANYWHERE)}).*"
    )
    return named, re.compile(rf".*(?:{alternation(_NOT_ADDRESS)}).*")


def native_address_header(normalized: str) -> bool:
    """Whether a normalised header names a street address in one of the round-11 scripts."""
    if normalized.isascii():
        return False
    named, other = _address_rules()
    return named.fullmatch(normalized) is not None and other.fullmatch(normalized) is None
