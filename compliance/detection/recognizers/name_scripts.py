"""Person names in non-Latin scripts (round 11): Cyrillic (ru, uk, bg), Greek, Hebrew, Arabic and
Persian, Devanagari, Thai, Chinese, Japanese and Korean. Used by recognizers/people.py.

Three kinds of evidence, as for Latin names:
- a header in the script's language ("ФИО", "Фамилия", "Ονοματεπώνυμο", "שם מלא", "الاسم", "नाम",
  "氏名", "姓名", "성명", "ชื่อ"), read as headers.normalize_header folds it (native_name_header);
- a column whose values are mostly 2-4 words (2-4 characters for Chinese, Japanese and Korean, which
  write names without a space) of one script, enough of them holding a common given name or surname
  of the lists below or a surname's or patronymic's ending (script_names);
- in text, a name after a word that announces a person in that language ("Пациент Иванов Иван",
  "患者 山田 太郎", "환자 김민준", "Ο ασθενής Γεώργιος", "המטופל משה כהן", "المريض محمد أحمد"), or
  before an honorific written after it ("山田太郎様", "김민준 님", "李欣先生"): SCRIPT_NAME_PATTERNS.

The lists are facts of language written down once by hand, kept small: the most common given names
and surnames of each community, not a census. Words are compared as `folded` spells them (marks
dropped, lower case), so "Пётр" and "Петр", "Γιώργος" and "ΓΙΩΡΓΟΣ" are one name.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np
import pyarrow as pa

from compliance.detection.hints import TextHint
from compliance.detection.recognizers.base import TextPattern
from compliance.detection.recognizers.name_script_lists import (
    ARABIC_ENDINGS,
    ARABIC_NAMES,
    CHINESE_COMPOUND,
    CHINESE_SURNAMES,
    CYRILLIC_ENDINGS,
    CYRILLIC_GIVEN,
    DEVANAGARI_NAMES,
    GREEK_ENDINGS,
    GREEK_GIVEN,
    HEBREW_NAMES,
    HONORIFICS,
    JAPANESE_SURNAMES,
    KOREAN_COMPOUND,
    KOREAN_SURNAMES,
    THAI_NAMES,
)

# --- lists ---------------------------------------------------------------------------------------


def folded(word: str) -> str:
    """A word as the lists are compared: marks dropped (accents, niqqud, harakat, Devanagari and Thai
    vowel signs), Hangul recomposed, lower case."""
    text = unicodedata.normalize("NFKD", word)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", text).casefold()


def _words(text: str) -> frozenset[str]:
    return frozenset(folded(word) for word in text.split())


_KNOWN = {
    "cyrillic": _words(CYRILLIC_GIVEN),
    "greek": _words(GREEK_GIVEN),
    "hebrew": _words(HEBREW_NAMES),
    "arabic": _words(ARABIC_NAMES),
    "devanagari": _words(DEVANAGARI_NAMES),
    "thai": _words(THAI_NAMES),
}
_ENDINGS = {
    "cyrillic": tuple(folded(e) for e in CYRILLIC_ENDINGS),
    "greek": tuple(folded(e) for e in GREEK_ENDINGS),
    "arabic": tuple(folded(e) for e in ARABIC_ENDINGS),
}
_HONORIFIC_WORDS = _words(HONORIFICS)
_ARABIC_CHAIN_WORDS = frozenset(("بن", "بنت", "ابن", "آل", "عبد", "أبو", "ابو"))
# Thai titles glued to the given name ("นายสมชาย ใจดี").
_THAI_TITLES = ("นางสาว", "นาย", "นาง", "น.ส.", "ด.ช.", "ด.ญ.")
JAPANESE_SURNAMES = tuple(sorted(set(JAPANESE_SURNAMES.split()), key=len, reverse=True))
_HAN_SURNAMES = frozenset(CHINESE_SURNAMES) | frozenset(CHINESE_COMPOUND) | frozenset(JAPANESE_SURNAMES)

# --- scripts ---------------------------------------------------------------------------------------

CYR_UPPER = "А-ЯЁІЇЄҐЎ"
CYR_LOWER = "а-яёіїєґў"
CYR = CYR_UPPER + CYR_LOWER
GREEK_UPPER = "Α-ΩΆΈΉΊΌΎΏΪΫ"
GREEK_LOWER = "α-ωάέήίόύώϊϋΐΰς"
GREEK = "\u0370-\u03ff\u1f00-\u1fff"
HEBREW = "\u05d0-\u05ea"
ARABIC = "\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff"
ARABIC_MARKS = "\u064b-\u065f\u0670\u200c"
DEVANAGARI = "\u0900-\u0963\u0966-\u097f"
THAI = "\u0e01-\u0e4e"
HAN = "\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
KANA = "\u3040-\u309f\u30a0-\u30ff"
HANGUL = "\uac00-\ud7a3"

_SCRIPT_OF = (
    ("cyrillic", re.compile(f"[{CYR}]")),
    ("greek", re.compile(f"[{GREEK}]")),
    ("hebrew", re.compile(f"[{HEBREW}]")),
    ("arabic", re.compile(f"[{ARABIC}]")),
    ("devanagari", re.compile(f"[{DEVANAGARI}]")),
    ("thai", re.compile(f"[{THAI}]")),
    ("hangul", re.compile(f"[{HANGUL}]")),
    ("han", re.compile(f"[{HAN}{KANA}]")),
)
_LATIN_LETTER = re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ]")
# A name word of a script written with spaces: letters and marks, an apostrophe or hyphen inside.
_SPACED_WORD = re.compile(r"^[^\W\d_][\w'’ʼ\-.\u0900-\u097f\u0e00-\u0e7f\u200c]*$")
_CASED = ("cyrillic", "greek")
_CJK_VALUE = re.compile(f"^([{HAN}{KANA}{HANGUL}]{{1,4}})(?:[ \u3000]([{HAN}{KANA}{HANGUL}]{{1,4}}))?$")


@functools.lru_cache(maxsize=65536)
def name_evidence(value: str) -> tuple[str | None, bool]:
    """(script, known) of a value shaped as a person's name in one non-Latin script: 2-4 words (CJK
    and Hangul: 2-4 characters, a space between surname and given name or not), an honorific first
    allowed; `known` when it holds a listed name or a surname's ending. (None, False) otherwise."""
    words = value.split()
    if words and folded(words[0]) in _HONORIFIC_WORDS:
        words = words[1:]
    if words and words[0].startswith(_THAI_TITLES):
        title = next(t for t in _THAI_TITLES if words[0].startswith(t))
        words = ([words[0][len(title) :]] if len(words[0]) > len(title) else []) + words[1:]
    if not words or _LATIN_LETTER.search(value):
        return None, False
    script = next((name for name, rule in _SCRIPT_OF if rule.search(words[0])), None)
    if script is None:
        return None, False
    if script in ("han", "hangul"):
        return script, _cjk_known(" ".join(words), script)
    if not 2 <= len(words) <= (2 if script == "thai" else 4) or not all(_SPACED_WORD.match(w) for w in words):
        return None, False
    if any(next((name for name, rule in _SCRIPT_OF if rule.search(word)), None) != script for word in words):
        return None, False
    if script in _CASED and not all(word[0].isupper() for word in words):
        return None, False
    # Arabic names chain a father's or family name: "محمد بن علي", "وادع آل سعود".
    chained = script == "arabic" and any(word in _ARABIC_CHAIN_WORDS for word in words[1:-1])
    return script, chained or any(word_known(word, script) for word in words)


def word_known(word: str, script: str) -> bool:
    """Whether a word is a listed name of its script, or ends as a surname or patronymic does."""
    word = folded(word)
    if script == "devanagari" and word.endswith("जी") and len(word) > 3:  # "चोपराजी": "ji" is respect
        word = word[:-2]
    endings = _ENDINGS.get(script, ())
    return word in _KNOWN.get(script, frozenset()) or (
        bool(endings) and len(word) > 3 and word.endswith(endings)
    )


def _cjk_known(value: str, script: str) -> bool:
    match = _CJK_VALUE.match(value)
    if match is None:
        return False
    first, second = match[1], match[2]
    if second is None and not 2 <= len(first) <= 4:
        return False
    if script == "hangul":
        # Korean names are three syllables, the family name first ("김민준"), or written apart in
        # either order ("김 민준", "순자 안").
        if second is None:
            return len(first) in (3, 4) and (first[0] in KOREAN_SURNAMES or first[:2] in KOREAN_COMPOUND)
        return any(
            part in KOREAN_COMPOUND or (len(part) == 1 and part in KOREAN_SURNAMES) for part in match.groups()
        )
    if second is not None:  # "木村 陽一", "欣怡 高"
        return _han_surname_start(first) or second in _HAN_SURNAMES
    # Chinese names of 2-3 characters ("李欣", "沈文欽"), Japanese of a listed family name and a
    # given name ("山田太郎").
    if len(first) <= 3 and (first[0] in CHINESE_SURNAMES or first[:2] in CHINESE_COMPOUND):
        return True
    return any(first.startswith(s) and len(first) > len(s) for s in JAPANESE_SURNAMES if len(s) >= 2)


def _han_surname_start(part: str) -> bool:
    return part in _HAN_SURNAMES or (len(part) <= 2 and part[0] in CHINESE_SURNAMES)


# Share of a column's name-shaped values that must hold a known name for all of them to count: the
# lists are short, so a column of names need not be all listed; a column of products or phrases of
# the same shape holds few. Chinese, Japanese and Korean share syllables with surnames more often.
# Thai writes a phrase without spaces, so two space-separated words of Thai alone are a given name
# and a surname far more often than anything else.
_KNOWN_SHARE = {"han": 0.6, "hangul": 0.7, "thai": 0.0}
_DEFAULT_KNOWN_SHARE = 0.3


def script_names(values: pa.Array) -> np.ndarray:
    """Which `values` count as names in a non-Latin script for typing a column by its values."""
    found = [name_evidence(v) if v else (None, False) for v in values.to_pylist()]
    shaped = np.array([script is not None for script, _ in found], dtype=bool)
    known = np.array([hit for _, hit in found], dtype=bool)
    if not shaped.any():
        return shaped
    scripts = [script for script, _ in found if script is not None]
    main = max(set(scripts), key=scripts.count)
    share = _KNOWN_SHARE.get(main, _DEFAULT_KNOWN_SHARE)
    if known[shaped].mean() >= share:
        return shaped
    return shaped & known


# --- headers ---------------------------------------------------------------------------------------


def _header_word(word: str) -> str:
    from compliance.detection.headers import normalize_header

    return normalize_header(word)


# A token's start ("Фамилия", "фамилии", "Имя клиента", "ΕΠΩΝΥΜΟ", "שם משפחה") of scripts written
# with spaces; then words glued in Chinese, Japanese, Korean and Thai headers ("患者氏名", "고객명").
_NAME_STARTS = (
    "фио", "ф_и_о", "фамили", "имя", "отчеств", "піб", "прізвищ", "ім_я", "по_батькові", "име", "имена",
    "презиме", "пациент", "пацієнт", "клиент", "клієнт", "получател", "отримувач", "ονοματεπωνυμ",
    "ονομα", "επωνυμ", "επιθετ", "πατρωνυμ", "ασθεν", "πελατ", "שם", "משפחה", "מטופל", "לקוח", "الاسم",
    "اسم", "اللقب", "المريض", "العميل", "نام", "بیمار", "नाम", "उपनाम", "मरीज", "ग्राहक",
    # The recipient of a parcel or payment: "المستلم", "Παραλήπτης", "נמען", "گیرنده", "प्राप्तकर्ता".
    "المستلم", "مستلم", "παραληπτ", "נמען", "מקבל", "گیرنده", "प्राप्तकर्ता",
)  # fmt: skip
_NAME_ANYWHERE = (
    "氏名", "姓名", "名前", "名字", "苗字", "フリガナ", "ふりがな", "お名前", "患者名", "顧客名", "利用者名",
    "契約者", "受取人", "宛名", "担当者名", "联系人", "聯絡人", "收件人", "收货人", "客户姓名", "患者", "病人",
    "病患", "이름", "성명", "성함", "고객명", "환자명", "회원명", "보호자", "수취인", "예금주", "신청인",
    "ชื่อ", "นามสกุล", "ผู้ป่วย", "ลูกค้า", "ผู้รับ", "カナ", "수령인", "받는분", "받는사람",
)  # fmt: skip
# What makes a name a thing's, or a person's contact: "Имя файла", "Название", "商品名", "会社名",
# "상품명", "ชื่อสินค้า", "患者ID", "Адрес клиента" (an address: location.py), "телефон клиента".
_NOT_NAME_STARTS = (
    "файл", "товар", "продукт", "компани", "организац", "банк", "пользоват", "адрес", "телефон", "номер",
    "дата", "город", "προϊον", "εταιρ", "αρχει", "διευθυνσ", "τηλεφων", "אימייל", "מוצר", "חברה", "קובץ",
    "כתובת", "טלפון", "תאריך", "מספר", "المنتج", "الشركة", "الملف", "المستخدم", "العنوان", "الهاتف",
    "رقم", "تاريخ", "محصول", "شرکت", "فایل", "کاربری", "نشانی", "آدرس", "تلفن", "شماره", "تاریخ",
    "उत्पाद", "कंपनी", "फ़ाइल", "फाइल", "पता", "फोन", "तारीख", "email", "id", "no", "number", "code",
)  # fmt: skip
_NOT_NAME_ANYWHERE = (
    "商品", "製品", "产品", "產品", "会社", "公司", "ファイル", "文件", "檔案", "品名", "店", "病院", "医院",
    "醫院", "銀行", "银行", "住所", "地址", "電話", "电话", "番号", "号码", "號碼", "생년", "상품", "회사",
    "파일", "은행", "주소", "전화", "번호", "สินค้า", "บริษัท", "ไฟล์", "ที่อยู่", "โทร", "เลข", "ผู้ใช้",
    "生年月日", "出生", "ID", "ＩＤ",
)  # fmt: skip


@functools.cache
def _header_rules() -> tuple[re.Pattern[str], re.Pattern[str]]:
    def alternation(words: tuple[str, ...]) -> str:
        return "|".join(re.escape(_header_word(word)) for word in words)

    named = re.compile(
        rf"(?:^|.*_)(?:{alternation(_NAME_STARTS)})[^_]*(?:_.*)?|.*(?:{alternation(_NAME_ANYWHERE)}).*"
    )
    impersonal = re.compile(
        rf"(?:^|.*_)(?:{alternation(_NOT_NAME_STARTS)})[^_]*(?:_.*)?|.*(?:{alternation(_NOT_NAME_ANYWHERE)}).*"
    )
    return named, impersonal


def native_name_header(normalized: str) -> bool:
    """Whether a normalised header names a person's name in one of the round-11 scripts."""
    if normalized.isascii():
        return False
    named, impersonal = _header_rules()
    return named.fullmatch(normalized) is not None and impersonal.fullmatch(normalized) is None


def native_thing_header(normalized: str) -> bool:
    """Whether a normalised header in one of the round-11 scripts names a thing ("商品", "Товар")."""
    return not normalized.isascii() and _header_rules()[1].fullmatch(normalized) is not None


# --- text ------------------------------------------------------------------------------------------

_CYR_WORD = f"[{CYR_UPPER}][{CYR_LOWER}'’ʼ]+(?:-[{CYR_UPPER}][{CYR_LOWER}'’ʼ]+)?"
_CYR_INITIALS = f"[{CYR_UPPER}]\\.\\s?(?:[{CYR_UPPER}]\\.)?"
_CYR_KEYWORDS = (
    "[Пп]ациент(?:ка|ки|ке|ку|кой|а|у|ом|е|ът|ката)?|[Пп]ацієнт(?:ка|ки|ці|ку|а|у|ом|і)?|"
    "[Кк]лиент(?:ка|ки|ке|ку|а|у|ом|ът|ката)?|[Кк]лієнт(?:ка|ки|ці|ку|а|у|ом)?|"
    "[Гг]ражданин(?:а|у|ом)?|[Гг]ражданк(?:а|и|е|у|ой)|[Гг]ромадян(?:ин|ина|ка|ки)|"
    "[Гг]-(?:н|жа|ца|на|ну|же)|[Гг]осподин(?:а|у)?|[Гг]оспож(?:а|и|е|у)|[Пп]ан(?:і|а|у)?|"
    "[Дд]-р|[Дд]р\\.|[Вв]рач(?:а|у)?|[Дд]октор(?:а|у)?|[Лл]ікар(?:я|ю)?|ФИО|Ф\\.И\\.О\\.|ПІБ|"
    "[Зз]аявител(?:ь|я|ю)|[Пп]олучател(?:ь|я|ю)|[Оо]тправител(?:ь|я|ю)|[Пп]окупател(?:ь|я|ю)|"
    "[Оо]тримувач(?:а|у)?|[Зз]аявник(?:а|у)?|[Тт]ов\\."
)
_CYR_HONORIFIC = (
    "(?:[Гг]-(?:н|жа|ца)|[Дд]р\\.|[Дд]-р|[Тт]ов\\.|[Пп]ані|[Пп]ан|[Гг]осподин|[Гг]оспожа|[Гг]оспожица)"
)
_GREEK_WORD = f"[{GREEK_UPPER}][{GREEK_LOWER}]+(?:-[{GREEK_UPPER}][{GREEK_LOWER}]+)?"
_GREEK_KEYWORDS = (
    "(?:[Οο]|[Ηη]|[Ττ]ου|[Ττ]ης|[Ττ]ον|[Ττ]ην|[Σσ]τον|[Σσ]την) (?:ασθεν(?:ής|ούς|ή|ης|ους|η)|"
    "πελάτ(?:ης|η|ισσα|ισσας)|κ(?:ύ|υ)ρι(?:ος|ου|ο|α|ας))|[Αα]σθεν(?:ής|ούς|ή)|[Ππ]ελάτ(?:ης|η|ισσα)|"
    "[Κκ]\\.|[Κκ]α\\.?|[Κκ]ος\\.?|[Κκ]υρ(?:ία|ίας|ιος|ίου)|[Δδ]ρ\\.?|ΚΟΣ|ΚΑ"
)
_GREEK_HONORIFIC = "(?:[Κκ]\\.|[Κκ]α\\.?|[Δδ]ρ\\.)"
_HEBREW_HONORIFIC = "(?:מר|גב['׳]|גברת|ד[\"״]ר)"
_HEBREW_WORD = f"[{HEBREW}][{HEBREW}'׳\"״-]*"
_HEBREW_KEYWORDS = (
    "(?:ה|ל|ו|ש|וה|לה|שה|מה)?(?:מטופלת|מטופל|לקוחה|לקוח|חולה|מבוטחת|מבוטח|פונה)(?:/ת)?|"
    "מר|גב['׳]|גברת|ד[\"״]ר|דוקטור|עו[\"״]ד|פרופ['׳]|בשם"
)
_ARABIC_WORD = f"[{ARABIC}][{ARABIC}{ARABIC_MARKS}]*"
_ARABIC_UNIT = f"(?:(?:عبد|أبو|ابو) )?{_ARABIC_WORD}"
_ARABIC_HONORIFIC = (
    "(?:السيدة|السيد|الآنسة|الأستاذة|الأستاذ|الدكتورة|الدكتور|الشيخ|المهندسة|المهندس|جناب|سرکار خانم|سرکار|"
    "آقای|خانم|دکتر|مهندس)"
)
# A family or father's name joined by a word ("بن علي", "آل سعود") or a Persian surname's suffix
# written apart ("حسین پور").
_ARABIC_CHAIN = f"(?: (?:بن|بنت|ابن|آل) {_ARABIC_UNIT})*(?: (?:پور|زاده|نژاد))?"
_ARABIC_KEYWORDS = (
    "(?:ال|لل|وال|ل)?(?:مريضة|مريض|عميلة|عميل|زبونة|زبون)|و?(?:السيدة|السيد|للسيدة|للسيد|الآنسة|"
    "الأستاذة|الأستاذ|الدكتورة|الدكتور|الشيخ|المهندسة|المهندس)|د\\.|بیمار|مشتری|آقای|خانم|جناب|دکتر"
)
_DEVANAGARI_WORD = f"[{DEVANAGARI}]+"
_DEVANAGARI_HONORIFIC = "(?:श्रीमती|श्रीमान|श्री|सुश्री|कुमारी|डॉ\\.?|माननीय|आदरणीय)"
_DEVANAGARI_KEYWORDS = "श्रीमती|श्रीमान|श्री|सुश्री|कुमारी|डॉ\\.?|डॉक्टर|मरी(?:ज़|ज़|ज)|रोगी|ग्राहक|जनाब"
_THAI_RUN = f"[{THAI}]+"
_THAI_KEYWORDS = "นางสาว|นาง|นาย|น\\.ส\\.|ด\\.ช\\.|ด\\.ญ\\.|คุณ|ผู้ป่วย|ลูกค้า|นพ\\.|พญ\\.|ทพ\\.|ผู้รับ"
_CJK_BEFORE = "患者|顧客|担当医|担当者|利用者|氏名|名前|病人|病患|客户|客戶|顾客|联系人|聯絡人|收件人|收货人|申请人|申請人"
_CJK_AFTER = "様|さま|さん|氏|先生|殿|君|くん|ちゃん|女士|小姐|医生|醫生|醫師|老师|老師|同志"
# In groups of fewer than 64 words: text.py widens longer lists into a prefilter built for the Latin
# given-name list, which RE2 needs no help with here (a few hundred literal CJK words).
_JAPANESE_MULTI = [s for s in JAPANESE_SURNAMES if len(s) >= 2]
_JAPANESE = "|".join(
    "(?:" + "|".join(_JAPANESE_MULTI[i : i + 60]) + ")" for i in range(0, len(_JAPANESE_MULTI), 60)
)
_CN_SURNAME = f"[{CHINESE_SURNAMES}]|" + "|".join(CHINESE_COMPOUND)
# A listed family name first, then the given name, apart or not ("山田 太郎", "清水和也", "李欣"), or
# the family name alone before an honorific ("佐藤先生"). A Chinese given name has one or two
# characters: in "客户张伟已付款" the match takes one too many, as no list can tell.
_CJK_NAME = (
    f"(?:{_JAPANESE})(?:[ \u3000]?[{HAN}{KANA}]{{1,4}})?|(?:{_CN_SURNAME})(?:[ \u3000]?[{HAN}]{{1,2}})?"
)
_KOREAN_SURNAME = f"[{KOREAN_SURNAMES}]|" + "|".join(KOREAN_COMPOUND)
_KOREAN_BEFORE = "환자|고객|보호자|성명|이름|수취인|예금주|신청인|담당자|성함"
_KOREAN_AFTER = "님|씨|환자|고객님|선생님"

# Each pattern: a keyword of the language, then the name (group v); or the name, then an honorific.
# Literal ranges (RE2 and Python both read them); a keyword's start is checked against the script's
# letters, as \b knows ASCII only. Non-ASCII text only: the C prefilter passes every such text.
_HINT = TextHint()
# An East Slavic patronymic ("Глібович", "Игоревна") names a person with no keyword before it:
# "Короленко Едуард Глібович відмовилася...", "Дмитриева Александра Игоревна" on a parcel label.
_PATRONYMIC = f"[{CYR_UPPER}][{CYR_LOWER}]+(?:ович|евич|євич|ьович|йович|овна|евна|івна|ївна|ична|інична)"
_PATRONYMIC_NAME = f"{_CYR_WORD} {_CYR_WORD} {_PATRONYMIC}|{_CYR_WORD} {_PATRONYMIC}(?: {_CYR_WORD})?"

SCRIPT_NAME_PATTERNS = (
    TextPattern(f"(?:^|[^{CYR}])(?P<v>{_PATRONYMIC_NAME})", _HINT, "validate_record_field"),
    TextPattern(
        f"(?:^|[^{CYR}])(?:{_CYR_KEYWORDS})[,:]?\\s+(?:{_CYR_HONORIFIC}\\s*)?(?P<v>{_CYR_WORD}(?: {_CYR_WORD}){{0,2}}(?: {_CYR_INITIALS})?)",
        _HINT,
        "validate_script_cased",
    ),
    TextPattern(
        f"(?:^|[^{GREEK}])(?:{_GREEK_KEYWORDS})[,:]?\\s+(?:{_GREEK_HONORIFIC}\\s*)?(?P<v>{_GREEK_WORD}(?: {_GREEK_WORD}){{0,2}})",
        _HINT,
        "validate_script_cased",
    ),
    TextPattern(
        f"(?:^|[^{HEBREW}])(?:{_HEBREW_KEYWORDS})[,:]?\\s+(?:{_HEBREW_HONORIFIC}\\s+)?(?P<v>{_HEBREW_WORD}(?: {_HEBREW_WORD})?)",
        _HINT,
        "validate_script_uncased",
    ),
    TextPattern(
        f"(?:^|[^{ARABIC}])(?:{_ARABIC_KEYWORDS})[,:]?\\s+(?:{_ARABIC_HONORIFIC}\\s+)?"
        f"(?P<v>{_ARABIC_UNIT}(?: (?:(?:بن|بنت|ابن) )?(?:آل )?{_ARABIC_UNIT})?{_ARABIC_CHAIN})",
        _HINT,
        "validate_script_uncased",
    ),
    TextPattern(
        f"(?:^|[^{DEVANAGARI}])(?:{_DEVANAGARI_KEYWORDS})[,:]?\\s+(?:{_DEVANAGARI_HONORIFIC}\\s+)?(?P<v>{_DEVANAGARI_WORD}(?: {_DEVANAGARI_WORD})?)",
        _HINT,
        "validate_script_uncased",
    ),
    TextPattern(
        f"(?:^|[^{THAI}])(?:{_THAI_KEYWORDS})[,:]? ?(?P<v>{_THAI_RUN}(?: {_THAI_RUN})?)",
        _HINT,
        "validate_thai_name",
    ),
    TextPattern(
        f"(?:{_CJK_BEFORE})[:：]?[ \u3000]?(?P<v>{_CJK_NAME})",
        _HINT,
        "validate_cjk_name",
    ),
    TextPattern(
        f"(?P<v>{_CJK_NAME})[ \u3000]?(?:{_CJK_AFTER})",
        _HINT,
        "validate_cjk_name",
    ),
    TextPattern(
        f"(?:{_KOREAN_BEFORE})[:：]?[ ]?(?P<v>(?:{_KOREAN_SURNAME})[{HANGUL}]{{2}})",
        _HINT,
        "validate_korean_name",
    ),
    TextPattern(
        f"(?:^|[^{HANGUL}])(?P<v>(?:{_KOREAN_SURNAME})[{HANGUL}]{{2}}) ?(?:{_KOREAN_AFTER})",
        _HINT,
        "validate_korean_name",
    ),
)

# Words after a Cyrillic or Greek keyword that are no name though capitalised (a sentence's next
# word after "г." is a town, after "Клиент" a bank: "Клиент Сбербанка").
_THAI_NOT_NAME = (
    "ภาพ", "สมบัติ", "ค่า", "ธรรม", "ประโยชน์", "ลักษณะ", "กรัฐ", "กเทศ", "กสมาคม", "กอบต", "จ้าง", "หน้า", "ทหาร", "ตำรวจ", "แพทย์",
    "พยาบาล", "แบบ", "มี", "ไม่", "ได้", "เป็น", "อยู่", "ต้อง", "จะ", "ควร", "แจ้ง", "ขอ", "โทร", "ชำระ",
    "ทาน", "กิน", "นอน", "พบ", "ยัง", "ก็", "ซึ่ง", "และ", "หรือ", "รับ", "ส่ง", "ครับ", "ค่ะ", "คะ",
)  # fmt: skip
_KOREAN_NOT_NAME = frozenset(
    """
    고객님 선생님 환자분 보호자 담당자 관리자 사용자 신청인 문의사 이용자 주문자 수취인 예금주 대표님 사장님
    부장님 과장님 팀장님 원장님 교수님 기사님 회원님 여러분 어머님 아버님 정상적 이상무 안내문 전화번
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_CJK_NOT_NAME = frozenset(["先生", "小姐", "女士", "患者", "様", "さん"])


def cased_names(values: list[str]) -> np.ndarray:
    """Which capitalised Cyrillic or Greek words after a keyword are a name: two or more, or one that
    a list or an ending knows (one capitalised word alone may be a firm: "Клиент Сбербанка")."""
    out = np.ones(len(values), dtype=bool)
    for i, value in enumerate(values):
        words = value.split()
        if len(words) == 1:
            script = next((name for name, rule in _SCRIPT_OF if rule.search(value)), None)
            out[i] = script is not None and word_known(value, script)
    return out


def thai_names(values: list[str]) -> np.ndarray:
    return np.array([not value.startswith(_THAI_NOT_NAME) for value in values], dtype=bool)


def korean_names(values: list[str]) -> np.ndarray:
    return np.array([value not in _KOREAN_NOT_NAME for value in values], dtype=bool)


# Not "君" or "氏" inside a name: given names hold them ("陳怡君").
_CJK_HONORIFIC = re.compile("先生|様|さま|さん|殿|くん|ちゃん|女士|小姐|医生|醫生|醫師|老师|老師")


def cjk_names(values: list[str]) -> np.ndarray:
    # A match that runs into an honorific ("佐藤 先生に") took the honorific for a given name: the
    # pattern of the name before an honorific finds it without.
    return np.array(
        [
            value not in _CJK_NOT_NAME
            and not any(value.startswith(w) for w in _CJK_NOT_NAME)
            and not _CJK_HONORIFIC.search(value[1:])
            for value in values
        ],
        dtype=bool,
    )


class ScriptNameChecks:
    """The checks SCRIPT_NAME_PATTERNS name, as methods of the person-name recognizer."""

    def validate_script_cased(self, found: pa.StructArray) -> np.ndarray:
        return cased_names(found.field("v").to_pylist())

    def validate_script_uncased(self, found: pa.StructArray) -> np.ndarray:
        # The keyword is the evidence: Hebrew, Arabic and Devanagari have no capitals to go by.
        return np.ones(len(found), dtype=bool)

    def validate_thai_name(self, found: pa.StructArray) -> np.ndarray:
        return thai_names(found.field("v").to_pylist())

    def validate_cjk_name(self, found: pa.StructArray) -> np.ndarray:
        return cjk_names(found.field("v").to_pylist())

    def validate_korean_name(self, found: pa.StructArray) -> np.ndarray:
        return korean_names(found.field("v").to_pylist())
